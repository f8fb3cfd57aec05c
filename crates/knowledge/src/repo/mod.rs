//! All of the knowledge base's SQL: documents, chunks (and the two
//! searches over them), chats and settings. Every function takes the
//! tenant's transaction and reads the tenant from it.

pub mod chats;
pub mod chunks;
pub mod documents;
pub mod settings;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Which documents a search or list covers.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    /// Only these documents.
    pub ids: Option<Vec<Uuid>>,
    /// Only documents with any of these tags.
    pub tags: Option<Vec<String>>,
    /// Only these formats.
    pub formats: Option<Vec<String>>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
}
