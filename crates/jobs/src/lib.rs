//! Background work on PostgreSQL: durable jobs, the event outbox's
//! dispatcher, periodic jobs and outgoing webhooks.
//!
//! - Declare a job type with [`Job`], register it in the [`Jobs`] service,
//!   and enqueue it with [`NewJob`] inside the transaction that makes it
//!   necessary.
//! - Append events with [`kernel::outbox::publish`]; subscribe in-process
//!   with [`Subscriber`]; tenants subscribe URLs through the webhook API.
//! - Declare periodic work with [`Periodic`].
//! - [`Background`] runs workers, the dispatcher, the scheduler and queue
//!   metrics inside `tessera serve` or `tessera worker`.

pub mod error;
pub mod events;
pub mod http;
pub mod job;
pub mod maintenance;
pub mod model;
pub mod permissions;
pub mod repo;
pub mod scheduler;
pub mod service;
pub mod webhooks;
pub mod worker;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use kernel::AppState;
use kernel::crypto::SecretBox;
use kernel::outbox::EventCatalog;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use events::{Event, Subscriber};
pub use job::{Enqueued, Job, JobContext, NewJob, Registry, SYSTEM, enqueue_many};
pub use model::{JobId, JobState, Permanent, Retry};
pub use scheduler::Periodic;
pub use worker::{Worker, WorkerOptions};

/// The events this crate declares.
pub const EVENTS: &[kernel::outbox::EventDef] = &[];

/// The jobs service, registered in [`AppState`]: what can run here
/// (job kinds, subscribers, schedules) and what deliveries need.
pub struct Jobs {
    /// Job kinds this process runs.
    pub registry: Arc<Registry>,
    /// Declared event types.
    pub events: EventCatalog,
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
    schedules: RwLock<Vec<Periodic>>,
    pub(crate) secrets: SecretBox,
    pub(crate) http: reqwest::Client,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("registry", &self.registry).finish()
    }
}

impl Jobs {
    /// The service, with this crate's own job kinds and schedules.
    pub fn new(
        config: &kernel::Config,
        secrets: SecretBox,
        events: EventCatalog,
    ) -> anyhow::Result<Arc<Jobs>> {
        let jobs = Arc::new(Jobs {
            registry: Arc::new(Registry::default()),
            events,
            subscribers: RwLock::default(),
            schedules: RwLock::default(),
            secrets,
            http: webhooks::client(&config.webhooks)?,
        });
        jobs.register::<webhooks::DeliverWebhook>();
        jobs.register::<maintenance::PruneJobs>();
        jobs.schedule(
            Periodic::new("jobs.prune", "0 7 * * * *", maintenance::PruneJobs)
                .map_err(anyhow::Error::msg)?,
        );
        Ok(jobs)
    }

    /// Makes a job kind runnable in this process.
    pub fn register<J: Job>(&self) {
        self.registry.register::<J>();
    }

    /// Adds an in-process event subscriber.
    pub fn subscribe(&self, s: Arc<dyn Subscriber>) {
        if let Ok(mut subs) = self.subscribers.write() {
            subs.push(s);
        }
    }

    /// Adds a periodic job (its kind must be registered too).
    pub fn schedule(&self, p: Periodic) {
        if let Ok(mut s) = self.schedules.write() {
            s.retain(|o| o.name != p.name);
            s.push(p);
        }
    }

    pub(crate) fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        self.subscribers.read().map(|s| s.clone()).unwrap_or_default()
    }

    fn schedules(&self) -> Vec<Periodic> {
        self.schedules.read().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Workers, the event dispatcher, the scheduler and the queue metrics of
/// one process.
pub struct Background {
    worker: Option<Worker>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    pool: PgPool,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background").field("worker", &self.worker).finish()
    }
}

impl Background {
    /// Starts everything with the configuration's `[jobs]` settings.
    pub fn start(state: &AppState) -> Background {
        let options = WorkerOptions::from_config(&state.config().jobs);
        Self::start_with(state, options)
    }

    /// Starts everything with these worker options.
    pub fn start_with(state: &AppState, options: WorkerOptions) -> Background {
        let jobs = state.service::<Jobs>();
        // Queue operations get their own few connections so that a burst
        // of requests cannot starve the workers (and the reverse).
        let pool = state.db().side_pool(options.queues.len() as u32 + 4);
        let stop = CancellationToken::new();
        let worker = Worker::start(state.clone(), jobs.registry.clone(), pool.clone(), options);
        let tasks = vec![
            tokio::spawn(events::run(state.clone(), jobs.clone(), pool.clone(), stop.clone())),
            tokio::spawn(scheduler::run(state.db().clone(), jobs.schedules(), stop.clone())),
            tokio::spawn(queue_metrics(pool.clone(), stop.clone())),
        ];
        Background { worker: Some(worker), stop, tasks, pool }
    }

    /// The worker (to inspect it).
    pub fn worker(&self) -> Option<&Worker> {
        self.worker.as_ref()
    }

    /// Stops claiming, lets running jobs finish for up to `grace`, gives
    /// back the rest, and stops the dispatcher and scheduler.
    pub async fn shutdown(mut self, grace: Duration) {
        self.stop.cancel();
        if let Some(w) = self.worker.take() {
            w.shutdown(grace).await;
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        self.pool.close().await;
    }

    /// Stops at once, as a crash would: running jobs return to the queue
    /// only when their leases expire.
    pub fn abort(mut self) {
        self.stop.cancel();
        if let Some(w) = self.worker.take() {
            w.abort();
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

/// Publishes queue depths and the age of the oldest due job.
async fn queue_metrics(pool: PgPool, stop: CancellationToken) {
    let mut known: std::collections::HashSet<(String, String)> = Default::default();
    loop {
        if let Ok(stats) = repo::stats(&pool).await {
            let mut seen = std::collections::HashSet::new();
            let now = chrono::Utc::now();
            for s in stats {
                metrics::gauge!("jobs_queue_depth", "queue" => s.queue.clone(), "state" => s.state.clone())
                    .set(s.jobs as f64);
                if s.state == "queued" {
                    let age = s
                        .oldest_run_at
                        .map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
                    metrics::gauge!("jobs_oldest_due_seconds", "queue" => s.queue.clone()).set(age);
                }
                seen.insert((s.queue, s.state));
            }
            for (q, s) in known.difference(&seen) {
                metrics::gauge!("jobs_queue_depth", "queue" => q.clone(), "state" => s.clone())
                    .set(0.0);
                if s == "queued" {
                    metrics::gauge!("jobs_oldest_due_seconds", "queue" => q.clone()).set(0.0);
                }
            }
            known.extend(seen);
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
