// Inbox: the customers' conversations on WhatsApp, Instagram and the web
// widget, answered by the bot until a person takes over. Beside the list,
// the chosen conversation with its messages and its contact, and what an
// agent does with it: reply (or, past WhatsApp's 24 hours, send an approved
// template), add a private note, take it (assigned to you) or let it go,
// take over from the bot or give it back, resolve, reopen, snooze. Changes arrive live from the server's events.
import { useEffect, useRef, useState } from "react";
import { type ApiError, api, call, type Schemas } from "../api/client";
import { useMe, useSession } from "../auth/session";
import { fillTemplate, kindLabel } from "../concierge/forms";
import { followInbox, mergeMessage, type InboxEvent } from "../concierge/live";
import { formatDateTime } from "../format";
import { Link, setQuery, useLeaveGuard, useLocation } from "../router";
import { Alert, Badge, Button, Check, Dialog, Field, PageHeader } from "../ui";
import { toApiError, useForm, useLoad, useMore, type More } from "../ui/hooks";

type Conversation = Schemas["Conversation"];
type Detail = Schemas["ConversationDetail"];
type Message = Schemas["ConversationMessage"];
type Contact = Schemas["CustomerContact"];
type Change = Schemas["ConversationChange"];

const STATUSES = [
  { value: "open", label: "Open" },
  { value: "pending", label: "Pending" },
  { value: "snoozed", label: "Snoozed" },
  { value: "resolved", label: "Resolved" },
] as const;

const REASONS: Record<string, string> = {
  asked: "the customer asked for a person",
  sentiment: "the customer seemed unhappy",
  unanswered: "the documents did not answer",
  intent: "the customer's request needs a person",
  agent: "an agent took over",
};

function StatusBadge({ status }: { status: string }) {
  const label = STATUSES.find((s) => s.value === status)?.label ?? status;
  const tone = status === "open" ? "info" : status === "pending" ? "warn" : status === "resolved" ? "good" : "neutral";
  return <Badge tone={tone}>{label}</Badge>;
}

function HandlerBadge({ by }: { by: string }) {
  return by === "human" ? <Badge tone="warn">Human</Badge> : <Badge>Bot</Badge>;
}

/** Follows the inbox's events while mounted; says whether they are coming. */
function useInboxEvents(onEvent: (e: InboxEvent) => void): boolean {
  const [live, setLive] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const controller = new AbortController();
    void followInbox((e) => handler.current(e), setLive, controller.signal);
    return () => controller.abort();
  }, []);
  return live;
}

export default function Inbox({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { can } = useSession();
  const { query } = useLocation();
  const status = STATUSES.find((s) => s.value === query.get("status"))?.value;
  const handled = query.get("handled_by");
  const handledBy = handled === "bot" || handled === "human" ? handled : undefined;
  const q = query.get("q") ?? "";
  const { me } = useMe();
  const myId = me.user?.id;
  const mine = query.get("mine") === "1" && myId ? myId : undefined;
  const suffix = query.size ? `?${query}` : "";
  const list = useMore(
    (cursor) => call(api.GET("/api/v1/conversations", { params: { query: { cursor, limit: 50, status, handled_by: handledBy, assignee_id: mine, q: q.trim() || undefined } } })),
    [status, handledBy, mine, q],
  );
  const [tick, setTick] = useState(0);
  const loaded = useLoad(() => (id ? call(api.GET("/api/v1/conversations/{id}", { params: { path: { id } } })) : Promise.resolve(null)), [id, tick]);
  const [detail, setDetail] = useState<Detail | null>(null);
  useEffect(() => {
    if (loaded.data !== undefined) setDetail(loaded.data);
  }, [loaded.data]);

  // A message stored (sent here, or from the events) joins its conversation.
  const added = (m: Message) => setDetail((d) => (d && d.id === m.conversation_id ? { ...d, messages: mergeMessage(d.messages, m) } : d));

  // A burst of events (a message and the bot's answer) is read once.
  const timer = useRef<number | undefined>(undefined);
  const thisOne = useRef(false);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const { reload: reloadList } = list;
  const live = useInboxEvents((e) => {
    if (e.kind === "message") added(e.message);
    thisOne.current ||= e.kind === "resync" || e.conversationId === id;
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      reloadList();
      if (thisOne.current) setTick((t) => t + 1);
      thisOne.current = false;
    }, 300);
  });

  const shown = detail && detail.id === id ? detail : null;
  const changed = (d: Detail) => {
    setDetail(d);
    reloadList();
  };
  const contactSaved = (c: Contact) => {
    setDetail((d) => (d && d.contact.id === c.id ? { ...d, contact: c, contact_name: c.name || d.contact_name } : d));
    reloadList();
  };
  return (
    <>
      <PageHeader title="Inbox" description="Customers' conversations on WhatsApp, Instagram and your website. The bot answers from your documents until a person takes over." />
      <div className="inbox-layout">
        <ConversationList list={list} id={id} suffix={suffix} status={status ?? ""} handledBy={handledBy ?? ""} mine={Boolean(mine)} canFilterMine={Boolean(myId)} q={q} live={live} myId={myId} />
        <section className="inbox-main" aria-labelledby="conversation-h">
          {!id ? (
            <>
              <h2 id="conversation-h" className="visually-hidden">
                Conversation
              </h2>
              <p className="empty">Choose a conversation to read it and reply.</p>
            </>
          ) : shown ? (
            <ConversationView key={shown.id} d={shown} canReply={can("conversations:reply")} myId={myId} onChanged={changed} onMessage={added} />
          ) : (
            <>
              <h2 id="conversation-h">Conversation</h2>
              {loaded.error ? (
                <Alert>
                  <p>{loaded.error.message}</p>
                  <Button onClick={loaded.reload}>Try again</Button>
                </Alert>
              ) : (
                <p className="loading" role="status">
                  <span className="spinner" aria-hidden="true" /> Loading…
                </p>
              )}
            </>
          )}
        </section>
        {shown ? (
          <ContactCard key={shown.contact.id} contact={shown.contact} editable={can("conversations:reply")} onSaved={contactSaved} />
        ) : null}
      </div>
    </>
  );
}

function ConversationList({
  list,
  id,
  suffix,
  status,
  handledBy,
  mine,
  canFilterMine,
  q,
  live,
  myId,
}: {
  list: More<Conversation>;
  id?: string;
  suffix: string;
  status: string;
  handledBy: string;
  mine: boolean;
  canFilterMine: boolean;
  q: string;
  live: boolean;
  myId?: string;
}) {
  const { timeZone } = useSession();
  const [words, setWords] = useState(q);
  return (
    <nav className="inbox-list" aria-label="Conversations">
      <form
        role="search"
        aria-label="Filter conversations"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ q: words.trim() || null });
        }}
      >
        <Field label="Status">
          {(p) => (
            <select {...p} value={status} onChange={(e) => setQuery({ status: e.target.value || null })}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Handled by">
          {(p) => (
            <select {...p} value={handledBy} onChange={(e) => setQuery({ handled_by: e.target.value || null })}>
              <option value="">Bot or human</option>
              <option value="bot">The bot</option>
              <option value="human">A human</option>
            </select>
          )}
        </Field>
        {canFilterMine ? <Check label="Assigned to me" checked={mine} onChange={(on) => setQuery({ mine: on ? "1" : null })} /> : null}
        <Field label="Search" hint="A name, or words in the messages.">
          {(p) => <input {...p} type="search" maxLength={200} value={words} onChange={(e) => setWords(e.target.value)} />}
        </Field>
        <Button type="submit">Search</Button>
      </form>
      <p className="hint" role="status">
        {live ? "Live: new messages appear as they arrive." : "Connecting for live updates…"}
      </p>
      {list.error ? (
        <Alert>
          <p>{list.error.message}</p>
          <Button onClick={list.reload}>Try again</Button>
        </Alert>
      ) : null}
      {list.items.length === 0 && !list.loading && !list.error ? <p className="muted">{status || handledBy || mine || q ? "No conversations match." : "No conversations yet."}</p> : null}
      <ul className="inbox-links">
        {list.items.map((c) => (
          <li key={c.id}>
            <Link href={`/inbox/${c.id}${suffix}`} aria-current={c.id === id ? "page" : undefined}>
              <span className="inbox-link-head">
                <strong>{c.contact_name || "Customer"}</strong>
                <span className="inbox-link-when">{formatDateTime(c.last_message_at, timeZone)}</span>
              </span>
              {c.last_message ? <span className="inbox-link-last">{c.last_message}</span> : null}
              <span className="row tags">
                <Badge>{kindLabel(c.channel_kind)}</Badge>
                <StatusBadge status={c.status} />
                <HandlerBadge by={c.handled_by} />
                {c.assignee_id && c.assignee_id === myId ? <Badge tone="info">Yours</Badge> : null}
              </span>
            </Link>
          </li>
        ))}
      </ul>
      {list.loading && list.items.length === 0 ? <p className="muted">Loading conversations…</p> : null}
      {list.hasMore ? (
        <Button variant="ghost" busy={list.loading} onClick={list.more}>
          Older conversations
        </Button>
      ) : null}
    </nav>
  );
}

function ConversationView({
  d,
  canReply,
  myId,
  onChanged,
  onMessage,
}: {
  d: Detail;
  canReply: boolean;
  myId?: string;
  onChanged: (d: Detail) => void;
  onMessage: (m: Message) => void;
}) {
  const { timeZone } = useSession();
  const [error, setError] = useState<ApiError>();
  const end = useRef<HTMLDivElement>(null);
  const count = d.messages.length;
  useEffect(() => {
    end.current?.scrollIntoView({ block: "nearest" });
  }, [count]);
  return (
    <>
      <div className="chat-head">
        <div>
          <h2 id="conversation-h">{d.contact_name || "Customer"}</h2>
          <p className="row muted">
            <Badge>{kindLabel(d.channel_kind)}</Badge>
            <StatusBadge status={d.status} />
            <HandlerBadge by={d.handled_by} />
            {d.assignee_id ? <span>{d.assignee_id === myId ? "Assigned to you" : "Assigned to a teammate"}</span> : <span>Unassigned</span>}
            {d.status === "snoozed" && d.snoozed_until ? <span>until {formatDateTime(d.snoozed_until, timeZone)}</span> : null}
          </p>
        </div>
        {canReply ? <Actions d={d} myId={myId} onChanged={onChanged} onError={setError} /> : null}
      </div>
      {d.handed_off_at && d.handled_by === "human" ? (
        <p className="hint">
          With a person since {formatDateTime(d.handed_off_at, timeZone)}
          {d.handoff_reason ? `: ${REASONS[d.handoff_reason] ?? d.handoff_reason}` : ""}. The bot stays silent until it is given back.
        </p>
      ) : null}
      {error ? <Alert>{error.message}</Alert> : null}
      <ol className="thread" aria-label="Messages">
        {d.messages.map((m) => (
          <MessageItem key={m.id} m={m} contactName={d.contact_name} />
        ))}
      </ol>
      {d.messages.length === 0 ? <p className="empty">No messages yet.</p> : null}
      <div ref={end} />
      {canReply ? <Composer d={d} onSent={onMessage} /> : <p className="muted">Replying needs the conversations:reply permission.</p>}
    </>
  );
}

const SENDERS: Record<string, string> = { bot: "Bot", agent: "Agent", system: "System" };

function deliveryTone(status: string) {
  return status === "failed" ? "bad" : status === "delivered" || status === "read" ? "good" : status === "sent" ? "info" : "neutral";
}

function MessageItem({ m, contactName }: { m: Message; contactName: string }) {
  const { timeZone } = useSession();
  const who = m.direction === "note" ? "Private note" : m.sender === "contact" ? contactName || "Customer" : (SENDERS[m.sender] ?? m.sender);
  return (
    <li className={`cmsg cmsg-${m.direction === "in" ? "in" : m.direction === "note" ? "note" : "out"}`} data-sender={m.sender}>
      <div className="msg-head">
        <span className="msg-role">{who}</span>
        <span className="hint">{formatDateTime(m.created_at, timeZone)}</span>
        {m.direction === "out" ? <Badge tone={deliveryTone(m.status)}>{m.status}</Badge> : null}
        {m.kind === "template" ? <Badge tone="info">Template</Badge> : null}
      </div>
      <p className="cmsg-text">{m.body || <span className="muted">({m.kind})</span>}</p>
      {m.error ? <p className="error-text">Not delivered: {m.error}</p> : null}
      {m.direction === "in" && m.intent && m.intent !== "none" ? <p className="hint">Intent: {m.intent}</p> : null}
    </li>
  );
}

const SNOOZES = [
  { hours: 1, label: "1 hour" },
  { hours: 4, label: "4 hours" },
  { hours: 24, label: "1 day" },
  { hours: 24 * 7, label: "1 week" },
];

function Actions({
  d,
  myId,
  onChanged,
  onError,
}: {
  d: Detail;
  myId?: string;
  onChanged: (d: Detail) => void;
  onError: (e: ApiError | undefined) => void;
}) {
  const [busy, setBusy] = useState<string>();
  const [snoozing, setSnoozing] = useState(false);
  const [hours, setHours] = useState(4);
  const change = async (name: string, body: Change) => {
    setBusy(name);
    onError(undefined);
    try {
      onChanged(await call(api.PATCH("/api/v1/conversations/{id}", { params: { path: { id: d.id } }, body })));
      return true;
    } catch (e) {
      onError(toApiError(e));
      return false;
    } finally {
      setBusy(undefined);
    }
  };
  const button = (name: string, label: string, body: Change, variant: "primary" | "secondary" = "secondary") => (
    <Button variant={variant} busy={busy === name} disabled={Boolean(busy)} onClick={() => void change(name, body)}>
      {label}
    </Button>
  );
  return (
    <div className="actions">
      {myId && d.assignee_id !== myId ? button("assign", "Assign to me", { assignee_id: myId }) : null}
      {d.assignee_id ? button("unassign", "Unassign", { unassign: true }) : null}
      {d.handled_by === "bot" ? button("take", "Take over", { handled_by: "human" }) : button("give", "Give back to the bot", { handled_by: "bot" })}
      {d.status === "resolved" ? (
        button("reopen", "Reopen", { status: "open" })
      ) : (
        <>
          <Button aria-haspopup="dialog" disabled={Boolean(busy)} onClick={() => setSnoozing(true)}>
            Snooze
          </Button>
          {button("resolve", "Resolve", { status: "resolved" }, "primary")}
        </>
      )}
      <Dialog
        open={snoozing}
        title="Snooze conversation"
        onClose={() => setSnoozing(false)}
        footer={
          <>
            <Button onClick={() => setSnoozing(false)}>Cancel</Button>
            <Button
              variant="primary"
              busy={busy === "snooze"}
              onClick={async () => {
                const until = new Date(Date.now() + hours * 3600 * 1000).toISOString();
                if (await change("snooze", { status: "snoozed", snoozed_until: until })) setSnoozing(false);
              }}
            >
              Snooze
            </Button>
          </>
        }
      >
        <p>A snoozed conversation waits aside; a new message from the customer brings it back.</p>
        <Field label="Snooze for">
          {(p) => (
            <select {...p} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {SNOOZES.map((s) => (
                <option key={s.hours} value={s.hours}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </Dialog>
    </div>
  );
}

function Composer({ d, onSent }: { d: Detail; onSent: (m: Message) => void }) {
  const [text, setText] = useState("");
  const [note, setNote] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const box = useRef<HTMLTextAreaElement>(null);
  useLeaveGuard(text.trim() !== "");
  const send = async () => {
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      onSent(await call(api.POST("/api/v1/conversations/{id}/messages", { params: { path: { id: d.id } }, body: note ? { text: body, private: true } : { text: body } })));
      setText("");
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
      box.current?.focus();
    }
  };
  const fieldError = error?.fields().text;
  const windowClosed = error?.code === "window_closed";
  return (
    <>
      {d.status === "resolved" ? <Alert kind="info">This conversation is resolved: reopen it to reply. Notes can still be added.</Alert> : null}
      {error && !fieldError ? <Alert kind={windowClosed ? "warning" : "error"}>{error.message}</Alert> : null}
      {windowClosed ? (
        <TemplatePicker
          conversationId={d.id}
          onSent={(m) => {
            setError(undefined);
            onSent(m);
          }}
        />
      ) : null}
      <form
        className="card composer"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <Field label="Reply" hint={note ? "A private note: only your team sees it." : `Sent to the customer on ${kindLabel(d.channel_kind)}. Ctrl+Enter (⌘+Enter) sends.`} error={fieldError}>
          {(p) => (
            <textarea
              {...p}
              ref={box}
              rows={3}
              maxLength={4096}
              value={text}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  void send();
                }
              }}
            />
          )}
        </Field>
        <Check label="Private note (not sent to the customer)" checked={note} onChange={setNote} />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={busy} disabled={!text.trim()}>
            {note ? "Add note" : "Send"}
          </Button>
        </div>
      </form>
    </>
  );
}

/** Past WhatsApp's 24-hour window only an approved template may be sent. */
function TemplatePicker({ conversationId, onSent }: { conversationId: string; onSent: (m: Message) => void }) {
  const templates = useLoad(() => call(api.GET("/api/v1/concierge/templates")), []);
  const [chosen, setChosen] = useState("");
  const [variables, setVariables] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const t = templates.data?.find((x) => x.id === chosen);
  const send = async () => {
    if (!t) return;
    setBusy(true);
    setError(undefined);
    try {
      onSent(
        await call(
          api.POST("/api/v1/conversations/{id}/messages", {
            params: { path: { id: conversationId } },
            body: { template: { name: t.name, language: t.language, variables: variables.slice(0, t.variables) } },
          }),
        ),
      );
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const fields = error?.fields() ?? {};
  return (
    <section className="card" aria-labelledby="template-h">
      <h3 id="template-h" className="card-title">
        Send an approved template
      </h3>
      {templates.error ? <Alert>{templates.error.message}</Alert> : null}
      {templates.data && templates.data.length === 0 ? (
        <p>
          No templates yet. Add the templates Meta approved for this number on <Link href="/concierge/settings">Bot settings</Link>.
        </p>
      ) : null}
      {templates.data && templates.data.length > 0 ? (
        <>
          {error && Object.keys(fields).length === 0 ? <Alert>{error.message}</Alert> : null}
          <Field label="Template" error={fields["template.name"] ?? fields.template}>
            {(p) => (
              <select
                {...p}
                value={chosen}
                onChange={(e) => {
                  setChosen(e.target.value);
                  setVariables([]);
                }}
              >
                <option value="">Choose a template</option>
                {templates.data?.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name} ({x.language})
                  </option>
                ))}
              </select>
            )}
          </Field>
          {t
            ? Array.from({ length: t.variables }, (_, i) => (
                <Field key={i} label={`Value of {{${i + 1}}}`} error={i === 0 ? fields["template.variables"] : undefined}>
                  {(p) => <input {...p} value={variables[i] ?? ""} onChange={(e) => setVariables((v) => Object.assign([...v], { [i]: e.target.value }))} />}
                </Field>
              ))
            : null}
          {t ? <p className="hint">Preview: {fillTemplate(t.body, variables)}</p> : null}
          <Button variant="primary" busy={busy} disabled={!t} onClick={() => void send()}>
            Send template
          </Button>
        </>
      ) : null}
    </section>
  );
}

function contactValues(c: Contact) {
  return { name: c.name, phone: c.phone ?? "", email: c.email ?? "", tags: c.tags.join(", "), notes: c.notes };
}

function ContactCard({ contact, editable, onSaved }: { contact: Contact; editable: boolean; onSaved: (c: Contact) => void }) {
  const { timeZone } = useSession();
  const form = useForm(contactValues(contact), ["name", "phone", "email", "tags", "notes"]);
  const [saved, setSaved] = useState(false);
  const server = JSON.stringify(contactValues(contact));
  useEffect(() => {
    if (!form.dirty) form.reset(contactValues(contact));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [server]);
  const save = async () => {
    setSaved(false);
    let answer: Contact | undefined;
    const ok = await form.submit(async (v) => {
      const tags = v.tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      answer = await call(api.PATCH("/api/v1/contacts/{id}", { params: { path: { id: contact.id } }, body: { name: v.name.trim(), phone: v.phone.trim(), email: v.email.trim(), tags, notes: v.notes } }));
    });
    if (ok && answer) {
      form.reset(contactValues(answer));
      setSaved(true);
      onSaved(answer);
    }
  };
  const v = form.values;
  return (
    <section className="inbox-contact card" aria-labelledby="contact-h">
      <h2 id="contact-h" className="card-title">
        Contact
      </h2>
      <dl className="facts">
        <dt>On the channel</dt>
        <dd>
          <code>{contact.external_id}</code>
        </dd>
        <dt>Last wrote</dt>
        <dd>{formatDateTime(contact.last_inbound_at, timeZone)}</dd>
        <dt>First seen</dt>
        <dd>{formatDateTime(contact.created_at, timeZone)}</dd>
      </dl>
      {editable ? (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          {saved && !form.dirty ? <Alert kind="success">The contact was saved.</Alert> : null}
          <Field label="Name" error={form.errors.name}>
            {(p) => <input {...p} maxLength={200} autoComplete="off" value={v.name} onChange={(e) => form.set("name", e.target.value)} />}
          </Field>
          <Field label="Phone" error={form.errors.phone}>
            {(p) => <input {...p} type="tel" maxLength={30} autoComplete="off" value={v.phone} onChange={(e) => form.set("phone", e.target.value)} />}
          </Field>
          <Field label="E-mail" error={form.errors.email}>
            {(p) => <input {...p} type="email" maxLength={254} autoComplete="off" value={v.email} onChange={(e) => form.set("email", e.target.value)} />}
          </Field>
          <Field label="Tags" hint="Separated by commas." error={form.errors.tags}>
            {(p) => <input {...p} autoComplete="off" value={v.tags} onChange={(e) => form.set("tags", e.target.value)} />}
          </Field>
          <Field label="Notes" hint="For your team; the customer never sees them." error={form.errors.notes}>
            {(p) => <textarea {...p} rows={4} maxLength={5000} value={v.notes} onChange={(e) => form.set("notes", e.target.value)} />}
          </Field>
          <Button type="submit" busy={form.busy} disabled={!form.dirty}>
            Save contact
          </Button>
        </form>
      ) : (
        <dl className="facts">
          <dt>Phone</dt>
          <dd>{contact.phone || "—"}</dd>
          <dt>E-mail</dt>
          <dd>{contact.email || "—"}</dd>
          <dt>Tags</dt>
          <dd>{contact.tags.length ? contact.tags.join(", ") : "—"}</dd>
          <dt>Notes</dt>
          <dd>{contact.notes || "—"}</dd>
        </dl>
      )}
    </section>
  );
}
