// Lists of invoices (with notes), quotations and purchase bills: filtered by
// status (and kind), searchable, newest first.
import { useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Alert, Button, Field, PageHeader, Pager, States } from "../ui";
import { humaneProblem } from "../ui/problems";
import { usePaged } from "../ui/hooks";
import { FAMILY, KIND_NAMES, STATUS_NAMES, StatusBadge, rupees, type DocStatus, type Family } from "../ledger/parts";

const STATUSES: Record<Family, DocStatus[]> = {
  invoices: ["draft", "issued", "partially_paid", "paid", "overdue", "cancelled"],
  quotations: ["draft", "issued", "converted", "expired", "cancelled"],
  bills: ["draft", "issued", "partially_paid", "paid", "overdue", "cancelled"],
};

type Summary = Schemas["DocumentSummary"];

function DocTable({ family, items, caption }: { family: Family; items: Summary[]; caption?: string }) {
  const f = FAMILY[family];
  const { timeZone } = useSession();
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption ?? `${f.title}, newest first`}</caption>
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Party</th>
            <th scope="col">Date</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Total
            </th>
            {family !== "quotations" ? (
              <th scope="col" className="num">
                Balance due
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id}>
              <td>
                <Link href={`${f.path}/${d.id}`}>{d.number ?? `Draft of ${formatDate(d.created_at, timeZone)}`}</Link>
                {family === "invoices" && d.kind !== "invoice" ? <div className="muted">{KIND_NAMES[d.kind]}</div> : null}
              </td>
              <td>{d.party_name}</td>
              <td>
                {formatDate(d.date, timeZone)}
                {d.due_date && family !== "quotations" ? <div className="muted">due {formatDate(d.due_date, timeZone)}</div> : null}
              </td>
              <td>
                <StatusBadge status={d.status} />
              </td>
              <td className="num">{rupees(d.total)}</td>
              {family !== "quotations" ? <td className="num">{rupees(d.balance_due)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const STATUS_WORDS: Record<string, string> = { issued: "issued", partially_paid: "partly paid", paid: "paid", overdue: "overdue", draft: "draft", cancelled: "cancelled" };

/** How a question was read, in words: "partly paid or overdue · Sharma Traders · from 1 Oct 2026 · above ₹50,000.00". */
function readAs(a: Schemas["InvoiceAnswer"], timeZone: string): string[] {
  const f = a.filters;
  const parts: string[] = [];
  if (f.statuses.length) parts.push(f.statuses.map((s) => STATUS_WORDS[s] ?? s).join(" or "));
  if (a.party_name) parts.push(a.party_name);
  if (f.number) parts.push(`number ${f.number}`);
  if (f.from && f.to) parts.push(`${formatDate(f.from, timeZone)} to ${formatDate(f.to, timeZone)}`);
  else if (f.from) parts.push(`from ${formatDate(f.from, timeZone)}`);
  else if (f.to) parts.push(`up to ${formatDate(f.to, timeZone)}`);
  if (f.min_total) parts.push(`at least ${rupees(f.min_total)}`);
  if (f.max_total) parts.push(`at most ${rupees(f.max_total)}`);
  return parts;
}

/** A question about invoices in plain words, answered with the filters it was read as. */
function Ask() {
  const { timeZone } = useSession();
  const [question, setQuestion] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<Schemas["InvoiceAnswer"] | null>(null);
  const ask = async () => {
    if (!question.trim()) return;
    setBusy(true);
    setError(null);
    try {
      setAnswer(await call(api.POST("/api/v1/invoices/search", { body: { query: question.trim() } })));
    } catch (e) {
      setAnswer(null);
      setError(humaneProblem(e).problem?.detail ?? "The question could not be asked.");
    } finally {
      setBusy(false);
    }
  };
  const read = answer ? readAs(answer, timeZone) : [];
  return (
    <section aria-labelledby="ask-h" className="ask">
      <h2 id="ask-h" className="visually-hidden">
        Ask about invoices
      </h2>
      <form
        className="filters"
        role="search"
        aria-label="Ask about invoices"
        onSubmit={(e) => {
          e.preventDefault();
          void ask();
        }}
      >
        <Field label="Ask in plain words" hint="For example: unpaid invoices of Sharma Traders above 50,000 from October">
          {(p) => <input {...p} type="search" value={question} onChange={(e) => setQuestion(e.target.value)} />}
        </Field>
        <Button type="submit" busy={busy}>
          Ask
        </Button>
      </form>
      {error ? <Alert>{error}</Alert> : null}
      {answer ? (
        <div className="answer" aria-live="polite">
          <p>
            <strong>Read as:</strong> {read.length ? read.join(" · ") : "every invoice"}
            {answer.read_by === "rules_and_model" && answer.model ? ` (with ${answer.model})` : ""}
            {" — "}
            {answer.items.length === 1 ? "1 invoice" : `${answer.items.length} invoices`}.{" "}
            <Button variant="ghost" onClick={() => setAnswer(null)}>
              Clear
            </Button>
          </p>
          {answer.notes.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
          {answer.items.length ? <DocTable family="invoices" items={answer.items} caption="Invoices matching the question" /> : null}
        </div>
      ) : null}
    </section>
  );
}

function DocList({ family }: { family: Family }) {
  const f = FAMILY[family];
  const { can } = useSession();
  const { query } = useLocation();
  const status = (query.get("status") ?? "") as DocStatus | "";
  const kind = query.get("kind") ?? "";
  const q = query.get("q") ?? "";
  const [search, setSearch] = useState(q);
  const list = usePaged(
    (cursor) =>
      call(
        api.GET(`/api/v1${f.path}` as "/api/v1/invoices", {
          params: { query: { cursor, limit: 50, status: status || undefined, q: q || undefined, kind: family === "invoices" && kind ? (kind as Schemas["DocKind"] as "invoice") : undefined } },
        }),
      ),
    [family, status, kind, q],
  );
  return (
    <>
      <PageHeader
        title={f.title}
        description={
          family === "invoices" ? "Tax invoices, bills of supply, credit and debit notes." : family === "quotations" ? "Quotations to customers; one accepted becomes an invoice." : "Bills from suppliers, with input tax."
        }
        actions={
          can(f.write) ? (
            <Link className="btn btn-primary" href={`${f.path}/new`}>
              New {f.one.toLowerCase()}
            </Link>
          ) : null
        }
      />
      {family === "invoices" && can("invoices:read") ? <Ask /> : null}
      <form
        className="filters"
        role="search"
        aria-label={`Filter ${f.title.toLowerCase()}`}
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ q: search.trim() });
        }}
      >
        <Field label="Search">{(p) => <input {...p} type="search" placeholder="Number or party" value={search} onChange={(e) => setSearch(e.target.value)} />}</Field>
        <Field label="Status">
          {(p) => (
            <select {...p} value={status} onChange={(e) => setQuery({ status: e.target.value })}>
              <option value="">Any status</option>
              {STATUSES[family].map((s) => (
                <option key={s} value={s}>
                  {STATUS_NAMES[s]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {family === "invoices" ? (
          <Field label="Kind">
            {(p) => (
              <select {...p} value={kind} onChange={(e) => setQuery({ kind: e.target.value })}>
                <option value="">Any kind</option>
                {(["invoice", "bill_of_supply", "credit_note", "debit_note"] as const).map((k) => (
                  <option key={k} value={k}>
                    {KIND_NAMES[k]}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <Button type="submit">Search</Button>
      </form>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText={status || q || kind ? `No ${f.title.toLowerCase()} match.` : `No ${f.title.toLowerCase()} yet.`} onRetry={list.reload}>
        <DocTable family={family} items={list.items} />
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
    </>
  );
}

export function Invoices() {
  return <DocList family="invoices" />;
}
export function Quotations() {
  return <DocList family="quotations" />;
}
export function Bills() {
  return <DocList family="bills" />;
}
