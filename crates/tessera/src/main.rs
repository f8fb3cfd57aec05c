//! `tessera`: the one binary. It parses the command line and hands over to
//! the command; everything else lives in the library crates.

mod cli;
mod commands;
mod runtime;

use std::process::ExitCode;

use clap::Parser;

// mimalloc: the server allocates many short-lived buffers per request;
// glibc's allocator spent ~12% of a request's CPU time here. Built with
// `no_thp`: advising its arenas for transparent huge pages made 2 MiB of
// resident memory out of every touched page, +14 MiB at idle.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
