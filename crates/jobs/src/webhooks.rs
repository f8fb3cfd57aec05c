//! Outgoing webhooks: tenants subscribe URLs to event types; each matching
//! event becomes a delivery, sent by a job on the `webhooks` queue, signed
//! with the subscription's secret and retried with backoff until it
//! succeeds or its time runs out.
//!
//! Every request carries:
//! - `X-Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//!   (two `v1` values while a rotated-out secret is still honoured);
//! - `X-Tessera-Event` (the event type) and `X-Tessera-Delivery` (the
//!   delivery id, the same on every retry: use it to drop duplicates).
//!
//! Destinations on private or local networks are refused unless the
//! configuration allows them, both when the URL is saved and when each
//! delivery resolves its host (so DNS cannot point a saved name inward);
//! redirects are not followed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kernel::AppState;
use kernel::crypto::SecretBox;
use kernel::db::TenantTx;
use kernel::ids::TenantId;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Jobs;
use crate::events::Event;
use crate::job::{Job, JobContext, NewJob};
use crate::model::{self, Permanent, Retry};

/// The queue deliveries run on.
pub const QUEUE: &str = "webhooks";
/// The event type of test pings.
pub const PING: &str = "webhook.ping";
/// How long a rotated-out secret keeps signing.
pub const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);
/// Response bytes kept in the attempt log.
const RESPONSE_EXCERPT: usize = 512;
/// Attempts kept in a delivery's log.
const LOG_MAX: usize = 30;

/// Seals and opens subscription secrets.
fn context(tenant: TenantId, id: Uuid) -> Vec<u8> {
    format!("webhook:{tenant}:{id}").into_bytes()
}

/// A new random signing secret, shown to the tenant once.
pub fn new_secret() -> String {
    let bytes: [u8; 24] = kernel::crypto::random_bytes();
    format!("whsec_{}", kernel::crypto::b64url(&bytes))
}

/// A subscription as the API shows it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Subscription {
    /// Id.
    pub id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// Event type patterns: `member.invited`, `member.*` or `*`.
    pub event_types: Vec<String>,
    /// Paused subscriptions receive nothing.
    pub active: bool,
    /// Until when the previous secret also signs (after a rotation).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const SUB_COLUMNS: &str = "id, url, description, event_types, active, previous_secret_expires_at,
    created_by, created_at, updated_at";

/// A delivery as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Delivery {
    /// Id (also sent as `X-Tessera-Delivery`).
    pub id: Uuid,
    /// The subscription.
    pub subscription_id: Uuid,
    /// The event.
    pub event_id: Uuid,
    /// Its type.
    pub event_type: String,
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last response status.
    pub last_status: Option<i32>,
    /// The last error.
    pub last_error: Option<String>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Every attempt: time, status or error, duration, response excerpt.
    #[schema(value_type = Vec<Object>)]
    pub attempt_log: Value,
    /// The body sent.
    #[schema(value_type = Object)]
    pub body: Value,
    /// The delivery this one re-sends.
    pub resend_of: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it succeeded or failed for good.
    pub finished_at: Option<DateTime<Utc>>,
}

const DELIVERY_COLUMNS: &str =
    "id, subscription_id, event_id, event_type, state, attempts, last_status,
    last_error, last_attempt_at, attempt_log, body, resend_of, created_at, finished_at";

/// Creates a subscription; returns it and its secret.
pub async fn create(
    tx: &mut TenantTx,
    secrets: &SecretBox,
    url: &str,
    description: &str,
    event_types: &[String],
    created_by: Option<Uuid>,
) -> anyhow::Result<(Subscription, String)> {
    let tenant = tx.tenant();
    let id = Uuid::now_v7();
    let secret = new_secret();
    let sealed = secrets.seal(secret.as_bytes(), &context(tenant, id))?;
    let sub: Subscription = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_subscriptions (tenant_id, id, url, description, event_types, secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SUB_COLUMNS}"
    )))
    .bind(tenant)
    .bind(id)
    .bind(url)
    .bind(description)
    .bind(event_types)
    .bind(sealed)
    .bind(created_by)
    .fetch_one(&mut **tx)
    .await?;
    Ok((sub, secret))
}

/// The tenant's subscriptions, newest first.
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Subscription>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUB_COLUMNS} FROM webhook_subscriptions
          WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
          ORDER BY created_at DESC, id DESC LIMIT $4"
    )))
    .bind(tenant)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One subscription.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Subscription>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUB_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Changes to a subscription.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// New URL.
    pub url: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New patterns.
    pub event_types: Option<Vec<String>>,
    /// Pause or resume.
    pub active: Option<bool>,
}

/// Applies changes; returns the subscription before and after.
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    c: &Changes,
) -> Result<Option<(Subscription, Subscription)>, sqlx::Error> {
    let tenant = tx.tenant();
    let Some(before) = get(tx, tenant, id).await? else { return Ok(None) };
    let after: Subscription = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE webhook_subscriptions
            SET url = coalesce($3, url), description = coalesce($4, description),
                event_types = coalesce($5, event_types), active = coalesce($6, active),
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING {SUB_COLUMNS}"
    )))
    .bind(tenant)
    .bind(id)
    .bind(&c.url)
    .bind(&c.description)
    .bind(&c.event_types)
    .bind(c.active)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some((before, after)))
}

/// Deletes a subscription and its delivery log; pending deliveries are
/// dropped when their job finds the subscription gone.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the secret; the old one keeps signing (alongside) for
/// [`ROTATION_OVERLAP`]. Returns the new secret.
pub async fn rotate_secret(
    tx: &mut TenantTx,
    secrets: &SecretBox,
    id: Uuid,
) -> anyhow::Result<Option<(Subscription, String)>> {
    let tenant = tx.tenant();
    let secret = new_secret();
    let sealed = secrets.seal(secret.as_bytes(), &context(tenant, id))?;
    let sub: Option<Subscription> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE webhook_subscriptions
            SET previous_secret = secret, secret = $3,
                previous_secret_expires_at = now() + $4::bigint * interval '1 second',
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING {SUB_COLUMNS}"
    )))
    .bind(tenant)
    .bind(id)
    .bind(sealed)
    .bind(ROTATION_OVERLAP.as_secs() as i64)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(sub.map(|s| (s, secret)))
}

/// A subscription's deliveries, newest first.
pub async fn deliveries(
    conn: &mut PgConnection,
    tenant: TenantId,
    subscription: Uuid,
    state: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
          WHERE tenant_id = $1 AND subscription_id = $2
            AND ($3::text IS NULL OR state = $3)
            AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
          ORDER BY created_at DESC, id DESC LIMIT $6"
    )))
    .bind(tenant)
    .bind(subscription)
    .bind(state)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One delivery of a subscription.
pub async fn delivery(
    conn: &mut PgConnection,
    tenant: TenantId,
    subscription: Uuid,
    id: Uuid,
) -> Result<Option<Delivery>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
          WHERE tenant_id = $1 AND subscription_id = $2 AND id = $3"
    )))
    .bind(tenant)
    .bind(subscription)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Settles deliveries whose job ended without recording an outcome (the
/// job was cancelled, or dead-lettered by the reaper after its worker
/// stopped): `cancelled` or `failed`, with the job's last error. Returns
/// how many. Every tenant's; each is updated under its own tenant context.
pub async fn settle_orphaned_deliveries(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT webhook_deliveries_settle()").fetch_one(conn).await?;
    Ok(n)
}

/// The retry policy of deliveries, from the configuration.
pub fn retry_policy(config: &kernel::config::WebhooksConfig) -> Retry {
    let give_up = Duration::from_secs(config.give_up_after_secs.max(1));
    let first = Duration::from_millis(config.first_retry_ms.max(1));
    Retry {
        // Enough attempts to keep trying until the time runs out.
        max_attempts: 1000,
        base: first,
        max: Duration::from_millis(config.max_retry_ms.max(config.first_retry_ms).max(1)),
        give_up_after: Some(give_up),
    }
}

/// Creates a delivery and its job, in the caller's transaction.
async fn enqueue_delivery(
    tx: &mut TenantTx,
    state: &AppState,
    subscription: Uuid,
    event_id: Uuid,
    event_type: &str,
    body: &Value,
    resend_of: Option<Uuid>,
) -> Result<Delivery, sqlx::Error> {
    let tenant = tx.tenant();
    let id = Uuid::now_v7();
    let d: Delivery = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_deliveries (tenant_id, id, subscription_id, event_id, event_type, body, resend_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {DELIVERY_COLUMNS}"
    )))
    .bind(tenant)
    .bind(id)
    .bind(subscription)
    .bind(event_id)
    .bind(event_type)
    .bind(body)
    .bind(resend_of)
    .fetch_one(&mut **tx)
    .await?;
    NewJob::new(&DeliverWebhook { delivery_id: id })
        .retry(retry_policy(&state.config().webhooks))
        .unique_key(id.to_string())
        .enqueue(tx)
        .await?;
    Ok(d)
}

/// The body of a delivery for an event.
fn body(
    event_id: Uuid,
    event_type: &str,
    tenant: TenantId,
    created_at: DateTime<Utc>,
    data: &Value,
) -> Value {
    json!({
        "id": event_id,
        "type": event_type,
        "created_at": created_at,
        "tenant_id": tenant,
        "data": data,
    })
}

/// Creates a delivery for every active subscription matching the event
/// (inside the dispatch transaction).
pub(crate) async fn fan_out(
    tx: &mut TenantTx,
    _jobs: &Arc<Jobs>,
    state: &AppState,
    event: &Event,
) -> anyhow::Result<()> {
    let subs: Vec<(Uuid, Vec<String>)> = sqlx::query_as(
        "SELECT id, event_types FROM webhook_subscriptions WHERE tenant_id = $1 AND active",
    )
    .bind(event.tenant_id)
    .fetch_all(&mut **tx)
    .await?;
    let b = body(event.id, &event.event_type, event.tenant_id, event.created_at, &event.payload);
    for (id, patterns) in subs {
        if patterns.iter().any(|p| kernel::outbox::type_matches(p, &event.event_type)) {
            enqueue_delivery(tx, state, id, event.id, &event.event_type, &b, None).await?;
        }
    }
    Ok(())
}

/// Sends a `webhook.ping` to one subscription.
pub async fn ping(
    tx: &mut TenantTx,
    state: &AppState,
    subscription: Uuid,
) -> Result<Delivery, sqlx::Error> {
    let tenant = tx.tenant();
    let event_id = Uuid::now_v7();
    let b = body(event_id, PING, tenant, Utc::now(), &json!({ "subscription_id": subscription }));
    enqueue_delivery(tx, state, subscription, event_id, PING, &b, None).await
}

/// Sends a delivery's body again as a new delivery.
pub async fn resend(
    tx: &mut TenantTx,
    state: &AppState,
    original: &Delivery,
) -> Result<Delivery, sqlx::Error> {
    enqueue_delivery(
        tx,
        state,
        original.subscription_id,
        original.event_id,
        &original.event_type,
        &original.body,
        Some(original.id),
    )
    .await
}

/// The job that sends one delivery. Idempotent: a delivery already
/// finished is not sent again, and receivers de-duplicate by
/// `X-Tessera-Delivery` should a crash repeat a send.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliverWebhook {
    /// The delivery.
    pub delivery_id: Uuid,
}

#[derive(sqlx::FromRow)]
struct Target {
    state: String,
    event_type: String,
    body: Value,
    subscription_id: Uuid,
    url: Option<String>,
    active: Option<bool>,
    secret: Option<Vec<u8>>,
    previous_secret: Option<Vec<u8>>,
}

impl Job for DeliverWebhook {
    const KIND: &'static str = "webhooks.deliver";
    const QUEUE: &'static str = QUEUE;
    const TIMEOUT: Duration = Duration::from_secs(60);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let jobs = ctx.state.service::<Jobs>();
        let mut tx = ctx.tx().await?;
        let target: Option<Target> = sqlx::query_as(
            "SELECT d.state, d.event_type, d.body, d.subscription_id, s.url, s.active, s.secret,
                    CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret END AS previous_secret
               FROM webhook_deliveries d
               LEFT JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.id = d.subscription_id
              WHERE d.tenant_id = $1 AND d.id = $2",
        )
        .bind(ctx.tenant)
        .bind(self.delivery_id)
        .fetch_optional(&mut *tx)
        .await?;
        drop(tx);
        let Some(t) = target else { return Ok(()) }; // the subscription was deleted
        if t.state != "pending" {
            return Ok(());
        }
        let (Some(url), Some(true), Some(secret)) = (t.url, t.active, t.secret) else {
            finish(&ctx, self.delivery_id, "cancelled", None, "the subscription is paused").await?;
            return Ok(());
        };
        let context = context(ctx.tenant, t.subscription_id);
        let secret = jobs.secrets.open(&secret, &context)?;
        let previous = match t.previous_secret {
            Some(p) => Some(jobs.secrets.open(&p, &context)?),
            None => None,
        };
        let body = serde_json::to_vec(&t.body)?;
        let mut keys: Vec<&[u8]> = vec![&secret];
        if let Some(p) = &previous {
            keys.push(p);
        }
        let timestamp = Utc::now().timestamp();
        let signature = model::signature_header(&keys, timestamp, &body);

        let started = Instant::now();
        let allow_private = ctx.state.config().webhooks.allow_private;
        let sent = match model::check_webhook_url(&url, allow_private) {
            Err(e) => Err(format!("refused destination: {e}")),
            Ok(_) => jobs
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header(model::SIGNATURE_HEADER, signature)
                .header("x-tessera-event", &t.event_type)
                .header("x-tessera-delivery", self.delivery_id.to_string())
                .body(body)
                .send()
                .await
                .map_err(describe_error),
        };
        let elapsed_ms = started.elapsed().as_millis() as i64;
        let (status, error, excerpt) = match sent {
            Ok(resp) => {
                let status = resp.status();
                let text = read_excerpt(resp).await;
                if status.is_success() {
                    (Some(status.as_u16() as i32), None, text)
                } else {
                    (
                        Some(status.as_u16() as i32),
                        Some(format!("the receiver answered {status}")),
                        text,
                    )
                }
            }
            Err(e) => (None, Some(e), String::new()),
        };
        let entry = json!({
            "attempt": ctx.attempt,
            "at": Utc::now(),
            "status": status,
            "error": error,
            "duration_ms": elapsed_ms,
            "response": excerpt,
        });
        let outcome = match &error {
            None => "succeeded",
            Some(_) if ctx.is_last_attempt() => "failed",
            Some(_) => "pending",
        };
        metrics::counter!("webhook_attempts_total", "outcome" => if error.is_none() { "succeeded" } else { "failed" })
            .increment(1);
        record_attempt(&ctx, self.delivery_id, outcome, status, error.as_deref(), entry).await?;
        match error {
            None => Ok(()),
            Some(e) if outcome == "failed" => Err(Permanent::error(e)),
            Some(e) => Err(anyhow::anyhow!(e)),
        }
    }
}

fn describe_error(e: reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "the receiver did not answer in time".to_string()
    } else if e.is_connect() {
        "cannot connect to the receiver".to_string()
    } else if e.is_redirect() {
        "the receiver redirected (redirects are not followed)".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

async fn read_excerpt(resp: reqwest::Response) -> String {
    let bytes = resp.bytes().await.unwrap_or_default();
    let cut = &bytes[..bytes.len().min(RESPONSE_EXCERPT)];
    String::from_utf8_lossy(cut).into_owned()
}

async fn record_attempt(
    ctx: &JobContext,
    delivery: Uuid,
    state: &str,
    status: Option<i32>,
    error: Option<&str>,
    entry: Value,
) -> anyhow::Result<()> {
    let mut tx = ctx.tx().await?;
    sqlx::query(
        "UPDATE webhook_deliveries
            SET state = $3, attempts = attempts + 1, last_status = $4, last_error = $5,
                last_attempt_at = now(),
                attempt_log = (CASE WHEN jsonb_array_length(attempt_log) >= $7
                                    THEN attempt_log - 0 ELSE attempt_log END) || jsonb_build_array($6::jsonb),
                finished_at = CASE WHEN $3 IN ('succeeded', 'failed') THEN now() END
          WHERE tenant_id = $1 AND id = $2 AND state = 'pending'",
    )
    .bind(ctx.tenant)
    .bind(delivery)
    .bind(state)
    .bind(status)
    .bind(error)
    .bind(entry)
    .bind(LOG_MAX as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn finish(
    ctx: &JobContext,
    delivery: Uuid,
    state: &str,
    status: Option<i32>,
    error: &str,
) -> anyhow::Result<()> {
    let mut tx = ctx.tx().await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $3, last_status = $4, last_error = $5, finished_at = now()
          WHERE tenant_id = $1 AND id = $2 AND state = 'pending'",
    )
    .bind(ctx.tenant)
    .bind(delivery)
    .bind(state)
    .bind(status)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The HTTP client deliveries use.
pub fn client(config: &kernel::config::WebhooksConfig) -> anyhow::Result<reqwest::Client> {
    Ok(kernel::outbound::client_builder()
        .timeout(Duration::from_secs(config.timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(config.timeout_secs.clamp(1, 10)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(kernel::outbound::GuardedResolver {
            allow_private: config.allow_private,
        }))
        .build()?)
}
