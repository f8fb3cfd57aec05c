//! Liveness, readiness and metrics.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kernel::error::ApiError;
use kernel::extract::Json;
use kernel::{AppState, db};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The operators' endpoints: liveness, readiness and metrics.
pub fn domain() -> kernel::Domain {
    kernel::Domain::new("operations", "Health, readiness and metrics").routes(routes())
}

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

/// Liveness answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness answer.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    status: &'static str,
    /// Each check and its result.
    checks: Checks,
}

/// Results of the readiness checks.
#[derive(Serialize, ToSchema, Clone)]
pub struct Checks {
    /// `ok`, or why the database cannot be reached.
    database: String,
    /// `ok`, or which migrations are pending.
    migrations: String,
}

/// The database answers and its schema is current.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Ready),
        (status = 503, description = "Not ready; `checks` says why", body = kernel::error::Problem,
         content_type = "application/problem+json")))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let check = async {
        let mut conn =
            state.db().pool().acquire().await.map_err(|e| format!("unreachable: {e}"))?;
        sqlx::query(kernel::sql!("SELECT 1"))
            .execute(&mut *conn)
            .await
            .map_err(|e| format!("unreachable: {e}"))?;
        let status =
            db::migration_status(&mut conn).await.map_err(|e| format!("unreachable: {e}"))?;
        if status.is_current() {
            Ok::<_, String>(Ok(()))
        } else {
            Ok(Err(format!("pending: {:?}; run `tessera migrate`", status.pending)))
        }
    };
    let result = tokio::time::timeout(Duration::from_secs(2), check)
        .await
        .unwrap_or_else(|_| Err("unreachable: no answer within 2 s".to_string()));
    let checks = match &result {
        Ok(Ok(())) => Checks { database: "ok".into(), migrations: "ok".into() },
        Ok(Err(m)) => Checks { database: "ok".into(), migrations: m.clone() },
        Err(e) => Checks { database: e.clone(), migrations: "unknown".into() },
    };
    match result {
        Ok(Ok(())) => Json(Ready { status: "ready", checks }).into_response(),
        _ => ApiError::unavailable("not_ready", "the server cannot serve requests yet")
            .header(header::RETRY_AFTER, HeaderValue::from_static("5"))
            .extra("checks", checks)
            .into_response(),
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    for (pool, in_use, idle, max) in state.db().pool_usage() {
        metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "idle")
            .set(f64::from(idle));
        metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "in_use")
            .set(f64::from(in_use));
        metrics::gauge!("db_pool_max_connections", "pool" => pool).set(f64::from(max));
    }
    let body = kernel::telemetry::metrics().render();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
