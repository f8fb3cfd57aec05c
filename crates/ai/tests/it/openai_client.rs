//! The gateway driven by a client nobody here wrote: OpenAI's official
//! Python package, over a real socket, for models, chat (whole and
//! streamed), embeddings (base64 and float) and an error.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use testkit::TestApp;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A virtualenv with the `openai` package (made once per checkout, like
/// the embedded PostgreSQL).
fn python() -> PathBuf {
    let root = testkit::test_root().join("pyenv");
    let python = root.join("bin/python");
    let marker = root.join(".openai-installed");
    if marker.exists() {
        return python;
    }
    std::fs::create_dir_all(testkit::test_root()).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(testkit::test_root().join(".pyenv.lock"))
        .unwrap();
    let _guard = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .unwrap();
    if !marker.exists() {
        let ok =
            Command::new("python3").args(["-m", "venv"]).arg(&root).status().unwrap().success();
        assert!(ok, "python3 -m venv failed");
        let ok = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "openai==3.54.0",
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "installing the openai package failed");
        std::fs::write(&marker, b"openai==3.54.0").unwrap();
    }
    python
}

#[tokio::test]
async fn the_official_openai_client_round_trips() {
    testkit::ensure_models();
    let python = tokio::task::spawn_blocking(python).await.unwrap();
    let app = TestApp::spawn().await;
    let s = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": "Acme", "email": "o@acme.example", "password": "velvet-orbit-canyon-42" }))
        .send()
        .await
        .json();
    let owner = s["access_token"].as_str().unwrap();
    // A stand-in cloud provider answers chat; embeddings are local.
    let server = MockServer::start().await;
    let sse = |text: &str| {
        let mut body = String::new();
        for w in text.split_inclusive(' ') {
            body.push_str(&format!("data: {}\n\n", json!({ "id": "u", "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": { "content": w }, "finish_reason": null }] })));
        }
        body.push_str(&format!("data: {}\n\n", json!({ "id": "u", "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": {}, "finish_reason": "stop" }] })));
        body.push_str(&format!("data: {}\n\n", json!({ "id": "u", "choices": [], "usage": { "prompt_tokens": 7, "completion_tokens": 3 } })));
        body + "data: [DONE]\n\n"
    };
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(sse("Hello there friend")))
        .mount(&server)
        .await;
    app.post("/api/v1/ai/providers")
        .bearer(owner)
        .json(&json!({ "name": "standin", "kind": "openai", "base_url": server.uri(), "chat_model": "gpt-standin", "api_key": "k" }))
        .send()
        .await
        .assert_status(201);
    app.put("/api/v1/ai/policy")
        .bearer(owner)
        .json(&json!({ "routes": { "chat": ["standin"] } }))
        .send()
        .await
        .assert_status(200);
    let key = app
        .post("/api/v1/api-keys")
        .bearer(owner)
        .json(&json!({ "name": "openai client", "permissions": ["ai:use"] }))
        .send()
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_string();

    let served = app.serve().await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/openai_client.py");
    let base = format!("{}/v1", served.url());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python).arg(script).arg(base).arg(key).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();

    let models: Vec<&str> =
        v["models"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(
        models.contains(&"auto")
            && models.contains(&"standin/gpt-standin")
            && models.contains(&"all-MiniLM-L6-v2"),
        "{models:?}"
    );
    assert_eq!(v["chat"]["content"], "Hello there friend");
    assert_eq!(v["chat"]["finish_reason"], "stop");
    assert_eq!(v["chat"]["model"], "gpt-standin");
    assert_eq!(v["chat"]["total_tokens"], 10);
    assert_eq!(v["stream"]["content"], "Hello there friend");
    assert_eq!(v["stream"]["pieces"], 3);
    assert_eq!(v["stream"]["total_tokens"], 10);
    assert_eq!(v["embeddings"]["count"], 2);
    assert_eq!(v["embeddings"]["dims"], 384);
    assert_eq!(v["embeddings"]["model"], "all-MiniLM-L6-v2");
    assert_eq!(v["embeddings"]["first"], v["embeddings_float_first"], "base64 and float agree");
    assert_eq!(v["bad_model"]["status"], 422);
    assert!(
        v["bad_model"]["message"].as_str().unwrap().contains("unknown model"),
        "{}",
        v["bad_model"]
    );
}
