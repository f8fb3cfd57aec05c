// Webhooks: the company's subscriptions (add one, see its secret once) and
// the company's events with their dispatch state. The pieces both webhook
// pages use (event type picker, secret shown once, JSON) are exported here.
import { useId, useState } from "react";
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime, formatNumber } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Alert, Badge, Button, CopyButton, Dialog, Field, PageHeader, Pager, States, confirmAction } from "../ui";
import { useForm, useLoad, usePaged, type FormState, type Loaded } from "../ui/hooks";

type EventType = Schemas["EventType"];
type Created = Schemas["WebhookWithSecret"];

export default function Webhooks() {
  const { can } = useSession();
  const { query } = useLocation();
  const view = query.get("view") === "events" ? "events" : "endpoints";
  const types = useEventTypes();
  const [adding, setAdding] = useState(false);
  const [listKey, setListKey] = useState(0);
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Send the company's events to your own URLs, signed with a secret only you and Tessera know."
        actions={
          can("webhooks:write") ? (
            <Button variant="primary" onClick={() => setAdding(true)}>
              Add webhook
            </Button>
          ) : null
        }
      />
      <nav className="row" aria-label="Webhooks sections">
        <ViewLink to="endpoints" current={view}>
          Endpoints
        </ViewLink>
        <ViewLink to="events" current={view}>
          Events
        </ViewLink>
      </nav>
      {view === "events" ? <Events types={types} /> : <Subscriptions reloadKey={listKey} />}
      {can("webhooks:write") ? (
        <AddWebhook
          open={adding}
          types={types}
          onClose={(created) => {
            setAdding(false);
            if (created) setListKey((k) => k + 1);
          }}
        />
      ) : null}
    </>
  );
}

function ViewLink({ to, current, children }: { to: "endpoints" | "events"; current: string; children: ReactNode }) {
  const here = to === current;
  return (
    <Link href={to === "events" ? "/webhooks?view=events" : "/webhooks"} className={`btn ${here ? "btn-primary" : "btn-secondary"}`} aria-current={here ? "page" : undefined}>
      {children}
    </Link>
  );
}

/** The event types subscriptions can name. */
export function useEventTypes(): Loaded<EventType[]> {
  return useLoad(() => call(api.GET("/api/v1/event-types")), []);
}

function Subscriptions({ reloadKey }: { reloadKey: number }) {
  const { timeZone } = useSession();
  const list = usePaged((cursor) => call(api.GET("/api/v1/webhooks", { params: { query: { cursor, limit: 50 } } })), [reloadKey]);
  return (
    <section aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">Endpoints</h2>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText="No webhooks yet. Add one to receive the company's events." onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Webhook endpoints, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Event types</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link href={`/webhooks/${s.id}`}>
                      <Url url={s.url} />
                    </Link>
                    {s.description ? <div className="muted">{s.description}</div> : null}
                  </td>
                  <td>
                    <Patterns patterns={s.event_types} />
                  </td>
                  <td>
                    <ActiveBadge active={s.active} />
                  </td>
                  <td>{formatDateTime(s.created_at, timeZone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
    </section>
  );
}

/** A URL that wraps anywhere rather than widen a narrow screen. */
export function Url({ url }: { url: string }) {
  return (
    <code style={{ overflowWrap: "anywhere" }}>{url}</code>
  );
}

export function ActiveBadge({ active }: { active: boolean }) {
  return active ? <Badge tone="good">Active</Badge> : <Badge tone="warn">Paused</Badge>;
}

/** Subscription patterns, `*` spelled out. */
export function Patterns({ patterns }: { patterns: string[] }) {
  return (
    <span className="row">
      {patterns.map((p) => (
        <code key={p} className="badge">
          {p === "*" ? "* (every event)" : p}
        </code>
      ))}
    </span>
  );
}

export const EMPTY_WEBHOOK = { url: "", description: "", event_types: [] as string[] };
export const WEBHOOK_FIELDS = ["url", "description", "event_types"];

function AddWebhook({ open, types, onClose }: { open: boolean; types: Loaded<EventType[]>; onClose: (created: boolean) => void }) {
  const form = useForm(EMPTY_WEBHOOK, WEBHOOK_FIELDS);
  const [created, setCreated] = useState<Created>();
  const formId = useId();
  const finish = () => {
    setCreated(undefined);
    onClose(true);
  };
  const cancel = () => {
    if (form.dirty && !confirmAction("Discard this new webhook?")) return;
    form.reset(EMPTY_WEBHOOK);
    onClose(false);
  };
  const submit = async () => {
    let answer: Created | undefined;
    const ok = await form.submit(async (v) => {
      answer = await call(
        api.POST("/api/v1/webhooks", {
          body: { url: v.url.trim(), description: v.description, event_types: v.event_types as Schemas["EventPattern"][] },
        }),
      );
    });
    if (ok && answer) {
      form.reset(EMPTY_WEBHOOK);
      setCreated(answer);
    }
  };
  if (created) {
    return (
      <Dialog
        open={open}
        title="Webhook created"
        onClose={finish}
        footer={
          <>
            <Button onClick={finish}>Done</Button>
            <Link href={`/webhooks/${created.id}`} className="btn btn-primary">
              Open webhook
            </Link>
          </>
        }
      >
        <p>
          Tessera now sends the events you chose to <Url url={created.url} />.
        </p>
        <SecretOnce secret={created.secret} />
      </Dialog>
    );
  }
  return (
    <Dialog
      open={open}
      title="Add webhook"
      // Esc and × keep the draft; Cancel discards it.
      onClose={() => onClose(false)}
      footer={
        <>
          <Button onClick={cancel}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            Create
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <WebhookFields form={form} types={types} />
      </form>
    </Dialog>
  );
}

export type WebhookValues = typeof EMPTY_WEBHOOK;

/** URL, event types and description of a webhook form, with the server's verdict. */
export function WebhookFields({ form, types }: { form: FormState<WebhookValues>; types: Loaded<EventType[]> }) {
  return (
    <>
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      <Field label="URL" hint="Where Tessera POSTs each event (http or https)." error={form.errors.url}>
        {(p) => <input {...p} type="url" inputMode="url" autoComplete="off" spellCheck={false} placeholder="https://example.com/webhooks/tessera" value={form.values.url} onChange={(e) => form.set("url", e.target.value)} />}
      </Field>
      <EventTypePicker types={types} value={form.values.event_types} onChange={(v) => form.set("event_types", v)} error={form.errors.event_types} />
      <Field label="Description" hint="Optional: a note for people, such as what receives these events." error={form.errors.description}>
        {(p) => <textarea {...p} maxLength={500} rows={2} value={form.values.description} onChange={(e) => form.set("description", e.target.value)} />}
      </Field>
    </>
  );
}

/** A signing secret, shown once: read-only, copyable, with a warning. */
export function SecretOnce({ secret, children }: { secret: string; children?: ReactNode }) {
  return (
    <>
      <Alert kind="warning">
        <p>
          <strong>Copy the signing secret now.</strong> It is not shown again; if you lose it, rotate it on the webhook's page.
        </p>
        {children}
      </Alert>
      <Field label="Signing secret" hint="Verify the X-Tessera-Signature header of each delivery with it (see the API guide).">
        {(p) => <input {...p} readOnly value={secret} spellCheck={false} onFocus={(e) => e.target.select()} />}
      </Field>
      <CopyButton text={secret} label="Copy secret" />
    </>
  );
}

/** Event type checkboxes: everything (`*`), a whole prefix (`user.*`) or single types. */
export function EventTypePicker({
  types,
  value,
  onChange,
  error,
}: {
  types: Loaded<EventType[]>;
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  const errorId = useId();
  const all = value.includes("*");
  const groups = groupTypes(types.data ?? []);
  const known = new Set(["*", ...groups.flatMap((g) => [`${g.prefix}.*`, ...g.types.map((t) => t.name)])]);
  const others = types.data ? value.filter((p) => !known.has(p)) : value.filter((p) => p !== "*");
  const toggle = (pattern: string, on: boolean) => {
    if (pattern === "*") return onChange(on ? ["*"] : []);
    const prefix = pattern.endsWith(".*") ? pattern.slice(0, -1) : null;
    let next = value.filter((p) => p !== pattern && p !== "*");
    if (on && prefix) next = next.filter((p) => !p.startsWith(prefix));
    onChange(on ? [...next, pattern] : next);
  };
  return (
    <fieldset aria-describedby={error ? errorId : undefined}>
      <legend>Event types</legend>
      <Box label="All events" hint={<>Every event type, including ones added later (<code>*</code>). Untick it to choose types.</>} checked={all} onChange={(on) => toggle("*", on)} />
      {types.error ? (
        <Alert>
          <p>The event types could not be loaded: {types.error.message}</p>
          <Button onClick={types.reload}>Try again</Button>
        </Alert>
      ) : null}
      {types.loading && !types.data ? <p className="muted">Loading event types…</p> : null}
      {all ? null : groups.map((g) => {
        const whole = value.includes(`${g.prefix}.*`);
        return (
          <fieldset key={g.prefix}>
            <legend>
              <code>{g.prefix}</code>
            </legend>
            <Box
              label={
                <>
                  All {g.prefix} events <code>{g.prefix}.*</code>
                </>
              }
              checked={whole}
              onChange={(on) => toggle(`${g.prefix}.*`, on)}
            />
            {g.types.map((t) => (
              <Box key={t.name} label={<code>{t.name}</code>} hint={t.description} checked={whole || value.includes(t.name)} disabled={whole} onChange={(on) => toggle(t.name, on)} />
            ))}
          </fieldset>
        );
      })}
      {others.length > 0 ? (
        <fieldset>
          <legend>Other patterns</legend>
          {others.map((p) => (
            <Box key={p} label={<code>{p}</code>} checked onChange={() => onChange(value.filter((x) => x !== p))} />
          ))}
        </fieldset>
      ) : null}
      {error ? (
        <p id={errorId} className="error-text">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function groupTypes(types: EventType[]): { prefix: string; types: EventType[] }[] {
  const out: { prefix: string; types: EventType[] }[] = [];
  for (const t of types) {
    const prefix = t.name.split(".")[0] ?? t.name;
    let g = out.find((x) => x.prefix === prefix);
    if (!g) out.push((g = { prefix, types: [] }));
    g.types.push(t);
  }
  return out;
}

/** A checkbox that can be disabled (ui's Check cannot), its hint tied to it. */
function Box({ label, hint, checked, disabled, onChange }: { label: ReactNode; hint?: ReactNode; checked: boolean; disabled?: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" checked={checked} disabled={disabled} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A JSON value, pretty-printed. */
export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

function Events({ types }: { types: Loaded<EventType[]> }) {
  const { timeZone } = useSession();
  const { query } = useLocation();
  const type = query.get("type") ?? "";
  const list = usePaged((cursor) => call(api.GET("/api/v1/events", { params: { query: { cursor, limit: 50, type: type || undefined } } })), [type]);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <p className="muted">Everything that happened in the company, newest first, and whether it was handed to the webhooks that match it.</p>
      <div className="filters" role="search">
        <Field label="Event type">
          {(p) => (
            <select {...p} value={type} onChange={(e) => setQuery({ type: e.target.value })}>
              <option value="">All types</option>
              {(types.data ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
              {type && !types.data?.some((t) => t.name === type) ? <option value={type}>{type}</option> : null}
            </select>
          )}
        </Field>
        <Button onClick={list.reload} busy={list.loading}>
          Refresh
        </Button>
      </div>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText={type ? "No events of this type yet." : "No events yet."} onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">When</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Last error</th>
                <th scope="col">Payload</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((e) => (
                <tr key={e.id}>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    {formatDateTime(e.created_at, timeZone)}
                    {e.dispatched_at ? <div className="muted">Dispatched {formatDateTime(e.dispatched_at, timeZone)}</div> : null}
                  </td>
                  <td>
                    <Badge tone={e.state === "dispatched" ? "good" : e.state === "failed" ? "bad" : "warn"}>{e.state}</Badge>
                  </td>
                  <td className="num">{formatNumber(e.attempts)}</td>
                  <td>{e.last_error ?? <span className="muted">—</span>}</td>
                  <td>
                    <details>
                      <summary>Show payload</summary>
                      <Json value={e.payload} label={`Payload of ${e.type}`} />
                      <p className="muted">
                        Event <code>{e.id}</code>
                        {e.request_id ? (
                          <>
                            {" "}
                            · request <code>{e.request_id}</code>
                          </>
                        ) : null}
                      </p>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
    </section>
  );
}
