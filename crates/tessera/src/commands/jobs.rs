//! `tessera jobs`: the operators' view of every tenant's background jobs.
//! Reads as the schema owner, which sees the whole queue; changes a job in
//! its tenant's transaction, as the API does.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kernel::Config;
use kernel::db::{Authority, Db};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::cli::JobsCommand;
use crate::runtime::{Database, Ownership};

pub async fn run(config: &Config, command: JobsCommand) -> Result<ExitCode> {
    super::quiet_logging();
    let database = Database::open(config, Ownership::Shared).await?;
    let result = async {
        kernel::db::migrate(&database.targets).await?;
        let (db, authority) = Db::connect_lazy(&database.targets, &config.database);
        let mut conn =
            authority.owner_connection().await.context("connecting as the schema owner")?;
        let code = match command {
            JobsCommand::Stats => stats(&mut conn).await?,
            JobsCommand::List { state, queue, tenant, limit } => {
                list(&mut conn, state, queue, tenant, limit).await?
            }
            JobsCommand::Retry { id } => retry(&db, &authority, &mut conn, &id).await?,
            JobsCommand::Cancel { id } => cancel(&db, &authority, &mut conn, &id).await?,
        };
        db.close().await;
        authority.close().await;
        anyhow::Ok(code)
    }
    .await;
    database.close().await?;
    result
}

async fn stats(conn: &mut PgConnection) -> Result<ExitCode> {
    let stats = jobs::repo::stats(&mut *conn).await?;
    if stats.is_empty() {
        println!("No queued, running or dead jobs.");
    }
    println!("{:<16} {:<10} {:>8}  oldest run_at", "queue", "state", "jobs");
    for s in stats {
        let oldest = s.oldest_run_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        println!("{:<16} {:<10} {:>8}  {oldest}", s.queue, s.state, s.jobs);
    }
    Ok(ExitCode::SUCCESS)
}

async fn tenant_id(conn: &mut PgConnection, t: &str) -> Result<Uuid> {
    if t == "system" {
        return Ok(Uuid::nil());
    }
    match identity::repo::tenant_by_ref(conn, t).await? {
        Some((id, _)) => Ok(id.as_uuid()),
        None => bail!("no tenant with id or URL name `{t}`"),
    }
}

async fn list(
    conn: &mut PgConnection,
    state: Option<String>,
    queue: Option<String>,
    tenant: Option<String>,
    limit: i64,
) -> Result<ExitCode> {
    if let Some(s) = &state
        && jobs::JobState::parse(s).is_none()
    {
        bail!("--state must be queued, running, succeeded, dead or cancelled");
    }
    let tenant = match tenant {
        Some(t) => Some(tenant_id(conn, &t).await?),
        None => None,
    };
    let rows = jobs::repo::operator_jobs(
        conn,
        state.as_deref(),
        queue.as_deref(),
        tenant,
        limit.clamp(1, 10_000),
    )
    .await?;
    if rows.is_empty() {
        println!("No jobs match.");
    }
    for j in rows {
        let who = if j.tenant_id.is_nil() { "system".to_string() } else { j.tenant_id.to_string() };
        println!(
            "{}  {:<9}  {}/{}  attempts {}/{}  tenant {who}  created {}",
            j.id,
            j.state,
            j.queue,
            j.kind,
            j.attempts,
            j.max_attempts,
            j.created_at.to_rfc3339()
        );
        if let Some(e) = j.last_error {
            println!("    last error: {e}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_id(id: &str) -> Result<Uuid> {
    id.parse().with_context(|| format!("`{id}` is not a job id (a UUID)"))
}

async fn retry(
    db: &Db,
    authority: &Authority,
    conn: &mut PgConnection,
    id: &str,
) -> Result<ExitCode> {
    let id = parse_id(id)?;
    let Some((tenant, state)) = jobs::repo::operator_job(conn, id).await? else {
        bail!("no job {id}")
    };
    let mut tx = db.tenant(&authority.tenant(tenant)).await?;
    let queued = jobs::repo::retry_job(&mut tx, id.into()).await?;
    tx.commit().await?;
    match queued {
        Some(queue) => {
            println!("Job {id} is queued again on `{queue}`.");
            Ok(ExitCode::SUCCESS)
        }
        None => bail!("job {id} is {state}: only dead or cancelled jobs can be retried"),
    }
}

async fn cancel(
    db: &Db,
    authority: &Authority,
    conn: &mut PgConnection,
    id: &str,
) -> Result<ExitCode> {
    let id = parse_id(id)?;
    let Some((tenant, _)) = jobs::repo::operator_job(conn, id).await? else { bail!("no job {id}") };
    let mut tx = db.tenant(&authority.tenant(tenant)).await?;
    let left = jobs::repo::cancel_job(&mut tx, id.into()).await?;
    tx.commit().await?;
    match left.as_deref() {
        Some("cancelled") => println!("Job {id} is cancelled."),
        Some(_) => println!("Job {id} is running; it has been asked to stop."),
        None => bail!("job {id} has already finished"),
    }
    Ok(ExitCode::SUCCESS)
}
