//! The queue: exactly-once under concurrency, crash recovery through
//! leases, retries and dead letters, transactional enqueue, unique keys,
//! cancellation, graceful shutdown and the scheduler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jobs::{Job, JobContext, NewJob, Retry, Worker, WorkerOptions};
use serde::{Deserialize, Serialize};
use testkit::{TestApp, eventually};

/// What the test jobs saw: runs per job number, and attempts.
#[derive(Default)]
struct Seen {
    runs: Mutex<HashMap<u64, u32>>,
    started: Mutex<Vec<(u64, u32)>>,
}

impl Seen {
    fn of(ctx: &JobContext) -> Arc<Seen> {
        ctx.state.try_service::<Seen>().unwrap()
    }
    fn runs(&self, n: u64) -> u32 {
        self.runs.lock().unwrap().get(&n).copied().unwrap_or(0)
    }
}

#[derive(Serialize, Deserialize)]
struct Count {
    n: u64,
}

impl Job for Count {
    const KIND: &'static str = "test.count";
    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        *Seen::of(&ctx).runs.lock().unwrap().entry(self.n).or_default() += 1;
        Ok(())
    }
}
jobs::register_job!(Count);

/// Fails `fail_times` attempts, then succeeds.
#[derive(Serialize, Deserialize)]
struct Flaky {
    n: u64,
    fail_times: u32,
}

impl Job for Flaky {
    const KIND: &'static str = "test.flaky";
    const RETRY: Retry = Retry {
        max_attempts: 3,
        base: Duration::from_millis(20),
        max: Duration::from_millis(100),
        give_up_after: None,
    };
    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let seen = Seen::of(&ctx);
        seen.started.lock().unwrap().push((self.n, ctx.attempt));
        if ctx.attempt <= self.fail_times {
            anyhow::bail!("boom {}", ctx.attempt);
        }
        *seen.runs.lock().unwrap().entry(self.n).or_default() += 1;
        Ok(())
    }
}
jobs::register_job!(Flaky);

/// Hangs on its first attempt (ignoring cancellation), succeeds after.
#[derive(Serialize, Deserialize)]
struct Hang {
    n: u64,
    every_attempt: bool,
}

impl Job for Hang {
    const KIND: &'static str = "test.hang";
    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let seen = Seen::of(&ctx);
        seen.started.lock().unwrap().push((self.n, ctx.attempt));
        if ctx.attempt == 1 || self.every_attempt {
            std::future::pending::<()>().await;
        }
        *seen.runs.lock().unwrap().entry(self.n).or_default() += 1;
        Ok(())
    }
}
jobs::register_job!(Hang);

/// Runs until cancelled, then says so.
#[derive(Serialize, Deserialize)]
struct UntilCancelled;

impl Job for UntilCancelled {
    const KIND: &'static str = "test.until_cancelled";
    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        Seen::of(&ctx).started.lock().unwrap().push((0, ctx.attempt));
        ctx.cancel.cancelled().await;
        anyhow::bail!("stopped: cancelled")
    }
}
jobs::register_job!(UntilCancelled);

#[derive(Serialize, Deserialize)]
struct Explode;

impl Job for Explode {
    const KIND: &'static str = "test.explode";
    const RETRY: Retry = Retry::NEVER;
    async fn run(self, _: JobContext) -> anyhow::Result<()> {
        panic!("kaboom")
    }
}
jobs::register_job!(Explode);

#[derive(Serialize, Deserialize)]
struct Refuse;

impl Job for Refuse {
    const KIND: &'static str = "test.refuse";
    async fn run(self, _: JobContext) -> anyhow::Result<()> {
        Err(jobs::Permanent::error("the record is gone"))
    }
}
jobs::register_job!(Refuse);

#[derive(Clone, Serialize, Deserialize)]
struct Tick;

impl Job for Tick {
    const KIND: &'static str = "test.tick";
    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        *Seen::of(&ctx).runs.lock().unwrap().entry(0).or_default() += 1;
        Ok(())
    }
}
jobs::register_job!(Tick);

async fn app() -> (TestApp, Arc<Seen>) {
    app_of(TestApp::builder()).await
}

async fn app_of(builder: testkit::TestAppBuilder) -> (TestApp, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let app = builder.service(move |b| b.with(s)).build().await;
    (app, seen)
}

fn worker(app: &TestApp, concurrency: usize, lease: Duration) -> Worker {
    let options = WorkerOptions {
        queues: vec![("default".into(), concurrency)],
        lease,
        poll: Duration::from_millis(50),
    };
    Worker::start(app.state.clone(), app.authority().clone(), app.jobs().registry.clone(), options)
}

async fn enqueue(app: &TestApp, job: NewJob) -> jobs::JobId {
    let mut tx = app.state.db().tenant(&app.authority().system()).await.unwrap();
    let e = job.enqueue(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    e.id
}

/// (state, attempts, last_error) of a job, read as the superuser.
async fn job_row(app: &TestApp, id: jobs::JobId) -> (String, i32, Option<String>) {
    let mut su = app.db.superuser().await;
    sqlx::query_as("SELECT state, attempts, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&mut su)
        .await
        .unwrap()
}

/// A count, read as the superuser.
async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let mut su = app.db.superuser().await;
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut su).await.unwrap();
    n
}

async fn wait_state(app: &TestApp, id: jobs::JobId, state: &str) -> (String, i32, Option<String>) {
    eventually(Duration::from_secs(20), &format!("job {id} to be {state}"), || async {
        let row = job_row(app, id).await;
        (row.0 == state).then_some(row)
    })
    .await
}

#[tokio::test]
async fn a_thousand_jobs_on_four_workers_each_run_exactly_once() {
    let (app, seen) = app().await;
    let mut tx = app.state.db().tenant(&app.authority().system()).await.unwrap();
    let batch: Vec<NewJob> = (0..1000).map(|n| NewJob::new(&Count { n })).collect();
    assert_eq!(jobs::enqueue_many(&mut tx, &batch).await.unwrap(), 1000);
    tx.commit().await.unwrap();

    let workers: Vec<Worker> = (0..4).map(|_| worker(&app, 8, Duration::from_secs(30))).collect();
    eventually(Duration::from_secs(60), "1000 jobs to succeed", || async {
        let n = count(
            &app,
            "SELECT count(*) FROM jobs WHERE kind = 'test.count' AND state = 'succeeded'",
        )
        .await;
        (n == 1000).then_some(())
    })
    .await;
    let mut su = app.db.superuser().await;
    for w in workers {
        w.shutdown(Duration::from_secs(1)).await;
    }
    for n in 0..1000 {
        assert_eq!(seen.runs(n), 1, "job {n} ran {} times", seen.runs(n));
    }
    let (max_attempts, workers_used): (i32, i64) = sqlx::query_as(
        "SELECT max(attempts), count(DISTINCT locked_by) FROM jobs WHERE kind = 'test.count'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(max_attempts, 1);
    assert_eq!(workers_used, 0, "finished jobs keep no lock");
}

#[tokio::test]
async fn a_crashed_workers_job_runs_again_after_its_lease() {
    let (app, seen) = app().await;
    let id = enqueue(&app, NewJob::new(&Hang { n: 7, every_attempt: false })).await;
    let crashing = worker(&app, 2, Duration::from_millis(600));
    eventually(Duration::from_secs(10), "the first attempt to start", || async {
        (!seen.started.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    assert_eq!(job_row(&app, id).await.0, "running");
    crashing.abort();

    let rescuer = worker(&app, 2, Duration::from_millis(600));
    let (_, attempts, _) = wait_state(&app, id, "succeeded").await;
    assert_eq!(attempts, 2);
    assert_eq!(seen.runs(7), 1);
    assert_eq!(*seen.started.lock().unwrap(), vec![(7, 1), (7, 2)]);
    rescuer.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn failures_are_retried_with_backoff_then_dead_lettered() {
    let (app, seen) = app().await;
    let w = worker(&app, 4, Duration::from_secs(30));
    let recovers = enqueue(&app, NewJob::new(&Flaky { n: 1, fail_times: 2 })).await;
    let never = enqueue(&app, NewJob::new(&Flaky { n: 2, fail_times: 99 })).await;

    let (_, attempts, error) = wait_state(&app, recovers, "succeeded").await;
    assert_eq!(attempts, 3);
    assert_eq!(error, None);
    assert_eq!(seen.runs(1), 1);

    let (_, attempts, error) = wait_state(&app, never, "dead").await;
    assert_eq!(attempts, 3, "max_attempts of the job type");
    assert_eq!(error.as_deref(), Some("boom 3"));
    assert_eq!(seen.runs(2), 0);

    // A permanent error and a panic end the job without retries.
    let refused = enqueue(&app, NewJob::new(&Refuse)).await;
    let (_, attempts, error) = wait_state(&app, refused, "dead").await;
    assert_eq!((attempts, error.as_deref()), (1, Some("the record is gone")));
    let exploded = enqueue(&app, NewJob::new(&Explode)).await;
    let (_, _, error) = wait_state(&app, exploded, "dead").await;
    assert!(error.unwrap().contains("panicked: kaboom"));
    // An unknown kind is dead at once, with a clear message.
    let mut tx = app.state.db().tenant(&app.authority().system()).await.unwrap();
    sqlx::query(
        "INSERT INTO jobs (tenant_id, id, queue, kind) VALUES ($1, $2, 'default', 'test.unknown')",
    )
    .bind(jobs::SYSTEM)
    .bind(uuid::Uuid::now_v7())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let error: String = eventually(Duration::from_secs(10), "the unknown job to die", || async {
        let mut su = app.db.superuser().await;
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT state, last_error FROM jobs WHERE kind = 'test.unknown'",
        )
        .fetch_one(&mut su)
        .await
        .ok()
        .filter(|r| r.0 == "dead")
        .and_then(|r| r.1)
    })
    .await;
    assert!(error.contains("no handler for job kind `test.unknown`"), "{error}");
    w.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn an_enqueue_rolled_back_leaves_no_job_and_unique_keys_dedupe() {
    let (app, _) = app().await;
    let mut tx = app.state.db().tenant(&app.authority().system()).await.unwrap();
    NewJob::new(&Count { n: 1 }).enqueue(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();
    let mut tx = app.state.db().tenant(&app.authority().system()).await.unwrap();
    let first = NewJob::new(&Count { n: 2 }).unique_key("doc-9:v1").enqueue(&mut tx).await.unwrap();
    let again = NewJob::new(&Count { n: 3 }).unique_key("doc-9:v1").enqueue(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(first.created && !again.created);
    assert_eq!(first.id, again.id);

    let mut su = app.db.superuser().await;
    let rows: Vec<(serde_json::Value,)> =
        sqlx::query_as("SELECT payload FROM jobs ORDER BY created_at")
            .fetch_all(&mut su)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0["n"], 2);
}

#[tokio::test]
async fn shutdown_cancels_running_jobs_and_gives_back_the_stubborn_ones() {
    let (app, seen) = app().await;
    let cooperative = enqueue(&app, NewJob::new(&UntilCancelled)).await;
    let stubborn = enqueue(&app, NewJob::new(&Hang { n: 3, every_attempt: true })).await;
    let w = worker(&app, 4, Duration::from_secs(30));
    eventually(Duration::from_secs(10), "both jobs to start", || async {
        (seen.started.lock().unwrap().len() == 2).then_some(())
    })
    .await;
    w.shutdown(Duration::from_millis(200)).await;
    // The cooperative job stopped with an error and will be retried;
    // the stubborn one was put back without counting the attempt.
    let (state, attempts, error) = job_row(&app, cooperative).await;
    assert_eq!((state.as_str(), attempts), ("queued", 1));
    assert_eq!(error.as_deref(), Some("stopped: cancelled"));
    let (state, attempts, _) = job_row(&app, stubborn).await;
    assert_eq!((state.as_str(), attempts), ("queued", 0));
}

#[tokio::test]
async fn one_tick_makes_one_run_however_many_schedulers() {
    let (app, seen) = app_of(TestApp::builder().domain(|| {
        kernel::Domain::new("test", "A schedule of this test").periodic(
            "test.every_second",
            "* * * * * *",
            Tick,
        )
    }))
    .await;
    let a = jobs::Background::start(&app.state);
    let b = jobs::Background::start(&app.state);
    eventually(Duration::from_secs(20), "three ticks to run", || async {
        let n = count(
            &app,
            "SELECT count(*) FROM jobs WHERE kind = 'test.tick' AND state = 'succeeded'",
        )
        .await;
        (n >= 3).then_some(())
    })
    .await;
    let mut su = app.db.superuser().await;
    a.shutdown(Duration::from_secs(1)).await;
    b.shutdown(Duration::from_secs(1)).await;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT unique_key, count(*) FROM jobs WHERE kind = 'test.tick' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert!(rows.iter().all(|(k, n)| *n == 1 && k.starts_with("test.every_second@")), "{rows:?}");
    let (succeeded,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM jobs WHERE kind = 'test.tick' AND state = 'succeeded'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(i64::from(seen.runs(0)), succeeded, "each tick's job ran once");
}
