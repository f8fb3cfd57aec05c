//! Search and answers through the HTTP API: tenant isolation, the streamed
//! event order and citation mapping, "not covered" without a model call,
//! generation by a capable provider (a stand-in speaking the OpenAI
//! protocol), follow-ups, feedback, and a re-run ingestion.

use crate::common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use testkit::{TestApp, eventually};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const REFUNDS: &str = "# Refund policy\n\nRefunds are issued within five working days of the request. \
    Gift cards cannot be refunded.\n\n## Shipping\n\nOrders ship from the Pune warehouse within two days.";

/// The SSE events of a response body: (event, data).
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            let mut event = String::new();
            let mut data = String::new();
            for line in b.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            (event, serde_json::from_str(&data).unwrap())
        })
        .collect()
}

async fn chat(app: &TestApp, token: &str) -> String {
    let r = app.post("/api/v1/chats").bearer(token).json(&json!({})).send().await;
    r.assert_status(201);
    r.json()["id"].as_str().unwrap().to_string()
}

async fn ask(app: &TestApp, token: &str, chat: &str, q: &str) -> Value {
    let r = app
        .post(&format!("/api/v1/chats/{chat}/messages"))
        .bearer(token)
        .json(&json!({ "content": q }))
        .send()
        .await;
    r.assert_status(200);
    r.json()
}

#[tokio::test]
async fn search_stays_inside_the_tenant() {
    let app = TestApp::builder().background().build().await;
    let a = company(&app, "alpha").await;
    let b = company(&app, "beta").await;
    paste(
        &app,
        &a,
        "Alpha notes",
        "Our canteen serves lunch at one. Visitors sign in at reception.",
    )
    .await;
    // B's text matches the query far better than anything of A's.
    paste(
        &app,
        &b,
        "Beta secrets",
        "The vault combination is changed every Monday; the vault combination is secret.",
    )
    .await;
    for mode in ["hybrid", "vector", "text"] {
        let r = app
            .post("/api/v1/search")
            .bearer(&a)
            .json(
                &json!({ "query": "vault combination Monday", "mode": mode, "max_distance": 2.0 }),
            )
            .send()
            .await;
        r.assert_status(200);
        let hits = serde_json::to_string(&r.json()["hits"]).unwrap();
        assert!(!hits.contains("vault") && !hits.contains("Beta"), "{mode}: {hits}");
    }
    let r = app
        .post("/api/v1/search")
        .bearer(&b)
        .json(&json!({ "query": "vault combination Monday" }))
        .send()
        .await;
    let hit = &r.json()["hits"][0];
    assert_eq!(hit["document_title"], "Beta secrets");
    // The matched words are marked in the snippet.
    let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    let marked: Vec<String> = hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            snippet[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize]
                .iter()
                .collect()
        })
        .collect();
    assert!(
        marked.iter().any(|m| m == "vault") && marked.iter().any(|m| m == "Monday"),
        "{marked:?}"
    );
    // A bad request names its field.
    let r = app.post("/api/v1/search").bearer(&b).json(&json!({ "query": "  " })).send().await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "query");
}

#[tokio::test]
async fn quoted_answers_stream_with_citations() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "quotes").await;
    let doc = paste(&app, &owner, "Refunds", REFUNDS).await;
    let chat = chat(&app, &owner).await;

    let r = app
        .post(&format!("/api/v1/chats/{chat}/messages"))
        .bearer(&owner)
        .json(&json!({ "content": "How long do refunds take?", "stream": true }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let ev = events(&r.text());
    let kinds: Vec<&str> = ev.iter().map(|(e, _)| e.as_str()).collect();
    let tokens = kinds.iter().take_while(|k| **k == "token").count();
    assert!(tokens >= 1, "{kinds:?}");
    assert_eq!(&kinds[tokens..], ["citations", "done"], "{kinds:?}");
    let text: String = ev[..tokens].iter().map(|(_, d)| d["text"].as_str().unwrap()).collect();
    assert!(text.starts_with("Quoted from your documents:"), "{text}");
    assert!(
        text.contains("Refunds are issued within five working days of the request.” [1]"),
        "{text}"
    );
    let citations = ev[tokens].1["citations"].as_array().unwrap().clone();
    assert_eq!(citations[0]["n"], 1);
    assert_eq!(citations[0]["document_id"], doc.as_str());
    assert_eq!(citations[0]["headings"], json!(["Refund policy"]));
    // Every [n] in the text is a citation.
    for n in 1..=9 {
        if text.contains(&format!("[{n}]")) {
            assert!(citations.iter().any(|c| c["n"] == n), "[{n}] uncited in {text}");
        }
    }
    let message = &ev[tokens + 1].1["message"];
    assert_eq!(message["mode"], "extractive");
    assert_eq!(message["content"], text.as_str());
    assert!(message["chunk_ids"].as_array().unwrap().contains(&citations[0]["chunk_id"]));

    // The chat keeps both turns and takes the question as its title.
    let c = app.get(&format!("/api/v1/chats/{chat}")).bearer(&owner).send().await.json();
    assert_eq!(c["title"], "How long do refunds take?");
    assert_eq!(c["messages"].as_array().unwrap().len(), 2);

    // A follow-up is searched with the earlier question.
    let m = ask(&app, &owner, &chat, "And gift cards?").await;
    assert!(m["query"].as_str().unwrap().contains("refunds"), "{m}");
    assert!(m["content"].as_str().unwrap().contains("Gift cards cannot be refunded"), "{m}");

    // Feedback on the answer; a person's chat is theirs alone.
    let id = message["id"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/chats/{chat}/messages/{id}/feedback"))
        .bearer(&owner)
        .json(&json!({ "rating": "down", "comment": "too long" }))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["feedback"], -1);
    let member = member(&app, &owner, "m@quotes.example", &["member"]).await;
    app.get(&format!("/api/v1/chats/{chat}"))
        .bearer(&member)
        .send()
        .await
        .assert_problem(404, "not_found");
    let list = app.get("/api/v1/chats").bearer(&member).send().await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let r = app.get("/api/v1/chats?all=true").bearer(&member).send().await;
    r.assert_problem(403, "permission_denied");
    let all = app.get("/api/v1/chats?all=true").bearer(&owner).send().await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
}

fn sse_answer(text: &str) -> String {
    let chunk = |d: Value, f: Value| json!({ "id": "x", "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": d, "finish_reason": f }] });
    let mut s = String::new();
    for part in text.split_inclusive(' ') {
        s.push_str(&format!("data: {}\n\n", chunk(json!({ "content": part }), Value::Null)));
    }
    s.push_str(&format!("data: {}\n\n", chunk(json!({}), json!("stop"))));
    s.push_str(&format!("data: {}\n\n", json!({ "id": "x", "choices": [], "usage": { "prompt_tokens": 120, "completion_tokens": 14 } })));
    s.push_str("data: [DONE]\n\n");
    s
}

#[tokio::test]
async fn a_capable_model_writes_answers_and_is_not_called_for_what_is_not_covered() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "writer").await;
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(sse_answer("Refunds take five working days [1].")),
        )
        .mount(&model)
        .await;
    app.post("/api/v1/ai/providers")
        .bearer(&owner)
        .json(&json!({ "name": "stand", "kind": "openai_compatible", "base_url": model.uri(), "chat_model": "writer-1" }))
        .send()
        .await
        .assert_status(201);
    app.put("/api/v1/ai/policy")
        .bearer(&owner)
        .json(&json!({ "routes": { "answer": ["stand"] } }))
        .send()
        .await
        .assert_status(200);
    let doc = paste(&app, &owner, "Refunds", REFUNDS).await;
    let chat = chat(&app, &owner).await;

    // Nothing in the documents: said so, and the model is not called.
    let m = ask(&app, &owner, &chat, "What is the boiling point of mercury in kelvin?").await;
    assert_eq!(m["mode"], "not_covered", "{m}");
    assert!(m["content"].as_str().unwrap().contains("don't cover"));
    assert_eq!(m["citations"], json!([]));
    assert_eq!(model.received_requests().await.unwrap().len(), 0);

    // Covered: the stand-in writes it from the numbered passages.
    let r = app
        .post(&format!("/api/v1/chats/{chat}/messages"))
        .bearer(&owner)
        .json(&json!({ "content": "How long do refunds take?", "stream": true }))
        .send()
        .await;
    let ev = events(&r.text());
    let kinds: Vec<&str> = ev.iter().map(|(e, _)| e.as_str()).collect();
    assert!(kinds.len() > 3 && kinds[..kinds.len() - 2].iter().all(|k| *k == "token"), "{kinds:?}");
    let done = &ev.last().unwrap().1["message"];
    assert_eq!(done["mode"], "generative");
    assert_eq!(done["content"], "Refunds take five working days [1].");
    assert_eq!(done["provider"], "stand");
    assert_eq!(done["citations"][0]["n"], 1);
    assert_eq!(done["citations"][0]["document_id"], doc.as_str());
    assert_eq!(done["completion_tokens"], 14);
    let sent = model.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    let prompt = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        prompt.contains("[1] (Refunds, Refund policy)") && prompt.contains("five working days"),
        "{prompt}"
    );
    assert!(
        body["messages"][0]["content"].as_str().unwrap().contains("only the numbered passages")
    );
}

#[tokio::test]
async fn running_ingestion_again_leaves_one_chunk_set() {
    let app = TestApp::builder().background().build().await;
    let owner = company(&app, "rerun").await;
    let id = paste(&app, &owner, "Refunds", REFUNDS).await;
    let before =
        app.get(&format!("/api/v1/documents/{id}/chunks")).bearer(&owner).send().await.json();
    let count = app.get(&format!("/api/v1/documents/{id}")).bearer(&owner).send().await.json()["chunk_count"].clone();

    // The same version's job run twice more at once, as after a crash
    // between the work and its record.
    let words = ["refund", "days", "receipt"];
    let counted = counts(&app, &owner, &words).await;
    let tenant = testkit::tenant_of(&app.get("/api/v1/me").bearer(&owner).send().await.json());
    let mut tx = app.state.db().tenant(&app.access(tenant)).await.unwrap();
    let job = knowledge::ingest::IngestDocument { document_id: id.parse().unwrap(), version: 1 };
    for _ in 0..2 {
        jobs::NewJob::new(&job).enqueue(&mut tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    eventually(Duration::from_secs(30), "the jobs to finish", || async {
        let j = app.get("/api/v1/jobs?kind=knowledge.ingest").bearer(&owner).send().await.json();
        let items = j["items"].as_array().unwrap().clone();
        (items.len() == 3 && items.iter().all(|i| i["state"] == "succeeded")).then_some(())
    })
    .await;
    let after =
        app.get(&format!("/api/v1/documents/{id}/chunks")).bearer(&owner).send().await.json();
    assert_eq!(after["items"].as_array().unwrap().len(), before["items"].as_array().unwrap().len());
    assert_eq!(after["items"].as_array().unwrap().len() as u64, count.as_u64().unwrap());
    let texts = |v: &Value| {
        v["items"].as_array().unwrap().iter().map(|c| c["text"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(texts(&after), texts(&before));
    assert_eq!(counts(&app, &owner, &words).await, counted, "word counts of one chunk set");
}

#[tokio::test]
async fn text_search_uses_its_index_under_row_level_security() {
    // Row-level security lets the planner run only leakproof functions
    // before the tenant policy: unless `@@` is marked leakproof, the GIN
    // index serves only the tenant condition and every chunk of the
    // company is read (bench/knowledge.sh shows the difference at scale).
    let app = TestApp::builder().build().await;
    let owner = company(&app, "planner").await;
    let tenant = testkit::tenant_of(&app.get("/api/v1/me").bearer(&owner).send().await.json());
    let mut tx = app.state.db().tenant_read(&app.access(tenant)).await.unwrap();
    let (leakproof,): (bool,) = sqlx::query_as(
        "SELECT proleakproof FROM pg_proc WHERE oid = 'ts_match_vq(tsvector, tsquery)'::regprocedure",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(leakproof, "`tsvector @@ tsquery` is not leakproof in the test database");
}
