//! The client's address, behind reverse proxies.
//!
//! Behind a load balancer every connection comes from the balancer, so
//! throttling and anonymous idempotency keys would treat all clients as
//! one. The proxy names the client in `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`; those headers are believed only when the connection
//! comes from a configured trusted proxy (`http.trusted_proxies`), and then
//! read from the right, skipping further trusted hops, so a client cannot
//! choose its own address by sending the header itself.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `fd00::/8` or a single address.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| "is not an IP address or CIDR".to_string())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("has a prefix length that is not 0–{max}")),
            },
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as
    /// IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The address a request came from, as far as it can be trusted; put in
/// the request's extensions by [`middleware`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client of a connection from `peer`: the peer itself unless it is a
/// trusted proxy, in which case the forwarding headers are read from the
/// last hop backwards until an address that is not a trusted proxy.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = forwarded_for(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = canonical(*ip);
                if !is_trusted(client) {
                    return client;
                }
            }
            // An obfuscated or unparseable hop: nothing before it can be
            // trusted either.
            None => return client,
        }
    }
    client
}

/// The hops named by `Forwarded` (preferred) or `X-Forwarded-For`, first
/// (the original client) to last.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> =
        headers.get_all("forwarded").iter().filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        let mut out = Vec::new();
        for element in forwarded.iter().flat_map(|v| v.split(',')) {
            for pair in element.split(';') {
                if let Some((k, v)) = pair.split_once('=')
                    && k.trim().eq_ignore_ascii_case("for")
                {
                    out.push(parse_node(v.trim().trim_matches('"')));
                }
            }
        }
        return out;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| parse_node(s.trim()))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next().and_then(|a| a.parse().ok());
    }
    s.rsplit_once(':').and_then(|(a, _)| a.parse().ok())
}

/// Middleware: works out the [`ClientAddr`] of each request from its
/// connection and the trusted proxies' headers.
pub async fn middleware(
    State(trusted): State<std::sync::Arc<Vec<Cidr>>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(peer) = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) {
        let client = client_addr(peer, req.headers(), &trusted);
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.1.2.3")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.0.0.1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("proxy").is_err());
    }

    #[test]
    fn untrusted_peers_cannot_choose_their_address() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(client_addr(ip("203.0.113.9"), &h, &[]), ip("203.0.113.9"));
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        assert_eq!(client_addr(ip("203.0.113.9"), &h, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn trusted_proxies_name_the_client() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        // The client prepended a fake address; the proxy appended the real one.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(client_addr(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        let h = headers(&[("forwarded", "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(client_addr(ip("10.0.0.2"), &h, &trusted), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "for=198.51.100.7:1234")]);
        assert_eq!(client_addr(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        // No header: the proxy itself.
        assert_eq!(client_addr(ip("10.0.0.2"), &HeaderMap::new(), &trusted), ip("10.0.0.2"));
        // An obfuscated hop stops the walk.
        let h = headers(&[("forwarded", "for=198.51.100.7, for=_hidden")]);
        assert_eq!(client_addr(ip("10.0.0.2"), &h, &trusted), ip("10.0.0.2"));
    }
}
