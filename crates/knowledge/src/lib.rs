//! The knowledge base: documents uploaded (or pasted), their text
//! extracted with its structure, chunked, embedded and indexed twice
//! (pgvector HNSW and a `tsvector`); hybrid search fused by reciprocal
//! rank; answers that cite the chunks they come from, streamed, quoted
//! from the documents offline and written by a model when the tenant
//! routes answers to a capable one.
//!
//! Other domains use [`Knowledge::retrieve`] and [`Knowledge::answer`]
//! with their own tenant access, not the HTTP routes.

pub mod answer;
pub mod chunk;
pub mod detect;
pub mod error;
pub mod extract;
pub mod http;
pub mod ingest;
mod isolation;
pub mod language;
pub mod lexical;
pub mod model;
pub mod permissions;
pub mod query;
pub mod reembed;
pub mod repo;
pub mod retrieve;
pub mod service;
pub mod store;

use std::sync::Arc;

use ai::Ai;
use kernel::Domain;
use kernel::db::Db;
use kernel::domain::Startup;

pub use answer::{Answer, AnswerEvent, AnswerOptions};
pub use error::KnowledgeError;
pub use retrieve::{Retrieval, Retrieved, SearchMode};

kernel::event!(
    /// A document finished ingestion and is searchable.
    pub DOCUMENT_READY = "document.ready", "A document was read, chunked and indexed, and is searchable"
);
kernel::event!(
    /// A document could not be read.
    pub DOCUMENT_FAILED = "document.failed", "A document could not be read (the reason is in the payload)"
);

/// The knowledge base's service.
pub struct Knowledge {
    db: Db,
    ai: Arc<Ai>,
    files: store::FileStore,
    /// The instance's ceiling on uploads (`http.upload_limit`).
    upload_limit: u64,
}

impl std::fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Knowledge").finish_non_exhaustive()
    }
}

kernel::service_extractor!(
    /// The knowledge base, for handlers.
    pub struct KnowledgeService(Knowledge);
);

impl Knowledge {
    /// The service, on the AI runtime built before it.
    pub fn start(s: &Startup) -> anyhow::Result<Arc<Knowledge>> {
        Ok(Arc::new(Knowledge {
            db: s.db.clone(),
            ai: s.get::<Ai>()?,
            files: store::FileStore::new(&s.config.data_dir),
            upload_limit: s.config.http.upload_limit.0,
        }))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The AI runtime.
    pub fn ai(&self) -> &Arc<Ai> {
        &self.ai
    }

    /// Where originals are stored.
    pub fn files(&self) -> &store::FileStore {
        &self.files
    }

    /// The instance's upload ceiling, in bytes.
    pub fn upload_limit(&self) -> u64 {
        self.upload_limit
    }
}

/// The knowledge base's declaration.
pub fn domain() -> Domain {
    Domain::new("knowledge", "Documents, ingestion, hybrid search and cited answers")
        .routes(http::routes())
        .uploads("/api/v1/documents")
        .service(|s| async move { Knowledge::start(&s) })
        .isolation(|fx| async move { isolation::fixture(&fx).await })
}
