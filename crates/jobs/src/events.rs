//! Dispatching the outbox: each committed event, in order per tenant, to
//! the in-process subscribers declared by the domains and to the tenant's
//! webhook subscriptions.
//!
//! One dispatcher is active per database (a session advisory lock elects
//! it; the others stand by). For each event it opens the tenant's
//! transaction, marks the event dispatched, runs every matching subscriber
//! in that same transaction and creates the webhook deliveries (with their
//! jobs), then commits: a subscriber's database work and the dispatch
//! commit together, so each event is handled exactly once. A subscriber
//! that fails rolls the whole event back; it is retried with backoff and
//! the tenant's later events wait behind it. Subscribers that call other
//! systems should enqueue a job instead of calling out themselves.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::future::BoxFuture;
use kernel::AppState;
use kernel::db::TenantTx;
use kernel::ids::TenantId;
use kernel::notify::Notification;
use serde::Serialize;
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Jobs;

/// An event as subscribers receive it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Event {
    /// The tenant it happened in.
    pub tenant_id: TenantId,
    /// Its position (increasing in commit order within the tenant).
    pub pos: i64,
    /// Its id.
    pub id: Uuid,
    /// `resource.verb`.
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Dispatch attempts so far.
    pub attempts: i32,
    /// When it was appended.
    pub created_at: DateTime<Utc>,
}

/// An in-process handler of events, declared by a domain.
pub trait Subscriber: Send + Sync + 'static {
    /// A stable name, for logs.
    fn name(&self) -> &'static str;
    /// Event type patterns it wants (`invoice.issued`, `invoice.*`, `*`).
    fn patterns(&self) -> &'static [&'static str];
    /// Handles one event inside the dispatch transaction (the event's
    /// tenant, under row-level security). An error retries the event.
    fn handle<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        event: &'a Event,
        state: &'a AppState,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The dispatcher's advisory lock key ("tessera" events).
const LEADER_LOCK: i64 = 0x7465_7373_6576_0001;
/// Events fetched per round.
const BATCH: i32 = 200;
/// Tenants dispatched at the same time.
const TENANTS_AT_ONCE: usize = 8;
/// After this many failed attempts an event is marked failed and skipped.
const MAX_ATTEMPTS: i32 = 12;

/// Runs the dispatcher until `stop` fires.
pub(crate) async fn run(state: AppState, jobs: Arc<Jobs>, pool: PgPool, stop: CancellationToken) {
    let wake = Arc::new(tokio::sync::Notify::new());
    if let Some(n) = state.try_service::<kernel::notify::Notifier>() {
        let mut rx = n.subscribe();
        let wake = wake.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            loop {
                let n = tokio::select! { _ = stop.cancelled() => return, n = rx.recv() => n };
                match n {
                    Ok(Notification::Message { channel, .. })
                        if channel == kernel::outbox::CHANNEL =>
                    {
                        wake.notify_one()
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        wake.notify_one()
                    }
                    Err(_) => return,
                }
            }
        });
    }
    let poll = Duration::from_millis(state.config().jobs.poll_interval_ms.max(1));
    let mut leader: Option<PgConnection> = None;
    let mut last_check = std::time::Instant::now();
    loop {
        if stop.is_cancelled() {
            return;
        }
        if leader.is_none() {
            leader = become_leader(&state).await;
            if leader.is_none() {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
                continue;
            }
            tracing::debug!("this process dispatches events");
        }
        // Make sure the connection holding the lock is still there.
        if last_check.elapsed() > Duration::from_secs(5) {
            last_check = std::time::Instant::now();
            if let Some(c) = leader.as_mut()
                && c.ping().await.is_err()
            {
                tracing::warn!("lost the event dispatcher's lock connection");
                leader = None;
                continue;
            }
        }
        let dispatched = match round(&state, &jobs, &pool).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "event dispatch round failed");
                0
            }
        };
        if dispatched == 0 {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

async fn become_leader(state: &AppState) -> Option<PgConnection> {
    let mut conn = match state.db().app_connection().await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "cannot connect for the dispatcher lock");
            return None;
        }
    };
    let got: Result<(bool,), _> = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
        .bind(LEADER_LOCK)
        .fetch_one(&mut conn)
        .await;
    match got {
        Ok((true,)) => Some(conn),
        _ => None,
    }
}

/// One round: the next batch of due events, tenants in parallel, each
/// tenant's events in order. Returns how many were dispatched.
async fn round(state: &AppState, jobs: &Arc<Jobs>, pool: &PgPool) -> Result<usize, sqlx::Error> {
    let events: Vec<Event> = sqlx::query_as(
        "SELECT tenant_id, pos, id, type, payload, request_id, attempts, created_at
           FROM events_pending($1)",
    )
    .bind(BATCH)
    .fetch_all(pool)
    .await?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut by_tenant: Vec<(TenantId, Vec<Event>)> = Vec::new();
    let mut index: HashMap<TenantId, usize> = HashMap::new();
    for e in events {
        match index.get(&e.tenant_id) {
            Some(&i) => by_tenant[i].1.push(e),
            None => {
                index.insert(e.tenant_id, by_tenant.len());
                by_tenant.push((e.tenant_id, vec![e]));
            }
        }
    }
    let counts: Vec<usize> = futures::stream::iter(by_tenant)
        .map(|(_, events)| dispatch_tenant(state, jobs, events))
        .buffer_unordered(TENANTS_AT_ONCE)
        .collect()
        .await;
    Ok(counts.into_iter().sum())
}

async fn dispatch_tenant(state: &AppState, jobs: &Arc<Jobs>, mut events: Vec<Event>) -> usize {
    events.sort_by_key(|e| e.pos);
    let mut done = 0;
    for event in events {
        match dispatch_one(state, jobs, &event).await {
            Ok(()) => done += 1,
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(tenant = %event.tenant_id, event = %event.id, event_type = %event.event_type,
                    attempt = event.attempts + 1, error = %error, "event dispatch failed");
                if let Err(e) = record_failure(state, &event, &error).await {
                    tracing::error!(error = %e, "cannot record an event dispatch failure");
                }
                // Later events of this tenant wait behind this one.
                break;
            }
        }
    }
    done
}

async fn dispatch_one(state: &AppState, jobs: &Arc<Jobs>, event: &Event) -> anyhow::Result<()> {
    let mut tx = state.db().tenant(event.tenant_id).await?;
    // The row lock taken here makes a second dispatcher (during a leader
    // change) wait, then skip the event.
    let claimed = sqlx::query(
        "UPDATE events SET state = 'dispatched', dispatched_at = now(), attempts = attempts + 1,
                next_attempt_at = NULL, last_error = NULL
          WHERE tenant_id = $1 AND pos = $2 AND state = 'pending'",
    )
    .bind(event.tenant_id)
    .bind(event.pos)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(());
    }
    for sub in jobs.subscribers() {
        if sub.patterns().iter().any(|p| kernel::outbox::type_matches(p, &event.event_type)) {
            sub.handle(&mut tx, event, state)
                .await
                .map_err(|e| e.context(format!("subscriber {}", sub.name())))?;
        }
    }
    crate::webhooks::fan_out(&mut tx, jobs, state, event).await?;
    tx.commit().await?;
    metrics::counter!("events_dispatched_total").increment(1);
    Ok(())
}

async fn record_failure(state: &AppState, event: &Event, error: &str) -> Result<(), sqlx::Error> {
    let attempt = event.attempts + 1;
    let delay = crate::model::Retry {
        base: Duration::from_secs(1),
        max: Duration::from_secs(600),
        ..crate::model::Retry::DEFAULT
    }
    .delay_after(attempt as u32, 0.5);
    let failed = attempt >= MAX_ATTEMPTS;
    let mut tx = state.db().tenant(event.tenant_id).await?;
    sqlx::query(
        "UPDATE events SET attempts = $3, last_error = left($4, 4000),
                state = CASE WHEN $5 THEN 'failed' ELSE state END,
                dispatched_at = CASE WHEN $5 THEN now() ELSE dispatched_at END,
                next_attempt_at = CASE WHEN $5 THEN NULL ELSE now() + $6::bigint * interval '1 millisecond' END
          WHERE tenant_id = $1 AND pos = $2 AND state = 'pending'",
    )
    .bind(event.tenant_id)
    .bind(event.pos)
    .bind(attempt)
    .bind(error)
    .bind(failed)
    .bind(delay.as_millis() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if failed {
        metrics::counter!("events_failed_total").increment(1);
        tracing::error!(tenant = %event.tenant_id, event = %event.id, "event given up after {attempt} attempts");
    }
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

/// The tenant's events, newest first.
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
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
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT pos, id, type, payload, state, attempts, last_error, request_id, created_at, dispatched_at
           FROM events
          WHERE tenant_id = $1
            AND ($2::text IS NULL OR type = $2)
            AND ($3::bigint IS NULL OR pos < $3)
          ORDER BY pos DESC
          LIMIT $4",
    )
    .bind(tenant)
    .bind(event_type)
    .bind(before_pos)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.pos, r.view)).collect())
}
