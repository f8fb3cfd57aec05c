//! Integration tests, one module per area, in one binary.
#![allow(clippy::unwrap_used)]

mod common;
mod inbox;
mod webhooks;
mod widget;
