//! Middleware every request passes through: request id, tracing span,
//! access log, metrics, and turning any bare error response into
//! problem+json.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kernel::error::{PROBLEM_JSON, Problem, problem_response};
use kernel::request_id;
use metrics::{Counter, Gauge, Histogram};
use tracing::Instrument;

/// Inner middleware (a route layer): copies the matched route template
/// into the response so the outer middleware can label metrics and logs.
pub async fn tag_route(req: Request, next: Next) -> Response {
    let template = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(t) = template {
        resp.extensions_mut().insert(t);
    }
    resp
}

/// Routes whose successful requests are logged at debug level only:
/// probes and scrapes would otherwise drown the log.
fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

type Series = HashMap<Box<str>, HashMap<(Method, u16), (Counter, Histogram)>>;

/// Request metrics with their handles cached per (method, route, status),
/// so the hot path does no label allocation or registry lookup.
pub struct RequestMetrics {
    in_flight: Gauge,
    series: RwLock<Series>,
}

impl RequestMetrics {
    /// Handles on the process-wide recorder.
    pub fn new() -> Arc<Self> {
        kernel::telemetry::metrics();
        Arc::new(Self {
            in_flight: metrics::gauge!("http_requests_in_flight"),
            series: RwLock::default(),
        })
    }

    fn record(&self, method: &Method, route: Option<&MatchedPath>, status: StatusCode, secs: f64) {
        let route = route.map_or(UNMATCHED, MatchedPath::as_str);
        let key = (method.clone(), status.as_u16());
        if let Ok(series) = self.series.read()
            && let Some((c, h)) = series.get(route).and_then(|m| m.get(&key))
        {
            c.increment(1);
            h.record(secs);
            return;
        }
        let labels = [
            ("method", method.as_str().to_string()),
            ("route", route.to_string()),
            ("status", status.as_u16().to_string()),
        ];
        let handles = (
            metrics::counter!("http_requests_total", &labels),
            metrics::histogram!("http_request_duration_seconds", &labels),
        );
        handles.0.increment(1);
        handles.1.record(secs);
        if let Ok(mut series) = self.series.write() {
            series.entry(route.into()).or_default().insert(key, handles);
        }
    }
}

const UNMATCHED: &str = "<unmatched>";

/// Outer middleware: request id, span, access log, metrics, problem+json.
pub async fn request_context(
    State(m): State<Arc<RequestMetrics>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request_id::accept_or_generate(req.headers().get(request_id::HEADER));
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.uri().path());
    m.in_flight.increment(1.0);
    let resp = request_id::scope(id.clone(), next.run(req).instrument(span.clone())).await;
    m.in_flight.decrement(1.0);

    let route = resp.extensions().get::<MatchedPath>().cloned();
    let mut resp = if resp.status().as_u16() >= 400 {
        request_id::scope(id.clone(), problemify(resp)).await
    } else {
        resp
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(request_id::HEADER, v);
    }
    let status = resp.status();
    let elapsed = started.elapsed();
    m.record(&method, route.as_ref(), status, elapsed.as_secs_f64());

    let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let _enter = span.enter();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let actor = resp.extensions().get::<kernel::telemetry::RequestActor>();
    let tenant_id = actor.map(|a| tracing::field::display(a.tenant));
    let user = actor.map(|a| a.actor.as_str());
    let s = status.as_u16();
    if status.is_server_error() {
        tracing::error!(status = s, latency_ms, route, tenant_id, user, "request finished");
    } else if is_probe(route) && status.is_success() {
        tracing::debug!(status = s, latency_ms, route, "request finished");
    } else {
        tracing::info!(status = s, latency_ms, route, tenant_id, user, "request finished");
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

/// The body limits: `http.body_limit`, and `http.upload_limit` on the
/// routes domains declare as taking files.
#[derive(Debug)]
pub struct BodyLimits {
    /// Everywhere else.
    pub default: usize,
    /// On upload routes.
    pub upload: usize,
    /// Path prefixes of upload routes.
    pub uploads: Vec<&'static str>,
}

impl BodyLimits {
    fn of(&self, path: &str) -> usize {
        let upload = self.uploads.iter().any(|p| {
            path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        if upload { self.upload } else { self.default }
    }
}

/// Refuses a body declared larger than the route's limit (413 naming it)
/// and cuts one that turns out larger while it is read.
pub async fn limit_body(
    axum::extract::State(limits): axum::extract::State<std::sync::Arc<BodyLimits>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let limit = limits.of(req.uri().path());
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return kernel::ApiError::new(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
        )
        .detail(format!("the request body is larger than this route accepts ({limit} bytes)"))
        .extra("limit_bytes", limit)
        .into_response();
    }
    let req = req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, limit)));
    next.run(req).await
}
