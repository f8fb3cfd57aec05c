//! `tessera jobs`: the operators' view of every tenant's background jobs.
//! Runs as the schema owner, which sees the whole queue.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use kernel::Config;
use kernel::db::Db;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::cli::JobsCommand;
use crate::runtime::{Database, Ownership};

pub async fn run(config: &Config, command: JobsCommand) -> Result<ExitCode> {
    super::quiet_logging();
    let database = Database::open(config, Ownership::Shared).await?;
    let result = async {
        kernel::db::migrate(&database.targets).await?;
        let db = Db::connect_lazy(&database.targets, &config.database);
        let mut conn = db.owner_connection().await.context("connecting as the schema owner")?;
        let code = match command {
            JobsCommand::Stats => stats(&mut conn).await?,
            JobsCommand::List { state, queue, tenant, limit } => {
                list(&mut conn, state, queue, tenant, limit).await?
            }
            JobsCommand::Retry { id } => retry(&mut conn, &id).await?,
            JobsCommand::Cancel { id } => cancel(&mut conn, &id).await?,
        };
        db.close().await;
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
    let row: Option<(Uuid,)> =
        sqlx::query_as("SELECT id FROM tenants WHERE id::text = $1 OR slug = $1")
            .bind(t)
            .fetch_optional(conn)
            .await?;
    match row {
        Some((id,)) => Ok(id),
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
    type Row = (Uuid, Uuid, String, String, String, i32, i32, DateTime<Utc>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT tenant_id, id, queue, kind, state, attempts, max_attempts, created_at, last_error
           FROM jobs
          WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR queue = $2)
            AND ($3::uuid IS NULL OR tenant_id = $3)
          ORDER BY created_at DESC LIMIT $4",
    )
    .bind(state)
    .bind(queue)
    .bind(tenant)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(conn)
    .await?;
    if rows.is_empty() {
        println!("No jobs match.");
    }
    for (t, id, queue, kind, state, attempts, max, created, error) in rows {
        let who = if t.is_nil() { "system".to_string() } else { t.to_string() };
        println!(
            "{id}  {state:<9}  {queue}/{kind}  attempts {attempts}/{max}  tenant {who}  created {}",
            created.to_rfc3339()
        );
        if let Some(e) = error {
            println!("    last error: {e}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_id(id: &str) -> Result<Uuid> {
    id.parse().with_context(|| format!("`{id}` is not a job id (a UUID)"))
}

async fn retry(conn: &mut PgConnection, id: &str) -> Result<ExitCode> {
    let id = parse_id(id)?;
    let row: Option<(Uuid, String)> =
        sqlx::query_as("SELECT tenant_id, state FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((tenant, state)) = row else { bail!("no job {id}") };
    match jobs::repo::retry_job(conn, tenant.into(), id.into()).await? {
        Some(queue) => {
            println!("Job {id} is queued again on `{queue}`.");
            Ok(ExitCode::SUCCESS)
        }
        None => bail!("job {id} is {state}: only dead or cancelled jobs can be retried"),
    }
}

async fn cancel(conn: &mut PgConnection, id: &str) -> Result<ExitCode> {
    let id = parse_id(id)?;
    let row: Option<(Uuid,)> = sqlx::query_as("SELECT tenant_id FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((tenant,)) = row else { bail!("no job {id}") };
    match jobs::repo::cancel_job(conn, tenant.into(), id.into()).await?.as_deref() {
        Some("cancelled") => println!("Job {id} is cancelled."),
        Some(_) => println!("Job {id} is running; it has been asked to stop."),
        None => bail!("job {id} has already finished"),
    }
    Ok(ExitCode::SUCCESS)
}
