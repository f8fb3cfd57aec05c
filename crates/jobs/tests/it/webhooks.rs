//! Webhooks end to end: a tenant subscribes a local receiver, an event
//! happens through the API, the dispatcher and a worker deliver it signed;
//! plus retries, the SSRF guard, secret rotation, re-sends, the event log,
//! in-process subscribers and the jobs API.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use testkit::{TestApp, eventually};

const PASSWORD: &str = "velvet-orbit-canyon-42";

/// A local webhook receiver that records what it gets.
struct Receiver {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    status: Arc<AtomicU16>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Shared = (Arc<Mutex<Vec<(HeaderMap, Bytes)>>>, Arc<AtomicU16>);

async fn record(
    State((hits, status)): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    hits.lock().unwrap().push((headers, body));
    StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
}

impl Receiver {
    async fn start() -> Receiver {
        Self::on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()).await
    }

    async fn on(listener: tokio::net::TcpListener) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(record))
            .with_state((hits.clone(), status.clone()));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, hits, status, task }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn hits(&self) -> Vec<(HeaderMap, Bytes)> {
        self.hits.lock().unwrap().clone()
    }
}

/// A company and its owner's token.
async fn company(app: &TestApp, name: &str) -> String {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": name, "email": format!("owner@{name}.example"), "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(201);
    r.json()["access_token"].as_str().unwrap().to_string()
}

async fn subscribe(app: &TestApp, token: &str, url: &str, types: Value) -> Value {
    let r = app
        .post("/api/v1/webhooks")
        .bearer(token)
        .json(&json!({ "url": url, "event_types": types, "description": "test receiver" }))
        .send()
        .await;
    r.assert_status(201);
    r.json()
}

async fn invite(app: &TestApp, token: &str, email: &str) {
    app.post("/api/v1/invitations")
        .bearer(token)
        .json(&json!({ "email": email, "roles": ["member"] }))
        .send()
        .await
        .assert_status(201);
}

async fn deliveries(app: &TestApp, token: &str, hook: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/webhooks/{hook}/deliveries")).bearer(token).send().await;
    r.assert_status(200);
    r.json()["items"].as_array().unwrap().clone()
}

async fn wait_delivery(app: &TestApp, token: &str, hook: &str, state: &str) -> Value {
    eventually(Duration::from_secs(20), &format!("a {state} delivery"), || async {
        deliveries(app, token, hook).await.into_iter().find(|d| d["state"] == state)
    })
    .await
}

fn fast_retries(c: &mut kernel::Config) {
    c.webhooks.first_retry_ms = 100;
    c.webhooks.max_retry_ms = 300;
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let sig = headers.get("x-tessera-signature").unwrap().to_str().unwrap();
    jobs::model::verify_signature(
        secret.as_bytes(),
        sig,
        body,
        chrono::Utc::now().timestamp(),
        Duration::from_secs(300),
    )
}

#[tokio::test]
async fn a_delivery_waits_for_a_receiver_that_is_down_then_arrives_signed() {
    let app = TestApp::builder().config(fast_retries).background().build().await;
    let owner = company(&app, "acme").await;
    // A port with nobody listening yet.
    let reserved = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let hook = subscribe(&app, &owner, &format!("http://{addr}/hook"), json!(["user.*"])).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let hook_id = hook["id"].as_str().unwrap().to_string();
    invite(&app, &owner, "asha@acme.example").await;

    // Attempts fail while the receiver is down …
    let failing = eventually(Duration::from_secs(20), "two failed attempts", || async {
        deliveries(&app, &owner, &hook_id)
            .await
            .into_iter()
            .find(|d| d["attempts"].as_i64() >= Some(2))
    })
    .await;
    assert_eq!(failing["state"], "pending");
    assert!(failing["last_error"].as_str().unwrap().contains("cannot connect"), "{failing}");

    // … and the next one after it comes back succeeds.
    let receiver = Receiver::on(tokio::net::TcpListener::bind(addr).await.unwrap()).await;
    let done = wait_delivery(&app, &owner, &hook_id, "succeeded").await;
    assert_eq!(done["last_status"], 200);
    let log = done["attempt_log"].as_array().unwrap();
    assert!(log.len() >= 3, "{log:?}");
    assert!(log.last().unwrap()["error"].is_null());

    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    let (headers, body) = &hits[0];
    assert!(verify(&secret, headers, body), "signature must verify");
    assert!(!verify("whsec_wrong", headers, body));
    assert_eq!(headers["x-tessera-event"], "user.invited");
    assert_eq!(headers["x-tessera-delivery"].to_str().unwrap(), done["id"].as_str().unwrap());
    assert_eq!(headers["content-type"], "application/json");
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "user.invited");
    assert_eq!(event["data"]["email"], "asha@acme.example");
    assert_eq!(event["id"], done["event_id"]);

    // The event log shows it dispatched.
    let events = app.get("/api/v1/events?type=user.invited").bearer(&owner).send().await.json();
    assert_eq!(events["items"][0]["state"], "dispatched");
    assert_eq!(events["items"][0]["id"], event["id"]);
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_gets_a_failed_delivery_in_the_end() {
    let app = TestApp::builder()
        .config(|c| {
            fast_retries(c);
            c.webhooks.give_up_after_secs = 1;
        })
        .background()
        .build()
        .await;
    let owner = company(&app, "acme").await;
    let receiver = Receiver::start().await;
    receiver.status.store(503, Ordering::SeqCst);
    let hook = subscribe(&app, &owner, &receiver.url(), json!(["*"])).await;
    let hook_id = hook["id"].as_str().unwrap();
    invite(&app, &owner, "ravi@acme.example").await;
    let failed = wait_delivery(&app, &owner, hook_id, "failed").await;
    assert_eq!(failed["last_status"], 503);
    assert!(failed["attempts"].as_i64().unwrap() >= 2, "{failed}");
    assert!(failed["finished_at"].is_string());
    assert_eq!(receiver.hits().len() as i64, failed["attempts"].as_i64().unwrap());

    // Re-sending by hand makes a new delivery that succeeds once the
    // receiver is fixed.
    receiver.status.store(204, Ordering::SeqCst);
    let r = app
        .post(&format!(
            "/api/v1/webhooks/{hook_id}/deliveries/{}/resend",
            failed["id"].as_str().unwrap()
        ))
        .bearer(&owner)
        .send()
        .await;
    r.assert_status(202);
    let again = r.json();
    assert_eq!(again["resend_of"], failed["id"]);
    assert_eq!(again["event_id"], failed["event_id"]);
    let ok = wait_delivery(&app, &owner, hook_id, "succeeded").await;
    assert_eq!(ok["id"], again["id"]);
    assert_eq!(ok["last_status"], 204);
}

#[tokio::test]
async fn private_destinations_are_refused_unless_allowed() {
    let app = TestApp::builder()
        .config(|c| {
            fast_retries(c);
            c.webhooks.allow_private = false;
            c.webhooks.give_up_after_secs = 1;
        })
        .background()
        .build()
        .await;
    let owner = company(&app, "acme").await;
    let receiver = Receiver::start().await;
    for url in [
        receiver.url(),
        "http://localhost/hook".into(),
        "http://169.254.169.254/latest".into(),
        "http://[::1]:9/x".into(),
    ] {
        let r = app
            .post("/api/v1/webhooks")
            .bearer(&owner)
            .json(&json!({ "url": url, "event_types": ["*"] }))
            .send()
            .await;
        let p = r.assert_problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["field"], "url", "{url}: {p}");
    }
    let r = app
        .post("/api/v1/webhooks")
        .bearer(&owner)
        .json(&json!({ "url": "ftp://files.example.com/", "event_types": ["*"] }))
        .send()
        .await;
    r.assert_problem(422, "validation_failed");

    // A subscription that points inward anyway (saved before the rule, or
    // by a host name that resolves inward) is refused at delivery time.
    let hook = subscribe(&app, &owner, "https://hooks.example.com/in", json!(["*"])).await;
    let hook_id = hook["id"].as_str().unwrap();
    let mut su = app.db.superuser().await;
    sqlx::query("UPDATE webhook_subscriptions SET url = $1 WHERE id = $2::uuid")
        .bind(receiver.url())
        .bind(hook_id)
        .execute(&mut su)
        .await
        .unwrap();
    app.post(&format!("/api/v1/webhooks/{hook_id}/ping"))
        .bearer(&owner)
        .send()
        .await
        .assert_status(202);
    let failed = wait_delivery(&app, &owner, hook_id, "failed").await;
    assert!(failed["last_error"].as_str().unwrap().contains("private"), "{failed}");
    assert!(receiver.hits().is_empty(), "nothing may reach the private address");
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_for_a_while() {
    let app = TestApp::builder().config(fast_retries).background().build().await;
    let owner = company(&app, "acme").await;
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &owner, &receiver.url(), json!(["user.invited"])).await;
    let hook_id = hook["id"].as_str().unwrap();
    let old = hook["secret"].as_str().unwrap().to_string();

    let r =
        app.post(&format!("/api/v1/webhooks/{hook_id}/rotate-secret")).bearer(&owner).send().await;
    r.assert_status(200);
    let new = r.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    assert!(r.json()["previous_secret_expires_at"].is_string());

    app.post(&format!("/api/v1/webhooks/{hook_id}/ping"))
        .bearer(&owner)
        .send()
        .await
        .assert_status(202);
    wait_delivery(&app, &owner, hook_id, "succeeded").await;
    let (headers, body) = receiver.hits().pop().unwrap();
    assert_eq!(headers["x-tessera-event"], "webhook.ping");
    assert!(verify(&new, &headers, &body) && verify(&old, &headers, &body));
    let sig = headers["x-tessera-signature"].to_str().unwrap();
    assert_eq!(sig.matches("v1=").count(), 2, "{sig}");

    // The secret never appears again: not in reads, not in the audit trail.
    for path in [
        "/api/v1/webhooks".to_string(),
        format!("/api/v1/webhooks/{hook_id}"),
        "/api/v1/audit".into(),
    ] {
        let text = app.get(&path).bearer(&owner).send().await.text();
        assert!(!text.contains(&new) && !text.contains(&old), "{path} shows a secret");
    }
    let audit =
        app.get("/api/v1/audit?action=webhook.secret_rotated").bearer(&owner).send().await.json();
    assert_eq!(audit["items"][0]["changes"]["secret"], "[redacted]");
}

#[tokio::test]
async fn subscriptions_are_validated_paused_updated_and_deleted() {
    let app = TestApp::builder().config(fast_retries).background().build().await;
    let owner = company(&app, "acme").await;
    let receiver = Receiver::start().await;

    let r = app
        .post("/api/v1/webhooks")
        .bearer(&owner)
        .json(&json!({ "url": receiver.url(), "event_types": ["user.invited", "invoice.teleported"] }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "event_types[1]");
    let r = app
        .post("/api/v1/webhooks")
        .bearer(&owner)
        .json(&json!({ "url": receiver.url(), "event_types": [] }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "event_types");

    let types = app.get("/api/v1/event-types").bearer(&owner).send().await.json();
    assert!(types.as_array().unwrap().iter().any(|t| t["name"] == "user.invited"));

    let hook = subscribe(&app, &owner, &receiver.url(), json!(["user.*", "user.invited"])).await;
    let hook_id = hook["id"].as_str().unwrap();
    assert_eq!(hook["event_types"], json!(["user.*", "user.invited"]));
    assert!(hook["secret"].is_string());
    let got = app.get(&format!("/api/v1/webhooks/{hook_id}")).bearer(&owner).send().await.json();
    assert!(got.get("secret").is_none());

    // Paused: events make no deliveries.
    let r = app
        .patch(&format!("/api/v1/webhooks/{hook_id}"))
        .bearer(&owner)
        .json(&json!({ "active": false }))
        .send()
        .await;
    assert_eq!(r.json()["active"], false);
    invite(&app, &owner, "paused@acme.example").await;
    eventually(Duration::from_secs(10), "the event to be dispatched", || async {
        let e = app.get("/api/v1/events").bearer(&owner).send().await.json();
        (e["items"][0]["state"] == "dispatched").then_some(())
    })
    .await;
    assert!(deliveries(&app, &owner, hook_id).await.is_empty());

    // Resumed with a narrower pattern.
    let r = app
        .patch(&format!("/api/v1/webhooks/{hook_id}"))
        .bearer(&owner)
        .json(&json!({ "active": true, "event_types": ["api_key.*"] }))
        .send()
        .await;
    assert_eq!(r.json()["event_types"], json!(["api_key.*"]));
    invite(&app, &owner, "ignored@acme.example").await;
    app.post("/api/v1/api-keys")
        .bearer(&owner)
        .json(&json!({ "name": "bot", "permissions": ["tenant:read"] }))
        .send()
        .await
        .assert_status(201);
    let d = wait_delivery(&app, &owner, hook_id, "succeeded").await;
    assert_eq!(d["event_type"], "api_key.created");
    assert_eq!(deliveries(&app, &owner, hook_id).await.len(), 1);
    let filtered = app
        .get(&format!("/api/v1/webhooks/{hook_id}/deliveries?state=failed"))
        .bearer(&owner)
        .send()
        .await
        .json();
    assert!(filtered["items"].as_array().unwrap().is_empty());
    app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries?state=lost"))
        .bearer(&owner)
        .send()
        .await
        .assert_problem(400, "invalid_parameter");

    // Every change is audited.
    let audit = app.get("/api/v1/audit?resource_type=webhook").bearer(&owner).send().await.json();
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["webhook.updated", "webhook.updated", "webhook.created"]);

    app.delete(&format!("/api/v1/webhooks/{hook_id}"))
        .bearer(&owner)
        .send()
        .await
        .assert_status(204);
    app.get(&format!("/api/v1/webhooks/{hook_id}"))
        .bearer(&owner)
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn webhooks_and_jobs_need_their_permissions() {
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let key = app
        .post("/api/v1/api-keys")
        .bearer(&owner)
        .json(&json!({ "name": "reader", "permissions": ["webhooks:read"] }))
        .send()
        .await
        .json();
    let secret = key["secret"].as_str().unwrap();
    app.get("/api/v1/webhooks").bearer(secret).send().await.assert_status(200);
    let p = app
        .post("/api/v1/webhooks")
        .bearer(secret)
        .json(&json!({ "url": "https://example.com/h", "event_types": ["*"] }))
        .send()
        .await
        .assert_problem(403, "permission_denied");
    assert!(p["detail"].as_str().unwrap().contains("webhooks:write"), "{p}");
    app.get("/api/v1/jobs").bearer(secret).send().await.assert_problem(403, "permission_denied");
    app.get("/api/v1/jobs").send().await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn the_jobs_api_lists_cancels_and_retries() {
    // No workers: jobs stay where the API puts them.
    let app = TestApp::spawn().await;
    let owner = company(&app, "acme").await;
    let hook = subscribe(&app, &owner, "https://hooks.example.com/x", json!(["*"])).await;
    let hook_id = hook["id"].as_str().unwrap();
    app.post(&format!("/api/v1/webhooks/{hook_id}/ping"))
        .bearer(&owner)
        .send()
        .await
        .assert_status(202);

    let list = app
        .get("/api/v1/jobs?state=queued&kind=webhooks.deliver")
        .bearer(&owner)
        .send()
        .await
        .json();
    let job = &list["items"][0];
    assert_eq!(job["queue"], "webhooks");
    assert_eq!(job["attempts"], 0);
    let id = job["id"].as_str().unwrap();
    app.get("/api/v1/jobs?state=sleeping")
        .bearer(&owner)
        .send()
        .await
        .assert_problem(400, "invalid_parameter");

    let r = app.post(&format!("/api/v1/jobs/{id}/retry")).bearer(&owner).send().await;
    assert_eq!(
        r.assert_problem(409, "job_not_retryable")["detail"],
        "only dead or cancelled jobs can be retried; this one is queued"
    );
    let r = app.post(&format!("/api/v1/jobs/{id}/cancel")).bearer(&owner).send().await;
    r.assert_status(200);
    assert_eq!(r.json()["state"], "cancelled");
    app.post(&format!("/api/v1/jobs/{id}/cancel"))
        .bearer(&owner)
        .send()
        .await
        .assert_problem(409, "job_finished");
    let r = app.post(&format!("/api/v1/jobs/{id}/retry")).bearer(&owner).send().await;
    r.assert_status(200);
    assert_eq!(r.json()["state"], "queued");
    let one = app.get(&format!("/api/v1/jobs/{id}")).bearer(&owner).send().await.json();
    assert_eq!(one["state"], "queued");
    let audit = app.get("/api/v1/audit?resource_type=job").bearer(&owner).send().await.json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
    app.get(&format!("/api/v1/jobs/{}", uuid::Uuid::now_v7()))
        .bearer(&owner)
        .send()
        .await
        .assert_problem(404, "not_found");
}

/// Records the user events it sees; fails once on the second one.
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    failed_once: Arc<Mutex<bool>>,
}

impl jobs::Subscriber for Recorder {
    fn name(&self) -> &'static str {
        "test.recorder"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["user.invited"]
    }
    fn handle<'a>(
        &'a self,
        tx: &'a mut kernel::db::TenantTx,
        event: &'a jobs::Event,
        _: &'a kernel::AppState,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            // Runs in the event's tenant, inside the dispatch transaction.
            let (n,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM events").fetch_one(&mut **tx).await?;
            assert!(n > 0);
            let email = event.payload["email"].as_str().unwrap_or_default().to_string();
            if email.starts_with("u1@") {
                let mut f = self.failed_once.lock().unwrap();
                if !*f {
                    *f = true;
                    anyhow::bail!("not yet");
                }
            }
            self.seen.lock().unwrap().push(email);
            Ok(())
        })
    }
}

#[tokio::test]
async fn subscribers_get_each_tenants_events_in_order_even_after_a_failure() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let failed_once: Arc<Mutex<bool>> = Arc::default();
    let (s, f) = (seen.clone(), failed_once.clone());
    let app = TestApp::builder()
        .domain(move || {
            kernel::Domain::new("test", "A subscriber of this test")
                .subscriber(Recorder { seen: s.clone(), failed_once: f.clone() })
        })
        .build()
        .await;
    let owner = company(&app, "acme").await;
    for i in 0..5 {
        invite(&app, &owner, &format!("u{i}@acme.example")).await;
    }
    let bg = jobs::Background::start(&app.state);
    let got = eventually(Duration::from_secs(20), "five events handled", || async {
        let s = seen.lock().unwrap().clone();
        (s.len() == 5).then_some(s)
    })
    .await;
    assert_eq!(got, (0..5).map(|i| format!("u{i}@acme.example")).collect::<Vec<_>>());
    bg.shutdown(Duration::from_secs(1)).await;
    let events = app.get("/api/v1/events?type=user.invited").bearer(&owner).send().await.json();
    let retried = events["items"].as_array().unwrap().iter().find(|e| e["attempts"] == 2).unwrap();
    assert_eq!(retried["payload"]["email"], "u1@acme.example");
}

#[tokio::test]
async fn queue_metrics_are_exported() {
    let app = TestApp::builder().config(fast_retries).background().build().await;
    let owner = company(&app, "acme").await;
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &owner, &receiver.url(), json!(["*"])).await;
    app.post(&format!("/api/v1/webhooks/{}/ping", hook["id"].as_str().unwrap()))
        .bearer(&owner)
        .send()
        .await
        .assert_status(202);
    wait_delivery(&app, &owner, hook["id"].as_str().unwrap(), "succeeded").await;
    let text = eventually(Duration::from_secs(10), "job metrics", || async {
        let t = app.get("/metrics").send().await.text();
        t.contains("jobs_finished_total{").then_some(t)
    })
    .await;
    assert!(text.contains(r#"kind="webhooks.deliver""#), "{text}");
    assert!(text.contains("job_wait_seconds"));
    assert!(text.contains("webhook_attempts_total"));
}

#[tokio::test]
async fn deliveries_whose_job_ended_without_them_are_settled() {
    let mut app = TestApp::builder().config(fast_retries).background().build().await;
    let receiver = Receiver::start().await;
    receiver.status.store(503, Ordering::SeqCst);
    let mut hooks = Vec::new();
    for name in ["acme", "globex"] {
        let owner = company(&app, name).await;
        let hook = subscribe(&app, &owner, &receiver.url(), json!(["user.invited"])).await;
        invite(&app, &owner, &format!("ravi@{name}.example")).await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        eventually(Duration::from_secs(20), "a failed attempt", || async {
            deliveries(&app, &owner, &hook_id)
                .await
                .into_iter()
                .find(|d| d["attempts"].as_i64().is_some_and(|n| n >= 1))
        })
        .await;
        hooks.push((owner, hook_id));
    }
    // The workers stop between attempts: both deliveries wait for a retry.
    app.stop_background().await;

    // Acme's operator cancels the delivery's job.
    let (acme, acme_hook) = &hooks[0];
    let listed = app.get("/api/v1/jobs?kind=webhooks.deliver").bearer(acme).send().await.json();
    let job = listed["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let r = app.post(&format!("/api/v1/jobs/{job}/cancel")).bearer(acme).send().await;
    assert_eq!(r.json()["state"], "cancelled");
    // Globex's job was dead-lettered by the reaper (its worker stopped
    // during the last attempt), as `jobs_reap` leaves it.
    let mut su = app.db.superuser().await;
    sqlx::query(
        "UPDATE jobs SET state = 'dead', finished_at = now(), locked_until = NULL,
                last_error = 'the worker running it stopped (its lease expired during attempt 2)'
          WHERE kind = 'webhooks.deliver' AND state <> 'cancelled'",
    )
    .execute(&mut su)
    .await
    .unwrap();
    let (globex, globex_hook) = &hooks[1];
    assert_eq!(deliveries(&app, acme, acme_hook).await[0]["state"], "pending");
    assert_eq!(deliveries(&app, globex, globex_hook).await[0]["state"], "pending");

    // The hourly maintenance job settles both, each in its own tenant.
    jobs::NewJob::new(&jobs::maintenance::PruneJobs)
        .enqueue_system(app.state.db(), app.authority())
        .await
        .unwrap();
    let worker = jobs::Worker::start(
        app.state.clone(),
        app.authority().clone(),
        app.jobs().registry.clone(),
        jobs::WorkerOptions {
            queues: vec![("default".into(), 1)],
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(50),
        },
    );
    eventually(Duration::from_secs(20), "the deliveries to be settled", || async {
        (deliveries(&app, globex, globex_hook).await[0]["state"] != "pending").then_some(())
    })
    .await;
    worker.shutdown(Duration::from_secs(5)).await;
    let mut conn = app.authority().worker_pool().acquire().await.unwrap();
    assert_eq!(jobs::repo::webhooks::settle_orphaned_deliveries(&mut conn).await.unwrap(), 0);
    let a = &deliveries(&app, acme, acme_hook).await[0];
    assert_eq!(a["state"], "cancelled", "{a}");
    assert_eq!(a["last_error"], "the delivery job was cancelled");
    assert!(a["finished_at"].is_string());
    let g = &deliveries(&app, globex, globex_hook).await[0];
    assert_eq!(g["state"], "failed", "{g}");
    assert_eq!(
        g["last_error"],
        "the worker running it stopped (its lease expired during attempt 2)"
    );
    assert!(g["attempts"].as_i64().unwrap() >= 1, "{g}");
}
