//! PostgreSQL `LISTEN`/`NOTIFY`, shared by the whole process.
//!
//! One connection listens on every channel the process cares about and
//! broadcasts what arrives. Notifications sent inside a transaction are
//! delivered when it commits and not at all if it rolls back, so they are
//! safe hints ("identity of tenant X changed", "a job is ready"). They can
//! be missed while the connection is down: after reconnecting, subscribers
//! receive [`Notification::Reconnected`] and should resynchronise.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgConnection;
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// What subscribers receive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notification {
    /// A `NOTIFY channel, payload`.
    Message {
        /// The channel.
        channel: String,
        /// The payload.
        payload: String,
    },
    /// The listening connection was re-established; notifications may
    /// have been missed.
    Reconnected,
}

/// The process's listener.
#[derive(Clone, Debug)]
pub struct Notifier {
    tx: broadcast::Sender<Notification>,
    stop: CancellationToken,
}

impl Notifier {
    /// Starts listening on `channels` through a connection of `pool`.
    pub fn start(pool: PgPool, channels: Vec<String>) -> Arc<Notifier> {
        let (tx, _) = broadcast::channel(1024);
        let stop = CancellationToken::new();
        let notifier = Arc::new(Notifier { tx: tx.clone(), stop: stop.clone() });
        tokio::spawn(listen_loop(pool, channels, tx, stop));
        notifier
    }

    /// A notifier that never receives anything (for tools and tests that
    /// do not need one).
    pub fn disconnected() -> Arc<Notifier> {
        let (tx, _) = broadcast::channel(16);
        Arc::new(Notifier { tx, stop: CancellationToken::new() })
    }

    /// Receives every notification from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.tx.subscribe()
    }

    /// Delivers a notification to this process's subscribers only.
    pub fn publish_local(&self, n: Notification) {
        let _ = self.tx.send(n);
    }

    /// Stops listening.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

async fn listen_loop(
    pool: PgPool,
    channels: Vec<String>,
    tx: broadcast::Sender<Notification>,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(200);
    let mut first = true;
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen_all(channels.iter().map(String::as_str)).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let mut listener = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener => match r {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for notifications; retrying in {backoff:?}");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            },
        };
        backoff = Duration::from_millis(200);
        if !first {
            let _ = tx.send(Notification::Reconnected);
        }
        first = false;
        loop {
            let next = tokio::select! {
                _ = stop.cancelled() => return,
                n = listener.try_recv() => n,
            };
            match next {
                Ok(Some(n)) => {
                    let _ = tx.send(Notification::Message {
                        channel: n.channel().to_string(),
                        payload: n.payload().to_string(),
                    });
                }
                // The connection dropped; sqlx reconnects on the next call,
                // but anything sent meanwhile is lost: tell subscribers.
                Ok(None) => {
                    let _ = tx.send(Notification::Reconnected);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notification listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}

/// Sends `payload` on `channel` (delivered when the caller's transaction
/// commits).
pub async fn notify(
    conn: &mut PgConnection,
    channel: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(crate::sql!("SELECT pg_notify($1, $2)"))
        .bind(channel)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}
