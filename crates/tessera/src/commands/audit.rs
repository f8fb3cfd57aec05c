//! `tessera audit verify`: check every tenant's hash chain.

use std::process::ExitCode;

use anyhow::{Result, bail};
use kernel::Config;
use kernel::db::Db;
use kernel::ids::TenantId;

use crate::runtime::{Database, Ownership};

pub async fn verify(config: &Config, only: Option<&str>) -> Result<ExitCode> {
    super::quiet_logging();
    let database = Database::open(config, Ownership::Shared).await?;
    let result = run(config, &database, only).await;
    database.close().await?;
    result
}

async fn run(config: &Config, database: &Database, only: Option<&str>) -> Result<ExitCode> {
    let db = Db::connect_lazy(&database.targets, &config.database);
    let tenants: Vec<(TenantId, String)> = match only {
        Some(t) => {
            let row: Option<(TenantId, String)> =
                sqlx::query_as("SELECT id, slug FROM tenants WHERE id::text = $1 OR slug = $1")
                    .bind(t)
                    .fetch_optional(db.pool())
                    .await?;
            match row {
                Some(r) => vec![r],
                None => bail!("no tenant with id or URL name `{t}`"),
            }
        }
        None => {
            sqlx::query_as("SELECT id, slug FROM tenants ORDER BY created_at")
                .fetch_all(db.pool())
                .await?
        }
    };
    let mut broken = 0;
    for (id, slug) in &tenants {
        let mut tx = db.tenant_read(*id).await?;
        let v = identity::audit::verify(&mut tx, *id).await?;
        drop(tx);
        match v.broken {
            None => println!("✓ {slug} ({id}): {} rows, chain intact", v.rows),
            Some(b) => {
                broken += 1;
                println!("✗ {slug} ({id}): {} rows, broken at row {}: {}", v.rows, b.seq, b.reason);
            }
        }
    }
    db.close().await;
    if tenants.is_empty() {
        println!("No tenants yet.");
    }
    Ok(if broken > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
