//! The connection pool behind tenant transactions.
//!
//! sqlx's pool tests every connection with a round trip when it is
//! released; for the one-transaction-per-request pattern that is a fourth
//! round trip on top of BEGIN, the query and COMMIT. This pool hands out
//! connections for transactions only and knows how each one ended:
//!
//! - committed: the connection goes straight back;
//! - a read-only transaction: ended lazily — the next user sends the
//!   `ROLLBACK` together with its own `BEGIN` (one round trip), and a
//!   reaper ends it within ~100 ms if nobody does, so no snapshot or lock
//!   outlives the request for long;
//! - dropped without commit (an error): rolled back at once in the
//!   background, and discarded if that fails.
//!
//! Connections idle for more than a few seconds are checked before use.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How a connection was left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// No transaction open.
    Clean,
    /// A read-only transaction is still open; end it before reuse.
    ReadOpen,
}

struct Idle {
    conn: PgConnection,
    since: Instant,
    state: State,
}

/// An idle connection taken for a caller that holds a permit.
struct Reused {
    conn: PgConnection,
    state: State,
    pool: Arc<ConnPool>,
}

impl Reused {
    fn with(self, permit: OwnedSemaphorePermit) -> Pooled {
        Pooled { conn: Some(self.conn), state: self.state, pool: self.pool, _permit: permit }
    }
}

/// The pool.
pub(crate) struct ConnPool {
    opts: PgConnectOptions,
    idle: Mutex<VecDeque<Idle>>,
    permits: Arc<Semaphore>,
    /// Connections being opened at once: a burst of requests on a cold
    /// pool would otherwise open dozens together, and on a busy machine
    /// some miss the server's authentication timeout.
    connecting: Semaphore,
    max: u32,
    acquire_timeout: Duration,
}

impl std::fmt::Debug for ConnPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnPool").field("max", &self.max).finish()
    }
}

/// Idle connections older than this are pinged before use.
const CHECK_AFTER: Duration = Duration::from_secs(5);
/// An open read-only transaction left idle this long is ended by the reaper.
const END_AFTER: Duration = Duration::from_millis(50);
/// Connections opened at once.
const OPENING_AT_ONCE: usize = 4;

impl ConnPool {
    pub(crate) fn new(
        opts: PgConnectOptions,
        max: u32,
        acquire_timeout: Duration,
    ) -> Arc<ConnPool> {
        let pool = Arc::new(ConnPool {
            opts,
            idle: Mutex::new(VecDeque::new()),
            permits: Arc::new(Semaphore::new(max as usize)),
            connecting: Semaphore::new(OPENING_AT_ONCE),
            max,
            acquire_timeout,
        });
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(reaper(Arc::downgrade(&pool)));
        }
        pool
    }

    /// (in use, idle).
    pub(crate) fn usage(&self) -> (u32, u32) {
        let idle = self.idle.lock().map(|i| i.len() as u32).unwrap_or(0);
        let available = self.permits.available_permits() as u32;
        (self.max - available, idle)
    }

    pub(crate) fn max(&self) -> u32 {
        self.max
    }

    /// A connection (with how it was left), waiting up to the acquire timeout.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Pooled, sqlx::Error> {
        let permit =
            tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)?
                .map_err(|_| sqlx::Error::PoolClosed)?;
        if let Some(p) = self.reuse(&permit).await {
            return Ok(p.with(permit));
        }
        // Wait for a turn to open one; a connection given back meanwhile
        // is taken instead.
        let _turn = self.connecting.acquire().await.map_err(|_| sqlx::Error::PoolClosed)?;
        if let Some(p) = self.reuse(&permit).await {
            return Ok(p.with(permit));
        }
        let conn = PgConnection::connect_with(&self.opts).await?;
        Ok(Pooled { conn: Some(conn), state: State::Clean, pool: self.clone(), _permit: permit })
    }

    /// An idle connection that still works, if any.
    async fn reuse(self: &Arc<Self>, _permit: &OwnedSemaphorePermit) -> Option<Reused> {
        loop {
            let mut idle = self.idle.lock().ok().and_then(|mut i| i.pop_back())?;
            if idle.since.elapsed() > CHECK_AFTER {
                let ok = match idle.state {
                    State::Clean => idle.conn.ping().await.is_ok(),
                    State::ReadOpen => idle.conn.execute("ROLLBACK").await.is_ok(),
                };
                if !ok {
                    continue;
                }
                idle.state = State::Clean;
            }
            return Some(Reused { conn: idle.conn, state: idle.state, pool: self.clone() });
        }
    }

    fn release(&self, conn: PgConnection, state: State) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push_back(Idle { conn, since: Instant::now(), state });
        }
    }

    /// Closes every idle connection.
    pub(crate) async fn close(&self) {
        let all: Vec<Idle> =
            self.idle.lock().map(|mut i| i.drain(..).collect()).unwrap_or_default();
        for i in all {
            let _ = i.conn.close().await;
        }
    }
}

/// Ends read-only transactions nobody picked up, every 100 ms.
async fn reaper(pool: Weak<ConnPool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(pool) = pool.upgrade() else { return };
        let stale: Vec<Idle> = match pool.idle.lock() {
            Ok(mut idle) => {
                let (stale, keep): (Vec<Idle>, Vec<Idle>) = idle
                    .drain(..)
                    .partition(|i| i.state == State::ReadOpen && i.since.elapsed() > END_AFTER);
                idle.extend(keep);
                stale
            }
            Err(_) => return,
        };
        for mut i in stale {
            if i.conn.execute("ROLLBACK").await.is_ok() {
                pool.release(i.conn, State::Clean);
            }
        }
    }
}

/// A connection out of the pool; it goes back when dropped.
pub(crate) struct Pooled {
    conn: Option<PgConnection>,
    /// How the previous user left it.
    pub(crate) state: State,
    pool: Arc<ConnPool>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        // Only `release`, `discard` and `Drop` take it, and they consume `self`.
        #[allow(clippy::expect_used)]
        self.conn.as_mut().expect("connection present until released")
    }

    /// Returns the connection, noting how it was left.
    pub(crate) fn release(mut self, state: State) {
        if let Some(c) = self.conn.take() {
            self.pool.release(c, state);
        }
    }

    /// Gives up the connection (it broke).
    pub(crate) fn discard(mut self) {
        self.conn.take();
    }

    /// A shared view of the connection.
    pub(crate) fn conn_ref(&self) -> &PgConnection {
        #[allow(clippy::expect_used)]
        self.conn.as_ref().expect("connection present until released")
    }
}

fn dummy_permit() -> OwnedSemaphorePermit {
    // A permit of a private semaphore, so the real one moves to the task.
    #[allow(clippy::expect_used)]
    Arc::new(Semaphore::new(1)).try_acquire_owned().expect("a fresh semaphore has a permit")
}

impl Drop for Pooled {
    fn drop(&mut self) {
        // Dropped without a verdict: an open transaction may remain.
        if let Some(conn) = self.conn.take() {
            let pool = self.pool.clone();
            let permit = std::mem::replace(&mut self._permit, dummy_permit());
            let mut conn = conn;
            if let Ok(h) = tokio::runtime::Handle::try_current() {
                h.spawn(async move {
                    if conn.execute("ROLLBACK").await.is_ok() {
                        pool.release(conn, State::Clean);
                    }
                    drop(permit);
                });
            }
        }
    }
}
