//! `Idempotency-Key` for POST requests.
//!
//! A client that may retry a creating request sends a unique
//! `Idempotency-Key`. The first request with a key runs; its response is
//! stored for 24 hours. A retry with the same key and the same request
//! (method, path, body) gets the stored response again, with the header
//! `Idempotent-Replayed: true`, and nothing runs twice. The same key with a
//! different request answers 422 `idempotency_key_reused`; a retry while
//! the first is still running answers 409 `idempotency_request_in_progress`.
//!
//! Keys are scoped to the caller (tenant and principal, or the client
//! address for anonymous requests) and stored under row-level security.
//! Server errors (5xx), `401/403/408/429` and streamed responses are not
//! stored, so such a request can simply be retried.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::ids::TenantId;
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a response is kept.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How long an unfinished request holds its key.
const LEASE_SECS: i64 = 120;
/// Responses larger than this are not stored (the key is released).
const MAX_STORED_BODY: usize = 1 << 20;
/// Response headers kept with a stored response.
const KEPT_HEADERS: &[HeaderName] = &[header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// Who a key belongs to; inserted into request extensions by authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyScope {
    /// The caller's tenant.
    pub tenant: TenantId,
    /// The caller (user or API key id).
    pub principal: String,
}

/// The middleware; apply it outside the routers, inside authentication.
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(HEADER).cloned() else {
        return next.run(req).await;
    };
    match handle(&state, raw_key, req, next).await {
        Ok(resp) | Err(resp) => resp,
    }
}

async fn handle(
    state: &AppState,
    raw_key: HeaderValue,
    req: Request,
    next: Next,
) -> Result<Response, Response> {
    let key = raw_key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "the Idempotency-Key header must be 1 to 255 visible characters",
            )
            .field("Idempotency-Key", "is malformed")
            .into_response()
        })?;
    let scope = req.extensions().get::<IdempotencyScope>().cloned().unwrap_or_else(|| {
        let addr = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        IdempotencyScope {
            tenant: TenantId::ANONYMOUS,
            principal: format!("anonymous:{}", addr.unwrap_or_default()),
        }
    });

    let (parts, body) = req.into_parts();
    let limit = state.config().http.body_limit.0 as usize;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large")
            .detail("the request body is larger than this server accepts")
            .into_response()
    })?;
    let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let hash = fingerprint(&parts.method, &path, &parts.headers, &bytes);

    let db = state.db();
    let claimed = claim(db, &scope, &key, parts.method.as_str(), &path, &hash)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    if let Some(existing) = claimed {
        return Err(existing);
    }

    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    Ok(finish(db, &scope, &key, resp).await)
}

/// Claims the key; `Some(response)` when it was already used.
async fn claim(
    db: &crate::db::Db,
    scope: &IdempotencyScope,
    key: &str,
    method: &str,
    path: &str,
    hash: &[u8],
) -> Result<Option<Response>, sqlx::Error> {
    let mut tx = db.tenant(scope.tenant).await?;
    let claimed: Option<(bool,)> = sqlx::query_as(
        "INSERT INTO idempotency_keys (tenant_id, scope, key, method, path, request_hash, locked_until)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
         ON CONFLICT (tenant_id, scope, key) DO UPDATE
            SET method = EXCLUDED.method, path = EXCLUDED.path,
                request_hash = EXCLUDED.request_hash, status = NULL,
                response_headers = NULL, response_body = NULL,
                locked_until = EXCLUDED.locked_until, created_at = now()
          WHERE idempotency_keys.created_at < now() - make_interval(secs => $8)
             OR (idempotency_keys.status IS NULL
                 AND idempotency_keys.locked_until < now()
                 AND idempotency_keys.request_hash = EXCLUDED.request_hash)
         RETURNING true",
    )
    .bind(scope.tenant)
    .bind(&scope.principal)
    .bind(key)
    .bind(method)
    .bind(path)
    .bind(hash)
    .bind(LEASE_SECS as f64)
    .bind(RETENTION.as_secs_f64())
    .fetch_optional(&mut *tx)
    .await?;
    if claimed.is_some() {
        tx.commit().await?;
        return Ok(None);
    }
    let row: Option<StoredRow> = sqlx::query_as(
        "SELECT request_hash, status, response_headers, response_body
           FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3",
    )
    .bind(scope.tenant)
    .bind(&scope.principal)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(row) = row else {
        // Deleted between the two statements: treat as in progress.
        return Ok(Some(in_progress()));
    };
    if row.request_hash != hash {
        return Ok(Some(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused")
                .detail("this Idempotency-Key was already used for a different request; use a new key for a new request")
                .field("Idempotency-Key", "was used with a different request")
                .into_response(),
        ));
    }
    match row.status {
        None => Ok(Some(in_progress())),
        Some(status) => Ok(Some(replay(status, row.response_headers, row.response_body))),
    }
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    request_hash: Vec<u8>,
    status: Option<i16>,
    response_headers: Option<serde_json::Value>,
    response_body: Option<Vec<u8>>,
}

fn in_progress() -> Response {
    ApiError::conflict(
        "idempotency_request_in_progress",
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
    .header(header::RETRY_AFTER, "1")
    .into_response()
}

fn replay(status: i16, headers: Option<serde_json::Value>, body: Option<Vec<u8>>) -> Response {
    let mut resp = Response::new(Body::from(body.unwrap_or_default()));
    *resp.status_mut() = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    if let Some(serde_json::Value::Object(map)) = headers {
        for (k, v) in map {
            if let (Ok(name), Some(Ok(value))) =
                (HeaderName::try_from(k.as_str()), v.as_str().map(HeaderValue::from_str))
            {
                resp.headers_mut().insert(name, value);
            }
        }
    }
    resp.headers_mut().insert(HeaderName::from_static(REPLAYED), HeaderValue::from_static("true"));
    resp
}

fn storable(resp: &Response) -> bool {
    let status = resp.status();
    if status.is_server_error()
        || matches!(status.as_u16(), 401 | 403 | 408 | 429)
        || status.is_informational()
    {
        return false;
    }
    let ct = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    !ct.starts_with("text/event-stream")
}

/// Stores the response (or releases the key) and returns it to the client.
async fn finish(
    db: &crate::db::Db,
    scope: &IdempotencyScope,
    key: &str,
    resp: Response,
) -> Response {
    if !storable(&resp) {
        release(db, scope, key).await;
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            release(db, scope, key).await;
            return ApiError::internal(anyhow::anyhow!("response body failed: {e}"))
                .into_response();
        }
    };
    if bytes.len() > MAX_STORED_BODY {
        // Too large to keep: the client gets it now, a retry runs again.
        release(db, scope, key).await;
        return Response::from_parts(parts, Body::from(bytes));
    }
    let mut kept = serde_json::Map::new();
    for name in KEPT_HEADERS {
        if let Some(v) = parts.headers.get(name).and_then(|v| v.to_str().ok()) {
            kept.insert(name.as_str().to_string(), serde_json::Value::String(v.to_string()));
        }
    }
    let stored = async {
        let mut tx = db.tenant(scope.tenant).await?;
        sqlx::query(
            "UPDATE idempotency_keys SET status = $4, response_headers = $5, response_body = $6, locked_until = NULL
              WHERE tenant_id = $1 AND scope = $2 AND key = $3",
        )
        .bind(scope.tenant)
        .bind(&scope.principal)
        .bind(key)
        .bind(parts.status.as_u16() as i16)
        .bind(serde_json::Value::Object(kept))
        .bind(bytes.as_ref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = stored {
        tracing::error!(error = %e, "could not store the response of an idempotent request");
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn release(db: &crate::db::Db, scope: &IdempotencyScope, key: &str) {
    let result = async {
        let mut tx = db.tenant(scope.tenant).await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3 AND status IS NULL")
            .bind(scope.tenant)
            .bind(&scope.principal)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not release an idempotency key; it frees itself when its lease ends");
    }
}

/// What makes two requests "the same": method, path and query, media type, body.
fn fingerprint(method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        h.update(ct.as_bytes());
    }
    h.update([0]);
    h.update(body);
    h.finalize().to_vec()
}
