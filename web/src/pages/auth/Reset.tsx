import { api, call } from "../../api/client";
import { Link, navigate, useLocation } from "../../router";
import { Alert, Button, Field } from "../../ui";
import { useForm } from "../../ui/hooks";

export default function Reset() {
  const { query } = useLocation();
  const token = query.get("token") ?? "";
  const form = useForm({ new_password: "" }, ["new_password", "token"]);
  document.title = "New password · Tessera";
  return (
    <div className="card">
      <h1>Choose a new password</h1>
      {!token ? <Alert>This link has no token. Open the link from the e-mail again, or ask for a new one.</Alert> : null}
      {form.failure || form.errors.token ? (
        <Alert>
          {form.errors.token ? "This link is used or expired. " : form.failure} <Link href="/password/forgot">Ask for a new link</Link>
        </Alert>
      ) : null}
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void form.submit(async (v) => {
            await call(api.POST("/api/v1/auth/password/reset", { body: { token, new_password: v.new_password } }));
            navigate("/login?reset=1");
          });
        }}
      >
        <Field label="New password" hint="At least 10 characters and hard to guess. Every session of the account ends." error={form.errors.new_password}>
          {(p) => <input {...p} type="password" required autoComplete="new-password" value={form.values.new_password} onChange={(e) => form.set("new_password", e.target.value)} />}
        </Field>
        <Button type="submit" variant="primary" busy={form.busy} disabled={!token}>
          Set the password
        </Button>
      </form>
    </div>
  );
}
