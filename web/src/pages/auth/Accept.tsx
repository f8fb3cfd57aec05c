import { useSession } from "../../auth/session";
import { Link, navigate, useLocation } from "../../router";
import { Alert, Button, Field } from "../../ui";
import { useForm } from "../../ui/hooks";

export default function Accept() {
  const { acceptInvitation, state } = useSession();
  const { query } = useLocation();
  const token = query.get("token") ?? "";
  const form = useForm({ name: "", password: "" }, ["name", "password", "token"]);
  document.title = "Join a company · Tessera";
  return (
    <div className="card">
      <h1>Join your team on Tessera</h1>
      {state.status === "in" ? (
        <Alert kind="info">You are signed in as {state.me.user?.email}. Accepting signs you in as the invited person.</Alert>
      ) : null}
      {!token ? <Alert>This link has no token. Open the link from the invitation e-mail again.</Alert> : null}
      {form.errors.token ? <Alert>This invitation is used, revoked or expired. Ask the person who invited you for a new one.</Alert> : null}
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      <p className="muted">New to Tessera? Choose your name and a password. If you have an account, enter its password.</p>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void form.submit(async (v) => {
            await acceptInvitation({ token, name: v.name || null, password: v.password || null });
            navigate("/", { replace: true });
          });
        }}
      >
        <Field label="Your name" error={form.errors.name}>
          {(p) => <input {...p} autoComplete="name" value={form.values.name} onChange={(e) => form.set("name", e.target.value)} />}
        </Field>
        <Field label="Password" hint="At least 10 characters and hard to guess." error={form.errors.password}>
          {(p) => <input {...p} type="password" required autoComplete="new-password" value={form.values.password} onChange={(e) => form.set("password", e.target.value)} />}
        </Field>
        <Button type="submit" variant="primary" busy={form.busy} disabled={!token}>
          Join
        </Button>
      </form>
      <p>
        <Link href="/login">Sign in instead</Link>
      </p>
    </div>
  );
}
