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
mod isolation;
pub mod openai;
pub mod permissions;
pub mod repo;
pub mod service;

pub use chat::{ChatEvent, ChatModel, ChatRequest, ChatStream, Message, Role};
pub use embed::{Embedder, Embeddings, LocalEmbedder};
pub use error::AiError;
use kernel::Domain;
pub use service::{Ai, CallContext};

kernel::service_extractor!(
    /// The AI runtime, for handlers.
    pub struct AiService(Ai);
);

/// The AI runtime's declaration: its configuration routes, the `/v1`
/// gateway, its service and its isolation fixture.
pub fn domain() -> Domain {
    Domain::new("ai", "AI providers, routing policy, budget and usage")
        .tag("gateway", "OpenAI-compatible endpoints: models, chat completions, embeddings")
        .routes(http::routes())
        .routes(gateway::routes())
        .service(|s| async move { Ai::new(&s.config, s.db.clone(), s.secrets.clone()) })
        .isolation(|fx| async move { isolation::fixture(&fx).await })
}
