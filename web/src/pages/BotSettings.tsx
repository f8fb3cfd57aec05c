// Bot settings: who the concierge's bot is and how it answers, when it
// hands a conversation to a person, the business hours, ratings and
// limits; the intents it sorts messages into; and the WhatsApp templates
// agents may send after the 24-hour window. The server's verdict on each
// field (an opening period: `hours[0]`) is shown beside it.
import { useEffect, useId, useState } from "react";
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { DAYS, botValues, itemFields, lines, nextPeriod, toBotSettings, type BotValues, type OpeningPeriod } from "../concierge/forms";
import { formatDateTime } from "../format";
import { Alert, Badge, Button, Check, Dialog, Field, PageHeader, States, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, type FormState } from "../ui/hooks";

type Settings = Schemas["BotSettings"];
type Intent = Schemas["Intent"];
type IntentAction = Schemas["IntentAction"];

const FIELDS = [
  ...itemFields("hours", 50),
  "hours",
  ...itemFields("holidays", 100),
  "holidays",
  "bot_enabled",
  "persona",
  "prompt",
  "language",
  "greeting",
  "history_turns",
  "sentiment_threshold",
  "max_unanswered",
  "csat_enabled",
  "rate_limit_per_minute",
  "retention_days",
];

const EMPTY: BotValues = {
  bot_enabled: true,
  persona: "",
  prompt: "",
  language: "en",
  greeting: "",
  history_turns: "",
  sentiment_threshold: "",
  max_unanswered: "",
  hours: [],
  holidays: [],
  csat_enabled: false,
  rate_limit_per_minute: "",
  retention_days: "",
};

/** A label with what it belongs to for screen readers: "Closes (period 2)". */
function Of({ label, of }: { label: string; of: string }) {
  return (
    <>
      {label}
      <span className="visually-hidden"> ({of})</span>
    </>
  );
}

export default function BotSettings() {
  const { can, timeZone } = useSession();
  const manage = can("channels:manage");
  const loaded = useLoad(() => call(api.GET("/api/v1/concierge/settings")), []);
  const [current, setCurrent] = useState<Settings>();
  const [saved, setSaved] = useState(false);
  const form = useForm<BotValues>(EMPTY, FIELDS);
  useEffect(() => {
    if (loaded.data) {
      setCurrent(loaded.data);
      form.reset(botValues(loaded.data));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded.data]);
  const v = form.values;
  const e = form.errors;
  const submit = async () => {
    setSaved(false);
    let result: Settings | undefined;
    const ok = await form.submit(async (x) => {
      result = await call(api.PUT("/api/v1/concierge/settings", { body: toBotSettings(x) }));
    });
    if (ok && result) {
      setCurrent(result);
      form.reset(botValues(result));
      setSaved(true);
    }
  };
  const number = (k: "history_turns" | "sentiment_threshold" | "max_unanswered" | "rate_limit_per_minute" | "retention_days", label: string, hint: string, min: number, max: number, step = "1") => (
    <Field label={label} hint={hint} error={e[k]}>
      {(p) => <input {...p} type="number" inputMode={step === "1" ? "numeric" : "decimal"} min={min} max={max} step={step} value={v[k]} onChange={(ev) => form.set(k, ev.target.value)} />}
    </Field>
  );
  const setPeriod = (i: number, patch: Partial<OpeningPeriod>) => form.set("hours", v.hours.map((h, j) => (j === i ? { ...h, ...patch } : h)));
  return (
    <>
      <PageHeader title="Bot settings" description="How the concierge's bot answers customers from your documents, and when it hands them to a person." />
      {manage ? null : <p className="muted">Changing these settings needs the channels:manage permission.</p>}
      <States loading={loaded.loading} error={loaded.error} empty={!current} emptyText="" onRetry={loaded.reload}>
        <form
          noValidate
          onSubmit={(ev) => {
            ev.preventDefault();
            void submit();
          }}
        >
          <fieldset className="bare" disabled={!manage}>
            <legend className="visually-hidden">The bot's settings</legend>
            {form.failure ? <Alert>{form.failure}</Alert> : null}
            {saved && !form.dirty ? <Alert kind="success">The settings were saved.</Alert> : null}
            <section className="card" aria-labelledby="answers-h">
              <h2 id="answers-h" className="card-title">
                Answers
              </h2>
              <Check label="The bot answers customers" hint="Off: every conversation waits for a person." checked={v.bot_enabled} onChange={(on) => form.set("bot_enabled", on)} />
              <Field label="Persona" hint="Who the bot is, such as “Asha from Sunrise Travels, friendly and brief”." error={e.persona}>
                {(p) => <input {...p} maxLength={500} value={v.persona} onChange={(ev) => form.set("persona", ev.target.value)} />}
              </Field>
              <Field label="Instructions" hint="For a capable model writing answers; never taken from a customer's message." error={e.prompt}>
                {(p) => <textarea {...p} rows={4} maxLength={4000} value={v.prompt} onChange={(ev) => form.set("prompt", ev.target.value)} />}
              </Field>
              <div className="grid-2">
                <Field label="Language" hint="Two letters, such as en or hi." error={e.language}>
                  {(p) => <input {...p} maxLength={2} autoComplete="off" spellCheck={false} value={v.language} onChange={(ev) => form.set("language", ev.target.value)} />}
                </Field>
                {number("history_turns", "Earlier messages a model sees", "0–50.", 0, 50)}
              </div>
              <Field label="Greeting" hint="The first message of a new conversation; empty: none." error={e.greeting}>
                {(p) => <textarea {...p} rows={2} maxLength={1000} value={v.greeting} onChange={(ev) => form.set("greeting", ev.target.value)} />}
              </Field>
            </section>
            <section className="card" aria-labelledby="handoff-h">
              <h2 id="handoff-h" className="card-title">
                Handing over to a person
              </h2>
              <p className="muted">A customer who asks for a person is always handed over.</p>
              <div className="grid-2">
                {number("sentiment_threshold", "Unhappiness threshold", "Sentiment runs from -1 (angry) to 1 (pleased); below this a person takes over.", -1, 1, "0.1")}
                {number("max_unanswered", "Unanswered questions in a row", "Questions your documents do not answer before a person takes over: 0–20 (0: never).", 0, 20)}
              </div>
            </section>
            <section className="card" aria-labelledby="hours-h">
              <h2 id="hours-h" className="card-title">
                Business hours
              </h2>
              <p className="muted">
                In the company's time zone ({timeZone}). Outside these hours a customer handed to a person is told when someone will reply. None: always open.
              </p>
              {e.hours ? <p className="error-text">{e.hours}</p> : null}
              {v.hours.length === 0 ? <p>Always open.</p> : null}
              <ul className="rows">
                {v.hours.map((h, i) => (
                  <li key={i} className="filters">
                    <Field label={<Of label="Day" of={`period ${i + 1}`} />}>
                      {(p) => (
                        <select {...p} value={h.day} onChange={(ev) => setPeriod(i, { day: ev.target.value })}>
                          {DAYS.map((d) => (
                            <option key={d.value} value={d.value}>
                              {d.label}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                    <Field label={<Of label="Opens" of={`period ${i + 1}`} />}>
                      {(p) => <input {...p} type="time" value={h.open} onChange={(ev) => setPeriod(i, { open: ev.target.value })} />}
                    </Field>
                    <Field label={<Of label="Closes" of={`period ${i + 1}`} />} error={e[`hours[${i}]`]}>
                      {(p) => <input {...p} type="time" value={h.close} onChange={(ev) => setPeriod(i, { close: ev.target.value })} />}
                    </Field>
                    <Button onClick={() => form.set("hours", v.hours.filter((_, j) => j !== i))}>
                      Remove<span className="visually-hidden"> period {i + 1}</span>
                    </Button>
                  </li>
                ))}
              </ul>
              <Button onClick={() => form.set("hours", [...v.hours, nextPeriod(v.hours)])}>Add opening hours</Button>
              <h3>Holidays</h3>
              <p className="muted">Days closed all day.</p>
              {e.holidays ? <p className="error-text">{e.holidays}</p> : null}
              <ul className="rows">
                {v.holidays.map((d, i) => (
                  <li key={i} className="filters">
                    <Field label={<Of label="Date" of={`holiday ${i + 1}`} />} error={e[`holidays[${i}]`]}>
                      {(p) => <input {...p} type="date" value={d} onChange={(ev) => form.set("holidays", v.holidays.map((x, j) => (j === i ? ev.target.value : x)))} />}
                    </Field>
                    <Button onClick={() => form.set("holidays", v.holidays.filter((_, j) => j !== i))}>
                      Remove<span className="visually-hidden"> holiday {i + 1}</span>
                    </Button>
                  </li>
                ))}
              </ul>
              <Button onClick={() => form.set("holidays", [...v.holidays, ""])}>Add holiday</Button>
            </section>
            <section className="card" aria-labelledby="limits-h">
              <h2 id="limits-h" className="card-title">
                Ratings, limits and retention
              </h2>
              <Check label="Ask for a rating when a conversation is resolved" hint="The customer answers 1 (poor) to 5 (excellent)." checked={v.csat_enabled} onChange={(on) => form.set("csat_enabled", on)} />
              <div className="grid-2">
                {number("rate_limit_per_minute", "Messages a customer may send a minute", "More are kept but not answered: 1–600.", 1, 600)}
                {number("retention_days", "Days resolved conversations are kept", "1–3,650.", 1, 3650)}
              </div>
            </section>
            {manage ? (
              <div className="form-actions">
                <Button type="submit" variant="primary" busy={form.busy} disabled={!form.dirty}>
                  Save settings
                </Button>
                {form.dirty ? (
                  <>
                    <Button onClick={() => current && form.reset(botValues(current))}>Undo changes</Button>
                    <span className="muted">Unsaved changes</span>
                  </>
                ) : null}
              </div>
            ) : null}
          </fieldset>
        </form>
      </States>
      <Intents manage={manage} />
      <Templates manage={manage} />
    </>
  );
}

// ---- Intents ----------------------------------------------------------------------

const ACTIONS: { value: IntentAction; label: string }[] = [
  { value: "answer", label: "Answer from the documents" },
  { value: "handoff", label: "Hand to a person" },
  { value: "reply", label: "Reply with a fixed text" },
  { value: "clarify", label: "Ask a question back" },
];

const actionLabel = (a: string) => ACTIONS.find((x) => x.value === a)?.label ?? a;

function Intents({ manage }: { manage: boolean }) {
  const list = useLoad(() => call(api.GET("/api/v1/concierge/intents")), []);
  const [editing, setEditing] = useState<{ intent?: Intent } | null>(null);
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: ReactNode } | null>(null);
  const intents = list.data ?? [];
  const remove = async (i: Intent) => {
    if (!i.id || !confirmAction(`Delete the intent “${i.name}”?`)) return;
    setNotice(null);
    try {
      await call(api.DELETE("/api/v1/concierge/intents/{id}", { params: { path: { id: i.id } } }));
      setNotice({ kind: "success", text: `The intent “${i.name}” was deleted.` });
      list.reload();
    } catch (e) {
      setNotice({ kind: "error", text: toApiError(e).message });
    }
  };
  return (
    <section className="concierge-section" aria-labelledby="intents-h">
      <div className="chat-head">
        <h2 id="intents-h">Intents</h2>
        {manage ? (
          <Button aria-haspopup="dialog" onClick={() => setEditing({})}>
            Add intent
          </Button>
        ) : null}
      </div>
      <p className="muted">What customers want, learnt from a few example messages, and what the bot does then. One of yours named like a built-in intent replaces it.</p>
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      <States loading={list.loading} error={list.error} empty={intents.length === 0} emptyText="No intents." onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Intents</caption>
            <thead>
              <tr>
                <th scope="col">Intent</th>
                <th scope="col">Examples</th>
                <th scope="col">The bot</th>
                {manage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {intents.map((i) => (
                <tr key={i.id ?? `builtin-${i.name}`}>
                  <td>
                    <code>{i.name}</code> {i.builtin ? <Badge tone="info">Built in</Badge> : null}
                  </td>
                  <td>
                    {i.examples.slice(0, 3).join(" · ")}
                    {i.examples.length > 3 ? <span className="muted"> and {i.examples.length - 3} more</span> : null}
                  </td>
                  <td>
                    {actionLabel(i.action)}
                    {i.reply ? <div className="muted">“{i.reply}”</div> : null}
                  </td>
                  {manage ? (
                    <td>
                      <div className="row">
                        <Button aria-haspopup="dialog" onClick={() => setEditing({ intent: i })}>
                          {i.builtin ? "Customise" : "Edit"}
                          <span className="visually-hidden"> {i.name}</span>
                        </Button>
                        {i.builtin ? null : (
                          <Button variant="danger" onClick={() => void remove(i)}>
                            Delete<span className="visually-hidden"> {i.name}</span>
                          </Button>
                        )}
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      {editing ? (
        <IntentDialog
          intent={editing.intent}
          onClose={() => setEditing(null)}
          onSaved={(i) => {
            setEditing(null);
            setNotice({ kind: "success", text: `The intent “${i.name}” was saved.` });
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

interface IntentValues {
  name: string;
  examples: string;
  action: IntentAction;
  reply: string;
}

function IntentDialog({ intent, onClose, onSaved }: { intent?: Intent; onClose: () => void; onSaved: (i: Intent) => void }) {
  const form = useForm<IntentValues>(
    { name: intent?.name ?? "", examples: (intent?.examples ?? []).join("\n"), action: intent?.action ?? "reply", reply: intent?.reply ?? "" },
    ["name", "examples", "action", "reply"],
  );
  const formId = useId();
  // A built-in intent is customised by adding one of the company's with its name.
  const id = intent && !intent.builtin ? intent.id : undefined;
  const save = async () => {
    let answer: Intent | undefined;
    const ok = await form.submit(async (v) => {
      const body = { name: v.name.trim(), examples: lines(v.examples), action: v.action, reply: v.reply.trim() };
      answer = await call(id ? api.PUT("/api/v1/concierge/intents/{id}", { params: { path: { id } }, body }) : api.POST("/api/v1/concierge/intents", { body }));
    });
    if (ok && answer) onSaved(answer);
  };
  const cancel = () => {
    if (form.dirty && !confirmAction("Discard your changes to this intent?")) return;
    onClose();
  };
  return (
    <Dialog
      open
      title={id ? `Edit ${intent?.name}` : intent ? `Customise ${intent.name}` : "Add intent"}
      onClose={onClose}
      footer={
        <>
          <Button onClick={cancel}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            Save intent
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        onSubmit={(ev) => {
          ev.preventDefault();
          void save();
        }}
      >
        <IntentFields form={form} />
      </form>
    </Dialog>
  );
}

function IntentFields({ form }: { form: FormState<IntentValues> }) {
  const v = form.values;
  return (
    <>
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      <Field label="Name" hint="Lower case, digits and _, such as order_status." error={form.errors.name}>
        {(p) => <input {...p} maxLength={40} autoComplete="off" spellCheck={false} value={v.name} onChange={(ev) => form.set("name", ev.target.value)} />}
      </Field>
      <Field label="Example messages" hint="One a line, as customers would write them: 1–50." error={form.errors.examples}>
        {(p) => <textarea {...p} rows={5} value={v.examples} onChange={(ev) => form.set("examples", ev.target.value)} />}
      </Field>
      <Field label="What the bot does" error={form.errors.action}>
        {(p) => (
          <select {...p} value={v.action} onChange={(ev) => form.set("action", ev.target.value as IntentAction)}>
            {ACTIONS.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {v.action === "reply" || v.action === "clarify" ? (
        <Field label={v.action === "reply" ? "Reply" : "Question to ask"} error={form.errors.reply}>
          {(p) => <textarea {...p} rows={3} maxLength={1000} value={v.reply} onChange={(ev) => form.set("reply", ev.target.value)} />}
        </Field>
      ) : null}
    </>
  );
}

// ---- Templates ----------------------------------------------------------------------

const NEW_TEMPLATE = { name: "", language: "en", body: "" };

function Templates({ manage }: { manage: boolean }) {
  const { timeZone } = useSession();
  const list = useLoad(() => call(api.GET("/api/v1/concierge/templates")), []);
  const form = useForm(NEW_TEMPLATE, ["name", "language", "body"]);
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: ReactNode } | null>(null);
  const templates = list.data ?? [];
  const add = async () => {
    setNotice(null);
    const ok = await form.submit(async (v) => {
      await call(api.POST("/api/v1/concierge/templates", { body: { name: v.name.trim(), language: v.language.trim() || null, body: v.body.trim() } }));
    });
    if (ok) {
      setNotice({ kind: "success", text: `The template “${form.values.name.trim()}” was added.` });
      form.reset(NEW_TEMPLATE);
      list.reload();
    }
  };
  const remove = async (t: Schemas["MessageTemplate"]) => {
    if (!confirmAction(`Delete the template “${t.name}” (${t.language})?`)) return;
    setNotice(null);
    try {
      await call(api.DELETE("/api/v1/concierge/templates/{id}", { params: { path: { id: t.id } } }));
      list.reload();
    } catch (e) {
      setNotice({ kind: "error", text: toApiError(e).message });
    }
  };
  return (
    <section className="concierge-section" aria-labelledby="templates-h">
      <h2 id="templates-h">WhatsApp templates</h2>
      <p className="muted">More than 24 hours after a customer last wrote, WhatsApp lets you send only a template Meta approved. Add each approved template here, as it reads in Meta's WhatsApp manager.</p>
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      <States loading={list.loading} error={list.error} empty={templates.length === 0} emptyText="No templates yet." onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">WhatsApp templates</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Language</th>
                <th scope="col">Text</th>
                <th scope="col" className="num">
                  Variables
                </th>
                <th scope="col">Added</th>
                {manage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {templates.map((t) => (
                <tr key={t.id}>
                  <td>
                    <code>{t.name}</code>
                  </td>
                  <td>{t.language}</td>
                  <td>{t.body}</td>
                  <td className="num">{t.variables}</td>
                  <td>{formatDateTime(t.created_at, timeZone)}</td>
                  {manage ? (
                    <td>
                      <Button variant="danger" onClick={() => void remove(t)}>
                        Delete<span className="visually-hidden"> {t.name}</span>
                      </Button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      {manage ? (
        <form
          className="card add-template"
          aria-labelledby="add-template-h"
          noValidate
          onSubmit={(ev) => {
            ev.preventDefault();
            void add();
          }}
        >
          <h3 id="add-template-h" className="card-title">
            Add a template
          </h3>
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          <div className="grid-2">
            <Field label="Template name" hint="As approved by Meta: lower case, digits and _." error={form.errors.name}>
              {(p) => <input {...p} maxLength={512} autoComplete="off" spellCheck={false} value={form.values.name} onChange={(ev) => form.set("name", ev.target.value)} />}
            </Field>
            <Field label="Template language" hint="Such as en or en_US." error={form.errors.language}>
              {(p) => <input {...p} maxLength={5} autoComplete="off" spellCheck={false} value={form.values.language} onChange={(ev) => form.set("language", ev.target.value)} />}
            </Field>
          </div>
          <Field label="Template text" hint="With {{1}}, {{2}}… where the agent fills in values, in order." error={form.errors.body}>
            {(p) => <textarea {...p} rows={3} maxLength={1024} value={form.values.body} onChange={(ev) => form.set("body", ev.target.value)} />}
          </Field>
          <Button type="submit" busy={form.busy} disabled={!form.values.name.trim() || !form.values.body.trim()}>
            Add template
          </Button>
        </form>
      ) : null}
    </section>
  );
}
