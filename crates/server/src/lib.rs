//! The HTTP application: every domain's routes under one router, the
//! middleware every request passes through, the OpenAPI document and the
//! interactive API docs. Domain crates own their routes; this crate only
//! composes them.

pub mod health;
pub mod maintenance;
pub mod middleware;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::serve::ListenerExt;
use kernel::AppState;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// The OpenAPI document's fixed parts; paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera API",
        description = "Multi-tenant business platform: identity, knowledge, concierge, ledger, coach. \
                       Errors are RFC 9457 problem documents (`application/problem+json`); lists use \
                       cursor pagination; creating POSTs honour `Idempotency-Key`.",
        license(name = "AGPL-3.0-only")
    ),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "identity", description = "Companies, people, sessions, roles, API keys and the audit trail"),
        (name = "jobs", description = "Background jobs, the event log and outgoing webhooks"),
        (name = "ai", description = "AI providers, routing policy, budget and usage"),
        (name = "gateway", description = "OpenAI-compatible endpoints: models, chat completions, embeddings"),
    ),
    components(schemas(kernel::error::Problem, kernel::error::FieldError)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the `bearer` security scheme (access token or API key).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An access token from /api/v1/auth/login, or an API key (tsk_…)"))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Every route with its OpenAPI description.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(identity::http::routes())
        .merge(jobs::http::routes())
        .merge(ai::http::routes())
        .merge(ai::gateway::routes())
}

/// Every permission declared by the domains of this build.
pub fn permission_catalog() -> identity::Catalog {
    identity::Catalog::new(&[
        identity::permissions::PERMISSIONS,
        jobs::permissions::PERMISSIONS,
        ai::permissions::PERMISSIONS,
    ])
}

/// Every event type published by the domains of this build.
pub fn event_catalog() -> kernel::outbox::EventCatalog {
    kernel::outbox::EventCatalog::new(&[identity::EVENTS, jobs::EVENTS])
}

/// Channels this process listens on.
fn channels() -> Vec<String> {
    vec![
        identity::auth::CHANNEL.to_string(),
        jobs::worker::CHANNEL.to_string(),
        kernel::outbox::CHANNEL.to_string(),
    ]
}

/// Starts the services the routes need and builds the state. `mailer`
/// replaces the configured one (tests read what is sent).
pub async fn build_state(
    config: std::sync::Arc<kernel::Config>,
    db: kernel::db::Db,
    mailer: Option<std::sync::Arc<dyn kernel::mail::Mailer>>,
) -> anyhow::Result<AppState> {
    let notifier = kernel::notify::Notifier::start(db.pool().clone(), channels());
    let secrets = kernel::crypto::SecretBox::from_config(&config)?;
    let mailer = match mailer {
        Some(m) => m,
        None => kernel::mail::from_config(&config)?,
    };
    let public_url = config
        .http
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}:{}", config.http.host, config.http.port));
    let jobs = jobs::Jobs::new(&config, secrets.clone(), event_catalog())?;
    let ai = ai::Ai::new(&config, db.clone(), secrets.clone())?;
    maintenance::register(&jobs)?;
    let identity = identity::Identity::start(
        &db,
        secrets,
        permission_catalog(),
        mailer,
        public_url,
        &notifier,
    )
    .await?;
    Ok(AppState::builder(config, db).with(notifier).with(identity).with(jobs).with(ai).build())
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_routes().into_openapi();
    doc.info.version = kernel::VERSION.to_string();
    doc
}

/// Builds the application with its middleware for the given state.
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// Builds the application with extra routes inside the same middleware
/// (the test harness uses it to exercise kernel helpers).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    let config = state.config().clone();
    let (router, _) = api_routes().split_for_parts();
    let router = router.merge(extra);
    let limit = config.http.body_limit.0 as usize;
    let timeout = Duration::from_secs(config.http.request_timeout_secs.max(1));

    let router = router
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi()))
        .fallback(middleware::not_found)
        .route_layer(from_fn(middleware::tag_route))
        .layer(from_fn_with_state(state.clone(), kernel::idempotency::middleware))
        .layer(from_fn_with_state(state.clone(), identity::auth::authenticate))
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
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
    router
        .layer(from_fn_with_state(middleware::RequestMetrics::new(), middleware::request_context))
        .with_state(state)
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
