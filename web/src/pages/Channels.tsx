// Channels: where customers reach the concierge — a WhatsApp number, an
// Instagram account, or the chat widget on the company's website. Adding
// one shows what to paste into Meta's webhook settings, or the snippet for
// the website. Secrets are never shown again, only whether they are set.
import { useId, useState } from "react";
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { DEFAULT_COLOR, KIND_LABELS, NEW_CHANNEL, channelValues, itemFields, kindLabel, lines, listError, toChannelInput, type ChannelKind, type ChannelValues } from "../concierge/forms";
import { formatDateTime } from "../format";
import { Alert, Badge, Button, Check, CopyButton, Dialog, Field, PageHeader, States, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, type FormState } from "../ui/hooks";

type Channel = Schemas["Channel"];
type Notice = { kind: "success" | "error"; text: ReactNode } | null;

export default function Channels() {
  const { can, timeZone } = useSession();
  const manage = can("channels:manage");
  const list = useLoad(() => call(api.GET("/api/v1/channels")), []);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Channel>();
  const [setup, setSetup] = useState<Channel>();
  const [deleting, setDeleting] = useState<string>();
  const [notice, setNotice] = useState<Notice>(null);
  const channels = list.data ?? [];

  const remove = async (c: Channel) => {
    if (!confirmAction(`Delete the channel “${c.name}” with its contacts and conversations? Customers can no longer reach you there. This cannot be undone.`)) return;
    setDeleting(c.id);
    setNotice(null);
    try {
      await call(api.DELETE("/api/v1/channels/{id}", { params: { path: { id: c.id } } }));
      setNotice({ kind: "success", text: `The channel “${c.name}” was deleted.` });
      list.reload();
    } catch (e) {
      setNotice({ kind: "error", text: toApiError(e).message });
    } finally {
      setDeleting(undefined);
    }
  };

  return (
    <>
      <PageHeader
        title="Channels"
        description="Where customers reach you: a WhatsApp number, an Instagram account, or the chat on your website. The bot answers on each from your documents."
        actions={
          manage ? (
            <Button variant="primary" aria-haspopup="dialog" onClick={() => setAdding(true)}>
              Add channel
            </Button>
          ) : null
        }
      />
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      {manage ? null : <p className="muted">Adding or changing channels needs the channels:manage permission.</p>}
      <States loading={list.loading} error={list.error} empty={channels.length === 0} emptyText="No channels yet. Add one to let customers write to you." onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">The company's channels</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Connects</th>
                <th scope="col">Secrets</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{kindLabel(c.kind)}</td>
                  <td>
                    <Connects c={c} />
                  </td>
                  <td>
                    {c.kind === "web" ? (
                      <span className="muted">None needed</span>
                    ) : (
                      <span className="row">
                        <Badge tone={c.has_app_secret ? "good" : "bad"}>{c.has_app_secret ? "App secret set" : "No app secret"}</Badge>
                        <Badge tone={c.has_access_token ? "good" : "bad"}>{c.has_access_token ? "Access token set" : "No access token"}</Badge>
                      </span>
                    )}
                  </td>
                  <td>{c.enabled ? <Badge tone="good">Enabled</Badge> : <Badge tone="warn">Disabled</Badge>}</td>
                  <td>{formatDateTime(c.created_at, timeZone)}</td>
                  <td>
                    <div className="row">
                      <Button variant="ghost" aria-haspopup="dialog" onClick={() => setSetup(c)}>
                        Setup<span className="visually-hidden"> of {c.name}</span>
                      </Button>
                      {manage ? (
                        <>
                          <Button aria-haspopup="dialog" onClick={() => setEditing(c)}>
                            Edit<span className="visually-hidden"> {c.name}</span>
                          </Button>
                          <Button variant="danger" busy={deleting === c.id} onClick={() => void remove(c)}>
                            Delete<span className="visually-hidden"> {c.name}</span>
                          </Button>
                        </>
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      {manage ? (
        <ChannelDialog
          open={adding}
          onClose={() => setAdding(false)}
          onSaved={() => {
            setNotice(null);
            list.reload();
          }}
        />
      ) : null}
      {manage && editing ? (
        <ChannelDialog
          key={editing.id}
          channel={editing}
          open
          onClose={() => setEditing(undefined)}
          onSaved={(c) => {
            setEditing(undefined);
            setNotice({ kind: "success", text: `The channel “${c.name}” was saved.` });
            list.reload();
          }}
        />
      ) : null}
      <Dialog open={Boolean(setup)} title={setup ? `Set up ${setup.name}` : "Setup"} onClose={() => setSetup(undefined)} footer={<Button onClick={() => setSetup(undefined)}>Done</Button>}>
        {setup ? <ChannelSetup c={setup} /> : null}
      </Dialog>
    </>
  );
}

function Connects({ c }: { c: Channel }) {
  if (c.kind === "web") {
    return c.allowed_origins.length ? (
      <span className="stack">
        {c.allowed_origins.map((o) => (
          <code key={o}>{o}</code>
        ))}
      </span>
    ) : (
      <span className="muted">Any website</span>
    );
  }
  return (
    <>
      {c.kind === "whatsapp" ? "Phone number ID " : "Account ID "}
      <code>{c.external_id ?? "—"}</code>
    </>
  );
}

/** What to paste where: the webhook's URL and verify token into Meta, or the snippet into the website. */
function ChannelSetup({ c }: { c: Channel }) {
  if (c.kind === "web") {
    const snippet = c.widget_snippet ?? "";
    return (
      <div className="stack">
        <p>
          Put this snippet on each page of your website, just before <code>&lt;/body&gt;</code>. A chat button appears at the bottom right; visitors' questions are answered by the bot, and
          reach your inbox.
        </p>
        <h3>Snippet for your website</h3>
        <pre className="code-block">
          <code>{snippet}</code>
        </pre>
        <div>
          <CopyButton text={snippet} label="Copy snippet" />
        </div>
        <p className="hint">{c.allowed_origins.length ? `Only these sites may show it: ${c.allowed_origins.join(", ")}.` : "Any website may show it; list your sites in the channel's settings to allow only those."}</p>
      </div>
    );
  }
  const where = c.kind === "whatsapp" ? "WhatsApp → Configuration" : "Instagram → Webhooks";
  return (
    <div className="stack">
      <p>
        In Meta's App Dashboard, open <strong>{where}</strong>, edit the webhook, paste these two values, and subscribe to the <code>messages</code> field.
      </p>
      <Field label="Callback URL">{(p) => <input {...p} readOnly spellCheck={false} value={c.webhook_url ?? ""} onFocus={(e) => e.target.select()} />}</Field>
      <div>
        <CopyButton text={c.webhook_url ?? ""} label="Copy callback URL" />
      </div>
      <Field label="Verify token">{(p) => <input {...p} readOnly spellCheck={false} value={c.verify_token} onFocus={(e) => e.target.select()} />}</Field>
      <div>
        <CopyButton text={c.verify_token} label="Copy verify token" />
      </div>
      <p className="hint">Messages are checked with the app secret, and replies sent with the access token; neither is shown again.</p>
    </div>
  );
}

function ChannelDialog({ channel, open, onClose, onSaved }: { channel?: Channel; open: boolean; onClose: () => void; onSaved: (c: Channel) => void }) {
  const initial = channel ? channelValues(channel) : NEW_CHANNEL;
  const [created, setCreated] = useState<Channel>();
  const formId = useId();
  const form = useForm(initial, FIELDS);
  const cancel = () => {
    if (form.dirty && !confirmAction(channel ? "Discard your changes to this channel?" : "Discard this new channel?")) return;
    form.reset(initial);
    onClose();
  };
  const save = async () => {
    let answer: Channel | undefined;
    const ok = await form.submit(async (v) => {
      const body = toChannelInput(v);
      answer = await call(channel ? api.PUT("/api/v1/channels/{id}", { params: { path: { id: channel.id } }, body }) : api.POST("/api/v1/channels", { body }));
    });
    if (ok && answer) {
      form.reset(channel ? channelValues(answer) : NEW_CHANNEL);
      onSaved(answer);
      if (!channel) setCreated(answer);
    }
  };
  if (created) {
    const finish = () => {
      setCreated(undefined);
      onClose();
    };
    return (
      <Dialog open={open} title="Channel added" onClose={finish} footer={<Button variant="primary" onClick={finish}>Done</Button>}>
        <Alert kind="success">
          <p>
            {kindLabel(created.kind)} channel “{created.name}” added.
          </p>
        </Alert>
        <ChannelSetup c={created} />
      </Dialog>
    );
  }
  return (
    <Dialog
      open={open}
      title={channel ? `Edit ${channel.name}` : "Add channel"}
      onClose={onClose}
      footer={
        <>
          <Button onClick={cancel}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy} disabled={Boolean(channel) && !form.dirty}>
            {channel ? "Save changes" : "Add channel"}
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
        <ChannelFields form={form} editing={Boolean(channel)} />
      </form>
    </Dialog>
  );
}

// The paths the server names: each of the (at most 20) sites, then the rest.
const FIELDS = [...itemFields("allowed_origins", 20), "kind", "name", "external_id", "app_secret", "access_token", "api_base_url", "verify_token", "allowed_origins", "widget.title", "widget.welcome", "widget.color", "enabled"];

function ChannelFields({ form, editing }: { form: FormState<ChannelValues>; editing: boolean }) {
  const v = form.values;
  const e = form.errors;
  const stored = editing ? "Stored — leave blank to keep" : undefined;
  return (
    <>
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      <Field label="Kind" hint={editing ? "A channel's kind cannot change; add another channel instead." : undefined} error={e.kind}>
        {(p) => (
          <select {...p} value={v.kind} disabled={editing} onChange={(ev) => form.set("kind", ev.target.value as ChannelKind)}>
            {(Object.keys(KIND_LABELS) as ChannelKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Name" hint="For your team, such as “Support number” or “Website chat”." error={e.name}>
        {(p) => <input {...p} maxLength={100} autoComplete="off" value={v.name} onChange={(ev) => form.set("name", ev.target.value)} />}
      </Field>
      {v.kind === "web" ? (
        <>
          <Field
            label="Allowed websites"
            hint="One a line, such as https://shop.example. Only these sites may show the chat; leave empty to allow any site."
            error={listError(e, "allowed_origins", lines(v.allowed_origins))}
          >
            {(p) => <textarea {...p} rows={3} spellCheck={false} value={v.allowed_origins} onChange={(ev) => form.set("allowed_origins", ev.target.value)} />}
          </Field>
          <fieldset>
            <legend>How the chat looks</legend>
            <Field label="Title" hint="At the top of the chat window." error={e["widget.title"]}>
              {(p) => <input {...p} maxLength={60} placeholder="Chat with us" value={v.title} onChange={(ev) => form.set("title", ev.target.value)} />}
            </Field>
            <Field label="Welcome message" hint="The first message a visitor sees." error={e["widget.welcome"]}>
              {(p) => <textarea {...p} rows={2} maxLength={500} value={v.welcome} onChange={(ev) => form.set("welcome", ev.target.value)} />}
            </Field>
            <Field label="Colour" hint="Of the chat button and the visitor's messages." error={e["widget.color"]}>
              {(p) => <input {...p} type="color" className="color-input" value={v.color || DEFAULT_COLOR} onChange={(ev) => form.set("color", ev.target.value)} />}
            </Field>
          </fieldset>
        </>
      ) : (
        <>
          <Field
            label={v.kind === "whatsapp" ? "Phone number ID" : "Instagram account ID"}
            hint={v.kind === "whatsapp" ? "From WhatsApp → API setup in Meta's App Dashboard (digits)." : "The professional account's ID (digits)."}
            error={e.external_id}
          >
            {(p) => <input {...p} inputMode="numeric" maxLength={40} autoComplete="off" spellCheck={false} value={v.external_id} onChange={(ev) => form.set("external_id", ev.target.value)} />}
          </Field>
          <Field label="App secret" hint="App settings → Basic in Meta's App Dashboard. Incoming messages are checked with it." error={e.app_secret}>
            {(p) => <input {...p} type="password" autoComplete="new-password" spellCheck={false} placeholder={stored} value={v.app_secret} onChange={(ev) => form.set("app_secret", ev.target.value)} />}
          </Field>
          <Field label="Access token" hint="A system user's permanent token; replies are sent with it." error={e.access_token}>
            {(p) => <input {...p} type="password" autoComplete="new-password" spellCheck={false} placeholder={stored} value={v.access_token} onChange={(ev) => form.set("access_token", ev.target.value)} />}
          </Field>
          <Field label="Verify token (optional)" hint="The token Meta sends when it checks the webhook. Left empty, one is made up." error={e.verify_token}>
            {(p) => <input {...p} maxLength={100} autoComplete="off" spellCheck={false} value={v.verify_token} onChange={(ev) => form.set("verify_token", ev.target.value)} />}
          </Field>
          <Field label="Graph API base URL (optional, advanced)" hint="Left empty: https://graph.facebook.com. Change it only to test against a stand-in." error={e.api_base_url}>
            {(p) => <input {...p} type="url" inputMode="url" autoComplete="off" spellCheck={false} value={v.api_base_url} onChange={(ev) => form.set("api_base_url", ev.target.value)} />}
          </Field>
        </>
      )}
      <Check label="Receive and answer messages" checked={v.enabled} onChange={(on) => form.set("enabled", on)} />
    </>
  );
}
