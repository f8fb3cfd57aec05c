//! `tessera doctor`: check the installation, print the configuration.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use kernel::Config;
use sqlx::Connection;

use crate::runtime::{Database, Ownership};

struct Report {
    failed: bool,
}

impl Report {
    fn ok(&self, what: &str) {
        println!("  ✓ {what}");
    }
    fn warn(&self, what: &str) {
        println!("  ! {what}");
    }
    fn fail(&mut self, what: &str) {
        self.failed = true;
        println!("  ✗ {what}");
    }
}

pub async fn run(config: &Config) -> Result<ExitCode> {
    super::quiet_logging();
    println!("Effective configuration (secrets redacted):\n");
    for line in config.redacted_toml().lines() {
        println!("    {line}");
    }
    println!("\nChecks:");
    let mut r = Report { failed: false };

    check_dir(&mut r, &config.data_dir);
    check_disk(&mut r, &config.data_dir);
    check_embedder(&mut r, config);

    if config.embedded() {
        match kernel::db::embedded::PgInstall::locate(&config.runtime_dir()) {
            Ok(i) => r.ok(&format!("PostgreSQL installed in {}", i.root.display())),
            Err(e) => {
                r.fail(&format!("{e:#}"));
                return Ok(finish(&r));
            }
        }
    }

    let db = match Database::open(config, Ownership::Shared).await {
        Ok(db) => db,
        Err(e) => {
            r.fail(&format!("database: {e:#}"));
            return Ok(finish(&r));
        }
    };
    check_database(&mut r, &db).await;
    db.close().await?;
    Ok(finish(&r))
}

fn finish(r: &Report) -> ExitCode {
    if r.failed {
        println!("\nSome checks failed.");
        ExitCode::FAILURE
    } else {
        println!("\nAll checks passed.");
        ExitCode::SUCCESS
    }
}

fn check_dir(r: &mut Report, dir: &Path) {
    if let Err(e) = std::fs::create_dir_all(dir) {
        r.fail(&format!("data directory {} cannot be created: {e}", dir.display()));
        return;
    }
    let probe = dir.join(".doctor-probe");
    match std::fs::write(&probe, b"ok") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            r.ok(&format!("data directory {} is writable", dir.display()));
        }
        Err(e) => r.fail(&format!("data directory {} is not writable: {e}", dir.display())),
    }
}

fn check_disk(r: &mut Report, dir: &Path) {
    match nix::sys::statvfs::statvfs(dir) {
        Ok(s) => {
            let free = s.blocks_available() * s.fragment_size();
            let gib = free as f64 / (1u64 << 30) as f64;
            if gib < 1.0 {
                r.fail(&format!(
                    "only {gib:.2} GiB free on the data directory's disk (need at least 1 GiB)"
                ));
            } else if gib < 5.0 {
                r.warn(&format!("{gib:.1} GiB free on the data directory's disk"));
            } else {
                r.ok(&format!("{gib:.1} GiB free on the data directory's disk"));
            }
        }
        Err(e) => r.warn(&format!("cannot read free disk space: {e}")),
    }
}

/// Which arithmetic the local embedder uses on this CPU, and why.
fn check_embedder(r: &mut Report, config: &Config) {
    use embed::{choice, gemm::Cpu};
    let cpu = Cpu::detect();
    match choice::choose(&config.ai.embed_precision, cpu) {
        Ok(c) => {
            let line = format!(
                "embeddings: {} on the {} kernel ({}; CPU: {})",
                c.precision.as_str(),
                c.kernel.as_str(),
                c.reason,
                cpu.describe()
            );
            if c.warning { r.warn(&line) } else { r.ok(&line) }
        }
        Err(e) => r.fail(&format!("embeddings: {e}")),
    }
}

async fn check_database(r: &mut Report, db: &Database) {
    let mut conn = match sqlx::PgConnection::connect_with(&db.targets.app).await {
        Ok(c) => c,
        Err(e) => {
            r.fail(&format!("cannot connect as the application role: {e}"));
            return;
        }
    };
    match kernel::db::inspect(&mut conn).await {
        Ok(i) => {
            r.ok(&format!("PostgreSQL {}, connected as `{}`", i.server_version, i.role));
            if i.superuser || i.bypass_rls {
                r.fail(&format!(
                    "the application role `{}` is superuser or BYPASSRLS: row-level security does not apply to it",
                    i.role
                ));
            } else {
                r.ok("the application role is neither superuser nor BYPASSRLS");
            }
            match &i.pgvector {
                Some(v) => r.ok(&format!("pgvector {v}")),
                None => r.fail(
                    "pgvector is not installed in the database (`tessera migrate` installs it or says how)",
                ),
            }
            if i.text_match_leakproof {
                r.ok("full-text search uses its index under row-level security");
            } else {
                r.warn(&format!(
                    "full-text search cannot use its index under row-level security (slower for \
                     large companies): run `{};` once as a superuser",
                    kernel::db::LEAKPROOF_TEXT_MATCH
                ));
            }
            if i.owned_tables > 0 {
                r.warn(&format!(
                    "the application role owns {} table(s); use a separate owner role (DATABASE_OWNER_URL)",
                    i.owned_tables
                ));
            } else {
                r.ok("the application role owns no tables");
            }
            if i.privileged_functions.is_empty() {
                r.ok("the application role can run none of the queue's privileged functions");
            } else if db.targets.app_is_owner() {
                r.warn("the application role is the schema owner, so it can run the queue's privileged functions");
            } else {
                r.fail(&format!(
                    "the application role can run privileged functions: {} (run `tessera migrate`)",
                    i.privileged_functions.join(", ")
                ));
            }
        }
        Err(e) => r.fail(&format!("cannot inspect the database: {e}")),
    }
    match kernel::db::migration_status(&mut conn).await {
        Ok(s) if s.is_current() => r.ok(&format!("migrations current ({} applied)", s.applied)),
        Ok(s) => r.fail(&format!(
            "{} migration(s) pending: {:?}; run `tessera migrate`",
            s.pending.len(),
            s.pending
        )),
        Err(e) => r.fail(&format!("cannot read the migration history: {e}")),
    }
    if db.targets.worker_is_owner() {
        r.warn("the job workers use the schema owner's role; set DATABASE_WORKER_URL for a role of their own");
    } else {
        match sqlx::PgConnection::connect_with(&db.targets.worker).await {
            Ok(c) => {
                r.ok("the workers' role connects");
                let _ = c.close().await;
            }
            Err(e) => r.fail(&format!("cannot connect as the workers' role: {e}")),
        }
    }
    let _ = conn.close().await;
}
