//! What authentication costs a request: verifying an access token's
//! signature (first sight of a token), and the whole per-request path with
//! warm caches (token cache, member cache, session check) plus a
//! permission check. Runs against the test harness's database.

use std::time::{Duration, Instant};

use identity::audit::RequestMeta;
use serde_json::json;
use testkit::TestApp;

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let n = samples.len();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    let p = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{what}: mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs ({n} runs)",
        mean.as_secs_f64() * 1e6,
        p(0.5).as_secs_f64() * 1e6,
        p(0.99).as_secs_f64() * 1e6
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = TestApp::spawn().await;
        let s = app
            .post("/api/v1/auth/signup")
            .json(&json!({ "company_name": "Bench", "email": "b@example.com", "password": "velvet-orbit-canyon-42" }))
            .send()
            .await
            .json();
        let token = s["access_token"].as_str().expect("token").to_string();
        let key = app
            .post("/api/v1/api-keys")
            .bearer(&token)
            .json(&json!({ "name": "bench", "permissions": ["users:read"] }))
            .send()
            .await
            .json()["secret"]
            .as_str()
            .expect("key")
            .to_string();
        let id = identity::IdentityService::of(&app.state);
        let db = app.state.db().clone();
        let now = chrono::Utc::now().timestamp();
        let meta = RequestMeta::default();

        let mut cold = Vec::new();
        for _ in 0..5000 {
            let t0 = Instant::now();
            let c = id.keys.verify(&token, now).expect("verifies");
            std::hint::black_box(c);
            cold.push(t0.elapsed());
        }
        report("signature verification (Ed25519, first sight of a token)", cold);

        for (what, bearer) in [("access token", &token), ("API key", &key)] {
            let _ = id.resolve(&db, bearer, meta.clone()).await.expect("resolves");
            let mut warm = Vec::new();
            for _ in 0..20000 {
                let t0 = Instant::now();
                let caller = id.resolve(&db, bearer, meta.clone()).await.expect("resolves");
                let ok = caller.can("users:read");
                std::hint::black_box(ok);
                warm.push(t0.elapsed());
            }
            report(&format!("{what}: verification + permission check per request (warm caches)"), warm);
        }
    });
}
