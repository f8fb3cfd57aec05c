//! `tessera keys rotate`: a new signing key for access tokens.

use std::process::ExitCode;

use anyhow::Result;
use kernel::Config;
use kernel::crypto::SecretBox;
use kernel::db::Db;

use crate::runtime::{Database, Ownership};

pub async fn rotate(config: &Config) -> Result<ExitCode> {
    super::quiet_logging();
    let database = Database::open(config, Ownership::Shared).await?;
    let result = async {
        kernel::db::migrate(&database.targets).await?;
        let (db, authority) = Db::connect_lazy(&database.targets, &config.database);
        let ring = identity::tokens::KeyRing::load(&db, SecretBox::from_config(config)?).await?;
        let kid = ring.rotate(&db).await?;
        let mut conn = db.pool().acquire().await?;
        kernel::notify::notify(&mut conn, identity::auth::CHANNEL, "keys").await?;
        drop(conn);
        db.close().await;
        authority.close().await;
        anyhow::Ok(kid)
    }
    .await;
    database.close().await?;
    println!("Access tokens are now signed with key {}.", result?);
    Ok(ExitCode::SUCCESS)
}
