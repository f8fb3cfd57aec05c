//! Requests as clients make them: retried after a crash with the same
//! `Idempotency-Key`, and arriving through a load balancer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use identity::Caller;
use identity::audit::Changes;
use kernel::{ApiError, ApiResult, AppState};
use serde_json::json;
use testkit::TestApp;

const PASSWORD: &str = "velvet-orbit-canyon-42";

/// A creating route that commits its work, then — when asked — stops as a
/// crashed process would (it never answers), or fails after committing.
fn routes(runs: Arc<AtomicU64>) -> Router<AppState> {
    Router::new().route(
        "/test/orders",
        post(move |State(state): State<AppState>, caller: Caller, headers: HeaderMap| {
            let runs = runs.clone();
            async move {
                let mode = headers.get("x-test").and_then(|v| v.to_str().ok()).unwrap_or("");
                if mode == "crash-before-commit" {
                    std::future::pending::<()>().await;
                }
                let mut tx = caller.tx(state.db()).await?;
                caller.audit(&mut tx, "order.placed", "order", None, Changes::new());
                tx.commit().await?;
                let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                match mode {
                    "crash-after-commit" => std::future::pending::<()>().await,
                    "fail-after-commit" => {
                        return Err(ApiError::internal(anyhow::anyhow!("the response failed")));
                    }
                    _ => {}
                }
                ApiResult::Ok((http::StatusCode::CREATED, kernel::extract::Json(json!({ "n": n }))))
            }
        }),
    )
}

async fn app(runs: Arc<AtomicU64>) -> (TestApp, String) {
    let app = TestApp::builder()
        .config(|c| c.http.idempotency_lease_secs = 1)
        .routes(routes(runs))
        .build()
        .await;
    let s = app
        .post("/api/v1/auth/signup")
        .json(
            &json!({ "company_name": "Orders", "email": "o@orders.example", "password": PASSWORD }),
        )
        .send()
        .await
        .json();
    (app, s["access_token"].as_str().unwrap().to_string())
}

async fn order(app: &TestApp, token: &str, key: &str, mode: &str) -> testkit::TestResponse {
    app.post("/test/orders")
        .bearer(token)
        .header("idempotency-key", key)
        .header("x-test", mode)
        .json(&json!({ "sku": "A-1" }))
        .send()
        .await
}

/// The process dies (the request's future is dropped, as when the process
/// is killed) after the handler's transaction committed and before the
/// response was stored.
async fn crash(app: &TestApp, token: &str, key: &str, mode: &str) {
    let sent = tokio::time::timeout(Duration::from_millis(500), order(app, token, key, mode)).await;
    assert!(sent.is_err(), "the crashing request answered");
}

async fn audited_orders(app: &TestApp, token: &str) -> usize {
    let audit = app.get("/api/v1/audit?action=order.placed").bearer(token).send().await.json();
    audit["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_request_that_committed_before_a_crash_is_not_run_again() {
    let runs = Arc::new(AtomicU64::new(0));
    let (app, token) = app(runs.clone()).await;
    crash(&app, &token, "order-1", "crash-after-commit").await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(audited_orders(&app, &token).await, 1, "the work committed");

    // While the claim's lease runs, a retry is told to wait.
    let r = order(&app, &token, "order-1", "").await;
    r.assert_problem(409, "idempotency_request_in_progress");
    // After it, the retry is not run again: the work committed.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = order(&app, &token, "order-1", "").await;
    let p = r.assert_problem(409, "idempotent_request_completed");
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the order was not placed twice");
    assert_eq!(audited_orders(&app, &token).await, 1);
    // A new key is a new request.
    order(&app, &token, "order-2", "").await.assert_status(201);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_request_that_crashed_before_committing_runs_again() {
    let runs = Arc::new(AtomicU64::new(0));
    let (app, token) = app(runs.clone()).await;
    crash(&app, &token, "order-1", "crash-before-commit").await;
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = order(&app, &token, "order-1", "").await;
    assert_eq!(r.assert_status(201).json()["n"], 1);
    // And then it is replayed, not run a third time.
    let r = order(&app, &token, "order-1", "").await;
    r.assert_status(201);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_server_error_after_the_commit_is_not_retried_into_a_second_run() {
    let runs = Arc::new(AtomicU64::new(0));
    let (app, token) = app(runs.clone()).await;
    order(&app, &token, "order-1", "fail-after-commit").await.assert_problem(500, "internal_error");
    // No need to wait for the lease: the claim ended with the failure.
    order(&app, &token, "order-1", "").await.assert_problem(409, "idempotent_request_completed");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// Fails a sign-in as a client behind the balancer (`via` names it).
async fn fail_login(app: &TestApp, email: &str, via: &str) -> u16 {
    app.post("/api/v1/auth/login")
        .header("x-forwarded-for", via)
        .json(&json!({ "email": email, "password": "not the password at all" }))
        .send()
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_an_untrusted_peer_forwarded_addresses_are_ignored() {
    let app = TestApp::spawn().await;
    // Every attempt seems to come from another client, but the peer is
    // not a trusted proxy: they all count against 127.0.0.1.
    let mut statuses = Vec::new();
    for i in 0..21 {
        statuses
            .push(fail_login(&app, &format!("u{i}@x.example"), &format!("198.51.100.{i}")).await);
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429, "the peer's address is locked after 20 failures");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_counted_on_its_own() {
    let app = TestApp::builder()
        .config(|c| c.http.trusted_proxies = vec!["127.0.0.0/8".into()])
        .build()
        .await;
    for i in 0..21 {
        let s = fail_login(&app, &format!("u{i}@x.example"), &format!("198.51.100.{i}")).await;
        assert_eq!(s, 401, "attempt {i}: one client's failures do not lock out the others");
    }
    // One client failing 21 times is still locked out, by its own address.
    let mut last = 0;
    for i in 0..21 {
        last = fail_login(&app, &format!("v{i}@x.example"), "203.0.113.5").await;
    }
    assert_eq!(last, 429);

    // The audit trail and anonymous idempotency keys see the client.
    let s = app
        .post("/api/v1/auth/signup")
        .header("x-forwarded-for", "6.6.6.6, 198.51.100.77")
        .json(
            &json!({ "company_name": "Behind", "email": "o@behind.example", "password": PASSWORD }),
        )
        .send()
        .await
        .json();
    let token = s["access_token"].as_str().unwrap();
    let audit = app.get("/api/v1/audit?action=tenant.created").bearer(token).send().await.json();
    assert_eq!(audit["items"][0]["ip"], "198.51.100.77", "{audit}");
    let reset = |via: &'static str| {
        app.post("/api/v1/auth/password/reset-request")
            .header("x-forwarded-for", via)
            .header("idempotency-key", "same-key")
            .json(&json!({ "email": "o@behind.example" }))
            .send()
    };
    assert_eq!(reset("198.51.100.1").await.header("idempotent-replayed"), None);
    assert_eq!(reset("198.51.100.2").await.header("idempotent-replayed"), None, "another client");
    assert_eq!(reset("198.51.100.2").await.header("idempotent-replayed"), Some("true"));
}

#[test]
fn a_bad_trusted_proxy_is_a_configuration_error() {
    let s = kernel::config::Sources {
        env: vec![("TESSERA_HTTP__TRUSTED_PROXIES".into(), "10.0.0.0/8, proxy.local".into())],
        ..Default::default()
    };
    let e = kernel::Config::load(&s).unwrap_err().to_string();
    assert!(e.contains("trusted_proxies") && e.contains("proxy.local"), "{e}");
}
