// An invoice's e-way bill on its page: whether its goods need one, where
// it stands (number, generated, valid until), the transport (Part B) to
// give, with every rule it breaks shown beside the input it comes from,
// and its JSON for the e-way bill portal. An invoice with an IRN has its
// e-way bill generated through the IRP as soon as the transport is given.
import { useState } from "react";
import type { ReactNode } from "react";
import { ApiError, api, call, type Problem } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime } from "../format";
import { Alert, Badge, Button, Check, Field, States } from "../ui";
import { useForm, useLoad } from "../ui/hooks";
import { humaneProblem, sentence, showProblem } from "../ui/problems";
import {
  TRANSPORT_MODES,
  TRANSPORT_PATHS,
  ewaybillFileName,
  ewayPathWords,
  ewayState,
  fieldWords,
  lineOf,
  withoutLine,
  type EwayBillStatus,
  type Transport,
  type TransportField,
  type TransportMode,
} from "./gst";
import { CsvButton, Figures, type LedgerDoc } from "./parts";

type Outcome = { kind: "success" | "error" | "warning"; text: string };

const PLAIN = {
  detail: {
    validation_failed: "The e-way bill breaks the portal's rules. Fix what is marked, then try again.",
    irp_refused: "The IRP refused the e-way bill.",
  },
};

const LABELS: Record<TransportField, string> = {
  mode: "Mode",
  distance_km: "Distance (km)",
  vehicle_no: "Vehicle number",
  transporter_id: "Transporter ID",
  transporter_name: "Transporter name",
  over_dimensional: "Over-dimensional cargo",
  transport_doc_no: "Transport document number",
  transport_doc_date: "Transport document date",
};

interface Values {
  mode: TransportMode;
  distance_km: string;
  vehicle_no: string;
  transporter_id: string;
  transporter_name: string;
  over_dimensional: boolean;
  transport_doc_no: string;
  transport_doc_date: string;
}

const FIELDS: TransportField[] = ["mode", "distance_km", "vehicle_no", "transporter_id", "transporter_name", "over_dimensional", "transport_doc_no", "transport_doc_date"];

function valuesOf(t: Transport | null | undefined): Values {
  return {
    mode: t?.mode ?? "road",
    distance_km: t ? String(t.distance_km) : "",
    vehicle_no: t?.vehicle_no ?? "",
    transporter_id: t?.transporter_id ?? "",
    transporter_name: t?.transporter_name ?? "",
    over_dimensional: t?.over_dimensional ?? false,
    transport_doc_no: t?.transport_doc_no ?? "",
    transport_doc_date: t?.transport_doc_date ?? "",
  };
}

function invalid(errors: { field: string; message: string }[]): ApiError {
  const problem = { type: "urn:tessera:problem:validation_failed", title: "Some fields need a fix", status: 422, code: "validation_failed", errors } as unknown as Problem;
  return new ApiError(422, problem, "Some fields need a fix.");
}

/** The transport to send; the transport document only for rail, air and ship. */
function toTransport(v: Values): Transport {
  const distance = v.distance_km.trim();
  if (!/^\d+$/.test(distance) || Number(distance) > 4000) {
    throw invalid([{ field: "distance_km", message: "Give the distance in whole km, 0 to 4000 (0 lets the portal work it out from the PIN codes)." }]);
  }
  const text = (s: string) => s.trim() || null;
  const documents = v.mode !== "road";
  return {
    mode: v.mode,
    distance_km: Number(distance),
    vehicle_no: text(v.vehicle_no),
    transporter_id: text(v.transporter_id)?.toUpperCase() ?? null,
    transporter_name: text(v.transporter_name),
    over_dimensional: v.over_dimensional,
    transport_doc_no: documents ? text(v.transport_doc_no) : null,
    transport_doc_date: documents ? text(v.transport_doc_date) : null,
  };
}

/** What a violation is about, in words: the input's label, our field, or the JSON path's. */
function where(path: string, message: string, field?: string | null, line?: number | null): string {
  const input = TRANSPORT_PATHS[path];
  if (input) return LABELS[input];
  if (field) {
    const w = fieldWords(field, line);
    if (w !== field) return w;
  }
  return ewayPathWords(path, message) || (field ? fieldWords(field, line) : "");
}

function Problems({ items }: { items: { path: string; message: string; field?: string | null; line?: number | null }[] }) {
  return (
    <ul className="einvoice-problems">
      {items.map((v, i) => {
        const line = v.line ?? lineOf(v.message);
        const w = where(v.path, v.message, v.field, line);
        return (
          <li key={`${v.path}-${i}`}>
            {w ? <strong>{w}</strong> : null} <code className="json-path">{v.path}</code> <span>{sentence(withoutLine(v.message, line))}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** The E-way bill section of an issued invoice or bill of supply. */
export function EwayBillSection({ doc }: { doc: LedgerDoc }) {
  // Loaded again whenever the document is (an IRN generated or cancelled changes it).
  const loaded = useLoad(() => call(api.GET("/api/v1/invoices/{id}/e-way-bill", { params: { path: { id: doc.id } } })), [doc]);
  const s = loaded.data;
  return (
    <section className="card" aria-labelledby="doc-ewaybill">
      <h2 id="doc-ewaybill" className="card-title">
        E-way bill
      </h2>
      <States loading={loaded.loading} error={loaded.error} empty={!s} emptyText="" onRetry={loaded.reload}>
        {s ? (
          s.applicable ? (
            <EwayBill doc={doc} status={s} onChanged={loaded.reload} />
          ) : (
            <p className="muted">{sentence(s.not_applicable_reason ?? "These goods need no e-way bill")}</p>
          )
        ) : null}
      </States>
    </section>
  );
}

function EwayBill({ doc, status: s, onChanged }: { doc: LedgerDoc; status: EwayBillStatus; onChanged: () => void }) {
  const { can, timeZone } = useSession();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const state = ewayState(s.status);
  const generated = s.status === "generated";
  const issued = doc.status !== "draft" && doc.status !== "cancelled";
  const mayGive = !generated && issued && can("einvoices:generate");
  const t = s.transport;

  const rows: [string, ReactNode][] = [["Status", <Badge key="s" tone={state.tone}>{state.name}</Badge>]];
  if (s.ewb_no) rows.push(["EWB number", s.ewb_no]);
  if (s.ewb_date) rows.push(["Generated on", formatDateTime(s.ewb_date, timeZone)]);
  if (s.valid_until) rows.push(["Valid until", formatDateTime(s.valid_until, timeZone)]);
  if (t && !mayGive) {
    rows.push(["Mode", TRANSPORT_MODES.find(([m]) => m === t.mode)?.[1] ?? t.mode]);
    rows.push(["Distance", `${t.distance_km} km`]);
    if (t.vehicle_no) rows.push(["Vehicle number", t.vehicle_no]);
    if (t.transporter_id || t.transporter_name) rows.push(["Transporter", [t.transporter_name, t.transporter_id].filter(Boolean).join(" · ")]);
    if (t.transport_doc_no) rows.push(["Transport document", [t.transport_doc_no, t.transport_doc_date].filter(Boolean).join(" of ")]);
  }

  // The rules the stored transport breaks: beside their inputs while the form offers them.
  const beside: Partial<Record<TransportField, string>> = {};
  const listed = s.violations.filter((v) => {
    const input = TRANSPORT_PATHS[v.path];
    if (!input || !mayGive) return true;
    beside[input] ??= sentence(v.message);
    return false;
  });

  return (
    <>
      {outcome ? <Alert kind={outcome.kind}>{outcome.text}</Alert> : null}
      <Figures rows={rows} />
      {mayGive ? (
        <p className="muted">
          {s.via_irp
            ? "The invoice has an IRN: the e-way bill is generated through the IRP as soon as the transport is given."
            : s.status === "prepared"
              ? "Upload the JSON on the e-way bill portal to get its number; a change to the transport prepares it again."
              : "Give the transport: the e-way bill's JSON is prepared for upload on the e-way bill portal."}
        </p>
      ) : null}
      {generated && doc.status === "cancelled" ? (
        <p className="muted">The invoice is cancelled: cancel e-way bill {s.ewb_no} on the e-way bill portal too (within 24 hours of its generation).</p>
      ) : null}
      {listed.length > 0 ? (
        <>
          <h3>{s.via_irp ? "Fix before generating" : "Fix before preparing"}</h3>
          <Problems items={listed} />
        </>
      ) : null}
      {s.irp_errors.length > 0 && s.status === "failed" ? (
        <>
          <h3>Refused by the IRP</h3>
          <ul className="einvoice-problems">
            {s.irp_errors.map((e, i) => (
              <li key={`${e.code}-${i}`}>
                <strong>{/^\d+$/.test(e.code) ? `Error ${e.code}` : e.code.replace(/_/g, " ")}</strong> <span>{sentence(e.message)}</span>{" "}
                {e.advice ? <span className="muted">{sentence(e.advice)}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {s.status === "prepared" || generated ? (
        <div className="row no-print einvoice-actions">
          <CsvButton url={`/api/v1/invoices/${doc.id}/e-way-bill/json`} fileName={ewaybillFileName(doc.number)} label="Download e-way bill JSON" />
        </div>
      ) : null}
      {mayGive ? (
        <EwayForm
          doc={doc}
          status={s}
          beside={beside}
          onDone={(result) => {
            setOutcome(
              result.status === "generated"
                ? { kind: "success", text: `E-way bill ${result.ewb_no ?? ""} generated${result.valid_until ? `, valid until ${formatDateTime(result.valid_until, timeZone)}` : ""}.` }
                : { kind: "success", text: "The e-way bill is prepared: download its JSON and upload it on the e-way bill portal." },
            );
            onChanged();
          }}
          onRefused={() => {
            setOutcome(null);
            onChanged();
          }}
        />
      ) : null}
    </>
  );
}

function EwayForm({
  doc,
  status: s,
  beside,
  onDone,
  onRefused,
}: {
  doc: LedgerDoc;
  status: EwayBillStatus;
  beside: Partial<Record<TransportField, string>>;
  onDone: (s: EwayBillStatus) => void;
  onRefused: () => void;
}) {
  const form = useForm<Values>(valuesOf(s.transport), FIELDS);
  const [others, setOthers] = useState<{ field: string; message: string }[]>([]);
  const v = form.values;
  const err = (k: TransportField): string | undefined => form.errors[k] ?? (form.dirty ? undefined : beside[k]);
  const submit = async (el: HTMLFormElement) => {
    setOthers([]);
    let result: EwayBillStatus | undefined;
    let refreshed = false;
    const ok = await form.submit(async (values) => {
      const body = toTransport(values);
      try {
        result = await call(api.PUT("/api/v1/invoices/{id}/e-way-bill", { params: { path: { id: doc.id } }, body }));
      } catch (e) {
        const problem = humaneProblem(e, PLAIN);
        const errors = problem.problem?.errors ?? [];
        if (problem.status === 422 && errors.length > 0) {
          // The paths of Part B go beside their inputs; the rest are listed.
          setOthers(errors.filter((f) => !TRANSPORT_PATHS[f.field]));
          const mapped = errors.map((f) => (TRANSPORT_PATHS[f.field] ? { ...f, field: TRANSPORT_PATHS[f.field]! } : f));
          throw new ApiError(422, { ...problem.problem, errors: mapped } as Problem, problem.message);
        }
        // The IRP's refusal (kept with the e-way bill), or a state that changed.
        refreshed = problem.status !== 422 || problem.code === "irp_refused";
        throw problem;
      }
    });
    if (ok && result) {
      form.reset(valuesOf(result.transport));
      onDone(result);
      return;
    }
    if (refreshed) onRefused();
    showProblem(el);
  };
  const text = (k: "vehicle_no" | "transporter_id" | "transporter_name" | "transport_doc_no", hint?: string, max?: number) => (
    <Field label={LABELS[k]} hint={hint} error={err(k)}>
      {(p) => <input {...p} autoComplete="off" spellCheck={false} maxLength={max} value={v[k]} onChange={(e) => form.set(k, e.target.value)} />}
    </Field>
  );
  return (
    <form
      className="eway-form no-print"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      {others.length > 0 ? <Problems items={others.map((f) => ({ path: f.field, message: f.message }))} /> : null}
      <div className="grid-2">
        <Field label={LABELS.mode} error={err("mode")}>
          {(p) => (
            <select {...p} value={v.mode} onChange={(e) => form.set("mode", e.target.value as TransportMode)}>
              {TRANSPORT_MODES.map(([m, name]) => (
                <option key={m} value={m}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={LABELS.distance_km} hint="0 to 4000; 0 lets the portal work it out from the PIN codes." error={err("distance_km")}>
          {(p) => <input {...p} type="number" inputMode="numeric" min={0} max={4000} step={1} value={v.distance_km} onChange={(e) => form.set("distance_km", e.target.value)} />}
        </Field>
        {text("vehicle_no", "Its registration number, such as KA01AB1234. By road it is needed unless the transporter will enter it.", 20)}
        {text("transporter_id", "The transporter's GSTIN or TRANSIN (15 characters).", 15)}
        {text("transporter_name", undefined, 100)}
        {v.mode !== "road" ? (
          <>
            {text("transport_doc_no", "The railway receipt, airway bill or bill of lading number.", 15)}
            <Field label={LABELS.transport_doc_date} error={err("transport_doc_date")}>
              {(p) => <input {...p} type="date" value={v.transport_doc_date} onChange={(e) => form.set("transport_doc_date", e.target.value)} />}
            </Field>
          </>
        ) : null}
      </div>
      <Check
        label={LABELS.over_dimensional}
        checked={v.over_dimensional}
        onChange={(x) => form.set("over_dimensional", x)}
        hint="Valid one day for every 20 km instead of every 200 km."
      />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.busy}>
          {s.via_irp ? "Generate e-way bill" : "Prepare e-way bill"}
        </Button>
      </div>
    </form>
  );
}
