import type { Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { Link } from "../../router";
import { Alert, Button, Field } from "../../ui";
import { useForm } from "../../ui/hooks";

const FIELDS = ["company_name", "name", "email", "password", "gstin", "time_zone"] as const;

export default function Signup() {
  const { signup } = useSession();
  const form = useForm(
    { company_name: "", name: "", email: "", password: "", gstin: "", time_zone: "Asia/Kolkata" },
    [...FIELDS],
  );
  document.title = "Create a company · Tessera";
  return (
    <div className="card">
      <h1>Create your company</h1>
      <p className="muted">You become its owner; invite your team afterwards.</p>
      {form.failure ? <Alert>{form.failure}</Alert> : null}
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void form.submit((v) =>
            signup({
              company_name: v.company_name,
              name: v.name || null,
              email: v.email,
              password: v.password,
              gstin: v.gstin || null,
              time_zone: (v.time_zone || null) as Schemas["TimeZone"] | null,
            }),
          );
        }}
      >
        <Field label="Company name" error={form.errors.company_name}>
          {(p) => <input {...p} required autoComplete="organization" value={form.values.company_name} onChange={(e) => form.set("company_name", e.target.value)} />}
        </Field>
        <Field label="Your name" error={form.errors.name}>
          {(p) => <input {...p} autoComplete="name" value={form.values.name} onChange={(e) => form.set("name", e.target.value)} />}
        </Field>
        <Field label="E-mail address" hint="You sign in with it." error={form.errors.email}>
          {(p) => <input {...p} type="email" required autoComplete="email" value={form.values.email} onChange={(e) => form.set("email", e.target.value)} />}
        </Field>
        <Field label="Password" hint="At least 10 characters; a few words are easier to remember and harder to guess." error={form.errors.password}>
          {(p) => <input {...p} type="password" required autoComplete="new-password" value={form.values.password} onChange={(e) => form.set("password", e.target.value)} />}
        </Field>
        <Field label="GSTIN (optional)" hint="Its state becomes the company's state." error={form.errors.gstin}>
          {(p) => <input {...p} value={form.values.gstin} onChange={(e) => form.set("gstin", e.target.value.toUpperCase())} />}
        </Field>
        <Field label="Time zone" error={form.errors.time_zone}>
          {(p) => <input {...p} value={form.values.time_zone} onChange={(e) => form.set("time_zone", e.target.value)} />}
        </Field>
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.busy}>
            Create company
          </Button>
          <Link href="/login">I already have an account</Link>
        </div>
      </form>
    </div>
  );
}
