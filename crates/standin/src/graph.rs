//! A stand-in for Meta's Graph API as the WhatsApp Cloud API and Instagram
//! messaging use it:
//!
//! - `POST /{version}/{phone_number_id}/messages` — bearer token; body
//!   `{"messaging_product": "whatsapp", "recipient_type": "individual",
//!   "to", "type": "text", "text": {"body", "preview_url"}}` (at most 4,096
//!   characters) or `"type": "template", "template": {"name", "language":
//!   {"code"}, "components"}`; answers `{"messaging_product", "contacts":
//!   [{"input", "wa_id"}], "messages": [{"id": "wamid.…"}]}`.
//! - `POST /{version}/{ig_id}/messages` — body `{"recipient": {"id"},
//!   "message": {"text"}}`; answers `{"recipient_id", "message_id":
//!   "mid.…"}`.
//!
//! Errors are Graph's: `{"error": {"message", "type", "code",
//! "error_subcode", "fbtrace_id"}}` — 401 code 190 for a bad token, 400
//! code 100 for a malformed request, 429 code 130429 when rate limited, 503
//! code 2 when the service is down (the last two injected through
//! `/_standin/faults`).
//!
//! The helpers below build and sign the webhooks Meta sends
//! ([`whatsapp_text`], [`whatsapp_status`], [`instagram_text`],
//! [`signature`]), so tests and demos post exactly what Meta would.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

/// Who may call the stand-in.
#[derive(Debug, Clone)]
pub struct Config {
    /// The access token (a system user's token in real life).
    pub access_token: String,
}

impl Default for Config {
    fn default() -> Self {
        Self { access_token: "standin-graph-token".into() }
    }
}

/// A message the stand-in accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// The phone number id or Instagram account it was sent from.
    pub from_id: String,
    /// `whatsapp` or `instagram`.
    pub product: String,
    /// The recipient.
    pub to: String,
    /// The text, or the template's name for a template.
    pub text: String,
    /// `text` or `template`.
    pub kind: String,
    /// The id it was given (`wamid.…` or `mid.…`).
    pub id: String,
    /// The request body.
    pub body: Value,
}

/// An injected fault: the next `count` calls (every call when `count` is
/// 0) answer `status`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Fault {
    /// 429 or 5xx.
    pub status: u16,
    /// How many calls; 0 until cleared.
    #[serde(default)]
    pub count: u32,
}

/// The stand-in's state.
#[derive(Debug, Default)]
pub struct Graph {
    config: Config,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sent: Vec<Sent>,
    fault: Option<Fault>,
    refused: u32,
    seq: u64,
}

/// A running stand-in.
pub type RunningGraph = crate::Running<Arc<Graph>>;

/// Starts a stand-in on a free loopback port.
pub async fn start(config: Config) -> anyhow::Result<RunningGraph> {
    start_on(([127, 0, 0, 1], 0).into(), config).await
}

/// Starts a stand-in on `addr`.
pub async fn start_on(addr: std::net::SocketAddr, config: Config) -> anyhow::Result<RunningGraph> {
    let g = Arc::new(Graph::new(config));
    crate::serve(addr, router(g.clone()), g).await
}

/// The stand-in's routes.
pub fn router(g: Arc<Graph>) -> Router {
    Router::new()
        .route("/{version}/{id}/messages", post(send))
        .route("/_standin/faults", post(set_fault).delete(clear_fault))
        .route("/_standin/messages", get(messages))
        .with_state(g)
}

impl Graph {
    /// A stand-in accepting `config`'s token.
    pub fn new(config: Config) -> Graph {
        Graph { config, inner: Mutex::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every message accepted so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.lock().sent.clone()
    }

    /// Messages accepted for `to`.
    pub fn sent_to(&self, to: &str) -> Vec<Sent> {
        self.lock().sent.iter().filter(|s| s.to == to).cloned().collect()
    }

    /// Makes the next calls fail (see [`Fault`]).
    pub fn fail(&self, fault: Fault) {
        self.lock().fault = Some(fault);
    }

    /// Ends an injected fault.
    pub fn recover(&self) {
        self.lock().fault = None;
    }

    /// Calls refused by an injected fault so far.
    pub fn refused(&self) -> u32 {
        self.lock().refused
    }
}

fn error(status: StatusCode, code: u32, kind: &str, message: &str) -> Response {
    let trace = hex::encode(crate::random::<6>());
    (
        status,
        Json(json!({ "error": { "message": message, "type": kind, "code": code,
                                "error_subcode": null, "fbtrace_id": trace } })),
    )
        .into_response()
}

async fn send(
    State(g): State<Arc<Graph>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    {
        let mut inner = g.lock();
        if let Some(f) = inner.fault.clone() {
            if f.count <= 1 && f.count != 0 {
                inner.fault = None;
            } else if f.count > 1 {
                inner.fault = Some(Fault { status: f.status, count: f.count - 1 });
            }
            inner.refused += 1;
            drop(inner);
            let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return if status == StatusCode::TOO_MANY_REQUESTS {
                error(status, 130429, "OAuthException", "(#130429) Rate limit hit")
            } else {
                error(status, 2, "OAuthException", "(#2) Service temporarily unavailable")
            };
        }
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if token != g.config.access_token {
        return error(
            StatusCode::UNAUTHORIZED,
            190,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, 100, "OAuthException", "(#100) Invalid JSON");
    };
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, 100, "OAuthException", m);
    let mut inner = g.lock();
    inner.seq += 1;
    let n = inner.seq;
    if b.get("messaging_product").is_some() {
        if b["messaging_product"] != "whatsapp" {
            return bad("(#100) The parameter messaging_product must be whatsapp");
        }
        let to = b["to"].as_str().unwrap_or_default().to_string();
        if to.is_empty() {
            return bad("(#100) The parameter to is required.");
        }
        let (kind, text) = match b["type"].as_str().unwrap_or("text") {
            "text" => {
                let t = b["text"]["body"].as_str().unwrap_or_default();
                if t.is_empty() || t.chars().count() > 4096 {
                    return bad("(#100) Param text['body'] must be 1 to 4096 characters");
                }
                ("text", t.to_string())
            }
            "template" => {
                let name = b["template"]["name"].as_str().unwrap_or_default();
                if name.is_empty() || b["template"]["language"]["code"].as_str().is_none() {
                    return bad("(#132000) Template name and language code are required");
                }
                ("template", name.to_string())
            }
            other => ("other", other.to_string()),
        };
        let wamid = format!("wamid.{}{:08}", hex::encode(crate::random::<8>()), n);
        inner.sent.push(Sent {
            from_id: id,
            product: "whatsapp".into(),
            to: to.clone(),
            text,
            kind: kind.into(),
            id: wamid.clone(),
            body: b,
        });
        return Json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": to, "wa_id": to }],
            "messages": [{ "id": wamid }],
        }))
        .into_response();
    }
    let to = b["recipient"]["id"].as_str().unwrap_or_default().to_string();
    let text = b["message"]["text"].as_str().unwrap_or_default().to_string();
    if to.is_empty() || text.is_empty() {
        return bad("(#100) recipient.id and message.text are required");
    }
    if text.chars().count() > 1000 {
        return bad("(#100) Length of param message[text] must be less than or equal to 1000");
    }
    let mid = format!("mid.{}{:08}", hex::encode(crate::random::<8>()), n);
    inner.sent.push(Sent {
        from_id: id,
        product: "instagram".into(),
        to: to.clone(),
        text,
        kind: "text".into(),
        id: mid.clone(),
        body: b,
    });
    Json(json!({ "recipient_id": to, "message_id": mid })).into_response()
}

async fn set_fault(State(g): State<Arc<Graph>>, Json(f): Json<Fault>) -> StatusCode {
    g.fail(f);
    StatusCode::NO_CONTENT
}

async fn clear_fault(State(g): State<Arc<Graph>>) -> StatusCode {
    g.recover();
    StatusCode::NO_CONTENT
}

async fn messages(State(g): State<Arc<Graph>>) -> Json<Vec<Sent>> {
    Json(g.sent())
}

/// `X-Hub-Signature-256` of a webhook body: `sha256=` and the hex
/// HMAC-SHA256 of the raw body under the app secret.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A WhatsApp webhook carrying one text message from `from` (a `wa_id`)
/// to the number `phone_number_id`.
pub fn whatsapp_text(
    phone_number_id: &str,
    from: &str,
    name: &str,
    wamid: &str,
    text: &str,
) -> Value {
    whatsapp_message(
        phone_number_id,
        from,
        name,
        json!({ "from": from, "id": wamid, "timestamp": now(), "type": "text", "text": { "body": text } }),
    )
}

/// A WhatsApp webhook carrying one message of any type (`message` is the
/// element of `messages[]`).
pub fn whatsapp_message(phone_number_id: &str, from: &str, name: &str, message: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "WABA-STANDIN",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550001111", "phone_number_id": phone_number_id },
                    "contacts": [{ "profile": { "name": name }, "wa_id": from }],
                    "messages": [message],
                }
            }]
        }]
    })
}

/// A WhatsApp webhook reporting that the message `wamid` sent to
/// `recipient` is now `status` (`sent`, `delivered`, `read`, `failed`).
pub fn whatsapp_status(phone_number_id: &str, recipient: &str, wamid: &str, status: &str) -> Value {
    let mut s =
        json!({ "id": wamid, "status": status, "timestamp": now(), "recipient_id": recipient });
    if status == "failed" {
        s["errors"] = json!([{ "code": 131047, "title": "Re-engagement message",
                               "message": "More than 24 hours have passed since the recipient last replied" }]);
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "WABA-STANDIN",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550001111", "phone_number_id": phone_number_id },
                    "statuses": [s],
                }
            }]
        }]
    })
}

/// An Instagram messaging webhook: `sender` wrote `text` to the account
/// `ig_id`.
pub fn instagram_text(ig_id: &str, sender: &str, mid: &str, text: &str) -> Value {
    let ms = chrono::Utc::now().timestamp_millis();
    json!({
        "object": "instagram",
        "entry": [{
            "id": ig_id,
            "time": ms,
            "messaging": [{
                "sender": { "id": sender },
                "recipient": { "id": ig_id },
                "timestamp": ms,
                "message": { "mid": mid, "text": text },
            }]
        }]
    })
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}
