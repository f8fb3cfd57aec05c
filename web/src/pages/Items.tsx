// Items: goods and services the company sells or buys, with HSN/SAC, unit,
// price (with or without GST), taxability and the GST rate history. An item
// without rates follows the government's rate schedule for its code.
import { useId, useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { setQuery, useLocation } from "../router";
import { Alert, Badge, Button, Check, Dialog, Field, PageHeader, Pager, States, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, usePaged } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, showProblem } from "../ui/problems";
import { UNITS, rupees, type Item } from "../ledger/parts";

export default function Items() {
  const { can, timeZone } = useSession();
  const { query } = useLocation();
  const q = query.get("q") ?? "";
  const [search, setSearch] = useState(q);
  const [editing, setEditing] = useState<Item | "new" | null>(null);
  const list = usePaged((cursor) => call(api.GET("/api/v1/items", { params: { query: { cursor, limit: 50, q: q || undefined } } })), [q]);
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const creatable = can("items:create");
  const writable = can("items:update");
  const remove = async (it: Item) => {
    if (!confirmAction(`Delete ${it.name}? An item used on documents is archived instead.`)) return;
    try {
      await call(api.DELETE("/api/v1/items/{id}", { params: { path: { id: it.id } } }));
      setNotice({ kind: "success", text: `${it.name} was removed.` });
      list.reload();
    } catch (e) {
      setNotice({ kind: "error", text: toApiError(e).message });
    }
  };
  return (
    <>
      <PageHeader
        title="Items"
        description="Goods and services with their HSN or SAC code, unit, price and GST rate."
        actions={
          creatable ? (
            <Button variant="primary" onClick={() => setEditing("new")} aria-haspopup="dialog">
              Add item
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
        <Field label="Search">{(p) => <input {...p} type="search" placeholder="Name, SKU or HSN/SAC" value={search} onChange={(e) => setSearch(e.target.value)} />}</Field>
        <Button type="submit">Search</Button>
      </form>
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText={q ? "No items match." : "No items yet. Add what the company sells or buys."} onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Items</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">HSN/SAC</th>
                <th scope="col">Unit</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col">GST</th>
                {writable ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.items.map((it) => {
                const rate = currentRate(it);
                return (
                  <tr key={it.id}>
                    <td>
                      {it.name}
                      {it.sku ? <div className="muted">SKU {it.sku}</div> : null}
                      {it.is_service ? <Badge tone="info">Service</Badge> : null} {it.archived ? <Badge tone="warn">Archived</Badge> : null}
                    </td>
                    <td>
                      <code>{it.hsn_sac}</code>
                    </td>
                    <td>{it.unit}</td>
                    <td className="num">
                      {rupees(it.price)}
                      <div className="muted">{it.price_includes_tax ? "incl. GST" : "plus GST"}</div>
                    </td>
                    <td>
                      {it.taxability !== "taxable" ? it.taxability.replace("_", " ") : rate ? `${Number(rate.rate)}%${Number(rate.cess_rate ?? 0) ? ` + ${Number(rate.cess_rate)}% cess` : ""}` : "Rate schedule"}
                      {rate && it.rates.length > 1 ? <div className="muted">since {formatDate(rate.effective_from, timeZone)}</div> : null}
                    </td>
                    {writable ? (
                      <td>
                        <span className="row">
                          <Button onClick={() => setEditing(it)} aria-haspopup="dialog" aria-label={`Edit ${it.name}`}>
                            Edit
                          </Button>
                          <Button variant="danger" onClick={() => void remove(it)} aria-label={`Delete ${it.name}`}>
                            Delete
                          </Button>
                        </span>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
      {editing && (editing === "new" ? creatable : writable) ? (
        <ItemDialog
          key={editing === "new" ? "new" : editing.id}
          item={editing === "new" ? undefined : editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) {
              setNotice({ kind: "success", text: `${saved.name} was saved.` });
              list.reload();
            }
          }}
        />
      ) : null}
    </>
  );
}

/** The rate in force today (the latest that has started). */
function currentRate(it: Item): Schemas["ItemRate"] | undefined {
  const now = new Date().toISOString().slice(0, 10);
  return [...it.rates].sort((a, b) => a.effective_from.localeCompare(b.effective_from)).filter((r) => r.effective_from <= now).pop();
}

interface RateRow {
  effective_from: string;
  rate: string;
  cess_rate: string;
}

interface Values {
  name: string;
  sku: string;
  is_service: boolean;
  hsn_sac: string;
  unit: string;
  price: string;
  price_includes_tax: boolean;
  taxability: Schemas["Taxability"];
  rates: RateRow[];
}

const EMPTY: Values = { name: "", sku: "", is_service: false, hsn_sac: "", unit: "NOS", price: "", price_includes_tax: false, taxability: "taxable", rates: [] };

function valuesOf(it: Item): Values {
  return {
    name: it.name,
    sku: it.sku ?? "",
    is_service: it.is_service,
    hsn_sac: it.hsn_sac,
    unit: it.unit,
    price: it.price,
    price_includes_tax: it.price_includes_tax,
    taxability: it.taxability,
    rates: it.rates.map((r) => ({ effective_from: r.effective_from, rate: r.rate, cess_rate: r.cess_rate && Number(r.cess_rate) ? r.cess_rate : "" })),
  };
}

function ItemDialog({ item, onClose }: { item?: Item; onClose: (saved: Item | null) => void }) {
  const formId = useId();
  const initial = item ? valuesOf(item) : EMPTY;
  const rateFields = initial.rates.length + 10;
  const fields = ["name", "sku", "is_service", "hsn_sac", "unit", "price", "price_includes_tax", "taxability", ...Array.from({ length: rateFields }, (_, i) => [`rates[${i}].effective_from`, `rates[${i}].rate`, `rates[${i}].cess_rate`]).flat(), "rates"];
  const form = useForm<Values>(initial, fields);
  const v = form.values;
  const err = form.errors;
  const schedule = useLoad(
    async () => (/^\d{4,8}$/.test(v.hsn_sac) ? call(api.GET("/api/v1/gst-rates", { params: { query: { hsn: v.hsn_sac } } })) : []),
    [v.hsn_sac],
  );
  // Codes of the HSN/SAC master: by the code typed so far, or else by the
  // item's name.
  const hsnQuery = /^\d{2,8}$/.test(v.hsn_sac) ? v.hsn_sac : v.name.trim().length >= 3 ? v.name.trim() : "";
  const hsn = useLoad(
    async () => (hsnQuery ? call(api.GET("/api/v1/gst/hsn", { params: { query: { q: hsnQuery, limit: 6 } } })) : []),
    [hsnQuery],
  );
  const exact = hsn.data?.find((c) => c.code === v.hsn_sac);
  const suggestions = (hsn.data ?? []).filter((c) => c.code !== v.hsn_sac && (v.is_service ? c.kind === "service" : c.kind === "goods") && c.code.length >= 4).slice(0, 5);
  const close = askBeforeClosing(form.dirty, () => onClose(null));
  const submit = async (el: HTMLFormElement) => {
    let saved: Item | undefined;
    const body: Schemas["ItemInput"] = {
      name: v.name.trim(),
      sku: v.sku.trim() || null,
      is_service: v.is_service,
      hsn_sac: v.hsn_sac.trim(),
      unit: v.unit as Schemas["Unit"],
      price: v.price.trim() || "0",
      price_includes_tax: v.price_includes_tax,
      taxability: v.taxability,
      rates: v.rates.length ? v.rates.map((r) => ({ effective_from: r.effective_from, rate: r.rate.trim(), cess_rate: r.cess_rate.trim() || "0" })) : null,
    };
    const ok = await form.submit(async () => {
      try {
        saved = item ? await call(api.PUT("/api/v1/items/{id}", { params: { path: { id: item.id } }, body })) : await call(api.POST("/api/v1/items", { body }));
      } catch (e) {
        throw humaneProblem(e);
      }
    });
    if (ok && saved) onClose(saved);
    else showProblem(el);
  };
  const setRate = (i: number, k: keyof RateRow, value: string) => form.set("rates", v.rates.map((r, j) => (j === i ? { ...r, [k]: value } : r)));
  const scheduled = schedule.data?.find((r) => !r.effective_to);
  return (
    <Dialog
      open
      title={item ? `Edit ${item.name}` : "Add item"}
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            {item ? "Save item" : "Add item"}
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
        <Field label="Name" error={err.name}>
          {(p) => <input {...p} value={v.name} onChange={(e) => form.set("name", e.target.value)} />}
        </Field>
        <Check label="This is a service" hint="Services use a SAC code (six digits starting 99)." checked={v.is_service} onChange={(x) => form.set("is_service", x)} />
        {suggestions.length ? (
          <div className="hsn-suggestions" role="group" aria-label={v.is_service ? "SAC suggestions" : "HSN suggestions"}>
            <span className="muted">{v.is_service ? "SAC codes" : "HSN codes"} that match:</span>
            <ul>
              {suggestions.map((c) => (
                <li key={c.code}>
                  <button type="button" className="btn btn-ghost hsn-pick" onClick={() => form.set("hsn_sac", c.code)}>
                    <code>{c.code}</code> {c.description.length > 70 ? `${c.description.slice(0, 70)}…` : c.description}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="grid-2">
          <Field
            label={v.is_service ? "SAC code" : "HSN code"}
            hint={exact ? exact.description : v.is_service ? "Six digits starting 99." : "4 to 8 digits."}
            error={err.hsn_sac}
          >
            {(p) => <input {...p} inputMode="numeric" maxLength={8} value={v.hsn_sac} onChange={(e) => form.set("hsn_sac", e.target.value.trim())} />}
          </Field>
          <Field label="SKU" hint="Optional: your own code." error={err.sku}>
            {(p) => <input {...p} value={v.sku} onChange={(e) => form.set("sku", e.target.value)} />}
          </Field>
          <Field label="Unit" hint="The unit quantity code (UQC) returns use." error={err.unit}>
            {(p) => (
              <select {...p} value={v.unit} onChange={(e) => form.set("unit", e.target.value)}>
                {UNITS.map(([u, n]) => (
                  <option key={u} value={u}>
                    {u} — {n}
                  </option>
                ))}
                {UNITS.some(([u]) => u === v.unit) ? null : <option value={v.unit}>{v.unit}</option>}
              </select>
            )}
          </Field>
          <Field label="Price (₹)" error={err.price}>
            {(p) => <input {...p} inputMode="decimal" value={v.price} onChange={(e) => form.set("price", e.target.value)} />}
          </Field>
        </div>
        <Check label="Price includes GST" checked={v.price_includes_tax} onChange={(x) => form.set("price_includes_tax", x)} />
        <Field label="Taxability" error={err.taxability}>
          {(p) => (
            <select {...p} value={v.taxability} onChange={(e) => form.set("taxability", e.target.value as Schemas["Taxability"])}>
              <option value="taxable">Taxable</option>
              <option value="nil_rated">Nil-rated</option>
              <option value="exempt">Exempt</option>
              <option value="non_gst">Outside GST (non-GST supply)</option>
            </select>
          )}
        </Field>
        <fieldset>
          <legend>GST rates</legend>
          <p className="hint">
            {v.rates.length === 0
              ? scheduled
                ? `No rates of its own: the schedule's ${Number(scheduled.rate)}% for ${scheduled.hsn_prefix} (${scheduled.description}) applies.`
                : "No rates of its own: the government's rate schedule for its code applies."
              : "Each rate applies from its date until the next one starts."}
          </p>
          {err.rates ? <p className="error-text">{err.rates}</p> : null}
          {v.rates.map((r, i) => (
            <div key={i} className="grid-2">
              <Field label={`Effective from (rate ${i + 1})`} error={err[`rates[${i}].effective_from`]}>
                {(p) => <input {...p} type="date" value={r.effective_from} onChange={(e) => setRate(i, "effective_from", e.target.value)} />}
              </Field>
              <Field label={`GST rate % (rate ${i + 1})`} error={err[`rates[${i}].rate`]}>
                {(p) => <input {...p} inputMode="decimal" value={r.rate} onChange={(e) => setRate(i, "rate", e.target.value)} />}
              </Field>
              <Field label={`Cess % (rate ${i + 1})`} error={err[`rates[${i}].cess_rate`]}>
                {(p) => <input {...p} inputMode="decimal" placeholder="0" value={r.cess_rate} onChange={(e) => setRate(i, "cess_rate", e.target.value)} />}
              </Field>
              <div className="form-actions">
                <Button onClick={() => form.set("rates", v.rates.filter((_, j) => j !== i))}>Remove rate {i + 1}</Button>
              </div>
            </div>
          ))}
          <Button onClick={() => form.set("rates", [...v.rates, { effective_from: v.rates.length ? new Date().toISOString().slice(0, 10) : "2017-07-01", rate: scheduled ? String(Number(scheduled.rate)) : "18", cess_rate: "" }])}>
            Add rate
          </Button>
        </fieldset>
      </form>
    </Dialog>
  );
}
