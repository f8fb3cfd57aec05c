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

use futures::StreamExt;
use kernel::AppState;
use kernel::ids::TenantId;
use kernel::job::Retry;
use kernel::notify::Notification;
use kernel::outbox::Event;
use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use crate::Jobs;
use crate::repo;

pub use crate::repo::events::EventView;

/// The dispatcher's advisory lock key ("tessera" events).
const LEADER_LOCK: i64 = 0x7465_7373_6576_0001;
/// Events fetched per round.
const BATCH: i32 = 200;
/// Tenants dispatched at the same time.
const TENANTS_AT_ONCE: usize = 8;
/// After this many failed attempts an event is marked failed and skipped.
const MAX_ATTEMPTS: i32 = 12;

/// Runs the dispatcher until `stop` fires.
pub(crate) async fn run(state: AppState, jobs: Arc<Jobs>, stop: CancellationToken) {
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
        let dispatched = match round(&state, &jobs).await {
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
    match repo::events::try_lead(&mut conn, LEADER_LOCK).await {
        Ok(true) => Some(conn),
        _ => None,
    }
}

/// One round: the next batch of due events, tenants in parallel, each
/// tenant's events in order. Returns how many were dispatched.
async fn round(state: &AppState, jobs: &Arc<Jobs>) -> Result<usize, sqlx::Error> {
    let events = repo::events::pending(jobs.authority().worker_pool(), BATCH).await?;
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
                if let Err(e) = record_failure(state, jobs, &event, &error).await {
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
    let mut tx = state.db().tenant(&jobs.authority().tenant(event.tenant_id)).await?;
    // The row lock taken here makes a second dispatcher (during a leader
    // change) wait, then skip the event.
    if !repo::events::mark_dispatched(&mut tx, event.pos).await? {
        return Ok(());
    }
    for sub in jobs.subscribers() {
        if sub.patterns().iter().any(|p| kernel::outbox::type_matches(p, &event.event_type)) {
            sub.handle(&mut tx, event, state)
                .await
                .map_err(|e| e.context(format!("subscriber {}", sub.name())))?;
        }
    }
    crate::webhooks::fan_out(&mut tx, jobs, event).await?;
    tx.commit().await?;
    metrics::counter!("events_dispatched_total").increment(1);
    Ok(())
}

async fn record_failure(
    state: &AppState,
    jobs: &Jobs,
    event: &Event,
    error: &str,
) -> Result<(), sqlx::Error> {
    let attempt = event.attempts + 1;
    let delay =
        Retry { base: Duration::from_secs(1), max: Duration::from_secs(600), ..Retry::DEFAULT }
            .delay_after(attempt as u32, 0.5);
    let failed = attempt >= MAX_ATTEMPTS;
    let mut tx = state.db().tenant(&jobs.authority().tenant(event.tenant_id)).await?;
    repo::events::record_failure(
        &mut tx,
        event.pos,
        attempt,
        error,
        failed,
        delay.as_millis() as i64,
    )
    .await?;
    tx.commit().await?;
    if failed {
        metrics::counter!("events_failed_total").increment(1);
        tracing::error!(tenant = %event.tenant_id, event = %event.id, "event given up after {attempt} attempts");
    }
    Ok(())
}
