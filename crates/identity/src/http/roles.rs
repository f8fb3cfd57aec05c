//! Roles and the permission catalog.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use kernel::ApiResult;
use kernel::extract::{Json, Path};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TAG;
use crate::auth::{Granted, IdentityService};
use crate::model::*;
use crate::permissions::*;
use crate::service::{self, Role};

/// The company's roles, system roles first.
#[utoipa::path(get, path = "/api/v1/roles", tag = TAG, security(("bearer" = ["roles:read"])), responses((status = 200, body = Vec<Role>)))]
pub async fn list_roles(id: IdentityService, g: Granted<RolesRead>) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(service::list_roles(&id, &g).await?))
}

/// A custom role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// Name (unique in the company).
    pub name: RoleName,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Its permissions (`resource:action`, see `GET /api/v1/permissions`).
    #[schema(value_type = Vec<kernel::access::PermissionName>)]
    pub permissions: Vec<String>,
}

/// Creates a custom role.
#[utoipa::path(post, path = "/api/v1/roles", tag = TAG, request_body = NewRole, security(("bearer" = ["roles:write"])),
    responses((status = 201, body = Role), (status = 409, description = "Another role has this name", body = kernel::error::Problem)))]
pub async fn create_role(
    id: IdentityService,
    g: Granted<RolesWrite>,
    Json(r): Json<NewRole>,
) -> ApiResult<impl IntoResponse> {
    let role = service::create_role(&id, &g, &r.name, &r.description, &r.permissions).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["roles:read"])),
    responses((status = 200, body = Role), (status = 404, body = kernel::error::Problem)))]
pub async fn get_role(
    svc: IdentityService,
    g: Granted<RolesRead>,
    Path(id): Path<RoleId>,
) -> ApiResult<Json<Role>> {
    Ok(Json(service::role(&svc, &g, id).await?))
}

/// Changes to a custom role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    /// Name.
    pub name: Option<RoleName>,
    /// Description.
    pub description: Option<String>,
    /// Permissions (replacing the current ones).
    #[schema(value_type = Option<Vec<kernel::access::PermissionName>>)]
    pub permissions: Option<Vec<String>>,
}

/// Changes a custom role (system roles cannot be changed).
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = UpdateRole,
    security(("bearer" = ["roles:write"])), responses((status = 200, body = Role), (status = 409, body = kernel::error::Problem)))]
pub async fn update_role(
    svc: IdentityService,
    g: Granted<RolesWrite>,
    Path(id): Path<RoleId>,
    Json(r): Json<UpdateRole>,
) -> ApiResult<Json<Role>> {
    let role = service::update_role(
        &svc,
        &g,
        id,
        r.name.as_ref(),
        r.description.as_deref(),
        r.permissions.as_deref(),
    )
    .await?;
    Ok(Json(role))
}

/// Deletes a custom role nobody holds (system roles cannot be deleted).
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["roles:write"])),
    responses((status = 204, description = "Deleted"), (status = 409, body = kernel::error::Problem)))]
pub async fn delete_role(
    svc: IdentityService,
    g: Granted<RolesWrite>,
    Path(id): Path<RoleId>,
) -> ApiResult<StatusCode> {
    service::delete_role(&svc, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A permission of the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    /// `resource:action`.
    pub name: &'static str,
    /// What it allows.
    pub description: &'static str,
    /// System roles holding it.
    pub roles: Vec<&'static str>,
}

/// Every permission, with the system roles that hold it.
#[utoipa::path(get, path = "/api/v1/permissions", tag = TAG, security(("bearer" = ["roles:read"])), responses((status = 200, body = Vec<PermissionView>)))]
pub async fn list_permissions(
    id: IdentityService,
    _g: Granted<RolesRead>,
) -> Json<Vec<PermissionView>> {
    Json(
        id.catalog
            .all()
            .iter()
            .map(|d| PermissionView {
                name: d.name,
                description: d.description,
                roles: std::iter::once("owner").chain(d.roles.iter().map(|r| r.key())).collect(),
            })
            .collect(),
    )
}
