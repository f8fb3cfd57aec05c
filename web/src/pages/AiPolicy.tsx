// Routing & budget: which providers serve each task and in what order,
// the local/cloud split for calls without a route, and the monthly budget
// in USD with this month's spend against it.
import { useEffect, useRef, useState } from "react";
import { ApiError, api, call, type Problem, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Link } from "../router";
import { Alert, Badge, Button, Field, PageHeader, States } from "../ui";
import { BudgetMeter } from "../ui/charts";
import { useForm, useLoad, type FormState, type Loaded } from "../ui/hooks";

type Policy = Schemas["Policy"];

interface RouteRow {
  id: number;
  task: string;
  providers: string[];
}

interface Values {
  cloud_share: number;
  routes: RouteRow[];
  monthly_budget: string;
  soft_limit_pct: string;
}

/** Tasks the platform routes by, with what uses them. */
const TASKS: { task: string; use: string }[] = [
  { task: "chat", use: "the Playground and /v1 calls without X-Tessera-Task" },
  { task: "*", use: "any task without its own route (not embeddings)" },
  { task: "embed", use: "embeddings" },
  { task: "answer", use: "answers" },
  { task: "classify", use: "classification" },
  { task: "summarise", use: "summaries" },
];

let nextId = 1;

/** "50.0000" → "50", "12.5000" → "12.5". */
function plainDecimal(s: string | null | undefined): string {
  if (!s) return "";
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

function valuesOf(p: Policy): Values {
  const routes = Object.entries((p.routes ?? {}) as unknown as Record<string, string[]>).map(([task, providers]) => ({
    id: nextId++,
    task,
    providers: Array.isArray(providers) ? providers : [],
  }));
  return { cloud_share: p.cloud_share, routes, monthly_budget: plainDecimal(p.monthly_budget), soft_limit_pct: String(p.soft_limit_pct) };
}

const EMPTY: Values = { cloud_share: 30, routes: [], monthly_budget: "", soft_limit_pct: "80" };

function invalid(errors: { field: string; message: string }[]): ApiError {
  const problem = { type: "urn:tessera:problem:validation_failed", title: "Some fields need a fix", status: 422, code: "validation_failed", errors } as unknown as Problem;
  return new ApiError(422, problem, "Some fields need a fix.");
}

/** The policy to send, or the fields at fault. */
function toInput(x: Values): Schemas["PolicyInput"] {
  const errors: { field: string; message: string }[] = [];
  const budget = x.monthly_budget.trim().replace(/,/g, "");
  if (budget && !/^\d+(\.\d+)?$/.test(budget)) {
    errors.push({ field: "monthly_budget", message: "Give an amount in US dollars, such as 50 or 12.50, or leave it empty for no budget." });
  }
  const soft = x.soft_limit_pct.trim();
  if (!/^\d+$/.test(soft) || Number(soft) < 1 || Number(soft) > 100) {
    errors.push({ field: "soft_limit_pct", message: "Give a whole percent from 1 to 100." });
  }
  const routes: Record<string, string[]> = {};
  for (const r of x.routes) {
    const task = r.task.trim();
    if (!task && r.providers.length === 0) continue;
    if (!task) errors.push({ field: "routes.", message: "Name the task this route is for." });
    else if (task in routes) errors.push({ field: `routes.${task}`, message: "This task has two routes; keep one." });
    else if (r.providers.length === 0) errors.push({ field: `routes.${task}`, message: "Add at least one provider, or remove the route." });
    routes[task] = r.providers;
  }
  if (errors.length) throw invalid(errors);
  return { cloud_share: x.cloud_share, routes, monthly_budget: budget || null, soft_limit_pct: Number(soft) };
}

interface Choice {
  name: string;
  note: string;
}

/** Names a route may use: the company's providers, the server's, and `local`. */
async function choices(canUse: boolean): Promise<Choice[]> {
  const [own, models] = await Promise.all([
    call(api.GET("/api/v1/ai/providers")),
    canUse ? call(api.GET("/v1/models")).catch(() => null) : Promise.resolve(null),
  ]);
  const out: Choice[] = [{ name: "local", note: "built-in models" }];
  for (const p of own) out.push({ name: p.name, note: `${p.locality}${p.enabled ? "" : ", disabled"}` });
  for (const m of models?.data ?? []) {
    if (m.owned_by && m.id !== "auto" && !out.some((c) => c.name === m.owned_by)) out.push({ name: m.owned_by, note: "the server's" });
  }
  return out;
}

export default function AiPolicy() {
  const { can } = useSession();
  const loaded = useLoad(() => call(api.GET("/api/v1/ai/policy")), []);
  const names = useLoad(() => choices(can("ai:use")), []);
  const usage = useLoad(() => (can("ai_usage:read") ? call(api.GET("/api/v1/ai/usage")) : Promise.resolve(null)), []);
  const [current, setCurrent] = useState<Policy>();
  const [saved, setSaved] = useState(false);
  // The fields the server may name, each route's included (read at submit).
  const fields = useRef<string[]>([]).current;
  const form = useForm<Values>(EMPTY, fields);
  const v = form.values;
  fields.splice(0, fields.length, ...fieldsOf(v));

  useEffect(() => {
    if (loaded.data) {
      setCurrent(loaded.data);
      form.reset(valuesOf(loaded.data));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded.data]);

  const submit = () => {
    setSaved(false);
    let result: Policy | undefined;
    void form
      .submit(async (x) => {
        result = await call(api.PUT("/api/v1/ai/policy", { body: toInput(x) }));
      })
      .then((ok) => {
        if (ok && result) {
          setCurrent(result);
          form.reset(valuesOf(result));
          setSaved(true);
          usage.reload();
        }
      });
  };

  return (
    <>
      <PageHeader title="Routing & budget" description="Which models serve each task, how calls split between local and cloud, and how much the company may spend on cloud models each month." />
      <States loading={loaded.loading} error={loaded.error} empty={!current} emptyText="" onRetry={loaded.reload}>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          {form.failure ? <Alert>{form.failure}</Alert> : null}
          {saved && !form.dirty ? <Alert kind="success">The policy was saved.</Alert> : null}
          <section className="card" aria-labelledby="split-h">
            <h2 id="split-h" style={{ marginTop: 0 }}>Local and cloud</h2>
            <CloudShare form={form} />
          </section>
          <section className="card" aria-labelledby="routes-h">
            <h2 id="routes-h" style={{ marginTop: 0 }}>Routes</h2>
            <p className="muted">
              A route sends a task to the providers you list, in order: the first that answers serves the call, the rest are fallbacks. Tasks
              without a route use the split above; embeddings without a route use the local model. Model endpoints are set up in the{" "}
              <Link href="/ai/providers">provider list</Link>.
            </p>
            {names.error ? <Alert kind="warning">The provider names could not be loaded: {names.error.message}</Alert> : null}
            <Routes form={form} choices={names.data ?? [{ name: "local", note: "built-in models" }]} />
          </section>
          <section className="card" aria-labelledby="budget-h">
            <h2 id="budget-h" style={{ marginTop: 0 }}>Budget</h2>
            <div className="grid-2">
              <Field
                label="Monthly budget (USD)"
                hint="Empty: no budget. Past it, only local models are used until the month ends (UTC)."
                error={form.errors.monthly_budget}
              >
                {(p) => <input {...p} inputMode="decimal" autoComplete="off" placeholder="No budget" value={v.monthly_budget} onChange={(e) => form.set("monthly_budget", e.target.value)} />}
              </Field>
              <Field label="Soft limit (% of the budget)" hint="Past it, this page and Usage warn, and answers carry X-Tessera-Budget: soft-limit." error={form.errors.soft_limit_pct}>
                {(p) => <input {...p} type="number" min={1} max={100} step={1} inputMode="numeric" value={v.soft_limit_pct} onChange={(e) => form.set("soft_limit_pct", e.target.value)} />}
              </Field>
            </div>
            <h3>This month</h3>
            <MonthState usage={usage} current={current} />
          </section>
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={form.busy}>
              Save policy
            </Button>
            {form.dirty ? (
              <>
                <Button onClick={() => current && form.reset(valuesOf(current))}>Undo changes</Button>
                <span className="muted">Unsaved changes</span>
              </>
            ) : null}
          </div>
        </form>
      </States>
    </>
  );
}

function fieldsOf(v: Values): string[] {
  return ["cloud_share", "monthly_budget", "soft_limit_pct", ...v.routes.map((r) => `routes.${r.task.trim()}`), "routes"];
}

function MonthState({ usage, current }: { usage: Loaded<Schemas["UsageReport"] | null>; current?: Policy }) {
  if (usage.error) return <Alert kind="warning">This month's spend could not be loaded: {usage.error.message}</Alert>;
  if (usage.data === null) return <p className="muted">Seeing this month's spend needs the ai_usage:read permission.</p>;
  if (!usage.data || !current) return <p className="muted">Loading this month's spend…</p>;
  return (
    <BudgetMeter
      spend={usage.data.month_spend}
      budget={current.monthly_budget}
      softPct={current.soft_limit_pct}
      action={
        <p>
          <Link href="/ai/usage">See the spend by day and model</Link>
        </p>
      }
    />
  );
}

function CloudShare({ form }: { form: FormState<Values> }) {
  const share = form.values.cloud_share;
  const meaning = `${share} % of calls try cloud providers first, ${100 - share} % try local first`;
  return (
    <Field
      label="Cloud share"
      hint="For calls without a route that both a local and a cloud model can serve: the share sent to cloud providers first (the other side is the fallback). 0 %: always local first; 100 %: always cloud first."
      error={form.errors.cloud_share}
    >
      {(p) => (
        <div className="row">
          <input
            {...p}
            type="range"
            min={0}
            max={100}
            step={1}
            value={share}
            aria-valuetext={meaning}
            onChange={(e) => form.set("cloud_share", Number(e.target.value))}
            style={{ flex: "1 1 12rem", width: "auto" }}
          />
          <output htmlFor={p.id}>
            <strong>{share} %</strong> cloud · {100 - share} % local
          </output>
        </div>
      )}
    </Field>
  );
}

function Routes({ form, choices }: { form: FormState<Values>; choices: Choice[] }) {
  const rows = form.values.routes;
  const setRow = (id: number, patch: Partial<RouteRow>) => form.set("routes", rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  // Names a stored route uses stay choosable even if no provider has them now.
  const all = [...choices, ...rows.flatMap((r) => r.providers).filter((n, i, a) => a.indexOf(n) === i && !choices.some((c) => c.name === n)).map((name) => ({ name, note: "unknown" }))];
  return (
    <>
      <datalist id="ai-tasks">
        {TASKS.map((t) => (
          <option key={t.task} value={t.task}>
            {t.use}
          </option>
        ))}
      </datalist>
      {rows.length === 0 ? <p className="empty">No routes: every task uses the local/cloud split.</p> : null}
      {rows.length > 0 ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Routes table">
          <table>
            <caption className="visually-hidden">Routes: task and the providers tried for it, in order</caption>
            <thead>
              <tr>
                <th scope="col" style={{ width: "35%" }}>Task</th>
                <th scope="col">Providers, in order</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <RouteEditor
                  key={r.id}
                  row={r}
                  index={i}
                  choices={all}
                  error={form.errors[`routes.${r.task.trim()}`]}
                  onChange={(patch) => setRow(r.id, patch)}
                  onRemove={() => form.set("routes", rows.filter((x) => x.id !== r.id))}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {form.errors.routes ? <p className="error-text">{form.errors.routes}</p> : null}
      <div className="form-actions">
        <Button onClick={() => form.set("routes", [...rows, { id: nextId++, task: rows.some((r) => r.task === "chat") ? "" : "chat", providers: [] }])}>Add a route</Button>
      </div>
    </>
  );
}

// Compact buttons for the order controls (still 30 px tall to tap).
const SMALL = { padding: ".2rem .55rem", minHeight: "2rem" } as const;

function RouteEditor({
  row,
  index,
  choices,
  error,
  onChange,
  onRemove,
}: {
  row: RouteRow;
  index: number;
  choices: Choice[];
  error?: string;
  onChange: (patch: Partial<RouteRow>) => void;
  onRemove: () => void;
}) {
  const task = row.task.trim() || `route ${index + 1}`;
  const errorId = `route-${row.id}-error`;
  const move = (i: number, by: number) => {
    const list = [...row.providers];
    const [name] = list.splice(i, 1);
    if (name === undefined) return;
    list.splice(i + by, 0, name);
    onChange({ providers: list });
  };
  const left = choices.filter((c) => !row.providers.includes(c.name));
  const use = TASKS.find((t) => t.task === row.task.trim())?.use;
  return (
    <tr>
      <td style={{ minWidth: "9rem" }}>
        <input
          aria-label={`Task of route ${index + 1}`}
          list="ai-tasks"
          value={row.task}
          placeholder="chat"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          onChange={(e) => onChange({ task: e.target.value })}
        />
        {use ? <p className="hint">For {use}.</p> : null}
        {error ? <p id={errorId} className="error-text">{error}</p> : null}
      </td>
      <td style={{ minWidth: "14rem" }}>
        {row.providers.length > 0 ? (
          <ol className="stack" style={{ margin: "0 0 .5rem", paddingLeft: "1.25rem" }}>
            {row.providers.map((name, i) => (
              <li key={name}>
                <div className="row">
                  <code>{name}</code>
                  {choices.find((c) => c.name === name)?.note === "unknown" ? <Badge tone="warn">unknown</Badge> : null}
                  <Button variant="ghost" style={SMALL} aria-label={`Try ${name} earlier for ${task}`} disabled={i === 0} onClick={() => move(i, -1)}>
                    ↑
                  </Button>
                  <Button variant="ghost" style={SMALL} aria-label={`Try ${name} later for ${task}`} disabled={i === row.providers.length - 1} onClick={() => move(i, 1)}>
                    ↓
                  </Button>
                  <Button variant="ghost" style={SMALL} aria-label={`Take ${name} out of ${task}`} onClick={() => onChange({ providers: row.providers.filter((n) => n !== name) })}>
                    ×
                  </Button>
                </div>
              </li>
            ))}
          </ol>
        ) : (
          <p className="muted">No providers yet.</p>
        )}
        {left.length > 0 ? (
          <select
            aria-label={`Add a provider to ${task}`}
            value=""
            onChange={(e) => {
              if (e.target.value) onChange({ providers: [...row.providers, e.target.value] });
            }}
          >
            <option value="">Add a provider…</option>
            {left.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.note})
              </option>
            ))}
          </select>
        ) : null}
      </td>
      <td>
        <Button variant="ghost" aria-label={`Remove the route for ${task}`} onClick={onRemove}>
          Remove
        </Button>
      </td>
    </tr>
  );
}
