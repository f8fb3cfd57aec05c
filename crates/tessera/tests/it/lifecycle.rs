//! The binary's life: cold start, restarts, SIGKILL, root, DATABASE_URL.

use crate::common;

use std::time::Duration;

use common::{Server, data_dir, owner_conn, postmaster_pid, tessera, wait_for};
use nix::sys::signal::Signal;

async fn write_row(dir: &std::path::Path, value: &str) {
    let mut c = owner_conn(dir).await;
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS keepsake (v text)").execute(&mut c).await.unwrap();
    sqlx::query("INSERT INTO keepsake VALUES ($1)").bind(value).execute(&mut c).await.unwrap();
}

async fn rows(dir: &std::path::Path) -> Vec<String> {
    let mut c = owner_conn(dir).await;
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT v FROM keepsake ORDER BY v").fetch_all(&mut c).await.unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn cold_start_then_restart_keeps_data() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("--config").arg("/dev/null").env("TESSERA_DATA_DIR", dir.path());
    let server = Server::start(cmd);
    assert!(
        server.ready_after < Duration::from_secs(10),
        "first start took {:?}",
        server.ready_after
    );
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(dir.path().join("pg/PG_VERSION").exists());
    assert!(!dir.path().join("pg.init").exists());
    let pid = postmaster_pid(dir.path()).expect("postgres runs");
    write_row(dir.path(), "before restart").await;

    let log = server.stop();
    assert!(log.contains("\"message\":\"stopped\""), "{log}");
    assert!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err(),
        "postgres stopped with the server"
    );
    assert!(postmaster_pid(dir.path()).is_none());

    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    assert!(server.ready_after < Duration::from_secs(5), "restart took {:?}", server.ready_after);
    assert_eq!(server.get("/readyz").await.0, 200);
    assert_eq!(rows(dir.path()).await, vec!["before restart"]);
    server.stop();
}

#[tokio::test]
async fn sigkill_then_start_keeps_committed_data() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    write_row(dir.path(), "committed").await;
    server.signal(Signal::SIGKILL);
    let _ = server.wait(Duration::from_secs(10));

    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    assert_eq!(server.get("/readyz").await.0, 200);
    assert_eq!(rows(dir.path()).await, vec!["committed"]);
    server.stop();
}

#[tokio::test]
async fn orphaned_postgres_and_stale_pid_files_are_recovered() {
    let dir = data_dir();
    // Initialise the cluster, then leave a PostgreSQL running with no
    // supervisor: what a server killed without the parent-death signal
    // leaves behind.
    let cluster = kernel::db::embedded::Cluster::start_detached(&testkit::cluster_options(
        dir.path().to_path_buf(),
    ))
    .await
    .unwrap();
    drop(cluster);
    let orphan = postmaster_pid(dir.path()).expect("orphan runs");

    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    assert_eq!(server.get("/readyz").await.0, 200);
    let now = postmaster_pid(dir.path()).unwrap();
    assert_ne!(now, orphan, "the orphan was replaced by a supervised postgres");
    assert!(server.log().contains("still running; stopping it first"), "{}", server.log());
    server.stop();

    // A postmaster.pid naming a live process that is not PostgreSQL.
    let pidfile = dir.path().join("pg/postmaster.pid");
    std::fs::write(
        &pidfile,
        format!("{}\n{}\n", std::process::id(), dir.path().join("pg").display()),
    )
    .unwrap();
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    assert_eq!(server.get("/readyz").await.0, 200);
    server.stop();
}

#[tokio::test]
async fn readyz_fails_while_postgres_is_down_and_recovers() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    assert_eq!(server.get("/readyz").await.0, 200);
    let pid = postmaster_pid(dir.path()).unwrap();
    // Fast shutdown behind the server's back; the supervisor restarts it.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGINT).unwrap();
    let mut saw_down = false;
    wait_for(Duration::from_secs(30), "readyz to fail and recover", async || {
        let (status, body) = server.get("/readyz").await;
        if status == 503 {
            assert!(body.contains("not_ready") && body.contains("unreachable"), "{body}");
            saw_down = true;
        }
        saw_down && status == 200
    })
    .await;
    assert_ne!(postmaster_pid(dir.path()), Some(pid));
    assert_eq!(server.get("/healthz").await.0, 200, "liveness never depended on the database");
    server.stop();
}

/// Needs root: `make test` runs it when the machine's user is root (as CI
/// is) and reports it skipped otherwise.
#[tokio::test]
#[ignore = "needs root"]
async fn postgres_runs_unprivileged_needs_root() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test checks how PostgreSQL runs when Tessera runs as root; run it as root"
    );
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir").arg(dir.path());
    let server = Server::start(cmd);
    let pid = postmaster_pid(dir.path()).unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    let uid: u32 = uid_line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_ne!(uid, 0, "postgres must not run as root");
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    assert_eq!(uid, nobody.uid.as_raw());
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(dir.path().join("pg")).unwrap().uid(), nobody.uid.as_raw());
    // Secrets stay root's.
    let secrets = std::fs::metadata(dir.path().join("secrets/postgres.json")).unwrap();
    assert_eq!(secrets.uid(), 0);
    assert_eq!(secrets.mode() & 0o077, 0);
    assert_eq!(server.get("/readyz").await.0, 200);
    server.stop();
}

#[tokio::test]
async fn database_url_mode_uses_an_existing_server() {
    let db = testkit::TestDb::create().await;
    let (app_url, owner_url) = db.urls().await;
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir")
        .arg(dir.path())
        .env("DATABASE_URL", &app_url)
        .env("DATABASE_OWNER_URL", &owner_url);
    let server = Server::start(cmd);
    assert_eq!(server.get("/readyz").await.0, 200);
    assert!(!dir.path().join("pg").exists(), "no embedded cluster in DATABASE_URL mode");
    assert!(!server.log().contains(&app_url), "the URL with its password never reaches the log");
    server.stop();

    let mut cmd = tessera(dir.path());
    cmd.args(["doctor"]).env("DATABASE_URL", &app_url).env("DATABASE_OWNER_URL", &owner_url);
    let out = common::run(cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("pgvector") && text.contains("migrations current"), "{text}");
    assert!(text.contains("neither superuser nor BYPASSRLS"), "{text}");
    // Which arithmetic the embedder uses here, and why.
    assert!(text.contains("embeddings: ") && text.contains(" kernel ("), "{text}");
    assert!(
        !text.contains(app_url.split(':').nth(2).unwrap().split('@').next().unwrap()),
        "password redacted: {text}"
    );
}

#[tokio::test]
async fn missing_pgvector_is_explained() {
    use sqlx::Connection;
    let cluster = testkit::shared_cluster().await;
    let name = format!("nv_{}", uuid::Uuid::new_v4().simple());
    let mut su = sqlx::PgConnection::connect_with(
        &cluster.connect_options(kernel::db::embedded::Role::Superuser),
    )
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} OWNER tessera_owner TEMPLATE template0"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let owner_url = cluster.url(kernel::db::embedded::Role::Owner, &name);
    let app_url = cluster.url(kernel::db::embedded::Role::App, &name);
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("migrate").env("DATABASE_URL", &app_url).env("DATABASE_OWNER_URL", &owner_url);
    let out = common::run(cmd);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("pgvector is available but not installed")
            && err.contains("CREATE EXTENSION vector"),
        "{err}"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut su)
        .await
        .unwrap();
}

#[tokio::test]
async fn migrate_then_doctor_on_a_fresh_data_dir() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("migrate").arg("--data-dir").arg(dir.path());
    let out = common::run(cmd);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Applied"));

    let mut cmd = tessera(dir.path());
    cmd.arg("doctor").arg("--data-dir").arg(dir.path());
    let out = common::run(cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for expected in [
        "data_dir",
        "PostgreSQL 18",
        "pgvector 0.8",
        "migrations current",
        "free on the data directory",
        "owns no tables",
        "full-text search uses its index under row-level security",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(postmaster_pid(dir.path()).is_none(), "doctor stops the cluster it started");
}

#[tokio::test]
async fn embedded_cluster_can_also_listen_on_loopback_tcp() {
    use sqlx::Connection;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("--data-dir")
        .arg(dir.path())
        .env("TESSERA_DATABASE__EMBEDDED__TCP_PORT", port.to_string());
    let server = Server::start(cmd);
    assert_eq!(server.get("/readyz").await.0, 200);
    let creds: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("secrets/postgres.json")).unwrap(),
    )
    .unwrap();
    let opts = sqlx::postgres::PgConnectOptions::new_without_pgpass()
        .host("127.0.0.1")
        .port(port)
        .username("tessera_app")
        .password(creds["app"].as_str().unwrap())
        .database("tessera");
    let mut conn = sqlx::PgConnection::connect_with(&opts)
        .await
        .expect("TCP connection with the app role's password");
    let (user,): (String,) =
        sqlx::query_as("SELECT current_user::text").fetch_one(&mut conn).await.unwrap();
    assert_eq!(user, "tessera_app");
    let wrong = opts.clone().password("wrong");
    assert!(sqlx::PgConnection::connect_with(&wrong).await.is_err(), "TCP requires the password");
    server.stop();
}
