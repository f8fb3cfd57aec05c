//! Identity's isolation fixture: a company with an owner, a member who
//! accepted an invitation, a custom role, a pending invitation, an API key
//! and a stored idempotent response — a row in every identity table.

use kernel::domain::Fixture;
use serde_json::json;

const PASSWORD: &str = "velvet-orbit-canyon-42";

pub(crate) async fn fixture(fx: &Fixture) {
    let name = fx.name.clone();
    let owner_email = format!("owner@{name}.example");
    let (status, s) = fx
        .request(
            "POST",
            "/api/v1/auth/signup",
            None,
            Some(json!({ "company_name": name, "email": owner_email, "password": PASSWORD })),
        )
        .await;
    assert_eq!(status, 201, "sign-up of {name}: {s}");
    let tenant = s["tenant"]["id"].as_str().unwrap_or_default().to_string();
    fx.sign_in(&tenant, s["access_token"].as_str().unwrap_or_default());
    fx.mark(&owner_email);

    let member_email = format!("member@{name}.example");
    fx.post("/api/v1/invitations", json!({ "email": member_email, "roles": ["member"] })).await;
    let token = fx.mailed_token(&member_email, "tsi_").unwrap_or_default();
    let (status, member) = fx
        .request(
            "POST",
            "/api/v1/auth/invitations/accept",
            None,
            Some(json!({ "token": token, "name": format!("Member of {name}"), "password": PASSWORD })),
        )
        .await;
    assert_eq!(status, 200, "accepting {name}'s invitation: {member}");
    fx.object("/api/v1/users/{id}", member["user"]["id"].as_str().unwrap_or_default());
    fx.mark(&member_email);
    fx.body("PATCH /api/v1/users/{id}", json!({ "roles": ["member"] }));

    let role = fx
        .post(
            "/api/v1/roles",
            json!({ "name": format!("{name} auditors"), "permissions": ["audit:read"] }),
        )
        .await;
    fx.object("/api/v1/roles/{id}", role["id"].as_str().unwrap_or_default());
    fx.mark(&format!("{name} auditors"));
    fx.body("PATCH /api/v1/roles/{id}", json!({ "name": "Taken over" }));

    let pending = format!("pending@{name}.example");
    let inv =
        fx.post("/api/v1/invitations", json!({ "email": pending, "roles": [role["id"]] })).await;
    fx.object("/api/v1/invitations/{id}", inv["id"].as_str().unwrap_or_default());
    fx.mark(&pending);

    let key = fx
        .post(
            "/api/v1/api-keys",
            json!({ "name": format!("{name} bot"), "permissions": ["tenant:read"] }),
        )
        .await;
    fx.object("/api/v1/api-keys/{id}", key["id"].as_str().unwrap_or_default());
    fx.mark(&format!("{name} bot"));

    // An idempotent request leaves a stored response; an anchor as audit
    // retention leaves it.
    let mut su = fx.superuser().await;
    let (status, _) = fx
        .request_with_key(
            "POST",
            "/api/v1/roles",
            &format!("{name}-once"),
            json!({ "name": format!("{name} once"), "permissions": ["tenant:read"] }),
        )
        .await;
    assert_eq!(status, 201);
    fx.mark(&format!("{name} once"));
    let anchored = sqlx::query(
        "INSERT INTO audit_anchors (tenant_id, seq, hash, removed_before) VALUES ($1::uuid, 0, '', now())",
    )
    .bind(&tenant)
    .execute(&mut su)
    .await;
    assert!(anchored.is_ok(), "{anchored:?}");
}
