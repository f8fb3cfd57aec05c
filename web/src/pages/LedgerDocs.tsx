// Lists of invoices (with notes), quotations and purchase bills: filtered by
// status (and kind), searchable, newest first.
import { useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Button, Field, PageHeader, Pager, States } from "../ui";
import { usePaged } from "../ui/hooks";
import { FAMILY, KIND_NAMES, STATUS_NAMES, StatusBadge, rupees, type DocStatus, type Family } from "../ledger/parts";

const STATUSES: Record<Family, DocStatus[]> = {
  invoices: ["draft", "issued", "partially_paid", "paid", "overdue", "cancelled"],
  quotations: ["draft", "issued", "converted", "expired", "cancelled"],
  bills: ["draft", "issued", "partially_paid", "paid", "overdue", "cancelled"],
};

function DocList({ family }: { family: Family }) {
  const f = FAMILY[family];
  const { can, timeZone } = useSession();
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
      <form
        className="filters"
        role="search"
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
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{f.title}, newest first</caption>
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
              {list.items.map((d) => (
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
