//! What the gateway adds to a provider call: the same chat completion
//! sent straight to a stand-in provider, and through /v1/chat/completions
//! (authentication, rate limit, routing, provider call, usage record,
//! response), one request at a time over loopback sockets.
//!
//!     cargo bench -p ai --bench gateway -- [requests]

use std::time::{Duration, Instant};

use axum::routing::post;
use serde_json::json;

const ANSWER: &str = concat!(
    "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1}}\n\n",
    "data: [DONE]\n\n"
);

fn percentiles(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let p = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)].as_secs_f64() * 1000.0;
    (p(0.5), p(0.95), p(0.99))
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let standin = axum::Router::new().route(
            "/v1/chat/completions",
            post(|| async { ([("content-type", "text/event-stream")], ANSWER) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let standin_url = format!("http://{}/v1", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, standin).await });

        let app = testkit::TestApp::builder()
            .config(|c| {
                c.ai.cache_ttl_secs = 0;
                c.log.level = "warn".into();
            })
            .build()
            .await;
        let s = app
            .post("/api/v1/auth/signup")
            .json(&json!({ "company_name": "Bench", "email": "b@bench.example", "password": "velvet-orbit-canyon-42" }))
            .send()
            .await
            .json();
        let owner = s["access_token"].as_str().unwrap_or_default().to_string();
        app.post("/api/v1/ai/providers")
            .bearer(&owner)
            .json(&json!({ "name": "standin", "kind": "openai", "base_url": standin_url, "chat_model": "gpt-standin", "api_key": "k" }))
            .send()
            .await;
        app.put("/api/v1/ai/policy").bearer(&owner).json(&json!({ "routes": { "chat": ["standin"] } })).send().await;
        let key = app
            .post("/api/v1/api-keys")
            .bearer(&owner)
            .json(&json!({ "name": "bench", "permissions": ["ai:use"] }))
            .send()
            .await
            .json()["secret"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // A high rate limit so the bench measures latency, not throttling.
        app.patch("/api/v1/tenant")
            .bearer(&owner)
            .json(&json!({ "settings": { "requests_per_minute": 1000000, "api_key_requests_per_minute": 1000000 } }))
            .send()
            .await;
        let served = app.serve().await;
        let client = testkit::http();
        let body = json!({ "model": "auto", "messages": [{ "role": "user", "content": "Say hello" }], "max_tokens": 8 });
        let direct_body = json!({ "model": "gpt-standin", "stream": true, "messages": [{ "role": "user", "content": "Say hello" }] });

        let mut direct = Vec::with_capacity(n);
        let mut via = Vec::with_capacity(n);
        for i in 0..n + 200 {
            let t = Instant::now();
            let r = client.post(format!("{standin_url}/chat/completions")).json(&direct_body).send().await?;
            r.bytes().await?;
            let d = t.elapsed();
            let t = Instant::now();
            let r = client.post(format!("{}/v1/chat/completions", served.url())).bearer_auth(&key).json(&body).send().await?;
            let status = r.status();
            r.bytes().await?;
            let g = t.elapsed();
            anyhow::ensure!(status.is_success(), "gateway answered {status}");
            if i >= 200 {
                direct.push(d);
                via.push(g);
            }
        }
        let (d50, d95, d99) = percentiles(direct.clone());
        let (g50, g95, g99) = percentiles(via.clone());
        let mut extra: Vec<Duration> = via.iter().zip(&direct).map(|(g, d)| g.saturating_sub(*d)).collect();
        extra.sort();
        let (e50, e95, e99) = percentiles(extra);
        println!("stand-in provider directly: p50 {d50:.2} ms, p95 {d95:.2} ms, p99 {d99:.2} ms ({n} requests)");
        println!("through /v1/chat/completions: p50 {g50:.2} ms, p95 {g95:.2} ms, p99 {g99:.2} ms");
        println!("gateway overhead (paired): p50 {e50:.2} ms, p95 {e95:.2} ms, p99 {e99:.2} ms");
        anyhow::Ok(())
    })
}
