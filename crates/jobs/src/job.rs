//! Declaring jobs and putting them on the queue.
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
//! A job may run more than once (a worker can crash after the work but
//! before recording it), so every job must be idempotent.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use kernel::AppState;
use kernel::db::{Db, TenantTx};
use kernel::ids::TenantId;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::model::{JobId, Retry};

/// The queue jobs go to unless they say otherwise.
pub const DEFAULT_QUEUE: &str = "default";
/// The tenant that system jobs (maintenance, scheduled work) belong to.
pub const SYSTEM: TenantId = TenantId(uuid::Uuid::nil());

/// A kind of background job: its payload is the type itself, stored as
/// JSON.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
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
    ///
    /// [`Permanent`]: crate::Permanent
    fn run(self, ctx: JobContext) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What a running job knows about itself.
#[derive(Clone)]
pub struct JobContext {
    /// The application's state (database, configuration, services).
    pub state: AppState,
    /// The tenant the job belongs to ([`SYSTEM`] for system jobs).
    pub tenant: TenantId,
    /// The job.
    pub id: JobId,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// Fires when the job should stop: cancellation was asked for, its
    /// worker is shutting down, or its lease was lost.
    pub cancel: CancellationToken,
    pub(crate) last_attempt: bool,
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("tenant", &self.tenant)
            .field("id", &self.id)
            .field("attempt", &self.attempt)
            .finish()
    }
}

impl JobContext {
    /// The database.
    pub fn db(&self) -> &Db {
        self.state.db()
    }

    /// A transaction confined to the job's tenant (row-level security
    /// applies, as in a request).
    pub async fn tx(&self) -> Result<TenantTx, sqlx::Error> {
        self.state.db().tenant(self.tenant).await
    }

    /// Whether a failure now would be final (no attempts or time left).
    pub fn is_last_attempt(&self) -> bool {
        self.last_attempt
    }

    /// Whether this is a system job rather than a tenant's.
    pub fn is_system(&self) -> bool {
        self.tenant == SYSTEM
    }
}

type Handler =
    Arc<dyn Fn(JobContext, Value) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// How to run one kind of job.
#[derive(Clone)]
pub(crate) struct Registered {
    pub(crate) run: Handler,
}

/// The kinds of job this process can run.
#[derive(Default)]
pub struct Registry {
    kinds: RwLock<HashMap<&'static str, Registered>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds = self.kinds.read().map(|k| k.len()).unwrap_or(0);
        f.debug_struct("Registry").field("kinds", &kinds).finish()
    }
}

impl Registry {
    /// Makes jobs of type `J` runnable here.
    pub fn register<J: Job>(&self) {
        let run: Handler = Arc::new(|ctx, payload| {
            Box::pin(async move {
                let job: J = serde_json::from_value(payload).map_err(|e| {
                    crate::Permanent::error(format!(
                        "the payload of a {} job does not parse: {e}",
                        J::KIND
                    ))
                })?;
                job.run(ctx).await
            })
        });
        if let Ok(mut kinds) = self.kinds.write() {
            kinds.insert(J::KIND, Registered { run });
        }
    }

    pub(crate) fn get(&self, kind: &str) -> Option<Registered> {
        self.kinds.read().ok().and_then(|k| k.get(kind).cloned())
    }

    /// Every registered kind, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<_> =
            self.kinds.read().map(|k| k.keys().copied().collect()).unwrap_or_default();
        k.sort_unstable();
        k
    }
}

/// A job about to be enqueued, with its options.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub(crate) kind: String,
    pub(crate) queue: String,
    pub(crate) payload: Result<Value, String>,
    pub(crate) priority: i16,
    pub(crate) run_at: Option<DateTime<Utc>>,
    pub(crate) unique_key: Option<String>,
    pub(crate) retry: Retry,
    pub(crate) timeout: Duration,
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
            kind: J::KIND.to_string(),
            queue: J::QUEUE.to_string(),
            payload: serde_json::to_value(job).map_err(|e| e.to_string()),
            priority: 0,
            run_at: None,
            unique_key: None,
            retry: J::RETRY,
            timeout: J::TIMEOUT,
        }
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
        let tenant = tx.tenant();
        crate::repo::insert_job(tx, tenant, &self).await
    }

    /// Enqueues a system job on its own.
    pub async fn enqueue_system(self, db: &Db) -> Result<Enqueued, sqlx::Error> {
        let mut tx = db.tenant(SYSTEM).await?;
        let e = crate::repo::insert_job(&mut tx, SYSTEM, &self).await?;
        tx.commit().await?;
        Ok(e)
    }
}

/// Enqueues many jobs in the caller's tenant transaction with one
/// statement; returns how many were created (unique keys already taken
/// are skipped).
pub async fn enqueue_many(tx: &mut TenantTx, jobs: &[NewJob]) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    crate::repo::insert_jobs(tx, tenant, jobs).await
}
