//! Providers that speak the OpenAI API: OpenAI, Azure OpenAI (deployment
//! URLs and the `api-key` header), Gemini's OpenAI-compatible endpoint,
//! Ollama, vLLM and llama.cpp's server.
//!
//! - Chat completions stream over SSE (`stream: true`, usage in the last
//!   chunk when the provider reports it), with tool calls and JSON mode
//!   passed through.
//! - Timeouts: connecting, the first token, and the whole call.
//! - Retries: connection errors, timeouts before the first token, 429 and
//!   5xx are retried with exponential backoff and jitter, honouring
//!   `Retry-After`; other 4xx never are. Once tokens have reached the
//!   caller, a failure is reported, not retried.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::chat::{
    ChatEvent, ChatModel, ChatRequest, ChatStream, FinishReason, ToolCallDelta, Usage,
};
use crate::embed::{Embedder, Embeddings};
use crate::error::AiError;

/// Which API dialect a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// api.openai.com.
    Openai,
    /// Azure OpenAI: `base_url` is the deployment URL
    /// (`https://<resource>.openai.azure.com/openai/deployments/<deployment>`),
    /// authenticated with `api-key` and an `api-version` query parameter.
    Azure,
    /// Gemini's OpenAI-compatible endpoint.
    Gemini,
    /// Ollama (`http://host:11434/v1`).
    Ollama,
    /// vLLM's OpenAI server.
    Vllm,
    /// llama.cpp's server.
    Llamacpp,
    /// Anything else that speaks the OpenAI API.
    OpenaiCompatible,
}

impl ProviderKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Azure => "azure",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Ollama => "ollama",
            ProviderKind::Vllm => "vllm",
            ProviderKind::Llamacpp => "llamacpp",
            ProviderKind::OpenaiCompatible => "openai_compatible",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<ProviderKind> {
        [
            ProviderKind::Openai,
            ProviderKind::Azure,
            ProviderKind::Gemini,
            ProviderKind::Ollama,
            ProviderKind::Vllm,
            ProviderKind::Llamacpp,
            ProviderKind::OpenaiCompatible,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The usual base URL, when there is one.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            ProviderKind::Openai => Some("https://api.openai.com/v1"),
            ProviderKind::Gemini => Some("https://generativelanguage.googleapis.com/v1beta/openai"),
            ProviderKind::Ollama => Some("http://127.0.0.1:11434/v1"),
            _ => None,
        }
    }
}

/// Timeouts and retries of provider calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// Connecting.
    pub connect: Duration,
    /// From sending the request to the first token (or the whole answer
    /// of a non-streaming call).
    pub first_token: Duration,
    /// The whole call, streaming included.
    pub total: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry (doubling, with jitter).
    pub backoff: Duration,
    /// Longest wait a `Retry-After` may impose.
    pub max_retry_after: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            connect: Duration::from_secs(5),
            first_token: Duration::from_secs(30),
            total: Duration::from_secs(120),
            max_retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// One configured provider endpoint.
#[derive(Clone)]
pub struct ProviderSpec {
    /// A short name (`openai`, `azure-east`), used in routes and usage.
    pub name: String,
    /// Its dialect.
    pub kind: ProviderKind,
    /// Base URL (without `/chat/completions`).
    pub base_url: String,
    /// The key, sent as `Authorization: Bearer` (Azure: `api-key`).
    pub api_key: Option<String>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The chat model.
    pub chat_model: Option<String>,
    /// The embedding model.
    pub embedding_model: Option<String>,
    /// Azure's `api-version`.
    pub api_version: Option<String>,
    /// Timeouts and retries.
    pub policy: CallPolicy,
}

impl std::fmt::Debug for ProviderSpec {
    // The key and headers (which may carry secrets) are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("chat_model", &self.chat_model)
            .field("embedding_model", &self.embedding_model)
            .finish_non_exhaustive()
    }
}

/// A provider client: a chat model and an embedder.
#[derive(Debug, Clone)]
pub struct OpenAiProvider {
    spec: ProviderSpec,
    client: reqwest::Client,
    chat_model: String,
    embedding_model: String,
}

impl OpenAiProvider {
    /// A client for `spec`.
    pub fn new(spec: ProviderSpec) -> Result<OpenAiProvider, AiError> {
        let client = kernel::outbound::client_builder()
            .connect_timeout(spec.policy.connect)
            .build()
            .map_err(|e| AiError::Internal(format!("HTTP client: {e}")))?;
        let chat_model = spec.chat_model.clone().unwrap_or_default();
        let embedding_model = spec.embedding_model.clone().unwrap_or_default();
        Ok(OpenAiProvider { spec, client, chat_model, embedding_model })
    }

    /// A client for `spec` sharing an existing HTTP client (and its
    /// connection pool).
    pub fn with_client(spec: ProviderSpec, client: reqwest::Client) -> OpenAiProvider {
        let chat_model = spec.chat_model.clone().unwrap_or_default();
        let embedding_model = spec.embedding_model.clone().unwrap_or_default();
        OpenAiProvider { spec, client, chat_model, embedding_model }
    }

    /// The same provider with another embedding model.
    pub fn with_embedding_model(mut self, model: &str) -> OpenAiProvider {
        self.embedding_model = model.to_string();
        self
    }

    /// Its configuration.
    pub fn spec(&self) -> &ProviderSpec {
        &self.spec
    }

    /// The same provider with another chat model.
    pub fn with_chat_model(mut self, model: &str) -> OpenAiProvider {
        self.chat_model = model.to_string();
        self
    }

    fn url(&self, path: &str) -> String {
        let base = self.spec.base_url.trim_end_matches('/');
        match (self.spec.kind, &self.spec.api_version) {
            (ProviderKind::Azure, Some(v)) => format!("{base}/{path}?api-version={v}"),
            (ProviderKind::Azure, None) => format!("{base}/{path}?api-version=2024-10-21"),
            _ => format!("{base}/{path}"),
        }
    }

    fn request(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(key) = &self.spec.api_key {
            r = match self.spec.kind {
                ProviderKind::Azure => r.header("api-key", key),
                _ => r.bearer_auth(key),
            };
        }
        for (k, v) in &self.spec.headers {
            r = r.header(k, v);
        }
        r
    }

    /// Sends with retries until a response with a success status (or a
    /// non-retryable error) arrives within the first-token timeout.
    async fn send(
        &self,
        path: &str,
        body: &Value,
        deadline: Instant,
    ) -> Result<reqwest::Response, AiError> {
        let policy = self.spec.policy;
        let mut attempt = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AiError::Timeout(format!("{} did not answer in time", self.spec.name)));
            }
            let wait = policy.first_token.min(left);
            let result: Result<(), (AiError, Option<Duration>)> =
                match tokio::time::timeout(wait, self.request(path, body).send()).await {
                    Err(_) => Err((
                        AiError::Timeout(format!(
                            "{} did not answer within {wait:?}",
                            self.spec.name
                        )),
                        None,
                    )),
                    Ok(Err(e)) => Err((
                        AiError::Unavailable(format!(
                            "cannot reach {}: {}",
                            self.spec.name,
                            describe(&e)
                        )),
                        None,
                    )),
                    Ok(Ok(resp)) if resp.status().is_success() => return Ok(resp),
                    Ok(Ok(resp)) => {
                        let status = resp.status().as_u16();
                        let retry_after = retry_after(resp.headers());
                        let text = tokio::time::timeout(Duration::from_secs(5), resp.text())
                            .await
                            .ok()
                            .and_then(Result::ok)
                            .unwrap_or_default();
                        let message = self.scrub(
                            &error_message(&text).unwrap_or_else(|| format!("HTTP {status}")),
                        );
                        let err = if status == 429 {
                            AiError::RateLimited { retry_after }
                        } else {
                            AiError::Provider { status, message }
                        };
                        Err((err, retry_after))
                    }
                };
            let Err((err, retry_after)) = result else { continue };
            if !err.is_retryable() || attempt >= policy.max_retries {
                return Err(err);
            }
            attempt += 1;
            let backoff = policy.backoff.saturating_mul(1 << (attempt - 1).min(16));
            let jittered = backoff.mul_f64(0.5 + 0.5 * jitter());
            let delay = match retry_after {
                Some(d) => {
                    d.min(policy.max_retry_after).max(jittered.min(Duration::from_millis(50)))
                }
                None => jittered,
            };
            if Instant::now() + delay >= deadline {
                return Err(err);
            }
            tracing::debug!(provider = %self.spec.name, attempt, ?delay, error = %err, "retrying a provider call");
            // Unlabelled: provider names may be a tenant's own.
            metrics::counter!("ai_retries_total").increment(1);
            tokio::time::sleep(delay).await;
        }
    }

    /// Removes this provider's credentials from a text that came back from
    /// it (some providers echo the key in their error messages).
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        let secrets = self.spec.api_key.iter().chain(self.spec.headers.iter().map(|(_, v)| v));
        for s in secrets.filter(|s| s.len() >= 6) {
            out = out.replace(s.as_str(), "[redacted]");
        }
        out
    }

    fn chat_body(&self, req: &ChatRequest, stream: bool) -> Value {
        let mut body = json!({
            "model": self.chat_model,
            "messages": req.messages,
            "stream": stream,
        });
        let o = body.as_object_mut().expect("an object");
        if stream {
            o.insert("stream_options".into(), json!({ "include_usage": true }));
        }
        if let Some(v) = req.max_tokens {
            o.insert("max_tokens".into(), json!(v));
        }
        if let Some(v) = req.temperature {
            o.insert("temperature".into(), json!(v));
        }
        if let Some(v) = req.top_p {
            o.insert("top_p".into(), json!(v));
        }
        if let Some(v) = req.seed {
            o.insert("seed".into(), json!(v));
        }
        if !req.stop.is_empty() {
            o.insert("stop".into(), json!(req.stop));
        }
        for (k, v) in [
            ("tools", &req.tools),
            ("tool_choice", &req.tool_choice),
            ("response_format", &req.response_format),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), v.clone());
            }
        }
        body
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

fn jitter() -> f64 {
    let b: [u8; 4] = kernel::crypto::random_bytes();
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// `Retry-After` in seconds or as an HTTP date.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok()
}

/// The message of an OpenAI-style error body.
fn error_message(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let m = v.pointer("/error/message").or_else(|| v.get("message")).or_else(|| v.get("detail"))?;
    m.as_str().map(|s| s.chars().take(500).collect())
}

#[async_trait]
impl ChatModel for OpenAiProvider {
    fn model(&self) -> &str {
        &self.chat_model
    }

    fn supports_tools(&self) -> bool {
        true
    }

    async fn stream(&self, request: ChatRequest) -> Result<ChatStream, AiError> {
        if self.chat_model.is_empty() && self.spec.kind != ProviderKind::Azure {
            return Err(AiError::NoProvider(format!(
                "provider {} has no chat model",
                self.spec.name
            )));
        }
        let deadline = Instant::now() + self.spec.policy.total;
        let body = self.chat_body(&request, true);
        let resp = self.send("chat/completions", &body, deadline).await?;
        let name = self.spec.name.clone();
        let first_token = self.spec.policy.first_token;
        let bytes = resp.bytes_stream();
        let estimate_prompt = estimate_tokens(&request);
        let secrets = self
            .spec
            .api_key
            .iter()
            .chain(self.spec.headers.iter().map(|(_, v)| v))
            .filter(|s| s.len() >= 6)
            .cloned()
            .collect();
        Ok(Box::pin(sse_chat_stream(bytes, name, deadline, first_token, estimate_prompt, secrets)))
    }
}

/// A rough count (four characters a token) for providers that report none.
fn estimate_tokens(req: &ChatRequest) -> u32 {
    let chars: usize = req.messages.iter().map(|m| m.content.chars().count() + 4).sum();
    (chars / 4).max(1) as u32
}

struct SseState<S> {
    bytes: S,
    parser: SseParser,
    queue: std::collections::VecDeque<Result<ChatEvent, AiError>>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
    completion_chars: usize,
    saw_token: bool,
    ended: bool,
    name: String,
    deadline: Instant,
    first_token: Duration,
    started: Instant,
    estimate_prompt: u32,
    secrets: Vec<String>,
}

fn sse_chat_stream<S>(
    bytes: S,
    name: String,
    deadline: Instant,
    first_token: Duration,
    estimate_prompt: u32,
    secrets: Vec<String>,
) -> impl futures::Stream<Item = Result<ChatEvent, AiError>> + Send
where
    S: futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send + Unpin + 'static,
{
    let state = SseState {
        bytes,
        parser: SseParser::default(),
        queue: Default::default(),
        usage: None,
        finish: None,
        completion_chars: 0,
        saw_token: false,
        ended: false,
        name,
        deadline,
        first_token,
        started: Instant::now(),
        estimate_prompt,
        secrets,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(e) = st.queue.pop_front() {
                return Some((e, st));
            }
            if st.ended {
                return None;
            }
            let limit = if st.saw_token {
                st.deadline
            } else {
                (st.started + st.first_token).min(st.deadline)
            };
            let next = tokio::time::timeout_at(limit.into(), st.bytes.next()).await;
            match next {
                Err(_) => {
                    st.ended = true;
                    let what =
                        if st.saw_token { "finish its answer" } else { "send its first token" };
                    st.queue.push_back(Err(AiError::Timeout(format!(
                        "{} did not {what} in time",
                        st.name
                    ))));
                }
                Ok(None) => {
                    st.ended = true;
                    match st.finish {
                        Some(finish_reason) => {
                            let usage = st.usage.unwrap_or(Usage {
                                prompt_tokens: st.estimate_prompt,
                                completion_tokens: (st.completion_chars / 4).max(1) as u32,
                            });
                            st.queue.push_back(Ok(ChatEvent::Done { finish_reason, usage }));
                        }
                        None => st.queue.push_back(Err(AiError::Unavailable(format!(
                            "{} closed the stream before finishing",
                            st.name
                        )))),
                    }
                }
                Ok(Some(Err(e))) => {
                    st.ended = true;
                    st.queue.push_back(Err(AiError::Unavailable(format!(
                        "the stream from {} broke: {}",
                        st.name,
                        describe(&e)
                    ))));
                }
                Ok(Some(Ok(chunk))) => {
                    for data in st.parser.push(&chunk) {
                        if data.trim() == "[DONE]" {
                            continue;
                        }
                        match serde_json::from_str::<Value>(&data) {
                            Ok(v) => handle_chunk(&mut st, &v),
                            Err(_) => {
                                st.ended = true;
                                st.queue.push_back(Err(AiError::Unavailable(format!(
                                    "{} sent an unreadable stream chunk",
                                    st.name
                                ))));
                            }
                        }
                    }
                }
            }
        }
    })
}

fn handle_chunk<S>(st: &mut SseState<S>, v: &Value) {
    if let Some(err) = v.get("error") {
        st.ended = true;
        let message = err.get("message").and_then(Value::as_str).unwrap_or("error").to_string();
        let message = st.secrets.iter().fold(message, |m, s| m.replace(s.as_str(), "[redacted]"));
        st.queue.push_back(Err(AiError::Provider { status: 502, message }));
        return;
    }
    if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
        st.usage = Some(Usage {
            prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0) as u32,
            completion_tokens: u.get("completion_tokens").and_then(Value::as_u64).unwrap_or(0)
                as u32,
        });
    }
    let Some(choice) = v.get("choices").and_then(|c| c.get(0)) else { return };
    if let Some(delta) = choice.get("delta") {
        if let Some(text) = delta.get("content").and_then(Value::as_str)
            && !text.is_empty()
        {
            st.saw_token = true;
            st.completion_chars += text.len();
            st.queue.push_back(Ok(ChatEvent::Delta(text.to_string())));
        }
        if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
            for c in calls {
                st.saw_token = true;
                let f = c.get("function");
                let args = f.and_then(|f| f.get("arguments")).and_then(Value::as_str).unwrap_or("");
                st.completion_chars += args.len();
                st.queue.push_back(Ok(ChatEvent::ToolCall(ToolCallDelta {
                    index: c.get("index").and_then(Value::as_u64).unwrap_or(0) as u32,
                    id: c.get("id").and_then(Value::as_str).map(str::to_string),
                    name: f.and_then(|f| f.get("name")).and_then(Value::as_str).map(str::to_string),
                    arguments: args.to_string(),
                })));
            }
        }
    }
    if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
        st.finish = Some(FinishReason::parse(reason));
    }
}

/// Splits a byte stream into SSE events' `data` fields.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
}

impl SseParser {
    /// Adds bytes; returns the data of every complete event.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            let end = find_event_end(&self.buf);
            let Some((at, len)) = end else { break };
            let event: Vec<u8> = self.buf.drain(..at + len).collect();
            let text = String::from_utf8_lossy(&event[..at]);
            let mut data = Vec::new();
            for line in text.lines() {
                if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d).to_string());
                }
            }
            if !data.is_empty() {
                out.push(data.join("\n"));
            }
        }
        out
    }
}

fn find_event_end(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[async_trait]
impl Embedder for OpenAiProvider {
    fn model(&self) -> &str {
        &self.embedding_model
    }

    fn dimensions(&self) -> Option<usize> {
        None
    }

    async fn embed(&self, inputs: &[String]) -> Result<Embeddings, AiError> {
        if self.embedding_model.is_empty() && self.spec.kind != ProviderKind::Azure {
            return Err(AiError::NoProvider(format!(
                "provider {} has no embedding model",
                self.spec.name
            )));
        }
        let deadline = Instant::now() + self.spec.policy.total;
        let mut vectors = Vec::with_capacity(inputs.len());
        let mut tokens = 0u32;
        // Batches keep each request well under providers' limits.
        for batch in inputs.chunks(96) {
            let body = json!({ "model": self.embedding_model, "input": batch, "encoding_format": "float" });
            let resp = self.send("embeddings", &body, deadline).await?;
            let left = deadline.saturating_duration_since(Instant::now());
            let v: Value = tokio::time::timeout(left, resp.json())
                .await
                .map_err(|_| {
                    AiError::Timeout(format!("{} did not answer in time", self.spec.name))
                })?
                .map_err(|e| {
                    AiError::Unavailable(format!(
                        "{} sent an unreadable answer: {e}",
                        self.spec.name
                    ))
                })?;
            let data = v.get("data").and_then(Value::as_array).ok_or_else(|| {
                AiError::Unavailable(format!("{} sent an answer without `data`", self.spec.name))
            })?;
            let mut got: Vec<(usize, Vec<f32>)> = data
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let index = d.get("index").and_then(Value::as_u64).map_or(i, |x| x as usize);
                    let emb = d
                        .get("embedding")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_f64).map(|x| x as f32).collect())
                        .unwrap_or_default();
                    (index, emb)
                })
                .collect();
            if got.len() != batch.len() {
                return Err(AiError::Unavailable(format!(
                    "{} returned {} vectors for {} inputs",
                    self.spec.name,
                    got.len(),
                    batch.len()
                )));
            }
            got.sort_by_key(|g| g.0);
            vectors.extend(got.into_iter().map(|g| normalise(g.1)));
            tokens += v.pointer("/usage/prompt_tokens").and_then(Value::as_u64).unwrap_or(0) as u32;
        }
        Ok(Embeddings { model: self.embedding_model.clone(), vectors, prompt_tokens: tokens })
    }
}

fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        for x in &mut v {
            *x /= n;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks() {
        let mut p = SseParser::default();
        assert!(p.push(b"data: {\"a\":").is_empty());
        assert_eq!(p.push(b"1}\n\ndata: [DONE]\n\n"), vec!["{\"a\":1}", "[DONE]"]);
        assert_eq!(p.push(b": comment\r\n\r\nevent: x\ndata: a\ndata: b\n\n"), vec!["a\nb"]);
        assert!(p.push(b"data: tail").is_empty());
    }

    #[test]
    fn retry_after_forms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "0.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert("retry-after", later.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30));
    }

    #[test]
    fn urls_and_errors() {
        let spec = |kind, base: &str| ProviderSpec {
            name: "p".into(),
            kind,
            base_url: base.into(),
            api_key: Some("sk-secret".into()),
            headers: vec![],
            chat_model: Some("m".into()),
            embedding_model: None,
            api_version: None,
            policy: CallPolicy::default(),
        };
        let p =
            OpenAiProvider::new(spec(ProviderKind::Openai, "https://api.openai.com/v1/")).unwrap();
        assert_eq!(p.url("chat/completions"), "https://api.openai.com/v1/chat/completions");
        let a = OpenAiProvider::new(spec(
            ProviderKind::Azure,
            "https://r.openai.azure.com/openai/deployments/gpt4o",
        ))
        .unwrap();
        assert_eq!(
            a.url("chat/completions"),
            "https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"
        );
        assert!(!format!("{:?}", a.spec()).contains("sk-secret"));
        assert_eq!(error_message(r#"{"error":{"message":"bad key"}}"#).as_deref(), Some("bad key"));
        assert_eq!(error_message("<html>"), None);
    }
}
