//! Helpers for the concierge tests: companies, channels on the stand-in
//! Graph API, signed webhooks, documents, and waiting for the bot.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use standin::graph::{self, RunningGraph};
use testkit::{TestApp, TestResponse, eventually};

pub const PASSWORD: &str = "velvet-orbit-canyon-42";
pub const TOKEN: &str = "standin-graph-token";

/// An app running its jobs.
pub async fn app() -> TestApp {
    TestApp::builder().background().build().await
}

/// A company; the owner's access token.
pub async fn company(app: &TestApp, name: &str) -> String {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": name, "email": format!("owner@{name}.example"), "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(201);
    r.json()["access_token"].as_str().unwrap().to_string()
}

/// The app secret of a company's WhatsApp channel in these tests.
pub fn secret(name: &str) -> String {
    format!("app-secret-of-{name}")
}

/// A WhatsApp channel on the stand-in; its JSON.
pub async fn whatsapp(
    app: &TestApp,
    token: &str,
    name: &str,
    graph: &RunningGraph,
    phone_id: &str,
) -> Value {
    let r = app
        .post("/api/v1/channels")
        .bearer(token)
        .json(&json!({ "kind": "whatsapp", "name": format!("{name} WhatsApp"), "external_id": phone_id,
                       "api_base_url": graph.url, "app_secret": secret(name), "access_token": TOKEN,
                       "verify_token": format!("verify-{name}") }))
        .send()
        .await;
    r.assert_status(201);
    r.json()
}

/// An Instagram channel on the stand-in; its JSON.
pub async fn instagram(
    app: &TestApp,
    token: &str,
    name: &str,
    graph: &RunningGraph,
    ig_id: &str,
) -> Value {
    let r = app
        .post("/api/v1/channels")
        .bearer(token)
        .json(&json!({ "kind": "instagram", "name": format!("{name} Instagram"), "external_id": ig_id,
                       "api_base_url": graph.url, "app_secret": secret(name), "access_token": TOKEN }))
        .send()
        .await;
    r.assert_status(201);
    r.json()
}

/// Posts a webhook body signed with `secret` to a channel's URL.
pub async fn hook(app: &TestApp, key: &str, secret: &str, body: &Value) -> TestResponse {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = graph::signature(secret, &raw);
    app.post(&format!("/api/v1/hooks/meta/{key}"))
        .header("x-hub-signature-256", &sig)
        .raw("application/json", raw)
        .send()
        .await
}

/// A customer's text on WhatsApp, delivered signed.
pub async fn customer_says(
    app: &TestApp,
    ch: &Value,
    name: &str,
    from: &str,
    wamid: &str,
    text: &str,
) {
    let phone = ch["external_id"].as_str().unwrap();
    let body = graph::whatsapp_text(phone, from, "Asha", wamid, text);
    hook(app, ch["public_key"].as_str().unwrap(), &secret(name), &body).await.assert_status(200);
}

/// Pastes a document and waits until it is searchable.
pub async fn paste(app: &TestApp, token: &str, title: &str, text: &str) -> String {
    let r = app
        .post("/api/v1/documents")
        .bearer(token)
        .json(&json!({ "title": title, "text": text }))
        .send()
        .await;
    r.assert_status(202);
    let id = r.json()["documents"][0]["document"]["id"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(60), "the document to be ready", || async {
        let v = app.get(&format!("/api/v1/documents/{id}")).bearer(token).send().await.json();
        assert_ne!(v["status"], "failed", "{v}");
        (v["status"] == "ready").then_some(())
    })
    .await;
    id
}

/// The company's conversations.
pub async fn conversations(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/api/v1/conversations").bearer(token).send().await;
    r.assert_status(200);
    r.json()["items"].as_array().unwrap().clone()
}

/// A conversation with its messages.
pub async fn conversation(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/conversations/{id}")).bearer(token).send().await;
    r.assert_status(200);
    r.json()
}

/// Waits until the stand-in accepted `n` messages for `to`; them.
pub async fn sent_to(graph: &RunningGraph, to: &str, n: usize) -> Vec<graph::Sent> {
    eventually(Duration::from_secs(60), &format!("{n} message(s) sent to {to}"), || async {
        let s = graph.state.sent_to(to);
        assert!(s.len() <= n, "more than {n} sent: {s:?}");
        (s.len() == n).then_some(s)
    })
    .await
}

/// Waits until the only conversation has `n` messages; it.
pub async fn settled(app: &TestApp, token: &str, n: usize) -> Value {
    eventually(Duration::from_secs(60), &format!("{n} messages"), || async {
        let list = conversations(app, token).await;
        let first = list.first()?;
        let c = conversation(app, token, first["id"].as_str().unwrap()).await;
        (c["messages"].as_array().unwrap().len() >= n).then_some(c)
    })
    .await
}

/// Lets the workers run for a moment (to show that something does not
/// happen).
pub async fn quiet() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

/// Settings with changes.
pub async fn settings(app: &TestApp, token: &str, change: Value) -> Value {
    let mut s = app.get("/api/v1/concierge/settings").bearer(token).send().await.json();
    for (k, v) in change.as_object().unwrap() {
        s[k] = v.clone();
    }
    let r = app.put("/api/v1/concierge/settings").bearer(token).json(&s).send().await;
    r.assert_status(200);
    r.json()
}

pub const POLICY: &str = "# Sunrise Travels customer policy\n\n\
## Refunds\n\nRefunds for cancelled bookings are paid to the original card within five working days.\n\n\
## Baggage\n\nEach passenger may check in one bag of up to 23 kg on domestic flights.\n\n\
## Office hours\n\nOur Pune office is open Monday to Friday from 9 am to 6 pm.\n";
