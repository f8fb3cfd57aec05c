import { useState } from "react";
import { api, call } from "../../api/client";
import { Link } from "../../router";
import { Alert, Button, Field } from "../../ui";
import { useForm } from "../../ui/hooks";

export default function Forgot() {
  const [sent, setSent] = useState(false);
  const form = useForm({ email: "" }, ["email"]);
  document.title = "Forgotten password · Tessera";
  return (
    <div className="card">
      <h1>Forgotten password</h1>
      {sent ? (
        <Alert kind="success">If an account has this address, a link to choose a new password is on its way. It works for an hour.</Alert>
      ) : (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void form.submit(async (v) => {
              await call(api.POST("/api/v1/auth/password/reset-request", { body: { email: v.email } }));
              setSent(true);
            });
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          <Field label="E-mail address" error={form.errors.email}>
            {(p) => <input {...p} type="email" required autoComplete="email" value={form.values.email} onChange={(e) => form.set("email", e.target.value)} />}
          </Field>
          <Button type="submit" variant="primary" busy={form.busy}>
            Send the link
          </Button>
        </form>
      )}
      <p>
        <Link href="/login">Back to sign-in</Link>
      </p>
    </div>
  );
}
