//! Receipts and supplier payments through the API: allocation across
//! invoices (partial, full, refused beyond what is owed), advances applied
//! later, TDS deducted by the customer, purchase bills with input tax, and
//! the books that every one of them keeps balanced.

use crate::common;

use common::*;
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn receipts_settle_invoices_in_part_then_in_full_and_over_allocation_is_refused() {
    let app = TestApp::spawn().await;
    let t = company(&app, "ganga", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Varanasi Weaves", MUMBAI_BUYER).await;
    let item = laptop(&app, &t, "1000").await;
    let a = invoice(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "1" }])).await;
    let b = invoice(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "2" }])).await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    // More than invoice A still owes: refused, the field named, nothing kept.
    let r = app
        .post("/api/v1/payments")
        .bearer(&t)
        .json(&json!({ "kind": "receipt", "party_id": buyer, "mode": "upi", "amount": "5000",
                       "allocations": [{ "document_id": a_id, "amount": "1181" }] }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "allocations[0].amount", "{p}");
    assert_eq!(get(&app, &t, "/api/v1/payments").await["items"].as_array().unwrap().len(), 0);
    assert_eq!(balance(&app, &t, "1010").await, dec("0"));

    // 1,180 settles A; 1,000 of B's 2,360 leaves it partly paid.
    let rec = post(
        &app,
        &t,
        "/api/v1/payments",
        json!({ "kind": "receipt", "party_id": buyer, "mode": "bank_transfer", "amount": "2180", "reference": "UTR0001",
                "allocations": [{ "document_id": a_id, "amount": "1180" }, { "document_id": b_id, "amount": "1000" }] }),
        201,
    )
    .await;
    assert_eq!(d(&rec["unallocated"]), dec("0"));
    assert_eq!(get(&app, &t, &format!("/api/v1/invoices/{a_id}")).await["status"], "paid");
    let b_now = get(&app, &t, &format!("/api/v1/invoices/{b_id}")).await;
    assert_eq!(b_now["status"], "partially_paid");
    assert_eq!(d(&b_now["balance_due"]), dec("1360"));
    assert_eq!(balance(&app, &t, "1010").await, dec("2180"));
    assert_eq!(balance(&app, &t, "1100").await, dec("1360"));

    // An advance in cash, applied to B later; a paid invoice takes no more.
    let adv = post(
        &app,
        &t,
        "/api/v1/payments",
        json!({ "kind": "receipt", "party_id": buyer, "mode": "cash", "amount": "2000" }),
        201,
    )
    .await;
    assert_eq!(d(&adv["unallocated"]), dec("2000"));
    assert_eq!(balance(&app, &t, "1000").await, dec("2000"));
    assert_eq!(balance(&app, &t, "2300").await, dec("-2000"));
    let adv_id = adv["id"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/payments/{adv_id}/allocations"))
        .bearer(&t)
        .json(&json!({ "allocations": [{ "document_id": a_id, "amount": "1" }] }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("paid"), "{p}");
    let adv = post(
        &app,
        &t,
        &format!("/api/v1/payments/{adv_id}/allocations"),
        json!({ "allocations": [{ "document_id": b_id, "amount": "1360" }] }),
        200,
    )
    .await;
    assert_eq!(d(&adv["unallocated"]), dec("640"));
    assert_eq!(get(&app, &t, &format!("/api/v1/invoices/{b_id}")).await["status"], "paid");
    assert_eq!(balance(&app, &t, "1100").await, dec("0"));
    assert_eq!(balance(&app, &t, "2300").await, dec("-640"));

    // The customer's context: nothing outstanding, the receipts listed.
    let ctx = get(&app, &t, &format!("/api/v1/customers/{buyer}/context")).await;
    assert_eq!(d(&ctx["outstanding"]), dec("0"), "{ctx}");
    assert_eq!(ctx["recent_receipts"].as_array().unwrap().len(), 2, "{ctx}");
    assert_balanced(&app, &t).await;
}

#[tokio::test]
async fn tds_deducted_by_the_customer_settles_the_invoice_and_is_kept_as_receivable() {
    let app = TestApp::spawn().await;
    let t = company(&app, "yamuna", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Agra Engineering", MUMBAI_BUYER).await;
    let service = post(
        &app,
        &t,
        "/api/v1/items",
        json!({ "name": "Design consulting", "is_service": true, "hsn_sac": "998391", "unit": "OTH", "price": "100000",
                "rates": [{ "effective_from": "2017-07-01", "rate": "18" }] }),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let inv = invoice(&app, &t, &buyer, json!([{ "item_id": service, "quantity": "1" }])).await;
    let id = inv["id"].as_str().unwrap();
    assert_eq!(d(&inv["total"]), dec("118000"));

    // 194J professional services: 10% of the value before GST.
    let tds = post(
        &app,
        &t,
        "/api/v1/tds/preview",
        json!({ "party_id": buyer, "section": "194J-professional", "document_ids": [id] }),
        200,
    )
    .await;
    assert_eq!(d(&tds["rate"]), dec("10"), "{tds}");
    assert_eq!(d(&tds["amount"]), dec("10000"), "{tds}");

    let rec = post(
        &app,
        &t,
        "/api/v1/payments",
        json!({ "kind": "receipt", "party_id": buyer, "mode": "bank_transfer", "amount": "108000",
                "tds_section": "194J-professional", "tds_amount": "10000", "tds_certificate": "FORM16A-Q3-0042",
                "allocations": [{ "document_id": id, "amount": "118000" }] }),
        201,
    )
    .await;
    assert_eq!(rec["tds_certificate"], "FORM16A-Q3-0042");
    assert_eq!(get(&app, &t, &format!("/api/v1/invoices/{id}")).await["status"], "paid");
    assert_eq!(balance(&app, &t, "1010").await, dec("108000"));
    assert_eq!(balance(&app, &t, "1300").await, dec("10000"));
    assert_eq!(balance(&app, &t, "1100").await, dec("0"));

    // TDS with no section is refused.
    let r = app
        .post("/api/v1/payments")
        .bearer(&t)
        .json(&json!({ "kind": "receipt", "party_id": buyer, "mode": "upi", "amount": "10", "tds_amount": "1" }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "tds_section", "{p}");
    assert_balanced(&app, &t).await;
}

#[tokio::test]
async fn a_purchase_bill_claims_input_tax_and_a_supplier_payment_clears_the_creditor() {
    let app = TestApp::spawn().await;
    let t = company(&app, "sindhu", MAHARASHTRA).await;
    let vendor = supplier(&app, &t, "Delhi Components", DELHI).await;
    let item = laptop(&app, &t, "40000").await;
    let bill = post(
        &app,
        &t,
        "/api/v1/bills",
        json!({ "party_id": vendor, "supplier_number": "DC/778", "supplier_date": "2026-11-30",
                "lines": [{ "item_id": item, "quantity": "3", "unit_price": "40000" }] }),
        201,
    )
    .await;
    let id = bill["id"].as_str().unwrap();
    let bill = post(&app, &t, &format!("/api/v1/bills/{id}/issue"), json!(null), 200).await;
    assert_eq!(d(&bill["igst"]), dec("21600"), "{bill}");
    assert_eq!(balance(&app, &t, "1203").await, dec("21600"));
    assert_eq!(balance(&app, &t, "5000").await, dec("120000"));
    assert_eq!(balance(&app, &t, "2000").await, dec("-141600"));
    let stock = get(&app, &t, &format!("/api/v1/items/{item}")).await;
    assert_eq!(d(&stock["stock"]), dec("3"), "{stock}");

    // The same supplier number twice is refused.
    let r = app
        .post("/api/v1/bills")
        .bearer(&t)
        .json(&json!({ "party_id": vendor, "supplier_number": "DC/778",
                       "lines": [{ "item_id": item, "quantity": "1", "unit_price": "40000" }] }))
        .send()
        .await;
    let body = r.text();
    let status = r.status().as_u16();
    let issued_twice = if status == 201 {
        let dup = r.json()["id"].as_str().unwrap().to_string();
        app.post(&format!("/api/v1/bills/{dup}/issue")).bearer(&t).send().await.status().as_u16()
    } else {
        status
    };
    assert_eq!(issued_twice, 409, "{body}");

    post(
        &app,
        &t,
        "/api/v1/payments",
        json!({ "kind": "payment", "party_id": vendor, "mode": "bank_transfer", "amount": "141600",
                "allocations": [{ "document_id": id, "amount": "141600" }] }),
        201,
    )
    .await;
    assert_eq!(get(&app, &t, &format!("/api/v1/bills/{id}")).await["status"], "paid");
    assert_eq!(balance(&app, &t, "2000").await, dec("0"));
    assert_eq!(balance(&app, &t, "1010").await, dec("-141600"));
    assert_balanced(&app, &t).await;
}

#[tokio::test]
async fn a_retried_receipt_with_its_idempotency_key_is_recorded_once() {
    let app = TestApp::spawn().await;
    let t = company(&app, "periyar", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Kochi Spices", MUMBAI_BUYER).await;
    let body = json!({ "kind": "receipt", "party_id": buyer, "mode": "upi", "amount": "700" });
    let first = app
        .post("/api/v1/payments")
        .bearer(&t)
        .header("idempotency-key", "receipt-7f3a")
        .json(&body)
        .send()
        .await;
    first.assert_status(201);
    let again = app
        .post("/api/v1/payments")
        .bearer(&t)
        .header("idempotency-key", "receipt-7f3a")
        .json(&body)
        .send()
        .await;
    again.assert_status(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(get(&app, &t, "/api/v1/payments").await["items"].as_array().unwrap().len(), 1);
    assert_eq!(balance(&app, &t, "1010").await, dec("700"));
}
