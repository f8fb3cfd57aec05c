//! Outgoing HTTP: one way to build a client, with TLS through rustls and
//! the `ring` provider (the same stack the database driver uses) and the
//! system's trusted certificates.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Once;

static PROVIDER: Once = Once::new();

/// A `reqwest` client builder with TLS ready and a Tessera user agent.
/// Callers add their own timeouts, redirects policy and resolver.
pub fn client_builder() -> reqwest::ClientBuilder {
    PROVIDER.call_once(|| {
        // Fails only when another provider was installed first, which is
        // just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder().user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
}

/// Why a destination is refused.
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

/// Checks a URL a tenant gave (a webhook, a model provider) as written:
/// http(s), no credentials, and — unless `allow_private` — no private,
/// loopback or link-local destination. Host names are checked again when
/// they resolve, by [`GuardedResolver`].
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, UrlError> {
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

/// Resolves host names and drops private addresses (unless allowed), so a
/// saved name that resolves inward cannot be reached. Install it with
/// `ClientBuilder::dns_resolver`.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Let private addresses through.
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| allow_private || !is_private(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{host} resolves only to private or local addresses, which are not allowed"
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
