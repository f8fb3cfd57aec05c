//! Routes: documents, search, chats and settings.

use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use identity::Granted;
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use kernel::{ApiError, ApiResult, AppState};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::KnowledgeService;
use crate::detect::Format;
use crate::model::{
    Chat, ChatTitle, ChunkView, Document, DocumentStatus, Hit, KnowledgeStatus, Message, Question,
    Settings, SourceLabel, Tag, Title,
};
use crate::permissions::*;
use crate::repo::DocumentFilter;
use crate::retrieve::{Retrieval, SearchMode};
use crate::service::chats::{Ask, Streamed};
use crate::service::documents::{self, Change, Filters, Incoming, Meta, UploadResult};
use crate::service::{self as svc, chats};

/// The OpenAPI tag of these routes.
pub const TAG: &str = "knowledge";

/// Every route of this crate.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_documents, upload_documents))
        .routes(routes!(get_document, update_document, delete_document))
        .routes(routes!(download_document, replace_document))
        .routes(routes!(list_chunks))
        .routes(routes!(reindex_document))
        .routes(routes!(search))
        .routes(routes!(list_chats, create_chat))
        .routes(routes!(get_chat, rename_chat, delete_chat))
        .routes(routes!(ask))
        .routes(routes!(get_message))
        .routes(routes!(message_feedback))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(get_status))
}

/// The multipart form of an upload.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A file (PDF, DOCX, HTML, Markdown, CSV, plain text; the type is read
    /// from the content). Repeat the part for several files.
    #[schema(value_type = String, format = Binary)]
    file: String,
    /// Title (one file only; otherwise each takes its file's name).
    #[schema(value_type = Option<Title>)]
    title: Option<String>,
    /// Where the documents come from.
    #[schema(value_type = Option<SourceLabel>)]
    source: Option<String>,
    /// Tags, comma-separated (the field may repeat).
    #[schema(value_type = Option<String>)]
    tags: Option<String>,
}

/// Pasted text to store as a document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PastedText {
    /// Its title.
    pub title: Title,
    /// The text (Markdown, HTML or plain; read from the content).
    #[schema(min_length = 1, max_length = 10_000_000)]
    pub text: String,
    /// Where it comes from.
    pub source: Option<SourceLabel>,
    /// Tags.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<Tag>>,
}

fn tags_of(raw: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw.iter().flat_map(|r| r.split(',')).map(str::trim).filter(|t| !t.is_empty()) {
        let tag =
            Tag::parse(t).map_err(|e: String| ApiError::invalid("tags", format!("`{t}` {e}")))?;
        if !out.contains(&tag.to_string()) {
            out.push(tag.to_string());
        }
    }
    if out.len() > 20 {
        return Err(ApiError::invalid("tags", "at most 20 tags"));
    }
    Ok(out)
}

async fn read_multipart(
    state: &AppState,
    req: Request,
    limit: u64,
    files_field: &str,
) -> Result<(Vec<Incoming>, Meta), ApiError> {
    let mut form = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::bad_request("malformed_multipart", e.body_text()))?;
    let mut files = Vec::new();
    let mut meta = Meta::default();
    let mut tags: Vec<String> = Vec::new();
    let mut oversize: Option<usize> = None;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large")
                .detail("the upload is larger than this server accepts")
        } else {
            ApiError::bad_request("malformed_multipart", e.body_text())
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_string();
        if name == files_field || (files_field == "file" && name == "files") {
            let label = format!("{files_field}[{}]", files.len());
            let file_name = field.file_name().map(str::to_string);
            let mut buf = bytes::BytesMut::new();
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                // Past the limit the rest is read and dropped, so the
                // problem can name the field as the whole upload numbers it.
                size += chunk.len() as u64;
                if size <= limit {
                    buf.extend_from_slice(&chunk);
                }
            }
            if size > limit && oversize.is_none() {
                oversize = Some(files.len());
            }
            files.push(Incoming { field: label, file_name, bytes: buf.freeze() });
            continue;
        }
        let value = field.text().await.map_err(malformed)?;
        match name.as_str() {
            "title" if files_field == "file" => {
                let t = Title::parse(&value).map_err(|e: String| ApiError::invalid("title", e))?;
                meta.title = Some(t.to_string());
            }
            "source" if files_field == "file" => {
                let s = SourceLabel::parse(&value)
                    .map_err(|e: String| ApiError::invalid("source", e))?;
                meta.source = Some(s.to_string());
            }
            "tags" if files_field == "file" => tags.push(value),
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!(
                        "unknown field; send `{files_field}`{}",
                        if files_field == "file" { ", `title`, `source` and `tags`" } else { "" }
                    ),
                ));
            }
        }
    }
    if files.len() == 1 {
        files[0].field = files_field.to_string();
    }
    if let Some(i) = oversize {
        return Err(crate::KnowledgeError::TooLarge { field: files[i].field.clone(), limit }.into());
    }
    meta.tags = tags_of(&tags)?;
    Ok((files, meta))
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Uploads one or more files (multipart), or pasted text (JSON). Each is
/// stored and queued for ingestion in one transaction; a file the company
/// already has returns the existing document.
#[utoipa::path(post, path = "/api/v1/documents", tag = TAG, security(("bearer" = ["documents:write"])),
    request_body(content((UploadForm = "multipart/form-data"), (PastedText = "application/json")),
                 description = "Files as `multipart/form-data`, or pasted text as JSON"),
    responses((status = 202, description = "Stored and queued (or already there)", body = UploadResult),
              (status = 413, description = "A file is larger than the company's upload limit", body = kernel::error::Problem),
              (status = 415, description = "A file's type is not one Tessera reads", body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn upload_documents(
    State(state): State<AppState>,
    k: KnowledgeService,
    g: Granted<DocumentsWrite>,
    req: Request,
) -> ApiResult<(StatusCode, Json<UploadResult>)> {
    let limit = documents::upload_limit(&k, &g).await?;
    let (files, meta) = if is_json(&req) {
        let Json(p): Json<PastedText> = Json::from_request(req, &state).await?;
        if p.text.trim().is_empty() {
            return Err(ApiError::invalid("text", "must not be empty"));
        }
        let meta = Meta {
            title: Some(p.title.to_string()),
            source: p.source.map(|s| s.to_string()),
            tags: tags_of(
                &p.tags.unwrap_or_default().iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            )?,
        };
        let file =
            Incoming { field: "text".into(), file_name: None, bytes: bytes::Bytes::from(p.text) };
        (vec![file], meta)
    } else {
        read_multipart(&state, req, limit, "file").await?
    };
    let result = documents::upload(&k, &g, files, meta).await?;
    Ok((StatusCode::ACCEPTED, Json(result)))
}

/// Filters of the document list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentsQuery {
    /// Only documents in this state.
    #[param(inline)]
    pub status: Option<DocumentStatus>,
    /// Title contains (case-insensitive).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Any of these tags (comma-separated).
    #[param(
        max_length = 900,
        pattern = r"^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,39}(,[A-Za-z0-9][A-Za-z0-9 _.:-]{0,39}){0,19}$"
    )]
    pub tags: Option<String>,
    /// Only this format.
    #[param(inline)]
    pub format: Option<Format>,
    /// Created at or after (RFC 3339).
    pub created_after: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub created_before: Option<DateTime<Utc>>,
}

/// The company's documents, newest first.
#[utoipa::path(get, path = "/api/v1/documents", tag = TAG, params(PageParams, DocumentsQuery), security(("bearer" = ["documents:read"])),
    responses((status = 200, body = Page<Document>)))]
pub async fn list_documents(
    k: KnowledgeService,
    g: Granted<DocumentsRead>,
    page: PageRequest,
    Query(q): Query<DocumentsQuery>,
) -> ApiResult<Json<Page<Document>>> {
    let tags = q
        .tags
        .map(|t| tags_of(&[t]))
        .transpose()
        .map_err(|_| {
            ApiError::bad_request("invalid_parameter", "`tags`: comma-separated tags")
                .field("tags", "comma-separated tags")
        })?
        .filter(|t| !t.is_empty());
    let f = Filters {
        status: q.status.map(DocumentStatus::as_str),
        q: q.q.filter(|s| !s.is_empty()),
        tags,
        formats: q.format.map(|f| vec![f.as_str().to_string()]),
        created_after: q.created_after,
        created_before: q.created_before,
    };
    Ok(Json(documents::list(&k, &g, &page, f).await?))
}

/// One document: its status, progress, failure reason and counts.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["documents:read"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem)))]
pub async fn get_document(
    k: KnowledgeService,
    g: Granted<DocumentsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::get(&k, &g, id).await?))
}

/// A change to a document's description (absent fields stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentUpdate {
    /// New title.
    pub title: Option<Title>,
    /// New source label (`null` clears it).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SourceLabel>, nullable)]
    pub source: Option<Option<SourceLabel>>,
    /// New tags (replacing the old).
    #[schema(max_items = 20)]
    pub tags: Option<Vec<Tag>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes a document's title, source or tags.
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = DocumentUpdate,
    security(("bearer" = ["documents:write"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn update_document(
    k: KnowledgeService,
    g: Granted<DocumentsWrite>,
    Path(id): Path<Uuid>,
    Json(u): Json<DocumentUpdate>,
) -> ApiResult<Json<Document>> {
    let tags = u
        .tags
        .map(|t| tags_of(&t.iter().map(|t| t.to_string()).collect::<Vec<_>>()))
        .transpose()?;
    let c = Change {
        title: u.title.map(|t| t.to_string()),
        source: u.source.map(|s| s.map(|s| s.to_string())),
        tags,
    };
    Ok(Json(documents::update(&k, &g, id, c).await?))
}

/// Deletes a document: it leaves search at once; its file goes too.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["documents:write"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_document(
    k: KnowledgeService,
    g: Granted<DocumentsWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    documents::delete(&k, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The original file.
#[utoipa::path(get, path = "/api/v1/documents/{id}/file", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["documents:read"])),
    responses((status = 200, description = "The original, with its media type",
               content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                       (Vec<u8> = "text/html"), (Vec<u8> = "text/markdown"), (Vec<u8> = "text/csv"), (Vec<u8> = "text/plain"))),
              (status = 404, body = kernel::error::Problem)))]
pub async fn download_document(
    k: KnowledgeService,
    g: Granted<DocumentsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let (bytes, doc) = documents::original(&k, &g, id).await?;
    let format = Format::parse(&doc.format).unwrap_or(Format::Text);
    let name: String = doc
        .file_name
        .clone()
        .unwrap_or_else(|| {
            format!("{}.{}", doc.title, if format == Format::Markdown { "md" } else { "txt" })
        })
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                if c == '"' || c == '\\' { '_' } else { c }
            } else {
                '_'
            }
        })
        .collect();
    let mut resp = Response::new(Body::from(bytes));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    h.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(resp)
}

/// Replaces a document's file: same id, read again; search keeps the old
/// text until the new one is indexed.
#[utoipa::path(put, path = "/api/v1/documents/{id}/file", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["documents:write"])),
    request_body(content((ReplaceForm = "multipart/form-data"))),
    responses((status = 202, description = "Queued", body = Document), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "Another document already has this content", body = kernel::error::Problem),
              (status = 413, body = kernel::error::Problem), (status = 415, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn replace_document(
    State(state): State<AppState>,
    k: KnowledgeService,
    g: Granted<DocumentsWrite>,
    Path(id): Path<Uuid>,
    req: Request,
) -> ApiResult<(StatusCode, Json<Document>)> {
    // The document first: a missing one is 404 whatever the body.
    documents::exists(&k, &g, id).await?;
    let limit = documents::upload_limit(&k, &g).await?;
    let (mut files, _) = read_multipart(&state, req, limit, "file").await?;
    if files.len() != 1 {
        return Err(ApiError::invalid("file", "send exactly one file"));
    }
    let doc = documents::replace(&k, &g, id, files.remove(0)).await?;
    Ok((StatusCode::ACCEPTED, Json(doc)))
}

/// The multipart form of a replacement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReplaceForm {
    /// The new file.
    #[schema(value_type = String, format = Binary)]
    file: String,
}

/// A document's chunks, in order.
#[utoipa::path(get, path = "/api/v1/documents/{id}/chunks", tag = TAG, params(("id" = Uuid, Path), PageParams), security(("bearer" = ["documents:read"])),
    responses((status = 200, body = Page<ChunkView>), (status = 404, body = kernel::error::Problem)))]
pub async fn list_chunks(
    k: KnowledgeService,
    g: Granted<DocumentsRead>,
    Path(id): Path<Uuid>,
    page: PageRequest,
) -> ApiResult<Json<Page<ChunkView>>> {
    Ok(Json(documents::chunks(&k, &g, id, &page).await?))
}

/// Reads, chunks and embeds a document again.
#[utoipa::path(post, path = "/api/v1/documents/{id}/reindex", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["documents:write"])),
    responses((status = 202, description = "Queued", body = Document), (status = 404, body = kernel::error::Problem)))]
pub async fn reindex_document(
    k: KnowledgeService,
    g: Granted<DocumentsWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    Ok((StatusCode::ACCEPTED, Json(documents::reindex(&k, &g, id).await?)))
}

/// A search.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// What to look for.
    pub query: Question,
    /// Hits wanted (1–50, default the company's `top_k`).
    #[schema(minimum = 1, maximum = 50)]
    pub top_k: Option<u32>,
    /// `hybrid` (default), `vector` or `text`.
    pub mode: Option<SearchMode>,
    /// Only these documents.
    #[schema(max_items = 100)]
    pub document_ids: Option<Vec<Uuid>>,
    /// Only documents with any of these tags.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<Tag>>,
    /// Only these formats.
    #[schema(max_items = 6)]
    pub formats: Option<Vec<Format>>,
    /// Only documents created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Only documents created before.
    pub created_before: Option<DateTime<Utc>>,
    /// Overrides the company's relevance threshold (cosine distance, 0–2).
    #[schema(minimum = 0.0, maximum = 2.0)]
    pub max_distance: Option<f64>,
}

/// What a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Relevant hits, best first.
    pub hits: Vec<Hit>,
    /// The query's words as searched.
    pub terms: Vec<String>,
    /// The model the query was embedded with.
    pub model: Option<String>,
    /// Milliseconds embedding the query.
    pub embed_ms: f64,
    /// Milliseconds searching.
    pub search_ms: f64,
}

/// Refuses lists longer than their schema allows, naming the field.
fn sizes(lists: &[(&str, usize, usize)]) -> Result<(), ApiError> {
    match lists.iter().find(|(_, n, max)| n > max) {
        Some((field, _, max)) => Err(ApiError::invalid(*field, format!("at most {max} items"))),
        None => Ok(()),
    }
}

fn filter_of(
    ids: Option<Vec<Uuid>>,
    tags: Option<Vec<Tag>>,
    formats: Option<Vec<Format>>,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> DocumentFilter {
    DocumentFilter {
        ids: ids.filter(|v| !v.is_empty()),
        tags: tags.filter(|v| !v.is_empty()).map(|v| v.iter().map(|t| t.to_string()).collect()),
        formats: formats
            .filter(|v| !v.is_empty())
            .map(|v| v.iter().map(|f| f.as_str().to_string()).collect()),
        created_after: after,
        created_before: before,
    }
}

/// Searches the company's documents: vector similarity and full text,
/// fused by reciprocal rank, above the relevance threshold.
#[utoipa::path(post, path = "/api/v1/search", tag = TAG, request_body = SearchRequest, security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, body = SearchResponse), (status = 422, body = kernel::error::Problem),
              (status = 503, description = "The embedding model is unavailable", body = kernel::error::Problem)))]
pub async fn search(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Json(r): Json<SearchRequest>,
) -> ApiResult<Json<SearchResponse>> {
    if r.max_distance.is_some_and(|d| !(0.0..=2.0).contains(&d)) {
        return Err(ApiError::invalid("max_distance", "must be 0–2"));
    }
    if r.top_k.is_some_and(|t| !(1..=50).contains(&t)) {
        return Err(ApiError::invalid("top_k", "must be 1–50"));
    }
    sizes(&[
        ("document_ids", r.document_ids.as_ref().map_or(0, Vec::len), 100),
        ("tags", r.tags.as_ref().map_or(0, Vec::len), 20),
        ("formats", r.formats.as_ref().map_or(0, Vec::len), 6),
    ])?;
    let ctx = ai::CallContext::of(&g, "search");
    let mut tx = g.read_tx(k.db()).await.map_err(ApiError::from)?;
    let settings = crate::repo::settings::get(&mut tx).await.map_err(ApiError::from)?;
    let models = crate::repo::settings::models(&mut tx).await.map_err(ApiError::from)?;
    let mut q = Retrieval::new(
        r.query.to_string(),
        r.top_k.map_or(settings.top_k as usize, |t| t as usize),
    );
    q.mode = r.mode.unwrap_or_default();
    q.max_distance = r.max_distance.map(|d| d as f32);
    q.filter = filter_of(r.document_ids, r.tags, r.formats, r.created_after, r.created_before);
    drop(tx);
    // The query is embedded before the search's transaction opens.
    let started = std::time::Instant::now();
    let embedded = if q.mode == SearchMode::Text {
        None
    } else {
        Some(k.embed_query(&ctx, &models.active, &q.query).await?)
    };
    let embed_ms = started.elapsed().as_secs_f64() * 1e3;
    let searched = std::time::Instant::now();
    let mut tx = g.read_tx(k.db()).await.map_err(ApiError::from)?;
    let hits = k.search_in(&mut tx, &q, &settings, embedded.as_ref()).await?;
    drop(tx);
    Ok(Json(SearchResponse {
        hits,
        terms: crate::query::terms(&q.query),
        model: embedded.map(|e| e.0),
        embed_ms,
        search_ms: searched.elapsed().as_secs_f64() * 1e3,
    }))
}

/// A new chat.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChat {
    /// Its title (default: the first question).
    pub title: Option<ChatTitle>,
}

/// Starts a chat.
#[utoipa::path(post, path = "/api/v1/chats", tag = TAG, request_body = NewChat, security(("bearer" = ["knowledge:ask"])),
    responses((status = 201, body = Chat), (status = 422, body = kernel::error::Problem)))]
pub async fn create_chat(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Json(c): Json<NewChat>,
) -> ApiResult<(StatusCode, Json<Chat>)> {
    Ok((StatusCode::CREATED, Json(chats::create(&k, &g, c.title.map(|t| t.to_string())).await?)))
}

/// Whose chats to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatsQuery {
    /// Everyone's (needs `chats:admin`); default one's own.
    pub all: Option<bool>,
}

/// One's chats (or, for administrators with `all=true`, everyone's),
/// most recent first.
#[utoipa::path(get, path = "/api/v1/chats", tag = TAG, params(PageParams, ChatsQuery), security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, body = Page<Chat>), (status = 403, body = kernel::error::Problem)))]
pub async fn list_chats(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    page: PageRequest,
    Query(q): Query<ChatsQuery>,
) -> ApiResult<Json<Page<Chat>>> {
    Ok(Json(chats::list(&k, &g, &page, q.all.unwrap_or(false)).await?))
}

/// A chat and its messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatWithMessages {
    /// The chat.
    #[serde(flatten)]
    pub chat: Chat,
    /// Its messages, oldest first.
    pub messages: Vec<Message>,
}

/// A chat with its messages (one's own; administrators any).
#[utoipa::path(get, path = "/api/v1/chats/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, body = ChatWithMessages), (status = 404, body = kernel::error::Problem)))]
pub async fn get_chat(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ChatWithMessages>> {
    let (chat, messages) = chats::get(&k, &g, id).await?;
    Ok(Json(ChatWithMessages { chat, messages }))
}

/// A chat's new title.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRename {
    /// The title.
    pub title: ChatTitle,
}

/// Renames a chat.
#[utoipa::path(patch, path = "/api/v1/chats/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = ChatRename, security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, body = Chat), (status = 404, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn rename_chat(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Path(id): Path<Uuid>,
    Json(r): Json<ChatRename>,
) -> ApiResult<Json<Chat>> {
    Ok(Json(chats::rename(&k, &g, id, r.title.as_str()).await?))
}

/// Deletes a chat and its messages.
#[utoipa::path(delete, path = "/api/v1/chats/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["knowledge:ask"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_chat(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    chats::delete(&k, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A question in a chat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The question.
    pub content: Question,
    /// Stream the answer as `text/event-stream` (default false: the stored
    /// answer as JSON).
    pub stream: Option<bool>,
    /// Only these documents.
    #[schema(max_items = 100)]
    pub document_ids: Option<Vec<Uuid>>,
    /// Only documents with any of these tags.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<Tag>>,
}

/// Asks a question in a chat. The answer cites its passages (`[n]` is the
/// citation whose `n` is n); when no passage is relevant it says the documents
/// do not cover it, without calling a model. Streamed, the events are
/// `token` (`{"text"}`), then `citations` (`{"citations"}`), then `done`
/// (`{"message"}`, the stored answer), or `error` (a problem document).
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages", tag = TAG, params(("id" = Uuid, Path)), request_body = AskRequest,
    security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, description = "The stored answer, or (with `stream: true`) its events",
               content((Message = "application/json"), (SseEvent = "text/event-stream"))),
              (status = 404, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem),
              (status = 402, description = "The monthly AI budget is spent", body = kernel::error::Problem),
              (status = 503, description = "No model available", body = kernel::error::Problem)))]
pub async fn ask(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Path(id): Path<Uuid>,
    Json(r): Json<AskRequest>,
) -> ApiResult<Response> {
    sizes(&[
        ("document_ids", r.document_ids.as_ref().map_or(0, Vec::len), 100),
        ("tags", r.tags.as_ref().map_or(0, Vec::len), 20),
    ])?;
    let a = Ask {
        content: r.content.to_string(),
        filter: filter_of(r.document_ids, r.tags, None, None, None),
    };
    let k = k.0.clone();
    let stream = chats::ask(&k, &g, id, a).await?;
    if !r.stream.unwrap_or(false) {
        let mut stream = stream;
        while let Some(ev) = stream.next().await {
            if let Streamed::Stored(m) = ev? {
                return Ok(Json(*m).into_response());
            }
        }
        return Err(ApiError::internal(anyhow::anyhow!("the answer ended without being stored")));
    }
    let body = stream.filter_map(|ev| async move {
        let (event, data) = match ev {
            Ok(Streamed::Answer(crate::AnswerEvent::Token(t))) => ("token", json!({ "text": t })),
            Ok(Streamed::Answer(crate::AnswerEvent::Citations(c))) => {
                ("citations", json!({ "citations": c }))
            }
            Ok(Streamed::Answer(crate::AnswerEvent::Done(_))) => return None,
            Ok(Streamed::Stored(m)) => ("done", json!({ "message": m })),
            Err(e) => {
                let api: ApiError = e.into();
                ("error", serde_json::to_value(api.to_problem()).unwrap_or_default())
            }
        };
        Some(Ok::<_, std::convert::Infallible>(bytes::Bytes::from(format!(
            "event: {event}\ndata: {data}\n\n"
        ))))
    });
    let mut resp = Response::new(Body::from_stream(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
    Ok(resp)
}

/// One message of a chat, with its citations.
#[utoipa::path(get, path = "/api/v1/chats/{id}/messages/{message_id}", tag = TAG,
    params(("id" = Uuid, Path), ("message_id" = Uuid, Path)), security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, body = Message), (status = 404, body = kernel::error::Problem)))]
pub async fn get_message(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Path((id, message_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(chats::message(&k, &g, id, message_id).await?))
}

/// The name of an answer's stream event.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SseEventName {
    /// More of the answer: `{"text"}`.
    Token,
    /// The citations: `{"citations": [Citation]}`.
    Citations,
    /// The stored answer: `{"message": Message}`.
    Done,
    /// A problem document.
    Error,
}

/// One event of an answer's stream.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct SseEvent {
    /// Its name.
    event: SseEventName,
    /// Its JSON.
    data: String,
}

/// Up or down.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    /// Helpful.
    Up,
    /// Not helpful.
    Down,
}

/// Feedback on an answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// Up or down.
    pub rating: Rating,
    /// Why.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// Rates an answer.
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages/{message_id}/feedback", tag = TAG,
    params(("id" = Uuid, Path), ("message_id" = Uuid, Path)), request_body = Feedback, security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, body = Message), (status = 404, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn message_feedback(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
    Path((id, message_id)): Path<(Uuid, Uuid)>,
    Json(f): Json<Feedback>,
) -> ApiResult<Json<Message>> {
    if let Some(c) = &f.comment
        && c.chars().count() > 2000
    {
        return Err(ApiError::invalid("comment", "must be at most 2000 characters"));
    }
    let rating = match f.rating {
        Rating::Up => 1,
        Rating::Down => -1,
    };
    Ok(Json(chats::feedback(&k, &g, id, message_id, rating, f.comment.as_deref()).await?))
}

/// The state of the company's knowledge base: documents by state, pages
/// and characters indexed, the embedding model search reads and the
/// progress of a move to another.
#[utoipa::path(get, path = "/api/v1/knowledge/status", tag = TAG, security(("bearer" = ["documents:read"])),
    responses((status = 200, body = KnowledgeStatus)))]
pub async fn get_status(
    k: KnowledgeService,
    g: Granted<DocumentsRead>,
) -> ApiResult<Json<KnowledgeStatus>> {
    Ok(Json(svc::status(&k, &g).await?))
}

/// The company's knowledge settings.
#[utoipa::path(get, path = "/api/v1/knowledge/settings", tag = TAG, security(("bearer" = ["knowledge:ask"])),
    responses((status = 200, body = Settings)))]
pub async fn get_settings(
    k: KnowledgeService,
    g: Granted<KnowledgeAsk>,
) -> ApiResult<Json<Settings>> {
    Ok(Json(svc::settings(&k, &g).await?))
}

/// Changes the company's knowledge settings (chunking applies to
/// documents ingested afterwards; re-index to apply it to others).
#[utoipa::path(put, path = "/api/v1/knowledge/settings", tag = TAG, request_body = Settings, security(("bearer" = ["knowledge:admin"])),
    responses((status = 200, body = Settings), (status = 422, body = kernel::error::Problem)))]
pub async fn put_settings(
    k: KnowledgeService,
    g: Granted<KnowledgeAdmin>,
    Json(s): Json<Settings>,
) -> ApiResult<Json<Settings>> {
    Ok(Json(svc::put_settings(&k, &g, s).await?))
}
