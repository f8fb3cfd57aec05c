//! The audit trail: every mutation, append-only, hash-chained.

use crate::common;

use common::{add_member, signup, token};
use identity::model::TenantId;
use serde_json::{Value, json};
use testkit::TestApp;

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_mutation_is_audited_with_its_request() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let o = token(&s);
    let m = add_member(&app, &o, "ravi@example.com", &["member"]).await;
    let mid = m["user"]["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/users/{mid}"))
        .bearer(&o)
        .header("x-request-id", "req-roles-1")
        .header("user-agent", "audit-test/1.0")
        .json(&json!({ "roles": ["sales"] }))
        .send()
        .await
        .assert_status(200);
    let role = app
        .post("/api/v1/roles")
        .bearer(&o)
        .json(&json!({ "name": "Auditor", "permissions": ["audit:read"] }))
        .send()
        .await
        .json();
    let key = app
        .post("/api/v1/api-keys")
        .bearer(&o)
        .json(&json!({ "name": "bot", "permissions": ["tenant:read"] }))
        .send()
        .await
        .json();
    app.delete(&format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap()))
        .bearer(&o)
        .send()
        .await
        .assert_status(204);
    app.patch("/api/v1/tenant")
        .bearer(&o)
        .json(&json!({ "name": "Acme India" }))
        .send()
        .await
        .assert_status(200);
    app.post(&format!("/api/v1/users/{mid}/deactivate")).bearer(&o).send().await.assert_status(200);
    app.post("/api/v1/auth/password")
        .bearer(&o)
        .json(&json!({ "current_password": common::PASSWORD, "new_password": "quartz-meadow-lantern-77" }))
        .send()
        .await
        .assert_status(200);
    let o = token(
        &app.post("/api/v1/auth/login")
            .json(&json!({ "email": "asha@example.com", "password": "quartz-meadow-lantern-77" }))
            .send()
            .await
            .json(),
    );

    let page = app.get("/api/v1/audit?limit=200").bearer(&o).send().await.json();
    let got = actions(&page);
    for expected in [
        "tenant.created",
        "user.invited",
        "invitation.accepted",
        "user.roles_changed",
        "role.created",
        "api_key.created",
        "api_key.revoked",
        "tenant.updated",
        "user.deactivated",
        "auth.password_changed",
        "auth.login",
    ] {
        assert!(got.contains(&expected.to_string()), "missing {expected} in {got:?}");
    }
    // Newest first, numbered without gaps.
    let seqs: Vec<i64> =
        page["items"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] == w[1] + 1), "{seqs:?}");
    assert_eq!(*seqs.last().unwrap(), 1);

    let roles = app
        .get(&format!("/api/v1/audit?action=user.roles_changed&resource_id={mid}"))
        .bearer(&o)
        .send()
        .await
        .json();
    let e = &roles["items"][0];
    assert_eq!(e["actor_type"], "user");
    assert_eq!(e["actor_id"], s["user"]["id"]);
    assert_eq!(e["request_id"], "req-roles-1");
    assert_eq!(e["user_agent"], "audit-test/1.0");
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["changes"]["roles"], json!({ "from": ["Member"], "to": ["Sales"] }));
    assert_eq!(e["hash"].as_str().unwrap().len(), 64);

    // Secrets are never recorded.
    let all = app.get("/api/v1/audit?limit=200").bearer(&o).send().await;
    assert!(
        !all.text().contains("quartz-meadow")
            && !all.text().contains(key["secret"].as_str().unwrap())
    );
    let pw = app.get("/api/v1/audit?action=auth.password_changed").bearer(&o).send().await.json();
    assert_eq!(pw["items"][0]["changes"]["password"], "[redacted]");
    let created = app
        .get(&format!("/api/v1/audit?resource_id={}", role["id"].as_str().unwrap()))
        .bearer(&o)
        .send()
        .await
        .json();
    assert_eq!(actions(&created), vec!["role.created"]);

    // Filters and pages.
    let first = app.get("/api/v1/audit?limit=3").bearer(&o).send().await.json();
    let next = first["next_cursor"].as_str().unwrap();
    let second =
        app.get(&format!("/api/v1/audit?limit=3&cursor={next}")).bearer(&o).send().await.json();
    assert_eq!(
        second["items"][0]["seq"].as_i64().unwrap(),
        first["items"][2]["seq"].as_i64().unwrap() - 1
    );
    let by_actor = app.get(&format!("/api/v1/audit?actor_id={mid}")).bearer(&o).send().await.json();
    assert!(
        actions(&by_actor).iter().all(|a| a == "invitation.accepted" || a.starts_with("auth."))
    );
    let later = app.get("/api/v1/audit?since=2999-01-01T00:00:00Z").bearer(&o).send().await.json();
    assert!(later["items"].as_array().unwrap().is_empty());
    app.get("/api/v1/audit?since=yesterday")
        .bearer(&o)
        .send()
        .await
        .assert_problem(400, "invalid_parameter");
}

#[tokio::test]
async fn the_application_role_cannot_change_the_audit_trail() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let tenant = s["tenant"]["id"].as_str().unwrap();
    let mut conn = app.db.app().await;
    sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
        .bind(tenant)
        .execute(&mut conn)
        .await
        .unwrap();
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM audit_log").fetch_one(&mut conn).await.unwrap();
    assert!(n >= 1);
    for sql in
        ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
    {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("permission denied"), "{sql}: {err}");
    }
    // Partitions are out of reach: only the parent, under its policies.
    let (part,): (String,) = sqlx::query_as(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'audit_log'::regclass LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let err = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {part}")))
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

async fn verify(app: &TestApp, tenant: TenantId) -> identity::audit::Verification {
    let mut tx = app.state.db().tenant(&app.access(tenant)).await.unwrap();
    let v = identity::audit::verify(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    v
}

async fn owner_in(app: &TestApp, tenant: TenantId) -> sqlx::PgConnection {
    let mut c = app.db.owner().await;
    sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
        .bind(tenant.to_string())
        .execute(&mut c)
        .await
        .unwrap();
    c
}

#[tokio::test]
async fn verification_finds_edited_and_deleted_rows() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let o = token(&s);
    for i in 0..4 {
        app.post("/api/v1/roles")
            .bearer(&o)
            .json(&json!({ "name": format!("R{i}"), "permissions": ["tenant:read"] }))
            .send()
            .await
            .assert_status(201);
    }
    let tenant: TenantId = testkit::tenant_of(&s);
    let v = verify(&app, tenant).await;
    assert_eq!(v.rows, 5);
    assert_eq!(v.broken, None);
    // Another tenant's chain is separate.
    let other = signup(&app, "Beta", "b@example.com").await;
    let other_id: TenantId = testkit::tenant_of(&other);
    assert_eq!(verify(&app, other_id).await.rows, 1);

    // Edited, as the schema owner.
    let mut owner = owner_in(&app, tenant).await;
    sqlx::query("UPDATE audit_log SET changes = '{\"name\":\"R9\"}' WHERE seq = 3")
        .execute(&mut owner)
        .await
        .unwrap();
    let v = verify(&app, tenant).await;
    let b = v.broken.unwrap();
    assert_eq!(b.seq, 3);
    assert!(b.reason.contains("changed"), "{}", b.reason);
    assert_eq!(verify(&app, other_id).await.broken, None, "other tenants are unaffected");

    // Deleted, in a fresh company.
    let c = signup(&app, "Gamma", "c@example.com").await;
    let ct = token(&c);
    for i in 0..3 {
        app.post("/api/v1/roles")
            .bearer(&ct)
            .json(&json!({ "name": format!("R{i}"), "permissions": ["tenant:read"] }))
            .send()
            .await;
    }
    let gamma: TenantId = testkit::tenant_of(&c);
    let mut owner = owner_in(&app, gamma).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(&mut owner).await.unwrap();
    let b = verify(&app, gamma).await.broken.unwrap();
    assert_eq!(b.seq, 2);
    assert!(b.reason.contains("missing"), "{}", b.reason);

    // The newest row removed: caught by the chain's head.
    let d = signup(&app, "Delta", "d@example.com").await;
    app.post("/api/v1/roles")
        .bearer(&token(&d))
        .json(&json!({ "name": "X", "permissions": ["tenant:read"] }))
        .send()
        .await;
    let delta: TenantId = testkit::tenant_of(&d);
    let mut owner = owner_in(&app, delta).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
        .execute(&mut owner)
        .await
        .unwrap();
    let b = verify(&app, delta).await.broken.unwrap();
    assert!(b.reason.contains("missing"), "{}", b.reason);
}

#[tokio::test]
async fn concurrent_mutations_keep_one_chain() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let o = token(&s);
    let futures: Vec<_> = (0..12)
        .map(|i| {
            let app = &app;
            let o = o.clone();
            async move {
                app.post("/api/v1/roles")
                    .bearer(&o)
                    .json(&json!({ "name": format!("C{i}"), "permissions": ["tenant:read"] }))
                    .send()
                    .await
                    .status()
            }
        })
        .collect();
    for st in futures::future::join_all(futures).await {
        assert_eq!(st, 201);
    }
    let tenant: TenantId = testkit::tenant_of(&s);
    let v = verify(&app, tenant).await;
    assert_eq!(v.rows, 13);
    assert_eq!(v.broken, None);
}

#[tokio::test]
async fn retention_drops_old_partitions_and_the_chain_still_verifies() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let o = token(&s);
    for i in 0..3 {
        app.post("/api/v1/roles")
            .bearer(&o)
            .json(&json!({ "name": format!("R{i}"), "permissions": ["tenant:read"] }))
            .send()
            .await
            .assert_status(201);
    }
    let tenant: TenantId = testkit::tenant_of(&s);
    assert_eq!(verify(&app, tenant).await.rows, 4);

    // Pretend the first two entries were written in January 2015.
    let mut owner = owner_in(&app, tenant).await;
    sqlx::query("SELECT audit_ensure_partitions('2015-01-01', 1)")
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET created_at = '2015-01-15T10:00:00Z' WHERE seq <= 2")
        .execute(&mut owner)
        .await
        .unwrap();
    assert!(verify(&app, tenant).await.broken.is_some(), "moved rows no longer hash");

    let now = chrono::Utc::now();
    let cutoff = "2016-01-01T00:00:00Z".parse().unwrap();
    let m =
        identity::maintenance::maintain_audit(app.authority(), now, Some(cutoff)).await.unwrap();
    assert_eq!(m.dropped, 1);
    let v = verify(&app, tenant).await;
    assert_eq!((v.rows, v.broken), (2, None), "the chain resumes at its anchor");

    // Partitions are ready a year ahead; running again changes nothing.
    let ahead = (now + chrono::Duration::days(360)).format("audit_log_y%Ym%m").to_string();
    let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass($1) IS NOT NULL")
        .bind(&ahead)
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert!(exists, "{ahead}");
    let again =
        identity::maintenance::maintain_audit(app.authority(), now, Some(cutoff)).await.unwrap();
    assert_eq!((again.created, again.dropped), (0, 0));
    // The application role still cannot reach the new partitions directly.
    let mut app_conn = app.db.app().await;
    let err = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {ahead}")))
        .execute(&mut app_conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}
