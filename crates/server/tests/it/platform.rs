//! The HTTP platform every route shares: errors, request ids, limits,
//! metrics, OpenAPI, idempotency, pagination, timeouts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use kernel::extract::{Json, Path};
use kernel::pagination::PageRequest;
use kernel::{ApiError, ApiResult, AppState};
use serde::Deserialize;
use serde_json::{Value, json};
use testkit::TestApp;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct NewItem {
    name: String,
    quantity: u32,
    tags: Option<Vec<String>>,
}

/// Routes that exercise kernel helpers the way domain routes use them.
fn test_routes(counter: Arc<AtomicU64>) -> Router<AppState> {
    let c2 = counter.clone();
    Router::new()
        .route(
            "/test/items",
            post(move |Json(item): Json<NewItem>| {
                let counter = counter.clone();
                async move {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    (http::StatusCode::CREATED, Json(json!({ "n": n, "name": item.name })))
                }
            }),
        )
        .route(
            "/test/flaky",
            post(move || {
                let c = c2.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(ApiError::internal(anyhow::anyhow!("boom")))
                }
            }),
        )
        .route(
            "/test/numbers",
            get(|page: PageRequest| async move {
                let after: Option<u32> = page.after()?;
                let rows: Vec<u32> = (1..=25)
                    .filter(|x| after.is_none_or(|a| *x > a))
                    .take(page.fetch() as usize)
                    .collect();
                ApiResult::Ok(Json(page.page(rows, |x| *x)))
            }),
        )
        .route(
            "/test/items/{id}",
            get(|Path(id): Path<uuid::Uuid>| async move { Json(json!({ "id": id })) }),
        )
        .route(
            "/test/panic",
            get(|| async {
                if std::env::var("NEVER_SET_X").is_err() {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        )
        .route(
            "/test/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "late"
            }),
        )
}

async fn app_with_counter() -> (TestApp, Arc<AtomicU64>) {
    let counter = Arc::new(AtomicU64::new(0));
    let app = TestApp::builder()
        .config(|c| {
            c.http.body_limit = kernel::config::ByteSize(1024);
            c.http.request_timeout_secs = 1;
            c.http.cors_origins = vec!["https://console.example".into()];
        })
        .routes(test_routes(counter.clone()))
        .build()
        .await;
    (app, counter)
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let r = app.get("/healthz").send().await;
    r.assert_status(200);
    assert_eq!(r.json(), json!({ "status": "ok" }));
    let id = r.header("x-request-id").expect("request id generated");
    assert_eq!(id.len(), 32);

    let r = app.get("/readyz").send().await;
    r.assert_status(200);
    assert_eq!(r.json()["checks"], json!({ "database": "ok", "migrations": "ok" }));
}

#[tokio::test]
async fn request_id_is_echoed_and_in_problems() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/nowhere").header("x-request-id", "abc-123").send().await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    let p = r.assert_problem(404, "not_found");
    assert_eq!(p["request_id"], "abc-123");
    assert_eq!(p["type"], "urn:tessera:problem:not_found");
    // An unusable id is replaced, not echoed.
    let r = app.get("/healthz").header("x-request-id", "<script>").send().await;
    assert_ne!(r.header("x-request-id"), Some("<script>"));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/nothing-here").send().await.assert_problem(404, "not_found");
    let r = app.delete("/healthz").send().await;
    r.assert_problem(405, "method_not_allowed");
    assert!(r.header("allow").unwrap_or_default().contains("GET"));
}

#[tokio::test]
async fn malformed_bodies_are_4xx_problems_naming_the_field() {
    let (app, counter) = app_with_counter().await;

    let r = app.post("/test/items").raw("application/json", "{\"name\": ").send().await;
    r.assert_problem(400, "malformed_json");

    let r = app.post("/test/items").raw("application/json", "").send().await;
    r.assert_problem(400, "malformed_json");

    let r = app.post("/test/items").json(&json!({ "name": "a", "quantity": "three" })).send().await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "quantity");

    let r = app
        .post("/test/items")
        .json(&json!({ "name": "a", "quantity": 1, "tags": [1] }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "tags[0]");

    let r = app
        .post("/test/items")
        .json(&json!({ "name": "a", "quantity": 1, "colour": "red" }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "colour");

    let r = app.post("/test/items").json(&json!({ "quantity": 1 })).send().await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "name");

    let r = app.post("/test/items").json(&json!({ "name": "a", "quantity": -1 })).send().await;
    r.assert_problem(422, "validation_failed");

    let r = app.post("/test/items").raw("text/plain", "name=a").send().await;
    r.assert_problem(415, "unsupported_media_type");

    let big = json!({ "name": "x".repeat(4000), "quantity": 1 });
    let r = app.post("/test/items").json(&big).send().await;
    r.assert_problem(413, "payload_too_large");

    let r = app.get("/test/items/not-a-uuid").send().await;
    let p = r.assert_problem(400, "invalid_path_parameter");
    assert_eq!(p["errors"][0]["field"], "id");

    assert_eq!(counter.load(Ordering::SeqCst), 0, "no invalid request reached the handler");
    app.post("/test/items")
        .json(&json!({ "name": "ok", "quantity": 1 }))
        .send()
        .await
        .assert_status(201);
}

#[tokio::test]
async fn idempotent_replay() {
    let (app, counter) = app_with_counter().await;
    let body = json!({ "name": "widget", "quantity": 2 });

    let first = app.post("/test/items").header("idempotency-key", "k-1").json(&body).send().await;
    first.assert_status(201);
    assert_eq!(first.json()["n"], 1);
    assert_eq!(first.header("idempotent-replayed"), None);

    let again = app.post("/test/items").header("idempotency-key", "k-1").json(&body).send().await;
    again.assert_status(201);
    assert_eq!(again.json(), first.json());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(counter.load(Ordering::SeqCst), 1, "the handler ran once");

    let other = json!({ "name": "gadget", "quantity": 2 });
    let r = app.post("/test/items").header("idempotency-key", "k-1").json(&other).send().await;
    let p = r.assert_problem(422, "idempotency_key_reused");
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key");

    // A new key runs again; no key runs every time.
    app.post("/test/items")
        .header("idempotency-key", "k-2")
        .json(&body)
        .send()
        .await
        .assert_status(201);
    app.post("/test/items").json(&body).send().await.assert_status(201);
    app.post("/test/items").json(&body).send().await.assert_status(201);
    assert_eq!(counter.load(Ordering::SeqCst), 4);

    // Client errors are stored too: the same bad request gets the same answer.
    let bad = json!({ "name": "widget" });
    app.post("/test/items")
        .header("idempotency-key", "k-3")
        .json(&bad)
        .send()
        .await
        .assert_status(422);
    let r = app.post("/test/items").header("idempotency-key", "k-3").json(&bad).send().await;
    r.assert_status(422);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));

    let r = app.post("/test/items").header("idempotency-key", "").json(&body).send().await;
    r.assert_problem(400, "invalid_idempotency_key");
}

#[tokio::test]
async fn idempotency_does_not_store_server_errors() {
    let (app, counter) = app_with_counter().await;
    for _ in 0..2 {
        let r = app
            .post("/test/flaky")
            .header("idempotency-key", "retry-me")
            .json(&json!({}))
            .send()
            .await;
        r.assert_problem(500, "internal_error");
    }
    assert_eq!(counter.load(Ordering::SeqCst), 2, "a 5xx releases the key so a retry runs");
}

#[tokio::test]
async fn idempotency_keys_are_scoped_per_client() {
    let (mut app, counter) = app_with_counter().await;
    let body = json!({ "name": "widget", "quantity": 2 });
    app.post("/test/items")
        .header("idempotency-key", "shared")
        .json(&body)
        .send()
        .await
        .assert_status(201);
    app.set_peer("10.1.2.3:5555".parse().unwrap());
    let r = app.post("/test/items").header("idempotency-key", "shared").json(&body).send().await;
    r.assert_status(201);
    assert_eq!(r.header("idempotent-replayed"), None, "another client's key is not replayed");
    assert_eq!(counter.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn cursor_pagination() {
    let (app, _) = app_with_counter().await;
    let mut seen = Vec::new();
    let mut url = "/test/numbers?limit=10".to_string();
    let mut pages = 0;
    loop {
        let r = app.get(&url).send().await;
        r.assert_status(200);
        let v = r.json();
        pages += 1;
        seen.extend(v["items"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()));
        match v["next_cursor"].as_str() {
            Some(c) => url = format!("/test/numbers?limit=10&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (1..=25).collect::<Vec<u64>>());

    let v = app.get("/test/numbers?limit=200").send().await.json();
    assert_eq!(v["items"].as_array().unwrap().len(), 25);
    app.get("/test/numbers?limit=201").send().await.assert_problem(400, "invalid_parameter");
    let p = app.get("/test/numbers?limit=0").send().await.assert_problem(400, "invalid_parameter");
    assert_eq!(p["errors"][0]["field"], "limit");
    let p =
        app.get("/test/numbers?cursor=garbage").send().await.assert_problem(400, "invalid_cursor");
    assert_eq!(p["errors"][0]["field"], "cursor");
}

#[tokio::test]
async fn panics_and_timeouts_are_problems() {
    let (app, _) = app_with_counter().await;
    app.get("/test/panic").send().await.assert_problem(500, "internal_error");
    app.get("/test/slow").send().await.assert_problem(503, "request_timeout");
}

#[tokio::test]
async fn metrics_are_labelled_by_route_template() {
    let (app, _) = app_with_counter().await;
    let id = uuid::Uuid::now_v7();
    app.get(&format!("/test/items/{id}")).send().await.assert_status(200);
    app.get("/healthz").send().await.assert_status(200);
    let r = app.get("/metrics").send().await;
    r.assert_status(200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let text = r.text();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/test/items/{id}",status="200"}"#),
        "{text}"
    );
    assert!(!text.contains(&id.to_string()), "ids never become labels");
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains(r#"db_pool_connections{pool="tenant",state="idle"}"#), "{text}");
    assert!(text.contains("tessera_build_info"), "{text}");
}

#[tokio::test]
async fn openapi_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/openapi.json").send().await;
    r.assert_status(200);
    let doc: Value = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/readyz"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    let r = app.get("/api/docs/").send().await;
    r.assert_status(200);
    let html = r.text();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "the docs page loads nothing from a CDN"
    );
    let js = app.get("/api/docs/swagger-ui-bundle.js").send().await;
    js.assert_status(200);
    assert!(js.bytes().len() > 100_000);
}

#[tokio::test]
async fn gzip_and_cors() {
    let (app, _) = app_with_counter().await;
    let r = app.get("/api/openapi.json").header("accept-encoding", "gzip").send().await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));

    let r = app
        .request(http::Method::OPTIONS, "/test/items")
        .header("origin", "https://console.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,idempotency-key")
        .send()
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("https://console.example"));
    let r = app.get("/healthz").header("origin", "https://evil.example").send().await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}
