// AI providers: the company's own model endpoints (OpenAI, Azure, Gemini,
// Ollama, vLLM, llama.cpp or any OpenAI-compatible server). Keys and extra
// headers are write-only: the API stores them sealed and shows only
// whether a key is stored and the headers' names.
import { useRef, useState } from "react";
import type { SyntheticEvent } from "react";
import { ApiError, api, call, type Problem, type Schemas } from "../api/client";
import { Link } from "../router";
import { Alert, Badge, Button, Check, Dialog, Field, PageHeader, States, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, type FormState } from "../ui/hooks";

type Provider = Schemas["ProviderView"];
type Kind = Schemas["ProviderKind"];

const KINDS: { value: Kind; label: string; defaultUrl?: string }[] = [
  { value: "openai", label: "OpenAI", defaultUrl: "https://api.openai.com/v1" },
  { value: "azure", label: "Azure OpenAI" },
  { value: "gemini", label: "Google Gemini", defaultUrl: "https://generativelanguage.googleapis.com/v1beta/openai" },
  { value: "ollama", label: "Ollama", defaultUrl: "http://127.0.0.1:11434/v1" },
  { value: "vllm", label: "vLLM" },
  { value: "llamacpp", label: "llama.cpp server" },
  { value: "openai_compatible", label: "OpenAI-compatible" },
];

const kindLabel = (k: string) => KINDS.find((x) => x.value === k)?.label ?? k;

export default function AiProviders() {
  const list = useLoad(() => call(api.GET("/api/v1/ai/providers")), []);
  const [editing, setEditing] = useState<Provider | "new" | null>(null);
  const [notice, setNotice] = useState<string>();
  const [failure, setFailure] = useState<string>();
  const [deleting, setDeleting] = useState<string>();
  const providers = [...(list.data ?? [])].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));

  const remove = async (p: Provider) => {
    if (!confirmAction(`Delete the provider “${p.name}”? Its stored key goes with it, and routes that name it will skip it.`)) return;
    setDeleting(p.id);
    setFailure(undefined);
    setNotice(undefined);
    try {
      await call(api.DELETE("/api/v1/ai/providers/{id}", { params: { path: { id: p.id } } }));
      setNotice(`The provider “${p.name}” was deleted.`);
      list.reload();
      document.getElementById("add-provider")?.focus(); // its row is gone
    } catch (e) {
      setFailure(toApiError(e).message);
    } finally {
      setDeleting(undefined);
    }
  };

  return (
    <>
      <PageHeader
        title="Providers"
        description={
          <>
            Model endpoints the company's AI calls can use, besides the built-in local models (<code>local</code>). Lower priority runs first;{" "}
            <Link href="/ai/policy">set the order per task</Link> under Routing &amp; budget.
          </>
        }
        actions={
          <Button id="add-provider" variant="primary" onClick={() => { setNotice(undefined); setEditing("new"); }}>
            Add provider
          </Button>
        }
      />
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {failure ? <Alert>{failure}</Alert> : null}
      <States
        loading={list.loading}
        error={list.error}
        empty={providers.length === 0}
        emptyText="No providers yet: AI calls use the built-in local models. Add one to use OpenAI, Gemini, Azure or your own servers."
        onRetry={list.reload}
      >
        <ProviderTable providers={providers} deleting={deleting} onEdit={(p) => { setNotice(undefined); setEditing(p); }} onDelete={(p) => void remove(p)} />
      </States>
      {editing ? (
        <ProviderDialog
          provider={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(p, created) => {
            setEditing(null);
            setNotice(created ? `The provider “${p.name}” was added.` : `The provider “${p.name}” was saved.`);
            list.reload();
          }}
        />
      ) : null}
    </>
  );
}

function ProviderTable({ providers, deleting, onEdit, onDelete }: { providers: Provider[]; deleting?: string; onEdit: (p: Provider) => void; onDelete: (p: Provider) => void }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="AI providers">
      <table>
        <caption className="visually-hidden">AI providers, by priority</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Base URL</th>
            <th scope="col">Models</th>
            <th scope="col">Where</th>
            <th scope="col" className="num">Priority</th>
            <th scope="col">Enabled</th>
            <th scope="col">Key stored</th>
            <th scope="col">Extra headers</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {providers.map((p) => (
            <tr key={p.id}>
              <td>
                <code>{p.name}</code>
              </td>
              <td>{kindLabel(p.kind)}</td>
              <td>
                <code>{p.base_url}</code>
                {p.api_version ? <div className="muted">api-version {p.api_version}</div> : null}
              </td>
              <td>
                {p.chat_model ? <div style={{ whiteSpace: "nowrap" }}>Chat: <code>{p.chat_model}</code></div> : null}
                {p.embedding_model ? <div style={{ whiteSpace: "nowrap" }}>Embeddings: <code>{p.embedding_model}</code></div> : null}
                {!p.chat_model && !p.embedding_model ? <span className="muted">—</span> : null}
              </td>
              <td>
                <Badge tone={p.locality === "local" ? "good" : "info"}>{p.locality === "local" ? "Local" : "Cloud"}</Badge>
              </td>
              <td className="num">{p.priority}</td>
              <td>{p.enabled ? <Badge tone="good">Enabled</Badge> : <Badge>Disabled</Badge>}</td>
              <td>{p.has_api_key ? "Yes" : "No"}</td>
              <td>{p.header_names.length ? p.header_names.map((h) => <div key={h}><code>{h}</code></div>) : <span className="muted">None</span>}</td>
              <td>
                <div className="row">
                  <Button onClick={() => onEdit(p)} aria-label={`Edit ${p.name}`}>
                    Edit
                  </Button>
                  <Button variant="danger" busy={deleting === p.id} onClick={() => onDelete(p)} aria-label={`Delete ${p.name}`}>
                    Delete
                  </Button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---- The add/edit dialog --------------------------------------------------

interface HeaderRow {
  id: number;
  name: string;
  value: string;
}

interface Values {
  name: string;
  kind: Kind;
  base_url: string;
  chat_model: string;
  embedding_model: string;
  api_version: string;
  locality: "local" | "cloud";
  priority: string;
  enabled: boolean;
  api_key: string;
  remove_key: boolean;
  headers: HeaderRow[];
  remove_headers: boolean;
}

let nextRow = 1;
const headerRow = (): HeaderRow => ({ id: nextRow++, name: "", value: "" });

function valuesOf(p: Provider | null): Values {
  return {
    name: p?.name ?? "",
    kind: p?.kind ?? "openai",
    base_url: p?.base_url ?? "",
    chat_model: p?.chat_model ?? "",
    embedding_model: p?.embedding_model ?? "",
    api_version: p?.api_version ?? "",
    locality: p?.locality === "local" ? "local" : "cloud",
    priority: String(p?.priority ?? 100),
    enabled: p?.enabled ?? true,
    api_key: "",
    remove_key: false,
    headers: [],
    remove_headers: false,
  };
}

/** A problem found before sending, shown like the server's. */
function invalid(errors: { field: string; message: string }[]): ApiError {
  const problem = { type: "urn:tessera:problem:validation_failed", title: "Some fields need a fix", status: 422, code: "validation_failed", errors } as unknown as Problem;
  return new ApiError(422, problem, "Some fields need a fix.");
}

function headersOf(rows: HeaderRow[]): Record<string, string> | undefined {
  const given = rows.filter((r) => r.name.trim() || r.value);
  if (given.length === 0) return undefined;
  const errors: { field: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const r of given) {
    const name = r.name.trim();
    if (!name) errors.push({ field: "headers.", message: "Give each header a name." });
    else if (seen.has(name.toLowerCase())) errors.push({ field: `headers.${name}`, message: "This header is given twice." });
    seen.add(name.toLowerCase());
  }
  if (errors.length) throw invalid(errors);
  return Object.fromEntries(given.map((r) => [r.name.trim(), r.value]));
}

function create(x: Values, headers: Record<string, string> | null | undefined, priority: string): Promise<Provider> {
  return call(
    api.POST("/api/v1/ai/providers", {
      body: {
        name: x.name.trim(),
        kind: x.kind,
        base_url: x.base_url.trim() || null,
        chat_model: x.chat_model.trim() || null,
        embedding_model: x.embedding_model.trim() || null,
        api_version: x.kind === "azure" ? x.api_version.trim() || null : null,
        locality: x.locality,
        priority: priority === "" ? null : Number(priority),
        enabled: x.enabled,
        api_key: x.api_key.trim() || null,
        headers: headers ?? null,
      },
    }),
  );
}

/** Sends only what changed, so that a change made elsewhere meanwhile is kept. */
function update(id: string, before: Values, x: Values, headers: Record<string, string> | null | undefined, priority: string): Promise<Provider> {
  const body: Schemas["UpdateProvider"] = {};
  const changed = (k: keyof Values) => x[k] !== before[k];
  if (changed("name")) body.name = x.name.trim();
  if (changed("kind")) body.kind = x.kind;
  if (changed("base_url")) body.base_url = x.base_url.trim();
  if (changed("chat_model")) body.chat_model = x.chat_model.trim();
  if (changed("embedding_model")) body.embedding_model = x.embedding_model.trim();
  if (changed("api_version")) body.api_version = x.api_version.trim();
  if (changed("locality")) body.locality = x.locality;
  if (changed("priority")) body.priority = Number(priority);
  if (changed("enabled")) body.enabled = x.enabled;
  if (x.remove_key) body.api_key = null;
  else if (x.api_key.trim()) body.api_key = x.api_key.trim();
  if (headers !== undefined) body.headers = headers;
  return call(api.PATCH("/api/v1/ai/providers/{id}", { params: { path: { id } }, body }));
}

function ProviderDialog({ provider, onClose, onSaved }: { provider: Provider | null; onClose: () => void; onSaved: (p: Provider, created: boolean) => void }) {
  const [initial] = useState(() => valuesOf(provider));
  // The fields the server may name, header rows included (read at submit).
  const fields = useRef<string[]>([]).current;
  const form = useForm<Values>(initial, fields);
  const v = form.values;
  fields.splice(0, fields.length, ...fieldNames(v.headers));
  const kind = KINDS.find((k) => k.value === v.kind);

  // Closing the native dialog first puts focus back where it was.
  const formRef = useRef<HTMLFormElement>(null);
  const finished = useRef(false);
  const finish = (then: () => void) => {
    finished.current = true;
    formRef.current?.closest("dialog")?.close();
    then();
  };

  // Esc, × and Cancel all end here; unsaved changes ask first.
  const close = (e?: SyntheticEvent) => {
    if (finished.current || e?.type === "cancel") return; // after cancel, the close event follows
    if (form.dirty && !window.confirm("Discard the changes to this provider?")) {
      const d = e?.currentTarget;
      if (d instanceof HTMLDialogElement && !d.open) d.showModal();
      return;
    }
    finish(onClose);
  };

  const save = () =>
    form.submit(async (x) => {
      const headers = x.remove_headers ? null : headersOf(x.headers);
      const priority = x.priority.trim();
      if (priority !== "" && !/^-?\d+$/.test(priority)) throw invalid([{ field: "priority", message: "Give a whole number." }]);
      if (priority === "" && provider) throw invalid([{ field: "priority", message: "Give a priority (default 100)." }]);
      try {
        const saved = provider ? await update(provider.id, initial, x, headers, priority) : await create(x, headers, priority);
        finish(() => onSaved(saved, !provider));
      } catch (e) {
        if (e instanceof ApiError && e.code === "provider_name_taken") throw invalid([{ field: "name", message: "Another provider has this name." }]);
        throw e;
      }
    });

  const text = (key: "name" | "base_url" | "chat_model" | "embedding_model" | "api_version", label: string, hint?: string, placeholder?: string) => (
    <Field label={label} hint={hint} error={form.errors[key]}>
      {(p) => <input {...p} value={v[key]} placeholder={placeholder} autoComplete="off" spellCheck={false} onChange={(e) => form.set(key, e.target.value)} />}
    </Field>
  );

  return (
    <Dialog
      open
      title={provider ? `Edit ${provider.name}` : "Add a provider"}
      onClose={close}
      footer={
        <>
          <Button onClick={() => close()}>Cancel</Button>
          <Button variant="primary" type="submit" form="provider-form" busy={form.busy}>
            {provider ? "Save provider" : "Add provider"}
          </Button>
        </>
      }
    >
      <form
        id="provider-form"
        ref={formRef}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {form.failure ? <Alert>{form.failure}</Alert> : null}
        {text("name", "Name", "Lowercase letters, digits, - or _. Used in routes and as name/model; “local” is taken by the built-in models.", "openai")}
        <div className="grid-2">
          <Field label="Kind" error={form.errors.kind}>
            {(p) => (
              <select {...p} value={v.kind} onChange={(e) => form.set("kind", e.target.value as Kind)}>
                {KINDS.map((k) => (
                  <option key={k.value} value={k.value}>
                    {k.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Where it runs" hint="Local: your own machines. It counts toward the local share and stays in use past the budget." error={form.errors.locality}>
            {(p) => (
              <select {...p} value={v.locality} onChange={(e) => form.set("locality", e.target.value as Values["locality"])}>
                <option value="cloud">Cloud</option>
                <option value="local">Local</option>
              </select>
            )}
          </Field>
        </div>
        {text(
          "base_url",
          kind?.defaultUrl ? "Base URL (optional)" : "Base URL",
          kind?.defaultUrl ? `Empty: ${kind.defaultUrl}` : v.kind === "azure" ? "Your resource's endpoint, e.g. https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT" : "The server's OpenAI-compatible endpoint, ending in /v1.",
          kind?.defaultUrl ?? "https://…",
        )}
        <div className="grid-2">
          {text("chat_model", "Chat model", "Give a chat model, an embedding model, or both.", "gpt-4o-mini")}
          {text("embedding_model", "Embedding model", undefined, "text-embedding-3-small")}
        </div>
        {v.kind === "azure" || v.api_version || form.errors.api_version ? text("api_version", "API version (Azure)", "Azure's api-version, e.g. 2024-10-21.") : null}
        <div className="grid-2">
          <Field label="Priority" hint="Lower runs first (default 100)." error={form.errors.priority}>
            {(p) => <input {...p} type="number" inputMode="numeric" step={1} value={v.priority} onChange={(e) => form.set("priority", e.target.value)} />}
          </Field>
          <div className="field">
            <Check label="Enabled" checked={v.enabled} onChange={(c) => form.set("enabled", c)} hint="A disabled provider is kept but never called." />
          </div>
        </div>
        <Secrets form={form} provider={provider} />
      </form>
    </Dialog>
  );
}

function fieldNames(rows: HeaderRow[]): string[] {
  return [
    "name", "kind", "base_url", "chat_model", "embedding_model", "api_version", "locality", "priority", "enabled", "api_key",
    ...rows.map((r) => `headers.${r.name.trim()}`),
    "headers",
  ];
}

/** The API key and extra headers: write-only, never shown back. */
function Secrets({ form, provider }: { form: FormState<Values>; provider: Provider | null }) {
  const v = form.values;
  const setRow = (id: number, patch: Partial<HeaderRow>) => form.set("headers", v.headers.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const rowError = (r: HeaderRow) => form.errors[`headers.${r.name.trim()}`];
  return (
    <fieldset>
      <legend>Credentials (write-only)</legend>
      <p className="hint">Stored encrypted and never shown again, not even here.</p>
      <Field
        label="API key"
        hint={provider?.has_api_key ? "A key is stored; leave empty to keep it." : "Sent as Authorization: Bearer …(Azure: api-key)."}
        error={form.errors.api_key}
      >
        {(p) => (
          <input {...p} type="password" autoComplete="new-password" spellCheck={false} disabled={v.remove_key} value={v.api_key} onChange={(e) => form.set("api_key", e.target.value)} />
        )}
      </Field>
      {provider?.has_api_key ? <Check label="Remove the stored key" checked={v.remove_key} onChange={(c) => form.set("remove_key", c)} /> : null}
      <h3>Extra headers</h3>
      {provider && provider.header_names.length > 0 ? (
        <p className="hint">
          Stored: {provider.header_names.join(", ")}. Headers given here replace them all; none given keeps them.
        </p>
      ) : (
        <p className="hint">Sent with every call, e.g. OpenAI-Organization.</p>
      )}
      {!v.remove_headers
        ? v.headers.map((r, i) => (
            <div key={r.id} className="grid-2">
              <Field label={`Header ${i + 1} name`} error={rowError(r)}>
                {(p) => <input {...p} value={r.name} autoComplete="off" spellCheck={false} onChange={(e) => setRow(r.id, { name: e.target.value })} />}
              </Field>
              <Field label={`Header ${i + 1} value`}>
                {(p) => (
                  <div className="row">
                    <input {...p} type="password" autoComplete="new-password" value={r.value} onChange={(e) => setRow(r.id, { value: e.target.value })} style={{ flex: "1 1 8rem", width: "auto" }} />
                    <Button variant="ghost" aria-label={`Remove header ${i + 1}`} onClick={() => form.set("headers", v.headers.filter((x) => x.id !== r.id))}>
                      Remove
                    </Button>
                  </div>
                )}
              </Field>
            </div>
          ))
        : null}
      {form.errors["headers."] ? <p className="error-text">{form.errors["headers."]}</p> : null}
      {form.errors.headers ? <p className="error-text">{form.errors.headers}</p> : null}
      <div className="row">
        {!v.remove_headers ? <Button onClick={() => form.set("headers", [...v.headers, headerRow()])}>Add a header</Button> : null}
      </div>
      {provider && provider.header_names.length > 0 ? (
        <Check label="Remove the stored headers" checked={v.remove_headers} onChange={(c) => form.set("remove_headers", c)} />
      ) : null}
    </fieldset>
  );
}
