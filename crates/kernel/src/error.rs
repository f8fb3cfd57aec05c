//! Errors as RFC 9457 `application/problem+json`.
//!
//! Every error a client sees is an [`ApiError`]: an HTTP status, a stable
//! snake_case `code` a UI can translate, a safe `title`/`detail`, the fields
//! at fault, and the request id. The cause of a 5xx is logged, never sent.

use std::borrow::Cow;
use std::fmt;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field at fault in a request.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field in the request (`lines[2].quantity`), or the
    /// name of the query parameter or header.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field and what is wrong with it.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Collects the fields at fault in a request, so it is refused once with
/// all of them: `p.add("lines[2].quantity", "must be positive")`, then
/// `p.done()?` (a domain error implements `From<Invalid>`).
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// Notes a field at fault.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Whether nothing is wrong so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok, or every problem.
    pub fn done(self) -> Result<(), Invalid> {
        if self.0.is_empty() { Ok(()) } else { Err(Invalid(self.0)) }
    }
}

/// Fields at fault, found together (see [`Problems`]); a 422.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::validation(i.0)
    }
}

/// The body of an error response (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:tessera:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// Stable machine-readable code (snake_case).
    pub code: String,
    /// What happened in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id (also in the `X-Request-Id` header and in the logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Extra members specific to the problem.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An error answered to a client as problem+json. Boxed, so `Result<T,
/// ApiError>` stays small on the happy path.
pub struct ApiError(Box<Inner>);

struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: Option<String>,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, HeaderValue)>,
    extra: serde_json::Map<String, serde_json::Value>,
    cause: Option<anyhow::Error>,
}

/// Result of a handler or service.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a status, a stable code and a title.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        title: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            title: title.into(),
            detail: None,
            errors: Vec::new(),
            headers: Vec::new(),
            extra: serde_json::Map::new(),
            cause: None,
        }))
    }

    /// Adds the occurrence-specific explanation.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Adds a field at fault.
    pub fn field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.0.errors.push(FieldError::new(field, message));
        self
    }

    /// Adds a response header (e.g. `Retry-After`).
    pub fn header(mut self, name: HeaderName, value: impl TryInto<HeaderValue>) -> Self {
        if let Ok(v) = value.try_into() {
            self.0.headers.push((name, v));
        }
        self
    }

    /// Adds an extension member to the problem document.
    pub fn extra(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(v) = serde_json::to_value(value) {
            self.0.extra.insert(key.to_string(), v);
        }
        self
    }

    /// Records the internal cause (logged for 5xx, never sent).
    pub fn cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.0.cause = Some(cause.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The fields at fault.
    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// 400: the request cannot be understood.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request").detail(detail)
    }

    /// 422 `validation_failed` with one field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 422 `validation_failed` with the fields at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("`{}`: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request has invalid fields",
        )
        .detail(detail);
        e.0.errors = errors;
        e
    }

    /// 401: missing or invalid credentials.
    pub fn unauthorized(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, "Authentication required")
            .detail(detail)
            .header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403 `permission_denied`, naming the permission that is missing.
    pub fn forbidden(permission: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_denied", "Permission denied")
            .detail(format!("this action needs the permission `{permission}`"))
            .extra("permission", permission)
    }

    /// 404 for a resource that does not exist (or belongs to someone else).
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found")
            .detail(format!("{what} not found"))
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict").detail(detail)
    }

    /// 429 with `Retry-After` in whole seconds (at least 1).
    pub fn too_many_requests(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
        retry_after: std::time::Duration,
    ) -> Self {
        let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
        Self::new(StatusCode::TOO_MANY_REQUESTS, code, "Too many requests")
            .detail(detail)
            .header(header::RETRY_AFTER, secs.to_string())
            .extra("retry_after", secs)
    }

    /// 503: a dependency or capability is not available now.
    pub fn unavailable(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, "Service unavailable").detail(detail)
    }

    /// 500 with its cause logged.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Internal server error")
            .detail("an unexpected error occurred; quote the request id when reporting it")
            .cause(cause)
    }

    /// The problem document this error answers with. Control characters a
    /// detail or field path echoes from the request are written as `\uXXXX`.
    pub fn to_problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:tessera:problem:{}", self.0.code),
            title: self.0.title.to_string(),
            status: self.0.status.as_u16(),
            code: self.0.code.to_string(),
            detail: self.0.detail.as_deref().map(printable),
            errors: self
                .0
                .errors
                .iter()
                .map(|e| FieldError::new(printable(&e.field), printable(&e.message)))
                .collect(),
            request_id: request_id::current(),
            extra: self.0.extra.clone(),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.0.status)
            .field("code", &self.0.code)
            .field("detail", &self.0.detail)
            .field("errors", &self.0.errors)
            .field("cause", &self.0.cause)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.code)?;
        if let Some(d) = &self.0.detail {
            write!(f, ": {d}")?;
        }
        if let Some(c) = &self.0.cause {
            write!(f, " ({c:#})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.0.status.is_server_error() {
            match &self.0.cause {
                Some(cause) => {
                    tracing::error!(code = %self.0.code, error = ?cause, "request failed")
                }
                None => {
                    tracing::warn!(code = %self.0.code, detail = ?self.0.detail, "request failed")
                }
            }
        }
        problem_response(self.0.status, &self.to_problem(), self.0.headers)
    }
}

/// `text` with its control characters escaped as `\uXXXX`.
fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes a problem document with its media type.
pub fn problem_response(
    status: StatusCode,
    problem: &Problem,
    headers: Vec<(HeaderName, HeaderValue)>,
) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    for (k, v) in headers {
        resp.headers_mut().append(k, v);
    }
    resp
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let fields = key_columns(db.message(), pg_detail(db.as_ref()).as_deref());
            let field = fields.first().cloned().unwrap_or_else(|| "id".into());
            match db.code().as_deref() {
                // unique_violation
                Some("23505") => {
                    return ApiError::conflict(
                        "already_exists",
                        format!("a record with this `{field}` already exists"),
                    )
                    .field(field, "already taken");
                }
                // foreign_key_violation
                Some("23503") => {
                    return ApiError::invalid(field, "refers to a record that does not exist");
                }
                // character_not_in_repertoire: a NUL in a text value
                Some("22021") => {
                    return ApiError::invalid(
                        "body",
                        "a text contains a NUL character (U+0000), which cannot be stored",
                    );
                }
                // check_violation / not_null_violation
                Some("23514") | Some("23502") => {
                    let col = db.constraint().map(str::to_string).unwrap_or(field);
                    return ApiError::invalid(col, "is not allowed");
                }
                // serialization_failure / deadlock_detected
                Some("40001") | Some("40P01") => {
                    return ApiError::conflict(
                        "concurrent_update",
                        "the record was changed at the same time by another request; try again",
                    )
                    .header(header::RETRY_AFTER, "1");
                }
                _ => {}
            }
        }
        match e {
            sqlx::Error::PoolTimedOut => {
                ApiError::unavailable("database_busy", "the database is busy; try again shortly")
                    .header(header::RETRY_AFTER, "1")
                    .cause(e)
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
                ApiError::unavailable("database_unavailable", "the database cannot be reached")
                    .header(header::RETRY_AFTER, "5")
                    .cause(e)
            }
            other => ApiError::internal(other),
        }
    }
}

fn pg_detail(db: &dyn sqlx::error::DatabaseError) -> Option<String> {
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.detail().map(str::to_string))
}

/// Columns named in PostgreSQL's `Key (a, b)=(…)` detail, without `tenant_id`.
fn key_columns(message: &str, detail: Option<&str>) -> Vec<String> {
    let text = detail.unwrap_or(message);
    let Some(start) = text.find("Key (") else { return Vec::new() };
    let rest = &text[start + 5..];
    let Some(end) = rest.find(")=") else { return Vec::new() };
    rest[..end]
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .filter(|c| c != "tenant_id" && !c.is_empty())
        .collect()
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<ApiError>() {
            Ok(api) => api,
            Err(e) => match e.downcast::<sqlx::Error>() {
                Ok(db) => db.into(),
                Err(e) => ApiError::internal(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_columns_skip_tenant() {
        assert_eq!(
            key_columns("", Some("Key (tenant_id, email)=(x, a@b.c) already exists.")),
            vec!["email"]
        );
        assert_eq!(key_columns("duplicate", None), Vec::<String>::new());
    }

    #[test]
    fn problem_shape() {
        let p = ApiError::invalid("email", "is not an email address").to_problem();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["status"], 422);
        assert_eq!(v["code"], "validation_failed");
        assert_eq!(v["type"], "urn:tessera:problem:validation_failed");
        assert_eq!(v["errors"][0]["field"], "email");
    }

    #[test]
    fn retry_after_rounds_up() {
        let e = ApiError::too_many_requests("x", "y", std::time::Duration::from_millis(1200));
        let resp = e.into_response();
        assert_eq!(resp.headers()[header::RETRY_AFTER], "2");
    }
}
