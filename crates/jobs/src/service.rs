//! The rules of the operations API: validation, the audit entry of every
//! change, and the tenant transaction each runs in. Every function takes
//! the proof of the permission it needs.

use chrono::{DateTime, Utc};
use identity::Granted;
use identity::audit::Changes;
use kernel::FieldError;
use kernel::pagination::{Page, PageRequest};
use uuid::Uuid;

use crate::Jobs;
use crate::error::{JobsError, Result};
use crate::events::EventView;
use crate::model::{self, JobState};
use crate::permissions::*;
use crate::repo::{self, JobFilter, JobView};
use crate::webhooks::{self, Delivery, Subscription, SubscriptionUpdate};
use kernel::job::JobId;

/// Input of a new subscription.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// Destination.
    pub url: String,
    /// Patterns.
    pub event_types: Vec<String>,
    /// Note.
    pub description: Option<String>,
    /// Start paused when false.
    pub active: Option<bool>,
}

fn check_url(jobs: &Jobs, url: &str, errors: &mut Vec<FieldError>) -> String {
    match model::check_webhook_url(url, jobs.webhooks.allow_private) {
        Ok(u) => u.to_string(),
        Err(e) => {
            errors.push(FieldError::new("url", e.to_string()));
            String::new()
        }
    }
}

fn check_patterns(jobs: &Jobs, patterns: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if patterns.is_empty() {
        errors.push(FieldError::new("event_types", "must name at least one event type (or \"*\")"));
    }
    if patterns.len() > 100 {
        errors.push(FieldError::new("event_types", "must have at most 100 entries"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        let p = p.trim();
        if !jobs.events.matches_any(p) {
            errors.push(FieldError::new(
                format!("event_types[{i}]"),
                format!("`{p}` matches no event type; see GET /api/v1/event-types"),
            ));
        } else if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    out
}

fn check_description(d: &Option<String>, errors: &mut Vec<FieldError>) {
    if d.as_ref().is_some_and(|d| d.chars().count() > 500) {
        errors.push(FieldError::new("description", "must be at most 500 characters"));
    }
}

/// The company's background jobs, newest first.
pub async fn list_jobs(
    jobs: &Jobs,
    g: &Granted<JobsRead>,
    page: &PageRequest,
    f: &JobFilter,
) -> Result<Page<JobView>> {
    let after: Option<(DateTime<Utc>, JobId)> = page.after()?;
    let mut tx = g.read_tx(jobs.db()).await?;
    let rows = repo::list_jobs(&mut tx, f, after, page.fetch()).await?;
    Ok(page.page(rows, |j| (j.created_at, j.id)))
}

/// One job.
pub async fn job(jobs: &Jobs, g: &Granted<JobsRead>, id: JobId) -> Result<JobView> {
    let mut tx = g.read_tx(jobs.db()).await?;
    repo::job(&mut tx, id).await?.ok_or(JobsError::NotFound("job"))
}

/// Puts a dead or cancelled job back on the queue.
pub async fn retry_job(jobs: &Jobs, caller: &Granted<JobsWrite>, id: JobId) -> Result<JobView> {
    let mut tx = caller.tx(jobs.db()).await?;
    let job = repo::job(&mut tx, id).await?.ok_or(JobsError::NotFound("job"))?;
    if repo::retry_job(&mut tx, id).await?.is_none() {
        return Err(JobsError::NotRetryable(job.state));
    }
    caller.audit(
        &mut tx,
        "job.retried",
        "job",
        Some(id.to_string()),
        Changes::new().diff("state", &job.state, &JobState::Queued.as_str().to_string()),
    );
    let after = repo::job(&mut tx, id).await?.ok_or(JobsError::NotFound("job"))?;
    tx.commit().await?;
    Ok(after)
}

/// Cancels a queued job, or asks a running one to stop.
pub async fn cancel_job(jobs: &Jobs, caller: &Granted<JobsWrite>, id: JobId) -> Result<JobView> {
    let mut tx = caller.tx(jobs.db()).await?;
    let job = repo::job(&mut tx, id).await?.ok_or(JobsError::NotFound("job"))?;
    if repo::cancel_job(&mut tx, id).await?.is_none() {
        return Err(JobsError::AlreadyFinished);
    }
    caller.audit(
        &mut tx,
        "job.cancelled",
        "job",
        Some(id.to_string()),
        Changes::new().set("state_before", &job.state),
    );
    let after = repo::job(&mut tx, id).await?.ok_or(JobsError::NotFound("job"))?;
    tx.commit().await?;
    Ok(after)
}

/// The company's webhook subscriptions, newest first.
pub async fn list_subscriptions(
    jobs: &Jobs,
    g: &Granted<WebhooksRead>,
    page: &PageRequest,
) -> Result<Page<Subscription>> {
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let mut tx = g.read_tx(jobs.db()).await?;
    let rows = repo::webhooks::subscriptions(&mut tx, after, page.fetch()).await?;
    Ok(page.page(rows, |s| (s.created_at, s.id)))
}

/// One subscription.
pub async fn subscription(
    jobs: &Jobs,
    g: &Granted<WebhooksRead>,
    id: Uuid,
) -> Result<Subscription> {
    let mut tx = g.read_tx(jobs.db()).await?;
    repo::webhooks::subscription(&mut tx, id).await?.ok_or(JobsError::NotFound("webhook"))
}

/// Creates a subscription; returns it with its secret (shown once).
pub async fn create_subscription(
    jobs: &Jobs,
    caller: &Granted<WebhooksWrite>,
    n: NewSubscription,
) -> Result<(Subscription, String)> {
    let mut errors = Vec::new();
    let url = check_url(jobs, &n.url, &mut errors);
    let patterns = check_patterns(jobs, &n.event_types, &mut errors);
    check_description(&n.description, &mut errors);
    if !errors.is_empty() {
        return Err(JobsError::Validation(errors));
    }
    let mut tx = caller.tx(jobs.db()).await?;
    let (mut sub, secret) = webhooks::create(
        &mut tx,
        &jobs.secrets,
        &url,
        n.description.as_deref().unwrap_or(""),
        &patterns,
        caller.user_id().map(|u| u.as_uuid()),
    )
    .await?;
    if n.active == Some(false) {
        let c = SubscriptionUpdate { active: Some(false), ..Default::default() };
        if let Some(after) = repo::webhooks::update_subscription(&mut tx, sub.id, &c).await? {
            sub = after;
        }
    }
    caller.audit(
        &mut tx,
        "webhook.created",
        "webhook",
        Some(sub.id.to_string()),
        Changes::new()
            .set("url", &sub.url)
            .set("event_types", &sub.event_types)
            .set("active", sub.active)
            .secret("secret"),
    );
    tx.commit().await?;
    Ok((sub, secret))
}

/// Changes a subscription.
pub async fn update_subscription(
    jobs: &Jobs,
    caller: &Granted<WebhooksWrite>,
    id: Uuid,
    update: SubscriptionUpdate,
) -> Result<Subscription> {
    let mut errors = Vec::new();
    let url = update.url.map(|u| check_url(jobs, &u, &mut errors));
    let event_types = update.event_types.map(|p| check_patterns(jobs, &p, &mut errors));
    check_description(&update.description, &mut errors);
    if !errors.is_empty() {
        return Err(JobsError::Validation(errors));
    }
    let mut tx = caller.tx(jobs.db()).await?;
    let before =
        repo::webhooks::subscription(&mut tx, id).await?.ok_or(JobsError::NotFound("webhook"))?;
    let c = SubscriptionUpdate { url, event_types, ..update };
    let after = repo::webhooks::update_subscription(&mut tx, id, &c)
        .await?
        .ok_or(JobsError::NotFound("webhook"))?;
    let changes = Changes::between(&before, &after).without(&["updated_at"]);
    caller.audit(&mut tx, "webhook.updated", "webhook", Some(id.to_string()), changes);
    tx.commit().await?;
    Ok(after)
}

/// Deletes a subscription.
pub async fn delete_subscription(
    jobs: &Jobs,
    caller: &Granted<WebhooksWrite>,
    id: Uuid,
) -> Result<()> {
    let mut tx = caller.tx(jobs.db()).await?;
    if !repo::webhooks::delete_subscription(&mut tx, id).await? {
        return Err(JobsError::NotFound("webhook"));
    }
    caller.audit(&mut tx, "webhook.deleted", "webhook", Some(id.to_string()), Changes::new());
    tx.commit().await?;
    Ok(())
}

/// Replaces a subscription's secret; returns the new one (shown once).
pub async fn rotate_secret(
    jobs: &Jobs,
    caller: &Granted<WebhooksWrite>,
    id: Uuid,
) -> Result<(Subscription, String)> {
    let mut tx = caller.tx(jobs.db()).await?;
    let (sub, secret) = webhooks::rotate_secret(&mut tx, &jobs.secrets, id)
        .await?
        .ok_or(JobsError::NotFound("webhook"))?;
    caller.audit(
        &mut tx,
        "webhook.secret_rotated",
        "webhook",
        Some(id.to_string()),
        Changes::new().secret("secret"),
    );
    tx.commit().await?;
    Ok((sub, secret))
}

/// Sends a test event to a subscription.
pub async fn ping(jobs: &Jobs, caller: &Granted<WebhooksWrite>, id: Uuid) -> Result<Delivery> {
    let mut tx = caller.tx(jobs.db()).await?;
    if repo::webhooks::subscription(&mut tx, id).await?.is_none() {
        return Err(JobsError::NotFound("webhook"));
    }
    let d = webhooks::ping(&mut tx, jobs, id).await?;
    tx.commit().await?;
    Ok(d)
}

/// A subscription's deliveries, newest first.
pub async fn deliveries(
    jobs: &Jobs,
    g: &Granted<WebhooksRead>,
    subscription: Uuid,
    state: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Delivery>> {
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let mut tx = g.read_tx(jobs.db()).await?;
    if repo::webhooks::subscription(&mut tx, subscription).await?.is_none() {
        return Err(JobsError::NotFound("webhook"));
    }
    let rows =
        repo::webhooks::deliveries(&mut tx, subscription, state, after, page.fetch()).await?;
    Ok(page.page(rows, |d| (d.created_at, d.id)))
}

/// One delivery with its attempts.
pub async fn delivery(
    jobs: &Jobs,
    g: &Granted<WebhooksRead>,
    subscription: Uuid,
    id: Uuid,
) -> Result<Delivery> {
    let mut tx = g.read_tx(jobs.db()).await?;
    repo::webhooks::delivery(&mut tx, subscription, id)
        .await?
        .ok_or(JobsError::NotFound("delivery"))
}

/// Sends a delivery again.
pub async fn resend(
    jobs: &Jobs,
    caller: &Granted<WebhooksWrite>,
    subscription: Uuid,
    delivery: Uuid,
) -> Result<Delivery> {
    let mut tx = caller.tx(jobs.db()).await?;
    let original = repo::webhooks::delivery(&mut tx, subscription, delivery)
        .await?
        .ok_or(JobsError::NotFound("delivery"))?;
    let d = webhooks::resend(&mut tx, jobs, &original).await?;
    caller.audit(
        &mut tx,
        "webhook.delivery_resent",
        "webhook",
        Some(subscription.to_string()),
        Changes::new().set("delivery", delivery).set("new_delivery", d.id),
    );
    tx.commit().await?;
    Ok(d)
}

/// The company's events, newest first.
pub async fn events(
    jobs: &Jobs,
    g: &Granted<WebhooksRead>,
    event_type: Option<&str>,
    page: &PageRequest,
) -> Result<Page<EventView>> {
    let before: Option<i64> = page.after()?;
    let mut tx = g.read_tx(jobs.db()).await?;
    let rows = repo::events::list(&mut tx, event_type, before, page.fetch()).await?;
    let page = page.page(rows, |(p, _)| *p);
    Ok(Page {
        items: page.items.into_iter().map(|(_, v)| v).collect(),
        next_cursor: page.next_cursor,
    })
}
