//! A provider's credentials never leave the server: not in API answers,
//! not in the usage ledger, not in the logs — even when the provider
//! echoes the key back in an error.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use testkit::TestApp;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn credentials_never_appear_in_answers_ledger_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("debug,sqlx=warn,hyper=warn,h2=warn"))
        .with(tracing_subscriber::fmt::layer().with_writer(move || writer.clone()).with_ansi(false))
        .init();

    let key = "sk-live-VERYSECRET-0123456789";
    let header = "org-HIDDEN-HEADER-VALUE";
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({ "error": { "message": format!("Incorrect API key provided: {key}") } }),
        ))
        .mount(&server)
        .await;

    let app = TestApp::spawn().await;
    let s = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": "Acme", "email": "o@acme.example", "password": "velvet-orbit-canyon-42" }))
        .send()
        .await
        .json();
    let owner = s["access_token"].as_str().unwrap();
    let created = app
        .post("/api/v1/ai/providers")
        .bearer(owner)
        .json(
            &json!({ "name": "leaky", "kind": "openai", "base_url": server.uri(), "chat_model": "m",
                       "api_key": key, "headers": { "OpenAI-Organization": header } }),
        )
        .send()
        .await;
    created.assert_status(201);
    let r = app
        .post("/v1/chat/completions")
        .bearer(owner)
        .json(&json!({ "model": "leaky", "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await;
    let problem = r.assert_problem(502, "provider_error");
    assert!(problem.to_string().contains("Incorrect API key provided: [redacted]"), "{problem}");

    let mut texts = vec![created.text(), r.text()];
    for path in
        ["/api/v1/ai/providers", "/api/v1/audit?limit=200", "/api/v1/ai/usage?group_by=provider"]
    {
        texts.push(app.get(path).bearer(owner).send().await.text());
    }
    // The ledger row is written in the background.
    let row: String =
        testkit::eventually(std::time::Duration::from_secs(10), "the usage row", || async {
            let mut su = app.db.superuser().await;
            sqlx::query_as::<_, (String,)>("SELECT row_to_json(u)::text FROM ai_usage u")
                .fetch_optional(&mut su)
                .await
                .unwrap()
                .map(|r| r.0)
        })
        .await;
    texts.push(row);
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logged.contains("model call failed"), "the failure is logged: {logged}");
    texts.push(logged);
    for t in &texts {
        assert!(!t.contains("VERYSECRET"), "the key leaked: {t}");
        assert!(!t.contains("HIDDEN-HEADER"), "a header value leaked: {t}");
    }
}
