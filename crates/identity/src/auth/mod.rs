//! Who is calling: the [`Identity`] service (key ring, permission catalog,
//! caches), the authentication middleware, and the extractors handlers use
//! ([`Caller`], [`Granted`], [`SignedIn`], [`Meta`]).
//!
//! A bearer token is either an access token (JWT) or an API key
//! (`tsk_…`). Either way the caller's current roles, status and the key's
//! state are read from an in-process cache that every node invalidates on
//! `NOTIFY tessera_identity`, so deactivating a person or revoking a key
//! takes effect at once; the cache also expires after a minute in case a
//! notification is lost.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kernel::AppState;
use kernel::crypto::constant_time_eq;
use kernel::db::{Authority, Db, TenantAccess, TenantTx};
use kernel::domain::Startup;
use kernel::idempotency::IdempotencyScope;
use kernel::mail::Mailer;
use kernel::net::ClientAddr;
use kernel::notify::Notification;
use uuid::Uuid;

use crate::audit::{Actor, Changes, Entry, RequestMeta};
use crate::error::{IdentityError, Result};
use crate::model::{TenantId, TenantSettings, UserId};
use crate::permissions::{Catalog, Permission, SystemRole};
use crate::repo;
use crate::throttle::{Decision, RateLimiter};
use crate::tokens::{ACCESS_TTL, AccessClaims, KeyRing, OpaqueToken, TokenError};

/// The channel identity changes are announced on.
pub const CHANNEL: &str = "tessera_identity";
/// Cached entries are re-read after this long even without a notification.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Verified access tokens kept (then the cache starts over).
const VERIFIED_MAX: usize = 50_000;

mod caller;
mod middleware;

pub use caller::*;
pub use middleware::authenticate;

#[derive(Debug)]
struct MemberEntry {
    active: bool,
    valid_after: Option<DateTime<Utc>>,
    roles: Arc<Vec<String>>,
    is_owner: bool,
    permissions: Arc<HashSet<String>>,
    loaded: Instant,
}

#[derive(Debug)]
struct KeyEntry {
    hash: Vec<u8>,
    live: bool,
    expires_at: Option<DateTime<Utc>>,
    permissions: Arc<HashSet<String>>,
    loaded: Instant,
}

#[derive(Debug)]
struct TenantEntry {
    settings: TenantSettings,
    loaded: Instant,
}

/// A company's profile as other domains read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Its name.
    pub name: String,
    /// Its GSTIN.
    pub gstin: Option<String>,
    /// Its GST state code.
    pub state: Option<String>,
    /// ISO 4217 currency.
    pub currency: String,
    /// IANA time zone.
    pub time_zone: String,
}

/// The identity service, registered in [`AppState`] (handlers reach it as
/// [`IdentityService`]).
pub struct Identity {
    db: Db,
    authority: Authority,
    /// Signs and verifies access tokens.
    pub keys: KeyRing,
    /// Every permission of this build.
    pub catalog: Catalog,
    /// Sends invitations and password resets.
    pub mailer: Arc<dyn Mailer>,
    /// The public URL links in e-mails point to.
    pub public_url: String,
    members: RwLock<HashMap<(TenantId, UserId), Arc<MemberEntry>>>,
    api_keys: RwLock<HashMap<(TenantId, Uuid), Arc<KeyEntry>>>,
    tenants: RwLock<HashMap<TenantId, Arc<TenantEntry>>>,
    ended: RwLock<HashSet<Uuid>>,
    verified: RwLock<HashMap<[u8; 32], AccessClaims>>,
    limiter: RateLimiter,
    key_touched: RwLock<HashMap<Uuid, Instant>>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("public_url", &self.public_url).finish()
    }
}

kernel::service_extractor!(
    /// The identity service, for handlers.
    pub struct IdentityService(Identity);
);

impl Identity {
    /// Loads keys and ended sessions and starts following notifications.
    pub async fn start(s: &Startup) -> anyhow::Result<Arc<Identity>> {
        let catalog = Catalog::collect().map_err(anyhow::Error::msg)?;
        let db = &s.db;
        let keys = KeyRing::load(db, s.secrets.clone()).await?;
        let identity = Arc::new(Identity {
            db: db.clone(),
            authority: s.authority().clone(),
            keys,
            catalog,
            mailer: s.mailer.clone(),
            public_url: s.public_url.clone(),
            members: RwLock::default(),
            api_keys: RwLock::default(),
            tenants: RwLock::default(),
            ended: RwLock::default(),
            verified: RwLock::default(),
            limiter: RateLimiter::default(),
            key_touched: RwLock::default(),
        });
        identity.load_ended(db).await?;
        let mut rx = s.notifier.subscribe();
        let weak = Arc::downgrade(&identity);
        let db2 = db.clone();
        tokio::spawn(async move {
            loop {
                let n = match rx.recv().await {
                    Ok(n) => n,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        Notification::Reconnected
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let Some(id) = weak.upgrade() else { return };
                id.on_notification(&db2, n).await;
            }
        });
        let weak = Arc::downgrade(&identity);
        let db3 = db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(id) = weak.upgrade() else { return };
                if let Err(e) = id.keys.reload(&db3).await {
                    tracing::warn!(error = %e, "cannot reload signing keys");
                }
                id.prune_ended(&db3).await;
            }
        });
        Ok(identity)
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Access to a tenant named by a verified credential (a token's claim,
    /// a row found by an opaque token's hash) or one just created.
    pub(crate) fn access(&self, tenant: TenantId) -> TenantAccess {
        self.authority.tenant(tenant)
    }

    async fn on_notification(&self, db: &Db, n: Notification) {
        match n {
            Notification::Message { channel, payload } if channel == CHANNEL => {
                if let Some(t) = payload.strip_prefix("tenant:").and_then(|t| t.parse().ok()) {
                    self.forget_tenant(TenantId::from_uuid(t));
                } else if let Some(s) =
                    payload.strip_prefix("session:").and_then(|s| s.parse().ok())
                {
                    self.forget_session(s);
                } else if payload == "keys" {
                    let _ = self.keys.reload(db).await;
                }
            }
            Notification::Message { .. } => {}
            Notification::Reconnected => {
                self.forget_all();
                let _ = self.load_ended(db).await;
                let _ = self.keys.reload(db).await;
            }
        }
    }

    async fn load_ended(&self, db: &Db) -> anyhow::Result<()> {
        let mut conn = db.pool().acquire().await?;
        let ids =
            repo::recently_ended_sessions(&mut conn, ACCESS_TTL.as_secs_f64() + 120.0).await?;
        if let Ok(mut e) = self.ended.write() {
            e.extend(ids);
        }
        Ok(())
    }

    async fn prune_ended(&self, db: &Db) {
        let Ok(mut conn) = db.pool().acquire().await else { return };
        if let Ok(ids) =
            repo::recently_ended_sessions(&mut conn, ACCESS_TTL.as_secs_f64() + 120.0).await
            && let Ok(mut e) = self.ended.write()
        {
            *e = ids.into_iter().collect();
        }
    }

    /// Drops every cached entry of a tenant (after its identity data changed).
    pub fn forget_tenant(&self, tenant: TenantId) {
        if let Ok(mut m) = self.members.write() {
            m.retain(|(t, _), _| *t != tenant);
        }
        if let Ok(mut k) = self.api_keys.write() {
            k.retain(|(t, _), _| *t != tenant);
        }
        if let Ok(mut t) = self.tenants.write() {
            t.remove(&tenant);
        }
    }

    /// Refuses a session's access tokens from now on.
    pub fn forget_session(&self, session: Uuid) {
        if let Ok(mut e) = self.ended.write() {
            e.insert(session);
        }
    }

    fn forget_all(&self) {
        if let Ok(mut m) = self.members.write() {
            m.clear();
        }
        if let Ok(mut k) = self.api_keys.write() {
            k.clear();
        }
        if let Ok(mut t) = self.tenants.write() {
            t.clear();
        }
    }

    /// Announces (on commit) that a tenant's identity data changed.
    pub async fn announce_tenant(&self, tx: &mut TenantTx) -> std::result::Result<(), sqlx::Error> {
        let tenant = tx.tenant();
        kernel::notify::notify(tx, CHANNEL, &format!("tenant:{tenant}")).await
    }

    /// Ends sessions: recorded globally, announced, and refused here at once.
    pub async fn end_sessions(
        &self,
        conn: &mut sqlx::PgConnection,
        sessions: &[Uuid],
    ) -> std::result::Result<(), sqlx::Error> {
        repo::end_sessions(conn, sessions).await?;
        for s in sessions {
            kernel::notify::notify(conn, CHANNEL, &format!("session:{s}")).await?;
            self.forget_session(*s);
        }
        Ok(())
    }

    /// The permissions of a set of roles.
    pub fn permissions_of(
        &self,
        role_keys: &[Option<String>],
        custom: &[String],
    ) -> HashSet<String> {
        let mut p: HashSet<String> = HashSet::new();
        for key in role_keys.iter().flatten() {
            if let Some(role) = SystemRole::from_key(key) {
                p.extend(self.catalog.of_role(role).into_iter().map(str::to_string));
            }
        }
        p.extend(custom.iter().filter(|c| self.catalog.contains(c)).cloned());
        p
    }

    async fn member_entry(
        &self,
        db: &Db,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<Arc<MemberEntry>>> {
        if let Some(e) = self.members.read().ok().and_then(|m| m.get(&(tenant, user)).cloned())
            && e.loaded.elapsed() < CACHE_TTL
        {
            return Ok(Some(e));
        }
        let mut tx = db.tenant_read(&self.access(tenant)).await?;
        let row = repo::member_auth(&mut tx, user).await?;
        drop(tx);
        let Some(row) = row else { return Ok(None) };
        let permissions = self.permissions_of(&row.role_keys, &row.custom_permissions);
        let entry = Arc::new(MemberEntry {
            active: row.status == "active",
            valid_after: row.sessions_valid_after,
            is_owner: row.role_keys.iter().flatten().any(|k| k == "owner"),
            roles: Arc::new(row.role_names),
            permissions: Arc::new(permissions),
            loaded: Instant::now(),
        });
        if let Ok(mut m) = self.members.write() {
            m.insert((tenant, user), entry.clone());
        }
        Ok(Some(entry))
    }

    /// A tenant's settings (cached).
    pub async fn settings(&self, db: &Db, tenant: TenantId) -> Result<TenantSettings> {
        if let Some(e) = self.tenants.read().ok().and_then(|t| t.get(&tenant).cloned())
            && e.loaded.elapsed() < CACHE_TTL
        {
            return Ok(e.settings.clone());
        }
        let mut conn = db.pool().acquire().await?;
        let t = repo::tenant(&mut conn, tenant).await?.ok_or(IdentityError::SessionEnded)?;
        let entry =
            Arc::new(TenantEntry { settings: t.settings.0.clone(), loaded: Instant::now() });
        if let Ok(mut m) = self.tenants.write() {
            m.insert(tenant, entry);
        }
        Ok(t.settings.0)
    }

    /// The company as other domains need it (its name, GSTIN, state,
    /// currency and time zone), read fresh: documents record it as it was.
    pub async fn company(&self, access: &TenantAccess) -> Result<Company> {
        let mut conn = self.db.pool().acquire().await?;
        let t =
            repo::tenant(&mut conn, access.tenant()).await?.ok_or(IdentityError::SessionEnded)?;
        Ok(Company {
            name: t.name,
            gstin: t.gstin,
            state: t.state,
            currency: t.currency,
            time_zone: t.time_zone,
        })
    }

    fn verify_jwt(&self, token: &str, now: i64) -> std::result::Result<AccessClaims, TokenError> {
        let digest = kernel::crypto::sha256(token.as_bytes());
        if let Some(c) = self.verified.read().ok().and_then(|v| v.get(&digest).cloned()) {
            if now > c.exp + 30 {
                return Err(TokenError::Expired);
            }
            return Ok(c);
        }
        let claims = self.keys.verify(token, now)?;
        if let Ok(mut v) = self.verified.write() {
            if v.len() >= VERIFIED_MAX {
                v.clear();
            }
            v.insert(digest, claims.clone());
        }
        Ok(claims)
    }

    /// Resolves a bearer token into a caller.
    pub async fn resolve(&self, db: &Db, token: &str, meta: RequestMeta) -> Result<Caller> {
        if token.starts_with("tsk_") {
            return self.resolve_api_key(db, token, meta).await;
        }
        let now = Utc::now().timestamp();
        let claims = match self.verify_jwt(token, now) {
            Err(TokenError::UnknownKey) => {
                self.keys.reload_after_miss(db).await;
                self.verify_jwt(token, now)
            }
            other => other,
        }
        .map_err(IdentityError::InvalidToken)?;
        if self.ended.read().map(|e| e.contains(&claims.sid)).unwrap_or(false) {
            return Err(IdentityError::SessionEnded);
        }
        let member = self
            .member_entry(db, claims.tid, claims.sub)
            .await?
            .ok_or(IdentityError::SessionEnded)?;
        if !member.active {
            return Err(IdentityError::SessionEnded);
        }
        if let Some(after) = member.valid_after
            && claims.iat < after.timestamp()
        {
            return Err(IdentityError::SessionEnded);
        }
        Ok(Caller {
            access: self.access(claims.tid),
            principal: Principal::User { id: claims.sub, session: claims.sid },
            roles: member.roles.clone(),
            is_owner: member.is_owner,
            permissions: member.permissions.clone(),
            meta,
        })
    }

    async fn resolve_api_key(&self, db: &Db, token: &str, meta: RequestMeta) -> Result<Caller> {
        let t = OpaqueToken::parse(crate::tokens::API_KEY, token)
            .ok_or(IdentityError::InvalidToken(TokenError::Malformed))?;
        let cached = self
            .api_keys
            .read()
            .ok()
            .and_then(|k| k.get(&(t.tenant, t.id)).cloned())
            .filter(|e| e.loaded.elapsed() < CACHE_TTL);
        let entry = match cached {
            Some(e) => e,
            None => {
                let mut tx = db.tenant_read(&self.access(t.tenant)).await?;
                let row = repo::api_key(&mut tx, t.id).await?;
                drop(tx);
                let Some(row) = row else {
                    return Err(IdentityError::InvalidToken(TokenError::Signature));
                };
                let permissions: HashSet<String> =
                    row.permissions.iter().filter(|p| self.catalog.contains(p)).cloned().collect();
                let e = Arc::new(KeyEntry {
                    hash: row.secret_hash,
                    live: row.revoked_at.is_none(),
                    expires_at: row.expires_at,
                    permissions: Arc::new(permissions),
                    loaded: Instant::now(),
                });
                if let Ok(mut k) = self.api_keys.write() {
                    k.insert((t.tenant, t.id), e.clone());
                }
                e
            }
        };
        if !constant_time_eq(&entry.hash, &t.hash()) {
            return Err(IdentityError::InvalidToken(TokenError::Signature));
        }
        if !entry.live {
            return Err(IdentityError::SessionEnded);
        }
        if entry.expires_at.is_some_and(|e| e < Utc::now()) {
            return Err(IdentityError::InvalidToken(TokenError::Expired));
        }
        self.touch_key(db, t.tenant, t.id);
        Ok(Caller {
            access: self.access(t.tenant),
            principal: Principal::ApiKey { id: t.id },
            roles: Arc::new(Vec::new()),
            is_owner: false,
            permissions: entry.permissions.clone(),
            meta,
        })
    }

    /// Updates `last_used_at` at most once a minute per key, in the background.
    fn touch_key(&self, db: &Db, tenant: TenantId, id: Uuid) {
        let due = self
            .key_touched
            .read()
            .map(|k| k.get(&id).is_none_or(|t| t.elapsed() > Duration::from_secs(60)))
            .unwrap_or(false);
        if !due {
            return;
        }
        if let Ok(mut k) = self.key_touched.write() {
            k.insert(id, Instant::now());
        }
        let db = db.clone();
        let access = self.access(tenant);
        tokio::spawn(async move {
            let r = async {
                let mut tx = db.tenant(&access).await?;
                repo::touch_api_key(&mut tx, id).await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = r {
                tracing::debug!(error = %e, "cannot record API key use");
            }
        });
    }

    /// Applies the tenant's and the key's request rate limits.
    pub async fn rate_limit(&self, db: &Db, caller: &Caller) -> Result<Decision> {
        let settings = self.settings(db, caller.tenant()).await?;
        let mut d =
            self.limiter.check(&format!("t:{}", caller.tenant()), settings.requests_per_minute);
        if let Principal::ApiKey { id } = caller.principal {
            let k = self.limiter.check(&format!("k:{id}"), settings.api_key_requests_per_minute);
            if !k.allowed || (d.allowed && k.remaining < d.remaining) {
                d = k;
            }
        }
        Ok(d)
    }
}
