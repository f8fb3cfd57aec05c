// Pieces the knowledge pages share: a document's ingestion state, a
// snippet with its matches marked, and the way to a cited passage.
import { Fragment } from "react";
import type { Schemas } from "../api/client";
import { Link } from "../router";
import { Badge } from "../ui";
import { citationHref, highlightSegments, placeOf } from "./text";

type Doc = Schemas["Document"];

/** Polling interval while a document is queued or being read. */
export const POLL_MS = 1500;

export function inProgress(d: { status: string }): boolean {
  return d.status === "queued" || d.status === "processing";
}

export function StatusBadge({ doc }: { doc: Doc }) {
  switch (doc.status) {
    case "ready":
      return <Badge tone="good">Ready</Badge>;
    case "failed":
      return <Badge tone="bad">Failed</Badge>;
    case "processing":
      return <Badge tone="info">Reading · {doc.progress} %</Badge>;
    default:
      return <Badge tone="info">Queued</Badge>;
  }
}

/** The status, progress while it is read, and why it failed. */
export function IngestState({ doc }: { doc: Doc }) {
  return (
    <div className="ingest">
      <StatusBadge doc={doc} />
      {doc.status === "processing" ? <progress className="progress" max={100} value={doc.progress} aria-label={`Reading ${doc.title}`} /> : null}
      {doc.status === "queued" ? <span className="hint">Waiting to be read</span> : null}
      {doc.status === "failed" ? <span className="error-text">{doc.failure || "It could not be read."}</span> : null}
    </div>
  );
}

/** A snippet with the spans that matched the query in <mark>. */
export function Snippet({ text, highlights }: { text: string; highlights: readonly { start: number; end: number }[] }) {
  return (
    <>
      {highlightSegments(text, highlights).map((s, i) => (s.mark ? <mark key={i}>{s.text}</mark> : <Fragment key={i}>{s.text}</Fragment>))}
    </>
  );
}

/** The title of a cited document, linked to the passage in the viewer, and where in it. */
export function PassageLink({ c }: { c: { document_id: string; chunk_id: string; document_title: string; page?: number | null; headings: string[] } }) {
  const place = placeOf(c.page, c.headings);
  return (
    <>
      <Link href={citationHref(c)}>{c.document_title}</Link>
      {place ? <span className="muted"> · {place}</span> : null}
    </>
  );
}
