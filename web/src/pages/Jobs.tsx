// Background jobs: the company's queue with filters in the URL, a job's
// details, and retry (dead or cancelled) or cancel (queued or running).
import { useState } from "react";
import type { ReactNode } from "react";
import { ApiError, api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime, formatNumber } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Alert, Badge, Button, Dialog, Field, PageHeader, Pager, States, confirmAction } from "../ui";
import { toApiError, useLoad, usePaged } from "../ui/hooks";

type Job = Schemas["JobView"];
type JobState = Schemas["JobState"];
type Notice = { kind: "success" | "error" | "info"; text: ReactNode } | null;

const STATES: JobState[] = ["queued", "running", "succeeded", "dead", "cancelled"];
const FILTERS = ["state", "queue", "kind"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

export default function Jobs() {
  const { can } = useSession();
  const { query } = useLocation();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ""])) as Filters;
  const state = STATES.includes(applied.state as JobState) ? (applied.state as JobState) : undefined;
  const selected = query.get("job");
  const list = usePaged(
    (cursor) =>
      call(
        api.GET("/api/v1/jobs", {
          params: { query: { cursor, limit: 50, state, queue: applied.queue || undefined, kind: applied.kind || undefined } },
        }),
      ),
    [state, applied.queue, applied.kind],
  );
  const [notice, setNotice] = useState<Notice>(null);
  const actions = useJobActions(can("jobs:write"), setNotice, list.reload);
  return (
    <>
      <PageHeader
        title="Background jobs"
        description="Work the platform does after answering a request (such as webhook deliveries): what is queued, running, done or given up."
        actions={
          <Button onClick={list.reload} busy={list.loading}>
            Refresh
          </Button>
        }
      />
      <FilterForm applied={applied} />
      {notice && !selected ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText={FILTERS.some((f) => applied[f]) ? "No job matches these filters." : "No background jobs yet."} onRetry={list.reload}>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Background jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Queue</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Run at</th>
                <th scope="col">Finished</th>
                <th scope="col">Last error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((j) => (
                <JobRow key={j.id} job={j} actions={actions} />
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
      {selected ? <JobDialog id={selected} actions={actions} notice={notice} onClose={() => setQuery({ job: null })} /> : null}
    </>
  );
}

function FilterForm({ applied }: { applied: Filters }) {
  const [draft, setDraft] = useState(applied);
  const text = (key: "queue" | "kind", label: string, placeholder: string) => (
    <Field label={label}>
      {(p) => <input {...p} value={draft[key]} placeholder={placeholder} spellCheck={false} onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))} />}
    </Field>
  );
  return (
    <form
      className="filters"
      role="search"
      aria-label="Filter jobs"
      onSubmit={(e) => {
        e.preventDefault();
        setQuery({ ...draft, job: null });
      }}
    >
      <Field label="State">
        {(p) => (
          <select {...p} value={draft.state} onChange={(e) => setDraft((d) => ({ ...d, state: e.target.value }))}>
            <option value="">All states</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        )}
      </Field>
      {text("queue", "Queue", "e.g. webhooks")}
      {text("kind", "Kind", "e.g. webhooks.deliver")}
      <div className="row">
        <Button type="submit" variant="primary">
          Filter
        </Button>
        <Button
          onClick={() => {
            const none = { state: "", queue: "", kind: "" };
            setDraft(none);
            setQuery({ ...none, job: null });
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}

function stateTone(s: JobState) {
  return s === "succeeded" ? "good" : s === "dead" ? "bad" : s === "running" ? "info" : s === "queued" ? "neutral" : "warn";
}

function StateBadge({ job }: { job: Job }) {
  return (
    <span className="row">
      <Badge tone={stateTone(job.state)}>{job.state}</Badge>
      {job.cancel_requested && job.state === "running" ? <Badge tone="warn">stopping</Badge> : null}
    </span>
  );
}

const retryable = (j: Job) => j.state === "dead" || j.state === "cancelled";
const cancellable = (j: Job) => (j.state === "queued" || j.state === "running") && !j.cancel_requested;

function detailsHref(id: string): string {
  const q = new URLSearchParams(window.location.search);
  q.set("job", id);
  return `/jobs?${q}`;
}

function JobRow({ job, actions }: { job: Job; actions: JobActions }) {
  const { timeZone } = useSession();
  return (
    <tr>
      <td>
        <Link href={detailsHref(job.id)} aria-label={`${job.kind}, details`}>
          <code>{job.kind}</code>
        </Link>
      </td>
      <td>{job.queue}</td>
      <td>
        <StateBadge job={job} />
      </td>
      <td className="num">
        {formatNumber(job.attempts)}/{formatNumber(job.max_attempts)}
      </td>
      <td>{formatDateTime(job.run_at, timeZone)}</td>
      <td>{formatDateTime(job.finished_at, timeZone)}</td>
      <td>{job.last_error ? shorten(job.last_error) : <span className="muted">—</span>}</td>
      <td>
        <ActionButtons job={job} actions={actions} />
      </td>
    </tr>
  );
}

function shorten(s: string, max = 160): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

interface JobActions {
  writable: boolean;
  busy: string | undefined;
  run: (job: Job, action: "retry" | "cancel") => Promise<void>;
}

/** Retry and cancel, each asked first, with the server's refusals explained. */
function useJobActions(writable: boolean, onNotice: (n: Notice) => void, reload: () => void): JobActions {
  const [busy, setBusy] = useState<string>();
  const run = async (job: Job, action: "retry" | "cancel") => {
    const question =
      action === "retry"
        ? `Retry this ${job.kind} job? It goes back on the queue with fresh attempts.`
        : job.state === "running"
          ? `Stop this running ${job.kind} job? It is asked to stop and ends cancelled, unless it finishes first.`
          : `Cancel this queued ${job.kind} job? It will not run.`;
    if (!confirmAction(question)) return;
    setBusy(job.id);
    onNotice(null);
    try {
      const path = { params: { path: { id: job.id } } };
      const j = await call(action === "retry" ? api.POST("/api/v1/jobs/{id}/retry", path) : api.POST("/api/v1/jobs/{id}/cancel", path));
      onNotice({ kind: "success", text: doneText(action, j) });
    } catch (e) {
      onNotice({ kind: "error", text: explain(toApiError(e)) });
    } finally {
      setBusy(undefined);
      reload();
    }
  };
  return { writable, busy, run };
}

function doneText(action: "retry" | "cancel", j: Job): string {
  if (action === "retry") return `The ${j.kind} job is queued again with fresh attempts.`;
  if (j.state === "running") return `The ${j.kind} job was asked to stop; it ends cancelled unless it finishes first.`;
  return `The ${j.kind} job was cancelled.`;
}

function explain(e: ApiError): string {
  if (e.code === "job_not_retryable") return "This job cannot be retried: only dead or cancelled jobs can. It may have been retried already, or it is still queued or running. The list now shows its current state.";
  if (e.code === "job_finished") return "This job has already finished, so there is nothing to cancel. The list now shows how it ended.";
  return e.message;
}

function ActionButtons({ job, actions }: { job: Job; actions: JobActions }) {
  if (!actions.writable) return null;
  const busy = actions.busy === job.id;
  return (
    <div className="row">
      {retryable(job) ? (
        <Button onClick={() => void actions.run(job, "retry")} busy={busy} aria-label={`Retry ${job.kind} job`}>
          Retry
        </Button>
      ) : null}
      {cancellable(job) ? (
        <Button variant="danger" onClick={() => void actions.run(job, "cancel")} busy={busy} aria-label={`Cancel ${job.kind} job`}>
          Cancel
        </Button>
      ) : null}
    </div>
  );
}

function JobDialog({ id, actions, notice, onClose }: { id: string; actions: JobActions; notice: Notice; onClose: () => void }) {
  const job = useLoad(() => call(api.GET("/api/v1/jobs/{id}", { params: { path: { id } } })), [id]);
  const j = job.data;
  const act = (action: "retry" | "cancel") => {
    if (j) void actions.run(j, action).then(job.reload);
  };
  const footer = (
    <>
      {j && actions.writable && retryable(j) ? (
        <Button onClick={() => act("retry")} busy={actions.busy === j.id}>
          Retry
        </Button>
      ) : null}
      {j && actions.writable && cancellable(j) ? (
        <Button variant="danger" onClick={() => act("cancel")} busy={actions.busy === j.id}>
          Cancel job
        </Button>
      ) : null}
      <Button variant="primary" onClick={onClose}>
        Done
      </Button>
    </>
  );
  return (
    <Dialog open title={j ? `Job ${j.kind}` : "Job"} onClose={onClose} footer={footer}>
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      <States loading={job.loading} error={job.error} empty={!j} emptyText="" onRetry={job.reload}>
        {j ? <JobFacts job={j} /> : null}
      </States>
    </Dialog>
  );
}

function JobFacts({ job }: { job: Job }) {
  const { timeZone } = useSession();
  const when = (iso: string | null | undefined) => formatDateTime(iso, timeZone);
  const rows: [string, ReactNode][] = [
    ["State", <StateBadge key="s" job={job} />],
    ["Kind", <code key="k">{job.kind}</code>],
    ["Queue", job.queue],
    ["Attempts", `${formatNumber(job.attempts)} of ${formatNumber(job.max_attempts)}`],
    ["Priority", formatNumber(job.priority)],
    ["Unique key", job.unique_key ? <code key="u">{job.unique_key}</code> : "—"],
    ["Enqueued", when(job.created_at)],
    ["Run at", when(job.run_at)],
    ["Last started", when(job.started_at)],
    ["Finished", when(job.finished_at)],
    ["Id", <code key="i">{job.id}</code>],
  ];
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">The job's details</caption>
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
      <h3>Last error</h3>
      {job.last_error ? <pre>{job.last_error}</pre> : <p className="muted">None.</p>}
      <h3>Payload</h3>
      <pre tabIndex={0} aria-label="Payload">
        {JSON.stringify(job.payload, null, 2)}
      </pre>
    </>
  );
}
