//! The rules of the operations API: validation, the audit entry of every
//! change, and the tenant transaction each runs in.

use identity::Caller;
use identity::audit::Changes;
use kernel::{AppState, FieldError};
use uuid::Uuid;

use crate::Jobs;
use crate::error::{JobsError, Result};
use crate::model::{self, JobId};
use crate::repo::{self, JobView};
use crate::webhooks::{self, Delivery, Subscription};

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

fn check_url(state: &AppState, url: &str, errors: &mut Vec<FieldError>) -> String {
    match model::check_webhook_url(url, state.config().webhooks.allow_private) {
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

/// Creates a subscription; returns it with its secret (shown once).
pub async fn create_subscription(
    state: &AppState,
    caller: &Caller,
    n: NewSubscription,
) -> Result<(Subscription, String)> {
    let jobs = state.service::<Jobs>();
    let mut errors = Vec::new();
    let url = check_url(state, &n.url, &mut errors);
    let patterns = check_patterns(&jobs, &n.event_types, &mut errors);
    check_description(&n.description, &mut errors);
    if !errors.is_empty() {
        return Err(JobsError::Validation(errors));
    }
    let mut tx = caller.tx(state.db()).await?;
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
        let c = webhooks::Changes { active: Some(false), ..Default::default() };
        if let Some((_, after)) = webhooks::update(&mut tx, sub.id, &c).await? {
            sub = after;
        }
    }
    caller
        .audit(
            &mut tx,
            "webhook.created",
            "webhook",
            Some(sub.id.to_string()),
            Changes::new()
                .set("url", &sub.url)
                .set("event_types", &sub.event_types)
                .set("active", sub.active)
                .secret("secret"),
        )
        .await?;
    tx.commit().await?;
    Ok((sub, secret))
}

/// Changes a subscription.
pub async fn update_subscription(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    url: Option<String>,
    event_types: Option<Vec<String>>,
    description: Option<String>,
    active: Option<bool>,
) -> Result<Subscription> {
    let jobs = state.service::<Jobs>();
    let mut errors = Vec::new();
    let url = url.map(|u| check_url(state, &u, &mut errors));
    let event_types = event_types.map(|p| check_patterns(&jobs, &p, &mut errors));
    check_description(&description, &mut errors);
    if !errors.is_empty() {
        return Err(JobsError::Validation(errors));
    }
    let mut tx = caller.tx(state.db()).await?;
    let c = webhooks::Changes { url, description, event_types, active };
    let (before, after) =
        webhooks::update(&mut tx, id, &c).await?.ok_or(JobsError::NotFound("webhook"))?;
    let changes = Changes::new()
        .diff("url", &before.url, &after.url)
        .diff("event_types", &before.event_types, &after.event_types)
        .diff("description", &before.description, &after.description)
        .diff("active", &before.active, &after.active);
    caller.audit(&mut tx, "webhook.updated", "webhook", Some(id.to_string()), changes).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a subscription.
pub async fn delete_subscription(state: &AppState, caller: &Caller, id: Uuid) -> Result<()> {
    let mut tx = caller.tx(state.db()).await?;
    if !webhooks::delete(&mut tx, id).await? {
        return Err(JobsError::NotFound("webhook"));
    }
    caller
        .audit(&mut tx, "webhook.deleted", "webhook", Some(id.to_string()), Changes::new())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a subscription's secret; returns the new one (shown once).
pub async fn rotate_secret(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<(Subscription, String)> {
    let jobs = state.service::<Jobs>();
    let mut tx = caller.tx(state.db()).await?;
    let (sub, secret) = webhooks::rotate_secret(&mut tx, &jobs.secrets, id)
        .await?
        .ok_or(JobsError::NotFound("webhook"))?;
    caller
        .audit(
            &mut tx,
            "webhook.secret_rotated",
            "webhook",
            Some(id.to_string()),
            Changes::new().secret("secret"),
        )
        .await?;
    tx.commit().await?;
    Ok((sub, secret))
}

/// Sends a test event to a subscription.
pub async fn ping(state: &AppState, caller: &Caller, id: Uuid) -> Result<Delivery> {
    let mut tx = caller.tx(state.db()).await?;
    if webhooks::get(&mut tx, caller.tenant, id).await?.is_none() {
        return Err(JobsError::NotFound("webhook"));
    }
    let d = webhooks::ping(&mut tx, state, id).await?;
    tx.commit().await?;
    Ok(d)
}

/// Sends a delivery again.
pub async fn resend(
    state: &AppState,
    caller: &Caller,
    subscription: Uuid,
    delivery: Uuid,
) -> Result<Delivery> {
    let mut tx = caller.tx(state.db()).await?;
    let original = webhooks::delivery(&mut tx, caller.tenant, subscription, delivery)
        .await?
        .ok_or(JobsError::NotFound("delivery"))?;
    let d = webhooks::resend(&mut tx, state, &original).await?;
    caller
        .audit(
            &mut tx,
            "webhook.delivery_resent",
            "webhook",
            Some(subscription.to_string()),
            Changes::new().set("delivery", delivery).set("new_delivery", d.id),
        )
        .await?;
    tx.commit().await?;
    Ok(d)
}

/// Puts a dead or cancelled job back on the queue.
pub async fn retry_job(state: &AppState, caller: &Caller, id: JobId) -> Result<JobView> {
    let mut tx = caller.tx(state.db()).await?;
    let job = repo::job(&mut tx, caller.tenant, id).await?.ok_or(JobsError::NotFound("job"))?;
    if repo::retry_job(&mut tx, caller.tenant, id).await?.is_none() {
        return Err(JobsError::NotRetryable(job.state));
    }
    caller
        .audit(
            &mut tx,
            "job.retried",
            "job",
            Some(id.to_string()),
            Changes::new().diff("state", &job.state, &"queued".to_string()),
        )
        .await?;
    let after = repo::job(&mut tx, caller.tenant, id).await?.ok_or(JobsError::NotFound("job"))?;
    tx.commit().await?;
    Ok(after)
}

/// Cancels a queued job, or asks a running one to stop.
pub async fn cancel_job(state: &AppState, caller: &Caller, id: JobId) -> Result<JobView> {
    let mut tx = caller.tx(state.db()).await?;
    let job = repo::job(&mut tx, caller.tenant, id).await?.ok_or(JobsError::NotFound("job"))?;
    if repo::cancel_job(&mut tx, caller.tenant, id).await?.is_none() {
        return Err(JobsError::AlreadyFinished);
    }
    caller
        .audit(
            &mut tx,
            "job.cancelled",
            "job",
            Some(id.to_string()),
            Changes::new().set("state_before", &job.state),
        )
        .await?;
    let after = repo::job(&mut tx, caller.tenant, id).await?.ok_or(JobsError::NotFound("job"))?;
    tx.commit().await?;
    Ok(after)
}
