// API keys: listed without their secrets, created with some of the
// caller's own permissions (the secret is shown once), revoked at once.
import { useEffect, useId, useRef, useState } from "react";
import type { CSSProperties } from "react";
import { api, call, type Schemas } from "../api/client";
import { useMe, useSession } from "../auth/session";
import { dayIn, formatDateTime, startOfDay } from "../format";
import { setQuery, useLeaveGuard, useLocation } from "../router";
import { Alert, Badge, Button, Check, CopyButton, Dialog, Field, PageHeader, Pager, States, confirmAction } from "../ui";
import { useForm, useLoad, usePaged } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, showProblem } from "../ui/problems";

// A wide table scrolls inside its frame instead of widening the page (its
// width no longer counts toward the layout's narrowest width, and its
// visually-hidden labels stay inside it); it takes focus to scroll by keyboard.
const WRAP: CSSProperties = { contain: "inline-size", position: "relative" };
// A row's header reads as its first cell, not as a column heading.
const ROW_HEAD: CSSProperties = { color: "var(--text)", fontSize: "inherit", background: "var(--surface)", minWidth: "9rem" };
const LAST_ROW_HEAD: CSSProperties = { ...ROW_HEAD, borderBottom: 0 };

type ApiKey = Schemas["ApiKey"];
type NewApiKey = Schemas["NewApiKey"];
type PermissionName = Schemas["PermissionName"];

/** The server's problem in words for people. */
const humane = (e: unknown) => humaneProblem(e);

/** Names of the people who made the keys (when the caller may read them). */
function usePeople(ids: (string | null | undefined)[], allowed: boolean): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const asked = useRef(new Set<string>());
  const missing = allowed ? [...new Set(ids.filter((i): i is string => Boolean(i)))].filter((i) => !asked.current.has(i)) : [];
  useEffect(() => {
    for (const id of missing) {
      asked.current.add(id);
      call(api.GET("/api/v1/users/{id}", { params: { path: { id } } }))
        .then((m) => setNames((n) => ({ ...n, [id]: m.name || m.email })))
        .catch(() => setNames((n) => ({ ...n, [id]: "a former member" })));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [missing.join(",")]);
  return names;
}

export default function ApiKeys() {
  const { can, timeZone } = useSession();
  const { query } = useLocation();
  const writable = can("api_keys:write");
  const includeRevoked = query.get("include_revoked") === "1";
  const list = usePaged(
    (cursor) => call(api.GET("/api/v1/api-keys", { params: { query: { cursor, limit: 50, include_revoked: includeRevoked || undefined } } })),
    [includeRevoked],
  );
  const people = usePeople(
    list.items.map((k) => k.created_by),
    can("users:read"),
  );
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: string }>();
  const [revoking, setRevoking] = useState<string>();

  const revoke = async (k: ApiKey) => {
    if (!confirmAction(`Revoke the API key “${k.name}” (${k.prefix}…)? Anything using it is refused at once. This cannot be undone.`)) return;
    setRevoking(k.id);
    try {
      await call(api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id: k.id } } }));
      setNotice({ kind: "success", text: `The API key “${k.name}” was revoked.` });
      list.reload();
    } catch (e) {
      setNotice({ kind: "error", text: humane(e).message });
    } finally {
      setRevoking(undefined);
    }
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let programs call the API as your company. Each carries some of its creator's permissions."
        actions={
          writable ? (
            <Button variant="primary" onClick={() => setCreating(true)}>
              Create API key
            </Button>
          ) : null
        }
      />
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      {!writable ? <p className="muted">Creating and revoking keys needs the api_keys:write permission.</p> : null}
      <div className="filters">
        <Check label="Include revoked keys" checked={includeRevoked} onChange={(v) => setQuery({ include_revoked: v ? "1" : null })} />
      </div>
      <States
        loading={list.loading}
        error={list.error}
        empty={list.items.length === 0}
        emptyText={includeRevoked ? "No API keys yet." : writable ? "No active API keys. Create one for each program that calls the API." : "No active API keys."}
        onRetry={list.reload}
      >
        <div className="table-wrap" style={WRAP} tabIndex={0}>
          <table>
            <caption className="visually-hidden">API keys, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Permissions</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                {writable ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {list.items.map((k, i) => (
                <tr key={k.id}>
                  <th scope="row" style={i === list.items.length - 1 ? LAST_ROW_HEAD : ROW_HEAD}>{k.name}</th>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <div className="row">
                      {k.permissions.map((p) => (
                        <Badge key={p}>{p}</Badge>
                      ))}
                    </div>
                  </td>
                  <td>
                    {formatDateTime(k.created_at, timeZone)}
                    {k.created_by && people[k.created_by] ? <div className="muted">by {people[k.created_by]}</div> : null}
                  </td>
                  <td>{k.expires_at ? formatDateTime(k.expires_at, timeZone) : <span className="muted">Never</span>}</td>
                  <td>{k.last_used_at ? formatDateTime(k.last_used_at, timeZone) : <span className="muted">Never</span>}</td>
                  <td>
                    <Status k={k} timeZone={timeZone} />
                  </td>
                  {writable ? (
                    <td>
                      {k.revoked_at ? null : (
                        <Button variant="danger" busy={revoking === k.id} onClick={() => void revoke(k)}>
                          Revoke
                        </Button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </States>
      <Pager hasPrevious={list.hasPrevious} hasNext={Boolean(list.data?.next_cursor)} onPrevious={list.previous} onNext={list.next} busy={list.loading} />
      {writable ? <CreateDialog open={creating} onClose={() => setCreating(false)} onCreated={() => list.reload()} /> : null}
    </>
  );
}

function Status({ k, timeZone }: { k: ApiKey; timeZone: string }) {
  if (k.revoked_at) {
    return (
      <>
        <Badge tone="bad">Revoked</Badge>
        <div className="muted">{formatDateTime(k.revoked_at, timeZone)}</div>
      </>
    );
  }
  if (k.expires_at && new Date(k.expires_at).getTime() <= Date.now()) return <Badge tone="warn">Expired</Badge>;
  return <Badge tone="good">Active</Badge>;
}

const NEW_KEY = { name: "", permissions: [] as string[], expires_at: "" };

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The last second of a `YYYY-MM-DD` day in `timeZone`, as RFC 3339. */
function endOfDay(day: string, timeZone: string): string {
  return new Date(new Date(startOfDay(addDays(day, 1), timeZone)).getTime() - 1000).toISOString();
}

const SECRET: CSSProperties = { fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace' };

function CreateDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { timeZone, can } = useSession();
  const { me } = useMe();
  const form = useForm(NEW_KEY, ["name", "permissions", "expires_at"]);
  const [created, setCreated] = useState<NewApiKey>();
  const formId = useId();
  // Leaving the page while the secret is shown would lose it.
  useLeaveGuard(Boolean(created));
  const catalog = useLoad(() => (can("roles:read") ? call(api.GET("/api/v1/permissions")) : Promise.resolve([])), []);
  const describe = (p: string) => catalog.data?.find((c) => c.name === p)?.description;
  const own = [...me.permissions].sort();
  const today = dayIn(new Date().toISOString(), timeZone);
  const v = form.values;
  const close = () => {
    form.reset(NEW_KEY);
    setCreated(undefined);
    onClose();
  };
  const requestClose = askBeforeClosing(form.dirty && !created, close);
  return (
    <Dialog
      open={open}
      title={created ? "API key created" : "Create an API key"}
      onClose={requestClose}
      footer={
        created ? (
          <Button variant="primary" onClick={close}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={requestClose}>Cancel</Button>
            <Button type="submit" form={formId} variant="primary" busy={form.busy}>
              Create
            </Button>
          </>
        )
      }
    >
      {created ? (
        <Secret created={created} />
      ) : (
        <form
          id={formId}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const el = e.currentTarget;
            let made: NewApiKey | undefined;
            void form
              .submit(async (x) => {
                try {
                  made = await call(
                    api.POST("/api/v1/api-keys", {
                      body: {
                        name: x.name.trim(),
                        permissions: x.permissions as PermissionName[],
                        expires_at: x.expires_at ? endOfDay(x.expires_at, timeZone) : null,
                      },
                    }),
                  );
                } catch (err) {
                  throw humane(err);
                }
              })
              .then((ok) => {
                if (!ok || !made) return showProblem(el);
                form.reset(NEW_KEY);
                setCreated(made);
                onCreated();
              });
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          <Field label="Name" hint="What uses it, e.g. “Tally sync” (up to 100 characters)." error={form.errors.name}>
            {(p) => <input {...p} autoFocus maxLength={100} value={v.name} onChange={(e) => form.set("name", e.target.value)} />}
          </Field>
          <PermissionChecks own={own} value={v.permissions} onChange={(x) => form.set("permissions", x)} describe={describe} error={form.errors.permissions} />
          <Field
            label="Expires on (optional)"
            hint={`The key stops working at the end of this day (${timeZone}). Leave empty for a key that does not expire.`}
            error={form.errors.expires_at}
          >
            {(p) => <input {...p} type="date" min={today} value={v.expires_at} onChange={(e) => form.set("expires_at", e.target.value)} />}
          </Field>
          <div className="row" role="group" aria-label="Expiry shortcuts">
            <Button variant="ghost" onClick={() => form.set("expires_at", addDays(today, 30))}>
              In 30 days
            </Button>
            <Button variant="ghost" onClick={() => form.set("expires_at", addDays(today, 90))}>
              In 90 days
            </Button>
            <Button variant="ghost" onClick={() => form.set("expires_at", addDays(today, 365))}>
              In a year
            </Button>
            <Button variant="ghost" onClick={() => form.set("expires_at", "")}>
              Never
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function PermissionChecks({
  own,
  value,
  onChange,
  describe,
  error,
}: {
  own: string[];
  value: string[];
  onChange: (v: string[]) => void;
  describe: (p: string) => string | undefined;
  error?: string;
}) {
  const id = useId();
  return (
    <fieldset className={error ? "field-error" : undefined} aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}>
      <legend>Permissions</legend>
      <p id={`${id}-hint`} className="hint">
        At least one, from your own permissions. Give a key only what it needs.
      </p>
      <div className="row">
        <Button variant="ghost" onClick={() => onChange([...own])}>
          Select all
        </Button>
        <Button variant="ghost" onClick={() => onChange([])}>
          Clear
        </Button>
      </div>
      {own.map((p) => (
        <Check key={p} label={p} hint={describe(p)} checked={value.includes(p)} onChange={(on) => onChange(on ? [...value, p] : value.filter((x) => x !== p))} />
      ))}
      {error ? (
        <p id={`${id}-error`} className="error-text">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function Secret({ created }: { created: NewApiKey }) {
  return (
    <>
      <Alert kind="warning">
        <p>
          <strong>Copy the secret now: it will not be shown again.</strong> Tessera keeps only a fingerprint of it. If it is lost, revoke this key
          and create another.
        </p>
      </Alert>
      <Field label="Secret" hint={`Send it as “Authorization: Bearer <secret>”. Key “${created.name}”, prefix ${created.prefix}.`}>
        {(p) => <input {...p} readOnly autoFocus style={SECRET} value={created.secret} onFocus={(e) => e.currentTarget.select()} />}
      </Field>
      <CopyButton text={created.secret} label="Copy secret" />
    </>
  );
}
