// GST returns on the GST page: GSTR-1 (the month's outward supplies by
// section, checked against the sales register, with the portal's JSON and
// the offline tool's CSVs) and GSTR-3B (the summary, and the tax payable
// once credit is set off).
import { useState } from "react";
import type { ReactNode } from "react";
import { api, call } from "../api/client";
import { useSession } from "../auth/session";
import { formatMoney, formatNumber } from "../format";
import { Alert, Button, Field, States } from "../ui";
import { useLoad } from "../ui/hooks";
import { humaneProblem, sentence } from "../ui/problems";
import {
  FLAG_KINDS,
  GSTR1_SECTIONS,
  HEAD_NAMES,
  HEAD_ORDER,
  ITC_TYPES,
  csvSections,
  gstr1Gaps,
  gstr3bFileName,
  isPeriod,
  monthOf,
  paidFromCredit,
  periodName,
  portalPeriod,
  previousMonth,
  utilisationWords,
  type CsvSection,
  type Gstr1Report,
  type Gstr3bReport,
  type PortalTax,
  type TaxHeads,
} from "./gst";
import { isZero, sumAmounts } from "./money";
import { CsvButton, qs, rupees, saveFile, stateName, today } from "./parts";

/** An amount of the portal's JSON (a number), "—" when it has none. */
function amount(n: number | undefined): string {
  return n === undefined || n === null ? "—" : formatMoney(n);
}

/** The month a return is for: this month at most, from July 2017. */
function PeriodField({ value, onChange, max }: { value: string; onChange: (v: string) => void; max: string }) {
  const error = value === "" ? "Choose a month." : isPeriod(value) ? undefined : "Give the month as YYYY-MM.";
  return (
    <Field label="Return period" error={error}>
      {(p) => <input {...p} type="month" min="2017-07" max={max} placeholder="YYYY-MM" value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

/** A return's period (the previous month to begin with) and its report, loaded on change. */
function useReturn<T extends { period: string }>(load: (period: string) => Promise<T>) {
  const { timeZone } = useSession();
  const now = today(timeZone);
  const [period, setPeriod] = useState(() => previousMonth(now));
  const loaded = useLoad(async () => {
    if (!isPeriod(period)) return null;
    try {
      return await load(period);
    } catch (e) {
      throw humaneProblem(e);
    }
  }, [period]);
  // The answer says which month it is: while another loads, the previous
  // month's figures are never shown as the new one's.
  const report = loaded.data && loaded.data.period === period ? loaded.data : undefined;
  return { period, setPeriod, max: monthOf(now), loaded, report };
}

/** A table's frame: it scrolls sideways on a narrow screen, so it can be focused and scrolled with the keyboard. */
function scrollable(label: string) {
  return { tabIndex: 0, role: "group", "aria-label": label } as const;
}

function NumHead({ children }: { children: ReactNode }) {
  return (
    <th scope="col" className="num">
      {children}
    </th>
  );
}

// ── GSTR-1 ────────────────────────────────────────────────────────────────

export function Gstr1Section() {
  const r = useReturn((period) => call(api.GET("/api/v1/gst/gstr1", { params: { query: { period } } })));
  return (
    <section aria-labelledby="gstr1-h" className="gst-return">
      <h2 id="gstr1-h">GSTR-1</h2>
      <p className="muted">The month&apos;s outward supplies, section by section as the GST portal takes them, checked against the sales register.</p>
      <div className="filters">
        <PeriodField value={r.period} onChange={r.setPeriod} max={r.max} />
      </div>
      <States loading={r.loaded.loading} error={r.loaded.error} empty={!r.report} emptyText={isPeriod(r.period) ? "" : "Choose the month to prepare."} onRetry={r.loaded.reload}>
        {r.report ? <Gstr1Body report={r.report} /> : null}
      </States>
    </section>
  );
}

function Gstr1Body({ report: r }: { report: Gstr1Report }) {
  const sections = csvSections(r.period);
  const [chosen, setChosen] = useState<CsvSection>("b2b");
  const section = sections.some(([k]) => k === chosen) ? chosen : "b2b";
  const gaps = r.reconciled ? [] : gstr1Gaps(r);
  const row = (key: string) => r.sections.find((s) => s.section === key);
  const reg = r.register;
  const figures = (t: { taxable_value: string; igst: string; cgst: string; sgst: string; cess: string } | undefined) => (
    <>
      <td className="num">{rupees(t?.taxable_value)}</td>
      <td className="num">{rupees(t?.igst)}</td>
      <td className="num">{rupees(t?.cgst)}</td>
      <td className="num">{rupees(t?.sgst)}</td>
      <td className="num">{rupees(t?.cess)}</td>
    </>
  );
  const total = row("all");
  return (
    <div data-period={r.period}>
      {r.reconciled ? (
        <Alert kind="success">
          <p>
            Reconciled with the sales register: every section and the HSN summary add up to its {formatNumber(reg.documents)}{" "}
            {reg.documents === 1 ? "document" : "documents"} of {periodName(r.period)}, to the paisa.
          </p>
        </Alert>
      ) : (
        <Alert kind="warning">
          <p>Does not match the sales register{gaps.length > 0 ? ":" : "."}</p>
          {gaps.length > 0 ? (
            <ul>
              {gaps.map((g) => (
                <li key={`${g.what}-${g.figure}`}>
                  {g.what} · {g.figure}: {rupees(g.ours)} against {rupees(g.register)} in the register (difference {rupees(g.difference)})
                </li>
              ))}
            </ul>
          ) : null}
        </Alert>
      )}
      <div className="table-wrap gst-gap" {...scrollable("GSTR-1 sections")}>
        <table className="gst-table">
          <caption className="visually-hidden">GSTR-1 sections</caption>
          <thead>
            <tr>
              <th scope="col">Section</th>
              <NumHead>Records</NumHead>
              <NumHead>Taxable value</NumHead>
              <NumHead>IGST</NumHead>
              <NumHead>CGST</NumHead>
              <NumHead>SGST/UTGST</NumHead>
              <NumHead>Cess</NumHead>
            </tr>
          </thead>
          <tbody>
            {GSTR1_SECTIONS.filter(([k]) => k !== "all").map(([k, name]) => {
              const t = row(k);
              return (
                <tr key={k} data-section={k}>
                  <th scope="row">{name}</th>
                  <td className="num">{t ? formatNumber(t.records) : "—"}</td>
                  {figures(t)}
                </tr>
              );
            })}
          </tbody>
          <tfoot>
            <tr data-section="all">
              <th scope="row">Total</th>
              <td className="num">{total ? formatNumber(total.records) : "—"}</td>
              {figures(total)}
            </tr>
            <tr data-section="register">
              <th scope="row">Sales register</th>
              <td className="num">{formatNumber(reg.documents)}</td>
              {figures({ ...reg, sgst: sumAmounts([reg.sgst, reg.utgst]) })}
            </tr>
          </tfoot>
        </table>
      </div>
      <p className="hint">Records are documents (rows, for the HSN summary); credit notes subtract. The total is of the document sections; the HSN summary is checked against it.</p>
      {r.flags.length > 0 ? (
        <>
          <h3>Before filing</h3>
          <ul className="gst-flags">
            {r.flags.map((f, i) => (
              <li key={`${f.number}-${i}`}>
                <strong>{f.number}</strong> <span className="muted">{FLAG_KINDS[f.kind] ?? f.kind}</span>
                <p>{sentence(f.message)}</p>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Files for the GST portal</h3>
      <p className="muted">The JSON uploads on the GST portal as it is; each CSV has the columns of the GST offline tool.</p>
      <div className="filters">
        <CsvButton
          url={`/api/v1/gst/gstr1/portal.json${qs({ period: r.period })}`}
          fileName={`GSTR1_${r.gstin}_${portalPeriod(r.period)}.json`}
          label="Download JSON for the GST portal"
          serverName
        />
      </div>
      <div className="filters">
        <Field label="CSV section">
          {(p) => (
            <select {...p} value={section} onChange={(e) => setChosen(e.target.value as CsvSection)}>
              {sections.map(([k, name]) => (
                <option key={k} value={k}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <CsvButton url={`/api/v1/gst/gstr1/csv${qs({ period: r.period, section })}`} fileName={`GSTR1_${r.gstin}_${r.period}_${section}.csv`} serverName />
      </div>
    </div>
  );
}

// ── GSTR-3B ───────────────────────────────────────────────────────────────

export function Gstr3bSection() {
  const r = useReturn(async (period) => (await call(api.GET("/api/v1/gst/gstr3b", { params: { query: { period } } }))) as unknown as Gstr3bReport);
  return (
    <section aria-labelledby="gstr3b-h" className="gst-return">
      <h2 id="gstr3b-h">GSTR-3B</h2>
      <p className="muted">The month&apos;s summary return: supplies, eligible input tax credit, and the tax to pay once credit is set off in the order the law sets.</p>
      <div className="filters">
        <PeriodField value={r.period} onChange={r.setPeriod} max={r.max} />
      </div>
      <States loading={r.loaded.loading} error={r.loaded.error} empty={!r.report} emptyText={isPeriod(r.period) ? "" : "Choose the month to prepare."} onRetry={r.loaded.reload}>
        {r.report ? <Gstr3bBody report={r.report} /> : null}
      </States>
    </section>
  );
}

const OUTWARD: [string, keyof NonNullable<Gstr3bReport["portal"]["sup_details"]>][] = [
  ["(a) Outward taxable supplies", "osup_det"],
  ["(b) Zero-rated supplies", "osup_zero"],
  ["(c) Nil-rated and exempt supplies", "osup_nil_exmp"],
  ["(d) Inward supplies liable to reverse charge", "isup_rev"],
  ["(e) Non-GST outward supplies", "osup_nongst"],
];

function TaxCells({ t, value = true }: { t: PortalTax | undefined; value?: boolean }) {
  return (
    <>
      {value ? <td className="num">{amount(t?.txval)}</td> : null}
      <td className="num">{amount(t?.iamt)}</td>
      <td className="num">{amount(t?.camt)}</td>
      <td className="num">{amount(t?.samt)}</td>
      <td className="num">{amount(t?.csamt)}</td>
    </>
  );
}

function HeadColumns() {
  return (
    <>
      <NumHead>IGST</NumHead>
      <NumHead>CGST</NumHead>
      <NumHead>SGST/UTGST</NumHead>
      <NumHead>Cess</NumHead>
    </>
  );
}

function Gstr3bBody({ report: r }: { report: Gstr3bReport }) {
  const p = r.portal ?? {};
  const sup = p.sup_details ?? {};
  const unreg = p.inter_sup?.unreg_details ?? [];
  const comp = p.inter_sup?.comp_details ?? [];
  const avl = p.itc_elg?.itc_avl ?? [];
  const rev = p.itc_elg?.itc_rev ?? [];
  const s = r.set_off;
  const total = (heads: TaxHeads) => sumAmounts(HEAD_ORDER.map((h) => heads[h]));
  const rcm = HEAD_ORDER.some((h) => !isZero(s.reverse_charge[h]));
  return (
    <div data-period={r.period}>
      <div className="filters">
        <Button onClick={() => saveFile(new Blob([JSON.stringify(r.portal, null, 2)], { type: "application/json" }), gstr3bFileName(r.gstin, r.period))}>Download JSON</Button>
      </div>

      <h3>3.1 Outward supplies and inward supplies liable to reverse charge</h3>
      <div className="table-wrap gst-gap" {...scrollable("3.1 Outward supplies and inward supplies liable to reverse charge")}>
        <table className="gst-table">
          <caption className="visually-hidden">3.1 Outward supplies and inward supplies liable to reverse charge</caption>
          <thead>
            <tr>
              <th scope="col">Nature of supplies</th>
              <NumHead>Taxable value</NumHead>
              <HeadColumns />
            </tr>
          </thead>
          <tbody>
            {OUTWARD.map(([name, k]) => (
              <tr key={k}>
                <th scope="row">{name}</th>
                <TaxCells t={sup[k]} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>3.2 Inter-state supplies to unregistered persons</h3>
      <InterState rows={unreg} caption="3.2 Inter-state supplies to unregistered persons" />
      {comp.length > 0 ? (
        <>
          <h4>To composition taxable persons</h4>
          <InterState rows={comp} caption="3.2 Inter-state supplies to composition taxable persons" />
        </>
      ) : null}

      <h3>4 Eligible ITC</h3>
      <div className="table-wrap gst-gap" {...scrollable("4 Eligible ITC")}>
        <table className="gst-table">
          <caption className="visually-hidden">4 Eligible ITC</caption>
          <thead>
            <tr>
              <th scope="col">Details</th>
              <HeadColumns />
            </tr>
          </thead>
          <tbody>
            {avl.map((t, i) => (
              <tr key={`avl-${t.ty ?? i}`}>
                <th scope="row">(A) {ITC_TYPES[t.ty ?? ""] ?? t.ty}</th>
                <TaxCells t={t} value={false} />
              </tr>
            ))}
            {rev.map((t, i) => (
              <tr key={`rev-${t.ty ?? i}`}>
                <th scope="row">(B) Reversed: {t.ty === "OTH" ? "Others" : (ITC_TYPES[t.ty ?? ""] ?? t.ty)}</th>
                <TaxCells t={t} value={false} />
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">(C) Net ITC available</th>
              <TaxCells t={p.itc_elg?.itc_net} value={false} />
            </tr>
          </tfoot>
        </table>
      </div>

      <h3>Tax payable</h3>
      <p className="muted">
        Credit is used in the order of section 49 and rule 88A: IGST credit first, then CGST and SGST/UTGST credit; cess credit only against cess. What is left is paid in
        cash.
      </p>
      <div className="table-wrap gst-gap" {...scrollable("Credit used")}>
        <table className="gst-table">
          <caption className="visually-hidden">Credit used</caption>
          <thead>
            <tr>
              <NumHead>Step</NumHead>
              <th scope="col">Credit used</th>
            </tr>
          </thead>
          <tbody>
            {s.utilised.length === 0 ? (
              <tr>
                <td colSpan={2} className="muted">
                  No credit used this month.
                </td>
              </tr>
            ) : null}
            {s.utilised.map((u, i) => (
              <tr key={i}>
                <td className="num">{i + 1}</td>
                <td>
                  {utilisationWords(u)}: {rupees(u.amount)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-wrap gst-gap" {...scrollable("Tax payable")}>
        <table className="gst-table">
          <caption className="visually-hidden">Tax payable</caption>
          <thead>
            <tr>
              <th scope="col">Head</th>
              <NumHead>Liability</NumHead>
              <NumHead>Paid from credit</NumHead>
              <NumHead>Paid in cash (incl. reverse charge)</NumHead>
              <NumHead>Credit carried forward</NumHead>
            </tr>
          </thead>
          <tbody>
            {HEAD_ORDER.map((h) => (
              <tr key={h} data-head={h}>
                <th scope="row">{HEAD_NAMES[h]}</th>
                <td className="num">{rupees(s.liability[h])}</td>
                <td className="num">{rupees(paidFromCredit(s, h))}</td>
                <td className="num">{rupees(s.cash[h])}</td>
                <td className="num">{rupees(s.carried_forward[h])}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num">{rupees(total(s.liability))}</td>
              <td className="num">{rupees(sumAmounts(HEAD_ORDER.map((h) => paidFromCredit(s, h))))}</td>
              <td className="num">{rupees(total(s.cash))}</td>
              <td className="num">{rupees(total(s.carried_forward))}</td>
            </tr>
          </tfoot>
        </table>
      </div>
      {rcm ? (
        <p className="hint">
          Paid in cash includes the tax on purchases under reverse charge ({HEAD_ORDER.filter((h) => !isZero(s.reverse_charge[h]))
            .map((h) => `${HEAD_NAMES[h]} ${rupees(s.reverse_charge[h])}`)
            .join(", ")}
          ), which credit cannot pay.
        </p>
      ) : null}
    </div>
  );
}

function InterState({ rows, caption }: { rows: PortalTax[]; caption: string }) {
  return (
    <div className="table-wrap gst-gap" {...scrollable(caption)}>
      <table className="gst-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Place of supply</th>
            <NumHead>Taxable value</NumHead>
            <NumHead>IGST</NumHead>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={3} className="muted">
                None this month.
              </td>
            </tr>
          ) : null}
          {rows.map((t, i) => (
            <tr key={`${t.pos ?? ""}-${i}`}>
              <th scope="row">{stateName(t.pos)}</th>
              <td className="num">{amount(t.txval)}</td>
              <td className="num">{amount(t.iamt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
