//! Signing up, in and out, sessions, passwords and invitations — the
//! routes a person uses before (or to stop) being signed in.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kernel::extract::Json;
use kernel::{ApiError, ApiResult};
use serde::Deserialize;
use utoipa::ToSchema;

use super::TAG;
use super::delivery::Delivery;
use crate::auth::{Caller, IdentityService, Meta, SignedIn};
use crate::error::IdentityError;
use crate::model::*;
use crate::service::{self, NewCompany, Session};

/// Sign-up: a company and its owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The company's name.
    pub company_name: Name,
    /// The owner's e-mail address (their login).
    pub email: Email,
    /// 10–128 characters and hard to guess (a zxcvbn score of at least 3;
    /// the e-mail address and company name count against it).
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 128)]
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
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = TAG, request_body = SignupRequest, params(("Tessera-Session" = inline(Option<super::delivery::SessionMode>), Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie instead of the body (the console)")),
    responses((status = 201, body = Session), (status = 409, description = "E-mail or slug taken", body = kernel::error::Problem),
              (status = 422, description = "Invalid fields", body = kernel::error::Problem)))]
pub async fn signup(
    id: IdentityService,
    Meta(meta): Meta,
    delivery: Delivery,
    Json(r): Json<SignupRequest>,
) -> ApiResult<Response> {
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
    let session = service::signup(&id, s, &meta).await?;
    Ok(delivery.session(StatusCode::CREATED, session))
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
#[utoipa::path(post, path = "/api/v1/auth/login", tag = TAG, request_body = LoginRequest, params(("Tessera-Session" = inline(Option<super::delivery::SessionMode>), Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie instead of the body (the console)")),
    responses((status = 200, body = Session),
              (status = 401, description = "Wrong e-mail or password", body = kernel::error::Problem),
              (status = 429, description = "Too many failed attempts; see Retry-After", body = kernel::error::Problem)))]
pub async fn login(
    id: IdentityService,
    Meta(meta): Meta,
    delivery: Delivery,
    Json(r): Json<LoginRequest>,
) -> ApiResult<Response> {
    let s = service::login(&id, &r.email, r.password.expose(), r.slug.as_deref(), &meta).await?;
    Ok(delivery.session(StatusCode::OK, s))
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
    id: IdentityService,
    Meta(meta): Meta,
    Json(r): Json<RefreshRequest>,
) -> ApiResult<Json<Session>> {
    Ok(Json(service::refresh(&id, &r.refresh_token, &meta).await?))
}

/// Exchanges the session cookie's refresh token for a new access token
/// (and a new cookie): how the console stays signed in, and signs in again
/// after a reload. Needs `Tessera-Session: cookie`.
#[utoipa::path(post, path = "/api/v1/auth/session/refresh", tag = TAG,
    params(("Tessera-Session" = inline(super::delivery::SessionMode), Header, description = "Must be `cookie`")),
    responses((status = 200, body = Session, description = "A new access token; the cookie is replaced"),
              (status = 401, description = "No session cookie, or it ended", body = kernel::error::Problem)))]
pub async fn refresh_cookie(
    id: IdentityService,
    Meta(meta): Meta,
    delivery: Delivery,
) -> ApiResult<Response> {
    if !delivery.is_cookie() {
        return Err(kernel::extract::invalid_parameter(kernel::FieldError::new(
            "Tessera-Session",
            "is required: `cookie`",
        )));
    }
    let Some(token) = delivery.presented() else {
        return Err(IdentityError::Unauthenticated.into());
    };
    let s = service::refresh(&id, token, &meta).await?;
    Ok(delivery.session(StatusCode::OK, s))
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
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = TAG, request_body(content = LogoutRequest, description = "Optional"), params(("Tessera-Session" = inline(Option<super::delivery::SessionMode>), Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie instead of the body (the console)")),
    responses((status = 204, description = "Signed out"),
              (status = 403, description = "An API key cannot sign out; revoke it instead", body = kernel::error::Problem)))]
pub async fn logout(
    id: IdentityService,
    Meta(meta): Meta,
    caller: Option<Caller>,
    delivery: Delivery,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let r: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        Json::<LogoutRequest>::from_bytes(&body)?.0
    };
    let token = r.refresh_token.as_deref().or(delivery.presented());
    let ended = service::logout(&id, caller.as_ref(), token, &meta).await;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    delivery.clear(&mut resp);
    match ended {
        Ok(()) => Ok(resp),
        // Signing out of a session that already ended still clears the cookie.
        Err(IdentityError::BadToken(_)) if delivery.is_cookie() && r.refresh_token.is_none() => {
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

/// Another company to work in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchRequest {
    /// Its URL name.
    pub slug: String,
}

/// Returns tokens for another company the caller belongs to.
#[utoipa::path(post, path = "/api/v1/auth/switch", tag = TAG, request_body = SwitchRequest, security(("bearer" = [])), params(("Tessera-Session" = inline(Option<super::delivery::SessionMode>), Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie instead of the body (the console)")),
    responses((status = 200, body = Session), (status = 404, description = "Not a company of the caller's", body = kernel::error::Problem),
              (status = 403, description = "Only a signed-in person may do this, not an API key", body = kernel::error::Problem)))]
pub async fn switch(
    id: IdentityService,
    me: SignedIn,
    delivery: Delivery,
    Json(r): Json<SwitchRequest>,
) -> ApiResult<Response> {
    Ok(delivery.session(StatusCode::OK, service::switch(&id, &me, &r.slug).await?))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    #[schema(value_type = String, format = Password)]
    pub current_password: PasswordInput,
    /// The new password: 10–128 characters and hard to guess.
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 128)]
    pub new_password: PasswordInput,
}

/// Changes the caller's password; every other session ends and a fresh
/// pair is returned.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = TAG, request_body = PasswordChange, security(("bearer" = [])), params(("Tessera-Session" = inline(Option<super::delivery::SessionMode>), Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie instead of the body (the console)")),
    responses((status = 200, body = Session), (status = 422, body = kernel::error::Problem),
              (status = 403, description = "Only a signed-in person may do this, not an API key", body = kernel::error::Problem)))]
pub async fn change_password(
    id: IdentityService,
    me: SignedIn,
    delivery: Delivery,
    Json(r): Json<PasswordChange>,
) -> ApiResult<Response> {
    let s =
        service::change_password(&id, &me, r.current_password.expose(), r.new_password.expose())
            .await?;
    Ok(delivery.session(StatusCode::OK, s))
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
    id: IdentityService,
    Json(r): Json<ResetRequest>,
) -> ApiResult<StatusCode> {
    service::request_reset(&id, &r.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A new password with a reset token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The token from the e-mail.
    pub token: String,
    /// The new password: 10–128 characters and hard to guess.
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 128)]
    pub new_password: PasswordInput,
}

/// Sets a new password; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = TAG, request_body = ResetPassword,
    responses((status = 204, description = "Password changed"), (status = 400, body = kernel::error::Problem)))]
pub async fn reset_password(
    id: IdentityService,
    Meta(meta): Meta,
    Json(r): Json<ResetPassword>,
) -> ApiResult<StatusCode> {
    service::reset_password(&id, &r.token, r.new_password.expose(), &meta).await?;
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
    /// A new account's password (10–128 characters and hard to guess), or
    /// the existing account's password.
    #[schema(value_type = Option<String>, format = Password, min_length = 10, max_length = 128)]
    pub password: Option<PasswordInput>,
}

/// Joins the company the invitation is for (creating the account if the
/// e-mail has none) and signs in there.
#[utoipa::path(post, path = "/api/v1/auth/invitations/accept", tag = TAG, request_body = AcceptInvitation, params(("Tessera-Session" = inline(Option<super::delivery::SessionMode>), Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie instead of the body (the console)")),
    responses((status = 200, body = Session), (status = 400, body = kernel::error::Problem)))]
pub async fn accept_invitation(
    id: IdentityService,
    Meta(meta): Meta,
    delivery: Delivery,
    Json(r): Json<AcceptInvitation>,
) -> ApiResult<Response> {
    let a = service::Acceptance {
        token: r.token,
        name: r.name,
        password: r.password.map(|p| p.expose().to_string()),
    };
    Ok(delivery.session(StatusCode::OK, service::accept_invitation(&id, a, &meta).await?))
}
