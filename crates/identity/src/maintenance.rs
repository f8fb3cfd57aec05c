//! Housekeeping run by scheduled jobs: expired credentials and throttling
//! rows, stored idempotent responses, and the audit trail's partitions
//! (created ahead of time; dropped after the retention period, with the
//! chain anchored so it still verifies).

use chrono::{DateTime, Months, Utc};
use kernel::db::Db;
use kernel::ids::TenantId;

/// Audit rows are kept this many years.
pub const AUDIT_RETENTION_YEARS: u32 = 7;
/// Audit partitions are kept ready this many months ahead.
pub const AUDIT_MONTHS_AHEAD: i32 = 12;

/// What a pruning pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Rows of global tables (ended sessions, resets, throttling).
    pub global: u64,
    /// Rows of tenant tables (refresh tokens, idempotency keys).
    pub tenant: u64,
}

/// Deletes what has expired: ended sessions whose tokens can no longer be
/// used, used or expired reset links, stale throttling rows, expired
/// refresh tokens, and stored idempotent responses past 24 hours.
/// Idempotent; each tenant's rows are deleted in that tenant's transaction.
pub async fn prune(db: &Db) -> Result<Pruned, sqlx::Error> {
    let mut out = Pruned::default();
    let pool = db.pool();
    for sql in [
        "DELETE FROM ended_sessions WHERE ended_at < now() - interval '1 day'",
        "DELETE FROM password_resets WHERE expires_at < now() - interval '1 day'",
        "DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day'
            AND (locked_until IS NULL OR locked_until < now())",
    ] {
        out.global += sqlx::query(sql).execute(pool).await?.rows_affected();
    }
    let tenants: Vec<(TenantId,)> =
        sqlx::query_as("SELECT id FROM tenants").fetch_all(pool).await?;
    let retention = kernel::idempotency::RETENTION.as_secs() as i64;
    for tenant in std::iter::once(TenantId::ANONYMOUS).chain(tenants.into_iter().map(|t| t.0)) {
        let mut tx = db.tenant(tenant).await?;
        out.tenant += sqlx::query(
            "DELETE FROM idempotency_keys
              WHERE tenant_id = $1 AND created_at < now() - $2::bigint * interval '1 second'",
        )
        .bind(tenant)
        .bind(retention)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        out.tenant += sqlx::query(
            "DELETE FROM refresh_tokens WHERE tenant_id = $1 AND expires_at < now() - interval '1 day'",
        )
        .bind(tenant)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
    }
    Ok(out)
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
/// anchoring each tenant's chain at its last dropped row. Needs the schema
/// owner's connection (it changes tables).
pub async fn maintain_audit(
    db: &Db,
    now: DateTime<Utc>,
    retain_until: Option<DateTime<Utc>>,
) -> Result<AuditMaintenance, sqlx::Error> {
    let mut conn = db.owner_connection().await?;
    let (created,): (i32,) =
        sqlx::query_as("SELECT audit_ensure_partitions(date_trunc('month', $1)::date, $2)")
            .bind(now)
            .bind(AUDIT_MONTHS_AHEAD + 1)
            .fetch_one(&mut conn)
            .await?;
    let cutoff = retain_until.unwrap_or_else(|| {
        now.checked_sub_months(Months::new(12 * AUDIT_RETENTION_YEARS)).unwrap_or(now)
    });
    let (dropped,): (i32,) = sqlx::query_as("SELECT audit_drop_partitions($1)")
        .bind(cutoff)
        .fetch_one(&mut conn)
        .await?;
    Ok(AuditMaintenance { created, dropped })
}
