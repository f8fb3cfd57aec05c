// Chat: questions about the company's documents, answered with citations.
// The person's chats are listed beside the conversation (administrators
// may list everyone's). An answer streams as server-sent events and can be
// stopped; each [n] in it links to the cited passage in its document, and
// the passages are listed under the answer. A question the server refused
// goes back into the message box.
import { Fragment, useEffect, useId, useRef, useState, useSyncExternalStore } from "react";
import { ApiError, api, call, type Problem, type Schemas } from "../api/client";
import { useMe, useSession } from "../auth/session";
import { formatDateTime } from "../format";
import { PassageLink } from "../knowledge/parts";
import { readEvents } from "../knowledge/sse";
import { answerParts, citationHref } from "../knowledge/text";
import { authorizedFetch, problemOf } from "../knowledge/transfer";
import { Link, navigate, setQuery, useLeaveGuard, useLocation } from "../router";
import { Alert, Badge, Button, Check, Dialog, Field, PageHeader, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, useMore } from "../ui/hooks";

type Message = Schemas["Message"];
type Citation = Schemas["Citation"];
type ChatWithMessages = Schemas["ChatWithMessages"];

// ---- Answers as they stream ---------------------------------------------------
//
// Kept outside the page: the page is mounted afresh when its address
// changes (a new chat gets its address as its first answer starts).

interface Live {
  /** Identifies one question (a chat may be asked again later). */
  seq: number;
  chatId: string;
  question: string;
  /** The chat's stored messages when it was asked: any other is this question or its answer. */
  known: ReadonlySet<string>;
  text: string;
  citations: Citation[] | null;
  state: "waiting" | "streaming" | "finishing" | "done" | "stopped" | "failed";
  /** The server took the question (an answer had begun). */
  accepted: boolean;
  error?: ApiError;
  /** The stored answer (when done). */
  message?: Message;
  /** A page has told the person how it ended (once, however often the chat is opened). */
  handled?: boolean;
  controller: AbortController;
}

const lives = new Map<string, Live>();
const listeners = new Set<() => void>();
let seq = 0;
let mountedPages = 0;

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

function patchLive(chatId: string, mine: number, patch: Partial<Live>) {
  const cur = lives.get(chatId);
  if (!cur || cur.seq !== mine) return;
  lives.set(chatId, { ...cur, ...patch });
  for (const l of listeners) l();
}

function dropLive(chatId: string, mine: number) {
  if (lives.get(chatId)?.seq !== mine) return;
  lives.delete(chatId);
  for (const l of listeners) l();
}

function useLive(chatId: string | undefined): Live | undefined {
  return useSyncExternalStore(subscribe, () => (chatId ? lives.get(chatId) : undefined));
}

function running(l: Live | undefined): boolean {
  return l !== undefined && (l.state === "waiting" || l.state === "streaming" || l.state === "finishing");
}

function parse(data: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(data);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const UNREACHABLE = "The server cannot be reached. Check your connection and try again.";

/** Asks `question` in a chat and follows the streamed answer. */
async function ask(chatId: string, question: string, known: ReadonlySet<string>): Promise<void> {
  const mine = ++seq;
  const controller = new AbortController();
  lives.set(chatId, { seq: mine, chatId, question, known, text: "", citations: null, state: "waiting", accepted: false, controller });
  for (const l of listeners) l();
  let text = "";
  try {
    const r = await authorizedFetch(`/api/v1/chats/${encodeURIComponent(chatId)}/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ content: question, stream: true }),
      signal: controller.signal,
    });
    if (!r.ok) throw await problemOf(r);
    if (!r.body) throw new ApiError(0, null, "The answer had no body.");
    patchLive(chatId, mine, { state: "streaming", accepted: true });
    let ended = false;
    await readEvents(r.body, (e) => {
      const d = parse(e.data);
      if (e.event === "token") {
        if (typeof d?.text === "string") {
          text += d.text;
          patchLive(chatId, mine, { text });
        }
      } else if (e.event === "citations") {
        patchLive(chatId, mine, { citations: Array.isArray(d?.citations) ? (d.citations as Citation[]) : [], state: "finishing" });
      } else if (e.event === "done") {
        ended = true;
        const m = d?.message as Message | undefined;
        patchLive(chatId, mine, { state: "done", message: m, ...(m ? { text: m.content, citations: m.citations } : {}) });
      } else if (e.event === "error") {
        const problem = d && "code" in d && "status" in d ? (d as unknown as Problem) : null;
        throw new ApiError(problem?.status ?? 502, problem, "The answer failed.");
      }
    });
    if (!ended) throw new ApiError(0, null, "The answer was cut off before it ended. Try again.");
  } catch (e) {
    if (controller.signal.aborted) {
      patchLive(chatId, mine, { state: "stopped" });
      return;
    }
    const err = e instanceof ApiError ? e : e instanceof TypeError ? new ApiError(0, null, UNREACHABLE) : toApiError(e);
    patchLive(chatId, mine, { state: "failed", error: err });
  }
}

/** Leaving the chat pages stops answers still being written (what arrived is kept). */
function stopAll() {
  for (const l of lives.values()) {
    if (l.state === "waiting" || l.state === "streaming") l.controller.abort();
  }
}

// ---- The page -------------------------------------------------------------------

export default function Chat({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { can, timeZone } = useSession();
  const { me } = useMe();
  const { query } = useLocation();
  const admin = can("chats:admin");
  const all = admin && query.get("all") === "1";
  const chats = useMore((cursor) => call(api.GET("/api/v1/chats", { params: { query: { cursor, limit: 50, ...(all ? { all: true } : {}) } } })), [all]);
  const loaded = useLoad(() => (id ? call(api.GET("/api/v1/chats/{id}", { params: { path: { id } } })) : Promise.resolve(null)), [id]);
  const [fresh, setFresh] = useState<ChatWithMessages>();
  const chat = fresh ?? loaded.data ?? undefined;
  const live = useLive(id);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<ApiError>();
  const [creating, setCreating] = useState(false);
  const [syncing, setSyncing] = useState(false);
  const [goTo, setGoTo] = useState<string>();
  const [renaming, setRenaming] = useState(false);
  const [announce, setAnnounce] = useState("");
  const end = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  useLeaveGuard(draft.trim() !== "");
  const suffix = all ? "?all=1" : "";

  useEffect(() => {
    mountedPages++;
    return () => {
      mountedPages--;
      // Another chat page mounting in the same step keeps its answer going.
      window.setTimeout(() => {
        if (mountedPages === 0) stopAll();
      }, 0);
    };
  }, []);

  // After the message box is cleared (so leaving does not ask first).
  useEffect(() => {
    if (goTo) navigate(goTo);
  }, [goTo]);

  const { reload: reloadChats } = chats;
  const liveSeq = live?.seq;
  const liveState = live?.state;
  // An answer that ended: say how, give back a refused question, and read
  // the chat again for what the server stored.
  useEffect(() => {
    if (!id || !live || running(live) || live.handled) return;
    const current = live;
    patchLive(id, current.seq, { handled: true });
    if (current.state === "failed") {
      setError(current.error);
      setDraft((d) => (d.trim() ? d : current.question));
      setAnnounce("");
    } else if (current.state === "stopped") {
      if (!current.accepted) setDraft((d) => (d.trim() ? d : current.question));
      setAnnounce(current.text ? "Stopped. The answer so far is kept." : "Stopped before the answer began.");
    } else {
      setAnnounce(`Answer: ${current.text}`);
    }
    setSyncing(true);
    // A stopped answer is stored as its stream closes: give it a moment.
    window.setTimeout(
      () => {
        call(api.GET("/api/v1/chats/{id}", { params: { path: { id } } }))
          .then(setFresh)
          .catch(() => {})
          .finally(() => setSyncing(false));
        reloadChats();
      },
      current.state === "stopped" ? 700 : 0,
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, liveSeq, liveState]);

  // Once the server's copy is shown, the streamed one goes.
  useEffect(() => {
    if (!id || !live || running(live) || !live.handled || !chat) return;
    const stored = chat.messages.some((m) => m.role === "assistant" && !live.known.has(m.id));
    if (stored || !live.accepted) dropLive(id, live.seq);
  }, [id, live, chat]);

  const messages = chat?.messages ?? [];
  const newSince = live ? messages.filter((m) => !live.known.has(m.id)) : [];
  const questionStored = newSince.some((m) => m.role === "user");
  const answerStored = newSince.some((m) => m.role === "assistant");
  const count = messages.length + (live ? 2 : 0);
  useEffect(() => {
    end.current?.scrollIntoView({ block: "nearest" });
  }, [count, liveState]);

  const busy = creating || syncing || running(live);
  const owner = !chat || !chat.user_id || chat.user_id === me.user?.id;

  const send = async () => {
    const text = draft.trim();
    if (!text || busy) return;
    setError(undefined);
    if (!id) {
      setCreating(true);
      try {
        const created = await call(api.POST("/api/v1/chats", { body: {} }));
        void ask(created.id, text, new Set());
        setDraft("");
        setGoTo(`/chat/${created.id}${suffix}`);
      } catch (e) {
        setError(toApiError(e));
      } finally {
        setCreating(false);
      }
      return;
    }
    setDraft("");
    setAnnounce("Finding the answer…");
    void ask(id, text, new Set(messages.map((m) => m.id)));
  };

  const remove = async () => {
    if (!chat || !confirmAction(`Delete the chat “${chat.title}” and its messages? This cannot be undone.`)) return;
    try {
      await call(api.DELETE("/api/v1/chats/{id}", { params: { path: { id: chat.id } } }));
      setDraft("");
      setGoTo(`/chat${suffix}`);
    } catch (e) {
      setError(toApiError(e));
    }
  };

  const replaceMessage = (m: Message) => {
    if (!chat) return;
    setFresh({ ...chat, messages: chat.messages.map((x) => (x.id === m.id ? m : x)) });
  };

  return (
    <>
      <PageHeader title="Chat" description="Ask about the company's documents. Answers cite the passages they come from." />
      <div className="chat-layout">
        <nav className="chat-list" aria-label="Chats">
          <Link href={`/chat${suffix}`} className="btn btn-primary" aria-current={!id ? "page" : undefined}>
            New chat
          </Link>
          {admin ? <Check label="Everyone's chats" checked={all} onChange={(v) => setQuery({ all: v ? "1" : null })} /> : null}
          <h2 className="chat-list-title">{all ? "Everyone's chats" : "Your chats"}</h2>
          {chats.error ? (
            <Alert>
              <p>{chats.error.message}</p>
              <Button onClick={chats.reload}>Try again</Button>
            </Alert>
          ) : null}
          {chats.items.length === 0 && !chats.loading && !chats.error ? <p className="muted">No chats yet.</p> : null}
          <ul className="chat-links">
            {chats.items.map((c) => (
              <li key={c.id}>
                <Link href={`/chat/${c.id}${suffix}`} aria-current={c.id === id ? "page" : undefined}>
                  <span className="chat-link-title">{c.title}</span>
                  <span className="chat-link-when">{formatDateTime(c.updated_at, timeZone)}</span>
                </Link>
              </li>
            ))}
          </ul>
          {chats.loading ? <p className="muted">Loading chats…</p> : null}
          {chats.hasMore ? (
            <Button variant="ghost" busy={chats.loading} onClick={chats.more}>
              Older chats
            </Button>
          ) : null}
        </nav>
        <section className="chat-main" aria-labelledby="chat-h">
          <div className="chat-head">
            <h2 id="chat-h">{chat?.title ?? (id ? "Chat" : "New chat")}</h2>
            {chat ? (
              <div className="actions">
                <Button aria-haspopup="dialog" onClick={() => setRenaming(true)}>
                  Rename
                </Button>
                <Button variant="danger" disabled={busy} onClick={() => void remove()}>
                  Delete
                </Button>
              </div>
            ) : null}
          </div>
          {id && loaded.error ? (
            <Alert>
              <p>{loaded.error.message}</p>
              <Button onClick={loaded.reload}>Try again</Button>
            </Alert>
          ) : null}
          {id && loaded.loading && !chat ? (
            <p className="loading" role="status">
              <span className="spinner" aria-hidden="true" /> Loading…
            </p>
          ) : null}
          {!owner ? <Alert kind="info">This is someone else's chat: you can read it, rename it or delete it, but only they can ask in it.</Alert> : null}
          {messages.length === 0 && !live && (!id || chat) ? (
            <p className="empty">Ask a question below. The answer quotes or cites the documents it comes from; if they do not cover it, it says so.</p>
          ) : null}
          {messages.length > 0 || live ? (
            <div className="chat" aria-busy={running(live) || undefined}>
              {messages.map((m) => (
                <MessageView key={m.id} m={m} chatId={chat?.id ?? ""} canRate={owner} onChanged={replaceMessage} />
              ))}
              {live && !questionStored ? (
                <div className="msg msg-user">
                  <span className="msg-role">Question</span>
                  {live.question}
                </div>
              ) : null}
              {live && !answerStored && live.accepted ? <LiveAnswer live={live} /> : null}
              {live && !live.accepted && live.state === "waiting" ? (
                <div className="msg">
                  <span className="msg-role">Answer</span>
                  <span className="muted">
                    <span className="spinner" aria-hidden="true" /> Searching the documents…
                  </span>
                </div>
              ) : null}
            </div>
          ) : null}
          <div ref={end} />
          <div className="visually-hidden" aria-live="polite" aria-atomic="true">
            {announce}
          </div>
          {error ? (
            <Alert>
              <p>{error.message}</p>
              {error.code ? <p className="hint">Code: {error.code}</p> : null}
            </Alert>
          ) : null}
          {owner ? (
            <form
              className="card composer"
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                void send();
                box.current?.focus();
              }}
            >
              <Field label="Question" hint="Ctrl+Enter (⌘+Enter) sends.">
                {(p) => (
                  <textarea
                    {...p}
                    ref={box}
                    rows={3}
                    maxLength={2000}
                    value={draft}
                    onChange={(e) => setDraft(e.target.value)}
                    onKeyDown={(e) => {
                      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                        e.preventDefault();
                        void send();
                      }
                    }}
                  />
                )}
              </Field>
              <div className="form-actions">
                <Button type="submit" variant="primary" busy={busy} disabled={!draft.trim()}>
                  Send
                </Button>
                {live && running(live) ? (
                  <Button
                    variant="danger"
                    onClick={() => {
                      live.controller.abort();
                      box.current?.focus();
                    }}
                  >
                    Stop
                  </Button>
                ) : null}
              </div>
            </form>
          ) : null}
        </section>
      </div>
      {chat ? (
        <RenameDialog
          chat={chat}
          open={renaming}
          onClose={() => setRenaming(false)}
          onSaved={(c) => {
            setRenaming(false);
            setFresh({ ...chat, ...c, messages: chat.messages });
            reloadChats();
          }}
        />
      ) : null}
    </>
  );
}

function ModeNote({ mode, model, stopped }: { mode?: string | null; model?: string | null; stopped?: boolean }) {
  return (
    <>
      {mode === "extractive" ? <Badge tone="info">Quoted</Badge> : null}
      {mode === "not_covered" ? <Badge>Not covered</Badge> : null}
      {stopped ? <Badge tone="warn">Stopped</Badge> : null}
      {mode === "extractive" ? <span className="hint"> Sentences quoted word for word from the documents; no model wrote this.</span> : null}
      {mode === "generative" ? <span className="hint">Written{model ? ` by ${model}` : ""} from the cited passages.</span> : null}
    </>
  );
}

function AnswerText({ text: raw, citations, plain }: { text: string; citations: readonly Citation[]; plain?: boolean }) {
  const text = raw.trimEnd();
  if (plain) return <p className="msg-text">{text}</p>;
  return (
    <p className="msg-text">
      {answerParts(text, citations).map((p, i) =>
        p.kind === "text" ? (
          <Fragment key={i}>{p.text}</Fragment>
        ) : (
          <Link key={i} className="cite" href={citationHref(p.citation)}>
            [{p.n}]<span className="visually-hidden"> source: {p.citation.document_title}{p.citation.page ? `, page ${p.citation.page}` : ""}</span>
          </Link>
        ),
      )}
    </p>
  );
}

function Citations({ list }: { list: readonly Citation[] }) {
  const id = useId();
  if (list.length === 0) return null;
  const sorted = [...list].sort((a, b) => a.n - b.n);
  return (
    <div className="citations" role="group" aria-labelledby={id}>
      <p id={id} className="citations-title">
        Sources
      </p>
      <ol>
        {sorted.map((c) => (
          <li key={`${c.n}-${c.chunk_id}`} value={c.n}>
            <PassageLink c={c} />
            <blockquote className="quote">{c.snippet}</blockquote>
          </li>
        ))}
      </ol>
    </div>
  );
}

function MessageView({ m, chatId, canRate, onChanged }: { m: Message; chatId: string; canRate: boolean; onChanged: (m: Message) => void }) {
  if (m.role === "user") {
    return (
      <div className="msg msg-user">
        <span className="msg-role">Question</span>
        {m.content}
      </div>
    );
  }
  const notCovered = m.mode === "not_covered";
  return (
    <div className="msg">
      <div className="msg-head">
        <span className="msg-role">Answer</span>
        <ModeNote mode={m.mode} model={m.model} stopped={m.stopped} />
      </div>
      {m.content ? <AnswerText text={m.content} citations={m.citations} plain={notCovered} /> : <p className="muted">(Stopped before any text.)</p>}
      {notCovered ? null : <Citations list={m.citations} />}
      {canRate ? <Feedback chatId={chatId} m={m} onChanged={onChanged} /> : <Rated m={m} />}
    </div>
  );
}

function LiveAnswer({ live }: { live: Live }) {
  const m = live.message;
  return (
    <div className="msg">
      <div className="msg-head">
        <span className="msg-role">Answer</span>
        {m ? <ModeNote mode={m.mode} model={m.model} /> : null}
        {live.state === "stopped" ? <Badge tone="warn">Stopped</Badge> : null}
        {live.state === "failed" ? <Badge tone="bad">Failed</Badge> : null}
      </div>
      {live.text ? (
        <AnswerText text={live.text} citations={live.citations ?? []} plain={m?.mode === "not_covered"} />
      ) : live.state === "streaming" ? (
        <p className="muted">
          <span className="spinner" aria-hidden="true" /> Writing the answer…
        </p>
      ) : null}
      {live.citations && m?.mode !== "not_covered" ? <Citations list={live.citations} /> : null}
    </div>
  );
}

function Rated({ m }: { m: Message }) {
  if (m.feedback !== 1 && m.feedback !== -1) return null;
  return (
    <p className="hint">
      Rated {m.feedback === 1 ? "helpful" : "not helpful"}
      {m.feedback_comment ? `: “${m.feedback_comment}”` : "."}
    </p>
  );
}

function Feedback({ chatId, m, onChanged }: { chatId: string; m: Message; onChanged: (m: Message) => void }) {
  const rating = m.feedback === 1 ? "up" : m.feedback === -1 ? "down" : null;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState(m.feedback_comment ?? "");
  const [saved, setSaved] = useState("");
  const groupId = useId();
  const send = async (r: "up" | "down", text: string, what: string) => {
    setBusy(what);
    setError(undefined);
    setSaved("");
    try {
      const updated = await call(
        api.POST("/api/v1/chats/{id}/messages/{message_id}/feedback", {
          params: { path: { id: chatId, message_id: m.id } },
          // The comment is sent each time: a rating alone would clear it.
          body: { rating: r, comment: text.trim() || null },
        }),
      );
      onChanged(updated);
      setSaved(what === "comment" ? "Thanks: your comment was saved." : "Thanks for the feedback.");
      if (what !== "comment") setOpen(true);
      else setOpen(false);
    } catch (e) {
      setError(toApiError(e).fields().comment ?? toApiError(e).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div className="feedback">
      <div className="row" role="group" aria-labelledby={groupId}>
        <span id={groupId} className="hint">
          Was this helpful?
        </span>
        <Button variant="ghost" aria-pressed={rating === "up"} busy={busy === "up"} disabled={Boolean(busy)} onClick={() => void send("up", m.feedback_comment ?? "", "up")}>
          Yes
        </Button>
        <Button variant="ghost" aria-pressed={rating === "down"} busy={busy === "down"} disabled={Boolean(busy)} onClick={() => void send("down", m.feedback_comment ?? "", "down")}>
          No
        </Button>
        {rating && !open ? (
          <Button variant="ghost" onClick={() => setOpen(true)}>
            {m.feedback_comment ? "Edit comment" : "Add a comment"}
          </Button>
        ) : null}
      </div>
      {m.feedback_comment && !open ? <p className="hint">Your comment: “{m.feedback_comment}”</p> : null}
      {rating && open ? (
        <form
          className="feedback-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void send(rating, comment, "comment");
          }}
        >
          <Field label="What was good or wrong? (optional)" error={error}>
            {(p) => <textarea {...p} rows={2} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />}
          </Field>
          <div className="form-actions">
            <Button type="submit" busy={busy === "comment"}>
              Save comment
            </Button>
            <Button variant="ghost" onClick={() => setOpen(false)}>
              Close
            </Button>
          </div>
        </form>
      ) : null}
      {error && !open ? <p className="error-text">{error}</p> : null}
      <span className="visually-hidden" role="status">
        {saved}
      </span>
    </div>
  );
}

function RenameDialog({ chat, open, onClose, onSaved }: { chat: Schemas["Chat"]; open: boolean; onClose: () => void; onSaved: (c: Schemas["Chat"]) => void }) {
  const form = useForm({ title: chat.title }, ["title"]);
  const formId = useId();
  useEffect(() => {
    if (open) form.reset({ title: chat.title });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, chat.title]);
  const save = async () => {
    let answer: Schemas["Chat"] | undefined;
    const ok = await form.submit(async (v) => {
      answer = await call(api.PATCH("/api/v1/chats/{id}", { params: { path: { id: chat.id } }, body: { title: v.title.trim() } }));
    });
    if (ok && answer) onSaved(answer);
  };
  return (
    <Dialog
      open={open}
      title="Rename chat"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy} disabled={!form.values.title.trim()}>
            Rename
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
        {form.failure ? <Alert>{form.failure}</Alert> : null}
        <Field label="Title" error={form.errors.title}>
          {(p) => <input {...p} maxLength={300} value={form.values.title} onChange={(e) => form.set("title", e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}
