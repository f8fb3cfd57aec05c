//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use kernel::config::{Config, ConfigError, Sources};

/// Tessera: a self-hostable, multi-tenant, AI-native business platform.
///
/// Configuration comes from `tessera.toml` (or --config), then `TESSERA_*`
/// environment variables (`TESSERA_HTTP__PORT`, `TESSERA_DATA_DIR`, …,
/// plus `TESSERA_PORT`, `DATABASE_URL`, `DATABASE_OWNER_URL`), then flags.
#[derive(Debug, Parser)]
#[command(name = "tessera", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Configuration file (default: ./tessera.toml when present).
    #[arg(long, global = true, env = "TESSERA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Data directory: embedded database, secrets and stored files [default: ./data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download and verify PostgreSQL (and the local models) once.
    ///
    /// Idempotent and resumable: run it again after a failure.
    Setup(SetupArgs),
    /// Run the HTTP API, the console and the background workers.
    ///
    /// Without DATABASE_URL, runs a private PostgreSQL in the data directory.
    Serve(ServeArgs),
    /// Run background workers only (for scaling out).
    Worker,
    /// Apply pending database migrations.
    Migrate,
    /// Check the installation and print the effective configuration.
    Doctor,
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The keys that sign access tokens.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Background jobs of every tenant (for operators).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Local stand-ins for government and partner services, for trying things out and
    /// for tests: they speak the real protocol, keep everything in memory
    /// and sign with published test keys.
    #[command(subcommand)]
    Standin(StandinCommand),
}

/// `tessera standin …`
#[derive(Debug, Subcommand)]
pub enum StandinCommand {
    /// The NIC e-invoice registration portal (IRP): login, generate, get
    /// and cancel IRNs. Its public keys and test credentials are at
    /// `/_standin/keys`.
    Irp {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8088)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
    },
    /// Meta's Graph API as WhatsApp and Instagram channels send through it:
    /// accepts messages with the access token `standin-graph-token`, lists
    /// them at `/_standin/messages`, and fails on request
    /// (`POST /_standin/faults`).
    Graph {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8089)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
    },
}

/// `tessera jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Queue depths: queued, running and dead jobs per queue.
    Stats,
    /// Jobs across tenants, newest first.
    List {
        /// Only this state: queued, running, succeeded, dead or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// Only this queue.
        #[arg(long)]
        queue: Option<String>,
        /// Only this tenant (id or URL name; `system` for system jobs).
        #[arg(long)]
        tenant: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put a dead or cancelled job back on the queue with fresh attempts.
    Retry {
        /// The job's id.
        id: String,
    },
    /// Cancel a queued job, or ask a running one to stop.
    Cancel {
        /// The job's id.
        id: String,
    },
}

/// `tessera audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every tenant's hash chain and report the first broken link.
    ///
    /// Exits with status 1 when a row was changed, removed or rewritten.
    Verify {
        /// Only this tenant (id or URL name).
        #[arg(long)]
        tenant: Option<String>,
    },
}

/// `tessera keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Start signing access tokens with a new key. Tokens signed with the
    /// old key keep working until they expire; other nodes pick the new
    /// key up within a minute.
    Rotate,
}

/// Arguments of `setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Where to install PostgreSQL and the models [default: <data-dir>/runtime].
    #[arg(long, value_name = "DIR")]
    pub runtime_dir: Option<PathBuf>,
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on [default: 8080; 0 picks a free port].
    #[arg(long, short)]
    pub port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long)]
    pub host: Option<String>,
}

impl Cli {
    /// Loads the configuration with this command's flags on top.
    pub fn load_config(&self) -> Result<Config, ConfigError> {
        let mut sources = Sources::from_env(self.config.clone());
        match &self.command {
            Command::Setup(a) => {
                let dir = a.runtime_dir.as_deref().map(path_value);
                sources.flag("runtime_dir", "--runtime-dir", dir);
            }
            Command::Serve(a) => {
                sources.flag("http.port", "--port", a.port.map(i64::from));
                sources.flag("http.host", "--host", a.host.clone());
            }
            Command::Worker
            | Command::Migrate
            | Command::Doctor
            | Command::Audit(_)
            | Command::Keys(_)
            | Command::Standin(_)
            | Command::Jobs(_) => {}
        }
        sources.flag("data_dir", "--data-dir", self.data_dir.as_deref().map(path_value));
        Config::load(&sources)
    }
}

fn path_value(p: &std::path::Path) -> String {
    p.display().to_string()
}
