//! Helpers for the knowledge tests: companies and members, multipart
//! bodies, and small fixture files made here (a PDF with pages and
//! headings, an encrypted PDF, a DOCX with headings and a table).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::{TestApp, eventually};

pub const PASSWORD: &str = "velvet-orbit-canyon-42";

/// A company; the owner's access token.
pub async fn company(app: &TestApp, name: &str) -> String {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": name, "email": format!("owner@{name}.example"), "password": PASSWORD }))
        .send()
        .await;
    r.assert_status(201);
    r.json()["access_token"].as_str().unwrap().to_string()
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

/// A `multipart/form-data` body: (field, file name, bytes) parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "tessera-test-boundary-7d3f";
    let mut body = Vec::new();
    for (field, file, bytes) in parts {
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"").unwrap();
        if let Some(f) = file {
            write!(body, "; filename=\"{f}\"\r\nContent-Type: application/octet-stream").unwrap();
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads files; the response.
pub async fn upload(
    app: &TestApp,
    token: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> testkit::TestResponse {
    let (ct, body) = multipart(parts);
    app.post("/api/v1/documents").bearer(token).raw(&ct, body).send().await
}

/// Waits until a document is `ready` or `failed`; its JSON.
pub async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    eventually(Duration::from_secs(60), "the document to be ingested", || async {
        let r = app.get(&format!("/api/v1/documents/{id}")).bearer(token).send().await;
        let v = r.json();
        matches!(v["status"].as_str(), Some("ready" | "failed")).then_some(v)
    })
    .await
}

/// Uploads pasted text and waits for it to be ready; the document id.
pub async fn paste(app: &TestApp, token: &str, title: &str, text: &str) -> String {
    let r = app
        .post("/api/v1/documents")
        .bearer(token)
        .json(&json!({ "title": title, "text": text }))
        .send()
        .await;
    r.assert_status(202);
    let id = r.json()["documents"][0]["document"]["id"].as_str().unwrap().to_string();
    let d = settled(app, token, &id).await;
    assert_eq!(d["status"], "ready", "{d}");
    id
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)")
}

/// A PDF whose pages hold these lines (Helvetica 12 pt; an empty line
/// leaves a gap). `encrypt` adds an `/Encrypt` dictionary no empty
/// password opens.
pub fn pdf(pages: &[Vec<&str>], encrypt: bool) -> Vec<u8> {
    let n = pages.len();
    let mut objects: Vec<String> = Vec::new();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    );
    for (i, lines) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        let mut content = String::from("BT /F1 12 Tf 14 TL 72 740 Td\n");
        for l in lines {
            if l.is_empty() {
                content.push_str("T*\n");
            } else {
                content.push_str(&format!("({}) Tj T*\n", escape(l)));
            }
        }
        content.push_str("ET");
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
    }
    if encrypt {
        objects.push(format!(
            "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <{}> /U <{}> >>",
            "ab".repeat(32),
            "cd".repeat(32)
        ));
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    let encrypt_ref = if encrypt {
        format!(" /Encrypt {} 0 R /ID [<{}> <{}>]", objects.len(), "01".repeat(16), "01".repeat(16))
    } else {
        String::new()
    };
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R{encrypt_ref} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A DOCX: (style, text) paragraphs (`Heading1`, `Heading2` or `""`), then
/// a table of rows.
pub fn docx(paragraphs: &[(&str, &str)], table: &[Vec<&str>]) -> Vec<u8> {
    let mut body = String::new();
    for (style, text) in paragraphs {
        let ppr = if style.is_empty() {
            String::new()
        } else {
            format!("<w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>")
        };
        body.push_str(&format!(
            "<w:p>{ppr}<w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            text.replace('&', "&amp;")
        ));
    }
    if !table.is_empty() {
        body.push_str("<w:tbl>");
        for row in table {
            body.push_str("<w:tr>");
            for cell in row {
                body.push_str(&format!("<w:tc><w:p><w:r><w:t>{cell}</w:t></w:r></w:p></w:tc>"));
            }
            body.push_str("</w:tr>");
        }
        body.push_str("</w:tbl>");
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let styles = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
        <w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/></w:style>\
        <w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:name w:val=\"heading 2\"/></w:style></w:styles>";
    let types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
        <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
        <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in [
            ("[Content_Types].xml", types.to_string()),
            ("word/document.xml", document),
            ("word/styles.xml", styles.to_string()),
        ] {
            z.start_file(name, opts).unwrap();
            z.write_all(data.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// The company's word counts behind BM25, read as search reads them.
pub async fn counts(app: &TestApp, token: &str, words: &[&str]) -> (i64, Vec<i64>) {
    let tenant = testkit::tenant_of(&app.get("/api/v1/me").bearer(token).send().await.json());
    let mut tx = app.state.db().tenant(&app.access(tenant)).await.unwrap();
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let languages = knowledge::repo::chunks::languages(&mut tx).await.unwrap();
    knowledge::repo::chunks::term_counts(&mut tx, &words, &languages).await.unwrap()
}
