//! The queue's SQL: claiming, finishing, renewing and reaping (through
//! the `SECURITY DEFINER` functions, on the workers' pool) and the
//! tenant's view of its jobs (under row-level security).

use chrono::{DateTime, Utc};
use kernel::ids::TenantId;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;
use uuid::Uuid;

use kernel::db::TenantTx;
use kernel::job::JobId;

use crate::model::JobState;

/// A job a worker claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Claimed {
    pub tenant_id: TenantId,
    pub id: JobId,
    pub kind: String,
    pub payload: Value,
    pub priority: i16,
    pub attempts: i32,
    pub max_attempts: i32,
    pub backoff_base_ms: i32,
    pub backoff_max_ms: i32,
    pub expires_at: Option<DateTime<Utc>>,
    pub timeout_ms: i32,
    pub lease: Uuid,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

pub(crate) async fn claim(
    db: impl PgExecutor<'_>,
    queue: &str,
    limit: usize,
    worker: &str,
    lease_ms: i32,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let mut rows: Vec<Claimed> =
        sqlx::query_as(kernel::sql!("SELECT * FROM jobs_claim($1, $2, $3, $4)"))
            .bind(queue)
            .bind(limit as i32)
            .bind(worker)
            .bind(lease_ms)
            .fetch_all(db)
            .await?;
    rows.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.run_at.cmp(&b.run_at)));
    Ok(rows)
}

/// (tenant, job, lease) triples.
pub(crate) type Held = (TenantId, JobId, Uuid);

fn split(held: &[Held]) -> (Vec<Uuid>, Vec<Uuid>, Vec<Uuid>) {
    (
        held.iter().map(|h| h.0.as_uuid()).collect(),
        held.iter().map(|h| h.1.as_uuid()).collect(),
        held.iter().map(|h| h.2).collect(),
    )
}

pub(crate) async fn complete(db: impl PgExecutor<'_>, held: &[Held]) -> Result<i32, sqlx::Error> {
    let (t, i, l) = split(held);
    let (n,): (i32,) = sqlx::query_as(kernel::sql!("SELECT jobs_complete($1, $2, $3)"))
        .bind(t)
        .bind(i)
        .bind(l)
        .fetch_one(db)
        .await?;
    Ok(n)
}

pub(crate) async fn fail(
    db: impl PgExecutor<'_>,
    held: Held,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<Option<String>, sqlx::Error> {
    let (state,): (Option<String>,) =
        sqlx::query_as(kernel::sql!("SELECT jobs_fail($1, $2, $3, $4, $5)"))
            .bind(held.0)
            .bind(held.1)
            .bind(held.2)
            .bind(error)
            .bind(retry_at)
            .fetch_one(db)
            .await?;
    Ok(state)
}

pub(crate) async fn heartbeat(
    db: impl PgExecutor<'_>,
    held: &[Held],
    lease_ms: i32,
) -> Result<Vec<(TenantId, JobId, bool)>, sqlx::Error> {
    let (t, i, l) = split(held);
    sqlx::query_as(kernel::sql!(
        "SELECT tenant_id, id, cancel_requested FROM jobs_heartbeat($1, $2, $3, $4)"
    ))
    .bind(t)
    .bind(i)
    .bind(l)
    .bind(lease_ms)
    .fetch_all(db)
    .await
}

pub(crate) async fn release(db: impl PgExecutor<'_>, held: &[Held]) -> Result<i32, sqlx::Error> {
    let (t, i, l) = split(held);
    let (n,): (i32,) = sqlx::query_as(kernel::sql!("SELECT jobs_release($1, $2, $3)"))
        .bind(t)
        .bind(i)
        .bind(l)
        .fetch_one(db)
        .await?;
    Ok(n)
}

pub(crate) async fn reap(db: impl PgExecutor<'_>) -> Result<i32, sqlx::Error> {
    let (n,): (i32,) = sqlx::query_as(kernel::sql!("SELECT jobs_reap()")).fetch_one(db).await?;
    Ok(n)
}

/// Depth of one queue in one state.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QueueStat {
    /// The queue.
    pub queue: String,
    /// `queued`, `running` or `dead`.
    pub state: String,
    /// Jobs in that state.
    pub jobs: i64,
    /// The earliest `run_at` among them.
    pub oldest_run_at: Option<DateTime<Utc>>,
}

/// Queue depths across all tenants.
pub async fn stats(db: impl PgExecutor<'_>) -> Result<Vec<QueueStat>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT queue, state, jobs, oldest_run_at FROM jobs_stats() ORDER BY queue, state"
    ))
    .fetch_all(db)
    .await
}

/// Deletes finished jobs and dispatched events past their retention.
pub async fn prune(
    db: &mut PgConnection,
    finished_before: DateTime<Utc>,
    dead_before: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let (jobs,): (i64,) = sqlx::query_as(kernel::sql!("SELECT jobs_prune($1, $2)"))
        .bind(finished_before)
        .bind(dead_before)
        .fetch_one(&mut *db)
        .await?;
    let (events,): (i64,) = sqlx::query_as(kernel::sql!("SELECT events_prune($1)"))
        .bind(dead_before)
        .fetch_one(db)
        .await?;
    Ok((jobs, events))
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct JobView {
    /// Id.
    pub id: JobId,
    /// Queue.
    pub queue: String,
    /// Kind (`webhooks.deliver`).
    pub kind: String,
    /// State.
    #[schema(value_type = JobState)]
    pub state: String,
    /// Its input.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Higher runs first.
    pub priority: i16,
    /// Attempts made so far.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Not before this time.
    pub run_at: DateTime<Utc>,
    /// The unique key, if any.
    pub unique_key: Option<String>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// Cancellation asked for while it runs.
    pub cancel_requested: bool,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When its last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished (succeeded, dead or cancelled).
    pub finished_at: Option<DateTime<Utc>>,
}

macro_rules! job_columns {
    () => {
        "id, queue, kind, state, payload, priority, attempts, max_attempts, run_at,
    unique_key, last_error, cancel_requested, created_at, started_at, finished_at"
    };
}

/// Filters of the job list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only this state.
    pub state: Option<JobState>,
    /// Only this queue.
    pub queue: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// The tenant's jobs, newest first.
pub async fn list_jobs(
    tx: &mut TenantTx,
    f: &JobFilter,
    after: Option<(DateTime<Utc>, JobId)>,
    limit: i64,
) -> Result<Vec<JobView>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs
          WHERE tenant_id = $1
            AND ($2::text IS NULL OR state = $2)
            AND ($3::text IS NULL OR queue = $3)
            AND ($4::text IS NULL OR kind = $4)
            AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6))
          ORDER BY created_at DESC, id DESC
          LIMIT $7"
    )))
    .bind(tenant)
    .bind(f.state.map(JobState::as_str))
    .bind(f.queue.as_deref())
    .bind(f.kind.as_deref())
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// One of the tenant's jobs.
pub async fn job(tx: &mut TenantTx, id: JobId) -> Result<Option<JobView>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Puts a dead or cancelled job back on the queue with fresh attempts.
/// Returns its queue, or `None` when it is in another state.
pub async fn retry_job(tx: &mut TenantTx, id: JobId) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<(String,)> = sqlx::query_as(kernel::sql!(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), last_error = NULL,
                cancel_requested = false, finished_at = NULL, updated_at = now(),
                expires_at = CASE WHEN expires_at IS NULL THEN NULL
                                  ELSE now() + (expires_at - created_at) END
          WHERE tenant_id = $1 AND id = $2 AND state IN ('dead', 'cancelled')
          RETURNING queue"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((queue,)) = &row {
        kernel::notify::notify(tx, crate::worker::CHANNEL, queue).await?;
    }
    Ok(row.map(|r| r.0))
}

/// Cancels a queued job at once, or asks a running one to stop. Returns
/// the state it is left in, or `None` when it had already finished.
pub async fn cancel_job(tx: &mut TenantTx, id: JobId) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<(String,)> = sqlx::query_as(kernel::sql!(
        "UPDATE jobs
            SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                cancel_requested = (state = 'running'),
                finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'running')
          RETURNING state"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| r.0))
}

/// A job as operators list it, across tenants.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperatorJob {
    /// Its tenant (nil for system jobs).
    pub tenant_id: Uuid,
    /// Id.
    pub id: Uuid,
    /// Queue.
    pub queue: String,
    /// Kind.
    pub kind: String,
    /// State.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// The last error.
    pub last_error: Option<String>,
}

/// As the schema owner (who sees the whole queue): jobs of every tenant,
/// newest first.
pub async fn operator_jobs(
    owner: &mut PgConnection,
    state: Option<&str>,
    queue: Option<&str>,
    tenant: Option<Uuid>,
    limit: i64,
) -> Result<Vec<OperatorJob>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT tenant_id, id, queue, kind, state, attempts, max_attempts, created_at, last_error
           FROM jobs
          WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR queue = $2)
            AND ($3::uuid IS NULL OR tenant_id = $3)
          ORDER BY created_at DESC LIMIT $4"
    ))
    .bind(state)
    .bind(queue)
    .bind(tenant)
    .bind(limit)
    .fetch_all(owner)
    .await
}

/// As the schema owner: the tenant and state of a job, by id alone.
pub async fn operator_job(
    owner: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(TenantId, String)>, sqlx::Error> {
    sqlx::query_as(kernel::sql!("SELECT tenant_id, state FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(owner)
        .await
}
