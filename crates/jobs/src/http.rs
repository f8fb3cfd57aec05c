//! Routes: the tenant's jobs, webhook subscriptions and deliveries, and
//! the event log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use identity::Granted;
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use kernel::{ApiError, ApiResult, AppState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::Jobs;
use crate::error::JobsError;
use crate::events::{self, EventView};
use crate::model::{JobId, JobState};
use crate::permissions::*;
use crate::repo::{self, JobFilter, JobView};
use crate::service;
use crate::webhooks::{self, Delivery, Subscription};

/// The OpenAPI tag of these routes.
pub const TAG: &str = "jobs";

/// Every route of this crate.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
        .routes(routes!(cancel_job))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(ping_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(resend_delivery))
        .routes(routes!(list_events))
        .routes(routes!(list_event_types))
}

/// Filters of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// `queued`, `running`, `succeeded`, `dead` or `cancelled`.
    pub state: Option<String>,
    /// Only this queue.
    pub queue: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// The company's background jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = TAG, params(PageParams, JobsQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<JobView>)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    g: Granted<JobsRead>,
    page: PageRequest,
    Query(q): Query<JobsQuery>,
) -> ApiResult<Json<Page<JobView>>> {
    let job_state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(JobState::parse(s).ok_or_else(|| {
            ApiError::invalid("state", "must be queued, running, succeeded, dead or cancelled")
        })?),
    };
    let f = JobFilter { state: job_state, queue: q.queue, kind: q.kind };
    let after: Option<(DateTime<Utc>, JobId)> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    let rows = repo::list_jobs(&mut tx, g.tenant, &f, after, page.fetch()).await?;
    drop(tx);
    Ok(Json(page.page(rows, |j| (j.created_at, j.id))))
}

/// One job.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = JobView), (status = 404, body = kernel::error::Problem)))]
pub async fn get_job(
    State(state): State<AppState>,
    g: Granted<JobsRead>,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    let mut tx = g.read_tx(state.db()).await?;
    let job = repo::job(&mut tx, g.tenant, id).await?.ok_or(JobsError::NotFound("job"))?;
    drop(tx);
    Ok(Json(job))
}

/// Puts a dead or cancelled job back on the queue with fresh attempts.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = JobView), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "The job is not dead or cancelled", body = kernel::error::Problem)))]
pub async fn retry_job(
    State(state): State<AppState>,
    g: Granted<JobsWrite>,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(service::retry_job(&state, &g, id).await?))
}

/// Cancels a queued job, or asks a running one to stop (it ends
/// `cancelled` unless it finishes first).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = JobView), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "The job already finished", body = kernel::error::Problem)))]
pub async fn cancel_job(
    State(state): State<AppState>,
    g: Granted<JobsWrite>,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(service::cancel_job(&state, &g, id).await?))
}

/// The company's webhook subscriptions, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = TAG, params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = Page<Subscription>)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    g: Granted<WebhooksRead>,
    page: PageRequest,
) -> ApiResult<Json<Page<Subscription>>> {
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    let rows = webhooks::list(&mut tx, g.tenant, after, page.fetch()).await?;
    drop(tx);
    Ok(Json(page.page(rows, |s| (s.created_at, s.id))))
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where to POST events (http or https; private addresses are refused
    /// unless the server allows them).
    pub url: String,
    /// Event type patterns: `member.invited`, `member.*` or `*`.
    pub event_types: Vec<String>,
    /// A note for people.
    pub description: Option<String>,
    /// Start paused when false.
    pub active: Option<bool>,
}

/// A subscription with its signing secret (shown only here and after a
/// rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    /// The subscription.
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The signing secret (`whsec_…`): verify `X-Tessera-Signature` with it.
    pub secret: String,
}

/// Subscribes a URL to events; the answer carries the signing secret,
/// which is not shown again.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = TAG, request_body = CreateWebhook, security(("bearer" = [])),
    responses((status = 201, body = WebhookWithSecret), (status = 422, body = kernel::error::Problem)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    g: Granted<WebhooksWrite>,
    Json(r): Json<CreateWebhook>,
) -> ApiResult<impl IntoResponse> {
    let n = service::NewSubscription {
        url: r.url,
        event_types: r.event_types,
        description: r.description,
        active: r.active,
    };
    let (subscription, secret) = service::create_subscription(&state, &g, n).await?;
    Ok((StatusCode::CREATED, Json(WebhookWithSecret { subscription, secret })))
}

/// One subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Subscription), (status = 404, body = kernel::error::Problem)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    g: Granted<WebhooksRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Subscription>> {
    let mut tx = g.read_tx(state.db()).await?;
    let s = webhooks::get(&mut tx, g.tenant, id).await?.ok_or(JobsError::NotFound("webhook"))?;
    drop(tx);
    Ok(Json(s))
}

/// Changes to a subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// New destination.
    pub url: Option<String>,
    /// New patterns (replacing the old ones).
    pub event_types: Option<Vec<String>>,
    /// New note.
    pub description: Option<String>,
    /// Pause (false) or resume (true).
    pub active: Option<bool>,
}

/// Changes a subscription.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = UpdateWebhook,
    security(("bearer" = [])),
    responses((status = 200, body = Subscription), (status = 404, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
    Json(r): Json<UpdateWebhook>,
) -> ApiResult<Json<Subscription>> {
    let s =
        service::update_subscription(&state, &g, id, r.url, r.event_types, r.description, r.active)
            .await?;
    Ok(Json(s))
}

/// Deletes a subscription and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete_subscription(&state, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the signing secret. The previous secret keeps signing too
/// (a second `v1` in the signature) for 24 hours, so receivers can switch
/// without losing deliveries.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = WebhookWithSecret), (status = 404, body = kernel::error::Problem)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<WebhookWithSecret>> {
    let (subscription, secret) = service::rotate_secret(&state, &g, id).await?;
    Ok(Json(WebhookWithSecret { subscription, secret }))
}

/// Sends a `webhook.ping` event to the subscription now.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 202, body = Delivery), (status = 404, body = kernel::error::Problem)))]
pub async fn ping_webhook(
    State(state): State<AppState>,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<impl IntoResponse> {
    let d = service::ping(&state, &g, id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

/// Filters of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub state: Option<String>,
}

/// The subscription's deliveries, newest first, each with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = TAG,
    params(("id" = Uuid, Path), PageParams, DeliveriesQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Delivery>), (status = 404, body = kernel::error::Problem)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    g: Granted<WebhooksRead>,
    Path(id): Path<Uuid>,
    page: PageRequest,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    if let Some(s) = &q.state
        && !["pending", "succeeded", "failed", "cancelled"].contains(&s.as_str())
    {
        return Err(ApiError::invalid("state", "must be pending, succeeded, failed or cancelled"));
    }
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    if webhooks::get(&mut tx, g.tenant, id).await?.is_none() {
        return Err(JobsError::NotFound("webhook").into());
    }
    let rows = webhooks::deliveries(&mut tx, g.tenant, id, q.state.as_deref(), after, page.fetch())
        .await?;
    drop(tx);
    Ok(Json(page.page(rows, |d| (d.created_at, d.id))))
}

/// One delivery with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = TAG,
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Delivery), (status = 404, body = kernel::error::Problem)))]
pub async fn get_delivery(
    State(state): State<AppState>,
    g: Granted<WebhooksRead>,
    Path((id, delivery_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Delivery>> {
    let mut tx = g.read_tx(state.db()).await?;
    let d = webhooks::delivery(&mut tx, g.tenant, id, delivery_id)
        .await?
        .ok_or(JobsError::NotFound("delivery"))?;
    drop(tx);
    Ok(Json(d))
}

/// Sends a delivery's body again, as a new delivery with its own attempts.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/resend", tag = TAG,
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 202, body = Delivery), (status = 404, body = kernel::error::Problem)))]
pub async fn resend_delivery(
    State(state): State<AppState>,
    g: Granted<WebhooksWrite>,
    Path((id, delivery_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let d = service::resend(&state, &g, id, delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

/// Filters of the event log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this event type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
}

/// The company's events (the outbox), newest first, with their dispatch
/// state.
#[utoipa::path(get, path = "/api/v1/events", tag = TAG, params(PageParams, EventsQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<EventView>)))]
pub async fn list_events(
    State(state): State<AppState>,
    g: Granted<WebhooksRead>,
    page: PageRequest,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Page<EventView>>> {
    let before: Option<i64> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    let rows =
        events::list(&mut tx, g.tenant, q.event_type.as_deref(), before, page.fetch()).await?;
    drop(tx);
    let page = page.page(rows, |(p, _)| *p);
    Ok(Json(Page {
        items: page.items.into_iter().map(|(_, v)| v).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// An event type.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventType {
    /// `resource.verb`.
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
}

/// Every event type webhooks can subscribe to.
#[utoipa::path(get, path = "/api/v1/event-types", tag = TAG, security(("bearer" = [])),
    responses((status = 200, body = Vec<EventType>)))]
pub async fn list_event_types(
    State(state): State<AppState>,
    _g: Granted<WebhooksRead>,
) -> Json<Vec<EventType>> {
    let jobs = state.service::<Jobs>();
    Json(
        jobs.events
            .all()
            .iter()
            .map(|d| EventType { name: d.name, description: d.description })
            .collect(),
    )
}
