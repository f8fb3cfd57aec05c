//! Workers: claim due jobs, run them, record the outcome.
//!
//! - One claim loop per queue takes as many due jobs as it has free slots
//!   (`FOR UPDATE SKIP LOCKED`, so workers never take the same job) and
//!   sleeps until a `NOTIFY tessera_jobs` for its queue, a poll interval,
//!   or a free slot.
//! - Each claim carries a lease token and a lease time; a heartbeat renews
//!   the leases of running jobs and learns of cancellations. A worker that
//!   dies stops renewing: a reaper (run by every worker) puts its jobs back
//!   on the queue when their lease expires.
//! - Successes are recorded in batches; failures are retried with
//!   exponential backoff and jitter, then dead-lettered with their error.
//! - Shutdown stops claiming, lets running jobs finish for a grace period,
//!   then cancels them and gives unfinished ones back to the queue.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::FutureExt;
use kernel::AppState;
use kernel::db::Authority;
use kernel::ids::TenantId;
use kernel::job::{DEFAULT_QUEUE, JobContext, JobId, Permanent, Registry, Retry};
use kernel::notify::Notification;
use sqlx::PgPool;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::repo::{self, Claimed, Held};

/// The channel enqueues are announced on (payload: the queue).
pub const CHANNEL: &str = "tessera_jobs";

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Queues and how many jobs of each run at once.
    pub queues: Vec<(String, usize)>,
    /// How long a claim holds a job without renewal.
    pub lease: Duration,
    /// How often an idle queue is polled when no notification arrives.
    pub poll: Duration,
}

impl WorkerOptions {
    /// The options of the configuration's `[jobs]` section.
    pub fn from_config(config: &kernel::config::JobsConfig) -> WorkerOptions {
        let mut queues: Vec<(String, usize)> =
            config.queues.iter().map(|(q, n)| (q.clone(), (*n).max(1))).collect();
        if !queues.iter().any(|(q, _)| q == DEFAULT_QUEUE) {
            queues.push((DEFAULT_QUEUE.to_string(), 4));
        }
        WorkerOptions {
            queues,
            lease: Duration::from_secs(config.lease_secs.max(1)),
            poll: Duration::from_millis(config.poll_interval_ms.max(1)),
        }
    }
}

struct Running {
    tenant: TenantId,
    id: JobId,
    lease: Uuid,
    cancel: CancellationToken,
    abort: Option<AbortHandle>,
}

enum Outcome {
    Succeeded,
    Failed { error: String, retry_at: Option<chrono::DateTime<Utc>> },
}

struct Done {
    held: Held,
    outcome: Outcome,
}

struct Inner {
    state: AppState,
    authority: Authority,
    registry: Registry,
    pool: PgPool,
    name: String,
    lease: Duration,
    poll: Duration,
    running: Mutex<HashMap<JobId, Running>>,
    /// Taken at shutdown, which closes the channel and ends the flusher.
    done: Mutex<Option<mpsc::UnboundedSender<Done>>>,
    wake: HashMap<String, Arc<Notify>>,
    stop: CancellationToken,
}

static WORKER_SEQ: AtomicU64 = AtomicU64::new(0);

/// A running worker. Stop it with [`Worker::shutdown`] (or
/// [`Worker::abort`], which behaves like a crash).
pub struct Worker {
    inner: Arc<Inner>,
    loops: JoinSet<()>,
    jobs: Arc<Mutex<JoinSet<()>>>,
    flusher: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("name", &self.inner.name).finish()
    }
}

impl Worker {
    /// Starts claiming and running jobs of `options.queues`: queue
    /// operations on the authority's workers' pool, job bodies in their
    /// tenants' transactions.
    pub fn start(
        state: AppState,
        authority: Authority,
        registry: Registry,
        options: WorkerOptions,
    ) -> Worker {
        let pool = authority.worker_pool().clone();
        let name = format!(
            "{}:{}:{}",
            hostname(),
            std::process::id(),
            WORKER_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let wake: HashMap<String, Arc<Notify>> =
            options.queues.iter().map(|(q, _)| (q.clone(), Arc::new(Notify::new()))).collect();
        let inner = Arc::new(Inner {
            state: state.clone(),
            authority,
            registry,
            pool,
            name,
            lease: options.lease,
            poll: options.poll,
            running: Mutex::new(HashMap::new()),
            done: Mutex::new(Some(done_tx)),
            wake,
            stop: CancellationToken::new(),
        });
        let jobs = Arc::new(Mutex::new(JoinSet::new()));
        let mut loops = JoinSet::new();
        for (queue, concurrency) in options.queues {
            loops.spawn(claim_loop(inner.clone(), jobs.clone(), queue, concurrency));
        }
        loops.spawn(heartbeat_loop(inner.clone()));
        loops.spawn(reaper_loop(inner.clone()));
        if let Some(notifier) = state.try_service::<kernel::notify::Notifier>() {
            loops.spawn(wake_loop(inner.clone(), notifier.subscribe()));
        }
        let flusher = tokio::spawn(flush_loop(inner.clone(), done_rx));
        tracing::debug!(worker = %inner.name, "worker started");
        Worker { inner, loops, jobs, flusher }
    }

    /// This worker's name (`host:pid:n`), recorded on the jobs it holds.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Jobs running now.
    pub fn running(&self) -> usize {
        self.inner.running.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Stops claiming; lets running jobs finish for up to `grace`, then
    /// cancels them and puts the unfinished ones back on the queue.
    pub async fn shutdown(mut self, grace: Duration) {
        self.inner.stop.cancel();
        while self.loops.join_next().await.is_some() {}
        let deadline = Instant::now() + grace;
        while self.running() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Ask what is left to stop, and give it a moment.
        let left: Vec<CancellationToken> = self
            .inner
            .running
            .lock()
            .map(|r| r.values().map(|j| j.cancel.clone()).collect())
            .unwrap_or_default();
        if !left.is_empty() {
            for c in &left {
                c.cancel();
            }
            let deadline = Instant::now() + Duration::from_secs(1);
            while self.running() > 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let unfinished: Vec<Held> = self
            .inner
            .running
            .lock()
            .map(|mut r| {
                r.drain()
                    .map(|(_, j)| {
                        if let Some(a) = j.abort {
                            a.abort();
                        }
                        (j.tenant, j.id, j.lease)
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Ok(mut set) = self.jobs.lock() {
            set.abort_all();
        }
        // Record what finished, then give back what did not.
        let inner = self.inner;
        if let Ok(mut done) = inner.done.lock() {
            done.take();
        }
        let _ = (&mut self.flusher).await;
        if !unfinished.is_empty() {
            match repo::release(&inner.pool, &unfinished).await {
                Ok(n) => {
                    tracing::info!(worker = %inner.name, released = n, "gave unfinished jobs back to the queue")
                }
                Err(e) => {
                    tracing::warn!(worker = %inner.name, error = %e, "cannot release jobs; their leases will expire")
                }
            }
        }
        tracing::debug!(worker = %inner.name, "worker stopped");
    }

    /// Stops everything at once without recording or releasing anything,
    /// as if the process had died: held jobs come back after their lease.
    pub fn abort(mut self) {
        self.inner.stop.cancel();
        self.loops.abort_all();
        if let Ok(mut set) = self.jobs.lock() {
            set.abort_all();
        }
        self.flusher.abort();
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn lease_ms(inner: &Inner) -> i32 {
    i32::try_from(inner.lease.as_millis()).unwrap_or(i32::MAX)
}

/// Wakes claim loops on `NOTIFY tessera_jobs` (all of them after the
/// listener reconnects, since notifications may have been missed).
async fn wake_loop(inner: Arc<Inner>, mut rx: tokio::sync::broadcast::Receiver<Notification>) {
    loop {
        let n = tokio::select! {
            _ = inner.stop.cancelled() => return,
            n = rx.recv() => n,
        };
        match n {
            Ok(Notification::Message { channel, payload }) if channel == CHANNEL => {
                if let Some(w) = inner.wake.get(&payload) {
                    w.notify_one();
                }
            }
            Ok(Notification::Message { .. }) => {}
            Ok(Notification::Reconnected)
            | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                for w in inner.wake.values() {
                    w.notify_one();
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn claim_loop(
    inner: Arc<Inner>,
    jobs: Arc<Mutex<JoinSet<()>>>,
    queue: String,
    concurrency: usize,
) {
    let slots = Arc::new(Semaphore::new(concurrency));
    let wake = inner.wake.get(&queue).cloned().unwrap_or_default();
    let mut backoff = Duration::from_millis(100);
    loop {
        // Wait for a free slot, then take every free slot.
        let first = tokio::select! {
            _ = inner.stop.cancelled() => return,
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
        };
        let mut permits = vec![first];
        while let Ok(p) = slots.clone().try_acquire_owned() {
            permits.push(p);
        }
        let claimed = match repo::claim(
            &inner.pool,
            &queue,
            permits.len(),
            &inner.name,
            lease_ms(&inner),
        )
        .await
        {
            Ok(c) => {
                backoff = Duration::from_millis(100);
                c
            }
            Err(e) => {
                tracing::warn!(queue = %queue, error = %e, "cannot claim jobs; retrying in {backoff:?}");
                drop(permits);
                tokio::select! {
                    _ = inner.stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if claimed.is_empty() {
            drop(permits);
            tokio::select! {
                _ = inner.stop.cancelled() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(inner.poll) => {}
            }
            continue;
        }
        permits.truncate(claimed.len());
        let Ok(mut set) = jobs.lock() else { return };
        while set.try_join_next().is_some() {}
        for (job, permit) in claimed.into_iter().zip(permits) {
            start_job(&inner, &mut set, &queue, job, permit);
        }
    }
}

fn start_job(
    inner: &Arc<Inner>,
    set: &mut JoinSet<()>,
    queue: &str,
    job: Claimed,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let cancel = CancellationToken::new();
    let attempt = job.attempts.max(1) as u32;
    let retry = Retry {
        max_attempts: job.max_attempts.max(1) as u32,
        base: Duration::from_millis(job.backoff_base_ms.max(0) as u64),
        max: Duration::from_millis(job.backoff_max_ms.max(0) as u64),
        give_up_after: None,
    };
    let next_at = Utc::now()
        + chrono::Duration::from_std(retry.delay_after(attempt, jitter())).unwrap_or_default();
    let out_of_time = job.expires_at.is_some_and(|e| next_at > e);
    let last_attempt = attempt >= retry.max_attempts || out_of_time;
    let ctx = JobContext::new(
        inner.state.clone(),
        &inner.authority,
        job.tenant_id,
        job.id,
        attempt,
        cancel.clone(),
        last_attempt,
    );
    let held: Held = (job.tenant_id, job.id, job.lease);
    let waited = (Utc::now() - job.run_at.max(job.created_at)).to_std().unwrap_or_default();
    metrics::histogram!("job_wait_seconds", "queue" => queue.to_string())
        .record(waited.as_secs_f64());
    let handler = inner.registry.get(&job.kind);
    let timeout = Duration::from_millis(job.timeout_ms.max(1) as u64);
    let kind = job.kind.clone();
    let queue = queue.to_string();
    let task_inner = inner.clone();
    let abort = set.spawn(async move {
        let started = Instant::now();
        let result: anyhow::Result<()> = match handler {
            None => Err(Permanent::error(format!(
                "no handler for job kind `{kind}` in this build"
            ))),
            Some(h) => {
                let fut = AssertUnwindSafe((h.run)(ctx, job.payload)).catch_unwind();
                tokio::select! {
                    r = fut => match r {
                        Ok(r) => r,
                        Err(panic) => Err(anyhow::anyhow!("the job panicked: {}", panic_text(&panic))),
                    },
                    _ = tokio::time::sleep(timeout) => {
                        Err(anyhow::anyhow!("the attempt took longer than its timeout ({timeout:?})"))
                    }
                }
            }
        };
        let elapsed = started.elapsed();
        let outcome = match result {
            Ok(()) => Outcome::Succeeded,
            Err(e) => {
                let permanent = e.downcast_ref::<Permanent>().is_some();
                let error = format!("{e:#}");
                let retry_at = (!permanent && !last_attempt).then_some(next_at);
                tracing::warn!(job = %held.1, tenant = %held.0, kind = %kind, attempt, error = %error,
                    retry = retry_at.is_some(), "job attempt failed");
                Outcome::Failed { error, retry_at }
            }
        };
        let label = match &outcome {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed { retry_at: Some(_), .. } => "retried",
            Outcome::Failed { retry_at: None, .. } => "dead",
        };
        metrics::counter!("jobs_finished_total", "queue" => queue.clone(), "kind" => kind.clone(), "outcome" => label)
            .increment(1);
        metrics::histogram!("job_duration_seconds", "queue" => queue, "kind" => kind)
            .record(elapsed.as_secs_f64());
        if let Ok(mut r) = task_inner.running.lock() {
            r.remove(&held.1);
        }
        if let Ok(done) = task_inner.done.lock()
            && let Some(tx) = done.as_ref()
        {
            let _ = tx.send(Done { held, outcome });
        }
        drop(permit);
    });
    if let Ok(mut r) = inner.running.lock() {
        r.insert(
            held.1,
            Running { tenant: held.0, id: held.1, lease: held.2, cancel, abort: Some(abort) },
        );
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// A number in [0, 1) for retry jitter.
fn jitter() -> f64 {
    let b: [u8; 4] = kernel::crypto::random_bytes();
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// Records outcomes: successes in batches, failures one by one. Ends when
/// every sender is gone (the worker stopped) and the channel is drained.
async fn flush_loop(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Done>) {
    let pool = inner.pool.clone();
    let name = inner.name.clone();
    // Hold only a weak reference so the channel closes when the worker goes.
    drop(inner);
    let mut batch: Vec<Done> = Vec::with_capacity(256);
    loop {
        batch.clear();
        if rx.recv_many(&mut batch, 256).await == 0 {
            return;
        }
        let succeeded: Vec<Held> = batch
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Succeeded))
            .map(|d| d.held)
            .collect();
        if !succeeded.is_empty() {
            let mut attempt = 0;
            loop {
                match repo::complete(&pool, &succeeded).await {
                    Ok(_) => break,
                    Err(e) if attempt < 5 => {
                        attempt += 1;
                        tracing::warn!(worker = %name, error = %e, "cannot record finished jobs; retrying");
                        tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    }
                    Err(e) => {
                        tracing::error!(worker = %name, error = %e, jobs = succeeded.len(),
                            "cannot record finished jobs; they will run again after their lease");
                        break;
                    }
                }
            }
        }
        for d in batch.drain(..) {
            if let Outcome::Failed { error, retry_at } = d.outcome
                && let Err(e) = repo::fail(&pool, d.held, &error, retry_at).await
            {
                tracing::error!(worker = %name, job = %d.held.1, error = %e,
                    "cannot record a failed attempt; the job will run again after its lease");
            }
        }
    }
}

/// Renews the leases of running jobs; cancels jobs whose cancellation was
/// asked for, and stops jobs whose lease was lost.
async fn heartbeat_loop(inner: Arc<Inner>) {
    let every = (inner.lease / 3).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = inner.stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let held: Vec<Held> = inner
            .running
            .lock()
            .map(|r| r.values().map(|j| (j.tenant, j.id, j.lease)).collect())
            .unwrap_or_default();
        if held.is_empty() {
            continue;
        }
        match repo::heartbeat(&inner.pool, &held, lease_ms(&inner)).await {
            Ok(alive) => {
                let alive: HashMap<JobId, bool> =
                    alive.into_iter().map(|(_, id, c)| (id, c)).collect();
                let Ok(mut running) = inner.running.lock() else { continue };
                for (_, id, _) in held {
                    match alive.get(&id) {
                        Some(true) => {
                            if let Some(j) = running.get(&id) {
                                j.cancel.cancel();
                            }
                        }
                        Some(false) => {}
                        None => {
                            // Finished meanwhile, or the lease was lost
                            // (another worker may run it now): stop it.
                            if let Some(j) = running.get(&id)
                                && let Some(a) = &j.abort
                            {
                                tracing::warn!(job = %id, "lost the lease of a running job; stopping it");
                                j.cancel.cancel();
                                a.abort();
                            }
                            running.remove(&id);
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot renew job leases"),
        }
    }
}

/// Puts jobs of dead workers back on the queue.
async fn reaper_loop(inner: Arc<Inner>) {
    let every = (inner.lease / 2).clamp(Duration::from_millis(200), Duration::from_secs(15));
    loop {
        match repo::reap(&inner.pool).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "took back jobs whose worker stopped"),
            Err(e) => tracing::debug!(error = %e, "cannot reap expired leases"),
        }
        tokio::select! {
            _ = inner.stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
