// Reports from the books: trial balance, profit and loss, balance sheet,
// receivables and payables aging, sales and purchase registers, the HSN
// summary and the day book, for a period or as of a day, each also as CSV.
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Field, PageHeader, States } from "../ui";
import { BarChart } from "../ui/charts";
import { useLoad } from "../ui/hooks";
import { CsvButton, financialYearStart, qs, rupees, today } from "../ledger/parts";

type Report = "trial-balance" | "profit-and-loss" | "balance-sheet" | "receivables-aging" | "payables-aging" | "sales-register" | "purchase-register" | "hsn-summary" | "day-book";

const REPORTS: [Report, string, "period" | "as_of"][] = [
  ["trial-balance", "Trial balance", "period"],
  ["profit-and-loss", "Profit and loss", "period"],
  ["balance-sheet", "Balance sheet", "as_of"],
  ["receivables-aging", "Receivables aging", "as_of"],
  ["payables-aging", "Payables aging", "as_of"],
  ["sales-register", "Sales register", "period"],
  ["purchase-register", "Purchase register", "period"],
  ["hsn-summary", "HSN summary", "period"],
  ["day-book", "Day book", "period"],
];

export default function Reports() {
  const { timeZone } = useSession();
  const { query } = useLocation();
  const now = today(timeZone);
  const report = (REPORTS.find(([r]) => r === query.get("report"))?.[0] ?? "trial-balance") as Report;
  const [, name, span] = REPORTS.find(([r]) => r === report) ?? REPORTS[0]!;
  const from = query.get("from") ?? financialYearStart(now);
  const to = query.get("to") ?? now;
  const asOf = query.get("as_of") ?? now;
  const params = span === "period" ? { from, to } : { as_of: asOf };
  const url = `/api/v1/reports/${report}`;
  // The answer remembers which report it is: while another loads, the
  // previous one's figures are never drawn as the new one's.
  const loaded = useLoad(
    async () => ({ report, data: (await call(api.GET(url as "/api/v1/reports/trial-balance", { params: { query: params } }))) as unknown }),
    [url, JSON.stringify(params)],
  );
  return (
    <>
      <PageHeader title="Reports" description="Worked out from the books as they stand: every issued document, receipt, payment and journal." />
      <div className="filters">
        <Field label="Report">
          {(p) => (
            <select {...p} value={report} onChange={(e) => setQuery({ report: e.target.value })}>
              {REPORTS.map(([r, n]) => (
                <option key={r} value={r}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
        {span === "period" ? (
          <>
            <Field label="From">{(p) => <input {...p} type="date" value={from} onChange={(e) => setQuery({ from: e.target.value })} />}</Field>
            <Field label="To">{(p) => <input {...p} type="date" value={to} onChange={(e) => setQuery({ to: e.target.value })} />}</Field>
          </>
        ) : (
          <Field label="As of">{(p) => <input {...p} type="date" value={asOf} onChange={(e) => setQuery({ as_of: e.target.value })} />}</Field>
        )}
        <CsvButton url={`${url}${qs({ ...params, format: "csv" })}`} fileName={`${report}.csv`} />
      </div>
      <section aria-labelledby="report-h">
        <h2 id="report-h">{name}</h2>
        <States loading={loaded.loading} error={loaded.error} empty={loaded.data === undefined} emptyText="" onRetry={loaded.reload}>
          {loaded.data !== undefined && loaded.data.report === report && !loaded.loading ? <Body report={report} data={loaded.data.data} timeZone={timeZone} /> : null}
        </States>
      </section>
    </>
  );
}

function Body({ report, data, timeZone }: { report: Report; data: unknown; timeZone: string }) {
  switch (report) {
    case "trial-balance":
      return <TrialBalance tb={data as Schemas["TrialBalance"]} />;
    case "profit-and-loss": {
      const p = data as Schemas["ProfitAndLoss"];
      return (
        <>
          <Lines caption="Income" lines={p.income} total={["Total income", p.total_income]} />
          <Lines caption="Expenses" lines={p.expenses} total={["Total expenses", p.total_expenses]} />
          <p>
            <strong>Net profit: {rupees(p.net_profit)}</strong>
          </p>
        </>
      );
    }
    case "balance-sheet": {
      const b = data as Schemas["BalanceSheet"];
      return (
        <>
          <Lines caption="Assets" lines={b.assets} total={["Total assets", b.total_assets]} />
          <Lines caption="Liabilities" lines={b.liabilities} />
          <Lines caption="Equity" lines={b.equity} total={["Total liabilities and equity", b.total_liabilities_and_equity]} />
        </>
      );
    }
    case "receivables-aging":
    case "payables-aging":
      return <Aging aging={data as Schemas["Aging"]} />;
    case "sales-register":
    case "purchase-register":
      return <Register register={data as Schemas["Register"]} purchases={report === "purchase-register"} timeZone={timeZone} />;
    case "hsn-summary":
      return <Hsn rows={data as Schemas["HsnRow"][]} />;
    case "day-book":
      return <DayBook journals={data as Schemas["Journal"][]} timeZone={timeZone} />;
  }
}

function Table({ caption, head, children, foot }: { caption: string; head: (string | [string, "num"])[]; children: ReactNode; foot?: ReactNode }) {
  return (
    <div className="table-wrap" style={{ marginBottom: "1rem" }}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {head.map((h) =>
              typeof h === "string" ? (
                <th key={h} scope="col">
                  {h}
                </th>
              ) : (
                <th key={h[0]} scope="col" className="num">
                  {h[0]}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
        {foot ? <tfoot>{foot}</tfoot> : null}
      </table>
    </div>
  );
}

function Empty({ span, text = "Nothing in this period." }: { span: number; text?: string }) {
  return (
    <tr>
      <td colSpan={span} className="muted">
        {text}
      </td>
    </tr>
  );
}

function TrialBalance({ tb }: { tb: Schemas["TrialBalance"] }) {
  return (
    <Table
      caption={`Trial balance from ${tb.from} to ${tb.to}`}
      head={["Code", "Account", ["Opening", "num"], ["Debit", "num"], ["Credit", "num"], ["Closing", "num"]]}
      foot={
        <tr>
          <th scope="row" colSpan={3}>
            Total
          </th>
          <td className="num" data-total="debit">
            {rupees(tb.total_debit)}
          </td>
          <td className="num" data-total="credit">
            {rupees(tb.total_credit)}
          </td>
          <td className="num">
            Dr {rupees(tb.closing_debit)} / Cr {rupees(tb.closing_credit)}
          </td>
        </tr>
      }
    >
      {tb.rows.length === 0 ? <Empty span={6} /> : null}
      {tb.rows.map((r) => (
        <tr key={r.code}>
          <td>
            <code>{r.code}</code>
          </td>
          <td>{r.name}</td>
          <td className="num">{rupees(r.opening)}</td>
          <td className="num">{rupees(r.debit)}</td>
          <td className="num">{rupees(r.credit)}</td>
          <td className="num">{rupees(r.closing)}</td>
        </tr>
      ))}
    </Table>
  );
}

function Lines({ caption, lines, total }: { caption: string; lines: Schemas["ReportLine"][]; total?: [string, string] }) {
  return (
    <>
      <h3>{caption}</h3>
      <Table
        caption={caption}
        head={["Code", "Account", ["Amount", "num"]]}
        foot={
          total ? (
            <tr>
              <th scope="row" colSpan={2}>
                {total[0]}
              </th>
              <td className="num">{rupees(total[1])}</td>
            </tr>
          ) : undefined
        }
      >
        {lines.length === 0 ? <Empty span={3} text="None." /> : null}
        {lines.map((l) => (
          <tr key={l.code}>
            <td>
              <code>{l.code}</code>
            </td>
            <td>{l.name}</td>
            <td className="num">{rupees(l.amount)}</td>
          </tr>
        ))}
      </Table>
    </>
  );
}

const BUCKETS: [keyof Schemas["AgingBuckets"], string][] = [
  ["not_due", "Not due"],
  ["d0_30", "0–30 days"],
  ["d31_60", "31–60 days"],
  ["d61_90", "61–90 days"],
  ["d90_plus", "Over 90 days"],
  ["total", "Total"],
];

function Aging({ aging }: { aging: Schemas["Aging"] }) {
  // 0–30 includes what is not yet due, so the four buckets add up to the total.
  const data = BUCKETS.filter(([k]) => k !== "not_due" && k !== "total").map(([k, n]) => ({ label: n, value: Number(aging.total[k]) }));
  return (
    <>
    <BarChart title="Outstanding by days past due" data={data} format={(v) => rupees(String(v))} layout="columns" noun={["bucket", "buckets"]} />
    <Table
      caption={`Aging as of ${aging.as_of}`}
      head={["Party", ...BUCKETS.map(([, n]) => [n, "num"] as [string, "num"])]}
      foot={
        <tr>
          <th scope="row">Total</th>
          {BUCKETS.map(([k]) => (
            <td key={k} className="num">
              {rupees(aging.total[k])}
            </td>
          ))}
        </tr>
      }
    >
      {aging.parties.length === 0 ? <Empty span={7} text="Nothing outstanding." /> : null}
      {aging.parties.map((p) => (
        <tr key={p.party_id}>
          <td>
            <Link href={`/parties/${p.party_id}`}>{p.party_name}</Link>
          </td>
          {BUCKETS.map(([k]) => (
            <td key={k} className="num">
              {rupees(p[k])}
            </td>
          ))}
        </tr>
      ))}
    </Table>
    </>
  );
}

function Register({ register, purchases, timeZone }: { register: Schemas["Register"]; purchases: boolean; timeZone: string }) {
  const t = register.totals;
  return (
    <Table
      caption={`${purchases ? "Purchase" : "Sales"} register from ${register.from} to ${register.to}`}
      head={["Date", "Number", "Party", "GSTIN", "Place", ["Taxable value", "num"], ["CGST", "num"], ["SGST/UTGST", "num"], ["IGST", "num"], ["Cess", "num"], ["Total", "num"]]}
      foot={
        <tr>
          <th scope="row" colSpan={5}>
            {t.documents} documents
          </th>
          <td className="num">{rupees(t.taxable_value)}</td>
          <td className="num">{rupees(t.cgst)}</td>
          <td className="num">{rupees(String(Number(t.sgst) + Number(t.utgst)))}</td>
          <td className="num">{rupees(t.igst)}</td>
          <td className="num">{rupees(t.cess)}</td>
          <td className="num">{rupees(t.total)}</td>
        </tr>
      }
    >
      {register.rows.length === 0 ? <Empty span={11} /> : null}
      {register.rows.map((r) => (
        <tr key={r.document_id}>
          <td>{formatDate(r.doc_date, timeZone)}</td>
          <td>
            <Link href={`${purchases ? "/bills" : "/invoices"}/${r.document_id}`}>{r.number ?? "—"}</Link>
            {r.supplier_number ? <div className="muted">{r.supplier_number}</div> : null}
            {r.cancelled ? <div className="muted">Cancelled</div> : null}
          </td>
          <td>{r.party_name}</td>
          <td>{r.gstin ?? "—"}</td>
          <td>{r.place_of_supply}</td>
          <td className="num">{rupees(r.taxable_value)}</td>
          <td className="num">{rupees(r.cgst)}</td>
          <td className="num">{rupees(String(Number(r.sgst) + Number(r.utgst)))}</td>
          <td className="num">{rupees(r.igst)}</td>
          <td className="num">{rupees(r.cess)}</td>
          <td className="num">{rupees(r.total)}</td>
        </tr>
      ))}
    </Table>
  );
}

function Hsn({ rows }: { rows: Schemas["HsnRow"][] }) {
  const sum = (k: keyof Schemas["HsnRow"]) => String(rows.reduce((a, r) => a + Number(r[k]), 0));
  return (
    <Table
      caption="HSN summary"
      head={["HSN/SAC", "Description", "Unit", ["Quantity", "num"], ["Rate", "num"], ["Taxable value", "num"], ["IGST", "num"], ["CGST", "num"], ["SGST/UTGST", "num"], ["Total", "num"]]}
      foot={
        <tr>
          <th scope="row" colSpan={5}>
            Total
          </th>
          <td className="num">{rupees(sum("taxable_value"))}</td>
          <td className="num">{rupees(sum("igst"))}</td>
          <td className="num">{rupees(sum("cgst"))}</td>
          <td className="num">{rupees(String(Number(sum("sgst")) + Number(sum("utgst"))))}</td>
          <td className="num">{rupees(sum("total"))}</td>
        </tr>
      }
    >
      {rows.length === 0 ? <Empty span={10} /> : null}
      {rows.map((r, i) => (
        <tr key={i}>
          <td>
            <code>{r.hsn_sac}</code>
          </td>
          <td>{r.description}</td>
          <td>{r.unit}</td>
          <td className="num">{Number(r.quantity)}</td>
          <td className="num">{Number(r.gst_rate)}%</td>
          <td className="num">{rupees(r.taxable_value)}</td>
          <td className="num">{rupees(r.igst)}</td>
          <td className="num">{rupees(r.cgst)}</td>
          <td className="num">{rupees(String(Number(r.sgst) + Number(r.utgst)))}</td>
          <td className="num">{rupees(r.total)}</td>
        </tr>
      ))}
    </Table>
  );
}

function DayBook({ journals, timeZone }: { journals: Schemas["Journal"][]; timeZone: string }) {
  let debit = 0;
  let credit = 0;
  for (const j of journals)
    for (const l of j.lines) {
      debit += Number(l.debit);
      credit += Number(l.credit);
    }
  return (
    <Table
      caption="Day book"
      head={["Date", "Narration", "Account", ["Debit", "num"], ["Credit", "num"]]}
      foot={
        <tr>
          <th scope="row" colSpan={3}>
            Total
          </th>
          <td className="num">{rupees(debit.toFixed(2))}</td>
          <td className="num">{rupees(credit.toFixed(2))}</td>
        </tr>
      }
    >
      {journals.length === 0 ? <Empty span={5} /> : null}
      {journals.map((j) =>
        j.lines.map((l, i) => (
          <tr key={`${j.id}:${i}`}>
            <td>{i === 0 ? formatDate(j.date, timeZone) : ""}</td>
            <td>{i === 0 ? j.narration : ""}</td>
            <td>
              <code>{l.account_code}</code> {l.account_name}
            </td>
            <td className="num">{Number(l.debit) ? rupees(l.debit) : ""}</td>
            <td className="num">{Number(l.credit) ? rupees(l.credit) : ""}</td>
          </tr>
        )),
      )}
    </Table>
  );
}
