//! What the knowledge base stores and shows: documents, chunks, search
//! hits, chats and their messages, and the tenant's settings.

use chrono::{DateTime, Utc};
use kernel::validated_string;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::detect::Format;

/// Display text: no control characters, no white space at either end.
pub(crate) const TEXT_PATTERN: &str =
    r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$";
/// Text with a visible character and no control characters but tab and
/// line breaks.
const QUESTION_PATTERN: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
const TAG_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,39}$";

validated_string!(
    /// A document's title (1–300 characters).
    pub Title,
    schema: |s| s.min_length(Some(1)).max_length(Some(300)).pattern(Some(TEXT_PATTERN)),
    parse: |raw| identity::model::display_text(raw, 300)
);

validated_string!(
    /// A chat's title (1–200 characters).
    pub ChatTitle,
    schema: |s| s.min_length(Some(1)).max_length(Some(200)).pattern(Some(TEXT_PATTERN)),
    parse: |raw| identity::model::display_text(raw, 200)
);

validated_string!(
    /// Where a document came from (`website`, `policy manual`, …; 1–200).
    pub SourceLabel,
    schema: |s| s.min_length(Some(1)).max_length(Some(200)).pattern(Some(TEXT_PATTERN)),
    parse: |raw| identity::model::display_text(raw, 200)
);

validated_string!(
    /// A tag: letters, digits, space, `_ . : -`; 1–40, starting with a
    /// letter or digit.
    pub Tag,
    schema: |s| s.min_length(Some(1)).max_length(Some(40)).pattern(Some(TAG_PATTERN)),
    parse: |raw| {
        let ok = !raw.is_empty()
            && raw.chars().count() <= 40
            && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || " _.:-".contains(c));
        if ok { Ok(raw.to_string()) } else { Err("must be 1–40 letters, digits, space or _ . : -, starting with a letter or digit".into()) }
    }
);

validated_string!(
    /// A question or search (1–2,000 characters, not only white space).
    pub Question,
    schema: |s| s.min_length(Some(1)).max_length(Some(2000)).pattern(Some(QUESTION_PATTERN)),
    parse: |raw| {
        if raw.trim().is_empty() {
            Err("must not be empty".into())
        } else if raw.chars().count() > 2000 {
            Err("must be at most 2000 characters".into())
        } else if raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
            Err("must not contain control characters".into())
        } else {
            Ok(raw.to_string())
        }
    }
);

/// Where a document is in ingestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DocumentStatus {
    /// Waiting for a worker.
    Queued,
    /// Being read, chunked and embedded (see `progress`).
    Processing,
    /// Searchable.
    Ready,
    /// Could not be read (see `failure`).
    Failed,
}

impl DocumentStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Queued => "queued",
            DocumentStatus::Processing => "processing",
            DocumentStatus::Ready => "ready",
            DocumentStatus::Failed => "failed",
        }
    }
}

/// A document.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Document {
    /// Its id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Where it came from.
    pub source: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its format, read from its content.
    #[schema(value_type = Format)]
    pub format: String,
    /// The uploaded file's name.
    pub file_name: Option<String>,
    /// The original's size.
    pub size_bytes: i64,
    /// The original's SHA-256 (hex).
    pub sha256: String,
    /// Ingestion status.
    #[schema(value_type = DocumentStatus)]
    pub status: String,
    /// Percent done while processing.
    pub progress: i16,
    /// Why it failed, for a person.
    pub failure: Option<String>,
    /// Bumped by every replacement or re-index.
    pub version: i32,
    /// Pages (PDF).
    pub pages: Option<i32>,
    /// Chunks stored.
    pub chunk_count: i32,
    /// Characters of text extracted.
    pub char_count: i32,
    /// The text search configuration used besides `simple` (`english`).
    pub language: Option<String>,
    /// The model its vectors come from.
    pub embedding_model: Option<String>,
    /// Who uploaded it.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When its current chunks were stored.
    pub ingested_at: Option<DateTime<Utc>>,
}

/// A chunk of a document.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ChunkView {
    /// Its id.
    pub id: Uuid,
    /// The document.
    pub document_id: Uuid,
    /// Position in the document, from 0.
    pub ord: i32,
    /// Its text.
    pub text: String,
    /// Page (PDF), from 1.
    pub page: Option<i32>,
    /// The headings it sits under.
    pub headings: Vec<String>,
}

/// A span of a snippet that matched the query: `[start, end)` in Unicode
/// code points of `snippet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Span {
    /// First code point.
    pub start: usize,
    /// One past the last.
    pub end: usize,
}

/// How a hit scored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scores {
    /// The fused score (weighted reciprocal ranks; higher is better).
    pub fused: f64,
    /// Cosine distance to the query (0 same … 2 opposite), when the
    /// vector search found it.
    pub vector_distance: Option<f64>,
    /// Rank in the vector search, from 1.
    pub vector_rank: Option<usize>,
    /// Full-text score: BM25 over the candidates with the company's word
    /// frequencies, as a share of the most the query's words could score
    /// (0–1), when the chunk holds any of them.
    pub text_score: Option<f64>,
    /// Rank in the full-text search, from 1.
    pub text_rank: Option<usize>,
    /// Share of the query's words found in the chunk (0–1).
    pub term_coverage: f64,
}

/// A search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hit {
    /// The chunk.
    pub chunk_id: Uuid,
    /// Its document.
    pub document_id: Uuid,
    /// The document's title.
    pub document_title: String,
    /// Page (PDF), from 1.
    pub page: Option<i32>,
    /// Headings above it.
    pub headings: Vec<String>,
    /// The chunk's text.
    pub text: String,
    /// A passage of it around the matches.
    pub snippet: String,
    /// Where the query's words occur in `snippet`.
    pub highlights: Vec<Span>,
    /// How it scored.
    pub scores: Scores,
    /// Whether it passes the tenant's relevance threshold.
    pub relevant: bool,
}

/// A citation in an answer: `[n]` in the text is `citations[n-1]`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Citation {
    /// The number used in the answer.
    pub n: usize,
    /// The chunk.
    pub chunk_id: Uuid,
    /// Its document.
    pub document_id: Uuid,
    /// The document's title.
    pub document_title: String,
    /// Page (PDF).
    pub page: Option<i32>,
    /// Headings above it.
    pub headings: Vec<String>,
    /// The cited passage.
    pub snippet: String,
}

/// How an answer was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// Sentences quoted from the documents, each with its citation.
    Extractive,
    /// Written by a model from the cited passages.
    Generative,
    /// No passage was relevant: the documents do not cover it (no model
    /// was called).
    NotCovered,
}

impl AnswerMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerMode::Extractive => "extractive",
            AnswerMode::Generative => "generative",
            AnswerMode::NotCovered => "not_covered",
        }
    }

    /// The stored name, parsed.
    pub fn parse(s: &str) -> Option<AnswerMode> {
        Some(match s {
            "extractive" => AnswerMode::Extractive,
            "generative" => AnswerMode::Generative,
            "not_covered" => AnswerMode::NotCovered,
            _ => return None,
        })
    }
}

/// A chat.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Chat {
    /// Its id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// The person it belongs to.
    pub user_id: Option<Uuid>,
    /// The API key it belongs to (chats made with a key).
    pub api_key_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last message.
    pub updated_at: DateTime<Utc>,
}

/// One message of a chat.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Message {
    /// Its id.
    pub id: Uuid,
    /// The chat.
    pub chat_id: Uuid,
    /// `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
    /// How an answer was made.
    #[schema(value_type = Option<AnswerMode>)]
    pub mode: Option<String>,
    /// The question as searched (a follow-up rewritten with the history).
    pub query: Option<String>,
    /// The answer's citations.
    #[schema(value_type = Vec<Citation>)]
    pub citations: sqlx::types::Json<Vec<Citation>>,
    /// Every chunk the answer was made from.
    pub chunk_ids: Vec<Uuid>,
    /// The provider that wrote it (generative answers).
    pub provider: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// Prompt tokens.
    pub prompt_tokens: Option<i32>,
    /// Completion tokens.
    pub completion_tokens: Option<i32>,
    /// Milliseconds from question to the end of the answer.
    pub latency_ms: Option<i32>,
    /// Milliseconds spent rewriting and retrieving.
    pub retrieval_ms: Option<i32>,
    /// The asker stopped the answer before it finished.
    pub stopped: bool,
    /// 1 up, -1 down.
    pub feedback: Option<i16>,
    /// What the asker said about it.
    pub feedback_comment: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How the tenant's knowledge base chunks, searches and answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Settings {
    /// Target characters per chunk (100–4000).
    #[schema(minimum = 100, maximum = 4000)]
    pub chunk_size: i32,
    /// Characters repeated between consecutive chunks (0–1000; at most
    /// half of `chunk_size`, larger values are reduced to that).
    #[schema(minimum = 0, maximum = 1000)]
    pub chunk_overlap: i32,
    /// Largest file accepted, in bytes (larger values are reduced to the
    /// instance's `http.upload_limit`).
    #[schema(minimum = 1)]
    pub max_upload_bytes: i64,
    /// A chunk is relevant when its cosine distance to the question is
    /// below this (0–2), or when most of the question's words occur in it.
    #[schema(minimum = 0.0, maximum = 2.0)]
    pub max_distance: f32,
    /// Weight of the vector ranking in the fusion (0 turns it off).
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub vector_weight: f32,
    /// Weight of the full-text ranking in the fusion (0 turns it off).
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub text_weight: f32,
    /// Chunks an answer is made from.
    #[schema(minimum = 1, maximum = 50)]
    pub top_k: i32,
    /// `auto` (generate when the `answer` task routes to a capable model,
    /// quote otherwise), `extractive` or `generative`.
    #[schema(pattern = "^(auto|extractive|generative)$")]
    pub answer_mode: String,
    /// The embedding model of the knowledge base, as `GET /v1/models`
    /// names it (`all-MiniLM-L6-v2`, the local one, by default). Changing
    /// it re-embeds every chunk in the background; search keeps using the
    /// earlier model's vectors until the new set is complete
    /// (`GET /api/v1/knowledge/status` shows the progress).
    #[serde(default = "default_embedding_model")]
    #[schema(min_length = 1, max_length = 200, default = "all-MiniLM-L6-v2")]
    pub embedding_model: String,
}

fn default_embedding_model() -> String {
    ai::embed::LOCAL_MODEL.to_string()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            chunk_size: 500,
            chunk_overlap: 50,
            max_upload_bytes: 25 << 20,
            max_distance: 0.5,
            vector_weight: 1.0,
            text_weight: 1.0,
            top_k: 5,
            answer_mode: "auto".into(),
            embedding_model: default_embedding_model(),
        }
    }
}

/// How many documents are in each state.
#[derive(Debug, Clone, Default, Serialize, ToSchema, sqlx::FromRow)]
pub struct DocumentCounts {
    /// Waiting for ingestion.
    pub queued: i64,
    /// Being read, chunked and embedded.
    pub processing: i64,
    /// Searchable.
    pub ready: i64,
    /// Could not be read.
    pub failed: i64,
}

/// The embedding models of the knowledge base, and a move between them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmbeddingStatus {
    /// The model search reads.
    pub model: String,
    /// The model the knowledge base is moving to, while it re-embeds.
    pub next_model: Option<String>,
    /// Chunks that have a vector of `next_model` (of `model` when there is
    /// no move).
    pub embedded: i64,
    /// Chunks in all.
    pub total: i64,
    /// The embedding models the company can choose (`embedding_model` in
    /// the settings).
    pub choices: Vec<String>,
}

/// The state of the company's knowledge base.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KnowledgeStatus {
    /// Documents by state.
    pub documents: DocumentCounts,
    /// Pages of the ready documents that have pages (PDF).
    pub pages: i64,
    /// Characters of text extracted from the ready documents.
    pub characters: i64,
    /// Embedding models and re-embedding progress.
    pub embedding: EmbeddingStatus,
}
