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
use kernel::crypto::SecretBox;
use kernel::db::TenantTx;
use kernel::ids::TenantId;
use kernel::job::{Job, JobContext, NewJob, Permanent, Retry};
use kernel::outbox::Event;
use kernel::register_job;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::model;
use crate::repo::webhooks as repo;
use crate::{Jobs, JobsService};

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

pub use crate::repo::webhooks::{Delivery, Subscription, SubscriptionUpdate};

/// Creates a subscription with a new secret; returns it and the secret
/// (shown once).
pub async fn create(
    tx: &mut TenantTx,
    secrets: &SecretBox,
    url: &str,
    description: &str,
    event_types: &[String],
    created_by: Option<Uuid>,
) -> anyhow::Result<(Subscription, String)> {
    let id = Uuid::now_v7();
    let secret = new_secret();
    let sealed = secrets.seal(secret.as_bytes(), &context(tx.tenant(), id))?;
    let sub = repo::insert_subscription(tx, id, url, description, event_types, &sealed, created_by)
        .await?;
    Ok((sub, secret))
}

/// Replaces the secret; the old one keeps signing (alongside) for
/// [`ROTATION_OVERLAP`]. Returns the new secret.
pub async fn rotate_secret(
    tx: &mut TenantTx,
    secrets: &SecretBox,
    id: Uuid,
) -> anyhow::Result<Option<(Subscription, String)>> {
    let secret = new_secret();
    let sealed = secrets.seal(secret.as_bytes(), &context(tx.tenant(), id))?;
    let sub = repo::rotate_secret(tx, id, &sealed, ROTATION_OVERLAP.as_secs() as i64).await?;
    Ok(sub.map(|s| (s, secret)))
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
    jobs: &Jobs,
    subscription: Uuid,
    event_id: Uuid,
    event_type: &str,
    body: &Value,
    resend_of: Option<Uuid>,
) -> Result<Delivery, sqlx::Error> {
    let id = Uuid::now_v7();
    let d =
        repo::insert_delivery(tx, id, subscription, event_id, event_type, body, resend_of).await?;
    NewJob::new(&DeliverWebhook { delivery_id: id })
        .retry(retry_policy(&jobs.webhooks))
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
pub(crate) async fn fan_out(tx: &mut TenantTx, jobs: &Jobs, event: &Event) -> anyhow::Result<()> {
    let subs = repo::active_patterns(tx).await?;
    let b = body(event.id, &event.event_type, event.tenant_id, event.created_at, &event.payload);
    for (id, patterns) in subs {
        if patterns.iter().any(|p| kernel::outbox::type_matches(p, &event.event_type)) {
            enqueue_delivery(tx, jobs, id, event.id, &event.event_type, &b, None).await?;
        }
    }
    Ok(())
}

/// Sends a `webhook.ping` to one subscription.
pub async fn ping(
    tx: &mut TenantTx,
    jobs: &Jobs,
    subscription: Uuid,
) -> Result<Delivery, sqlx::Error> {
    let tenant = tx.tenant();
    let event_id = Uuid::now_v7();
    let b = body(event_id, PING, tenant, Utc::now(), &json!({ "subscription_id": subscription }));
    enqueue_delivery(tx, jobs, subscription, event_id, PING, &b, None).await
}

/// Sends a delivery's body again as a new delivery.
pub async fn resend(
    tx: &mut TenantTx,
    jobs: &Jobs,
    original: &Delivery,
) -> Result<Delivery, sqlx::Error> {
    enqueue_delivery(
        tx,
        jobs,
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

register_job!(DeliverWebhook);

impl Job for DeliverWebhook {
    const KIND: &'static str = "webhooks.deliver";
    const QUEUE: &'static str = QUEUE;
    const TIMEOUT: Duration = Duration::from_secs(60);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let jobs = JobsService::of(&ctx.state);
        let mut tx = ctx.read_tx().await?;
        let target = repo::target(&mut tx, self.delivery_id).await?;
        drop(tx);
        let Some(t) = target else { return Ok(()) }; // the subscription was deleted
        if t.state != "pending" {
            return Ok(());
        }
        let (Some(url), Some(true), Some(secret)) = (t.url, t.active, t.secret) else {
            finish(&ctx, self.delivery_id, "cancelled", "the subscription is paused").await?;
            return Ok(());
        };
        let context = context(ctx.tenant(), t.subscription_id);
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
        let mut tx = ctx.tx().await?;
        repo::record_attempt(
            &mut tx,
            self.delivery_id,
            outcome,
            status,
            error.as_deref(),
            &entry,
            LOG_MAX as i32,
        )
        .await?;
        tx.commit().await?;
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

async fn finish(ctx: &JobContext, delivery: Uuid, state: &str, error: &str) -> anyhow::Result<()> {
    let mut tx = ctx.tx().await?;
    repo::finish_delivery(&mut tx, delivery, state, error).await?;
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
