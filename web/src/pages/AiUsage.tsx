// AI usage: calls, tokens, cost, errors and latency over a range of days,
// grouped by day, model, feature or provider, with this month's spend
// against the budget. The range lives in the query string (shareable).
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { dayIn, formatDate, formatMoney, formatNumber, startOfDay } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Field, PageHeader, States } from "../ui";
import { BarChart, BudgetMeter, type Datum } from "../ui/charts";
import { useLoad } from "../ui/hooks";

type Group = Schemas["UsageGroup"];
type GroupBy = Schemas["GroupBy"];
type Metric = "calls" | "cost" | "tokens";

const GROUPS: { value: GroupBy; label: string; noun: string }[] = [
  { value: "day", label: "Day", noun: "day (UTC)" },
  { value: "model", label: "Model", noun: "model" },
  { value: "feature", label: "Feature", noun: "feature" },
  { value: "provider", label: "Provider", noun: "provider" },
];
const METRICS: { value: Metric; label: string }[] = [
  { value: "calls", label: "Calls" },
  { value: "cost", label: "Cost (USD)" },
  { value: "tokens", label: "Tokens" },
];

// ---- Days as `YYYY-MM-DD` -----------------------------------------------

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const monthStart = (day: string) => `${day.slice(0, 7)}-01`;
const monthEnd = (day: string) => addDays(monthStart(addDays(monthStart(day), 32)), -1);

/** Every day from `from` to `to`, both included (at most `cap`). */
function daysBetween(from: string, to: string, cap = 400): string[] | null {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    out.push(d);
    if (out.length > cap) return null;
  }
  return out;
}

const shortDay = new Intl.DateTimeFormat("en-IN", { day: "numeric", month: "short", timeZone: "UTC" });

// ---- Figures --------------------------------------------------------------

const metricOf = (g: Group, m: Metric) => (m === "calls" ? g.calls : m === "cost" ? Number(g.cost) : g.prompt_tokens + g.completion_tokens);

/** USD as people read it; amounts under a cent are shown as such. */
function usd(v: number | string): string {
  const n = Number(v);
  if (n > 0 && n < 0.01) return `<${formatMoney(0.01, "USD")}`;
  return formatMoney(n, "USD");
}

const preciseUsd = new Intl.NumberFormat("en-IN", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return v < 1000 ? `${formatNumber(Math.round(v))} ms` : `${(v / 1000).toFixed(1)} s`;
}

interface Totals {
  calls: number;
  errors: number;
  cached: number;
  prompt: number;
  completion: number;
  cost: number;
  latency: number | null;
  ttft: number | null;
}

/** The groups summed; averages weighted by each group's successful calls. */
function totalsOf(groups: Group[]): Totals {
  const t: Totals = { calls: 0, errors: 0, cached: 0, prompt: 0, completion: 0, cost: 0, latency: null, ttft: null };
  let lw = 0, ls = 0, tw = 0, ts = 0;
  for (const g of groups) {
    t.calls += g.calls;
    t.errors += g.errors;
    t.cached += g.cached;
    t.prompt += g.prompt_tokens;
    t.completion += g.completion_tokens;
    t.cost += Number(g.cost) || 0;
    const ok = Math.max(1, g.calls - g.errors - g.cached);
    if (g.avg_latency_ms !== null && g.avg_latency_ms !== undefined) { lw += ok; ls += ok * g.avg_latency_ms; }
    if (g.avg_ttft_ms !== null && g.avg_ttft_ms !== undefined) { tw += ok; ts += ok * g.avg_ttft_ms; }
  }
  t.latency = lw ? ls / lw : null;
  t.ttft = tw ? ts / tw : null;
  return t;
}

// ---- The page -------------------------------------------------------------

export default function AiUsage() {
  const { timeZone, can } = useSession();
  const { query } = useLocation();
  const today = dayIn(new Date().toISOString(), timeZone);
  const isDay = (d: string | null): d is string => !!d && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d));
  const from = isDay(query.get("from")) ? (query.get("from") as string) : monthStart(today);
  const to = isDay(query.get("to")) ? (query.get("to") as string) : today;
  const groupBy = GROUPS.find((g) => g.value === query.get("group_by"))?.value ?? "day";
  const metric = METRICS.find((m) => m.value === query.get("show"))?.value ?? "calls";
  const rangeError = from > to ? "The end is before the start." : undefined;

  const report = useLoad(
    () =>
      rangeError
        ? Promise.resolve(null)
        : call(api.GET("/api/v1/ai/usage", { params: { query: { from: startOfDay(from, timeZone), to: startOfDay(addDays(to, 1), timeZone), group_by: groupBy } } })),
    [from, to, groupBy, timeZone, rangeError],
  );
  const policy = useLoad(() => (can("ai:admin") ? call(api.GET("/api/v1/ai/policy")) : Promise.resolve(null)), []);
  const serverFields = report.error?.fields() ?? {};
  const groups = report.data?.groups ?? [];

  return (
    <>
      <PageHeader title="Usage" description={`AI calls made by the company: tokens, cost and speed. Days are chosen in ${timeZone}.`} />
      <Filters from={from} to={to} today={today} groupBy={groupBy} metric={metric} errors={{ from: serverFields.from, to: rangeError ?? serverFields.to }} />
      {report.data ? (
        <section className="card" aria-labelledby="month-h">
          <h2 id="month-h" style={{ marginTop: 0 }}>This month's budget</h2>
          <BudgetMeter
            spend={report.data.month_spend}
            budget={report.data.monthly_budget}
            softPct={policy.data?.soft_limit_pct ?? null}
            action={can("ai:admin") ? <p><Link href="/ai/policy">Change the budget</Link> (under Routing &amp; budget)</p> : null}
          />
        </section>
      ) : null}
      {report.loading && report.data ? (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Updating…
        </p>
      ) : null}
      {rangeError ? null : (
        <States
          loading={report.loading}
          error={report.error}
          empty={groups.length === 0}
          emptyText={
            <>
              No AI calls from {formatDate(`${from}T12:00:00Z`, "UTC")} to {formatDate(`${to}T12:00:00Z`, "UTC")}.
              {can("ai:use") ? <> <Link href="/playground">Send a test message</Link>.</> : null}
            </>
          }
          onRetry={report.reload}
        >
          <TotalsView totals={totalsOf(groups)} />
          <section className="card" aria-labelledby="chart-h">
            <h2 id="chart-h" style={{ marginTop: 0 }}>
              {METRICS.find((m) => m.value === metric)?.label} per {GROUPS.find((g) => g.value === groupBy)?.noun}
            </h2>
            <UsageChart groups={groups} groupBy={groupBy} metric={metric} from={report.data?.from} to={report.data?.to} />
          </section>
          <UsageTable groups={sorted(groups, groupBy, metric)} groupBy={groupBy} />
        </States>
      )}
    </>
  );
}

function sorted(groups: Group[], by: GroupBy, metric: Metric): Group[] {
  return by === "day" ? groups : [...groups].sort((a, b) => metricOf(b, metric) - metricOf(a, metric) || a.key.localeCompare(b.key));
}

function Filters({ from, to, today, groupBy, metric, errors }: { from: string; to: string; today: string; groupBy: GroupBy; metric: Metric; errors: { from?: string; to?: string } }) {
  const lastMonth = addDays(monthStart(today), -1);
  const presets: [string, string, string][] = [
    ["This month", monthStart(today), today],
    ["Last month", monthStart(lastMonth), monthEnd(lastMonth)],
    ["Last 7 days", addDays(today, -6), today],
    ["Last 30 days", addDays(today, -29), today],
  ];
  return (
    <form className="card" role="search" aria-label="Usage range" onSubmit={(e) => e.preventDefault()}>
      <div className="filters">
        <Field label="From" error={errors.from}>
          {(p) => <input {...p} type="date" value={from} max={to} required onChange={(e) => setQuery({ from: e.target.value })} />}
        </Field>
        <Field label="To" error={errors.to}>
          {(p) => <input {...p} type="date" value={to} min={from} required onChange={(e) => setQuery({ to: e.target.value })} />}
        </Field>
        <Field label="Group by">
          {(p) => (
            <select {...p} value={groupBy} onChange={(e) => setQuery({ group_by: e.target.value === "day" ? null : e.target.value })}>
              {GROUPS.map((g) => (
                <option key={g.value} value={g.value}>
                  {g.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Chart">
          {(p) => (
            <select {...p} value={metric} onChange={(e) => setQuery({ show: e.target.value === "calls" ? null : e.target.value })}>
              {METRICS.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="row" role="group" aria-label="Quick ranges">
        {presets.map(([label, f, t]) => (
          <button key={label} type="button" className="btn btn-ghost" aria-pressed={f === from && t === to} onClick={() => setQuery({ from: f, to: t })}>
            {label}
          </button>
        ))}
      </div>
    </form>
  );
}

function Stat({ label, value, note }: { label: string; value: ReactNode; note?: string }) {
  return (
    <div className="card" style={{ margin: 0, flex: "1 1 9.5rem", padding: ".75rem 1rem" }}>
      <dt className="muted">{label}</dt>
      <dd style={{ margin: 0, fontSize: "1.35rem", fontWeight: 600 }}>{value}</dd>
      {note ? <dd className="hint" style={{ margin: 0 }}>{note}</dd> : null}
    </div>
  );
}

function TotalsView({ totals: t }: { totals: Totals }) {
  const pct = (n: number) => (t.calls ? `${Math.round((n / t.calls) * 100)} % of calls` : undefined);
  return (
    <section aria-labelledby="totals-h" style={{ marginBottom: "1rem" }}>
      <h2 id="totals-h" className="visually-hidden">Totals</h2>
      <dl className="row" style={{ alignItems: "stretch", margin: 0 }}>
        <Stat label="Calls" value={formatNumber(t.calls)} />
        <Stat label="Tokens in" value={formatNumber(t.prompt)} />
        <Stat label="Tokens out" value={formatNumber(t.completion)} />
        <Stat label="Cost" value={usd(t.cost)} />
        <Stat label="Errors" value={formatNumber(t.errors)} note={pct(t.errors)} />
        <Stat label="From the cache" value={formatNumber(t.cached)} note={pct(t.cached)} />
        <Stat label="Average latency" value={ms(t.latency)} note="successful calls" />
        <Stat label="Time to first token" value={ms(t.ttft)} note="average" />
      </dl>
    </section>
  );
}

function UsageChart({ groups, groupBy, metric, from, to }: { groups: Group[]; groupBy: GroupBy; metric: Metric; from?: string; to?: string }) {
  const cost = metric === "cost";
  const max = Math.max(0, ...groups.map((g) => metricOf(g, metric)));
  const format = cost ? (v: number) => (max < 1 ? preciseUsd.format(v) : usd(v)) : (v: number) => formatNumber(v);
  let data: Datum[];
  if (groupBy === "day") {
    // The server groups by UTC day; days without calls are shown as zero.
    const byKey = new Map(groups.map((g) => [g.key, g]));
    const last = to ? dayIn(new Date(new Date(to).getTime() - 1).toISOString(), "UTC") : undefined;
    const todayUtc = dayIn(new Date().toISOString(), "UTC");
    const days = from && last ? daysBetween(dayIn(from, "UTC"), last < todayUtc ? last : todayUtc) : null;
    const keys = days && groups.every((g) => days.includes(g.key)) ? days : groups.map((g) => g.key);
    data = keys.map((k) => {
      const g = byKey.get(k);
      return { label: k, tick: shortDay.format(new Date(`${k}T00:00:00Z`)), value: g ? metricOf(g, metric) : 0 };
    });
  } else {
    data = sorted(groups, groupBy, metric).map((g) => ({ label: g.key || "(none)", value: metricOf(g, metric) }));
  }
  const title = `${METRICS.find((m) => m.value === metric)?.label} per ${GROUPS.find((g) => g.value === groupBy)?.noun}`;
  return (
    <>
      <BarChart title={title} data={data} format={format} layout={groupBy === "day" ? "columns" : "bars"} integer={!cost} noun={groupBy === "day" ? ["day", "days"] : [groupBy, `${groupBy}s`]} />
      <p className="hint">The table below has the same numbers.</p>
    </>
  );
}

const ROW_HEAD = { background: "transparent", color: "var(--text)", fontSize: "inherit", whiteSpace: "nowrap" } as const;

function UsageTable({ groups, groupBy }: { groups: Group[]; groupBy: GroupBy }) {
  const t = totalsOf(groups);
  const head = GROUPS.find((g) => g.value === groupBy)?.label ?? "Group";
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={`Usage by ${head.toLowerCase()}`}>
      <table>
        <caption className="visually-hidden">Usage by {head.toLowerCase()}</caption>
        <thead>
          <tr>
            <th scope="col">{groupBy === "day" ? "Day (UTC)" : head}</th>
            <th scope="col" className="num">Calls</th>
            <th scope="col" className="num">Errors</th>
            <th scope="col" className="num">Cached</th>
            <th scope="col" className="num">Tokens in</th>
            <th scope="col" className="num">Tokens out</th>
            <th scope="col" className="num">Cost</th>
            <th scope="col" className="num">Avg latency</th>
            <th scope="col" className="num">Avg first token</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g, i) => (
            <tr key={g.key}>
              <th scope="row" style={i === groups.length - 1 ? { ...ROW_HEAD, borderBottom: 0 } : ROW_HEAD}>
                {groupBy === "day" ? g.key : <code>{g.key || "(none)"}</code>}
              </th>
              <td className="num">{formatNumber(g.calls)}</td>
              <td className="num">{formatNumber(g.errors)}</td>
              <td className="num">{formatNumber(g.cached)}</td>
              <td className="num">{formatNumber(g.prompt_tokens)}</td>
              <td className="num">{formatNumber(g.completion_tokens)}</td>
              <td className="num" title={preciseUsd.format(Number(g.cost))}>{usd(g.cost)}</td>
              <td className="num">{ms(g.avg_latency_ms)}</td>
              <td className="num">{ms(g.avg_ttft_ms)}</td>
            </tr>
          ))}
        </tbody>
        {groups.length > 1 ? (
          <tfoot>
            <tr>
              <th scope="row" style={ROW_HEAD}>Total</th>
              <td className="num">{formatNumber(t.calls)}</td>
              <td className="num">{formatNumber(t.errors)}</td>
              <td className="num">{formatNumber(t.cached)}</td>
              <td className="num">{formatNumber(t.prompt)}</td>
              <td className="num">{formatNumber(t.completion)}</td>
              <td className="num">{usd(t.cost)}</td>
              <td className="num">{ms(t.latency)}</td>
              <td className="num">{ms(t.ttft)}</td>
            </tr>
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}

