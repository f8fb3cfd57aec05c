//! The knowledge base's isolation fixture: a pasted document, a chat and
//! an answer in it.

use kernel::domain::Fixture;
use serde_json::json;

pub(crate) async fn fixture(fx: &Fixture) {
    let name = fx.name.clone();
    fx.put(
        "/api/v1/knowledge/settings",
        json!({ "chunk_size": 500, "chunk_overlap": 50, "max_upload_bytes": 26214400, "max_distance": 0.5,
                "vector_weight": 1.0, "text_weight": 1.0, "top_k": 6, "answer_mode": "auto" }),
    )
    .await;
    let up = fx
        .post(
            "/api/v1/documents",
            json!({
                "title": format!("{name} staff handbook"),
                "text": format!("# {name} handbook\n\nRefunds at {name} take five working days. The {name}-only code word is zq{name}xv."),
                "tags": [format!("{name}-tag")],
            }),
        )
        .await;
    let doc = up["documents"][0]["document"]["id"].as_str().unwrap_or_default().to_string();
    assert!(!doc.is_empty(), "{name} could not upload: {up}");
    fx.object("/api/v1/documents/{id}", &doc);
    // Its chunks are written by the ingestion job.
    for _ in 0..600 {
        let d = fx.get(&format!("/api/v1/documents/{doc}")).await;
        if d["status"] == "ready" {
            break;
        }
        assert_ne!(d["status"], "failed", "{name}'s document failed: {d}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    fx.mark(&format!("{name} staff handbook"));
    fx.mark(&format!("zq{name}xv"));
    fx.mark(&format!("{name}-tag"));
    fx.body("PATCH /api/v1/documents/{id}", json!({ "tags": ["kept"] }));
    let chat = fx.post("/api/v1/chats", json!({ "title": format!("{name} questions") })).await;
    let chat_id = chat["id"].as_str().unwrap_or_default().to_string();
    assert!(!chat_id.is_empty(), "{name} could not start a chat: {chat}");
    fx.object("/api/v1/chats/{id}", &chat_id);
    fx.mark(&format!("{name} questions"));
    fx.body("PATCH /api/v1/chats/{id}", json!({ "title": "renamed" }));
    fx.body("POST /api/v1/chats/{id}/messages", json!({ "content": "How long do refunds take?" }));
    let answer = fx
        .post(
            &format!("/api/v1/chats/{chat_id}/messages"),
            json!({ "content": format!("What does {name} say about refunds?") }),
        )
        .await;
    let message = answer["id"].as_str().unwrap_or_default().to_string();
    assert!(!message.is_empty(), "{name} could not ask: {answer}");
    fx.object("/api/v1/chats/{id}/messages/{message_id}", &message);
    fx.body("POST /api/v1/chats/{id}/messages/{message_id}/feedback", json!({ "rating": "up" }));
}
