//! Creating a cluster (`initdb`, roles, database, extension) and bringing
//! an existing one up to date (the roles added since).

use super::*;

/// Runs initdb and creates roles, database and extension, in `pg.init/`,
/// then renames it to `pg/`.
pub(super) async fn initialise(
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

pub(super) fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Creates the roles, the database and the `vector` extension.
pub(super) async fn bootstrap(cluster: &Cluster) -> Result<()> {
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
    ensure_cluster_setup(cluster).await
}

/// What a cluster made by an earlier release may lack, run at every start:
/// the workers' role (created, its password kept in step with the
/// secrets), and the leakproof text match (see
/// [`crate::db::LEAKPROOF_TEXT_MATCH`]).
pub(super) async fn ensure_cluster_setup(cluster: &Cluster) -> Result<()> {
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
    let mut su =
        PgConnection::connect_with(&cluster.connect_options(Role::Superuser).database(DATABASE))
            .await?;
    crate::db::ensure_text_match_leakproof(&mut su).await?;
    su.close().await?;
    Ok(())
}
