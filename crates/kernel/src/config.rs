//! Configuration: built-in defaults, overridden by `tessera.toml`, overridden
//! by `TESSERA_*` environment variables, overridden by command-line flags.
//!
//! Every layer is checked on its own, so an unknown key or a value of the
//! wrong type is reported with the place it came from (the file, or the
//! environment variable's name).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    /// A request that takes longer than this answers 503 `request_timeout`.
    pub request_timeout_secs: u64,
    /// How long a shutdown waits for in-flight requests.
    pub shutdown_grace_secs: u64,
    /// Origins allowed by CORS (`*` for any); empty disables CORS headers.
    #[serde(deserialize_with = "string_or_list")]
    pub cors_origins: Vec<String>,
    /// The public URL of this server, used in links it generates.
    pub public_url: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            body_limit: ByteSize(2 * 1024 * 1024),
            request_timeout_secs: 30,
            shutdown_grace_secs: 30,
            cors_origins: Vec::new(),
            public_url: None,
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
    /// PostgreSQL `shared_buffers`.
    pub shared_buffers: String,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            tcp_port: None,
            system_user: "nobody".into(),
            max_connections: 200,
            shared_buffers: "128MB".into(),
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
            queues: BTreeMap::from([("default".to_string(), 4), ("webhooks".to_string(), 8)]),
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
    /// Arithmetic of the local embedder: `auto` (bf16 where the CPU has
    /// AVX-512 BF16, else f32), `bf16` or `f32`.
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

    /// Loads and checks every layer.
    pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
        let mut merged = toml::Table::new();

        let file = match &sources.file {
            Some(path) => Some((path.clone(), true)),
            None => {
                let p = PathBuf::from(CONFIG_FILE_NAME);
                p.exists().then_some((p, false))
            }
        };
        if let Some((path, _explicit)) = file {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::Read { path: path.clone(), message: e.to_string() })?;
            let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                source_name: path.display().to_string(),
                message: e.to_string(),
            })?;
            check_layer(&table, &|_| format!("{}", path.display()))?;
            merge(&mut merged, table);
        }

        let (env_table, env_names) = env_layer(&sources.env)?;
        check_layer(&env_table, &|key| {
            env_names
                .get(key)
                .map(|n| format!("environment variable {n}"))
                .unwrap_or_else(|| "the environment".into())
        })?;
        merge(&mut merged, env_table);

        let mut flag_table = toml::Table::new();
        let mut flag_names = BTreeMap::new();
        for (key, flag, value) in &sources.flags {
            set_path(&mut flag_table, key, value.clone());
            flag_names.insert((*key).to_string(), (*flag).to_string());
        }
        check_layer(&flag_table, &|key| {
            flag_names.get(key).map(|n| format!("flag {n}")).unwrap_or_else(|| "a flag".into())
        })?;
        merge(&mut merged, flag_table);

        let mut config: Config = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid { message: e.to_string() })?;
        config.finish()?;
        Ok(config)
    }

    fn finish(&mut self) -> Result<(), ConfigError> {
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

/// Where the configuration comes from, besides the built-in defaults.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// An explicit configuration file (`--config` / `TESSERA_CONFIG`); when
    /// unset, `./tessera.toml` is read if it exists.
    pub file: Option<PathBuf>,
    /// The process environment (only `TESSERA_*` and `DATABASE_*` are read).
    pub env: Vec<(String, String)>,
    /// Flag values: dotted key, the flag's name (for messages), the value.
    pub flags: Vec<(&'static str, &'static str, toml::Value)>,
}

impl Sources {
    /// Reads the process environment; `TESSERA_CONFIG` names the file.
    pub fn from_env(file_flag: Option<PathBuf>) -> Self {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let file = file_flag.or_else(|| {
            env.iter().find(|(k, _)| k == "TESSERA_CONFIG").map(|(_, v)| PathBuf::from(v))
        });
        Self { file, env, flags: Vec::new() }
    }

    /// Adds a flag's value when the flag was given.
    pub fn flag(
        &mut self,
        key: &'static str,
        flag: &'static str,
        value: Option<impl Into<toml::Value>>,
    ) -> &mut Self {
        if let Some(v) = value {
            self.flags.push((key, flag, v.into()));
        }
        self
    }
}

/// A configuration that cannot be used, with what and where.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The file is not valid TOML.
    #[error("{source_name} is not valid TOML: {message}")]
    Parse {
        /// The file.
        source_name: String,
        /// The parser's message.
        message: String,
    },
    /// A key that Tessera does not know.
    #[error("unknown configuration key `{key}` in {source_name}")]
    UnknownKey {
        /// The dotted key.
        key: String,
        /// Where it was set.
        source_name: String,
    },
    /// A value of the wrong type or out of range.
    #[error("invalid configuration in {source_name}: {message}")]
    BadValue {
        /// Where it was set.
        source_name: String,
        /// The deserializer's message, naming the key.
        message: String,
    },
    /// A combination of values that cannot work.
    #[error("invalid configuration: {message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
}

/// Checks one layer for unknown keys and values of the wrong type.
fn check_layer(table: &toml::Table, source_of: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
    let mut unknown = Vec::new();
    let value = toml::Value::Table(table.clone());
    let result: Result<Config, _> =
        serde_ignored::deserialize(value, |path| unknown.push(path.to_string()));
    if let Some(key) = unknown.into_iter().next() {
        return Err(ConfigError::UnknownKey { source_name: source_of(&key), key });
    }
    if let Err(e) = result {
        // Name the first key of this layer that fails on its own.
        let key = first_bad_key(table).unwrap_or_default();
        return Err(ConfigError::BadValue {
            source_name: source_of(&key),
            message: if key.is_empty() { e.to_string() } else { format!("`{key}`: {e}") },
        });
    }
    Ok(())
}

/// Finds the dotted key of the first leaf that does not deserialize alone.
fn first_bad_key(table: &toml::Table) -> Option<String> {
    fn leaves(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
        for (k, v) in t {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                toml::Value::Table(inner) => leaves(&key, inner, out),
                other => out.push((key, other.clone())),
            }
        }
    }
    let mut all = Vec::new();
    leaves("", table, &mut all);
    all.into_iter().find_map(|(key, v)| {
        let mut single = toml::Table::new();
        set_path(&mut single, &key, v);
        let r: Result<Config, _> = toml::Value::Table(single).try_into();
        r.is_err().then_some(key)
    })
}

/// Turns `TESSERA_*` and `DATABASE_*` variables into a table.
fn env_layer(
    env: &[(String, String)],
) -> Result<(toml::Table, BTreeMap<String, String>), ConfigError> {
    let mut table = toml::Table::new();
    let mut names = BTreeMap::new();
    for (name, raw) in env {
        let key = match name.as_str() {
            "DATABASE_URL" => "database.url".to_string(),
            "DATABASE_OWNER_URL" => "database.owner_url".to_string(),
            "TESSERA_CONFIG" => continue,
            "TESSERA_PORT" => "http.port".to_string(),
            "TESSERA_HOST" => "http.host".to_string(),
            other => match other.strip_prefix(ENV_PREFIX) {
                Some(rest) if !rest.is_empty() => rest.to_ascii_lowercase().replace("__", "."),
                _ => continue,
            },
        };
        if raw.is_empty() {
            continue;
        }
        set_path(&mut table, &key, env_value(raw));
        names.insert(key, name.clone());
    }
    Ok((table, names))
}

/// An environment value: a number, boolean, array or inline table when it
/// reads as one, otherwise a string.
fn env_value(raw: &str) -> toml::Value {
    let trimmed = raw.trim();
    let looks_typed = trimmed == "true"
        || trimmed == "false"
        || trimmed.starts_with('[')
        || trimmed.starts_with('{')
        || trimmed.parse::<i64>().is_ok()
        || (trimmed.parse::<f64>().is_ok() && trimmed.contains('.'));
    if looks_typed
        && let Ok(t) = toml::from_str::<toml::Table>(&format!("v = {trimmed}"))
        && let Some(v) = t.get("v")
    {
        return v.clone();
    }
    toml::Value::String(raw.to_string())
}

fn set_path(table: &mut toml::Table, dotted: &str, value: toml::Value) {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut cur = table;
    for p in parts {
        let entry =
            cur.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        cur = match entry {
            toml::Value::Table(t) => t,
            _ => unreachable!("just made a table"),
        };
    }
    cur.insert(last.to_string(), value);
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => {
            s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
        }
        OneOrMany::Many(v) => v,
    })
}

/// A number of bytes, written as an integer or with a unit (`"2MiB"`, `"500kB"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `"2MiB"`, `"512 KB"`, `"1048576"`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a size such as \"2MiB\""))?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" | "k" => 1_000,
            "kib" => 1 << 10,
            "mb" | "m" => 1_000_000,
            "mib" => 1 << 20,
            "gb" | "g" => 1_000_000_000,
            "gib" => 1 << 30,
            other => {
                return Err(format!(
                    "unknown size unit `{other}` (use B, KB, KiB, MB, MiB, GB, GiB)"
                ));
            }
        };
        n.checked_mul(mult).map(ByteSize).ok_or_else(|| format!("`{s}` is too large"))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => ByteSize::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// A secret value: never printed, redacted when serialized (a URL keeps
/// everything but its password).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A form safe to show: URLs keep user, host and path.
    pub fn redacted(&self) -> String {
        redact_url(&self.0).unwrap_or_else(|| "[redacted]".into())
    }
}

/// `scheme://user:password@host/...` → `scheme://user:[redacted]@host/...`;
/// `None` when the text is not such a URL.
pub fn redact_url(s: &str) -> Option<String> {
    let (scheme, rest) = s.split_once("://")?;
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let tail = redact_query_password(tail);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                Some(format!("{scheme}://{user}:[redacted]@{host}{tail}"))
            } else {
                Some(format!("{scheme}://{user}@{host}{tail}"))
            }
        }
        None => Some(format!("{scheme}://{authority}{tail}")),
    }
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else { return tail.to_string() };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=[redacted]"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
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
