//! All of identity's SQL, by aggregate. Tenant functions take the tenant
//! transaction and read the tenant from it (row-level security applies);
//! functions on global tables (tenants, users, resets, keys, throttling)
//! take a plain connection and say so.

pub mod api_keys;
pub mod audit;
pub mod invitations;
pub mod keys;
pub mod maintenance;
pub mod members;
pub mod resets;
pub mod roles;
pub mod sessions;
pub mod tenants;
pub mod throttle;
pub mod users;

pub use api_keys::*;
pub use invitations::*;
pub use members::*;
pub use resets::*;
pub use roles::*;
pub use sessions::*;
pub use tenants::*;
pub use users::*;
