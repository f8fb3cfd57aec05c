//! Sign-up, sign-in, sessions, switching companies, passwords.

use crate::common;

use common::{PASSWORD, add_member, find_token, me, signup, token};
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn signup_creates_a_company_and_its_owner() {
    let app = TestApp::spawn().await;
    let s = app
        .post("/api/v1/auth/signup")
        .json(&json!({
            "company_name": "Acme Traders Pvt. Ltd.", "email": "Asha@Example.com", "password": PASSWORD,
            "name": "Asha", "gstin": "27AAPFU0939F1ZV", "industry": "Retail"
        }))
        .send()
        .await;
    s.assert_status(201);
    let s = s.json();
    assert_eq!(s["token_type"], "Bearer");
    assert_eq!(s["expires_in"], 900);
    assert!(s["refresh_token"].as_str().unwrap().starts_with("tsr_"));
    assert_eq!(s["tenant"]["slug"], "acme-traders-pvt-ltd");
    assert_eq!(s["user"]["email"], "asha@example.com");

    let me = me(&app, &token(&s)).await;
    assert_eq!(me["roles"], json!(["Owner"]));
    assert!(me["permissions"].as_array().unwrap().iter().any(|p| p == "users:write"));
    assert_eq!(me["tenants"].as_array().unwrap().len(), 1);

    let t = app.get("/api/v1/tenant").bearer(&token(&s)).send().await;
    t.assert_status(200);
    let t = t.json();
    assert_eq!(t["gstin"], "27AAPFU0939F1ZV");
    assert_eq!(t["state"], "27", "the state comes from the GSTIN");
    assert_eq!(t["currency"], "INR");
    assert_eq!(t["time_zone"], "Asia/Kolkata");

    // The same name again gets a distinct slug.
    let other = signup(&app, "Acme Traders Pvt. Ltd.", "ravi@example.com").await;
    assert_eq!(other["tenant"]["slug"], "acme-traders-pvt-ltd-2");
}

#[tokio::test]
async fn signup_refuses_bad_input_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "company_name": "A", "email": "not-an-email", "password": PASSWORD }), "email"),
        (
            json!({ "company_name": "A", "email": "a@example.com", "password": "password123" }),
            "password",
        ),
        (
            json!({ "company_name": "", "email": "a@example.com", "password": PASSWORD }),
            "company_name",
        ),
        (
            json!({ "company_name": "A", "email": "a@example.com", "password": PASSWORD, "gstin": "27AAPFU0939F1ZA" }),
            "gstin",
        ),
        (
            json!({ "company_name": "A", "email": "a@example.com", "password": PASSWORD, "time_zone": "Mars/Base" }),
            "time_zone",
        ),
        (
            json!({ "company_name": "A", "email": "a@example.com", "password": PASSWORD, "slug": "Bad Slug" }),
            "slug",
        ),
        (
            json!({ "company_name": "A", "email": "a@example.com", "password": PASSWORD, "gstin": "27AAPFU0939F1ZV", "state": "29" }),
            "state",
        ),
        (json!({ "company_name": "A", "email": "a@example.com" }), "password"),
        (
            json!({ "company_name": "A", "email": "a@example.com", "password": PASSWORD, "role": "god" }),
            "role",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/auth/signup").json(&body).send().await;
        let p = r.assert_problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    signup(&app, "Acme", "a@example.com").await;
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": "Other", "email": "A@example.com", "password": PASSWORD }))
        .send()
        .await;
    let p = r.assert_problem(409, "email_taken");
    assert_eq!(p["errors"][0]["field"], "email");
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": "Other", "email": "b@example.com", "password": PASSWORD, "slug": "acme" }))
        .send()
        .await;
    r.assert_problem(409, "slug_taken");
}

#[tokio::test]
async fn login_refresh_logout() {
    let app = TestApp::spawn().await;
    signup(&app, "Acme", "asha@example.com").await;

    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "asha@example.com", "password": "wrong-password" }))
        .send()
        .await;
    r.assert_problem(401, "invalid_credentials");
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "nobody@example.com", "password": PASSWORD }))
        .send()
        .await;
    r.assert_problem(401, "invalid_credentials");

    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": " ASHA@example.com", "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(200);
    let s1 = r.json();
    assert_eq!(me(&app, &token(&s1)).await["user"]["email"], "asha@example.com");

    // Refresh rotates: the new pair works, the old refresh token is spent.
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": s1["refresh_token"] }))
        .send()
        .await;
    r.assert_status(200);
    let s2 = r.json();
    assert_ne!(s2["refresh_token"], s1["refresh_token"]);
    me(&app, &token(&s2)).await;

    // Logout ends the session: refresh and access tokens stop working.
    app.post("/api/v1/auth/logout").bearer(&token(&s2)).send().await.assert_status(204);
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": s2["refresh_token"] }))
        .send()
        .await;
    r.assert_problem(401, "session_ended");
    app.get("/api/v1/me").bearer(&token(&s2)).send().await.assert_problem(401, "session_ended");

    // Logout by refresh token, without an access token.
    let s3 = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "asha@example.com", "password": PASSWORD }))
        .send()
        .await
        .json();
    app.post("/api/v1/auth/logout")
        .json(&json!({ "refresh_token": s3["refresh_token"] }))
        .send()
        .await
        .assert_status(204);
    app.get("/api/v1/me").bearer(&token(&s3)).send().await.assert_problem(401, "session_ended");

    let r = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": "tsr_garbage" }))
        .send()
        .await;
    r.assert_problem(400, "invalid_token");
    app.get("/api/v1/me").send().await.assert_problem(401, "unauthenticated");
    app.get("/api/v1/me")
        .header("authorization", "Basic abc")
        .send()
        .await
        .assert_problem(401, "invalid_authorization");
}

#[tokio::test]
async fn refresh_token_reuse_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let s1 = signup(&app, "Acme", "asha@example.com").await;
    let s2 = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": s1["refresh_token"] }))
        .send()
        .await
        .json();
    // The first token again: someone else may have a copy.
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": s1["refresh_token"] }))
        .send()
        .await;
    r.assert_problem(401, "refresh_token_reused");
    // The family is gone: the legitimate holder's newer tokens stop too.
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": s2["refresh_token"] }))
        .send()
        .await;
    r.assert_problem(401, "session_ended");
    app.get("/api/v1/me").bearer(&token(&s2)).send().await.assert_problem(401, "session_ended");
    // …and the event is in the audit trail.
    let s3 = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "asha@example.com", "password": PASSWORD }))
        .send()
        .await
        .json();
    let audit = app
        .get("/api/v1/audit?action=auth.refresh_reuse_detected")
        .bearer(&token(&s3))
        .send()
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn failed_logins_are_throttled_without_revealing_accounts() {
    let app = TestApp::spawn().await;
    signup(&app, "Acme", "asha@example.com").await;
    for email in ["asha@example.com", "ghost@example.com"] {
        for _ in 0..5 {
            let r = app
                .post("/api/v1/auth/login")
                .json(&json!({ "email": email, "password": "nope-nope-nope" }))
                .send()
                .await;
            r.assert_problem(401, "invalid_credentials");
        }
        let r = app
            .post("/api/v1/auth/login")
            .json(&json!({ "email": email, "password": "nope-nope-nope" }))
            .send()
            .await;
        r.assert_problem(429, "login_throttled");
        assert!(r.header("retry-after").is_some());
        // Locked: even the right password waits, and the answer is the same for both.
        let r = app
            .post("/api/v1/auth/login")
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await;
        r.assert_problem(429, "login_throttled");
    }
    // Another address from the same client is not locked out yet.
    signup(&app, "Beta", "ravi@example.com").await;
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "ravi@example.com", "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(200);
}

#[tokio::test]
async fn a_person_in_several_companies_switches_between_them() {
    let app = TestApp::spawn().await;
    let a = signup(&app, "Alpha", "owner@alpha.example").await;
    let b = signup(&app, "Beta", "owner@beta.example").await;
    // The accountant serves both companies.
    let acc = add_member(&app, &token(&a), "ca@example.com", &["accountant"]).await;
    assert_eq!(acc["tenant"]["slug"], "alpha");
    let r = app
        .post("/api/v1/invitations")
        .bearer(&token(&b))
        .json(&json!({ "email": "ca@example.com", "roles": ["accountant"] }))
        .send()
        .await;
    r.assert_status(201);
    let inv = common::invitation_token(&app, "ca@example.com");
    // An existing account accepts with its password.
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": inv, "password": "wrong password here" }))
        .send()
        .await;
    r.assert_problem(401, "invalid_credentials");
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": inv, "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["tenant"]["slug"], "beta");

    let m = me(&app, &token(&acc)).await;
    let slugs: Vec<&str> =
        m["tenants"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs.len(), 2);

    // Login picks the company used last, or the one named.
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "ca@example.com", "password": PASSWORD }))
        .send()
        .await;
    assert_eq!(r.json()["tenant"]["slug"], "beta");
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "ca@example.com", "password": PASSWORD, "slug": "alpha" }))
        .send()
        .await;
    assert_eq!(r.json()["tenant"]["slug"], "alpha");
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "ca@example.com", "password": PASSWORD, "slug": "gamma" }))
        .send()
        .await;
    r.assert_problem(404, "not_found");

    // Switch from Alpha to Beta.
    let r = app
        .post("/api/v1/auth/switch")
        .bearer(&token(&acc))
        .json(&json!({ "slug": "beta" }))
        .send()
        .await;
    r.assert_status(200);
    let in_beta = r.json();
    assert_eq!(me(&app, &token(&in_beta)).await["tenant"]["slug"], "beta");
    let r = app
        .post("/api/v1/auth/switch")
        .bearer(&token(&acc))
        .json(&json!({ "slug": "nowhere" }))
        .send()
        .await;
    r.assert_problem(404, "not_found");

    // The owner of Alpha creates a second company of their own.
    let r = app
        .post("/api/v1/tenants")
        .bearer(&token(&a))
        .json(&json!({ "name": "Alpha Exports" }))
        .send()
        .await;
    r.assert_status(201);
    assert_eq!(r.json()["tenant"]["slug"], "alpha-exports");
}

#[tokio::test]
async fn password_change_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let s1 = signup(&app, "Acme", "asha@example.com").await;
    let s2 = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "asha@example.com", "password": PASSWORD }))
        .send()
        .await
        .json();
    let new_pw = "quartz-meadow-lantern-77";
    let r = app
        .post("/api/v1/auth/password")
        .bearer(&token(&s1))
        .json(&json!({ "current_password": "not it at all", "new_password": new_pw }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "current_password");
    let r = app
        .post("/api/v1/auth/password")
        .bearer(&token(&s1))
        .json(&json!({ "current_password": PASSWORD, "new_password": "password1234" }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "new_password");
    let r = app
        .post("/api/v1/auth/password")
        .bearer(&token(&s1))
        .json(&json!({ "current_password": PASSWORD, "new_password": new_pw }))
        .send()
        .await;
    r.assert_status(200);
    let fresh = r.json();
    app.get("/api/v1/me").bearer(&token(&s2)).send().await.assert_problem(401, "session_ended");
    app.get("/api/v1/me").bearer(&token(&s1)).send().await.assert_problem(401, "session_ended");
    me(&app, &token(&fresh)).await;
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": s2["refresh_token"] }))
        .send()
        .await;
    r.assert_problem(401, "session_ended");
    app.post("/api/v1/auth/login")
        .json(&json!({ "email": "asha@example.com", "password": new_pw }))
        .send()
        .await
        .assert_status(200);
}

#[tokio::test]
async fn password_reset_by_token() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    // Unknown addresses get the same answer and no mail.
    app.post("/api/v1/auth/password/reset-request")
        .json(&json!({ "email": "ghost@example.com" }))
        .send()
        .await
        .assert_status(202);
    assert!(app.mailer().last_to("ghost@example.com").is_none());
    app.post("/api/v1/auth/password/reset-request")
        .json(&json!({ "email": "asha@example.com" }))
        .send()
        .await
        .assert_status(202);
    let mail = app.mailer().last_to("asha@example.com").unwrap();
    assert!(mail.subject.contains("Reset"));
    let reset = find_token(&mail.body, "tsp_");

    let new_pw = "harbor-violet-cinnamon-19";
    let r = app
        .post("/api/v1/auth/password/reset")
        .json(&json!({ "token": "tsp_nope", "new_password": new_pw }))
        .send()
        .await;
    r.assert_problem(400, "invalid_token");
    let r = app
        .post("/api/v1/auth/password/reset")
        .json(&json!({ "token": reset, "new_password": "short" }))
        .send()
        .await;
    r.assert_problem(422, "validation_failed");
    app.post("/api/v1/auth/password/reset")
        .json(&json!({ "token": reset, "new_password": new_pw }))
        .send()
        .await
        .assert_status(204);
    // Single use; old sessions ended; the new password works.
    let r = app
        .post("/api/v1/auth/password/reset")
        .json(&json!({ "token": reset, "new_password": new_pw }))
        .send()
        .await;
    r.assert_problem(400, "invalid_token");
    app.get("/api/v1/me").bearer(&token(&s)).send().await.assert_problem(401, "session_ended");
    app.post("/api/v1/auth/login")
        .json(&json!({ "email": "asha@example.com", "password": PASSWORD }))
        .send()
        .await
        .assert_status(401);
    app.post("/api/v1/auth/login")
        .json(&json!({ "email": "asha@example.com", "password": new_pw }))
        .send()
        .await
        .assert_status(200);
}

#[tokio::test]
async fn jwks_publishes_the_verifying_keys() {
    let app = TestApp::spawn().await;
    let r = app.get("/.well-known/jwks.json").send().await;
    r.assert_status(200);
    let jwks = r.json();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(kernel::crypto::from_b64url(key["x"].as_str().unwrap()).unwrap().len(), 32);
    let s = signup(&app, "Acme", "asha@example.com").await;
    let header: serde_json::Value = serde_json::from_slice(
        &kernel::crypto::from_b64url(token(&s).split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], key["kid"]);
}

#[tokio::test]
async fn tenant_settings_read_and_update() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@example.com").await;
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&token(&s))
        .json(&json!({ "name": "Acme India", "gstin": "29AAFCC9980M1ZR", "time_zone": "Asia/Dubai",
                        "settings": { "requests_per_minute": 5000, "api_key_requests_per_minute": 100 } }))
        .send()
        .await;
    r.assert_status(200);
    let t = r.json();
    assert_eq!(t["name"], "Acme India");
    assert_eq!(t["state"], "29");
    assert_eq!(t["settings"]["requests_per_minute"], 5000);
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&token(&s))
        .json(&json!({ "settings": { "requests_per_minute": 0 } }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "settings.requests_per_minute");
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&token(&s))
        .json(&json!({ "settings": { "bogus": 1 } }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "settings.bogus");
    let r =
        app.patch("/api/v1/tenant").bearer(&token(&s)).json(&json!({ "gstin": "" })).send().await;
    assert!(r.json()["gstin"].is_null());
    // A member may read but not change it.
    let m = add_member(&app, &token(&s), "m@example.com", &["member"]).await;
    app.get("/api/v1/tenant").bearer(&token(&m)).send().await.assert_status(200);
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&token(&m))
        .json(&json!({ "name": "Mine" }))
        .send()
        .await;
    let p = r.assert_problem(403, "permission_denied");
    assert_eq!(p["permission"], "tenant:write");
}

/// Listing a person's companies lets their own memberships through
/// row-level security for that one query: the transaction goes on
/// without the setting, so it sees no other tenant's memberships.
#[tokio::test]
async fn listing_a_persons_companies_does_not_widen_the_transaction() {
    let app = TestApp::spawn().await;
    let s = signup(&app, "Acme", "asha@acme.example").await;
    let user: uuid::Uuid = s["user"]["id"].as_str().unwrap().parse().unwrap();
    let mut tx = app.state.db().global().await.unwrap();
    let mine = identity::repo::memberships_of(&mut tx, user.into()).await.unwrap();
    assert_eq!(mine.len(), 1);
    let (setting, visible): (String, i64) = sqlx::query_as(
        "SELECT coalesce(current_setting('app.user_id', true), ''), (SELECT count(*) FROM memberships)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(setting, "", "app.user_id is left set");
    assert_eq!(visible, 0, "the person's memberships stay visible after the query");
}
