//! E-invoicing through the API against a stand-in IRP that speaks the NIC
//! protocol (encrypted login and payloads, signed invoice and QR code,
//! its error codes): registration, violations named before anything is
//! sent, duplicate IRNs, an inactive GSTIN, a timeout then a retry,
//! cancellation inside and after 24 hours, the job on issue, and the QR
//! code on the PDF.

use crate::common;

use std::time::Duration;

use common::*;
use ledger::gst::{einvoice, irp, jws};
use serde_json::{Value, json};
use standin::irp::{Config, RunningIrp};
use testkit::TestApp;

/// A company with a printed address, and e-invoicing pointed at `irp`.
async fn company_with_irp(app: &TestApp, name: &str, irp: &RunningIrp, auto: bool) -> String {
    let t = company(app, name, MAHARASHTRA).await;
    let mut settings = get(app, &t, "/api/v1/ledger/settings").await;
    settings["company_address"] = json!({ "line1": "12 Senapati Bapat Marg", "city": "Mumbai", "state_code": "27", "pincode": "400013" });
    app.put("/api/v1/ledger/settings").bearer(&t).json(&settings).send().await.assert_status(200);
    configure(app, &t, irp, auto, 5).await;
    t
}

async fn configure(app: &TestApp, t: &str, irp: &RunningIrp, auto: bool, timeout: i32) {
    let r = app
        .put("/api/v1/gst/e-invoice/settings")
        .bearer(t)
        .json(&json!({
            "enabled": true, "auto_generate": auto, "base_url": irp.url,
            "client_id": "TESSERA-STANDIN", "client_secret": "standin-client-secret",
            "username": "tessera_api", "password": "Standin@123",
            "encryption_key": irp.state.encryption_public_key(),
            "signing_key": irp.state.signing_public_key(), "timeout_secs": timeout,
        }))
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 200, "{}", r.text());
    assert_eq!(r.json()["has_password"], true);
    assert!(r.json().get("password").is_none(), "secrets never leave");
}

/// An issued inter-state invoice (Karnataka buyer, 2 laptops at 50,000).
async fn issued(app: &TestApp, t: &str) -> (String, Value) {
    let parties = get(app, t, "/api/v1/parties?q=Bengaluru").await;
    let buyer = match parties["items"].as_array().and_then(|a| a.first()) {
        Some(p) => p["id"].as_str().unwrap().to_string(),
        None => customer(app, t, "Bengaluru Systems", KARNATAKA).await,
    };
    let item = laptop(app, t, "50000").await;
    let inv = invoice(app, t, &buyer, json!([{ "item_id": item, "quantity": "2" }])).await;
    (inv["id"].as_str().unwrap().to_string(), inv)
}

fn gray_qr(width: usize, height: usize, pixel: impl Fn(usize, usize) -> u8) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

fn decode_png(bytes: &[u8]) -> String {
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes.to_vec())).read_info().unwrap();
    let mut buf = vec![0; d.output_buffer_size().unwrap()];
    let info = d.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    gray_qr(w, h, |x, y| buf[y * w + x])
}

/// The QR code printed on a PDF, decoded from its image.
fn qr_in_pdf(pdf: &[u8]) -> String {
    let doc = pdf_extract::Document::load_mem(pdf).unwrap();
    for o in doc.objects.values() {
        let pdf_extract::Object::Stream(s) = o else { continue };
        if !s.dict.get(b"Subtype").and_then(|v| v.as_name()).is_ok_and(|n| n == b"Image") {
            continue;
        }
        let w = s.dict.get(b"Width").unwrap().as_i64().unwrap() as usize;
        let h = s.dict.get(b"Height").unwrap().as_i64().unwrap() as usize;
        let data = s.decompressed_content().unwrap_or_else(|_| s.content.clone());
        let channels = data.len() / (w * h);
        return gray_qr(w, h, |x, y| data[(y * w + x) * channels]);
    }
    panic!("no image in the PDF");
}

#[tokio::test]
async fn an_issued_b2b_invoice_is_registered_and_prints_a_verified_qr_code() {
    let irp = standin::irp::start(Config::default()).await.unwrap();
    let app = TestApp::spawn().await;
    let t = company_with_irp(&app, "narmada", &irp, false).await;
    let (id, inv) = issued(&app, &t).await;

    let s = get(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice")).await;
    assert_eq!(
        (s["applicable"].clone(), s["status"].clone()),
        (json!(true), json!("not_generated")),
        "{s}"
    );
    assert_eq!(s["violations"], json!([]), "{s}");
    let payload = get(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice/json")).await;
    assert_eq!(payload["Version"], "1.1");
    assert_eq!(payload["TranDtls"]["SupTyp"], "B2B");
    assert_eq!(payload["BuyerDtls"]["Pos"], "29");
    assert_eq!(payload["ItemList"][0]["IgstAmt"], json!(18000.0));
    assert_eq!(payload["ValDtls"]["TotInvVal"], json!(118000.0));

    let s = post(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice"), json!(null), 200).await;
    assert_eq!(s["status"], "generated", "{s}");
    let number = inv["number"].as_str().unwrap();
    let date =
        chrono::NaiveDate::parse_from_str(inv["date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!(
        s["irn"],
        einvoice::irn(MAHARASHTRA, date, "INV", number),
        "the IRN is the hash of GSTIN, year, type and number"
    );
    assert!(s["ack_no"].as_str().unwrap().len() >= 12);
    assert_eq!(s["qr"]["DocNo"], number.to_uppercase());
    assert_eq!(s["qr"]["TotInvVal"], json!(118000.0));
    assert_eq!(irp.state.calls("auth"), 1);

    // The signed QR verifies with the IRP's key; a tampered one does not.
    let token = s["signed_qr"].as_str().unwrap();
    let key = jws::public_key(&irp.state.signing_public_key()).unwrap();
    assert_eq!(jws::verify(token, &key).unwrap()["Irn"], s["irn"]);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        payload["data"] = json!(payload["data"].as_str().unwrap().replace("118000", "18000"));
        format!("{}.{}.{}", parts[0], b64.encode(payload.to_string()), parts[2])
    };
    assert_eq!(jws::verify(&forged, &key), Err(jws::JwsError::Signature));

    // Registered once: again is refused; the QR code and the PDF carry it.
    let r = app.post(&format!("/api/v1/invoices/{id}/e-invoice")).bearer(&t).send().await;
    r.assert_problem(409, "already_registered");
    let png = app.get(&format!("/api/v1/invoices/{id}/e-invoice/qr")).bearer(&t).send().await;
    png.assert_status(200);
    assert_eq!(decode_png(png.bytes()), token);
    let pdf = app.get(&format!("/api/v1/invoices/{id}/pdf")).bearer(&t).send().await;
    pdf.assert_status(200);
    let text = pdf_extract::extract_text_from_mem(pdf.bytes()).unwrap();
    let irn = s["irn"].as_str().unwrap();
    assert!(text.replace(char::is_whitespace, "").contains(irn), "the IRN is printed: {text}");
    assert!(text.contains(s["ack_no"].as_str().unwrap()));
    assert_eq!(qr_in_pdf(pdf.bytes()), token, "the printed QR code is the signed QR");

    // The invoice cannot be cancelled behind the IRP's back; the e-invoice
    // cancellation cancels both (within 24 hours).
    let r = app
        .post(&format!("/api/v1/invoices/{id}/cancel"))
        .bearer(&t)
        .json(&json!({ "reason": "wrong" }))
        .send()
        .await;
    r.assert_problem(409, "einvoice_active");
    let s = post(
        &app,
        &t,
        &format!("/api/v1/invoices/{id}/e-invoice/cancel"),
        json!({ "reason": "data_entry_mistake", "remark": "Wrong quantity" }),
        200,
    )
    .await;
    assert_eq!(
        (s["status"].as_str(), s["cancel_reason"].as_i64()),
        (Some("cancelled"), Some(2)),
        "{s}"
    );
    let doc = get(&app, &t, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(doc["status"], "cancelled");
    assert_balanced(&app, &t).await;

    // Another company sees none of it.
    let other = company(&app, "tapti", KARNATAKA).await;
    app.get(&format!("/api/v1/invoices/{id}/e-invoice"))
        .bearer(&other)
        .send()
        .await
        .assert_status(404);
    app.get("/api/v1/gst/e-invoice/settings").bearer(&other).send().await.assert_status(404);
}

#[tokio::test]
async fn every_violation_is_named_with_its_path_and_line_before_anything_is_sent() {
    let irp = standin::irp::start(Config::default()).await.unwrap();
    let app = TestApp::spawn().await;
    // No address on the company: the seller's address lines are missing.
    let t = company(&app, "krishna", MAHARASHTRA).await;
    configure(&app, &t, &irp, false, 5).await;
    let buyer = customer(&app, &t, "Karnataka Retail", KARNATAKA).await;
    let laptop = laptop(&app, &t, "1000").await;
    let short = post(
        &app,
        &t,
        "/api/v1/items",
        json!({ "name": "Cables", "hsn_sac": "8544", "unit": "NOS", "price": "100", "rates": [{ "effective_from": "2017-07-01", "rate": "18" }] }),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let inv = invoice(
        &app,
        &t,
        &buyer,
        json!([{ "item_id": laptop, "quantity": "1" }, { "item_id": short, "quantity": "3" }]),
    )
    .await;
    let id = inv["id"].as_str().unwrap();

    let r = app.post(&format!("/api/v1/invoices/{id}/e-invoice")).bearer(&t).send().await;
    let p = r.assert_problem(422, "validation_failed");
    let errors = p["errors"].as_array().unwrap();
    let find = |path: &str| {
        errors.iter().find(|e| e["field"] == path).unwrap_or_else(|| panic!("{path} not in {p}"))
    };
    assert!(find("ItemList[1].HsnCd")["message"].as_str().unwrap().starts_with("line 2:"), "{p}");
    find("SellerDtls.Addr1");
    find("SellerDtls.Loc");
    find("SellerDtls.Pin");
    assert_eq!(irp.state.calls("generate"), 0, "nothing is sent");

    // The status shows the same, each with the field of ours to fix.
    let s = get(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice")).await;
    assert_eq!(s["status"], "failed");
    let v = s["violations"].as_array().unwrap();
    let hsn = v.iter().find(|x| x["path"] == "ItemList[1].HsnCd").unwrap();
    assert_eq!((hsn["line"].as_i64(), hsn["field"].as_str()), (Some(2), Some("lines[1].hsn_sac")));
    let addr = v.iter().find(|x| x["path"] == "SellerDtls.Addr1").unwrap();
    assert_eq!(addr["field"], "company.address.line1");
    app.get(&format!("/api/v1/invoices/{id}/e-invoice/json"))
        .bearer(&t)
        .send()
        .await
        .assert_problem(422, "validation_failed");

    // A sale to a consumer is not e-invoiced at all.
    let consumer = post(
        &app,
        &t,
        "/api/v1/parties",
        json!({ "is_customer": true, "legal_name": "Walk-in", "registration": "consumer",
                "billing_address": { "line1": "Shop", "city": "Pune", "state_code": "27", "pincode": "411001" } }),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b2c = invoice(&app, &t, &consumer, json!([{ "item_id": laptop, "quantity": "1" }])).await;
    let s =
        get(&app, &t, &format!("/api/v1/invoices/{}/e-invoice", b2c["id"].as_str().unwrap())).await;
    assert_eq!(s["applicable"], false);
    assert!(s["not_applicable_reason"].as_str().unwrap().contains("B2C"));
    app.post(&format!("/api/v1/invoices/{}/e-invoice", b2c["id"].as_str().unwrap()))
        .bearer(&t)
        .send()
        .await
        .assert_problem(409, "not_applicable");
}

/// Registers `payload` at the stand-in directly, as another system would.
async fn register_elsewhere(irp: &RunningIrp, payload: &Value) -> Value {
    let c = irp::Client::new(irp::Credentials {
        base_url: irp.url.clone(),
        client_id: "TESSERA-STANDIN".into(),
        client_secret: "standin-client-secret".into(),
        username: "tessera_api".into(),
        password: "Standin@123".into(),
        gstin: MAHARASHTRA.into(),
        encryption_key: irp.state.encryption_public_key(),
        timeout: Duration::from_secs(5),
        allow_private: true,
    })
    .unwrap();
    let s = c.authenticate().await.unwrap();
    c.generate(&s, payload).await.unwrap()
}

#[tokio::test]
async fn a_duplicate_irn_is_fetched_when_it_is_this_invoice_and_refused_when_it_is_not() {
    let irp = standin::irp::start(Config::default()).await.unwrap();
    let app = TestApp::spawn().await;
    let t = company_with_irp(&app, "yamuna", &irp, false).await;
    let (id, _) = issued(&app, &t).await;
    let payload = get(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice/json")).await;
    let there = register_elsewhere(&irp, &payload).await;

    let s = post(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice"), json!(null), 200).await;
    assert_eq!(
        (s["status"].as_str(), s["irn"].clone()),
        (Some("generated"), there["Irn"].clone()),
        "{s}"
    );
    assert_eq!(s["ack_no"], there["AckNo"].to_string());
    assert_eq!(irp.state.calls("get"), 1, "the existing e-invoice was fetched");

    // The same number registered with other details is not this invoice.
    let (id2, inv2) = issued(&app, &t).await;
    let mut other = get(&app, &t, &format!("/api/v1/invoices/{id2}/e-invoice/json")).await;
    assert_eq!(other["DocDtls"]["No"], inv2["number"].as_str().unwrap().to_uppercase());
    other["ItemList"][0]["Qty"] = json!(1.0);
    other["ItemList"][0]["TotAmt"] = json!(50000.0);
    other["ItemList"][0]["AssAmt"] = json!(50000.0);
    other["ItemList"][0]["IgstAmt"] = json!(9000.0);
    other["ItemList"][0]["TotItemVal"] = json!(59000.0);
    other["ValDtls"] = json!({ "AssVal": 50000.0, "IgstVal": 9000.0, "TotInvVal": 59000.0 });
    register_elsewhere(&irp, &other).await;
    let r = app.post(&format!("/api/v1/invoices/{id2}/e-invoice")).bearer(&t).send().await;
    let p = r.assert_problem(422, "irp_refused");
    assert!(p["errors"][0]["message"].as_str().unwrap().starts_with("2150 Duplicate IRN"), "{p}");
    let s = get(&app, &t, &format!("/api/v1/invoices/{id2}/e-invoice")).await;
    assert_eq!(
        (s["status"].as_str(), s["irp_errors"][0]["code"].as_str()),
        (Some("failed"), Some("2150"))
    );
}

#[tokio::test]
async fn the_irps_refusal_is_kept_with_advice_and_a_timeout_is_retried() {
    let irp = standin::irp::start(Config {
        inactive_gstins: vec![KARNATAKA.into()],
        ..Config::default()
    })
    .await
    .unwrap();
    let app = TestApp::spawn().await;
    let t = company_with_irp(&app, "kosi", &irp, false).await;
    let (id, _) = issued(&app, &t).await;
    let r = app.post(&format!("/api/v1/invoices/{id}/e-invoice")).bearer(&t).send().await;
    let p = r.assert_problem(422, "irp_refused");
    assert_eq!(p["errors"][0]["field"], "party.gstin", "{p}");
    let s = get(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice")).await;
    assert_eq!(s["status"], "failed");
    assert_eq!(s["irp_errors"][0]["code"], "3029");
    assert!(
        s["irp_errors"][0]["advice"].as_str().unwrap().contains("cancelled or suspended"),
        "{s}"
    );

    // A first attempt that gets no answer in time is retried.
    let irp2 = standin::irp::start(Config::default()).await.unwrap();
    let t2 = company_with_irp(&app, "sone", &irp2, false).await;
    configure(&app, &t2, &irp2, false, 1).await;
    let (id2, _) = issued(&app, &t2).await;
    irp2.state.slow_next(1, Duration::from_millis(2500));
    let s = post(&app, &t2, &format!("/api/v1/invoices/{id2}/e-invoice"), json!(null), 200).await;
    assert_eq!(s["status"], "generated");
    assert_eq!(irp2.state.calls("auth"), 2, "the login timed out once, then passed");
    // And one the IRP cannot take right now stays pending.
    let (id3, _) = issued(&app, &t2).await;
    irp2.state.fail_next(3);
    let r = app.post(&format!("/api/v1/invoices/{id3}/e-invoice")).bearer(&t2).send().await;
    r.assert_problem(503, "irp_unavailable");
    let s = get(&app, &t2, &format!("/api/v1/invoices/{id3}/e-invoice")).await;
    assert_eq!(s["status"], "pending");
    let s = post(&app, &t2, &format!("/api/v1/invoices/{id3}/e-invoice"), json!(null), 200).await;
    assert_eq!(s["status"], "generated");
}

#[tokio::test]
async fn an_irn_cannot_be_cancelled_after_24_hours() {
    let irp = standin::irp::start(Config::default()).await.unwrap();
    let app = TestApp::spawn().await;
    let t = company_with_irp(&app, "ganga", &irp, false).await;
    let cancel = json!({ "reason": "order_cancelled", "remark": "Order cancelled" });

    // Acknowledged 25 hours ago (by the IRP's clock): refused here, without asking.
    irp.state.advance_clock(chrono::Duration::hours(-25));
    let (id, _) = issued(&app, &t).await;
    post(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice"), json!(null), 200).await;
    let r = app
        .post(&format!("/api/v1/invoices/{id}/e-invoice/cancel"))
        .bearer(&t)
        .json(&cancel)
        .send()
        .await;
    let p = r.assert_problem(409, "cancel_window_over");
    assert!(p["detail"].as_str().unwrap().contains("credit note"), "{p}");
    assert_eq!(irp.state.calls("cancel"), 0);

    // The IRP's own refusal (its clock is ahead) says the same.
    irp.state.advance_clock(chrono::Duration::hours(25));
    let (id2, _) = issued(&app, &t).await;
    post(&app, &t, &format!("/api/v1/invoices/{id2}/e-invoice"), json!(null), 200).await;
    irp.state.advance_clock(chrono::Duration::hours(25));
    let r = app
        .post(&format!("/api/v1/invoices/{id2}/e-invoice/cancel"))
        .bearer(&t)
        .json(&cancel)
        .send()
        .await;
    r.assert_problem(409, "cancel_window_over");
    assert_eq!(
        irp.state.calls("cancel"),
        2,
        "once refused for the session that expired meanwhile, then for the window"
    );
    let doc = get(&app, &t, &format!("/api/v1/invoices/{id2}")).await;
    assert_eq!(doc["status"], "issued", "the invoice stands");
}

#[tokio::test]
async fn issuing_registers_in_the_background_when_the_company_asks() {
    let irp = standin::irp::start(Config::default()).await.unwrap();
    let app = TestApp::builder().background().build().await;
    let t = company_with_irp(&app, "kaveri", &irp, true).await;
    let (id, _) = issued(&app, &t).await;
    let mut s = Value::Null;
    for _ in 0..100 {
        s = get(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice")).await;
        if s["status"] == "generated" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(s["status"], "generated", "{s}");
    assert_eq!(irp.state.calls("generate"), 1);
}

#[tokio::test]
async fn an_e_way_bill_is_checked_then_prepared_or_generated_through_the_irp() {
    let irp = standin::irp::start(Config::default()).await.unwrap();
    let app = TestApp::spawn().await;
    let t = company_with_irp(&app, "mahanadi", &irp, false).await;

    // Not e-invoiced: checked, then prepared as the portal's JSON.
    let (plain, inv) = issued(&app, &t).await;
    let road = json!({ "mode": "road", "distance_km": 980, "vehicle_no": "KA 01 AB 1234", "transporter_name": "Deccan Roadways" });
    let r = app
        .put(&format!("/api/v1/invoices/{plain}/e-way-bill"))
        .bearer(&t)
        .json(&json!({ "mode": "road", "distance_km": 980, "vehicle_no": "KA-1234" }))
        .send()
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "vehicleNo", "{p}");
    let r = app
        .put(&format!("/api/v1/invoices/{plain}/e-way-bill"))
        .bearer(&t)
        .json(&json!({ "mode": "rail", "distance_km": 980 }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "transDocNo");
    let s = app
        .put(&format!("/api/v1/invoices/{plain}/e-way-bill"))
        .bearer(&t)
        .json(&road)
        .send()
        .await;
    assert_eq!(s.status().as_u16(), 200, "{}", s.text());
    assert_eq!(
        (s.json()["status"].as_str(), s.json()["via_irp"].as_bool()),
        (Some("prepared"), Some(false))
    );
    let e = get(&app, &t, &format!("/api/v1/invoices/{plain}/e-way-bill/json")).await;
    assert_eq!(e["docNo"], inv["number"]);
    assert_eq!((e["fromStateCode"].as_i64(), e["toStateCode"].as_i64()), (Some(27), Some(29)));
    assert_eq!(e["vehicleNo"], "KA01AB1234");
    assert_eq!(e["itemList"][0]["igstRate"], json!(18.0));
    assert_eq!(e["totInvValue"], json!(118000.0));

    // E-invoiced: generated through the IRP, valid a day per 200 km.
    let (id, _) = issued(&app, &t).await;
    post(&app, &t, &format!("/api/v1/invoices/{id}/e-invoice"), json!(null), 200).await;
    let s =
        app.put(&format!("/api/v1/invoices/{id}/e-way-bill")).bearer(&t).json(&road).send().await;
    assert_eq!(s.status().as_u16(), 200, "{}", s.text());
    let s = s.json();
    assert_eq!(s["status"], "generated", "{s}");
    assert_eq!(s["ewb_no"].as_str().unwrap().len(), 12);
    let at = chrono::DateTime::parse_from_rfc3339(s["ewb_date"].as_str().unwrap()).unwrap();
    let till = chrono::DateTime::parse_from_rfc3339(s["valid_until"].as_str().unwrap()).unwrap();
    let ist = chrono::FixedOffset::east_opt(19_800).unwrap();
    assert_eq!(
        (till.with_timezone(&ist).date_naive() - at.with_timezone(&ist).date_naive()).num_days(),
        5,
        "980 km: five days"
    );
    app.put(&format!("/api/v1/invoices/{id}/e-way-bill"))
        .bearer(&t)
        .json(&road)
        .send()
        .await
        .assert_problem(409, "already_generated");

    // A small consignment needs none.
    let small = laptop(&app, &t, "1000").await;
    let buyer = get(&app, &t, "/api/v1/parties?q=Bengaluru").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tiny = invoice(&app, &t, &buyer, json!([{ "item_id": small, "quantity": "1" }])).await;
    let s = get(&app, &t, &format!("/api/v1/invoices/{}/e-way-bill", tiny["id"].as_str().unwrap()))
        .await;
    assert_eq!(s["applicable"], false);
    assert!(s["not_applicable_reason"].as_str().unwrap().contains("50,000"), "{s}");
}
