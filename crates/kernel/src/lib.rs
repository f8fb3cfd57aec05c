//! The kernel every Tessera crate builds on: configuration, errors as
//! problem+json, the database (embedded PostgreSQL, pools, migrations,
//! tenant transactions), ids, pagination, idempotency and telemetry.
//! It knows nothing of any domain.

pub mod assets;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod ids;
pub mod mail;
pub mod notify;
pub mod outbound;
pub mod outbox;
pub mod pagination;
pub mod request_id;
pub mod state;
pub mod telemetry;

pub use config::Config;
pub use error::{ApiError, ApiResult, FieldError};
pub use state::{AppState, AppStateBuilder};

/// The version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
