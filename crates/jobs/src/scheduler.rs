//! Periodic jobs, declared in code with cron expressions.
//!
//! Every process that runs workers also runs the scheduler. At each tick
//! it enqueues the schedule's system job with the unique key
//! `<name>@<tick time>`, so however many processes run, a tick makes one
//! job, run once by whichever worker claims it. A tick missed while no
//! process was running is not made up.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kernel::db::Db;
use tokio_util::sync::CancellationToken;

use crate::job::{Job, NewJob};

/// A periodic job.
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

    fn key(&self, tick: DateTime<Utc>) -> String {
        format!("{}@{}", self.name, tick.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

/// Runs the schedules until `stop` fires.
pub(crate) async fn run(db: Db, schedules: Vec<Periodic>, stop: CancellationToken) {
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
            let job = (s.make)().unique_key(s.key(tick));
            match job.enqueue_system(&db).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    struct Nop;
    impl Job for Nop {
        const KIND: &'static str = "test.nop";
        async fn run(self, _: crate::JobContext) -> anyhow::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn ticks_and_keys() {
        let p = Periodic::new("nightly", "0 15 3 * * *", Nop).unwrap();
        let t = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let next = p.next_after(t).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-01-02T03:15:00+00:00");
        assert_eq!(p.key(next), "nightly@2026-01-02T03:15:00Z");
        assert!(Periodic::new("bad", "every day", Nop).is_err());
    }
}
