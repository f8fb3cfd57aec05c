//! The HSN/SAC master through the API: found by code or words, checked
//! on items and e-invoices, and extended with a company's own codes.

use crate::common;

use common::*;
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn codes_are_found_by_their_beginning_or_their_words() {
    let app = TestApp::spawn().await;
    let t = company(&app, "sharavati", MAHARASHTRA).await;
    let r = get(&app, &t, "/api/v1/gst/hsn?q=8471").await;
    let first = &r[0];
    assert_eq!(
        (first["code"].as_str(), first["level"].as_str(), first["kind"].as_str()),
        (Some("8471"), Some("heading"), Some("goods")),
        "{r}"
    );
    assert!(
        r.as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "84713010" && c["description"] == "PERSONAL COMPUTER"),
        "{r}"
    );
    // Leading zeros are part of the code.
    let r = get(&app, &t, "/api/v1/gst/hsn?q=0401").await;
    assert_eq!(r[0]["code"], "0401");
    // Words, by their beginnings; services are SAC.
    let r = get(&app, &t, "/api/v1/gst/hsn?q=legal%20serv&limit=5").await;
    assert!(!r.as_array().unwrap().is_empty() && r.as_array().unwrap().len() <= 5, "{r}");
    assert!(r.as_array().unwrap().iter().all(|c| c["kind"] == "service"), "{r}");
    let r = get(&app, &t, "/api/v1/gst/hsn?q=raspberries").await;
    assert!(r.as_array().unwrap().iter().any(|c| c["code"] == "08102000"), "{r}");
    app.get("/api/v1/gst/hsn?q=").bearer(&t).send().await.assert_problem(400, "invalid_parameter");
}

#[tokio::test]
async fn an_item_takes_a_known_code_and_a_company_may_add_its_own() {
    let app = TestApp::spawn().await;
    let t = company(&app, "netravati", MAHARASHTRA).await;
    let item = json!({ "name": "Widget", "hsn_sac": "12345678", "unit": "NOS", "price": "10" });
    let r = app.post("/api/v1/items").bearer(&t).json(&item).send().await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "hsn_sac");
    assert!(
        p["errors"][0]["message"].as_str().unwrap().contains("not in the HSN/SAC master"),
        "{p}"
    );
    // A tariff item the list lacks, under a heading it has, is accepted.
    let ok = json!({ "name": "Laptop stand", "hsn_sac": "84733099", "unit": "NOS", "price": "10" });
    app.post("/api/v1/items").bearer(&t).json(&ok).send().await.assert_status(201);

    // Imports are checked row by row; nothing is kept from a bad file.
    let bad = "code,description\n12345678,Widgets of our own\n123,Too short\n";
    let r = app.post("/api/v1/gst/hsn/import").bearer(&t).raw("text/csv", bad).send().await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "line 3", "{p}");
    app.post("/api/v1/items").bearer(&t).json(&item).send().await.assert_status(422);
    let good = "code,description\n12345678,Widgets of our own\n";
    let r = app.post("/api/v1/gst/hsn/import").bearer(&t).raw("text/csv", good).send().await;
    r.assert_status(200);
    assert_eq!(r.json()["imported"], 1);
    app.post("/api/v1/items").bearer(&t).json(&item).send().await.assert_status(201);
    let r = get(&app, &t, "/api/v1/gst/hsn?q=widgets").await;
    assert_eq!(
        (r[0]["code"].as_str(), r[0]["source"].as_str()),
        (Some("12345678"), Some("company"))
    );

    // Another company does not see them.
    let other = company(&app, "kabini", KARNATAKA).await;
    assert_eq!(get(&app, &other, "/api/v1/gst/hsn?q=widgets").await, json!([]));
    app.post("/api/v1/items").bearer(&other).json(&item).send().await.assert_status(422);
}

#[tokio::test]
async fn an_e_invoice_names_a_line_whose_code_is_not_in_the_master() {
    let app = TestApp::spawn().await;
    let t = company(&app, "hemavati", MAHARASHTRA).await;
    let buyer = customer(&app, &t, "Karnataka Retail", KARNATAKA).await;
    let inv = invoice(
        &app,
        &t,
        &buyer,
        json!([{ "description": "Odd goods", "hsn_sac": "12345678", "is_service": false, "unit": "NOS", "quantity": "1", "unit_price": "1000", "gst_rate": "18" }]),
    )
    .await;
    let s =
        get(&app, &t, &format!("/api/v1/invoices/{}/e-invoice", inv["id"].as_str().unwrap())).await;
    let v = s["violations"].as_array().unwrap();
    let hsn = v.iter().find(|x| x["path"] == "ItemList[0].HsnCd").unwrap_or_else(|| panic!("{s}"));
    assert_eq!((hsn["line"].as_i64(), hsn["field"].as_str()), (Some(1), Some("lines[0].hsn_sac")));
    assert!(hsn["message"].as_str().unwrap().contains("not in the HSN/SAC master"));
}
