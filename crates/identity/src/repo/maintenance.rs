//! Housekeeping of identity's tables and the platform's idempotency keys.

use kernel::db::TenantTx;
use sqlx::PgConnection;

use crate::model::TenantId;

/// Global: deletes ended sessions, reset links and throttling rows that
/// can no longer matter, and idempotency commit records past retention;
/// the rows deleted.
pub async fn prune_global(
    conn: &mut PgConnection,
    retention_secs: i64,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    n += sqlx::query(kernel::sql!(
        "DELETE FROM ended_sessions WHERE ended_at < now() - interval '1 day'"
    ))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    n += sqlx::query(kernel::sql!(
        "DELETE FROM password_resets WHERE expires_at < now() - interval '1 day'"
    ))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    n += sqlx::query(kernel::sql!(
        "DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day'
            AND (locked_until IS NULL OR locked_until < now())"
    ))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    n += sqlx::query(kernel::sql!(
        "DELETE FROM idempotency_commits
          WHERE committed_at < now() - $1::bigint * interval '1 second'"
    ))
    .bind(retention_secs)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// Global: every tenant's id.
pub async fn tenant_ids(conn: &mut PgConnection) -> Result<Vec<TenantId>, sqlx::Error> {
    let rows: Vec<(TenantId,)> =
        sqlx::query_as(kernel::sql!("SELECT id FROM tenants ORDER BY id")).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Deletes the tenant's stored idempotent responses past retention and its
/// expired refresh tokens; the rows deleted.
pub async fn prune_tenant(tx: &mut TenantTx, retention_secs: i64) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let mut n = sqlx::query(kernel::sql!(
        "DELETE FROM idempotency_keys
          WHERE tenant_id = $1 AND created_at < now() - $2::bigint * interval '1 second'"
    ))
    .bind(tenant)
    .bind(retention_secs)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    n += sqlx::query(kernel::sql!(
        "DELETE FROM refresh_tokens WHERE tenant_id = $1 AND expires_at < now() - interval '1 day'"
    ))
    .bind(tenant)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n)
}

/// As the schema owner: creates the audit partitions of `months` months
/// from `from`'s month; how many were created.
pub async fn ensure_audit_partitions(
    owner: &mut PgConnection,
    from: chrono::DateTime<chrono::Utc>,
    months: i32,
) -> Result<i32, sqlx::Error> {
    let (n,): (i32,) = sqlx::query_as(kernel::sql!(
        "SELECT audit_ensure_partitions(date_trunc('month', $1::timestamptz)::date, $2)"
    ))
    .bind(from)
    .bind(months)
    .fetch_one(owner)
    .await?;
    Ok(n)
}

/// As the schema owner: drops audit partitions that end before `cutoff`,
/// anchoring each chain; how many were dropped.
pub async fn drop_audit_partitions(
    owner: &mut PgConnection,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<i32, sqlx::Error> {
    let (n,): (i32,) = sqlx::query_as(kernel::sql!("SELECT audit_drop_partitions($1)"))
        .bind(cutoff)
        .fetch_one(owner)
        .await?;
    Ok(n)
}
