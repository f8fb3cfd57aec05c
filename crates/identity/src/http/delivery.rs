//! Where a client keeps its refresh token. API clients get it in the
//! response body. The console asks for `Tessera-Session: cookie`: the
//! refresh token then travels only in an `HttpOnly; Secure;
//! SameSite=Strict` cookie scoped to `/api/v1/auth`, which page scripts
//! cannot read, and the body carries the access token alone (kept in
//! memory). Endpoints that read the cookie require the header as well, so
//! another site can neither send it (SameSite) nor make a browser send the
//! header without a CORS preflight this server refuses.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kernel::ApiError;
use kernel::extract::{Json, invalid_parameter};

use crate::service::Session;

/// The request header choosing cookie delivery.
pub const HEADER: &str = "tessera-session";
/// The cookie holding the console's refresh token.
pub const COOKIE: &str = "tessera_refresh";
/// The only paths the cookie is sent to.
pub const COOKIE_PATH: &str = "/api/v1/auth";
/// A companion cookie pages can read, holding no secret: it only says a
/// session cookie exists, so a page load does not ask for a refresh (and
/// log a 401) when there is none.
pub const HINT_COOKIE: &str = "tessera_signed_in";

/// The values of the `Tessera-Session` header (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum SessionMode {
    /// Keep the refresh token in an HttpOnly cookie.
    Cookie,
}

/// How this request wants its session delivered (`Tessera-Session`), and
/// the refresh token its cookie presents, if any.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    cookie: bool,
    presented: Option<String>,
}

impl Delivery {
    /// Whether the session is kept in the cookie.
    pub fn is_cookie(&self) -> bool {
        self.cookie
    }

    /// The refresh token the cookie presents (cookie delivery only).
    pub fn presented(&self) -> Option<&str> {
        self.presented.as_deref()
    }

    /// Answers with a session: its refresh token in the body, or moved into
    /// the cookie.
    pub fn session(&self, status: StatusCode, mut session: Session) -> Response {
        if !self.cookie {
            return (status, Json(session)).into_response();
        }
        let token = session.refresh_token.take().unwrap_or_default();
        let max_age = session.refresh_expires_in;
        let mut resp = (status, Json(session)).into_response();
        set_cookie(resp.headers_mut(), &token, max_age);
        resp
    }

    /// Removes the cookie (sign-out) from a response.
    pub fn clear(&self, resp: &mut Response) {
        if self.cookie {
            set_cookie(resp.headers_mut(), "", 0);
        }
    }
}

fn set_cookie(headers: &mut HeaderMap, token: &str, max_age: u64) {
    let hint = if token.is_empty() { "" } else { "1" };
    let values = [
        format!(
            "{COOKIE}={token}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
        ),
        format!("{HINT_COOKIE}={hint}; Path=/; Max-Age={max_age}; Secure; SameSite=Strict"),
    ];
    for value in values {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The value of cookie `name` in a request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl<S: Send + Sync> FromRequestParts<S> for Delivery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(HEADER).map(|v| v.to_str().unwrap_or_default()) {
            None => Ok(Delivery::default()),
            Some("cookie") => {
                Ok(Delivery { cookie: true, presented: cookie(&parts.headers, COOKIE) })
            }
            Some(_) => Err(invalid_parameter(kernel::FieldError::new(
                "Tessera-Session",
                "must be `cookie` (or absent)",
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_read_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; tessera_refresh=tsr_x ; b=2"));
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("tsr_x"));
        assert_eq!(cookie(&h, "c"), None);
        let mut out = HeaderMap::new();
        set_cookie(&mut out, "tsr_y", 60);
        let v = out.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        for part in
            ["tessera_refresh=tsr_y", "HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"]
        {
            assert!(v.contains(part), "{v}");
        }
    }
}
