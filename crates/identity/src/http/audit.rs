//! The audit trail and the token-verifying keys.

use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use kernel::ApiResult;
use kernel::extract::{Json, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::TAG;
use crate::audit::{self, AuditEntry, AuditQuery};
use crate::auth::{Granted, IdentityService};
use crate::permissions::AuditRead;

/// Filters of the audit list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor_id: Option<Uuid>,
    /// Only this action (`user.invited`).
    #[param(max_length = 200)]
    pub action: Option<String>,
    /// Only this kind of resource.
    #[param(max_length = 200)]
    pub resource_type: Option<String>,
    /// Only this resource.
    #[param(max_length = 200)]
    pub resource_id: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// The audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = TAG, params(PageParams, AuditFilter), security(("bearer" = ["audit:read"])),
    responses((status = 200, body = Page<AuditEntry>)))]
pub async fn list_audit(
    id: IdentityService,
    g: Granted<AuditRead>,
    page: PageRequest,
    Query(f): Query<AuditFilter>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let q = AuditQuery {
        actor_id: f.actor_id,
        action: f.action,
        resource_type: f.resource_type,
        resource_id: f.resource_id,
        since: f.since,
        until: f.until,
    };
    Ok(Json(audit::list(&id, &g, &page, &q).await?))
}

/// The public keys that verify access tokens (JWK Set).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = TAG, responses((status = 200, description = "JWK Set", body = Object)))]
pub async fn jwks(id: IdentityService) -> impl IntoResponse {
    ([(axum::http::header::CACHE_CONTROL, "public, max-age=300")], axum::Json(id.keys.jwks()))
}
