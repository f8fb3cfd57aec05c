//! Documents through the HTTP API: each format extracted with its
//! structure, failures with reasons a person understands, limits,
//! duplicates, replacement, deletion and roles.

use crate::common;

use common::*;
use serde_json::{Value, json};
use testkit::TestApp;

async fn chunks(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/documents/{id}/chunks?limit=200")).bearer(token).send().await;
    r.assert_status(200);
    r.json()["items"].as_array().unwrap().clone()
}

fn id_of(r: &testkit::TestResponse) -> String {
    r.json()["documents"][0]["document"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn each_format_extracts_with_its_structure() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "formats").await;

    // A three-page PDF with headings and a running footer.
    let body = "The supplier raises a tax invoice within thirty days of supply and keeps a copy for six years.";
    let pdf_bytes = pdf(
        &[
            vec!["Invoicing Rules", "", body, "", "Handbook 2026 - confidential"],
            vec![
                "Credit Notes",
                "",
                "A credit note reduces the tax charged on an earlier invoice.",
                "",
                "Handbook 2026 - confidential",
            ],
            vec![
                "Payment Terms",
                "",
                "Customers pay within forty-five days; late payments carry interest.",
                "",
                "Handbook 2026 - confidential",
            ],
        ],
        false,
    );
    let docx_bytes = docx(
        &[
            ("Heading1", "Leave Policy"),
            ("", "Every employee earns eighteen days of paid leave a year."),
            ("Heading2", "Carry Forward"),
            ("", "Up to ten unused days carry forward to the next year."),
        ],
        &[vec!["Grade", "Days"], vec!["Junior", "18"], vec!["Senior", "24"]],
    );
    let html = b"<!doctype html><html><head><title>Returns</title></head><body><h1>Returns</h1><p>Returns are accepted for thirty days.</p><h2>Exceptions</h2><ul><li>Opened software</li></ul></body></html>";
    let md = b"# Shipping\n\nOrders ship within two days.\n\n## International\n\nCustoms duties are paid by the buyer.\n";
    let csv = b"sku,name,price\nA-1,Steel bolt,12\nA-2,Brass nut,4\nA-3,Copper washer,2\n";
    let txt =
        b"Office hours are nine to six on weekdays.\n\nThe office is closed on public holidays.";
    let r = upload(
        &app,
        &owner,
        &[
            ("file", Some("handbook.pdf"), &pdf_bytes),
            ("file", Some("leave.docx"), &docx_bytes),
            ("file", Some("returns.html"), html),
            ("file", Some("shipping.md"), md),
            ("file", Some("prices.csv"), csv),
            ("file", Some("hours.txt"), txt),
            ("tags", None, b"policy, 2026"),
        ],
    )
    .await;
    r.assert_status(202);
    let docs = r.json()["documents"].as_array().unwrap().clone();
    let formats: Vec<&str> =
        docs.iter().map(|d| d["document"]["format"].as_str().unwrap()).collect();
    assert_eq!(formats, ["pdf", "docx", "html", "markdown", "csv", "text"]);
    assert!(docs.iter().all(|d| d["document"]["status"] == "queued" && d["duplicate"] == false));
    assert_eq!(docs[0]["document"]["tags"], json!(["policy", "2026"]));
    assert_eq!(docs[0]["document"]["title"], "handbook.pdf");
    let ids: Vec<String> =
        docs.iter().map(|d| d["document"]["id"].as_str().unwrap().to_string()).collect();

    for id in &ids {
        let d = settled(&app, &owner, id).await;
        assert_eq!(d["status"], "ready", "{d}");
        assert!(d["chunk_count"].as_i64().unwrap() >= 1, "{d}");
        assert_eq!(d["progress"], 100);
    }

    // PDF: pages and headings kept, the repeated footer dropped.
    let d = settled(&app, &owner, &ids[0]).await;
    assert_eq!(d["pages"], 3);
    let c = chunks(&app, &owner, &ids[0]).await;
    let pages: Vec<i64> = c.iter().map(|c| c["page"].as_i64().unwrap()).collect();
    assert_eq!(pages, [1, 2, 3], "{c:#?}");
    assert_eq!(c[0]["headings"], json!(["Invoicing Rules"]), "{c:#?}");
    assert_eq!(c[2]["headings"], json!(["Payment Terms"]));
    assert!(c.iter().all(|c| !c["text"].as_str().unwrap().contains("confidential")), "{c:#?}");
    assert!(c[0]["text"].as_str().unwrap().contains("thirty days of supply"));

    // DOCX: heading path and the table's rows under their header.
    let c = chunks(&app, &owner, &ids[1]).await;
    assert_eq!(c[0]["headings"], json!(["Leave Policy"]));
    assert_eq!(c[1]["headings"], json!(["Leave Policy", "Carry Forward"]));
    let table = c.iter().find(|c| c["text"].as_str().unwrap().contains("Senior")).unwrap();
    assert_eq!(table["text"], "Grade | Days\nGrade: Junior; Days: 18\nGrade: Senior; Days: 24");

    // HTML, Markdown, CSV, text.
    let c = chunks(&app, &owner, &ids[2]).await;
    assert_eq!(c.last().unwrap()["headings"], json!(["Returns", "Exceptions"]));
    let c = chunks(&app, &owner, &ids[3]).await;
    assert_eq!(c[1]["headings"], json!(["Shipping", "International"]));
    let c = chunks(&app, &owner, &ids[4]).await;
    assert!(
        c[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("sku | name | price\nsku: A-1; name: Steel bolt; price: 12"),
        "{c:#?}"
    );
    let c = chunks(&app, &owner, &ids[5]).await;
    assert!(c[0]["text"].as_str().unwrap().contains("closed on public holidays"));

    // The original comes back as it was sent.
    let r = app.get(&format!("/api/v1/documents/{}/file", ids[0])).bearer(&owner).send().await;
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert_eq!(r.bytes().as_ref(), pdf_bytes.as_slice());
}

#[tokio::test]
async fn unreadable_files_fail_with_their_reason() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "broken").await;

    // A PNG named .pdf: refused at once, naming the field.
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
    let r = upload(&app, &owner, &[("file", Some("scan.pdf"), png)]).await;
    let p = r.assert_problem(415, "unsupported_file_type");
    assert_eq!(p["errors"][0]["field"], "file");
    assert!(p["detail"].as_str().unwrap().contains("PNG image"), "{p}");

    // Zero bytes.
    let r = upload(&app, &owner, &[("file", Some("empty.txt"), b"")]).await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "file");

    // One bad file among good ones: nothing is stored.
    let r = upload(
        &app,
        &owner,
        &[("file", Some("a.txt"), b"Fine text here."), ("file", Some("b.pdf"), png)],
    )
    .await;
    let p = r.assert_problem(415, "unsupported_file_type");
    assert_eq!(p["errors"][0]["field"], "file[1]");
    let list = app.get("/api/v1/documents").bearer(&owner).send().await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");

    // Encrypted, and scanned (no text layer), fail in ingestion with reasons.
    let enc = pdf(&[vec!["Secret salaries"]], true);
    let scan = pdf(&[vec![], vec![]], false);
    let corrupt = b"%PDF-1.7\n1 0 obj << /Type /Catalog broken".to_vec();
    let r = upload(
        &app,
        &owner,
        &[
            ("file", Some("locked.pdf"), &enc),
            ("file", Some("scan.pdf"), &scan),
            ("file", Some("bad.pdf"), &corrupt),
        ],
    )
    .await;
    r.assert_status(202);
    let docs = r.json()["documents"].as_array().unwrap().clone();
    let reason = |i: usize| {
        let id = docs[i]["document"]["id"].as_str().unwrap().to_string();
        let app = &app;
        let owner = owner.clone();
        async move {
            let d = settled(app, &owner, &id).await;
            assert_eq!(d["status"], "failed", "{d}");
            d["failure"].as_str().unwrap().to_string()
        }
    };
    assert!(reason(0).await.contains("encrypted"));
    assert!(reason(1).await.contains("no text layer"));
    assert!(reason(2).await.contains("damaged"));
}

#[tokio::test]
async fn limits_duplicates_replacement_and_deletion() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "limits").await;

    // The company's own limit, named in the problem.
    let r = app
        .put("/api/v1/knowledge/settings")
        .bearer(&owner)
        .json(&json!({ "chunk_size": 500, "chunk_overlap": 50, "max_upload_bytes": 1024, "max_distance": 0.5,
                       "vector_weight": 1.0, "text_weight": 1.0, "top_k": 5, "answer_mode": "auto" }))
        .send()
        .await;
    r.assert_status(200);
    let big = "word ".repeat(400);
    let r = upload(&app, &owner, &[("file", Some("big.txt"), big.as_bytes())]).await;
    let p = r.assert_problem(413, "file_too_large");
    assert_eq!(p["errors"][0]["field"], "file");
    assert!(p["detail"].as_str().unwrap().contains("1 KiB"), "{p}");
    assert_eq!(p["limit_bytes"], 1024);

    // The same content twice: the existing document, no second ingestion.
    let text = b"Warranty claims are handled within ten days.";
    let first = upload(&app, &owner, &[("file", Some("warranty.txt"), text)]).await;
    first.assert_status(202);
    let id = id_of(&first);
    let second = upload(&app, &owner, &[("file", Some("copy.txt"), text)]).await;
    second.assert_status(202);
    assert_eq!(id_of(&second), id);
    assert_eq!(second.json()["documents"][0]["duplicate"], true);
    settled(&app, &owner, &id).await;

    // Replace: same id, a new version, the new text searchable, the old gone.
    let (ct, body) = multipart(&[(
        "file",
        Some("warranty-v2.txt"),
        b"Warranty claims are now handled within three days.",
    )]);
    let r =
        app.put(&format!("/api/v1/documents/{id}/file")).bearer(&owner).raw(&ct, body).send().await;
    r.assert_status(202);
    assert_eq!(r.json()["version"], 2);
    let d = settled(&app, &owner, &id).await;
    assert_eq!(d["status"], "ready");
    let c = chunks(&app, &owner, &id).await;
    assert_eq!(c.len(), 1);
    assert!(c[0]["text"].as_str().unwrap().contains("three days"));

    // Description changes; a bad tag names the field.
    let r = app
        .patch(&format!("/api/v1/documents/{id}"))
        .bearer(&owner)
        .json(&json!({ "title": "Warranty", "tags": ["support"] }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["title"], "Warranty");
    let r = app
        .patch(&format!("/api/v1/documents/{id}"))
        .bearer(&owner)
        .json(&json!({ "tags": ["-bad"] }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "tags[0]");

    // Delete: gone from search at once, the file with it.
    let r = app
        .post("/api/v1/search")
        .bearer(&owner)
        .json(&json!({ "query": "warranty claims days" }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["hits"].as_array().unwrap().len(), 1, "{}", r.text());
    app.delete(&format!("/api/v1/documents/{id}")).bearer(&owner).send().await.assert_status(204);
    let r = app
        .post("/api/v1/search")
        .bearer(&owner)
        .json(&json!({ "query": "warranty claims days" }))
        .send()
        .await;
    assert_eq!(r.json()["hits"].as_array().unwrap().len(), 0, "{}", r.text());
    app.get(&format!("/api/v1/documents/{id}"))
        .bearer(&owner)
        .send()
        .await
        .assert_problem(404, "not_found");
    let files = walk(&app.data_dir().join("files"));
    assert!(files.is_empty(), "{files:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn members_search_and_business_manages() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "roles").await;
    let member = common::member(&app, &owner, "m@roles.example", &["member"]).await;
    let business = common::member(&app, &owner, "b@roles.example", &["business"]).await;

    let r = upload(&app, &member, &[("file", Some("x.txt"), b"Member text.")]).await;
    let p = r.assert_problem(403, "permission_denied");
    assert!(p["detail"].as_str().unwrap().contains("documents:write"), "{p}");
    let r =
        upload(&app, &business, &[("file", Some("x.txt"), b"The canteen opens at noon.")]).await;
    r.assert_status(202);
    let id = id_of(&r);
    settled(&app, &business, &id).await;

    // The member reads and searches, but cannot delete or change settings.
    app.get(&format!("/api/v1/documents/{id}")).bearer(&member).send().await.assert_status(200);
    let r = app
        .post("/api/v1/search")
        .bearer(&member)
        .json(&json!({ "query": "when does the canteen open" }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["hits"][0]["document_id"], id.as_str());
    app.delete(&format!("/api/v1/documents/{id}"))
        .bearer(&member)
        .send()
        .await
        .assert_problem(403, "permission_denied");
    let r = app.put("/api/v1/knowledge/settings").bearer(&business).json(&json!({})).send().await;
    r.assert_problem(403, "permission_denied");
}

#[tokio::test]
async fn full_text_knows_word_counts_and_dotted_names() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "lexical").await;
    let json_doc = paste(
        &app,
        &owner,
        "Serialising",
        "Use json.dumps(obj, indent=4) to print a value nicely.",
    )
    .await;
    let values = paste(
        &app,
        &owner,
        "Values",
        "Every value has a type. A value can be compared with another value.",
    )
    .await;

    // Both chunks hold "value"; only one holds the parts of `json.dumps`.
    assert_eq!(counts(&app, &owner, &["value", "dumps", "absent"]).await, (2, vec![2, 1, 0]));

    // A part of a dotted name finds it, and the rarer word decides the
    // order: "dumps" is in one chunk, "value" in both.
    for query in ["dumps", "what does json dumps do", "dumps value"] {
        let r = app
            .post("/api/v1/search")
            .bearer(&owner)
            .json(&json!({ "query": query, "mode": "text" }))
            .send()
            .await;
        r.assert_status(200);
        let hits = r.json()["hits"].as_array().unwrap().clone();
        assert_eq!(hits[0]["document_id"], json_doc.as_str(), "{query}: {hits:?}");
        let score = hits[0]["scores"]["text_score"].as_f64().unwrap();
        assert!(score > 0.0 && score < 1.0, "{score}");
    }

    // Replacing and deleting move the counts with the chunks.
    let (ct, body) = multipart(&[("file", Some("values.txt"), b"Types are checked at run time.")]);
    app.put(&format!("/api/v1/documents/{values}/file"))
        .bearer(&owner)
        .raw(&ct, body)
        .send()
        .await
        .assert_status(202);
    testkit::eventually(std::time::Duration::from_secs(60), "the new version", || async {
        let d = app.get(&format!("/api/v1/documents/{values}")).bearer(&owner).send().await.json();
        (d["status"] == "ready" && d["version"] == 2).then_some(())
    })
    .await;
    assert_eq!(counts(&app, &owner, &["value", "types", "checked"]).await, (2, vec![1, 1, 1]));
    app.delete(&format!("/api/v1/documents/{json_doc}"))
        .bearer(&owner)
        .send()
        .await
        .assert_status(204);
    assert_eq!(counts(&app, &owner, &["value", "dumps", "checked"]).await, (1, vec![0, 0, 1]));
}
