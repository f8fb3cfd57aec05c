// One document: its description (edited in a dialog), ingestion state
// (followed while it is read), actions, and its chunks in order with page
// and headings. `?chunk=<id>` (where a citation points) loads chunks until
// that one is found, then marks it, scrolls to it and focuses it.
import { useEffect, useId, useRef, useState } from "react";
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime, formatNumber } from "../format";
import { IngestState, POLL_MS, inProgress } from "../knowledge/parts";
import { formatBytes, headingPath, parseTags, uploadProblem } from "../knowledge/text";
import { downloadName, downloadOriginal, isAborted, upload, type Upload } from "../knowledge/transfer";
import { Link, navigate, useLeaveGuard, useLocation } from "../router";
import { Alert, Badge, Button, Dialog, Field, PageHeader, States, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, useMore } from "../ui/hooks";

type Doc = Schemas["Document"];
type Chunk = Schemas["ChunkView"];
type Notice = { kind: "success" | "error" | "info"; text: ReactNode } | null;

export default function DocumentPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? "";
  const { can } = useSession();
  const writable = can("documents:write");
  const { query } = useLocation();
  const target = query.get("chunk") ?? "";
  const loaded = useLoad(() => call(api.GET("/api/v1/documents/{id}", { params: { path: { id } } })), [id]);
  const doc = loaded.data;
  const [notice, setNotice] = useState<Notice>(null);
  const [editing, setEditing] = useState(false);
  const { refresh } = loaded;
  const live = doc ? inProgress(doc) : false;
  useEffect(() => {
    if (!live) return;
    const t = window.setInterval(refresh, POLL_MS);
    return () => window.clearInterval(t);
  }, [live, refresh]);

  return (
    <>
      <p>
        <Link href="/documents">← All documents</Link>
      </p>
      <PageHeader
        title={doc?.title ?? "Document"}
        description={doc ? describe(doc) : undefined}
        actions={doc ? <Actions doc={doc} writable={writable} onEdit={() => setEditing(true)} onNotice={setNotice} onChanged={loaded.reload} /> : null}
      />
      <States loading={loaded.loading} error={loaded.error} empty={!doc} emptyText="" onRetry={loaded.reload}>
        {doc ? (
          <>
            {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
            <Overview doc={doc} />
            {writable ? (
              <EditDialog
                doc={doc}
                open={editing}
                onClose={() => setEditing(false)}
                onSaved={() => {
                  setEditing(false);
                  setNotice({ kind: "success", text: "Saved." });
                  loaded.reload();
                }}
              />
            ) : null}
            {/* A new version (re-index, replacement) or the end of reading shows the new chunks. */}
            <Chunks key={`${doc.version}:${doc.status === "ready"}`} doc={doc} target={target} />
          </>
        ) : null}
      </States>
    </>
  );
}

function describe(d: Doc): string {
  const parts = [d.format.toUpperCase()];
  if (d.file_name) parts.unshift(d.file_name);
  if (d.pages) parts.push(`${d.pages} ${d.pages === 1 ? "page" : "pages"}`);
  if (d.status === "ready") parts.push(`${formatNumber(d.chunk_count)} ${d.chunk_count === 1 ? "chunk" : "chunks"}`);
  return parts.join(" · ");
}

function Actions({
  doc,
  writable,
  onEdit,
  onNotice,
  onChanged,
}: {
  doc: Doc;
  writable: boolean;
  onEdit: () => void;
  onNotice: (n: Notice) => void;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState<string>();
  const [sending, setSending] = useState<number | null>(null);
  const replacing = useRef<Upload | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const path = { params: { path: { id: doc.id } } };
  useLeaveGuard(sending !== null);
  useEffect(() => () => replacing.current?.abort(), []);

  const run = async (name: string, work: () => Promise<void>) => {
    setBusy(name);
    onNotice(null);
    try {
      await work();
    } catch (e) {
      onNotice({ kind: "error", text: toApiError(e).message });
    } finally {
      setBusy(undefined);
    }
  };
  const reindex = () =>
    run("reindex", async () => {
      await call(api.POST("/api/v1/documents/{id}/reindex", path));
      onNotice({ kind: "info", text: "Reading and indexing it again; search keeps the current text until then." });
      onChanged();
    });
  const remove = () => {
    if (!confirmAction(`Delete “${doc.title}”? It leaves search and chat answers at once, and its file is deleted. This cannot be undone.`)) return;
    void run("delete", async () => {
      await call(api.DELETE("/api/v1/documents/{id}", path));
      navigate("/documents", { replace: true });
    });
  };
  const replace = (file: File) => {
    onNotice(null);
    setSending(0);
    const u = upload(
      "PUT",
      `/api/v1/documents/${encodeURIComponent(doc.id)}/file`,
      () => {
        const f = new FormData();
        f.append("file", file, file.name);
        return f;
      },
      (fraction) => setSending(Math.floor(fraction * 100)),
    );
    replacing.current = u;
    u.done
      .then((a) => {
        if (a.status >= 200 && a.status < 300) {
          onNotice({ kind: "success", text: `Replaced with ${file.name}: it is read and indexed next; search keeps the old text until then.` });
          onChanged();
        } else {
          onNotice({ kind: "error", text: `${file.name} did not replace the file. ${uploadProblem(a.status, a.problem)}` });
        }
      })
      .catch((e: unknown) => {
        onNotice(isAborted(e) ? { kind: "info", text: "The replacement was cancelled." } : { kind: "error", text: toApiError(e).message });
      })
      .finally(() => {
        replacing.current = null;
        setSending(null);
      });
  };

  return (
    <>
      <Button busy={busy === "download"} onClick={() => void run("download", () => downloadOriginal(doc.id, downloadName(doc)))}>
        Download original
      </Button>
      {writable ? (
        <>
          <Button onClick={onEdit} aria-haspopup="dialog">
            Edit details
          </Button>
          <Button busy={busy === "reindex"} disabled={Boolean(busy) || sending !== null} onClick={() => void reindex()}>
            Re-index
          </Button>
          {sending === null ? (
            <Button disabled={Boolean(busy)} onClick={() => picker.current?.click()}>
              Replace file…
            </Button>
          ) : (
            <span className="row">
              <progress className="progress" max={100} value={sending} aria-label="Replacement upload" />
              <span>{sending} %</span>
              <Button variant="ghost" onClick={() => replacing.current?.abort()}>
                Cancel replacement
              </Button>
            </span>
          )}
          <input
            ref={picker}
            type="file"
            hidden
            aria-label="Replacement file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = "";
              if (f) replace(f);
            }}
          />
          <Button variant="danger" busy={busy === "delete"} disabled={Boolean(busy) || sending !== null} onClick={remove}>
            Delete
          </Button>
        </>
      ) : null}
    </>
  );
}

function Overview({ doc }: { doc: Doc }) {
  const { timeZone } = useSession();
  const rows: [string, ReactNode][] = [
    ["Status", <IngestState key="s" doc={doc} />],
    ["Tags", doc.tags.length ? <span key="t" className="row">{doc.tags.map((t) => <Badge key={t}>{t}</Badge>)}</span> : <span className="muted">None</span>],
    ["Source", doc.source || <span className="muted">—</span>],
    ["Format", doc.format.toUpperCase()],
    ["Size", formatBytes(doc.size_bytes)],
    ["Pages", doc.pages ?? "—"],
    ["Chunks", doc.status === "ready" || doc.chunk_count > 0 ? formatNumber(doc.chunk_count) : "—"],
    ["Characters", doc.char_count > 0 ? formatNumber(doc.char_count) : "—"],
    ["Language", doc.language || "—"],
    ["Added", formatDateTime(doc.created_at, timeZone)],
    ["Last indexed", formatDateTime(doc.ingested_at, timeZone)],
    ["Version", formatNumber(doc.version)],
  ];
  return (
    <section className="card" aria-labelledby="about-h">
      <h2 id="about-h" className="card-title">
        About
      </h2>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">The document</caption>
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

interface DetailValues {
  title: string;
  tags: string;
  source: string;
}

function detailsOf(d: Doc): DetailValues {
  return { title: d.title, tags: d.tags.join(", "), source: d.source ?? "" };
}

function EditDialog({ doc, open, onClose, onSaved }: { doc: Doc; open: boolean; onClose: () => void; onSaved: () => void }) {
  const form = useForm(detailsOf(doc), ["title", "tags", "source"]);
  const formId = useId();
  const serverKey = JSON.stringify(detailsOf(doc));
  useEffect(() => {
    if (!form.dirty) form.reset(detailsOf(doc));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [serverKey]);
  const save = async () => {
    const ok = await form.submit(async (v) => {
      const saved = await call(
        api.PATCH("/api/v1/documents/{id}", {
          params: { path: { id: doc.id } },
          body: { title: v.title.trim(), tags: parseTags(v.tags), source: v.source.trim() || null },
        }),
      );
      form.reset(detailsOf(saved));
    });
    if (ok) onSaved();
  };
  const cancel = () => {
    if (form.dirty && !confirmAction("Discard your changes to this document?")) return;
    form.reset(detailsOf(doc));
    onClose();
  };
  const v = form.values;
  return (
    <Dialog
      open={open}
      title="Edit document"
      onClose={onClose}
      footer={
        <>
          <Button onClick={cancel}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy} disabled={!form.dirty}>
            Save changes
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
          {(p) => <input {...p} maxLength={300} value={v.title} onChange={(e) => form.set("title", e.target.value)} />}
        </Field>
        <Field label="Tags" hint="Comma-separated; up to 20, each letters, digits, space or _ . : -" error={form.errors.tags}>
          {(p) => <input {...p} autoComplete="off" value={v.tags} onChange={(e) => form.set("tags", e.target.value)} />}
        </Field>
        <Field label="Source" hint="Where it comes from. Empty clears it." error={form.errors.source}>
          {(p) => <input {...p} maxLength={200} autoComplete="off" value={v.source} onChange={(e) => form.set("source", e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}

const CHUNKS_PER_PAGE = 100;

function Chunks({ doc, target }: { doc: Doc; target: string }) {
  const list = useMore(
    (cursor) => call(api.GET("/api/v1/documents/{id}/chunks", { params: { path: { id: doc.id }, query: { cursor, limit: CHUNKS_PER_PAGE } } })),
    [doc.id],
  );
  const found = target !== "" && list.items.some((c) => c.id === target);
  const hunting = target !== "" && !found && list.hasMore && !list.error;
  const missing = target !== "" && !found && !list.hasMore && !list.loading && !list.error;
  const { more } = list;
  // The cited chunk may be further in: load on until it is there.
  useEffect(() => {
    if (hunting && !list.loading) more();
  }, [hunting, list.loading, list.items.length, more]);
  const shown = useRef("");
  useEffect(() => {
    if (!found || shown.current === target) return;
    shown.current = target;
    const el = document.getElementById(`chunk-${target}`);
    if (el) {
      el.scrollIntoView({ block: "center" });
      el.focus({ preventScroll: true });
    }
  }, [found, target]);

  return (
    <section aria-labelledby="chunks-h">
      <h2 id="chunks-h">Chunks</h2>
      <p className="muted">The passages search and answers use, in the document's order, each with its page and the headings above it.</p>
      {hunting ? (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Finding the cited passage…
        </p>
      ) : null}
      {missing ? (
        <Alert kind="warning">
          <p>The cited passage is not in this document any more: it was probably re-indexed or replaced since. Search for it again to find where it is now.</p>
        </Alert>
      ) : null}
      {found ? (
        <p className="visually-hidden" role="status">
          The cited passage is marked below.
        </p>
      ) : null}
      <States
        loading={list.loading}
        error={list.error}
        empty={list.items.length === 0}
        emptyText={doc.status === "failed" ? "No chunks: the document could not be read." : inProgress(doc) ? "The chunks appear once the document has been read." : "No chunks."}
        onRetry={list.reload}
      >
        <ol className="chunks">
          {list.items.map((c) => (
            <ChunkItem key={c.id} c={c} cited={c.id === target} />
          ))}
        </ol>
      </States>
      {list.hasMore && !hunting && list.items.length > 0 ? (
        <div className="form-actions">
          <Button busy={list.loading} onClick={more}>
            Load more chunks
          </Button>
        </div>
      ) : null}
    </section>
  );
}

function ChunkItem({ c, cited }: { c: Chunk; cited: boolean }) {
  const path = headingPath(c.headings);
  return (
    <li id={`chunk-${c.id}`} className={`chunk${cited ? " chunk-target" : ""}`} tabIndex={cited ? -1 : undefined} aria-current={cited ? "true" : undefined}>
      <div className="chunk-meta">
        <span>Chunk {c.ord + 1}</span>
        {c.page ? <span>Page {c.page}</span> : null}
        {path ? <span className="chunk-path">{path}</span> : null}
        {cited ? <Badge tone="info">Cited passage</Badge> : null}
      </div>
      <p className="chunk-text">{c.text}</p>
    </li>
  );
}
