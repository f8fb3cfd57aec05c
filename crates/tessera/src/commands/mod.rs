//! One module per subcommand.

mod audit;
mod doctor;
mod jobs;
mod keys;
mod migrate;
mod serve;
mod setup;
mod worker;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Runs the command the command line names.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let config = cli.load_config()?;
    match cli.command {
        Command::Setup(_) => setup::run(&config).await,
        Command::Serve(_) => serve::run(config).await,
        Command::Worker => worker::run(config).await,
        Command::Migrate => migrate::run(&config).await,
        Command::Doctor => doctor::run(&config).await,
        Command::Audit(crate::cli::AuditCommand::Verify { tenant }) => {
            audit::verify(&config, tenant.as_deref()).await
        }
        Command::Keys(crate::cli::KeysCommand::Rotate) => keys::rotate(&config).await,
        Command::Jobs(c) => jobs::run(&config, c).await,
        Command::Standin(crate::cli::StandinCommand::Irp { port, bind }) => {
            quiet_logging();
            let irp = standin::irp::start_on((bind, port).into(), standin::irp::Config::default())
                .await?;
            println!(
                "stand-in IRP on {} (keys and test credentials at {}/_standin/keys)",
                irp.url, irp.url
            );
            shutdown_signal().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Standin(crate::cli::StandinCommand::Graph { port, bind }) => {
            quiet_logging();
            let graph =
                standin::graph::start_on((bind, port).into(), standin::graph::Config::default())
                    .await?;
            println!(
                "stand-in Graph API on {} (access token `standin-graph-token`; sent messages at {}/_standin/messages)",
                graph.url, graph.url
            );
            shutdown_signal().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("received SIGINT"),
        _ = term.recv() => tracing::info!("received SIGTERM"),
    }
}

/// Logging for commands that print their own results: warnings only.
pub fn quiet_logging() {
    let log = kernel::config::LogConfig {
        format: kernel::config::LogFormat::Pretty,
        level: "warn".into(),
    };
    kernel::telemetry::init_logging(&log);
}
