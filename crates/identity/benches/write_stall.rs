//! How much one long transaction of a tenant slows that tenant's other
//! writes. Small audited, event-publishing writes (renaming oneself and
//! creating an API key, over HTTP through the real router) start 200
//! times a second; meanwhile, three times in a row, a 2-second transaction that
//! writes an audit entry and publishes an event runs in the same tenant
//! (as an ingestion job or a large import would). Reports the latency
//! percentiles of the small writes with and without it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::TestApp;

/// A small write is started every this often (200 a second).
const INTERVAL: Duration = Duration::from_millis(5);
const LONG: Duration = Duration::from_secs(2);
const ROUNDS: usize = 3;

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let n = samples.len();
    if n == 0 {
        println!("{what}: no samples");
        return;
    }
    let p = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1e3;
    println!(
        "{what}: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({n} writes)",
        p(0.5),
        p(0.95),
        p(0.99),
        p(1.0)
    );
}

/// One small write: alternately a rename (audited) and a new API key
/// (audited, publishes an event).
async fn small_write(app: Arc<TestApp>, token: Arc<String>, i: u64) -> Duration {
    let t0 = Instant::now();
    let r = if i.is_multiple_of(2) {
        app.patch("/api/v1/me")
            .bearer(&token)
            .json(&json!({ "name": format!("n{i}") }))
            .send()
            .await
    } else {
        app.post("/api/v1/api-keys")
            .bearer(&token)
            .json(&json!({ "name": format!("k{i}"), "permissions": ["tenant:read"] }))
            .send()
            .await
    };
    assert!(r.status().is_success(), "{}", r.text());
    t0.elapsed()
}

/// Writes started at a fixed rate (so a stalled write does not hold the
/// next ones back and hide the stall), for `ROUNDS` rounds of `LONG` plus
/// a second; with `long`, each round starts with a long transaction.
async fn phase(app: &Arc<TestApp>, token: &str, long: bool) -> Vec<Duration> {
    let token = Arc::new(token.to_string());
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (app, token, stop) = (app.clone(), token.clone(), stop.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(INTERVAL);
            let mut writes = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                i += 1;
                writes.push(tokio::spawn(small_write(app.clone(), token.clone(), i)));
            }
            let mut out = Vec::new();
            for w in writes {
                out.push(w.await.expect("write"));
            }
            out
        })
    };
    for _ in 0..ROUNDS {
        if long {
            long_transaction(app).await;
        } else {
            tokio::time::sleep(LONG).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer")
}

/// A transaction of the tenant that audits and publishes first, then works
/// for two seconds before committing.
async fn long_transaction(app: &Arc<TestApp>) {
    stall::long_transaction(app, LONG).await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = Arc::new(TestApp::builder().config(|c| c.database.max_connections = 16).build().await);
        let s = app
            .post("/api/v1/auth/signup")
            .json(&json!({ "company_name": "Stall", "email": "s@example.com", "password": "velvet-orbit-canyon-42" }))
            .send()
            .await
            .json();
        let token = s["access_token"].as_str().expect("token").to_string();
        stall::remember_tenant(&s);
        app.patch("/api/v1/tenant")
            .bearer(&token)
            .json(&json!({ "settings": { "requests_per_minute": 1_000_000, "api_key_requests_per_minute": 1_000_000 } }))
            .send()
            .await
            .assert_status(200);
        report("small writes alone", phase(&app, &token, false).await);
        report("small writes during a 2 s audited transaction", phase(&app, &token, true).await);
    });
}

/// The long transaction, written against the platform's API.
mod stall {
    use std::sync::OnceLock;
    use std::time::Duration;

    use identity::audit::{Actor, Changes, Entry, RequestMeta};
    use kernel::ids::TenantId;
    use testkit::TestApp;

    static TENANT: OnceLock<TenantId> = OnceLock::new();

    pub fn remember_tenant(session: &serde_json::Value) {
        let _ = TENANT.set(testkit::tenant_of(session));
    }

    pub async fn long_transaction(app: &TestApp, work: Duration) {
        let tenant = *TENANT.get().expect("tenant");
        let mut tx = app.state.db().tenant(&app.access(tenant)).await.expect("tx");
        kernel::audit::record(
            &mut tx,
            &RequestMeta::default(),
            Entry {
                actor: Actor::System,
                action: "import.started",
                resource_type: "import",
                resource_id: None,
                changes: Changes::new(),
            },
        );
        kernel::outbox::publish(
            &mut tx,
            identity::TENANT_UPDATED,
            &serde_json::json!({ "import": true }),
        )
        .expect("publish");
        tokio::time::sleep(work).await;
        tx.commit().await.expect("commit");
    }
}
