//! Extractors whose rejections are problem+json naming the field at fault.
//!
//! Use these instead of axum's: `kernel::extract::{Json, Query, Path}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// A JSON request or response body.
///
/// As an extractor it requires `Content-Type: application/json`, answers
/// 400 `malformed_json` for syntax errors, 413 `payload_too_large` past the
/// body limit and 422 `validation_failed` naming the field for wrong types,
/// unknown fields (with `#[serde(deny_unknown_fields)]`), missing fields and
/// values rejected by the type's own parsing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Json<T> {
    /// Parses a body already read.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ApiError> {
        parse_json(bytes).map(Json)
    }
}

/// Parses JSON with the field-naming errors of [`Json`]. A string the
/// type reads as text must not hold a NUL character (`\u0000`):
/// PostgreSQL text cannot store one. Free-form JSON the type keeps as a
/// value, and fields it ignores, are not checked.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => {
            de.end().map_err(|e| {
                ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
            })?;
            v
        }
        // The whole body is parsed again, so its end is checked there.
        Err(err) if err.inner().to_string().starts_with("invalid type: floating point") => {
            integral(bytes).ok_or_else(|| json_error(&err))??
        }
        Err(err) => return Err(json_error(&err)),
    };
    if has_nul_escape(bytes)
        && let Some(field) = typed_nul::<T>(bytes)
    {
        return Err(ApiError::validation(vec![FieldError::new(
            field,
            "must not contain NUL characters",
        )]));
    }
    Ok(value)
}

/// Reads the body again with integral numbers written as floats (`41.0`)
/// taken as integers, as JSON Schema does; `None` if there were none.
fn integral<T: DeserializeOwned>(bytes: &[u8]) -> Option<Result<T, ApiError>> {
    fn walk(v: &mut serde_json::Value) -> bool {
        use serde_json::Value;
        match v {
            Value::Number(n) if n.is_f64() => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                    *v = Value::from(f as i64);
                    true
                }
                _ => false,
            },
            Value::Array(items) => items.iter_mut().fold(false, |c, x| walk(x) | c),
            Value::Object(map) => map.values_mut().fold(false, |c, x| walk(x) | c),
            _ => false,
        }
    }
    let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !walk(&mut v) {
        return None;
    }
    Some(serde_path_to_error::deserialize::<_, T>(v).map_err(|e| json_error(&e)))
}

/// Whether the body spells `\u0000` anywhere (cheap; confirmed by parsing).
fn has_nul_escape(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w[0] == b'\\' && w[1] == b'u' && &w[2..] == b"0000")
}

/// A step of a path into a JSON value.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The first string holding a NUL that `T` reads as text: each such string
/// is replaced by a number in turn, and `T` reads it as text if that no
/// longer deserializes.
fn typed_nul<T: DeserializeOwned>(bytes: &[u8]) -> Option<String> {
    let root: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut found = Vec::new();
    nul_strings(&root, &mut Vec::new(), &mut found);
    for path in found.iter().take(32) {
        let mut probe = root.clone();
        if let Some(slot) = at(&mut probe, path) {
            *slot = serde_json::Value::from(0);
        }
        if serde_json::from_value::<T>(probe).is_err() {
            return Some(display(path));
        }
    }
    None
}

fn nul_strings(v: &serde_json::Value, path: &mut Vec<Step>, found: &mut Vec<Vec<Step>>) {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => found.push(path.clone()),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                path.push(Step::Index(i));
                nul_strings(x, path, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                path.push(Step::Key(k.clone()));
                nul_strings(x, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'v>(v: &'v mut serde_json::Value, path: &[Step]) -> Option<&'v mut serde_json::Value> {
    path.iter().try_fold(v, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// `lines[2].name`.
fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { "body".into() } else { out }
}

fn json_error(err: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = err.inner();
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {inner}"))
        }
        serde_json::error::Category::Io => {
            ApiError::bad_request("malformed_json", inner.to_string())
        }
        serde_json::error::Category::Data => {
            let path = err.path().to_string();
            let message = strip_position(&inner.to_string());
            ApiError::validation(vec![field_for(&path, &message)])
        }
    }
}

/// serde_json appends " at line 1 column 12"; the field path says more.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Names the field: for "unknown field `x`" and "missing field `x`" the
/// path points at the enclosing object, so the name is appended.
fn field_for(path: &str, message: &str) -> FieldError {
    let base = if path == "." { "" } else { path };
    for prefix in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(end) = rest.find('`')
        {
            let name = &rest[..end];
            let last = base.rsplit('.').next().unwrap_or_default();
            let field = if base.is_empty() {
                name.to_string()
            } else if last == name {
                // serde_path_to_error already points at an unknown field.
                base.to_string()
            } else {
                format!("{base}.{name}")
            };
            let what =
                if prefix.starts_with("unknown") { "is not a known field" } else { "is required" };
            return FieldError::new(field, what);
        }
    }
    FieldError::new(if base.is_empty() { "body" } else { base }, message)
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Maps a body-reading failure to problem+json (413 past the limit).
pub fn body_error(rej: BytesRejection) -> ApiError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large")
            .detail("the request body is larger than this server accepts")
    } else {
        ApiError::bad_request("unreadable_body", rej.body_text())
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            )
            .detail("send the body as JSON with `Content-Type: application/json`")
            .field("content-type", "must be application/json"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        Self::from_bytes(&bytes)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query-string parameters; a bad one (an unknown enum value, a number
/// that is not one, a malformed time) answers 400 `invalid_parameter`
/// naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let path = e.path().to_string();
            let message = e.inner().to_string();
            invalid_parameter(field_for(&path, &message))
        })
    }
}

/// 400 `invalid_parameter`: a query parameter the server cannot use.
pub fn invalid_parameter(e: FieldError) -> ApiError {
    ApiError::bad_request("invalid_parameter", format!("`{}`: {}", e.field, e.message))
        .field(e.field, e.message)
}

/// Path parameters; a malformed one (e.g. not a uuid) answers 400 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let kind = e.into_kind();
                let names: Vec<String> =
                    axum::extract::RawPathParams::from_request_parts(parts, state)
                        .await
                        .map(|p| p.iter().map(|(k, _)| k.to_string()).collect())
                        .unwrap_or_default();
                let field = match &kind {
                    axum::extract::path::ErrorKind::ParseErrorAtKey { key, .. }
                    | axum::extract::path::ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    axum::extract::path::ErrorKind::ParseErrorAtIndex { index, .. } => {
                        names.get(*index).cloned().unwrap_or_else(|| format!("path[{index}]"))
                    }
                    _ if names.len() == 1 => names[0].clone(),
                    _ => "path".to_string(),
                };
                Err(ApiError::bad_request("invalid_path_parameter", kind.to_string())
                    .field(field, "is malformed"))
            }
            Err(other) => Err(ApiError::internal(anyhow::anyhow!("path extraction: {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        quantity: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        lines: Vec<Line>,
    }

    fn err(body: &str) -> ApiError {
        parse_json::<Body>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        let e = err(r#"{"name":"a\u0000b","lines":[]}"#);
        assert_eq!((e.status(), e.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
        assert_eq!(e.to_problem().errors[0].field, "name");
        // An escaped backslash followed by "u0000" is just text.
        assert!(parse_json::<Body>(br#"{"name":"a\\u0000","lines":[]}"#).is_ok());
        // Free-form JSON and ignored fields are not the type's text.
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Loose {
            name: String,
            extra: serde_json::Value,
        }
        let ok = br#"{"name":"a","extra":{"k":"\u0000"},"ignored":"\u0000"}"#;
        assert!(parse_json::<Loose>(ok).is_ok());
        let bad = parse_json::<Loose>(br#"{"name":"\u0000","extra":1}"#).unwrap_err();
        assert_eq!(bad.to_problem().errors[0].field, "name");
    }

    #[test]
    fn integral_floats_are_integers() {
        let b: Body = parse_json(br#"{"name":"a","lines":[{"quantity":2.0}]}"#).unwrap();
        assert_eq!(b.lines[0].quantity, 2);
        let e = err(r#"{"name":"a","lines":[{"quantity":2.5}]}"#);
        assert_eq!(e.to_problem().errors[0].field, "lines[0].quantity");
    }

    #[test]
    fn syntax_is_400() {
        let e = err("{\"name\": ");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.code(), "malformed_json");
        assert_eq!(err(r#"{"name":"a","lines":[]} trailing"#).code(), "malformed_json");
    }

    #[test]
    fn wrong_type_names_nested_field() {
        let e = err(r#"{"name":"a","lines":[{"quantity":1},{"quantity":"x"}]}"#);
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.errors()[0].field, "lines[1].quantity");
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let e = err(r#"{"name":"a","lines":[],"colour":1}"#);
        assert_eq!(e.errors()[0].field, "colour");
        assert_eq!(e.errors()[0].message, "is not a known field");
        let e = err(r#"{"lines":[]}"#);
        assert_eq!(e.errors()[0].field, "name");
        assert_eq!(e.errors()[0].message, "is required");
        let e = err(r#"{"name":"a","lines":[{}]}"#);
        assert_eq!(e.errors()[0].field, "lines[0].quantity");
    }
}
