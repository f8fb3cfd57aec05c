//! Background work on PostgreSQL: durable jobs, the event outbox's
//! dispatcher, periodic jobs and outgoing webhooks.
//!
//! - Declare a job type with [`Job`] and [`register_job!`], and enqueue it
//!   with [`NewJob`] inside the transaction that makes it necessary.
//! - Append events with [`kernel::outbox::publish`]; subscribe in-process
//!   with a [`Subscriber`] in the domain's declaration; tenants subscribe
//!   URLs through the webhook API.
//! - Declare periodic work in the domain's declaration
//!   ([`Domain::periodic`](kernel::Domain::periodic)).
//! - [`Background`] runs workers, the dispatcher, the scheduler and queue
//!   metrics inside `tessera serve` or `tessera worker`.

pub mod error;
pub mod events;
pub mod http;
mod isolation;
pub mod maintenance;
pub mod model;
pub mod permissions;
pub mod repo;
pub mod scheduler;
pub mod service;
pub mod webhooks;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use kernel::crypto::SecretBox;
use kernel::db::{Authority, Db};
use kernel::domain::Startup;
use kernel::outbox::EventCatalog;
use kernel::{AppState, Domain};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use kernel::job::{
    DEFAULT_QUEUE, Enqueued, Job, JobContext, JobId, NewJob, Periodic, Permanent, Registry, Retry,
    SYSTEM, enqueue_many,
};
pub use kernel::outbox::{Event, Subscriber};
pub use kernel::register_job;
pub use model::JobState;
pub use worker::{Worker, WorkerOptions};

/// The jobs service, registered in [`AppState`] (handlers reach it as
/// [`JobsService`]): what runs here (job kinds, subscribers, schedules) and
/// what deliveries need.
pub struct Jobs {
    db: Db,
    authority: Authority,
    /// Job kinds this build runs.
    pub registry: Registry,
    /// Declared event types.
    pub events: EventCatalog,
    subscribers: Vec<Arc<dyn Subscriber>>,
    schedules: Vec<Periodic>,
    pub(crate) secrets: SecretBox,
    pub(crate) http: reqwest::Client,
    pub(crate) webhooks: kernel::config::WebhooksConfig,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("registry", &self.registry).finish()
    }
}

kernel::service_extractor!(
    /// The jobs service, for handlers.
    pub struct JobsService(Jobs);
);

impl Jobs {
    /// The service: every job kind and event type of the build, and every
    /// domain's schedules and subscribers. Fails when a subscriber wants
    /// events that no domain declares.
    pub fn start(s: &Startup) -> anyhow::Result<Arc<Jobs>> {
        let registry = Registry::collect().map_err(anyhow::Error::msg)?;
        let events = EventCatalog::collect().map_err(anyhow::Error::msg)?;
        for sub in s.subscribers.iter() {
            for p in sub.patterns() {
                if !events.matches_any(p) {
                    anyhow::bail!(
                        "subscriber {} wants `{p}`, which matches no declared event type",
                        sub.name()
                    );
                }
            }
        }
        let mut names: Vec<&str> = s.periodic.iter().map(|p| p.name).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            anyhow::bail!("two periodic jobs are called `{}`", w[0]);
        }
        Ok(Arc::new(Jobs {
            db: s.db.clone(),
            authority: s.authority().clone(),
            registry,
            events,
            subscribers: s.subscribers.as_ref().clone(),
            schedules: s.periodic.as_ref().clone(),
            secrets: s.secrets.clone(),
            http: webhooks::client(&s.config.webhooks)?,
            webhooks: s.config.webhooks.clone(),
        }))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn authority(&self) -> &Authority {
        &self.authority
    }

    pub(crate) fn subscribers(&self) -> &[Arc<dyn Subscriber>] {
        &self.subscribers
    }

    /// The periodic jobs this process schedules.
    pub fn schedules(&self) -> &[Periodic] {
        &self.schedules
    }
}

/// The jobs crate's declaration: its routes, its service and its own
/// housekeeping.
pub fn domain() -> Domain {
    Domain::new("jobs", "Background jobs, the event log and outgoing webhooks")
        .routes(http::routes())
        .listens(worker::CHANNEL)
        .listens(kernel::outbox::CHANNEL)
        .service(|s| async move { Jobs::start(&s) })
        .periodic("jobs.prune", "0 7 * * * *", maintenance::PruneJobs)
        .isolation(|fx| async move { isolation::fixture(&fx).await })
}

/// Workers, the event dispatcher, the scheduler and the queue metrics of
/// one process.
pub struct Background {
    worker: Option<Worker>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
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

    /// Starts everything with these worker options. Queue operations use
    /// the workers' own pool (another role than requests', with its own
    /// connections, so a burst of requests cannot starve the workers).
    pub fn start_with(state: &AppState, options: WorkerOptions) -> Background {
        let jobs = JobsService::of(state).0;
        let authority = jobs.authority().clone();
        let stop = CancellationToken::new();
        let worker =
            Worker::start(state.clone(), authority.clone(), jobs.registry.clone(), options);
        let tasks = vec![
            tokio::spawn(events::run(state.clone(), jobs.clone(), stop.clone())),
            tokio::spawn(scheduler::run(
                state.db().clone(),
                authority.clone(),
                jobs.schedules().to_vec(),
                stop.clone(),
            )),
            tokio::spawn(queue_metrics(authority.worker_pool().clone(), stop.clone())),
        ];
        Background { worker: Some(worker), stop, tasks }
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
async fn queue_metrics(pool: sqlx::PgPool, stop: CancellationToken) {
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
