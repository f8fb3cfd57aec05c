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
use crate::openai::ProviderKind;
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

/// Where a provider runs.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum Locality {
    /// Your own machines: exempt from the cloud share and the budget.
    Local,
    /// A cloud service.
    Cloud,
}

/// Extra HTTP headers: names are HTTP tokens, values single lines.
fn headers_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"));
    let value = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$"));
    let map = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(name))
        .additional_properties(Some(value));
    OneOfBuilder::new()
        .item(map)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some("Extra headers (stored encrypted; only their names are shown)"))
        .into()
}

/// Task → ordered provider names.
fn routes_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let task =
        ObjectBuilder::new().schema_type(Type::String).pattern(Some("^(\\*|[a-z0-9_-]{1,40})$"));
    let names = ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .min_items(Some(1));
    let map = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(task))
        .additional_properties(Some(names));
    OneOfBuilder::new()
        .item(map)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Task (`answer`, `embed`, …, or `*` for any) → provider names tried in order \
             (`local` for the built-in models; see `GET /v1/models`)",
        ))
        .into()
}

/// A monthly budget in USD: a non-negative decimal, as a string or number.
fn budget_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[0-9]{1,10}(\.[0-9]+)?$")))
        .item(ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0)).maximum(Some(9_999_999_999.999_9)))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Monthly budget in USD, kept to 4 decimal places (a decimal string or number; null for none)",
        ))
        .into()
}

/// A provider to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProvider {
    /// Name (lowercase letters, digits, `-`, `_`; not `local`), used in
    /// routes and as `<name>/<model>`.
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9][a-z0-9_-]*$")]
    pub name: String,
    /// The API dialect.
    #[schema(value_type = ProviderKind)]
    pub kind: String,
    /// Base URL (defaults for openai, gemini and ollama); private and
    /// loopback addresses are refused unless the server allows them.
    #[schema(max_length = 2048, pattern = r"^https?://[^\s/?#@]+([/?#]\S*)?$")]
    pub base_url: Option<String>,
    /// The API key (stored encrypted; never shown again).
    #[schema(max_length = 4096, pattern = r"^[^\r\n]*$")]
    pub api_key: Option<String>,
    /// Extra headers (stored encrypted; only their names are shown).
    #[schema(schema_with = headers_schema)]
    pub headers: Option<BTreeMap<String, String>>,
    /// The chat model.
    pub chat_model: Option<String>,
    /// The embedding model.
    pub embedding_model: Option<String>,
    /// Azure's `api-version`.
    pub api_version: Option<String>,
    /// `cloud` (default) or `local` (your own machines: exempt from the
    /// cloud share and the budget).
    #[schema(value_type = Option<Locality>)]
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
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9][a-z0-9_-]*$")]
    pub name: Option<String>,
    /// Dialect.
    #[schema(value_type = Option<ProviderKind>)]
    pub kind: Option<String>,
    /// Base URL.
    #[schema(max_length = 2048, pattern = r"^https?://[^\s/?#@]+([/?#]\S*)?$")]
    pub base_url: Option<String>,
    /// A new key (null removes it).
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>, max_length = 4096, pattern = r"^[^\r\n]*$")]
    pub api_key: Option<Option<String>>,
    /// New headers, replacing the old ones (null removes them).
    #[serde(default, deserialize_with = "double")]
    #[schema(schema_with = headers_schema)]
    pub headers: Option<Option<BTreeMap<String, String>>>,
    /// Chat model ("" clears).
    pub chat_model: Option<String>,
    /// Embedding model ("" clears).
    pub embedding_model: Option<String>,
    /// Azure's `api-version` ("" clears).
    pub api_version: Option<String>,
    /// `local` or `cloud`.
    #[schema(value_type = Option<Locality>)]
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
              (status = 409, description = "Another provider has this name", body = kernel::error::Problem),
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
    #[schema(minimum = 0, maximum = 100)]
    pub cloud_share: Option<i16>,
    /// Task → ordered provider names (`local` for the built-in models).
    #[schema(schema_with = routes_schema)]
    pub routes: Option<Value>,
    /// Monthly budget in USD (a decimal string or number; null for none).
    #[schema(schema_with = budget_schema)]
    pub monthly_budget: Option<Decimal>,
    /// Percent of the budget that raises a warning (default 80).
    #[schema(minimum = 1, maximum = 100)]
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
