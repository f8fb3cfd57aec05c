// What the knowledge pages show, worked out without React: highlighted
// snippets, answers with their citations, sizes, and upload problems in
// words for a person.
import type { Problem, Schemas } from "../api/client";
import { formatNumber } from "../format";

type Citation = Schemas["Citation"];

export interface Segment {
  text: string;
  /** Whether it matched the query (shown in <mark>). */
  mark: boolean;
}

/**
 * Splits `snippet` at the highlighted spans (`[start, end)` in Unicode
 * code points, as the API counts them). Spans out of order, overlapping or
 * past the end are tidied; an empty snippet has no segments.
 */
export function highlightSegments(snippet: string, spans: readonly { start: number; end: number }[]): Segment[] {
  const chars = Array.from(snippet);
  const n = chars.length;
  const clean = spans
    .map((s) => ({ start: Math.max(0, Math.min(n, Math.floor(s.start))), end: Math.max(0, Math.min(n, Math.floor(s.end))) }))
    .filter((s) => Number.isFinite(s.start) && Number.isFinite(s.end) && s.end > s.start)
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const s of clean) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  const out: Segment[] = [];
  let at = 0;
  for (const s of merged) {
    if (s.start > at) out.push({ text: chars.slice(at, s.start).join(""), mark: false });
    out.push({ text: chars.slice(s.start, s.end).join(""), mark: true });
    at = s.end;
  }
  if (at < n) out.push({ text: chars.slice(at).join(""), mark: false });
  return out;
}

export type AnswerPart =
  | { kind: "text"; text: string }
  /** `[n]` (or one number of `[1, 2]`) that names a citation. */
  | { kind: "cite"; n: number; citation: Citation };

/**
 * Splits an answer at its citation marks: `[2]`, `[1][3]` and `[1, 3]`
 * become links to the citations with those numbers (`n`, not the position
 * in the list: a written answer lists them in order of first use). A
 * bracket that names no known citation stays text.
 */
export function answerParts(text: string, citations: readonly Citation[]): AnswerPart[] {
  const byN = new Map(citations.map((c) => [c.n, c]));
  const out: AnswerPart[] = [];
  const push = (t: string) => {
    if (!t) return;
    const last = out[out.length - 1];
    if (last?.kind === "text") last.text += t;
    else out.push({ kind: "text", text: t });
  };
  const marks = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
  let at = 0;
  for (let m = marks.exec(text); m; m = marks.exec(text)) {
    const numbers = (m[1] ?? "").split(",").map((x) => Number(x.trim()));
    const known = numbers.map((n) => byN.get(n));
    if (known.some((c) => !c)) continue;
    push(text.slice(at, m.index));
    known.forEach((c, i) => {
      if (!c) return;
      if (i > 0) push(" ");
      out.push({ kind: "cite", n: c.n, citation: c });
    });
    at = m.index + m[0].length;
  }
  push(text.slice(at));
  return out;
}

/** Where a citation's passage is shown: the document viewer at that chunk. */
export function citationHref(c: { document_id: string; chunk_id: string }): string {
  return `/documents/${encodeURIComponent(c.document_id)}?chunk=${encodeURIComponent(c.chunk_id)}`;
}

/** The headings above a passage: "Policies › Refunds". */
export function headingPath(headings: readonly string[] | null | undefined): string {
  return (headings ?? []).filter((h) => h.trim() !== "").join(" › ");
}

/** Where a passage is: "Page 2 · Policies › Refunds" (empty when neither is known). */
export function placeOf(page: number | null | undefined, headings: readonly string[] | null | undefined): string {
  return [page ? `Page ${page}` : "", headingPath(headings)].filter(Boolean).join(" · ");
}

/** 26214400 → "25 MiB", 1536 → "1.5 KiB", 532 → "532 bytes" (the API's units). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["KiB", "MiB", "GiB", "TiB"];
  if (Math.abs(bytes) < 1024) return `${formatNumber(bytes)} ${bytes === 1 ? "byte" : "bytes"}`;
  let v = bytes;
  let unit = "bytes";
  for (const u of units) {
    if (Math.abs(v) < 1024) break;
    v /= 1024;
    unit = u;
  }
  const rounded = v >= 100 ? Math.round(v) : Math.round(v * 10) / 10;
  return `${formatNumber(rounded)} ${unit}`;
}

/** "tax, gst ,, policy" → ["tax", "gst", "policy"] (each once). */
export function parseTags(raw: string): string[] {
  const out: string[] = [];
  for (const t of raw.split(",").map((x) => x.trim())) {
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

const FIELD_NAMES: Record<string, string> = { file: "File", title: "Title", source: "Source", tags: "Tags", text: "Text" };

function fieldName(field: string): string {
  const root = field.split(/[.[]/)[0] ?? field;
  return FIELD_NAMES[root] ?? root;
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * Why an upload was refused, for the person who sent it: the size limit
 * for 413, the reason for 415, each field's message for 422, otherwise the
 * problem's own words. Status 0: the server was not reached.
 */
export function uploadProblem(status: number, problem: Problem | null): string {
  if (status === 0) return "The upload failed: the server could not be reached. Check your connection and try again.";
  const extra = (problem ?? {}) as Record<string, unknown>;
  const errors = problem?.errors ?? [];
  if (status === 413) {
    const limit = typeof extra.limit_bytes === "number" ? extra.limit_bytes : null;
    return limit !== null ? `The file is larger than the upload limit of ${formatBytes(limit)}.` : sentence(problem?.detail ?? "The file is larger than the server accepts");
  }
  if (status === 415) {
    const reason = errors[0]?.message;
    return reason ? sentence(reason) : sentence(problem?.detail ?? "Tessera cannot read this type of file");
  }
  if (errors.length > 0) {
    return errors.map((e) => (e.field ? `${fieldName(e.field)}: ${e.message}` : e.message)).map(sentence).join(" ");
  }
  if (problem?.detail) return sentence(problem.detail);
  if (problem?.title) return sentence(problem.title);
  return `The server answered ${status}.`;
}
