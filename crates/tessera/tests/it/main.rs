//! Integration tests, one module per area, in one binary: the server and
//! its dependencies are linked once for all of them, not once per file.
#![allow(clippy::unwrap_used)]

mod admin;
mod cli;
mod common;
mod lifecycle;
