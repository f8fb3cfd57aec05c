//! Housekeeping run by scheduled system jobs: expired credentials and
//! throttling rows, stored idempotent responses, and the audit trail's
//! partitions (created ahead of time; dropped after the retention period,
//! with the chain anchored so it still verifies).

use std::time::Duration;

use chrono::{DateTime, Months, Utc};
use kernel::db::{Authority, Db};
use kernel::ids::TenantId;
use kernel::job::{Job, JobContext, Permanent};
use serde::{Deserialize, Serialize};

use crate::repo;

/// Audit rows are kept this many years.
pub const AUDIT_RETENTION_YEARS: u32 = 7;
/// Audit partitions are kept ready this many months ahead.
pub const AUDIT_MONTHS_AHEAD: i32 = 12;

/// What a pruning pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Rows of global tables (ended sessions, resets, throttling,
    /// idempotency commit records).
    pub global: u64,
    /// Rows of tenant tables (refresh tokens, idempotency keys).
    pub tenant: u64,
}

/// Deletes what has expired: ended sessions whose tokens can no longer be
/// used, used or expired reset links, stale throttling rows, expired
/// refresh tokens, and stored idempotent responses past 24 hours.
/// Idempotent; each tenant's rows are deleted in that tenant's transaction.
pub async fn prune(db: &Db, authority: &Authority) -> Result<Pruned, sqlx::Error> {
    let retention = kernel::idempotency::RETENTION.as_secs() as i64;
    let mut conn = db.pool().acquire().await?;
    let global = repo::maintenance::prune_global(&mut conn, retention).await?;
    let tenants = repo::maintenance::tenant_ids(&mut conn).await?;
    drop(conn);
    let mut tenant = 0;
    for t in std::iter::once(TenantId::SYSTEM).chain(tenants) {
        let mut tx = db.tenant(&authority.tenant(t)).await?;
        tenant += repo::maintenance::prune_tenant(&mut tx, retention).await?;
        tx.commit().await?;
    }
    Ok(Pruned { global, tenant })
}

/// What audit maintenance did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditMaintenance {
    /// Monthly partitions created.
    pub created: i32,
    /// Partitions dropped past the retention period.
    pub dropped: i32,
}

/// Creates the audit trail's partitions for the coming months and drops
/// the ones older than `retain_until` (by default seven years back),
/// anchoring each tenant's chain at its last dropped row. Runs as the
/// schema owner (it changes tables).
pub async fn maintain_audit(
    authority: &Authority,
    now: DateTime<Utc>,
    retain_until: Option<DateTime<Utc>>,
) -> Result<AuditMaintenance, sqlx::Error> {
    let mut conn = authority.owner_connection().await?;
    let created =
        repo::maintenance::ensure_audit_partitions(&mut conn, now, AUDIT_MONTHS_AHEAD + 1).await?;
    let cutoff = retain_until.unwrap_or_else(|| {
        now.checked_sub_months(Months::new(12 * AUDIT_RETENTION_YEARS)).unwrap_or(now)
    });
    let dropped = repo::maintenance::drop_audit_partitions(&mut conn, cutoff).await?;
    Ok(AuditMaintenance { created, dropped })
}

fn system(ctx: &JobContext) -> anyhow::Result<&Authority> {
    ctx.authority().ok_or_else(|| Permanent::error("a maintenance job must be a system job"))
}

/// Deletes expired sessions, reset links, throttling rows, refresh tokens
/// and stored idempotent responses. Idempotent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrunePlatform;

impl Job for PrunePlatform {
    const KIND: &'static str = "platform.prune";
    const TIMEOUT: Duration = Duration::from_secs(900);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let p = prune(ctx.db(), system(&ctx)?).await?;
        if p.global + p.tenant > 0 {
            tracing::info!(global = p.global, tenant = p.tenant, "pruned expired identity rows");
        }
        Ok(())
    }
}
kernel::register_job!(PrunePlatform);

/// Keeps the audit trail's monthly partitions ready a year ahead and
/// drops those past the seven-year retention. Idempotent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaintainAudit;

impl Job for MaintainAudit {
    const KIND: &'static str = "audit.maintain";
    const TIMEOUT: Duration = Duration::from_secs(900);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let m = maintain_audit(system(&ctx)?, Utc::now(), None).await?;
        if m.created + m.dropped > 0 {
            tracing::info!(created = m.created, dropped = m.dropped, "audit partitions maintained");
        }
        Ok(())
    }
}
kernel::register_job!(MaintainAudit);
