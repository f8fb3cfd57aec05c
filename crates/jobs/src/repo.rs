//! All SQL of the jobs crate. Queue-wide operations (claiming, finishing,
//! renewing) go through the SECURITY DEFINER functions of the migration;
//! everything a tenant sees runs in its own transaction under row-level
//! security.

use chrono::{DateTime, Utc};
use kernel::ids::TenantId;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::job::{Enqueued, NewJob};
use crate::model::{JobId, JobState};

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(0, i64::from(i32::MAX)) as i32
}

fn encode_error(msg: String) -> sqlx::Error {
    sqlx::Error::Encode(msg.into())
}

/// Inserts one job; returns the existing job when its unique key is taken.
pub(crate) async fn insert_job(
    conn: &mut PgConnection,
    tenant: TenantId,
    job: &NewJob,
) -> Result<Enqueued, sqlx::Error> {
    let payload = job.payload.clone().map_err(encode_error)?;
    let id = JobId::new();
    let inserted: Option<(JobId,)> = sqlx::query_as(
        "INSERT INTO jobs (tenant_id, id, queue, kind, payload, priority, run_at, max_attempts,
                           backoff_base_ms, backoff_max_ms, expires_at, timeout_ms, unique_key)
         VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8, $9, $10,
                 now() + $11::bigint * interval '1 millisecond', $12, $13)
         ON CONFLICT (tenant_id, kind, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
         RETURNING id",
    )
    .bind(tenant)
    .bind(id)
    .bind(&job.queue)
    .bind(&job.kind)
    .bind(payload)
    .bind(job.priority)
    .bind(job.run_at)
    .bind(job.retry.max_attempts.max(1) as i32)
    .bind(clamp_i32(millis(job.retry.base)))
    .bind(clamp_i32(millis(job.retry.max)))
    .bind(job.retry.give_up_after.map(millis))
    .bind(clamp_i32(millis(job.timeout)).max(1))
    .bind(&job.unique_key)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id,)) = inserted {
        return Ok(Enqueued { id, created: true });
    }
    let (id,): (JobId,) = sqlx::query_as(
        "SELECT id FROM jobs WHERE tenant_id = $1 AND kind = $2 AND unique_key = $3",
    )
    .bind(tenant)
    .bind(&job.kind)
    .bind(&job.unique_key)
    .fetch_one(conn)
    .await?;
    Ok(Enqueued { id, created: false })
}

/// Inserts many jobs with one statement.
pub(crate) async fn insert_jobs(
    conn: &mut PgConnection,
    tenant: TenantId,
    jobs: &[NewJob],
) -> Result<u64, sqlx::Error> {
    let mut ids = Vec::with_capacity(jobs.len());
    let mut queues = Vec::with_capacity(jobs.len());
    let mut kinds = Vec::with_capacity(jobs.len());
    let mut payloads = Vec::with_capacity(jobs.len());
    let mut priorities = Vec::with_capacity(jobs.len());
    let mut run_ats = Vec::with_capacity(jobs.len());
    let mut max_attempts = Vec::with_capacity(jobs.len());
    let mut bases = Vec::with_capacity(jobs.len());
    let mut maxes = Vec::with_capacity(jobs.len());
    let mut expires = Vec::with_capacity(jobs.len());
    let mut timeouts = Vec::with_capacity(jobs.len());
    let mut keys = Vec::with_capacity(jobs.len());
    let now = Utc::now();
    for j in jobs {
        ids.push(JobId::new().as_uuid());
        queues.push(j.queue.clone());
        kinds.push(j.kind.clone());
        payloads.push(j.payload.clone().map_err(encode_error)?);
        priorities.push(j.priority);
        run_ats.push(j.run_at.unwrap_or(now));
        max_attempts.push(j.retry.max_attempts.max(1) as i32);
        bases.push(clamp_i32(millis(j.retry.base)));
        maxes.push(clamp_i32(millis(j.retry.max)));
        expires.push(j.retry.give_up_after.map(millis));
        timeouts.push(clamp_i32(millis(j.timeout)).max(1));
        keys.push(j.unique_key.clone());
    }
    let done = sqlx::query(
        "INSERT INTO jobs (tenant_id, id, queue, kind, payload, priority, run_at, max_attempts,
                           backoff_base_ms, backoff_max_ms, expires_at, timeout_ms, unique_key)
         SELECT $1, id, queue, kind, payload, priority, run_at, max_attempts, base, max,
                now() + expires * interval '1 millisecond', timeout, key
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::int2[], $7::timestamptz[],
                       $8::int4[], $9::int4[], $10::int4[], $11::int8[], $12::int4[], $13::text[])
                AS t(id, queue, kind, payload, priority, run_at, max_attempts, base, max, expires,
                     timeout, key)
         ON CONFLICT (tenant_id, kind, unique_key) WHERE unique_key IS NOT NULL DO NOTHING",
    )
    .bind(tenant)
    .bind(ids)
    .bind(queues)
    .bind(kinds)
    .bind(payloads)
    .bind(priorities)
    .bind(run_ats)
    .bind(max_attempts)
    .bind(bases)
    .bind(maxes)
    .bind(expires)
    .bind(timeouts)
    .bind(keys)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

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
    let mut rows: Vec<Claimed> = sqlx::query_as("SELECT * FROM jobs_claim($1, $2, $3, $4)")
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
    let (n,): (i32,) = sqlx::query_as("SELECT jobs_complete($1, $2, $3)")
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
    let (state,): (Option<String>,) = sqlx::query_as("SELECT jobs_fail($1, $2, $3, $4, $5)")
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
    sqlx::query_as("SELECT tenant_id, id, cancel_requested FROM jobs_heartbeat($1, $2, $3, $4)")
        .bind(t)
        .bind(i)
        .bind(l)
        .bind(lease_ms)
        .fetch_all(db)
        .await
}

pub(crate) async fn release(db: impl PgExecutor<'_>, held: &[Held]) -> Result<i32, sqlx::Error> {
    let (t, i, l) = split(held);
    let (n,): (i32,) = sqlx::query_as("SELECT jobs_release($1, $2, $3)")
        .bind(t)
        .bind(i)
        .bind(l)
        .fetch_one(db)
        .await?;
    Ok(n)
}

pub(crate) async fn reap(db: impl PgExecutor<'_>) -> Result<i32, sqlx::Error> {
    let (n,): (i32,) = sqlx::query_as("SELECT jobs_reap()").fetch_one(db).await?;
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
    sqlx::query_as(
        "SELECT queue, state, jobs, oldest_run_at FROM jobs_stats() ORDER BY queue, state",
    )
    .fetch_all(db)
    .await
}

/// Deletes finished jobs and dispatched events past their retention.
pub async fn prune(
    db: &mut PgConnection,
    finished_before: DateTime<Utc>,
    dead_before: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let (jobs,): (i64,) = sqlx::query_as("SELECT jobs_prune($1, $2)")
        .bind(finished_before)
        .bind(dead_before)
        .fetch_one(&mut *db)
        .await?;
    let (events,): (i64,) =
        sqlx::query_as("SELECT events_prune($1)").bind(dead_before).fetch_one(db).await?;
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

const JOB_COLUMNS: &str =
    "id, queue, kind, state, payload, priority, attempts, max_attempts, run_at,
    unique_key, last_error, cancel_requested, created_at, started_at, finished_at";

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
    conn: &mut PgConnection,
    tenant: TenantId,
    f: &JobFilter,
    after: Option<(DateTime<Utc>, JobId)>,
    limit: i64,
) -> Result<Vec<JobView>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM jobs
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
    .fetch_all(conn)
    .await
}

/// One of the tenant's jobs.
pub async fn job(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: JobId,
) -> Result<Option<JobView>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Puts a dead or cancelled job back on the queue with fresh attempts.
/// Returns its queue, or `None` when it is in another state.
pub async fn retry_job(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: JobId,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), last_error = NULL,
                cancel_requested = false, finished_at = NULL, updated_at = now(),
                expires_at = CASE WHEN expires_at IS NULL THEN NULL
                                  ELSE now() + (expires_at - created_at) END
          WHERE tenant_id = $1 AND id = $2 AND state IN ('dead', 'cancelled')
          RETURNING queue",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((queue,)) = &row {
        kernel::notify::notify(conn, crate::worker::CHANNEL, queue).await?;
    }
    Ok(row.map(|r| r.0))
}

/// Cancels a queued job at once, or asks a running one to stop. Returns
/// the state it is left in, or `None` when it had already finished.
pub async fn cancel_job(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: JobId,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE jobs
            SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                cancel_requested = (state = 'running'),
                finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'running')
          RETURNING state",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}
