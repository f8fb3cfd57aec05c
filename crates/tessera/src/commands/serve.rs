//! `tessera serve`: the HTTP API with its database.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use kernel::Config;
use kernel::db::Db;

use crate::runtime::{Database, Ownership};

pub async fn run(config: Config) -> Result<ExitCode> {
    let started = Instant::now();
    kernel::telemetry::init_logging(&config.log);
    kernel::telemetry::metrics();
    tracing::info!(version = kernel::VERSION, data_dir = %config.data_dir.display(), embedded = config.embedded(), "starting");

    let addr = SocketAddr::new(config.http.host, config.http.port);
    // Bind first: a busy port is reported before the database starts.
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another server using it? try --port)")
    })?;
    let local = listener.local_addr()?;

    let database = Database::open(&config, Ownership::Exclusive).await?;
    let report = match kernel::db::migrate(&database.targets).await {
        Ok(r) => r,
        Err(e) => {
            database.close().await?;
            return Err(e);
        }
    };
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "applied migrations");
    }
    let (db, authority) = Db::connect_lazy(&database.targets, &config.database);
    let grace = Duration::from_secs(config.http.shutdown_grace_secs);
    let state = match server::build_state(
        Arc::new(config),
        db.clone(),
        authority.clone(),
        None,
        Vec::new(),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            db.close().await;
            authority.close().await;
            database.close().await?;
            return Err(e);
        }
    };
    let app = server::app(state.clone())?;
    let background = state.config().jobs.enabled.then(|| jobs::Background::start(&state));

    tracing::info!(
        address = %local,
        url = %format!("http://{local}"),
        ready_ms = started.elapsed().as_millis() as u64,
        "listening"
    );
    let result = server::serve(listener, app, super::shutdown_signal(), grace).await;
    if let Some(b) = background {
        b.shutdown(grace).await;
    }
    if let Some(n) = state.try_service::<kernel::notify::Notifier>() {
        n.stop();
    }
    db.close().await;
    authority.close().await;
    database.close().await?;
    tracing::info!("stopped");
    result?;
    Ok(ExitCode::SUCCESS)
}
