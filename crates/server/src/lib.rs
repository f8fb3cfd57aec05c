//! The HTTP application: every domain's routes under one router, the
//! middleware every request passes through, the OpenAPI document and the
//! interactive API docs. Domain crates own their routes; this crate only
//! composes them.

pub mod compose;
pub mod console;
pub mod health;
pub mod middleware;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::serve::ListenerExt;
use kernel::db::{Authority, Db};
use kernel::{AppState, Domain};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::SwaggerUi;

pub use compose::Composition;

/// Every domain of this build, in the order their services start (a
/// domain may use the services of those before it). Adding a domain is
/// adding it here.
pub fn domains() -> Vec<Domain> {
    vec![
        health::domain(),
        identity::domain(),
        jobs::domain(),
        ai::domain(),
        knowledge::domain(),
        ledger::domain(),
        concierge::domain(),
    ]
}

/// Starts the platform's services and every domain's, and builds the
/// state. `mailer` replaces the configured one (tests read what is sent);
/// `extra` are further domains (tests declare their own jobs' schedules
/// and subscribers that way).
pub async fn build_state(
    config: Arc<kernel::Config>,
    db: Db,
    authority: Authority,
    mailer: Option<Arc<dyn kernel::mail::Mailer>>,
    extra: Vec<Domain>,
) -> anyhow::Result<AppState> {
    let mut domains = domains();
    domains.extend(extra);
    let composition = Composition::of(&mut domains)?;
    composition.build_state(config, db, authority, mailer, &mut domains).await
}

/// The OpenAPI document of the whole API, with every response declared.
pub fn openapi() -> serde_json::Value {
    let mut domains = domains();
    match Composition::of(&mut domains) {
        Ok(c) => c.openapi,
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    }
}

/// Builds the application with its middleware for the given state.
pub fn app(state: AppState) -> anyhow::Result<Router> {
    app_with(state, Vec::new(), Router::new())
}

/// Builds the application with extra domains and routes inside the same
/// middleware (the test harness uses it to exercise kernel helpers).
pub fn app_with(
    state: AppState,
    extra: Vec<Domain>,
    routes: Router<AppState>,
) -> anyhow::Result<Router> {
    let config = state.config().clone();
    let mut domains = domains();
    domains.extend(extra);
    let composition = Composition::of(&mut domains)?;
    let router = composition.router.merge(routes);
    let limits = Arc::new(middleware::BodyLimits {
        default: config.http.body_limit.0 as usize,
        upload: config.http.upload_limit.0.max(config.http.body_limit.0) as usize,
        uploads: composition.uploads.clone(),
    });
    let timeout = Duration::from_secs(config.http.request_timeout_secs.max(1));

    let trusted = Arc::new(config.http.trusted_proxies());
    let query_params = Arc::new(kernel::openapi::QueryParams::of(&composition.openapi));
    // Route layers run only for a route that matched (path and method), so
    // an unknown path (404) or method (405, with `Allow`) is answered
    // before credentials are looked at; the last added runs first.
    let router = router
        .merge(
            SwaggerUi::new("/api/docs")
                .external_url_unchecked("/api/openapi.json", composition.openapi),
        )
        .fallback(console::fallback)
        .route_layer(from_fn(middleware::tag_route))
        .route_layer(from_fn_with_state(query_params, kernel::openapi::check_query))
        .route_layer(from_fn_with_state(state.clone(), kernel::idempotency::middleware))
        .route_layer(from_fn_with_state(state.clone(), identity::auth::authenticate))
        .layer(DefaultBodyLimit::disable())
        .layer(from_fn_with_state(limits, middleware::limit_body))
        .layer(from_fn(move |req: Request, next: Next| request_timeout(timeout, req, next)))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    let router = match cors(&config.http.cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    Ok(router
        .layer(from_fn_with_state(trusted, kernel::net::middleware))
        .layer(from_fn_with_state(middleware::RequestMetrics::new(), middleware::request_context))
        .with_state(state))
}

async fn request_timeout(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => middleware::timeout_response(),
    }
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                header::RETRY_AFTER,
                header::LOCATION,
                HeaderName::from_static("ratelimit-limit"),
                HeaderName::from_static("ratelimit-remaining"),
                HeaderName::from_static("ratelimit-reset"),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests
/// in flight finish for up to `grace` before closing what remains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let (draining_tx, draining_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: draining requests in flight");
            let _ = draining_tx.send(());
        });
    tokio::select! {
        result = server.into_future() => result,
        _ = async {
            if draining_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!(?grace, "requests still in flight after the grace period; closing them");
            Ok(())
        }
    }
}
