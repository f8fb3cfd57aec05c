//! Originals, content-addressed: `<data dir>/files/<tenant>/<ab>/<sha256>`.
//! A file is written to a temporary name and renamed into place, so a
//! reader never sees half of one; the same content is stored once per
//! tenant.

use std::path::{Path, PathBuf};

use kernel::ids::TenantId;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Where originals live.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// The hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl FileStore {
    /// The store under a data directory.
    pub fn new(data_dir: &Path) -> FileStore {
        FileStore { root: data_dir.join("files") }
    }

    fn path(&self, tenant: TenantId, sha: &str) -> PathBuf {
        self.root.join(tenant.to_string()).join(&sha[..2]).join(sha)
    }

    /// Stores `bytes` (whose hash is `sha`) for a tenant, unless stored.
    pub async fn put(&self, tenant: TenantId, sha: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(tenant, sha);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        let tmp = dir.join(format!(".{sha}.{}", uuid::Uuid::now_v7()));
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        drop(f);
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok(())
    }

    /// A tenant's stored file.
    pub async fn get(&self, tenant: TenantId, sha: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(tenant, sha)).await
    }

    /// Removes a tenant's stored file (absent is fine).
    pub async fn remove(&self, tenant: TenantId, sha: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(tenant, sha)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}
