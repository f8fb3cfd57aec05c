//! Identity's rules: sign-up, sign-in, sessions, invitations, members,
//! roles, API keys, tenant settings, passwords. No HTTP and no SQL here;
//! every mutation writes its audit entry in its own transaction.

use std::collections::BTreeSet;

use chrono::{Duration as ChronoDuration, Utc};
use kernel::FieldError;
use kernel::crypto::constant_time_eq;
use kernel::db::{Db, TenantTx};
use kernel::mail::Mail;
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Actor, Changes, Entry, RequestMeta};
use crate::auth::{Caller, Identity};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::permissions::SystemRole;
use crate::repo::{self, Member, RoleRef, Tenant};
use crate::tokens::{self, ACCESS_TTL, AccessClaims, OpaqueToken, REFRESH_TTL};
use crate::{password, throttle};

/// How long invitations stay valid.
const INVITATION_TTL_DAYS: i64 = 7;
/// How long password reset links stay valid.
const RESET_TTL_MINUTES: i64 = 60;

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
    pub refresh_token: String,
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
}

impl From<&Tenant> for TenantSummary {
    fn from(t: &Tenant) -> Self {
        TenantSummary { id: t.id, name: t.name.clone(), slug: t.slug.clone() }
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

/// Everything needed to create a company.
#[derive(Debug, Clone)]
pub struct NewCompany {
    /// Company name.
    pub name: Name,
    /// URL name (derived from the name when absent).
    pub slug: Option<Slug>,
    /// Industry.
    pub industry: Option<String>,
    /// GSTIN.
    pub gstin: Option<Gstin>,
    /// GST state.
    pub state: Option<StateCode>,
    /// Currency (INR by default).
    pub currency: Option<Currency>,
    /// Time zone (Asia/Kolkata by default).
    pub time_zone: Option<TimeZone>,
}

impl NewCompany {
    fn state(&self) -> Result<Option<String>> {
        match (&self.gstin, &self.state) {
            (Some(g), Some(s)) if g.state_code() != s.as_str() => Err(IdentityError::invalid(
                "state",
                format!(
                    "does not match the GSTIN, which is registered in state {}",
                    g.state_code()
                ),
            )),
            (Some(g), _) => Ok(Some(g.state_code().to_string())),
            (None, s) => Ok(s.as_ref().map(|s| s.as_str().to_string())),
        }
    }
}

/// Sign-up: a new company and its owner.
#[derive(Debug, Clone)]
pub struct Signup {
    /// The company.
    pub company: NewCompany,
    /// The owner's e-mail.
    pub email: Email,
    /// The owner's name.
    pub name: Option<Name>,
    /// The owner's password (already strength-checked).
    pub password: Password,
}

/// Creates a tenant, its owner and a first session.
pub async fn signup(db: &Db, id: &Identity, s: Signup, meta: &RequestMeta) -> Result<Session> {
    let state = s.company.state()?;
    {
        let mut conn = db.pool().acquire().await?;
        if repo::user_by_email(&mut conn, s.email.as_str()).await?.is_some() {
            return Err(IdentityError::EmailTaken);
        }
    }
    let hash = password::hash(s.password.expose().to_string()).await?;
    let tenant_id = TenantId::new();
    let user_id = UserId::new();
    let mut tx = db.tenant(tenant_id).await?;
    let name = s.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default();
    repo::insert_user(&mut tx, user_id, s.email.as_str(), &name, &hash)
        .await
        .map_err(|e| unique_to(e, IdentityError::EmailTaken))?;
    let tenant = create_tenant(&mut tx, tenant_id, &s.company, state).await?;
    repo::insert_membership(&mut tx, tenant_id, user_id).await?;
    let owner = create_system_roles(&mut tx, tenant_id).await?;
    repo::set_member_roles(&mut tx, tenant_id, user_id, &[owner]).await?;
    let actor = Actor::User(user_id.as_uuid());
    audit::record(
        &mut tx,
        tenant_id,
        meta,
        Entry {
            actor,
            action: "tenant.created",
            resource_type: "tenant",
            resource_id: Some(tenant_id.to_string()),
            changes: Changes::new()
                .set("name", &tenant.name)
                .set("slug", &tenant.slug)
                .set("owner", s.email.as_str()),
        },
    )
    .await?;
    let user = UserSummary { id: user_id, email: s.email.as_str().to_string(), name };
    let session = issue(&mut tx, id, &tenant, user, None, vec!["Owner".into()], meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// Creates another company owned by a signed-in person.
pub async fn create_company(
    db: &Db,
    id: &Identity,
    user: UserId,
    company: NewCompany,
    meta: &RequestMeta,
) -> Result<Session> {
    let state = company.state()?;
    let person = {
        let mut conn = db.pool().acquire().await?;
        repo::user(&mut conn, user).await?.ok_or(IdentityError::SessionEnded)?
    };
    let tenant_id = TenantId::new();
    let mut tx = db.tenant(tenant_id).await?;
    let tenant = create_tenant(&mut tx, tenant_id, &company, state).await?;
    repo::insert_membership(&mut tx, tenant_id, user).await?;
    let owner = create_system_roles(&mut tx, tenant_id).await?;
    repo::set_member_roles(&mut tx, tenant_id, user, &[owner]).await?;
    audit::record(
        &mut tx,
        tenant_id,
        meta,
        Entry {
            actor: Actor::User(user.as_uuid()),
            action: "tenant.created",
            resource_type: "tenant",
            resource_id: Some(tenant_id.to_string()),
            changes: Changes::new()
                .set("name", &tenant.name)
                .set("slug", &tenant.slug)
                .set("owner", &person.email),
        },
    )
    .await?;
    let summary = UserSummary { id: user, email: person.email, name: person.name };
    let session = issue(&mut tx, id, &tenant, summary, None, vec!["Owner".into()], meta).await?;
    tx.commit().await?;
    Ok(session)
}

fn unique_to(e: sqlx::Error, to: IdentityError) -> IdentityError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => to,
        _ => IdentityError::Db(e),
    }
}

async fn create_tenant(
    tx: &mut TenantTx,
    id: TenantId,
    c: &NewCompany,
    state: Option<String>,
) -> Result<Tenant> {
    let slug = match &c.slug {
        Some(s) => s.as_str().to_string(),
        None => {
            let base = Slug::derive(c.name.as_str())
                .map(|s| s.to_string())
                .unwrap_or_else(|| "company".into());
            let taken: BTreeSet<String> = repo::slugs_like(tx, &base).await?.into_iter().collect();
            if !taken.contains(&base) {
                base
            } else {
                (2..1000)
                    .map(|n| format!("{base}-{n}"))
                    .find(|s| !taken.contains(s))
                    .unwrap_or_else(|| {
                        format!("{base}-{}", &Uuid::new_v4().simple().to_string()[..8])
                    })
            }
        }
    };
    let new = repo::NewTenant {
        id,
        name: c.name.as_str(),
        slug: &slug,
        industry: c.industry.as_deref(),
        gstin: c.gstin.as_ref().map(Gstin::as_str),
        state: state.as_deref(),
        currency: c.currency.as_ref().map_or("INR", Currency::as_str),
        time_zone: c.time_zone.as_ref().map_or("Asia/Kolkata", TimeZone::as_str),
    };
    repo::insert_tenant(tx, &new).await.map_err(|e| unique_to(e, IdentityError::SlugTaken))
}

/// Creates the system roles; returns the owner role's id.
async fn create_system_roles(tx: &mut TenantTx, tenant: TenantId) -> Result<RoleId> {
    let mut owner = None;
    for role in SystemRole::ALL {
        let rid = RoleId::new();
        repo::insert_role(tx, tenant, rid, Some(role.key()), role.name(), role.description(), &[])
            .await?;
        if role == SystemRole::Owner {
            owner = Some(rid);
        }
    }
    owner.ok_or_else(|| IdentityError::Other(anyhow::anyhow!("no owner role")))
}

/// Issues an access token and a refresh token (a new session unless
/// `family` continues one).
async fn issue(
    tx: &mut TenantTx,
    id: &Identity,
    tenant: &Tenant,
    user: UserSummary,
    family: Option<Uuid>,
    roles: Vec<String>,
    meta: &RequestMeta,
) -> Result<Session> {
    let family = family.unwrap_or_else(Uuid::now_v7);
    repo::touch_login(tx, tenant.id, user.id).await?;
    let refresh_id = Uuid::now_v7();
    let refresh = OpaqueToken::new(tokens::REFRESH, tenant.id, refresh_id);
    let expires = Utc::now() + ChronoDuration::from_std(REFRESH_TTL).unwrap_or_default();
    repo::insert_refresh(
        tx,
        tenant.id,
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
        refresh_token: refresh.encode(),
        refresh_expires_in: REFRESH_TTL.as_secs(),
        tenant: tenant.into(),
        user,
    })
}

async fn role_names(tx: &mut TenantTx, tenant: TenantId, user: UserId) -> Result<Vec<String>> {
    Ok(repo::member_auth(tx, tenant, user).await?.map(|m| m.role_names).unwrap_or_default())
}

/// Signs a person in to one of their companies (the one named by `slug`,
/// else the one they used last).
pub async fn login(
    db: &Db,
    id: &Identity,
    email: &str,
    password_text: &str,
    slug: Option<&str>,
    meta: &RequestMeta,
) -> Result<Session> {
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
    let mut tx = db.tenant(tenant.id).await?;
    let roles = role_names(&mut tx, tenant.id, user.id).await?;
    audit::record(
        &mut tx,
        tenant.id,
        meta,
        Entry {
            actor: Actor::User(user.id.as_uuid()),
            action: "auth.login",
            resource_type: "session",
            resource_id: None,
            changes: Changes::new(),
        },
    )
    .await?;
    let summary = UserSummary { id: user.id, email: user.email, name: user.name };
    let session = issue(&mut tx, id, &tenant, summary, None, roles, meta).await?;
    tx.commit().await?;
    Ok(session)
}

async fn choose_tenant(db: &Db, user: UserId, slug: Option<&str>) -> Result<Tenant> {
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

/// Exchanges a refresh token for a new pair. A token used twice ends its
/// whole session (someone else may hold a copy).
pub async fn refresh(db: &Db, id: &Identity, token: &str, meta: &RequestMeta) -> Result<Session> {
    let t = OpaqueToken::parse(tokens::REFRESH, token)
        .ok_or(IdentityError::BadToken("refresh_token"))?;
    let mut tx = db.tenant(t.tenant).await?;
    let row = repo::refresh_for_update(&mut tx, t.tenant, t.id).await?;
    let Some(row) = row.filter(|r| constant_time_eq(&r.token_hash, &t.hash())) else {
        return Err(IdentityError::BadToken("refresh_token"));
    };
    if row.revoked_at.is_some() {
        return Err(IdentityError::SessionEnded);
    }
    if row.used_at.is_some() {
        repo::revoke_family(&mut tx, t.tenant, row.family_id, "reuse").await?;
        id.end_sessions(&mut tx, &[row.family_id]).await?;
        audit::record(
            &mut tx,
            t.tenant,
            meta,
            Entry {
                actor: Actor::User(row.user_id.as_uuid()),
                action: "auth.refresh_reuse_detected",
                resource_type: "session",
                resource_id: Some(row.family_id.to_string()),
                changes: Changes::new().set("revoked", true),
            },
        )
        .await?;
        tx.commit().await?;
        return Err(IdentityError::RefreshReused);
    }
    if row.expires_at < Utc::now() {
        return Err(IdentityError::BadToken("refresh_token"));
    }
    let member = repo::member_auth(&mut tx, t.tenant, row.user_id).await?;
    if member.as_ref().is_none_or(|m| m.status != "active") {
        return Err(IdentityError::SessionEnded);
    }
    repo::mark_refresh_used(&mut tx, t.tenant, t.id).await?;
    let tenant = repo::tenant(&mut tx, t.tenant).await?.ok_or(IdentityError::SessionEnded)?;
    let user = repo::user(&mut tx, row.user_id).await?.ok_or(IdentityError::SessionEnded)?;
    audit::record(
        &mut tx,
        t.tenant,
        meta,
        Entry {
            actor: Actor::User(row.user_id.as_uuid()),
            action: "auth.refreshed",
            resource_type: "session",
            resource_id: Some(row.family_id.to_string()),
            changes: Changes::new(),
        },
    )
    .await?;
    let roles = member.map(|m| m.role_names).unwrap_or_default();
    let summary = UserSummary { id: user.id, email: user.email, name: user.name };
    let session = issue(&mut tx, id, &tenant, summary, Some(row.family_id), roles, meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// Ends a session: the one a refresh token belongs to, else the caller's.
pub async fn logout(
    db: &Db,
    id: &Identity,
    caller: Option<&Caller>,
    refresh_token: Option<&str>,
    meta: &RequestMeta,
) -> Result<()> {
    let (tenant, family, user) = match (refresh_token, caller) {
        (Some(text), _) => {
            let t = OpaqueToken::parse(tokens::REFRESH, text)
                .ok_or(IdentityError::BadToken("refresh_token"))?;
            let mut tx = db.tenant(t.tenant).await?;
            let row = repo::refresh_for_update(&mut tx, t.tenant, t.id)
                .await?
                .filter(|r| constant_time_eq(&r.token_hash, &t.hash()))
                .ok_or(IdentityError::BadToken("refresh_token"))?;
            tx.commit().await?;
            (t.tenant, row.family_id, row.user_id)
        }
        (None, Some(c)) => match c.principal {
            crate::auth::Principal::User { id, session } => (c.tenant, session, id),
            crate::auth::Principal::ApiKey { .. } => return Err(IdentityError::UserOnly),
        },
        (None, None) => return Err(IdentityError::Unauthenticated),
    };
    let mut tx = db.tenant(tenant).await?;
    repo::revoke_family(&mut tx, tenant, family, "logout").await?;
    id.end_sessions(&mut tx, &[family]).await?;
    audit::record(
        &mut tx,
        tenant,
        meta,
        Entry {
            actor: Actor::User(user.as_uuid()),
            action: "auth.logout",
            resource_type: "session",
            resource_id: Some(family.to_string()),
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Issues tokens for another of the caller's companies.
pub async fn switch(
    db: &Db,
    id: &Identity,
    user: UserId,
    slug: &str,
    meta: &RequestMeta,
) -> Result<Session> {
    let tenant = choose_tenant(db, user, Some(slug)).await?;
    let person = {
        let mut conn = db.pool().acquire().await?;
        repo::user(&mut conn, user).await?.ok_or(IdentityError::SessionEnded)?
    };
    let mut tx = db.tenant(tenant.id).await?;
    let roles = role_names(&mut tx, tenant.id, user).await?;
    audit::record(
        &mut tx,
        tenant.id,
        meta,
        Entry {
            actor: Actor::User(user.as_uuid()),
            action: "auth.switched",
            resource_type: "session",
            resource_id: None,
            changes: Changes::new(),
        },
    )
    .await?;
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
pub async fn me(db: &Db, caller: &Caller) -> Result<Me> {
    let mut tx = db.global().await?;
    let tenant = repo::tenant(&mut tx, caller.tenant).await?.ok_or(IdentityError::SessionEnded)?;
    let (user, api_key, tenants) = match caller.principal {
        crate::auth::Principal::User { id, .. } => {
            let u = repo::user(&mut tx, id).await?.ok_or(IdentityError::SessionEnded)?;
            let tenants = repo::memberships_of(&mut tx, id).await?;
            (Some(UserSummary { id: u.id, email: u.email, name: u.name }), None, tenants)
        }
        crate::auth::Principal::ApiKey { id } => (None, Some(id), Vec::new()),
    };
    tx.commit().await?;
    Ok(Me {
        user,
        api_key,
        tenant: (&tenant).into(),
        roles: caller.roles.as_ref().clone(),
        permissions: caller.permissions(),
        tenants,
    })
}

/// Changes the signed-in person's name.
pub async fn rename_me(db: &Db, caller: &Caller, user: UserId, name: &Name) -> Result<()> {
    let mut tx = caller.tx(db).await?;
    let old = repo::user(&mut tx, user).await?.ok_or(IdentityError::SessionEnded)?;
    repo::set_user_name(&mut tx, user, name.as_str()).await?;
    caller
        .audit(
            &mut tx,
            "user.renamed",
            "user",
            Some(user.to_string()),
            Changes::new().diff("name", &old.name, &name.as_str().to_string()),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves role references (ids or system keys) of the caller's tenant.
async fn resolve_roles(
    tx: &mut TenantTx,
    tenant: TenantId,
    field: &str,
    refs: &[String],
) -> Result<Vec<RoleRef>> {
    let all = repo::roles(tx, tenant).await?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let found = all.iter().find(|role| {
            role.key.as_deref() == Some(r.as_str())
                || role.id.to_string() == *r
                || role.name.eq_ignore_ascii_case(r)
        });
        match found {
            Some(role) => {
                if !out.iter().any(|o: &RoleRef| o.id == role.id) {
                    out.push(RoleRef {
                        id: role.id,
                        key: role.key.clone(),
                        name: role.name.clone(),
                    });
                }
            }
            None => errors
                .push(FieldError::new(format!("{field}[{i}]"), "is not a role of this company")),
        }
    }
    if !errors.is_empty() {
        return Err(IdentityError::Validation(errors));
    }
    if out.is_empty() {
        return Err(IdentityError::invalid(field, "must name at least one role"));
    }
    Ok(out)
}

/// Invites someone by e-mail; the link is sent to them, never returned.
pub async fn invite(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    email: &Email,
    roles: &[String],
) -> Result<repo::Invitation> {
    let mut tx = caller.tx(db).await?;
    let roles = resolve_roles(&mut tx, caller.tenant, "roles", roles).await?;
    if roles.iter().any(|r| r.key.as_deref() == Some("owner")) && !caller.is_owner {
        return Err(IdentityError::OwnerOnly);
    }
    if let Some(existing) = repo::user_by_email(&mut tx, email.as_str()).await?
        && repo::member(&mut tx, caller.tenant, existing.id)
            .await?
            .is_some_and(|m| m.status == "active")
    {
        return Err(IdentityError::AlreadyMember);
    }
    let inv_id = Uuid::now_v7();
    let token = OpaqueToken::new(tokens::INVITATION, caller.tenant, inv_id);
    let expires = Utc::now() + ChronoDuration::days(INVITATION_TTL_DAYS);
    let role_ids: Vec<Uuid> = roles.iter().map(|r| r.id.as_uuid()).collect();
    let inv = repo::insert_invitation(
        &mut tx,
        caller.tenant,
        inv_id,
        email.as_str(),
        &role_ids,
        &token.hash(),
        caller.user_id().map(|u| u.as_uuid()),
        expires,
    )
    .await?;
    caller
        .audit(
            &mut tx,
            "user.invited",
            "invitation",
            Some(inv_id.to_string()),
            Changes::new()
                .set("email", email.as_str())
                .set("roles", roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>()),
        )
        .await?;
    kernel::outbox::publish(
        &mut tx,
        "user.invited",
        &serde_json::json!({ "invitation_id": inv_id, "email": email.as_str(),
                             "roles": roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>() }),
    )
    .await?;
    let tenant = repo::tenant(&mut tx, caller.tenant).await?.ok_or(IdentityError::SessionEnded)?;
    tx.commit().await?;
    let link = format!("{}/invitations/accept?token={}", id.public_url, token.encode());
    let mail = Mail {
        to: email.as_str().to_string(),
        subject: format!("You are invited to {} on Tessera", tenant.name),
        body: format!(
            "You have been invited to join {} on Tessera.\n\nAccept the invitation (valid for {INVITATION_TTL_DAYS} days):\n{link}\n\n\
             Or send this token to POST /api/v1/auth/invitations/accept:\n{}\n\nIf you did not expect this, ignore this message.\n",
            tenant.name,
            token.encode()
        ),
    };
    if let Err(e) = id.mailer.send(mail).await {
        tracing::error!(error = %e, "cannot send the invitation e-mail");
    }
    Ok(inv)
}

/// Accepting an invitation.
#[derive(Debug, Clone)]
pub struct Acceptance {
    /// The token from the e-mail.
    pub token: String,
    /// For a new account: the name.
    pub name: Option<Name>,
    /// The password: a new account's (strength-checked), or the existing
    /// account's current one.
    pub password: Option<String>,
}

/// Joins the company an invitation is for, creating the account if needed.
pub async fn accept_invitation(
    db: &Db,
    id: &Identity,
    a: Acceptance,
    meta: &RequestMeta,
) -> Result<Session> {
    let t =
        OpaqueToken::parse(tokens::INVITATION, &a.token).ok_or(IdentityError::BadToken("token"))?;
    let mut tx = db.tenant(t.tenant).await?;
    let inv = repo::invitation(&mut tx, t.tenant, t.id, true)
        .await?
        .filter(|i| constant_time_eq(&i.token_hash, &t.hash()))
        .filter(|i| i.accepted_at.is_none() && i.revoked_at.is_none() && i.expires_at > Utc::now())
        .ok_or(IdentityError::BadToken("token"))?;
    let existing = repo::user_by_email(&mut tx, &inv.email).await?;
    let pw = a.password.clone().ok_or_else(|| IdentityError::invalid("password", "is required"))?;
    let user = match existing {
        Some(u) => {
            if !password::verify(pw, Some(u.password_hash.clone())).await {
                return Err(IdentityError::InvalidCredentials);
            }
            UserSummary { id: u.id, email: u.email, name: u.name }
        }
        None => {
            let strong = Password::new(&pw, &[&inv.email])
                .map_err(|m| IdentityError::invalid("password", m))?;
            let name = a.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default();
            let hash = password::hash(strong.expose().to_string()).await?;
            let uid = UserId::new();
            repo::insert_user(&mut tx, uid, &inv.email, &name, &hash).await?;
            UserSummary { id: uid, email: inv.email.clone(), name }
        }
    };
    repo::insert_membership(&mut tx, t.tenant, user.id).await?;
    let still: Vec<RoleId> = {
        let roles = repo::roles(&mut tx, t.tenant).await?;
        inv.role_ids
            .iter()
            .filter(|r| roles.iter().any(|x| x.id.as_uuid() == **r))
            .map(|r| RoleId(*r))
            .collect()
    };
    repo::set_member_roles(&mut tx, t.tenant, user.id, &still).await?;
    repo::accept_invitation(&mut tx, t.tenant, t.id, user.id).await?;
    audit::record(
        &mut tx,
        t.tenant,
        meta,
        Entry {
            actor: Actor::User(user.id.as_uuid()),
            action: "invitation.accepted",
            resource_type: "invitation",
            resource_id: Some(t.id.to_string()),
            changes: Changes::new().set("email", &user.email),
        },
    )
    .await?;
    kernel::outbox::publish(
        &mut tx,
        "user.joined",
        &serde_json::json!({ "user_id": user.id, "email": &user.email, "invitation_id": t.id }),
    )
    .await?;
    id.announce_tenant(&mut tx).await?;
    let tenant =
        repo::tenant(&mut tx, t.tenant).await?.ok_or(IdentityError::NotFound("company"))?;
    let roles = role_names(&mut tx, t.tenant, user.id).await?;
    let session = issue(&mut tx, id, &tenant, user, None, roles, meta).await?;
    tx.commit().await?;
    id.forget_tenant(t.tenant);
    Ok(session)
}

/// Revokes a pending invitation.
pub async fn revoke_invitation(db: &Db, caller: &Caller, inv: Uuid) -> Result<()> {
    let mut tx = caller.tx(db).await?;
    if !repo::revoke_invitation(&mut tx, caller.tenant, inv).await? {
        return Err(IdentityError::NotFound("invitation"));
    }
    caller
        .audit(&mut tx, "invitation.revoked", "invitation", Some(inv.to_string()), Changes::new())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes to a member.
#[derive(Debug, Clone, Default)]
pub struct MemberUpdate {
    /// New roles (replacing the current ones).
    pub roles: Option<Vec<String>>,
}

/// Changes a member's roles (keeping at least one active owner).
pub async fn update_member(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    user: UserId,
    u: MemberUpdate,
) -> Result<Member> {
    let mut tx = caller.tx(db).await?;
    repo::lock_owners(&mut tx, caller.tenant).await?;
    let before =
        repo::member(&mut tx, caller.tenant, user).await?.ok_or(IdentityError::NotFound("user"))?;
    if let Some(refs) = &u.roles {
        let roles = resolve_roles(&mut tx, caller.tenant, "roles", refs).await?;
        let had_owner = before.roles.iter().any(|r| r.key.as_deref() == Some("owner"));
        let gets_owner = roles.iter().any(|r| r.key.as_deref() == Some("owner"));
        if gets_owner && !had_owner && !caller.is_owner {
            return Err(IdentityError::OwnerOnly);
        }
        if had_owner && !gets_owner && !caller.is_owner {
            return Err(IdentityError::OwnerOnly);
        }
        let ids: Vec<RoleId> = roles.iter().map(|r| r.id).collect();
        repo::set_member_roles(&mut tx, caller.tenant, user, &ids).await?;
        if had_owner && !gets_owner && repo::active_owner_count(&mut tx, caller.tenant).await? == 0
        {
            return Err(IdentityError::LastOwner);
        }
        let from: Vec<String> = before.roles.iter().map(|r| r.name.clone()).collect();
        let to: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
        caller
            .audit(
                &mut tx,
                "user.roles_changed",
                "user",
                Some(user.to_string()),
                Changes::new().diff("roles", &from, &to),
            )
            .await?;
        kernel::outbox::publish(
            &mut tx,
            "user.roles_changed",
            &serde_json::json!({ "user_id": user, "from": &from, "to": &to }),
        )
        .await?;
    }
    id.announce_tenant(&mut tx).await?;
    let after =
        repo::member(&mut tx, caller.tenant, user).await?.ok_or(IdentityError::NotFound("user"))?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant);
    Ok(after)
}

/// Deactivates a member (their sessions end at once) or reactivates them.
pub async fn set_member_active(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    user: UserId,
    active: bool,
) -> Result<Member> {
    let mut tx = caller.tx(db).await?;
    repo::lock_owners(&mut tx, caller.tenant).await?;
    let before =
        repo::member(&mut tx, caller.tenant, user).await?.ok_or(IdentityError::NotFound("user"))?;
    let is_owner = before.roles.iter().any(|r| r.key.as_deref() == Some("owner"));
    if is_owner && !caller.is_owner {
        return Err(IdentityError::OwnerOnly);
    }
    let status = if active { "active" } else { "deactivated" };
    repo::set_member_status(&mut tx, caller.tenant, user, status).await?;
    if !active {
        if is_owner && repo::active_owner_count(&mut tx, caller.tenant).await? == 0 {
            return Err(IdentityError::LastOwner);
        }
        let sessions =
            repo::revoke_member_sessions(&mut tx, caller.tenant, user, "deactivated").await?;
        id.end_sessions(&mut tx, &sessions).await?;
    }
    caller
        .audit(
            &mut tx,
            if active { "user.reactivated" } else { "user.deactivated" },
            "user",
            Some(user.to_string()),
            Changes::new().diff("status", &before.status, &status.to_string()),
        )
        .await?;
    kernel::outbox::publish(
        &mut tx,
        if active { "user.reactivated" } else { "user.deactivated" },
        &serde_json::json!({ "user_id": user }),
    )
    .await?;
    id.announce_tenant(&mut tx).await?;
    let after =
        repo::member(&mut tx, caller.tenant, user).await?.ok_or(IdentityError::NotFound("user"))?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant);
    Ok(after)
}

/// A role as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Role {
    /// Id.
    pub id: RoleId,
    /// System key (`owner`, …), null for custom roles.
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Whether it is a system role (cannot be changed or deleted).
    pub system: bool,
    /// Its permissions.
    pub permissions: Vec<String>,
    /// People holding it.
    pub members: i64,
}

/// A role row with its effective permissions.
pub fn role_view(id: &Identity, r: repo::RoleRow) -> Role {
    let system = r.key.is_some();
    let permissions = match r.key.as_deref().and_then(SystemRole::from_key) {
        Some(sr) => id.catalog.of_role(sr).into_iter().map(str::to_string).collect(),
        None => r.permissions,
    };
    Role {
        id: r.id,
        key: r.key,
        name: r.name,
        description: r.description,
        system,
        permissions,
        members: r.members,
    }
}

fn check_permissions(id: &Identity, field: &str, perms: &[String]) -> Result<Vec<String>> {
    let errors: Vec<FieldError> = perms
        .iter()
        .enumerate()
        .filter(|(_, p)| !id.catalog.contains(p))
        .map(|(i, _)| {
            FieldError::new(
                format!("{field}[{i}]"),
                "is not a known permission (see GET /api/v1/permissions)",
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(IdentityError::Validation(errors));
    }
    let set: BTreeSet<String> = perms.iter().cloned().collect();
    Ok(set.into_iter().collect())
}

/// Creates a custom role.
pub async fn create_role(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    name: &RoleName,
    description: &str,
    perms: &[String],
) -> Result<Role> {
    let perms = check_permissions(id, "permissions", perms)?;
    let mut tx = caller.tx(db).await?;
    let rid = RoleId::new();
    repo::insert_role(&mut tx, caller.tenant, rid, None, name.as_str(), description, &perms)
        .await
        .map_err(|e| {
            unique_to(
                e,
                IdentityError::Validation(vec![FieldError::new(
                    "name",
                    "another role has this name",
                )]),
            )
        })?;
    caller
        .audit(
            &mut tx,
            "role.created",
            "role",
            Some(rid.to_string()),
            Changes::new().set("name", name.as_str()).set("permissions", &perms),
        )
        .await?;
    let row =
        repo::role(&mut tx, caller.tenant, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    tx.commit().await?;
    Ok(role_view(id, row))
}

/// Changes a custom role.
pub async fn update_role(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    rid: RoleId,
    name: Option<&RoleName>,
    description: Option<&str>,
    perms: Option<&[String]>,
) -> Result<Role> {
    let perms = perms.map(|p| check_permissions(id, "permissions", p)).transpose()?;
    let mut tx = caller.tx(db).await?;
    let before =
        repo::role(&mut tx, caller.tenant, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    if before.key.is_some() {
        return Err(IdentityError::SystemRole);
    }
    let new_name = name.map_or(before.name.clone(), |n| n.as_str().to_string());
    let new_desc = description.map_or(before.description.clone(), str::to_string);
    repo::update_role(&mut tx, caller.tenant, rid, &new_name, &new_desc).await.map_err(|e| {
        unique_to(
            e,
            IdentityError::Validation(vec![FieldError::new("name", "another role has this name")]),
        )
    })?;
    let mut changes = Changes::new().diff("name", &before.name, &new_name).diff(
        "description",
        &before.description,
        &new_desc,
    );
    if let Some(p) = &perms {
        repo::set_role_permissions(&mut tx, caller.tenant, rid, p).await?;
        changes = changes.diff("permissions", &before.permissions, p);
    }
    caller.audit(&mut tx, "role.updated", "role", Some(rid.to_string()), changes).await?;
    id.announce_tenant(&mut tx).await?;
    let row =
        repo::role(&mut tx, caller.tenant, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant);
    Ok(role_view(id, row))
}

/// Deletes a custom role that nobody holds.
pub async fn delete_role(db: &Db, caller: &Caller, rid: RoleId) -> Result<()> {
    let mut tx = caller.tx(db).await?;
    let role =
        repo::role(&mut tx, caller.tenant, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    if role.key.is_some() {
        return Err(IdentityError::SystemRole);
    }
    if role.members > 0 {
        return Err(IdentityError::RoleInUse(role.members));
    }
    repo::delete_role(&mut tx, caller.tenant, rid).await?;
    caller
        .audit(
            &mut tx,
            "role.deleted",
            "role",
            Some(rid.to_string()),
            Changes::new().set("name", &role.name),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A new API key: its secret appears here once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewApiKey {
    /// The key as stored (without its secret).
    #[serde(flatten)]
    pub key: repo::ApiKey,
    /// The secret: send it as `Authorization: Bearer <key>`. It is not shown again.
    pub secret: String,
}

/// Creates an API key holding a subset of the caller's permissions.
pub async fn create_api_key(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    name: &str,
    perms: &[String],
    expires_at: Option<chrono::DateTime<Utc>>,
) -> Result<NewApiKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(IdentityError::invalid("name", "must be 1–100 characters"));
    }
    let perms = check_permissions(id, "permissions", perms)?;
    if perms.is_empty() {
        return Err(IdentityError::invalid("permissions", "must name at least one permission"));
    }
    let beyond: Vec<FieldError> = perms
        .iter()
        .filter(|p| !caller.can(p))
        .map(|p| {
            FieldError::new("permissions", format!("`{p}` is not one of your own permissions"))
        })
        .collect();
    if !beyond.is_empty() {
        return Err(IdentityError::Validation(beyond));
    }
    if expires_at.is_some_and(|e| e <= Utc::now()) {
        return Err(IdentityError::invalid("expires_at", "must be in the future"));
    }
    let key_id = Uuid::now_v7();
    let token = OpaqueToken::new(tokens::API_KEY, caller.tenant, key_id);
    let mut tx = caller.tx(db).await?;
    let key = repo::insert_api_key(
        &mut tx,
        caller.tenant,
        key_id,
        name,
        &token.prefix(),
        &token.hash(),
        &perms,
        caller.user_id().map(|u| u.as_uuid()),
        expires_at,
    )
    .await?;
    caller
        .audit(
            &mut tx,
            "api_key.created",
            "api_key",
            Some(key_id.to_string()),
            Changes::new()
                .set("name", name)
                .set("permissions", &perms)
                .set("expires_at", expires_at)
                .secret("secret"),
        )
        .await?;
    kernel::outbox::publish(
        &mut tx,
        "api_key.created",
        &serde_json::json!({ "api_key_id": key.id, "name": &key.name, "prefix": &key.prefix }),
    )
    .await?;
    tx.commit().await?;
    Ok(NewApiKey { key, secret: token.encode() })
}

/// Revokes an API key (refused everywhere at once).
pub async fn revoke_api_key(db: &Db, id: &Identity, caller: &Caller, key: Uuid) -> Result<()> {
    let mut tx = caller.tx(db).await?;
    if !repo::revoke_api_key(&mut tx, caller.tenant, key).await? {
        return Err(IdentityError::NotFound("API key"));
    }
    caller
        .audit(&mut tx, "api_key.revoked", "api_key", Some(key.to_string()), Changes::new())
        .await?;
    kernel::outbox::publish(&mut tx, "api_key.revoked", &serde_json::json!({ "api_key_id": key }))
        .await?;
    id.announce_tenant(&mut tx).await?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant);
    Ok(())
}

/// Changes to a tenant.
#[derive(Debug, Clone, Default)]
pub struct TenantUpdate {
    /// Name.
    pub name: Option<Name>,
    /// Industry (empty string clears it).
    pub industry: Option<String>,
    /// GSTIN (empty string clears it).
    pub gstin: Option<Option<Gstin>>,
    /// State.
    pub state: Option<Option<StateCode>>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Time zone.
    pub time_zone: Option<TimeZone>,
    /// Settings.
    pub settings: Option<TenantSettings>,
}

/// Changes the company's profile and settings.
pub async fn update_tenant(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    u: TenantUpdate,
) -> Result<Tenant> {
    if let Some(s) = &u.settings {
        s.validate().map_err(|e| IdentityError::Validation(e.errors().to_vec()))?;
    }
    let mut tx = caller.tx(db).await?;
    let before =
        repo::tenant(&mut tx, caller.tenant).await?.ok_or(IdentityError::NotFound("company"))?;
    let mut t = before.clone();
    if let Some(n) = u.name {
        t.name = n.as_str().to_string();
    }
    if let Some(i) = u.industry {
        t.industry = Some(i.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(g) = u.gstin {
        t.gstin = g.map(|g| g.as_str().to_string());
    }
    if let Some(s) = u.state {
        t.state = s.map(|s| s.as_str().to_string());
    }
    if let (Some(g), None) = (&t.gstin, &t.state) {
        t.state = Some(g[..2].to_string());
    }
    if let (Some(g), Some(s)) = (&t.gstin, &t.state)
        && &g[..2] != s
    {
        return Err(IdentityError::invalid(
            "state",
            format!("does not match the GSTIN, which is registered in state {}", &g[..2]),
        ));
    }
    if let Some(c) = u.currency {
        t.currency = c.as_str().to_string();
    }
    if let Some(z) = u.time_zone {
        t.time_zone = z.as_str().to_string();
    }
    if let Some(s) = u.settings {
        t.settings = sqlx::types::Json(s);
    }
    let after = repo::update_tenant(&mut tx, &t).await?;
    caller
        .audit(
            &mut tx,
            "tenant.updated",
            "tenant",
            Some(caller.tenant.to_string()),
            Changes::new()
                .diff("name", &before.name, &after.name)
                .diff("industry", &before.industry, &after.industry)
                .diff("gstin", &before.gstin, &after.gstin)
                .diff("state", &before.state, &after.state)
                .diff("currency", &before.currency, &after.currency)
                .diff("time_zone", &before.time_zone, &after.time_zone)
                .diff("settings", &before.settings.0, &after.settings.0),
        )
        .await?;
    kernel::outbox::publish(
        &mut tx,
        "tenant.updated",
        &serde_json::json!({ "tenant_id": after.id }),
    )
    .await?;
    id.announce_tenant(&mut tx).await?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant);
    Ok(after)
}

/// Ends every session of a person in every company (after a password
/// change or reset), auditing it in each.
async fn end_all_sessions(
    db: &Db,
    id: &Identity,
    user: UserId,
    meta: &RequestMeta,
    action: &str,
) -> Result<()> {
    let tenants = {
        let mut tx = db.global().await?;
        let t = repo::memberships_of(&mut tx, user).await?;
        tx.commit().await?;
        t
    };
    for m in tenants {
        let mut tx = db.tenant(m.tenant_id).await?;
        let sessions = repo::revoke_member_sessions(&mut tx, m.tenant_id, user, action).await?;
        repo::void_sessions(&mut tx, m.tenant_id, user).await?;
        id.end_sessions(&mut tx, &sessions).await?;
        audit::record(
            &mut tx,
            m.tenant_id,
            meta,
            Entry {
                actor: Actor::User(user.as_uuid()),
                action,
                resource_type: "user",
                resource_id: Some(user.to_string()),
                changes: Changes::new().secret("password"),
            },
        )
        .await?;
        id.announce_tenant(&mut tx).await?;
        tx.commit().await?;
        id.forget_tenant(m.tenant_id);
    }
    Ok(())
}

/// Changes the signed-in person's password; every other session ends and
/// the caller gets a fresh pair.
pub async fn change_password(
    db: &Db,
    id: &Identity,
    caller: &Caller,
    user: UserId,
    current: &str,
    new: &str,
) -> Result<Session> {
    let person = {
        let mut conn = db.pool().acquire().await?;
        repo::user(&mut conn, user).await?.ok_or(IdentityError::SessionEnded)?
    };
    let keys = throttle::keys(&person.email, caller.meta.ip);
    if let Some(wait) = throttle::locked_for(db, &keys).await? {
        return Err(IdentityError::LoginThrottled(wait));
    }
    if !password::verify(current.to_string(), Some(person.password_hash.clone())).await {
        if let Some(wait) = throttle::record_failure(db, &keys).await? {
            return Err(IdentityError::LoginThrottled(wait));
        }
        return Err(IdentityError::invalid("current_password", "is wrong"));
    }
    let strong = Password::new(new, &[&person.email])
        .map_err(|m| IdentityError::invalid("new_password", m))?;
    let hash = password::hash(strong.expose().to_string()).await?;
    {
        let mut conn = db.pool().acquire().await?;
        repo::set_password(&mut conn, user, &hash).await?;
    }
    end_all_sessions(db, id, user, &caller.meta, "auth.password_changed").await?;
    let tenant = {
        let mut conn = db.pool().acquire().await?;
        repo::tenant(&mut conn, caller.tenant).await?.ok_or(IdentityError::SessionEnded)?
    };
    let mut tx = db.tenant(caller.tenant).await?;
    let roles = role_names(&mut tx, caller.tenant, user).await?;
    let summary = UserSummary { id: user, email: person.email, name: person.name };
    let session = issue(&mut tx, id, &tenant, summary, None, roles, &caller.meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// Sends a password reset link if an account exists (the answer is the
/// same either way).
pub async fn request_reset(db: &Db, id: &Identity, email: &Email) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    let Some(user) = repo::user_by_email(&mut conn, email.as_str()).await? else { return Ok(()) };
    if repo::recent_reset(&mut conn, user.id).await? {
        return Ok(());
    }
    let rid = Uuid::now_v7();
    let token = OpaqueToken::new(tokens::RESET, TenantId::ANONYMOUS, rid);
    let expires = Utc::now() + ChronoDuration::minutes(RESET_TTL_MINUTES);
    repo::insert_reset(&mut conn, rid, user.id, &token.hash(), expires).await?;
    drop(conn);
    let link = format!("{}/password/reset?token={}", id.public_url, token.encode());
    let mail = Mail {
        to: user.email.clone(),
        subject: "Reset your Tessera password".into(),
        body: format!(
            "Someone asked to reset the password of your Tessera account.\n\nChoose a new password \
             (the link works once, for {RESET_TTL_MINUTES} minutes):\n{link}\n\nOr send this token to \
             POST /api/v1/auth/password/reset:\n{}\n\nIf it was not you, ignore this message; your password is unchanged.\n",
            token.encode()
        ),
    };
    if let Err(e) = id.mailer.send(mail).await {
        tracing::error!(error = %e, "cannot send the password reset e-mail");
    }
    Ok(())
}

/// Sets a new password with a reset token; every session of the person ends.
pub async fn reset_password(
    db: &Db,
    id: &Identity,
    token: &str,
    new: &str,
    meta: &RequestMeta,
) -> Result<()> {
    let t = OpaqueToken::parse(tokens::RESET, token).ok_or(IdentityError::BadToken("token"))?;
    let mut tx = db.global().await?;
    let (user, hash, spent) =
        repo::reset_for_update(&mut tx, t.id).await?.ok_or(IdentityError::BadToken("token"))?;
    if spent || !constant_time_eq(&hash, &t.hash()) {
        return Err(IdentityError::BadToken("token"));
    }
    let person = repo::user(&mut tx, user).await?.ok_or(IdentityError::BadToken("token"))?;
    let strong = Password::new(new, &[&person.email])
        .map_err(|m| IdentityError::invalid("new_password", m))?;
    let pw_hash = password::hash(strong.expose().to_string()).await?;
    repo::set_password(&mut tx, user, &pw_hash).await?;
    repo::spend_resets(&mut tx, user).await?;
    tx.commit().await?;
    throttle::record_success(db, &person.email).await?;
    end_all_sessions(db, id, user, meta, "auth.password_reset").await
}

/// Members of the caller's tenant.
pub async fn list_members(
    conn: &mut PgConnection,
    tenant: TenantId,
    after: Option<(chrono::DateTime<Utc>, UserId)>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Member>> {
    Ok(repo::members(conn, tenant, after, status, limit).await?)
}
