// Playground: a chat against the company's models through /v1 (OpenAI's
// API), streamed as server-sent events. Stop keeps what arrived; each
// answer says which provider and model served it.
import { useEffect, useRef, useState } from "react";
import { ApiError, api, call, getAccessToken, renewAccessToken, type Problem } from "../api/client";
import { useSession } from "../auth/session";
import { Link, useLeaveGuard } from "../router";
import { Alert, Badge, Button, Field, PageHeader, confirmAction } from "../ui";
import { toApiError, useLoad } from "../ui/hooks";

type Role = "user" | "assistant";

interface Message {
  id: number;
  role: Role;
  content: string;
  state?: "waiting" | "streaming" | "done" | "stopped" | "failed";
  provider?: string | null;
  model?: string | null;
  cache?: string | null;
  budget?: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number };
  error?: string;
}

interface Settings {
  model: string;
  temperature: string;
  max_tokens: string;
  system: string;
}

// ---- The stream -------------------------------------------------------------

// Problems that a fresh access token cures (as in api/client.ts).
const RENEWABLE = new Set(["token_expired", "invalid_token", "unauthenticated"]);

/** POSTs the chat; a token refused for its age is renewed and the call retried once. */
async function post(body: unknown, signal: AbortSignal): Promise<Response> {
  const send = () => {
    const token = getAccessToken();
    return fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal,
    });
  };
  let r = await send();
  if (r.status === 401) {
    const code = await r.clone().json().then((p: Problem) => p.code, () => "");
    if (RENEWABLE.has(code) && (await renewAccessToken())) r = await send();
  }
  return r;
}

async function problemOf(r: Response): Promise<ApiError> {
  const p: unknown = await r.json().catch(() => null);
  const problem = p && typeof p === "object" && "code" in p && "status" in p ? (p as Problem) : null;
  return new ApiError(r.status, problem, `The server answered ${r.status}.`);
}

/** Splits complete SSE events off `buffer`; returns each event's data and the rest. */
function takeEvents(buffer: string): { data: string[]; rest: string } {
  const data: string[] = [];
  let rest = buffer.replace(/\r\n?/g, "\n");
  for (let i = rest.indexOf("\n\n"); i >= 0; i = rest.indexOf("\n\n")) {
    const lines = rest.slice(0, i).split("\n");
    rest = rest.slice(i + 2);
    const d = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, ""));
    if (d.length) data.push(d.join("\n"));
  }
  return { data, rest };
}

interface Chunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
  error?: { message?: string; code?: string };
}

/** Reads the answer, calling `onText` with each piece; a streamed error throws. */
async function read(r: Response, onText: (t: string) => void, onUsage: (u: Chunk["usage"]) => void): Promise<void> {
  if (!r.body) throw new ApiError(0, null, "The answer had no body.");
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    buffer += decoder.decode(value, { stream: !done });
    const { data, rest } = takeEvents(done ? `${buffer}\n\n` : buffer);
    buffer = rest;
    for (const d of data) {
      if (d === "[DONE]") return;
      let chunk: Chunk;
      try {
        chunk = JSON.parse(d) as Chunk;
      } catch {
        continue;
      }
      if (chunk.error) {
        const problem = { type: "", title: "The model failed", status: 502, code: chunk.error.code ?? "", detail: chunk.error.message } as unknown as Problem;
        throw new ApiError(502, problem, "The model failed while answering.");
      }
      const text = chunk.choices?.[0]?.delta?.content;
      if (text) onText(text);
      if (chunk.usage) onUsage(chunk.usage);
    }
    if (done) return;
  }
}

// ---- The page ---------------------------------------------------------------

let nextId = 1;

export default function Playground() {
  const { can } = useSession();
  const models = useLoad(() => call(api.GET("/v1/models")), []);
  const [settings, setSettings] = useState<Settings>({ model: "auto", temperature: "0.7", max_tokens: "256", system: "" });
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [announce, setAnnounce] = useState("");
  const controller = useRef<AbortController | null>(null);
  const end = useRef<HTMLDivElement>(null);
  useLeaveGuard(draft.trim() !== "");
  useEffect(() => () => controller.current?.abort(), []);
  useEffect(() => {
    end.current?.scrollIntoView({ block: "nearest" });
  }, [messages.length]);

  const update = (id: number, patch: Partial<Message> | ((m: Message) => Partial<Message>)) =>
    setMessages((ms) => ms.map((m) => (m.id === id ? { ...m, ...(typeof patch === "function" ? patch(m) : patch) } : m)));

  const send = async () => {
    const text = draft.trim();
    if (!text || busy) return;
    const local = checkSettings(settings);
    setFieldErrors(local);
    setError(undefined);
    if (Object.keys(local).length) return;
    const question: Message = { id: nextId++, role: "user", content: text };
    const answer: Message = { id: nextId++, role: "assistant", content: "", state: "waiting" };
    const history = [...messages.filter((m) => m.content && m.state !== "failed"), question];
    setMessages((ms) => [...ms, question, answer]);
    setDraft("");
    setBusy(true);
    setAnnounce("Waiting for the answer…");
    const ctrl = new AbortController();
    controller.current = ctrl;
    let content = "";
    let answering = false;
    try {
      const r = await post(requestBody(settings, history), ctrl.signal);
      if (!r.ok) throw await problemOf(r);
      answering = true;
      const h = (k: string) => r.headers.get(k);
      update(answer.id, { state: "streaming", provider: h("X-Tessera-Provider"), model: h("X-Tessera-Model"), cache: h("X-Tessera-Cache"), budget: h("X-Tessera-Budget") });
      await read(
        r,
        (t) => {
          content += t;
          update(answer.id, { content });
        },
        (usage) => update(answer.id, { usage }),
      );
      update(answer.id, { state: "done" });
      setAnnounce(content ? `Answer: ${content}` : "The model gave an empty answer.");
    } catch (e) {
      if (ctrl.signal.aborted) {
        update(answer.id, { state: "stopped" });
        setAnnounce(content ? `Stopped. The answer so far: ${content}` : "Stopped before the answer began.");
      } else {
        const err = e instanceof ApiError ? e : e instanceof TypeError ? new ApiError(0, null, "The server cannot be reached. Check your connection and try again.") : toApiError(e);
        setError(err);
        setFieldErrors(err.fields());
        setAnnounce(""); // the Alert (role="alert") says it
        if (!answering) {
          // Refused before answering: take the question back to edit and resend.
          setMessages((ms) => ms.filter((m) => m.id !== question.id && m.id !== answer.id));
          setDraft(text);
        } else {
          update(answer.id, { state: "failed", error: err.message });
        }
      }
    } finally {
      controller.current = null;
      setBusy(false);
    }
  };

  const clear = () => {
    if (messages.length && !confirmAction("Clear the conversation? It is not kept anywhere.")) return;
    controller.current?.abort();
    setMessages([]);
    setError(undefined);
    setAnnounce("The conversation was cleared.");
  };

  const list = [{ id: "auto", owned_by: "routed by the policy" }, ...(models.data?.data ?? []).filter((m) => m.id !== "auto")];
  return (
    <>
      <PageHeader title="Playground" description="Try the company's models: the same /v1/chat/completions an OpenAI client calls, answered as it streams." />
      <Alert kind="info">
        <p>
          The built-in model (gemma-3-270m) is a small <strong>base</strong> model: it continues text rather than following instructions. Start a
          sentence and it carries on. For instructions and questions,{" "}
          {can("ai:admin") ? (
            <>
              <Link href="/ai/providers">add a capable provider</Link> and <Link href="/ai/policy">route chat to it</Link>.
            </>
          ) : (
            "ask an admin to add a capable provider and route chat to it."
          )}
        </p>
      </Alert>
      {models.error ? <Alert kind="warning">The model list could not be loaded ({models.error.message}); “auto” still works.</Alert> : null}
      <SettingsForm
        settings={settings}
        onChange={(next) => {
          setFieldErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !(k in next) || next[k as keyof Settings] === settings[k as keyof Settings])));
          setSettings(next);
        }}
        models={list}
        errors={fieldErrors}
        disabled={busy}
      />
      <section className="card" aria-labelledby="conv-h">
        <h2 id="conv-h" style={{ marginTop: 0 }}>Conversation</h2>
        <Conversation messages={messages} busy={busy} />
        <div ref={end} />
        <div className="visually-hidden" aria-live="polite" aria-atomic="true">
          {announce}
        </div>
      </section>
      {error ? (
        <Alert>
          <p>{error.message}</p>
          {error.code ? <p className="hint">Code: {error.code}</p> : null}
        </Alert>
      ) : null}
      <Composer draft={draft} onDraft={setDraft} busy={busy} onSend={() => void send()} onStop={() => controller.current?.abort()} onClear={clear} canClear={messages.length > 0} />
    </>
  );
}

function checkSettings(s: Settings): Record<string, string> {
  const e: Record<string, string> = {};
  const t = s.temperature.trim();
  if (t && !(Number(t) >= 0 && Number(t) <= 2)) e.temperature = "Give a number from 0 to 2.";
  const m = s.max_tokens.trim();
  if (m && !(/^\d+$/.test(m) && Number(m) >= 1)) e.max_tokens = "Give a whole number, 1 or more.";
  return e;
}

function requestBody(s: Settings, history: Message[]) {
  const t = s.temperature.trim();
  const m = s.max_tokens.trim();
  return {
    model: s.model,
    stream: true,
    stream_options: { include_usage: true },
    ...(t ? { temperature: Number(t) } : {}),
    ...(m ? { max_tokens: Number(m) } : {}),
    messages: [...(s.system.trim() ? [{ role: "system", content: s.system.trim() }] : []), ...history.map((x) => ({ role: x.role, content: x.content }))],
  };
}

function SettingsForm({
  settings: s,
  onChange,
  models,
  errors,
  disabled,
}: {
  settings: Settings;
  onChange: (s: Settings) => void;
  models: { id: string; owned_by: string }[];
  errors: Record<string, string>;
  disabled: boolean;
}) {
  const set = (k: keyof Settings, v: string) => onChange({ ...s, [k]: v });
  return (
    <section className="card" aria-labelledby="settings-h">
      <h2 id="settings-h" style={{ marginTop: 0 }}>Settings</h2>
      <div className="grid-2">
        <Field label="Model" hint="auto: chosen by the policy's chat route (or the local/cloud split)." error={errors.model}>
          {(p) => (
            <select {...p} value={s.model} disabled={disabled} onChange={(e) => set("model", e.target.value)}>
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id} ({m.owned_by})
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="grid-2" style={{ gap: "0 .75rem" }}>
          <Field label="Temperature" hint="0–2; 0 repeats (and may be cached)." error={errors.temperature}>
            {(p) => <input {...p} type="number" min={0} max={2} step={0.1} inputMode="decimal" value={s.temperature} disabled={disabled} onChange={(e) => set("temperature", e.target.value)} />}
          </Field>
          <Field label="Max tokens" hint="Most tokens to write." error={errors.max_tokens ?? errors.max_completion_tokens}>
            {(p) => <input {...p} type="number" min={1} step={1} inputMode="numeric" value={s.max_tokens} disabled={disabled} onChange={(e) => set("max_tokens", e.target.value)} />}
          </Field>
        </div>
      </div>
      <Field label="System message (optional)" hint="Sent first, before the conversation." error={errors.messages}>
        {(p) => <textarea {...p} rows={2} style={{ minHeight: "3.5rem" }} value={s.system} disabled={disabled} onChange={(e) => set("system", e.target.value)} />}
      </Field>
    </section>
  );
}

function Conversation({ messages, busy }: { messages: Message[]; busy: boolean }) {
  if (messages.length === 0) return <p className="empty">No messages yet. Write one below.</p>;
  return (
    <div className="chat" aria-busy={busy || undefined}>
      {messages.map((m) => (
        <div key={m.id} className={`msg${m.role === "user" ? " msg-user" : ""}`}>
          <span className="msg-role">{m.role === "user" ? "You" : "Assistant"}</span>
          {m.state === "waiting" ? (
            <span className="muted">
              <span className="spinner" aria-hidden="true" /> Waiting for the first token…
            </span>
          ) : (
            m.content.trimStart() || (m.state === "streaming" ? "" : <span className="muted">(no text)</span>)
          )}
          {m.role === "assistant" ? <AnswerMeta m={m} /> : null}
        </div>
      ))}
    </div>
  );
}

function AnswerMeta({ m }: { m: Message }) {
  const parts: string[] = [];
  if (m.provider) parts.push(`Provider: ${m.provider}`);
  if (m.model) parts.push(`Model: ${m.model}`);
  if (m.usage) parts.push(`${m.usage.prompt_tokens} tokens in, ${m.usage.completion_tokens} out`);
  if (m.cache === "hit") parts.push("from the cache");
  return (
    <span className="hint" style={{ display: "block", marginTop: ".4rem", whiteSpace: "normal" }}>
      {parts.join(" · ")}
      {m.state === "stopped" ? <> <Badge tone="warn">Stopped</Badge></> : null}
      {m.state === "failed" ? <> <Badge tone="bad">Failed: {m.error}</Badge></> : null}
      {m.budget === "soft-limit" ? <> <Badge tone="warn">Budget soft limit passed</Badge></> : null}
      {m.budget === "hard-limit" ? <> <Badge tone="bad">Budget spent: local models only</Badge></> : null}
    </span>
  );
}

function Composer({
  draft,
  onDraft,
  busy,
  onSend,
  onStop,
  onClear,
  canClear,
}: {
  draft: string;
  onDraft: (v: string) => void;
  busy: boolean;
  onSend: () => void;
  onStop: () => void;
  onClear: () => void;
  canClear: boolean;
}) {
  // Send and Stop go away or turn busy: focus returns to the message box.
  const box = useRef<HTMLTextAreaElement>(null);
  return (
    <form
      className="card"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSend();
        box.current?.focus();
      }}
    >
      <Field label="Message" hint="Ctrl+Enter (⌘+Enter) sends.">
        {(p) => (
          <textarea
            {...p}
            ref={box}
            rows={3}
            value={draft}
            onChange={(e) => onDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                onSend();
              }
            }}
          />
        )}
      </Field>
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={busy} disabled={!draft.trim()}>
          Send
        </Button>
        {busy ? (
          <Button
            variant="danger"
            onClick={() => {
              onStop();
              box.current?.focus();
            }}
          >
            Stop
          </Button>
        ) : null}
        <Button onClick={onClear} disabled={!canClear}>
          Clear
        </Button>
      </div>
    </form>
  );
}
