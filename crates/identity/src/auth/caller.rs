//! The extractors handlers use: [`Caller`] (who is calling, for which
//! tenant), [`Granted`] (holding a permission), [`SignedIn`] (a person, not
//! an API key) and [`Meta`] (the request's address and agent for audit).
//! Their fields are private to this module tree, so only authentication
//! makes one.

use super::*;

/// Who a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in person, in one session.
    User {
        /// The person.
        id: UserId,
        /// The session (refresh-token family).
        session: Uuid,
    },
    /// An API key.
    ApiKey {
        /// The key.
        id: Uuid,
    },
}

/// The authenticated caller of a request: made only by authentication,
/// from a verified token or key, and read-only after that. Its tenant is
/// the only one the request can reach.
#[derive(Debug, Clone)]
pub struct Caller {
    pub(super) access: TenantAccess,
    pub(super) principal: Principal,
    pub(super) roles: Arc<Vec<String>>,
    pub(super) is_owner: bool,
    pub(super) permissions: Arc<HashSet<String>>,
    pub(super) meta: RequestMeta,
}

impl Caller {
    /// The tenant every action is confined to.
    pub fn tenant(&self) -> TenantId {
        self.access.tenant()
    }

    /// Access to the caller's tenant, for services that open its
    /// transactions themselves (the AI runtime's ledger).
    pub fn access(&self) -> &TenantAccess {
        &self.access
    }

    /// The person or key.
    pub fn principal(&self) -> Principal {
        self.principal
    }

    /// Role names (people) — informational.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Whether the person is an owner.
    pub fn is_owner(&self) -> bool {
        self.is_owner
    }

    /// Where the request came from.
    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    /// The audit actor.
    pub fn actor(&self) -> Actor {
        match self.principal {
            Principal::User { id, .. } => Actor::User(id.as_uuid()),
            Principal::ApiKey { id } => Actor::ApiKey(id),
        }
    }

    /// Records the caller's action in the audit trail, in `tx` (which is
    /// confined to the caller's tenant); it is written when `tx` commits.
    pub fn audit(
        &self,
        tx: &mut TenantTx,
        action: &str,
        resource_type: &str,
        resource_id: Option<String>,
        changes: Changes,
    ) {
        let entry = Entry { actor: self.actor(), action, resource_type, resource_id, changes };
        kernel::audit::record(tx, &self.meta, entry);
    }

    /// The person, if the caller is one.
    pub fn user_id(&self) -> Option<UserId> {
        match self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::ApiKey { .. } => None,
        }
    }

    /// Whether the caller holds a permission.
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// The caller's permissions, sorted.
    pub fn permissions(&self) -> Vec<String> {
        let mut p: Vec<String> = self.permissions.iter().cloned().collect();
        p.sort();
        p
    }

    /// Proof of a permission, or 403 naming it.
    pub fn grant<P: Permission>(&self) -> Result<Granted<P>> {
        if self.can(P::DEF.name) {
            Ok(Granted { caller: self.clone(), _p: PhantomData })
        } else {
            Err(IdentityError::Forbidden(P::DEF.name))
        }
    }

    /// A transaction confined to the caller's tenant.
    pub async fn tx(&self, db: &Db) -> std::result::Result<TenantTx, sqlx::Error> {
        db.tenant(&self.access).await
    }

    /// A read-only transaction confined to the caller's tenant (drop it
    /// when done).
    pub async fn read_tx(&self, db: &Db) -> std::result::Result<TenantTx, sqlx::Error> {
        db.tenant_read(&self.access).await
    }

    /// The scope idempotency keys of this caller live in.
    pub fn idempotency_scope(&self) -> IdempotencyScope {
        let principal = match self.principal {
            Principal::User { id, .. } => format!("user:{id}"),
            Principal::ApiKey { id } => format!("key:{id}"),
        };
        IdempotencyScope { access: self.access.clone(), principal }
    }
}

/// A caller proven to hold permission `P`. Taking it as a handler argument
/// (or a service function's) is the only way to reach an operation gated
/// by `P`: it is made only by checking the caller's permissions.
#[derive(Debug, Clone)]
pub struct Granted<P> {
    pub(super) caller: Caller,
    pub(super) _p: PhantomData<P>,
}

impl<P> Granted<P> {
    /// The caller.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }
}

impl<P> std::ops::Deref for Granted<P> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = IdentityError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts.extensions.get::<Caller>().cloned().ok_or(IdentityError::Unauthenticated)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> std::result::Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned())
    }
}

impl<S: Send + Sync, P: Permission> FromRequestParts<S> for Granted<P> {
    type Rejection = IdentityError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self> {
        Caller::from_request_parts(parts, s).await?.grant::<P>()
    }
}

/// A caller that is a signed-in person (not an API key).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub(super) caller: Caller,
    pub(super) user: UserId,
    pub(super) session: Uuid,
}

impl SignedIn {
    /// The caller.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The person.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// Their session.
    pub fn session(&self) -> Uuid {
        self.session
    }
}

impl std::ops::Deref for SignedIn {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = IdentityError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self> {
        let caller = Caller::from_request_parts(parts, s).await?;
        match caller.principal {
            Principal::User { id, session } => Ok(SignedIn { user: id, session, caller }),
            Principal::ApiKey { .. } => Err(IdentityError::UserOnly),
        }
    }
}

/// Where the request came from (for anonymous endpoints and the audit).
#[derive(Debug, Clone)]
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ClientAddr>().map(|c| c.0);
        Ok(Meta(request_meta(&parts.headers, ip)))
    }
}

pub(super) fn request_meta(headers: &HeaderMap, ip: Option<std::net::IpAddr>) -> RequestMeta {
    RequestMeta {
        request_id: kernel::request_id::current(),
        ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect()),
    }
}
