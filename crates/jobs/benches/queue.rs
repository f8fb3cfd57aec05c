//! The queue's numbers on this machine, against the test harness's
//! embedded PostgreSQL (same settings as production: fsync on):
//!
//! - throughput: 50,000 no-op jobs drained by 4 workers;
//! - enqueue-to-start latency with idle workers (woken by NOTIFY), one
//!   job at a time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jobs::{Job, JobContext, NewJob, Worker, WorkerOptions};
use serde::{Deserialize, Serialize};
use testkit::TestApp;

#[derive(Default)]
struct Starts(Mutex<Vec<(u64, Instant)>>);

#[derive(Serialize, Deserialize)]
struct Noop;

impl Job for Noop {
    const KIND: &'static str = "bench.noop";
    async fn run(self, _: JobContext) -> anyhow::Result<()> {
        Ok(())
    }
}
jobs::register_job!(Noop);

#[derive(Serialize, Deserialize)]
struct Stamp {
    n: u64,
}

impl Job for Stamp {
    const KIND: &'static str = "bench.stamp";
    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        ctx.state
            .try_service::<Starts>()
            .ok_or_else(|| anyhow::anyhow!("no Starts"))?
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push((self.n, Instant::now()));
        Ok(())
    }
}
jobs::register_job!(Stamp);

fn workers(app: &TestApp, n: usize, concurrency: usize) -> Vec<Worker> {
    (0..n)
        .map(|_| {
            Worker::start(
                app.state.clone(),
                app.authority().clone(),
                app.jobs().registry.clone(),
                WorkerOptions {
                    queues: vec![("default".into(), concurrency)],
                    lease: Duration::from_secs(60),
                    poll: Duration::from_secs(1),
                },
            )
        })
        .collect()
}

async fn succeeded(app: &TestApp, kind: &str) -> i64 {
    let mut su = app.db.superuser().await;
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'succeeded'")
            .bind(kind)
            .fetch_one(&mut su)
            .await
            .expect("count");
    n
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let starts = Arc::new(Starts::default());
        let s = starts.clone();
        let app = TestApp::builder()
            .config(|c| c.database.max_connections = 16)
            .service(move |b| b.with(s))
            .build()
            .await;

        // Throughput.
        const N: usize = 50_000;
        let t = Instant::now();
        for chunk in 0..(N / 5000) {
            let _ = chunk;
            let mut tx = app.state.db().tenant(&app.authority().system()).await.expect("tx");
            let batch: Vec<NewJob> = (0..5000).map(|_| NewJob::new(&Noop)).collect();
            jobs::enqueue_many(&mut tx, &batch).await.expect("enqueue");
            tx.commit().await.expect("commit");
        }
        let enqueue = t.elapsed();
        println!(
            "enqueue: {N} jobs in batches of 5000 in {:.2} s = {:.0} jobs/s",
            enqueue.as_secs_f64(),
            N as f64 / enqueue.as_secs_f64()
        );
        let t = Instant::now();
        let ws = workers(&app, 4, 32);
        loop {
            if succeeded(&app, "bench.noop").await >= N as i64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let drain = t.elapsed();
        println!(
            "throughput: {N} no-op jobs, 4 workers x 32 slots: {:.2} s = {:.0} jobs/s",
            drain.as_secs_f64(),
            N as f64 / drain.as_secs_f64()
        );

        // Latency with idle workers.
        tokio::time::sleep(Duration::from_millis(500)).await;
        const M: u64 = 300;
        let mut committed = Vec::with_capacity(M as usize);
        for n in 0..M {
            let mut tx = app.state.db().tenant(&app.authority().system()).await.expect("tx");
            NewJob::new(&Stamp { n }).enqueue(&mut tx).await.expect("enqueue");
            tx.commit().await.expect("commit");
            committed.push(Instant::now());
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        while succeeded(&app, "bench.stamp").await < M as i64 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut lat: Vec<Duration> = starts
            .0
            .lock()
            .expect("starts")
            .iter()
            .map(|(n, at)| at.saturating_duration_since(committed[*n as usize]))
            .collect();
        lat.sort();
        println!(
            "enqueue-to-start latency, idle workers ({M} jobs, one at a time): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&lat, 0.5),
            percentile(&lat, 0.95),
            percentile(&lat, 0.99),
            percentile(&lat, 1.0)
        );
        for w in ws {
            w.shutdown(Duration::from_secs(1)).await;
        }
    });
}
