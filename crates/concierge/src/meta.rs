//! Meta's webhooks (WhatsApp Cloud API and Instagram messaging): the
//! signature over the raw body, and the payloads read into messages and
//! delivery statuses.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Whether `header` (`X-Hub-Signature-256: sha256=<hex>`) is the
/// HMAC-SHA256 of `body` under `app_secret`, compared in constant time.
pub fn verify(app_secret: &[u8], header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// A message a customer sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The business account it was sent to: the WhatsApp phone number id
    /// or the Instagram account id.
    pub account: String,
    /// The customer: `wa_id` (or the BSUID when no `wa_id` is given) or
    /// Instagram-scoped id.
    pub from: String,
    /// Their profile name, when given.
    pub name: Option<String>,
    /// `wamid.…` or `mid.…`.
    pub external_id: String,
    /// `text`, `interactive`, `media`, `location`, `contacts` or
    /// `unsupported`.
    pub kind: String,
    /// The text the bot reads (a caption, a button's title, a described
    /// location…).
    pub text: String,
    /// What else came with it (media ids and types, coordinates, shared
    /// contacts, the button's id).
    pub payload: Value,
}

/// A delivery status of a message the business sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The business account.
    pub account: String,
    /// `wamid.…`.
    pub external_id: String,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
}

/// What a webhook carried.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    /// Messages from customers.
    pub messages: Vec<Inbound>,
    /// Statuses of sent messages.
    pub statuses: Vec<Status>,
    /// Parts ignored (echoes of the business's own messages, reactions,
    /// unknown fields).
    pub ignored: usize,
}

/// Reads a webhook body (`object` `whatsapp_business_account` or
/// `instagram`); `None` when it is neither.
pub fn parse(body: &Value) -> Option<Delivery> {
    match body.get("object").and_then(Value::as_str)? {
        "whatsapp_business_account" => Some(whatsapp(body)),
        "instagram" | "page" => Some(instagram(body)),
        _ => None,
    }
}

fn s(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_default()
}

fn whatsapp(body: &Value) -> Delivery {
    let mut d = Delivery::default();
    for entry in body["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let v = &change["value"];
            let account = s(&v["metadata"]["phone_number_id"]);
            if account.is_empty() {
                d.ignored += 1;
                continue;
            }
            let contacts = v["contacts"].as_array().cloned().unwrap_or_default();
            for m in v["messages"].as_array().into_iter().flatten() {
                let from = s(&m["from"]);
                let contact =
                    contacts.iter().find(|c| s(&c["wa_id"]) == from || s(&c["user_id"]) == from);
                let name = contact.map(|c| s(&c["profile"]["name"])).filter(|n| !n.is_empty());
                let from = if from.is_empty() {
                    contact.map(|c| s(&c["user_id"])).unwrap_or_default()
                } else {
                    from
                };
                let id = s(&m["id"]);
                if from.is_empty() || id.is_empty() {
                    d.ignored += 1;
                    continue;
                }
                let Some((kind, text, payload)) = whatsapp_content(m) else {
                    d.ignored += 1;
                    continue;
                };
                d.messages.push(Inbound {
                    account: account.clone(),
                    from,
                    name,
                    external_id: id,
                    kind,
                    text,
                    payload,
                });
            }
            for st in v["statuses"].as_array().into_iter().flatten() {
                let error = st["errors"].as_array().and_then(|e| e.first()).map(|e| {
                    let code = e["code"].as_i64().map(|c| format!("{c}: ")).unwrap_or_default();
                    let msg = e["message"].as_str().or(e["title"].as_str()).unwrap_or("failed");
                    format!("{code}{msg}")
                });
                let status = s(&st["status"]);
                if !matches!(status.as_str(), "sent" | "delivered" | "read" | "failed") {
                    d.ignored += 1;
                    continue;
                }
                d.statuses.push(Status {
                    account: account.clone(),
                    external_id: s(&st["id"]),
                    status,
                    error,
                });
            }
        }
    }
    d
}

/// The kind, text and payload of a WhatsApp message; `None` for what a
/// conversation does not record (reactions, system notices).
fn whatsapp_content(m: &Value) -> Option<(String, String, Value)> {
    let t = m["type"].as_str().unwrap_or("text");
    Some(match t {
        "text" => ("text".into(), s(&m["text"]["body"]), json!({})),
        "interactive" => {
            let r = if m["interactive"]["button_reply"].is_object() {
                &m["interactive"]["button_reply"]
            } else {
                &m["interactive"]["list_reply"]
            };
            (
                "interactive".into(),
                s(&r["title"]),
                json!({ "reply_id": r["id"], "description": r["description"] }),
            )
        }
        "button" => (
            "interactive".into(),
            s(&m["button"]["text"]),
            json!({ "reply_id": m["button"]["payload"] }),
        ),
        "image" | "video" | "audio" | "document" | "sticker" | "voice" => {
            let media = &m[t];
            let caption = s(&media["caption"]);
            (
                "media".into(),
                caption,
                json!({ "media_type": t, "media_id": media["id"], "mime_type": media["mime_type"],
                        "sha256": media["sha256"], "filename": media["filename"] }),
            )
        }
        "location" => {
            let l = &m["location"];
            let place = [s(&l["name"]), s(&l["address"])]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>();
            let text = format!(
                "Shared a location{}: {}, {}",
                if place.is_empty() { String::new() } else { format!(" ({})", place.join(", ")) },
                l["latitude"],
                l["longitude"]
            );
            ("location".into(), text, l.clone())
        }
        "contacts" => {
            let people: Vec<String> = m["contacts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let name = s(&c["name"]["formatted_name"]);
                    let phones: Vec<String> = c["phones"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| s(&p["phone"]))
                        .collect();
                    format!("{name} {}", phones.join(", ")).trim().to_string()
                })
                .collect();
            (
                "contacts".into(),
                format!("Shared contacts: {}", people.join("; ")),
                m["contacts"].clone(),
            )
        }
        "reaction" | "system" | "ephemeral" | "request_welcome" => return None,
        other => ("unsupported".into(), String::new(), json!({ "type": other })),
    })
}

fn instagram(body: &Value) -> Delivery {
    let mut d = Delivery::default();
    for entry in body["entry"].as_array().into_iter().flatten() {
        let entry_id = s(&entry["id"]);
        for ev in entry["messaging"].as_array().into_iter().flatten() {
            let msg = &ev["message"];
            if !msg.is_object()
                || msg["is_echo"].as_bool().unwrap_or(false)
                || msg["is_deleted"].as_bool().unwrap_or(false)
            {
                d.ignored += 1;
                continue;
            }
            let account = {
                let r = s(&ev["recipient"]["id"]);
                if r.is_empty() { entry_id.clone() } else { r }
            };
            let from = s(&ev["sender"]["id"]);
            let mid = s(&msg["mid"]);
            if from.is_empty() || mid.is_empty() {
                d.ignored += 1;
                continue;
            }
            let attachments = msg["attachments"].as_array().cloned().unwrap_or_default();
            let text = s(&msg["text"]);
            let (kind, payload) = if let Some(r) = msg["quick_reply"].as_object() {
                ("interactive", json!({ "reply_id": r.get("payload") }))
            } else if !attachments.is_empty() && text.is_empty() {
                ("media", json!({ "attachments": attachments }))
            } else {
                ("text", json!({}))
            };
            d.messages.push(Inbound {
                account,
                from,
                name: None,
                external_id: mid,
                kind: kind.into(),
                text,
                payload,
            });
        }
    }
    d
}

/// The order of delivery states: a status never moves back (a late
/// `delivered` after `read` is ignored); `failed` only replaces `queued`
/// and `sent`.
pub fn rank(status: &str) -> i32 {
    match status {
        "queued" => 0,
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        _ => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_every_byte() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap_or_else(|_| panic!("key"));
        mac.update(body);
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(verify(b"s3cret", Some(&good), body));
        assert!(!verify(b"other", Some(&good), body));
        assert!(!verify(b"s3cret", None, body));
        assert!(!verify(b"s3cret", Some("sha1=abcd"), body));
        let mut altered = body.to_vec();
        altered[3] ^= 1;
        assert!(!verify(b"s3cret", Some(&good), &altered));
    }

    #[test]
    fn reads_whatsapp_messages_and_statuses() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "W", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "1555", "phone_number_id": "PN1" },
                "contacts": [{ "profile": { "name": "Asha" }, "wa_id": "919800000001" }],
                "messages": [
                    { "from": "919800000001", "id": "wamid.A", "timestamp": "1", "type": "text", "text": { "body": "hi" } },
                    { "from": "919800000001", "id": "wamid.B", "type": "location",
                      "location": { "latitude": 19.07, "longitude": 72.87, "name": "Office" } },
                    { "from": "919800000001", "id": "wamid.C", "type": "reaction", "reaction": { "emoji": "👍" } },
                    { "from": "919800000001", "id": "wamid.D", "type": "image", "image": { "id": "M1", "mime_type": "image/jpeg", "caption": "broken" } }
                ],
                "statuses": [{ "id": "wamid.OUT", "status": "read", "timestamp": "2", "recipient_id": "919800000001" }]
            }}]}]
        });
        let d = parse(&body).unwrap_or_default();
        assert_eq!(d.messages.len(), 3);
        assert_eq!(d.messages[0].name.as_deref(), Some("Asha"));
        assert_eq!(d.messages[0].text, "hi");
        assert!(d.messages[1].text.contains("Office"));
        assert_eq!(d.messages[2].kind, "media");
        assert_eq!(d.messages[2].payload["media_id"], "M1");
        assert_eq!(d.ignored, 1);
        assert_eq!(d.statuses[0].status, "read");
    }

    #[test]
    fn reads_instagram_and_skips_echoes() {
        let body = json!({ "object": "instagram", "entry": [{ "id": "IG1", "time": 1, "messaging": [
            { "sender": { "id": "U1" }, "recipient": { "id": "IG1" }, "timestamp": 1, "message": { "mid": "mid.1", "text": "price?" } },
            { "sender": { "id": "IG1" }, "recipient": { "id": "U1" }, "timestamp": 2, "message": { "mid": "mid.2", "text": "x", "is_echo": true } }
        ]}]});
        let d = parse(&body).unwrap_or_default();
        assert_eq!(d.messages.len(), 1);
        assert_eq!(d.messages[0].account, "IG1");
        assert_eq!(d.ignored, 1);
        assert!(parse(&json!({ "object": "user" })).is_none());
    }
}
