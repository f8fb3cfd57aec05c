// Books: the chart of accounts (add, rename), journals (every posting, and
// a manual journal whose debits equal its credits), the ledger settings
// (books locked until, default due days, the company's address on
// documents, the logo they print) and the number series documents are
// numbered from.
import { useEffect, useId, useState } from "react";
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDate } from "../format";
import { Link, useLocation } from "../router";
import { Alert, Badge, Button, Check, Dialog, Field, PageHeader, Pager, States } from "../ui";
import { useForm, useLoad, usePaged, type Loaded } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, showProblem } from "../ui/problems";
import { journalTotals } from "../ledger/money";
import { KIND_NAMES, STATES, rupees, today } from "../ledger/parts";
import { authorizedFetch, problemOf } from "../knowledge/transfer";

type Account = Schemas["Account"];
type View = "accounts" | "journals" | "settings" | "series";
const VIEWS: [View, string][] = [
  ["accounts", "Chart of accounts"],
  ["journals", "Journals"],
  ["settings", "Settings"],
  ["series", "Number series"],
];

export default function Books() {
  const { query } = useLocation();
  const view = (VIEWS.some(([v]) => v === query.get("view")) ? query.get("view") : "accounts") as View;
  const accounts = useLoad(() => call(api.GET("/api/v1/accounts")), []);
  return (
    <>
      <PageHeader title="Books" description="The company's accounts and journals. Every issued document, receipt and payment posts here by itself." />
      <nav className="row" aria-label="Books sections" style={{ marginBottom: "1rem" }}>
        {VIEWS.map(([v, name]) => (
          <Link key={v} href={v === "accounts" ? "/books" : `/books?view=${v}`} className={`btn ${v === view ? "btn-primary" : "btn-secondary"}`} aria-current={v === view ? "page" : undefined}>
            {name}
          </Link>
        ))}
      </nav>
      {view === "accounts" ? <Accounts accounts={accounts} /> : null}
      {view === "journals" ? <Journals accounts={accounts} /> : null}
      {view === "settings" ? (
        <>
          <Settings />
          <Logo />
        </>
      ) : null}
      {view === "series" ? <Series /> : null}
    </>
  );
}

const KINDS: [Schemas["AccountKind"], string][] = [
  ["asset", "Asset"],
  ["liability", "Liability"],
  ["equity", "Equity"],
  ["income", "Income"],
  ["expense", "Expense"],
];

function Accounts({ accounts }: { accounts: Loaded<Account[]> }) {
  const { can } = useSession();
  const [editing, setEditing] = useState<Account | "new" | null>(null);
  const writable = can("accounts:write");
  const list = accounts.data ?? [];
  return (
    <section aria-labelledby="accounts-h">
      <div className="page-header">
        <h2 id="accounts-h">Chart of accounts</h2>
        {writable ? (
          <Button onClick={() => setEditing("new")} aria-haspopup="dialog">
            Add account
          </Button>
        ) : null}
      </div>
      <States loading={accounts.loading} error={accounts.error} empty={list.length === 0} emptyText="No accounts." onRetry={accounts.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Accounts by code</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                {writable ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.id}>
                  <td>
                    <code>{a.code}</code>
                  </td>
                  <td>
                    {a.name} {a.role ? <Badge tone="info">System</Badge> : null} {a.archived ? <Badge tone="warn">Archived</Badge> : null}
                  </td>
                  <td>{KINDS.find(([k]) => k === a.kind)?.[1]}</td>
                  {writable ? (
                    <td>
                      <Button onClick={() => setEditing(a)} aria-haspopup="dialog" aria-label={`Rename ${a.name}`}>
                        Rename
                      </Button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      {editing ? (
        <AccountDialog
          account={editing === "new" ? undefined : editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) accounts.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function AccountDialog({ account, onClose }: { account?: Account; onClose: (saved: boolean) => void }) {
  const formId = useId();
  const form = useForm({ code: account?.code ?? "", name: account?.name ?? "", kind: account?.kind ?? ("expense" as Schemas["AccountKind"]), archived: account?.archived ?? false }, ["code", "name", "kind", "archived"]);
  const v = form.values;
  const close = askBeforeClosing(form.dirty, () => onClose(false));
  const submit = async (el: HTMLFormElement) => {
    const body = { code: v.code.trim(), name: v.name.trim(), kind: v.kind, archived: v.archived };
    const ok = await form.submit(async () => {
      try {
        if (account) await call(api.PUT("/api/v1/accounts/{id}", { params: { path: { id: account.id } }, body }));
        else await call(api.POST("/api/v1/accounts", { body }));
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
      title={account ? `Rename ${account.name}` : "Add account"}
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            {account ? "Save account" : "Add account"}
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
        <Field label="Code" hint="Four digits, such as 5100." error={form.errors.code}>
          {(p) => <input {...p} inputMode="numeric" value={v.code} onChange={(e) => form.set("code", e.target.value)} />}
        </Field>
        <Field label="Account name" error={form.errors.name}>
          {(p) => <input {...p} value={v.name} onChange={(e) => form.set("name", e.target.value)} />}
        </Field>
        <Field label="Kind" error={form.errors.kind}>
          {(p) => (
            <select {...p} value={v.kind} disabled={Boolean(account?.role)} onChange={(e) => form.set("kind", e.target.value as Schemas["AccountKind"])}>
              {KINDS.map(([k, n]) => (
                <option key={k} value={k}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
        {account && !account.role ? <Check label="Archived (hidden from new journals)" checked={v.archived} onChange={(x) => form.set("archived", x)} /> : null}
      </form>
    </Dialog>
  );
}

function Journals({ accounts }: { accounts: Loaded<Account[]> }) {
  const { can, timeZone } = useSession();
  const [posting, setPosting] = useState(false);
  const list = usePaged((cursor) => call(api.GET("/api/v1/journals", { params: { query: { cursor, limit: 25 } } })), []);
  return (
    <section aria-labelledby="journals-h">
      <div className="page-header">
        <h2 id="journals-h">Journals</h2>
        {can("journals:create") ? (
          <Button onClick={() => setPosting(true)} aria-haspopup="dialog">
            Post a journal
          </Button>
        ) : null}
      </div>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText="No journals yet." onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Journals, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Narration</th>
                <th scope="col">Account</th>
                <th scope="col" className="num">
                  Debit
                </th>
                <th scope="col" className="num">
                  Credit
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((j) =>
                j.lines.map((l, i) => (
                  <tr key={`${j.id}:${i}`}>
                    {i === 0 ? (
                      <>
                        <td rowSpan={j.lines.length}>{formatDate(j.date, timeZone)}</td>
                        <td rowSpan={j.lines.length}>
                          {j.narration}
                          <div className="muted">{j.source}</div>
                        </td>
                      </>
                    ) : null}
                    <td>
                      <code>{l.account_code}</code> {l.account_name}
                    </td>
                    <td className="num">{Number(l.debit) ? rupees(l.debit) : ""}</td>
                    <td className="num">{Number(l.credit) ? rupees(l.credit) : ""}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
      {posting ? (
        <JournalDialog
          accounts={accounts.data ?? []}
          onClose={(saved) => {
            setPosting(false);
            if (saved) list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

interface JLine {
  account_id: string;
  debit: string;
  credit: string;
}

function JournalDialog({ accounts, onClose }: { accounts: Account[]; onClose: (saved: boolean) => void }) {
  const { timeZone } = useSession();
  const formId = useId();
  const blank: JLine = { account_id: "", debit: "", credit: "" };
  const lineFields = Array.from({ length: 30 }, (_, i) => [`lines[${i}].account_id`, `lines[${i}].debit`, `lines[${i}].credit`]).flat();
  const form = useForm({ date: today(timeZone), narration: "", lines: [blank, blank] }, ["date", "narration", ...lineFields, "lines"]);
  const v = form.values;
  const err = form.errors;
  const t = journalTotals(v.lines);
  const close = askBeforeClosing(form.dirty, () => onClose(false));
  const setLine = (i: number, patch: Partial<JLine>) => form.set("lines", v.lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const submit = async (el: HTMLFormElement) => {
    const ok = await form.submit(async () => {
      try {
        await call(
          api.POST("/api/v1/journals", {
            body: {
              date: v.date,
              narration: v.narration.trim(),
              lines: v.lines.map((l) => ({ account_id: l.account_id, ...(l.debit.trim() ? { debit: l.debit.trim() } : {}), ...(l.credit.trim() ? { credit: l.credit.trim() } : {}) })),
            },
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
      title="Post a journal"
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            Post journal
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
        <div className="grid-2">
          <Field label="Date" error={err.date}>
            {(p) => <input {...p} type="date" value={v.date} onChange={(e) => form.set("date", e.target.value)} />}
          </Field>
          <Field label="Narration" error={err.narration}>
            {(p) => <input {...p} value={v.narration} onChange={(e) => form.set("narration", e.target.value)} />}
          </Field>
        </div>
        {err.lines ? <p className="error-text">{err.lines}</p> : null}
        {v.lines.map((l, i) => (
          <fieldset key={i}>
            <legend>Line {i + 1}</legend>
            <Field label={`Account (line ${i + 1})`} error={err[`lines[${i}].account_id`]}>
              {(p) => (
                <select {...p} value={l.account_id} onChange={(e) => setLine(i, { account_id: e.target.value })}>
                  <option value="">Choose…</option>
                  {accounts
                    .filter((a) => !a.archived)
                    .map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.code} {a.name}
                      </option>
                    ))}
                </select>
              )}
            </Field>
            <div className="grid-2">
              <Field label={`Debit ₹ (line ${i + 1})`} error={err[`lines[${i}].debit`]}>
                {(p) => <input {...p} inputMode="decimal" value={l.debit} onChange={(e) => setLine(i, { debit: e.target.value, credit: e.target.value ? "" : l.credit })} />}
              </Field>
              <Field label={`Credit ₹ (line ${i + 1})`} error={err[`lines[${i}].credit`]}>
                {(p) => <input {...p} inputMode="decimal" value={l.credit} onChange={(e) => setLine(i, { credit: e.target.value, debit: e.target.value ? "" : l.debit })} />}
              </Field>
            </div>
            {v.lines.length > 2 ? <Button onClick={() => form.set("lines", v.lines.filter((_, j) => j !== i))}>Remove line {i + 1}</Button> : null}
          </fieldset>
        ))}
        <div className="form-actions">
          <Button onClick={() => form.set("lines", [...v.lines, blank])}>Add line</Button>
          <span className={t.balanced ? "muted" : "error-text"} role="status">
            Debits {rupees(t.debit)}, credits {rupees(t.credit)}
            {t.balanced ? ": balanced." : ": they must be equal."}
          </span>
        </div>
      </form>
    </Dialog>
  );
}

interface SettingsValues {
  books_locked_until: string;
  default_due_days: string;
  line1: string;
  line2: string;
  city: string;
  state_code: string;
  pincode: string;
  company_phone: string;
  company_email: string;
}

function settingsValues(s: Schemas["LedgerSettings"]): SettingsValues {
  const a = s.company_address;
  return {
    books_locked_until: s.books_locked_until ?? "",
    default_due_days: String(s.default_due_days),
    line1: a?.line1 ?? "",
    line2: a?.line2 ?? "",
    city: a?.city ?? "",
    state_code: a?.state_code ?? "",
    pincode: a?.pincode ?? "",
    company_phone: s.company_phone ?? "",
    company_email: s.company_email ?? "",
  };
}

/** The company's logo: shown, replaced (PNG or JPEG, at most 1 MiB) or removed. */
function Logo() {
  const { can } = useSession();
  const writable = can("books:settings");
  const [src, setSrc] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [version, setVersion] = useState(0);
  const inputId = useId();
  useEffect(() => {
    let url: string | null = null;
    let live = true;
    authorizedFetch("/api/v1/ledger/logo")
      .then(async (r) => {
        if (!live) return;
        if (r.ok) {
          url = URL.createObjectURL(await r.blob());
          setSrc(url);
        } else setSrc(null);
      })
      .catch(() => setSrc(null));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [version]);
  const send = async (init: RequestInit, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await authorizedFetch("/api/v1/ledger/logo", init);
      if (!r.ok) {
        const e = humaneProblem(await problemOf(r));
        const field = e.problem?.errors?.[0]?.message;
        throw new Error(field ?? e.problem?.detail ?? e.message);
      }
      setMessage({ kind: "success", text: done });
      setVersion((v) => v + 1);
    } catch (e) {
      setMessage({ kind: "error", text: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="logo-h">
      <h2 id="logo-h">Logo</h2>
      <p className="muted">Printed at the top of invoices, quotations and notes. PNG or JPEG, at most 1 MiB.</p>
      {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
      {src ? <img className="company-logo" src={src} alt="The company's logo" style={{ maxHeight: "4rem", maxWidth: "16rem" }} /> : <p>No logo yet.</p>}
      {writable ? (
        <div className="row">
          <label className="btn" htmlFor={inputId} aria-disabled={busy}>
            {src ? "Replace logo" : "Upload logo"}
          </label>
          <input
            id={inputId}
            type="file"
            accept="image/png,image/jpeg"
            className="visually-hidden"
            disabled={busy}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = "";
              if (file) void send({ method: "PUT", body: file, headers: { "Content-Type": file.type || "application/octet-stream" } }, `${file.name} is the logo now.`);
            }}
          />
          {src ? (
            <Button variant="danger" busy={busy} onClick={() => void send({ method: "DELETE" }, "The logo was removed.")}>
              Remove logo
            </Button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function Settings() {
  const { can } = useSession();
  const loaded = useLoad(() => call(api.GET("/api/v1/ledger/settings")), []);
  const form = useForm<SettingsValues>(settingsValues({ default_due_days: 30 }), [
    "books_locked_until",
    "default_due_days",
    "company_address.line1",
    "company_address.line2",
    "company_address.city",
    "company_address.state_code",
    "company_address.pincode",
    "company_phone",
    "company_email",
  ]);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (loaded.data) form.reset(settingsValues(loaded.data));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded.data]);
  const v = form.values;
  const err = form.errors;
  const text = (k: keyof SettingsValues, label: string, errKey: string, extra: { hint?: ReactNode; type?: string; inputMode?: "numeric" | "email" | "tel"; disabled?: boolean } = {}) => (
    <Field label={label} hint={extra.hint} error={err[errKey]}>
      {(p) => <input {...p} type={extra.type ?? "text"} inputMode={extra.inputMode} disabled={extra.disabled} value={v[k]} onChange={(e) => form.set(k, e.target.value)} />}
    </Field>
  );
  const submit = async (el: HTMLFormElement) => {
    setSaved(false);
    let result: Schemas["LedgerSettings"] | undefined;
    const address = v.line1.trim() || v.city.trim() ? { line1: v.line1.trim(), line2: v.line2.trim() || null, city: v.city.trim(), state_code: v.state_code as Schemas["PlaceOfSupply"], pincode: v.pincode.trim() || null } : null;
    const ok = await form.submit(async () => {
      try {
        result = await call(
          api.PUT("/api/v1/ledger/settings", {
            body: {
              books_locked_until: v.books_locked_until || null,
              default_due_days: Number(v.default_due_days),
              company_address: address,
              company_phone: v.company_phone.trim() || null,
              company_email: v.company_email.trim() || null,
            },
          }),
        );
      } catch (e) {
        throw humaneProblem(e);
      }
    });
    if (ok && result) {
      form.reset(settingsValues(result));
      setSaved(true);
    } else showProblem(el);
  };
  return (
    <section aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      <States loading={loaded.loading} error={loaded.error} empty={!loaded.data} emptyText="" onRetry={loaded.reload}>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void submit(e.currentTarget);
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          {saved && !form.dirty ? <Alert kind="success">The settings were saved.</Alert> : null}
          <div className="grid-2">
            {text("books_locked_until", "Books locked until", "books_locked_until", { type: "date", disabled: !can("books:lock"), hint: "Nothing dated on or before this day can be posted, changed or cancelled. Blank: open." })}
            {text("default_due_days", "Default due days", "default_due_days", { type: "number", inputMode: "numeric", hint: "Days to pay when a party has no terms of its own." })}
          </div>
          <fieldset>
            <legend>Company address on documents</legend>
            {text("line1", "Address line 1", "company_address.line1")}
            {text("line2", "Address line 2", "company_address.line2")}
            <div className="grid-2">
              {text("city", "City", "company_address.city")}
              <Field label="State" error={err["company_address.state_code"]}>
                {(p) => (
                  <select {...p} value={v.state_code} onChange={(e) => form.set("state_code", e.target.value)}>
                    <option value="">Choose a state…</option>
                    {STATES.map(([c, n]) => (
                      <option key={c} value={c}>
                        {n} ({c})
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              {text("pincode", "PIN code", "company_address.pincode", { inputMode: "numeric" })}
            </div>
          </fieldset>
          <div className="grid-2">
            {text("company_phone", "Phone", "company_phone", { type: "tel", inputMode: "tel" })}
            {text("company_email", "E-mail", "company_email", { type: "email", inputMode: "email" })}
          </div>
          {can("books:settings") ? (
            <div className="form-actions">
              <Button type="submit" variant="primary" busy={form.busy} disabled={!form.dirty}>
                Save settings
              </Button>
            </div>
          ) : null}
        </form>
      </States>
    </section>
  );
}

function Series() {
  const { can } = useSession();
  const list = useLoad(() => call(api.GET("/api/v1/number-series")), []);
  const [adding, setAdding] = useState(false);
  return (
    <section aria-labelledby="series-h">
      <div className="page-header">
        <h2 id="series-h">Number series</h2>
        {can("books:settings") ? (
          <Button onClick={() => setAdding(true)} aria-haspopup="dialog">
            Add series
          </Button>
        ) : null}
      </div>
      <p className="muted">
        Documents are numbered without gaps from their kind's default series. In a template, <code>{"{FY}"}</code> is the financial year and <code>{"{SEQ}"}</code> the number.
      </p>
      <States loading={list.loading} error={list.error} empty={(list.data ?? []).length === 0} emptyText="No series." onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Number series</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">For</th>
                <th scope="col">Template</th>
                <th scope="col" className="num">
                  Digits
                </th>
              </tr>
            </thead>
            <tbody>
              {(list.data ?? []).map((s) => (
                <tr key={s.id}>
                  <td>
                    {s.name} {s.is_default ? <Badge tone="good">Default</Badge> : null}
                  </td>
                  <td>{KIND_NAMES[s.kind]}</td>
                  <td>
                    <code>{s.template}</code>
                  </td>
                  <td className="num">{s.width}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      {adding ? (
        <SeriesDialog
          onClose={(saved) => {
            setAdding(false);
            if (saved) list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function SeriesDialog({ onClose }: { onClose: (saved: boolean) => void }) {
  const formId = useId();
  const form = useForm({ kind: "invoice" as Schemas["DocKind"], name: "", template: "{FY}/{SEQ}", width: "4", is_default: false }, ["kind", "name", "template", "width", "is_default"]);
  const v = form.values;
  const close = askBeforeClosing(form.dirty, () => onClose(false));
  const submit = async (el: HTMLFormElement) => {
    const ok = await form.submit(async () => {
      try {
        await call(api.POST("/api/v1/number-series", { body: { kind: v.kind, name: v.name.trim(), template: v.template.trim(), width: v.width ? Number(v.width) : null, is_default: v.is_default } }));
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
      title="Add number series"
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            Add series
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
        <Field label="For" error={form.errors.kind}>
          {(p) => (
            <select {...p} value={v.kind} onChange={(e) => form.set("kind", e.target.value as Schemas["DocKind"])}>
              {(Object.keys(KIND_NAMES) as Schemas["DocKind"][]).map((k) => (
                <option key={k} value={k}>
                  {KIND_NAMES[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Series name" error={form.errors.name}>
          {(p) => <input {...p} value={v.name} onChange={(e) => form.set("name", e.target.value)} />}
        </Field>
        <Field label="Template" hint="At most 16 characters once numbered, as GST requires." error={form.errors.template}>
          {(p) => <input {...p} spellCheck={false} value={v.template} onChange={(e) => form.set("template", e.target.value)} />}
        </Field>
        <Field label="Digits" hint="The number is padded with zeros to this width." error={form.errors.width}>
          {(p) => <input {...p} type="number" inputMode="numeric" min={1} max={10} value={v.width} onChange={(e) => form.set("width", e.target.value)} />}
        </Field>
        <Check label="Make it the default for this kind" checked={v.is_default} onChange={(x) => form.set("is_default", x)} />
      </form>
    </Dialog>
  );
}
