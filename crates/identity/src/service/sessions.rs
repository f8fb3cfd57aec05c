//! Sessions: signing in, refreshing, signing out, switching company, and
//! the caller's own account.

use chrono::Utc;
use kernel::crypto::constant_time_eq;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Session, TenantSummary, UserSummary, choose_tenant, issue, role_names};
use crate::audit::{Actor, Changes, Entry, RequestMeta};
use crate::auth::{Caller, Identity, Principal, SignedIn};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::repo;
use crate::tokens::{self, OpaqueToken};
use crate::{password, throttle};

/// Signs a person in to one of their companies (the one named by `slug`,
/// else the one they used last).
pub async fn login(
    id: &Identity,
    email: &str,
    password_text: &str,
    slug: Option<&str>,
    meta: &RequestMeta,
) -> Result<Session> {
    let db = id.db();
    let email = email.trim().to_lowercase();
    let keys = throttle::keys(&email, meta.ip);
    if let Some(wait) = throttle::locked_for(db, &keys).await? {
        return Err(IdentityError::LoginThrottled(wait));
    }
    let user = {
        let mut conn = db.pool().acquire().await?;
        repo::user_by_email(&mut conn, &email).await?
    };
    let ok =
        password::verify(password_text.to_string(), user.as_ref().map(|u| u.password_hash.clone()))
            .await;
    let Some(user) = user.filter(|_| ok) else {
        return match throttle::record_failure(db, &keys).await? {
            Some(wait) => Err(IdentityError::LoginThrottled(wait)),
            None => Err(IdentityError::InvalidCredentials),
        };
    };
    throttle::record_success(db, &email).await?;
    let tenant = choose_tenant(db, user.id, slug).await?;
    let mut tx = db.tenant(&id.access(tenant.id)).await?;
    let roles = role_names(&mut tx, user.id).await?;
    kernel::audit::record(
        &mut tx,
        meta,
        Entry {
            actor: Actor::User(user.id.as_uuid()),
            action: "auth.login",
            resource_type: "session",
            resource_id: None,
            changes: Changes::new(),
        },
    );
    let summary = UserSummary { id: user.id, email: user.email, name: user.name };
    let session = issue(&mut tx, id, &tenant, summary, None, roles, meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// Exchanges a refresh token for a new pair. A token used twice ends its
/// whole session (someone else may hold a copy).
pub async fn refresh(id: &Identity, token: &str, meta: &RequestMeta) -> Result<Session> {
    let t = OpaqueToken::parse(tokens::REFRESH, token)
        .ok_or(IdentityError::BadToken("refresh_token"))?;
    let mut tx = id.db().tenant(&id.access(t.tenant)).await?;
    let row = repo::refresh_for_update(&mut tx, t.id).await?;
    let Some(row) = row.filter(|r| constant_time_eq(&r.token_hash, &t.hash())) else {
        return Err(IdentityError::BadToken("refresh_token"));
    };
    if row.revoked_at.is_some() {
        return Err(IdentityError::SessionEnded);
    }
    if row.used_at.is_some() {
        repo::revoke_family(&mut tx, row.family_id, "reuse").await?;
        id.end_sessions(&mut tx, &[row.family_id]).await?;
        kernel::audit::record(
            &mut tx,
            meta,
            Entry {
                actor: Actor::User(row.user_id.as_uuid()),
                action: "auth.refresh_reuse_detected",
                resource_type: "session",
                resource_id: Some(row.family_id.to_string()),
                changes: Changes::new().set("revoked", true),
            },
        );
        tx.commit().await?;
        return Err(IdentityError::RefreshReused);
    }
    if row.expires_at < Utc::now() {
        return Err(IdentityError::BadToken("refresh_token"));
    }
    let member = repo::member_auth(&mut tx, row.user_id).await?;
    if member.as_ref().is_none_or(|m| m.status != "active") {
        return Err(IdentityError::SessionEnded);
    }
    repo::mark_refresh_used(&mut tx, t.id).await?;
    let tenant = repo::tenant(&mut tx, t.tenant).await?.ok_or(IdentityError::SessionEnded)?;
    let user = repo::user(&mut tx, row.user_id).await?.ok_or(IdentityError::SessionEnded)?;
    kernel::audit::record(
        &mut tx,
        meta,
        Entry {
            actor: Actor::User(row.user_id.as_uuid()),
            action: "auth.refreshed",
            resource_type: "session",
            resource_id: Some(row.family_id.to_string()),
            changes: Changes::new(),
        },
    );
    let roles = member.map(|m| m.role_names).unwrap_or_default();
    let summary = UserSummary { id: user.id, email: user.email, name: user.name };
    let session = issue(&mut tx, id, &tenant, summary, Some(row.family_id), roles, meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// Ends a session: the one a refresh token belongs to, else the caller's.
pub async fn logout(
    id: &Identity,
    caller: Option<&Caller>,
    refresh_token: Option<&str>,
    meta: &RequestMeta,
) -> Result<()> {
    let db = id.db();
    let (tenant, family, user) = match (refresh_token, caller) {
        (Some(text), _) => {
            let t = OpaqueToken::parse(tokens::REFRESH, text)
                .ok_or(IdentityError::BadToken("refresh_token"))?;
            let mut tx = db.tenant(&id.access(t.tenant)).await?;
            let row = repo::refresh_for_update(&mut tx, t.id)
                .await?
                .filter(|r| constant_time_eq(&r.token_hash, &t.hash()))
                .ok_or(IdentityError::BadToken("refresh_token"))?;
            tx.commit().await?;
            (t.tenant, row.family_id, row.user_id)
        }
        (None, Some(c)) => match c.principal() {
            Principal::User { id, session } => (c.tenant(), session, id),
            Principal::ApiKey { .. } => return Err(IdentityError::UserOnly),
        },
        (None, None) => return Err(IdentityError::Unauthenticated),
    };
    let mut tx = db.tenant(&id.access(tenant)).await?;
    repo::revoke_family(&mut tx, family, "logout").await?;
    id.end_sessions(&mut tx, &[family]).await?;
    kernel::audit::record(
        &mut tx,
        meta,
        Entry {
            actor: Actor::User(user.as_uuid()),
            action: "auth.logout",
            resource_type: "session",
            resource_id: Some(family.to_string()),
            changes: Changes::new(),
        },
    );
    tx.commit().await?;
    Ok(())
}

/// Issues tokens for another of the caller's companies.
pub async fn switch(id: &Identity, me: &SignedIn, slug: &str) -> Result<Session> {
    let db = id.db();
    let (user, meta) = (me.user(), me.meta());
    let tenant = choose_tenant(db, user, Some(slug)).await?;
    let person = {
        let mut conn = db.pool().acquire().await?;
        repo::user(&mut conn, user).await?.ok_or(IdentityError::SessionEnded)?
    };
    let mut tx = db.tenant(&id.access(tenant.id)).await?;
    let roles = role_names(&mut tx, user).await?;
    kernel::audit::record(
        &mut tx,
        meta,
        Entry {
            actor: Actor::User(user.as_uuid()),
            action: "auth.switched",
            resource_type: "session",
            resource_id: None,
            changes: Changes::new(),
        },
    );
    let summary = UserSummary { id: user, email: person.email, name: person.name };
    let session = issue(&mut tx, id, &tenant, summary, None, roles, meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// What `GET /me` shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    /// The person (absent for API keys).
    pub user: Option<UserSummary>,
    /// The API key (absent for people).
    pub api_key: Option<Uuid>,
    /// The current company.
    pub tenant: TenantSummary,
    /// Role names in it.
    pub roles: Vec<String>,
    /// Permissions in it.
    pub permissions: Vec<String>,
    /// Every company the person belongs to.
    pub tenants: Vec<repo::MembershipSummary>,
}

/// The caller, their company, roles and permissions.
pub async fn me(id: &Identity, caller: &Caller) -> Result<Me> {
    let mut tx = id.db().global().await?;
    let tenant =
        repo::tenant(&mut tx, caller.tenant()).await?.ok_or(IdentityError::SessionEnded)?;
    let (user, api_key, tenants) = match caller.principal() {
        Principal::User { id, .. } => {
            let u = repo::user(&mut tx, id).await?.ok_or(IdentityError::SessionEnded)?;
            let tenants = repo::memberships_of(&mut tx, id).await?;
            (Some(UserSummary { id: u.id, email: u.email, name: u.name }), None, tenants)
        }
        Principal::ApiKey { id } => (None, Some(id), Vec::new()),
    };
    tx.commit().await?;
    Ok(Me {
        user,
        api_key,
        tenant: (&tenant).into(),
        roles: caller.roles().to_vec(),
        permissions: caller.permissions(),
        tenants,
    })
}

/// Changes the signed-in person's name.
pub async fn rename_me(id: &Identity, me: &SignedIn, name: &Name) -> Result<()> {
    let (caller, user) = (me.caller(), me.user());
    let mut tx = caller.tx(id.db()).await?;
    let old = repo::user(&mut tx, user).await?.ok_or(IdentityError::SessionEnded)?;
    repo::set_user_name(&mut tx, user, name.as_str()).await?;
    caller.audit(
        &mut tx,
        "user.renamed",
        "user",
        Some(user.to_string()),
        Changes::new().diff("name", &old.name, &name.as_str().to_string()),
    );
    tx.commit().await?;
    Ok(())
}
