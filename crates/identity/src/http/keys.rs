//! API keys.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use kernel::ApiResult;
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::TAG;
use crate::auth::{Granted, IdentityService};
use crate::model::KeyName;
use crate::permissions::*;
use crate::repo::ApiKey;
use crate::service::{self, NewApiKey};

/// Filters of the API key list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyFilter {
    /// Include revoked keys.
    pub include_revoked: Option<bool>,
}

/// The company's API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = TAG, params(PageParams, KeyFilter), security(("bearer" = ["api_keys:read"])),
    responses((status = 200, body = Page<ApiKey>)))]
pub async fn list_api_keys(
    id: IdentityService,
    g: Granted<ApiKeysRead>,
    page: PageRequest,
    Query(f): Query<KeyFilter>,
) -> ApiResult<Json<Page<ApiKey>>> {
    Ok(Json(service::list_api_keys(&id, &g, &page, f.include_revoked.unwrap_or(false)).await?))
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    /// What it is for.
    pub name: KeyName,
    /// Its permissions: at least one, all of them the creator's own.
    #[schema(value_type = Vec<kernel::access::PermissionName>, min_items = 1)]
    pub permissions: Vec<String>,
    /// When it stops working (in the future).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates an API key; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = TAG, request_body = NewApiKeyRequest, security(("bearer" = ["api_keys:write"])),
    responses((status = 201, body = NewApiKey), (status = 422, body = kernel::error::Problem)))]
pub async fn create_api_key(
    id: IdentityService,
    g: Granted<ApiKeysWrite>,
    Json(r): Json<NewApiKeyRequest>,
) -> ApiResult<impl IntoResponse> {
    let k = service::create_api_key(&id, &g, &r.name, &r.permissions, r.expires_at).await?;
    Ok((StatusCode::CREATED, Json(k)))
}

/// Revokes an API key: it is refused at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["api_keys:write"])),
    responses((status = 204, description = "Revoked"), (status = 404, body = kernel::error::Problem)))]
pub async fn revoke_api_key(
    svc: IdentityService,
    g: Granted<ApiKeysWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::revoke_api_key(&svc, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
