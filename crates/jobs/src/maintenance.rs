//! The crate's own periodic work.

use std::time::Duration;

use chrono::Utc;
use kernel::job::{Job, JobContext, Permanent};
use kernel::register_job;
use serde::{Deserialize, Serialize};

use crate::repo;

/// Deletes finished jobs and dispatched events past their retention
/// (`jobs.retention_days`, `jobs.dead_retention_days`), and settles webhook
/// deliveries whose job ended without them. Idempotent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PruneJobs;

register_job!(PruneJobs);

impl Job for PruneJobs {
    const KIND: &'static str = "jobs.prune";
    const TIMEOUT: Duration = Duration::from_secs(600);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let authority =
            ctx.authority().ok_or_else(|| Permanent::error("jobs.prune must be a system job"))?;
        let cfg = &ctx.state.config().jobs;
        let finished = Utc::now() - chrono::Duration::days(i64::from(cfg.retention_days));
        let dead = Utc::now() - chrono::Duration::days(i64::from(cfg.dead_retention_days));
        let mut conn = authority.worker_pool().acquire().await?;
        let (jobs, events) = repo::prune(&mut conn, finished, dead).await?;
        if jobs + events > 0 {
            tracing::info!(jobs, events, "pruned finished jobs and dispatched events");
        }
        let settled = repo::webhooks::settle_orphaned_deliveries(&mut conn).await?;
        if settled > 0 {
            tracing::warn!(settled, "settled webhook deliveries whose job ended without them");
        }
        Ok(())
    }
}
