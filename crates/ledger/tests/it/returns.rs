//! GST returns through the API: a month of B2B, B2C large, B2C small,
//! export, nil-rated and credit-note documents whose GSTR-1 sections add
//! up to the sales register, its CSV, and GSTR-3B with credit from
//! purchase bills set off in the law's order.

use crate::common;

use common::*;
use serde_json::{Value, json};
use testkit::TestApp;

async fn party(app: &TestApp, t: &str, body: Value) -> String {
    post(app, t, "/api/v1/parties", body, 201).await["id"].as_str().unwrap().to_string()
}

fn section<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["sections"].as_array().unwrap().iter().find(|s| s["section"] == name).unwrap()
}

#[tokio::test]
async fn gstr1_sections_add_up_to_the_sales_register() {
    let app = TestApp::spawn().await;
    let t = company(&app, "tungabhadra", MAHARASHTRA).await;
    let laptop = laptop(&app, &t, "50000").await;
    let milk = post(
        &app,
        &t,
        "/api/v1/items",
        json!({ "name": "Fresh milk", "hsn_sac": "0401", "unit": "LTR", "price": "60", "taxability": "nil_rated" }),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let karnataka = customer(&app, &t, "Bengaluru Systems", KARNATAKA).await;
    let mumbai = customer(&app, &t, "Mumbai Traders", MUMBAI_BUYER).await;
    let consumer = |name: &str, state: &str, pin: &str| {
        json!({ "is_customer": true, "legal_name": name, "registration": "consumer",
                "billing_address": { "line1": "1 Road", "city": "Town", "state_code": state, "pincode": pin } })
    };
    let far = party(&app, &t, consumer("Ravi Kumar", "29", "560001")).await;
    let near = party(&app, &t, consumer("Asha Patil", "27", "411001")).await;
    let abroad = party(
        &app,
        &t,
        json!({ "is_customer": true, "legal_name": "Acme GmbH", "registration": "overseas",
                "billing_address": { "line1": "Hauptstrasse 1", "city": "Berlin", "state_code": "96", "country": "DE" } }),
    )
    .await;

    let one = |item: &str, q: &str| json!([{ "item_id": item, "quantity": q }]);
    let b2b = invoice(&app, &t, &karnataka, one(&laptop, "2")).await; // IGST 18,000
    invoice(&app, &t, &mumbai, one(&laptop, "1")).await; // CGST + SGST
    let b2cl = invoice(&app, &t, &far, one(&laptop, "3")).await; // 1,77,000 inter-state
    invoice(&app, &t, &far, one(&laptop, "1")).await; // 59,000: B2C small
    invoice(
        &app,
        &t,
        &near,
        json!([{ "item_id": laptop, "quantity": "1" }, { "item_id": milk, "quantity": "10" }]),
    )
    .await;
    let export = post(
        &app,
        &t,
        "/api/v1/invoices",
        json!({ "party_id": abroad, "supply_type": "export_without_tax", "lines": one(&laptop, "4") }),
        201,
    )
    .await;
    post(
        &app,
        &t,
        &format!("/api/v1/invoices/{}/issue", export["id"].as_str().unwrap()),
        json!(null),
        200,
    )
    .await;
    let note = post(
        &app,
        &t,
        "/api/v1/invoices",
        json!({ "kind": "credit_note", "party_id": karnataka, "against_id": b2b["id"], "reason": "one returned", "lines": one(&laptop, "1") }),
        201,
    )
    .await;
    let note = post(
        &app,
        &t,
        &format!("/api/v1/invoices/{}/issue", note["id"].as_str().unwrap()),
        json!(null),
        200,
    )
    .await;
    // A cancelled invoice is counted in documents issued, not in supplies.
    let gone = invoice(&app, &t, &mumbai, one(&laptop, "1")).await;
    post(
        &app,
        &t,
        &format!("/api/v1/invoices/{}/cancel", gone["id"].as_str().unwrap()),
        json!({ "reason": "duplicate" }),
        200,
    )
    .await;

    let period = &b2b["date"].as_str().unwrap()[..7];
    let r = get(&app, &t, &format!("/api/v1/gst/gstr1?period={period}")).await;
    assert_eq!(r["reconciled"], true, "{r}");
    let all = section(&r, "all");
    assert_eq!(d(&all["taxable_value"]), d(&r["register"]["taxable_value"]));
    assert_eq!(d(&all["igst"]), d(&r["register"]["igst"]));
    // B2B: two invoices; CDNR: the credit note; B2CL: the large one; EXP.
    assert_eq!(section(&r, "b2b")["records"], 2);
    assert_eq!(d(&section(&r, "cdnr")["taxable_value"]), dec("-50000"));
    assert_eq!(section(&r, "b2cl")["records"], 1);
    assert_eq!(d(&section(&r, "b2cl")["igst"]), dec("27000"));
    assert_eq!(section(&r, "exp")["records"], 1);
    assert_eq!(d(&section(&r, "nil")["taxable_value"]), dec("600"));

    let p = &r["portal"];
    assert_eq!(p["gstin"], MAHARASHTRA);
    assert_eq!(p["fp"], format!("{}{}", &period[5..7], &period[..4]));
    let b2b_kar = p["b2b"].as_array().unwrap().iter().find(|c| c["ctin"] == KARNATAKA).unwrap();
    let inv = &b2b_kar["inv"][0];
    assert_eq!(inv["inum"], b2b["number"]);
    assert_eq!(
        (inv["pos"].as_str(), inv["rchrg"].as_str(), inv["inv_typ"].as_str()),
        (Some("29"), Some("N"), Some("R"))
    );
    assert_eq!(
        inv["itms"][0]["itm_det"],
        json!({ "rt": 18.0, "txval": 100000.0, "iamt": 18000.0, "camt": 0.0, "samt": 0.0, "csamt": 0.0 })
    );
    assert_eq!(p["b2cl"][0]["pos"], "29");
    assert_eq!(p["b2cl"][0]["inv"][0]["inum"], b2cl["number"]);
    let b2cs: Vec<&Value> = p["b2cs"].as_array().unwrap().iter().collect();
    assert!(
        b2cs.iter()
            .any(|r| r["sply_ty"] == "INTER" && r["pos"] == "29" && r["txval"] == json!(50000.0)),
        "{b2cs:?}"
    );
    assert!(
        b2cs.iter()
            .any(|r| r["sply_ty"] == "INTRA" && r["pos"] == "27" && r["camt"] == json!(4500.0)),
        "{b2cs:?}"
    );
    assert_eq!(p["cdnr"][0]["nt"][0]["nt_num"], note["number"]);
    assert_eq!(p["cdnr"][0]["nt"][0]["ntty"], "C");
    assert_eq!(p["exp"][0]["exp_typ"], "WOPAY");
    assert_eq!(p["exp"][0]["inv"][0]["itms"][0]["txval"], json!(200000.0));
    let nil =
        p["nil"]["inv"].as_array().unwrap().iter().find(|r| r["sply_ty"] == "INTRAB2C").unwrap();
    assert_eq!(nil["nil_amt"], json!(600.0));
    let docs = &p["doc_issue"]["doc_det"];
    let invoices = docs.as_array().unwrap().iter().find(|d| d["doc_num"] == 1).unwrap();
    assert_eq!(
        (invoices["docs"][0]["totnum"].as_i64(), invoices["docs"][0]["cancel"].as_i64()),
        (Some(7), Some(1))
    );
    assert!(
        p["hsn"]["hsn_b2b"].is_array() && p["hsn"]["hsn_b2c"].is_array(),
        "HSN split by recipient from May 2025"
    );

    // The same as CSV per section, and the JSON as a download.
    let csv = app
        .get(&format!("/api/v1/gst/gstr1/csv?period={period}&section=b2b"))
        .bearer(&t)
        .send()
        .await;
    csv.assert_status(200);
    let text = csv.text();
    assert!(
        text.starts_with("GSTIN/UIN of Recipient,Receiver Name,Invoice Number,Invoice date"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{KARNATAKA},Bengaluru Systems,{}",
            b2b["number"].as_str().unwrap()
        )),
        "{text}"
    );
    let dl =
        app.get(&format!("/api/v1/gst/gstr1/portal.json?period={period}")).bearer(&t).send().await;
    dl.assert_status(200);
    assert!(dl.header("content-disposition").unwrap().contains(&format!("GSTR1_{MAHARASHTRA}_")));
    app.get("/api/v1/gst/gstr1?period=2025-13")
        .bearer(&t)
        .send()
        .await
        .assert_problem(422, "validation_failed");

    // Another company's month is its own.
    let other = company(&app, "bhima", KARNATAKA).await;
    let r = get(&app, &other, &format!("/api/v1/gst/gstr1?period={period}")).await;
    assert_eq!(section(&r, "all")["records"], 0);
    assert_eq!(r["portal"]["b2b"], json!([]));
}

#[tokio::test]
async fn gstr3b_sets_credit_off_in_the_laws_order() {
    let app = TestApp::spawn().await;
    let t = company(&app, "pennar", MAHARASHTRA).await;
    let laptop = laptop(&app, &t, "100000").await;
    let mumbai = customer(&app, &t, "Mumbai Traders", MUMBAI_BUYER).await;
    let karnataka = customer(&app, &t, "Bengaluru Systems", KARNATAKA).await;
    // Output: CGST 18,000 + SGST 18,000 (intra), IGST 18,000 (inter).
    let sale = invoice(&app, &t, &mumbai, json!([{ "item_id": laptop, "quantity": "2" }])).await;
    invoice(&app, &t, &karnataka, json!([{ "item_id": laptop, "quantity": "1" }])).await;
    // Input: IGST 27,000 from a Delhi supplier; reverse charge IGST 900.
    let delhi = supplier(&app, &t, "Delhi Components", DELHI).await;
    let bill = post(
        &app,
        &t,
        "/api/v1/bills",
        json!({ "party_id": delhi, "supplier_number": "DC-9", "lines": [{ "item_id": laptop, "quantity": "3", "unit_price": "50000" }] }),
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
    let rcm = post(
        &app,
        &t,
        "/api/v1/bills",
        json!({ "party_id": delhi, "supplier_number": "DC-10", "reverse_charge": true,
                "lines": [{ "description": "Legal services", "hsn_sac": "998212", "is_service": true, "unit": "OTH", "quantity": "1", "unit_price": "5000", "gst_rate": "18" }] }),
        201,
    )
    .await;
    post(
        &app,
        &t,
        &format!("/api/v1/bills/{}/issue", rcm["id"].as_str().unwrap()),
        json!(null),
        200,
    )
    .await;

    let period = &sale["date"].as_str().unwrap()[..7];
    let r = get(&app, &t, &format!("/api/v1/gst/gstr3b?period={period}")).await;
    let p = &r["portal"];
    assert_eq!(
        p["sup_details"]["osup_det"],
        json!({ "txval": 300000.0, "iamt": 18000.0, "camt": 18000.0, "samt": 18000.0, "csamt": 0.0 }),
        "{p}"
    );
    assert_eq!(p["sup_details"]["isup_rev"]["iamt"], json!(900.0));
    let isrc =
        p["itc_elg"]["itc_avl"].as_array().unwrap().iter().find(|x| x["ty"] == "ISRC").unwrap();
    assert_eq!(isrc["iamt"], json!(900.0));
    assert_eq!(p["itc_elg"]["itc_net"]["iamt"], json!(27900.0));

    // IGST credit 27,900: IGST 18,000 first, then 9,900 to CGST and SGST
    // (neither has credit of its own, so it is split where it falls short).
    let s = &r["set_off"];
    let steps: Vec<(String, String, rust_decimal::Decimal)> = s["utilised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["credit"].as_str().unwrap().into(),
                u["liability"].as_str().unwrap().into(),
                d(&u["amount"]),
            )
        })
        .collect();
    assert_eq!(steps[0], ("igst".into(), "igst".into(), dec("18000")), "{s}");
    assert!(steps[1..].iter().all(|(c, l, _)| c == "igst" && (l == "cgst" || l == "sgst")), "{s}");
    let to_heads: rust_decimal::Decimal = steps[1..].iter().map(|x| x.2).sum();
    assert_eq!(to_heads, dec("9900"));
    // Cash: what credit leaves of CGST and SGST (36,000 − 9,900), and the
    // reverse charge (900) in cash although credit was available.
    assert_eq!(d(&s["cash"]["cgst"]) + d(&s["cash"]["sgst"]), dec("26100"), "{s}");
    assert_eq!(d(&s["cash"]["igst"]), dec("900"));
    assert_eq!(d(&s["carried_forward"]["igst"]), dec("0"));
}
