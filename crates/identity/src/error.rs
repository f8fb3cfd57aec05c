//! Identity's errors and their problem documents.

use std::time::Duration;

use axum::http::StatusCode;
use kernel::{ApiError, FieldError};

use crate::tokens::TokenError;

/// Everything identity can refuse.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Wrong e-mail or password (never says which).
    #[error("the e-mail address or password is wrong")]
    InvalidCredentials,
    /// Too many failed logins.
    #[error("too many failed attempts")]
    LoginThrottled(Duration),
    /// The request rate limit was reached.
    #[error("rate limit reached")]
    RateLimited(Duration),
    /// A bearer token that does not verify.
    #[error("invalid token: {0}")]
    InvalidToken(TokenError),
    /// `Authorization` is not `Bearer <token>`.
    #[error("the Authorization header is not `Bearer <token>`")]
    BadAuthorization,
    /// The token's session was ended (logout, deactivation, password change).
    #[error("the session has ended")]
    SessionEnded,
    /// A refresh token was used twice: the whole session is revoked.
    #[error("the refresh token was already used")]
    RefreshReused,
    /// A refresh, invitation or reset token that is unknown, used or expired.
    #[error("the token is invalid or expired")]
    BadToken(&'static str),
    /// The person is not an active member of any tenant.
    #[error("no active membership")]
    NoActiveMembership,
    /// Authentication is needed.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller lacks a permission.
    #[error("missing permission {0}")]
    Forbidden(&'static str),
    /// Only people (not API keys) may do this.
    #[error("only a signed-in person may do this")]
    UserOnly,
    /// An account with this e-mail exists.
    #[error("e-mail taken")]
    EmailTaken,
    /// The tenant URL name is taken.
    #[error("slug taken")]
    SlugTaken,
    /// Another role of the tenant has this name.
    #[error("role name taken")]
    RoleNameTaken,
    /// The person is already a member.
    #[error("already a member")]
    AlreadyMember,
    /// The change would leave the tenant without an active owner.
    #[error("last owner")]
    LastOwner,
    /// System roles cannot be changed or deleted.
    #[error("system role")]
    SystemRole,
    /// The role is assigned to people.
    #[error("role in use by {0} people")]
    RoleInUse(i64),
    /// Only an owner may grant ownership.
    #[error("only an owner may grant the owner role")]
    OwnerOnly,
    /// A thing that does not exist (or belongs to another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A database error.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A problem already shaped for the client (a bad cursor, …).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl IdentityError {
    /// One field at fault.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        IdentityError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> ApiError {
        use IdentityError::*;
        match e {
            InvalidCredentials => ApiError::unauthorized("invalid_credentials", "the e-mail address or password is wrong"),
            LoginThrottled(wait) => ApiError::too_many_requests(
                "login_throttled",
                "too many failed sign-in attempts; wait before trying again",
                wait,
            ),
            RateLimited(wait) => {
                ApiError::too_many_requests("rate_limited", "the request rate limit was reached; slow down", wait)
            }
            InvalidToken(t) => ApiError::unauthorized(
                match t {
                    TokenError::Expired => "token_expired",
                    _ => "invalid_token",
                },
                t.to_string(),
            ),
            BadAuthorization => ApiError::unauthorized("invalid_authorization", "send `Authorization: Bearer <token>`"),
            SessionEnded => ApiError::unauthorized("session_ended", "this session has ended; sign in again"),
            RefreshReused => ApiError::unauthorized(
                "refresh_token_reused",
                "this refresh token was already used; the session has been ended for safety, sign in again",
            ),
            BadToken(field) => ApiError::bad_request("invalid_token", "the token is invalid, used or expired")
                .field(field, "is invalid, used or expired"),
            NoActiveMembership => ApiError::unauthorized(
                "no_active_membership",
                "this account is not active in any company; ask an administrator to invite you",
            ),
            Unauthenticated => ApiError::unauthorized("unauthenticated", "sign in and send the access token"),
            Forbidden(p) => ApiError::forbidden(p),
            UserOnly => ApiError::new(StatusCode::FORBIDDEN, "user_only", "Permission denied")
                .detail("only a signed-in person may do this, not an API key"),
            EmailTaken => ApiError::conflict(
                "email_taken",
                "an account with this e-mail address exists; sign in and add a company with POST /api/v1/tenants",
            )
            .field("email", "already has an account"),
            SlugTaken => ApiError::conflict("slug_taken", "this URL name is taken").field("slug", "is taken"),
            RoleNameTaken => ApiError::conflict("role_name_taken", "another role has this name").field("name", "is taken"),
            AlreadyMember => {
                ApiError::conflict("already_member", "this person is already a member").field("email", "is already a member")
            }
            LastOwner => ApiError::conflict(
                "last_owner",
                "the company must keep at least one active owner; make someone else an owner first",
            ),
            SystemRole => ApiError::conflict("system_role", "system roles cannot be changed or deleted"),
            RoleInUse(n) => {
                ApiError::conflict("role_in_use", format!("this role is assigned to {n} people; unassign it first"))
            }
            OwnerOnly => ApiError::new(StatusCode::FORBIDDEN, "owner_only", "Permission denied")
                .detail("only an owner may grant the owner role"),
            NotFound(what) => ApiError::not_found(what),
            Validation(errors) => ApiError::validation(errors),
            Db(e) => e.into(),
            Api(e) => e,
            Other(e) => ApiError::from(e),
        }
    }
}

impl axum::response::IntoResponse for IdentityError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}

/// Result of identity services.
pub type Result<T, E = IdentityError> = std::result::Result<T, E>;
