//! The AI runtime through the HTTP API: providers and policy, the /v1
//! gateway (chat, streaming, embeddings, models), fallback, the budget,
//! the cache, the usage ledger, permissions and missing models.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use testkit::{TestApp, eventually};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "velvet-orbit-canyon-42";

async fn company(app: &TestApp, name: &str) -> String {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": name, "email": format!("owner@{name}.example"), "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(201);
    r.json()["access_token"].as_str().unwrap().to_string()
}

async fn api_key(app: &TestApp, owner: &str, permissions: &[&str]) -> String {
    let r = app
        .post("/api/v1/api-keys")
        .bearer(owner)
        .json(&json!({ "name": "gateway", "permissions": permissions }))
        .send()
        .await;
    r.assert_status(201);
    r.json()["secret"].as_str().unwrap().to_string()
}

fn sse_answer(text: &str, prompt: u32, completion: u32) -> String {
    let chunk = |d: Value, f: Value| json!({ "id": "x", "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": d, "finish_reason": f }] });
    let mut s = String::new();
    for part in text.split_inclusive(' ') {
        s.push_str(&format!("data: {}\n\n", chunk(json!({ "content": part }), Value::Null)));
    }
    s.push_str(&format!("data: {}\n\n", chunk(json!({}), json!("stop"))));
    s.push_str(&format!(
        "data: {}\n\n",
        json!({ "id": "x", "choices": [], "usage": { "prompt_tokens": prompt, "completion_tokens": completion } })
    ));
    s.push_str("data: [DONE]\n\n");
    s
}

async fn stand_in(text: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(sse_answer(text, 20, 10)),
        )
        .mount(&server)
        .await;
    server
}

async fn add_provider(app: &TestApp, owner: &str, body: Value) -> Value {
    let r = app.post("/api/v1/ai/providers").bearer(owner).json(&body).send().await;
    r.assert_status(201);
    r.json()
}

async fn set_policy(app: &TestApp, owner: &str, body: Value) {
    app.put("/api/v1/ai/policy").bearer(owner).json(&body).send().await.assert_status(200);
}

fn chat(q: &str) -> Value {
    json!({ "model": "auto", "messages": [{ "role": "user", "content": q }], "temperature": 0.0, "max_tokens": 24 })
}

async fn usage_rows(app: &TestApp) -> Vec<(String, String, String, i32, i32)> {
    let mut su = app.db.superuser().await;
    sqlx::query_as("SELECT provider, outcome, feature, prompt_tokens, completion_tokens FROM ai_usage ORDER BY created_at, id")
        .fetch_all(&mut su)
        .await
        .unwrap()
}

async fn wait_usage(app: &TestApp, n: usize) -> Vec<(String, String, String, i32, i32)> {
    eventually(Duration::from_secs(20), &format!("{n} usage rows"), || async {
        let rows = usage_rows(app).await;
        (rows.len() >= n).then_some(rows)
    })
    .await
}

#[tokio::test]
async fn providers_are_configured_without_ever_showing_their_secrets() {
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let p = add_provider(
        &app,
        &owner,
        json!({ "name": "openai", "kind": "openai", "api_key": "sk-live-VERYSECRET",
                "headers": { "OpenAI-Organization": "org-HIDDEN" }, "chat_model": "gpt-4o-mini", "priority": 10 }),
    )
    .await;
    assert_eq!(p["base_url"], "https://api.openai.com/v1");
    assert_eq!(p["has_api_key"], true);
    assert_eq!(p["header_names"], json!(["OpenAI-Organization"]));
    let id = p["id"].as_str().unwrap();

    // Bad input names the fields.
    let r = app
        .post("/api/v1/ai/providers")
        .bearer(&owner)
        .json(&json!({ "name": "Bad Name", "kind": "skynet", "base_url": "not a url" }))
        .send()
        .await;
    let problem = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"kind") && fields.contains(&"base_url"),
        "{fields:?}"
    );
    let r = app
        .post("/api/v1/ai/providers")
        .bearer(&owner)
        .json(&json!({ "name": "openai", "kind": "openai", "chat_model": "x" }))
        .send()
        .await;
    r.assert_problem(409, "provider_name_taken");

    // Rotating the key and removing the headers.
    let r = app
        .patch(&format!("/api/v1/ai/providers/{id}"))
        .bearer(&owner)
        .json(&json!({ "api_key": "sk-live-ROTATED", "headers": null, "priority": 5 }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["header_names"], json!([]));

    // No read shows a secret, not even the audit trail.
    for path in [
        "/api/v1/ai/providers".to_string(),
        format!("/api/v1/ai/providers/{id}"),
        "/api/v1/audit".into(),
    ] {
        let text = app.get(&path).bearer(&owner).send().await.text();
        for secret in ["VERYSECRET", "org-HIDDEN", "ROTATED"] {
            assert!(!text.contains(secret), "{path} shows {secret}");
        }
    }
    let audit =
        app.get("/api/v1/audit?resource_type=ai_provider").bearer(&owner).send().await.json();
    assert_eq!(audit["items"][0]["changes"]["api_key"], "[redacted]");
    // At rest the key is sealed.
    let mut su = app.db.superuser().await;
    let (stored,): (Vec<u8>,) =
        sqlx::query_as("SELECT api_key FROM ai_providers").fetch_one(&mut su).await.unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains("ROTATED"));

    app.delete(&format!("/api/v1/ai/providers/{id}"))
        .bearer(&owner)
        .send()
        .await
        .assert_status(204);
    app.get(&format!("/api/v1/ai/providers/{id}"))
        .bearer(&owner)
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn policies_are_checked() {
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let r = app
        .put("/api/v1/ai/policy")
        .bearer(&owner)
        .json(&json!({ "cloud_share": 130, "routes": { "answer": ["local", "nowhere"] }, "monthly_budget": "-1" }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["cloud_share", "monthly_budget", "routes.answer[1]"]);
    set_policy(
        &app,
        &owner,
        json!({ "cloud_share": 0, "routes": { "answer": ["local"] }, "monthly_budget": "25.50" }),
    )
    .await;
    let got = app.get("/api/v1/ai/policy").bearer(&owner).send().await.json();
    assert_eq!(got["monthly_budget"], "25.5000");
    assert_eq!(got["routes"]["answer"], json!(["local"]));
}

#[tokio::test]
async fn the_gateway_streams_and_answers_from_a_provider() {
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let server = stand_in("Hello from the stand-in").await;
    add_provider(&app, &owner, json!({ "name": "cloudy", "kind": "openai_compatible", "base_url": server.uri(), "chat_model": "gpt-test", "api_key": "k" })).await;
    set_policy(&app, &owner, json!({ "cloud_share": 100 })).await;
    let key = api_key(&app, &owner, &["ai:use"]).await;

    // Not streaming.
    let r = app.post("/v1/chat/completions").bearer(&key).json(&chat("hi")).send().await;
    r.assert_status(200);
    assert_eq!(r.header("x-tessera-provider"), Some("cloudy"));
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "Hello from the stand-in");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["total_tokens"], 30);

    // Streaming.
    let mut body = chat("hi again");
    body["stream"] = json!(true);
    body["stream_options"] = json!({ "include_usage": true });
    let r = app.post("/v1/chat/completions").bearer(&key).json(&body).send().await;
    r.assert_status(200);
    assert!(r.header("content-type").unwrap().starts_with("text/event-stream"));
    let text = r.text();
    let chunks: Vec<Value> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(text.trim_end().ends_with("data: [DONE]"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(content, "Hello from the stand-in");
    assert!(chunks.iter().any(|c| c["choices"][0]["finish_reason"] == "stop"));
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 10);

    // The models list shows it, the local models and `auto`.
    let models = app.get("/v1/models").bearer(&key).send().await.json();
    let ids: Vec<&str> =
        models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    for id in ["auto", "cloudy/gpt-test", "gemma-3-270m", "all-MiniLM-L6-v2"] {
        assert!(ids.contains(&id), "{ids:?}");
    }

    // Every call is in the ledger.
    let rows = wait_usage(&app, 2).await;
    assert!(
        rows.iter().all(|r| r.0 == "cloudy"
            && r.1 == "ok"
            && r.2 == "chat"
            && r.3 == 20
            && r.4 == 10),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_failing_provider_falls_back_to_the_next() {
    let app = TestApp::builder().config(|c| c.ai.max_retries = 1).build().await;
    let owner = company(&app, "acme").await;
    let broken = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(502)).mount(&broken).await;
    let good = stand_in("Answer from the backup").await;
    add_provider(
        &app,
        &owner,
        json!({ "name": "primary", "kind": "vllm", "base_url": broken.uri(), "chat_model": "m1" }),
    )
    .await;
    add_provider(
        &app,
        &owner,
        json!({ "name": "backup", "kind": "ollama", "base_url": good.uri(), "chat_model": "m2" }),
    )
    .await;
    set_policy(&app, &owner, json!({ "routes": { "summarise": ["primary", "backup"] } })).await;
    let r = app
        .post("/v1/chat/completions")
        .bearer(&owner)
        .header("x-tessera-task", "summarise")
        .json(&chat("summarise this"))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.header("x-tessera-provider"), Some("backup"));
    assert_eq!(r.json()["choices"][0]["message"]["content"], "Answer from the backup");
    assert_eq!(broken.received_requests().await.unwrap().len(), 2, "one retry, then fall back");
    let rows = wait_usage(&app, 2).await;
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2.as_str()),
        ("primary", "error", "summarise")
    );
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("backup", "ok"));

    // A 400 does not fall back: the request itself is wrong.
    let bad = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({ "error": { "message": "bad request" } })),
        )
        .mount(&bad)
        .await;
    add_provider(&app, &owner, json!({ "name": "strict", "kind": "openai_compatible", "base_url": bad.uri(), "chat_model": "m3" })).await;
    set_policy(&app, &owner, json!({ "routes": { "chat": ["strict", "backup"] } })).await;
    let r = app.post("/v1/chat/completions").bearer(&owner).json(&chat("x")).send().await;
    let p = r.assert_problem(502, "provider_error");
    assert_eq!(p["error"]["message"], "the provider answered 400: bad request");
}

#[tokio::test]
async fn the_hard_budget_limit_switches_to_the_local_model() {
    testkit::ensure_models();
    let app = TestApp::builder()
        .config(|c| {
            c.ai.prices.insert(
                "gpt-pricey".into(),
                kernel::config::ModelPrice {
                    input: "1000".parse().unwrap(),
                    output: "1000".parse().unwrap(),
                },
            );
        })
        .build()
        .await;
    let owner = company(&app, "acme").await;
    let server = stand_in("Costly answer").await;
    add_provider(&app, &owner, json!({ "name": "pricey", "kind": "openai", "base_url": server.uri(), "chat_model": "gpt-pricey" })).await;
    // 30 tokens at 1000 USD per million = 0.03 USD per call.
    set_policy(
        &app,
        &owner,
        json!({ "cloud_share": 100, "monthly_budget": "0.05", "soft_limit_pct": 50 }),
    )
    .await;
    let r = app.post("/v1/chat/completions").bearer(&owner).json(&chat("one")).send().await;
    assert_eq!(r.header("x-tessera-provider"), Some("pricey"));
    assert_eq!(r.header("x-tessera-budget"), None);
    wait_usage(&app, 1).await;
    let r = app.post("/v1/chat/completions").bearer(&owner).json(&chat("two")).send().await;
    assert_eq!(r.header("x-tessera-provider"), Some("pricey"));
    assert_eq!(r.header("x-tessera-budget"), Some("soft-limit"));
    wait_usage(&app, 2).await;
    // 0.06 spent of 0.05: only local models now.
    let r =
        app.post("/v1/chat/completions").bearer(&owner).json(&chat("What is 2 + 2?")).send().await;
    r.assert_status(200);
    assert_eq!(r.header("x-tessera-provider"), Some("local"));
    assert_eq!(r.header("x-tessera-budget"), Some("hard-limit"));
    assert_eq!(r.json()["model"], "gemma-3-270m");
    // Asking for the cloud model by name is refused.
    let mut body = chat("three");
    body["model"] = json!("pricey/gpt-pricey");
    app.post("/v1/chat/completions")
        .bearer(&owner)
        .json(&body)
        .send()
        .await
        .assert_problem(402, "ai_budget_exceeded");
    let usage = app.get("/api/v1/ai/usage?group_by=provider").bearer(&owner).send().await.json();
    assert_eq!(usage["month_spend"], "0.060000");
    let groups = usage["groups"].as_array().unwrap();
    let pricey = groups.iter().find(|g| g["key"] == "pricey").unwrap();
    assert_eq!(pricey["calls"], 2);
    assert_eq!(pricey["cost"], "0.060000");
}

#[tokio::test]
async fn temperature_zero_answers_are_cached_per_tenant() {
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let server = stand_in("Cached words").await;
    add_provider(
        &app,
        &owner,
        json!({ "name": "c", "kind": "openai", "base_url": server.uri(), "chat_model": "gpt-c" }),
    )
    .await;
    set_policy(&app, &owner, json!({ "routes": { "chat": ["c"] } })).await;
    let first = app.post("/v1/chat/completions").bearer(&owner).json(&chat("same")).send().await;
    assert_eq!(first.header("x-tessera-cache"), Some("miss"));
    let again = app.post("/v1/chat/completions").bearer(&owner).json(&chat("same")).send().await;
    assert_eq!(again.header("x-tessera-cache"), Some("hit"));
    assert_eq!(again.json()["choices"][0]["message"]["content"], "Cached words");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // Not at another temperature, and not for another tenant.
    let mut warm = chat("same");
    warm["temperature"] = json!(0.7);
    let r = app.post("/v1/chat/completions").bearer(&owner).json(&warm).send().await;
    assert_eq!(r.header("x-tessera-cache"), Some("miss"));
    let other = company(&app, "beta").await;
    add_provider(
        &app,
        &other,
        json!({ "name": "c", "kind": "openai", "base_url": server.uri(), "chat_model": "gpt-c" }),
    )
    .await;
    set_policy(&app, &other, json!({ "routes": { "chat": ["c"] } })).await;
    let r = app.post("/v1/chat/completions").bearer(&other).json(&chat("same")).send().await;
    assert_eq!(r.header("x-tessera-cache"), Some("miss"));
    let rows = wait_usage(&app, 4).await;
    assert_eq!(rows.iter().filter(|r| r.1 == "cached").count(), 1);
    let metrics = app.get("/metrics").send().await.text();
    assert!(metrics.contains(r#"ai_cache_requests_total{kind="chat",result="hit"}"#), "{metrics}");
}

#[tokio::test]
async fn local_embeddings_through_the_gateway() {
    testkit::ensure_models();
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let key = api_key(&app, &owner, &["ai:use"]).await;
    let r = app
        .post("/v1/embeddings")
        .bearer(&key)
        .json(&json!({ "input": ["GST on services", "GST on services", "refund policy"], "model": "all-MiniLM-L6-v2" }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.header("x-tessera-provider"), Some("local"));
    let v = r.json();
    assert_eq!(v["model"], "all-MiniLM-L6-v2");
    let vectors: Vec<Vec<f32>> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| serde_json::from_value(d["embedding"].clone()).unwrap())
        .collect();
    assert_eq!(vectors.len(), 3);
    assert_eq!(vectors[0].len(), 384);
    assert_eq!(vectors[0], vectors[1]);
    // base64, as the openai client asks for by default; and from the cache.
    let r = app
        .post("/v1/embeddings")
        .bearer(&key)
        .json(&json!({ "input": "refund policy", "encoding_format": "base64" }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.header("x-tessera-cache"), Some("hit"));
    let b64 = r.json()["data"][0]["embedding"].as_str().unwrap().to_string();
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let decoded: Vec<f32> =
        bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(decoded, vectors[2]);
    app.post("/v1/embeddings")
        .bearer(&key)
        .json(&json!({ "input": [[1, 2, 3]] }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn permissions_and_missing_models() {
    let empty = tempfile::tempdir().unwrap();
    let runtime = empty.path().to_path_buf();
    let app = TestApp::builder().config(move |c| c.runtime_dir = Some(runtime)).build().await;
    let owner = company(&app, "acme").await;
    // The local model is not installed: 503 saying what to do.
    let mut body = chat("hello");
    body["model"] = json!("local");
    let p = app
        .post("/v1/chat/completions")
        .bearer(&owner)
        .json(&body)
        .send()
        .await
        .assert_problem(503, "model_not_installed");
    assert!(p["detail"].as_str().unwrap().contains("tessera setup"), "{p}");
    assert!(p["error"]["message"].is_string(), "OpenAI clients read error.message");
    app.post("/v1/embeddings")
        .bearer(&owner)
        .json(&json!({ "input": "x" }))
        .send()
        .await
        .assert_problem(503, "model_not_installed");
    // Unknown models are named.
    body["model"] = json!("gpt-17");
    let p = app
        .post("/v1/chat/completions")
        .bearer(&owner)
        .json(&body)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "model");
    // Keys without ai:use, and anonymous callers, are refused.
    let reader = api_key(&app, &owner, &["tenant:read"]).await;
    app.post("/v1/chat/completions")
        .bearer(&reader)
        .json(&chat("x"))
        .send()
        .await
        .assert_problem(403, "permission_denied");
    app.get("/v1/models").send().await.assert_problem(401, "unauthenticated");
    let user = api_key(&app, &owner, &["ai:use"]).await;
    app.get("/api/v1/ai/providers")
        .bearer(&user)
        .send()
        .await
        .assert_problem(403, "permission_denied");
    // Bad requests name the field.
    let p = app
        .post("/v1/chat/completions")
        .bearer(&owner)
        .json(&json!({ "messages": [{ "role": "wizard", "content": "x" }] }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "messages[0].role");
    let p = app
        .post("/v1/chat/completions")
        .bearer(&owner)
        .json(&json!({ "messages": [{ "role": "user", "content": "x" }], "temperature": 7 }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "temperature");
}

#[tokio::test]
async fn private_provider_addresses_are_refused_unless_allowed() {
    let app = TestApp::builder().config(|c| c.ai.allow_private_providers = false).build().await;
    let owner = company(&app, "acme").await;
    for url in ["http://127.0.0.1:11434/v1", "http://169.254.169.254/", "http://localhost:8000/v1"]
    {
        let r = app
            .post("/api/v1/ai/providers")
            .bearer(&owner)
            .json(
                &json!({ "name": "inside", "kind": "ollama", "base_url": url, "chat_model": "m" }),
            )
            .send()
            .await;
        assert_eq!(
            r.assert_problem(422, "validation_failed")["errors"][0]["field"],
            "base_url",
            "{url}"
        );
    }
}

/// A provider that sends one token, then nothing (the connection stays open).
async fn stalling_provider() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let data = format!(
                    "data: {}\n\n",
                    json!({ "choices": [{ "index": 0, "delta": { "content": "Partial" }, "finish_reason": null }] })
                );
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                let _ = sock
                    .write_all(format!("{head}{:x}\r\n{data}\r\n", data.len()).as_bytes())
                    .await;
                let _ = sock.flush().await;
                tokio::time::sleep(Duration::from_secs(120)).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_caller_that_goes_away_is_recorded_as_cancelled() {
    use futures::StreamExt;
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let base = stalling_provider().await;
    add_provider(
        &app,
        &owner,
        json!({ "name": "slow", "kind": "openai", "base_url": base, "chat_model": "m" }),
    )
    .await;
    let tenant = {
        let me = app.get("/api/v1/me").bearer(&owner).send().await.json();
        testkit::tenant_of(&me)
    };
    let ai = ai::AiService::of(&app.state);
    let ctx = ai::CallContext::system(&app.access(tenant), "summarise");
    let req = ai::ChatRequest::new(vec![ai::Message::new(ai::Role::User, "go")]);
    let mut routed = ai.chat(&ctx, Some("slow"), req).await.unwrap();
    assert_eq!(
        routed.stream.next().await.unwrap().unwrap(),
        ai::ChatEvent::Delta("Partial".into())
    );
    drop(routed);
    let rows = wait_usage(&app, 1).await;
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2.as_str()),
        ("slow", "cancelled", "summarise")
    );
}
