//! Pure rules: job states, webhook signatures and the
//! check that keeps webhooks off private networks.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its time and a worker.
    Queued,
    /// A worker holds it.
    Running,
    /// Finished.
    Succeeded,
    /// Out of attempts (or failed permanently); kept with its last error.
    Dead,
    /// Cancelled before it finished.
    Cancelled,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// The state with this stored name.
    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Succeeded,
            JobState::Dead,
            JobState::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// Where a webhook delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Being tried.
    Pending,
    /// The receiver accepted it.
    Succeeded,
    /// Out of time; kept with its last error.
    Failed,
    /// The subscription was paused or the job cancelled.
    Cancelled,
}

impl DeliveryState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }
}

/// The header carrying a webhook's signature.
pub const SIGNATURE_HEADER: &str = "x-tessera-signature";

/// `X-Tessera-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<body>")>`, with one `v1` per secret in use (two during a secret
/// rotation).
pub fn signature_header(secrets: &[&[u8]], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&hex::encode(sign(secret, timestamp, body)));
    }
    header
}

fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> [u8; 32] {
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Checks a signature header the way a receiver should: one of its `v1`
/// values matches, and `t` is within `tolerance` of `now`.
pub fn verify_signature(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).unsigned_abs() > tolerance.as_secs() {
        return false;
    }
    let expected = sign(secret, t, body);
    sigs.iter().any(|s| kernel::crypto::constant_time_eq(s, &expected))
}

pub use kernel::outbound::{UrlError, is_private};

/// Checks a webhook URL as written. Host names are checked again, after
/// they resolve, when each delivery connects.
pub fn check_webhook_url(raw: &str, allow_private: bool) -> Result<url::Url, UrlError> {
    kernel::outbound::check_url(raw, allow_private)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for s in ["queued", "running", "succeeded", "dead", "cancelled"] {
            assert_eq!(JobState::parse(s).map(JobState::as_str), Some(s));
        }
        assert_eq!(JobState::parse("done"), None);
    }

    #[test]
    fn signatures_verify_and_reject() {
        let body = br#"{"id":"1","type":"member.invited"}"#;
        let h = signature_header(&[b"whsec_one"], 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        let tol = Duration::from_secs(300);
        assert!(verify_signature(b"whsec_one", &h, body, 1_700_000_100, tol));
        assert!(!verify_signature(b"whsec_two", &h, body, 1_700_000_100, tol));
        assert!(!verify_signature(b"whsec_one", &h, b"{}", 1_700_000_100, tol));
        assert!(!verify_signature(b"whsec_one", &h, body, 1_700_001_000, tol), "too old");
        assert!(!verify_signature(b"whsec_one", "v1=00", body, 1_700_000_000, tol));
        // During a rotation both secrets verify.
        let both = signature_header(&[b"new", b"old"], 1_700_000_000, body);
        assert!(verify_signature(b"new", &both, body, 1_700_000_000, tol));
        assert!(verify_signature(b"old", &both, body, 1_700_000_000, tol));
        // A known value, computed independently:
        // printf '1.{}' | openssl dgst -sha256 -hmac k
        assert_eq!(
            signature_header(&[b"k"], 1, b"{}"),
            "t=1,v1=3dd49b2593d0f9a349e9e71c4bde3e2b862c2be4003fe9b4ba81332029310158"
        );
    }

    #[test]
    fn private_destinations_are_refused() {
        for bad in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://localhost:8080/",
            "http://printer.local/",
            "http://metadata.google.internal/",
        ] {
            assert_eq!(check_webhook_url(bad, false), Err(UrlError::Private), "{bad}");
            assert!(check_webhook_url(bad, true).is_ok(), "{bad} allowed when configured");
        }
        for good in
            ["https://example.com/hooks", "http://93.184.216.34/x", "https://[2606:4700::1]/"]
        {
            assert!(check_webhook_url(good, false).is_ok(), "{good}");
        }
        assert_eq!(check_webhook_url("ftp://example.com/", false), Err(UrlError::NotHttp));
        assert_eq!(check_webhook_url("example.com/hook", false), Err(UrlError::NotHttp));
        assert_eq!(
            check_webhook_url("https://u:p@example.com/", false),
            Err(UrlError::Credentials)
        );
    }
}
