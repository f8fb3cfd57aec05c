//! The web widget: sessions, messages, the live stream, the allowed
//! sites, and the agent's reply reaching the visitor.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::common::*;

async fn web_channel(app: &testkit::TestApp, token: &str, origins: Value) -> Value {
    let r = app
        .post("/api/v1/channels")
        .bearer(token)
        .json(&json!({ "kind": "web", "name": "Website", "allowed_origins": origins,
                       "widget": { "title": "Ask Sunrise", "color": "#0f766e", "welcome": "Hi! Ask me anything." } }))
        .send()
        .await;
    r.assert_status(201);
    r.json()
}

/// Reads `message` events from an SSE response until `until` holds.
async fn read_events(resp: reqwest::Response, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut body = resp.bytes_stream();
    let mut buf = String::new();
    let mut got: Vec<Value> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !until(&got) {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("events in time")
            .expect("the stream is open");
        buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: "))
                && event.starts_with("event: message")
            {
                got.push(serde_json::from_str(data).unwrap());
            }
        }
    }
    got
}

#[tokio::test]
async fn a_visitor_asks_gets_the_answer_live_and_then_a_person() {
    let app = app().await;
    let owner = company(&app, "webchat").await;
    paste(&app, &owner, "Policy", POLICY).await;
    let ch = web_channel(&app, &owner, json!([])).await;
    let key = ch["public_key"].as_str().unwrap().to_string();
    assert!(ch["widget_snippet"].as_str().unwrap().contains(&format!("data-channel=\"{key}\"")));
    let server = app.serve().await;
    let http = reqwest::Client::new();
    let base = format!("{}/api/v1/widget/{key}", server.url());

    let js = http.get(format!("{}/widget.js", server.url())).send().await.unwrap();
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("application/javascript"));
    assert!(js.text().await.unwrap().contains("EventSource"));

    let s: Value = http
        .post(format!("{base}/sessions"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = s["token"].as_str().unwrap().to_string();
    assert_eq!(s["widget"]["title"], "Ask Sunrise");
    let events = http.get(format!("{base}/events?token={token}")).send().await.unwrap();
    assert_eq!(events.status(), 200);
    let r = http
        .post(format!("{base}/messages"))
        .header("x-widget-session", &token)
        .json(&json!({ "text": "How long do refunds take?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let got = read_events(events, |g| g.iter().any(|m| m["sender"] == "bot")).await;
    let bot = got.iter().find(|m| m["sender"] == "bot").unwrap();
    assert!(bot["body"].as_str().unwrap().contains("five working days"), "{got:?}");
    assert!(bot.get("chunk_ids").is_none(), "the visitor sees no internals: {bot}");

    // Asks for a person; the agent answers from the inbox; the visitor sees it.
    let events = http.get(format!("{base}/events?token={token}")).send().await.unwrap();
    http.post(format!("{base}/messages"))
        .header("x-widget-session", &token)
        .json(&json!({ "text": "I want to talk to a human" }))
        .send()
        .await
        .unwrap();
    let conv = testkit::eventually(Duration::from_secs(30), "the handoff", || async {
        let list = conversations(&app, &owner).await;
        (list.first()?["status"] == "pending").then(|| list[0]["id"].as_str().unwrap().to_string())
    })
    .await;
    app.post(&format!("/api/v1/conversations/{conv}/messages"))
        .bearer(&owner)
        .json(&json!({ "text": "Hello, Priya here. How can I help?" }))
        .send()
        .await
        .assert_status(201);
    let got = read_events(events, |g| g.iter().any(|m| m["sender"] == "agent")).await;
    assert!(got.iter().any(|m| m["body"] == "Hello, Priya here. How can I help?"), "{got:?}");

    // The visitor comes back later: the conversation is there.
    let again: Value = http
        .post(format!("{base}/sessions"))
        .json(&json!({ "visitor_id": s["visitor_id"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> =
        again["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(
        bodies.contains(&"How long do refunds take?")
            && bodies.contains(&"Hello, Priya here. How can I help?"),
        "{bodies:?}"
    );
    app.patch(&format!("/api/v1/conversations/{conv}"))
        .bearer(&owner)
        .json(&json!({ "status": "resolved" }))
        .send()
        .await
        .assert_status(200);
}

#[tokio::test]
async fn only_allowed_sites_and_the_visitors_own_session_are_accepted() {
    let app = app().await;
    let a = company(&app, "sitea").await;
    let b = company(&app, "siteb").await;
    let cha = web_channel(&app, &a, json!(["https://shop.example"])).await;
    let chb = web_channel(&app, &b, json!([])).await;
    let ka = cha["public_key"].as_str().unwrap();
    let kb = chb["public_key"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/widget/{ka}/sessions"))
        .header("origin", "https://evil.example")
        .json(&json!({}))
        .send()
        .await;
    r.assert_problem(403, "origin_not_allowed");
    let r = app
        .post(&format!("/api/v1/widget/{ka}/sessions"))
        .header("origin", "https://shop.example")
        .json(&json!({}))
        .send()
        .await;
    r.assert_status(201);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://shop.example"));
    let ta = r.json()["token"].as_str().unwrap().to_string();
    // A's visitor's session on B's widget.
    let r = app
        .post(&format!("/api/v1/widget/{kb}/messages"))
        .header("x-widget-session", &ta)
        .json(&json!({ "text": "hi" }))
        .send()
        .await;
    r.assert_problem(401, "invalid_session");
    app.post(&format!("/api/v1/widget/{kb}/messages"))
        .header("x-widget-session", "ws_forged")
        .json(&json!({ "text": "hi" }))
        .send()
        .await
        .assert_problem(401, "invalid_session");
    app.post("/api/v1/widget/ch_nosuchchannel/sessions")
        .json(&json!({}))
        .send()
        .await
        .assert_problem(404, "not_found");
    let r = app
        .post(&format!("/api/v1/widget/{ka}/messages"))
        .header("origin", "https://shop.example")
        .header("x-widget-session", &ta)
        .json(&json!({ "text": "   " }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "text");
    assert!(conversations(&app, &b).await.is_empty());
    // Preflight.
    let r = app
        .request(http::Method::OPTIONS, &format!("/api/v1/widget/{ka}/messages"))
        .header("origin", "https://shop.example")
        .send()
        .await;
    r.assert_status(204);
    assert!(r.header("access-control-allow-headers").unwrap().contains("x-widget-session"));
}

#[tokio::test]
async fn a_reply_written_by_another_process_reaches_the_visitor_live() {
    // `tessera serve` without workers, and a `tessera worker` beside it on
    // the same database: the bot's reply is stored by the worker, and the
    // visitor's stream on the server shows it.
    let app = testkit::TestApp::builder().config(|c| c.jobs.enabled = false).build().await;
    let worker = app.worker_process().await;
    let owner = company(&app, "twoprocs").await;
    paste(&app, &owner, "Policy", POLICY).await;
    let ch = web_channel(&app, &owner, json!([])).await;
    let key = ch["public_key"].as_str().unwrap().to_string();
    let server = app.serve().await;
    let http = reqwest::Client::new();
    let base = format!("{}/api/v1/widget/{key}", server.url());
    let s: Value = http
        .post(format!("{base}/sessions"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = s["token"].as_str().unwrap().to_string();
    let events = http.get(format!("{base}/events?token={token}")).send().await.unwrap();
    assert_eq!(events.status(), 200);
    let r = http
        .post(format!("{base}/messages"))
        .header("x-widget-session", &token)
        .json(&json!({ "text": "How long do refunds take?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let got = read_events(events, |g| g.iter().any(|m| m["sender"] == "bot")).await;
    let bot = got.iter().find(|m| m["sender"] == "bot").unwrap();
    assert!(bot["body"].as_str().unwrap().contains("five working days"), "{got:?}");
    drop(worker);
}
