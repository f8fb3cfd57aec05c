//! The SQL of the event outbox's dispatch and of the event log.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use kernel::outbox::Event;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

/// As the workers' role: the next events to dispatch, every tenant's,
/// oldest first (a tenant whose first pending event waits for a retry
/// contributes none).
pub async fn pending(worker: &PgPool, limit: i32) -> Result<Vec<Event>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT tenant_id, pos, id, type, payload, request_id, attempts, created_at
           FROM events_pending($1)"
    ))
    .bind(limit)
    .fetch_all(worker)
    .await
}

/// Marks a pending event dispatched (its row lock makes a second
/// dispatcher wait, then skip it); false when it was not pending.
pub async fn mark_dispatched(tx: &mut TenantTx, pos: i64) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "UPDATE events SET state = 'dispatched', dispatched_at = now(), attempts = attempts + 1,
                next_attempt_at = NULL, last_error = NULL
          WHERE tenant_id = $1 AND pos = $2 AND state = 'pending'"
    ))
    .bind(tenant)
    .bind(pos)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed dispatch: retried after `delay_ms`, or failed for good.
pub async fn record_failure(
    tx: &mut TenantTx,
    pos: i64,
    attempt: i32,
    error: &str,
    failed: bool,
    delay_ms: i64,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE events SET attempts = $3, last_error = left($4, 4000),
                state = CASE WHEN $5 THEN 'failed' ELSE state END,
                dispatched_at = CASE WHEN $5 THEN now() ELSE dispatched_at END,
                next_attempt_at = CASE WHEN $5 THEN NULL ELSE now() + $6::bigint * interval '1 millisecond' END
          WHERE tenant_id = $1 AND pos = $2 AND state = 'pending'"
    ))
    .bind(tenant)
    .bind(pos)
    .bind(attempt)
    .bind(error)
    .bind(failed)
    .bind(delay_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An event as the API lists it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct EventView {
    /// Its id.
    pub id: Uuid,
    /// `resource.verb`.
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// `pending`, `dispatched` or `failed`.
    pub state: String,
    /// Dispatch attempts.
    pub attempts: i32,
    /// The last dispatch error.
    pub last_error: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// When it was dispatched.
    pub dispatched_at: Option<DateTime<Utc>>,
}

/// The tenant's events, newest first, with their positions.
pub async fn list(
    tx: &mut TenantTx,
    event_type: Option<&str>,
    before_pos: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, EventView)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        pos: i64,
        #[sqlx(flatten)]
        view: EventView,
    }
    let tenant = tx.tenant();
    let rows: Vec<Row> = sqlx::query_as(kernel::sql!(
        "SELECT pos, id, type, payload, state, attempts, last_error, request_id, created_at, dispatched_at
           FROM events
          WHERE tenant_id = $1
            AND ($2::text IS NULL OR type = $2)
            AND ($3::bigint IS NULL OR pos < $3)
          ORDER BY pos DESC
          LIMIT $4"
    ))
    .bind(tenant)
    .bind(event_type)
    .bind(before_pos)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.pos, r.view)).collect())
}

/// Takes the dispatcher's advisory lock on `conn` (kept while it lives).
pub async fn try_lead(conn: &mut sqlx::PgConnection, key: i64) -> Result<bool, sqlx::Error> {
    let (got,): (bool,) = sqlx::query_as(kernel::sql!("SELECT pg_try_advisory_lock($1)"))
        .bind(key)
        .fetch_one(conn)
        .await?;
    Ok(got)
}
