// Knowledge settings: how documents are chunked, how large an upload may
// be, how search ranks and filters passages, and how answers are made.
// The server's verdict on each field is shown beside it.
import { useEffect, useState } from "react";
import { ApiError, api, call, type Problem, type Schemas } from "../api/client";
import { formatNumber } from "../format";
import { formatBytes } from "../knowledge/text";
import { Link } from "../router";
import { Alert, Button, Field, PageHeader, States } from "../ui";
import { useForm, useLoad } from "../ui/hooks";

type Settings = Schemas["Settings"];

interface Values {
  chunk_size: string;
  chunk_overlap: string;
  max_upload_bytes: string;
  max_distance: string;
  vector_weight: string;
  text_weight: string;
  top_k: string;
  answer_mode: string;
  embedding_model: string;
}

const FIELDS = ["chunk_size", "chunk_overlap", "max_upload_bytes", "max_distance", "vector_weight", "text_weight", "top_k", "answer_mode", "embedding_model"];

const EMPTY: Values = { chunk_size: "", chunk_overlap: "", max_upload_bytes: "", max_distance: "", vector_weight: "", text_weight: "", top_k: "", answer_mode: "auto", embedding_model: "" };

function valuesOf(s: Settings): Values {
  return {
    chunk_size: String(s.chunk_size),
    chunk_overlap: String(s.chunk_overlap),
    max_upload_bytes: String(s.max_upload_bytes),
    max_distance: String(s.max_distance),
    vector_weight: String(s.vector_weight),
    text_weight: String(s.text_weight),
    top_k: String(s.top_k),
    answer_mode: s.answer_mode,
    embedding_model: s.embedding_model ?? "",
  };
}

function invalid(errors: { field: string; message: string }[]): ApiError {
  const problem = { type: "urn:tessera:problem:validation_failed", title: "Some fields need a fix", status: 422, code: "validation_failed", errors } as unknown as Problem;
  return new ApiError(422, problem, "Some fields need a fix.");
}

/** The settings to send, or the fields that are not numbers. */
function toSettings(v: Values): Settings {
  const errors: { field: string; message: string }[] = [];
  const whole = (k: keyof Values) => {
    const t = v[k].trim().replace(/[,_\s]/g, "");
    if (!/^\d+$/.test(t)) errors.push({ field: k, message: "Give a whole number." });
    return Number(t);
  };
  const decimal = (k: keyof Values) => {
    const t = v[k].trim();
    if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t)) errors.push({ field: k, message: "Give a number, such as 0.5." });
    return Number(t);
  };
  const s: Settings = {
    chunk_size: whole("chunk_size"),
    chunk_overlap: whole("chunk_overlap"),
    max_upload_bytes: whole("max_upload_bytes"),
    max_distance: decimal("max_distance"),
    vector_weight: decimal("vector_weight"),
    text_weight: decimal("text_weight"),
    top_k: whole("top_k"),
    answer_mode: v.answer_mode,
    embedding_model: v.embedding_model,
  };
  if (errors.length) throw invalid(errors);
  return s;
}

/** The embedding model in use, and a move to another while it runs. */
function EmbeddingProgress({ status }: { status: Schemas["EmbeddingStatus"] }) {
  if (!status.next_model) {
    return (
      <p className="muted">
        Search uses <strong>{status.model}</strong> for all {formatNumber(status.total)} passages.
      </p>
    );
  }
  const pct = status.total ? Math.floor((100 * status.embedded) / status.total) : 100;
  return (
    <div role="status">
      <p>
        Moving to <strong>{status.next_model}</strong>: {formatNumber(status.embedded)} of {formatNumber(status.total)} passages embedded. Search keeps using{" "}
        <strong>{status.model}</strong> until every passage has the new model's vector.
      </p>
      <progress max={100} value={pct} aria-label="Passages embedded with the new model">
        {pct}%
      </progress>
    </div>
  );
}

export default function KnowledgeSettings() {
  const loaded = useLoad(() => call(api.GET("/api/v1/knowledge/settings")), []);
  const status = useLoad(() => call(api.GET("/api/v1/knowledge/status")), []);
  // While the knowledge base moves to another model, its progress is polled.
  const moving = Boolean(status.data?.embedding.next_model);
  useEffect(() => {
    if (!moving) return;
    const t = window.setInterval(() => status.refresh(), 2000);
    return () => window.clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [moving]);
  const [current, setCurrent] = useState<Settings>();
  const [saved, setSaved] = useState(false);
  const form = useForm<Values>(EMPTY, FIELDS);
  useEffect(() => {
    if (loaded.data) {
      setCurrent(loaded.data);
      form.reset(valuesOf(loaded.data));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded.data]);
  const v = form.values;
  const submit = () => {
    setSaved(false);
    let result: Settings | undefined;
    void form
      .submit(async (x) => {
        result = await call(api.PUT("/api/v1/knowledge/settings", { body: toSettings(x) }));
      })
      .then((ok) => {
        if (ok && result) {
          setCurrent(result);
          form.reset(valuesOf(result));
          setSaved(true);
          status.refresh();
        }
      });
  };
  const number = (k: keyof Values, label: string, hint: string, opts: { step?: string; min?: number; max?: number; decimal?: boolean } = {}) => (
    <Field label={label} hint={hint} error={form.errors[k]}>
      {(p) => (
        <input
          {...p}
          type="number"
          inputMode={opts.decimal ? "decimal" : "numeric"}
          step={opts.step ?? "1"}
          min={opts.min}
          max={opts.max}
          value={v[k]}
          onChange={(e) => form.set(k, e.target.value)}
        />
      )}
    </Field>
  );
  const bytes = Number(v.max_upload_bytes);
  return (
    <>
      <PageHeader title="Knowledge settings" description="How the company's documents are split, searched and answered from." />
      <States loading={loaded.loading} error={loaded.error} empty={!current} emptyText="" onRetry={loaded.reload}>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          {saved && !form.dirty ? <Alert kind="success">The settings were saved.</Alert> : null}
          <section className="card" aria-labelledby="chunking-h">
            <h2 id="chunking-h" className="card-title">
              Documents
            </h2>
            <p className="muted">
              Chunking applies to documents read from now on; <Link href="/documents">re-index</Link> a document to apply it to one already there.
            </p>
            <div className="grid-2">
              {number("chunk_size", "Chunk size (characters)", "Target length of each passage: 100–4,000.", { min: 100, max: 4000 })}
              {number("chunk_overlap", "Chunk overlap (characters)", "Repeated between neighbouring passages: 0–1,000, at most half the chunk size.", { min: 0, max: 1000 })}
            </div>
            <Field
              label="Largest upload (bytes)"
              hint={Number.isFinite(bytes) && bytes > 0 ? `${formatBytes(bytes)} (${formatNumber(bytes)} bytes); at most the server's own limit.` : "At most the server's own limit."}
              error={form.errors.max_upload_bytes}
            >
              {(p) => <input {...p} type="number" inputMode="numeric" min={1} step={1} value={v.max_upload_bytes} onChange={(e) => form.set("max_upload_bytes", e.target.value)} />}
            </Field>
          </section>
          <section className="card" aria-labelledby="search-h">
            <h2 id="search-h" className="card-title">
              Search
            </h2>
            <div className="grid-2">
              {number("max_distance", "Relevance threshold (distance)", "A passage is relevant below this cosine distance to the question (above 0, at most 2; lower is stricter), or when most of the question's words are in it.", { step: "0.01", min: 0, max: 2, decimal: true })}
              {number("top_k", "Passages per answer", "How many passages an answer is made from: 1–50.", { min: 1, max: 50 })}
              {number("vector_weight", "Weight of meaning (vector)", "How much the vector ranking counts when the two rankings are fused: 0–100.", { step: "0.1", min: 0, max: 100, decimal: true })}
              {number("text_weight", "Weight of words (full text)", "How much the full-text ranking counts: 0–100. One of the weights must be above 0.", { step: "0.1", min: 0, max: 100, decimal: true })}
            </div>
          </section>
          <section className="card" aria-labelledby="embedding-h">
            <h2 id="embedding-h" className="card-title">
              Embedding model
            </h2>
            {status.data ? <EmbeddingProgress status={status.data.embedding} /> : null}
            <Field
              label="Model"
              hint="The model that turns passages and questions into vectors. Changing it embeds every passage again in the background; search is not interrupted."
              error={form.errors.embedding_model}
            >
              {(p) => (
                <select {...p} value={v.embedding_model} onChange={(e) => form.set("embedding_model", e.target.value)}>
                  {(status.data?.embedding.choices ?? []).map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                  {status.data?.embedding.choices.includes(v.embedding_model) ? null : <option value={v.embedding_model}>{v.embedding_model}</option>}
                </select>
              )}
            </Field>
          </section>
          <section className="card" aria-labelledby="answers-h">
            <h2 id="answers-h" className="card-title">
              Answers
            </h2>
            <Field
              label="Answer mode"
              hint="Auto: written by a capable model when the answer task routes to one (see Routing & budget), quoted otherwise. Quoted answers use the documents' own sentences."
              error={form.errors.answer_mode}
            >
              {(p) => (
                <select {...p} value={v.answer_mode} onChange={(e) => form.set("answer_mode", e.target.value)}>
                  <option value="auto">Auto</option>
                  <option value="extractive">Always quote the documents (extractive)</option>
                  <option value="generative">Always write with a model (generative)</option>
                  {["auto", "extractive", "generative"].includes(v.answer_mode) ? null : <option value={v.answer_mode}>{v.answer_mode}</option>}
                </select>
              )}
            </Field>
          </section>
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={form.busy} disabled={!form.dirty}>
              Save settings
            </Button>
            {form.dirty ? (
              <>
                <Button onClick={() => current && form.reset(valuesOf(current))}>Undo changes</Button>
                <span className="muted">Unsaved changes</span>
              </>
            ) : null}
          </div>
        </form>
      </States>
    </>
  );
}
