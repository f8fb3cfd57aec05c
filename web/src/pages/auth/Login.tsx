import { useState } from "react";
import { useSession } from "../../auth/session";
import { Link, useLocation } from "../../router";
import { Alert, Button, Field } from "../../ui";
import { useForm } from "../../ui/hooks";

export default function Login() {
  const { state, login } = useSession();
  const { query } = useLocation();
  const [pickCompany, setPickCompany] = useState(Boolean(query.get("company")));
  const form = useForm({ email: "", password: "", slug: query.get("company") ?? "" }, ["email", "password", "slug"]);
  const ended = state.status === "out" ? state.message : undefined;
  document.title = "Sign in · Tessera";

  return (
    <div className="card">
      <h1>Sign in to Tessera</h1>
      {ended ? <Alert kind="warning">{ended}</Alert> : null}
      {query.get("reset") ? <Alert kind="success">Your password was changed. Sign in with the new one.</Alert> : null}
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void form.submit((v) => login(v.email, v.password, pickCompany ? v.slug : undefined));
        }}
        noValidate
      >
        <Field label="E-mail address" error={form.errors.email}>
          {(p) => (
            <input {...p} type="email" autoComplete="username" required value={form.values.email} onChange={(e) => form.set("email", e.target.value)} />
          )}
        </Field>
        <Field label="Password" error={form.errors.password}>
          {(p) => (
            <input {...p} type="password" autoComplete="current-password" required value={form.values.password} onChange={(e) => form.set("password", e.target.value)} />
          )}
        </Field>
        {pickCompany ? (
          <Field label="Company (its URL name)" hint="Leave empty for the company you used last." error={form.errors.slug}>
            {(p) => <input {...p} value={form.values.slug} onChange={(e) => form.set("slug", e.target.value)} />}
          </Field>
        ) : (
          <p>
            <button type="button" className="btn btn-ghost" onClick={() => setPickCompany(true)}>
              Sign in to a particular company
            </button>
          </p>
        )}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.busy}>
            Sign in
          </Button>
          <Link href="/password/forgot">Forgot your password?</Link>
        </div>
      </form>
      <p>
        New to Tessera? <Link href="/signup">Create your company</Link>
      </p>
    </div>
  );
}
