// Roles and what each may do: the list, a permission matrix (custom roles
// are edited in place; system roles are read-only), and custom roles made,
// renamed and deleted.
import { useEffect, useId, useState } from "react";
import type { CSSProperties } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatNumber } from "../format";
import { Link, useLeaveGuard } from "../router";
import { Alert, Badge, Button, Dialog, Field, PageHeader, States, confirmAction } from "../ui";
import { useForm, useLoad } from "../ui/hooks";
import { askBeforeClosing, humaneProblem, showProblem } from "../ui/problems";

// A wide table scrolls inside its frame instead of widening the page (its
// width no longer counts toward the layout's narrowest width, and its
// visually-hidden labels stay inside it); it takes focus to scroll by keyboard.
const WRAP: CSSProperties = { contain: "inline-size", position: "relative" };
// A row's header reads as its first cell, not as a column heading.
const ROW_HEAD: CSSProperties = { color: "var(--text)", fontSize: "inherit", background: "var(--surface)", minWidth: "9rem" };
const LAST_ROW_HEAD: CSSProperties = { ...ROW_HEAD, borderBottom: 0 };

type Role = Schemas["Role"];
type Permission = Schemas["PermissionView"];
type PermissionName = Schemas["PermissionName"];

const PLAIN_FIELD: Record<string, string> = {
  role_name_taken: "Another role already has this name.",
};

/** The server's problem in words for people. */
const humane = (e: unknown) => humaneProblem(e, { field: PLAIN_FIELD });

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

export default function Roles() {
  const { can } = useSession();
  const writable = can("roles:write");
  const loaded = useLoad(() => Promise.all([call(api.GET("/api/v1/roles")), call(api.GET("/api/v1/permissions"))]), []);
  // Kept here so that creating or renaming a role keeps the matrix's drafts.
  const [roles, setRoles] = useState<Role[]>([]);
  useEffect(() => {
    if (loaded.data) setRoles(loaded.data[0]);
  }, [loaded.data]);
  const permissions = loaded.data?.[1] ?? [];
  const [dialog, setDialog] = useState<{ role?: Role } | undefined>();
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: string }>();
  const [deleting, setDeleting] = useState<string>();

  const remove = async (r: Role) => {
    const held = r.members > 0 ? ` ${formatNumber(r.members)} ${r.members === 1 ? "person holds" : "people hold"} it; it can only be deleted once nobody does.` : "";
    if (!confirmAction(`Delete the role ${r.name}? This cannot be undone.${held}`)) return;
    setDeleting(r.id);
    try {
      await call(api.DELETE("/api/v1/roles/{id}", { params: { path: { id: r.id } } }));
      setRoles((rs) => rs.filter((x) => x.id !== r.id));
      setNotice({ kind: "success", text: `The role ${r.name} was deleted.` });
    } catch (e) {
      const err = humane(e);
      setNotice({ kind: "error", text: err.code === "role_in_use" ? `${r.name}: ${err.message} Change their roles on the Team page.` : err.message });
    } finally {
      setDeleting(undefined);
    }
  };

  return (
    <>
      <PageHeader
        title="Roles"
        description="A role is a set of permissions; a person's permissions are those of all their roles."
        actions={
          writable ? (
            <Button variant="primary" onClick={() => setDialog({})}>
              Create role
            </Button>
          ) : null
        }
      />
      {notice ? (
        <Alert kind={notice.kind}>
          {notice.text} {notice.kind === "error" && can("users:read") ? <Link href="/team">Open Team</Link> : null}
        </Alert>
      ) : null}
      <States loading={loaded.loading} error={loaded.error} empty={!loaded.data} emptyText="No roles." onRetry={loaded.reload}>
        <RolesTable roles={roles} writable={writable} deleting={deleting} onEdit={(role) => setDialog({ role })} onDelete={(r) => void remove(r)} />
        <h2 id="matrix-title">Permissions</h2>
        <p className="muted">
          {writable
            ? "System roles are built in and read-only; tick or untick a custom role's boxes, then save. To adjust a system role, create a custom role from it."
            : "System roles are built in and read-only. Creating and changing custom roles needs the roles:write permission."}
        </p>
        <Matrix
          roles={roles}
          permissions={permissions}
          writable={writable}
          onSaved={(saved) => setRoles((rs) => rs.map((r) => saved.find((s) => s.id === r.id) ?? r))}
        />
      </States>
      {writable ? (
        <RoleDialog
          open={Boolean(dialog)}
          role={dialog?.role}
          roles={roles}
          permissions={permissions}
          onClose={() => setDialog(undefined)}
          onSaved={(saved, created) => {
            setDialog(undefined);
            setRoles((rs) => (created ? [...rs, saved] : rs.map((r) => (r.id === saved.id ? saved : r))));
            setNotice({ kind: "success", text: created ? `The role ${saved.name} was created.` : `The role ${saved.name} was saved.` });
          }}
        />
      ) : null}
    </>
  );
}

function RolesTable({
  roles,
  writable,
  deleting,
  onEdit,
  onDelete,
}: {
  roles: Role[];
  writable: boolean;
  deleting: string | undefined;
  onEdit: (r: Role) => void;
  onDelete: (r: Role) => void;
}) {
  return (
    <div className="table-wrap" style={WRAP} tabIndex={0}>
      <table>
        <caption className="visually-hidden">Roles, system roles first</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Members
            </th>
            <th scope="col">Description</th>
            {writable ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {roles.map((r, i) => (
            <tr key={r.id}>
              <th scope="row" style={i === roles.length - 1 ? LAST_ROW_HEAD : ROW_HEAD}>{r.name}</th>
              <td>{r.system ? <Badge>System</Badge> : <Badge tone="info">Custom</Badge>}</td>
              <td className="num">{formatNumber(r.members)}</td>
              <td style={{ minWidth: "14rem" }}>{r.description || <span className="muted">—</span>}</td>
              {writable ? (
                <td>
                  {r.system ? (
                    <span className="muted">Read-only</span>
                  ) : (
                    <div className="row">
                      <Button onClick={() => onEdit(r)}>Edit</Button>
                      <Button variant="danger" busy={deleting === r.id} onClick={() => onDelete(r)}>
                        Delete
                      </Button>
                    </div>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// The permission column stays in view while the roles scroll past it.
const STICKY: CSSProperties = { position: "sticky", left: 0, zIndex: 1, minWidth: "11rem", maxWidth: "15rem", color: "var(--text)" };
const CELL: CSSProperties = { textAlign: "center", verticalAlign: "middle", minWidth: "6rem" };
const CHANGED: CSSProperties = { ...CELL, background: "color-mix(in srgb, var(--accent) 14%, var(--surface))" };

function Matrix({ roles, permissions, writable, onSaved }: { roles: Role[]; permissions: Permission[]; writable: boolean; onSaved: (r: Role[]) => void }) {
  // Role id → its permissions as ticked, for the roles changed only.
  const [drafts, setDrafts] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const changed = roles.filter((r) => drafts[r.id]);
  const dirty = changed.length > 0;
  useLeaveGuard(dirty && !busy);
  // A saved note about a role goes once the roles change (one was deleted).
  useEffect(() => setSaved(undefined), [roles.length]);
  const current = (r: Role) => drafts[r.id] ?? r.permissions;
  const toggle = (r: Role, p: string, on: boolean) => {
    setSaved(undefined);
    const next = on ? [...current(r), p] : current(r).filter((x) => x !== p);
    setDrafts((d) => {
      const rest = { ...d };
      if (sameSet(next, r.permissions)) delete rest[r.id];
      else rest[r.id] = next;
      return rest;
    });
  };
  const save = async () => {
    setBusy(true);
    setFailure(undefined);
    const done: Role[] = [];
    try {
      for (const r of changed) {
        const perms = (drafts[r.id] ?? []) as PermissionName[];
        done.push(await call(api.PATCH("/api/v1/roles/{id}", { params: { path: { id: r.id } }, body: { permissions: perms } })));
        setDrafts((d) => {
          const rest = { ...d };
          delete rest[r.id];
          return rest;
        });
      }
      setSaved(`Saved the permissions of ${done.map((r) => r.name).join(", ")}.`);
    } catch (e) {
      const left = changed.slice(done.length).map((r) => r.name);
      setFailure(`${humane(e).message} Not saved: ${left.join(", ")}.`);
    } finally {
      onSaved(done);
      setBusy(false);
    }
  };
  const bar = dirty ? (
    <div className="form-actions">
      <Button variant="primary" busy={busy} onClick={() => void save()}>
        Save changes
      </Button>
      <Button disabled={busy} onClick={() => setDrafts({})}>
        Discard
      </Button>
      <span className="muted">Unsaved changes to {changed.map((r) => r.name).join(", ")}</span>
    </div>
  ) : null;
  return (
    <section>
      {failure ? <Alert>{failure}</Alert> : null}
      {saved ? <Alert kind="success">{saved}</Alert> : null}
      {bar}
      <div className="table-wrap" style={WRAP} tabIndex={0}>
        <table>
          <caption className="visually-hidden">Which permissions each role holds: one row per permission, one column per role</caption>
          <thead>
            <tr>
              <th scope="col" style={STICKY}>
                Permission
              </th>
              {roles.map((r) => (
                <th scope="col" key={r.id} style={CELL}>
                  {r.name}
                  <div>{r.system ? <span className="hint">System</span> : drafts[r.id] ? <Badge tone="warn">Unsaved</Badge> : <span className="hint">Custom</span>}</div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {permissions.map((p, i) => (
              <tr key={p.name}>
                <th scope="row" style={i === permissions.length - 1 ? { ...STICKY, borderBottom: 0 } : STICKY}>
                  <code>{p.name}</code>
                  <div className="hint">{p.description}</div>
                </th>
                {roles.map((r) => {
                  const has = current(r).includes(p.name);
                  const edited = has !== r.permissions.includes(p.name);
                  return (
                    <td key={r.id} style={edited ? CHANGED : CELL}>
                      {writable && !r.system ? (
                        <input type="checkbox" aria-label={`${r.name}: ${p.name}`} checked={has} disabled={busy} onChange={(e) => toggle(r, p.name, e.target.checked)} />
                      ) : has ? (
                        <>
                          <span aria-hidden="true">✓</span>
                          <span className="visually-hidden">Yes</span>
                        </>
                      ) : (
                        <>
                          <span aria-hidden="true" className="muted">
                            –
                          </span>
                          <span className="visually-hidden">No</span>
                        </>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {bar}
    </section>
  );
}

const NEW_ROLE = { name: "", description: "", permissions: [] as string[] };

/** Creates a custom role, or renames and describes one. */
function RoleDialog({
  open,
  role,
  roles,
  permissions,
  onClose,
  onSaved,
}: {
  open: boolean;
  role: Role | undefined;
  roles: Role[];
  permissions: Permission[];
  onClose: () => void;
  onSaved: (r: Role, created: boolean) => void;
}) {
  const form = useForm(NEW_ROLE, ["name", "description", "permissions"]);
  const formId = useId();
  useEffect(() => {
    if (open) form.reset(role ? { name: role.name, description: role.description, permissions: role.permissions } : NEW_ROLE);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, role?.id]);
  const close = () => {
    form.reset(NEW_ROLE);
    onClose();
  };
  const requestClose = askBeforeClosing(form.dirty, close);
  const v = form.values;
  return (
    <Dialog
      open={open}
      title={role ? `Edit ${role.name}` : "Create a role"}
      onClose={requestClose}
      footer={
        <>
          <Button onClick={requestClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy} disabled={Boolean(role) && !form.dirty}>
            {role ? "Save" : "Create role"}
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
          let saved: Role | undefined;
          void form
            .submit(async (x) => {
              try {
                saved = role
                  ? await call(api.PATCH("/api/v1/roles/{id}", { params: { path: { id: role.id } }, body: { name: x.name, description: x.description } }))
                  : await call(api.POST("/api/v1/roles", { body: { name: x.name, description: x.description, permissions: x.permissions as PermissionName[] } }));
              } catch (err) {
                throw humane(err);
              }
            })
            .then((ok) => {
              if (!ok || !saved) return showProblem(el);
              form.reset(NEW_ROLE);
              onSaved(saved, !role);
            });
        }}
      >
        {form.failure ? <Alert>{form.failure}</Alert> : null}
        <Field label="Name" hint="Unique in the company, up to 64 characters." error={form.errors.name}>
          {(p) => <input {...p} autoFocus maxLength={64} value={v.name} onChange={(e) => form.set("name", e.target.value)} />}
        </Field>
        <Field label="Description" hint="What people with this role do." error={form.errors.description}>
          {(p) => <textarea {...p} value={v.description} onChange={(e) => form.set("description", e.target.value)} />}
        </Field>
        {role ? (
          <p className="muted">Change its permissions in the matrix on the page.</p>
        ) : (
          <PermissionPicker roles={roles} permissions={permissions} value={v.permissions} onChange={(x) => form.set("permissions", x)} error={form.errors.permissions} />
        )}
      </form>
    </Dialog>
  );
}

function PermissionPicker({
  roles,
  permissions,
  value,
  onChange,
  error,
}: {
  roles: Role[];
  permissions: Permission[];
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  const id = useId();
  return (
    <fieldset className={error ? "field-error" : undefined} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Permissions</legend>
      <Field label="Start from" hint="Ticks the permissions of an existing role; adjust them below.">
        {(p) => (
          <select
            {...p}
            value=""
            onChange={(e) => {
              const from = roles.find((r) => r.id === e.target.value);
              if (from) onChange([...from.permissions]);
            }}
          >
            <option value="">Choose a role…</option>
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {permissions.map((p) => {
        const box = `${id}-${p.name}`;
        return (
          <div className="check" key={p.name}>
            <input
              id={box}
              type="checkbox"
              checked={value.includes(p.name)}
              aria-describedby={`${box}-hint`}
              onChange={(e) => onChange(e.target.checked ? [...value, p.name] : value.filter((x) => x !== p.name))}
            />
            <label htmlFor={box}>{p.name}</label>
            <p id={`${box}-hint`} className="hint">
              {p.description}
            </p>
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
