//! Invoices through the API: GST by place of supply (CGST + SGST, UTGST,
//! IGST, exports), rates by date, rounding, gapless numbering under
//! concurrent issuing, immutability, credit notes, quotations, the lock
//! date, and the journal every issued document posts.

use crate::common;

use common::*;
use futures::future::join_all;
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn an_invoice_in_the_companys_state_splits_cgst_and_sgst_and_posts_a_balanced_journal() {
    let app = TestApp::spawn().await;
    let t = company(&app, "sahyadri", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Mumbai Traders", MUMBAI_BUYER).await;
    let item = laptop(&app, &t, "50000").await;

    let inv = invoice(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "2" }])).await;
    assert_eq!(inv["status"], "issued");
    assert_eq!(inv["place_of_supply"], "27");
    assert_eq!(d(&inv["taxable_value"]), dec("100000"));
    assert_eq!(d(&inv["cgst"]), dec("9000"));
    assert_eq!(d(&inv["sgst"]), dec("9000"));
    assert_eq!(d(&inv["igst"]), dec("0"));
    assert_eq!(d(&inv["total"]), dec("118000"));
    assert_eq!(d(&inv["balance_due"]), dec("118000"));
    let line = &inv["lines"][0];
    assert_eq!(line["hsn_sac"], "84713010");
    assert_eq!(d(&line["gst_rate"]), dec("18"));
    assert!(inv["number"].as_str().unwrap().starts_with("INV/"), "{inv}");

    // Debtors owe the total; sales and output tax are credited.
    assert_eq!(balance(&app, &t, "1100").await, dec("118000"));
    assert_eq!(balance(&app, &t, "4000").await, dec("-100000"));
    assert_eq!(balance(&app, &t, "2100").await, dec("-9000"));
    assert_eq!(balance(&app, &t, "2101").await, dec("-9000"));
    assert_balanced(&app, &t).await;
}

#[tokio::test]
async fn another_state_pays_igst_a_union_territory_pays_utgst_and_exports_follow_their_option() {
    let app = TestApp::spawn().await;
    let t = company(&app, "kaveri", MAHARASHTRA).await;
    let item = laptop(&app, &t, "1000").await;
    let lines = json!([{ "item_id": item, "quantity": "1" }]);

    let bengaluru = customer(&app, &t, "Bengaluru Stores", KARNATAKA).await;
    let inv = invoice(&app, &t, &bengaluru, lines.clone()).await;
    assert_eq!(inv["place_of_supply"], "29");
    assert_eq!(
        (d(&inv["igst"]), d(&inv["cgst"]), d(&inv["sgst"])),
        (dec("180"), dec("0"), dec("0"))
    );
    assert_eq!(balance(&app, &t, "2103").await, dec("-180"));

    // Overseas: with payment of tax, IGST; under a bond (LUT), none.
    let overseas = post(
        &app,
        &t,
        "/api/v1/parties",
        json!({ "is_customer": true, "legal_name": "Acme GmbH", "registration": "overseas",
                "billing_address": { "line1": "Hauptstrasse 1", "city": "Berlin", "state_code": "96", "country": "DE" } }),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (supply, igst) in [("export_with_tax", "180"), ("export_without_tax", "0")] {
        let v = post(
            &app,
            &t,
            "/api/v1/invoices",
            json!({ "party_id": overseas, "supply_type": supply, "lines": lines }),
            201,
        )
        .await;
        assert_eq!(v["place_of_supply"], "96", "{v}");
        assert_eq!(d(&v["igst"]), dec(igst), "{supply}: {v}");
        assert_eq!(d(&v["cgst"]), dec("0"), "{supply}: {v}");
    }

    // A company in Chandigarh selling within Chandigarh: CGST + UTGST.
    let ut = company(&app, "sukhna", CHANDIGARH).await;
    let item = laptop(&app, &ut, "1000").await;
    let local = customer(&app, &ut, "Sector 17 Retail", CHANDIGARH_BUYER).await;
    let inv = invoice(&app, &ut, &local, json!([{ "item_id": item, "quantity": "1" }])).await;
    assert_eq!(
        (d(&inv["cgst"]), d(&inv["utgst"]), d(&inv["sgst"]), d(&inv["igst"])),
        (dec("90"), dec("90"), dec("0"), dec("0")),
        "{inv}"
    );
    assert_eq!(balance(&app, &ut, "2102").await, dec("-90"));
    assert_balanced(&app, &ut).await;
    assert_balanced(&app, &t).await;
}

#[tokio::test]
async fn a_document_takes_the_rate_in_force_on_its_date_and_rounds_to_the_rupee() {
    let app = TestApp::spawn().await;
    let t = company(&app, "godavari", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Pune Foods", MUMBAI_BUYER).await;
    // Packaged namkeen: 12% until 21 September 2025, 5% from the 22nd.
    let item = post(
        &app,
        &t,
        "/api/v1/items",
        json!({ "name": "Namkeen 1 kg", "hsn_sac": "2106", "unit": "KGS", "price": "99.99",
                "rates": [{ "effective_from": "2017-07-01", "rate": "12" }, { "effective_from": "2025-09-22", "rate": "5" }] }),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lines = json!([{ "item_id": item, "quantity": "7" }]);
    for (date, rate) in [("2025-09-21", "12"), ("2025-09-22", "5")] {
        let v = post(
            &app,
            &t,
            "/api/v1/invoices/preview",
            json!({ "party_id": buyer, "date": date, "lines": lines }),
            200,
        )
        .await;
        assert_eq!(d(&v["lines"][0]["gst_rate"]), dec(rate), "{date}: {v}");
        let tot = &v["totals"];
        let taxable = d(&tot["taxable_value"]);
        assert_eq!(taxable, dec("699.93"));
        assert_eq!(d(&tot["cgst"]), d(&tot["sgst"]));
        let tax = d(&tot["cgst"]) + d(&tot["sgst"]);
        assert!((tax - taxable * dec(rate) / dec("100")).abs() <= dec("0.01"), "{v}");
        let total = d(&tot["total"]);
        assert_eq!(total, total.round(), "rounded to the rupee: {v}");
        assert_eq!(total, taxable + tax + d(&tot["round_off"]), "{v}");
        assert!(d(&tot["round_off"]).abs() <= dec("0.50"), "{v}");
    }
}

#[tokio::test]
async fn concurrent_issuing_numbers_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let t = company(&app, "narmada", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Nashik Mart", MUMBAI_BUYER).await;
    let item = laptop(&app, &t, "100").await;
    let mut ids = Vec::new();
    for _ in 0..50 {
        let v = draft(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "1" }])).await;
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let issued = join_all(ids.iter().map(|id| {
        let app = &app;
        let t = &t;
        async move {
            let r = app.post(&format!("/api/v1/invoices/{id}/issue")).bearer(t).send().await;
            assert_eq!(r.status().as_u16(), 200, "{}", r.text());
            r.json()["number"].as_str().unwrap().to_string()
        }
    }))
    .await;
    let mut seqs: Vec<u32> =
        issued.iter().map(|n| n.rsplit('/').next().unwrap().parse().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>(), "{issued:?}");
    for n in &issued {
        assert!(n.len() <= 16 && !n.starts_with(['0', '/', '-']), "{n}");
        assert!(n.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-'), "{n}");
    }
    // A refused issue (the lock date) takes no number.
    let next = draft(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "1" }])).await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let old = post(
        &app,
        &t,
        "/api/v1/invoices",
        json!({ "party_id": buyer, "date": yesterday, "lines": [{ "item_id": item, "quantity": "1" }] }),
        201,
    )
    .await;
    let settings = get(&app, &t, "/api/v1/ledger/settings").await;
    let mut locked = settings.clone();
    locked["books_locked_until"] = json!(yesterday);
    let r = app.put("/api/v1/ledger/settings").bearer(&t).json(&locked).send().await;
    r.assert_status(200);
    let p = app
        .post(&format!("/api/v1/invoices/{}/issue", old["id"].as_str().unwrap()))
        .bearer(&t)
        .send()
        .await
        .assert_problem(422, "books_locked");
    assert_eq!(p["errors"][0]["field"], "date", "{p}");
    let v = post(
        &app,
        &t,
        &format!("/api/v1/invoices/{}/issue", next["id"].as_str().unwrap()),
        json!(null),
        200,
    )
    .await;
    assert!(v["number"].as_str().unwrap().ends_with("/0051"), "{v}");
}

#[tokio::test]
async fn an_issued_invoice_is_immutable_and_corrected_by_a_credit_note() {
    let app = TestApp::spawn().await;
    let t = company(&app, "tapti", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Surat Silks", KARNATAKA).await;
    let item = laptop(&app, &t, "1000").await;
    let inv = invoice(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "3" }])).await;
    let id = inv["id"].as_str().unwrap();

    let r = app
        .put(&format!("/api/v1/invoices/{id}"))
        .bearer(&t)
        .json(&json!({ "party_id": buyer, "lines": [{ "item_id": item, "quantity": "1" }] }))
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 409, "{}", r.text());
    app.delete(&format!("/api/v1/invoices/{id}")).bearer(&t).send().await.assert_status(409);

    // One laptop comes back: a credit note against the invoice.
    let note = post(
        &app,
        &t,
        "/api/v1/invoices",
        json!({ "kind": "credit_note", "party_id": buyer, "against_id": id, "reason": "one unit returned",
                "lines": [{ "item_id": item, "quantity": "1" }] }),
        201,
    )
    .await;
    let note_id = note["id"].as_str().unwrap();
    let note = post(&app, &t, &format!("/api/v1/invoices/{note_id}/issue"), json!(null), 200).await;
    assert!(note["number"].as_str().unwrap().starts_with("CN/"), "{note}");
    assert_eq!(d(&note["igst"]), dec("180"));
    let after = get(&app, &t, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(d(&after["balance_due"]), dec("3540") - dec("1180"), "{after}");
    assert_eq!(after["status"], "partially_paid", "{after}");
    assert_eq!(balance(&app, &t, "1100").await, dec("2360"));
    assert_eq!(balance(&app, &t, "2103").await, dec("-360"));

    // A note cannot credit more than the invoice still owes.
    let big = post(
        &app,
        &t,
        "/api/v1/invoices",
        json!({ "kind": "credit_note", "party_id": buyer, "against_id": id, "reason": "too much",
                "lines": [{ "item_id": item, "quantity": "5" }] }),
        201,
    )
    .await;
    let r = app
        .post(&format!("/api/v1/invoices/{}/issue", big["id"].as_str().unwrap()))
        .bearer(&t)
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 422, "{}", r.text());
    assert_eq!(balance(&app, &t, "1100").await, dec("2360"), "nothing half-posted");

    // A Sales Rep drafts invoices but cannot issue credit notes.
    let rep = member(&app, &t, "rep@tapti.example", &["sales"]).await;
    let r = app
        .post(&format!("/api/v1/invoices/{}/issue", big["id"].as_str().unwrap()))
        .bearer(&rep)
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 403, "{}", r.text());
    assert_balanced(&app, &t).await;
}

#[tokio::test]
async fn a_quotation_converts_to_a_draft_invoice_and_cancelling_reverses_the_postings() {
    let app = TestApp::spawn().await;
    let t = company(&app, "krishna", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Kolhapur Agro", MUMBAI_BUYER).await;
    let item = laptop(&app, &t, "2500").await;
    let q = post(
        &app,
        &t,
        "/api/v1/quotations",
        json!({ "party_id": buyer, "lines": [{ "item_id": item, "quantity": "4", "discount": "1000" }] }),
        201,
    )
    .await;
    let qid = q["id"].as_str().unwrap();
    assert_eq!(d(&q["taxable_value"]), dec("9000"), "{q}");
    let q = post(&app, &t, &format!("/api/v1/quotations/{qid}/issue"), json!(null), 200).await;
    assert!(q["number"].as_str().unwrap().starts_with("QT/"), "{q}");
    assert_eq!(balance(&app, &t, "1100").await, dec("0"), "a quotation posts nothing");

    let inv = post(&app, &t, &format!("/api/v1/quotations/{qid}/convert"), json!(null), 201).await;
    assert_eq!(inv["kind"], "invoice");
    assert_eq!(inv["status"], "draft");
    assert_eq!(inv["converted_from"], qid);
    assert_eq!(d(&inv["total"]), dec("10620"));
    let id = inv["id"].as_str().unwrap();
    post(&app, &t, &format!("/api/v1/invoices/{id}/issue"), json!(null), 200).await;
    assert_eq!(balance(&app, &t, "1100").await, dec("10620"));
    let stock = get(&app, &t, &format!("/api/v1/items/{item}")).await;
    assert_eq!(d(&stock["stock"]), dec("-4"), "{stock}");

    let c = post(
        &app,
        &t,
        &format!("/api/v1/invoices/{id}/cancel"),
        json!({ "reason": "order withdrawn" }),
        200,
    )
    .await;
    assert_eq!(c["status"], "cancelled");
    assert_eq!(c["cancel_reason"], "order withdrawn");
    assert_eq!(balance(&app, &t, "1100").await, dec("0"));
    assert_eq!(balance(&app, &t, "4000").await, dec("0"));
    let stock = get(&app, &t, &format!("/api/v1/items/{item}")).await;
    assert_eq!(d(&stock["stock"]), dec("0"), "{stock}");
    assert_balanced(&app, &t).await;
}

#[tokio::test]
async fn bad_lines_are_named_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let t = company(&app, "mahanadi", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Cuttack Cloth", MUMBAI_BUYER).await;
    let before = get(&app, &t, "/api/v1/invoices").await["items"].as_array().unwrap().len();
    let r = app
        .post("/api/v1/invoices")
        .bearer(&t)
        .json(&json!({ "party_id": buyer, "lines": [
            { "description": "Consulting", "hsn_sac": "998311", "quantity": "1", "unit_price": "1000", "gst_rate": "18" },
            { "description": "Cable", "hsn_sac": "85", "quantity": "1", "unit_price": "10", "gst_rate": "18" },
        ] }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.iter().any(|f| f.contains("lines[1]") && f.contains("hsn_sac")), "{p}");
    let r = app
        .post("/api/v1/invoices")
        .bearer(&t)
        .json(&json!({ "party_id": buyer, "lines": [] }))
        .send()
        .await;
    r.assert_problem(422, "validation_failed");
    let after = get(&app, &t, "/api/v1/invoices").await["items"].as_array().unwrap().len();
    assert_eq!(before, after);
}

#[tokio::test]
async fn an_invoice_prints_as_a_pdf_with_the_particulars_the_law_asks_for() {
    let app = TestApp::spawn().await;
    let t = company(&app, "vaigai", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Madurai Textiles", KARNATAKA).await;
    let item = laptop(&app, &t, "50000").await;
    let inv = invoice(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "2" }])).await;
    let id = inv["id"].as_str().unwrap();
    let number = inv["number"].as_str().unwrap();

    let r = app.get(&format!("/api/v1/invoices/{id}/pdf?download=true")).bearer(&t).send().await;
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let disposition = r.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment") && disposition.contains(".pdf"), "{disposition}");
    let bytes = r.bytes().to_vec();
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Tax Invoice",
        number,
        MAHARASHTRA,
        KARNATAKA,
        "Madurai Textiles",
        "Karnataka (29)",
        "84713010",
        "IGST",
        "1,18,000.00",
        "Rupees One Lakh Eighteen Thousand Only",
        "Authorised signatory",
    ] {
        assert!(flat.contains(expected), "the PDF lacks {expected:?}: {flat}");
    }

    // A draft prints too, marked as one; another company's is not found.
    let draft = draft(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "1" }])).await;
    let r = app
        .get(&format!("/api/v1/invoices/{}/pdf", draft["id"].as_str().unwrap()))
        .bearer(&t)
        .send()
        .await;
    r.assert_status(200);
    assert!(r.header("content-disposition").unwrap().starts_with("inline"));
    let text = pdf_extract::extract_text_from_mem(r.bytes()).unwrap();
    assert!(text.contains("DRAFT"), "{text}");
    let other = company(&app, "palar", MAHARASHTRA).await;
    app.get(&format!("/api/v1/invoices/{id}/pdf")).bearer(&other).send().await.assert_status(404);
}

fn sse(text: &str) -> String {
    let chunk = |d: serde_json::Value, f: serde_json::Value| json!({ "id": "x", "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": d, "finish_reason": f }] });
    let mut s = format!("data: {}\n\n", chunk(json!({ "content": text }), serde_json::Value::Null));
    s.push_str(&format!("data: {}\n\n", chunk(json!({}), json!("stop"))));
    s.push_str(&format!("data: {}\n\n", json!({ "id": "x", "choices": [], "usage": { "prompt_tokens": 90, "completion_tokens": 40 } })));
    s.push_str("data: [DONE]\n\n");
    s
}

#[tokio::test]
async fn a_capable_model_reads_what_the_rules_cannot_and_is_not_asked_otherwise() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let app = TestApp::spawn().await;
    let t = company(&app, "narmada", MAHARASHTRA).await;
    let sharma = customer(&app, &t, "Sharma Traders", KARNATAKA).await;
    let verma = customer(&app, &t, "Verma Stores", MUMBAI_BUYER).await;
    let item = laptop(&app, &t, "30000").await;
    invoice(&app, &t, &sharma, json!([{ "item_id": item, "quantity": "2" }])).await;
    invoice(&app, &t, &sharma, json!([{ "item_id": item, "quantity": "1" }])).await;
    invoice(&app, &t, &verma, json!([{ "item_id": item, "quantity": "3" }])).await;
    let question = json!({ "query": "what does Sharma Traders still owe us" });

    // No capable model routed: the rules say what they could not read.
    let v = post(&app, &t, "/api/v1/invoices/search", question.clone(), 200).await;
    assert_eq!(v["read_by"], "rules", "{v}");
    assert!(v["notes"].to_string().contains("not understood"), "{v}");

    // A stand-in speaking the OpenAI protocol, routed for invoice search.
    let model = MockServer::start().await;
    let reading = json!({ "statuses": ["issued", "partially_paid", "overdue"], "party": "Sharma Traders",
                          "from": null, "to": null, "min_total": "40000", "max_total": null, "number": null });
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(sse(&reading.to_string())),
        )
        .mount(&model)
        .await;
    post(
        &app,
        &t,
        "/api/v1/ai/providers",
        json!({ "name": "stand", "kind": "openai_compatible", "base_url": model.uri(), "chat_model": "reader-1" }),
        201,
    )
    .await;
    let r = app
        .put("/api/v1/ai/policy")
        .bearer(&t)
        .json(&json!({ "routes": { "invoice_search": ["stand"] } }))
        .send()
        .await;
    r.assert_status(200);

    let v = post(&app, &t, "/api/v1/invoices/search", question, 200).await;
    assert_eq!(v["read_by"], "rules_and_model", "{v}");
    assert_eq!(v["model"], "stand/reader-1", "{v}");
    assert_eq!(v["party_id"], sharma.as_str(), "{v}");
    assert_eq!(d(&v["filters"]["min_total"]), dec("40000"), "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only Sharma's invoice above 40,000: {v}");
    assert_eq!(d(&items[0]["total"]), dec("70800"), "{v}");
    let sent = model.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["response_format"]["type"], "json_schema", "{body}");
    assert!(body["messages"][1]["content"].as_str().unwrap().contains("Sharma Traders"));

    // A question the rules read whole never reaches the model.
    let v = post(
        &app,
        &t,
        "/api/v1/invoices/search",
        json!({ "query": "unpaid invoices of Verma Stores" }),
        200,
    )
    .await;
    assert_eq!(v["read_by"], "rules", "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(model.received_requests().await.unwrap().len(), 1, "the model was not asked");
}

/// Every page of a list, walked by its cursor.
async fn walk(app: &TestApp, t: &str, path: &str) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
            None => format!("{path}{sep}limit=2"),
        };
        let page = get(app, t, &url).await;
        all.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return all,
        }
    }
}

#[tokio::test]
async fn lists_filter_by_status_party_and_text_and_page_in_order() {
    let app = TestApp::spawn().await;
    let t = company(&app, "godavari", MAHARASHTRA).await;
    let sharma = customer(&app, &t, "Sharma Traders", KARNATAKA).await;
    let verma = customer(&app, &t, "Verma 100% Stores", MUMBAI_BUYER).await;
    let item = laptop(&app, &t, "1000").await;
    let mut issued = Vec::new();
    for (i, party) in [&sharma, &verma, &sharma, &verma, &sharma].into_iter().enumerate() {
        let date = format!("2026-04-{:02}", 10 + i);
        let d = post(
            &app,
            &t,
            "/api/v1/invoices",
            json!({ "party_id": party, "date": date, "lines": [{ "item_id": item, "quantity": "1" }] }),
            201,
        )
        .await;
        let id = d["id"].as_str().unwrap().to_string();
        issued
            .push(post(&app, &t, &format!("/api/v1/invoices/{id}/issue"), json!(null), 200).await);
    }
    let draft = draft(&app, &t, &verma, json!([{ "item_id": item, "quantity": "2" }])).await;
    // One paid in full.
    post(
        &app,
        &t,
        "/api/v1/payments",
        json!({ "kind": "receipt", "party_id": sharma, "mode": "cash", "amount": "1180",
                "allocations": [{ "document_id": issued[0]["id"], "amount": "1180" }] }),
        201,
    )
    .await;
    let ids = |v: &[serde_json::Value]| -> Vec<String> {
        v.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
    };
    let sorted = |v: &[serde_json::Value]| {
        v.windows(2).all(|w| {
            (w[0]["date"].as_str(), w[0]["id"].as_str())
                > (w[1]["date"].as_str(), w[1]["id"].as_str())
        })
    };

    // Everything, newest first, two at a time: each once, in order.
    let all = walk(&app, &t, "/api/v1/invoices").await;
    assert_eq!(all.len(), 6, "{all:?}");
    assert!(sorted(&all), "{all:?}");
    let mut unique = ids(&all);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6);
    // By status (one or several), by party, by text.
    let paid = walk(&app, &t, "/api/v1/invoices?status=paid").await;
    assert_eq!(ids(&paid), vec![issued[0]["id"].as_str().unwrap().to_string()]);
    let drafts = walk(&app, &t, "/api/v1/invoices?status=draft").await;
    assert_eq!(ids(&drafts), vec![draft["id"].as_str().unwrap().to_string()]);
    let open = walk(&app, &t, "/api/v1/invoices?status=issued&from=2026-04-11&to=2026-04-13").await;
    assert_eq!(open.len(), 3, "{open:?}");
    assert!(sorted(&open));
    let theirs = walk(&app, &t, &format!("/api/v1/invoices?party_id={sharma}")).await;
    assert_eq!(theirs.len(), 3, "{theirs:?}");
    assert!(theirs.iter().all(|d| d["party_name"] == "Sharma Traders") && sorted(&theirs));
    let number = issued[3]["number"].as_str().unwrap();
    let by_number =
        walk(&app, &t, &format!("/api/v1/invoices?q={}", number.replace('/', "%2F"))).await;
    assert_eq!(ids(&by_number), vec![issued[3]["id"].as_str().unwrap().to_string()], "{number}");
    // A number's end, and its beginning in any case.
    let tail: String = number.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    let by_tail = walk(&app, &t, &format!("/api/v1/invoices?q={tail}")).await;
    assert_eq!(ids(&by_tail), vec![issued[3]["id"].as_str().unwrap().to_string()], "{tail}");
    let head = number[..4].to_lowercase().replace('/', "%2F");
    assert_eq!(walk(&app, &t, &format!("/api/v1/invoices?q={head}")).await.len(), 5, "{head}");
    let by_name = walk(&app, &t, "/api/v1/invoices?q=sharma").await;
    assert_eq!(by_name.len(), 3, "{by_name:?}");
    assert!(sorted(&by_name));
    // `%` is a character, not a wildcard.
    let literal = walk(&app, &t, "/api/v1/invoices?q=100%25").await;
    assert_eq!(literal.len(), 3, "Verma 100% Stores' documents: {literal:?}");
    assert!(walk(&app, &t, "/api/v1/invoices?q=%25%25").await.is_empty());
    // Text and party together: the party's matches only.
    let both = walk(&app, &t, &format!("/api/v1/invoices?q=INV&party_id={verma}")).await;
    assert_eq!(both.len(), 2, "{both:?}");
}

#[tokio::test]
async fn the_companys_logo_is_checked_kept_and_printed_on_its_documents() {
    let app = TestApp::spawn().await;
    let t = company(&app, "tungabhadra", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Hampi Handicrafts", KARNATAKA).await;
    let item = laptop(&app, &t, "50000").await;
    let inv = invoice(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "1" }])).await;
    let path = format!("/api/v1/invoices/{}/pdf", inv["id"].as_str().unwrap());
    async fn fetch(app: &TestApp, path: &str, t: &str) -> Vec<u8> {
        let r = app.get(path).bearer(t).send().await;
        r.assert_status(200);
        r.bytes().to_vec()
    }
    let pdf = |app| fetch(app, &path, &t);
    let plain = pdf(&app).await;
    app.get("/api/v1/ledger/logo").bearer(&t).send().await.assert_problem(404, "not_found");

    // Not an image, a broken one, or one that is not what it says: refused.
    let r =
        app.put("/api/v1/ledger/logo").bearer(&t).raw("image/png", "not a picture").send().await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "body", "{v}");
    let logo = include_bytes!("../data/logo.png").to_vec();
    let broken = logo[..logo.len() / 2].to_vec();
    let v = app
        .put("/api/v1/ledger/logo")
        .bearer(&t)
        .raw("image/png", broken)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert!(v.to_string().contains("readable"), "{v}");
    app.put("/api/v1/ledger/logo")
        .bearer(&t)
        .raw("image/jpeg", logo.clone())
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let mut huge = logo.clone();
    huge.resize(1024 * 1024 + 1, 0);
    app.put("/api/v1/ledger/logo")
        .bearer(&t)
        .raw("image/png", huge)
        .send()
        .await
        .assert_problem(413, "logo_too_large");
    assert_eq!(pdf(&app).await, plain, "nothing was kept");

    // A real PNG is kept, served back, and printed.
    let r = app.put("/api/v1/ledger/logo").bearer(&t).raw("image/png", logo.clone()).send().await;
    r.assert_status(200);
    assert_eq!(r.json()["content_type"], "image/png");
    assert_eq!(r.json()["size"], logo.len());
    let r = app.get("/api/v1/ledger/logo").bearer(&t).send().await;
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.bytes().to_vec(), logo);
    let printed = pdf(&app).await;
    let has_image = |b: &[u8]| {
        let doc = pdf_extract::Document::load_mem(b).unwrap();
        doc.objects.values().any(|o| match o {
            pdf_extract::Object::Stream(s) => {
                s.dict.get(b"Subtype").and_then(|v| v.as_name()).is_ok_and(|n| n == b"Image")
            }
            _ => false,
        })
    };
    assert!(!has_image(&plain), "the plain invoice has no image");
    assert!(has_image(&printed), "the logo is printed");
    let text = pdf_extract::extract_text_from_mem(&printed).unwrap();
    assert!(text.contains("Hampi Handicrafts"), "{text}");

    // Another company sees none of it; removing it prints without again.
    let other = company(&app, "kaveri", MAHARASHTRA).await;
    app.get("/api/v1/ledger/logo").bearer(&other).send().await.assert_status(404);
    app.delete("/api/v1/ledger/logo").bearer(&t).send().await.assert_status(204);
    app.get("/api/v1/ledger/logo").bearer(&t).send().await.assert_status(404);
    assert!(!has_image(&pdf(&app).await));
}

#[tokio::test]
async fn a_question_in_plain_words_finds_invoices_and_says_how_it_was_read() {
    let app = TestApp::spawn().await;
    let t = company(&app, "sabarmati", MAHARASHTRA).await;
    let sharma = customer(&app, &t, "Sharma Traders", KARNATAKA).await;
    let other = customer(&app, &t, "Verma Stores", MUMBAI_BUYER).await;
    let item = laptop(&app, &t, "30000").await;
    // Sharma: 2 units (70,800) and 1 unit (35,400); Verma: 3 units.
    let big = invoice(&app, &t, &sharma, json!([{ "item_id": item, "quantity": "2" }])).await;
    invoice(&app, &t, &sharma, json!([{ "item_id": item, "quantity": "1" }])).await;
    invoice(&app, &t, &other, json!([{ "item_id": item, "quantity": "3" }])).await;

    let v = post(
        &app,
        &t,
        "/api/v1/invoices/search",
        json!({ "query": "unpaid invoices of Sharma Traders above 50,000 this financial year" }),
        200,
    )
    .await;
    assert_eq!(v["party_id"], sharma.as_str(), "{v}");
    assert_eq!(d(&v["filters"]["min_total"]), dec("50000"), "{v}");
    assert_eq!(v["filters"]["statuses"], json!(["issued", "partially_paid", "overdue"]));
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["id"], big["id"]);
    assert!(v["notes"].as_array().unwrap().is_empty(), "{v}");

    // An unknown party finds nothing and says why; the list filters too.
    let v = post(
        &app,
        &t,
        "/api/v1/invoices/search",
        json!({ "query": "invoices of Gupta Brothers" }),
        200,
    )
    .await;
    assert_eq!(v["items"], json!([]));
    assert!(v["notes"][0].as_str().unwrap().contains("Gupta Brothers"), "{v}");
    let list = get(&app, &t, "/api/v1/invoices?min_total=50000&max_total=80000").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    app.post("/api/v1/invoices/search")
        .bearer(&t)
        .json(&json!({ "query": "" }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn an_issued_invoice_is_mailed_to_the_customer_with_its_pdf() {
    let app = TestApp::spawn().await;
    let t = company(&app, "kosi", MAHARASHTRA).await;
    let buyer = post(
        &app,
        &t,
        "/api/v1/parties",
        json!({ "is_customer": true, "legal_name": "Patna Paper Mart", "gstin": KARNATAKA, "registration": "regular",
                "billing_address": { "line1": "5 Exhibition Road", "city": "Bengaluru", "state_code": "29", "pincode": "560001" },
                "contacts": [{ "name": "Accounts", "email": "accounts@patna-paper.example" }] }),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let item = laptop(&app, &t, "1000").await;
    let d = draft(&app, &t, &buyer, json!([{ "item_id": item, "quantity": "1" }])).await;
    let id = d["id"].as_str().unwrap();
    // A draft is not sent.
    app.post(&format!("/api/v1/invoices/{id}/send"))
        .bearer(&t)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(409, "not_sendable");
    let inv = post(&app, &t, &format!("/api/v1/invoices/{id}/issue"), json!(null), 200).await;
    let sent = post(
        &app,
        &t,
        &format!("/api/v1/invoices/{id}/send"),
        json!({ "message": "Thank you for your order." }),
        200,
    )
    .await;
    assert_eq!(sent["to"], "accounts@patna-paper.example");
    let mail = app.mailer().last_to("accounts@patna-paper.example").expect("a mail was sent");
    let number = inv["number"].as_str().unwrap();
    assert!(
        mail.subject.contains(number) && mail.subject.contains("Tax Invoice"),
        "{}",
        mail.subject
    );
    assert!(
        mail.body.starts_with("Thank you for your order.") && mail.body.contains("1,180.00"),
        "{}",
        mail.body
    );
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].content_type, "application/pdf");
    assert!(mail.attachments[0].bytes.starts_with(b"%PDF"));
    // Another address on request.
    post(
        &app,
        &t,
        &format!("/api/v1/invoices/{id}/send"),
        json!({ "to": "cfo@patna-paper.example" }),
        200,
    )
    .await;
    assert!(app.mailer().last_to("cfo@patna-paper.example").is_some());
}
