//! All of the concierge's SQL; every function takes the tenant's
//! transaction (the channel lookup by public key takes the workers' pool).

pub mod analytics;
pub mod channels;
pub mod config;
pub mod inbox;
