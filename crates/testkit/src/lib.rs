//! The test harness.
//!
//! - One embedded PostgreSQL cluster is shared by every test process of a
//!   run (it is started detached the first time and reused after).
//! - Each test gets its own database, cloned from a migrated template
//!   (`CREATE DATABASE … TEMPLATE`), so tests never share data and need no
//!   ordering; the database is dropped when the test ends.
//! - [`TestApp`] drives the real router, with all its middleware, in
//!   process; [`TestApp::serve`] also puts it on a loopback port.
//!
//! ```no_run
//! # async fn t() {
//! let app = testkit::TestApp::spawn().await;
//! let resp = app.get("/healthz").send().await;
//! assert_eq!(resp.status(), 200);
//! # }
//! ```

mod app;
pub mod bench;
mod cluster;

pub use app::{ServerHandle, TestApp, TestAppBuilder, TestRequest, TestResponse, WorkerProcess};
pub use cluster::{
    TestDb, cluster_options, ensure_models, ensure_runtime, runtime_dir, shared_cluster, test_root,
};

/// The tenant of a session (`{"tenant": {"id": …}}`) as the server returned it.
pub fn tenant_of(session: &serde_json::Value) -> kernel::ids::TenantId {
    let id = session["tenant"]["id"].as_str().and_then(|s| s.parse().ok());
    kernel::ids::TenantId::from_uuid(id.unwrap_or_else(|| panic!("no tenant in {session}")))
}

/// Starts quiet logging for tests (`RUST_LOG` overrides).
pub fn init_logging() {
    let log = kernel::config::LogConfig {
        format: kernel::config::LogFormat::Pretty,
        level: "warn".into(),
    };
    kernel::telemetry::init_logging(&log);
}

/// Waits until `check` returns `Some`, polling, or panics after `limit`.
pub async fn eventually<T, F, Fut>(limit: std::time::Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if std::time::Instant::now() > deadline {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// An HTTP client for tests that call a server over a socket (TLS set up
/// as in the product).
pub fn http() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| kernel::outbound::client_builder().build().expect("HTTP client")).clone()
}
