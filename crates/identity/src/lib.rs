//! Identity: tenants (companies), people, sign-up and sign-in, sessions
//! (EdDSA access tokens, rotating refresh tokens), roles and permissions,
//! API keys, login throttling and rate limits, and the audit trail.
//!
//! Tenancy is enforced in the database (row-level security on every tenant
//! table) and in the types: handlers reach tenant data through a
//! [`Caller`](auth::Caller) whose tenant comes from the verified token, and
//! gated operations through [`Granted<P>`](auth::Granted).

pub mod audit;
pub mod auth;
pub mod error;
pub mod http;
mod isolation;
pub mod maintenance;
pub mod model;
pub mod password;
pub mod permissions;
pub mod repo;
pub mod service;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

pub use auth::{Caller, Company, Granted, Identity, IdentityService, SignedIn};
pub use error::IdentityError;
use kernel::Domain;
pub use kernel::permission;
pub use permissions::{Catalog, Permission, PermissionDef, SystemRole};

kernel::event!(
    /// Someone was invited.
    pub USER_INVITED = "user.invited", "Someone was invited to the company"
);
kernel::event!(
    /// An invited person joined.
    pub USER_JOINED = "user.joined", "An invited person joined the company"
);
kernel::event!(
    /// A member's roles changed.
    pub USER_ROLES_CHANGED = "user.roles_changed", "A member's roles changed"
);
kernel::event!(
    /// A member was deactivated.
    pub USER_DEACTIVATED = "user.deactivated", "A member was deactivated"
);
kernel::event!(
    /// A member was reactivated.
    pub USER_REACTIVATED = "user.reactivated", "A member was reactivated"
);
kernel::event!(
    /// An API key was created.
    pub API_KEY_CREATED = "api_key.created", "An API key was created"
);
kernel::event!(
    /// An API key was revoked.
    pub API_KEY_REVOKED = "api_key.revoked", "An API key was revoked"
);
kernel::event!(
    /// The company's profile or settings changed.
    pub TENANT_UPDATED = "tenant.updated", "The company's profile or settings changed"
);

/// Identity's declaration: its routes, its service, its housekeeping and
/// its isolation fixture.
pub fn domain() -> Domain {
    Domain::new("identity", "Companies, people, sessions, roles, API keys and the audit trail")
        .routes(http::routes())
        .listens(auth::CHANNEL)
        .service(|s| async move { Identity::start(&s).await })
        .periodic("platform.prune", "0 23 * * * *", maintenance::PrunePlatform)
        .periodic("audit.maintain", "0 41 2 * * *", maintenance::MaintainAudit)
        .isolation(|fx| async move { isolation::fixture(&fx).await })
}

/// The identity service of a built state (for other domains' jobs).
pub fn service(state: &kernel::AppState) -> Arc<Identity> {
    IdentityService::of(state).0
}
