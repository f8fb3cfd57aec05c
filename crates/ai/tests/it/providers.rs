//! The OpenAI-compatible client against stand-in servers that speak the
//! protocol: streaming (and a stream that breaks), tool calls, retries
//! with backoff and `Retry-After`, no retry on 400, timeouts, Azure's
//! headers, and batched embeddings.

use std::time::{Duration, Instant};

use ai::AiError;
use ai::chat::{ChatEvent, ChatModel, ChatRequest, FinishReason, Message, Role, collect};
use ai::embed::Embedder;
use ai::openai::{CallPolicy, OpenAiProvider, ProviderKind, ProviderSpec};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn spec(kind: ProviderKind, base: String) -> ProviderSpec {
    ProviderSpec {
        name: "stand-in".into(),
        kind,
        base_url: base,
        api_key: Some("sk-test-SECRET".into()),
        headers: vec![("x-extra".into(), "1".into())],
        chat_model: Some("gpt-4o-mini".into()),
        embedding_model: Some("text-embedding-3-small".into()),
        api_version: None,
        policy: CallPolicy {
            backoff: Duration::from_millis(20),
            first_token: Duration::from_secs(2),
            total: Duration::from_secs(10),
            ..CallPolicy::default()
        },
    }
}

fn sse(chunks: &[Value]) -> String {
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    body
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({ "id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] })
}

fn hello() -> ChatRequest {
    ChatRequest {
        temperature: Some(0.0),
        ..ChatRequest::new(vec![Message::new(Role::User, "Say hello")])
    }
}

fn streamed_hello() -> String {
    sse(&[
        chunk(json!({ "role": "assistant", "content": "" }), None),
        chunk(json!({ "content": "Hel" }), None),
        chunk(json!({ "content": "lo!" }), None),
        chunk(json!({}), Some("stop")),
        json!({ "id": "c1", "choices": [], "usage": { "prompt_tokens": 9, "completion_tokens": 2 } }),
    ])
}

#[tokio::test]
async fn chat_streams_tokens_and_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test-SECRET"))
        .and(header("x-extra", "1"))
        .and(body_partial_json(
            json!({ "model": "gpt-4o-mini", "stream": true, "temperature": 0.0 }),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(streamed_hello()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let p =
        OpenAiProvider::new(spec(ProviderKind::Openai, format!("{}/v1", server.uri()))).unwrap();
    let events: Vec<ChatEvent> =
        p.stream(hello()).await.unwrap().map(|e| e.unwrap()).collect().await;
    assert_eq!(events[0], ChatEvent::Delta("Hel".into()));
    assert_eq!(events[1], ChatEvent::Delta("lo!".into()));
    match &events[2] {
        ChatEvent::Done { finish_reason, usage } => {
            assert_eq!(*finish_reason, FinishReason::Stop);
            assert_eq!((usage.prompt_tokens, usage.completion_tokens), (9, 2));
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn tool_calls_stream_in_pieces() {
    let server = MockServer::start().await;
    let body = sse(&[
        chunk(
            json!({ "tool_calls": [{ "index": 0, "id": "call_1", "type": "function",
                                       "function": { "name": "get_invoice", "arguments": "" } }] }),
            None,
        ),
        chunk(
            json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "{\"number\":" } }] }),
            None,
        ),
        chunk(
            json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "\"INV-7\"}" } }] }),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
    ]);
    Mock::given(method("POST"))
        .and(body_partial_json(json!({ "tools": [{ "type": "function" }], "tool_choice": "auto" })))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    let p = OpenAiProvider::new(spec(ProviderKind::Vllm, server.uri())).unwrap();
    let mut req = hello();
    req.tools = Some(
        json!([{ "type": "function", "function": { "name": "get_invoice", "parameters": { "type": "object" } } }]),
    );
    req.tool_choice = Some(json!("auto"));
    let c = collect(p.stream(req).await.unwrap()).await.unwrap();
    assert_eq!(c.finish_reason, FinishReason::ToolCalls);
    assert_eq!(c.tool_calls.len(), 1);
    assert_eq!(c.tool_calls[0].id, "call_1");
    assert_eq!(c.tool_calls[0].function.name, "get_invoice");
    assert_eq!(c.tool_calls[0].function.arguments, r#"{"number":"INV-7"}"#);
    assert!(c.usage.completion_tokens > 0, "estimated when not reported");
}

/// A server that starts an SSE answer, sends two tokens, then drops the
/// connection.
async fn breaking_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 65536];
            let _ = sock.read(&mut buf).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
            let _ = sock.write_all(head.as_bytes()).await;
            for t in ["One", " two"] {
                let data = format!("data: {}\n\n", chunk(json!({ "content": t }), None));
                let _ = sock.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes()).await;
                let _ = sock.flush().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            drop(sock); // no terminating chunk
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_stream_that_breaks_midway_ends_with_an_error() {
    let base = breaking_server().await;
    let p = OpenAiProvider::new(spec(ProviderKind::Llamacpp, base)).unwrap();
    let mut s = p.stream(hello()).await.unwrap();
    assert_eq!(s.next().await.unwrap().unwrap(), ChatEvent::Delta("One".into()));
    assert_eq!(s.next().await.unwrap().unwrap(), ChatEvent::Delta(" two".into()));
    let err = s.next().await.unwrap().unwrap_err();
    assert!(matches!(err, AiError::Unavailable(_)), "{err:?}");
    assert!(s.next().await.is_none());
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({ "error": { "message": "overloaded" } })),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(streamed_hello()))
        .with_priority(2)
        .mount(&server)
        .await;
    let p = OpenAiProvider::new(spec(ProviderKind::Ollama, server.uri())).unwrap();
    let c = collect(p.stream(hello()).await.unwrap()).await.unwrap();
    assert_eq!(c.content, "Hello!");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(streamed_hello()))
        .with_priority(2)
        .mount(&server)
        .await;
    let p = OpenAiProvider::new(spec(ProviderKind::Gemini, server.uri())).unwrap();
    let started = Instant::now();
    let c = collect(p.stream(hello()).await.unwrap()).await.unwrap();
    assert_eq!(c.content, "Hello!");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited as asked");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({ "error": { "message": "unknown parameter: foo" } })),
        )
        .mount(&server)
        .await;
    let p = OpenAiProvider::new(spec(ProviderKind::Openai, server.uri())).unwrap();
    let err = match p.stream(hello()).await {
        Err(e) => e,
        Ok(_) => panic!("a 400 is an error"),
    };
    match &err {
        AiError::Provider { status, message } => {
            assert_eq!(*status, 400);
            assert_eq!(message, "unknown parameter: foo");
        }
        e => panic!("{e:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // A 401 neither: credentials will not get better.
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let p = OpenAiProvider::new(spec(ProviderKind::Openai, server.uri())).unwrap();
    assert!(p.stream(hello()).await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_slow_first_token_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(streamed_hello())
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let mut s = spec(ProviderKind::Openai, server.uri());
    s.policy.first_token = Duration::from_millis(300);
    s.policy.max_retries = 1;
    let p = OpenAiProvider::new(s).unwrap();
    let err = match p.stream(hello()).await {
        Err(e) => e,
        Ok(_) => panic!("expected a timeout"),
    };
    assert!(matches!(err, AiError::Timeout(_)), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "timeouts are retried");
}

#[tokio::test]
async fn azure_uses_its_deployment_url_and_api_key_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/openai/deployments/gpt4o/chat/completions"))
        .and(query_param("api-version", "2024-06-01"))
        .and(header("api-key", "sk-test-SECRET"))
        .respond_with(|req: &Request| {
            assert!(req.headers.get("authorization").is_none());
            ResponseTemplate::new(200).set_body_string(streamed_hello())
        })
        .expect(1)
        .mount(&server)
        .await;
    let mut s = spec(ProviderKind::Azure, format!("{}/openai/deployments/gpt4o", server.uri()));
    s.api_version = Some("2024-06-01".into());
    let p = OpenAiProvider::new(s).unwrap();
    assert_eq!(collect(p.stream(hello()).await.unwrap()).await.unwrap().content, "Hello!");
}

#[tokio::test]
async fn embeddings_are_batched_ordered_and_normalised() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/embeddings"))
        .and(body_partial_json(json!({ "model": "text-embedding-3-small" })))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            let inputs = body["input"].as_array().unwrap();
            // Answer in reverse order, with unnormalised vectors.
            let data: Vec<Value> = inputs
                .iter()
                .enumerate()
                .rev()
                .map(|(i, t)| json!({ "index": i, "embedding": [t.as_str().unwrap().len() as f64, 0.0, 3.0] }))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({ "data": data, "usage": { "prompt_tokens": inputs.len() } }))
        })
        .mount(&server)
        .await;
    let p = OpenAiProvider::new(spec(ProviderKind::Openai, server.uri())).unwrap();
    let inputs: Vec<String> = (0..100).map(|i| "x".repeat(i % 7 + 4)).collect();
    let e = p.embed(&inputs).await.unwrap();
    assert_eq!(e.vectors.len(), 100);
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "96 + 4");
    assert_eq!(e.prompt_tokens, 100);
    assert_eq!(e.model, "text-embedding-3-small");
    let v = &e.vectors[0]; // "xxxx": [4, 0, 3] / 5
    assert!((v[0] - 0.8).abs() < 1e-6 && (v[2] - 0.6).abs() < 1e-6, "{v:?}");
    let w = &e.vectors[1]; // "xxxxx": [5, 0, 3]
    assert!((w[0] - 5.0 / 34f32.sqrt()).abs() < 1e-6);
}
