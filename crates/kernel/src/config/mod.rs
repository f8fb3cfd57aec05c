//! Configuration: built-in defaults, overridden by `tessera.toml`, overridden
//! by `TESSERA_*` environment variables, overridden by command-line flags.
//!
//! Every layer is checked on its own, so an unknown key or a value of the
//! wrong type is reported with the place it came from (the file, or the
//! environment variable's name).

mod load;
mod values;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use load::string_or_list;
pub use load::{ConfigError, Sources};
pub use values::{ByteSize, Secret, redact_url};

/// Name of the configuration file looked for in the working directory.
pub const CONFIG_FILE_NAME: &str = "tessera.toml";
/// Environment variables that set configuration start with this.
pub const ENV_PREFIX: &str = "TESSERA_";

/// The effective configuration of one Tessera process.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    /// Where the embedded cluster, secrets and stored files live.
    pub data_dir: PathBuf,
    /// Where `tessera setup` installs PostgreSQL and the local models.
    /// Defaults to `<data_dir>/runtime`; several data dirs may share one.
    pub runtime_dir: Option<PathBuf>,
    /// The HTTP server.
    pub http: HttpConfig,
    /// The database (embedded unless `url` is set).
    pub database: DatabaseConfig,
    /// Logging.
    pub log: LogConfig,
    /// Outgoing e-mail.
    pub mail: MailConfig,
    /// Background jobs and the workers that run them.
    pub jobs: JobsConfig,
    /// Outgoing webhooks.
    pub webhooks: WebhooksConfig,
    /// Local models, providers, prices and the response cache.
    pub ai: AiConfig,
    /// GST compliance: the IRP and e-way bill services companies reach.
    pub compliance: ComplianceConfig,
    /// The concierge's channels.
    pub concierge: ConciergeConfig,
    /// Master key for secrets at rest (base64 of 32 bytes). Unset: a key
    /// generated in `<data_dir>/secrets/master.key`. Set the same value on
    /// every node that shares a database.
    pub secret_key: Option<Secret>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            runtime_dir: None,
            secret_key: None,
            mail: MailConfig::default(),
            jobs: JobsConfig::default(),
            webhooks: WebhooksConfig::default(),
            ai: AiConfig::default(),
            compliance: ComplianceConfig::default(),
            concierge: ConciergeConfig::default(),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
        }
    }
}

/// HTTP server settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Address to bind.
    pub host: IpAddr,
    /// Port to bind (0 picks a free one and logs it).
    pub port: u16,
    /// Largest accepted request body, in bytes (accepts "2MiB", "512KB", …).
    pub body_limit: ByteSize,
    /// Largest accepted body on routes that take files (document uploads);
    /// each tenant may lower it for itself.
    pub upload_limit: ByteSize,
    /// A request that takes longer than this answers 503 `request_timeout`.
    pub request_timeout_secs: u64,
    /// How long a shutdown waits for in-flight requests.
    pub shutdown_grace_secs: u64,
    /// Origins allowed by CORS (`*` for any); empty disables CORS headers.
    #[serde(deserialize_with = "string_or_list")]
    pub cors_origins: Vec<String>,
    /// The public URL of this server, used in links it generates.
    pub public_url: Option<String>,
    /// Reverse proxies and load balancers (addresses or CIDRs, e.g.
    /// `10.0.0.0/8`) whose `Forwarded` / `X-Forwarded-For` headers name the
    /// client. A request from any other peer is taken to come from the
    /// peer itself, whatever its headers say.
    #[serde(deserialize_with = "string_or_list")]
    pub trusted_proxies: Vec<String>,
    /// How long an idempotent request that has not finished holds its key;
    /// a retry after that runs it again unless it had already committed.
    pub idempotency_lease_secs: u64,
}

impl HttpConfig {
    /// The trusted proxies, parsed (checked when the configuration loads).
    pub fn trusted_proxies(&self) -> Vec<crate::net::Cidr> {
        self.trusted_proxies.iter().filter_map(|c| crate::net::Cidr::parse(c).ok()).collect()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            body_limit: ByteSize(2 * 1024 * 1024),
            upload_limit: ByteSize(64 * 1024 * 1024),
            request_timeout_secs: 30,
            shutdown_grace_secs: 30,
            cors_origins: Vec::new(),
            public_url: None,
            trusted_proxies: Vec::new(),
            idempotency_lease_secs: 120,
        }
    }
}

/// Database settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// Connection URL of the application role. Unset: run the embedded cluster.
    pub url: Option<Secret>,
    /// Connection URL of the role that owns the schema and runs migrations.
    /// Defaults to `url`.
    pub owner_url: Option<Secret>,
    /// Connection URL of the role the job workers use for the queue's
    /// functions (claiming, finishing, pruning). Defaults to `owner_url`.
    /// The application role never holds them.
    pub worker_url: Option<Secret>,
    /// Largest number of pooled connections per process.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    pub acquire_timeout_secs: u64,
    /// The embedded cluster.
    pub embedded: EmbeddedConfig,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            owner_url: None,
            worker_url: None,
            max_connections: 16,
            acquire_timeout_secs: 5,
            embedded: EmbeddedConfig::default(),
        }
    }
}

/// Settings of the embedded PostgreSQL cluster.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct EmbeddedConfig {
    /// Also listen on this loopback TCP port (the Unix socket is always on).
    pub tcp_port: Option<u16>,
    /// The unprivileged system user PostgreSQL runs as when Tessera runs as root.
    pub system_user: String,
    /// PostgreSQL `max_connections`.
    pub max_connections: u32,
    /// PostgreSQL `shared_buffers` (`auto`: a quarter of the machine's
    /// memory, between 128 MiB and 8 GiB).
    pub shared_buffers: String,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            tcp_port: None,
            system_user: "nobody".into(),
            max_connections: 200,
            shared_buffers: "auto".into(),
        }
    }
}

/// Outgoing e-mail settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct MailConfig {
    /// `smtp://user:password@host:587?tls=required` or `smtps://…`. Unset:
    /// messages are written to `<data_dir>/outbox/` instead.
    pub smtp_url: Option<Secret>,
    /// The sender, e.g. `Tessera <no-reply@example.com>`.
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self { smtp_url: None, from: "Tessera <no-reply@localhost>".into() }
    }
}

/// Background job settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct JobsConfig {
    /// Run workers, the scheduler and the event dispatcher inside
    /// `tessera serve` (`tessera worker` always runs them).
    pub enabled: bool,
    /// Jobs run at the same time per queue, by queue name; queues not
    /// listed use `default`'s figure.
    pub queues: BTreeMap<String, usize>,
    /// How often an idle worker looks for due jobs when no notification
    /// woke it (retries and delayed jobs are found this way).
    pub poll_interval_ms: u64,
    /// How long a claimed job is held before another worker may take it
    /// over; renewed while the job runs.
    pub lease_secs: u64,
    /// Finished (succeeded or cancelled) jobs are kept this long.
    pub retention_days: u32,
    /// Dead jobs are kept this long, for inspection and retry.
    pub dead_retention_days: u32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            queues: BTreeMap::from([
                ("default".to_string(), 4),
                ("webhooks".to_string(), 8),
                ("ingest".to_string(), 2),
                ("concierge".to_string(), 4),
            ]),
            poll_interval_ms: 1000,
            lease_secs: 60,
            retention_days: 7,
            dead_retention_days: 30,
        }
    }
}

impl JobsConfig {
    /// The concurrency of a queue.
    pub fn concurrency(&self, queue: &str) -> usize {
        self.queues.get(queue).or_else(|| self.queues.get("default")).copied().unwrap_or(4).max(1)
    }
}

/// GST compliance settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ComplianceConfig {
    /// Allow IRP and e-way bill base URLs on private, loopback and
    /// link-local addresses (a local stand-in, or a GSP on the company's
    /// network); refused by default so a tenant cannot reach the host's.
    pub allow_private_endpoints: bool,
}

/// The concierge's channel settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ConciergeConfig {
    /// Allow Graph API base URLs on private, loopback and link-local
    /// addresses (a local stand-in); refused by default so a tenant cannot
    /// reach the host's network.
    pub allow_private_endpoints: bool,
}

/// Outgoing webhook settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct WebhooksConfig {
    /// Allow destinations on private, loopback and link-local addresses
    /// (refused by default so a tenant cannot reach the host's network).
    pub allow_private: bool,
    /// How long one delivery attempt may take.
    pub timeout_secs: u64,
    /// Delay before the first retry; later ones grow exponentially.
    pub first_retry_ms: u64,
    /// Longest delay between two attempts.
    pub max_retry_ms: u64,
    /// A delivery that has not succeeded after this long is marked failed.
    pub give_up_after_secs: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout_secs: 10,
            first_retry_ms: 10_000,
            max_retry_ms: 4 * 3600 * 1000,
            give_up_after_secs: 24 * 3600,
        }
    }
}

/// Settings of the AI runtime.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct AiConfig {
    /// CPU threads of local inference (0: every core).
    pub threads: usize,
    /// Arithmetic of the local embedder: `auto` (the fastest this CPU runs
    /// that meets the accuracy bar: bf16 with AVX-512 BF16, else f32), or
    /// `int8` (fastest with AVX-512 VNNI, slightly lower vector recall),
    /// `bf16` or `f32`. `tessera doctor` says which is used and why.
    pub embed_precision: String,
    /// Use the local embedding model when it is installed.
    pub local_embeddings: bool,
    /// Use the local chat model when it is installed.
    pub local_chat: bool,
    /// Local generations at once, each with its own context (0: cores ÷
    /// threads, at least 1; more queue).
    pub chat_parallel: usize,
    /// Context length of the local chat model, in tokens.
    pub chat_context: u32,
    /// Most tokens the local chat model writes per answer.
    pub chat_max_tokens: u32,
    /// Connecting to a provider.
    pub connect_timeout_secs: u64,
    /// A provider's first token.
    pub first_token_timeout_secs: u64,
    /// A whole provider call.
    pub request_timeout_secs: u64,
    /// Retries of a failed provider call (429, 5xx, timeouts).
    pub max_retries: u32,
    /// How long identical temperature-0 completions and embeddings are
    /// answered from the cache (0 disables it).
    pub cache_ttl_secs: u64,
    /// Entries the response cache keeps.
    pub cache_max_entries: usize,
    /// Price per model (USD per million tokens), for the usage ledger
    /// and budgets: `[ai.prices."gpt-4o-mini"] input = 0.15, output = 0.6`.
    pub prices: BTreeMap<String, ModelPrice>,
    /// Providers every tenant may use (the operator's accounts).
    pub providers: Vec<ProviderConfig>,
    /// Let tenants point their own providers at private or loopback
    /// addresses (e.g. an Ollama next to a single-company install);
    /// refused by default so a tenant cannot reach the host's network.
    pub allow_private_providers: bool,
}

impl Default for AiConfig {
    fn default() -> Self {
        Self {
            threads: 0,
            embed_precision: "auto".into(),
            local_embeddings: true,
            local_chat: true,
            chat_parallel: 0,
            chat_context: 2048,
            chat_max_tokens: 1024,
            connect_timeout_secs: 5,
            first_token_timeout_secs: 30,
            request_timeout_secs: 120,
            max_retries: 3,
            cache_ttl_secs: 3600,
            cache_max_entries: 10_000,
            prices: BTreeMap::new(),
            providers: Vec::new(),
            allow_private_providers: false,
        }
    }
}

/// A model's price in USD per million tokens.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// Per million prompt tokens.
    pub input: rust_decimal::Decimal,
    /// Per million completion tokens.
    #[serde(default)]
    pub output: rust_decimal::Decimal,
}

/// A provider configured for the whole instance.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Its name in routes and usage (`openai`, `azure-east`).
    pub name: String,
    /// `openai`, `azure`, `gemini`, `ollama`, `vllm`, `llamacpp` or
    /// `openai_compatible`.
    pub kind: String,
    /// Base URL (the usual one for openai, gemini and ollama when unset).
    #[serde(default)]
    pub base_url: Option<String>,
    /// The API key.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// The chat model.
    #[serde(default)]
    pub chat_model: Option<String>,
    /// The embedding model.
    #[serde(default)]
    pub embedding_model: Option<String>,
    /// Azure's `api-version`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// `cloud` (default) or `local` (runs on your own machines).
    #[serde(default)]
    pub locality: Option<String>,
    /// Lower runs first (default 100).
    #[serde(default)]
    pub priority: Option<i32>,
}

/// Logging settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct LogConfig {
    /// `json` (one object per line) or `pretty`.
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `info,sqlx=warn`; `RUST_LOG` wins.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Json, level: "info".into() }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Pretty,
}

impl Config {
    /// The directory holding PostgreSQL and the models.
    pub fn runtime_dir(&self) -> PathBuf {
        self.runtime_dir.clone().unwrap_or_else(|| self.data_dir.join("runtime"))
    }

    /// Whether this process runs the embedded cluster.
    pub fn embedded(&self) -> bool {
        self.database.url.is_none()
    }

    /// The configuration as TOML with secrets redacted, for `tessera doctor`.
    pub fn redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}"))
    }

    pub(super) fn finish(&mut self) -> Result<(), ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| ConfigError::Invalid {
            message: format!("cannot read the working directory: {e}"),
        })?;
        self.data_dir = absolute(&cwd, &self.data_dir);
        self.runtime_dir = self.runtime_dir.as_ref().map(|p| absolute(&cwd, p));
        if self.database.owner_url.is_some() && self.database.url.is_none() {
            return Err(ConfigError::Invalid {
                message: "`database.owner_url` (DATABASE_OWNER_URL) is set but `database.url` \
                          (DATABASE_URL) is not; set both, or neither to use the embedded database"
                    .into(),
            });
        }
        if self.database.worker_url.is_some() && self.database.url.is_none() {
            return Err(ConfigError::Invalid {
                message: "`database.worker_url` (DATABASE_WORKER_URL) is set but `database.url` \
                          (DATABASE_URL) is not; set both, or neither to use the embedded database"
                    .into(),
            });
        }
        for p in &self.http.trusted_proxies {
            if let Err(e) = crate::net::Cidr::parse(p) {
                return Err(ConfigError::Invalid {
                    message: format!("`http.trusted_proxies`: `{p}` {e}"),
                });
            }
        }
        if self.http.idempotency_lease_secs == 0 {
            return Err(ConfigError::Invalid {
                message: "`http.idempotency_lease_secs` must be at least 1".into(),
            });
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::Invalid {
                message: "`database.max_connections` must be at least 1".into(),
            });
        }
        if self.jobs.lease_secs == 0 || self.jobs.poll_interval_ms == 0 {
            return Err(ConfigError::Invalid {
                message: "`jobs.lease_secs` and `jobs.poll_interval_ms` must be at least 1".into(),
            });
        }
        if !["auto", "f32", "bf16", "int8"].contains(&self.ai.embed_precision.as_str()) {
            return Err(ConfigError::Invalid {
                message: format!(
                    "`ai.embed_precision` is `{}`; use auto, f32, bf16 or int8",
                    self.ai.embed_precision
                ),
            });
        }
        if self.http.body_limit.0 == 0 {
            return Err(ConfigError::Invalid { message: "`http.body_limit` must not be 0".into() });
        }
        Ok(())
    }
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    // Lexical clean-up of `.` components; `..` is kept as written.
    joined.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_load() {
        let c = Config::load(&Sources::default()).unwrap();
        assert_eq!(c.http.port, 8080);
        assert!(c.data_dir.is_absolute());
        assert!(c.embedded());
    }

    #[test]
    fn env_overrides_file_and_flags_override_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.toml");
        std::fs::write(
            &file,
            "data_dir = \"/srv/a\"\n[http]\nport = 9000\nbody_limit = \"1MiB\"\n",
        )
        .unwrap();
        let mut s = Sources {
            file: Some(file),
            env: env(&[("TESSERA_PORT", "9100"), ("TESSERA_HTTP__REQUEST_TIMEOUT_SECS", "5")]),
            flags: vec![],
        };
        let c = Config::load(&s).unwrap();
        assert_eq!(c.http.port, 9100);
        assert_eq!(c.http.request_timeout_secs, 5);
        assert_eq!(c.http.body_limit, ByteSize(1 << 20));
        assert_eq!(c.data_dir, PathBuf::from("/srv/a"));
        s.flag("http.port", "--port", Some(9200_i64));
        s.flag("data_dir", "--data-dir", Some("/srv/b"));
        let c = Config::load(&s).unwrap();
        assert_eq!(c.http.port, 9200);
        assert_eq!(c.data_dir, PathBuf::from("/srv/b"));
    }

    #[test]
    fn unknown_key_in_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.toml");
        std::fs::write(&file, "[http]\nprot = 1\n").unwrap();
        let err = Config::load(&Sources { file: Some(file), ..Default::default() }).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`http.prot`"), "{msg}");
        assert!(msg.contains("t.toml"), "{msg}");
    }

    #[test]
    fn unknown_env_key_names_the_variable() {
        let s = Sources { env: env(&[("TESSERA_HTTP__PROT", "1")]), ..Default::default() };
        let msg = Config::load(&s).unwrap_err().to_string();
        assert!(msg.contains("`http.prot`") && msg.contains("TESSERA_HTTP__PROT"), "{msg}");
    }

    #[test]
    fn bad_value_names_key_and_source() {
        let s = Sources { env: env(&[("TESSERA_PORT", "eighty")]), ..Default::default() };
        let msg = Config::load(&s).unwrap_err().to_string();
        assert!(msg.contains("http.port") && msg.contains("TESSERA_PORT"), "{msg}");
        let s = Sources {
            env: env(&[("TESSERA_HTTP__BODY_LIMIT", "3 parsecs")]),
            ..Default::default()
        };
        let msg = Config::load(&s).unwrap_err().to_string();
        assert!(msg.contains("http.body_limit") && msg.contains("parsecs"), "{msg}");
    }

    #[test]
    fn owner_url_needs_url() {
        let s = Sources {
            env: env(&[("DATABASE_OWNER_URL", "postgres://a@b/c")]),
            ..Default::default()
        };
        assert!(Config::load(&s).is_err());
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Sources {
            env: env(&[(
                "DATABASE_URL",
                "postgres://app:hunter2@db:5432/t?password=x&sslmode=require",
            )]),
            ..Default::default()
        };
        let c = Config::load(&s).unwrap();
        let shown = c.redacted_toml();
        assert!(!shown.contains("hunter2") && !shown.contains("password=x"), "{shown}");
        assert!(shown.contains("postgres://app:[redacted]@db:5432/t"), "{shown}");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn cors_origins_from_comma_list() {
        let s = Sources {
            env: env(&[("TESSERA_HTTP__CORS_ORIGINS", "http://a.test, http://b.test")]),
            ..Default::default()
        };
        let c = Config::load(&s).unwrap();
        assert_eq!(c.http.cors_origins, vec!["http://a.test", "http://b.test"]);
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(ByteSize::parse("2MiB").unwrap(), ByteSize(2 << 20));
        assert_eq!(ByteSize::parse("500 kB").unwrap(), ByteSize(500_000));
        assert_eq!(ByteSize::parse("42").unwrap(), ByteSize(42));
        assert!(ByteSize::parse("MiB").is_err());
        assert!(ByteSize::parse("3 parsecs").is_err());
    }
}
