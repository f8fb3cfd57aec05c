//! Moving a knowledge base to another embedding model: the chunks are
//! re-embedded in the background while search keeps reading the old
//! model's vectors, documents stored meanwhile get both, and once every
//! chunk has the new model's vector search switches and the old vectors
//! go. The new model is a stand-in speaking the OpenAI embeddings protocol.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use testkit::{TestApp, eventually};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Bag-of-words vectors (16 buckets of word hashes): texts sharing words
/// are near. Answers 503 until opened.
struct Bow {
    open: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

fn bow(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; 16];
    for w in text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
        let h = w.bytes().fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
        v[(h % 16) as usize] += 1.0;
    }
    v[0] += 0.01;
    v
}

impl Respond for Bow {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.open.load(Ordering::SeqCst) {
            return ResponseTemplate::new(503).set_body_string("warming up");
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let data: Vec<Value> = body["input"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, t)| json!({ "index": i, "embedding": bow(t.as_str().unwrap()) }))
            .collect();
        ResponseTemplate::new(200).set_body_json(
            json!({ "data": data, "model": "bow-16", "usage": { "prompt_tokens": 3, "total_tokens": 3 } }),
        )
    }
}

async fn status(app: &TestApp, token: &str) -> Value {
    // Polled: kept under the company's request rate.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = app.get("/api/v1/knowledge/status").bearer(token).send().await;
    r.assert_status(200);
    r.json()
}

async fn search(app: &TestApp, token: &str, q: &str) -> Value {
    let r = app
        .post("/api/v1/search")
        .bearer(token)
        .json(&json!({ "query": q, "mode": "vector", "max_distance": 2.0 }))
        .send()
        .await;
    r.assert_status(200);
    r.json()
}

#[tokio::test]
async fn changing_the_embedding_model_reindexes_in_the_background() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "mover").await;
    let server = MockServer::start().await;
    let open = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/embeddings"))
        .respond_with(Bow { open: open.clone(), calls: calls.clone() })
        .mount(&server)
        .await;
    app.post("/api/v1/ai/providers")
        .bearer(&owner)
        .json(&json!({ "name": "stand", "kind": "openai_compatible", "base_url": server.uri(), "embedding_model": "bow-16" }))
        .send()
        .await
        .assert_status(201);

    let refunds = paste(
        &app,
        &owner,
        "Refunds",
        "Refunds are issued within five working days. Gift cards cannot be refunded.",
    )
    .await;
    let s = status(&app, &owner).await;
    assert_eq!(s["embedding"]["model"], "all-MiniLM-L6-v2", "{s}");
    assert_eq!(s["embedding"]["next_model"], Value::Null);
    assert_eq!(s["embedding"]["embedded"], s["embedding"]["total"]);

    // An unknown model is refused, naming the field.
    let mut settings = app.get("/api/v1/knowledge/settings").bearer(&owner).send().await.json();
    settings["embedding_model"] = json!("nobody/none");
    let r = app.put("/api/v1/knowledge/settings").bearer(&owner).json(&settings).send().await;
    r.assert_status(422);
    assert!(r.text().contains("embedding_model"), "{}", r.text());

    // Move to the stand-in while it cannot answer yet.
    settings["embedding_model"] = json!("stand/bow-16");
    let r = app.put("/api/v1/knowledge/settings").bearer(&owner).json(&settings).send().await;
    r.assert_status(200);
    assert_eq!(r.json()["embedding_model"], "stand/bow-16");
    eventually(Duration::from_secs(30), "a re-embedding attempt", || async {
        (calls.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    let s = status(&app, &owner).await;
    assert_eq!(s["embedding"]["model"], "all-MiniLM-L6-v2", "{s}");
    assert_eq!(s["embedding"]["next_model"], "stand/bow-16");
    assert_eq!(s["embedding"]["embedded"], 0);

    // Search still reads the old vectors meanwhile.
    let found = search(&app, &owner, "How long do refunds take?").await;
    assert_eq!(found["model"], "all-MiniLM-L6-v2", "{found}");
    assert_eq!(found["hits"][0]["document_id"], refunds.as_str());

    // The stand-in answers: the move completes and search switches.
    open.store(true, Ordering::SeqCst);
    let s = eventually(Duration::from_secs(60), "the move to finish", || async {
        let s = status(&app, &owner).await;
        (s["embedding"]["model"] == "stand/bow-16").then_some(s)
    })
    .await;
    assert_eq!(s["embedding"]["next_model"], Value::Null);
    assert_eq!(s["embedding"]["embedded"], s["embedding"]["total"]);
    let found = search(&app, &owner, "gift cards refunded").await;
    assert_eq!(found["model"], "stand/bow-16", "{found}");
    assert_eq!(found["hits"][0]["document_id"], refunds.as_str());

    // A document stored now is embedded with the new model only, and found.
    let shipping =
        paste(&app, &owner, "Shipping", "Orders ship from the Pune warehouse within two days.")
            .await;
    let found = search(&app, &owner, "Pune warehouse orders ship").await;
    assert_eq!(found["hits"][0]["document_id"], shipping.as_str(), "{found}");
    let d = app.get(&format!("/api/v1/documents/{shipping}")).bearer(&owner).send().await.json();
    assert_eq!(d["embedding_model"], "stand/bow-16");

    // Back to the local model: both documents are found again through it.
    settings["embedding_model"] = json!("all-MiniLM-L6-v2");
    app.put("/api/v1/knowledge/settings")
        .bearer(&owner)
        .json(&settings)
        .send()
        .await
        .assert_status(200);
    eventually(Duration::from_secs(60), "the move back", || async {
        let s = status(&app, &owner).await;
        (s["embedding"]["model"] == "all-MiniLM-L6-v2" && s["embedding"]["next_model"].is_null())
            .then_some(())
    })
    .await;
    let found = search(&app, &owner, "Which warehouse do orders ship from?").await;
    assert_eq!(found["model"], "all-MiniLM-L6-v2");
    assert_eq!(found["hits"][0]["document_id"], shipping.as_str(), "{found}");
}
