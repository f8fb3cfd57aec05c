//! Helpers for the ledger tests: a company with a GSTIN, members with
//! roles, parties, items and documents made through the API, and money
//! read back as decimals.
#![allow(dead_code, clippy::unwrap_used)]

use rust_decimal::Decimal;
use serde_json::{Value, json};
use testkit::TestApp;

pub const PASSWORD: &str = "velvet-orbit-canyon-42";

/// A Maharashtra (27) company's GSTIN.
pub const MAHARASHTRA: &str = "27AAPFU0939F1ZV";
/// Another Maharashtra GSTIN, for a customer in the company's state.
pub const MUMBAI_BUYER: &str = "27AABCU9603R1ZN";
/// A Karnataka (29) GSTIN.
pub const KARNATAKA: &str = "29AABCT1332L1ZA";
/// A Delhi (07) GSTIN.
pub const DELHI: &str = "07AAACI1681G1ZR";
/// Two Chandigarh (04, a union territory) GSTINs.
pub const CHANDIGARH: &str = "04AABCS1429B1Z2";
pub const CHANDIGARH_BUYER: &str = "04AAACR5055K1ZF";

/// A company registered under `gstin`; the owner's access token.
pub async fn company(app: &TestApp, name: &str, gstin: &str) -> String {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": name, "email": format!("owner@{name}.example"), "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(201);
    let token = r.json()["access_token"].as_str().unwrap().to_string();
    app.patch("/api/v1/tenant")
        .bearer(&token)
        .json(&json!({ "gstin": gstin }))
        .send()
        .await
        .assert_status(200);
    token
}

/// A member with `roles`; their access token.
pub async fn member(app: &TestApp, owner: &str, email: &str, roles: &[&str]) -> String {
    app.post("/api/v1/invitations")
        .bearer(owner)
        .json(&json!({ "email": email, "roles": roles }))
        .send()
        .await
        .assert_status(201);
    let mail = app.mailer().last_to(email).expect("an invitation was mailed");
    let token = mail
        .body
        .split(|c: char| c.is_whitespace() || c == '=')
        .find(|w| w.starts_with("tsi_"))
        .unwrap()
        .to_string();
    let r = app
        .post("/api/v1/auth/invitations/accept")
        .json(&json!({ "token": token, "name": "Member", "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(200);
    r.json()["access_token"].as_str().unwrap().to_string()
}

/// A decimal from a JSON string (or number).
pub fn d(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a decimal: {v}")),
        Value::Number(n) => n.to_string().parse().unwrap(),
        _ => panic!("not a decimal: {v}"),
    }
}

/// A decimal literal.
pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// POSTs `body`, expects `status`; the JSON answer.
pub async fn post(app: &TestApp, token: &str, path: &str, body: Value, status: u16) -> Value {
    let r = app.post(path).bearer(token).json(&body).send().await;
    assert_eq!(r.status().as_u16(), status, "POST {path}: {}", r.text());
    r.json()
}

/// GETs `path`, expects 200; the JSON answer.
pub async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(path).bearer(token).send().await;
    assert_eq!(r.status().as_u16(), 200, "GET {path}: {}", r.text());
    r.json()
}

/// A registered customer in the state of `gstin`; its id.
pub async fn customer(app: &TestApp, token: &str, name: &str, gstin: &str) -> String {
    let state = &gstin[..2];
    let v = post(
        app,
        token,
        "/api/v1/parties",
        json!({
            "is_customer": true, "legal_name": name, "gstin": gstin, "registration": "regular",
            "billing_address": { "line1": "1 Main Road", "city": "City", "state_code": state, "pincode": "400001" },
        }),
        201,
    )
    .await;
    v["id"].as_str().unwrap().to_string()
}

/// A registered supplier in the state of `gstin`; its id.
pub async fn supplier(app: &TestApp, token: &str, name: &str, gstin: &str) -> String {
    let state = &gstin[..2];
    let v = post(
        app,
        token,
        "/api/v1/parties",
        json!({
            "is_supplier": true, "legal_name": name, "gstin": gstin, "registration": "regular",
            "billing_address": { "line1": "2 Market Road", "city": "City", "state_code": state, "pincode": "110001" },
        }),
        201,
    )
    .await;
    v["id"].as_str().unwrap().to_string()
}

/// Goods at `price` (before tax) under HSN 8471 (18%); the item's id.
pub async fn laptop(app: &TestApp, token: &str, price: &str) -> String {
    let v = post(
        app,
        token,
        "/api/v1/items",
        json!({ "name": format!("Laptop {price}"), "hsn_sac": "84713010", "unit": "NOS", "price": price,
                "rates": [{ "effective_from": "2017-07-01", "rate": "18" }] }),
        201,
    )
    .await;
    v["id"].as_str().unwrap().to_string()
}

/// A draft invoice of `lines` for `party`; its JSON.
pub async fn draft(app: &TestApp, token: &str, party: &str, lines: Value) -> Value {
    post(app, token, "/api/v1/invoices", json!({ "party_id": party, "lines": lines }), 201).await
}

/// Drafts and issues an invoice; its JSON.
pub async fn invoice(app: &TestApp, token: &str, party: &str, lines: Value) -> Value {
    let v = draft(app, token, party, lines).await;
    let id = v["id"].as_str().unwrap();
    post(app, token, &format!("/api/v1/invoices/{id}/issue"), json!(null), 200).await
}

/// Every account's closing balance (debit positive) from the trial
/// balance, by code; and the trial balance.
pub async fn trial_balance(app: &TestApp, token: &str) -> (Vec<(String, Decimal)>, Value) {
    let tb = get(app, token, "/api/v1/reports/trial-balance?from=2000-01-01&to=2099-12-31").await;
    let rows = tb["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["code"].as_str().unwrap().to_string(), d(&r["closing"])))
        .collect();
    (rows, tb)
}

/// One account's closing balance (debit positive).
pub async fn balance(app: &TestApp, token: &str, code: &str) -> Decimal {
    let (rows, _) = trial_balance(app, token).await;
    rows.into_iter().find(|(c, _)| c == code).map(|(_, b)| b).unwrap_or_default()
}

/// Asserts the books balance: total debits equal total credits.
pub async fn assert_balanced(app: &TestApp, token: &str) {
    let (_, tb) = trial_balance(app, token).await;
    assert_eq!(d(&tb["total_debit"]), d(&tb["total_credit"]), "{tb}");
    assert_eq!(d(&tb["closing_debit"]), d(&tb["closing_credit"]), "{tb}");
}
