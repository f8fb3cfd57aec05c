//! Declaring background jobs and putting them on the queue. The `jobs`
//! crate runs them (workers, the scheduler) and re-exports all of this.
//!
//! ```ignore
//! #[derive(Serialize, Deserialize)]
//! struct IngestDocument { document_id: Uuid }
//!
//! impl jobs::Job for IngestDocument {
//!     const KIND: &'static str = "knowledge.ingest";
//!     // Idempotent: re-ingesting replaces the document's chunks.
//!     async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
//!         let mut tx = ctx.tx().await?;   // the job's tenant, under RLS
//!         …
//!         tx.commit().await?;
//!         Ok(())
//!     }
//! }
//! jobs::register_job!(IngestDocument);
//!
//! // In the request's own transaction: the row and its job commit together.
//! let mut tx = caller.tx(db).await?;
//! repo::insert_document(&mut tx, &doc).await?;
//! jobs::NewJob::new(&IngestDocument { document_id: doc.id })
//!     .unique_key(format!("{}:{}", doc.id, doc.version))
//!     .enqueue(&mut tx)
//!     .await?;
//! tx.commit().await?;
//! ```
//!
//! [`register_job!`](crate::register_job) records the kind in the build's
//! list, which is what workers run; a job type without it does not compile
//! (`Job` requires it), so no job can be enqueued that no worker knows.
//!
//! A job may run more than once (a worker can crash after the work but
//! before recording it), so every job must be idempotent.

use std::collections::HashMap;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::db::{Authority, Db, TenantAccess, TenantTx};
use crate::ids::TenantId;
use crate::state::AppState;

crate::id_type!(
    /// A job.
    JobId
);

/// The queue jobs go to unless they say otherwise.
pub const DEFAULT_QUEUE: &str = "default";
/// The tenant that system jobs (maintenance, scheduled work) belong to.
pub const SYSTEM: TenantId = TenantId::SYSTEM;

/// A kind of background job: its payload is the type itself, stored as
/// JSON. Register it with [`register_job!`](crate::register_job).
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static + Registered {
    /// The stable name stored with each job (`knowledge.ingest`).
    const KIND: &'static str;
    /// The queue it runs on (each queue has its own concurrency).
    const QUEUE: &'static str = DEFAULT_QUEUE;
    /// How failed attempts are retried.
    const RETRY: Retry = Retry::DEFAULT;
    /// An attempt running longer than this is stopped and counts as failed.
    const TIMEOUT: Duration = Duration::from_secs(300);

    /// Does the work. Return an error to retry (or [`Permanent`] to give
    /// up at once); watch `ctx.cancel` in long loops.
    fn run(self, ctx: JobContext) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Marks a job type recorded in the build's list of kinds; implemented by
/// [`register_job!`](crate::register_job) only.
#[diagnostic::on_unimplemented(
    message = "the job type `{Self}` is not registered",
    note = "add `jobs::register_job!({Self});` next to its `impl Job`, so workers can run it"
)]
pub trait Registered {}

type Runner = fn(JobContext, Value) -> BoxFuture<'static, anyhow::Result<()>>;

/// A job kind as the build's list records it.
#[derive(Debug)]
pub struct Kind {
    /// `Job::KIND`.
    pub kind: &'static str,
    /// `Job::QUEUE`.
    pub queue: &'static str,
    /// Decodes the payload and runs the job.
    pub run: Runner,
    /// The module that registered it.
    pub module: &'static str,
}

inventory::collect!(Kind);

/// Records a job type in the build's list of kinds, so workers can run it.
#[macro_export]
macro_rules! register_job {
    ($t:ty) => {
        impl $crate::job::Registered for $t {}
        $crate::inventory::submit! {
            $crate::job::Kind {
                kind: <$t as $crate::job::Job>::KIND,
                queue: <$t as $crate::job::Job>::QUEUE,
                run: $crate::job::run_erased::<$t>,
                module: ::core::module_path!(),
            }
        }
    };
}

/// Decodes a payload as `J` and runs it (what [`Kind::run`] points to).
pub fn run_erased<J: Job>(
    ctx: JobContext,
    payload: Value,
) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move {
        let job: J = serde_json::from_value(payload).map_err(|e| {
            Permanent::error(format!("the payload of a {} job does not parse: {e}", J::KIND))
        })?;
        job.run(ctx).await
    })
}

/// The kinds of job this build can run, by name.
#[derive(Clone)]
pub struct Registry {
    kinds: Arc<HashMap<&'static str, &'static Kind>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("kinds", &self.kinds.len()).finish()
    }
}

impl Registry {
    /// Every kind registered in the build; fails when two job types share
    /// a kind.
    pub fn collect() -> Result<Registry, String> {
        let mut kinds: HashMap<&'static str, &'static Kind> = HashMap::new();
        for k in inventory::iter::<Kind> {
            if let Some(other) = kinds.insert(k.kind, k) {
                return Err(format!(
                    "job kind `{}` is registered twice, in {} and {}",
                    k.kind, other.module, k.module
                ));
            }
        }
        Ok(Registry { kinds: Arc::new(kinds) })
    }

    /// The runner of a kind.
    pub fn get(&self, kind: &str) -> Option<&'static Kind> {
        self.kinds.get(kind).copied()
    }

    /// Every registered kind, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<_> = self.kinds.keys().copied().collect();
        k.sort_unstable();
        k
    }
}

/// What a running job knows about itself.
#[derive(Clone)]
pub struct JobContext {
    /// The application's state (database, configuration, services).
    pub state: AppState,
    access: TenantAccess,
    /// The job.
    pub id: JobId,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// Fires when the job should stop: cancellation was asked for, its
    /// worker is shutting down, or its lease was lost.
    pub cancel: CancellationToken,
    last_attempt: bool,
    system: Option<Authority>,
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("tenant", &self.access.tenant())
            .field("id", &self.id)
            .field("attempt", &self.attempt)
            .finish()
    }
}

impl JobContext {
    /// The context of a claimed job (made by the worker). System jobs get
    /// the authority (they work across tenants); tenants' jobs do not.
    pub fn new(
        state: AppState,
        authority: &Authority,
        tenant: TenantId,
        id: JobId,
        attempt: u32,
        cancel: CancellationToken,
        last_attempt: bool,
    ) -> JobContext {
        JobContext {
            state,
            access: authority.tenant(tenant),
            id,
            attempt,
            cancel,
            last_attempt,
            system: (tenant == SYSTEM).then(|| authority.clone()),
        }
    }

    /// The tenant the job belongs to ([`SYSTEM`] for system jobs).
    pub fn tenant(&self) -> TenantId {
        self.access.tenant()
    }

    /// Access to the job's tenant (for services that open its transactions).
    pub fn access(&self) -> &TenantAccess {
        &self.access
    }

    /// The database.
    pub fn db(&self) -> &Db {
        self.state.db()
    }

    /// A transaction confined to the job's tenant (row-level security
    /// applies, as in a request).
    pub async fn tx(&self) -> Result<TenantTx, sqlx::Error> {
        self.state.db().tenant(&self.access).await
    }

    /// A read-only transaction confined to the job's tenant.
    pub async fn read_tx(&self) -> Result<TenantTx, sqlx::Error> {
        self.state.db().tenant_read(&self.access).await
    }

    /// The authority, for system jobs only (maintenance that works tenant
    /// by tenant or runs the queue's functions).
    pub fn authority(&self) -> Option<&Authority> {
        self.system.as_ref()
    }

    /// Whether a failure now would be final (no attempts or time left).
    pub fn is_last_attempt(&self) -> bool {
        self.last_attempt
    }

    /// Whether this is a system job rather than a tenant's.
    pub fn is_system(&self) -> bool {
        self.tenant() == SYSTEM
    }
}

/// How a job is retried after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry; each later one doubles, with jitter.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub max: Duration,
    /// No retry starts later than this after the job was enqueued.
    pub give_up_after: Option<Duration>,
}

impl Retry {
    /// Ten attempts, from 1 s doubling up to an hour.
    pub const DEFAULT: Retry = Retry {
        max_attempts: 10,
        base: Duration::from_secs(1),
        max: Duration::from_secs(3600),
        give_up_after: None,
    };

    /// One attempt only.
    pub const NEVER: Retry = Retry { max_attempts: 1, ..Retry::DEFAULT };

    /// The delay before the attempt after `attempt` (1-based), given a
    /// jitter factor in `[0, 1)`: the exponential delay scaled into
    /// `[½, 1]` of itself, so retries of many jobs spread out.
    pub fn delay_after(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let raw = self.base.saturating_mul(1u32 << exp.min(31)).min(self.max);
        raw.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

impl Default for Retry {
    fn default() -> Self {
        Retry::DEFAULT
    }
}

/// An error a job returns when trying again cannot help (bad payload, a
/// record that no longer exists): the job goes straight to dead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Permanent(pub String);

impl Permanent {
    /// A permanent failure with a reason.
    pub fn error(reason: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Permanent(reason.into()))
    }
}

/// A job about to be enqueued, with its options.
#[derive(Debug, Clone)]
pub struct NewJob {
    kind: &'static str,
    queue: String,
    payload: Result<Value, String>,
    priority: i16,
    run_at: Option<DateTime<Utc>>,
    unique_key: Option<String>,
    retry: Retry,
    timeout: Duration,
}

/// The outcome of an enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The job (the existing one when the unique key was taken).
    pub id: JobId,
    /// False when a job with the same unique key already existed.
    pub created: bool,
}

impl NewJob {
    /// A job of type `J` with its declared queue, retry policy and timeout.
    pub fn new<J: Job>(job: &J) -> NewJob {
        NewJob {
            kind: J::KIND,
            queue: J::QUEUE.to_string(),
            payload: serde_json::to_value(job).map_err(|e| e.to_string()),
            priority: 0,
            run_at: None,
            unique_key: None,
            retry: J::RETRY,
            timeout: J::TIMEOUT,
        }
    }

    /// The job's kind.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// At most one job of this kind (per tenant) with this key ever
    /// exists while it is kept: enqueueing it again returns the first.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Not before this time.
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Not before this delay has passed.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.run_at =
            Some(Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX));
        self
    }

    /// Higher runs first among due jobs of a queue (default 0).
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = priority;
        self
    }

    /// Another retry policy than the job type's.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Another queue than the job type's.
    pub fn queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = queue.into();
        self
    }

    /// Enqueues it in the caller's tenant transaction: it exists if and
    /// only if the transaction commits.
    pub async fn enqueue(self, tx: &mut TenantTx) -> Result<Enqueued, sqlx::Error> {
        insert_job(tx, &self).await
    }

    /// Enqueues a system job on its own.
    pub async fn enqueue_system(
        self,
        db: &Db,
        authority: &Authority,
    ) -> Result<Enqueued, sqlx::Error> {
        let mut tx = db.tenant(&authority.system()).await?;
        let e = insert_job(&mut tx, &self).await?;
        tx.commit().await?;
        Ok(e)
    }
}

/// Enqueues many jobs in the caller's tenant transaction with one
/// statement; returns how many were created (unique keys already taken
/// are skipped).
pub async fn enqueue_many(tx: &mut TenantTx, jobs: &[NewJob]) -> Result<u64, sqlx::Error> {
    insert_jobs(tx, jobs).await
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(0, i64::from(i32::MAX)) as i32
}

fn encode_error(msg: String) -> sqlx::Error {
    sqlx::Error::Encode(msg.into())
}

async fn insert_job(tx: &mut TenantTx, job: &NewJob) -> Result<Enqueued, sqlx::Error> {
    let tenant = tx.tenant();
    let payload = job.payload.clone().map_err(encode_error)?;
    let id = JobId::new();
    let inserted: Option<(JobId,)> = sqlx::query_as(crate::sql!(
        "INSERT INTO jobs (tenant_id, id, queue, kind, payload, priority, run_at, max_attempts,
                           backoff_base_ms, backoff_max_ms, expires_at, timeout_ms, unique_key)
         VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8, $9, $10,
                 now() + $11::bigint * interval '1 millisecond', $12, $13)
         ON CONFLICT (tenant_id, kind, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
         RETURNING id"
    ))
    .bind(tenant)
    .bind(id)
    .bind(&job.queue)
    .bind(job.kind)
    .bind(payload)
    .bind(job.priority)
    .bind(job.run_at)
    .bind(job.retry.max_attempts.max(1) as i32)
    .bind(clamp_i32(millis(job.retry.base)))
    .bind(clamp_i32(millis(job.retry.max)))
    .bind(job.retry.give_up_after.map(millis))
    .bind(clamp_i32(millis(job.timeout)).max(1))
    .bind(&job.unique_key)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((id,)) = inserted {
        return Ok(Enqueued { id, created: true });
    }
    let (id,): (JobId,) = sqlx::query_as(crate::sql!(
        "SELECT id FROM jobs WHERE tenant_id = $1 AND kind = $2 AND unique_key = $3"
    ))
    .bind(tenant)
    .bind(job.kind)
    .bind(&job.unique_key)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Enqueued { id, created: false })
}

async fn insert_jobs(tx: &mut TenantTx, jobs: &[NewJob]) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let n = jobs.len();
    let (mut ids, mut queues, mut kinds, mut payloads) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut priorities, mut run_ats, mut max_attempts, mut bases) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut maxes, mut expires, mut timeouts, mut keys) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let now = Utc::now();
    for j in jobs {
        ids.push(JobId::new().as_uuid());
        queues.push(j.queue.clone());
        kinds.push(j.kind.to_string());
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
    let done = sqlx::query(crate::sql!(
        "INSERT INTO jobs (tenant_id, id, queue, kind, payload, priority, run_at, max_attempts,
                           backoff_base_ms, backoff_max_ms, expires_at, timeout_ms, unique_key)
         SELECT $1, id, queue, kind, payload, priority, run_at, max_attempts, base, max,
                now() + expires * interval '1 millisecond', timeout, key
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::int2[], $7::timestamptz[],
                       $8::int4[], $9::int4[], $10::int4[], $11::int8[], $12::int4[], $13::text[])
                AS t(id, queue, kind, payload, priority, run_at, max_attempts, base, max, expires,
                     timeout, key)
         ON CONFLICT (tenant_id, kind, unique_key) WHERE unique_key IS NOT NULL DO NOTHING"
    ))
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
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// A periodic job: a system job enqueued at every tick of a cron schedule.
#[derive(Clone)]
pub struct Periodic {
    /// A stable name (part of each tick's unique key).
    pub name: &'static str,
    schedule: cron::Schedule,
    make: Arc<dyn Fn() -> NewJob + Send + Sync>,
}

impl std::fmt::Debug for Periodic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Periodic")
            .field("name", &self.name)
            .field("schedule", &self.schedule.to_string())
            .finish()
    }
}

impl Periodic {
    /// Runs `job` (a system job) on the cron schedule `expr`: six fields,
    /// seconds first (`"0 15 3 * * *"` is 03:15:00 UTC every day).
    pub fn new<J: Job + Clone>(name: &'static str, expr: &str, job: J) -> Result<Periodic, String> {
        let schedule = cron::Schedule::from_str(expr)
            .map_err(|e| format!("schedule `{name}`: `{expr}` is not a cron expression: {e}"))?;
        Ok(Periodic { name, schedule, make: Arc::new(move || NewJob::new(&job)) })
    }

    /// The first tick after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&t).next()
    }

    /// The job of the tick at `tick`, keyed so that one tick makes one job
    /// however many schedulers run.
    pub fn job_at(&self, tick: DateTime<Utc>) -> NewJob {
        (self.make)().unique_key(self.key(tick))
    }

    fn key(&self, tick: DateTime<Utc>) -> String {
        format!("{}@{}", self.name, tick.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    struct Nop;
    impl Job for Nop {
        const KIND: &'static str = "test.nop";
        async fn run(self, _: JobContext) -> anyhow::Result<()> {
            Ok(())
        }
    }
    crate::register_job!(Nop);

    #[test]
    fn ticks_and_keys() {
        let p = Periodic::new("nightly", "0 15 3 * * *", Nop).unwrap();
        let t = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let next = p.next_after(t).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-01-02T03:15:00+00:00");
        assert_eq!(p.key(next), "nightly@2026-01-02T03:15:00Z");
        assert!(Periodic::new("bad", "every day", Nop).is_err());
    }

    #[test]
    fn registered_kinds_are_collected() {
        let r = Registry::collect().unwrap();
        let k = r.get("test.nop").expect("registered");
        assert_eq!(k.queue, DEFAULT_QUEUE);
        assert!(k.module.starts_with("kernel::job"));
    }

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let r =
            Retry { base: Duration::from_secs(2), max: Duration::from_secs(60), ..Retry::DEFAULT };
        assert_eq!(r.delay_after(1, 0.999_999).as_secs(), 1); // ~2 s
        assert_eq!(r.delay_after(1, 0.0), Duration::from_secs(1));
        assert_eq!(r.delay_after(3, 0.0), Duration::from_secs(4));
        assert_eq!(r.delay_after(20, 0.0), Duration::from_secs(30));
        assert!(r.delay_after(20, 0.99) <= Duration::from_secs(60));
        assert!(r.delay_after(200, 0.5) <= Duration::from_secs(60));
        for a in 1..12 {
            assert!(r.delay_after(a + 1, 0.0) >= r.delay_after(a, 0.0));
        }
    }
}
