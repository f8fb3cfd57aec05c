//! Attacks on access tokens: every one answers 401, never 5xx.

use crate::common;

use common::{add_member, signup, token};
use identity::Identity;
use identity::tokens::AccessClaims;
use kernel::crypto::{b64url, from_b64url};
use serde_json::{Value, json};
use testkit::TestApp;

fn parts(t: &str) -> (Value, Value, String) {
    let mut it = t.split('.');
    let h = serde_json::from_slice(&from_b64url(it.next().unwrap()).unwrap()).unwrap();
    let p = serde_json::from_slice(&from_b64url(it.next().unwrap()).unwrap()).unwrap();
    (h, p, it.next().unwrap().to_string())
}

fn jwt(header: &Value, payload: &Value, sig: &str) -> String {
    format!(
        "{}.{}.{}",
        b64url(&serde_json::to_vec(header).unwrap()),
        b64url(&serde_json::to_vec(payload).unwrap()),
        sig
    )
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new().chain_update(&ipad).chain_update(msg).finalize();
    Sha256::new().chain_update(&opad).chain_update(inner).finalize().to_vec()
}

async fn assert_refused(app: &TestApp, token: &str, code: &str, what: &str) {
    let r = app.get("/api/v1/me").bearer(token).send().await;
    assert_eq!(r.status().as_u16(), 401, "{what}: {}", r.text());
    assert_eq!(r.json()["code"], code, "{what}");
}

#[tokio::test]
async fn forged_and_broken_tokens_are_401() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let good = token(&s);
    let (header, payload, sig) = parts(&good);

    // alg: none, no signature.
    let mut h = header.clone();
    h["alg"] = json!("none");
    assert_refused(&app, &jwt(&h, &payload, ""), "invalid_token", "alg none").await;
    assert_refused(
        &app,
        &format!("{}.", jwt(&h, &payload, "").trim_end_matches('.')),
        "invalid_token",
        "alg none, no dot",
    )
    .await;

    // HS256 "signed" with the public key (algorithm confusion).
    let jwks = app.get("/.well-known/jwks.json").send().await.json();
    let public = from_b64url(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut h = header.clone();
    h["alg"] = json!("HS256");
    let unsigned = format!(
        "{}.{}",
        b64url(&serde_json::to_vec(&h).unwrap()),
        b64url(&serde_json::to_vec(&payload).unwrap())
    );
    let forged = format!("{unsigned}.{}", b64url(&hmac_sha256(&public, unsigned.as_bytes())));
    assert_refused(&app, &forged, "invalid_token", "HS256 with the public key").await;

    // Tampered payload (another tenant), original signature.
    let mut p = payload.clone();
    p["tid"] = json!(uuid::Uuid::now_v7());
    assert_refused(&app, &jwt(&header, &p, &sig), "invalid_token", "tampered tenant").await;
    let mut p = payload.clone();
    p["roles"] = json!(["Owner", "Superuser"]);
    assert_refused(&app, &jwt(&header, &p, &sig), "invalid_token", "tampered roles").await;

    // Unknown kid.
    let mut h = header.clone();
    h["kid"] = json!("k-not-ours");
    assert_refused(&app, &jwt(&h, &payload, &sig), "invalid_token", "wrong kid").await;
    let mut h = header.clone();
    h.as_object_mut().unwrap().remove("kid");
    assert_refused(&app, &jwt(&h, &payload, &sig), "invalid_token", "no kid").await;

    // Garbage of every shape.
    for junk in
        ["", "a", "a.b", "a.b.c", "a.b.c.d", &format!("{good}x"), "é.é.é", &"A".repeat(10_000)]
    {
        let r = app.get("/api/v1/me").bearer(junk).send().await;
        assert!(r.status().as_u16() == 401, "junk {junk:.20}: {}", r.text());
    }
    // Refresh and API-key-looking strings are not access tokens.
    assert_refused(
        &app,
        s["refresh_token"].as_str().unwrap(),
        "invalid_token",
        "refresh token as bearer",
    )
    .await;
    assert_refused(&app, "tsk_AAAA", "invalid_token", "malformed API key").await;
}

#[tokio::test]
async fn expired_and_future_tokens_are_401() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let (_, payload, _) = parts(&token(&s));
    let claims: AccessClaims = serde_json::from_value(payload).unwrap();
    let identity = app.state.try_service::<Identity>().unwrap();
    let now = chrono::Utc::now().timestamp();

    let expired =
        AccessClaims { iat: now - 3600, nbf: now - 3600, exp: now - 600, ..claims.clone() };
    assert_refused(&app, &identity.keys.sign(&expired).unwrap(), "token_expired", "expired").await;
    let future = AccessClaims { iat: now, nbf: now + 600, exp: now + 1500, ..claims.clone() };
    assert_refused(&app, &identity.keys.sign(&future).unwrap(), "invalid_token", "not yet valid")
        .await;
    let issued_later = AccessClaims { iat: now + 600, nbf: now, exp: now + 1500, ..claims.clone() };
    assert_refused(
        &app,
        &identity.keys.sign(&issued_later).unwrap(),
        "invalid_token",
        "issued in the future",
    )
    .await;
    let wrong_type = AccessClaims { typ: "refresh".into(), ..claims.clone() };
    assert_refused(
        &app,
        &identity.keys.sign(&wrong_type).unwrap(),
        "invalid_token",
        "not an access token",
    )
    .await;
    let stranger = AccessClaims { sub: identity::model::UserId::new(), ..claims.clone() };
    assert_refused(&app, &identity.keys.sign(&stranger).unwrap(), "session_ended", "not a member")
        .await;
    // Within the clock-skew tolerance it still works.
    let fresh = AccessClaims { iat: now + 5, nbf: now + 5, ..claims };
    app.get("/api/v1/me")
        .bearer(&identity.keys.sign(&fresh).unwrap())
        .send()
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_deactivated_users_tokens_stop_at_once() {
    let app = TestApp::spawn().await;
    let owner = signup(&app, "Acme", "asha@example.com").await;
    let m = add_member(&app, &token(&owner), "ravi@example.com", &["member"]).await;
    app.get("/api/v1/me").bearer(&token(&m)).send().await.assert_status(200);
    let id = m["user"]["id"].as_str().unwrap();
    app.post(&format!("/api/v1/users/{id}/deactivate"))
        .bearer(&token(&owner))
        .send()
        .await
        .assert_status(200);
    assert_refused(&app, &token(&m), "session_ended", "deactivated").await;
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": m["refresh_token"] }))
        .send()
        .await;
    r.assert_problem(401, "session_ended");
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "ravi@example.com", "password": common::PASSWORD }))
        .send()
        .await;
    r.assert_problem(401, "no_active_membership");
    // Reactivated: old tokens stay dead, a new login works.
    app.post(&format!("/api/v1/users/{id}/reactivate"))
        .bearer(&token(&owner))
        .send()
        .await
        .assert_status(200);
    assert_refused(&app, &token(&m), "session_ended", "issued before deactivation").await;
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "ravi@example.com", "password": common::PASSWORD }))
        .send()
        .await;
    app.get("/api/v1/me").bearer(&token(&r.json())).send().await.assert_status(200);
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_they_expire() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let before = token(&s);
    let (h1, _, _) = parts(&before);
    let identity = app.state.try_service::<Identity>().unwrap();
    let new_kid = identity.keys.rotate(app.state.db()).await.unwrap();
    assert_ne!(h1["kid"], json!(new_kid));

    app.get("/api/v1/me").bearer(&before).send().await.assert_status(200);
    let s2 = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": s["refresh_token"] }))
        .send()
        .await
        .json();
    let (h2, _, _) = parts(&token(&s2));
    assert_eq!(h2["kid"], json!(new_kid));
    app.get("/api/v1/me").bearer(&token(&s2)).send().await.assert_status(200);
    let jwks = app.get("/.well-known/jwks.json").send().await.json();
    let kids: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(
        kids.contains(&h1["kid"].as_str().unwrap()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );
}
