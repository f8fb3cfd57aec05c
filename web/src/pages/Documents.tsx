// Documents: the company's knowledge base. Files dropped on the page or
// chosen upload in a request each, with their own progress and, when
// refused, the server's reason; pasted text becomes a document too. The
// list follows ingestion while anything on it is queued or being read.
import { useEffect, useId, useRef, useState } from "react";
import type { DragEvent, ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime, formatNumber } from "../format";
import { IngestState, POLL_MS, inProgress } from "../knowledge/parts";
import { formatBytes, parseTags, uploadProblem } from "../knowledge/text";
import { downloadName, downloadOriginal, isAborted, upload, type Upload } from "../knowledge/transfer";
import { Link, setQuery, useLeaveGuard, useLocation } from "../router";
import { Alert, Badge, Button, Field, PageHeader, Pager, States, confirmAction } from "../ui";
import { toApiError, useForm, useLoad, usePaged } from "../ui/hooks";

type Doc = Schemas["Document"];
type Uploaded = Schemas["Uploaded"];
type Notice = { kind: "success" | "error" | "info"; text: ReactNode } | null;

const STATUSES = ["queued", "processing", "ready", "failed"] as const;
type Status = (typeof STATUSES)[number];
/** Uploads under way at once; the rest wait their turn. */
const PARALLEL = 3;

export default function Documents() {
  const { can } = useSession();
  const writable = can("documents:write");
  const settings = useLoad(() => (can("knowledge:ask") ? call(api.GET("/api/v1/knowledge/settings")) : Promise.resolve(null)), []);
  const [added, setAdded] = useState(0);
  const changed = () => setAdded((n) => n + 1);
  return (
    <>
      <PageHeader
        title="Documents"
        description="What the company's answers come from: policies, manuals, price lists. Each document is read, split into passages and indexed for search and chat."
      />
      {writable ? (
        <div className="grid-2 add-documents">
          <Uploader limit={settings.data?.max_upload_bytes} onUploaded={changed} />
          <PasteText onAdded={changed} />
        </div>
      ) : (
        <p className="muted">Adding and changing documents needs the documents:write permission.</p>
      )}
      <DocumentList writable={writable} addedKey={added} />
    </>
  );
}

// ---- Uploads ----------------------------------------------------------------

interface Item {
  key: number;
  file: File;
  tags: string[];
  source: string;
  state: "waiting" | "uploading" | "checking" | "done" | "failed" | "cancelled";
  /** Percent of the file sent. */
  progress: number;
  error?: string;
  /** Whether sending it again may work (not when the server refused the file itself). */
  retryable?: boolean;
  result?: Uploaded;
}

/** Failures worth another try: no answer, an expired session, too many requests, a server fault. */
function worthRetrying(status: number): boolean {
  return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
}

let nextKey = 1;

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes("Files");
}

function Uploader({ limit, onUploaded }: { limit?: number; onUploaded: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [tags, setTags] = useState("");
  const [source, setSource] = useState("");
  const [over, setOver] = useState(false);
  const [announce, setAnnounce] = useState("");
  const running = useRef(new Map<number, Upload>());
  const picker = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const busy = items.some((i) => i.state === "waiting" || i.state === "uploading" || i.state === "checking");
  useLeaveGuard(busy);

  const patch = (key: number, p: Partial<Item>) => setItems((list) => list.map((i) => (i.key === key ? { ...i, ...p } : i)));

  // Files dropped beside the zone are not opened in place of the console.
  useEffect(() => {
    const keep = (e: globalThis.DragEvent) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files")) e.preventDefault();
    };
    window.addEventListener("dragover", keep);
    window.addEventListener("drop", keep);
    const uploads = running.current;
    return () => {
      window.removeEventListener("dragover", keep);
      window.removeEventListener("drop", keep);
      for (const u of uploads.values()) u.abort();
    };
  }, []);

  const add = (files: File[]) => {
    if (files.length === 0) return;
    const t = parseTags(tags);
    const s = source.trim();
    const fresh: Item[] = files.map((file) => {
      const tooBig = limit !== undefined && file.size > limit;
      return {
        key: nextKey++,
        file,
        tags: t,
        source: s,
        state: tooBig ? "failed" : "waiting",
        progress: 0,
        error: tooBig ? `The file is larger than the upload limit of ${formatBytes(limit)}.` : undefined,
      };
    });
    setItems((list) => [...list, ...fresh]);
    setAnnounce(files.length === 1 ? `${files[0]?.name ?? "1 file"} added to the uploads.` : `${files.length} files added to the uploads.`);
  };

  const start = (it: Item) => {
    if (running.current.has(it.key)) return;
    const u = upload(
      "POST",
      "/api/v1/documents",
      () => {
        const f = new FormData();
        f.append("file", it.file, it.file.name);
        if (it.tags.length) f.append("tags", it.tags.join(","));
        if (it.source) f.append("source", it.source);
        return f;
      },
      (fraction) => patch(it.key, fraction >= 1 ? { state: "checking", progress: 100 } : { state: "uploading", progress: Math.floor(fraction * 100) }),
    );
    running.current.set(it.key, u);
    patch(it.key, { state: "uploading", progress: 0, error: undefined });
    u.done
      .then((a) => {
        if (a.status >= 200 && a.status < 300) {
          const result = (a.body as Schemas["UploadResult"] | null)?.documents?.[0];
          patch(it.key, { state: "done", progress: 100, result });
          setAnnounce(result?.duplicate ? `${it.file.name} is already in the library.` : `${it.file.name} uploaded; it is read next.`);
          onUploaded();
        } else {
          const error = uploadProblem(a.status, a.problem);
          patch(it.key, { state: "failed", error, retryable: worthRetrying(a.status) });
          setAnnounce(`${it.file.name} was not uploaded: ${error}`);
        }
      })
      .catch((e: unknown) => {
        if (isAborted(e)) {
          patch(it.key, { state: "cancelled" });
          setAnnounce(`The upload of ${it.file.name} was cancelled.`);
        } else {
          patch(it.key, { state: "failed", error: toApiError(e).message, retryable: true });
        }
      })
      .finally(() => running.current.delete(it.key));
  };

  // Waiting files start as others finish.
  useEffect(() => {
    const active = items.filter((i) => i.state === "uploading" || i.state === "checking").length;
    for (const it of items.filter((i) => i.state === "waiting").slice(0, Math.max(0, PARALLEL - active))) start(it);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items]);

  const cancel = (it: Item) => {
    const u = running.current.get(it.key);
    if (u) u.abort();
    else patch(it.key, { state: "cancelled" });
  };
  const finished = items.filter((i) => i.state === "done" || i.state === "failed" || i.state === "cancelled");

  return (
    <section className="card" aria-labelledby="upload-h">
      <h2 id="upload-h" className="card-title">
        Upload files
      </h2>
      <div
        className={`dropzone${over ? " dropzone-over" : ""}`}
        onDragEnter={(e) => {
          if (!hasFiles(e)) return;
          e.preventDefault();
          setOver(true);
        }}
        onDragOver={(e) => {
          if (!hasFiles(e)) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
          setOver(true);
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
        }}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          add(Array.from(e.dataTransfer.files));
        }}
      >
        <p className="dropzone-text">
          <strong>Drop files here</strong>
          <span className="muted"> or</span>
        </p>
        <Button variant="primary" aria-describedby={hintId} onClick={() => picker.current?.click()}>
          Choose files…
        </Button>
        <p id={hintId} className="hint">
          PDF, Word (DOCX), HTML, Markdown, CSV or plain text{limit ? `, up to ${formatBytes(limit)} each` : ""}. Choose or drop several at once: each
          uploads on its own.
        </p>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          aria-label="Files to upload"
          onChange={(e) => {
            add(Array.from(e.target.files ?? []));
            e.target.value = "";
          }}
        />
      </div>
      <div className="grid-2 upload-meta">
        <Field label="Tags (optional)" hint="Comma-separated, for the next files: tax, hr">
          {(p) => <input {...p} autoComplete="off" value={tags} onChange={(e) => setTags(e.target.value)} />}
        </Field>
        <Field label="Source (optional)" hint="Where they come from: policy manual">
          {(p) => <input {...p} autoComplete="off" maxLength={200} value={source} onChange={(e) => setSource(e.target.value)} />}
        </Field>
      </div>
      {items.length > 0 ? (
        <>
          <h3>Uploads</h3>
          <ul className="uploads">
            {items.map((it) => (
              <UploadRow
                key={it.key}
                it={it}
                onCancel={() => cancel(it)}
                onRetry={() => patch(it.key, { state: "waiting", progress: 0, error: undefined })}
                onRemove={() => setItems((list) => list.filter((x) => x.key !== it.key))}
                retryable={it.state === "cancelled" || Boolean(it.retryable)}
              />
            ))}
          </ul>
          {finished.length > 0 ? (
            <Button variant="ghost" onClick={() => setItems((list) => list.filter((i) => !finished.includes(i)))}>
              Clear finished uploads
            </Button>
          ) : null}
        </>
      ) : null}
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announce}
      </div>
    </section>
  );
}

function UploadRow({ it, onCancel, onRetry, onRemove, retryable }: { it: Item; onCancel: () => void; onRetry: () => void; onRemove: () => void; retryable: boolean }) {
  const doc = it.result?.document;
  let state: ReactNode;
  switch (it.state) {
    case "waiting":
      state = <span className="muted">Waiting to upload…</span>;
      break;
    case "uploading":
      state = <span>Uploading… {it.progress} %</span>;
      break;
    case "checking":
      state = <span>Uploaded; the server is checking the file…</span>;
      break;
    case "done":
      state = doc ? (
        it.result?.duplicate ? (
          <span>
            Already in the library as <Link href={`/documents/${doc.id}`}>{doc.title}</Link>: nothing new was stored.
          </span>
        ) : (
          <span>
            Added as <Link href={`/documents/${doc.id}`}>{doc.title}</Link>; it is read and indexed next.
          </span>
        )
      ) : (
        <span>Uploaded.</span>
      );
      break;
    case "failed":
      state = <span className="error-text">{it.error}</span>;
      break;
    default:
      state = <span className="muted">Cancelled.</span>;
  }
  const moving = it.state === "waiting" || it.state === "uploading" || it.state === "checking";
  return (
    <li className={`upload upload-${it.state}`}>
      <div className="upload-head">
        <span className="upload-name">{it.file.name}</span>
        <span className="muted">{formatBytes(it.file.size)}</span>
        {it.state === "done" ? <Badge tone={it.result?.duplicate ? "neutral" : "good"}>{it.result?.duplicate ? "Duplicate" : "Uploaded"}</Badge> : null}
        {it.state === "failed" ? <Badge tone="bad">Not uploaded</Badge> : null}
      </div>
      {moving ? (
        <progress
          className="progress"
          max={100}
          value={it.state === "checking" ? undefined : it.progress}
          aria-label={`Upload of ${it.file.name}`}
          aria-valuetext={it.state === "checking" ? "Checking" : `${it.progress} %`}
        />
      ) : null}
      <p className="upload-state">{state}</p>
      <div className="row">
        {moving ? (
          <Button variant="ghost" onClick={onCancel}>
            Cancel<span className="visually-hidden"> the upload of {it.file.name}</span>
          </Button>
        ) : (
          <>
            {retryable ? (
              <Button variant="ghost" onClick={onRetry}>
                Try again<span className="visually-hidden"> to upload {it.file.name}</span>
              </Button>
            ) : null}
            <Button variant="ghost" onClick={onRemove}>
              Dismiss<span className="visually-hidden"> {it.file.name}</span>
            </Button>
          </>
        )}
      </div>
    </li>
  );
}

// ---- Pasted text ------------------------------------------------------------

const EMPTY_PASTE = { title: "", text: "", tags: "", source: "" };

function PasteText({ onAdded }: { onAdded: () => void }) {
  const form = useForm(EMPTY_PASTE, ["title", "text", "tags", "source"]);
  const [added, setAdded] = useState<Uploaded>();
  const formId = useId();
  const submit = async () => {
    setAdded(undefined);
    let answer: Schemas["UploadResult"] | undefined;
    const ok = await form.submit(async (v) => {
      const tags = parseTags(v.tags);
      answer = await call(
        api.POST("/api/v1/documents", {
          body: { title: v.title.trim(), text: v.text, ...(tags.length ? { tags } : {}), ...(v.source.trim() ? { source: v.source.trim() } : {}) },
        }),
      );
    });
    if (ok && answer) {
      form.reset(EMPTY_PASTE);
      setAdded(answer.documents[0]);
      onAdded();
    }
  };
  const v = form.values;
  return (
    <section className="card" aria-labelledby="paste-h">
      <h2 id="paste-h" className="card-title">
        Paste text
      </h2>
      <form
        id={formId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {form.failure ? <Alert>{form.failure}</Alert> : null}
        {added && !form.dirty ? (
          <Alert kind="success">
            <p>
              {added.duplicate ? "This text is already the document " : "Added "}
              <Link href={`/documents/${added.document.id}`}>{added.document.title}</Link>
              {added.duplicate ? "." : "; it is read and indexed next."}
            </p>
          </Alert>
        ) : null}
        <Field label="Title" error={form.errors.title}>
          {(p) => <input {...p} maxLength={300} autoComplete="off" value={v.title} onChange={(e) => form.set("title", e.target.value)} />}
        </Field>
        <Field label="Text" hint="Plain text, Markdown or HTML." error={form.errors.text}>
          {(p) => <textarea {...p} rows={6} value={v.text} onChange={(e) => form.set("text", e.target.value)} />}
        </Field>
        <div className="grid-2">
          <Field label="Tags (optional)" hint="Comma-separated." error={form.errors.tags}>
            {(p) => <input {...p} autoComplete="off" value={v.tags} onChange={(e) => form.set("tags", e.target.value)} />}
          </Field>
          <Field label="Source (optional)" error={form.errors.source}>
            {(p) => <input {...p} autoComplete="off" maxLength={200} value={v.source} onChange={(e) => form.set("source", e.target.value)} />}
          </Field>
        </div>
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.busy} disabled={!v.title.trim() || !v.text.trim()}>
            Add text
          </Button>
        </div>
      </form>
    </section>
  );
}

// ---- The list -----------------------------------------------------------------

function DocumentList({ writable, addedKey }: { writable: boolean; addedKey: number }) {
  const { timeZone } = useSession();
  const { query } = useLocation();
  const raw = query.get("status") ?? "";
  const status = (STATUSES as readonly string[]).includes(raw) ? (raw as Status) : undefined;
  const q = query.get("q") ?? "";
  const [draft, setDraft] = useState(q);
  const [notice, setNotice] = useState<Notice>(null);
  const [busy, setBusy] = useState<string>();
  const list = usePaged(
    (cursor) => call(api.GET("/api/v1/documents", { params: { query: { cursor, limit: 25, status, q: q || undefined } } })),
    [status, q],
  );
  const { reload, refresh } = list;
  const live = list.items.some(inProgress);
  useEffect(() => {
    if (!live) return;
    const t = window.setInterval(refresh, POLL_MS);
    return () => window.clearInterval(t);
  }, [live, refresh]);
  useEffect(() => {
    if (addedKey > 0) reload();
  }, [addedKey, reload]);

  const run = async (key: string, work: () => Promise<void>) => {
    setBusy(key);
    setNotice(null);
    try {
      await work();
    } catch (e) {
      setNotice({ kind: "error", text: toApiError(e).message });
    } finally {
      setBusy(undefined);
    }
  };
  const reindex = (d: Doc) =>
    run(`${d.id}:reindex`, async () => {
      await call(api.POST("/api/v1/documents/{id}/reindex", { params: { path: { id: d.id } } }));
      setNotice({ kind: "success", text: `“${d.title}” is read and indexed again; search keeps its current text until then.` });
      reload();
    });
  const remove = (d: Doc) => {
    if (!confirmAction(`Delete “${d.title}”? It leaves search and chat answers at once, and its file is deleted. This cannot be undone.`)) return;
    void run(`${d.id}:delete`, async () => {
      await call(api.DELETE("/api/v1/documents/{id}", { params: { path: { id: d.id } } }));
      setNotice({ kind: "success", text: `“${d.title}” was deleted.` });
      reload();
    });
  };
  const download = (d: Doc) => run(`${d.id}:download`, () => downloadOriginal(d.id, downloadName(d)));

  return (
    <section aria-labelledby="library-h">
      <h2 id="library-h">Library</h2>
      <form
        className="filters"
        role="search"
        aria-label="Documents"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ q: draft.trim() });
        }}
      >
        <Field label="Title contains">
          {(p) => <input {...p} type="search" value={draft} onChange={(e) => setDraft(e.target.value)} />}
        </Field>
        <Field label="Status">
          {(p) => (
            <select {...p} value={status ?? ""} onChange={(e) => setQuery({ status: e.target.value })}>
              <option value="">Any status</option>
              <option value="queued">Queued</option>
              <option value="processing">Being read</option>
              <option value="ready">Ready</option>
              <option value="failed">Failed</option>
            </select>
          )}
        </Field>
        <div className="row">
          <Button type="submit" variant="primary">
            Filter
          </Button>
          <Button
            onClick={() => {
              setDraft("");
              setQuery({ q: null, status: null });
            }}
          >
            Clear
          </Button>
        </div>
      </form>
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      {live ? (
        <p className="muted" role="status">
          Some documents are being read: this list follows their progress.
        </p>
      ) : null}
      <States
        loading={list.loading}
        error={list.error}
        empty={list.items.length === 0}
        emptyText={status || q ? "No document matches these filters." : writable ? "No documents yet. Upload a file or paste text above." : "No documents yet."}
        onRetry={reload}
      >
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Documents table">
          <table>
            <caption className="visually-hidden">Documents, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Pages
                </th>
                <th scope="col" className="num">
                  Chunks
                </th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((d) => (
                <tr key={d.id}>
                  <td className="doc-cell">
                    <Link href={`/documents/${d.id}`}>{d.title}</Link>
                    <div className="muted">
                      {d.file_name ? <span className="file-name">{d.file_name} · </span> : null}
                      {d.format.toUpperCase()}
                      {d.source ? ` · ${d.source}` : ""}
                    </div>
                    {d.tags.length ? (
                      <div className="row tags">
                        {d.tags.map((t) => (
                          <Badge key={t}>{t}</Badge>
                        ))}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <IngestState doc={d} />
                  </td>
                  <td className="num">{d.pages ?? "—"}</td>
                  <td className="num">{d.status === "ready" || d.chunk_count > 0 ? formatNumber(d.chunk_count) : "—"}</td>
                  <td className="num nowrap">{formatBytes(d.size_bytes)}</td>
                  <td className="nowrap">{formatDateTime(d.created_at, timeZone)}</td>
                  <td>
                    <div className="row">
                      <Link href={`/documents/${d.id}`} className="btn btn-ghost">
                        Open<span className="visually-hidden"> {d.title}</span>
                      </Link>
                      <Button variant="ghost" busy={busy === `${d.id}:download`} onClick={() => void download(d)}>
                        Download<span className="visually-hidden"> the original of {d.title}</span>
                      </Button>
                      {writable ? (
                        <>
                          <Button busy={busy === `${d.id}:reindex`} disabled={Boolean(busy)} onClick={() => void reindex(d)}>
                            Re-index<span className="visually-hidden"> {d.title}</span>
                          </Button>
                          <Button variant="danger" busy={busy === `${d.id}:delete`} disabled={Boolean(busy)} onClick={() => remove(d)}>
                            Delete<span className="visually-hidden"> {d.title}</span>
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
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
    </section>
  );
}
