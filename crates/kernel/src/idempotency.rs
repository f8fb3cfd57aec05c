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
//!
//! The work of a request and its stored response are written by different
//! transactions, so a process could die after the first commits and before
//! the second. To keep such a request from running twice, every tenant
//! transaction committed while serving it also records, in that same
//! transaction, that the request's claim has committed work
//! (`idempotency_commits`, keyed by the claim's random lease). A retry
//! that finds the claim expired but its work committed is answered 409
//! `idempotent_request_completed` instead of running again.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Db, TenantAccess};
use crate::error::ApiError;
use crate::net::ClientAddr;
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a response is kept.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// Responses larger than this are not stored (the key is released).
const MAX_STORED_BODY: usize = 1 << 20;
/// Response headers kept with a stored response.
const KEPT_HEADERS: &[HeaderName] = &[header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// Who a key belongs to; inserted into request extensions by authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyScope {
    /// The caller's tenant.
    pub access: TenantAccess,
    /// The caller (user or API key id).
    pub principal: String,
}

tokio::task_local! {
    /// The lease of the claim the current request holds, if it is idempotent.
    static CLAIM: Uuid;
}

/// Records, in the transaction being committed, that the current request's
/// claim has committed work (a no-op outside idempotent requests).
pub(crate) async fn record_commit(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let Ok(lease) = CLAIM.try_with(|l| *l) else { return Ok(()) };
    sqlx::query(crate::sql!(
        "INSERT INTO idempotency_commits (lease) VALUES ($1) ON CONFLICT (lease) DO NOTHING"
    ))
    .bind(lease)
    .execute(conn)
    .await?;
    Ok(())
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
        let addr = req.extensions().get::<ClientAddr>().map(|c| c.0.to_string());
        IdempotencyScope {
            access: state.authority().system(),
            principal: format!("anonymous:{}", addr.unwrap_or_default()),
        }
    });

    let (parts, body) = req.into_parts();
    // The body limit of the route (the server's outermost layers) holds.
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large")
            .detail("the request body is larger than this server accepts")
            .into_response()
    })?;
    let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let hash = fingerprint(&parts.method, &path, &parts.headers, &bytes);

    let db = state.db();
    let lease_secs = state.config().http.idempotency_lease_secs;
    let lease = Uuid::new_v4();
    let claim = Claim { scope: &scope, key: &key, lease };
    let claimed = claim
        .take(db, parts.method.as_str(), &path, &hash, lease_secs)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    if let Some(existing) = claimed {
        return Err(existing);
    }

    let resp = CLAIM.scope(lease, next.run(Request::from_parts(parts, Body::from(bytes)))).await;
    Ok(claim.finish(db, resp).await)
}

/// One request's hold on its key.
struct Claim<'a> {
    scope: &'a IdempotencyScope,
    key: &'a str,
    lease: Uuid,
}

impl Claim<'_> {
    /// Claims the key; `Some(response)` when it was already used.
    async fn take(
        &self,
        db: &Db,
        method: &str,
        path: &str,
        hash: &[u8],
        lease_secs: u64,
    ) -> Result<Option<Response>, sqlx::Error> {
        let scope = self.scope;
        let mut tx = db.tenant(&scope.access).await?;
        let claimed: Option<(bool,)> = sqlx::query_as(crate::sql!(
            "INSERT INTO idempotency_keys (tenant_id, scope, key, method, path, request_hash, lease, locked_until)
             VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
             ON CONFLICT (tenant_id, scope, key) DO UPDATE
                SET method = EXCLUDED.method, path = EXCLUDED.path,
                    request_hash = EXCLUDED.request_hash, status = NULL,
                    response_headers = NULL, response_body = NULL, lease = EXCLUDED.lease,
                    locked_until = EXCLUDED.locked_until, created_at = now()
              WHERE idempotency_keys.created_at < now() - make_interval(secs => $9)
                 OR (idempotency_keys.status IS NULL
                     AND idempotency_keys.locked_until < now()
                     AND idempotency_keys.request_hash = EXCLUDED.request_hash
                     AND NOT EXISTS (SELECT 1 FROM idempotency_commits c
                                      WHERE c.lease = idempotency_keys.lease))
             RETURNING true"
        ))
        .bind(scope.access.tenant())
        .bind(&scope.principal)
        .bind(self.key)
        .bind(method)
        .bind(path)
        .bind(hash)
        .bind(self.lease)
        .bind(lease_secs as f64)
        .bind(RETENTION.as_secs_f64())
        .fetch_optional(&mut *tx)
        .await?;
        if claimed.is_some() {
            tx.commit().await?;
            return Ok(None);
        }
        let row: Option<StoredRow> = sqlx::query_as(crate::sql!(
            "SELECT k.request_hash, k.status, k.response_headers, k.response_body,
                    EXISTS (SELECT 1 FROM idempotency_commits c WHERE c.lease = k.lease)
                      AND coalesce(k.locked_until <= now(), true) AS committed
               FROM idempotency_keys k WHERE k.tenant_id = $1 AND k.scope = $2 AND k.key = $3"
        ))
        .bind(scope.access.tenant())
        .bind(&scope.principal)
        .bind(self.key)
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
            None if row.committed => Ok(Some(completed())),
            None => Ok(Some(in_progress())),
            Some(status) => Ok(Some(replay(status, row.response_headers, row.response_body))),
        }
    }
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    request_hash: Vec<u8>,
    status: Option<i16>,
    response_headers: Option<serde_json::Value>,
    response_body: Option<Vec<u8>>,
    /// The claim's work committed and the claim has ended (its lease ran
    /// out, or its request finished without a storable response).
    committed: bool,
}

fn completed() -> Response {
    ApiError::conflict(
        "idempotent_request_completed",
        "the request with this Idempotency-Key completed, but its response was lost; \
         look the result up instead of retrying (a new key runs the request again)",
    )
    .field("Idempotency-Key", "was used by a request that completed")
    .into_response()
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

impl Claim<'_> {
    /// Stores the response (or releases the key) and returns it to the client.
    async fn finish(&self, db: &Db, resp: Response) -> Response {
        if !storable(&resp) {
            self.release(db).await;
            return resp;
        }
        let (parts, body) = resp.into_parts();
        let bytes: Bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(b) => b,
            Err(e) => {
                self.release(db).await;
                return ApiError::internal(anyhow::anyhow!("response body failed: {e}"))
                    .into_response();
            }
        };
        if bytes.len() > MAX_STORED_BODY {
            // Too large to keep: the client gets it now; a retry runs again
            // unless the work committed.
            self.release(db).await;
            return Response::from_parts(parts, Body::from(bytes));
        }
        let mut kept = serde_json::Map::new();
        for name in KEPT_HEADERS {
            if let Some(v) = parts.headers.get(name).and_then(|v| v.to_str().ok()) {
                kept.insert(name.as_str().to_string(), serde_json::Value::String(v.to_string()));
            }
        }
        let scope = self.scope;
        let stored = async {
            let mut tx = db.tenant(&scope.access).await?;
            sqlx::query(crate::sql!(
                "UPDATE idempotency_keys SET status = $5, response_headers = $6, response_body = $7,
                        locked_until = NULL
                  WHERE tenant_id = $1 AND scope = $2 AND key = $3 AND lease = $4"
            ))
            .bind(scope.access.tenant())
            .bind(&scope.principal)
            .bind(self.key)
            .bind(self.lease)
            .bind(parts.status.as_u16() as i16)
            .bind(serde_json::Value::Object(kept))
            .bind(bytes.as_ref())
            .execute(&mut *tx)
            .await?;
            sqlx::query(crate::sql!("DELETE FROM idempotency_commits WHERE lease = $1"))
                .bind(self.lease)
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

    /// Gives the key up so a retry runs the request again — unless its work
    /// committed, in which case the claim ends now and a retry is told so.
    async fn release(&self, db: &Db) {
        let scope = self.scope;
        let result = async {
            let mut tx = db.tenant(&scope.access).await?;
            sqlx::query(crate::sql!(
                "DELETE FROM idempotency_keys k
                  WHERE k.tenant_id = $1 AND k.scope = $2 AND k.key = $3 AND k.lease = $4
                    AND k.status IS NULL
                    AND NOT EXISTS (SELECT 1 FROM idempotency_commits c WHERE c.lease = k.lease)"
            ))
            .bind(scope.access.tenant())
            .bind(&scope.principal)
            .bind(self.key)
            .bind(self.lease)
            .execute(&mut *tx)
            .await?;
            sqlx::query(crate::sql!(
                "UPDATE idempotency_keys SET locked_until = now()
                  WHERE tenant_id = $1 AND scope = $2 AND key = $3 AND lease = $4 AND status IS NULL"
            ))
            .bind(scope.access.tenant())
            .bind(&scope.principal)
            .bind(self.key)
            .bind(self.lease)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not release an idempotency key; it frees itself when its lease ends");
        }
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
