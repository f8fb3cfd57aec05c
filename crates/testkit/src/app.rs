//! [`TestApp`]: the real router over a fresh database.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use kernel::db::{Authority, Db, TenantAccess};
use kernel::ids::TenantId;
use kernel::mail::MemoryMailer;
use kernel::{AppState, AppStateBuilder, Config, Domain};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt;

use crate::cluster::TestDb;

/// The application under test: the real router and middleware, a fresh
/// database, a temporary data directory.
pub struct TestApp {
    /// The state handlers see.
    pub state: AppState,
    /// The per-test database.
    pub db: TestDb,
    authority: Authority,
    router: Router,
    data_dir: tempfile::TempDir,
    mailer: Arc<MemoryMailer>,
    peer: SocketAddr,
    background: Option<jobs::Background>,
}

/// A worker process beside a [`TestApp`] (see [`TestApp::worker_process`]).
pub struct WorkerProcess {
    /// Its state.
    pub state: AppState,
    background: Option<jobs::Background>,
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if let Some(b) = self.background.take() {
            b.abort();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(b) = self.background.take() {
            b.abort();
        }
    }
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp").field("db", &self.db).finish()
    }
}

type Register = Box<dyn FnOnce(AppStateBuilder) -> AppStateBuilder + Send>;
type Configure = Box<dyn FnOnce(&mut Config) + Send>;
type MakeDomain = Box<dyn Fn() -> Domain + Send>;

/// Builds a [`TestApp`] with configuration changes, extra domains or
/// extra routes.
pub struct TestAppBuilder {
    configure: Vec<Configure>,
    extra: Router<AppState>,
    register: Vec<Register>,
    domains: Vec<MakeDomain>,
    background: bool,
}

impl TestAppBuilder {
    /// Changes the configuration before the app is built.
    pub fn config(mut self, f: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Adds routes inside the real middleware stack.
    pub fn routes(mut self, extra: Router<AppState>) -> Self {
        self.extra = self.extra.merge(extra);
        self
    }

    /// Adds a domain of the test's own (its schedules, subscribers, routes),
    /// composed with the build's as `server::domains()` are.
    pub fn domain(mut self, make: impl Fn() -> Domain + Send + 'static) -> Self {
        self.domains.push(Box::new(make));
        self
    }

    /// Registers a service in the state.
    pub fn service(
        mut self,
        f: impl FnOnce(AppStateBuilder) -> AppStateBuilder + Send + 'static,
    ) -> Self {
        self.register.push(Box::new(f));
        self
    }

    /// Also runs the background workers, event dispatcher and scheduler
    /// (as `tessera serve` does), polling every 100 ms.
    pub fn background(mut self) -> Self {
        self.background = true;
        self
    }

    /// Creates the database and builds the app.
    pub async fn build(self) -> TestApp {
        crate::init_logging();
        kernel::telemetry::metrics();
        let db = TestDb::create().await;
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            runtime_dir: Some(crate::cluster::runtime_dir()),
            ..Config::default()
        };
        config.database.max_connections = 8;
        // Webhook receivers in tests listen on loopback.
        config.webhooks.allow_private = true;
        // Stand-in model providers listen on loopback too.
        config.ai.allow_private_providers = true;
        // So do the stand-in IRP and e-way bill services.
        config.compliance.allow_private_endpoints = true;
        // And the stand-in Graph API.
        config.concierge.allow_private_endpoints = true;
        // Tests run side by side: one inference thread each.
        config.ai.threads = 1;
        config.ai.chat_parallel = 1;
        config.jobs.poll_interval_ms = 100;
        for f in self.configure {
            f(&mut config);
        }
        let (pool, authority) = Db::connect_lazy(&db.targets, &config.database);
        let mailer = Arc::new(MemoryMailer::default());
        let extra: Vec<Domain> = self.domains.iter().map(|d| d()).collect();
        let base = server::build_state(
            Arc::new(config),
            pool,
            authority.clone(),
            Some(mailer.clone()),
            extra,
        )
        .await
        .unwrap_or_else(|e| panic!("cannot build the application state: {e:#}"));
        let state = if self.register.is_empty() {
            base
        } else {
            let mut builder = base.rebuild();
            for f in self.register {
                builder = f(builder);
            }
            builder.build().unwrap_or_else(|e| panic!("cannot build the application state: {e:#}"))
        };
        let extra: Vec<Domain> = self.domains.iter().map(|d| d()).collect();
        let router = server::app_with(state.clone(), extra, self.extra)
            .unwrap_or_else(|e| panic!("cannot compose the application: {e:#}"));
        let background = self.background.then(|| jobs::Background::start(&state));
        TestApp {
            state,
            db,
            authority,
            router,
            data_dir,
            mailer,
            peer: SocketAddr::from(([127, 0, 0, 1], 40000)),
            background,
        }
    }
}

impl TestApp {
    /// An app with the default configuration.
    pub async fn spawn() -> TestApp {
        Self::builder().build().await
    }

    /// A builder for a customised app.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            configure: Vec::new(),
            extra: Router::new(),
            register: Vec::new(),
            domains: Vec::new(),
            background: false,
        }
    }

    /// The router (for callers that drive it themselves).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The jobs service.
    pub fn jobs(&self) -> Arc<jobs::Jobs> {
        jobs::JobsService::of(&self.state).0
    }

    /// The authority (tests are privileged: they open any tenant).
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// Access to a tenant, for tests that open its transactions.
    pub fn access(&self, tenant: TenantId) -> TenantAccess {
        self.authority.tenant(tenant)
    }

    /// A client for the domains' isolation fixtures.
    pub fn fixture_client(&self) -> Arc<dyn kernel::domain::FixtureClient> {
        Arc::new(FixtureHttp {
            router: self.router.clone(),
            peer: self.peer,
            mailer: self.mailer.clone(),
            superuser: self.db.superuser_options(),
        })
    }

    /// A second process on this app's database, running the background
    /// workers as `tessera worker` does beside `tessera serve`: its own
    /// services, caches and `LISTEN` connection. Stops when dropped.
    pub async fn worker_process(&self) -> WorkerProcess {
        let config = self.state.config().clone();
        let (pool, authority) = Db::connect_lazy(&self.db.targets, &config.database);
        let state = server::build_state(
            Arc::new(config),
            pool,
            authority,
            Some(self.mailer.clone()),
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot build the worker's state: {e:#}"));
        let background = Some(jobs::Background::start(&state));
        WorkerProcess { state, background }
    }

    /// Stops the background workers gracefully (if running).
    pub async fn stop_background(&mut self) {
        if let Some(b) = self.background.take() {
            b.shutdown(std::time::Duration::from_secs(5)).await;
        }
    }

    /// What the application has e-mailed.
    pub fn mailer(&self) -> &MemoryMailer {
        &self.mailer
    }

    /// The temporary data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// Requests will appear to come from this address.
    pub fn set_peer(&mut self, peer: SocketAddr) {
        self.peer = peer;
    }

    /// Starts a request.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            method,
            path: path.to_string(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::POST, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PUT, path)
    }

    /// `PATCH path`.
    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, path)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, path)
    }

    /// Serves the app on a loopback port until the returned handle drops.
    pub async fn serve(&self) -> ServerHandle {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = self.router.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = server::serve(
                listener,
                router,
                async {
                    let _ = rx.await;
                },
                std::time::Duration::from_secs(1),
            )
            .await;
        });
        ServerHandle { addr, stop: Some(tx), task }
    }
}

/// A running loopback server; stops on drop.
pub struct ServerHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

/// A request being built.
pub struct TestRequest<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl TestRequest<'_> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(
            HeaderName::try_from(name).expect("header name"),
            HeaderValue::try_from(value).expect("header value"),
        );
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        self.body = Bytes::from(serde_json::to_vec(body).expect("serialize body"));
        self.headers
            .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self
    }

    /// A raw body with a content type.
    pub fn raw(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.headers
            .insert(http::header::CONTENT_TYPE, HeaderValue::try_from(content_type).expect("ct"));
        self
    }

    /// Sends it through the router.
    pub async fn send(self) -> TestResponse {
        let mut req = Request::builder().method(self.method).uri(&self.path);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let mut req = req.body(Body::from(self.body)).expect("request");
        req.extensions_mut().insert(ConnectInfo(self.app.peer));
        let resp = self.app.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        TestResponse { status, headers, body }
    }
}

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The body as a type.
    pub fn parse<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body does not parse ({e}): {}", self.text()))
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status.as_u16(), expected, "unexpected status; body: {}", self.text());
        self
    }

    /// Asserts a problem+json answer with this status and code; returns it.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        self.assert_status(status);
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/problem+json"),
            "content-type {ct}; body: {}",
            self.text()
        );
        let v = self.json();
        assert_eq!(v["code"], code, "problem code; body: {v}");
        assert_eq!(v["status"], status, "problem status; body: {v}");
        assert!(v["request_id"].is_string(), "problem without request_id: {v}");
        v
    }
}

/// The test harness's side of the domains' isolation fixtures.
struct FixtureHttp {
    router: Router,
    peer: SocketAddr,
    mailer: Arc<MemoryMailer>,
    superuser: sqlx::postgres::PgConnectOptions,
}

impl kernel::domain::FixtureClient for FixtureHttp {
    fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> futures::future::BoxFuture<'_, (u16, Value)> {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET))
            .uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&b).unwrap_or_default())
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).expect("request");
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let router = self.router.clone();
        Box::pin(async move {
            let resp = router.oneshot(req).await.expect("infallible");
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            (status, value)
        })
    }

    fn superuser(&self) -> futures::future::BoxFuture<'_, sqlx::PgConnection> {
        Box::pin(async move {
            <sqlx::PgConnection as sqlx::Connection>::connect_with(&self.superuser)
                .await
                .expect("connect as superuser")
        })
    }

    fn last_mail(&self, to: &str) -> Option<String> {
        self.mailer.last_to(to).map(|m| m.body)
    }
}
