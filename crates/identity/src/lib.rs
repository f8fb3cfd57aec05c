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
