// The concierge's forms as people fill them (text, one item a line) and as
// the API takes them, and the figures of its analytics as people read them.
import { ApiError, type Problem, type Schemas } from "../api/client";

type BotSettings = Schemas["BotSettings"];
type Channel = Schemas["Channel"];
type ChannelInput = Schemas["ChannelInput"];
export type ChannelKind = Schemas["ChannelKind"];
export type OpeningPeriod = Schemas["OpeningPeriod"];

/** The non-empty lines of a text box, trimmed. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** `field[0]` … `field[n-1]`: the paths the server names items of a list by. */
export function itemFields(field: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${field}[${i}]`);
}

/** The server's messages for a list and its items, each item's message after its value. */
export function listError(errors: Record<string, string>, field: string, values: readonly string[]): string | undefined {
  const out: string[] = [];
  if (errors[field]) out.push(errors[field]);
  values.forEach((v, i) => {
    const e = errors[`${field}[${i}]`];
    if (e) out.push(`${v}: ${e}`);
  });
  return out.length ? out.join(" ") : undefined;
}

/** A refusal made here, shaped like the server's, so fields show it the same way. */
export function invalid(errors: { field: string; message: string }[]): ApiError {
  const problem = { type: "urn:tessera:problem:validation_failed", title: "Some fields need a fix", status: 422, code: "validation_failed", errors } as unknown as Problem;
  return new ApiError(422, problem, "Some fields need a fix.");
}

// ---- Channels ---------------------------------------------------------------

export const KIND_LABELS: Record<ChannelKind, string> = { whatsapp: "WhatsApp", instagram: "Instagram", web: "Web chat" };

/** A channel kind as people name it ("Web chat"). */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind as ChannelKind] ?? kind;
}

/** A template's body with `{{1}}`, `{{2}}`… filled in (those without a value stay as they are). */
export function fillTemplate(body: string, values: readonly string[]): string {
  return body.replace(/\{\{(\d+)\}\}/g, (whole, n: string) => values[Number(n) - 1]?.trim() || whole);
}

/** The widget's accent colour when none is chosen. */
export const DEFAULT_COLOR = "#2563eb";

export interface ChannelValues {
  kind: ChannelKind;
  name: string;
  external_id: string;
  app_secret: string;
  access_token: string;
  api_base_url: string;
  verify_token: string;
  /** One site a line. */
  allowed_origins: string;
  title: string;
  welcome: string;
  color: string;
  enabled: boolean;
}

export const NEW_CHANNEL: ChannelValues = {
  kind: "web",
  name: "",
  external_id: "",
  app_secret: "",
  access_token: "",
  api_base_url: "",
  verify_token: "",
  allowed_origins: "",
  title: "",
  welcome: "",
  color: DEFAULT_COLOR,
  enabled: true,
};

/** A channel's values in the form; its secrets are never shown, so they start empty. */
export function channelValues(c: Channel): ChannelValues {
  return {
    kind: c.kind,
    name: c.name,
    external_id: c.external_id ?? "",
    app_secret: "",
    access_token: "",
    api_base_url: c.api_base_url,
    verify_token: c.verify_token,
    allowed_origins: c.allowed_origins.join("\n"),
    title: c.widget.title ?? "",
    welcome: c.widget.welcome ?? "",
    color: c.widget.color ?? DEFAULT_COLOR,
    enabled: c.enabled,
  };
}

/** What to send: the fields of the channel's kind; secrets left empty are left out (kept). */
export function toChannelInput(v: ChannelValues): ChannelInput {
  const text = (s: string) => s.trim() || null;
  const input: ChannelInput = { kind: v.kind, name: v.name.trim(), enabled: v.enabled };
  if (v.kind === "web") {
    input.allowed_origins = lines(v.allowed_origins);
    input.widget = { title: text(v.title), welcome: text(v.welcome), color: text(v.color) };
  } else {
    input.external_id = text(v.external_id);
    input.api_base_url = text(v.api_base_url);
    input.verify_token = text(v.verify_token);
    if (v.app_secret.trim()) input.app_secret = v.app_secret.trim();
    if (v.access_token.trim()) input.access_token = v.access_token.trim();
  }
  return input;
}

// ---- The bot's settings -------------------------------------------------------

export const DAYS = [
  { value: "mon", label: "Monday" },
  { value: "tue", label: "Tuesday" },
  { value: "wed", label: "Wednesday" },
  { value: "thu", label: "Thursday" },
  { value: "fri", label: "Friday" },
  { value: "sat", label: "Saturday" },
  { value: "sun", label: "Sunday" },
] as const;

export interface BotValues {
  bot_enabled: boolean;
  persona: string;
  prompt: string;
  language: string;
  greeting: string;
  history_turns: string;
  sentiment_threshold: string;
  max_unanswered: string;
  hours: OpeningPeriod[];
  holidays: string[];
  csat_enabled: boolean;
  rate_limit_per_minute: string;
  retention_days: string;
}

export function botValues(s: BotSettings): BotValues {
  return {
    bot_enabled: s.bot_enabled,
    persona: s.persona,
    prompt: s.prompt,
    language: s.language,
    greeting: s.greeting,
    history_turns: String(s.history_turns),
    sentiment_threshold: String(s.sentiment_threshold),
    max_unanswered: String(s.max_unanswered),
    hours: s.hours.map((h) => ({ ...h })),
    holidays: [...s.holidays],
    csat_enabled: s.csat_enabled,
    rate_limit_per_minute: String(s.rate_limit_per_minute),
    retention_days: String(s.retention_days),
  };
}

/** The next period to add: the day after the last one, at its times (Monday 09:00–18:00 first). */
export function nextPeriod(hours: readonly OpeningPeriod[]): OpeningPeriod {
  const last = hours[hours.length - 1];
  if (!last) return { day: "mon", open: "09:00", close: "18:00" };
  const i = DAYS.findIndex((d) => d.value === last.day);
  return { day: DAYS[(i + 1) % DAYS.length]?.value ?? "mon", open: last.open, close: last.close };
}

/** The settings to send, or the fields that are not numbers or dates. */
export function toBotSettings(v: BotValues): BotSettings {
  const errors: { field: string; message: string }[] = [];
  const whole = (k: "history_turns" | "max_unanswered" | "rate_limit_per_minute" | "retention_days") => {
    const t = v[k].trim();
    if (!/^\d+$/.test(t)) errors.push({ field: k, message: "Give a whole number." });
    return Number(t);
  };
  const threshold = v.sentiment_threshold.trim();
  if (!/^-?(\d+(\.\d+)?|\.\d+)$/.test(threshold)) errors.push({ field: "sentiment_threshold", message: "Give a number from -1 to 1, such as -0.6." });
  v.holidays.forEach((d, i) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) errors.push({ field: `holidays[${i}]`, message: "Choose a date." });
  });
  const s: BotSettings = {
    bot_enabled: v.bot_enabled,
    persona: v.persona.trim(),
    prompt: v.prompt.trim(),
    language: v.language.trim().toLowerCase(),
    greeting: v.greeting.trim(),
    history_turns: whole("history_turns"),
    sentiment_threshold: Number(threshold),
    max_unanswered: whole("max_unanswered"),
    hours: v.hours.map((h) => ({ day: h.day, open: h.open.slice(0, 5), close: h.close.slice(0, 5) })),
    holidays: v.holidays,
    csat_enabled: v.csat_enabled,
    rate_limit_per_minute: whole("rate_limit_per_minute"),
    retention_days: whole("retention_days"),
  };
  if (errors.length) throw invalid(errors);
  return s;
}

// ---- Analytics ------------------------------------------------------------------

/** A time as people say it: "under 1 s", "40 s", "12 min", "3 h 5 min", "2 d 4 h"; none: "—". */
export function formatDuration(secs: number | null | undefined): string {
  if (secs === null || secs === undefined || !Number.isFinite(secs) || secs < 0) return "—";
  if (secs < 0.5) return "under 1 s";
  if (secs < 59.5) return `${Math.round(secs)} s`;
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${mins} min`;
  if (mins < 24 * 60) {
    const h = Math.floor(mins / 60);
    const m = mins % 60;
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const hours = Math.round(mins / 60);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${d} d ${h} h` : `${d} d`;
}
