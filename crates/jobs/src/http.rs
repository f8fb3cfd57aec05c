//! Routes: the tenant's jobs, webhook subscriptions and deliveries, and
//! the event log.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use identity::Granted;
use kernel::extract::{Json, Path, Query};
use kernel::job::JobId;
use kernel::pagination::{Page, PageParams, PageRequest};
use kernel::{ApiResult, AppState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::JobsService;
use crate::events::EventView;
use crate::model::{DeliveryState, JobState};
use crate::permissions::*;
use crate::repo::{JobFilter, JobView};
use crate::service;
use crate::webhooks::{Delivery, Subscription, SubscriptionUpdate};

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
    /// Only jobs in this state.
    #[param(inline)]
    pub state: Option<JobState>,
    /// Only this queue.
    #[param(max_length = 64)]
    pub queue: Option<String>,
    /// Only this kind.
    #[param(max_length = 100)]
    pub kind: Option<String>,
}

/// The company's background jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = TAG, params(PageParams, JobsQuery), security(("bearer" = ["jobs:read"])),
    responses((status = 200, body = Page<JobView>)))]
pub async fn list_jobs(
    jobs: JobsService,
    g: Granted<JobsRead>,
    page: PageRequest,
    Query(q): Query<JobsQuery>,
) -> ApiResult<Json<Page<JobView>>> {
    let f = JobFilter { state: q.state, queue: q.queue, kind: q.kind };
    Ok(Json(service::list_jobs(&jobs, &g, &page, &f).await?))
}

/// One job.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["jobs:read"])),
    responses((status = 200, body = JobView), (status = 404, body = kernel::error::Problem)))]
pub async fn get_job(
    jobs: JobsService,
    g: Granted<JobsRead>,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(service::job(&jobs, &g, id).await?))
}

/// Puts a dead or cancelled job back on the queue with fresh attempts.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["jobs:write"])),
    responses((status = 200, body = JobView), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "The job is not dead or cancelled", body = kernel::error::Problem)))]
pub async fn retry_job(
    jobs: JobsService,
    g: Granted<JobsWrite>,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(service::retry_job(&jobs, &g, id).await?))
}

/// Cancels a queued job, or asks a running one to stop (it ends
/// `cancelled` unless it finishes first).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["jobs:write"])),
    responses((status = 200, body = JobView), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "The job already finished", body = kernel::error::Problem)))]
pub async fn cancel_job(
    jobs: JobsService,
    g: Granted<JobsWrite>,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(service::cancel_job(&jobs, &g, id).await?))
}

/// The company's webhook subscriptions, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = TAG, params(PageParams), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, body = Page<Subscription>)))]
pub async fn list_webhooks(
    jobs: JobsService,
    g: Granted<WebhooksRead>,
    page: PageRequest,
) -> ApiResult<Json<Page<Subscription>>> {
    Ok(Json(service::list_subscriptions(&jobs, &g, &page).await?))
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where to POST events (http or https; private addresses are refused
    /// unless the server allows them).
    #[schema(max_length = 2048, pattern = r"^https?://[^\s/?#@]+([/?#]\S*)?$")]
    pub url: String,
    /// Event type patterns: `member.invited`, `member.*` or `*`.
    #[schema(value_type = Vec<kernel::outbox::EventPattern>, min_items = 1, max_items = 100)]
    pub event_types: Vec<String>,
    /// A note for people.
    #[schema(max_length = 500)]
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
#[utoipa::path(post, path = "/api/v1/webhooks", tag = TAG, request_body = CreateWebhook, security(("bearer" = ["webhooks:write"])),
    responses((status = 201, body = WebhookWithSecret), (status = 422, body = kernel::error::Problem)))]
pub async fn create_webhook(
    jobs: JobsService,
    g: Granted<WebhooksWrite>,
    Json(r): Json<CreateWebhook>,
) -> ApiResult<impl IntoResponse> {
    let n = service::NewSubscription {
        url: r.url,
        event_types: r.event_types,
        description: r.description,
        active: r.active,
    };
    let (subscription, secret) = service::create_subscription(&jobs, &g, n).await?;
    Ok((StatusCode::CREATED, Json(WebhookWithSecret { subscription, secret })))
}

/// One subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, body = Subscription), (status = 404, body = kernel::error::Problem)))]
pub async fn get_webhook(
    jobs: JobsService,
    g: Granted<WebhooksRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Subscription>> {
    Ok(Json(service::subscription(&jobs, &g, id).await?))
}

/// Changes to a subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// New destination.
    #[schema(max_length = 2048, pattern = r"^https?://[^\s/?#@]+([/?#]\S*)?$")]
    pub url: Option<String>,
    /// New patterns (replacing the old ones).
    #[schema(value_type = Option<Vec<kernel::outbox::EventPattern>>, min_items = 1, max_items = 100)]
    pub event_types: Option<Vec<String>>,
    /// New note.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Pause (false) or resume (true).
    pub active: Option<bool>,
}

/// Changes a subscription.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = UpdateWebhook,
    security(("bearer" = ["webhooks:write"])),
    responses((status = 200, body = Subscription), (status = 404, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn update_webhook(
    jobs: JobsService,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
    Json(r): Json<UpdateWebhook>,
) -> ApiResult<Json<Subscription>> {
    let u = SubscriptionUpdate {
        url: r.url,
        event_types: r.event_types,
        description: r.description,
        active: r.active,
    };
    Ok(Json(service::update_subscription(&jobs, &g, id, u).await?))
}

/// Deletes a subscription and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["webhooks:write"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_webhook(
    jobs: JobsService,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete_subscription(&jobs, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the signing secret. The previous secret keeps signing too
/// (a second `v1` in the signature) for 24 hours, so receivers can switch
/// without losing deliveries.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["webhooks:write"])),
    responses((status = 200, body = WebhookWithSecret), (status = 404, body = kernel::error::Problem)))]
pub async fn rotate_secret(
    jobs: JobsService,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<WebhookWithSecret>> {
    let (subscription, secret) = service::rotate_secret(&jobs, &g, id).await?;
    Ok(Json(WebhookWithSecret { subscription, secret }))
}

/// Sends a `webhook.ping` event to the subscription now.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["webhooks:write"])),
    responses((status = 202, body = Delivery), (status = 404, body = kernel::error::Problem)))]
pub async fn ping_webhook(
    jobs: JobsService,
    g: Granted<WebhooksWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<impl IntoResponse> {
    let d = service::ping(&jobs, &g, id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

/// Filters of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries in this state.
    #[param(inline)]
    pub state: Option<DeliveryState>,
}

/// The subscription's deliveries, newest first, each with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = TAG,
    params(("id" = Uuid, Path), PageParams, DeliveriesQuery), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, body = Page<Delivery>), (status = 404, body = kernel::error::Problem)))]
pub async fn list_deliveries(
    jobs: JobsService,
    g: Granted<WebhooksRead>,
    Path(id): Path<Uuid>,
    page: PageRequest,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    let state = q.state.map(DeliveryState::as_str);
    Ok(Json(service::deliveries(&jobs, &g, id, state, &page).await?))
}

/// One delivery with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = TAG,
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, body = Delivery), (status = 404, body = kernel::error::Problem)))]
pub async fn get_delivery(
    jobs: JobsService,
    g: Granted<WebhooksRead>,
    Path((id, delivery_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Delivery>> {
    Ok(Json(service::delivery(&jobs, &g, id, delivery_id).await?))
}

/// Sends a delivery's body again, as a new delivery with its own attempts.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/resend", tag = TAG,
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), security(("bearer" = ["webhooks:write"])),
    responses((status = 202, body = Delivery), (status = 404, body = kernel::error::Problem)))]
pub async fn resend_delivery(
    jobs: JobsService,
    g: Granted<WebhooksWrite>,
    Path((id, delivery_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let d = service::resend(&jobs, &g, id, delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

/// Filters of the event log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this event type.
    #[serde(rename = "type")]
    #[param(rename = "type", max_length = 100)]
    pub event_type: Option<String>,
}

/// The company's events (the outbox), newest first, with their dispatch
/// state.
#[utoipa::path(get, path = "/api/v1/events", tag = TAG, params(PageParams, EventsQuery), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, body = Page<EventView>)))]
pub async fn list_events(
    jobs: JobsService,
    g: Granted<WebhooksRead>,
    page: PageRequest,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Page<EventView>>> {
    Ok(Json(service::events(&jobs, &g, q.event_type.as_deref(), &page).await?))
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
#[utoipa::path(get, path = "/api/v1/event-types", tag = TAG, security(("bearer" = ["webhooks:read"])),
    responses((status = 200, body = Vec<EventType>)))]
pub async fn list_event_types(
    jobs: JobsService,
    _g: Granted<WebhooksRead>,
) -> Json<Vec<EventType>> {
    Json(
        jobs.events
            .all()
            .iter()
            .map(|d| EventType { name: d.name, description: d.description })
            .collect(),
    )
}
