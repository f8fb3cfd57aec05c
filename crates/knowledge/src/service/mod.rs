//! The rules of the knowledge base's routes: documents (upload, replace,
//! re-index, delete), search, chats and settings. Each function takes the
//! caller's proof of permission.

pub mod chats;
pub mod documents;

use identity::Granted;
use identity::auth::Principal;

use crate::error::{KnowledgeError, Result};
use crate::model::Settings;
use crate::permissions::KnowledgeAdmin;
use crate::repo::chats::Owner;
use crate::{Knowledge, repo};

/// Whose chats a caller owns.
pub fn owner(caller: &identity::Caller) -> Owner {
    match caller.principal() {
        Principal::User { id, .. } => Owner::User(id.as_uuid()),
        Principal::ApiKey { id } => Owner::Key(id),
    }
}

/// The tenant's settings.
pub async fn settings(k: &Knowledge, g: &identity::Caller) -> Result<Settings> {
    let mut tx = g.read_tx(k.db()).await?;
    Ok(repo::settings::get(&mut tx).await?)
}

/// Changes the tenant's settings: within the instance's upload ceiling, an
/// overlap of at most half a chunk, and a threshold above 0 (a 0 as sent may
/// be a value too small for `real`) — larger or smaller values are reduced
/// to those.
pub async fn put_settings(
    k: &Knowledge,
    g: &Granted<KnowledgeAdmin>,
    mut s: Settings,
) -> Result<Settings> {
    let mut errors = Vec::new();
    if !(100..=4000).contains(&s.chunk_size) {
        errors.push(kernel::FieldError::new("chunk_size", "must be 100–4000"));
    }
    if !(0..=1000).contains(&s.chunk_overlap) {
        errors.push(kernel::FieldError::new("chunk_overlap", "must be 0–1000"));
    }
    if s.max_upload_bytes < 1 {
        errors.push(kernel::FieldError::new("max_upload_bytes", "must be at least 1"));
    }
    if !(0.0..=2.0).contains(&s.max_distance) {
        errors.push(kernel::FieldError::new("max_distance", "must be 0–2"));
    }
    for (name, w) in [("vector_weight", s.vector_weight), ("text_weight", s.text_weight)] {
        if !(0.0..=100.0).contains(&w) {
            errors.push(kernel::FieldError::new(name, "must be 0–100"));
        }
    }
    if !(1..=50).contains(&s.top_k) {
        errors.push(kernel::FieldError::new("top_k", "must be 1–50"));
    }
    if !["auto", "extractive", "generative"].contains(&s.answer_mode.as_str()) {
        errors
            .push(kernel::FieldError::new("answer_mode", "must be auto, extractive or generative"));
    }
    if !errors.is_empty() {
        return Err(KnowledgeError::Validation(errors));
    }
    s.max_upload_bytes = s.max_upload_bytes.min(k.upload_limit() as i64);
    s.chunk_overlap = s.chunk_overlap.min(s.chunk_size / 2);
    s.max_distance = s.max_distance.max(1e-6);
    let mut tx = g.tx(k.db()).await?;
    let before = repo::settings::get(&mut tx).await?;
    let after = repo::settings::put(&mut tx, &s).await?;
    g.audit(
        &mut tx,
        "knowledge.settings_changed",
        "knowledge_settings",
        None,
        kernel::audit::Changes::between(&before, &after),
    );
    tx.commit().await?;
    Ok(after)
}
