//! Running the real `tessera` binary in tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tessera"))
}

/// A `tessera` command with a clean environment: no inherited `TESSERA_*`
/// or `DATABASE_*`, the shared runtime, the working directory `cwd`.
pub fn tessera(cwd: &Path) -> Command {
    testkit::ensure_runtime();
    let mut cmd = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("TESSERA_") || k.starts_with("DATABASE_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("TESSERA_RUNTIME_DIR", testkit::runtime_dir()).current_dir(cwd);
    cmd
}

/// Runs a command to completion.
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run tessera")
}

/// A `tessera serve` process.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub lines: Arc<Mutex<Vec<String>>>,
    pub ready_after: Duration,
}

impl Server {
    /// Starts `tessera serve --port 0` with extra args and waits for it to listen.
    pub fn start(mut cmd: Command) -> Server {
        cmd.args(["serve", "--port", "0"]);
        Self::spawn(cmd, "listening")
    }

    /// Starts `tessera worker` and waits until it says it started.
    pub fn start_worker(mut cmd: Command) -> Server {
        cmd.arg("worker");
        Self::spawn(cmd, "worker started")
    }

    fn spawn(mut cmd: Command, ready: &'static str) -> Server {
        let started = Instant::now();
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn tessera serve");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<Option<String>>();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for stream in [Box::new(out) as Box<dyn std::io::Read + Send>, Box::new(err)] {
            let lines = lines.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                        && v["message"] == ready
                    {
                        let _ = tx.send(Some(v["url"].as_str().unwrap_or_default().to_string()));
                    }
                    lines.lock().unwrap().push(line);
                }
                let _ = tx.send(None);
            });
        }
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(url)) => url,
            _ => {
                std::thread::sleep(Duration::from_millis(100));
                let _ = child.kill();
                panic!("tessera did not start:\n{}", lines.lock().unwrap().join("\n"));
            }
        };
        Server { child, url, lines, ready_after: started.elapsed() }
    }

    /// The output so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// GET a path; status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        match testkit::http().get(format!("{}{path}", self.url)).send().await {
            Ok(r) => {
                let s = r.status().as_u16();
                (s, r.text().await.unwrap_or_default())
            }
            Err(e) => (0, e.to_string()),
        }
    }

    /// Sends a signal.
    pub fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), sig).expect("signal tessera");
    }

    /// Waits for the process to exit.
    pub fn wait(mut self, limit: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads drain.
                std::thread::sleep(Duration::from_millis(50));
                return (status, self.log());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("tessera did not exit within {limit:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(self) -> String {
        self.signal(Signal::SIGTERM);
        let (status, log) = self.wait(Duration::from_secs(60));
        assert!(status.success(), "tessera serve exited with {status}:\n{log}");
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
            let _ = self.child.wait();
        }
    }
}

/// A temporary data directory (short path, for the Unix socket).
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("tsr").tempdir().expect("temp dir")
}

/// Connection to the embedded cluster of `data_dir` as the owner role,
/// using the credentials `tessera` generated.
pub async fn owner_conn(data_dir: &Path) -> sqlx::PgConnection {
    use sqlx::Connection;
    let creds: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data_dir.join("secrets/postgres.json")).unwrap(),
    )
    .unwrap();
    let opts = sqlx::postgres::PgConnectOptions::new_without_pgpass()
        .socket(data_dir.join("run"))
        .port(5432)
        .username("tessera_owner")
        .password(creds["owner"].as_str().unwrap())
        .database("tessera");
    sqlx::PgConnection::connect_with(&opts).await.expect("connect as owner")
}

/// The postmaster PID of a data directory, if PostgreSQL runs there.
pub fn postmaster_pid(data_dir: &Path) -> Option<i32> {
    kernel::db::embedded::running_postmaster(&data_dir.join("pg")).ok().flatten()
}

/// Waits for a condition (polling), panicking after `limit`.
pub async fn wait_for(limit: Duration, what: &str, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
