//! The database: pools, migrations, privileges and tenant transactions.
//!
//! The server connects as an application role that is neither superuser nor
//! `BYPASSRLS` and owns nothing; migrations run as the owner role. Tenant
//! data is reached only through [`Db::tenant`], a transaction that sets
//! `app.tenant_id` first, so row-level security applies to every query.
//!
//! Opening a tenant's transaction takes a [`TenantAccess`], which only the
//! [`Authority`] makes. The authority is created once, when the process
//! connects, and is given to identity (which turns verified credentials
//! into callers), to the job runner and to operators' commands — never to
//! request handlers, which reach their tenant only through their caller.

pub mod embedded;
mod inspect;
mod pool;

pub use inspect::{Inspection, inspect};

use std::time::Duration;

use anyhow::{Context, Result, bail};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};

use crate::config::{Config, DatabaseConfig};
use crate::ids::TenantId;

/// Every migration, embedded in the binary, in order.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// Connections of the workers' role per process: each queue's claim loop,
/// the heartbeat, the reaper, the dispatcher and the metrics share them.
const WORKER_CONNECTIONS: u32 = 8;
/// Oldest pgvector Tessera works with.
const MIN_PGVECTOR: (u32, u32) = (0, 7);
/// Oldest PostgreSQL Tessera works with.
const MIN_SERVER_VERSION_NUM: i32 = 150000;

/// Where to connect: the application role, the owner role and the
/// workers' role.
#[derive(Clone, Debug)]
pub struct Targets {
    /// The application role (no superuser, no BYPASSRLS, owns nothing).
    pub app: PgConnectOptions,
    /// The schema owner, for migrations and maintenance.
    pub owner: PgConnectOptions,
    /// The role that may run the job queue's functions (which see every
    /// tenant's queue); the application role may not.
    pub worker: PgConnectOptions,
}

impl Targets {
    /// The targets of `DATABASE_URL` / `DATABASE_OWNER_URL`.
    pub fn from_urls(config: &DatabaseConfig) -> Result<Targets> {
        let url = config.url.as_ref().context("DATABASE_URL is not set")?;
        let app: PgConnectOptions = url.expose().parse().with_context(|| {
            format!("DATABASE_URL ({}) is not a PostgreSQL URL", url.redacted())
        })?;
        let owner: PgConnectOptions = match &config.owner_url {
            Some(o) => o.expose().parse().with_context(|| {
                format!("DATABASE_OWNER_URL ({}) is not a PostgreSQL URL", o.redacted())
            })?,
            None => app.clone(),
        };
        let worker: PgConnectOptions = match &config.worker_url {
            Some(w) => w.expose().parse().with_context(|| {
                format!("DATABASE_WORKER_URL ({}) is not a PostgreSQL URL", w.redacted())
            })?,
            None => owner.clone(),
        };
        Ok(Targets {
            app: app.application_name("tessera"),
            owner: owner.application_name("tessera-owner"),
            worker: worker.application_name("tessera-worker"),
        })
    }

    /// Whether the server would connect as the schema owner (allowed, but
    /// weaker: the owner can change append-only tables).
    pub fn app_is_owner(&self) -> bool {
        self.app.get_username() == self.owner.get_username()
    }

    /// Whether the workers would use the schema owner's role (allowed:
    /// the owner holds the queue's functions too).
    pub fn worker_is_owner(&self) -> bool {
        self.worker.get_username() == self.owner.get_username()
    }
}

/// The database handle shared by the whole process: the application
/// role's pools. It opens tenant transactions for a [`TenantAccess`] and
/// global ones for anybody.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    tx_pool: std::sync::Arc<pool::ConnPool>,
    app: PgConnectOptions,
}

/// What only the platform may do with the database: grant access to any
/// tenant, run the job queue's functions (as the workers' role) and
/// connect as the schema owner. Made once by [`Db::connect_lazy`]; held
/// by identity, the job runner and operators' commands, never by request
/// handlers.
#[derive(Clone)]
pub struct Authority {
    inner: std::sync::Arc<AuthorityInner>,
}

struct AuthorityInner {
    owner: PgConnectOptions,
    worker: PgPool,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authority")
    }
}

impl Authority {
    /// Access to one tenant's rows.
    pub fn tenant(&self, tenant: TenantId) -> TenantAccess {
        TenantAccess { tenant }
    }

    /// Access to the system tenant (scheduled maintenance, anonymous
    /// requests' idempotency keys).
    pub fn system(&self) -> TenantAccess {
        TenantAccess { tenant: TenantId::SYSTEM }
    }

    /// The workers' pool: the only connections that may run the queue's
    /// `SECURITY DEFINER` functions.
    pub fn worker_pool(&self) -> &PgPool {
        &self.inner.worker
    }

    /// A connection as the schema owner (migrations, partition maintenance).
    pub async fn owner_connection(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.inner.owner).await
    }

    /// Closes the workers' pool.
    pub async fn close(&self) {
        self.inner.worker.close().await;
    }
}

/// Proof that the holder may work in one tenant: made by the [`Authority`]
/// for a verified caller, a claimed job or an operator. [`Db::tenant`]
/// opens that tenant's transactions with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantAccess {
    tenant: TenantId,
}

impl TenantAccess {
    /// The tenant.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }
}

impl Db {
    /// Pools for the application role: `max_connections` for tenant
    /// transactions and a quarter as many (at least 2) for global queries,
    /// and the [`Authority`] with its small pool of the workers' role.
    /// Connections are made on demand, so this succeeds while the database
    /// is down (`/readyz` reports it). Call from within a Tokio runtime.
    pub fn connect_lazy(targets: &Targets, config: &DatabaseConfig) -> (Db, Authority) {
        let timeout = Duration::from_secs(config.acquire_timeout_secs);
        let tx_pool = pool::ConnPool::new(targets.app.clone(), config.max_connections, timeout);
        let pool = PgPoolOptions::new()
            .max_connections((config.max_connections / 4).max(2))
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(config.acquire_timeout_secs))
            .idle_timeout(Duration::from_secs(600))
            // A round trip to test every connection before use would cost
            // as much as the query; only connections idle for a while are
            // tested. A connection that broke meanwhile fails its query
            // once and is discarded.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < Duration::from_secs(5) {
                        return Ok(true);
                    }
                    Ok(conn.ping().await.is_ok())
                })
            })
            .connect_lazy_with(targets.app.clone());
        let worker = PgPoolOptions::new()
            .max_connections(WORKER_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(600))
            .connect_lazy_with(targets.worker.clone());
        let authority = Authority {
            inner: std::sync::Arc::new(AuthorityInner { owner: targets.owner.clone(), worker }),
        };
        (Db { pool, tx_pool, app: targets.app.clone() }, authority)
    }

    /// (in use, idle, max) of the tenant-transaction pool and of the
    /// global pool, for metrics.
    pub fn pool_usage(&self) -> [(&'static str, u32, u32, u32); 2] {
        let (use_t, idle_t) = self.tx_pool.usage();
        let size = self.pool.size();
        let idle = self.pool.num_idle() as u32;
        [
            ("tenant", use_t, idle_t, self.tx_pool.max()),
            ("global", size.saturating_sub(idle), idle, self.pool.options().get_max_connections()),
        ]
    }

    /// The pool of the application role. Queries through it see no tenant
    /// rows (row-level security with no `app.tenant_id`): use it only for
    /// global tables and health checks; use [`Db::tenant`] for tenant data.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction on global (non-tenant) tables. No tenant is set, so
    /// row-level security hides every tenant row.
    pub async fn global(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    /// A transaction for one tenant: `app.tenant_id` is set locally before
    /// anything else, so every query in it is confined to that tenant's rows
    /// by row-level security. Commit it, or it rolls back when dropped.
    pub async fn tenant(&self, access: &TenantAccess) -> Result<TenantTx, sqlx::Error> {
        self.begin_tenant(access.tenant, false).await
    }

    /// A read-only transaction for one tenant (PostgreSQL refuses writes in
    /// it). Dropping it is the normal way to finish; its end travels with
    /// the next transaction's start, saving a round trip.
    pub async fn tenant_read(&self, access: &TenantAccess) -> Result<TenantTx, sqlx::Error> {
        self.begin_tenant(access.tenant, true).await
    }

    async fn begin_tenant(
        &self,
        tenant: TenantId,
        read_only: bool,
    ) -> Result<TenantTx, sqlx::Error> {
        let mut attempt = 0;
        loop {
            let mut conn = self.tx_pool.acquire().await?;
            // One round trip: the previous read-only transaction's end (if
            // pending), BEGIN and the setting travel together. The uuid is
            // formatted by us, never taken from text, so inlining is safe.
            // SET LOCAL is set_config(…, true) without a result row to send.
            let sql = format!(
                "{}BEGIN{}; SET LOCAL app.tenant_id = '{}'",
                if conn.state == pool::State::ReadOpen { "ROLLBACK; " } else { "" },
                if read_only { " READ ONLY" } else { "" },
                tenant.as_uuid().hyphenated()
            );
            match sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(conn.conn()).await {
                Ok(_) => {
                    return Ok(TenantTx {
                        conn: Some(conn),
                        tenant,
                        read_only,
                        staged: Staged::default(),
                    });
                }
                Err(e) if attempt == 0 && is_broken(&e) => {
                    // A pooled connection that died while idle: use another.
                    conn.discard();
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A separate small pool of the application role, for a subsystem
    /// that must not compete with requests for connections (the job
    /// queue). Global queries only, like [`Db::pool`].
    pub fn side_pool(&self, max_connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(600))
            .connect_lazy_with(self.app.clone())
    }

    /// A connection of the application role outside any pool (e.g. to hold
    /// a session-level advisory lock).
    pub async fn app_connection(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.app).await
    }

    /// Closes the pools.
    pub async fn close(&self) {
        self.tx_pool.close().await;
        self.pool.close().await;
    }
}

fn is_broken(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_))
}

/// A transaction confined to one tenant. Derefs to the connection, so
/// `query(..).execute(&mut *tx)` works; [`commit`](Self::commit) it (a
/// read-only one may simply be dropped).
///
/// Audit entries and events recorded in it are written by the commit
/// itself, so the tenant's chain heads are locked only while it commits.
pub struct TenantTx {
    conn: Option<pool::Pooled>,
    tenant: TenantId,
    read_only: bool,
    staged: Staged,
}

/// What a transaction writes when it commits.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    pub(crate) audit: Vec<crate::audit::Staged>,
    pub(crate) events: Vec<crate::outbox::Staged>,
}

impl std::fmt::Debug for TenantTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantTx")
            .field("tenant", &self.tenant)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl TenantTx {
    /// The tenant this transaction is confined to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// What the commit will write.
    pub(crate) fn staged(&mut self) -> &mut Staged {
        &mut self.staged
    }

    /// Commits: writes the staged audit entries and events (appending them
    /// to the tenant's chains), records an idempotent request's outcome,
    /// and commits, all or nothing.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let staged = std::mem::take(&mut self.staged);
        let tenant = self.tenant;
        let Some(mut conn) = self.conn.take() else { return Ok(()) };
        if self.read_only {
            conn.release(pool::State::ReadOpen);
            if !staged.audit.is_empty() || !staged.events.is_empty() {
                return Err(sqlx::Error::Protocol(
                    "audit entries or events recorded in a read-only transaction".into(),
                ));
            }
            return Ok(());
        }
        let before = async {
            crate::idempotency::record_commit(conn.conn()).await?;
            if !staged.audit.is_empty() {
                crate::audit::append(conn.conn(), tenant, staged.audit).await?;
            }
            if !staged.events.is_empty() {
                crate::outbox::append(conn.conn(), tenant, staged.events).await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Err(e) = before {
            // Dropping the connection rolls the transaction back.
            drop(conn);
            return Err(e);
        }
        match sqlx::raw_sql("COMMIT").execute(conn.conn()).await {
            Ok(_) => {
                conn.release(pool::State::Clean);
                Ok(())
            }
            Err(e) => {
                if is_broken(&e) {
                    conn.discard();
                }
                Err(e)
            }
        }
    }

    /// Rolls back (also done when dropped).
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let Some(mut conn) = self.conn.take() else { return Ok(()) };
        match sqlx::raw_sql("ROLLBACK").execute(conn.conn()).await {
            Ok(_) => {
                conn.release(pool::State::Clean);
                Ok(())
            }
            Err(e) => {
                conn.discard();
                Err(e)
            }
        }
    }

    fn pooled(&self) -> &pool::Pooled {
        #[allow(clippy::expect_used)]
        self.conn.as_ref().expect("an open transaction has its connection")
    }
}

impl Drop for TenantTx {
    fn drop(&mut self) {
        // A write transaction's connection rolls back in the background.
        if let Some(conn) = self.conn.take()
            && self.read_only
        {
            conn.release(pool::State::ReadOpen);
        }
    }
}

impl std::ops::Deref for TenantTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.pooled().conn_ref()
    }
}

impl std::ops::DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        #[allow(clippy::expect_used)]
        self.conn.as_mut().expect("an open transaction has its connection").conn()
    }
}

/// What a migration run did.
#[derive(Debug, Clone)]
pub struct MigrateReport {
    /// Migrations applied by this run.
    pub applied: Vec<i64>,
    /// pgvector's version.
    pub pgvector: String,
    /// Whether full-text matches may use their index under row-level
    /// security (see [`LEAKPROOF_TEXT_MATCH`]).
    pub text_match_indexed: bool,
}

/// Marks PostgreSQL's text-search match (`tsvector @@ tsquery`) leakproof.
///
/// Row-level security lets the planner evaluate, before the tenant policy,
/// only functions marked leakproof; `@@` is not, so under the policy a
/// full-text search cannot use its GIN index and reads every chunk of the
/// company instead (tens of milliseconds per query at 40,000 chunks, and
/// worse beyond). `ts_match_vq` only compares lexemes, raises no error that
/// depends on the row, and has no side effects, which is what leakproof
/// promises. Only a superuser may say so: the embedded cluster does it
/// itself; with an external database an administrator runs this once.
pub const LEAKPROOF_TEXT_MATCH: &str =
    "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF";

/// Whether `@@` is leakproof in the connected database; if not, tries to
/// make it so (which succeeds only for a superuser).
pub async fn ensure_text_match_leakproof(conn: &mut PgConnection) -> Result<bool> {
    let check = crate::sql!(
        "SELECT proleakproof FROM pg_proc WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure"
    );
    let (leakproof,): (bool,) = sqlx::query_as(check).fetch_one(&mut *conn).await?;
    if leakproof {
        return Ok(true);
    }
    let (superuser,): (bool,) =
        sqlx::query_as(crate::sql!("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
            .fetch_one(&mut *conn)
            .await?;
    if superuser {
        sqlx::raw_sql(LEAKPROOF_TEXT_MATCH).execute(&mut *conn).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Checks the server, applies pending migrations as the owner, and grants
/// the application role its privileges. Safe to run concurrently (an
/// advisory lock serialises runs) and repeatedly.
pub async fn migrate(targets: &Targets) -> Result<MigrateReport> {
    let mut conn = PgConnection::connect_with(&targets.owner)
        .await
        .context("connecting as the schema owner to run migrations")?;
    check_server(&mut conn).await?;
    let pgvector = ensure_pgvector(&mut conn).await?;
    let before = applied_versions(&mut conn).await.unwrap_or_default();
    MIGRATOR.run(&mut conn).await.context("running migrations")?;
    let after = applied_versions(&mut conn).await?;
    let applied = after.into_iter().filter(|v| !before.contains(v)).collect();
    if targets.worker.get_username() == targets.app.get_username() && !targets.app_is_owner() {
        bail!(
            "DATABASE_WORKER_URL uses the application role `{}`: the workers' role must be \
             another role (or leave it unset to use the owner's)",
            targets.app.get_username()
        );
    }
    if targets.app_is_owner() {
        tracing::warn!(
            role = targets.app.get_username(),
            "the server connects as the schema owner; use a separate application role \
             (DATABASE_URL) and owner role (DATABASE_OWNER_URL) for full isolation"
        );
    } else {
        grant_app_privileges(&mut conn, targets.app.get_username()).await?;
    }
    let worker = (!targets.worker_is_owner()).then(|| targets.worker.get_username());
    let app = (!targets.app_is_owner()).then(|| targets.app.get_username());
    grant_function_privileges(&mut conn, app, worker).await?;
    let text_match_indexed = ensure_text_match_leakproof(&mut conn).await?;
    if !text_match_indexed {
        let (db,): (String,) =
            sqlx::query_as(crate::sql!("SELECT current_database()")).fetch_one(&mut conn).await?;
        tracing::warn!(
            database = db,
            "full-text search cannot use its index under row-level security, so text search \
             slows with a company's size: run `{LEAKPROOF_TEXT_MATCH};` once in this database \
             as a superuser"
        );
    }
    conn.close().await?;
    Ok(MigrateReport { applied, pgvector, text_match_indexed })
}

async fn applied_versions(conn: &mut PgConnection) -> Result<Vec<i64>> {
    let exists: (bool,) =
        sqlx::query_as(crate::sql!("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL"))
            .fetch_one(&mut *conn)
            .await?;
    if !exists.0 {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64,)> = sqlx::query_as(crate::sql!(
        "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version"
    ))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

async fn check_server(conn: &mut PgConnection) -> Result<()> {
    let (num, text): (String, String) = sqlx::query_as(crate::sql!(
        "SELECT current_setting('server_version_num'), current_setting('server_version')"
    ))
    .fetch_one(&mut *conn)
    .await?;
    if num.parse::<i32>().unwrap_or(0) < MIN_SERVER_VERSION_NUM {
        bail!("PostgreSQL {text} is too old: Tessera needs PostgreSQL 15 or later");
    }
    Ok(())
}

fn parse_version(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Makes sure the `vector` extension is installed, or explains how to.
pub async fn ensure_pgvector(conn: &mut PgConnection) -> Result<String> {
    let (db, role): (String, String) =
        sqlx::query_as(crate::sql!("SELECT current_database(), current_user"))
            .fetch_one(&mut *conn)
            .await?;
    let installed: Option<(String,)> =
        sqlx::query_as(crate::sql!("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
            .fetch_optional(&mut *conn)
            .await?;
    let version = match installed {
        Some((v,)) => v,
        None => {
            let available: Option<(Option<String>,)> = sqlx::query_as(crate::sql!(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
            ))
            .fetch_optional(&mut *conn)
            .await?;
            if available.is_none() {
                bail!(
                    "the pgvector extension is not available on this PostgreSQL server: install \
                     pgvector {}.{} or later (e.g. Debian's postgresql-NN-pgvector package) on the \
                     server, then run `CREATE EXTENSION vector;` in database `{db}`",
                    MIN_PGVECTOR.0,
                    MIN_PGVECTOR.1
                );
            }
            if let Err(e) =
                sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS vector").execute(&mut *conn).await
            {
                bail!(
                    "pgvector is available but not installed in database `{db}`, and role `{role}` \
                     may not install it ({e}): run `CREATE EXTENSION vector;` in `{db}` as a superuser"
                );
            }
            let (v,): (String,) = sqlx::query_as(crate::sql!(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ))
            .fetch_one(&mut *conn)
            .await?;
            v
        }
    };
    if parse_version(&version) < MIN_PGVECTOR {
        bail!(
            "pgvector {version} in database `{db}` is too old: Tessera needs {}.{} or later \
             (`ALTER EXTENSION vector UPDATE;` after upgrading the package)",
            MIN_PGVECTOR.0,
            MIN_PGVECTOR.1
        );
    }
    Ok(version)
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Grants the application role what it may do: read and write every table,
/// except the tables listed in `app_table_privileges` (e.g. append-only
/// audit tables, insert and select only), the migration history (read
/// only) and partitions (nothing: they are reached through their parent).
pub async fn grant_app_privileges(conn: &mut PgConnection, app_role: &str) -> Result<()> {
    let role = quote_ident(app_role);
    let mut sql = vec![
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("REVOKE ALL ON _sqlx_migrations FROM {role}"),
        format!("GRANT SELECT ON _sqlx_migrations TO {role}"),
    ];
    // Listed tables get exactly the listed privileges.
    let listed: Vec<(String, String)> = sqlx::query_as(crate::sql!(
        "SELECT p.table_name, p.privileges FROM app_table_privileges p
           JOIN pg_class c ON c.relname = p.table_name
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'"
    ))
    .fetch_all(&mut *conn)
    .await?;
    for (table, privileges) in listed {
        check_privilege_list(&privileges)?;
        let t = quote_ident(&table);
        sql.push(format!("REVOKE ALL ON {t} FROM {role}"));
        sql.push(format!("GRANT {privileges} ON {t} TO {role}"));
    }
    // Partitions are reached only through their parent (whose policies
    // apply); direct access would bypass row-level security.
    let partitions: Vec<(String,)> = sqlx::query_as(crate::sql!(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relispartition AND c.relkind IN ('r', 'p')"
    ))
    .fetch_all(&mut *conn)
    .await?;
    for (p,) in partitions {
        sql.push(format!("REVOKE ALL ON {} FROM {role}", quote_ident(&p)));
    }
    let mut tx = conn.begin().await?;
    for s in sql {
        sqlx::raw_sql(sqlx::AssertSqlSafe(s)).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Keeps the functions listed in `privileged_functions` out of reach of
/// PUBLIC and the application role, and grants the workers' ones to the
/// workers' role (when it is not the owner, who holds them anyway).
pub async fn grant_function_privileges(
    conn: &mut PgConnection,
    app_role: Option<&str>,
    worker_role: Option<&str>,
) -> Result<()> {
    let listed: Vec<(String, String)> = sqlx::query_as(crate::sql!(
        "SELECT f.name, f.role FROM privileged_functions f
          WHERE EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                         WHERE n.nspname = 'public' AND p.proname = f.name)
          ORDER BY f.name"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut sql = Vec::new();
    if let Some(w) = worker_role {
        sql.push(format!("GRANT USAGE ON SCHEMA public TO {}", quote_ident(w)));
    }
    for (name, role) in listed {
        let f = quote_ident(&name);
        sql.push(format!("REVOKE EXECUTE ON FUNCTION {f} FROM PUBLIC"));
        if let Some(app) = app_role {
            sql.push(format!("REVOKE EXECUTE ON FUNCTION {f} FROM {}", quote_ident(app)));
        }
        if let (Some(w), "worker") = (worker_role, role.as_str()) {
            sql.push(format!("GRANT EXECUTE ON FUNCTION {f} TO {}", quote_ident(w)));
        }
    }
    let mut tx = conn.begin().await?;
    for s in sql {
        sqlx::raw_sql(sqlx::AssertSqlSafe(s)).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn check_privilege_list(list: &str) -> Result<()> {
    for p in list.split(',') {
        match p.trim().to_ascii_uppercase().as_str() {
            "SELECT" | "INSERT" | "UPDATE" | "DELETE" => {}
            other => bail!("app_table_privileges lists an unknown privilege `{other}`"),
        }
    }
    Ok(())
}

/// Which migrations the database has, compared with this binary's.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationStatus {
    /// Applied successfully.
    pub applied: usize,
    /// Known to this binary but not applied.
    pub pending: Vec<i64>,
    /// Applied but unknown to this binary (a newer binary migrated it).
    pub unknown: Vec<i64>,
}

impl MigrationStatus {
    /// Whether the schema is exactly what this binary expects.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Reads the migration history (needs only SELECT on it).
pub async fn migration_status(conn: &mut PgConnection) -> Result<MigrationStatus, sqlx::Error> {
    let exists: (bool,) =
        sqlx::query_as(crate::sql!("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL"))
            .fetch_one(&mut *conn)
            .await?;
    let applied: Vec<(i64,)> = if exists.0 {
        sqlx::query_as(crate::sql!("SELECT version FROM _sqlx_migrations WHERE success"))
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    let applied: Vec<i64> = applied.into_iter().map(|r| r.0).collect();
    let known: Vec<i64> =
        MIGRATOR.iter().filter(|m| m.migration_type.is_up_migration()).map(|m| m.version).collect();
    Ok(MigrationStatus {
        applied: applied.len(),
        pending: known.iter().copied().filter(|v| !applied.contains(v)).collect(),
        unknown: applied.iter().copied().filter(|v| !known.contains(v)).collect(),
    })
}

/// The targets a configuration implies, for modes that do not embed.
pub fn external_targets(config: &Config) -> Result<Targets> {
    Targets::from_urls(&config.database)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(parse_version("0.8.1") >= MIN_PGVECTOR);
        assert!(parse_version("0.6.2") < MIN_PGVECTOR);
        assert!(parse_version("1.0") >= MIN_PGVECTOR);
    }

    #[test]
    fn privilege_lists() {
        assert!(check_privilege_list("SELECT, INSERT").is_ok());
        assert!(check_privilege_list("SELECT; DROP TABLE x").is_err());
    }

    #[test]
    fn idents() {
        assert_eq!(quote_ident("app\"x"), "\"app\"\"x\"");
    }
}
