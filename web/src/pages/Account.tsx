import { api, call } from "../api/client";
import { COOKIE_SESSION } from "../api/client";
import { useMe, useSession } from "../auth/session";
import { Alert, Button, Field, PageHeader } from "../ui";
import { useForm } from "../ui/hooks";
import { useState } from "react";

export default function Account() {
  const { me } = useMe();
  const { reload } = useSession();
  const profile = useForm({ name: me.user?.name ?? "" }, ["name"]);
  const password = useForm({ current_password: "", new_password: "" }, ["current_password", "new_password"]);
  const [changed, setChanged] = useState(false);
  return (
    <>
      <PageHeader title="Your account" description={me.user?.email} />
      <form
        className="card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void profile.submit(async (v) => {
            await call(api.PATCH("/api/v1/me", { body: { name: v.name } }));
            await reload();
          });
        }}
      >
        <h2>Profile</h2>
        {profile.failure ? <Alert>{profile.failure}</Alert> : null}
        <Field label="Name" error={profile.errors.name}>
          {(p) => <input {...p} autoComplete="name" value={profile.values.name} onChange={(e) => profile.set("name", e.target.value)} />}
        </Field>
        <Button type="submit" variant="primary" busy={profile.busy} disabled={!profile.dirty}>
          Save
        </Button>
      </form>
      <form
        className="card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setChanged(false);
          void password
            .submit(async (v) => {
              await call(api.POST("/api/v1/auth/password", { params: { header: COOKIE_SESSION }, body: v }));
            })
            .then((ok) => {
              if (ok) {
                password.reset({ current_password: "", new_password: "" });
                setChanged(true);
              }
            });
        }}
      >
        <h2>Password</h2>
        <p className="muted">Changing it signs you out everywhere else.</p>
        {changed ? <Alert kind="success">Your password was changed.</Alert> : null}
        {password.failure ? <Alert>{password.failure}</Alert> : null}
        <Field label="Current password" error={password.errors.current_password}>
          {(p) => <input {...p} type="password" autoComplete="current-password" value={password.values.current_password} onChange={(e) => password.set("current_password", e.target.value)} />}
        </Field>
        <Field label="New password" hint="At least 10 characters and hard to guess." error={password.errors.new_password}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={password.values.new_password} onChange={(e) => password.set("new_password", e.target.value)} />}
        </Field>
        <Button type="submit" variant="primary" busy={password.busy}>
          Change password
        </Button>
      </form>
    </>
  );
}
