//! All SQL of the jobs crate. Queue-wide operations (claiming, finishing,
//! renewing, pruning, the pending events) go through the `SECURITY
//! DEFINER` functions of the migrations, on the workers' pool; everything a
//! tenant sees runs in its own transaction under row-level security.

pub mod events;
pub mod jobs;
pub mod webhooks;

pub use jobs::*;
