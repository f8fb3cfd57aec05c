//! `tessera worker`: background workers, the event dispatcher and the
//! scheduler, without the HTTP server (for scaling out).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use kernel::Config;
use kernel::db::Db;

use crate::runtime::{Database, Ownership};

pub async fn run(config: Config) -> Result<ExitCode> {
    kernel::telemetry::init_logging(&config.log);
    kernel::telemetry::metrics();
    let database = Database::open(&config, Ownership::Shared).await?;
    if let Err(e) = kernel::db::migrate(&database.targets).await {
        database.close().await?;
        return Err(e);
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
    let background = jobs::Background::start(&state);
    tracing::info!(
        worker = background.worker().map(|w| w.name()).unwrap_or_default(),
        "worker started"
    );
    super::shutdown_signal().await;
    background.shutdown(grace).await;
    if let Some(n) = state.try_service::<kernel::notify::Notifier>() {
        n.stop();
    }
    db.close().await;
    authority.close().await;
    database.close().await?;
    tracing::info!("worker stopped");
    Ok(ExitCode::SUCCESS)
}
