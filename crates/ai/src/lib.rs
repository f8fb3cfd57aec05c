//! The AI runtime: local models that run offline on the CPU, providers
//! that speak the OpenAI API, the router that picks between them per
//! tenant, the usage ledger and the `/v1` gateway.

pub mod admin;
pub mod cache;
pub mod chat;
pub mod embed;
pub mod error;
pub mod gateway;
pub mod http;
pub mod openai;
pub mod permissions;
pub mod repo;
pub mod service;

pub use chat::{ChatEvent, ChatModel, ChatRequest, ChatStream, Message, Role};
pub use embed::{Embedder, Embeddings, LocalEmbedder};
pub use error::AiError;
pub use service::{Ai, CallContext};
