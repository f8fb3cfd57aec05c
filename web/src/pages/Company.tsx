import { useEffect } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Alert, Button, Field, PageHeader, States } from "../ui";
import { useForm, useLoad } from "../ui/hooks";

type Tenant = Schemas["Tenant"];

const FIELDS: string[] = ["name", "industry", "gstin", "state", "currency", "time_zone", "settings.requests_per_minute", "settings.api_key_requests_per_minute"];

function values(t: Tenant) {
  return {
    name: t.name,
    industry: t.industry ?? "",
    gstin: t.gstin ?? "",
    state: t.state ?? "",
    currency: t.currency,
    time_zone: t.time_zone,
    "settings.requests_per_minute": String(t.settings.requests_per_minute),
    "settings.api_key_requests_per_minute": String(t.settings.api_key_requests_per_minute),
  };
}

export default function Company() {
  const { can, reload } = useSession();
  const tenant = useLoad(() => call(api.GET("/api/v1/tenant")), []);
  const form = useForm(values(EMPTY), FIELDS);
  const editable = can("tenant:write");
  useEffect(() => {
    if (tenant.data) form.reset(values(tenant.data));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tenant.data]);
  const v = form.values;
  const text = (key: keyof typeof v, label: string, hint?: string, type = "text") => (
    <Field label={label} hint={hint} error={form.errors[key]}>
      {(p) => <input {...p} type={type} readOnly={!editable} value={v[key]} onChange={(e) => form.set(key, e.target.value)} />}
    </Field>
  );
  return (
    <>
      <PageHeader title="Company" description="The company's profile and the platform's limits for it." />
      <States loading={tenant.loading} error={tenant.error} empty={!tenant.data} emptyText="" onRetry={tenant.reload}>
        <form
          className="card"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void form.submit(async (x) => {
              const saved = await call(
                api.PATCH("/api/v1/tenant", {
                  body: {
                    name: x.name,
                    industry: x.industry,
                    gstin: x.gstin,
                    state: x.state as Schemas["UpdateTenant"]["state"],
                    currency: x.currency,
                    time_zone: x.time_zone as Schemas["TimeZone"],
                    settings: {
                      requests_per_minute: Number(x["settings.requests_per_minute"]),
                      api_key_requests_per_minute: Number(x["settings.api_key_requests_per_minute"]),
                    },
                  },
                }),
              );
              form.reset(values(saved));
              await reload();
            });
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          {!editable ? <Alert kind="info">You can see the company's settings; changing them needs the tenant:write permission.</Alert> : null}
          <h2>Profile</h2>
          <div className="grid-2">
            {text("name", "Name")}
            {text("industry", "Industry")}
            {text("gstin", "GSTIN", "Empty clears it; its state becomes the company's.")}
            {text("state", "GST state", "Code (27) or name (Maharashtra).")}
            {text("currency", "Currency", "ISO 4217, e.g. INR.")}
            {text("time_zone", "Time zone", "IANA, e.g. Asia/Kolkata: dates in the console are shown in it.")}
          </div>
          <h2>Limits</h2>
          <div className="grid-2">
            {text("settings.requests_per_minute", "Requests per minute (whole company)", undefined, "number")}
            {text("settings.api_key_requests_per_minute", "Requests per minute (each API key)", undefined, "number")}
          </div>
          {editable ? (
            <div className="form-actions">
              <Button type="submit" variant="primary" busy={form.busy} disabled={!form.dirty}>
                Save changes
              </Button>
              {form.dirty ? <span className="muted">Unsaved changes</span> : null}
            </div>
          ) : null}
        </form>
      </States>
    </>
  );
}

const EMPTY: Tenant = {
  id: "",
  name: "",
  slug: "",
  currency: "INR",
  time_zone: "Asia/Kolkata",
  created_at: "",
  updated_at: "",
  settings: { requests_per_minute: 0, api_key_requests_per_minute: 0 },
} as Tenant;
