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
pub mod maintenance;
pub mod model;
pub mod password;
pub mod permissions;
pub mod repo;
pub mod service;
pub mod throttle;
pub mod tokens;

pub use auth::{Caller, Granted, Identity, SignedIn};
pub use error::IdentityError;
pub use permissions::{Catalog, Permission, PermissionDef, SystemRole};

/// The events identity publishes (webhooks can subscribe to them).
pub const EVENTS: &[kernel::outbox::EventDef] = &[
    kernel::outbox::EventDef {
        name: "user.invited",
        description: "Someone was invited to the company",
    },
    kernel::outbox::EventDef {
        name: "user.joined",
        description: "An invited person joined the company",
    },
    kernel::outbox::EventDef {
        name: "user.roles_changed",
        description: "A member's roles changed",
    },
    kernel::outbox::EventDef { name: "user.deactivated", description: "A member was deactivated" },
    kernel::outbox::EventDef { name: "user.reactivated", description: "A member was reactivated" },
    kernel::outbox::EventDef { name: "api_key.created", description: "An API key was created" },
    kernel::outbox::EventDef { name: "api_key.revoked", description: "An API key was revoked" },
    kernel::outbox::EventDef {
        name: "tenant.updated",
        description: "The company's profile or settings changed",
    },
];
