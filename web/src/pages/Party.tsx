// One party: its details, what it owes now (outstanding, overdue, credit
// used) with its recent documents and receipts, and its statement for a
// period, downloadable as CSV. Archive keeps a party with history for its
// documents and hides it from new ones.
import { useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { Link, navigate } from "../router";
import { Alert, Badge, Button, Field, PageHeader, States, confirmAction } from "../ui";
import { toApiError, useLoad } from "../ui/hooks";
import { CsvButton, FAMILY, Figures, KIND_NAMES, StatusBadge, financialYearStart, familyOf, qs, rupees, stateName, today, type Party } from "../ledger/parts";
import { PartyDialog } from "./Parties";

export default function PartyPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? "";
  const { can } = useSession();
  const loaded = useLoad(() => call(api.GET("/api/v1/parties/{id}", { params: { path: { id } } })), [id]);
  const party = loaded.data;
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const archive = async (p: Party) => {
    if (!confirmAction(`Archive ${p.legal_name}? A party without history is deleted; one with history is kept for its documents and hidden from new ones.`)) return;
    setBusy(true);
    setNotice(null);
    try {
      await call(api.DELETE("/api/v1/parties/{id}", { params: { path: { id: p.id } } }));
      const again = await api.GET("/api/v1/parties/{id}", { params: { path: { id: p.id } } });
      if (again.response.status === 404) navigate("/parties", { replace: true });
      else {
        setNotice({ kind: "success", text: "Archived. Restore it to use it on new documents." });
        loaded.reload();
      }
    } catch (e) {
      setNotice({ kind: "error", text: toApiError(e).message });
    } finally {
      setBusy(false);
    }
  };
  const restore = async (p: Party) => {
    setBusy(true);
    setNotice(null);
    try {
      await call(api.POST("/api/v1/parties/{id}/restore", { params: { path: { id: p.id } } }));
      setNotice({ kind: "success", text: "Restored." });
      loaded.reload();
    } catch (e) {
      setNotice({ kind: "error", text: toApiError(e).message });
    } finally {
      setBusy(false);
    }
  };
  const writable = can("parties:update");
  return (
    <>
      <p>
        <Link href="/parties">← All parties</Link>
      </p>
      <PageHeader
        title={party?.legal_name ?? "Party"}
        description={party ? [party.is_customer ? "Customer" : "", party.is_supplier ? "Supplier" : "", party.gstin ? `GSTIN ${party.gstin}` : "Unregistered"].filter(Boolean).join(" · ") : undefined}
        actions={
          party ? (
            <>
              {party.is_customer && can("invoices:create") && !party.archived ? (
                <Link className="btn btn-primary" href={`/invoices/new?party=${party.id}`}>
                  New invoice
                </Link>
              ) : null}
              {writable ? (
                <>
                  <Button onClick={() => setEditing(true)} aria-haspopup="dialog">
                    Edit
                  </Button>
                  {party.archived ? (
                    <Button busy={busy} onClick={() => void restore(party)}>
                      Restore
                    </Button>
                  ) : (
                    <Button variant="danger" busy={busy} onClick={() => void archive(party)}>
                      Archive
                    </Button>
                  )}
                </>
              ) : null}
            </>
          ) : null
        }
      />
      <States loading={loaded.loading} error={loaded.error} empty={!party} emptyText="" onRetry={loaded.reload}>
        {party ? (
          <>
            {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
            {party.archived ? <Alert kind="warning">This party is archived: it is kept for its documents and cannot be used on new ones.</Alert> : null}
            <Details party={party} />
            {party.is_customer ? <Context id={party.id} /> : null}
            <Statement party={party} />
            {writable ? (
              <PartyDialog
                key={`${party.id}:${editing}`}
                open={editing}
                party={party}
                onClose={(saved) => {
                  setEditing(false);
                  if (saved) {
                    setNotice({ kind: "success", text: "Saved." });
                    loaded.reload();
                  }
                }}
              />
            ) : null}
          </>
        ) : null}
      </States>
    </>
  );
}

const REGISTRATIONS: Record<string, string> = {
  regular: "Regular",
  composition: "Composition",
  unregistered: "Unregistered business",
  consumer: "Consumer",
  overseas: "Overseas",
  sez: "SEZ",
};

function Details({ party }: { party: Party }) {
  const a = party.billing_address;
  const contact = party.contacts[0];
  return (
    <section className="card" aria-labelledby="party-details">
      <h2 id="party-details" className="card-title">
        Details
      </h2>
      <Figures
        rows={[
          ["Registration", REGISTRATIONS[party.registration] ?? party.registration],
          ["PAN", party.pan ?? "—"],
          ["State", stateName(party.state_code)],
          ["Billing address", [a.line1, a.line2, a.city, a.pincode].filter(Boolean).join(", ")],
          ["Payment terms", party.payment_terms_days == null ? "Company default" : `${party.payment_terms_days} days`],
          ["Credit limit", party.credit_limit ? rupees(party.credit_limit) : "No limit"],
          ["Opening balance", rupees(party.opening_balance)],
          ["Balance", rupees(party.balance)],
          ["Contact", contact ? [contact.name, contact.email, contact.phone].filter(Boolean).join(" · ") : "—"],
        ]}
      />
      {party.notes ? <p className="muted">{party.notes}</p> : null}
    </section>
  );
}

function Context({ id }: { id: string }) {
  const { timeZone } = useSession();
  const ctx = useLoad(() => call(api.GET("/api/v1/customers/{id}/context", { params: { path: { id } } })), [id]);
  const c = ctx.data;
  return (
    <section className="card" aria-labelledby="party-context">
      <h2 id="party-context" className="card-title">
        Owed now
      </h2>
      <States loading={ctx.loading} error={ctx.error} empty={!c} emptyText="" onRetry={ctx.reload}>
        {c ? (
          <>
            <Figures
              label="What the customer owes"
              rows={[
                ["Outstanding", rupees(c.outstanding)],
                ["Overdue", rupees(c.overdue)],
                ["Credit used", rupees(c.credit_used)],
                ["Credit available", c.credit_available ? rupees(c.credit_available) : "No limit"],
                ["Open documents", String(c.open_documents)],
                ["Oldest due", c.oldest_due ? formatDate(c.oldest_due, timeZone) : "—"],
              ]}
            />
            <h3>Recent documents</h3>
            {c.recent_documents.length === 0 ? (
              <p className="muted">No documents yet.</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <caption className="visually-hidden">Recent documents</caption>
                  <thead>
                    <tr>
                      <th scope="col">Document</th>
                      <th scope="col">Date</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">
                        Total
                      </th>
                      <th scope="col" className="num">
                        Balance due
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.recent_documents.map((d) => (
                      <tr key={d.id}>
                        <td>
                          <Link href={`${FAMILY[familyOf(d.kind)].path}/${d.id}`}>{d.number ?? `Draft ${KIND_NAMES[d.kind].toLowerCase()}`}</Link>
                        </td>
                        <td>{formatDate(d.date, timeZone)}</td>
                        <td>
                          <StatusBadge status={d.status} />
                        </td>
                        <td className="num">{rupees(d.total)}</td>
                        <td className="num">{rupees(d.balance_due)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h3>Recent receipts</h3>
            {c.recent_receipts.length === 0 ? (
              <p className="muted">No receipts yet.</p>
            ) : (
              <ul>
                {c.recent_receipts.map((r) => (
                  <li key={r.id}>
                    {formatDate(r.date, timeZone)}: {rupees(r.amount)} by {r.mode.replace("_", " ")}
                    {r.reference ? ` (${r.reference})` : ""}
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : null}
      </States>
    </section>
  );
}

function Statement({ party }: { party: Party }) {
  const { timeZone } = useSession();
  const now = today(timeZone);
  const [from, setFrom] = useState(financialYearStart(now));
  const [to, setTo] = useState(now);
  const st = useLoad(() => call(api.GET("/api/v1/parties/{id}/statement", { params: { path: { id: party.id }, query: { from: from || undefined, to: to || undefined } } })) as Promise<Schemas["Statement"]>, [party.id, from, to]);
  const s = st.data;
  return (
    <section className="card" aria-labelledby="party-statement">
      <h2 id="party-statement" className="card-title">
        Statement
      </h2>
      <div className="filters">
        <Field label="From">{(p) => <input {...p} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
        <Field label="To">{(p) => <input {...p} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}</Field>
        <CsvButton url={`/api/v1/parties/${party.id}/statement${qs({ from, to, format: "csv" })}`} fileName={`statement-${party.legal_name}.csv`} />
      </div>
      <States loading={st.loading} error={st.error} empty={!s} emptyText="" onRetry={st.reload}>
        {s ? (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">
                Statement of {s.party_name} from {s.from} to {s.to}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Particulars</th>
                  <th scope="col">Reference</th>
                  <th scope="col" className="num">
                    Debit
                  </th>
                  <th scope="col" className="num">
                    Credit
                  </th>
                  <th scope="col" className="num">
                    Balance
                  </th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td className="nowrap">{formatDate(s.from, timeZone)}</td>
                  <td colSpan={4}>Opening balance</td>
                  <td className="num">{rupees(s.opening)}</td>
                </tr>
                {s.lines.map((l, i) => (
                  <tr key={i}>
                    <td className="nowrap">{formatDate(l.date, timeZone)}</td>
                    <td>{l.narration}</td>
                    <td>{l.reference ?? ""}</td>
                    <td className="num">{Number(l.debit) ? rupees(l.debit) : ""}</td>
                    <td className="num">{Number(l.credit) ? rupees(l.credit) : ""}</td>
                    <td className="num">{rupees(l.balance)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <td className="nowrap">{formatDate(s.to, timeZone)}</td>
                  <td colSpan={4}>Closing balance</td>
                  <td className="num">{rupees(s.closing)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        ) : null}
      </States>
      {party.archived ? <Badge tone="warn">Archived</Badge> : null}
    </section>
  );
}
