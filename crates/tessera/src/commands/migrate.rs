//! `tessera migrate`: apply pending migrations.

use std::process::ExitCode;

use anyhow::Result;
use kernel::Config;

use crate::runtime::{Database, Ownership};

pub async fn run(config: &Config) -> Result<ExitCode> {
    super::quiet_logging();
    let db = Database::open(config, Ownership::Shared).await?;
    let result = kernel::db::migrate(&db.targets).await;
    db.close().await?;
    let report = result?;
    if report.applied.is_empty() {
        println!("The database is up to date (pgvector {}).", report.pgvector);
    } else {
        println!("Applied {} migration(s): {:?}", report.applied.len(), report.applied);
    }
    Ok(ExitCode::SUCCESS)
}
