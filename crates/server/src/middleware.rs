//! Middleware every request passes through: request id, tracing span,
//! access log, metrics, and turning any bare error response into
//! problem+json.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kernel::error::{PROBLEM_JSON, Problem, problem_response};
use kernel::request_id;
use tracing::Instrument;

/// The route template a response was produced by, copied from the request
/// by [`tag_route`] so the outer middleware can label metrics and logs.
#[derive(Clone, Debug)]
pub struct RouteTemplate(pub String);

/// Inner middleware (a route layer): records the matched route template.
pub async fn tag_route(req: Request, next: Next) -> Response {
    let template = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let mut resp = next.run(req).await;
    if let Some(t) = template {
        resp.extensions_mut().insert(RouteTemplate(t));
    }
    resp
}

/// Routes whose successful requests are logged at debug level only:
/// probes and scrapes would otherwise drown the log.
fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

/// Outer middleware: request id, span, access log, metrics, problem+json.
pub async fn request_context(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id::accept_or_generate(req.headers().get(request_id::HEADER));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = tracing::field::Empty,
        tenant_id = tracing::field::Empty,
        user_id = tracing::field::Empty,
    );
    metrics::gauge!("http_requests_in_flight").increment(1.0);
    let resp = request_id::scope(id.clone(), next.run(req).instrument(span.clone())).await;
    metrics::gauge!("http_requests_in_flight").decrement(1.0);

    let route = resp
        .extensions()
        .get::<RouteTemplate>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "<unmatched>".to_string());
    span.record("route", route.as_str());

    let mut resp = request_id::scope(id.clone(), problemify(resp)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(request_id::HEADER, v);
    }
    let status = resp.status();
    let elapsed = started.elapsed();
    let status_label = status.as_u16().to_string();
    let labels =
        [("method", method.to_string()), ("route", route.clone()), ("status", status_label)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());

    let _enter = span.enter();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), latency_ms, path = %path, "request finished");
    } else if is_probe(&route) && status.is_success() {
        tracing::debug!(status = status.as_u16(), latency_ms, path = %path, "request finished");
    } else {
        tracing::info!(status = status.as_u16(), latency_ms, path = %path, "request finished");
    }
    resp
}

/// Replaces a bare error response (axum's 405, a body-limit 413, a timeout,
/// a panic) with a problem document, keeping its status and headers.
async fn problemify(resp: Response) -> Response {
    let status = resp.status();
    if status.as_u16() < 400 {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON));
    if is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let (code, title) = code_for(status);
    let detail = if text.is_empty() || text.starts_with('{') || text.starts_with('<') {
        None
    } else {
        Some(text)
    };
    let problem = Problem {
        type_uri: format!("urn:tessera:problem:{code}"),
        title: title.to_string(),
        status: status.as_u16(),
        code: code.to_string(),
        detail: detail.or_else(|| default_detail(status).map(str::to_string)),
        errors: Vec::new(),
        request_id: request_id::current(),
        extra: serde_json::Map::new(),
    };
    let headers: Vec<_> = parts
        .headers
        .iter()
        .filter(|(k, _)| *k != header::CONTENT_TYPE && *k != header::CONTENT_LENGTH)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut out = problem_response(status, &problem, headers);
    *out.extensions_mut() = parts.extensions;
    out
}

fn code_for(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "Bad request"),
        401 => ("unauthorized", "Authentication required"),
        403 => ("forbidden", "Forbidden"),
        404 => ("not_found", "Not found"),
        405 => ("method_not_allowed", "Method not allowed"),
        406 => ("not_acceptable", "Not acceptable"),
        408 => ("request_timeout", "Request timeout"),
        409 => ("conflict", "Conflict"),
        411 => ("length_required", "Length required"),
        413 => ("payload_too_large", "Payload too large"),
        414 => ("uri_too_long", "URI too long"),
        415 => ("unsupported_media_type", "Unsupported media type"),
        422 => ("validation_failed", "The request has invalid fields"),
        429 => ("too_many_requests", "Too many requests"),
        431 => ("headers_too_large", "Request headers too large"),
        503 => ("service_unavailable", "Service unavailable"),
        504 => ("gateway_timeout", "Gateway timeout"),
        s if s >= 500 => ("internal_error", "Internal server error"),
        _ => ("client_error", "Client error"),
    }
}

fn default_detail(status: StatusCode) -> Option<&'static str> {
    Some(match status.as_u16() {
        405 => "this URL does not accept that method; see the Allow header",
        413 => "the request body is larger than this server accepts",
        500 => "an unexpected error occurred; quote the request id when reporting it",
        _ => return None,
    })
}

/// The answer for a URL no route matches.
pub async fn not_found(req: Request) -> Response {
    kernel::ApiError::not_found("route")
        .detail(format!("no route for {} {}", req.method(), req.uri().path()))
        .into_response()
}

/// The answer for a request that took longer than the configured timeout.
pub fn timeout_response() -> Response {
    kernel::ApiError::unavailable("request_timeout", "the request took too long and was stopped")
        .into_response()
}

/// Turns a panic in a handler into a logged 500 problem.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!(panic = %detail, "handler panicked");
    kernel::ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal server error",
    )
    .detail("an unexpected error occurred; quote the request id when reporting it")
    .into_response()
}
