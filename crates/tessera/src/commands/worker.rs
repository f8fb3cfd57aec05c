//! `tessera worker`: background workers without the HTTP server.

use std::process::ExitCode;

use anyhow::Result;
use kernel::Config;

use crate::runtime::{Database, Ownership};

pub async fn run(config: Config) -> Result<ExitCode> {
    kernel::telemetry::init_logging(&config.log);
    let db = Database::open(&config, Ownership::Shared).await?;
    kernel::db::migrate(&db.targets).await?;
    tracing::info!("worker started");
    super::shutdown_signal().await;
    db.close().await?;
    Ok(ExitCode::SUCCESS)
}
