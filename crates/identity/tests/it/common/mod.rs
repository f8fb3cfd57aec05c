//! Helpers shared by identity's HTTP tests.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::{Value, json};
use testkit::TestApp;

/// A password that passes the strength rule.
pub const PASSWORD: &str = "velvet-orbit-canyon-42";

/// Signs up a company; returns the session JSON.
pub async fn signup(app: &TestApp, company: &str, email: &str) -> Value {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": company, "email": email, "password": PASSWORD, "name": "Owner" }))
        .send()
        .await;
    r.assert_status(201);
    r.json()
}

/// The access token of a session.
pub fn token(session: &Value) -> String {
    session["access_token"].as_str().unwrap().to_string()
}

/// Invites `email` with `roles` and accepts as a new account; returns the session.
pub async fn add_member(app: &TestApp, owner: &str, email: &str, roles: &[&str]) -> Value {
    let r = app
        .post("/api/v1/invitations")
        .bearer(owner)
        .json(&json!({ "email": email, "roles": roles }))
        .send()
        .await;
    r.assert_status(201);
    let token = invitation_token(app, email);
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": token, "name": email.split('@').next().unwrap(), "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(200);
    r.json()
}

/// The token in the last invitation e-mailed to `email`.
pub fn invitation_token(app: &TestApp, email: &str) -> String {
    let mail = app.mailer().last_to(email).expect("an invitation was mailed");
    find_token(&mail.body, "tsi_")
}

/// The first token with `prefix` in a text.
pub fn find_token(text: &str, prefix: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '=')
        .find(|w| w.starts_with(prefix))
        .expect("a token in the mail")
        .to_string()
}

/// The id of the person signed in with `token`.
pub async fn me(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/v1/me").bearer(token).send().await;
    r.assert_status(200);
    r.json()
}
