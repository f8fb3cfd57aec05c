// One invoice, note, quotation or purchase bill. A draft opens in the
// editor (save, issue, delete); once issued it is read-only: its number,
// party, lines, tax heads, totals and what is still owed, with the actions
// its state allows (record a receipt or payment, issue a credit note,
// convert a quotation, cancel with a reason), its e-invoice (IRN and
// signed QR code), its e-way bill and a printable layout.
import { useId, useState } from "react";
import { api, call } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate, formatDateTime, formatNumber } from "../format";
import { Link, navigate, useLocation } from "../router";
import { Alert, Button, Dialog, Field, PageHeader, States, confirmAction } from "../ui";
import { useForm, useLoad } from "../ui/hooks";
import { humaneProblem, showProblem } from "../ui/problems";
import { DocEditor, TaxSummary, newValues, valuesOfDoc } from "../ledger/editor";
import { EinvoiceSection } from "../ledger/einvoice";
import { EwayBillSection } from "../ledger/ewaybill";
import { PaymentDialog } from "../ledger/payment";
import { CsvButton, FAMILY, Figures, KIND_NAMES, StatusBadge, rupees, stateName, SUPPLY_TYPES, type DocKind, type Family, type LedgerDoc } from "../ledger/parts";

function NewDoc({ family }: { family: Family }) {
  const f = FAMILY[family];
  const { timeZone } = useSession();
  const { query } = useLocation();
  const kind = query.get("kind") as DocKind | null;
  const initial = newValues(family, timeZone, {
    party_id: query.get("party") ?? "",
    against_id: query.get("against") ?? "",
    ...(kind && family === "invoices" ? { kind } : {}),
  });
  return (
    <>
      <p>
        <Link href={f.path}>← All {f.title.toLowerCase()}</Link>
      </p>
      <PageHeader title={`New ${kind && family === "invoices" ? KIND_NAMES[kind].toLowerCase() : f.one.toLowerCase()}`} description="The tax is worked out by the server as you type; a draft can be changed until it is issued." />
      <DocEditor family={family} initial={initial} />
    </>
  );
}

export function NewInvoice() {
  return <NewDoc family="invoices" />;
}
export function NewQuotation() {
  return <NewDoc family="quotations" />;
}
export function NewBill() {
  return <NewDoc family="bills" />;
}

type Notice = { kind: "success" | "error" | "info"; text: string } | null;

function DocPage({ family, id }: { family: Family; id: string }) {
  const f = FAMILY[family];
  const { can } = useSession();
  const { query } = useLocation();
  const loaded = useLoad(async () => (await call(api.GET(`/api/v1${f.path}/{id}` as "/api/v1/invoices/{id}", { params: { path: { id } } }))) as unknown as LedgerDoc, [family, id]);
  const doc = loaded.data;
  const refused = query.get("refused");
  const [notice, setNotice] = useState<Notice>(refused ? { kind: "error", text: `Saved as a draft, but not issued: ${refused}` } : null);
  const [busy, setBusy] = useState<string>();
  const [dialog, setDialog] = useState<"pay" | "cancel" | "send" | null>(null);
  const writable = can(f.write);
  const run = async (name: string, work: () => Promise<void>) => {
    setBusy(name);
    setNotice(null);
    try {
      await work();
    } catch (e) {
      setNotice({ kind: "error", text: humaneProblem(e).message });
    } finally {
      setBusy(undefined);
    }
  };
  const path = { params: { path: { id } } };
  const issue = () =>
    run("issue", async () => {
      await call(api.POST(`/api/v1${f.path}/{id}/issue` as "/api/v1/invoices/{id}/issue", path));
      setNotice({ kind: "success", text: "Issued." });
      loaded.reload();
    });
  const remove = () => {
    if (!confirmAction("Delete this draft? This cannot be undone.")) return;
    void run("delete", async () => {
      await call(api.DELETE(`/api/v1${f.path}/{id}` as "/api/v1/invoices/{id}", path));
      navigate(f.path, { replace: true });
    });
  };
  const convert = () =>
    run("convert", async () => {
      const inv = (await call(api.POST("/api/v1/quotations/{id}/convert", path))) as unknown as LedgerDoc;
      navigate(`/invoices/${inv.id}`);
    });
  const title = doc ? (doc.number ?? `Draft ${KIND_NAMES[doc.kind].toLowerCase()}`) : f.one;
  const open = doc && ["issued", "partially_paid", "overdue"].includes(doc.status) && Number(doc.balance_due) > 0;
  const payable = doc && open && (doc.kind === "invoice" || doc.kind === "bill_of_supply" || doc.kind === "debit_note" || doc.kind === "purchase_bill");
  const actions = doc ? (
    <>
      {doc.status !== "draft" ? <Button onClick={() => window.print()}>Print</Button> : null}
      <CsvButton
        url={`/api/v1/${family}/${doc.id}/pdf?download=true`}
        fileName={`${(doc.number ?? "draft").replace(/[\\/]/g, "-")}.pdf`}
        label="Download PDF"
      />
      {family !== "bills" && doc.status !== "draft" && doc.status !== "cancelled" && can(f.issue) ? (
        <Button onClick={() => setDialog("send")} aria-haspopup="dialog">
          Email
        </Button>
      ) : null}
      {doc.status === "draft" && writable ? (
        <>
          {can(f.issue) && (doc.kind !== "credit_note" || can("invoices:credit")) ? (
            <Button variant="primary" busy={busy === "issue"} onClick={() => void issue()}>
              Issue
            </Button>
          ) : null}
          <Button variant="danger" busy={busy === "delete"} onClick={remove}>
            Delete draft
          </Button>
        </>
      ) : null}
      {payable && can("payments:create") ? (
        <Button variant="primary" onClick={() => setDialog("pay")} aria-haspopup="dialog">
          {doc.kind === "purchase_bill" ? "Record payment" : "Record receipt"}
        </Button>
      ) : null}
      {doc.kind === "invoice" && doc.status !== "draft" && doc.status !== "cancelled" && can("invoices:credit") ? (
        <Link className="btn" href={`/invoices/new?kind=credit_note&party=${doc.party_id}&against=${doc.id}`}>
          Issue credit note
        </Link>
      ) : null}
      {doc.kind === "quotation" && doc.status === "issued" && can("invoices:create") ? (
        <Button variant="primary" busy={busy === "convert"} onClick={() => void convert()}>
          Convert to invoice
        </Button>
      ) : null}
      {doc.status !== "draft" && doc.status !== "cancelled" && doc.status !== "converted" && can(f.cancel) ? (
        <Button variant="danger" onClick={() => setDialog("cancel")} aria-haspopup="dialog">
          Cancel {f.one.toLowerCase()}
        </Button>
      ) : null}
    </>
  ) : null;
  return (
    <>
      <p className="no-print">
        <Link href={f.path}>← All {f.title.toLowerCase()}</Link>
      </p>
      <PageHeader title={title} description={doc ? `${KIND_NAMES[doc.kind]} · ${doc.party_name}` : undefined} actions={actions} />
      <States loading={loaded.loading} error={loaded.error} empty={!doc} emptyText="" onRetry={loaded.reload}>
        {doc ? (
          <>
            {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
            {doc.status === "draft" && writable ? (
              <DocEditor
                key={doc.id + doc.created_at}
                family={family}
                doc={doc}
                initial={valuesOfDoc(doc)}
                onSaved={(d) => {
                  setNotice({ kind: "success", text: d.status === "draft" ? "Draft saved." : "Issued." });
                  loaded.reload();
                }}
              />
            ) : (
              <ReadOnly doc={doc} />
            )}
            {family === "invoices" && doc.status !== "draft" ? <EinvoiceSection doc={doc} onChanged={loaded.reload} /> : null}
            {family === "invoices" && doc.status !== "draft" && (doc.kind === "invoice" || doc.kind === "bill_of_supply") ? <EwayBillSection doc={doc} /> : null}
            {dialog === "pay" ? (
              <PaymentDialog
                kind={doc.kind === "purchase_bill" ? "payment" : "receipt"}
                partyId={doc.party_id}
                documentId={doc.id}
                amount={doc.balance_due}
                onClose={(saved) => {
                  setDialog(null);
                  if (saved) {
                    setNotice({ kind: "success", text: `${saved.kind === "receipt" ? "Receipt" : "Payment"} of ${rupees(saved.amount)} recorded.` });
                    loaded.reload();
                  }
                }}
              />
            ) : null}
            {dialog === "send" ? (
              <SendDialog
                family={family}
                doc={doc}
                onClose={(to) => {
                  setDialog(null);
                  if (to) setNotice({ kind: "success", text: `Sent to ${to} with its PDF attached.` });
                }}
              />
            ) : null}
            {dialog === "cancel" ? (
              <CancelDialog
                family={family}
                doc={doc}
                onClose={(done) => {
                  setDialog(null);
                  if (done) {
                    setNotice({ kind: "success", text: "Cancelled." });
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

function ReadOnly({ doc }: { doc: LedgerDoc }) {
  const { timeZone } = useSession();
  const snap = doc.party_snapshot;
  return (
    <>
      {doc.status === "cancelled" ? <Alert kind="warning">Cancelled{doc.cancel_reason ? `: ${doc.cancel_reason}` : "."}</Alert> : null}
      <section className="card" aria-labelledby="doc-summary">
        <h2 id="doc-summary" className="card-title">
          Summary
        </h2>
        <p className="print-only">
          <strong>{KIND_NAMES[doc.kind]}</strong> {doc.number}
        </p>
        <Figures
          rows={[
            ["Status", <StatusBadge key="s" status={doc.status} />],
            ["Number", doc.number ?? "Not issued"],
            ["Party", <Link key="p" href={`/parties/${doc.party_id}`}>{doc.party_name}</Link>],
            ["GSTIN", snap?.gstin ?? "—"],
            ["Date", formatDate(doc.date, timeZone)],
            doc.kind === "quotation" ? ["Valid until", formatDate(doc.valid_until, timeZone)] : ["Due date", formatDate(doc.due_date, timeZone)],
            ["Place of supply", stateName(doc.place_of_supply)],
            ["Supply type", SUPPLY_TYPES.find(([k]) => k === doc.supply_type)?.[1] ?? doc.supply_type],
            ["Reverse charge", doc.reverse_charge ? "Yes" : "No"],
            ["Total", rupees(doc.total)],
            ["Settled", rupees(doc.settled)],
            ["Balance due", rupees(doc.balance_due)],
            ...(doc.reference ? ([["Reference", doc.reference]] as [string, string][]) : []),
            ...(doc.supplier_number ? ([["Supplier's number", doc.supplier_number]] as [string, string][]) : []),
            ...(doc.reason ? ([["Reason", doc.reason]] as [string, string][]) : []),
            ...(doc.issued_at ? ([["Issued", formatDateTime(doc.issued_at, timeZone)]] as [string, string][]) : []),
          ]}
        />
        {doc.against_id ? (
          <p>
            Against <Link href={`/invoices/${doc.against_id}`}>the original invoice</Link>.
          </p>
        ) : null}
        {doc.converted_to ? (
          <p>
            Converted to <Link href={`/invoices/${doc.converted_to}`}>an invoice</Link>.
          </p>
        ) : null}
        {doc.converted_from ? (
          <p>
            From <Link href={`/quotations/${doc.converted_from}`}>a quotation</Link>.
          </p>
        ) : null}
      </section>
      <section aria-labelledby="doc-lines-ro">
        <h2 id="doc-lines-ro">Lines</h2>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Lines</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Description</th>
                <th scope="col">HSN/SAC</th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col" className="num">
                  Unit price
                </th>
                <th scope="col" className="num">
                  Discount
                </th>
                <th scope="col" className="num">
                  Taxable value
                </th>
                <th scope="col" className="num">
                  GST
                </th>
                <th scope="col" className="num">
                  Tax
                </th>
                <th scope="col" className="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {doc.lines.map((l) => (
                <tr key={l.line_no}>
                  <td>{l.line_no}</td>
                  <td>{l.description}</td>
                  <td>
                    <code>{l.hsn_sac}</code>
                  </td>
                  <td className="num">
                    {formatNumber(l.quantity)} {l.unit}
                  </td>
                  <td className="num">{rupees(l.unit_price)}</td>
                  <td className="num">{Number(l.discount) ? rupees(l.discount) : "—"}</td>
                  <td className="num">{rupees(l.taxable_value)}</td>
                  <td className="num">{l.taxability === "taxable" ? `${Number(l.gst_rate)}%` : l.taxability.replace("_", " ")}</td>
                  <td className="num">{rupees(String(Number(l.cgst) + Number(l.sgst) + Number(l.utgst) + Number(l.igst) + Number(l.cess)))}</td>
                  <td className="num">{rupees(l.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card" aria-labelledby="doc-totals" style={{ marginTop: "1rem" }}>
        <h2 id="doc-totals" className="card-title">
          Tax and total
        </h2>
        <TaxSummary preview={{ heads: doc.heads, place_of_supply: doc.place_of_supply, totals: doc }} />
      </section>
      {doc.notes ? <p>{doc.notes}</p> : null}
    </>
  );
}

function SendDialog({ family, doc, onClose }: { family: Family; doc: LedgerDoc; onClose: (to: string | null) => void }) {
  const f = FAMILY[family];
  const formId = useId();
  const form = useForm({ to: "", message: "" }, ["to", "message"]);
  const submit = async (el: HTMLFormElement) => {
    let to = "";
    const ok = await form.submit(async (v) => {
      try {
        const sent = await call(
          api.POST(`/api/v1${f.path}/{id}/send` as "/api/v1/invoices/{id}/send", {
            params: { path: { id: doc.id } },
            body: { to: v.to.trim() || undefined, message: v.message.trim() || undefined },
          }),
        );
        to = sent.to;
      } catch (e) {
        throw humaneProblem(e);
      }
    });
    if (ok) onClose(to);
    else showProblem(el);
  };
  return (
    <Dialog
      open
      title={`Email ${doc.number ?? f.one.toLowerCase()}`}
      onClose={() => onClose(null)}
      footer={
        <>
          <Button onClick={() => onClose(null)}>Close</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            Send
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
        <Field label="To" hint="Leave empty to send to the party's first contact with an e-mail address." error={form.errors.to}>
          {(p) => <input {...p} type="email" autoComplete="off" value={form.values.to} onChange={(e) => form.set("to", e.target.value)} />}
        </Field>
        <Field label="Message" hint="Shown above the standard text; the PDF is attached." error={form.errors.message}>
          {(p) => <textarea {...p} rows={3} value={form.values.message} onChange={(e) => form.set("message", e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}

function CancelDialog({ family, doc, onClose }: { family: Family; doc: LedgerDoc; onClose: (done: boolean) => void }) {
  const f = FAMILY[family];
  const formId = useId();
  const form = useForm({ reason: "" }, ["reason"]);
  const submit = async (el: HTMLFormElement) => {
    const ok = await form.submit(async (v) => {
      try {
        await call(api.POST(`/api/v1${f.path}/{id}/cancel` as "/api/v1/invoices/{id}/cancel", { params: { path: { id: doc.id } }, body: { reason: v.reason.trim() } }));
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
      title={`Cancel ${doc.number ?? f.one.toLowerCase()}`}
      onClose={() => onClose(false)}
      footer={
        <>
          <Button onClick={() => onClose(false)}>Keep it</Button>
          <Button type="submit" form={formId} variant="danger" busy={form.busy}>
            Cancel {f.one.toLowerCase()}
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
        <p>Its number stays used, and its postings are reversed. A document with payments allocated cannot be cancelled.</p>
        <Field label="Reason" hint="Kept with the document and in the audit log." error={form.errors.reason}>
          {(p) => <textarea {...p} rows={2} value={form.values.reason} onChange={(e) => form.set("reason", e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}

export function InvoicePage({ params }: { params: Record<string, string> }) {
  return <DocPage family="invoices" id={params.id ?? ""} />;
}
export function QuotationPage({ params }: { params: Record<string, string> }) {
  return <DocPage family="quotations" id={params.id ?? ""} />;
}
export function BillPage({ params }: { params: Record<string, string> }) {
  return <DocPage family="bills" id={params.id ?? ""} />;
}

