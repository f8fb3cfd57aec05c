// Concierge analytics: conversations per day and channel, how fast they
// are answered and resolved, how many the bot resolved alone and how many
// went to a person, ratings, the most frequent intents, and the questions
// the documents do not answer (so documents can be added for them). Days
// are UTC days, as the server counts them; the range is in the query string.
import type { ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDuration, kindLabel } from "../concierge/forms";
import { dayIn, formatDate, formatDateTime, formatNumber } from "../format";
import { Link, setQuery, useLocation } from "../router";
import { Field, PageHeader, States } from "../ui";
import { BarChart, formatPct, type Datum } from "../ui/charts";
import { useLoad } from "../ui/hooks";

type Analytics = Schemas["ConciergeAnalytics"];

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const isDay = (d: string | null): d is string => !!d && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d));
const shortDay = new Intl.DateTimeFormat("en-IN", { day: "numeric", month: "short", timeZone: "UTC" });
const CHANNELS = ["whatsapp", "instagram", "web"];

export default function ConciergeAnalytics() {
  const { query } = useLocation();
  const today = dayIn(new Date().toISOString(), "UTC");
  const from = isDay(query.get("from")) ? (query.get("from") as string) : addDays(today, -29);
  const to = isDay(query.get("to")) ? (query.get("to") as string) : today;
  const rangeError = from > to ? "The end is before the start." : undefined;
  const report = useLoad(() => (rangeError ? Promise.resolve(null) : call(api.GET("/api/v1/concierge/analytics", { params: { query: { from, to } } }))), [from, to, rangeError]);
  const serverFields = report.error?.fields() ?? {};
  const a = report.data;
  return (
    <>
      <PageHeader title="Concierge analytics" description="How customers' conversations went: answered by the bot from your documents, or handed to a person. Days are UTC days." />
      <form className="card filters" role="search" aria-label="Period" onSubmit={(e) => e.preventDefault()}>
        <Field label="From" error={serverFields.from}>
          {(p) => <input {...p} type="date" value={from} max={to} required onChange={(e) => setQuery({ from: e.target.value || null })} />}
        </Field>
        <Field label="To" error={rangeError ?? serverFields.to}>
          {(p) => <input {...p} type="date" value={to} min={from} required onChange={(e) => setQuery({ to: e.target.value || null })} />}
        </Field>
        <div className="row" role="group" aria-label="Quick ranges">
          {[7, 30, 90].map((n) => {
            const f = addDays(today, 1 - n);
            return (
              <button key={n} type="button" className="btn btn-ghost" aria-pressed={f === from && to === today} onClick={() => setQuery({ from: f, to: today })}>
                Last {n} days
              </button>
            );
          })}
        </div>
      </form>
      {rangeError ? null : (
        <States loading={report.loading} error={Object.keys(serverFields).length ? undefined : report.error} empty={!a} emptyText="" onRetry={report.reload}>
          {a ? <Report a={a} /> : null}
        </States>
      )}
    </>
  );
}

function Figure({ label, value, note }: { label: string; value: ReactNode; note?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className="figure">{value}</dd>
      {note ? <dd className="hint">{note}</dd> : null}
    </div>
  );
}

function Report({ a }: { a: Analytics }) {
  const { timeZone } = useSession();
  const share = (n: number) => (a.conversations ? `${formatPct((n / a.conversations) * 100)} of conversations` : undefined);
  return (
    <>
      <section className="card" aria-labelledby="headline-h">
        <h2 id="headline-h" className="card-title">
          {formatDate(`${a.from}T12:00:00Z`, "UTC")} to {formatDate(`${a.to}T12:00:00Z`, "UTC")}
        </h2>
        <dl className="figures">
          <Figure label="Conversations" value={formatNumber(a.conversations)} />
          <Figure label="Median first response" value={formatDuration(a.first_response_p50_secs)} />
          <Figure label="Median time to resolve" value={formatDuration(a.resolution_p50_secs)} />
          <Figure label="Resolved by the bot" value={formatNumber(a.bot_resolved)} note={share(a.bot_resolved)} />
          <Figure label="Handed to a person" value={formatNumber(a.handed_off)} note={share(a.handed_off)} />
          <Figure label="Handoff rate" value={a.handoff_rate === null || a.handoff_rate === undefined ? "—" : formatPct(a.handoff_rate * 100)} />
          <Figure
            label="Customer rating"
            value={a.csat_average === null || a.csat_average === undefined ? "—" : `${a.csat_average.toFixed(1)} / 5`}
            note={`${formatNumber(a.csat_responses)} ${a.csat_responses === 1 ? "rating" : "ratings"}`}
          />
        </dl>
      </section>
      <PerDay a={a} />
      <section aria-labelledby="intents-h">
        <h2 id="intents-h">Top intents</h2>
        {a.top_intents.length === 0 ? (
          <p className="empty">No messages in this period.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">The most frequent intents of customers' messages</caption>
              <thead>
                <tr>
                  <th scope="col">Intent</th>
                  <th scope="col" className="num">
                    Messages
                  </th>
                </tr>
              </thead>
              <tbody>
                {a.top_intents.map((i) => (
                  <tr key={i.intent}>
                    <td>{i.intent === "none" ? <span className="muted">No intent matched</span> : <code>{i.intent}</code>}</td>
                    <td className="num">{formatNumber(i.messages)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="unanswered-h">
        <h2 id="unanswered-h">Questions your documents don't answer</h2>
        <p className="muted">
          Customers asked these and the bot found nothing in your documents (similar wordings are counted together). <Link href="/documents">Add documents</Link> that answer them.
        </p>
        {a.unanswered.length === 0 ? (
          <p className="empty">Every question in this period was answered from your documents.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Questions the documents do not answer, most asked first</caption>
              <thead>
                <tr>
                  <th scope="col">Question</th>
                  <th scope="col" className="num">
                    Times asked
                  </th>
                  <th scope="col">Last asked</th>
                </tr>
              </thead>
              <tbody>
                {a.unanswered.map((u) => (
                  <tr key={u.question}>
                    <td>{u.question}</td>
                    <td className="num">{formatNumber(u.count)}</td>
                    <td>{formatDateTime(u.last_asked_at, timeZone)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/** One chart of conversations per day for each channel kind that had any, and the same numbers in a table. */
function PerDay({ a }: { a: Analytics }) {
  const kinds = [...new Set(a.per_day.map((d) => d.channel))].sort((x, y) => CHANNELS.indexOf(x) - CHANNELS.indexOf(y));
  const days: string[] = [];
  for (let d = a.from; d <= a.to && days.length <= 400; d = addDays(d, 1)) days.push(d);
  const count = (day: string, kind: string) => a.per_day.find((x) => x.day === day && x.channel === kind)?.conversations ?? 0;
  const busy = days.filter((d) => kinds.some((k) => count(d, k) > 0));
  return (
    <section className="card" aria-labelledby="per-day-h">
      <h2 id="per-day-h" className="card-title">
        Conversations per day
      </h2>
      {kinds.length === 0 ? <p className="empty">No conversations in this period.</p> : null}
      {kinds.map((k) => {
        const data: Datum[] = days.map((d) => ({ label: d, tick: shortDay.format(new Date(`${d}T00:00:00Z`)), value: count(d, k) }));
        return (
          <div key={k}>
            <h3>{kindLabel(k)}</h3>
            <BarChart title={`${kindLabel(k)}: conversations per day`} data={data} format={(v) => formatNumber(v)} layout="columns" integer noun={["day", "days"]} />
          </div>
        );
      })}
      {busy.length > 0 ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Conversations per day and channel">
          <table>
            <caption className="visually-hidden">Conversations per day and channel, days with any</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                {kinds.map((k) => (
                  <th key={k} scope="col" className="num">
                    {kindLabel(k)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {busy.map((d) => (
                <tr key={d}>
                  <td>{formatDate(`${d}T12:00:00Z`, "UTC")}</td>
                  {kinds.map((k) => (
                    <td key={k} className="num">
                      {formatNumber(count(d, k))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
