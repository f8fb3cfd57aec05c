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
    let (db, authority) = Db::connect_lazy(&database.targets, &config.database);
    let tenants: Vec<(TenantId, String)> = {
        let mut conn = db.pool().acquire().await?;
        match only {
            Some(t) => match identity::repo::tenant_by_ref(&mut conn, t).await? {
                Some(r) => vec![r],
                None => bail!("no tenant with id or URL name `{t}`"),
            },
            None => identity::repo::all_tenants(&mut conn).await?,
        }
    };
    let mut broken = 0;
    for (id, slug) in &tenants {
        let mut tx = db.tenant_read(&authority.tenant(*id)).await?;
        let v = identity::audit::verify(&mut tx).await?;
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
    authority.close().await;
    if tenants.is_empty() {
        println!("No tenants yet.");
    }
    Ok(if broken > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
