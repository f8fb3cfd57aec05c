//! Identity's rules: sign-up, sign-in, sessions, invitations, members,
//! roles, API keys, tenant settings, passwords — by aggregate. No HTTP and
//! no SQL here. Every function that acts on a company's data takes the
//! [`Granted`](crate::Granted) proof of the permission it needs, and every
//! mutation records its audit entry in its own transaction.

mod api_keys;
mod invitations;
mod members;
mod passwords;
mod roles;
mod sessions;
mod signup;
mod tenant;

use chrono::{Duration as ChronoDuration, Utc};
use kernel::db::{Db, TenantTx};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use api_keys::*;
pub use invitations::*;
pub use members::*;
pub use passwords::*;
pub use roles::*;
pub use sessions::*;
pub use signup::*;
pub use tenant::*;

use crate::audit::RequestMeta;
use crate::auth::Identity;
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::repo::{self, Tenant};
use crate::tokens::{self, ACCESS_TTL, AccessClaims, OpaqueToken, REFRESH_TTL};

/// How long invitations stay valid.
pub(crate) const INVITATION_TTL_DAYS: i64 = 7;

/// How long password reset links stay valid.
pub(crate) const RESET_TTL_MINUTES: i64 = 60;

/// Tokens handed to a client (OAuth 2 names).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    /// The access token (JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchange it at `/api/v1/auth/refresh` for a new pair (single use).
    /// Absent when the session is kept in a cookie (`Tessera-Session: cookie`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
    /// The tenant the tokens are for.
    pub tenant: TenantSummary,
    /// The signed-in person.
    pub user: UserSummary,
}

/// A tenant, briefly.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantSummary {
    /// Id.
    pub id: TenantId,
    /// Name.
    pub name: String,
    /// URL name.
    pub slug: String,
    /// Its IANA time zone (dates are shown in it).
    pub time_zone: String,
    /// Its ISO 4217 currency.
    pub currency: String,
}

impl From<&Tenant> for TenantSummary {
    fn from(t: &Tenant) -> Self {
        TenantSummary {
            id: t.id,
            name: t.name.clone(),
            slug: t.slug.clone(),
            time_zone: t.time_zone.clone(),
            currency: t.currency.clone(),
        }
    }
}

/// A person, briefly.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserSummary {
    /// Id.
    pub id: UserId,
    /// E-mail.
    pub email: String,
    /// Name.
    pub name: String,
}

pub(crate) fn unique_to(e: sqlx::Error, to: IdentityError) -> IdentityError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => to,
        _ => IdentityError::Db(e),
    }
}

/// Issues an access token and a refresh token (a new session unless
/// `family` continues one).
pub(crate) async fn issue(
    tx: &mut TenantTx,
    id: &Identity,
    tenant: &Tenant,
    user: UserSummary,
    family: Option<Uuid>,
    roles: Vec<String>,
    meta: &RequestMeta,
) -> Result<Session> {
    let family = family.unwrap_or_else(Uuid::now_v7);
    repo::touch_login(tx, user.id).await?;
    let refresh_id = Uuid::now_v7();
    let refresh = OpaqueToken::new(tokens::REFRESH, tenant.id, refresh_id);
    let expires = Utc::now() + ChronoDuration::from_std(REFRESH_TTL).unwrap_or_default();
    repo::insert_refresh(
        tx,
        refresh_id,
        family,
        user.id,
        &refresh.hash(),
        expires,
        meta.ip.map(|i| i.to_string()),
        meta.user_agent.as_deref(),
    )
    .await?;
    let now = Utc::now().timestamp();
    let claims = AccessClaims {
        sub: user.id,
        tid: tenant.id,
        roles,
        exp: now + ACCESS_TTL.as_secs() as i64,
        iat: now,
        nbf: now,
        jti: Uuid::now_v7(),
        typ: "access".into(),
        sid: family,
    };
    Ok(Session {
        access_token: id.keys.sign(&claims)?,
        token_type: "Bearer",
        expires_in: ACCESS_TTL.as_secs(),
        refresh_token: Some(refresh.encode()),
        refresh_expires_in: REFRESH_TTL.as_secs(),
        tenant: tenant.into(),
        user,
    })
}

pub(crate) async fn role_names(tx: &mut TenantTx, user: UserId) -> Result<Vec<String>> {
    Ok(repo::member_auth(tx, user).await?.map(|m| m.role_names).unwrap_or_default())
}

pub(crate) async fn choose_tenant(db: &Db, user: UserId, slug: Option<&str>) -> Result<Tenant> {
    let mut tx = db.global().await?;
    let all = repo::memberships_of(&mut tx, user).await?;
    let active: Vec<_> = all.iter().filter(|m| m.status == "active").collect();
    let chosen = match slug {
        Some(s) => active.iter().find(|m| m.slug == s).ok_or(IdentityError::NotFound("company"))?,
        None => active.first().ok_or(IdentityError::NoActiveMembership)?,
    };
    let tenant =
        repo::tenant(&mut tx, chosen.tenant_id).await?.ok_or(IdentityError::NotFound("company"))?;
    tx.commit().await?;
    Ok(tenant)
}
