//! Parties, the books and the reports through the API: GSTIN and PAN
//! checks, duplicate GSTINs, archiving, opening balances, manual journals,
//! trial balance, profit and loss, balance sheet, aging, statements, CSV,
//! and who may see what.

use crate::common;

use chrono::{Duration, Utc};
use common::*;
use serde_json::{Value, json};
use testkit::TestApp;

fn party(name: &str, gstin: Option<&str>, state: &str) -> Value {
    json!({ "is_customer": true, "legal_name": name, "gstin": gstin,
            "registration": if gstin.is_some() { "regular" } else { "consumer" },
            "billing_address": { "line1": "1 Main Road", "city": "City", "state_code": state, "pincode": "560001" } })
}

#[tokio::test]
async fn parties_are_checked_named_and_archived_once_they_have_history() {
    let app = TestApp::spawn().await;
    let t = company(&app, "bhima", MAHARASHTRA).await;

    // A wrong check character, a state that is not the GSTIN's, a PAN
    // that is not the GSTIN's: each named.
    let mut bad = party("Wrong Check", Some("29AABCT1332L1ZB"), "29");
    let p = app
        .post("/api/v1/parties")
        .bearer(&t)
        .json(&bad)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert!(p["errors"].to_string().contains("gstin"), "{p}");
    bad = party("Wrong State", Some(KARNATAKA), "27");
    let p = app
        .post("/api/v1/parties")
        .bearer(&t)
        .json(&bad)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert!(p["errors"].to_string().contains("state_code"), "{p}");
    bad = party("Wrong PAN", Some(KARNATAKA), "29");
    bad["pan"] = json!("AAAPL1234C");
    let p = app
        .post("/api/v1/parties")
        .bearer(&t)
        .json(&bad)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "pan", "{p}");

    let id = customer(&app, &t, "Hubli Hardware", KARNATAKA).await;
    let v = get(&app, &t, &format!("/api/v1/parties/{id}")).await;
    assert_eq!(v["state_code"], "29");
    assert_eq!(v["pan"], "AABCT1332L", "the PAN is read from the GSTIN: {v}");
    let p = app
        .post("/api/v1/parties")
        .bearer(&t)
        .json(&party("Hubli Hardware again", Some(KARNATAKA), "29"))
        .send()
        .await
        .assert_problem(409, "already_exists");
    assert_eq!(p["errors"][0]["field"], "gstin", "{p}");

    // Unused: deleted. With an invoice: archived, hidden, restorable.
    let walk_in = post(&app, &t, "/api/v1/parties", party("Walk-in", None, "27"), 201).await;
    let walk_in = walk_in["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/parties/{walk_in}")).bearer(&t).send().await.assert_status(204);
    app.get(&format!("/api/v1/parties/{walk_in}")).bearer(&t).send().await.assert_status(404);
    let item = laptop(&app, &t, "100").await;
    invoice(&app, &t, &id, json!([{ "item_id": item, "quantity": "1" }])).await;
    app.delete(&format!("/api/v1/parties/{id}")).bearer(&t).send().await.assert_status(204);
    assert_eq!(get(&app, &t, &format!("/api/v1/parties/{id}")).await["archived"], true);
    let list = get(&app, &t, "/api/v1/parties").await;
    assert!(!list.to_string().contains(&id), "{list}");
    let back = post(&app, &t, &format!("/api/v1/parties/{id}/restore"), json!(null), 200).await;
    assert_eq!(back["archived"], false);
}

#[tokio::test]
async fn the_reports_are_computed_from_the_postings_and_balance() {
    let app = TestApp::spawn().await;
    let t = company(&app, "cauvery", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Mysuru Silk", KARNATAKA).await;
    let vendor = supplier(&app, &t, "Delhi Parts", DELHI).await;
    let item = laptop(&app, &t, "1000").await;
    let today = Utc::now().date_naive();
    let long_ago = (today - Duration::days(100)).to_string();

    // Opening balance of 5,000 owed by the customer.
    let mut edited = get(&app, &t, &format!("/api/v1/parties/{buyer}")).await;
    for k in ["id", "state_code", "balance", "archived", "created_at"] {
        edited.as_object_mut().unwrap().remove(k);
    }
    edited["opening_balance"] = json!("5000");
    edited["opening_date"] = json!("2024-03-31");
    let r = app.put(&format!("/api/v1/parties/{buyer}")).bearer(&t).json(&edited).send().await;
    assert_eq!(r.status().as_u16(), 200, "{}", r.text());

    // An invoice 100 days old (due after 30: 70 days overdue) and one today.
    let old = post(
        &app,
        &t,
        "/api/v1/invoices",
        json!({ "party_id": buyer, "date": long_ago, "lines": [{ "item_id": item, "quantity": "2" }] }),
        201,
    )
    .await;
    let old_id = old["id"].as_str().unwrap();
    post(&app, &t, &format!("/api/v1/invoices/{old_id}/issue"), json!(null), 200).await;
    invoice(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "1" }])).await;
    let bill = post(
        &app,
        &t,
        "/api/v1/bills",
        json!({ "party_id": vendor, "supplier_number": "DP-1", "lines": [{ "item_id": item, "quantity": "2", "unit_price": "600" }] }),
        201,
    )
    .await;
    post(
        &app,
        &t,
        &format!("/api/v1/bills/{}/issue", bill["id"].as_str().unwrap()),
        json!(null),
        200,
    )
    .await;
    // Rent paid from the bank by a manual journal; an unbalanced one is refused.
    let accounts = get(&app, &t, "/api/v1/accounts").await;
    let acc = |code: &str| {
        accounts.as_array().unwrap().iter().find(|a| a["code"] == code).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = app
        .post("/api/v1/journals")
        .bearer(&t)
        .json(&json!({ "date": today, "narration": "Rent", "lines": [
            { "account_id": acc("5100"), "debit": "300" }, { "account_id": acc("1010"), "credit": "299" }] }))
        .send()
        .await;
    r.assert_problem(422, "validation_failed");
    post(
        &app,
        &t,
        "/api/v1/journals",
        json!({ "date": today, "narration": "Rent for the month", "lines": [
            { "account_id": acc("5100"), "debit": "300" }, { "account_id": acc("1010"), "credit": "300" }] }),
        201,
    )
    .await;
    assert_balanced(&app, &t).await;

    // Profit: sales 3,000 − purchases 1,200 − rent 300.
    let pl = get(&app, &t, "/api/v1/reports/profit-and-loss?from=2000-01-01&to=2099-12-31").await;
    assert_eq!(d(&pl["total_income"]), dec("3000"), "{pl}");
    assert_eq!(d(&pl["total_expenses"]), dec("1500"), "{pl}");
    assert_eq!(d(&pl["net_profit"]), dec("1500"), "{pl}");
    let bs = get(&app, &t, "/api/v1/reports/balance-sheet").await;
    assert_eq!(d(&bs["total_assets"]), d(&bs["total_liabilities_and_equity"]), "{bs}");

    // Aging: the opening balance and the old invoice past due, today's not.
    let aging = get(&app, &t, "/api/v1/reports/receivables-aging").await;
    let total = &aging["total"];
    assert_eq!(d(&total["total"]), dec("5000") + dec("2360") + dec("1180"), "{aging}");
    assert_eq!(d(&total["d61_90"]), dec("2360"), "{aging}");
    assert_eq!(d(&total["not_due"]), dec("1180"), "{aging}");
    let ctx = get(&app, &t, &format!("/api/v1/customers/{buyer}/context")).await;
    assert_eq!(d(&ctx["outstanding"]), dec("8540"), "{ctx}");
    assert_eq!(d(&ctx["overdue"]), dec("7360"), "{ctx}");
    assert_eq!(ctx["open_documents"], 2, "{ctx}");
    let payables = get(&app, &t, "/api/v1/reports/payables-aging").await;
    assert_eq!(d(&payables["total"]["total"]), dec("1416"), "{payables}");

    // The statement runs from the opening balance to the closing one.
    let st =
        get(&app, &t, &format!("/api/v1/parties/{buyer}/statement?from=2000-01-01&to=2099-12-31"))
            .await;
    let last = st["lines"].as_array().unwrap().last().unwrap();
    assert_eq!(d(&last["balance"]), dec("8540"), "{st}");
    let first = &st["lines"][0];
    assert_eq!(d(&first["debit"]), dec("5000"), "the opening balance comes first: {st}");

    // A receipt no document takes settles the opening balance first; the
    // rest is an advance. The opening balance cannot then drop below it.
    let rec = post(
        &app,
        &t,
        "/api/v1/payments",
        json!({ "kind": "receipt", "party_id": buyer, "mode": "cash", "amount": "5500" }),
        201,
    )
    .await;
    assert_eq!(
        (d(&rec["opening_applied"]), d(&rec["unallocated"])),
        (dec("5000"), dec("500")),
        "{rec}"
    );
    let aging = get(&app, &t, "/api/v1/reports/receivables-aging").await;
    assert_eq!(d(&aging["total"]["total"]), dec("3540"), "{aging}");
    // The old invoice is paid today; as the books stood yesterday, neither
    // that payment nor the receipt above had come in.
    post(
        &app,
        &t,
        "/api/v1/payments",
        json!({ "kind": "receipt", "party_id": buyer, "mode": "cash", "amount": "2360",
                "allocations": [{ "document_id": old_id, "amount": "2360" }] }),
        201,
    )
    .await;
    let aging = get(&app, &t, "/api/v1/reports/receivables-aging").await;
    assert_eq!(d(&aging["total"]["total"]), dec("1180"), "{aging}");
    let yesterday = today - Duration::days(1);
    let aging =
        get(&app, &t, &format!("/api/v1/reports/receivables-aging?as_of={yesterday}")).await;
    assert_eq!(d(&aging["total"]["total"]), dec("7360"), "{aging}");
    assert_eq!(d(&aging["total"]["d61_90"]), dec("2360"), "{aging}");
    assert_eq!(d(&aging["total"]["d90_plus"]), dec("5000"), "{aging}");
    assert_eq!(aging["parties"][0]["party_name"], "Mysuru Silk", "{aging}");
    assert_eq!(balance(&app, &t, "1100").await, dec("1180"));
    assert_eq!(balance(&app, &t, "2300").await, dec("-500"));
    edited["opening_balance"] = json!("4000");
    let r = app.put(&format!("/api/v1/parties/{buyer}")).bearer(&t).json(&edited).send().await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "opening_balance", "{p}");
    assert_balanced(&app, &t).await;

    // The sales register and HSN summary as CSV, formulas defused.
    let r = app
        .get("/api/v1/reports/sales-register?from=2000-01-01&to=2099-12-31&format=csv")
        .bearer(&t)
        .send()
        .await;
    r.assert_status(200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"), "{:?}", r.headers());
    let csv = r.text();
    assert_eq!(csv.lines().count(), 3, "a header and two invoices: {csv}");
    assert!(csv.contains("Mysuru Silk"), "{csv}");
    let hsn = get(&app, &t, "/api/v1/reports/hsn-summary?from=2000-01-01&to=2099-12-31").await;
    assert!(hsn.to_string().contains("84713010"), "{hsn}");
    let day = get(&app, &t, &format!("/api/v1/reports/day-book?from={today}&to={today}")).await;
    assert!(day.to_string().contains("Rent for the month"), "{day}");

    // A Sales Rep sees customers and invoices but not the books.
    let rep = member(&app, &t, "rep@cauvery.example", &["sales"]).await;
    app.get("/api/v1/reports/trial-balance").bearer(&rep).send().await.assert_status(403);
    app.get("/api/v1/invoices").bearer(&rep).send().await.assert_status(200);
    let r = app
        .post("/api/v1/payments")
        .bearer(&rep)
        .json(&json!({ "kind": "receipt", "party_id": buyer, "mode": "cash", "amount": "1" }))
        .send()
        .await;
    r.assert_status(403);
    // The rep drafts an invoice for the accountant to issue.
    let draft = app
        .post("/api/v1/invoices")
        .bearer(&rep)
        .json(&json!({ "party_id": buyer, "lines": [{ "description": "Silk saree", "hsn_sac": "5007", "unit": "NOS", "quantity": "1", "unit_price": "1000", "gst_rate": "5" }] }))
        .send()
        .await;
    draft.assert_status(201);
    let draft = draft.json()["id"].as_str().unwrap().to_string();
    let r = app.post(&format!("/api/v1/invoices/{draft}/issue")).bearer(&rep).send().await;
    r.assert_status(403);
    assert!(r.text().contains("invoices:issue"), "the refusal names the permission: {}", r.text());
    let accountant = member(&app, &t, "ca@cauvery.example", &["accountant"]).await;
    app.get("/api/v1/reports/trial-balance").bearer(&accountant).send().await.assert_status(200);
    app.post(&format!("/api/v1/invoices/{draft}/issue"))
        .bearer(&accountant)
        .send()
        .await
        .assert_status(200);

    // Settings and the lock are separate actions: a key that may change
    // the settings cannot move the lock date.
    let key = app
        .post("/api/v1/api-keys")
        .bearer(&t)
        .json(&json!({ "name": "settings", "permissions": ["books:read", "books:settings"] }))
        .send()
        .await;
    key.assert_status(201);
    let key = key.json()["secret"].as_str().unwrap().to_string();
    let mut settings = get(&app, &t, "/api/v1/ledger/settings").await;
    settings["default_due_days"] = json!(45);
    let r = app.put("/api/v1/ledger/settings").bearer(&key).json(&settings).send().await;
    r.assert_status(200);
    let locked = settings["books_locked_until"].clone();
    settings["books_locked_until"] = json!("2001-03-31");
    let r = app.put("/api/v1/ledger/settings").bearer(&key).json(&settings).send().await;
    r.assert_status(403);
    assert!(r.text().contains("books:lock"), "{}", r.text());
    let now = get(&app, &t, "/api/v1/ledger/settings").await;
    assert_eq!(now["books_locked_until"], locked, "the lock did not move");
    assert_eq!(now["default_due_days"], 45);
}
