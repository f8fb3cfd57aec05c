//! Routes: Meta's webhooks, the web widget, the agents' inbox, channels,
//! the bot's settings, intents, templates and analytics.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
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

use crate::meta;
use crate::model::*;
use crate::permissions::*;
use crate::repo;
use crate::service::{self as svc, Received};
use crate::widget::{self, Session};
use crate::{Concierge, ConciergeService, HookRoute};

/// The OpenAPI tag of these routes.
pub const TAG: &str = "concierge";

/// Every route of this crate.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_webhook, receive_webhook))
        .routes(routes!(widget_script))
        .routes(routes!(start_widget_session, widget_preflight_sessions))
        .routes(routes!(widget_messages, widget_send, widget_preflight_messages))
        .routes(routes!(widget_events))
        .routes(routes!(list_conversations))
        .routes(routes!(inbox_events))
        .routes(routes!(get_conversation, change_conversation))
        .routes(routes!(reply_conversation))
        .routes(routes!(get_contact, update_contact))
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(get_channel, put_channel, delete_channel))
        .routes(routes!(get_bot_settings, put_bot_settings))
        .routes(routes!(list_intents, create_intent))
        .routes(routes!(put_intent, delete_intent))
        .routes(routes!(list_templates, create_template))
        .routes(routes!(delete_template))
        .routes(routes!(concierge_analytics))
}

// ---------------------------------------------------------------- webhooks

/// Meta's verification request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HubQuery {
    /// `subscribe`.
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    /// The channel's verify token.
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    /// Echoed back when the token matches.
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

fn forbidden_hook() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "verification_failed", "Forbidden")
        .detail("the mode or verify token does not match this channel")
}

/// Meta's webhook verification: answers `hub.challenge` when `hub.mode`
/// is `subscribe` and `hub.verify_token` is the channel's, else 403.
#[utoipa::path(get, path = "/api/v1/hooks/meta/{key}", tag = TAG, params(("key" = String, Path, description = "The channel's public key"), HubQuery),
    responses((status = 200, description = "The challenge, echoed", content_type = "text/plain", body = String),
              (status = 403, description = "Wrong mode or verify token, or no such channel", body = kernel::error::Problem)))]
pub async fn verify_webhook(
    c: ConciergeService,
    Path(key): Path<String>,
    Query(q): Query<HubQuery>,
) -> ApiResult<Response> {
    let Some((access, channel_id)) = c.route(&key).await? else {
        return Err(forbidden_hook());
    };
    let mut tx = c.db().tenant_read(&access).await?;
    let channel = repo::channels::get(&mut tx, channel_id).await?;
    drop(tx);
    let Some(channel) = channel.filter(|ch| ch.kind != "web") else {
        return Err(forbidden_hook());
    };
    let token_ok = q.verify_token.as_deref().is_some_and(|t| {
        kernel::crypto::constant_time_eq(t.as_bytes(), channel.verify_token.as_bytes())
    });
    match (q.mode.as_deref(), q.challenge) {
        (Some("subscribe"), Some(ch)) if token_ok && ch.len() <= 200 => {
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], ch).into_response())
        }
        _ => Err(forbidden_hook()),
    }
}

/// What a webhook delivery did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    /// Always true: Meta only needs the 200.
    pub received: bool,
}

fn ack() -> Response {
    Json(Acknowledged { received: true }).into_response()
}

/// Meta's webhook (WhatsApp Cloud API or Instagram messaging). The
/// `X-Hub-Signature-256` is checked over the raw body before anything is
/// read, and the payload is queued: a job stores each message once (a
/// delivery repeated with the same `wamid`/`mid` is ignored) and queues its
/// reply, and moves each status's message forward. Answered as soon as the
/// payload is durably queued; a payload for another account is answered 200
/// and logged; a key of no channel is refused as a wrong signature is, so
/// keys cannot be probed.
#[utoipa::path(post, path = "/api/v1/hooks/meta/{key}", tag = TAG, params(("key" = String, Path, description = "The channel's public key"),
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=` and the hex HMAC-SHA256 of the body under the app secret")),
    request_body(content = Object, description = "Meta's webhook payload", content_type = "application/json"),
    responses((status = 200, body = Acknowledged),
              (status = 400, description = "No body", body = kernel::error::Problem),
              (status = 401, description = "The signature is missing or wrong, or no channel has this key", body = kernel::error::Problem),
              (status = 413, body = kernel::error::Problem)))]
pub async fn receive_webhook(
    c: ConciergeService,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    if body.is_empty() {
        return Err(ApiError::bad_request("empty_body", "a webhook carries a JSON body"));
    }
    let sig = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if sig.is_none() {
        return Err(ApiError::unauthorized(
            "invalid_signature",
            "the X-Hub-Signature-256 header is missing",
        ));
    }
    // A key of no channel is answered as a wrong signature is, so keys
    // cannot be probed.
    let refused = || {
        metrics::counter!("concierge_webhook_rejected_total").increment(1);
        ApiError::unauthorized(
            "invalid_signature",
            "the X-Hub-Signature-256 header is missing or does not match the body",
        )
    };
    let verified = |r: &HookRoute| !r.secret.is_empty() && meta::verify(&r.secret, sig, &body);
    let route = match c.hook_route(&key, false).await? {
        Some(r) if verified(&r) => r,
        // The secret may have been changed since it was remembered.
        Some(_) => c.hook_route(&key, true).await?.filter(|r| verified(r)).ok_or_else(refused)?,
        None => return Err(refused()),
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        tracing::info!(channel = %route.channel.id, "a signed webhook that is not JSON was ignored");
        return Ok(ack());
    };
    match meta::parse(&value) {
        Some(d) if !d.messages.is_empty() || !d.statuses.is_empty() => {
            svc::accept(&c, &route, &body, value).await?;
        }
        Some(_) => {}
        None => {
            tracing::info!(channel = %route.channel.id, "a webhook of another object was ignored")
        }
    }
    Ok(ack())
}

// ---------------------------------------------------------------- widget

/// The web widget's script.
#[utoipa::path(get, path = "/widget.js", tag = TAG,
    responses((status = 200, description = "The script", content_type = "application/javascript", body = String)))]
pub async fn widget_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        widget::SCRIPT,
    )
        .into_response()
}

fn cors(resp: &mut Response, origin: Option<&str>) {
    let h = resp.headers_mut();
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// The web channel a key names, checked against the request's origin.
async fn web_channel(
    c: &Concierge,
    key: &str,
    headers: &HeaderMap,
) -> ApiResult<(kernel::db::TenantAccess, repo::channels::ChannelRow)> {
    let not_found = || ApiError::not_found("channel");
    let (access, id) = c.route(key).await?.ok_or_else(not_found)?;
    let mut tx = c.db().tenant_read(&access).await?;
    let channel = repo::channels::get(&mut tx, id)
        .await?
        .filter(|ch| ch.kind == "web")
        .ok_or_else(not_found)?;
    drop(tx);
    if !widget::origin_allowed(&channel.allowed_origins, origin(headers)) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "origin_not_allowed", "Forbidden")
            .detail("this site is not allowed to embed the channel's widget"));
    }
    Ok((access, channel))
}

fn session_of(
    c: &Concierge,
    token: Option<&str>,
    access: &kernel::db::TenantAccess,
    channel: Uuid,
) -> ApiResult<Session> {
    let s = token
        .and_then(|t| Session::open(&c.secrets, t, Utc::now()))
        .filter(|s| s.t == access.tenant().as_uuid() && s.c == channel)
        .ok_or_else(|| ApiError::unauthorized("invalid_session", "start a widget session first"))?;
    Ok(s)
}

/// The header that carries a visitor's session token (the bearer
/// `Authorization` header is the console's and API keys').
pub const SESSION_HEADER: &str = "x-widget-session";

fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok())
}

/// Starts (or resumes, with `visitor_id`) a visitor's session in the web
/// widget: a token for the next calls and the conversation so far.
#[utoipa::path(post, path = "/api/v1/widget/{key}/sessions", tag = TAG, params(("key" = String, Path, description = "The web channel's public key")),
    request_body = WidgetStart,
    responses((status = 201, body = WidgetSession), (status = 403, description = "The site may not embed this widget", body = kernel::error::Problem),
              (status = 404, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn start_widget_session(
    c: ConciergeService,
    Path(key): Path<String>,
    headers: HeaderMap,
    Json(start): Json<WidgetStart>,
) -> ApiResult<Response> {
    let (access, channel) = web_channel(&c, &key, &headers).await?;
    let visitor = match start.visitor_id {
        Some(v) if widget::valid_visitor(&v) => v,
        Some(_) => {
            return Err(ApiError::invalid("visitor_id", "is not a visitor id this widget gave"));
        }
        None => widget::visitor_id(),
    };
    if start
        .name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control))
    {
        return Err(ApiError::invalid("name", "at most 200 characters without control characters"));
    }
    let session = Session::new(access.tenant().as_uuid(), channel.id, visitor.clone(), Utc::now());
    let token = session.seal(&c.secrets).map_err(ApiError::internal)?;
    let messages = visitor_messages(&c, &access, &channel, &visitor).await?;
    let look: WidgetLook = serde_json::from_value(channel.widget.0.clone()).unwrap_or_default();
    let mut resp = (
        StatusCode::CREATED,
        Json(WidgetSession { token, visitor_id: visitor, widget: look, messages }),
    )
        .into_response();
    cors(&mut resp, origin(&headers));
    Ok(resp)
}

async fn visitor_messages(
    c: &Concierge,
    access: &kernel::db::TenantAccess,
    channel: &repo::channels::ChannelRow,
    visitor: &str,
) -> ApiResult<Vec<WidgetMessage>> {
    let mut tx = c.db().tenant(access).await?;
    let contact = repo::inbox::contact(&mut tx, channel.id, visitor, None, None).await?;
    let current = repo::inbox::current(&mut tx, contact.id).await?;
    let msgs = match current {
        Some(s) => repo::inbox::messages(&mut tx, s.id, 200).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok(msgs.iter().filter(|m| m.direction != "note").map(WidgetMessage::from).collect())
}

fn preflight(headers: &HeaderMap) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    cors(&mut resp, origin(headers));
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, x-widget-session"),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    resp
}

/// The browser's preflight for starting a widget session.
#[utoipa::path(options, path = "/api/v1/widget/{key}/sessions", tag = TAG, params(("key" = String, Path)),
    responses((status = 204, description = "Allowed methods and headers")))]
pub async fn widget_preflight_sessions(headers: HeaderMap) -> Response {
    preflight(&headers)
}

/// The browser's preflight for the widget's messages.
#[utoipa::path(options, path = "/api/v1/widget/{key}/messages", tag = TAG, params(("key" = String, Path)),
    responses((status = 204, description = "Allowed methods and headers")))]
pub async fn widget_preflight_messages(headers: HeaderMap) -> Response {
    preflight(&headers)
}

/// The visitor's conversation so far.
#[utoipa::path(get, path = "/api/v1/widget/{key}/messages", tag = TAG, params(("key" = String, Path),
        ("X-Widget-Session" = String, Header, description = "The session token from starting a session")),
    responses((status = 200, body = Vec<WidgetMessage>), (status = 401, body = kernel::error::Problem),
              (status = 403, body = kernel::error::Problem), (status = 404, body = kernel::error::Problem)))]
pub async fn widget_messages(
    c: ConciergeService,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (access, channel) = web_channel(&c, &key, &headers).await?;
    let s = session_of(&c, session_token(&headers), &access, channel.id)?;
    let msgs = visitor_messages(&c, &access, &channel, &s.v).await?;
    let mut resp = Json(msgs).into_response();
    cors(&mut resp, origin(&headers));
    Ok(resp)
}

/// A visitor writes. Stored at once and answered by the bot (or a person)
/// through the event stream.
#[utoipa::path(post, path = "/api/v1/widget/{key}/messages", tag = TAG, params(("key" = String, Path),
        ("X-Widget-Session" = String, Header, description = "The session token from starting a session")),
    responses((status = 202, body = WidgetMessage), (status = 401, body = kernel::error::Problem),
              (status = 403, body = kernel::error::Problem), (status = 404, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn widget_send(
    c: ConciergeService,
    Path(key): Path<String>,
    headers: HeaderMap,
    Json(send): Json<WidgetSend>,
) -> ApiResult<Response> {
    let (access, channel) = web_channel(&c, &key, &headers).await?;
    let s = session_of(&c, session_token(&headers), &access, channel.id)?;
    let text = send.text.trim();
    if text.is_empty() || text.chars().count() > 4096 {
        return Err(ApiError::invalid("text", "must be 1–4096 characters"));
    }
    let id = Uuid::now_v7();
    let inbound = meta::Inbound {
        account: String::new(),
        from: s.v.clone(),
        name: None,
        external_id: format!("web.{id}"),
        kind: "text".into(),
        text: text.to_string(),
        payload: json!({}),
    };
    let stored = match svc::receive(&c, &access, &channel, inbound).await? {
        Received::Stored(id) => id,
        _ => id,
    };
    let mut tx = c.db().tenant_read(&access).await?;
    let m = repo::inbox::message(&mut tx, stored).await?;
    drop(tx);
    let body = m.as_ref().map(WidgetMessage::from).unwrap_or(WidgetMessage {
        id: stored,
        direction: "in".into(),
        sender: "contact".into(),
        body: text.to_string(),
        created_at: Utc::now(),
    });
    let mut resp = (StatusCode::ACCEPTED, Json(body)).into_response();
    cors(&mut resp, origin(&headers));
    Ok(resp)
}

/// The widget's session token, for its event stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The session token.
    #[param(pattern = "^ws_[A-Za-z0-9_-]+$")]
    pub token: String,
}

fn sse(
    stream: impl futures::Stream<Item = Result<Bytes, Infallible>> + Send + 'static,
) -> Response {
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
    resp
}

/// Live messages of the visitor's conversation (`message` events carrying
/// a `WidgetMessage`; a comment every 20 seconds keeps it open).
#[utoipa::path(get, path = "/api/v1/widget/{key}/events", tag = TAG, params(("key" = String, Path), TokenQuery),
    responses((status = 200, description = "`message` events", content_type = "text/event-stream", body = String),
              (status = 401, body = kernel::error::Problem), (status = 403, body = kernel::error::Problem),
              (status = 404, body = kernel::error::Problem)))]
pub async fn widget_events(
    c: ConciergeService,
    Path(key): Path<String>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    let (access, channel) = web_channel(&c, &key, &headers).await?;
    let s = session_of(&c, Some(&q.token), &access, channel.id)?;
    let mut tx = c.db().tenant(&access).await?;
    let contact = repo::inbox::contact(&mut tx, channel.id, &s.v, None, None).await?;
    tx.commit().await?;
    let tenant = access.tenant();
    let rx = c.subscribe();
    let stream = live_stream(rx, move |l| {
        if l.tenant != tenant || l.contact_id != contact.id {
            return None;
        }
        let m = l.message.as_ref().filter(|m| m.direction != "note")?;
        let data = serde_json::to_string(&WidgetMessage::from(m)).ok()?;
        Some(format!("event: message\ndata: {data}\n\n"))
    });
    let mut resp = sse(stream);
    cors(&mut resp, origin(&headers));
    Ok(resp)
}

/// Events from the live channel, filtered and formatted by `f`, with a
/// keep-alive comment every 20 seconds.
fn live_stream(
    rx: tokio::sync::broadcast::Receiver<crate::Live>,
    f: impl Fn(&crate::Live) -> Option<String> + Send + 'static,
) -> impl futures::Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let first = futures::stream::once(async {
        Ok::<_, Infallible>(Bytes::from_static(b": connected\n\n"))
    });
    let rest = futures::stream::unfold((rx, f), |(mut rx, f)| async move {
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv()).await {
                Err(_) => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), (rx, f))),
                Ok(Ok(l)) => {
                    if let Some(s) = f(&l) {
                        return Some((Ok(Bytes::from(s)), (rx, f)));
                    }
                }
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    return Some((Ok(Bytes::from_static(b"event: resync\ndata: {}\n\n")), (rx, f)));
                }
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return None,
            }
        }
    });
    futures::StreamExt::chain(first, rest)
}

// ---------------------------------------------------------------- inbox

/// The inbox's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `open`, `pending`, `snoozed` or `resolved`.
    pub status: Option<ConversationStatus>,
    /// `bot` or `human`.
    #[param(pattern = "^(bot|human)$")]
    pub handled_by: Option<String>,
    /// Assigned to this member.
    pub assignee_id: Option<Uuid>,
    /// On this channel.
    pub channel_id: Option<Uuid>,
    /// Words in the contact's name or id, or in the messages.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// Conversations, most recent first.
#[utoipa::path(get, path = "/api/v1/conversations", tag = TAG, params(PageParams, InboxQuery),
    security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = Page<Conversation>), (status = 403, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn list_conversations(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
    page: PageRequest,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Json<Page<Conversation>>> {
    if let Some(h) = &q.handled_by
        && h != "bot"
        && h != "human"
    {
        return Err(ApiError::invalid("handled_by", "must be bot or human"));
    }
    if q.q.as_ref().is_some_and(|s| s.chars().count() > 200) {
        return Err(ApiError::invalid("q", "at most 200 characters"));
    }
    let f = repo::inbox::Filter {
        status: q.status.map(|s| s.as_str().to_string()),
        handled_by: q.handled_by,
        assignee_id: q.assignee_id,
        channel_id: q.channel_id,
        q: q.q.filter(|s| !s.trim().is_empty()),
    };
    Ok(Json(svc::conversations(&c, &g, &f, &page).await?))
}

/// Live changes of the inbox: `message` events (`{"conversation_id",
/// "message"}`) and `conversation` events (`{"conversation_id"}`) for
/// every conversation of the company.
#[utoipa::path(get, path = "/api/v1/conversations/events", tag = TAG, security(("bearer" = ["conversations:read"])),
    responses((status = 200, description = "`message` and `conversation` events", content_type = "text/event-stream", body = String),
              (status = 403, body = kernel::error::Problem)))]
pub async fn inbox_events(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
) -> ApiResult<Response> {
    let tenant = g.tenant();
    let stream = live_stream(c.subscribe(), move |l| {
        if l.tenant != tenant {
            return None;
        }
        let (event, data) = match &l.message {
            Some(m) => ("message", json!({ "conversation_id": l.conversation_id, "message": m })),
            None => ("conversation", json!({ "conversation_id": l.conversation_id })),
        };
        Some(format!("event: {event}\ndata: {data}\n\n"))
    });
    Ok(sse(stream))
}

/// A conversation with its contact and messages.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = ConversationDetail), (status = 404, body = kernel::error::Problem)))]
pub async fn get_conversation(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ConversationDetail>> {
    Ok(Json(svc::conversation(&c, &g, id).await?))
}

/// Resolves, reopens, snoozes or assigns a conversation, or gives it to
/// the bot or a person. Resolving asks for a rating when the company
/// wants one; a message after that begins a new conversation.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["conversations:reply"])), request_body = ConversationChange,
    responses((status = 200, body = ConversationDetail), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "The contact has a newer open conversation", body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn change_conversation(
    c: ConciergeService,
    g: Granted<ConversationsReply>,
    Path(id): Path<Uuid>,
    Json(ch): Json<ConversationChange>,
) -> ApiResult<Json<ConversationDetail>> {
    Ok(Json(svc::change(&c, &g, id, ch).await?))
}

/// An agent's reply, sent through the channel (the agent then holds the
/// conversation and the bot is silent), or a private note. On WhatsApp,
/// more than 24 hours after the customer last wrote, only a template.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["conversations:reply"])), request_body = AgentReply,
    responses((status = 201, body = ConversationMessage), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "Resolved, or the 24-hour window closed (send a template)", body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn reply_conversation(
    c: ConciergeService,
    g: Granted<ConversationsReply>,
    Path(id): Path<Uuid>,
    Json(r): Json<AgentReply>,
) -> ApiResult<Response> {
    let m = svc::reply(&c, &g, id, r).await?;
    Ok((StatusCode::CREATED, Json(m)).into_response())
}

/// A contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = CustomerContact), (status = 404, body = kernel::error::Problem)))]
pub async fn get_contact(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CustomerContact>> {
    Ok(Json(svc::contact(&c, &g, id).await?))
}

/// Changes a contact's name, phone, e-mail, tags or notes.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["conversations:reply"])), request_body = ContactChange,
    responses((status = 200, body = CustomerContact), (status = 404, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn update_contact(
    c: ConciergeService,
    g: Granted<ConversationsReply>,
    Path(id): Path<Uuid>,
    Json(ch): Json<ContactChange>,
) -> ApiResult<Json<CustomerContact>> {
    Ok(Json(svc::update_contact(&c, &g, id, ch).await?))
}

// ---------------------------------------------------------------- channels

/// The company's channels.
#[utoipa::path(get, path = "/api/v1/channels", tag = TAG, security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = Vec<Channel>)))]
pub async fn list_channels(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(svc::channels(&c, &g).await?))
}

/// Connects a channel: a WhatsApp number (phone number id, app secret,
/// access token), an Instagram account, or a web widget. The answer holds
/// the webhook URL and verify token to paste into Meta, or the widget's
/// snippet.
#[utoipa::path(post, path = "/api/v1/channels", tag = TAG, security(("bearer" = ["channels:manage"])), request_body = ChannelInput,
    responses((status = 201, body = Channel), (status = 409, description = "Another channel has this account", body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn create_channel(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Json(input): Json<ChannelInput>,
) -> ApiResult<Response> {
    let ch = svc::put_channel(&c, &g, None, input).await?;
    Ok((StatusCode::CREATED, Json(ch)).into_response())
}

/// A channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = Channel), (status = 404, body = kernel::error::Problem)))]
pub async fn get_channel(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(svc::channel(&c, &g, id).await?))
}

/// Changes a channel (secrets left out are kept).
#[utoipa::path(put, path = "/api/v1/channels/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["channels:manage"])),
    request_body = ChannelInput,
    responses((status = 200, body = Channel), (status = 404, body = kernel::error::Problem),
              (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn put_channel(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Path(id): Path<Uuid>,
    Json(input): Json<ChannelInput>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(svc::put_channel(&c, &g, Some(id), input).await?))
}

/// Deletes a channel with its contacts and conversations.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["channels:manage"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_channel(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    svc::delete_channel(&c, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- the bot

/// The bot's settings: persona, prompt, language, greeting, handoff rules,
/// business hours, rating, rate limit and retention.
#[utoipa::path(get, path = "/api/v1/concierge/settings", tag = TAG, security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = BotSettings)))]
pub async fn get_bot_settings(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
) -> ApiResult<Json<BotSettings>> {
    Ok(Json(svc::settings(&c, &g).await?))
}

/// Changes the bot's settings.
#[utoipa::path(put, path = "/api/v1/concierge/settings", tag = TAG, security(("bearer" = ["channels:manage"])), request_body = BotSettings,
    responses((status = 200, body = BotSettings), (status = 422, body = kernel::error::Problem)))]
pub async fn put_bot_settings(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Json(s): Json<BotSettings>,
) -> ApiResult<Json<BotSettings>> {
    Ok(Json(svc::put_settings(&c, &g, s).await?))
}

/// The intents messages are classified into: the company's and the
/// built-in ones (`human`, `greeting`, `thanks`) it has not replaced.
#[utoipa::path(get, path = "/api/v1/concierge/intents", tag = TAG, security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = Vec<Intent>)))]
pub async fn list_intents(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
) -> ApiResult<Json<Vec<Intent>>> {
    Ok(Json(svc::intents(&c, &g).await?))
}

/// Adds an intent (one named like a built-in one replaces it).
#[utoipa::path(post, path = "/api/v1/concierge/intents", tag = TAG, security(("bearer" = ["channels:manage"])), request_body = IntentInput,
    responses((status = 201, body = Intent), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn create_intent(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Json(i): Json<IntentInput>,
) -> ApiResult<Response> {
    let i = svc::put_intent(&c, &g, None, i).await?;
    Ok((StatusCode::CREATED, Json(i)).into_response())
}

/// Replaces an intent.
#[utoipa::path(put, path = "/api/v1/concierge/intents/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["channels:manage"])),
    request_body = IntentInput,
    responses((status = 200, body = Intent), (status = 404, body = kernel::error::Problem),
              (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn put_intent(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Path(id): Path<Uuid>,
    Json(i): Json<IntentInput>,
) -> ApiResult<Json<Intent>> {
    Ok(Json(svc::put_intent(&c, &g, Some(id), i).await?))
}

/// Deletes an intent.
#[utoipa::path(delete, path = "/api/v1/concierge/intents/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["channels:manage"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "A built-in intent", body = kernel::error::Problem)))]
pub async fn delete_intent(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    svc::delete_intent(&c, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The company's approved WhatsApp templates.
#[utoipa::path(get, path = "/api/v1/concierge/templates", tag = TAG, security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = Vec<MessageTemplate>)))]
pub async fn list_templates(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
) -> ApiResult<Json<Vec<MessageTemplate>>> {
    Ok(Json(svc::templates(&c, &g).await?))
}

/// Adds a template approved in Meta's WhatsApp manager.
#[utoipa::path(post, path = "/api/v1/concierge/templates", tag = TAG, security(("bearer" = ["channels:manage"])), request_body = MessageTemplateInput,
    responses((status = 201, body = MessageTemplate), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn create_template(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Json(t): Json<MessageTemplateInput>,
) -> ApiResult<Response> {
    let t = svc::add_template(&c, &g, t).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// Deletes a template.
#[utoipa::path(delete, path = "/api/v1/concierge/templates/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["channels:manage"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_template(
    c: ConciergeService,
    g: Granted<ChannelsManage>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    svc::delete_template(&c, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The period of the analytics.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// From (default 29 days before `to`).
    pub from: Option<NaiveDate>,
    /// To (default today, UTC).
    pub to: Option<NaiveDate>,
}

/// Conversations per day and channel, first-response and resolution
/// times, bot-resolved and handed-off shares, ratings, top intents and the
/// questions the documents do not answer.
#[utoipa::path(get, path = "/api/v1/concierge/analytics", tag = TAG, params(PeriodQuery), security(("bearer" = ["conversations:read"])),
    responses((status = 200, body = ConciergeAnalytics), (status = 422, body = kernel::error::Problem)))]
pub async fn concierge_analytics(
    c: ConciergeService,
    g: Granted<ConversationsRead>,
    Query(p): Query<PeriodQuery>,
) -> ApiResult<Json<ConciergeAnalytics>> {
    Ok(Json(svc::analytics(&c, &g, p.from, p.to).await?))
}
