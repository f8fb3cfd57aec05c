//! The web widget's visitor sessions: a token sealed with the instance's
//! key names the company, the channel and the visitor, and expires; the
//! widget sends it with each call (and as `?token=` for its event stream,
//! which browsers open without headers).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The widget's script, served at `/widget.js`.
pub const SCRIPT: &str = include_str!("../assets/widget.js");

/// How long a session lasts.
pub const LIFETIME: Duration = Duration::days(30);

const CONTEXT: &[u8] = b"concierge:widget-session:v1";

/// What a session token holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The company.
    pub t: Uuid,
    /// The channel.
    pub c: Uuid,
    /// The visitor.
    pub v: String,
    /// Expiry (unix seconds).
    pub e: i64,
}

impl Session {
    /// A session for a visitor, from now.
    pub fn new(tenant: Uuid, channel: Uuid, visitor: String, now: DateTime<Utc>) -> Session {
        Session { t: tenant, c: channel, v: visitor, e: (now + LIFETIME).timestamp() }
    }

    /// The token.
    pub fn seal(&self, secrets: &kernel::crypto::SecretBox) -> anyhow::Result<String> {
        let json = serde_json::to_vec(self)?;
        Ok(format!("ws_{}", kernel::crypto::b64url(&secrets.seal(&json, CONTEXT)?)))
    }

    /// The session of a token, if it is one of ours and has not expired.
    pub fn open(
        secrets: &kernel::crypto::SecretBox,
        token: &str,
        now: DateTime<Utc>,
    ) -> Option<Session> {
        let raw = kernel::crypto::from_b64url(token.strip_prefix("ws_")?)?;
        let json = secrets.open(&raw, CONTEXT).ok()?;
        let s: Session = serde_json::from_slice(&json).ok()?;
        (s.e > now.timestamp()).then_some(s)
    }
}

/// A new visitor id.
pub fn visitor_id() -> String {
    format!("v_{}", kernel::crypto::b64url(&kernel::crypto::random_bytes::<18>()))
}

/// Whether a visitor id is well formed.
pub fn valid_visitor(v: &str) -> bool {
    v.strip_prefix("v_").is_some_and(|r| {
        (16..=64).contains(&r.len())
            && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// Whether a request from `origin` may use a channel allowing `allowed`
/// (none listed: any site).
pub fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    origin.is_some_and(|o| allowed.iter().any(|a| a.eq_ignore_ascii_case(o.trim_end_matches('/'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_and_expire() {
        let key = kernel::crypto::SecretBox::new(&[7u8; 32]);
        let now = Utc::now();
        let s = Session::new(Uuid::nil(), Uuid::max(), visitor_id(), now);
        let tok = s.seal(&key).unwrap_or_default();
        assert_eq!(Session::open(&key, &tok, now), Some(s));
        assert_eq!(Session::open(&key, &tok, now + LIFETIME + Duration::seconds(1)), None);
        let other = kernel::crypto::SecretBox::new(&[8u8; 32]);
        assert_eq!(Session::open(&other, &tok, now), None);
        assert!(Session::open(&key, "ws_AAAA", now).is_none());
    }

    #[test]
    fn origins() {
        assert!(origin_allowed(&[], None));
        let a = vec!["https://shop.example".to_string()];
        assert!(origin_allowed(&a, Some("https://shop.example")));
        assert!(!origin_allowed(&a, Some("https://evil.example")));
        assert!(!origin_allowed(&a, None));
        assert!(valid_visitor(&visitor_id()));
    }
}
