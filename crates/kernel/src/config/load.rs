//! Reading the layers of the configuration: the file, the environment
//! and flags, each checked on its own so errors name where they came from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

use super::{CONFIG_FILE_NAME, Config, ENV_PREFIX};

impl Config {
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
            "DATABASE_WORKER_URL" => "database.worker_url".to_string(),
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

pub(super) fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
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
