// Recording a receipt (from a customer) or a payment (to a supplier):
// amount, mode, optional TDS (the section's amount suggested by the
// server), and how it is allocated across the party's open documents.
import { useEffect, useId, useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { Alert, Button, Dialog, Field } from "../ui";
import { toApiError, useForm, useLoad } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, showProblem } from "../ui/problems";
import { allocateOldestFirst, fromPaise, toPaise } from "./money";
import { MODES, TDS_SECTIONS, rupees, today, useParties, type Payment, type Summary } from "./parts";

interface Values {
  party_id: string;
  date: string;
  mode: Schemas["PaymentMode"];
  reference: string;
  amount: string;
  tds_section: string;
  tds_amount: string;
  tds_certificate: string;
  notes: string;
  allocations: Record<string, string>;
}

const OPEN: Schemas["DocStatus"][] = ["issued", "partially_paid", "overdue"];

/** The party's documents that still owe something, oldest first. */
function useOpenDocuments(kind: Schemas["PaymentKind"], partyId: string) {
  return useLoad(async () => {
    if (!partyId) return [] as Summary[];
    const path = kind === "receipt" ? "/api/v1/invoices" : "/api/v1/bills";
    const page = await call(api.GET(path as "/api/v1/invoices", { params: { query: { party_id: partyId, limit: 100 } } }));
    return page.items.filter((d) => OPEN.includes(d.status) && Number(d.balance_due) > 0 && d.kind !== "credit_note").sort((a, b) => a.date.localeCompare(b.date));
  }, [kind, partyId]);
}

export function PaymentDialog({
  kind,
  partyId,
  documentId,
  amount,
  onClose,
}: {
  kind: Schemas["PaymentKind"];
  partyId?: string;
  documentId?: string;
  amount?: string;
  onClose: (saved: Payment | null) => void;
}) {
  const { timeZone } = useSession();
  const formId = useId();
  const receipt = kind === "receipt";
  const parties = useParties(receipt ? "customer" : "supplier");
  const form = useForm<Values>(
    {
      party_id: partyId ?? "",
      date: today(timeZone),
      mode: "bank_transfer",
      reference: "",
      amount: amount ?? "",
      tds_section: "",
      tds_amount: "",
      tds_certificate: "",
      notes: "",
      allocations: documentId && amount ? { [documentId]: amount } : {},
    },
    ["party_id", "date", "mode", "reference", "amount", "tds_section", "tds_amount", "tds_certificate", "notes", "allocations"],
  );
  const v = form.values;
  const err = form.errors;
  const open = useOpenDocuments(kind, v.party_id);
  const [tdsNote, setTdsNote] = useState<string>();
  const [tdsBusy, setTdsBusy] = useState(false);
  // A new party's documents start unallocated.
  useEffect(() => {
    if (v.party_id !== (partyId ?? "")) form.set("allocations", {});
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [v.party_id]);
  const close = askBeforeClosing(form.dirty, () => onClose(null));
  const allocated = Object.values(v.allocations).reduce((a, x) => a + (toPaise(x) ?? 0), 0);
  const available = (toPaise(v.amount) ?? 0) + (toPaise(v.tds_amount) ?? 0);
  const suggestTds = async () => {
    if (!v.tds_section || !v.party_id) return;
    setTdsBusy(true);
    setTdsNote(undefined);
    try {
      const ids = Object.entries(v.allocations).filter(([, a]) => toPaise(a)).map(([id]) => id);
      const t = await call(api.POST("/api/v1/tds/preview", { body: { party_id: v.party_id, section: v.tds_section as Schemas["TdsSection"], document_ids: ids, date: v.date || null } }));
      form.set("tds_amount", t.amount);
      // What is received is what is owed less the tax deducted.
      if (documentId && amount && ids.length) form.set("amount", fromPaise((toPaise(amount) ?? 0) - (toPaise(t.amount) ?? 0)));
      setTdsNote(`${t.section} at ${Number(t.rate)}% on ${rupees(t.base)}: ${t.note}`);
    } catch (e) {
      setTdsNote(toApiError(e).message);
    } finally {
      setTdsBusy(false);
    }
  };
  const submit = async (el: HTMLFormElement) => {
    let saved: Payment | undefined;
    const body: Schemas["PaymentInput"] = {
      kind,
      party_id: v.party_id,
      date: v.date || null,
      mode: v.mode,
      reference: v.reference.trim() || null,
      amount: v.amount.trim(),
      tds_section: (v.tds_section || null) as Schemas["TdsSection"] | null,
      tds_amount: v.tds_amount.trim() || null,
      tds_certificate: v.tds_certificate.trim() || null,
      notes: v.notes.trim() || null,
      allocations: Object.entries(v.allocations)
        .filter(([, a]) => toPaise(a))
        .map(([document_id, a]) => ({ document_id, amount: a.trim() })),
    };
    const ok = await form.submit(async () => {
      try {
        saved = await call(api.POST("/api/v1/payments", { body }));
      } catch (e) {
        throw humaneProblem(e);
      }
    });
    if (ok && saved) onClose(saved);
    else showProblem(el);
  };
  const title = receipt ? "Record receipt" : "Record payment";
  return (
    <Dialog
      open
      title={title}
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            {title}
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
        <Field label={receipt ? "From customer" : "To supplier"} error={err.party_id}>
          {(p) => (
            <select {...p} value={v.party_id} disabled={Boolean(partyId)} onChange={(e) => form.set("party_id", e.target.value)}>
              <option value="">Choose…</option>
              {(parties.data ?? []).map((x) => (
                <option key={x.id} value={x.id}>
                  {x.legal_name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="grid-2">
          <Field label={receipt ? "Amount received (₹)" : "Amount paid (₹)"} error={err.amount}>
            {(p) => <input {...p} inputMode="decimal" value={v.amount} onChange={(e) => form.set("amount", e.target.value)} />}
          </Field>
          <Field label="Date" error={err.date}>
            {(p) => <input {...p} type="date" value={v.date} onChange={(e) => form.set("date", e.target.value)} />}
          </Field>
          <Field label="Mode" error={err.mode}>
            {(p) => (
              <select {...p} value={v.mode} onChange={(e) => form.set("mode", e.target.value as Schemas["PaymentMode"])}>
                {MODES.map(([m, n]) => (
                  <option key={m} value={m}>
                    {n}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Reference" hint="UTR, cheque number or similar." error={err.reference}>
            {(p) => <input {...p} value={v.reference} onChange={(e) => form.set("reference", e.target.value)} />}
          </Field>
        </div>
        <fieldset>
          <legend>TDS (optional)</legend>
          <div className="grid-2">
            <Field label="TDS section" error={err.tds_section}>
              {(p) => (
                <select {...p} value={v.tds_section} onChange={(e) => form.set("tds_section", e.target.value)}>
                  <option value="">No TDS</option>
                  {TDS_SECTIONS.map(([s, n]) => (
                    <option key={s} value={s}>
                      {n}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="TDS amount (₹)" error={err.tds_amount}>
              {(p) => <input {...p} inputMode="decimal" value={v.tds_amount} disabled={!v.tds_section} onChange={(e) => form.set("tds_amount", e.target.value)} />}
            </Field>
          </div>
          {v.tds_section ? (
            <>
              <div className="form-actions">
                <Button busy={tdsBusy} disabled={!v.party_id} onClick={() => void suggestTds()}>
                  Suggest TDS amount
                </Button>
              </div>
              {tdsNote ? (
                <p className="hint" role="status">
                  {tdsNote}
                </p>
              ) : null}
              <Field label="TDS certificate" hint="Optional: the Form 16A number." error={err.tds_certificate}>
                {(p) => <input {...p} value={v.tds_certificate} onChange={(e) => form.set("tds_certificate", e.target.value)} />}
              </Field>
            </>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Allocate to documents</legend>
          {err.allocations ? <p className="error-text">{err.allocations}</p> : null}
          {!v.party_id ? (
            <p className="muted">Choose the party to see its open documents.</p>
          ) : open.loading && !open.data ? (
            <p className="muted">Loading open documents…</p>
          ) : open.error ? (
            <Alert>{open.error.message}</Alert>
          ) : (open.data ?? []).length === 0 ? (
            <p className="muted">Nothing open: the whole amount is kept as an advance (or settles the opening balance).</p>
          ) : (
            <>
              <Button onClick={() => form.set("allocations", allocateOldestFirst(fromPaise(available), open.data ?? []))}>Allocate oldest first</Button>
              {(open.data ?? []).map((d) => (
                <Field key={d.id} label={`${d.number ?? "Draft"} (${formatDate(d.date, timeZone)}), due ${rupees(d.balance_due)}`}>
                  {(p) => <input {...p} inputMode="decimal" placeholder="0" value={v.allocations[d.id] ?? ""} onChange={(e) => form.set("allocations", { ...v.allocations, [d.id]: e.target.value })} />}
                </Field>
              ))}
              <p className={allocated > available ? "error-text" : "muted"}>
                Allocated {rupees(fromPaise(allocated))} of {rupees(fromPaise(available))}
                {allocated < available ? `; ${rupees(fromPaise(available - allocated))} is kept as an advance.` : "."}
              </p>
            </>
          )}
        </fieldset>
        <Field label="Notes" error={err.notes}>
          {(p) => <textarea {...p} rows={2} value={v.notes} onChange={(e) => form.set("notes", e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}
