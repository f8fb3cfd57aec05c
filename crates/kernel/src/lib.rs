//! The kernel every Tessera crate builds on: configuration, errors as
//! problem+json, the database (embedded PostgreSQL, pools, migrations,
//! tenant transactions), ids, pagination, idempotency and telemetry — and
//! the seam domains declare themselves through ([`Domain`], permissions,
//! events, jobs, the audit trail, SQL statements). It knows nothing of
//! any domain.

pub mod access;
pub mod assets;
pub mod audit;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod ids;
pub mod job;
pub mod mail;
pub mod net;
pub mod notify;
pub mod openapi;
pub mod outbound;
pub mod outbox;
pub mod pagination;
pub mod request_id;
pub mod sql;
pub mod state;
pub mod telemetry;
pub mod text;

pub use config::Config;
pub use domain::Domain;
pub use error::{ApiError, ApiResult, FieldError, Problems};
pub use state::{AppState, AppStateBuilder};

// Used by the declaration macros.
#[doc(hidden)]
pub use axum;
#[doc(hidden)]
pub use inventory;
#[doc(hidden)]
pub use serde;
#[doc(hidden)]
pub use utoipa;

/// The version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
