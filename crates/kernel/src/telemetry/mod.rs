//! Logs (tracing, JSON lines) and metrics (Prometheus text).

mod json;

pub use json::JsonLines;

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogConfig, LogFormat};

/// Starts logging to standard output. Later calls do nothing.
pub fn init_logging(config: &LogConfig) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_new(&config.level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.format {
        LogFormat::Json => registry.with(JsonLines).try_init(),
        LogFormat::Pretty => {
            registry.with(tracing_subscriber::fmt::layer().with_target(true)).try_init()
        }
    };
}

/// Who a request acted for, attached to its response by authentication so
/// the access log can name the tenant and the user or key.
#[derive(Clone, Debug)]
pub struct RequestActor {
    /// The tenant.
    pub tenant: crate::ids::TenantId,
    /// `user:<id>` or `key:<id>`.
    pub actor: String,
}

/// Latency buckets in seconds, from 100 µs to 30 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide metrics recorder (installed on first use).
pub fn metrics() -> &'static PrometheusHandle {
    METRICS.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        describe();
        // Histograms are summarised on render; keep memory flat between scrapes.
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        });
        metrics::gauge!("tessera_build_info", "version" => crate::VERSION, "commit" => option_env!("TESSERA_COMMIT").unwrap_or("unknown")).set(1.0);
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency, by method, route template and status"
    );
    metrics::describe_gauge!("http_requests_in_flight", "HTTP requests being served");
    metrics::describe_gauge!(
        "db_pool_connections",
        "Database pool connections, by state (in_use, idle)"
    );
    metrics::describe_gauge!("db_pool_max_connections", "Database pool size limit");
    metrics::describe_gauge!("tessera_build_info", "Version and commit of this build");
}
