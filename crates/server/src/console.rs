//! The web console: the built app of `web/` (`web/dist`), embedded in the
//! release binary (a debug build reads it from the directory), served at
//! `/` with the app's own routes falling back to `index.html`.
//!
//! Hashed assets (`/assets/…`) are cached for a year; `index.html` is
//! revalidated every time, so a new release is picked up at once. Every
//! console response carries a Content-Security-Policy that allows scripts
//! and styles from this origin only (no inline script), and refuses
//! framing. When the console was not built, `/` says how to build it and
//! the API works as ever.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The console's files.
#[derive(rust_embed::Embed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Dist;

/// The policy of every console page: this origin only, no inline script.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Paths that belong to the API and the operators, never to the console.
fn is_server_path(path: &str) -> bool {
    ["/api/", "/v1/", "/.well-known/", "/mcp"].iter().any(|p| path.starts_with(p))
        || matches!(path, "/api" | "/v1" | "/healthz" | "/readyz" | "/metrics")
}

/// The fallback: a console file, the app's page for one of its routes, or
/// the API's 404.
pub async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    if !(req.method() == Method::GET || req.method() == Method::HEAD) || is_server_path(path) {
        return crate::middleware::not_found(req).await;
    }
    let file = path.trim_start_matches('/');
    if !file.is_empty()
        && let Some(f) = Dist::get(file)
    {
        let cache = if file.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=3600"
        };
        return file_response(req.headers(), f, cache);
    }
    // A missing hashed asset is a stale page asking for an old release's file.
    if file.starts_with("assets/") {
        return crate::middleware::not_found(req).await;
    }
    match Dist::get("index.html") {
        Some(f) => file_response(req.headers(), f, "no-cache"),
        None => not_built(),
    }
}

fn file_response(
    headers: &HeaderMap,
    file: rust_embed::EmbeddedFile,
    cache: &'static str,
) -> Response {
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = file.metadata.mimetype().to_string();
        let textual =
            mime.starts_with("text/") || mime.ends_with("javascript") || mime.ends_with("json");
        let mime = if textual { format!("{mime}; charset=utf-8") } else { mime };
        let mut r = Response::new(Body::from(file.data.into_owned()));
        if let Ok(v) = HeaderValue::from_str(&mime) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    security_headers(h);
    resp
}

fn security_headers(h: &mut HeaderMap) {
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `/` of a server built without the console.
fn not_built() -> Response {
    let body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <title>Tessera</title></head><body><main><h1>Tessera is running</h1>\
        <p>The web console was not built into this binary. Build it with \
        <code>make console</code> (or <code>npm ci &amp;&amp; npm run build</code> in \
        <code>web/</code>) and build the server again; the API is at \
        <a href=\"/api/docs\">/api/docs</a>.</p></main></body></html>";
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(h);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_paths_are_not_the_consoles() {
        for p in ["/api/v1/me", "/v1/models", "/.well-known/jwks.json", "/healthz", "/api"] {
            assert!(is_server_path(p), "{p}");
        }
        for p in ["/", "/team", "/assets/index-abc.js", "/settings/company", "/apiary"] {
            assert!(!is_server_path(p), "{p}");
        }
    }
}
