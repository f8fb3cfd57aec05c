//! Scheduled housekeeping of the platform's own tables, run as system jobs.

use std::time::Duration;

use chrono::Utc;
use jobs::{Job, JobContext, Periodic};
use serde::{Deserialize, Serialize};

/// Deletes expired sessions, reset links, throttling rows, refresh tokens
/// and stored idempotent responses. Idempotent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrunePlatform;

impl Job for PrunePlatform {
    const KIND: &'static str = "platform.prune";
    const TIMEOUT: Duration = Duration::from_secs(900);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let p = identity::maintenance::prune(ctx.db()).await?;
        if p.global + p.tenant > 0 {
            tracing::info!(global = p.global, tenant = p.tenant, "pruned expired identity rows");
        }
        Ok(())
    }
}

/// Keeps the audit trail's monthly partitions ready a year ahead and
/// drops those past the seven-year retention. Idempotent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaintainAudit;

impl Job for MaintainAudit {
    const KIND: &'static str = "audit.maintain";
    const TIMEOUT: Duration = Duration::from_secs(900);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let m = identity::maintenance::maintain_audit(ctx.db(), Utc::now(), None).await?;
        if m.created + m.dropped > 0 {
            tracing::info!(created = m.created, dropped = m.dropped, "audit partitions maintained");
        }
        Ok(())
    }
}

/// Registers the jobs and their schedules.
pub fn register(jobs: &jobs::Jobs) -> anyhow::Result<()> {
    jobs.register::<PrunePlatform>();
    jobs.register::<MaintainAudit>();
    jobs.schedule(
        Periodic::new("platform.prune", "0 23 * * * *", PrunePlatform)
            .map_err(anyhow::Error::msg)?,
    );
    jobs.schedule(
        Periodic::new("audit.maintain", "0 41 2 * * *", MaintainAudit)
            .map_err(anyhow::Error::msg)?,
    );
    Ok(())
}
