// Search: the company's documents by meaning and by words (or one of
// them). Each hit shows its passage with the query's words marked, where
// it is, how it scored, and links to it in the document.
import { useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { formatNumber } from "../format";
import { Snippet } from "../knowledge/parts";
import { citationHref, placeOf } from "../knowledge/text";
import { Link, setQuery, useLocation } from "../router";
import { Alert, Badge, Button, Field, PageHeader } from "../ui";
import { useLoad } from "../ui/hooks";

type Hit = Schemas["Hit"];
type Mode = Schemas["SearchMode"];

const MODES: { mode: Mode; label: string }[] = [
  { mode: "hybrid", label: "Meaning and words (hybrid)" },
  { mode: "vector", label: "Meaning only (vector)" },
  { mode: "text", label: "Words only (full text)" },
];

function modeOf(raw: string | null): Mode {
  return MODES.some((m) => m.mode === raw) ? (raw as Mode) : "hybrid";
}

export default function Search() {
  const { query } = useLocation();
  const q = query.get("q") ?? "";
  const mode = modeOf(query.get("mode"));
  const [draft, setDraft] = useState(q);
  const [draftMode, setDraftMode] = useState<Mode>(mode);
  const result = useLoad(() => (q.trim() ? call(api.POST("/api/v1/search", { body: { query: q, mode } })) : Promise.resolve(null)), [q, mode]);
  const fieldErrors = result.error?.fields() ?? {};
  const data = result.data;
  return (
    <>
      <PageHeader title="Search" description="Find passages in the company's documents. Each result opens the document at that passage." />
      <form
        className="filters search-form"
        role="search"
        aria-label="Documents"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ q: draft.trim(), mode: draftMode === "hybrid" ? null : draftMode });
        }}
      >
        <Field label="Search for" error={fieldErrors.query}>
          {(p) => <input {...p} type="search" maxLength={2000} autoComplete="off" value={draft} onChange={(e) => setDraft(e.target.value)} />}
        </Field>
        <Field label="Match by" error={fieldErrors.mode}>
          {(p) => (
            <select {...p} value={draftMode} onChange={(e) => setDraftMode(e.target.value as Mode)}>
              {MODES.map((m) => (
                <option key={m.mode} value={m.mode}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="row">
          <Button type="submit" variant="primary" busy={result.loading && Boolean(q)} disabled={!draft.trim()}>
            Search
          </Button>
        </div>
      </form>
      {result.error && !fieldErrors.query ? (
        <Alert>
          <p>{result.error.message}</p>
          {result.error.status === 503 && mode !== "text" ? <p>Searching by words only works without the embedding model.</p> : null}
          <Button onClick={result.reload}>Try again</Button>
        </Alert>
      ) : null}
      {!q ? <p className="empty">Type what you are looking for: a question, a phrase or a few words.</p> : null}
      {q && result.loading && !data ? (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Searching…
        </p>
      ) : null}
      {q && data ? <Results hits={data.hits} data={data} q={q} /> : null}
    </>
  );
}

function Results({ hits, data, q }: { hits: Hit[]; data: Schemas["SearchResponse"]; q: string }) {
  const timing = [`${formatMs(data.search_ms)} searching`];
  if (data.model) timing.unshift(`${formatMs(data.embed_ms)} reading the query with ${data.model}`);
  return (
    <section aria-labelledby="results-h">
      <h2 id="results-h">
        {hits.length === 0 ? "No results" : `${formatNumber(hits.length)} ${hits.length === 1 ? "result" : "results"}`} for “{q}”
      </h2>
      <p className="hint" role="status">
        {hits.length === 0 ? "Nothing in the documents matches. Try other words, or a shorter query." : `Best first. ${timing.join(", ")}.`}
        {data.terms.length ? ` Words searched: ${data.terms.join(", ")}.` : ""}
      </p>
      {hits.length > 0 ? (
        <ol className="hits">
          {hits.map((h) => (
            <HitItem key={h.chunk_id} h={h} />
          ))}
        </ol>
      ) : null}
    </section>
  );
}

function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : formatNumber(Math.round(ms))} ms`;
}

function HitItem({ h }: { h: Hit }) {
  const place = placeOf(h.page, h.headings);
  const s = h.scores;
  const why: string[] = [];
  if (s.vector_distance !== null && s.vector_distance !== undefined) why.push(`meaning: distance ${s.vector_distance.toFixed(3)}${s.vector_rank ? ` (rank ${s.vector_rank})` : ""}`);
  if (s.text_rank) why.push(`words: rank ${s.text_rank}`);
  why.push(`${Math.round(s.term_coverage * 100)} % of the words`);
  return (
    <li className="hit">
      <h3 className="hit-title">
        <Link href={citationHref(h)}>
          {h.document_title}
          {place ? <span className="visually-hidden">, {place}</span> : null}
        </Link>
      </h3>
      <p className="hit-meta">
        {place ? <span>{place}</span> : null}
        <span>Score {s.fused.toFixed(3)}</span>
        {!h.relevant ? <Badge tone="warn">Below the relevance threshold</Badge> : null}
      </p>
      <p className="snippet">
        <Snippet text={h.snippet} highlights={h.highlights} />
      </p>
      <p className="hint">Matched by {why.join(" · ")}.</p>
    </li>
  );
}
