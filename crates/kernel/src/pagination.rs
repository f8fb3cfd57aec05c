//! Cursor pagination.
//!
//! A list endpoint takes a [`PageRequest`] (`?limit=&cursor=`), asks the
//! database for `limit + 1` rows after the cursor's key, and returns a
//! [`Page`]. The cursor is opaque to clients: the last row's sort key,
//! serialized and base64url-encoded. Keyset pagination keeps every page as
//! cheap as the first and stable while rows are inserted.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};
use crate::extract::invalid_parameter;

/// Items per page when the request does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page.
pub const MAX_LIMIT: u32 = 200;

/// The `limit` and `cursor` query parameters of a list request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Items wanted (1..=`MAX_LIMIT`).
    pub limit: u32,
    /// Where the previous page stopped.
    pub cursor: Option<String>,
}

/// The query parameters as documented in OpenAPI.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (opaque: only cursors this
    /// server returned are accepted); absent or empty for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]{0,2000}$")]
    pub cursor: Option<String>,
}

/// A whole number, also when written `5.0`.
fn whole_number(raw: &str) -> Result<i64, ()> {
    if let Ok(n) = raw.parse::<i64>() {
        return Ok(n);
    }
    match raw.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(f as i64),
        _ => Err(()),
    }
}

impl PageRequest {
    /// Reads `limit` and `cursor` from a query string, ignoring other keys.
    pub fn from_query(query: &str) -> Result<Self, ApiError> {
        let mut limit = None;
        let mut cursor = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "limit" => limit = Some(v.into_owned()),
                "cursor" if !v.is_empty() => cursor = Some(v.into_owned()),
                _ => {}
            }
        }
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => match whole_number(&raw) {
                Ok(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
                Ok(_) => {
                    return Err(invalid_parameter(FieldError::new(
                        "limit",
                        format!("must be between 1 and {MAX_LIMIT}"),
                    )));
                }
                Err(_) => {
                    return Err(invalid_parameter(FieldError::new(
                        "limit",
                        "must be a whole number",
                    )));
                }
            },
        };
        Ok(Self { limit, cursor })
    }

    /// The key the previous page stopped at, if any; 400 `invalid_cursor`
    /// when the cursor was not made by this server for this key type.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }

    /// How many rows to fetch: one more than the page, to learn if there is
    /// a next one.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Builds the page from rows fetched with [`fetch`](Self::fetch), in
    /// order; `key` gives the sort key of a row.
    pub fn page<T, K: Serialize>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> K) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(&key(r))) } else { None };
        Page { items: rows, next_cursor }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        PageRequest::from_query(parts.uri.query().unwrap_or_default())
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Versioned envelope so a cursor format change is detected, not misread.
#[derive(Serialize, Deserialize)]
struct Envelope<K> {
    v: u8,
    k: K,
}

/// Encodes a sort key as an opaque cursor.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(&Envelope { v: 1, k: key }).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a cursor made by [`encode_cursor`].
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    let bad = || {
        ApiError::bad_request("invalid_cursor", "the cursor is not one this list returned")
            .field("cursor", "is invalid or expired")
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let env: Envelope<K> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if env.v != 1 {
        return Err(bad());
    }
    Ok(env.k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(PageRequest::from_query("").unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(PageRequest::from_query("limit=5").unwrap().limit, 5);
        assert_eq!(PageRequest::from_query("limit=200").unwrap().limit, MAX_LIMIT);
        assert_eq!(PageRequest::from_query("limit=201").unwrap_err().errors()[0].field, "limit");
        assert_eq!(PageRequest::from_query("limit=0").unwrap_err().errors()[0].field, "limit");
        assert_eq!(PageRequest::from_query("limit=ten").unwrap_err().errors()[0].field, "limit");
    }

    #[test]
    fn pages_through_keys() {
        let all: Vec<u32> = (1..=7).collect();
        let mut req = PageRequest::from_query("limit=3").unwrap();
        let mut seen = Vec::new();
        loop {
            let after: Option<u32> = req.after().unwrap();
            let rows: Vec<u32> = all
                .iter()
                .copied()
                .filter(|x| after.is_none_or(|a| *x > a))
                .take(req.fetch() as usize)
                .collect();
            let page = req.page(rows, |x| *x);
            seen.extend(page.items);
            match page.next_cursor {
                Some(c) => req.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn garbage_cursor_is_400() {
        let req = PageRequest { limit: 10, cursor: Some("not-a-cursor!".into()) };
        let e = req.after::<u32>().unwrap_err();
        assert_eq!(e.code(), "invalid_cursor");
        let other = encode_cursor(&"text");
        let req = PageRequest { limit: 10, cursor: Some(other) };
        assert!(req.after::<u32>().is_err());
    }
}
