//! The company's people: members and invitations.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use kernel::ApiResult;
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::TAG;
use crate::auth::{Granted, IdentityService};
use crate::model::*;
use crate::permissions::*;
use crate::repo::{Invitation, Member};
use crate::service::{self, MemberStatus};

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Only members in this state.
    #[param(inline)]
    pub status: Option<MemberStatus>,
}

/// The company's members, oldest first.
#[utoipa::path(get, path = "/api/v1/users", tag = TAG, params(PageParams, UserFilter), security(("bearer" = ["users:read"])),
    responses((status = 200, body = Page<Member>)))]
pub async fn list_users(
    id: IdentityService,
    g: Granted<UsersRead>,
    page: PageRequest,
    Query(f): Query<UserFilter>,
) -> ApiResult<Json<Page<Member>>> {
    Ok(Json(service::list_members(&id, &g, &page, f.status).await?))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["users:read"])),
    responses((status = 200, body = Member), (status = 404, body = kernel::error::Problem)))]
pub async fn get_user(
    svc: IdentityService,
    g: Granted<UsersRead>,
    Path(id): Path<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(service::member(&svc, &g, id).await?))
}

/// Changes to a member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// Their roles, replacing the current ones: role ids or system keys.
    pub roles: Option<Vec<String>>,
}

/// Changes a member's roles (the company keeps at least one active owner;
/// only owners grant or take ownership).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = UpdateUser,
    security(("bearer" = ["users:write"])), responses((status = 200, body = Member), (status = 409, body = kernel::error::Problem)))]
pub async fn update_user(
    svc: IdentityService,
    g: Granted<UsersWrite>,
    Path(id): Path<UserId>,
    Json(r): Json<UpdateUser>,
) -> ApiResult<Json<Member>> {
    let u = service::MemberUpdate { roles: r.roles };
    Ok(Json(service::update_member(&svc, &g, id, u).await?))
}

/// Deactivates a member: their sessions end at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["users:write"])),
    responses((status = 200, body = Member), (status = 409, body = kernel::error::Problem)))]
pub async fn deactivate_user(
    svc: IdentityService,
    g: Granted<UsersWrite>,
    Path(id): Path<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(service::set_member_active(&svc, &g, id, false).await?))
}

/// Reactivates a member.
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["users:write"])),
    responses((status = 200, body = Member)))]
pub async fn reactivate_user(
    svc: IdentityService,
    g: Granted<UsersWrite>,
    Path(id): Path<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(service::set_member_active(&svc, &g, id, true).await?))
}

/// Pending invitations.
#[utoipa::path(get, path = "/api/v1/invitations", tag = TAG, params(PageParams), security(("bearer" = ["users:read"])),
    responses((status = 200, body = Page<Invitation>)))]
pub async fn list_invitations(
    id: IdentityService,
    g: Granted<UsersRead>,
    page: PageRequest,
) -> ApiResult<Json<Page<Invitation>>> {
    Ok(Json(service::list_invitations(&id, &g, &page).await?))
}

/// An invitation to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    /// The invitee's e-mail address.
    pub email: Email,
    /// Their roles: role ids or system keys (`admin`, `accountant`, …).
    pub roles: Vec<String>,
}

/// Invites someone: a link valid for 7 days is e-mailed to them.
#[utoipa::path(post, path = "/api/v1/invitations", tag = TAG, request_body = NewInvitation, security(("bearer" = ["users:write"])),
    responses((status = 201, body = Invitation), (status = 409, body = kernel::error::Problem)))]
pub async fn create_invitation(
    id: IdentityService,
    g: Granted<UsersWrite>,
    Json(r): Json<NewInvitation>,
) -> ApiResult<impl IntoResponse> {
    let inv = service::invite(&id, &g, &r.email, &r.roles).await?;
    Ok((StatusCode::CREATED, Json(inv)))
}

/// Revokes a pending invitation.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["users:write"])),
    responses((status = 204, description = "Revoked"), (status = 404, body = kernel::error::Problem)))]
pub async fn revoke_invitation(
    svc: IdentityService,
    g: Granted<UsersWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::revoke_invitation(&svc, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
