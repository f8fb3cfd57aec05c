//! Integration tests, one module per area, in one binary: the server and
//! its dependencies are linked once for all of them, not once per file.
#![allow(clippy::unwrap_used)]

mod clients;
mod console;
mod isolation;
mod openapi;
mod platform;
mod seam;
mod shutdown;
mod sql;
