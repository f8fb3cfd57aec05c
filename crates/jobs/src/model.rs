//! Pure rules: retry schedules, job states, webhook signatures and the
//! check that keeps webhooks off private networks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
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

/// Why a webhook destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not an absolute http(s) URL.
    #[error("must be an absolute http:// or https:// URL")]
    NotHttp,
    /// Credentials in the URL.
    #[error("must not contain a user name or password")]
    Credentials,
    /// A private, loopback, link-local or otherwise internal destination.
    #[error("points to a private or local network address, which is not allowed")]
    Private,
}

/// Checks a webhook URL as written. Host names are checked again, after
/// they resolve, when each delivery connects.
pub fn check_webhook_url(raw: &str, allow_private: bool) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(raw.trim()).map_err(|_| UrlError::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(UrlError::NotHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    if !allow_private {
        let refused = match url.host() {
            Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
            Some(url::Host::Domain(d)) => is_local_name(d),
            None => true,
        };
        if refused {
            return Err(UrlError::Private);
        }
    }
    Ok(url)
}

/// Names that always mean this machine or its local network.
fn is_local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.ends_with(".local")
        || h.ends_with(".internal")
        || h.ends_with(".home.arpa")
}

/// Whether an address is not on the public internet: loopback, private
/// (RFC 1918, unique-local), carrier-grade NAT, link-local (cloud metadata
/// services live there), multicast, documentation, benchmarking, reserved
/// and unspecified ranges, and IPv6 forms that embed such an IPv4 address.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6].iter().all(|s| *s == 0) {
        let [_, _, _, _, _, _, hi, lo] = seg;
        return is_private_v4(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8));
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link local
        || (seg[0] & 0xffc0) == 0xfec0 // site local (deprecated)
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || seg[..6].iter().all(|s| *s == 0) // IPv4-compatible (deprecated)
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
