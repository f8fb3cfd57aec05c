//! The rules of the knowledge base's routes: documents (upload, replace,
//! re-index, delete), search, chats and settings. Each function takes the
//! caller's proof of permission.

pub mod chats;
pub mod documents;

use identity::Granted;
use identity::auth::Principal;

use crate::error::{KnowledgeError, Result};
use crate::model::{EmbeddingStatus, KnowledgeStatus, Settings};
use crate::permissions::{DocumentsRead, KnowledgeAdmin};
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

/// The state of the tenant's knowledge base: documents by state, and the
/// embedding models with the progress of a move between them.
pub async fn status(k: &Knowledge, g: &Granted<DocumentsRead>) -> Result<KnowledgeStatus> {
    let mut tx = g.read_tx(k.db()).await?;
    let (documents, pages, characters) = repo::documents::counts(&mut tx).await?;
    let models = repo::settings::models(&mut tx).await?;
    let counted = models.next.as_deref().unwrap_or(&models.active).to_string();
    let (embedded, total) = repo::chunks::coverage(&mut tx, &counted).await?;
    drop(tx);
    let choices = k
        .ai()
        .models(g.access())
        .await
        .map_err(KnowledgeError::from)?
        .into_iter()
        .filter(|m| m.kind == "embedding")
        .map(|m| m.id)
        .collect();
    Ok(KnowledgeStatus {
        documents,
        pages,
        characters,
        embedding: EmbeddingStatus {
            model: models.active,
            next_model: models.next,
            embedded,
            total,
            choices,
        },
    })
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
    if s.embedding_model.trim().is_empty() || s.embedding_model.chars().count() > 200 {
        errors.push(kernel::FieldError::new("embedding_model", "must be 1–200 characters"));
    }
    if !errors.is_empty() {
        return Err(KnowledgeError::Validation(errors));
    }
    s.max_upload_bytes = s.max_upload_bytes.min(k.upload_limit() as i64);
    s.chunk_overlap = s.chunk_overlap.min(s.chunk_size / 2);
    s.max_distance = s.max_distance.max(1e-6);
    let mut tx = g.tx(k.db()).await?;
    let before = repo::settings::get(&mut tx).await?;
    if s.embedding_model != before.embedding_model {
        // Only a model the company can embed with.
        let known = k.ai().models(g.access()).await.map_err(KnowledgeError::from)?;
        if !known.iter().any(|m| m.kind == "embedding" && m.id == s.embedding_model) {
            return Err(KnowledgeError::Validation(vec![kernel::FieldError::new(
                "embedding_model",
                "is not an embedding model of this company (GET /v1/models lists them)",
            )]));
        }
    }
    repo::settings::put(&mut tx, &s).await?;
    let models = repo::settings::lock_models(&mut tx, true).await?;
    if s.embedding_model == models.active {
        // Staying on (or back to) the model in use: any move ends.
        if models.next.is_some() {
            repo::settings::set_next_model(&mut tx, None).await?;
            repo::chunks::drop_other_models(&mut tx, &models.active).await?;
        }
    } else if models.next.as_deref() != Some(s.embedding_model.as_str()) {
        repo::settings::set_next_model(&mut tx, Some(&s.embedding_model)).await?;
        // No unique key: a finished run's key would block the next move.
        // Two runs at once do the same work twice, never wrong work.
        jobs::NewJob::new(&crate::reembed::Reembed {}).enqueue(&mut tx).await?;
    }
    let after = repo::settings::get(&mut tx).await?;
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
