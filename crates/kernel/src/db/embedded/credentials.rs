//! The roles' passwords, generated at the first start and kept in `secrets/`.

use super::*;

/// Passwords of the roles, generated at the first start.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// Of `postgres`.
    pub superuser: String,
    /// Of `tessera_owner`.
    pub owner: String,
    /// Of `tessera_app`.
    pub app: String,
    /// Of `tessera_worker` (clusters made before it existed get it added).
    #[serde(default)]
    pub worker: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([redacted])")
    }
}

impl Credentials {
    pub(super) fn generate() -> Result<Self> {
        Ok(Self {
            superuser: random_hex()?,
            owner: random_hex()?,
            app: random_hex()?,
            worker: random_hex()?,
        })
    }

    pub(super) fn load_or_create(path: &Path) -> Result<Self> {
        if path.exists() {
            let text = fs::read_to_string(path)
                .with_context(|| format!("reading database credentials {}", path.display()))?;
            let mut creds: Credentials = serde_json::from_str(&text)
                .with_context(|| format!("{} is damaged", path.display()))?;
            if creds.worker.is_empty() {
                creds.worker = random_hex()?;
                creds.save(path)?;
            }
            return Ok(creds);
        }
        let creds = Self::generate()?;
        creds.save(path)?;
        Ok(creds)
    }

    pub(super) fn save(&self, path: &Path) -> Result<()> {
        let creds = self;
        let dir = path.parent().context("secrets path has no parent")?;
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let tmp = path.with_extension("json.tmp");
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            std::io::Write::write_all(&mut f, serde_json::to_string_pretty(&creds)?.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        Ok(())
    }
}

pub(super) fn random_hex() -> Result<String> {
    let mut buf = [0u8; 24];
    getrandom::fill(&mut buf).map_err(|e| anyhow!("no randomness available: {e}"))?;
    Ok(hex::encode(buf))
}
