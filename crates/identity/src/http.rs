//! Identity's HTTP routes: thin handlers that extract, call a service and
//! shape the response.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use kernel::{ApiError, ApiResult, AppState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEntry, AuditFilter};
use crate::auth::{Caller, Granted, Identity, Meta, SignedIn};
use crate::error::IdentityError;
use crate::model::*;
use crate::permissions::*;
use crate::repo::{self, ApiKey, Invitation, Member, Tenant};
use crate::service::{self, Me, NewApiKey, NewCompany, Role, Session};

/// The OpenAPI tag of these routes.
pub const TAG: &str = "identity";

/// Every identity route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(switch))
        .routes(routes!(change_password))
        .routes(routes!(request_reset))
        .routes(routes!(reset_password))
        .routes(routes!(accept_invitation))
        .routes(routes!(me, update_me))
        .routes(routes!(create_tenant))
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(list_users))
        .routes(routes!(get_user, update_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(reactivate_user))
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(list_permissions))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(list_audit))
        .routes(routes!(jwks))
}

fn identity(state: &AppState) -> Arc<Identity> {
    state.service::<Identity>()
}

/// Sign-up: a company and its owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The company's name.
    pub company_name: Name,
    /// The owner's e-mail address (their login).
    pub email: Email,
    /// At least 10 characters and hard to guess.
    #[schema(value_type = String, format = Password)]
    pub password: String,
    /// The owner's name.
    pub name: Option<Name>,
    /// The company's URL name (derived from its name when absent).
    pub slug: Option<Slug>,
    /// Industry.
    pub industry: Option<String>,
    /// GSTIN (its state becomes the company's state).
    pub gstin: Option<Gstin>,
    /// GST state code or name.
    pub state: Option<StateCode>,
    /// ISO 4217 currency (INR).
    pub currency: Option<Currency>,
    /// IANA time zone (Asia/Kolkata).
    pub time_zone: Option<TimeZone>,
}

/// Creates a company, its owner and a first session.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = TAG, request_body = SignupRequest,
    responses((status = 201, body = Session), (status = 409, description = "E-mail or slug taken", body = kernel::error::Problem),
              (status = 422, description = "Invalid fields", body = kernel::error::Problem)))]
pub async fn signup(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(r): Json<SignupRequest>,
) -> ApiResult<impl IntoResponse> {
    let context = [r.email.as_str(), r.company_name.as_str()];
    let password =
        Password::new(&r.password, &context).map_err(|m| ApiError::invalid("password", m))?;
    let company = NewCompany {
        name: r.company_name,
        slug: r.slug,
        industry: r.industry,
        gstin: r.gstin,
        state: r.state,
        currency: r.currency,
        time_zone: r.time_zone,
    };
    let s = service::Signup { company, email: r.email, name: r.name, password };
    let session = service::signup(state.db(), &identity(&state), s, &meta).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: PasswordInput,
    /// Which company (by URL name); the last one used when absent.
    pub slug: Option<String>,
}

/// Signs in and returns tokens for one company.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = TAG, request_body = LoginRequest,
    responses((status = 200, body = Session),
              (status = 401, description = "Wrong e-mail or password", body = kernel::error::Problem),
              (status = 429, description = "Too many failed attempts; see Retry-After", body = kernel::error::Problem)))]
pub async fn login(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(r): Json<LoginRequest>,
) -> ApiResult<Json<Session>> {
    let s = service::login(
        state.db(),
        &identity(&state),
        &r.email,
        r.password.expose(),
        r.slug.as_deref(),
        &meta,
    )
    .await?;
    Ok(Json(s))
}

/// A refresh token to exchange or revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token.
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair (the old one stops working;
/// using it again ends the session).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = TAG, request_body = RefreshRequest,
    responses((status = 200, body = Session), (status = 401, body = kernel::error::Problem)))]
pub async fn refresh(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(r): Json<RefreshRequest>,
) -> ApiResult<Json<Session>> {
    Ok(Json(service::refresh(state.db(), &identity(&state), &r.refresh_token, &meta).await?))
}

/// Sign-out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    /// The session's refresh token (else the bearer token's session ends).
    pub refresh_token: Option<String>,
}

/// Ends a session: its refresh tokens stop working and its access tokens
/// are refused.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = TAG, request_body(content = LogoutRequest, description = "Optional"),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    Meta(meta): Meta,
    caller: Option<Caller>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let r: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        Json::<LogoutRequest>::from_bytes(&body)?.0
    };
    service::logout(
        state.db(),
        &identity(&state),
        caller.as_ref(),
        r.refresh_token.as_deref(),
        &meta,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Another company to work in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchRequest {
    /// Its URL name.
    pub slug: String,
}

/// Returns tokens for another company the caller belongs to.
#[utoipa::path(post, path = "/api/v1/auth/switch", tag = TAG, request_body = SwitchRequest, security(("bearer" = [])),
    responses((status = 200, body = Session), (status = 404, body = kernel::error::Problem)))]
pub async fn switch(
    State(state): State<AppState>,
    me: SignedIn,
    Json(r): Json<SwitchRequest>,
) -> ApiResult<Json<Session>> {
    Ok(Json(
        service::switch(state.db(), &identity(&state), me.user, &r.slug, &me.caller.meta).await?,
    ))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    #[schema(value_type = String, format = Password)]
    pub current_password: PasswordInput,
    /// The new password.
    #[schema(value_type = String, format = Password)]
    pub new_password: PasswordInput,
}

/// Changes the caller's password; every other session ends and a fresh
/// pair is returned.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = TAG, request_body = PasswordChange, security(("bearer" = [])),
    responses((status = 200, body = Session), (status = 422, body = kernel::error::Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    me: SignedIn,
    Json(r): Json<PasswordChange>,
) -> ApiResult<Json<Session>> {
    let s = service::change_password(
        state.db(),
        &identity(&state),
        &me.caller,
        me.user,
        r.current_password.expose(),
        r.new_password.expose(),
    )
    .await?;
    Ok(Json(s))
}

/// Where to send a reset link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's e-mail address.
    pub email: Email,
}

/// Sends a password reset link if the account exists (always 202).
#[utoipa::path(post, path = "/api/v1/auth/password/reset-request", tag = TAG, request_body = ResetRequest,
    responses((status = 202, description = "A link was sent if the account exists")))]
pub async fn request_reset(
    State(state): State<AppState>,
    Json(r): Json<ResetRequest>,
) -> ApiResult<StatusCode> {
    service::request_reset(state.db(), &identity(&state), &r.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A new password with a reset token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The token from the e-mail.
    pub token: String,
    /// The new password.
    #[schema(value_type = String, format = Password)]
    pub new_password: PasswordInput,
}

/// Sets a new password; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = TAG, request_body = ResetPassword,
    responses((status = 204, description = "Password changed"), (status = 400, body = kernel::error::Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(r): Json<ResetPassword>,
) -> ApiResult<StatusCode> {
    service::reset_password(
        state.db(),
        &identity(&state),
        &r.token,
        r.new_password.expose(),
        &meta,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepting an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The token from the e-mail.
    pub token: String,
    /// A new account's name.
    pub name: Option<Name>,
    /// A new account's password, or the existing account's password.
    #[schema(value_type = String, format = Password)]
    pub password: Option<PasswordInput>,
}

/// Joins the company the invitation is for (creating the account if the
/// e-mail has none) and signs in there.
#[utoipa::path(post, path = "/api/v1/auth/invitations/accept", tag = TAG, request_body = AcceptInvitation,
    responses((status = 200, body = Session), (status = 400, body = kernel::error::Problem)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Json(r): Json<AcceptInvitation>,
) -> ApiResult<Json<Session>> {
    let a = service::Acceptance {
        token: r.token,
        name: r.name,
        password: r.password.map(|p| p.expose().to_string()),
    };
    Ok(Json(service::accept_invitation(state.db(), &identity(&state), a, &meta).await?))
}

/// The caller: person or key, company, roles, permissions, companies.
#[utoipa::path(get, path = "/api/v1/me", tag = TAG, security(("bearer" = [])), responses((status = 200, body = Me)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    Ok(Json(service::me(state.db(), &caller).await?))
}

/// Changes to the caller's own account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// Display name.
    pub name: Name,
}

/// Changes the caller's name.
#[utoipa::path(patch, path = "/api/v1/me", tag = TAG, request_body = UpdateMe, security(("bearer" = [])), responses((status = 200, body = Me)))]
pub async fn update_me(
    State(state): State<AppState>,
    me: SignedIn,
    Json(r): Json<UpdateMe>,
) -> ApiResult<Json<Me>> {
    service::rename_me(state.db(), &me.caller, me.user, &r.name).await?;
    Ok(Json(service::me(state.db(), &me.caller).await?))
}

/// A further company for the signed-in person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantRequest {
    /// Company name.
    pub name: Name,
    /// URL name.
    pub slug: Option<Slug>,
    /// Industry.
    pub industry: Option<String>,
    /// GSTIN.
    pub gstin: Option<Gstin>,
    /// GST state.
    pub state: Option<StateCode>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Time zone.
    pub time_zone: Option<TimeZone>,
}

/// Creates another company owned by the caller and returns tokens for it.
#[utoipa::path(post, path = "/api/v1/tenants", tag = TAG, request_body = NewTenantRequest, security(("bearer" = [])),
    responses((status = 201, body = Session)))]
pub async fn create_tenant(
    State(state): State<AppState>,
    me: SignedIn,
    Json(r): Json<NewTenantRequest>,
) -> ApiResult<impl IntoResponse> {
    let company = NewCompany {
        name: r.name,
        slug: r.slug,
        industry: r.industry,
        gstin: r.gstin,
        state: r.state,
        currency: r.currency,
        time_zone: r.time_zone,
    };
    let s =
        service::create_company(state.db(), &identity(&state), me.user, company, &me.caller.meta)
            .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// The company's profile and settings.
#[utoipa::path(get, path = "/api/v1/tenant", tag = TAG, security(("bearer" = [])), responses((status = 200, body = Tenant)))]
pub async fn get_tenant(
    State(state): State<AppState>,
    g: Granted<TenantRead>,
) -> ApiResult<Json<Tenant>> {
    let mut conn = state.db().pool().acquire().await?;
    Ok(Json(repo::tenant(&mut conn, g.tenant).await?.ok_or(IdentityError::NotFound("company"))?))
}

/// Changes to the company.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    /// Name.
    pub name: Option<Name>,
    /// Industry ("" clears).
    pub industry: Option<String>,
    /// GSTIN ("" clears).
    pub gstin: Option<String>,
    /// GST state ("" clears).
    pub state: Option<String>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Time zone.
    pub time_zone: Option<TimeZone>,
    /// Settings (replaced as a whole; omitted fields take their defaults).
    pub settings: Option<TenantSettings>,
}

fn optional<T>(
    field: &str,
    raw: Option<String>,
    parse: fn(&str) -> Result<T, String>,
) -> ApiResult<Option<Option<T>>> {
    match raw {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(Some(None)),
        Some(s) => parse(&s).map(|v| Some(Some(v))).map_err(|m| ApiError::invalid(field, m)),
    }
}

/// Changes the company's profile and settings.
#[utoipa::path(patch, path = "/api/v1/tenant", tag = TAG, request_body = UpdateTenant, security(("bearer" = [])),
    responses((status = 200, body = Tenant), (status = 403, body = kernel::error::Problem)))]
pub async fn update_tenant(
    State(state): State<AppState>,
    g: Granted<TenantWrite>,
    Json(r): Json<UpdateTenant>,
) -> ApiResult<Json<Tenant>> {
    let u = service::TenantUpdate {
        name: r.name,
        industry: r.industry,
        gstin: optional("gstin", r.gstin, Gstin::parse)?,
        state: optional("state", r.state, StateCode::parse)?,
        currency: r.currency,
        time_zone: r.time_zone,
        settings: r.settings,
    };
    Ok(Json(service::update_tenant(state.db(), &identity(&state), &g, u).await?))
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// `active` or `deactivated`.
    pub status: Option<String>,
}

/// The company's members, oldest first.
#[utoipa::path(get, path = "/api/v1/users", tag = TAG, params(PageParams, UserFilter), security(("bearer" = [])),
    responses((status = 200, body = Page<Member>)))]
pub async fn list_users(
    State(state): State<AppState>,
    g: Granted<UsersRead>,
    page: PageRequest,
    Query(f): Query<UserFilter>,
) -> ApiResult<Json<Page<Member>>> {
    if let Some(s) = &f.status
        && s != "active"
        && s != "deactivated"
    {
        return Err(ApiError::invalid("status", "must be `active` or `deactivated`"));
    }
    let after: Option<(DateTime<Utc>, UserId)> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    let rows =
        service::list_members(&mut tx, g.tenant, after, f.status.as_deref(), page.fetch()).await?;
    drop(tx);
    Ok(Json(page.page(rows, |m| (m.created_at, m.id))))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Member), (status = 404, body = kernel::error::Problem)))]
pub async fn get_user(
    State(state): State<AppState>,
    g: Granted<UsersRead>,
    Path(id): Path<UserId>,
) -> ApiResult<Json<Member>> {
    let mut tx = g.read_tx(state.db()).await?;
    let m = repo::member(&mut tx, g.tenant, id).await?.ok_or(IdentityError::NotFound("user"))?;
    drop(tx);
    Ok(Json(m))
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
    security(("bearer" = [])), responses((status = 200, body = Member), (status = 409, body = kernel::error::Problem)))]
pub async fn update_user(
    State(state): State<AppState>,
    g: Granted<UsersWrite>,
    Path(id): Path<UserId>,
    Json(r): Json<UpdateUser>,
) -> ApiResult<Json<Member>> {
    let u = service::MemberUpdate { roles: r.roles };
    Ok(Json(service::update_member(state.db(), &identity(&state), &g, id, u).await?))
}

/// Deactivates a member: their sessions end at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Member), (status = 409, body = kernel::error::Problem)))]
pub async fn deactivate_user(
    State(state): State<AppState>,
    g: Granted<UsersWrite>,
    Path(id): Path<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(service::set_member_active(state.db(), &identity(&state), &g, id, false).await?))
}

/// Reactivates a member.
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Member)))]
pub async fn reactivate_user(
    State(state): State<AppState>,
    g: Granted<UsersWrite>,
    Path(id): Path<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(service::set_member_active(state.db(), &identity(&state), &g, id, true).await?))
}

/// Pending invitations.
#[utoipa::path(get, path = "/api/v1/invitations", tag = TAG, params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = Page<Invitation>)))]
pub async fn list_invitations(
    State(state): State<AppState>,
    g: Granted<UsersRead>,
    page: PageRequest,
) -> ApiResult<Json<Page<Invitation>>> {
    let after: Option<Uuid> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    let rows = repo::pending_invitations(&mut tx, g.tenant, after, page.fetch()).await?;
    drop(tx);
    Ok(Json(page.page(rows, |i| i.id)))
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
#[utoipa::path(post, path = "/api/v1/invitations", tag = TAG, request_body = NewInvitation, security(("bearer" = [])),
    responses((status = 201, body = Invitation), (status = 409, body = kernel::error::Problem)))]
pub async fn create_invitation(
    State(state): State<AppState>,
    g: Granted<UsersWrite>,
    Json(r): Json<NewInvitation>,
) -> ApiResult<impl IntoResponse> {
    let inv = service::invite(state.db(), &identity(&state), &g, &r.email, &r.roles).await?;
    Ok((StatusCode::CREATED, Json(inv)))
}

/// Revokes a pending invitation.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, body = kernel::error::Problem)))]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    g: Granted<UsersWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::revoke_invitation(state.db(), &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The company's roles, system roles first.
#[utoipa::path(get, path = "/api/v1/roles", tag = TAG, security(("bearer" = [])), responses((status = 200, body = Vec<Role>)))]
pub async fn list_roles(
    State(state): State<AppState>,
    g: Granted<RolesRead>,
) -> ApiResult<Json<Vec<Role>>> {
    let id = identity(&state);
    let mut tx = g.read_tx(state.db()).await?;
    let rows = repo::roles(&mut tx, g.tenant).await?;
    drop(tx);
    Ok(Json(rows.into_iter().map(|r| service::role_view(&id, r)).collect()))
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
    pub permissions: Vec<String>,
}

/// Creates a custom role.
#[utoipa::path(post, path = "/api/v1/roles", tag = TAG, request_body = NewRole, security(("bearer" = [])),
    responses((status = 201, body = Role), (status = 422, body = kernel::error::Problem)))]
pub async fn create_role(
    State(state): State<AppState>,
    g: Granted<RolesWrite>,
    Json(r): Json<NewRole>,
) -> ApiResult<impl IntoResponse> {
    let role = service::create_role(
        state.db(),
        &identity(&state),
        &g,
        &r.name,
        &r.description,
        &r.permissions,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Role), (status = 404, body = kernel::error::Problem)))]
pub async fn get_role(
    State(state): State<AppState>,
    g: Granted<RolesRead>,
    Path(id): Path<RoleId>,
) -> ApiResult<Json<Role>> {
    let mut tx = g.read_tx(state.db()).await?;
    let row = repo::role(&mut tx, g.tenant, id).await?.ok_or(IdentityError::NotFound("role"))?;
    drop(tx);
    Ok(Json(service::role_view(&identity(&state), row)))
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
    pub permissions: Option<Vec<String>>,
}

/// Changes a custom role (system roles cannot be changed).
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = UpdateRole,
    security(("bearer" = [])), responses((status = 200, body = Role), (status = 409, body = kernel::error::Problem)))]
pub async fn update_role(
    State(state): State<AppState>,
    g: Granted<RolesWrite>,
    Path(id): Path<RoleId>,
    Json(r): Json<UpdateRole>,
) -> ApiResult<Json<Role>> {
    let role = service::update_role(
        state.db(),
        &identity(&state),
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
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 409, body = kernel::error::Problem)))]
pub async fn delete_role(
    State(state): State<AppState>,
    g: Granted<RolesWrite>,
    Path(id): Path<RoleId>,
) -> ApiResult<StatusCode> {
    service::delete_role(state.db(), &g, id).await?;
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
#[utoipa::path(get, path = "/api/v1/permissions", tag = TAG, security(("bearer" = [])), responses((status = 200, body = Vec<PermissionView>)))]
pub async fn list_permissions(
    State(state): State<AppState>,
    _g: Granted<RolesRead>,
) -> Json<Vec<PermissionView>> {
    let id = identity(&state);
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

/// Filters of the API key list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyFilter {
    /// Include revoked keys.
    pub include_revoked: Option<bool>,
}

/// The company's API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = TAG, params(PageParams, KeyFilter), security(("bearer" = [])),
    responses((status = 200, body = Page<ApiKey>)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    g: Granted<ApiKeysRead>,
    page: PageRequest,
    Query(f): Query<KeyFilter>,
) -> ApiResult<Json<Page<ApiKey>>> {
    let after: Option<Uuid> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    let rows =
        repo::api_keys(&mut tx, g.tenant, after, f.include_revoked.unwrap_or(false), page.fetch())
            .await?;
    drop(tx);
    Ok(Json(page.page(rows, |k| k.id)))
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    /// What it is for.
    pub name: String,
    /// Its permissions: a subset of the creator's.
    pub permissions: Vec<String>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates an API key; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = TAG, request_body = NewApiKeyRequest, security(("bearer" = [])),
    responses((status = 201, body = NewApiKey), (status = 422, body = kernel::error::Problem)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    g: Granted<ApiKeysWrite>,
    Json(r): Json<NewApiKeyRequest>,
) -> ApiResult<impl IntoResponse> {
    let k = service::create_api_key(
        state.db(),
        &identity(&state),
        &g,
        &r.name,
        &r.permissions,
        r.expires_at,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(k)))
}

/// Revokes an API key: it is refused at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, body = kernel::error::Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    g: Granted<ApiKeysWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    service::revoke_api_key(state.db(), &identity(&state), &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = TAG, params(PageParams, AuditFilter), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditEntry>)))]
pub async fn list_audit(
    State(state): State<AppState>,
    g: Granted<AuditRead>,
    page: PageRequest,
    Query(f): Query<AuditFilter>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let before: Option<i64> = page.after()?;
    let mut tx = g.read_tx(state.db()).await?;
    let rows = audit::list(&mut tx, g.tenant, &f, before, page.fetch()).await?;
    drop(tx);
    Ok(Json(page.page(rows, |e| e.seq)))
}

/// The public keys that verify access tokens (JWK Set).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = TAG, responses((status = 200, description = "JWK Set", body = Object)))]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(identity(&state).keys.jwks()),
    )
}
