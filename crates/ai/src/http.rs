//! Routes that configure AI for a company: providers, the routing policy
//! and budget, and the usage report.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use identity::Granted;
use kernel::extract::{Json, Path, Query};
use kernel::{ApiError, ApiResult, AppState};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AiService;
use crate::admin::{self, ProviderInput, ProviderView};
use crate::permissions::*;
use crate::repo::{GroupBy, Policy, UsageGroup};

/// The OpenAPI tag of these routes.
pub const TAG: &str = "ai";

/// Every configuration route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers, create_provider))
        .routes(routes!(get_provider, update_provider, delete_provider))
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(usage))
}

/// Distinguishes an absent field from an explicit `null`.
fn double<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// A provider to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProvider {
    /// Name (lowercase letters, digits, `-`, `_`), used in routes and as `<name>/<model>`.
    pub name: String,
    /// `openai`, `azure`, `gemini`, `ollama`, `vllm`, `llamacpp` or `openai_compatible`.
    pub kind: String,
    /// Base URL (defaults for openai, gemini and ollama).
    pub base_url: Option<String>,
    /// The API key (stored encrypted; never shown again).
    pub api_key: Option<String>,
    /// Extra headers (stored encrypted; only their names are shown).
    pub headers: Option<BTreeMap<String, String>>,
    /// The chat model.
    pub chat_model: Option<String>,
    /// The embedding model.
    pub embedding_model: Option<String>,
    /// Azure's `api-version`.
    pub api_version: Option<String>,
    /// `cloud` (default) or `local` (your own machines: exempt from the
    /// cloud share and the budget).
    pub locality: Option<String>,
    /// Lower runs first (default 100).
    pub priority: Option<i32>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// The company's providers, by priority.
#[utoipa::path(get, path = "/api/v1/ai/providers", tag = TAG, security(("bearer" = ["ai:admin"])),
    responses((status = 200, body = Vec<ProviderView>)))]
pub async fn list_providers(
    ai: AiService,
    g: Granted<AiAdmin>,
) -> ApiResult<Json<Vec<ProviderView>>> {
    Ok(Json(admin::providers(&ai, &g).await?))
}

/// Adds a provider.
#[utoipa::path(post, path = "/api/v1/ai/providers", tag = TAG, request_body = CreateProvider, security(("bearer" = ["ai:admin"])),
    responses((status = 201, body = ProviderView), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn create_provider(
    ai: AiService,
    g: Granted<AiAdmin>,
    Json(r): Json<CreateProvider>,
) -> ApiResult<impl IntoResponse> {
    let input = ProviderInput {
        name: Some(r.name),
        kind: Some(r.kind),
        base_url: r.base_url,
        api_key: Some(r.api_key),
        headers: Some(r.headers),
        chat_model: r.chat_model,
        embedding_model: r.embedding_model,
        api_version: r.api_version,
        locality: r.locality,
        priority: r.priority,
        enabled: r.enabled,
    };
    let view = admin::create_provider(&ai, &g, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One provider.
#[utoipa::path(get, path = "/api/v1/ai/providers/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["ai:admin"])),
    responses((status = 200, body = ProviderView), (status = 404, body = kernel::error::Problem)))]
pub async fn get_provider(
    ai: AiService,
    g: Granted<AiAdmin>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProviderView>> {
    Ok(Json(admin::provider(&ai, &g, id).await?))
}

/// Changes to a provider; `api_key` or `headers` set to null remove them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProvider {
    /// Name.
    pub name: Option<String>,
    /// Dialect.
    pub kind: Option<String>,
    /// Base URL.
    pub base_url: Option<String>,
    /// A new key (null removes it).
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub api_key: Option<Option<String>>,
    /// New headers, replacing the old ones (null removes them).
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub headers: Option<Option<BTreeMap<String, String>>>,
    /// Chat model ("" clears).
    pub chat_model: Option<String>,
    /// Embedding model ("" clears).
    pub embedding_model: Option<String>,
    /// Azure's `api-version` ("" clears).
    pub api_version: Option<String>,
    /// `local` or `cloud`.
    pub locality: Option<String>,
    /// Priority.
    pub priority: Option<i32>,
    /// Enabled.
    pub enabled: Option<bool>,
}

/// Changes a provider.
#[utoipa::path(patch, path = "/api/v1/ai/providers/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = UpdateProvider,
    security(("bearer" = ["ai:admin"])),
    responses((status = 200, body = ProviderView), (status = 404, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn update_provider(
    ai: AiService,
    g: Granted<AiAdmin>,
    Path(id): Path<Uuid>,
    Json(r): Json<UpdateProvider>,
) -> ApiResult<Json<ProviderView>> {
    let input = ProviderInput {
        name: r.name,
        kind: r.kind,
        base_url: r.base_url,
        api_key: r.api_key,
        headers: r.headers,
        chat_model: r.chat_model,
        embedding_model: r.embedding_model,
        api_version: r.api_version,
        locality: r.locality,
        priority: r.priority,
        enabled: r.enabled,
    };
    Ok(Json(admin::update_provider(&ai, &g, id, input).await?))
}

/// Removes a provider.
#[utoipa::path(delete, path = "/api/v1/ai/providers/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["ai:admin"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_provider(
    ai: AiService,
    g: Granted<AiAdmin>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    admin::delete_provider(&ai, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routing policy and budget.
#[utoipa::path(get, path = "/api/v1/ai/policy", tag = TAG, security(("bearer" = ["ai:admin"])), responses((status = 200, body = Policy)))]
pub async fn get_policy(ai: AiService, g: Granted<AiAdmin>) -> ApiResult<Json<Policy>> {
    Ok(Json(admin::policy(&ai, &g).await?))
}

/// A new policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Percent of calls sent to cloud providers first (default 30).
    pub cloud_share: Option<i16>,
    /// Task → ordered provider names (`local` for the built-in models).
    #[schema(value_type = Option<Object>)]
    pub routes: Option<Value>,
    /// Monthly budget in USD (a decimal string or number; null for none).
    #[schema(value_type = Option<String>)]
    pub monthly_budget: Option<Decimal>,
    /// Percent of the budget that raises a warning (default 80).
    pub soft_limit_pct: Option<i16>,
}

/// Replaces the routing policy and budget.
#[utoipa::path(put, path = "/api/v1/ai/policy", tag = TAG, request_body = PolicyInput, security(("bearer" = ["ai:admin"])),
    responses((status = 200, body = Policy), (status = 422, body = kernel::error::Problem)))]
pub async fn put_policy(
    ai: AiService,
    g: Granted<AiAdmin>,
    Json(r): Json<PolicyInput>,
) -> ApiResult<Json<Policy>> {
    let d = Policy::default();
    let p = Policy {
        cloud_share: r.cloud_share.unwrap_or(d.cloud_share),
        routes: r.routes.unwrap_or(d.routes),
        monthly_budget: r.monthly_budget,
        soft_limit_pct: r.soft_limit_pct.unwrap_or(d.soft_limit_pct),
    };
    Ok(Json(admin::set_policy(&ai, &g, p).await?))
}

/// The usage report's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// From (RFC 3339; default: the start of this month, UTC).
    pub from: Option<DateTime<Utc>>,
    /// Until (RFC 3339; default: now).
    pub to: Option<DateTime<Utc>>,
    /// How calls are grouped (default `day`).
    pub group_by: Option<GroupBy>,
}

/// The usage report.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageReport {
    /// From.
    pub from: DateTime<Utc>,
    /// Until.
    pub to: DateTime<Utc>,
    /// How calls are grouped.
    pub group_by: GroupBy,
    /// The groups.
    pub groups: Vec<UsageGroup>,
    /// Spent this calendar month (USD).
    #[schema(value_type = String)]
    pub month_spend: Decimal,
    /// The monthly budget, if any.
    #[schema(value_type = Option<String>)]
    pub monthly_budget: Option<Decimal>,
}

/// Calls, tokens, latency and cost, by day, model, feature or provider.
#[utoipa::path(get, path = "/api/v1/ai/usage", tag = TAG, params(UsageQuery), security(("bearer" = ["ai_usage:read"])),
    responses((status = 200, body = UsageReport), (status = 422, body = kernel::error::Problem)))]
pub async fn usage(
    ai: AiService,
    g: Granted<AiUsageRead>,
    Query(q): Query<UsageQuery>,
) -> ApiResult<Json<UsageReport>> {
    let now = Utc::now();
    let month_start =
        Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().unwrap_or(now);
    let from = q.from.unwrap_or(month_start);
    let to = q.to.unwrap_or(now + chrono::Duration::seconds(1));
    if to <= from {
        return Err(ApiError::invalid("to", "must be after `from`"));
    }
    let group_by = q.group_by.unwrap_or(GroupBy::Day);
    let u = admin::usage(&ai, &g, from, to, group_by).await?;
    Ok(Json(UsageReport {
        from,
        to,
        group_by,
        groups: u.groups,
        month_spend: u.month_spend,
        monthly_budget: u.monthly_budget,
    }))
}
