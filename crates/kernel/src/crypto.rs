//! Secrets at rest: AES-256-GCM with the instance's master key, random
//! tokens, and constant-time comparison.
//!
//! The master key comes from `secret_key` in the configuration (base64 of
//! 32 bytes; set the same on every node of a cluster) or, when unset, from
//! `<data_dir>/secrets/master.key`, generated on first use.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// Encrypts and decrypts small secrets with the master key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

const NONCE_LEN: usize = 12;

impl SecretBox {
    /// A box over a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self { cipher: Aes256Gcm::new(key.into()) }
    }

    /// The box of this instance: `secret_key` from the configuration, or
    /// the key file in the data directory (created when missing).
    pub fn from_config(config: &Config) -> Result<Self> {
        if let Some(k) = &config.secret_key {
            let bytes = STANDARD
                .decode(k.expose().trim())
                .or_else(|_| URL_SAFE_NO_PAD.decode(k.expose().trim()))
                .context("`secret_key` is not base64")?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow!("`secret_key` must be 32 bytes (44 characters of base64)"))?;
            return Ok(Self::new(&key));
        }
        let path = config.data_dir.join("secrets").join("master.key");
        Ok(Self::new(&load_or_create_key(&path)?))
    }

    /// Encrypts `plain`, bound to `context` (e.g. the row it belongs to):
    /// nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad: context })
            .map_err(|_| anyhow!("encryption failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same context.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN + 16 {
            bail!("sealed secret is too short");
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| anyhow!("bad nonce"))?;
        self.cipher.decrypt(&Nonce::from(nonce), Payload { msg: body, aad: context }).map_err(
            |_| anyhow!("cannot decrypt a stored secret: wrong master key or damaged data"),
        )
    }
}

fn load_or_create_key(path: &Path) -> Result<[u8; 32]> {
    if path.exists() {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes = STANDARD
            .decode(text.trim())
            .with_context(|| format!("{} is not base64", path.display()))?;
        return bytes
            .try_into()
            .map_err(|_| anyhow!("{} does not hold a 32-byte key", path.display()));
    }
    let dir = path.parent().context("key path has no parent")?;
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    let key: [u8; 32] = random_bytes();
    let tmp = path.with_extension("tmp");
    {
        let mut f =
            OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(STANDARD.encode(key).as_bytes())?;
        f.sync_all()?;
    }
    // Another process may have created it meanwhile: keep the first.
    if fs::hard_link(&tmp, path).is_err() {
        let _ = fs::remove_file(&tmp);
        return load_or_create_key(path);
    }
    let _ = fs::remove_file(&tmp);
    Ok(key)
}

/// `N` bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator failing is unrecoverable for a server.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    buf
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Compares secrets (or their hashes) in constant time.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// base64url without padding.
pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes base64url without padding.
pub fn from_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let b = SecretBox::new(&[7; 32]);
        let sealed = b.seal(b"sk-secret", b"provider:1").unwrap();
        assert_ne!(&sealed[NONCE_LEN..], b"sk-secret");
        assert_eq!(b.open(&sealed, b"provider:1").unwrap(), b"sk-secret");
        assert!(b.open(&sealed, b"provider:2").is_err(), "bound to its context");
        assert!(SecretBox::new(&[8; 32]).open(&sealed, b"provider:1").is_err());
        let mut tampered = sealed;
        tampered[NONCE_LEN] ^= 1;
        assert!(b.open(&tampered, b"provider:1").is_err());
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secrets/master.key");
        let a = load_or_create_key(&p).unwrap();
        let b = load_or_create_key(&p).unwrap();
        assert_eq!(a, b);
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
