// A document's e-invoice on its page: where it stands with the IRP (IRN,
// acknowledgement, the signed QR code and what it says), every rule the
// document breaks as it would be sent now, the IRP's refusals, and the
// actions its state allows: generate the IRN, cancel it (and the document
// with it) within 24 hours, download the JSON.
import { useEffect, useId, useState } from "react";
import type { ReactNode } from "react";
import { ApiError, api, call, type Problem } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime } from "../format";
import { authorizedFetch } from "../knowledge/transfer";
import { Link } from "../router";
import { Alert, Badge, Button, Dialog, Field, States } from "../ui";
import { useForm, useLoad } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, sentence, showProblem } from "../ui/problems";
import { CANCEL_REASONS, EINVOICE_STATES, cancellable, cancelReasonName, einvoiceFileName, fieldWords, qrData, withoutLine, type CancelReason, type EinvoiceStatus } from "./gst";
import { CsvButton, Figures, rupees, type LedgerDoc } from "./parts";

type Outcome = { kind: "success" | "error" | "warning"; text: string; errors?: { field: string; message: string }[] };

const PLAIN = {
  detail: {
    validation_failed: "The e-invoice breaks the IRP's rules. Fix what is listed, then generate it again.",
    irp_refused: "The IRP refused the e-invoice.",
  },
};

/** The signed QR code as an image of this page (fetched with the caller's token). */
function useQrImage(id: string, irn: string | null | undefined): { src: string | null; failed: boolean } {
  const [state, setState] = useState<{ src: string | null; failed: boolean }>({ src: null, failed: false });
  useEffect(() => {
    if (!irn) {
      setState({ src: null, failed: false });
      return;
    }
    let url: string | null = null;
    let live = true;
    authorizedFetch(`/api/v1/invoices/${encodeURIComponent(id)}/e-invoice/qr`)
      .then(async (r) => {
        if (!r.ok) throw new Error(String(r.status));
        const blob = await r.blob();
        if (!live) return;
        url = URL.createObjectURL(blob);
        setState({ src: url, failed: false });
      })
      .catch(() => {
        if (live) setState({ src: null, failed: true });
      });
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [id, irn]);
  return state;
}

/** The E-invoice section of an issued invoice or note; `onChanged` reloads the document. */
export function EinvoiceSection({ doc, onChanged }: { doc: LedgerDoc; onChanged: () => void }) {
  const loaded = useLoad(() => call(api.GET("/api/v1/invoices/{id}/e-invoice", { params: { path: { id: doc.id } } })), [doc.id, doc.status]);
  const s = loaded.data;
  // A registration the IRP did not answer is retried by the server; its outcome is polled.
  const pending = s?.status === "pending";
  useEffect(() => {
    if (!pending) return;
    const t = window.setInterval(() => loaded.refresh(), 5000);
    return () => window.clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pending]);
  return (
    <section className="card" aria-labelledby="doc-einvoice">
      <h2 id="doc-einvoice" className="card-title">
        E-invoice
      </h2>
      <States loading={loaded.loading} error={loaded.error} empty={!s} emptyText="" onRetry={loaded.reload}>
        {s ? (
          s.applicable ? (
            <Einvoice
              doc={doc}
              status={s}
              onChanged={(docToo) => {
                loaded.reload();
                if (docToo) onChanged();
              }}
            />
          ) : (
            <p className="muted">{sentence(s.not_applicable_reason ?? "This document needs no e-invoice")}</p>
          )
        ) : null}
      </States>
    </section>
  );
}

function Einvoice({ doc, status: s, onChanged }: { doc: LedgerDoc; status: EinvoiceStatus; onChanged: (docToo: boolean) => void }) {
  const { can, timeZone } = useSession();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const fixId = useId();
  const qr = qrData(s);
  const image = useQrImage(doc.id, s.status === "generated" ? s.irn : null);
  const state = EINVOICE_STATES[s.status] ?? { name: s.status, tone: "neutral" as const };
  const open = s.status === "not_generated" || s.status === "pending" || s.status === "failed";
  const issued = doc.status !== "draft" && doc.status !== "cancelled";
  const mayGenerate = open && issued && can("einvoices:generate");
  const inWindow = cancellable(s);
  const mayCancel = s.status === "generated" && inWindow && can("einvoices:cancel") && can("invoices:cancel");

  const generate = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      await call(api.POST("/api/v1/invoices/{id}/e-invoice", { params: { path: { id: doc.id } } }));
      setOutcome({ kind: "success", text: "IRN generated: the invoice is registered with the IRP." });
      onChanged(true);
    } catch (e) {
      const err = humaneProblem(e, PLAIN);
      setOutcome({ kind: err.status === 503 ? "warning" : "error", text: err.message, errors: err.status === 422 ? err.problem?.errors : undefined });
      onChanged(false);
    } finally {
      setBusy(false);
    }
  };

  const rows: [string, ReactNode][] = [["Status", <Badge key="s" tone={state.tone}>{state.name}</Badge>]];
  if (s.ack_no) rows.push(["Ack No", s.ack_no]);
  if (s.ack_date) rows.push(["Ack date", formatDateTime(s.ack_date, timeZone)]);
  if (s.status === "generated" && s.cancellable_until) rows.push(["Cancellable until", formatDateTime(s.cancellable_until, timeZone)]);
  if (s.status === "cancelled") {
    rows.push(["Cancelled at", formatDateTime(s.cancelled_at, timeZone)]);
    rows.push(["Reason", cancelReasonName(s.cancel_reason)]);
    if (s.cancel_remark) rows.push(["Remark", s.cancel_remark]);
  }
  if ((s.status === "pending" || s.status === "failed") && s.attempts > 0) rows.push(["Attempts", String(s.attempts)]);

  return (
    <>
      {outcome ? (
        <Alert kind={outcome.kind}>
          <p>{outcome.text}</p>
          {outcome.errors && outcome.errors.length > 0 ? (
            <ul className="einvoice-errors">
              {outcome.errors.map((f, i) => (
                <li key={i}>
                  {fieldWords(f.field) !== f.field ? <strong>{fieldWords(f.field)} </strong> : null}
                  <code>{f.field}</code>: {f.message}
                </li>
              ))}
            </ul>
          ) : null}
        </Alert>
      ) : null}
      <Figures rows={rows} />
      {s.irn ? (
        <dl className="figures einvoice-irn">
          <div>
            <dt>IRN</dt>
            <dd>
              <code className="irn">{s.irn}</code>
            </dd>
          </div>
        </dl>
      ) : null}
      {s.status === "pending" ? <p className="muted">The IRP did not answer yet; the server tries again by itself.</p> : null}
      {open && !s.enabled ? (
        <p className="muted">
          E-invoicing is not switched on for the company
          {can("gst:settings") ? (
            <>
              : <Link href="/gst">set it up on the GST page</Link>.
            </>
          ) : (
            "; an admin can set it up on the GST page."
          )}
        </p>
      ) : null}
      {s.status === "generated" && !inWindow ? (
        <p className="muted">More than 24 hours have passed since the IRN was generated, so the IRP no longer cancels it: issue a credit note instead.</p>
      ) : null}
      <div className="row no-print einvoice-actions">
        {mayGenerate ? (
          <Button variant="primary" busy={busy} disabled={s.violations.length > 0} aria-describedby={s.violations.length > 0 ? fixId : undefined} onClick={() => void generate()}>
            Generate IRN
          </Button>
        ) : null}
        {mayCancel ? (
          <Button variant="danger" onClick={() => setCancelling(true)} aria-haspopup="dialog">
            Cancel IRN
          </Button>
        ) : null}
        <CsvButton url={`/api/v1/invoices/${doc.id}/e-invoice/json`} fileName={einvoiceFileName(doc.number)} label="Download JSON" />
      </div>
      {s.violations.length > 0 ? (
        <>
          <h3 id={fixId}>Fix before generating</h3>
          <ul className="einvoice-problems">
            {s.violations.map((v, i) => {
              const where = fieldWords(v.field, v.line);
              return (
                <li key={`${v.path}-${i}`}>
                  {where ? <strong>{where}</strong> : null}{" "}
                  <code className="json-path">{v.path}</code>{" "}
                  <span>{sentence(withoutLine(v.message, v.line))}</span>
                </li>
              );
            })}
          </ul>
        </>
      ) : null}
      {s.irp_errors.length > 0 && (s.status === "failed" || s.status === "pending") ? (
        <>
          <h3>{s.status === "failed" ? "Refused by the IRP" : "The IRP's last answer"}</h3>
          <ul className="einvoice-problems">
            {s.irp_errors.map((e, i) => (
              <li key={`${e.code}-${i}`}>
                <strong>{/^\d+$/.test(e.code) ? `Error ${e.code}` : capital(e.code.replace(/_/g, " "))}</strong>{" "}
                <span>{sentence(e.message)}</span>{" "}
                {e.advice ? <span className="muted">{sentence(e.advice)}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {s.status === "generated" ? (
        <div className="einvoice-qr">
          {image.src ? <img className="qr" src={image.src} alt="E-invoice QR code" /> : null}
          {image.failed ? <p className="muted">The QR code could not be loaded.</p> : null}
          {qr ? (
            <div>
              <h3>What the QR code says</h3>
              <Figures
                rows={[
                  ["Doc no", qr.DocNo ?? "—"],
                  ["Doc date", qr.DocDt ?? "—"],
                  ["Value", rupees(qr.TotInvVal === undefined ? null : String(qr.TotInvVal))],
                  ["Item count", qr.ItemCnt === undefined ? "—" : String(qr.ItemCnt)],
                  ["Main HSN", qr.MainHsnCode ?? "—"],
                ]}
              />
            </div>
          ) : null}
        </div>
      ) : null}
      {cancelling ? (
        <CancelIrnDialog
          doc={doc}
          onClose={(done) => {
            setCancelling(false);
            if (done) {
              setOutcome({ kind: "success", text: "The IRN was cancelled, and the invoice with it." });
              onChanged(true);
            }
          }}
        />
      ) : null}
    </>
  );
}

function capital(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function invalid(errors: { field: string; message: string }[]): ApiError {
  const problem = { type: "urn:tessera:problem:validation_failed", title: "Some fields need a fix", status: 422, code: "validation_failed", errors } as unknown as Problem;
  return new ApiError(422, problem, "Some fields need a fix.");
}

function CancelIrnDialog({ doc, onClose }: { doc: LedgerDoc; onClose: (done: boolean) => void }) {
  const formId = useId();
  const form = useForm({ reason: "" as CancelReason | "", remark: "" }, ["reason", "remark"]);
  const v = form.values;
  const close = askBeforeClosing(form.dirty, () => onClose(false));
  const submit = async (el: HTMLFormElement) => {
    const ok = await form.submit(async () => {
      const remark = v.remark.trim();
      const missing = [
        ...(v.reason ? [] : [{ field: "reason", message: "Choose why the IRN is cancelled." }]),
        ...(remark ? [] : [{ field: "remark", message: "Say why, in 1–100 characters." }]),
      ];
      if (missing.length > 0 || !v.reason) throw invalid(missing);
      try {
        await call(api.POST("/api/v1/invoices/{id}/e-invoice/cancel", { params: { path: { id: doc.id } }, body: { reason: v.reason, remark } }));
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
      title={`Cancel the IRN of ${doc.number ?? "this invoice"}`}
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Keep it</Button>
          <Button type="submit" form={formId} variant="danger" busy={form.busy}>
            Cancel IRN
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
          The IRN is cancelled on the IRP, and the invoice with it: its number stays used and its postings are reversed. The IRP cancels an IRN only within 24 hours of
          its acknowledgement; after that, issue a credit note.
        </p>
        <Field label="Reason" error={form.errors.reason}>
          {(p) => (
            <select {...p} value={v.reason} onChange={(e) => form.set("reason", e.target.value as CancelReason | "")}>
              <option value="">Choose a reason…</option>
              {CANCEL_REASONS.map(([k, name]) => (
                <option key={k} value={k}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Remark" hint="Sent to the IRP and kept as the invoice's reason for cancelling." error={form.errors.remark}>
          {(p) => <input {...p} maxLength={100} autoComplete="off" value={v.remark} onChange={(e) => form.set("remark", e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}
