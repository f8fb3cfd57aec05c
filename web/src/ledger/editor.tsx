// The editor of a sales or purchase document: party, dates, kind of supply,
// lines (an item, or a description with HSN/SAC, quantity, price, discount
// and rate), and the server's own tax working shown as the lines change
// (POST /invoices/preview), so what is saved is what was shown.
import { useEffect, useId, useRef, useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { Alert, Button, Check, Field } from "../ui";
import { useForm, useLoad } from "../ui/hooks";
import { humaneProblem, showProblem } from "../ui/problems";
import { lineAmount } from "./money";
import { FAMILY, HEADS, UNITS, KIND_NAMES, SUPPLY_TYPES, rupees, stateName, today, useParties, type DocKind, type Family, type Item, type LedgerDoc } from "./parts";

export interface LineValues {
  item_id: string;
  description: string;
  hsn_sac: string;
  quantity: string;
  unit: string;
  unit_price: string;
  discount: string;
  gst_rate: string;
}

export interface DocValues {
  kind: DocKind;
  party_id: string;
  date: string;
  due_date: string;
  valid_until: string;
  supply_type: Schemas["SupplyType"];
  reverse_charge: boolean;
  against_id: string;
  reference: string;
  notes: string;
  reason: string;
  supplier_number: string;
  supplier_date: string;
  lines: LineValues[];
}

export const NEW_LINE: LineValues = { item_id: "", description: "", hsn_sac: "", quantity: "1", unit: "", unit_price: "", discount: "", gst_rate: "" };

const LINE_KEYS: string[] = ["item_id", "description", "hsn_sac", "quantity", "unit", "unit_price", "discount", "gst_rate", "is_service", "taxability"];
const TOP_FIELDS = ["kind", "party_id", "date", "due_date", "valid_until", "supply_type", "reverse_charge", "against_id", "reference", "notes", "reason", "supplier_number", "supplier_date", "place_of_supply"];

export function newValues(family: Family, timeZone: string, seed: Partial<DocValues> = {}): DocValues {
  return {
    kind: family === "quotations" ? "quotation" : family === "bills" ? "purchase_bill" : "invoice",
    party_id: "",
    date: today(timeZone),
    due_date: "",
    valid_until: "",
    supply_type: "regular",
    reverse_charge: false,
    against_id: "",
    reference: "",
    notes: "",
    reason: "",
    supplier_number: "",
    supplier_date: "",
    lines: [NEW_LINE],
    ...seed,
  };
}

export function valuesOfDoc(d: LedgerDoc): DocValues {
  const s = (x: string | null | undefined) => x ?? "";
  return {
    kind: d.kind,
    party_id: d.party_id,
    date: d.date,
    due_date: s(d.due_date),
    valid_until: s(d.valid_until),
    supply_type: d.supply_type,
    reverse_charge: d.reverse_charge,
    against_id: s(d.against_id),
    reference: s(d.reference),
    notes: s(d.notes),
    reason: s(d.reason),
    supplier_number: s(d.supplier_number),
    supplier_date: s(d.supplier_date),
    lines: d.lines.map((l) => ({
      item_id: s(l.item_id),
      description: l.description,
      hsn_sac: l.hsn_sac,
      quantity: String(Number(l.quantity)),
      unit: l.unit,
      unit_price: l.unit_price,
      discount: Number(l.discount) ? l.discount : "",
      gst_rate: l.item_id ? "" : String(Number(l.gst_rate)),
    })),
  };
}

const opt = (s: string) => (s.trim() === "" ? undefined : s.trim());

/** The request body for these values (blanks left to the server's defaults). */
export function inputOf(v: DocValues): Schemas["DocumentInput"] {
  return {
    kind: v.kind,
    party_id: v.party_id,
    date: opt(v.date),
    due_date: opt(v.due_date),
    valid_until: v.kind === "quotation" ? opt(v.valid_until) : undefined,
    supply_type: v.supply_type,
    reverse_charge: v.reverse_charge,
    against_id: v.kind === "credit_note" || v.kind === "debit_note" ? opt(v.against_id) : undefined,
    reference: opt(v.reference),
    notes: opt(v.notes),
    reason: v.kind === "credit_note" || v.kind === "debit_note" ? opt(v.reason) : undefined,
    supplier_number: v.kind === "purchase_bill" ? opt(v.supplier_number) : undefined,
    supplier_date: v.kind === "purchase_bill" ? opt(v.supplier_date) : undefined,
    lines: v.lines.map((l) => ({
      item_id: opt(l.item_id),
      description: opt(l.description),
      hsn_sac: opt(l.hsn_sac),
      // Without an item, a SAC (99…) says it is a service.
      is_service: l.item_id ? undefined : l.hsn_sac.trim().startsWith("99"),
      quantity: l.quantity.trim(),
      unit: (opt(l.unit) ?? (!l.item_id && l.hsn_sac.trim().startsWith("99") ? "OTH" : undefined)) as Schemas["Unit"] | undefined,
      unit_price: opt(l.unit_price),
      discount: opt(l.discount),
      gst_rate: opt(l.gst_rate),
    })),
  };
}

function useItems() {
  return useLoad(async () => (await call(api.GET("/api/v1/items", { params: { query: { limit: 200 } } }))).items as Item[], []);
}

/** The server's working of the document as it stands, after a pause in typing. */
function usePreview(v: DocValues) {
  const body = v.party_id && v.lines.some((l) => l.quantity.trim()) ? JSON.stringify(inputOf(v)) : "";
  const [state, setState] = useState<{ data?: Schemas["Preview"]; error?: string; busy: boolean }>({ busy: false });
  const seq = useRef(0);
  useEffect(() => {
    if (!body) {
      setState({ busy: false });
      return;
    }
    const mine = ++seq.current;
    setState((s) => ({ ...s, busy: true }));
    const t = window.setTimeout(() => {
      call(api.POST("/api/v1/invoices/preview", { body: JSON.parse(body) as Schemas["DocumentInput"] }))
        .then((data) => mine === seq.current && setState({ data, busy: false }))
        .catch((e: unknown) => {
          if (mine !== seq.current) return;
          const err = humaneProblem(e);
          const named = err.problem?.errors?.map((f) => `${describeField(f.field)}: ${f.message}`) ?? [];
          setState({ error: named.length ? named.join(" ") : err.message, busy: false });
        });
    }, 350);
    return () => window.clearTimeout(t);
  }, [body]);
  return state;
}

/** "lines[1].hsn_sac" → "Line 2, HSN/SAC". */
export function describeField(path: string): string {
  const m = /^lines\[(\d+)\]\.(\w+)$/.exec(path);
  const names: Record<string, string> = { hsn_sac: "HSN/SAC", unit_price: "price", gst_rate: "GST rate", item_id: "item", party_id: "party", place_of_supply: "place of supply", against_id: "original invoice" };
  if (m) return `Line ${Number(m[1]) + 1}, ${names[m[2] ?? ""] ?? (m[2] ?? "").replace("_", " ")}`;
  return (names[path] ?? path.replace(/_/g, " ")).replace(/^./, (c) => c.toUpperCase());
}

/**
 * The editor. `doc` is the draft being edited (none: a new one); `extra`
 * is shown beside the save buttons (a draft's delete).
 */
export function DocEditor({ family, doc, initial, onSaved }: { family: Family; doc?: LedgerDoc; initial: DocValues; onSaved?: (d: LedgerDoc) => void }) {
  const f = FAMILY[family];
  const { timeZone } = useSession();
  const parties = useParties(f.parties);
  const items = useItems();
  const formRef = useRef<HTMLFormElement>(null);
  const [issuing, setIssuing] = useState(false);
  // A line's own field comes before "lines", which takes what is left.
  const fields = [...TOP_FIELDS, ...initialLineFields(40), "lines"];
  const form = useForm<DocValues>(initial, fields);
  const v = form.values;
  const err = form.errors;
  const preview = usePreview(v);
  const notes = v.kind === "credit_note" || v.kind === "debit_note";
  const invoicesOfParty = useLoad(
    async () => (notes && v.party_id ? (await call(api.GET("/api/v1/invoices", { params: { query: { party_id: v.party_id, kind: "invoice", limit: 100 } } }))).items.filter((d) => d.number) : []),
    [notes, v.party_id],
  );
  const setLine = (i: number, patch: Partial<LineValues>) => form.set("lines", v.lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const pickItem = (i: number, id: string) => {
    const it = items.data?.find((x) => x.id === id);
    if (!it) return setLine(i, { item_id: "" });
    setLine(i, { item_id: it.id, description: it.name, hsn_sac: it.hsn_sac, unit: it.unit, unit_price: it.price, gst_rate: "" });
  };
  const save = async (issue: boolean) => {
    let saved: LedgerDoc | undefined;
    let refusal: string | undefined;
    setIssuing(issue);
    const body = inputOf(v);
    const base = f.path as "/api/v1/invoices";
    const ok = await form.submit(async () => {
      try {
        saved = (doc
          ? await call(api.PUT(`/api/v1${f.path}/{id}` as "/api/v1/invoices/{id}", { params: { path: { id: doc.id } }, body }))
          : await call(api.POST(`/api/v1${base}` as "/api/v1/invoices", { body }))) as unknown as LedgerDoc;
        if (issue) saved = (await call(api.POST(`/api/v1${f.path}/{id}/issue` as "/api/v1/invoices/{id}/issue", { params: { path: { id: saved.id } } }))) as unknown as LedgerDoc;
      } catch (e) {
        // A new draft saved but refused at issue is kept; its page says why.
        if (saved && issue && !doc) {
          refusal = humaneProblem(e).message;
          return;
        }
        throw humaneProblem(e);
      }
    });
    setIssuing(false);
    if (ok && saved) {
      form.reset(valuesOfDoc(saved));
      if (refusal) navigate(`${f.path}/${saved.id}?refused=${encodeURIComponent(refusal)}`);
      else if (onSaved) onSaved(saved);
      else navigate(`${f.path}/${saved.id}`);
    } else if (formRef.current) showProblem(formRef.current);
  };
  const p = preview.data;
  const lineFor = (i: number) => p?.lines[i];
  return (
    <form
      ref={formRef}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save(false);
      }}
    >
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      {Object.keys(err).length > 0 && !form.failure ? <Alert>Some fields need a fix: see the messages below.</Alert> : null}
      <section className="card" aria-labelledby="doc-head">
        <h2 id="doc-head" className="card-title">
          {f.one}
        </h2>
        <div className="grid-2">
          <Field label={f.parties === "customer" ? "Customer" : "Supplier"} error={err.party_id} hint={parties.error ? parties.error.message : undefined}>
            {(pp) => (
              <select {...pp} value={v.party_id} onChange={(e) => form.set("party_id", e.target.value)}>
                <option value="">Choose…</option>
                {(parties.data ?? []).map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.legal_name}
                    {x.gstin ? ` (${x.gstin})` : ""}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {family === "invoices" ? (
            <Field label="Kind" error={err.kind}>
              {(pp) => (
                <select {...pp} value={v.kind} disabled={Boolean(doc)} onChange={(e) => form.set("kind", e.target.value as DocKind)}>
                  {(["invoice", "bill_of_supply", "credit_note", "debit_note"] as DocKind[]).map((k) => (
                    <option key={k} value={k}>
                      {KIND_NAMES[k]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : null}
          <Field label="Date" error={err.date}>
            {(pp) => <input {...pp} type="date" value={v.date} onChange={(e) => form.set("date", e.target.value)} />}
          </Field>
          {v.kind === "quotation" ? (
            <Field label="Valid until" error={err.valid_until}>
              {(pp) => <input {...pp} type="date" value={v.valid_until} onChange={(e) => form.set("valid_until", e.target.value)} />}
            </Field>
          ) : (
            <Field label="Due date" hint={p?.due_date && !v.due_date ? `Blank: ${p.due_date} from the payment terms.` : "Blank: from the party's payment terms."} error={err.due_date}>
              {(pp) => <input {...pp} type="date" value={v.due_date} onChange={(e) => form.set("due_date", e.target.value)} />}
            </Field>
          )}
          <Field label="Supply type" error={err.supply_type}>
            {(pp) => (
              <select {...pp} value={v.supply_type} onChange={(e) => form.set("supply_type", e.target.value as Schemas["SupplyType"])}>
                {SUPPLY_TYPES.map(([k, n]) => (
                  <option key={k} value={k}>
                    {n}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Reference" hint="Optional: a purchase order or your own reference." error={err.reference}>
            {(pp) => <input {...pp} value={v.reference} onChange={(e) => form.set("reference", e.target.value)} />}
          </Field>
          {v.kind === "purchase_bill" ? (
            <>
              <Field label="Supplier's bill number" error={err.supplier_number}>
                {(pp) => <input {...pp} value={v.supplier_number} onChange={(e) => form.set("supplier_number", e.target.value)} />}
              </Field>
              <Field label="Supplier's bill date" error={err.supplier_date}>
                {(pp) => <input {...pp} type="date" value={v.supplier_date} onChange={(e) => form.set("supplier_date", e.target.value)} />}
              </Field>
            </>
          ) : null}
          {notes ? (
            <>
              <Field label="Original invoice" error={err.against_id}>
                {(pp) => (
                  <select {...pp} value={v.against_id} onChange={(e) => form.set("against_id", e.target.value)}>
                    <option value="">Choose…</option>
                    {(invoicesOfParty.data ?? []).map((d) => (
                      <option key={d.id} value={d.id}>
                        {d.number} — {rupees(d.total)}
                      </option>
                    ))}
                    {v.against_id && !invoicesOfParty.data?.some((d) => d.id === v.against_id) ? <option value={v.against_id}>The invoice chosen</option> : null}
                  </select>
                )}
              </Field>
              <Field label="Reason" error={err.reason}>
                {(pp) => <input {...pp} value={v.reason} onChange={(e) => form.set("reason", e.target.value)} />}
              </Field>
            </>
          ) : null}
        </div>
        <Check label="Reverse charge applies" checked={v.reverse_charge} onChange={(x) => form.set("reverse_charge", x)} />
      </section>
      <section className="card" aria-labelledby="doc-lines">
        <h2 id="doc-lines" className="card-title">
          Lines
        </h2>
        {err.lines ? <p className="error-text">{err.lines}</p> : null}
        {items.error ? <Alert>The items could not be loaded: {items.error.message}</Alert> : null}
        <div className="table-wrap">
          <table className="lines-table">
            <caption className="visually-hidden">Lines of the document</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Item and description</th>
                <th scope="col">HSN/SAC</th>
                <th scope="col">Quantity</th>
                <th scope="col">Unit price (₹)</th>
                <th scope="col">Discount (₹)</th>
                <th scope="col">GST %</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {v.lines.map((l, i) => {
                const e = (k: keyof LineValues) => err[`lines[${i}].${k}`];
                const worked = lineFor(i);
                return (
                  <tr key={i}>
                    <td>{i + 1}</td>
                    <td className="wide">
                      <Cell label={`Item, line ${i + 1}`} error={e("item_id")}>
                        {(pp) => (
                          <select {...pp} value={l.item_id} onChange={(ev) => pickItem(i, ev.target.value)}>
                            <option value="">No item</option>
                            {(items.data ?? []).map((it) => (
                              <option key={it.id} value={it.id}>
                                {it.name}
                              </option>
                            ))}
                          </select>
                        )}
                      </Cell>
                      <Cell label={`Description, line ${i + 1}`} error={e("description")}>
                        {(pp) => <input {...pp} placeholder="Description" value={l.description} onChange={(ev) => setLine(i, { description: ev.target.value })} />}
                      </Cell>
                    </td>
                    <td>
                      <Cell label={`HSN/SAC, line ${i + 1}`} error={e("hsn_sac")}>
                        {(pp) => <input {...pp} inputMode="numeric" maxLength={8} value={l.hsn_sac} onChange={(ev) => setLine(i, { hsn_sac: ev.target.value.trim() })} />}
                      </Cell>
                    </td>
                    <td>
                      <Cell label={`Quantity, line ${i + 1}`} error={e("quantity")}>
                        {(pp) => <input {...pp} inputMode="decimal" value={l.quantity} onChange={(ev) => setLine(i, { quantity: ev.target.value })} />}
                      </Cell>
                      <Cell label={`Unit, line ${i + 1}`} error={e("unit")}>
                        {(pp) => (
                          <select {...pp} value={l.unit} onChange={(ev) => setLine(i, { unit: ev.target.value })}>
                            <option value="">{l.item_id ? "Item's" : l.hsn_sac.startsWith("99") ? "OTH" : "Unit…"}</option>
                            {UNITS.map(([u, n]) => (
                              <option key={u} value={u} title={n}>
                                {u}
                              </option>
                            ))}
                            {l.unit && !UNITS.some(([u]) => u === l.unit) ? <option value={l.unit}>{l.unit}</option> : null}
                          </select>
                        )}
                      </Cell>
                    </td>
                    <td>
                      <Cell label={`Unit price, line ${i + 1}`} error={e("unit_price")}>
                        {(pp) => <input {...pp} inputMode="decimal" value={l.unit_price} onChange={(ev) => setLine(i, { unit_price: ev.target.value })} />}
                      </Cell>
                    </td>
                    <td>
                      <Cell label={`Discount, line ${i + 1}`} error={e("discount")}>
                        {(pp) => <input {...pp} inputMode="decimal" placeholder="0" value={l.discount} onChange={(ev) => setLine(i, { discount: ev.target.value })} />}
                      </Cell>
                    </td>
                    <td>
                      <Cell label={`GST rate, line ${i + 1}`} error={e("gst_rate")}>
                        {(pp) => <input {...pp} inputMode="decimal" placeholder={l.item_id ? "Item's" : "Schedule"} value={l.gst_rate} onChange={(ev) => setLine(i, { gst_rate: ev.target.value })} />}
                      </Cell>
                      {worked && !l.gst_rate ? <span className="muted">{Number(worked.gst_rate)}%</span> : null}
                    </td>
                    <td className="num">{worked ? rupees(worked.taxable_value) : rupees(lineAmount(l.quantity, l.unit_price, l.discount))}</td>
                    <td>
                      <Button variant="ghost" disabled={v.lines.length === 1} onClick={() => form.set("lines", v.lines.filter((_, j) => j !== i))} aria-label={`Remove line ${i + 1}`}>
                        ×
                      </Button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div className="form-actions">
          <Button onClick={() => form.set("lines", [...v.lines, NEW_LINE])}>Add line</Button>
        </div>
      </section>
      <section className="card" aria-labelledby="doc-preview">
        <h2 id="doc-preview" className="card-title">
          Tax and total
        </h2>
        <div aria-live="polite">
          {preview.error ? <Alert kind="warning">Not worked out yet. {preview.error}</Alert> : null}
          {!p && !preview.error ? <p className="muted">{preview.busy ? "Working out the tax…" : "Choose the party and add a line to see the tax."}</p> : null}
          {p ? <TaxSummary preview={p} busy={preview.busy} /> : null}
        </div>
      </section>
      <Field label="Notes" hint="Printed on the document." error={err.notes}>
        {(pp) => <textarea {...pp} rows={2} value={v.notes} onChange={(e) => form.set("notes", e.target.value)} />}
      </Field>
      <div className="form-actions">
        <Button type="submit" busy={form.busy && !issuing}>
          {doc ? "Save draft" : "Save draft"}
        </Button>
        <Button variant="primary" busy={form.busy && issuing} onClick={() => void save(true)}>
          {doc ? "Save and issue" : "Issue"}
        </Button>
        {form.dirty ? <span className="muted">Unsaved changes</span> : null}
        <span className="muted">Dates in {timeZone}.</span>
      </div>
    </form>
  );
}

function initialLineFields(n: number): string[] {
  return Array.from({ length: n }, (_, i) => LINE_KEYS.map((k) => `lines[${i}].${k}`)).flat();
}

/** A table cell's control with a label for screen readers and its error below. */
function Cell({ label, error, children }: { label: string; error?: string; children: (p: { id: string; "aria-label": string; "aria-invalid"?: boolean; "aria-describedby"?: string }) => React.ReactElement }) {
  const id = useId();
  return (
    <div className={error ? "field-error" : undefined}>
      {children({ id, "aria-label": label, "aria-invalid": error ? true : undefined, "aria-describedby": error ? `${id}-e` : undefined })}
      {error ? (
        <p id={`${id}-e`} className="error-text">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Taxable value, each tax head, round-off and total. */
export function TaxSummary({ preview, busy }: { preview: Pick<Schemas["Preview"], "heads" | "place_of_supply"> & { totals: Schemas["Totals"] | Omit<Schemas["Totals"], "reverse_charge_tax"> }; busy?: boolean }) {
  const t = preview.totals;
  const rows: [string, string][] = [["Taxable value", t.taxable_value]];
  if (Number(t.discount)) rows.unshift(["Discount", t.discount]);
  if (preview.heads === "igst" || Number(t.igst)) rows.push(["IGST", t.igst]);
  if (preview.heads === "cgst_sgst" || preview.heads === "cgst_utgst" || Number(t.cgst)) rows.push(["CGST", t.cgst]);
  if (preview.heads === "cgst_sgst" || Number(t.sgst)) rows.push(["SGST", t.sgst]);
  if (preview.heads === "cgst_utgst" || Number(t.utgst)) rows.push(["UTGST", t.utgst]);
  if (Number(t.cess)) rows.push(["Cess", t.cess]);
  rows.push(["Round-off", t.round_off]);
  return (
    <div className="totals" aria-busy={busy || undefined}>
      <p className="muted">
        Place of supply {stateName(preview.place_of_supply)} · {HEADS[preview.heads]}
      </p>
      <table>
        <caption className="visually-hidden">Totals</caption>
        <tbody>
          {rows.map(([k, a]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td className="num">{rupees(a)}</td>
            </tr>
          ))}
          <tr className="grand">
            <th scope="row">Total</th>
            <td className="num">{rupees(t.total)}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}
