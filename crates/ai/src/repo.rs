//! All SQL of the AI runtime: tenants' providers and policy, and the
//! usage ledger.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use kernel::ids::TenantId;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A tenant's provider as stored (credentials sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProviderRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Dialect.
    pub kind: String,
    /// Base URL.
    pub base_url: String,
    /// Chat model.
    pub chat_model: Option<String>,
    /// Embedding model.
    pub embedding_model: Option<String>,
    /// Azure API version.
    pub api_version: Option<String>,
    /// Sealed key.
    pub api_key: Option<Vec<u8>>,
    /// Sealed JSON object of headers.
    pub headers: Option<Vec<u8>>,
    /// The headers' names (shown).
    pub header_names: Vec<String>,
    /// `local` or `cloud`.
    pub locality: String,
    /// Lower runs first.
    pub priority: i32,
    /// Used at all.
    pub enabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

macro_rules! provider_columns {
    () => {
        "id, name, kind, base_url, chat_model, embedding_model, api_version, api_key,
    headers, header_names, locality, priority, enabled, created_at, updated_at"
    };
}

/// The tenant's providers, by priority then name.
pub async fn providers(tx: &mut TenantTx) -> Result<Vec<ProviderRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        provider_columns!(),
        " FROM ai_providers WHERE tenant_id = $1 ORDER BY priority, name"
    )))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// One provider.
pub async fn provider(tx: &mut TenantTx, id: Uuid) -> Result<Option<ProviderRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        provider_columns!(),
        " FROM ai_providers WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Inserts a provider.
pub async fn insert_provider(
    tx: &mut TenantTx,
    p: &ProviderRow,
) -> Result<ProviderRow, sqlx::Error> {
    let tenant = tx.tenant();
    let query = sqlx::query_as(kernel::sql!(concat!("INSERT INTO ai_providers (tenant_id, id, name, kind, base_url, chat_model, embedding_model, api_version,
                                   api_key, headers, header_names, locality, priority, enabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING ", provider_columns!())));
    bind_provider(query, tenant, p).fetch_one(&mut **tx).await
}

type ProviderQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Postgres, ProviderRow, sqlx::postgres::PgArguments>;

/// Binds `$1` (tenant) to `$14` (enabled), in the column order of
/// [`insert_provider`] and [`update_provider`].
fn bind_provider<'q>(
    q: ProviderQuery<'q>,
    tenant: TenantId,
    p: &'q ProviderRow,
) -> ProviderQuery<'q> {
    q.bind(tenant)
        .bind(p.id)
        .bind(&p.name)
        .bind(&p.kind)
        .bind(&p.base_url)
        .bind(&p.chat_model)
        .bind(&p.embedding_model)
        .bind(&p.api_version)
        .bind(&p.api_key)
        .bind(&p.headers)
        .bind(&p.header_names)
        .bind(&p.locality)
        .bind(p.priority)
        .bind(p.enabled)
}

/// Replaces a provider's fields.
pub async fn update_provider(
    tx: &mut TenantTx,
    p: &ProviderRow,
) -> Result<ProviderRow, sqlx::Error> {
    let tenant = tx.tenant();
    let query = sqlx::query_as(kernel::sql!(concat!("UPDATE ai_providers SET name = $3, kind = $4, base_url = $5, chat_model = $6, embedding_model = $7,
                api_version = $8, api_key = $9, headers = $10, header_names = $11, locality = $12,
                priority = $13, enabled = $14, updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING ", provider_columns!())));
    bind_provider(query, tenant, p).fetch_one(&mut **tx).await
}

/// Deletes a provider.
pub async fn delete_provider(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!("DELETE FROM ai_providers WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A tenant's routing policy.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct Policy {
    /// Percent of calls sent to cloud providers first when local and
    /// cloud models can both serve them (70/30 local/cloud by default).
    pub cloud_share: i16,
    /// Task (`answer`, `classify`, `summarise`, `embed`, …) → ordered
    /// provider names; `local` is the in-process models.
    #[schema(value_type = Object)]
    pub routes: Value,
    /// Monthly spend limit in USD; past it only local models are used.
    #[schema(value_type = Option<String>)]
    pub monthly_budget: Option<Decimal>,
    /// Percent of the budget at which a warning is raised.
    pub soft_limit_pct: i16,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            cloud_share: 30,
            routes: Value::Object(Default::default()),
            monthly_budget: None,
            soft_limit_pct: 80,
        }
    }
}

/// The tenant's policy (the default when never set).
pub async fn policy(tx: &mut TenantTx) -> Result<Policy, sqlx::Error> {
    let tenant = tx.tenant();
    let p: Option<Policy> = sqlx::query_as(kernel::sql!("SELECT cloud_share, routes, monthly_budget, soft_limit_pct FROM ai_policies WHERE tenant_id = $1"),
    )
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(p.unwrap_or_default())
}

/// Stores the tenant's policy.
pub async fn set_policy(tx: &mut TenantTx, p: &Policy) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO ai_policies (tenant_id, cloud_share, routes, monthly_budget, soft_limit_pct)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET cloud_share = $2, routes = $3, monthly_budget = $4,
                soft_limit_pct = $5, updated_at = now()"
    ))
    .bind(tenant)
    .bind(p.cloud_share)
    .bind(&p.routes)
    .bind(p.monthly_budget)
    .bind(p.soft_limit_pct)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One call for the ledger.
#[derive(Debug, Clone)]
pub struct UsageRecord {
    /// `user`, `api_key` or `system`.
    pub caller_type: &'static str,
    /// The user or key.
    pub caller_id: Option<Uuid>,
    /// The feature or task.
    pub feature: String,
    /// `chat` or `embedding`.
    pub kind: &'static str,
    /// The provider's name (`local` for in-process models).
    pub provider: String,
    /// The model.
    pub model: String,
    /// `local` or `cloud`.
    pub locality: &'static str,
    /// Tokens read.
    pub prompt_tokens: u32,
    /// Tokens written.
    pub completion_tokens: u32,
    /// Whole call.
    pub latency_ms: u32,
    /// Time to the first token.
    pub ttft_ms: Option<u32>,
    /// Cost in USD.
    pub cost: Decimal,
    /// `ok`, `error`, `cancelled` or `cached`.
    pub outcome: &'static str,
    /// The error, if any.
    pub error: Option<String>,
    /// The request.
    pub request_id: Option<String>,
}

/// Appends a ledger row.
pub async fn insert_usage(tx: &mut TenantTx, u: &UsageRecord) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("INSERT INTO ai_usage (tenant_id, id, caller_type, caller_id, feature, kind, provider, model, locality,
                               prompt_tokens, completion_tokens, latency_ms, ttft_ms, cost, outcome, error, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"),
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(u.caller_type)
    .bind(u.caller_id)
    .bind(&u.feature)
    .bind(u.kind)
    .bind(&u.provider)
    .bind(&u.model)
    .bind(u.locality)
    .bind(u.prompt_tokens as i32)
    .bind(u.completion_tokens as i32)
    .bind(u.latency_ms as i32)
    .bind(u.ttft_ms.map(|t| t as i32))
    .bind(u.cost)
    .bind(u.outcome)
    .bind(u.error.as_deref().map(|e| e.chars().take(1000).collect::<String>()))
    .bind(&u.request_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Spend since the start of this calendar month (UTC).
pub async fn month_spend(tx: &mut TenantTx) -> Result<Decimal, sqlx::Error> {
    let tenant = tx.tenant();
    let (d,): (Option<Decimal>,) = sqlx::query_as(kernel::sql!("SELECT sum(cost) FROM ai_usage WHERE tenant_id = $1 AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"),
    )
    .bind(tenant)
    .fetch_one(&mut **tx)
    .await?;
    Ok(d.unwrap_or_default())
}

/// One group of the usage report.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct UsageGroup {
    /// The day (`2026-11-22`), model, feature or provider.
    pub key: String,
    /// Calls.
    pub calls: i64,
    /// Calls that failed.
    pub errors: i64,
    /// Calls answered from the cache.
    pub cached: i64,
    /// Tokens read.
    pub prompt_tokens: i64,
    /// Tokens written.
    pub completion_tokens: i64,
    /// Cost in USD.
    #[schema(value_type = String)]
    pub cost: Decimal,
    /// Mean latency of successful calls, ms.
    pub avg_latency_ms: Option<f64>,
    /// Mean time to first token, ms.
    pub avg_ttft_ms: Option<f64>,
}

/// How the report groups calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// Per UTC day.
    Day,
    /// Per model.
    Model,
    /// Per feature (task).
    Feature,
    /// Per provider.
    Provider,
}

impl GroupBy {
    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Model => "model",
            GroupBy::Feature => "feature",
            GroupBy::Provider => "provider",
        }
    }
}

/// Usage between two times, grouped.
pub async fn usage_report(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: GroupBy,
) -> Result<Vec<UsageGroup>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT CASE $4 WHEN 'model' THEN model WHEN 'feature' THEN feature
                        WHEN 'provider' THEN provider
                        ELSE to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') END AS key,
                count(*) AS calls,
                count(*) FILTER (WHERE outcome = 'error') AS errors,
                count(*) FILTER (WHERE outcome = 'cached') AS cached,
                coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
                coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens,
                coalesce(sum(cost), 0) AS cost,
                avg(latency_ms) FILTER (WHERE outcome = 'ok')::float8 AS avg_latency_ms,
                avg(ttft_ms) FILTER (WHERE outcome = 'ok')::float8 AS avg_ttft_ms
           FROM ai_usage
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
          GROUP BY 1 ORDER BY 1"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .bind(by.as_str())
    .fetch_all(&mut **tx)
    .await
}
