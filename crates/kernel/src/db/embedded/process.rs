//! The `postgres` process: how it is spawned and supervised, and how an
//! orphan or stale lock files of an earlier run are found and cleared.

use super::*;

/// How to run `postgres` for one cluster directory.
#[derive(Clone, Debug)]
pub(super) struct SpawnSpec {
    pub(super) postgres: PathBuf,
    pub(super) pgdata: PathBuf,
    pub(super) run_dir: PathBuf,
    pub(super) runas: Option<RunAs>,
    pub(super) port: u16,
    pub(super) tcp: bool,
    pub(super) max_connections: u32,
    pub(super) shared_buffers: String,
}

/// The machine's memory in MiB (`/proc/meminfo`), if it can be read.
fn total_memory_mb() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// `shared_buffers = "auto"`: a quarter of the machine's memory, as
/// PostgreSQL's own guidance has it, between 128 MiB and 8 GiB.
pub(super) fn auto_shared_buffers_mb(total_mb: Option<u64>) -> u64 {
    total_mb.map_or(128, |t| (t / 4).clamp(128, 8192))
}

/// A `shared_buffers` value in MiB (`128MB`, `2GB`, `8192kB`).
fn mb(v: &str) -> Option<u64> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let n: u64 = v[..split].parse().ok()?;
    match v[split..].trim().to_ascii_uppercase().as_str() {
        "KB" => Some(n / 1024),
        "" | "MB" => Some(n),
        "GB" => Some(n * 1024),
        "TB" => Some(n * 1024 * 1024),
        _ => None,
    }
}

impl SpawnSpec {
    pub(super) fn new(
        install: &PgInstall,
        pgdata: &Path,
        layout: &Layout,
        runas: Option<RunAs>,
        opts: &ClusterOptions,
    ) -> Self {
        Self {
            postgres: install.bin("postgres"),
            pgdata: pgdata.to_path_buf(),
            run_dir: layout.run_dir(),
            runas,
            port: opts.tcp_port.unwrap_or(DEFAULT_PORT),
            tcp: opts.tcp_port.is_some(),
            max_connections: opts.max_connections,
            shared_buffers: if opts.shared_buffers == "auto" {
                format!("{}MB", auto_shared_buffers_mb(total_memory_mb()))
            } else {
                opts.shared_buffers.clone()
            },
        }
    }

    pub(super) fn command(&self) -> Command {
        let mut cmd = Command::new(&self.postgres);
        cmd.arg("-D").arg(&self.pgdata);
        let settings = [
            ("listen_addresses", if self.tcp { "127.0.0.1".to_string() } else { String::new() }),
            ("port", self.port.to_string()),
            ("unix_socket_directories", self.run_dir.display().to_string()),
            ("unix_socket_permissions", "0700".to_string()),
            ("max_connections", self.max_connections.to_string()),
            ("shared_buffers", self.shared_buffers.clone()),
            // What the planner may assume the OS caches besides (twice the
            // buffers, as on a machine that runs little else).
            ("effective_cache_size", format!("{}MB", 2 * mb(&self.shared_buffers).unwrap_or(128))),
            ("log_line_prefix", "[%p] ".to_string()),
            ("logging_collector", "off".to_string()),
            ("password_encryption", "scram-sha-256".to_string()),
            // A client that stalls its handshake holds a backend (and
            // blocks DROP DATABASE); local clients finish in milliseconds.
            ("authentication_timeout", "5s".to_string()),
        ];
        for (k, v) in settings {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        cmd.env_clear()
            .env("LC_ALL", "C.UTF-8")
            .env("PATH", "/usr/bin:/bin")
            .current_dir(&self.pgdata)
            .stdin(Stdio::null());
        if let Some(r) = self.runas {
            cmd.uid(r.uid.as_raw()).gid(r.gid.as_raw());
        }
        cmd
    }

    /// Starts PostgreSQL as a child that receives SIGINT (fast shutdown)
    /// when the thread that spawned it, and so this process, goes away.
    pub(super) fn spawn_supervised(&self) -> Result<Child> {
        let mut cmd = self.command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        // Own process group: a Ctrl-C at the terminal reaches Tessera,
        // which drains requests before it stops PostgreSQL.
        cmd.process_group(0);
        let parent = std::process::id();
        // SAFETY: the closure runs in the forked child before exec and only
        // makes async-signal-safe system calls (prctl, getppid).
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)?;
                if nix::unistd::getppid().as_raw() as u32 != parent {
                    return Err(std::io::Error::other("parent exited before PostgreSQL started"));
                }
                Ok(())
            });
        }
        cmd.spawn().with_context(|| format!("starting {}", self.postgres.display()))
    }

    /// Starts PostgreSQL in its own session, logging to `log`.
    pub(super) fn spawn_detached(&self, log: &Path) -> Result<()> {
        let file = OpenOptions::new().create(true).append(true).open(log)?;
        let mut cmd = self.command();
        cmd.stdout(file.try_clone()?).stderr(file);
        // SAFETY: setsid is async-signal-safe; it detaches PostgreSQL from
        // our session so it outlives this process and its terminal.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(std::io::Error::from));
        }
        // Not waited for: it outlives us and is adopted by init.
        let _child =
            cmd.spawn().with_context(|| format!("starting {}", self.postgres.display()))?;
        Ok(())
    }
}

/// Last lines PostgreSQL wrote, for error messages.
pub(super) type Recent = Arc<Mutex<VecDeque<String>>>;

/// Starts PostgreSQL, restarts it if it dies, and stops it on request.
pub(super) struct Supervisor {
    pub(super) pid: Arc<AtomicI32>,
    pub(super) stopping: Arc<AtomicBool>,
    pub(super) done: Mutex<std::sync::mpsc::Receiver<()>>,
    pub(super) recent: Recent,
}

impl Supervisor {
    pub(super) fn spawn(spec: SpawnSpec) -> Result<Supervisor> {
        let pid = Arc::new(AtomicI32::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let recent: Recent = Arc::new(Mutex::new(VecDeque::new()));
        let (first_tx, first_rx) = std::sync::mpsc::channel::<Result<()>>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let (pid2, stopping2, recent2) = (pid.clone(), stopping.clone(), recent.clone());
        // A thread that lives as long as PostgreSQL does: the parent-death
        // signal is tied to the thread that forked the child.
        std::thread::Builder::new().name("postgres-supervisor".into()).spawn(move || {
            let mut first = Some(first_tx);
            let mut backoff = Duration::from_millis(500);
            loop {
                let mut child = match spec.spawn_supervised() {
                    Ok(c) => c,
                    Err(e) => {
                        if let Some(tx) = first.take() {
                            let _ = tx.send(Err(e));
                            break;
                        }
                        tracing::error!(error = %e, "cannot restart PostgreSQL; retrying");
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                        continue;
                    }
                };
                pid2.store(child.id() as i32, Ordering::SeqCst);
                forward_output(child.stdout.take(), recent2.clone());
                forward_output(child.stderr.take(), recent2.clone());
                if let Some(tx) = first.take() {
                    let _ = tx.send(Ok(()));
                }
                let status = child.wait();
                pid2.store(0, Ordering::SeqCst);
                if stopping2.load(Ordering::SeqCst) {
                    break;
                }
                tracing::error!(
                    ?status,
                    "PostgreSQL exited unexpectedly; restarting in {backoff:?}"
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(30));
                if stopping2.load(Ordering::SeqCst) {
                    break;
                }
            }
            let _ = done_tx.send(());
        })?;
        first_rx.recv().map_err(|_| anyhow!("the PostgreSQL supervisor thread died"))??;
        Ok(Supervisor { pid, stopping, done: Mutex::new(done_rx), recent })
    }

    pub(super) fn stop(self) -> Result<()> {
        self.stopping.store(true, Ordering::SeqCst);
        let pid = self.pid.load(Ordering::SeqCst);
        if pid > 0 {
            // SIGINT: "fast" shutdown — roll back open transactions, checkpoint, exit.
            let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
        }
        let done = self.done.lock().map_err(|_| anyhow!("supervisor state poisoned"))?;
        match done.recv_timeout(Duration::from_secs(60)) {
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Ok(()),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let pid = self.pid.load(Ordering::SeqCst);
                if pid > 0 {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
                }
                bail!("PostgreSQL did not stop within 60 s; sent SIGQUIT")
            }
        }
    }
}

/// Sends PostgreSQL's output to the log, keeping the last lines.
pub(super) fn forward_output(stream: Option<impl Read + Send + 'static>, recent: Recent) {
    let Some(stream) = stream else { return };
    let _ = std::thread::Builder::new().name("postgres-log".into()).spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            if line.contains("PANIC:") || line.contains("FATAL:") || line.contains("ERROR:") {
                tracing::warn!(target: "postgres", "{line}");
            } else if line.contains("WARNING:") {
                tracing::warn!(target: "postgres", "{line}");
            } else {
                tracing::info!(target: "postgres", "{line}");
            }
            if let Ok(mut r) = recent.lock() {
                if r.len() >= 20 {
                    r.pop_front();
                }
                r.push_back(line);
            }
        }
    });
}

/// Waits until the app role can connect (or PostgreSQL has died).
pub(super) async fn wait_until_accepting(
    cluster: &Cluster,
    recent: Option<Recent>,
    limit: Duration,
) -> Result<()> {
    let opts = cluster.connect_options(Role::Superuser);
    let deadline = Instant::now() + limit;
    let socket = cluster.layout.run_dir().join(format!(".s.PGSQL.{}", cluster.port));
    let mut last_err = String::from("not started");
    loop {
        if socket.exists() {
            match PgConnection::connect_with(&opts).await {
                Ok(conn) => {
                    let _ = conn.close().await;
                    return Ok(());
                }
                Err(e) => last_err = e.to_string(),
            }
        }
        if let Some(sup) = &cluster.supervisor
            && sup.pid.load(Ordering::SeqCst) == 0
            && Instant::now() > deadline - limit + Duration::from_millis(200)
        {
            // It has exited; the supervisor may be backing off to retry.
            let lines = recent.as_ref().map(tail).unwrap_or_default();
            bail!("PostgreSQL exited while starting:\n{lines}");
        }
        if Instant::now() > deadline {
            let lines = recent.as_ref().map(tail).unwrap_or_default();
            bail!("PostgreSQL did not accept connections within {limit:?} ({last_err})\n{lines}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(super) fn tail(recent: &Recent) -> String {
    recent.lock().map(|r| r.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
}

/// The postmaster PID recorded in `postmaster.pid`, if that process is a
/// live PostgreSQL working in `pgdata`.
pub fn running_postmaster(pgdata: &Path) -> Result<Option<i32>> {
    let pidfile = pgdata.join("postmaster.pid");
    let Ok(text) = fs::read_to_string(&pidfile) else { return Ok(None) };
    let Some(pid) = text.lines().next().and_then(|l| l.trim().parse::<i32>().ok()) else {
        return Ok(None);
    };
    Ok(is_postgres_in(pid, pgdata).then_some(pid))
}

pub(super) fn is_postgres_in(pid: i32, pgdata: &Path) -> bool {
    if pid <= 0 {
        return false;
    }
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let cwd = fs::read_link(proc.join("cwd")).ok();
    let exe = fs::read_link(proc.join("exe")).ok();
    let canon = fs::canonicalize(pgdata).unwrap_or_else(|_| pgdata.to_path_buf());
    let same_dir = cwd.as_deref() == Some(canon.as_path()) || cwd.as_deref() == Some(pgdata);
    let is_pg = exe.as_ref().and_then(|e| e.file_name()).is_some_and(|n| n == "postgres");
    same_dir && is_pg
}

/// Whether a process exists and is not a zombie (exited, not yet reaped).
pub(super) fn alive(pid: Pid) -> bool {
    if kill(pid, None).is_err() {
        return false;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => {
            stat.rsplit_once(')').is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z'))
        }
        Err(_) => false,
    }
}

/// Stops a PostgreSQL left running on this cluster by a process that died.
pub(super) fn stop_orphan(layout: &Layout) -> Result<()> {
    let pgdata = layout.pgdata();
    let Some(pid) = running_postmaster(&pgdata)? else {
        // A postmaster.pid naming a dead or foreign process is stale.
        let pidfile = pgdata.join("postmaster.pid");
        if pidfile.exists() {
            tracing::warn!("removing the stale {} left by an unclean stop", pidfile.display());
            match fs::remove_file(&pidfile) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                r => r.with_context(|| format!("removing {}", pidfile.display()))?,
            }
        }
        return Ok(());
    };
    tracing::warn!(pid, "PostgreSQL from an earlier run is still running; stopping it first");
    let pid = Pid::from_raw(pid);
    let _ = kill(pid, Signal::SIGINT);
    let started = Instant::now();
    let mut escalated = false;
    while started.elapsed() < Duration::from_secs(30) {
        if !alive(pid) {
            // Give it a moment to remove its lock files.
            std::thread::sleep(Duration::from_millis(20));
            return Ok(());
        }
        if !escalated && started.elapsed() > Duration::from_secs(15) {
            let _ = kill(pid, Signal::SIGQUIT);
            escalated = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("PostgreSQL (pid {pid}) from an earlier run does not stop; stop it by hand")
}

pub(super) fn clear_stale_socket_locks(run_dir: &Path, port: u16) -> Result<()> {
    let lock = run_dir.join(format!(".s.PGSQL.{port}.lock"));
    let Ok(text) = fs::read_to_string(&lock) else { return Ok(()) };
    let pid = text.lines().next().and_then(|l| l.trim().parse::<i32>().ok()).unwrap_or(0);
    let alive = pid > 0 && kill(Pid::from_raw(pid), None).is_ok();
    let is_pg = alive
        && fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .and_then(|e| e.file_name().map(|n| n == "postgres"))
            .unwrap_or(false);
    if !is_pg {
        let _ = fs::remove_file(&lock);
        let _ = fs::remove_file(run_dir.join(format!(".s.PGSQL.{port}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_buffers_take_a_quarter_within_bounds() {
        assert_eq!(auto_shared_buffers_mb(Some(24 * 1024)), 6 * 1024);
        assert_eq!(auto_shared_buffers_mb(Some(256)), 128);
        assert_eq!(auto_shared_buffers_mb(Some(256 * 1024)), 8192);
        assert_eq!(auto_shared_buffers_mb(None), 128);
        assert_eq!(mb("2GB"), Some(2048));
        assert_eq!(mb("128MB"), Some(128));
        assert_eq!(mb("8192kB"), Some(8));
        assert_eq!(mb("lots"), None);
    }
}
