//! The Graph API client: sends a text or an approved template to a
//! WhatsApp user (`/{phone_number_id}/messages`) or a text to an Instagram
//! user (`/{ig_id}/messages`). The base URL is the channel's setting, so a
//! local stand-in serves tests and demos.

use std::time::Duration;

use serde_json::{Value, json};

/// Where and how to send.
#[derive(Clone)]
pub struct Endpoint {
    /// `https://graph.facebook.com` or a stand-in.
    pub base_url: String,
    /// `v21.0`.
    pub version: String,
    /// The phone number id or Instagram account id.
    pub account: String,
    /// The bearer token.
    pub token: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// What to send.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A text (WhatsApp: at most 4,096 characters; Instagram 1,000).
    Text(String),
    /// An approved WhatsApp template with its body variables.
    Template {
        /// Its name.
        name: String,
        /// Its language code.
        language: String,
        /// `{{1}}`, `{{2}}`… in order.
        variables: Vec<String>,
    },
}

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: 429, 5xx, a timeout or a refused connection.
    #[error("{0}")]
    Transient(String),
    /// Not worth retrying: a bad token, a malformed request, a closed
    /// window.
    #[error("{0}")]
    Permanent(String),
}

/// The WhatsApp request body.
pub fn whatsapp_body(to: &str, out: &Outgoing) -> Value {
    match out {
        Outgoing::Text(t) => json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "text", "text": { "preview_url": false, "body": t },
        }),
        Outgoing::Template { name, language, variables } => {
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !variables.is_empty() {
                let params: Vec<Value> =
                    variables.iter().map(|v| json!({ "type": "text", "text": v })).collect();
                template["components"] = json!([{ "type": "body", "parameters": params }]);
            }
            json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                    "type": "template", "template": template })
        }
    }
}

/// The Instagram request body.
pub fn instagram_body(to: &str, text: &str) -> Value {
    json!({ "recipient": { "id": to }, "message": { "text": text } })
}

/// Sends `body`; the message id the API gave it.
pub async fn send(
    http: &reqwest::Client,
    ep: &Endpoint,
    body: &Value,
) -> Result<String, SendError> {
    let url =
        format!("{}/{}/{}/messages", ep.base_url.trim_end_matches('/'), ep.version, ep.account);
    let r = http
        .post(&url)
        .bearer_auth(&ep.token)
        .timeout(Duration::from_secs(15))
        .json(body)
        .send()
        .await
        .map_err(|e| SendError::Transient(format!("the Graph API could not be reached: {e}")))?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        let id = v["messages"][0]["id"].as_str().or(v["message_id"].as_str()).unwrap_or_default();
        if id.is_empty() {
            return Err(SendError::Transient(format!(
                "the Graph API answered without a message id: {v}"
            )));
        }
        return Ok(id.to_string());
    }
    let msg = v["error"]["message"].as_str().unwrap_or("no error message").to_string();
    let code = v["error"]["code"].as_i64().unwrap_or_default();
    let text = format!("Graph API {}: {msg} (code {code})", status.as_u16());
    if status.as_u16() == 429
        || status.is_server_error()
        || matches!(code, 1 | 2 | 4 | 80007 | 130429 | 131016)
    {
        Err(SendError::Transient(text))
    } else {
        Err(SendError::Permanent(text))
    }
}

/// Fills `{{1}}`, `{{2}}`… of a template body with `variables`.
pub fn fill(body: &str, variables: &[String]) -> String {
    let mut out = body.to_string();
    for (i, v) in variables.iter().enumerate() {
        out = out.replace(&format!("{{{{{}}}}}", i + 1), v);
    }
    out
}

/// How many variables (`{{1}}` … `{{n}}`) a template body has.
pub fn count_variables(body: &str) -> usize {
    (1..=20).take_while(|i| body.contains(&format!("{{{{{i}}}}}"))).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_in_order() {
        assert_eq!(count_variables("Hi {{1}}, your order {{2}} shipped"), 2);
        assert_eq!(
            fill("Hi {{1}}, order {{2}}", &["Asha".into(), "A-1".into()]),
            "Hi Asha, order A-1"
        );
        let b = whatsapp_body(
            "91",
            &Outgoing::Template {
                name: "order_update".into(),
                language: "en".into(),
                variables: vec!["x".into()],
            },
        );
        assert_eq!(b["template"]["components"][0]["parameters"][0]["text"], "x");
    }
}
