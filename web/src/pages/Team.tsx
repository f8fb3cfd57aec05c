// The company's people: members (roles, deactivation) and the
// invitations still waiting to be accepted.
import { useEffect, useId, useRef, useState } from "react";
import type { CSSProperties, ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useMe, useSession } from "../auth/session";
import { formatDateTime, formatNumber } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Alert, Badge, Button, Dialog, Field, PageHeader, Pager, States, confirmAction } from "../ui";
import { useForm, useLoad, usePaged, type Paged } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, showProblem } from "../ui/problems";

// A wide table scrolls inside its frame instead of widening the page (its
// width no longer counts toward the layout's narrowest width, and its
// visually-hidden labels stay inside it); it takes focus to scroll by keyboard.
const WRAP: CSSProperties = { contain: "inline-size", position: "relative" };
// A row's header reads as its first cell, not as a column heading.
const ROW_HEAD: CSSProperties = { color: "var(--text)", fontSize: "inherit", background: "var(--surface)", minWidth: "9rem" };
const LAST_ROW_HEAD: CSSProperties = { ...ROW_HEAD, borderBottom: 0 };

type Member = Schemas["Member"];
type Invitation = Schemas["Invitation"];

/** A role one can give: its id (or system key) and what it is for. */
interface Choice {
  ref: string;
  id?: string;
  key?: string | null;
  name: string;
  description?: string;
}

// Without roles:read the role list cannot be read; the API also accepts
// the system roles' keys, so these can still be given.
const SYSTEM_ROLES: Choice[] = [
  { ref: "owner", key: "owner", name: "Owner", description: "Everything, including transferring ownership" },
  { ref: "admin", key: "admin", name: "Admin", description: "Users, roles, keys and settings, and every module" },
  { ref: "accountant", key: "accountant", name: "Accountant", description: "The books, taxes, reports and the audit trail" },
  { ref: "sales", key: "sales", name: "Sales", description: "Customers, quotes and invoices" },
  { ref: "business", key: "business", name: "Business", description: "Documents, channels, goals and metrics" },
  { ref: "member", key: "member", name: "Member", description: "Uses the assistants and reads what is shared" },
];

const PLAIN: Record<string, string> = {
  last_owner: "The company must keep at least one active owner. Make someone else an owner first.",
  owner_only: "Only an owner can give or take away the Owner role, or deactivate an owner.",
};
const PLAIN_FIELD: Record<string, string> = {
  already_member: "This person is already a member of the company.",
};

/** The server's problem in words for people (sentences, known rules explained). */
const humane = (e: unknown) => humaneProblem(e, { detail: PLAIN, field: PLAIN_FIELD });

/** The roles that can be given, and whether the caller is an owner. */
function useChoices() {
  const { can } = useSession();
  const { me } = useMe();
  const readable = can("roles:read");
  const roles = useLoad(() => (readable ? call(api.GET("/api/v1/roles")) : Promise.resolve(null)), [readable]);
  // While the list loads nothing is offered (a key ticked now would not
  // match the id-based boxes that follow).
  const choices: Choice[] = roles.data
    ? roles.data.map((r) => ({ ref: r.id, id: r.id, key: r.key, name: r.name, description: r.description }))
    : roles.loading
      ? []
      : SYSTEM_ROLES;
  const ownerName = choices.find((c) => c.key === "owner")?.name ?? "Owner";
  return { choices, loading: roles.loading, error: roles.error, isOwner: me.roles.includes(ownerName) };
}

/** Names of people by id: those on screen, the rest asked for once. */
function usePeople(ids: (string | null | undefined)[], known: Member[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const asked = useRef(new Set<string>());
  const all: Record<string, string> = { ...names };
  for (const m of known) all[m.id] = m.name || m.email;
  const missing = [...new Set(ids.filter((i): i is string => Boolean(i)))].filter((i) => !(i in all) && !asked.current.has(i));
  useEffect(() => {
    for (const id of missing) {
      asked.current.add(id);
      call(api.GET("/api/v1/users/{id}", { params: { path: { id } } }))
        .then((m) => setNames((n) => ({ ...n, [id]: m.name || m.email })))
        .catch(() => setNames((n) => ({ ...n, [id]: "A former member" })));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [missing.join(",")]);
  return all;
}

export default function Team() {
  const { can, timeZone } = useSession();
  const { query } = useLocation();
  const writable = can("users:write");
  const status = query.get("status") === "active" || query.get("status") === "deactivated" ? (query.get("status") as "active" | "deactivated") : undefined;
  const members = usePaged((cursor) => call(api.GET("/api/v1/users", { params: { query: { cursor, limit: 50, status } } })), [status]);
  const invitations = usePaged((cursor) => call(api.GET("/api/v1/invitations", { params: { query: { cursor, limit: 50 } } })), []);
  const roles = useChoices();
  const [inviting, setInviting] = useState(false);
  const [editing, setEditing] = useState<Member>();
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: string }>();
  const say = (kind: "success" | "error", text: string) => setNotice({ kind, text });

  return (
    <>
      <PageHeader
        title="Team"
        description="The people in your company, what they may do, and who is invited."
        actions={
          <>
            {can("roles:read") ? (
              <Link href="/team/roles" className="btn">
                Roles and permissions
              </Link>
            ) : null}
            {writable ? (
              <Button variant="primary" onClick={() => setInviting(true)}>
                Invite someone
              </Button>
            ) : null}
          </>
        }
      />
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      {!writable ? <p className="muted">Inviting people and changing members needs the users:write permission.</p> : null}
      {writable && roles.error ? <Alert kind="warning">The roles cannot be read ({roles.error.message}); only the built-in roles can be given.</Alert> : null}
      <section>
        <div className="page-header">
          <h2 id="members-title">Members</h2>
          <div className="filters">
            <Field label="Status">
              {(p) => (
                <select {...p} value={status ?? ""} onChange={(e) => setQuery({ status: e.target.value })}>
                  <option value="">Everyone</option>
                  <option value="active">Active</option>
                  <option value="deactivated">Deactivated</option>
                </select>
              )}
            </Field>
          </div>
        </div>
        <MembersTable
          list={members}
          writable={writable}
          timeZone={timeZone}
          empty={status ? `No ${status} members.` : "No members yet."}
          onEdit={setEditing}
          onNotice={say}
        />
      </section>
      <section>
        <h2 id="invitations-title">Pending invitations</h2>
        <p className="muted">An invitation link is valid for 7 days. Revoking one makes its link stop working.</p>
        <InvitationsTable list={invitations} members={members.items} choices={roles.choices} writable={writable} timeZone={timeZone} onNotice={say} />
      </section>
      {writable ? (
        <>
          <InviteDialog
            open={inviting}
            choices={roles.choices}
            isOwner={roles.isOwner}
            onClose={() => setInviting(false)}
            onSent={(inv) => {
              setInviting(false);
              say("success", `Invitation sent to ${inv.email}.`);
              invitations.reload();
            }}
          />
          <RolesDialog
            member={editing}
            choices={roles.choices}
            isOwner={roles.isOwner}
            onClose={() => setEditing(undefined)}
            onSaved={(m) => {
              setEditing(undefined);
              say("success", `${m.name || m.email} now has the roles ${m.roles.map((r) => r.name).join(", ")}.`);
              members.reload();
            }}
          />
        </>
      ) : null}
    </>
  );
}

function MembersTable({
  list,
  writable,
  timeZone,
  empty,
  onEdit,
  onNotice,
}: {
  list: Paged<Member>;
  writable: boolean;
  timeZone: string;
  empty: string;
  onEdit: (m: Member) => void;
  onNotice: (kind: "success" | "error", text: string) => void;
}) {
  const { me } = useMe();
  const { reload } = useSession();
  const [busy, setBusy] = useState<string>();
  const setActive = async (m: Member, active: boolean) => {
    const who = m.name || m.email;
    const self = m.id === me.user?.id;
    const question = active
      ? `Reactivate ${who}? They can sign in again with their roles (${m.roles.map((r) => r.name).join(", ")}).`
      : `Deactivate ${who}? They are signed out at once and cannot sign in to ${me.tenant.name} until reactivated.${self ? " This is you: you will be signed out." : ""}`;
    if (!confirmAction(question)) return;
    setBusy(m.id);
    try {
      const body = { params: { path: { id: m.id } } };
      await call(active ? api.POST("/api/v1/users/{id}/reactivate", body) : api.POST("/api/v1/users/{id}/deactivate", body));
      onNotice("success", `${who} was ${active ? "reactivated" : "deactivated"}.`);
      list.reload();
      if (self) await reload();
    } catch (e) {
      onNotice("error", humane(e).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText={empty} onRetry={list.reload}>
        <div className="table-wrap" style={WRAP} tabIndex={0}>
          <table>
            <caption className="visually-hidden">Members, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Last sign-in</th>
                {writable ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {list.items.map((m, i) => (
                <tr key={m.id}>
                  <th scope="row" style={i === list.items.length - 1 ? LAST_ROW_HEAD : ROW_HEAD}>
                    {m.name || <span className="muted">No name</span>} {m.id === me.user?.id ? <Badge tone="info">You</Badge> : null}
                  </th>
                  <td>{m.email}</td>
                  <td>
                    <RoleBadges names={m.roles.map((r) => r.name)} />
                  </td>
                  <td>{m.status === "active" ? <Badge tone="good">Active</Badge> : <Badge tone="bad">Deactivated</Badge>}</td>
                  <td>{m.last_login_at ? formatDateTime(m.last_login_at, timeZone) : <span className="muted">Never</span>}</td>
                  {writable ? (
                    <td>
                      <div className="row">
                        <Button onClick={() => onEdit(m)}>
                          Change roles
                        </Button>
                        {m.status === "active" ? (
                          <Button variant="danger" busy={busy === m.id} onClick={() => void setActive(m, false)}>
                            Deactivate
                          </Button>
                        ) : (
                          <Button busy={busy === m.id} onClick={() => void setActive(m, true)}>
                            Reactivate
                          </Button>
                        )}
                      </div>
                    </td>
                  ) : null}
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

function RoleBadges({ names }: { names: string[] }) {
  if (names.length === 0) return <span className="muted">None</span>;
  return (
    <div className="row">
      {names.map((n, i) => (
        <Badge key={`${n}-${i}`} tone={n === "Owner" ? "info" : "neutral"}>
          {n}
        </Badge>
      ))}
    </div>
  );
}

function InvitationsTable({
  list,
  members,
  choices,
  writable,
  timeZone,
  onNotice,
}: {
  list: Paged<Invitation>;
  members: Member[];
  choices: Choice[];
  writable: boolean;
  timeZone: string;
  onNotice: (kind: "success" | "error", text: string) => void;
}) {
  const people = usePeople(
    list.items.map((i) => i.invited_by),
    members,
  );
  const [busy, setBusy] = useState<string>();
  // Without roles:read the choices are keys, and role ids cannot be named.
  const named = choices.some((c) => c.id);
  const roleName = (id: string) => choices.find((c) => c.id === id)?.name ?? "Deleted role";
  const revoke = async (inv: Invitation) => {
    if (!confirmAction(`Revoke the invitation for ${inv.email}? Its link stops working; you can invite them again later.`)) return;
    setBusy(inv.id);
    try {
      await call(api.DELETE("/api/v1/invitations/{id}", { params: { path: { id: inv.id } } }));
      onNotice("success", `The invitation for ${inv.email} was revoked.`);
      list.reload();
    } catch (e) {
      onNotice("error", humane(e).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <>
      <States loading={list.loading} error={list.error} empty={list.items.length === 0} emptyText="No invitations are waiting to be accepted." onRetry={list.reload}>
        <div className="table-wrap" style={WRAP} tabIndex={0}>
          <table>
            <caption className="visually-hidden">Pending invitations, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Roles</th>
                <th scope="col">Invited by</th>
                <th scope="col">Sent</th>
                <th scope="col">Expires</th>
                {writable ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {list.items.map((inv, i) => (
                <tr key={inv.id}>
                  <th scope="row" style={i === list.items.length - 1 ? LAST_ROW_HEAD : ROW_HEAD}>{inv.email}</th>
                  <td>
                    {named ? (
                      <RoleBadges names={inv.role_ids.map(roleName)} />
                    ) : (
                      <span className="muted" title="Naming them needs the roles:read permission">
                        {formatNumber(inv.role_ids.length)} {inv.role_ids.length === 1 ? "role" : "roles"}
                      </span>
                    )}
                  </td>
                  <td>{inv.invited_by ? (people[inv.invited_by] ?? "…") : <span className="muted">—</span>}</td>
                  <td>{formatDateTime(inv.created_at, timeZone)}</td>
                  <td>{formatDateTime(inv.expires_at, timeZone)}</td>
                  {writable ? (
                    <td>
                      <Button variant="danger" busy={busy === inv.id} onClick={() => void revoke(inv)}>
                        Revoke
                      </Button>
                    </td>
                  ) : null}
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

/** Checkboxes for roles; Owner is only an owner's to give or take. */
function RolePicker({
  choices,
  value,
  onChange,
  isOwner,
  error,
  legend = "Roles",
}: {
  choices: Choice[];
  value: string[];
  onChange: (v: string[]) => void;
  isOwner: boolean;
  error?: string;
  legend?: ReactNode;
}) {
  const id = useId();
  return (
    <fieldset className={error ? "field-error" : undefined} aria-describedby={error ? `${id}-error` : `${id}-hint`}>
      <legend>{legend}</legend>
      <p id={`${id}-hint`} className="hint">
        Choose one or more; their permissions add up.{" "}
        {!isOwner && choices.some((c) => c.key === "owner") ? "Only an owner can give or take away the Owner role." : null}
      </p>
      {choices.length === 0 ? (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the roles…
        </p>
      ) : null}
      {choices.map((c) => {
        const locked = c.key === "owner" && !isOwner;
        const boxId = `${id}-${c.ref}`;
        return (
          <div className="check" key={c.ref}>
            <input
              id={boxId}
              type="checkbox"
              checked={value.includes(c.ref)}
              disabled={locked}
              aria-describedby={c.description ? `${boxId}-hint` : undefined}
              onChange={(e) => onChange(e.target.checked ? [...value, c.ref] : value.filter((v) => v !== c.ref))}
            />
            <label htmlFor={boxId}>{c.name}</label>
            {c.description ? (
              <p id={`${boxId}-hint`} className="hint">
                {c.description}
              </p>
            ) : null}
          </div>
        );
      })}
      {error ? (
        <p id={`${id}-error`} className="error-text">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

const NO_INVITE = { email: "", roles: [] as string[] };

function InviteDialog({
  open,
  choices,
  isOwner,
  onClose,
  onSent,
}: {
  open: boolean;
  choices: Choice[];
  isOwner: boolean;
  onClose: () => void;
  onSent: (inv: Invitation) => void;
}) {
  const form = useForm(NO_INVITE, ["email", "roles"]);
  const formId = useId();
  const close = () => {
    form.reset(NO_INVITE);
    onClose();
  };
  const requestClose = askBeforeClosing(form.dirty, close);
  return (
    <Dialog
      open={open}
      title="Invite someone"
      onClose={requestClose}
      footer={
        <>
          <Button onClick={requestClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            Send invitation
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const el = e.currentTarget;
          let sent: Invitation | undefined;
          void form
            .submit(async (v) => {
              try {
                sent = await call(api.POST("/api/v1/invitations", { body: { email: v.email.trim(), roles: v.roles } }));
              } catch (err) {
                throw humane(err);
              }
            })
            .then((ok) => {
              if (!ok || !sent) return showProblem(el);
              form.reset(NO_INVITE);
              onSent(sent);
            });
        }}
      >
        <p className="muted">They get an e-mail with a link to join, valid for 7 days.</p>
        {form.failure ? <Alert>{form.failure}</Alert> : null}
        <Field label="E-mail address" error={form.errors.email}>
          {(p) => (
            <input {...p} type="email" autoComplete="off" autoFocus required value={form.values.email} onChange={(e) => form.set("email", e.target.value)} />
          )}
        </Field>
        <RolePicker choices={choices} value={form.values.roles} onChange={(v) => form.set("roles", v)} isOwner={isOwner} error={form.errors.roles} />
      </form>
    </Dialog>
  );
}

function RolesDialog({
  member,
  choices,
  isOwner,
  onClose,
  onSaved,
}: {
  member: Member | undefined;
  choices: Choice[];
  isOwner: boolean;
  onClose: () => void;
  onSaved: (m: Member) => void;
}) {
  const { me } = useMe();
  const { reload } = useSession();
  const form = useForm({ roles: [] as string[] }, ["roles"]);
  const formId = useId();
  // Their roles as choices: by id, or by system key without roles:read;
  // custom roles they hold stay choosable either way.
  const refOf = (r: Member["roles"][number]) => choices.find((c) => c.id === r.id || (!c.id && c.key && c.key === r.key))?.ref ?? r.id;
  const extra: Choice[] = (member?.roles ?? []).filter((r) => !choices.some((c) => c.ref === refOf(r))).map((r) => ({ ref: r.id, id: r.id, key: r.key, name: r.name }));
  useEffect(() => {
    if (member) form.reset({ roles: member.roles.map(refOf) });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [member?.id]);
  const close = () => {
    form.reset({ roles: [] });
    onClose();
  };
  const requestClose = askBeforeClosing(form.dirty, close);
  const self = member?.id === me.user?.id;
  return (
    <Dialog
      open={Boolean(member)}
      title={`Roles of ${member?.name || member?.email || ""}`}
      onClose={requestClose}
      footer={
        <>
          <Button onClick={requestClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy} disabled={!form.dirty}>
            Save roles
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const el = e.currentTarget;
          if (!member) return;
          let saved: Member | undefined;
          void form
            .submit(async (v) => {
              try {
                saved = await call(api.PATCH("/api/v1/users/{id}", { params: { path: { id: member.id } }, body: { roles: v.roles } }));
              } catch (err) {
                throw humane(err);
              }
            })
            .then(async (ok) => {
              if (!ok || !saved) return showProblem(el);
              form.reset({ roles: [] });
              onSaved(saved);
              if (self) await reload();
            });
        }}
      >
        <p className="muted">{member?.email}</p>
        {self ? <Alert kind="warning">These are your own roles: taking one away may hide pages from you at once.</Alert> : null}
        {form.failure ? <Alert>{form.failure}</Alert> : null}
        <RolePicker choices={[...choices, ...extra]} value={form.values.roles} onChange={(v) => form.set("roles", v)} isOwner={isOwner} error={form.errors.roles} />
      </form>
    </Dialog>
  );
}
