//! Bringing up the database for a command: the embedded cluster, or the
//! server named by `DATABASE_URL`.

use anyhow::Result;
use kernel::Config;
use kernel::db::Targets;
use kernel::db::embedded::{Cluster, ClusterOptions, Role};

/// How a command wants the embedded cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Start and supervise it; fail if another process does.
    Exclusive,
    /// Use the one another process supervises, or start one.
    Shared,
}

/// The database of this process.
pub struct Database {
    /// The embedded cluster, when there is no `DATABASE_URL`.
    pub cluster: Option<Cluster>,
    /// Where the application and owner roles connect.
    pub targets: Targets,
}

impl Database {
    /// Starts or attaches to the embedded cluster, or reads `DATABASE_URL`.
    pub async fn open(config: &Config, ownership: Ownership) -> Result<Database> {
        if !config.embedded() {
            return Ok(Database { cluster: None, targets: Targets::from_urls(&config.database)? });
        }
        let opts = ClusterOptions::from_config(config);
        let cluster = match ownership {
            Ownership::Exclusive => Cluster::start(&opts).await?,
            Ownership::Shared => Cluster::attach_or_start(&opts).await?,
        };
        let targets = Targets {
            app: cluster.connect_options(Role::App),
            owner: cluster.connect_options(Role::Owner),
            worker: cluster.connect_options(Role::Worker),
        };
        Ok(Database { cluster: Some(cluster), targets })
    }

    /// Stops the embedded cluster if this process supervises it.
    pub async fn close(self) -> Result<()> {
        if let Some(c) = self.cluster {
            c.stop().await?;
        }
        Ok(())
    }
}
