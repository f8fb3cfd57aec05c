// One webhook: its settings (edited in a dialog), test event, secret rotation, deletion, and its
// delivery log (refreshed while deliveries are pending).
import { useEffect, useId, useState } from "react";
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime, formatNumber } from "../format";
import { Link, navigate, setQuery, useLocation } from "../router";
import { Alert, Badge, Button, Dialog, Field, PageHeader, Pager, States, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, usePaged } from "../ui/hooks";
import { ActiveBadge, Json, Patterns, SecretOnce, Url, WEBHOOK_FIELDS, WebhookFields, useEventTypes, type WebhookValues } from "./Webhooks";

type Subscription = Schemas["Subscription"];
type Delivery = Schemas["Delivery"];
type Notice = { kind: "success" | "error" | "info"; text: ReactNode } | null;

export default function Webhook({ params }: { params: Record<string, string> }) {
  const id = params.id ?? "";
  const { can } = useSession();
  const loaded = useLoad(() => call(api.GET("/api/v1/webhooks/{id}", { params: { path: { id } } })), [id]);
  const [changed, setChanged] = useState<Subscription>();
  const sub = changed ?? loaded.data;
  const [notice, setNotice] = useState<Notice>(null);
  const [deliveriesKey, setDeliveriesKey] = useState(0);
  const [deleted, setDeleted] = useState(false);
  const [secret, setSecret] = useState<Schemas["WebhookWithSecret"]>();
  const [editing, setEditing] = useState(false);
  const writable = can("webhooks:write");

  useEffect(() => {
    if (deleted) navigate("/webhooks", { replace: true });
  }, [deleted]);

  const actions =
    sub && writable && !deleted ? (
      <Actions
        sub={sub}
        onChanged={setChanged}
        onNotice={setNotice}
        onSecret={setSecret}
        onPinged={() => {
          setQuery({ state: null });
          setDeliveriesKey((k) => k + 1);
        }}
        onDeleted={() => setDeleted(true)}
      />
    ) : null;
  return (
    <>
      <p>
        <Link href="/webhooks">← All webhooks</Link>
      </p>
      <PageHeader title="Webhook" description={sub ? <Url url={sub.url} /> : undefined} actions={actions} />
      <States loading={loaded.loading} error={loaded.error} empty={!sub} emptyText="" onRetry={loaded.reload}>
        {sub && !deleted ? (
          <>
            {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
            <Overview sub={sub} writable={writable} onEdit={() => setEditing(true)} />
            {writable ? (
              <EditDialog
                sub={sub}
                open={editing}
                onClose={() => setEditing(false)}
                onSaved={(s) => {
                  setChanged(s);
                  setEditing(false);
                  setNotice({ kind: "success", text: "Settings saved." });
                }}
              />
            ) : null}
            <Deliveries id={sub.id} refreshKey={deliveriesKey} writable={writable} onNotice={setNotice} />
          </>
        ) : null}
      </States>
      <Dialog open={Boolean(secret)} title="Secret rotated" onClose={() => setSecret(undefined)} footer={<Button variant="primary" onClick={() => setSecret(undefined)}>Done</Button>}>
        {secret ? (
          <SecretOnce secret={secret.secret}>
            <PreviousSecret sub={secret} />
          </SecretOnce>
        ) : null}
      </Dialog>
    </>
  );
}

function PreviousSecret({ sub }: { sub: Subscription }) {
  const { timeZone } = useSession();
  const until = sub.previous_secret_expires_at;
  if (!until || new Date(until).getTime() < Date.now()) return null;
  return (
    <p>
      The previous secret keeps working until {formatDateTime(until, timeZone)} (24 hours after the rotation): until then each delivery carries two <code>v1</code> signatures, one per secret, so
      switch your receiver to the new secret before that time.
    </p>
  );
}

function Actions({
  sub,
  onChanged,
  onNotice,
  onSecret,
  onPinged,
  onDeleted,
}: {
  sub: Subscription;
  onChanged: (s: Subscription) => void;
  onNotice: (n: Notice) => void;
  onSecret: (s: Schemas["WebhookWithSecret"]) => void;
  onPinged: () => void;
  onDeleted: () => void;
}) {
  const [busy, setBusy] = useState<string>();
  const path = { params: { path: { id: sub.id } } };
  const run = async (name: string, work: () => Promise<void>) => {
    setBusy(name);
    onNotice(null);
    try {
      await work();
    } catch (e) {
      onNotice({ kind: "error", text: toApiError(e).message });
    } finally {
      setBusy(undefined);
    }
  };
  const ping = () =>
    run("ping", async () => {
      await call(api.POST("/api/v1/webhooks/{id}/ping", path));
      onNotice(
        sub.active
          ? { kind: "success", text: "Test event sent: its delivery (a webhook.ping) appears in the log below." }
          : { kind: "info", text: "Test event queued, but this webhook is paused: its delivery will be cancelled. Resume the webhook to receive it." },
      );
      onPinged();
    });
  const toggle = () => {
    if (sub.active && !confirmAction("Pause this webhook? Nothing is sent while it is paused, and deliveries still waiting are cancelled.")) return;
    void run("active", async () => {
      onChanged(await call(api.PATCH("/api/v1/webhooks/{id}", { ...path, body: { active: !sub.active } })));
      onNotice({ kind: "success", text: sub.active ? "Webhook paused." : "Webhook resumed: new events are sent again." });
    });
  };
  const rotate = () => {
    if (!confirmAction("Rotate the signing secret? The current one keeps working for 24 hours.")) return;
    void run("rotate", async () => {
      const answer = await call(api.POST("/api/v1/webhooks/{id}/rotate-secret", path));
      onChanged(answer);
      onSecret(answer);
    });
  };
  const remove = () => {
    if (!confirmAction(`Delete the webhook to ${sub.url} and its delivery log? This cannot be undone.`)) return;
    void run("delete", async () => {
      await call(api.DELETE("/api/v1/webhooks/{id}", path));
      onDeleted();
    });
  };
  return (
    <>
      <ActiveBadge active={sub.active} />
      <Button variant="primary" onClick={() => void ping()} busy={busy === "ping"} disabled={Boolean(busy)}>
        Send test event
      </Button>
      <Button onClick={toggle} busy={busy === "active"} disabled={Boolean(busy)}>
        {sub.active ? "Pause" : "Resume"}
      </Button>
      <Button onClick={rotate} busy={busy === "rotate"} disabled={Boolean(busy)}>
        Rotate secret
      </Button>
      <Button variant="danger" onClick={remove} busy={busy === "delete"} disabled={Boolean(busy)}>
        Delete
      </Button>
    </>
  );
}

function valuesOf(s: Subscription): WebhookValues {
  return { url: s.url, description: s.description, event_types: s.event_types };
}

function Overview({ sub, writable, onEdit }: { sub: Subscription; writable: boolean; onEdit: () => void }) {
  const { timeZone } = useSession();
  const previous = sub.previous_secret_expires_at && new Date(sub.previous_secret_expires_at).getTime() > Date.now() ? sub.previous_secret_expires_at : null;
  const rows: [string, ReactNode][] = [
    ["Status", sub.active ? "Active: matching events are sent." : "Paused: nothing is sent until it is resumed."],
    ["Event types", <Patterns key="p" patterns={sub.event_types} />],
    ["Description", sub.description || <span className="muted">—</span>],
    ["Signing secret", previous ? `Rotated; the previous secret also signs until ${formatDateTime(previous, timeZone)}.` : "Set (shown only when created or rotated)."],
    ["Added", formatDateTime(sub.created_at, timeZone)],
    ["Last changed", formatDateTime(sub.updated_at, timeZone)],
    ["Id", <code key="i">{sub.id}</code>],
  ];
  return (
    <section className="card" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">The webhook's settings</caption>
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {writable ? (
        <div className="form-actions">
          <Button onClick={onEdit} aria-haspopup="dialog">
            Edit settings
          </Button>
        </div>
      ) : (
        <p className="muted">Changing webhooks needs the webhooks:write permission.</p>
      )}
    </section>
  );
}

/** The settings form in a dialog: Esc and × keep the draft, Cancel drops it. */
function EditDialog({ sub, open, onClose, onSaved }: { sub: Subscription; open: boolean; onClose: () => void; onSaved: (s: Subscription) => void }) {
  const types = useEventTypes();
  const form = useForm(valuesOf(sub), WEBHOOK_FIELDS);
  const formId = useId();
  // Follow the server's values (after another change) unless they are being edited.
  const serverKey = JSON.stringify(valuesOf(sub));
  useEffect(() => {
    if (!form.dirty) form.reset(valuesOf(sub));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [serverKey]);
  const save = async () => {
    let answer: Subscription | undefined;
    const ok = await form.submit(async (v) => {
      answer = await call(
        api.PATCH("/api/v1/webhooks/{id}", {
          params: { path: { id: sub.id } },
          body: { url: v.url.trim(), description: v.description, event_types: v.event_types as Schemas["EventPattern"][] },
        }),
      );
    });
    if (ok && answer) {
      form.reset(valuesOf(answer));
      onSaved(answer);
    }
  };
  const cancel = () => {
    if (form.dirty && !confirmAction("Discard your changes to this webhook?")) return;
    form.reset(valuesOf(sub));
    onClose();
  };
  return (
    <Dialog
      open={open}
      title="Edit webhook"
      onClose={onClose}
      footer={
        <>
          <Button onClick={cancel}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy} disabled={!form.dirty}>
            Save changes
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <WebhookFields form={form} types={types} />
      </form>
    </Dialog>
  );
}

const STATES = ["pending", "succeeded", "failed", "cancelled"] as const;
type DeliveryState = (typeof STATES)[number];
const POLL_MS = 3000;

export function deliveryTone(state: string) {
  return state === "succeeded" ? "good" : state === "failed" ? "bad" : state === "pending" ? "info" : "neutral";
}

function Deliveries({ id, refreshKey, writable, onNotice }: { id: string; refreshKey: number; writable: boolean; onNotice: (n: Notice) => void }) {
  const { query } = useLocation();
  const raw = query.get("state") ?? "";
  const state = (STATES as readonly string[]).includes(raw) ? (raw as DeliveryState) : undefined;
  const list = usePaged(
    (cursor) => call(api.GET("/api/v1/webhooks/{id}/deliveries", { params: { path: { id }, query: { cursor, limit: 50, state } } })),
    [id, state, refreshKey],
  );
  const [shown, setShown] = useState<Delivery>();
  // The dialog follows the list as it refreshes.
  const current = shown ? (list.items.find((d) => d.id === shown.id) ?? shown) : undefined;
  const [resending, setResending] = useState<string>();
  const pending = list.items.some((d) => d.state === "pending");
  const { reload, loading, data } = list;
  useEffect(() => {
    if (!pending || loading) return;
    const t = window.setTimeout(reload, POLL_MS);
    return () => window.clearTimeout(t);
  }, [pending, loading, data, reload]);

  const resend = async (d: Delivery) => {
    setResending(d.id);
    onNotice(null);
    try {
      await call(api.POST("/api/v1/webhooks/{id}/deliveries/{delivery_id}/resend", { params: { path: { id, delivery_id: d.id } } }));
      onNotice({ kind: "success", text: `The ${d.event_type} delivery was resent as a new delivery.` });
      if (state && state !== "pending") setQuery({ state: null });
      else reload();
    } catch (e) {
      onNotice({ kind: "error", text: toApiError(e).message });
    } finally {
      setResending(undefined);
    }
  };
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Delivery log</h2>
      <div className="filters" role="search">
        <Field label="State">
          {(p) => (
            <select {...p} value={state ?? ""} onChange={(e) => setQuery({ state: e.target.value })}>
              <option value="">All states</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button onClick={reload} busy={loading}>
          Refresh
        </Button>
      </div>
      {pending ? (
        <p className="muted" role="status">
          Some deliveries are pending: this log refreshes every few seconds.
        </p>
      ) : null}
      <States loading={loading} error={list.error} empty={list.items.length === 0} emptyText={state ? `No ${state} deliveries.` : "No deliveries yet. Send a test event to try the endpoint."} onRetry={reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Deliveries to this webhook, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col" className="num">
                  HTTP status
                </th>
                <th scope="col">Last error</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((d) => (
                <DeliveryRow key={d.id} d={d} onShow={() => setShown(d)} onResend={writable ? () => void resend(d) : undefined} resending={resending === d.id} />
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={loading} />
      <Dialog
        open={Boolean(current)}
        title={current ? `Delivery of ${current.event_type}` : "Delivery"}
        onClose={() => setShown(undefined)}
        footer={
          <>
            {current && writable ? (
              <Button
                busy={resending === current.id}
                onClick={() => {
                  setShown(undefined);
                  void resend(current);
                }}
              >
                Resend
              </Button>
            ) : null}
            <Button variant="primary" onClick={() => setShown(undefined)}>
              Done
            </Button>
          </>
        }
      >
        {current ? <DeliveryDetails d={current} /> : null}
      </Dialog>
    </section>
  );
}

function DeliveryRow({ d, onShow, onResend, resending }: { d: Delivery; onShow: () => void; onResend?: () => void; resending: boolean }) {
  const { timeZone } = useSession();
  return (
    <tr>
      <td>
        <code>{d.event_type}</code>
        {d.resend_of ? <div className="muted">Resent</div> : null}
      </td>
      <td>
        <Badge tone={deliveryTone(d.state)}>{d.state}</Badge>
      </td>
      <td className="num">{formatNumber(d.attempts)}</td>
      <td className="num">{d.last_status ?? "—"}</td>
      <td>{d.last_error ?? <span className="muted">—</span>}</td>
      <td>
        {formatDateTime(d.created_at, timeZone)}
        {d.last_attempt_at ? <div className="muted">Last try {formatDateTime(d.last_attempt_at, timeZone)}</div> : null}
      </td>
      <td>
        <div className="row">
          <Button variant="ghost" aria-haspopup="dialog" onClick={onShow}>
            Details
          </Button>
          {onResend ? (
            <Button onClick={onResend} busy={resending}>
              Resend
            </Button>
          ) : null}
        </div>
      </td>
    </tr>
  );
}

interface Attempt {
  attempt?: number;
  at?: string;
  status?: number;
  error?: string;
  duration_ms?: number;
  response?: string;
}

function asAttempt(x: Record<string, unknown>): Attempt {
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return { attempt: num(x.attempt), at: str(x.at), status: num(x.status), error: str(x.error), duration_ms: num(x.duration_ms), response: str(x.response) };
}

function DeliveryDetails({ d }: { d: Delivery }) {
  const { timeZone } = useSession();
  const attempts = d.attempt_log.map(asAttempt);
  const facts: [string, ReactNode][] = [
    ["State", <Badge key="s" tone={deliveryTone(d.state)}>{d.state}</Badge>],
    ["Attempts", formatNumber(d.attempts)],
    ["Last HTTP status", d.last_status ?? "—"],
    ["Last error", d.last_error ?? "—"],
    ["Created", formatDateTime(d.created_at, timeZone)],
    ["Finished", formatDateTime(d.finished_at, timeZone)],
    ["Delivery id (X-Tessera-Delivery)", <code key="d">{d.id}</code>],
    ["Event id", <code key="e">{d.event_id}</code>],
  ];
  if (d.resend_of) facts.push(["Resends", <code key="r">{d.resend_of}</code>]);
  return (
    <div className="stack">
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">The delivery</caption>
          <tbody>
            {facts.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Attempts</h3>
      {attempts.length === 0 ? (
        <p className="muted">No attempt yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Attempts of this delivery</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  #
                </th>
                <th scope="col">When</th>
                <th scope="col" className="num">
                  Status
                </th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Error</th>
                <th scope="col">Response</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a, i) => (
                <tr key={i}>
                  <td className="num">{a.attempt ?? i + 1}</td>
                  <td>{formatDateTime(a.at, timeZone)}</td>
                  <td className="num">{a.status ?? "—"}</td>
                  <td className="num">{a.duration_ms === undefined ? "—" : `${formatNumber(a.duration_ms)} ms`}</td>
                  <td>{a.error ?? <span className="muted">—</span>}</td>
                  <td>{a.response ? <pre>{a.response}</pre> : <span className="muted">empty</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Body sent</h3>
      <Json value={d.body} label={`Body of the ${d.event_type} delivery`} />
    </div>
  );
}
