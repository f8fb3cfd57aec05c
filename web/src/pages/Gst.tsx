// GST: the company's compliance, each part a section of its own shown to
// those whose role allows it. E-invoicing (gst:settings): the IRP's (or
// GSP's) address, the API credentials (write-only: a stored secret is
// kept unless a new one is typed) and the IRP's public keys. The returns
// (gst:returns): GSTR-1 and GSTR-3B for a month.
import { useEffect, useState } from "react";
import { ApiError, api, call, type Problem, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDateTime } from "../format";
import { Alert, Button, Check, Field, PageHeader, States } from "../ui";
import { useForm, useLoad } from "../ui/hooks";
import { humaneProblem, showProblem } from "../ui/problems";
import { Gstr1Section, Gstr3bSection } from "../ledger/returns";

export default function Gst() {
  const { can } = useSession();
  const settings = can("gst:settings");
  const returns = can("gst:returns");
  const parts = [settings ? "its invoices registered with the IRP (e-invoicing)" : "", returns ? "its monthly returns (GSTR-1 and GSTR-3B)" : ""].filter(Boolean);
  return (
    <>
      <PageHeader title="GST" description={`How the company meets India's GST rules: ${parts.join(", and ")}.`} />
      {settings ? <EinvoicingSettings /> : null}
      {returns ? (
        <>
          <Gstr1Section />
          <Gstr3bSection />
        </>
      ) : null}
    </>
  );
}

type Settings = Schemas["EinvoiceSettings"];

interface Values {
  enabled: boolean;
  auto_generate: boolean;
  base_url: string;
  client_id: string;
  client_secret: string;
  username: string;
  password: string;
  encryption_key: string;
  signing_key: string;
  timeout_secs: string;
}

const FIELDS = ["enabled", "auto_generate", "base_url", "client_id", "client_secret", "username", "password", "encryption_key", "signing_key", "timeout_secs"];

const EMPTY: Values = {
  enabled: true,
  auto_generate: true,
  base_url: "",
  client_id: "",
  client_secret: "",
  username: "",
  password: "",
  encryption_key: "",
  signing_key: "",
  timeout_secs: "30",
};

const STORED = "Stored — leave blank to keep";

function valuesOf(s: Settings): Values {
  return {
    enabled: s.enabled,
    auto_generate: s.auto_generate,
    base_url: s.base_url,
    client_id: s.client_id,
    client_secret: "",
    username: s.username,
    password: "",
    encryption_key: s.encryption_key,
    signing_key: s.signing_key,
    timeout_secs: String(s.timeout_secs),
  };
}

function invalid(errors: { field: string; message: string }[]): ApiError {
  const problem = { type: "urn:tessera:problem:validation_failed", title: "Some fields need a fix", status: 422, code: "validation_failed", errors } as unknown as Problem;
  return new ApiError(422, problem, "Some fields need a fix.");
}

/** The settings to send: secrets only when typed (blank keeps the stored one). */
function toInput(v: Values): Schemas["EinvoiceSettingsInput"] {
  const timeout = v.timeout_secs.trim();
  if (!/^\d+$/.test(timeout)) throw invalid([{ field: "timeout_secs", message: "Give a whole number of seconds, 1 to 120." }]);
  return {
    enabled: v.enabled,
    auto_generate: v.auto_generate,
    base_url: v.base_url.trim(),
    client_id: v.client_id.trim(),
    username: v.username.trim(),
    encryption_key: v.encryption_key.trim(),
    signing_key: v.signing_key.trim(),
    timeout_secs: Number(timeout),
    ...(v.client_secret ? { client_secret: v.client_secret } : {}),
    ...(v.password ? { password: v.password } : {}),
  };
}

/** Whether the company's e-invoicing settings are stored yet (404 until they are). */
async function loadSettings(): Promise<Settings | null> {
  try {
    return await call(api.GET("/api/v1/gst/e-invoice/settings"));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function EinvoicingSettings() {
  const { timeZone } = useSession();
  const loaded = useLoad(loadSettings, []);
  const [current, setCurrent] = useState<Settings | null>(null);
  const [saved, setSaved] = useState(false);
  const form = useForm<Values>(EMPTY, FIELDS);
  useEffect(() => {
    if (loaded.data) {
      setCurrent(loaded.data);
      form.reset(valuesOf(loaded.data));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded.data]);
  const v = form.values;
  const err = form.errors;
  const text = (k: Exclude<keyof Values, "enabled" | "auto_generate">, label: string, extra: { hint?: string; type?: string; secret?: boolean } = {}) => (
    <Field label={label} hint={extra.hint} error={err[k]}>
      {(p) => (
        <input
          {...p}
          type={extra.secret ? "password" : (extra.type ?? "text")}
          autoComplete={extra.secret ? "new-password" : "off"}
          spellCheck={false}
          placeholder={extra.secret && (k === "client_secret" ? current?.has_client_secret : current?.has_password) ? STORED : undefined}
          value={v[k]}
          onChange={(e) => form.set(k, e.target.value)}
        />
      )}
    </Field>
  );
  const pem = (k: "encryption_key" | "signing_key", label: string, hint: string) => (
    <Field label={label} hint={hint} error={err[k]}>
      {(p) => (
        <textarea
          {...p}
          className="pem"
          rows={7}
          spellCheck={false}
          autoComplete="off"
          placeholder={"-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----"}
          value={v[k]}
          onChange={(e) => form.set(k, e.target.value)}
        />
      )}
    </Field>
  );
  const submit = async (el: HTMLFormElement) => {
    setSaved(false);
    let result: Settings | undefined;
    const ok = await form.submit(async (values) => {
      const body = toInput(values);
      try {
        result = await call(api.PUT("/api/v1/gst/e-invoice/settings", { body }));
      } catch (e) {
        throw humaneProblem(e);
      }
    });
    if (ok && result) {
      setCurrent(result);
      form.reset(valuesOf(result));
      setSaved(true);
    } else showProblem(el);
  };
  return (
    <section aria-labelledby="einvoicing-h">
      <h2 id="einvoicing-h">E-invoicing</h2>
      <p className="muted">
        Tax invoices, credit notes and debit notes to registered businesses are registered with the Invoice Registration Portal (IRP), which returns their IRN and signed QR
        code.
        {current ? ` Last changed ${formatDateTime(current.updated_at, timeZone)}.` : ""}
      </p>
      <States loading={loaded.loading} error={loaded.error} empty={loaded.data === undefined} emptyText="" onRetry={loaded.reload}>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void submit(e.currentTarget);
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          {saved && !form.dirty ? <Alert kind="success">The e-invoicing settings were saved.</Alert> : null}
          {!current && !saved ? <Alert kind="info">E-invoicing is not set up yet. The API credentials come from the e-invoice portal or your GSP.</Alert> : null}
          <Check
            label="Register invoices with the IRP"
            checked={v.enabled}
            onChange={(x) => form.set("enabled", x)}
            hint="Off: nothing is registered by itself; an IRN can still be generated from an invoice's page."
          />
          <Check
            label="Generate the IRN when an invoice is issued"
            checked={v.auto_generate}
            onChange={(x) => form.set("auto_generate", x)}
            hint="Off: generate it from the invoice's page when you choose."
          />
          {text("base_url", "IRP base URL", { type: "url", hint: "The IRP's or your GSP's API address, such as https://einv-apisandbox.nic.in." })}
          <fieldset>
            <legend>API credentials</legend>
            <p className="hint">The secret and the password are stored encrypted and never shown again.</p>
            <div className="grid-2">
              {text("client_id", "Client ID")}
              {text("client_secret", "Client secret", { secret: true })}
              {text("username", "API user name")}
              {text("password", "API password", { secret: true })}
            </div>
          </fieldset>
          <fieldset>
            <legend>IRP public keys</legend>
            {pem("encryption_key", "IRP encryption public key", "PEM. The login is encrypted with it.")}
            {pem("signing_key", "IRP signing public key", "PEM. The signed invoices and QR codes the IRP returns are verified with it.")}
          </fieldset>
          <Field label="Timeout (seconds)" hint="How long one request to the IRP may take, 1 to 120." error={err.timeout_secs}>
            {(p) => <input {...p} type="number" inputMode="numeric" min={1} max={120} value={v.timeout_secs} onChange={(e) => form.set("timeout_secs", e.target.value)} />}
          </Field>
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={form.busy} disabled={!form.dirty}>
              Save e-invoicing settings
            </Button>
          </div>
        </form>
      </States>
    </section>
  );
}
