//! The OpenAI-compatible gateway: `GET /v1/models`, `POST
//! /v1/chat/completions` (streaming and not) and `POST /v1/embeddings`,
//! authenticated with a tenant's API key (or access token) holding
//! `ai:use`, routed by the tenant's policy, metered, rate limited and
//! cached like every other call. Any OpenAI client works against it: set
//! its base URL to `https://<server>/v1` and its key to a Tessera API key.
//!
//! `model` may be `auto` (routed by policy; the task comes from the
//! `X-Tessera-Task` header, default `chat`), a local model's name, a
//! provider's name, `<provider>/<model>`, or a provider's model name.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use identity::Granted;
use kernel::extract::Json;
use kernel::{ApiError, ApiResult, AppState};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AiService;
use crate::chat::{ChatEvent, ChatRequest, Message, Role, ToolCall};
use crate::permissions::AiUse;
use crate::service::{AUTO, BudgetState, CallContext, DEFAULT_TASK, EMBED_TASK};

mod schema;

/// The OpenAPI tag of these routes.
pub const TAG: &str = "gateway";

/// Every gateway route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(models))
        .routes(routes!(chat_completions))
        .routes(routes!(embeddings))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn task(headers: &HeaderMap, default: &str) -> Result<String, ApiError> {
    let Some(v) = headers.get("x-tessera-task") else { return Ok(default.to_string()) };
    let t = v.to_str().unwrap_or_default().to_string();
    if t.is_empty()
        || t.len() > 40
        || !t
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(ApiError::invalid(
            "X-Tessera-Task",
            "a task is up to 40 lowercase letters, digits, `_` or `-`",
        ));
    }
    Ok(t)
}

/// A model in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelEntry {
    /// The id to send as `model`.
    pub id: String,
    /// Always `model`.
    pub object: &'static str,
    /// Always 0.
    pub created: u64,
    /// The provider (`local` for the built-in models).
    pub owned_by: String,
}

/// The model list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: &'static str,
    /// The models.
    pub data: Vec<ModelEntry>,
}

/// The models this company can use.
#[utoipa::path(get, path = "/v1/models", tag = TAG, security(("bearer" = ["ai:use"])), responses((status = 200, body = ModelList)))]
pub async fn models(ai: AiService, g: Granted<AiUse>) -> ApiResult<Json<ModelList>> {
    let list = ai.models(g.access()).await?;
    Ok(Json(ModelList {
        object: "list",
        data: list
            .into_iter()
            .map(|m| ModelEntry { id: m.id, object: "model", created: 0, owned_by: m.provider })
            .collect(),
    }))
}

/// A chat completion request (OpenAI's shape; unknown fields are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatCompletionRequest {
    /// `auto`, a model or `<provider>/<model>` (see `GET /v1/models`).
    pub model: Option<String>,
    /// The conversation.
    #[schema(schema_with = schema::messages)]
    pub messages: Vec<Value>,
    /// Stream the answer as server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// `{"include_usage": true}` adds a usage chunk at the end.
    #[schema(schema_with = schema::stream_options)]
    pub stream_options: Option<Value>,
    /// Most tokens to generate.
    #[schema(minimum = 1)]
    pub max_tokens: Option<u32>,
    /// Same as `max_tokens` (newer name).
    #[schema(minimum = 1)]
    pub max_completion_tokens: Option<u32>,
    /// Sampling temperature, 0–2.
    #[schema(minimum = 0, maximum = 2)]
    pub temperature: Option<f32>,
    /// Nucleus sampling: more than 0, at most 1.
    #[schema(exclusive_minimum = 0, maximum = 1)]
    pub top_p: Option<f32>,
    /// Reproducible sampling.
    pub seed: Option<u64>,
    /// A stop sequence or up to four.
    #[schema(schema_with = schema::stop)]
    pub stop: Option<Value>,
    /// Function definitions.
    #[schema(schema_with = schema::tools)]
    pub tools: Option<Value>,
    /// `auto`, `none`, `required` or a function.
    #[schema(schema_with = schema::tool_choice)]
    pub tool_choice: Option<Value>,
    /// `{"type": "json_object"}` for JSON.
    #[schema(schema_with = schema::response_format)]
    pub response_format: Option<Value>,
    /// Answers per request (only 1).
    #[schema(minimum = 1, maximum = 1)]
    pub n: Option<u32>,
}

fn message(i: usize, v: &Value) -> Result<Message, ApiError> {
    let field = |f: &str| format!("messages[{i}].{f}");
    let invalid = |e: kernel::FieldError| ApiError::invalid(e.field, e.message);
    let role = match v.get("role").and_then(Value::as_str) {
        Some("system" | "developer") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool") => Role::Tool,
        _ => {
            return Err(ApiError::invalid(
                field("role"),
                "must be system, developer, user, assistant or tool",
            ));
        }
    };
    schema::check::content(&field("content"), v.get("content")).map_err(invalid)?;
    let content = match v.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| p.get("text").and_then(Value::as_str).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    if role == Role::Tool {
        let id = v.get("tool_call_id").unwrap_or(&Value::Null);
        if id.is_null() {
            return Err(ApiError::invalid(field("tool_call_id"), "is required in tool messages"));
        }
        schema::check::text(&field("tool_call_id"), id).map_err(invalid)?;
    } else if let Some(name) = v.get("name") {
        schema::check::text(&field("name"), name).map_err(invalid)?;
    }
    let tool_calls: Option<Vec<ToolCall>> = match v.get("tool_calls") {
        Some(t) if role != Role::Tool && !t.is_null() => {
            schema::check::tool_calls(&field("tool_calls"), t).map_err(invalid)?;
            Some(
                serde_json::from_value(t.clone())
                    .map_err(|e| ApiError::invalid(field("tool_calls"), e.to_string()))?,
            )
        }
        _ => None,
    };
    let tool_call_id = v.get("tool_call_id").and_then(Value::as_str).map(str::to_string);
    Ok(Message { role, content, tool_calls, tool_call_id })
}

fn to_request(r: &ChatCompletionRequest) -> Result<ChatRequest, ApiError> {
    let invalid = |e: kernel::FieldError| ApiError::invalid(e.field, e.message);
    if r.n.is_some_and(|n| n != 1) {
        return Err(ApiError::invalid("n", "only one answer per request is supported"));
    }
    schema::check::stop(r.stop.as_ref()).map_err(invalid)?;
    schema::check::tools(r.tools.as_ref()).map_err(invalid)?;
    schema::check::tool_choice(r.tool_choice.as_ref()).map_err(invalid)?;
    schema::check::response_format(r.response_format.as_ref()).map_err(invalid)?;
    schema::check::stream_options(r.stream_options.as_ref()).map_err(invalid)?;
    let messages =
        r.messages.iter().enumerate().map(|(i, m)| message(i, m)).collect::<Result<Vec<_>, _>>()?;
    let stop = match &r.stop {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    Ok(ChatRequest {
        messages,
        max_tokens: r.max_completion_tokens.or(r.max_tokens),
        temperature: r.temperature,
        top_p: r.top_p,
        seed: r.seed,
        stop,
        tools: r.tools.clone().filter(|t| !t.is_null()),
        tool_choice: r.tool_choice.clone().filter(|t| !t.is_null()),
        response_format: r.response_format.clone().filter(|t| !t.is_null()),
    })
}

fn routing_headers(
    resp: &mut Response,
    provider: &str,
    model: &str,
    cached: bool,
    budget: Option<BudgetState>,
) {
    let h = resp.headers_mut();
    for (k, v) in [
        ("x-tessera-provider", provider.to_string()),
        ("x-tessera-model", model.to_string()),
        ("x-tessera-cache", if cached { "hit" } else { "miss" }.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(HeaderName::from_static(k), v);
        }
    }
    if let Some(b) = budget {
        h.insert(HeaderName::from_static("x-tessera-budget"), HeaderValue::from_static(b.as_str()));
    }
}

/// Creates a chat completion (OpenAI-compatible).
#[utoipa::path(post, path = "/v1/chat/completions", tag = TAG, request_body = ChatCompletionRequest, security(("bearer" = ["ai:use"])),
    params(("X-Tessera-Task" = Option<String>, Header, pattern = "^[a-z0-9_-]{1,40}$", description = "The task the policy routes by (default `chat`)")),
    responses((status = 200, description = "`chat.completion`, or `text/event-stream` of `chat.completion.chunk`s", body = Object),
              (status = 402, description = "The monthly AI budget is spent", body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem),
              (status = 503, description = "No model available (e.g. the local model is not installed)", body = kernel::error::Problem)))]
pub async fn chat_completions(
    ai: AiService,
    g: Granted<AiUse>,
    headers: HeaderMap,
    Json(r): Json<ChatCompletionRequest>,
) -> ApiResult<Response> {
    let req = to_request(&r)?;
    let ctx = CallContext::of(&g, &task(&headers, DEFAULT_TASK)?);
    let service = ai.0.clone();
    let model_asked = r.model.clone().unwrap_or_else(|| AUTO.into());
    let routed = service.chat(&ctx, Some(&model_asked), req).await?;
    let id = format!("chatcmpl-{}", uuid::Uuid::now_v7().simple());
    let created = now();
    let model = routed.model.clone();
    if !r.stream {
        let (provider, cached, budget) = (routed.provider.clone(), routed.cached, routed.budget);
        let c = crate::chat::collect(routed.stream).await?;
        let mut message = json!({ "role": "assistant", "content": if c.content.is_empty() && !c.tool_calls.is_empty() { Value::Null } else { Value::String(c.content) } });
        if !c.tool_calls.is_empty() {
            message["tool_calls"] = serde_json::to_value(&c.tool_calls).unwrap_or(Value::Null);
        }
        let body = json!({
            "id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{ "index": 0, "message": message, "finish_reason": c.finish_reason.as_str(), "logprobs": null }],
            "usage": { "prompt_tokens": c.usage.prompt_tokens, "completion_tokens": c.usage.completion_tokens,
                       "total_tokens": c.usage.prompt_tokens + c.usage.completion_tokens },
            "system_fingerprint": null,
        });
        let mut resp = Json(body).into_response();
        routing_headers(&mut resp, &provider, &model, cached, budget);
        return Ok(resp);
    }
    let include_usage = r
        .stream_options
        .as_ref()
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let chunk = move |delta: Value, finish: Option<&str>| {
        json!({ "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{ "index": 0, "delta": delta, "finish_reason": finish, "logprobs": null }] })
    };
    let first = chunk(json!({ "role": "assistant", "content": "" }), None);
    let (provider, model_name, cached, budget) =
        (routed.provider.clone(), routed.model.clone(), routed.cached, routed.budget);
    let events = routed.stream;
    let body = futures::stream::once(async move { sse(&first) })
        .chain(events.flat_map(move |e| {
            let out: Vec<String> = match e {
                Ok(ChatEvent::Delta(t)) => vec![sse(&chunk(json!({ "content": t }), None))],
                Ok(ChatEvent::ToolCall(d)) => {
                    let mut call = json!({ "index": d.index, "function": { "arguments": d.arguments } });
                    if let Some(id) = d.id {
                        call["id"] = json!(id);
                        call["type"] = json!("function");
                    }
                    if let Some(name) = d.name {
                        call["function"]["name"] = json!(name);
                    }
                    vec![sse(&chunk(json!({ "tool_calls": [call] }), None))]
                }
                Ok(ChatEvent::Done { finish_reason, usage }) => {
                    let mut v = vec![sse(&chunk(json!({}), Some(finish_reason.as_str())))];
                    if include_usage {
                        let mut u = chunk(json!({}), None);
                        u["choices"] = json!([]);
                        u["usage"] = json!({ "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                                             "total_tokens": usage.prompt_tokens + usage.completion_tokens });
                        v.push(sse(&u));
                    }
                    v.push("data: [DONE]\n\n".to_string());
                    v
                }
                Err(e) => {
                    let api: ApiError = e.into();
                    let p = api.to_problem();
                    vec![sse(&json!({ "error": { "message": p.detail.unwrap_or(p.title), "type": "api_error", "code": p.code } }))]
                }
            };
            futures::stream::iter(out)
        }))
        .map(|s| Ok::<_, std::convert::Infallible>(bytes::Bytes::from(s)));
    let mut resp = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header(HeaderName::from_static("x-accel-buffering"), "no")
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    routing_headers(&mut resp, &provider, &model_name, cached, budget);
    Ok(resp)
}

fn sse(v: &Value) -> String {
    format!("data: {v}\n\n")
}

/// An embeddings request (OpenAI's shape).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmbeddingsRequest {
    /// A text or a list of texts.
    #[schema(schema_with = schema::embedding_input)]
    pub input: Value,
    /// `auto` (default), a model or `<provider>/<model>`.
    pub model: Option<String>,
    /// `float` (default) or `base64` (little-endian f32).
    pub encoding_format: Option<EncodingFormat>,
}

/// How embeddings are returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    /// A list of numbers.
    Float,
    /// Base64 of little-endian f32s.
    Base64,
}

/// Creates embeddings (OpenAI-compatible).
#[utoipa::path(post, path = "/v1/embeddings", tag = TAG, request_body = EmbeddingsRequest, security(("bearer" = ["ai:use"])),
    params(("X-Tessera-Task" = Option<String>, Header, pattern = "^[a-z0-9_-]{1,40}$", description = "The task the policy routes by (default `embed`)")),
    responses((status = 200, description = "A list of embeddings", body = Object),
              (status = 422, body = kernel::error::Problem), (status = 503, body = kernel::error::Problem)))]
pub async fn embeddings(
    ai: AiService,
    g: Granted<AiUse>,
    headers: HeaderMap,
    Json(r): Json<EmbeddingsRequest>,
) -> ApiResult<Response> {
    let inputs: Vec<String> = match &r.input {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ApiError::invalid(
                    "input",
                    "must be a text or a list of texts (token arrays are not supported)",
                )
            })?,
        _ => return Err(ApiError::invalid("input", "must be a non-empty text or list of texts")),
    };
    if let Some(i) = inputs.iter().position(|t| t.contains('\0')) {
        let field = if r.input.is_string() { "input".to_string() } else { format!("input[{i}]") };
        return Err(ApiError::invalid(field, "must not contain NUL characters"));
    }
    let base64 = r.encoding_format == Some(EncodingFormat::Base64);
    let ctx = CallContext::of(&g, &task(&headers, EMBED_TASK)?);
    let model = r.model.as_deref().unwrap_or(AUTO);
    let (info, e) = ai.0.embed(&ctx, Some(model), &inputs).await.map_err(ApiError::from)?;
    let data: Vec<Value> = e
        .vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({ "object": "embedding", "index": i, "embedding": embedding })
        })
        .collect();
    let body = json!({
        "object": "list", "data": data, "model": e.model,
        "usage": { "prompt_tokens": e.prompt_tokens, "total_tokens": e.prompt_tokens },
    });
    let mut resp = Json(body).into_response();
    routing_headers(&mut resp, &info.provider, &info.model, info.cached, info.budget);
    Ok(resp)
}
