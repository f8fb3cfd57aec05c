// Parties: the company's customers and suppliers with what each owes or is
// owed; add or edit one (GSTIN, registration, addresses, terms, credit
// limit, opening balance). The party dialog is shared with the party page.
import { useId, useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Link, setQuery, useLocation } from "../router";
import { Alert, Badge, Button, Check, Dialog, Field, PageHeader, Pager, States } from "../ui";
import { useForm, usePaged } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, showProblem } from "../ui/problems";
import { STATES, rupees, type Party } from "../ledger/parts";

export default function Parties() {
  const { can } = useSession();
  const { query } = useLocation();
  const q = query.get("q") ?? "";
  const kind = (query.get("kind") ?? "") as "" | "customer" | "supplier";
  const archived = query.get("archived") === "1";
  const [search, setSearch] = useState(q);
  const [adding, setAdding] = useState(false);
  const list = usePaged(
    (cursor) => call(api.GET("/api/v1/parties", { params: { query: { cursor, limit: 50, q: q || undefined, kind: kind || undefined, archived: archived || undefined } } })),
    [q, kind, archived],
  );
  return (
    <>
      <PageHeader
        title="Parties"
        description="Customers and suppliers, with what each owes the company (positive) or is owed (negative)."
        actions={
          can("parties:create") ? (
            <Button variant="primary" onClick={() => setAdding(true)} aria-haspopup="dialog">
              Add party
            </Button>
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
        <Field label="Search">
          {(p) => <input {...p} type="search" placeholder="Name, GSTIN or PAN" value={search} onChange={(e) => setSearch(e.target.value)} />}
        </Field>
        <Field label="Show">
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setQuery({ kind: e.target.value })}>
              <option value="">Customers and suppliers</option>
              <option value="customer">Customers</option>
              <option value="supplier">Suppliers</option>
            </select>
          )}
        </Field>
        <Check label="Archived" checked={archived} onChange={(v) => setQuery({ archived: v ? "1" : null })} />
        <Button type="submit">Search</Button>
      </form>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText={q || kind ? "No parties match." : "No parties yet. Add the company's first customer or supplier."} onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Parties</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">GSTIN</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Balance
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link href={`/parties/${p.id}`}>{p.legal_name}</Link>
                    {p.trade_name ? <div className="muted">{p.trade_name}</div> : null}
                    {p.archived ? <Badge tone="warn">Archived</Badge> : null}
                  </td>
                  <td>{[p.is_customer ? "Customer" : "", p.is_supplier ? "Supplier" : ""].filter(Boolean).join(", ")}</td>
                  <td>{p.gstin ? <code>{p.gstin}</code> : <span className="muted">Unregistered</span>}</td>
                  <td>{STATES.find(([c]) => c === p.state_code)?.[1] ?? p.state_code}</td>
                  <td className="num">{rupees(p.balance)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
      {can("parties:create") ? (
        <PartyDialog
          open={adding}
          onClose={(saved) => {
            setAdding(false);
            if (saved) list.reload();
          }}
        />
      ) : null}
    </>
  );
}

interface AddressValues {
  line1: string;
  line2: string;
  city: string;
  state_code: string;
  pincode: string;
  country: string;
}

const NO_ADDRESS: AddressValues = { line1: "", line2: "", city: "", state_code: "", pincode: "", country: "" };

interface Values {
  is_customer: boolean;
  is_supplier: boolean;
  legal_name: string;
  trade_name: string;
  gstin: string;
  pan: string;
  registration: Schemas["Registration"];
  billing: AddressValues;
  ship_elsewhere: boolean;
  shipping: AddressValues;
  contact_name: string;
  contact_email: string;
  contact_phone: string;
  payment_terms_days: string;
  credit_limit: string;
  opening_balance: string;
  opening_date: string;
  notes: string;
}

const EMPTY: Values = {
  is_customer: true,
  is_supplier: false,
  legal_name: "",
  trade_name: "",
  gstin: "",
  pan: "",
  registration: "regular",
  billing: NO_ADDRESS,
  ship_elsewhere: false,
  shipping: NO_ADDRESS,
  contact_name: "",
  contact_email: "",
  contact_phone: "",
  payment_terms_days: "",
  credit_limit: "",
  opening_balance: "",
  opening_date: "",
  notes: "",
};

function addressOf(a: Schemas["Address"] | null | undefined): AddressValues {
  if (!a) return NO_ADDRESS;
  return { line1: a.line1, line2: a.line2 ?? "", city: a.city, state_code: a.state_code, pincode: a.pincode ?? "", country: a.country ?? "" };
}

function valuesOf(p: Party): Values {
  const c = p.contacts[0];
  return {
    is_customer: p.is_customer,
    is_supplier: p.is_supplier,
    legal_name: p.legal_name,
    trade_name: p.trade_name ?? "",
    gstin: p.gstin ?? "",
    pan: p.pan ?? "",
    registration: p.registration,
    billing: addressOf(p.billing_address),
    ship_elsewhere: Boolean(p.shipping_address),
    shipping: addressOf(p.shipping_address),
    contact_name: c?.name ?? "",
    contact_email: c?.email ?? "",
    contact_phone: c?.phone ?? "",
    payment_terms_days: p.payment_terms_days == null ? "" : String(p.payment_terms_days),
    credit_limit: p.credit_limit ?? "",
    opening_balance: p.opening_balance && Number(p.opening_balance) !== 0 ? p.opening_balance : "",
    opening_date: p.opening_date ?? "",
    notes: p.notes ?? "",
  };
}

const blank = (s: string) => (s.trim() === "" ? null : s.trim());

function addressInput(a: AddressValues): Schemas["Address"] {
  return {
    line1: a.line1.trim(),
    line2: blank(a.line2),
    city: a.city.trim(),
    state_code: a.state_code as Schemas["PlaceOfSupply"],
    pincode: blank(a.pincode),
    country: blank(a.country),
  };
}

function inputOf(v: Values): Schemas["PartyInput"] {
  const terms = v.payment_terms_days.trim();
  return {
    is_customer: v.is_customer,
    is_supplier: v.is_supplier,
    legal_name: v.legal_name.trim(),
    trade_name: blank(v.trade_name),
    gstin: blank(v.gstin.toUpperCase()),
    pan: blank(v.pan.toUpperCase()),
    registration: v.registration,
    billing_address: addressInput(v.billing),
    shipping_address: v.ship_elsewhere ? addressInput(v.shipping) : null,
    contacts: v.contact_name.trim() ? [{ name: v.contact_name.trim(), email: blank(v.contact_email), phone: blank(v.contact_phone) }] : [],
    payment_terms_days: terms === "" ? null : Number(terms),
    credit_limit: blank(v.credit_limit),
    opening_balance: blank(v.opening_balance),
    opening_date: blank(v.opening_date),
    notes: blank(v.notes),
  };
}

const ADDRESS_FIELDS = ["line1", "line2", "city", "state_code", "pincode", "country"];
// Every field the dialog shows; a problem about any other is shown above it.
const PARTY_FIELDS = [
  "is_customer", "is_supplier", "legal_name", "trade_name", "gstin", "pan", "registration",
  ...ADDRESS_FIELDS.map((f) => `billing_address.${f}`),
  ...ADDRESS_FIELDS.map((f) => `shipping_address.${f}`),
  "contacts[0].name", "contacts[0].email", "contacts[0].phone",
  "payment_terms_days", "credit_limit", "opening_balance", "opening_date", "notes",
];

/** Adds a party, or edits `party`. */
export function PartyDialog({ open, party, onClose }: { open: boolean; party?: Party; onClose: (saved: Party | null) => void }) {
  const form = useForm<Values>(party ? valuesOf(party) : EMPTY, PARTY_FIELDS);
  const formId = useId();
  const v = form.values;
  const err = form.errors;
  const close = askBeforeClosing(form.dirty, () => {
    form.reset(party ? valuesOf(party) : EMPTY);
    onClose(null);
  });
  const submit = async (el: HTMLFormElement) => {
    let saved: Party | undefined;
    const ok = await form.submit(async (x) => {
      try {
        saved = party
          ? await call(api.PUT("/api/v1/parties/{id}", { params: { path: { id: party.id } }, body: inputOf(x) }))
          : await call(api.POST("/api/v1/parties", { body: inputOf(x) }));
      } catch (e) {
        throw humaneProblem(e);
      }
    });
    if (ok && saved) {
      form.reset(party ? valuesOf(saved) : EMPTY);
      onClose(saved);
    } else showProblem(el);
  };
  const setAddress = (which: "billing" | "shipping", k: keyof AddressValues, value: string) => form.set(which, { ...v[which], [k]: value });
  const address = (which: "billing" | "shipping", legend: string) => {
    const a = v[which];
    const path = which === "billing" ? "billing_address" : "shipping_address";
    return (
      <fieldset>
        <legend>{legend}</legend>
        <Field label="Address line 1" error={err[`${path}.line1`]}>
          {(p) => <input {...p} autoComplete="address-line1" value={a.line1} onChange={(e) => setAddress(which, "line1", e.target.value)} />}
        </Field>
        <Field label="Address line 2" error={err[`${path}.line2`]}>
          {(p) => <input {...p} autoComplete="address-line2" value={a.line2} onChange={(e) => setAddress(which, "line2", e.target.value)} />}
        </Field>
        <div className="grid-2">
          <Field label="City" error={err[`${path}.city`]}>
            {(p) => <input {...p} autoComplete="address-level2" value={a.city} onChange={(e) => setAddress(which, "city", e.target.value)} />}
          </Field>
          <Field label="State" hint="Sets the place of supply." error={err[`${path}.state_code`]}>
            {(p) => (
              <select {...p} value={a.state_code} onChange={(e) => setAddress(which, "state_code", e.target.value)}>
                <option value="">Choose a state…</option>
                {STATES.map(([c, n]) => (
                  <option key={c} value={c}>
                    {n} ({c})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="PIN code" hint="Six digits; required in India." error={err[`${path}.pincode`]}>
            {(p) => <input {...p} inputMode="numeric" autoComplete="postal-code" maxLength={6} value={a.pincode} onChange={(e) => setAddress(which, "pincode", e.target.value)} />}
          </Field>
          <Field label="Country" hint="Outside India only." error={err[`${path}.country`]}>
            {(p) => <input {...p} autoComplete="country-name" value={a.country} onChange={(e) => setAddress(which, "country", e.target.value)} />}
          </Field>
        </div>
      </fieldset>
    );
  };
  return (
    <Dialog
      open={open}
      title={party ? `Edit ${party.legal_name}` : "Add party"}
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            {party ? "Save party" : "Add party"}
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
        <fieldset>
          <legend>This party is a</legend>
          <Check label="Customer" checked={v.is_customer} onChange={(x) => form.set("is_customer", x)} />
          <Check label="Supplier" checked={v.is_supplier} onChange={(x) => form.set("is_supplier", x)} />
          {err.is_customer ? <p className="error-text">{err.is_customer}</p> : null}
        </fieldset>
        <Field label="Legal name" error={err.legal_name}>
          {(p) => <input {...p} autoComplete="organization" value={v.legal_name} onChange={(e) => form.set("legal_name", e.target.value)} />}
        </Field>
        <Field label="Trade name" hint="Optional: the name it trades under." error={err.trade_name}>
          {(p) => <input {...p} value={v.trade_name} onChange={(e) => form.set("trade_name", e.target.value)} />}
        </Field>
        <div className="grid-2">
          <Field label="GSTIN" hint="15 characters; its first two digits are the state." error={err.gstin}>
            {(p) => (
              <input
                {...p}
                autoComplete="off"
                spellCheck={false}
                maxLength={15}
                value={v.gstin}
                onChange={(e) => {
                  const g = e.target.value.toUpperCase();
                  form.set("gstin", g);
                  // The GSTIN names the state; a blank state follows it.
                  const code = g.slice(0, 2);
                  if (/^\d\d$/.test(code) && !v.billing.state_code && STATES.some(([c]) => c === code)) form.set("billing", { ...v.billing, state_code: code });
                }}
              />
            )}
          </Field>
          <Field label="PAN" hint="Taken from the GSTIN when blank." error={err.pan}>
            {(p) => <input {...p} autoComplete="off" spellCheck={false} maxLength={10} value={v.pan} onChange={(e) => form.set("pan", e.target.value.toUpperCase())} />}
          </Field>
        </div>
        <Field label="GST registration" error={err.registration}>
          {(p) => (
            <select {...p} value={v.registration} onChange={(e) => form.set("registration", e.target.value as Schemas["Registration"])}>
              <option value="regular">Regular</option>
              <option value="composition">Composition</option>
              <option value="unregistered">Unregistered business</option>
              <option value="consumer">Consumer</option>
              <option value="overseas">Overseas</option>
              <option value="sez">Special economic zone (SEZ)</option>
            </select>
          )}
        </Field>
        {address("billing", "Billing address")}
        <Check label="Ships to a different address" checked={v.ship_elsewhere} onChange={(x) => form.set("ship_elsewhere", x)} />
        {v.ship_elsewhere ? address("shipping", "Shipping address") : null}
        <fieldset>
          <legend>Contact</legend>
          <Field label="Contact name" error={err["contacts[0].name"]}>
            {(p) => <input {...p} autoComplete="name" value={v.contact_name} onChange={(e) => form.set("contact_name", e.target.value)} />}
          </Field>
          <div className="grid-2">
            <Field label="Contact e-mail" error={err["contacts[0].email"]}>
              {(p) => <input {...p} type="email" autoComplete="email" value={v.contact_email} onChange={(e) => form.set("contact_email", e.target.value)} />}
            </Field>
            <Field label="Contact phone" error={err["contacts[0].phone"]}>
              {(p) => <input {...p} type="tel" autoComplete="tel" value={v.contact_phone} onChange={(e) => form.set("contact_phone", e.target.value)} />}
            </Field>
          </div>
        </fieldset>
        <div className="grid-2">
          <Field label="Payment terms (days)" hint="Blank: the company's default." error={err.payment_terms_days}>
            {(p) => <input {...p} type="number" inputMode="numeric" min={0} step={1} value={v.payment_terms_days} onChange={(e) => form.set("payment_terms_days", e.target.value)} />}
          </Field>
          <Field label="Credit limit (₹)" hint="Blank: no limit." error={err.credit_limit}>
            {(p) => <input {...p} inputMode="decimal" value={v.credit_limit} onChange={(e) => form.set("credit_limit", e.target.value)} />}
          </Field>
          <Field label="Opening balance (₹)" hint="Owed to the company; negative when the company owes." error={err.opening_balance}>
            {(p) => <input {...p} inputMode="decimal" value={v.opening_balance} onChange={(e) => form.set("opening_balance", e.target.value)} />}
          </Field>
          <Field label="Opening date" hint="Blank: the start of the financial year." error={err.opening_date}>
            {(p) => <input {...p} type="date" value={v.opening_date} onChange={(e) => form.set("opening_date", e.target.value)} />}
          </Field>
        </div>
        <Field label="Notes" error={err.notes}>
          {(p) => <textarea {...p} rows={2} value={v.notes} onChange={(e) => form.set("notes", e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}
