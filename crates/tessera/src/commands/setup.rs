//! `tessera setup`: fetch what the embedded mode needs, once.

use std::process::ExitCode;

use anyhow::Result;
use kernel::Config;
use kernel::assets::{self, StderrProgress};

pub async fn run(config: &Config) -> Result<ExitCode> {
    super::quiet_logging();
    let runtime = config.runtime_dir();
    eprintln!("Setting up Tessera's runtime in {}", runtime.display());
    let mut progress = StderrProgress;
    tokio::task::spawn_blocking(move || {
        for asset in [&assets::POSTGRES, &assets::MINILM, &assets::GEMMA] {
            assets::ensure(asset, &runtime, &mut progress)?;
        }
        anyhow::Ok(())
    })
    .await??;
    eprintln!("Setup complete. Start the server with `tessera serve`.");
    Ok(ExitCode::SUCCESS)
}
