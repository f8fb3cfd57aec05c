//! The rules of configuring AI per tenant: providers (credentials sealed,
//! never shown again), the routing policy and budget, each change audited.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use identity::Granted;
use identity::audit::Changes;
use kernel::FieldError;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AiError;
use crate::openai::ProviderKind;
use crate::permissions::AiAdmin;
use crate::repo::{self, Policy, ProviderRow};
use crate::service::{Ai, LOCAL};

/// A provider as the API shows it: never its key or header values.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProviderView {
    /// Id.
    pub id: Uuid,
    /// Name, used in routes and as `<name>/<model>`.
    pub name: String,
    /// Dialect.
    #[schema(value_type = ProviderKind)]
    pub kind: String,
    /// Base URL.
    pub base_url: String,
    /// Chat model.
    pub chat_model: Option<String>,
    /// Embedding model.
    pub embedding_model: Option<String>,
    /// Azure's `api-version`.
    pub api_version: Option<String>,
    /// Whether a key is stored.
    pub has_api_key: bool,
    /// Names of the extra headers (values are secret).
    pub header_names: Vec<String>,
    /// `local` (your own machines) or `cloud`.
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

impl From<ProviderRow> for ProviderView {
    fn from(r: ProviderRow) -> Self {
        ProviderView {
            id: r.id,
            name: r.name,
            kind: r.kind,
            base_url: r.base_url,
            chat_model: r.chat_model,
            embedding_model: r.embedding_model,
            api_version: r.api_version,
            has_api_key: r.api_key.is_some(),
            header_names: r.header_names,
            locality: r.locality,
            priority: r.priority,
            enabled: r.enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Provider fields as given (absent = unchanged on update; an explicit
/// null clears the key or headers).
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    /// Name.
    pub name: Option<String>,
    /// Dialect.
    pub kind: Option<String>,
    /// Base URL.
    pub base_url: Option<String>,
    /// Key.
    pub api_key: Option<Option<String>>,
    /// Headers.
    pub headers: Option<Option<BTreeMap<String, String>>>,
    /// Chat model (empty clears).
    pub chat_model: Option<String>,
    /// Embedding model (empty clears).
    pub embedding_model: Option<String>,
    /// Azure API version (empty clears).
    pub api_version: Option<String>,
    /// `local` or `cloud`.
    pub locality: Option<String>,
    /// Priority.
    pub priority: Option<i32>,
    /// Enabled.
    pub enabled: Option<bool>,
}

fn opt(s: Option<String>, current: Option<String>) -> Option<String> {
    match s {
        None => current,
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_string()),
    }
}

/// Applies input to a row (a new one or the current one), sealing
/// credentials; collects every field at fault.
fn apply(
    ai: &Ai,
    tenant: kernel::ids::TenantId,
    mut row: ProviderRow,
    input: ProviderInput,
) -> Result<ProviderRow, AiError> {
    let mut errors = Vec::new();
    if let Some(name) = input.name {
        row.name = name;
    }
    let name_ok = !row.name.is_empty()
        && row.name.len() <= 40
        && row
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && row.name.as_bytes()[0].is_ascii_alphanumeric();
    if !name_ok {
        errors.push(FieldError::new(
            "name",
            "1–40 lowercase letters, digits, `-` or `_`, starting with a letter or digit",
        ));
    } else if row.name == LOCAL {
        errors.push(FieldError::new("name", "`local` is the name of the built-in models"));
    }
    if let Some(kind) = input.kind {
        row.kind = kind;
    }
    let kind = ProviderKind::parse(&row.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "must be openai, azure, gemini, ollama, vllm, llamacpp or openai_compatible",
        ));
    }
    if let Some(url) = input.base_url {
        row.base_url = url.trim().to_string();
    }
    if row.base_url.is_empty()
        && let Some(default) = kind.and_then(ProviderKind::default_base_url)
    {
        row.base_url = default.to_string();
    }
    if row.base_url.is_empty() {
        errors.push(FieldError::new("base_url", "is required for this kind of provider"));
    } else if let Err(e) = kernel::outbound::check_url(&row.base_url, ai.allow_private_providers())
    {
        errors.push(FieldError::new("base_url", e.to_string()));
    }
    row.chat_model = opt(input.chat_model, row.chat_model);
    row.embedding_model = opt(input.embedding_model, row.embedding_model);
    row.api_version = opt(input.api_version, row.api_version);
    if row.chat_model.is_none()
        && row.embedding_model.is_none()
        && kind != Some(ProviderKind::Azure)
    {
        errors
            .push(FieldError::new("chat_model", "give a chat model, an embedding model, or both"));
    }
    if let Some(l) = input.locality {
        row.locality = l;
    }
    if row.locality != "local" && row.locality != "cloud" {
        errors.push(FieldError::new("locality", "must be `local` or `cloud`"));
    }
    if let Some(p) = input.priority {
        row.priority = p;
    }
    if let Some(e) = input.enabled {
        row.enabled = e;
    }
    match input.api_key {
        None => {}
        Some(None) => row.api_key = None,
        Some(Some(k)) if k.trim().is_empty() => row.api_key = None,
        Some(Some(k)) => {
            if k.chars().count() > 4096 || k.contains(['\r', '\n']) {
                errors.push(FieldError::new("api_key", "is not a valid key"));
            } else {
                row.api_key = Some(ai.seal(tenant, row.id, "api_key", k.trim().as_bytes())?);
            }
        }
    }
    match input.headers {
        None => {}
        Some(None) => {
            row.headers = None;
            row.header_names = Vec::new();
        }
        Some(Some(h)) => {
            for (k, v) in &h {
                if http::HeaderName::from_bytes(k.as_bytes()).is_err()
                    || http::HeaderValue::from_str(v).is_err()
                {
                    errors.push(FieldError::new(
                        format!("headers.{k}"),
                        "is not a valid HTTP header",
                    ));
                }
            }
            let json = serde_json::to_vec(&h).map_err(|e| AiError::Internal(e.to_string()))?;
            row.headers = Some(ai.seal(tenant, row.id, "headers", &json)?);
            row.header_names = h.keys().cloned().collect();
        }
    }
    if errors.is_empty() { Ok(row) } else { Err(AiError::Validation(errors)) }
}

/// What a change to a provider changed: its view's fields (credentials
/// only as `[redacted]`, and only when they changed).
fn changes(before: Option<&ProviderRow>, after: &ProviderRow) -> Changes {
    let a = ProviderView::from(after.clone());
    let mut c = match before {
        Some(b) => Changes::between(&ProviderView::from(b.clone()), &a),
        None => Changes::created(&a),
    }
    .without(&["id", "created_at", "updated_at", "has_api_key"]);
    if before.map(|b| &b.api_key) != Some(&after.api_key) && after.api_key.is_some() {
        c = c.secret("api_key");
    }
    if before.map(|b| &b.headers) != Some(&after.headers) && after.headers.is_some() {
        c = c.secret("headers");
    }
    c
}

/// The tenant's providers, by priority.
pub async fn providers(ai: &Ai, g: &Granted<AiAdmin>) -> Result<Vec<ProviderView>, AiError> {
    let mut tx = g.read_tx(ai.db()).await?;
    Ok(repo::providers(&mut tx).await?.into_iter().map(Into::into).collect())
}

/// One provider.
pub async fn provider(ai: &Ai, g: &Granted<AiAdmin>, id: Uuid) -> Result<ProviderView, AiError> {
    let mut tx = g.read_tx(ai.db()).await?;
    Ok(repo::provider(&mut tx, id).await?.ok_or(AiError::NotFound("provider"))?.into())
}

/// The routing policy and budget.
pub async fn policy(ai: &Ai, g: &Granted<AiAdmin>) -> Result<Policy, AiError> {
    let mut tx = g.read_tx(ai.db()).await?;
    Ok(repo::policy(&mut tx).await?)
}

/// Creates a provider.
pub async fn create_provider(
    ai: &Ai,
    caller: &Granted<AiAdmin>,
    input: ProviderInput,
) -> Result<ProviderView, AiError> {
    let now = Utc::now();
    let row = ProviderRow {
        id: Uuid::now_v7(),
        name: String::new(),
        kind: String::new(),
        base_url: String::new(),
        chat_model: None,
        embedding_model: None,
        api_version: None,
        api_key: None,
        headers: None,
        header_names: Vec::new(),
        locality: "cloud".into(),
        priority: 100,
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    let row = apply(ai, caller.tenant(), row, input)?;
    let mut tx = caller.tx(ai.db()).await?;
    let saved = repo::insert_provider(&mut tx, &row).await?;
    caller.audit(
        &mut tx,
        "ai_provider.created",
        "ai_provider",
        Some(saved.id.to_string()),
        changes(None, &saved),
    );
    tx.commit().await?;
    Ok(saved.into())
}

/// Changes a provider.
pub async fn update_provider(
    ai: &Ai,
    caller: &Granted<AiAdmin>,
    id: Uuid,
    input: ProviderInput,
) -> Result<ProviderView, AiError> {
    let mut tx = caller.tx(ai.db()).await?;
    let before = repo::provider(&mut tx, id).await?.ok_or(AiError::NotFound("provider"))?;
    let row = apply(ai, caller.tenant(), before.clone(), input)?;
    let saved = repo::update_provider(&mut tx, &row).await?;
    caller.audit(
        &mut tx,
        "ai_provider.updated",
        "ai_provider",
        Some(id.to_string()),
        changes(Some(&before), &saved),
    );
    tx.commit().await?;
    Ok(saved.into())
}

/// Deletes a provider.
pub async fn delete_provider(ai: &Ai, caller: &Granted<AiAdmin>, id: Uuid) -> Result<(), AiError> {
    let mut tx = caller.tx(ai.db()).await?;
    let before = repo::provider(&mut tx, id).await?.ok_or(AiError::NotFound("provider"))?;
    repo::delete_provider(&mut tx, id).await?;
    caller.audit(
        &mut tx,
        "ai_provider.deleted",
        "ai_provider",
        Some(id.to_string()),
        Changes::new().set("name", &before.name),
    );
    tx.commit().await?;
    Ok(())
}

/// The largest monthly budget (the column is `numeric(14,4)`).
pub const MAX_BUDGET: Decimal = Decimal::from_parts(276_447_231, 23_283, 0, false, 4);

/// Replaces the routing policy, checking that every route names a
/// provider the tenant can use.
pub async fn set_policy(
    ai: &Ai,
    caller: &Granted<AiAdmin>,
    mut p: Policy,
) -> Result<Policy, AiError> {
    // A negative budget is refused as sent (before rounding can make it 0),
    // then kept to the column's 4 decimal places, as it would store it.
    let negative = p.monthly_budget.is_some_and(|b| b < Decimal::ZERO);
    p.monthly_budget = p.monthly_budget.map(|b| b.round_dp(4));
    let mut errors = Vec::new();
    if !(0..=100).contains(&p.cloud_share) {
        errors.push(FieldError::new("cloud_share", "must be between 0 and 100"));
    }
    if !(1..=100).contains(&p.soft_limit_pct) {
        errors.push(FieldError::new("soft_limit_pct", "must be between 1 and 100"));
    }
    if negative {
        errors.push(FieldError::new("monthly_budget", "must not be negative"));
    } else if p.monthly_budget.is_some_and(|b| b > MAX_BUDGET) {
        errors.push(FieldError::new("monthly_budget", "must be at most 9999999999.9999"));
    }
    let mut tx = caller.tx(ai.db()).await?;
    let mut known: Vec<String> =
        repo::providers(&mut tx).await?.into_iter().map(|r| r.name).collect();
    known.extend(ai.instance_provider_names());
    known.push(LOCAL.into());
    match &p.routes {
        Value::Object(routes) => {
            for (task, names) in routes {
                let task_ok = !task.is_empty()
                    && task.len() <= 40
                    && (task == "*"
                        || task.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                        }));
                if !task_ok {
                    errors.push(FieldError::new(
                        format!("routes.{task}"),
                        "a task is lowercase letters, digits, `_` or `-` (or `*`)",
                    ));
                }
                match names.as_array() {
                    Some(list) if !list.is_empty() => {
                        for (i, n) in list.iter().enumerate() {
                            match n.as_str() {
                                Some(n) if known.iter().any(|k| k == n) => {}
                                _ => errors.push(FieldError::new(
                                    format!("routes.{task}[{i}]"),
                                    format!("names no provider; use one of: {}", known.join(", ")),
                                )),
                            }
                        }
                    }
                    _ => errors.push(FieldError::new(
                        format!("routes.{task}"),
                        "must be a non-empty list of provider names",
                    )),
                }
            }
        }
        _ => errors.push(FieldError::new("routes", "must be an object of task → provider names")),
    }
    if !errors.is_empty() {
        return Err(AiError::Validation(errors));
    }
    let before = repo::policy(&mut tx).await?;
    repo::set_policy(&mut tx, &p).await?;
    caller.audit(&mut tx, "ai_policy.updated", "ai_policy", None, Changes::between(&before, &p));
    tx.commit().await?;
    Ok(p)
}

/// The usage report's figures.
#[derive(Debug, Clone)]
pub struct Usage {
    /// The groups.
    pub groups: Vec<repo::UsageGroup>,
    /// Spent this calendar month (USD).
    pub month_spend: Decimal,
    /// The monthly budget, if any.
    pub monthly_budget: Option<Decimal>,
}

/// Calls, tokens, latency and cost between two times, grouped.
pub async fn usage(
    ai: &Ai,
    g: &Granted<crate::permissions::AiUsageRead>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: repo::GroupBy,
) -> Result<Usage, AiError> {
    let mut tx = g.read_tx(ai.db()).await?;
    let groups = repo::usage_report(&mut tx, from, to, by).await?;
    let month_spend = repo::month_spend(&mut tx).await?;
    let policy = repo::policy(&mut tx).await?;
    Ok(Usage { groups, month_spend, monthly_budget: policy.monthly_budget })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_budget_fits_the_column() {
        assert_eq!(MAX_BUDGET.to_string(), "9999999999.9999");
    }
}
