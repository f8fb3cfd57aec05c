//! Invitations, members, roles, permissions, API keys and rate limits.

use crate::common;

use common::{PASSWORD, add_member, invitation_token, signup, token};
use serde_json::{Value, json};
use testkit::TestApp;

fn ids(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn invitations_are_single_use_and_revocable() {
    let app = TestApp::spawn().await;
    let o = token(&signup(&app, "Acme", "asha@example.com").await);
    let r = app
        .post("/api/v1/invitations")
        .bearer(&o)
        .json(&json!({ "email": "Ravi@Example.com", "roles": ["sales", "member"] }))
        .send()
        .await;
    r.assert_status(201);
    let inv = r.json();
    assert_eq!(inv["email"], "ravi@example.com");
    assert!(
        inv.get("token").is_none() && inv.get("token_hash").is_none(),
        "the token is only e-mailed: {inv}"
    );
    let mail = app.mailer().last_to("ravi@example.com").unwrap();
    assert!(mail.subject.contains("Acme"));
    let t = invitation_token(&app, "ravi@example.com");

    let listed = app.get("/api/v1/invitations").bearer(&o).send().await.json();
    assert_eq!(ids(&listed), vec![inv["id"].as_str().unwrap()]);

    // A new account needs a strong password.
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": t, "password": "short" }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "password");
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": t, "name": "Ravi", "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(200);
    let ravi = r.json();
    assert_eq!(ravi["tenant"]["slug"], "acme");
    let me = common::me(&app, &token(&ravi)).await;
    let mut roles: Vec<String> =
        me["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
    roles.sort();
    assert_eq!(roles, vec!["Member", "Sales"]);
    // Single use.
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": t, "password": PASSWORD }))
        .send()
        .await;
    r.assert_problem(400, "invalid_token");
    // Inviting a member again is a conflict.
    let r = app
        .post("/api/v1/invitations")
        .bearer(&o)
        .json(&json!({ "email": "ravi@example.com", "roles": ["member"] }))
        .send()
        .await;
    r.assert_problem(409, "already_member");

    // Revoked invitations cannot be accepted.
    let inv2 = app
        .post("/api/v1/invitations")
        .bearer(&o)
        .json(&json!({ "email": "meera@example.com", "roles": ["member"] }))
        .send()
        .await
        .json();
    let t2 = invitation_token(&app, "meera@example.com");
    app.delete(&format!("/api/v1/invitations/{}", inv2["id"].as_str().unwrap()))
        .bearer(&o)
        .send()
        .await
        .assert_status(204);
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": t2, "password": PASSWORD }))
        .send()
        .await;
    r.assert_problem(400, "invalid_token");
    app.delete(&format!("/api/v1/invitations/{}", inv2["id"].as_str().unwrap()))
        .bearer(&o)
        .send()
        .await
        .assert_problem(404, "not_found");

    // Unknown roles are named.
    let r = app
        .post("/api/v1/invitations")
        .bearer(&o)
        .json(&json!({ "email": "x@example.com", "roles": ["member", "wizard"] }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "roles[1]");
}

#[tokio::test]
async fn an_invitation_expires() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let o = token(&s);
    app.post("/api/v1/invitations")
        .bearer(&o)
        .json(&json!({ "email": "late@example.com", "roles": ["member"] }))
        .send()
        .await
        .assert_status(201);
    let t = invitation_token(&app, "late@example.com");
    // Even the schema owner sees a tenant's rows only with the tenant set.
    let mut owner = app.db.owner().await;
    let r = sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 second'")
        .execute(&mut owner)
        .await
        .unwrap();
    assert_eq!(r.rows_affected(), 0, "row-level security is forced on the owner too");
    sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
        .bind(s["tenant"]["id"].as_str().unwrap())
        .execute(&mut owner)
        .await
        .unwrap();
    let r = sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 second'")
        .execute(&mut owner)
        .await
        .unwrap();
    assert_eq!(r.rows_affected(), 1);
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": t, "password": PASSWORD }))
        .send()
        .await;
    r.assert_problem(400, "invalid_token");
}

#[tokio::test]
async fn permissions_are_checked_and_named() {
    let app = TestApp::spawn().await;
    let o = token(&signup(&app, "Acme", "asha@example.com").await);
    let m = token(&add_member(&app, &o, "m@example.com", &["member"]).await);
    for (method, path) in [
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/roles"),
        ("GET", "/api/v1/api-keys"),
        ("GET", "/api/v1/audit"),
    ] {
        let r = app.request(method.parse().unwrap(), path).bearer(&m).send().await;
        let p = r.assert_problem(403, "permission_denied");
        assert!(p["detail"].as_str().unwrap().contains(p["permission"].as_str().unwrap()));
    }
    let r = app
        .post("/api/v1/invitations")
        .bearer(&m)
        .json(&json!({ "email": "x@example.com", "roles": ["member"] }))
        .send()
        .await;
    assert_eq!(r.assert_problem(403, "permission_denied")["permission"], "users:write");
    // An accountant reads the audit trail but cannot manage users.
    let a = token(&add_member(&app, &o, "ca@example.com", &["accountant"]).await);
    app.get("/api/v1/audit").bearer(&a).send().await.assert_status(200);
    app.get("/api/v1/users").bearer(&a).send().await.assert_problem(403, "permission_denied");
}

#[tokio::test]
async fn members_are_listed_with_pagination_and_updated() {
    let app = TestApp::spawn().await;
    let o = token(&signup(&app, "Acme", "asha@example.com").await);
    for i in 0..4 {
        add_member(&app, &o, &format!("p{i}@example.com"), &["member"]).await;
    }
    let first = app.get("/api/v1/users?limit=3").bearer(&o).send().await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(first["items"][0]["email"], "asha@example.com");
    assert_eq!(first["items"][0]["roles"][0]["key"], "owner");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second =
        app.get(&format!("/api/v1/users?limit=3&cursor={cursor}")).bearer(&o).send().await.json();
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());

    let p0 = first["items"][1]["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/users/{p0}"))
        .bearer(&o)
        .json(&json!({ "roles": ["admin", "accountant"] }))
        .send()
        .await;
    r.assert_status(200);
    let updated = r.json();
    let mut keys: Vec<&str> =
        updated["roles"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    keys.sort();
    assert_eq!(keys, vec!["accountant", "admin"]);
    let one = app.get(&format!("/api/v1/users/{p0}")).bearer(&o).send().await.json();
    assert_eq!(one["roles"].as_array().unwrap().len(), 2);
    app.get("/api/v1/users?status=gone")
        .bearer(&o)
        .send()
        .await
        .assert_problem(400, "invalid_parameter");
    app.get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()))
        .bearer(&o)
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let owner = signup(&app, "Acme", "asha@example.com").await;
    let o = token(&owner);
    let oid = owner["user"]["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/users/{oid}"))
        .bearer(&o)
        .json(&json!({ "roles": ["admin"] }))
        .send()
        .await;
    r.assert_problem(409, "last_owner");
    app.post(&format!("/api/v1/users/{oid}/deactivate"))
        .bearer(&o)
        .send()
        .await
        .assert_problem(409, "last_owner");

    // An admin may not make owners, nor touch an owner.
    let admin = add_member(&app, &o, "admin@example.com", &["admin"]).await;
    let a = token(&admin);
    let aid = admin["user"]["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/users/{aid}"))
        .bearer(&a)
        .json(&json!({ "roles": ["owner"] }))
        .send()
        .await;
    r.assert_problem(403, "owner_only");
    app.post(&format!("/api/v1/users/{oid}/deactivate"))
        .bearer(&a)
        .send()
        .await
        .assert_problem(403, "owner_only");
    let r = app
        .post("/api/v1/invitations")
        .bearer(&a)
        .json(&json!({ "email": "x@example.com", "roles": ["owner"] }))
        .send()
        .await;
    r.assert_problem(403, "owner_only");

    // With a second owner, the first can step down.
    app.patch(&format!("/api/v1/users/{aid}"))
        .bearer(&o)
        .json(&json!({ "roles": ["owner"] }))
        .send()
        .await
        .assert_status(200);
    app.patch(&format!("/api/v1/users/{oid}"))
        .bearer(&o)
        .json(&json!({ "roles": ["admin"] }))
        .send()
        .await
        .assert_status(200);
    // Now the new owner is the last one.
    let a2 = token(
        &app.post("/api/v1/auth/login")
            .json(&json!({ "email": "admin@example.com", "password": PASSWORD }))
            .send()
            .await
            .json(),
    );
    app.post(&format!("/api/v1/users/{aid}/deactivate"))
        .bearer(&a2)
        .send()
        .await
        .assert_problem(409, "last_owner");
}

#[tokio::test]
async fn custom_roles() {
    let app = TestApp::spawn().await;
    let o = token(&signup(&app, "Acme", "asha@example.com").await);
    let roles = app.get("/api/v1/roles").bearer(&o).send().await.json();
    let keys: Vec<&str> =
        roles.as_array().unwrap().iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(keys, vec!["owner", "admin", "accountant", "sales", "business", "member"]);
    let catalog = app.get("/api/v1/permissions").bearer(&o).send().await.json();
    assert!(catalog.as_array().unwrap().iter().any(|p| p["name"] == "audit:read"));

    let r = app
        .post("/api/v1/roles")
        .bearer(&o)
        .json(&json!({ "name": "Auditor", "permissions": ["audit:read", "users:read"] }))
        .send()
        .await;
    r.assert_status(201);
    let auditor = r.json();
    assert_eq!(auditor["system"], false);
    let rid = auditor["id"].as_str().unwrap();
    let r = app
        .post("/api/v1/roles")
        .bearer(&o)
        .json(&json!({ "name": "auditor-2", "permissions": ["audit:read", "audit:fly"] }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "permissions[1]");
    let r = app
        .post("/api/v1/roles")
        .bearer(&o)
        .json(&json!({ "name": "Auditor", "permissions": [] }))
        .send()
        .await;
    assert_eq!(r.assert_problem(409, "role_name_taken")["errors"][0]["field"], "name");

    // A person with the custom role gets exactly its permissions.
    let aud = token(&add_member(&app, &o, "aud@example.com", &[rid]).await);
    app.get("/api/v1/audit").bearer(&aud).send().await.assert_status(200);
    app.get("/api/v1/users").bearer(&aud).send().await.assert_status(200);
    app.get("/api/v1/roles").bearer(&aud).send().await.assert_problem(403, "permission_denied");
    // Changing the role changes what its holders may do, at once.
    app.patch(&format!("/api/v1/roles/{rid}"))
        .bearer(&o)
        .json(&json!({ "permissions": ["audit:read"] }))
        .send()
        .await
        .assert_status(200);
    app.get("/api/v1/users").bearer(&aud).send().await.assert_problem(403, "permission_denied");

    let r = app.delete(&format!("/api/v1/roles/{rid}")).bearer(&o).send().await;
    r.assert_problem(409, "role_in_use");
    let owner_role = roles[0]["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/roles/{owner_role}"))
        .bearer(&o)
        .send()
        .await
        .assert_problem(409, "system_role");
    let r = app
        .patch(&format!("/api/v1/roles/{owner_role}"))
        .bearer(&o)
        .json(&json!({ "name": "Boss" }))
        .send()
        .await;
    r.assert_problem(409, "system_role");
    let spare = app
        .post("/api/v1/roles")
        .bearer(&o)
        .json(&json!({ "name": "Spare", "permissions": ["tenant:read"] }))
        .send()
        .await
        .json();
    app.delete(&format!("/api/v1/roles/{}", spare["id"].as_str().unwrap()))
        .bearer(&o)
        .send()
        .await
        .assert_status(204);
    app.get(&format!("/api/v1/roles/{}", spare["id"].as_str().unwrap()))
        .bearer(&o)
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn api_keys_are_scoped_shown_once_and_revocable() {
    let app = TestApp::spawn().await;
    let o = token(&signup(&app, "Acme", "asha@example.com").await);
    let r = app
        .post("/api/v1/api-keys")
        .bearer(&o)
        .json(&json!({ "name": "reporting", "permissions": ["audit:read", "tenant:read"] }))
        .send()
        .await;
    r.assert_status(201);
    let created = r.json();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("tsk_") && secret.starts_with(created["prefix"].as_str().unwrap()));
    let kid = created["id"].as_str().unwrap();

    // Listed without the secret.
    let listed = app.get("/api/v1/api-keys").bearer(&o).send().await;
    assert!(!listed.text().contains(&secret[12..]), "the secret is never listed");
    assert_eq!(ids(&listed.json()), vec![kid]);

    // Usable as a bearer token, within its permissions only.
    app.get("/api/v1/audit").bearer(&secret).send().await.assert_status(200);
    app.get("/api/v1/tenant").bearer(&secret).send().await.assert_status(200);
    let r = app.get("/api/v1/users").bearer(&secret).send().await;
    assert_eq!(r.assert_problem(403, "permission_denied")["permission"], "users:read");
    let me = common::me(&app, &secret).await;
    assert_eq!(me["api_key"], kid);
    assert!(me["user"].is_null());
    // Keys cannot act as people.
    let r = app
        .post("/api/v1/auth/switch")
        .bearer(&secret)
        .json(&json!({ "slug": "acme" }))
        .send()
        .await;
    r.assert_problem(403, "user_only");
    // A key with a wrong secret is refused.
    let mut wrong = secret.clone().into_bytes();
    wrong[10] = if wrong[10] == b'A' { b'B' } else { b'A' };
    app.get("/api/v1/audit")
        .bearer(&String::from_utf8(wrong).unwrap())
        .send()
        .await
        .assert_problem(401, "invalid_token");

    // last_used_at is recorded.
    testkit::eventually(std::time::Duration::from_secs(5), "last_used_at", || async {
        let l = app.get("/api/v1/api-keys").bearer(&o).send().await.json();
        (!l["items"][0]["last_used_at"].is_null()).then_some(())
    })
    .await;

    // No escalation: a key cannot hold what its creator lacks.
    let admin = token(&add_member(&app, &o, "admin@example.com", &["admin"]).await);
    let acc = token(&add_member(&app, &o, "ca@example.com", &["accountant"]).await);
    let _ = admin;
    let r = app
        .post("/api/v1/api-keys")
        .bearer(&acc)
        .json(&json!({ "name": "x", "permissions": ["audit:read"] }))
        .send()
        .await;
    r.assert_problem(403, "permission_denied");
    let r = app
        .post("/api/v1/api-keys")
        .bearer(&o)
        .json(&json!({ "name": "x", "permissions": ["nope:nope"] }))
        .send()
        .await;
    r.assert_problem(422, "validation_failed");
    let r = app.post("/api/v1/api-keys").bearer(&o).json(&json!({ "name": "x", "permissions": ["audit:read"], "expires_at": "2001-01-01T00:00:00Z" })).send().await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "expires_at");

    // Revoked: refused at once.
    app.delete(&format!("/api/v1/api-keys/{kid}")).bearer(&o).send().await.assert_status(204);
    app.get("/api/v1/audit").bearer(&secret).send().await.assert_problem(401, "session_ended");
    assert!(
        app.get("/api/v1/api-keys").bearer(&o).send().await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = app.get("/api/v1/api-keys?include_revoked=true").bearer(&o).send().await.json();
    assert!(!all["items"][0]["revoked_at"].is_null());
}

#[tokio::test]
async fn an_expired_api_key_is_refused() {
    let app = TestApp::spawn().await;
    let o = token(&signup(&app, "Acme", "asha@example.com").await);
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let k = app
        .post("/api/v1/api-keys")
        .bearer(&o)
        .json(&json!({ "name": "brief", "permissions": ["tenant:read"], "expires_at": soon }))
        .send()
        .await
        .json();
    let secret = k["secret"].as_str().unwrap();
    app.get("/api/v1/tenant").bearer(secret).send().await.assert_status(200);
    testkit::eventually(std::time::Duration::from_secs(10), "the key to expire", || async {
        (app.get("/api/v1/tenant").bearer(secret).send().await.status() == 401).then_some(())
    })
    .await;
    app.get("/api/v1/tenant").bearer(secret).send().await.assert_problem(401, "token_expired");
}

#[tokio::test]
async fn rate_limits_per_tenant_and_per_key() {
    let app = TestApp::spawn().await;
    let o = token(&signup(&app, "Acme", "asha@example.com").await);
    app.patch("/api/v1/tenant")
        .bearer(&o)
        .json(
            &json!({ "settings": { "requests_per_minute": 8, "api_key_requests_per_minute": 3 } }),
        )
        .send()
        .await
        .assert_status(200);
    let k = app
        .post("/api/v1/api-keys")
        .bearer(&o)
        .json(&json!({ "name": "bot", "permissions": ["tenant:read"] }))
        .send()
        .await
        .json();
    let secret = k["secret"].as_str().unwrap();
    for i in 0..3 {
        let r = app.get("/api/v1/tenant").bearer(secret).send().await;
        r.assert_status(200);
        assert_eq!(r.header("ratelimit-limit"), Some("3"), "request {i}");
        assert_eq!(r.header("ratelimit-remaining"), Some((2 - i).to_string().as_str()));
    }
    let r = app.get("/api/v1/tenant").bearer(secret).send().await;
    r.assert_problem(429, "rate_limited");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    // The tenant's own budget is shared by everyone in it.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(app.get("/api/v1/me").bearer(&o).send().await.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // Another tenant is unaffected.
    let other = token(&signup(&app, "Beta", "b@example.com").await);
    app.get("/api/v1/me").bearer(&other).send().await.assert_status(200);
}
