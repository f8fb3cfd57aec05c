// Payments: receipts from customers and payments to suppliers, with TDS and
// what is left unallocated (an advance, applied later from here).
import { useId, useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Alert, Button, Dialog, Field, PageHeader, Pager, States } from "../ui";
import { useForm, useLoad, usePaged } from "../ui/hooks";
import { humaneProblem, showProblem } from "../ui/problems";
import { toPaise } from "../ledger/money";
import { PaymentDialog } from "../ledger/payment";
import { FAMILY, MODES, rupees, type Payment } from "../ledger/parts";

export default function Payments() {
  const { can, timeZone } = useSession();
  const { query } = useLocation();
  const kind = (query.get("kind") ?? "") as "" | Schemas["PaymentKind"];
  const [recording, setRecording] = useState<Schemas["PaymentKind"] | null>(null);
  const [applying, setApplying] = useState<Payment | null>(null);
  const [notice, setNotice] = useState<string>();
  const list = usePaged((cursor) => call(api.GET("/api/v1/payments", { params: { query: { cursor, limit: 50, kind: kind || undefined } } })), [kind]);
  const writable = can("payments:create");
  return (
    <>
      <PageHeader
        title="Payments"
        description="Money received from customers and paid to suppliers, and the documents each settles."
        actions={
          writable ? (
            <>
              <Button variant="primary" onClick={() => setRecording("receipt")} aria-haspopup="dialog">
                Record receipt
              </Button>
              <Button onClick={() => setRecording("payment")} aria-haspopup="dialog">
                Record payment
              </Button>
            </>
          ) : null
        }
      />
      <div className="filters">
        <Field label="Show">
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setQuery({ kind: e.target.value })}>
              <option value="">Receipts and payments</option>
              <option value="receipt">Receipts</option>
              <option value="payment">Payments</option>
            </select>
          )}
        </Field>
      </div>
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText="No receipts or payments yet." onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Receipts and payments, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Kind</th>
                <th scope="col">Party</th>
                <th scope="col">Mode</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  TDS
                </th>
                <th scope="col">Settles</th>
                <th scope="col" className="num">
                  Unallocated
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((p) => (
                <tr key={p.id}>
                  <td>{formatDate(p.date, timeZone)}</td>
                  <td>{p.kind === "receipt" ? "Receipt" : "Payment"}</td>
                  <td>
                    <Link href={`/parties/${p.party_id}`}>{p.party_name}</Link>
                  </td>
                  <td>
                    {MODES.find(([m]) => m === p.mode)?.[1] ?? p.mode}
                    {p.reference ? <div className="muted">{p.reference}</div> : null}
                  </td>
                  <td className="num">{rupees(p.amount)}</td>
                  <td className="num">{Number(p.tds_amount) ? `${rupees(p.tds_amount)} (${p.tds_section})` : "—"}</td>
                  <td>
                    {p.allocations.length === 0
                      ? "—"
                      : p.allocations.map((a) => (
                          <div key={a.id}>
                            <Link href={`${p.kind === "receipt" ? FAMILY.invoices.path : FAMILY.bills.path}/${a.document_id}`}>{a.document_number ?? "Document"}</Link> {rupees(a.amount)}
                          </div>
                        ))}
                    {Number(p.opening_applied) ? <div className="muted">Opening balance {rupees(p.opening_applied)}</div> : null}
                  </td>
                  <td className="num">
                    {rupees(p.unallocated)}
                    {writable && (toPaise(p.unallocated) ?? 0) > 0 ? (
                      <div>
                        <Button onClick={() => setApplying(p)} aria-haspopup="dialog" aria-label={`Apply the advance of ${p.party_name}`}>
                          Apply
                        </Button>
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
      {recording ? (
        <PaymentDialog
          kind={recording}
          onClose={(saved) => {
            setRecording(null);
            if (saved) {
              setNotice(`${saved.kind === "receipt" ? "Receipt" : "Payment"} of ${rupees(saved.amount)} recorded.`);
              list.reload();
            }
          }}
        />
      ) : null}
      {applying ? (
        <ApplyDialog
          payment={applying}
          onClose={(done) => {
            setApplying(null);
            if (done) {
              setNotice("The advance was applied.");
              list.reload();
            }
          }}
        />
      ) : null}
    </>
  );
}

/** Applies what a payment left unallocated to the party's open documents. */
function ApplyDialog({ payment, onClose }: { payment: Payment; onClose: (done: boolean) => void }) {
  const formId = useId();
  const path = payment.kind === "receipt" ? "/api/v1/invoices" : "/api/v1/bills";
  const open = useLoad(
    async () =>
      (await call(api.GET(path as "/api/v1/invoices", { params: { query: { party_id: payment.party_id, limit: 100 } } }))).items.filter(
        (d) => ["issued", "partially_paid", "overdue"].includes(d.status) && Number(d.balance_due) > 0 && d.kind !== "credit_note",
      ),
    [payment.id],
  );
  const form = useForm<{ allocations: Record<string, string> }>({ allocations: {} }, ["allocations"]);
  const submit = async (el: HTMLFormElement) => {
    const ok = await form.submit(async (v) => {
      try {
        await call(
          api.POST("/api/v1/payments/{id}/allocations", {
            params: { path: { id: payment.id } },
            body: { allocations: Object.entries(v.allocations).filter(([, a]) => toPaise(a)).map(([document_id, amount]) => ({ document_id, amount: amount.trim() })) },
          }),
        );
      } catch (e) {
        throw humaneProblem(e);
      }
    });
    if (ok) onClose(true);
    else showProblem(el);
  };
  return (
    <Dialog
      open
      title="Apply advance"
      onClose={() => onClose(false)}
      footer={
        <>
          <Button onClick={() => onClose(false)}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            Apply
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        {form.failure ? <Alert>{form.failure}</Alert> : null}
        <p>
          {rupees(payment.unallocated)} of this {payment.kind} from {payment.party_name} is not yet allocated.
        </p>
        {form.errors.allocations ? <p className="error-text">{form.errors.allocations}</p> : null}
        <States loading={open.loading} error={open.error} empty={(open.data ?? []).length === 0} emptyText="Nothing of this party is open." onRetry={open.reload}>
          {(open.data ?? []).map((d) => (
            <Field key={d.id} label={`${d.number ?? "Draft"}, due ${rupees(d.balance_due)}`}>
              {(p) => (
                <input
                  {...p}
                  inputMode="decimal"
                  placeholder="0"
                  value={form.values.allocations[d.id] ?? ""}
                  onChange={(e) => form.set("allocations", { ...form.values.allocations, [d.id]: e.target.value })}
                />
              )}
            </Field>
          ))}
        </States>
      </form>
    </Dialog>
  );
}
