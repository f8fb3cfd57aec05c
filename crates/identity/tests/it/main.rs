//! Integration tests, one module per area, in one binary: the server and
//! its dependencies are linked once for all of them, not once per file.
#![allow(clippy::unwrap_used)]

mod audit;
mod auth;
mod common;
mod console_session;
mod tokens;
mod users;
