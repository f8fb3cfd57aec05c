//! Pure rules: retry schedules, job states, webhook signatures and the
//! check that keeps webhooks off private networks.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

kernel::id_type!(
    /// A job.
    JobId
);

/// How a job is retried after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry; each later one doubles, with jitter.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub max: Duration,
    /// No retry starts later than this after the job was enqueued.
    pub give_up_after: Option<Duration>,
}

impl Retry {
    /// Ten attempts, from 1 s doubling up to an hour.
    pub const DEFAULT: Retry = Retry {
        max_attempts: 10,
        base: Duration::from_secs(1),
        max: Duration::from_secs(3600),
        give_up_after: None,
    };

    /// One attempt only.
    pub const NEVER: Retry = Retry { max_attempts: 1, ..Retry::DEFAULT };

    /// The delay before the attempt after `attempt` (1-based), given a
    /// jitter factor in `[0, 1)`: the exponential delay scaled into
    /// `[½, 1]` of itself, so retries of many jobs spread out.
    pub fn delay_after(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let raw = self.base.saturating_mul(1u32 << exp.min(31)).min(self.max);
        raw.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

impl Default for Retry {
    fn default() -> Self {
        Retry::DEFAULT
    }
}

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

/// An error a job returns when trying again cannot help (bad payload, a
/// record that no longer exists): the job goes straight to dead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Permanent(pub String);

impl Permanent {
    /// A permanent failure with a reason.
    pub fn error(reason: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Permanent(reason.into()))
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
    fn backoff_doubles_caps_and_jitters() {
        let r =
            Retry { base: Duration::from_secs(2), max: Duration::from_secs(60), ..Retry::DEFAULT };
        assert_eq!(r.delay_after(1, 0.999_999).as_secs(), 1); // ~2 s
        assert_eq!(r.delay_after(1, 0.0), Duration::from_secs(1));
        assert_eq!(r.delay_after(3, 0.0), Duration::from_secs(4));
        assert_eq!(r.delay_after(20, 0.0), Duration::from_secs(30));
        assert!(r.delay_after(20, 0.99) <= Duration::from_secs(60));
        assert!(r.delay_after(200, 0.5) <= Duration::from_secs(60));
        for a in 1..12 {
            assert!(r.delay_after(a + 1, 0.0) >= r.delay_after(a, 0.0));
        }
    }

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
