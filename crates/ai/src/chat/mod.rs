//! Chat completion: the [`ChatModel`] trait (streaming first), its request
//! and event types, the local Gemma model ([`local::LocalChat`]) and the
//! prompt format that suits a small base model ([`prompt`]).

pub mod local;
pub mod prompt;
pub mod sample;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::AiError;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
    /// A tool's result.
    Tool,
}

/// A function call the model asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ToolCall {
    /// The call's id (echoed back in the tool's message).
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function and its JSON arguments.
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".into()
}

/// A function and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FunctionCall {
    /// The function's name.
    pub name: String,
    /// Its arguments, as a JSON text.
    pub arguments: String,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = ChatMessage)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text (empty for a pure tool call).
    #[serde(default)]
    pub content: String,
    /// The tool calls of an assistant message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// The call a tool message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A message with text.
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message { role, content: content.into(), tool_calls: None, tool_call_id: None }
    }
}

/// A chat completion request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The conversation.
    pub messages: Vec<Message>,
    /// Most tokens to generate.
    pub max_tokens: Option<u32>,
    /// Sampling temperature (0 = greedy).
    pub temperature: Option<f32>,
    /// Nucleus sampling.
    pub top_p: Option<f32>,
    /// Seed for reproducible sampling.
    pub seed: Option<u64>,
    /// Generation stops before any of these.
    pub stop: Vec<String>,
    /// OpenAI `tools` (function definitions), passed through.
    pub tools: Option<Value>,
    /// OpenAI `tool_choice`, passed through.
    pub tool_choice: Option<Value>,
    /// OpenAI `response_format` (`{"type":"json_object"}` asks for JSON).
    pub response_format: Option<Value>,
}

impl ChatRequest {
    /// A request with these messages and defaults otherwise.
    pub fn new(messages: Vec<Message>) -> ChatRequest {
        ChatRequest { messages, ..Default::default() }
    }

    /// Whether the answer must be a JSON object.
    pub fn wants_json(&self) -> bool {
        self.response_format
            .as_ref()
            .and_then(|f| f.get("type"))
            .and_then(Value::as_str)
            .is_some_and(|t| t == "json_object" || t == "json_schema")
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model finished (or hit a stop sequence).
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// The model asked for tool calls.
    ToolCalls,
    /// The provider filtered the content.
    ContentFilter,
}

impl FinishReason {
    /// The OpenAI name.
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
        }
    }

    /// From the OpenAI name.
    pub fn parse(s: &str) -> FinishReason {
        match s {
            "length" => FinishReason::Length,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            _ => FinishReason::Stop,
        }
    }
}

/// Token counts of a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Usage {
    /// Tokens read.
    pub prompt_tokens: u32,
    /// Tokens written.
    pub completion_tokens: u32,
}

/// A piece of a tool call as it streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallDelta {
    /// Which call (several may stream interleaved).
    pub index: u32,
    /// Its id, on the first piece.
    pub id: Option<String>,
    /// The function's name, on the first piece.
    pub name: Option<String>,
    /// More of the arguments' JSON text.
    pub arguments: String,
}

/// What a streaming chat yields.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// More text.
    Delta(String),
    /// More of a tool call.
    ToolCall(ToolCallDelta),
    /// The end, with token counts.
    Done {
        /// Why it ended.
        finish_reason: FinishReason,
        /// Tokens read and written.
        usage: Usage,
    },
}

/// A stream of chat events; dropping it cancels generation.
pub type ChatStream = BoxStream<'static, Result<ChatEvent, AiError>>;

/// A chat model.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// The model's name.
    fn model(&self) -> &str;
    /// Whether it can call tools.
    fn supports_tools(&self) -> bool;
    /// Starts generating; events arrive as tokens do.
    async fn stream(&self, request: ChatRequest) -> Result<ChatStream, AiError>;
}

/// A finished completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The text.
    pub content: String,
    /// Tool calls, if the model made any.
    pub tool_calls: Vec<ToolCall>,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Token counts.
    pub usage: Usage,
}

/// Joins streamed pieces of tool calls into whole calls.
pub fn assemble_tool_calls(deltas: &[ToolCallDelta]) -> Vec<ToolCall> {
    let mut calls: Vec<ToolCall> = Vec::new();
    for d in deltas {
        let i = d.index as usize;
        while calls.len() <= i {
            calls.push(ToolCall {
                id: String::new(),
                kind: function_type(),
                function: FunctionCall { name: String::new(), arguments: String::new() },
            });
        }
        if let Some(id) = &d.id {
            calls[i].id = id.clone();
        }
        if let Some(name) = &d.name {
            calls[i].function.name.push_str(name);
        }
        calls[i].function.arguments.push_str(&d.arguments);
    }
    calls
}

/// Collects a stream into a completion.
pub async fn collect(mut stream: ChatStream) -> Result<Completion, AiError> {
    let mut content = String::new();
    let mut deltas = Vec::new();
    let mut done = None;
    while let Some(event) = stream.next().await {
        match event? {
            ChatEvent::Delta(t) => content.push_str(&t),
            ChatEvent::ToolCall(d) => deltas.push(d),
            ChatEvent::Done { finish_reason, usage } => done = Some((finish_reason, usage)),
        }
    }
    let calls = assemble_tool_calls(&deltas);
    let (finish_reason, usage) = done.ok_or_else(|| {
        AiError::Unavailable("the model stopped before finishing its answer".into())
    })?;
    Ok(Completion { content, tool_calls: calls, finish_reason, usage })
}
