import { useState } from "react";
import { api, call } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime, startOfDay } from "../format";
import { setQuery, useLocation } from "../router";
import { Button, Field, PageHeader, Pager, States } from "../ui";
import { usePaged } from "../ui/hooks";

const FILTERS = ["action", "resource_type", "resource_id", "actor_id", "from", "to"] as const;

export default function Audit() {
  const { timeZone } = useSession();
  const { query } = useLocation();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ""])) as Record<(typeof FILTERS)[number], string>;
  const [draft, setDraft] = useState(applied);
  const list = usePaged(
    (cursor) =>
      call(
        api.GET("/api/v1/audit", {
          params: {
            query: {
              cursor,
              limit: 50,
              action: applied.action || undefined,
              resource_type: applied.resource_type || undefined,
              resource_id: applied.resource_id || undefined,
              actor_id: applied.actor_id || undefined,
              since: applied.from ? startOfDay(applied.from, timeZone) : undefined,
              until: applied.to ? startOfDay(nextDay(applied.to), timeZone) : undefined,
            },
          },
        }),
      ),
    [applied.action, applied.resource_type, applied.resource_id, applied.actor_id, applied.from, applied.to, timeZone],
  );
  const input = (key: (typeof FILTERS)[number], label: string, type = "text") => (
    <Field label={label}>
      {(p) => <input {...p} type={type} value={draft[key]} onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))} />}
    </Field>
  );
  return (
    <>
      <PageHeader title="Audit log" description={`Every change in the company: who, what, when (${timeZone}).`} />
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(draft);
        }}
      >
        {input("action", "Action")}
        {input("resource_type", "Resource type")}
        {input("resource_id", "Resource id")}
        {input("actor_id", "Actor id")}
        {input("from", "From", "date")}
        {input("to", "To", "date")}
        <div className="row">
          <Button type="submit" variant="primary">
            Filter
          </Button>
          <Button
            onClick={() => {
              const none = Object.fromEntries(FILTERS.map((f) => [f, ""])) as typeof draft;
              setDraft(none);
              setQuery(none);
            }}
          >
            Clear
          </Button>
        </div>
      </form>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText="Nothing matches these filters." onRetry={list.reload}>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit entries">
          <table>
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Who</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((e) => (
                <tr key={e.seq}>
                  <td>{formatDateTime(e.created_at, timeZone)}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.resource_type}
                    {e.resource_id ? <div className="muted"><code>{e.resource_id}</code></div> : null}
                  </td>
                  <td>
                    {e.actor_type}
                    {e.actor_id ? <div className="muted"><code>{e.actor_id}</code></div> : null}
                    {e.ip ? <div className="muted">{e.ip}</div> : null}
                  </td>
                  <td>
                    <Changes changes={e.changes} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
    </>
  );
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function Changes({ changes }: { changes: unknown }) {
  const entries = changes && typeof changes === "object" ? Object.entries(changes as Record<string, unknown>) : [];
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="changes">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>
            <code>{k}</code>
          </dt>
          <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
