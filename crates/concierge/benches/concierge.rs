//! The concierge's numbers on this machine (release build, the test
//! harness's embedded PostgreSQL, the server on a loopback port with its
//! workers, the stand-in Graph API):
//!
//! - `ack`: signed WhatsApp webhooks at `CONCIERGE_BENCH_RATE` deliveries
//!   a second (default 500) for `CONCIERGE_BENCH_SECONDS` (default 10),
//!   each a new message from one of 500 customers: time to the 200 — once
//!   with no workers (the acknowledgement's own cost) and once while the
//!   workers store and answer every message on the same two cores;
//! - `reply`: a customer's question to the reply accepted by the Graph
//!   API (knowledge-base answer with the local embedder, extractive),
//!   `CONCIERGE_BENCH_QUESTIONS` questions (default 100), eight at a time;
//! - `scale`: 1,000 conversations open at once across 100 companies, each
//!   answered: errors and time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};
use standin::graph::{self, RunningGraph};
use testkit::TestApp;
use testkit::bench::{env, report, rss_mb};

const POLICY: &str = "# Sunrise Travels customer policy\n\n## Refunds\n\nRefunds for cancelled bookings are paid to the original card within five working days.\n\n## Baggage\n\nEach passenger may check in one bag of up to 23 kg on domestic flights.\n\n## Office hours\n\nOur Pune office is open Monday to Friday from 9 am to 6 pm.\n";
const QUESTIONS: [&str; 4] = [
    "How long do refunds take?",
    "How much baggage can I check in?",
    "When is the Pune office open?",
    "Do you refund cancelled bookings?",
];

async fn company(app: &TestApp, name: &str) -> String {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": name, "email": format!("owner@{name}.example"), "password": "velvet-orbit-canyon-42" }))
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 201, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

async fn channel(app: &TestApp, token: &str, name: &str, g: &RunningGraph, phone: &str) -> Value {
    let r = app
        .post("/api/v1/channels")
        .bearer(token)
        .json(&json!({ "kind": "whatsapp", "name": "WhatsApp", "external_id": phone, "api_base_url": g.url,
                       "app_secret": format!("secret-{name}"), "access_token": "standin-graph-token" }))
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 201, "{}", r.text());
    r.json()
}

async fn paste(app: &TestApp, token: &str) {
    let r = app
        .post("/api/v1/documents")
        .bearer(token)
        .json(&json!({ "title": "Policy", "text": POLICY }))
        .send()
        .await;
    let id = r.json()["documents"][0]["document"]["id"].as_str().unwrap().to_string();
    for _ in 0..600 {
        let d = app.get(&format!("/api/v1/documents/{id}")).bearer(token).send().await.json();
        if d["status"] == "ready" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the policy was not ingested");
}

struct Hook {
    http: reqwest::Client,
    url: String,
    secret: String,
    phone: String,
}

impl Hook {
    async fn send(&self, from: &str, wamid: &str, text: &str) -> (u16, f64) {
        let body =
            serde_json::to_vec(&graph::whatsapp_text(&self.phone, from, "Bench", wamid, text))
                .unwrap();
        let sig = graph::signature(&self.secret, &body);
        let t = Instant::now();
        let r = self
            .http
            .post(&self.url)
            .header("x-hub-signature-256", sig)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        (r.map(|r| r.status().as_u16()).unwrap_or(0), ms)
    }
}

async fn wait_sent(g: &RunningGraph, n: usize, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if g.state.sent().len() >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Posts `rate` deliveries a second for `seconds`; each one's status and
/// time to the answer, and the wall time.
async fn flood(hook: Arc<Hook>, rate: usize, seconds: usize, tag: &str) -> (Vec<(u16, f64)>, f64) {
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        tick.tick().await;
        let hook = hook.clone();
        let wamid = format!("wamid.{tag}{i}");
        tasks.push(tokio::spawn(async move {
            hook.send(&format!("9198{:08}", i % 500), &wamid, "hi").await
        }));
    }
    let results = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    (results, started.elapsed().as_secs_f64())
}

fn report_acks(label: &str, rate: usize, results: &[(u16, f64)], wall: f64) {
    let errors = results.iter().filter(|(s, _)| *s != 200).count();
    let mut ms: Vec<f64> = results.iter().map(|(_, m)| *m).collect();
    let achieved = results.len() as f64 / wall;
    report(
        &format!("ack, {label} ({rate}/s offered, {achieved:.0}/s achieved, {errors} errors)"),
        &mut ms,
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let rate = env("CONCIERGE_BENCH_RATE", 500);
        let seconds = env("CONCIERGE_BENCH_SECONDS", 10);
        let total = rate * seconds;
        let g = graph::start(graph::Config::default()).await.unwrap();
        let http = kernel::outbound::client_builder().pool_max_idle_per_host(256).build().unwrap();

        // ── ack, no workers ────────────────────────────────────────────
        {
            let app = TestApp::builder().build().await;
            let server = app.serve().await;
            let owner = company(&app, "acks").await;
            let ch = channel(&app, &owner, "acks", &g, "1700001").await;
            let hook = Arc::new(Hook {
                http: http.clone(),
                url: format!("{}/api/v1/hooks/meta/{}", server.url(), ch["public_key"].as_str().unwrap()),
                secret: "secret-acks".into(),
                phone: "1700001".into(),
            });
            let (results, wall) = flood(hook, rate, seconds, "Q").await;
            report_acks("no workers", rate, &results, wall);
        }

        let app = TestApp::builder()
            .background()
            .config(|c| {
                c.database.max_connections = 20;
                c.ai.threads = 2;
            })
            .build()
            .await;
        let server = app.serve().await;
        println!("rss at start: {:.0} MB", rss_mb());

        // ── ack, workers answering ─────────────────────────────────────
        let owner = company(&app, "acks").await;
        let ch = channel(&app, &owner, "acks", &g, "1700001").await;
        let hook = Arc::new(Hook {
            http: http.clone(),
            url: format!("{}/api/v1/hooks/meta/{}", server.url(), ch["public_key"].as_str().unwrap()),
            secret: "secret-acks".into(),
            phone: "1700001".into(),
        });
        let started = Instant::now();
        let (results, wall) = flood(hook, rate, seconds, "ACK").await;
        report_acks("workers answering", rate, &results, wall);
        println!("rss after acks: {:.0} MB", rss_mb());
        // Let the replies to the flood drain before the next part.
        wait_sent(&g, total, Duration::from_secs(600)).await;
        let drained = started.elapsed().as_secs_f64();
        println!("ack: all {} replies sent {:.1} s after the first delivery ({:.0} replies/s)", g.state.sent().len(), drained, total as f64 / drained);

        // ── reply ──────────────────────────────────────────────────────
        let owner = company(&app, "replies").await;
        paste(&app, &owner).await;
        let ch = channel(&app, &owner, "replies", &g, "1700002").await;
        let hook = Arc::new(Hook {
            http: http.clone(),
            url: format!("{}/api/v1/hooks/meta/{}", server.url(), ch["public_key"].as_str().unwrap()),
            secret: "secret-replies".into(),
            phone: "1700002".into(),
        });
        let n = env("CONCIERGE_BENCH_QUESTIONS", 100);
        let g2 = Arc::new(g);
        let sem = Arc::new(tokio::sync::Semaphore::new(8));
        let mut tasks = Vec::new();
        for i in 0..n {
            let hook = hook.clone();
            let g = g2.clone();
            let sem = sem.clone();
            tasks.push(tokio::spawn(async move {
                let _p = sem.acquire().await.unwrap();
                let to = format!("9197{:08}", i);
                let t = Instant::now();
                hook.send(&to, &format!("wamid.RPL{i}"), QUESTIONS[i % QUESTIONS.len()]).await;
                loop {
                    if !g.state.sent_to(&to).is_empty() {
                        return t.elapsed().as_secs_f64() * 1e3;
                    }
                    if t.elapsed() > Duration::from_secs(60) {
                        return f64::INFINITY;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }));
        }
        let mut ms: Vec<f64> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
        report("reply (inbound to reply accepted by the Graph API, 8 at a time)", &mut ms);
        let sample = g2.state.sent_to("919700000000");
        println!("reply: sample answer {:?}", sample.first().map(|s| s.text.clone()));

        // ── scale ──────────────────────────────────────────────────────
        let tenants = env("CONCIERGE_BENCH_TENANTS", 100);
        let per = env("CONCIERGE_BENCH_PER_TENANT", 10);
        let before = g2.state.sent().len();
        let mut hooks = Vec::new();
        for t in 0..tenants {
            let name = format!("scale{t}");
            let owner = company(&app, &name).await;
            let phone = format!("18{:05}", t);
            let ch = channel(&app, &owner, &name, &g2, &phone).await;
            hooks.push(Arc::new(Hook {
                http: http.clone(),
                url: format!("{}/api/v1/hooks/meta/{}", server.url(), ch["public_key"].as_str().unwrap()),
                secret: format!("secret-{name}"),
                phone,
            }));
        }
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (t, hook) in hooks.iter().enumerate() {
            for c in 0..per {
                let hook = hook.clone();
                tasks.push(tokio::spawn(async move {
                    hook.send(&format!("9196{t:04}{c:04}"), &format!("wamid.SC{t}.{c}"), "hello").await
                }));
            }
        }
        let results: Vec<(u16, f64)> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
        let errors = results.iter().filter(|(s, _)| *s != 200).count();
        let mut ms: Vec<f64> = results.iter().map(|(_, m)| *m).collect();
        report(&format!("scale: {} conversations opened at once across {tenants} companies ({errors} errors)", tenants * per), &mut ms);
        let all = wait_sent(&g2, before + tenants * per, Duration::from_secs(600)).await;
        println!(
            "scale: {} of {} answered in {:.1} s; rss {:.0} MB",
            g2.state.sent().len() - before,
            tenants * per,
            started.elapsed().as_secs_f64(),
            rss_mb()
        );
        assert!(all && errors == 0);
    });
}
