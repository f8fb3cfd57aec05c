//! The ingestion job: one document version read, chunked, embedded and
//! stored. Idempotent: the chunks of a version replace every earlier set in
//! one transaction at the end, so a run killed midway leaves the previous
//! state and its retry leaves exactly one set.

use std::time::{Duration, Instant};

use ai::CallContext;
use jobs::{Job, JobContext, Permanent, Retry};
use kernel::register_job;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chunk::{self, ChunkOptions};
use crate::detect::Format;
use crate::extract::{self, ExtractError};
use crate::model::Document;
use crate::repo::chunks::{ModelVectors, NewChunk};
use crate::repo::documents::Ingested;
use crate::{DOCUMENT_FAILED, DOCUMENT_READY, Knowledge, KnowledgeService, repo};

/// Texts per embedding call.
const BATCH: usize = 32;

/// Ingests one version of a document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestDocument {
    /// The document.
    pub document_id: Uuid,
    /// The version this job is for; a newer one makes it a no-op.
    pub version: i32,
}

register_job!(IngestDocument);

impl Job for IngestDocument {
    const KIND: &'static str = "knowledge.ingest";
    const QUEUE: &'static str = "ingest";
    const RETRY: Retry = Retry::DEFAULT;
    const TIMEOUT: Duration = Duration::from_secs(1800);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let k = KnowledgeService::of(&ctx.state);
        ingest(&k, &ctx, self.document_id, self.version).await
    }
}

/// The job's payload for a document as it is now.
pub fn job_for(d: &Document) -> IngestDocument {
    IngestDocument { document_id: d.id, version: d.version }
}

async fn progress(ctx: &JobContext, id: Uuid, version: i32, pct: i16) -> anyhow::Result<bool> {
    let mut tx = ctx.tx().await?;
    let current = repo::documents::progress(&mut tx, id, version, pct).await?;
    tx.commit().await?;
    Ok(current)
}

async fn fail(ctx: &JobContext, d: &Document, reason: &str) -> anyhow::Result<()> {
    let mut tx = ctx.tx().await?;
    if repo::documents::fail(&mut tx, d.id, d.version, reason).await? {
        kernel::outbox::publish(
            &mut tx,
            DOCUMENT_FAILED,
            &serde_json::json!({ "document_id": d.id, "title": d.title, "reason": reason }),
        )?;
    }
    tx.commit().await?;
    Ok(())
}

async fn ingest(k: &Knowledge, ctx: &JobContext, id: Uuid, version: i32) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tx = ctx.read_tx().await?;
    let doc = repo::documents::get(&mut tx, id).await?;
    let settings = repo::settings::get(&mut tx).await?;
    drop(tx);
    let Some(doc) = doc.filter(|d| d.version == version) else {
        return Ok(()); // deleted, or replaced by a newer version
    };
    if !progress(ctx, id, version, 5).await? {
        return Ok(());
    }
    let bytes = match k.files.get(ctx.tenant(), &doc.sha256).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fail(ctx, &doc, "the original file is missing from storage; upload it again").await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let format = Format::parse(&doc.format).unwrap_or(Format::Text);
    let opts = ChunkOptions {
        size: settings.chunk_size.max(1) as usize,
        overlap: settings.chunk_overlap.max(0) as usize,
    };
    let extracted = tokio::task::spawn_blocking(move || {
        let x = extract::extract(format, &bytes)?;
        let chunks = chunk::chunk(&x.blocks, opts);
        Ok::<_, ExtractError>((x, chunks))
    })
    .await
    .map_err(|e| anyhow::anyhow!("extraction stopped: {e}"))?;
    let (extracted, chunks) = match extracted {
        Ok(x) => x,
        Err(reason) => {
            fail(ctx, &doc, &reason.to_string()).await?;
            return Ok(());
        }
    };
    if chunks.is_empty() {
        fail(ctx, &doc, &ExtractError::Empty.to_string()).await?;
        return Ok(());
    }
    let extract_ms = started.elapsed().as_millis();
    if !progress(ctx, id, version, 15).await? {
        return Ok(());
    }

    // Embeddings, in batches, with progress: one vector per chunk for each
    // model the knowledge base needs (the one in use, and the one it is
    // moving to).
    let mut tx = ctx.read_tx().await?;
    let models = repo::settings::models(&mut tx).await?;
    drop(tx);
    let wanted: Vec<String> = models.wanted().into_iter().map(str::to_string).collect();
    let call = CallContext::system(ctx.access(), "knowledge.ingest");
    let texts: Vec<String> = chunks.iter().map(chunk::Chunk::indexed_text).collect();
    let total = texts.len() * wanted.len();
    let mut sets: Vec<ModelVectors> = Vec::with_capacity(wanted.len());
    let mut last_report = Instant::now();
    for model in &wanted {
        let mut vectors: Vec<Vec<f32>> = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            if ctx.cancel.is_cancelled() {
                anyhow::bail!("stopped");
            }
            let (_, e) = match k.ai.embed(&call, Some(model), batch).await {
                Ok(e) => e,
                Err(e) if ctx.is_last_attempt() || !e.should_fall_back() => {
                    let reason = format!("the embedding model could not be reached: {e}");
                    fail(ctx, &doc, &reason).await?;
                    return Err(Permanent::error(reason));
                }
                Err(e) => return Err(e.into()),
            };
            anyhow::ensure!(e.vectors.len() == batch.len(), "the embedding model skipped texts");
            vectors.extend(e.vectors);
            if last_report.elapsed() > Duration::from_millis(500) {
                last_report = Instant::now();
                let done = sets.len() * texts.len() + vectors.len();
                let pct = 15 + (80 * done / total) as i16;
                if !progress(ctx, id, version, pct.min(95)).await? {
                    return Ok(());
                }
            }
        }
        sets.push(ModelVectors { model: model.clone(), vectors });
    }
    let embed_ms = started.elapsed().as_millis() - extract_ms;

    let all_text: String =
        extracted.blocks.iter().take(200).map(|b| b.text.as_str()).collect::<Vec<_>>().join(" ");
    let language = crate::language::detect(&all_text);
    let rows: Vec<NewChunk> = chunks
        .into_iter()
        .map(|c| NewChunk { text: c.text, page: c.page.map(|p| p as i32), headings: c.headings })
        .collect();

    // One transaction: the version still current, the old set out, the
    // new one in, the document ready. The models are locked (shared) so a
    // switch to another model cannot commit between the check and this
    // set: one this run has no vectors of means starting again.
    let mut tx = ctx.tx().await?;
    let current = repo::documents::lock(&mut tx, id).await?;
    if current.as_ref().is_none_or(|d| d.version != version) {
        return Ok(());
    }
    let now = repo::settings::lock_models(&mut tx, false).await?;
    if !sets.iter().any(|s| s.model == now.active) {
        anyhow::bail!("the knowledge base moved to another embedding model during ingestion");
    }
    sets.retain(|s| now.wanted().contains(&s.model.as_str()));
    repo::chunks::replace(&mut tx, id, version, language, &rows, &sets).await?;
    let ingested = Ingested {
        pages: extracted.pages.map(|p| p as i32),
        chunk_count: rows.len() as i32,
        char_count: extracted.chars().min(i32::MAX as usize) as i32,
        language: Some(language),
        model: &now.active,
        title: extracted.title.as_deref(),
    };
    repo::documents::ready(&mut tx, id, version, &ingested).await?;
    kernel::outbox::publish(
        &mut tx,
        DOCUMENT_READY,
        &serde_json::json!({ "document_id": id, "title": doc.title, "chunks": rows.len(), "pages": extracted.pages }),
    )?;
    tx.commit().await?;
    metrics::histogram!("knowledge_ingest_seconds").record(started.elapsed().as_secs_f64());
    metrics::counter!("knowledge_ingested_chunks_total").increment(rows.len() as u64);
    tracing::info!(
        document = %id, chunks = rows.len(), pages = ?extracted.pages, extract_ms, embed_ms,
        total_ms = started.elapsed().as_millis(), "document ingested"
    );
    Ok(())
}
