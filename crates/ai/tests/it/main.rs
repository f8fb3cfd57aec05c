//! Integration tests, one module per area, in one binary: the server and
//! its dependencies are linked once for all of them, not once per file.
#![allow(clippy::unwrap_used)]

mod embed;
mod gateway;
mod local_chat;
mod openai_client;
mod providers;
mod secrets;
