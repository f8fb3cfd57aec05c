//! Moving a knowledge base to another embedding model: every chunk gets a
//! vector of the new model in the background, batch by batch, while search
//! keeps reading the old model's vectors; once no chunk lacks one, the new
//! model becomes the one search reads and the old vectors go, in one
//! transaction.
//!
//! Idempotent: a batch's vectors commit together and a vector a chunk
//! already has is kept, so a run killed anywhere resumes where the
//! committed work ends. Chunks stored while it runs get both models'
//! vectors from their ingestion (see `ingest`); the final check, made with
//! the settings row locked against ingestion's commits, catches any that
//! did not.

use std::collections::BTreeMap;
use std::time::Duration;

use ai::CallContext;
use jobs::{Job, JobContext, Retry};
use kernel::register_job;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Knowledge, KnowledgeService, repo};

/// Chunks per embedding call and per commit.
const BATCH: i64 = 64;

/// Re-embeds the tenant's chunks with the model it is moving to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reembed {}

register_job!(Reembed);

impl Job for Reembed {
    const KIND: &'static str = "knowledge.reembed";
    const QUEUE: &'static str = "ingest";
    const RETRY: Retry = Retry::DEFAULT;
    const TIMEOUT: Duration = Duration::from_secs(6 * 3600);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let k = KnowledgeService::of(&ctx.state);
        run(&k, &ctx).await
    }
}

async fn run(k: &Knowledge, ctx: &JobContext) -> anyhow::Result<()> {
    let call = CallContext::system(ctx.access(), "knowledge.reembed");
    let mut after: Option<Uuid> = None;
    loop {
        if ctx.cancel.is_cancelled() {
            anyhow::bail!("stopped");
        }
        let mut tx = ctx.read_tx().await?;
        let models = repo::settings::models(&mut tx).await?;
        let Some(target) = models.next.clone().filter(|n| *n != models.active) else {
            return Ok(()); // nothing to move to (cancelled, or done by another run)
        };
        let batch = repo::chunks::without_vector(&mut tx, &target, after, BATCH).await?;
        drop(tx);

        if batch.is_empty() {
            if finish(ctx, &target).await? {
                return Ok(());
            }
            after = None; // chunks stored meanwhile: another pass
            continue;
        }

        let texts: Vec<String> =
            batch.iter().map(|c| crate::chunk::indexed(&c.headings, &c.text)).collect();
        let (_, e) = k.ai.embed(&call, Some(&target), &texts).await?;
        anyhow::ensure!(
            e.vectors.len() == batch.len(),
            "the embedding model returned {} vectors for {} texts",
            e.vectors.len(),
            batch.len()
        );
        let mut by_document: BTreeMap<Uuid, Vec<(Uuid, &[f32])>> = BTreeMap::new();
        for (c, v) in batch.iter().zip(&e.vectors) {
            by_document.entry(c.document_id).or_default().push((c.id, v.as_slice()));
        }
        let mut tx = ctx.tx().await?;
        let models = repo::settings::lock_models(&mut tx, false).await?;
        if models.next.as_deref() != Some(target.as_str()) {
            continue; // the target changed while embedding
        }
        for (document, rows) in &by_document {
            repo::chunks::insert_vectors(&mut tx, *document, &target, rows).await?;
        }
        tx.commit().await?;
        metrics::counter!("knowledge_reembedded_chunks_total").increment(batch.len() as u64);
        after = batch.last().map(|c| c.id);
    }
}

/// Switches to `target` if every chunk has its vector; false when some
/// still lack one.
async fn finish(ctx: &JobContext, target: &str) -> anyhow::Result<bool> {
    let mut tx = ctx.tx().await?;
    let models = repo::settings::lock_models(&mut tx, true).await?;
    if models.next.as_deref() != Some(target) {
        return Ok(true); // moved on; whoever changed it enqueued the next run
    }
    if !repo::chunks::without_vector(&mut tx, target, None, 1).await?.is_empty() {
        return Ok(false);
    }
    repo::settings::switch_model(&mut tx, target).await?;
    let dropped = repo::chunks::drop_other_models(&mut tx, target).await?;
    tx.commit().await?;
    tracing::info!(model = target, dropped, "knowledge base moved to another embedding model");
    Ok(true)
}
