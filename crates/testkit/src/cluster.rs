//! The shared test cluster and per-test databases.

use std::path::PathBuf;
use std::sync::OnceLock;

use kernel::db::Targets;
use kernel::db::embedded::{Cluster, ClusterOptions, OWNER_ROLE, Role};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

/// The workspace's root directory.
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Where test state lives: `target/tessera-test` (or `TESSERA_TEST_ROOT`).
/// Falls back to the temp directory when that path is too long for a socket.
pub fn test_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        if let Some(p) = std::env::var_os("TESSERA_TEST_ROOT") {
            return PathBuf::from(p);
        }
        let p = workspace().join("target").join("tessera-test");
        if p.as_os_str().len() > 60 {
            std::env::temp_dir().join(format!("tessera-test-{}", nix_uid()))
        } else {
            p
        }
    })
    .clone()
}

fn nix_uid() -> u32 {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap_or(0)
}

/// Where PostgreSQL is installed for tests: `TESSERA_RUNTIME_DIR`, else the
/// workspace's `data/runtime` (what `make` sets up).
pub fn runtime_dir() -> PathBuf {
    std::env::var_os("TESSERA_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("data").join("runtime"))
}

/// Installs PostgreSQL into the runtime directory if it is missing (a
/// fresh checkout can run `cargo test` directly). Serialised across
/// processes by a lock file.
pub fn ensure_runtime() {
    let runtime = runtime_dir();
    if kernel::assets::POSTGRES.is_installed(&runtime) {
        return;
    }
    std::fs::create_dir_all(&runtime).expect("create runtime dir");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(runtime.join(".setup.lock"))
        .expect("open setup lock");
    let _guard = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .expect("lock setup");
    kernel::assets::ensure(
        &kernel::assets::POSTGRES,
        &runtime,
        &mut kernel::assets::StderrProgress,
    )
    .expect("install PostgreSQL for tests");
}

/// Options of a cluster in `data_dir` using the test runtime.
pub fn cluster_options(data_dir: PathBuf) -> ClusterOptions {
    let config =
        kernel::Config { data_dir, runtime_dir: Some(runtime_dir()), ..kernel::Config::default() };
    ClusterOptions::from_config(&config)
}

struct Shared {
    cluster: Cluster,
    template: String,
}

static SHARED: OnceCell<Shared> = OnceCell::const_new();

/// The cluster every test shares (started on first use).
pub async fn shared_cluster() -> &'static Cluster {
    &shared().await.cluster
}

async fn shared() -> &'static Shared {
    SHARED
        .get_or_init(|| async {
            tokio::task::spawn_blocking(ensure_runtime).await.expect("setup thread");
            let dir = test_root().join("cluster");
            let cluster = Cluster::start_detached(&cluster_options(dir))
                .await
                .unwrap_or_else(|e| panic!("cannot start the test cluster: {e:#}"));
            let template = ensure_template(&cluster).await;
            Shared { cluster, template }
        })
        .await
}

/// Name of the template for the current migrations.
fn template_name() -> String {
    let mut h = Sha256::new();
    for m in kernel::db::MIGRATOR.iter() {
        h.update(m.version.to_le_bytes());
        h.update(&*m.checksum);
    }
    format!("tmpl_{}", &hex::encode(h.finalize())[..16])
}

async fn superuser(cluster: &Cluster, db: &str) -> PgConnection {
    PgConnection::connect_with(&cluster.connect_options(Role::Superuser).database(db))
        .await
        .unwrap_or_else(|e| panic!("connect to the test cluster: {e}"))
}

async fn ensure_template(cluster: &Cluster) -> String {
    let name = template_name();
    let mut su = superuser(cluster, "postgres").await;
    sqlx::query("SELECT pg_advisory_lock(727274)").execute(&mut su).await.expect("lock");
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut su)
        .await
        .expect("query pg_database");
    if exists.is_none() {
        let building = format!("{name}_build");
        exec(&mut su, &format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)")).await;
        exec(&mut su, &format!("CREATE DATABASE \"{building}\" OWNER {OWNER_ROLE}")).await;
        {
            let mut b = superuser(cluster, &building).await;
            exec(&mut b, "CREATE EXTENSION IF NOT EXISTS vector").await;
            exec(&mut b, kernel::db::LEAKPROOF_TEXT_MATCH).await;
            b.close().await.ok();
        }
        let targets = Targets {
            app: cluster.connect_options(Role::App).database(&building),
            owner: cluster.connect_options(Role::Owner).database(&building),
            worker: cluster.connect_options(Role::Worker).database(&building),
        };
        kernel::db::migrate(&targets)
            .await
            .unwrap_or_else(|e| panic!("migrate the template: {e:#}"));
        exec(&mut su, &format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\"")).await;
        exec(&mut su, &format!("ALTER DATABASE \"{name}\" IS_TEMPLATE true")).await;
        // Templates of earlier migrations are no longer needed.
        let stale: Vec<(String,)> = sqlx::query_as(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'tmpl\\_%' AND datname <> $1",
        )
        .bind(&name)
        .fetch_all(&mut su)
        .await
        .unwrap_or_default();
        for (old,) in stale {
            exec(&mut su, &format!("ALTER DATABASE \"{old}\" IS_TEMPLATE false")).await;
            exec(&mut su, &format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)")).await;
        }
    }
    sqlx::query("SELECT pg_advisory_unlock(727274)").execute(&mut su).await.expect("unlock");
    su.close().await.ok();
    name
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A fresh, migrated database of the shared cluster, dropped on drop.
pub struct TestDb {
    /// Its name.
    pub name: String,
    /// Application and owner roles, connected to it.
    pub targets: Targets,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl TestDb {
    /// Clones the template into a new database.
    pub async fn create() -> TestDb {
        let shared = shared().await;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut su = superuser(&shared.cluster, "postgres").await;
        exec(
            &mut su,
            &format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{}\" OWNER {OWNER_ROLE}",
                shared.template
            ),
        )
        .await;
        su.close().await.ok();
        let targets = Targets {
            app: shared.cluster.connect_options(Role::App).database(&name),
            owner: shared.cluster.connect_options(Role::Owner).database(&name),
            worker: shared.cluster.connect_options(Role::Worker).database(&name),
        };
        TestDb { name, targets }
    }

    /// A connection as the schema owner (to tamper with rows in tests).
    pub async fn owner(&self) -> PgConnection {
        PgConnection::connect_with(&self.targets.owner).await.expect("connect as owner")
    }

    /// A connection as the cluster's superuser (bypasses row-level
    /// security: only for checking what the roles cannot see).
    pub async fn superuser(&self) -> PgConnection {
        PgConnection::connect_with(&self.superuser_options()).await.expect("connect as superuser")
    }

    /// How to connect as the superuser to this database.
    pub fn superuser_options(&self) -> sqlx::postgres::PgConnectOptions {
        #[allow(clippy::expect_used)]
        let shared = SHARED.get().expect("the shared cluster is running");
        shared.cluster.connect_options(Role::Superuser).database(&self.name)
    }

    /// A connection as the application role.
    pub async fn app(&self) -> PgConnection {
        PgConnection::connect_with(&self.targets.app).await.expect("connect as app")
    }

    /// A connection as the workers' role.
    pub async fn worker(&self) -> PgConnection {
        PgConnection::connect_with(&self.targets.worker).await.expect("connect as worker")
    }

    /// `postgres://` URLs of the application and owner roles.
    pub async fn urls(&self) -> (String, String) {
        let c = shared_cluster().await;
        (c.url(Role::App, &self.name), c.url(Role::Owner, &self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(shared) = SHARED.get() else { return };
        let opts = shared.cluster.connect_options(Role::Superuser).database("postgres");
        let name = self.name.clone();
        // A thread with its own runtime: Drop may run inside an async test.
        // The wait is bounded: the test's own runtime is blocked here, so a
        // connection it was opening cannot finish its handshake, and the
        // drop waits for that backend; once this returns and the runtime
        // ends, the connection closes and the drop (already sent) proceeds.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut su = PgConnection::connect_with(&opts).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut su).await.ok()?;
                su.close().await.ok()
            });
            done_tx.send(()).ok()
        });
        let _ = done_rx.recv_timeout(std::time::Duration::from_secs(2));
    }
}

/// Installs the local models into the runtime directory if they are
/// missing (what `tessera setup` does), serialised across processes.
pub fn ensure_models() {
    let runtime = runtime_dir();
    let assets = [&kernel::assets::MINILM, &kernel::assets::GEMMA];
    if assets.iter().all(|a| a.is_installed(&runtime)) {
        return;
    }
    std::fs::create_dir_all(&runtime).expect("create runtime dir");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(runtime.join(".setup.lock"))
        .expect("open setup lock");
    let _guard = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .expect("lock setup");
    for a in assets {
        kernel::assets::ensure(a, &runtime, &mut kernel::assets::StderrProgress)
            .expect("install a model for tests");
    }
}
