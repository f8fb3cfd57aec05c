// Charts in plain SVG: a bar chart (columns for days, horizontal bars for
// named groups) and the budget meter. Each chart is one image to assistive
// technology (role="img", a summary as its label); the page shows the same
// numbers in a table. Colours come from styles.css (.chart, .meter).
import { useLayoutEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import { formatMoney } from "../format";
import { Alert } from "./index";

// ---- Scales and ticks (pure; see charts.test.ts) -------------------------

/** The 1, 2 or 5 × 10ⁿ at or above `rough` (0 and below: 1). */
export function niceStep(rough: number): number {
  if (!Number.isFinite(rough) || rough <= 0) return 1;
  const exp = Math.floor(Math.log10(rough));
  const base = 10 ** exp;
  const f = rough / base;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * base;
}

/** Round ticks from 0 up to at least `max`, about `count` steps apart. */
export function niceTicks(max: number, count = 4, integer = false): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 0;
  let step = niceStep(top / Math.max(1, count));
  if (integer) step = Math.max(1, Math.round(step));
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const n = Math.max(1, Math.ceil(top / step - 1e-9));
  const ticks: number[] = [];
  for (let i = 0; i <= n; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return ticks;
}

/** `value` on a 0…`max` scale mapped to 0…`length` (clamped). */
export function scale(value: number, max: number, length: number): number {
  if (!(max > 0) || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(length, (value / max) * length);
}

/** Show every k-th of `n` labels so that labels `labelPx` wide fit in `availablePx`. */
export function labelEvery(n: number, availablePx: number, labelPx: number): number {
  if (n <= 0 || availablePx <= 0) return 1;
  return Math.max(1, Math.ceil((n * labelPx) / availablePx));
}

/** `text` cut to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (max < 2) return text.slice(0, 1);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface Datum {
  /** The group's full name (in tooltips and the summary). */
  label: string;
  /** A short form for the axis (days: "22 Nov"); default `label`. */
  tick?: string;
  value: number;
}

/** One sentence for screen readers: how many groups, the total, the highest. */
export function summarise(title: string, data: Datum[], format: (v: number) => string, noun: [string, string] = ["group", "groups"]): string {
  if (data.length === 0) return `${title}: no data.`;
  const total = data.reduce((s, d) => s + d.value, 0);
  const top = data.reduce((a, d) => (d.value > a.value ? d : a), data[0] as Datum);
  return `${title}: ${data.length} ${data.length === 1 ? noun[0] : noun[1]}, total ${format(total)}, highest ${format(top.value)} (${top.label}).`;
}

// ---- The bar chart --------------------------------------------------------

const CHAR_PX = 6.6; // about one character of the chart's 11px text

function useWidth(fallback = 640) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.clientWidth) setWidth(el.clientWidth);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w) setWidth(Math.round(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

export interface BarChartProps {
  /** What the chart shows ("Calls per day"): its <title>. */
  title: string;
  data: Datum[];
  format: (v: number) => string;
  /** Columns along a time axis, or horizontal bars for named groups. */
  layout?: "columns" | "bars";
  /** Whole numbers only (ticks too). */
  integer?: boolean;
  /** What each bar is, for the summary: ["day", "days"]. */
  noun?: [string, string];
}

/** A bar chart sized to its container. */
export function BarChart({ title, data, format, layout = "bars", integer = false, noun }: BarChartProps) {
  const [ref, width] = useWidth();
  const summary = summarise(title, data, format, noun);
  return (
    <div ref={ref}>
      {layout === "columns" ? (
        <Columns title={title} summary={summary} data={data} format={format} integer={integer} width={Math.max(240, width)} />
      ) : (
        <Bars title={title} summary={summary} data={data} format={format} width={Math.max(240, width)} />
      )}
    </div>
  );
}

interface DrawProps {
  title: string;
  summary: string;
  data: Datum[];
  format: (v: number) => string;
  width: number;
  integer?: boolean;
}

function Columns({ title, summary, data, format, width, integer }: DrawProps) {
  const height = 220;
  const max = Math.max(0, ...data.map((d) => d.value));
  const ticks = niceTicks(max, 4, integer);
  const top = ticks[ticks.length - 1] ?? 1;
  const left = Math.max(...ticks.map((t) => format(t).length)) * CHAR_PX + 10;
  const m = { top: 10, right: 8, bottom: 28 };
  const plotW = width - left - m.right;
  const plotH = height - m.top - m.bottom;
  const band = plotW / Math.max(1, data.length);
  const barW = Math.max(1, Math.min(48, band * 0.7));
  const longest = Math.max(1, ...data.map((d) => (d.tick ?? d.label).length));
  const every = labelEvery(data.length, plotW, longest * CHAR_PX + 10);
  const y = (v: number) => m.top + plotH - scale(v, top, plotH);
  return (
    <svg className="chart" role="img" aria-label={summary} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      <title>{title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line className="axis" x1={left} x2={width - m.right} y1={y(t)} y2={y(t)} />
          <text x={left - 6} y={y(t) + 4} textAnchor="end">
            {format(t)}
          </text>
        </g>
      ))}
      {data.map((d, i) => {
        const x = left + i * band + (band - barW) / 2;
        const h = scale(d.value, top, plotH);
        return (
          <g key={d.label}>
            {h > 0 ? (
              <rect className="bar" x={x} y={m.top + plotH - h} width={barW} height={h} rx={Math.min(3, barW / 4)}>
                <title>{`${d.label}: ${format(d.value)}`}</title>
              </rect>
            ) : null}
            {i % every === 0 ? (
              <text x={left + i * band + band / 2} y={height - 10} textAnchor="middle">
                {d.tick ?? d.label}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

function Bars({ title, summary, data, format, width }: DrawProps) {
  const row = 30;
  const m = { top: 6, bottom: 6 };
  const height = m.top + m.bottom + row * Math.max(1, data.length);
  const max = Math.max(0, ...data.map((d) => d.value));
  const labelW = Math.min(200, Math.round(width * 0.36));
  const valueW = Math.max(...data.map((d) => format(d.value).length), 1) * CHAR_PX + 12;
  const barMax = Math.max(10, width - labelW - valueW);
  const chars = Math.floor((labelW - 10) / CHAR_PX);
  return (
    <svg className="chart" role="img" aria-label={summary} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      <title>{title}</title>
      <line className="axis" x1={labelW} x2={labelW} y1={m.top} y2={height - m.bottom} />
      {data.map((d, i) => {
        const y = m.top + i * row;
        const w = scale(d.value, max, barMax);
        return (
          <g key={d.label}>
            <text x={labelW - 8} y={y + row / 2 + 4} textAnchor="end">
              {truncate(d.tick ?? d.label, chars)}
              <title>{d.label}</title>
            </text>
            {w > 0 ? (
              <rect className="bar" x={labelW} y={y + 6} width={w} height={row - 12} rx={3}>
                <title>{`${d.label}: ${format(d.value)}`}</title>
              </rect>
            ) : null}
            <text x={labelW + w + 6} y={y + row / 2 + 4}>
              {format(d.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

// ---- The budget meter -----------------------------------------------------

export type BudgetLevel = "none" | "ok" | "soft" | "hard";

/**
 * Where this month's spend stands, as the router judges it: at or past
 * the budget only local models are used; at or past the soft limit a
 * warning is raised. `pct` is the share of the budget spent.
 */
export function budgetLevel(spend: number, budget: number | null, softPct: number | null): { level: BudgetLevel; pct: number } {
  if (budget === null || !Number.isFinite(budget)) return { level: "none", pct: 0 };
  const pct = budget > 0 ? (spend / budget) * 100 : 100;
  if (spend >= budget) return { level: "hard", pct };
  if (softPct !== null && spend * 100 >= budget * softPct) return { level: "soft", pct };
  return { level: "ok", pct };
}

/** A share as people read it: "25 %", "<1 %". */
export function formatPct(pct: number): string {
  if (pct > 0 && pct < 1) return "<1 %";
  return `${Math.round(pct)} %`;
}

function toNumber(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined || v === "") return null;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * This month's AI spend against the budget: a sentence, a meter (amber
 * past the soft limit, red past the budget) and what happens next.
 * `softPct` null: unknown (only the budget itself is judged).
 */
export function BudgetMeter({
  spend,
  budget,
  softPct,
  action,
}: {
  spend: string | number;
  budget: string | number | null | undefined;
  softPct: number | null;
  /** A link to where the budget is set. */
  action?: ReactNode;
}) {
  const spent = toNumber(spend) ?? 0;
  const limit = toNumber(budget);
  const { level, pct } = budgetLevel(spent, limit, softPct);
  if (level === "none" || limit === null) {
    return (
      <div className="stack">
        <p>
          {formatMoney(spent, "USD")} spent this month. No monthly budget is set, so cloud providers are used without a limit.
        </p>
        {action}
      </div>
    );
  }
  const sentence = `${formatMoney(spent, "USD")} of ${formatMoney(limit, "USD")} spent this month — ${formatPct(pct)}`;
  const width = Math.min(100, Math.max(0, pct));
  return (
    <div className="stack">
      <p>{sentence}</p>
      <div
        className={`meter${level === "soft" ? " warn" : level === "hard" ? " bad" : ""}`}
        role="meter"
        aria-label="Budget spent this month"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(width)}
        aria-valuetext={sentence}
      >
        <span style={{ width: `${width}%` }} />
      </div>
      <p className="hint">
        {softPct !== null ? `Warning at ${softPct} % of the budget. ` : ""}Months are calendar months in UTC.
      </p>
      {level === "soft" ? (
        <Alert kind="warning">
          <p>Spending has passed the soft limit{softPct !== null ? ` (${softPct} % of the budget)` : ""}. When the budget is spent, only local models are used.</p>
        </Alert>
      ) : null}
      {level === "hard" ? (
        <Alert>
          <p>The budget is spent: until the month ends only local models are used, and calls that no local model can serve are refused.</p>
        </Alert>
      ) : null}
      {action}
    </div>
  );
}
