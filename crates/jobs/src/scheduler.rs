//! Periodic jobs, declared in code with cron expressions.
//!
//! Every process that runs workers also runs the scheduler. At each tick
//! it enqueues the schedule's system job with the unique key
//! `<name>@<tick time>`, so however many processes run, a tick makes one
//! job, run once by whichever worker claims it. A tick missed while no
//! process was running is not made up.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kernel::db::{Authority, Db};
use kernel::job::Periodic;
use tokio_util::sync::CancellationToken;

/// Runs the schedules until `stop` fires.
pub(crate) async fn run(
    db: Db,
    authority: Authority,
    schedules: Vec<Periodic>,
    stop: CancellationToken,
) {
    if schedules.is_empty() {
        return;
    }
    let mut next: Vec<Option<DateTime<Utc>>> =
        schedules.iter().map(|s| s.next_after(Utc::now())).collect();
    loop {
        let Some(soonest) = next.iter().flatten().min().copied() else { return };
        let wait = (soonest - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let now = Utc::now();
        for (s, n) in schedules.iter().zip(next.iter_mut()) {
            let Some(tick) = *n else { continue };
            if tick > now {
                continue;
            }
            let job = s.job_at(tick);
            match job.enqueue_system(&db, &authority).await {
                Ok(e) if e.created => {
                    tracing::debug!(schedule = s.name, %tick, job = %e.id, "scheduled job enqueued")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(schedule = s.name, %tick, error = %e, "cannot enqueue a scheduled job")
                }
            }
            *n = s.next_after(now.max(tick));
        }
    }
}
