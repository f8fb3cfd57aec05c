//! Operator commands against a running server: audit verification,
//! signing-key rotation, and the job queue (with a separate `tessera
//! worker` process running the jobs).

use crate::common;

use std::time::Duration;

use common::{Server, data_dir, owner_conn, run, tessera, wait_for};
use serde_json::{Value, json};

async fn post(url: &str, token: Option<&str>, body: Value) -> Value {
    let mut r = testkit::http().post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.unwrap()
}

fn kid(token: &str) -> String {
    let h: Value = serde_json::from_slice(
        &kernel::crypto::from_b64url(token.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    h["kid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn audit_verify_and_key_rotation() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    let s = post(
        &format!("{}/api/v1/auth/signup", server.url),
        None,
        json!({ "company_name": "Acme", "email": "asha@example.com", "password": "velvet-orbit-canyon-42" }),
    )
    .await;
    let token = s["access_token"].as_str().unwrap().to_string();
    for i in 0..3 {
        post(
            &format!("{}/api/v1/roles", server.url),
            Some(&token),
            json!({ "name": format!("R{i}"), "permissions": ["tenant:read"] }),
        )
        .await;
    }

    let mut cmd = tessera(dir.path());
    cmd.args(["audit", "verify", "--data-dir"]).arg(dir.path());
    let out = run(cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("✓ acme") && text.contains("4 rows, chain intact"), "{text}");

    // Someone with database access edits a row.
    let mut owner = owner_conn(dir.path()).await;
    sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
        .bind(s["tenant"]["id"].as_str().unwrap())
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor_id = NULL WHERE seq = 2")
        .execute(&mut owner)
        .await
        .unwrap();
    let mut cmd = tessera(dir.path());
    cmd.args(["audit", "verify", "--tenant", "acme", "--data-dir"]).arg(dir.path());
    let out = run(cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("broken at row 2") && text.contains("changed"), "{text}");
    let mut cmd = tessera(dir.path());
    cmd.args(["audit", "verify", "--tenant", "nowhere", "--data-dir"]).arg(dir.path());
    assert!(String::from_utf8_lossy(&run(cmd).stderr).contains("no tenant"));

    // Rotate the signing key while the server runs: old tokens still work,
    // new ones carry the new key.
    let old_kid = kid(&token);
    let mut cmd = tessera(dir.path());
    cmd.args(["keys", "rotate", "--data-dir"]).arg(dir.path());
    let out = run(cmd);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let me = testkit::http()
        .get(format!("{}/api/v1/me", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let url = server.url.clone();
    let mut new_kid = String::new();
    wait_for(Duration::from_secs(10), "the server to sign with the new key", async || {
        let s = post(
            &format!("{url}/api/v1/auth/login"),
            None,
            json!({ "email": "asha@example.com", "password": "velvet-orbit-canyon-42" }),
        )
        .await;
        new_kid = kid(s["access_token"].as_str().unwrap());
        new_kid != old_kid
    })
    .await;
    let jwks: Value = testkit::http()
        .get(format!("{}/.well-known/jwks.json", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    server.stop();
}

/// A loopback receiver that counts webhook deliveries.
async fn receiver() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let h = h.clone();
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

#[tokio::test]
async fn a_separate_worker_process_runs_the_jobs_and_operators_see_them() {
    let dir = data_dir();
    // The server runs no workers; a `tessera worker` process does.
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    cmd.env("TESSERA_JOBS__ENABLED", "false").env("TESSERA_WEBHOOKS__ALLOW_PRIVATE", "true");
    let server = Server::start(cmd);
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    cmd.env("TESSERA_WEBHOOKS__ALLOW_PRIVATE", "true").env("TESSERA_JOBS__POLL_INTERVAL_MS", "200");
    let worker = Server::start_worker(cmd);

    let s = post(
        &format!("{}/api/v1/auth/signup", server.url),
        None,
        json!({ "company_name": "Acme", "email": "asha@example.com", "password": "velvet-orbit-canyon-42" }),
    )
    .await;
    let token = s["access_token"].as_str().unwrap().to_string();
    let (url, hits) = receiver().await;
    let hook = post(
        &format!("{}/api/v1/webhooks", server.url),
        Some(&token),
        json!({ "url": url, "event_types": ["*"] }),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap();
    post(&format!("{}/api/v1/webhooks/{hook_id}/ping", server.url), Some(&token), json!({})).await;
    wait_for(Duration::from_secs(20), "the worker process to deliver", async || {
        hits.load(std::sync::atomic::Ordering::SeqCst) == 1
    })
    .await;

    // A delivery to a closed port stays queued for retries.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let hook = post(
        &format!("{}/api/v1/webhooks", server.url),
        Some(&token),
        json!({ "url": format!("http://{closed}/gone"), "event_types": ["*"] }),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap();
    post(&format!("{}/api/v1/webhooks/{hook_id}/ping", server.url), Some(&token), json!({})).await;
    let mut owner = owner_conn(dir.path()).await;
    let mut failing = uuid::Uuid::nil();
    wait_for(Duration::from_secs(20), "a failed attempt", async || {
        let row: Option<(uuid::Uuid,)> = sqlx::query_as(
            "SELECT id FROM jobs WHERE state = 'queued' AND attempts >= 1 AND kind = 'webhooks.deliver'",
        )
        .fetch_optional(&mut owner)
        .await
        .unwrap();
        row.map(|r| failing = r.0).is_some()
    })
    .await;

    let jobs_cmd = |args: &[&str]| {
        let mut cmd = tessera(dir.path());
        cmd.arg("jobs").args(args).arg("--data-dir").arg(dir.path());
        let out = run(cmd);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, text) = jobs_cmd(&["stats"]);
    assert!(ok && text.contains("webhooks") && text.contains("queued"), "{text}");
    let (ok, text) = jobs_cmd(&["list", "--tenant", "acme", "--queue", "webhooks"]);
    assert!(ok && text.contains("succeeded") && text.contains(&failing.to_string()), "{text}");
    assert!(text.contains("cannot connect"), "the last error is shown: {text}");
    let (ok, text) = jobs_cmd(&["cancel", &failing.to_string()]);
    assert!(ok, "{text}");
    let (ok, text) = jobs_cmd(&["list", "--state", "cancelled"]);
    assert!(ok && text.contains(&failing.to_string()), "{text}");
    let (ok, text) = jobs_cmd(&["retry", &failing.to_string()]);
    assert!(ok && text.contains("queued again"), "{text}");
    let (ok, text) = jobs_cmd(&["retry", "not-a-uuid"]);
    assert!(!ok && text.contains("not a job id"), "{text}");

    worker.stop();
    server.stop();
}
