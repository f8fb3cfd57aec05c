//! Access tokens (JWT signed with Ed25519, `alg: EdDSA`), the key ring that
//! signs and verifies them, and opaque tokens (refresh tokens, API keys,
//! invitations, password resets).
//!
//! Verification accepts exactly one algorithm (EdDSA) and only keys of the
//! ring, by `kid`; `alg: none`, HMAC with the public key, unknown or
//! tampered tokens, expired or not-yet-valid ones are all refused.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use kernel::crypto::{self, SecretBox, b64url, from_b64url};
use kernel::db::Db;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{TenantId, UserId};
use crate::repo;

/// Access tokens live this long.
pub const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
/// Refresh tokens live this long.
pub const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Clock skew tolerated when checking `exp`, `nbf` and `iat`.
const LEEWAY_SECS: i64 = 30;
/// A retired key still verifies for this long (longer than any token lives).
const RETIRED_GRACE: Duration = Duration::from_secs(3600);

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The person.
    pub sub: UserId,
    /// The tenant the token is for.
    #[serde(with = "verified_tenant")]
    pub tid: TenantId,
    /// Role keys or names at issue time (informational: permissions are
    /// checked against the current roles).
    pub roles: Vec<String>,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Token id.
    pub jti: Uuid,
    /// Always `access`.
    pub typ: String,
    /// The session (refresh-token family) this token belongs to.
    pub sid: Uuid,
}

/// A token's tenant claim: read only from a token whose signature is
/// checked before the claims are used.
mod verified_tenant {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::model::TenantId;

    pub fn serialize<S: Serializer>(t: &TenantId, s: S) -> Result<S::Ok, S::Error> {
        t.as_uuid().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TenantId, D::Error> {
        uuid::Uuid::deserialize(d).map(TenantId::from_uuid)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    #[error("the token is malformed")]
    Malformed,
    /// Not `alg: EdDSA`.
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    /// The `kid` names no key of ours.
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    Signature,
    /// Past `exp`.
    #[error("the token has expired")]
    Expired,
    /// Before `nbf` or issued in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// Not an access token.
    #[error("the token is not an access token")]
    WrongType,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

struct Keys {
    signing: Option<(String, SigningKey)>,
    verifying: HashMap<String, VerifyingKey>,
    public: Vec<(String, [u8; 32])>,
    loaded: Instant,
}

/// The signing keys, loaded from the database.
pub struct KeyRing {
    keys: RwLock<Keys>,
    secrets: SecretBox,
    last_miss_reload: RwLock<Option<Instant>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing")
    }
}

impl KeyRing {
    /// Loads the keys, creating the first one if there is none.
    pub async fn load(db: &Db, secrets: SecretBox) -> anyhow::Result<KeyRing> {
        let ring = KeyRing {
            keys: RwLock::new(Keys {
                signing: None,
                verifying: HashMap::new(),
                public: Vec::new(),
                loaded: Instant::now(),
            }),
            secrets,
            last_miss_reload: RwLock::new(None),
        };
        ring.reload(db).await?;
        let has_signing = ring.keys.read().map(|k| k.signing.is_some()).unwrap_or(false);
        if !has_signing {
            ring.create_key(db).await?;
            ring.reload(db).await?;
        }
        Ok(ring)
    }

    async fn create_key(&self, db: &Db) -> anyhow::Result<String> {
        let seed: [u8; 32] = crypto::random_bytes();
        let signing = SigningKey::from_bytes(&seed);
        let kid = format!("k{}", &Uuid::now_v7().simple().to_string()[..16]);
        let sealed = self.secrets.seal(&seed, kid.as_bytes())?;
        let mut conn = db.pool().acquire().await?;
        repo::keys::insert_key(&mut conn, &kid, signing.verifying_key().as_bytes(), &sealed)
            .await?;
        Ok(kid)
    }

    /// Starts signing with a new key; tokens signed by the previous keys
    /// keep verifying until they expire. Returns the new `kid`.
    pub async fn rotate(&self, db: &Db) -> anyhow::Result<String> {
        let kid = self.create_key(db).await?;
        {
            let mut conn = db.pool().acquire().await?;
            repo::keys::retire_others(&mut conn, &kid).await?;
        }
        self.reload(db).await?;
        Ok(kid)
    }

    /// Re-reads the keys (another node may have rotated them).
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let rows = {
            let mut conn = db.pool().acquire().await?;
            repo::keys::live_keys(&mut conn, RETIRED_GRACE.as_secs_f64()).await?
        };
        let mut signing = None;
        let mut verifying = HashMap::new();
        let mut public = Vec::new();
        for row in rows {
            let pk: [u8; 32] = row
                .public_key
                .as_slice()
                .try_into()
                .map_err(|_| anyhow::anyhow!("signing key {} is damaged", row.kid))?;
            let vk = VerifyingKey::from_bytes(&pk)?;
            if row.retired_at.is_none() {
                let seed = self.secrets.open(&row.private_key, row.kid.as_bytes())?;
                let seed: [u8; 32] = seed
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("signing key {} is damaged", row.kid))?;
                // Rows come oldest first: the newest active key signs.
                signing = Some((row.kid.clone(), SigningKey::from_bytes(&seed)));
            }
            verifying.insert(row.kid.clone(), vk);
            public.push((row.kid, pk));
        }
        let mut keys = self.keys.write().map_err(|_| anyhow::anyhow!("key ring poisoned"))?;
        *keys = Keys { signing, verifying, public, loaded: Instant::now() };
        Ok(())
    }

    /// Reloads when a token names an unknown key, at most every 10 s.
    pub async fn reload_after_miss(&self, db: &Db) {
        let due = self
            .last_miss_reload
            .read()
            .map(|t| t.is_none_or(|t| t.elapsed() > Duration::from_secs(10)))
            .unwrap_or(false);
        if due {
            if let Ok(mut t) = self.last_miss_reload.write() {
                *t = Some(Instant::now());
            }
            if let Err(e) = self.reload(db).await {
                tracing::warn!(error = %e, "cannot reload signing keys");
            }
        }
    }

    /// How long ago the keys were loaded.
    pub fn age(&self) -> Duration {
        self.keys.read().map(|k| k.loaded.elapsed()).unwrap_or_default()
    }

    /// Signs claims into a compact JWT.
    pub fn sign(&self, claims: &AccessClaims) -> anyhow::Result<String> {
        let keys = self.keys.read().map_err(|_| anyhow::anyhow!("key ring poisoned"))?;
        let (kid, key) = keys.signing.as_ref().ok_or_else(|| anyhow::anyhow!("no signing key"))?;
        let header =
            Header { alg: "EdDSA".into(), typ: Some("JWT".into()), kid: Some(kid.clone()) };
        let mut token = b64url(&serde_json::to_vec(&header)?);
        token.push('.');
        token.push_str(&b64url(&serde_json::to_vec(claims)?));
        let sig = key.sign(token.as_bytes());
        token.push('.');
        token.push_str(&b64url(&sig.to_bytes()));
        Ok(token)
    }

    /// Verifies a JWT and its times; returns its claims.
    pub fn verify(&self, token: &str, now: i64) -> Result<AccessClaims, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = serde_json::from_slice(&from_b64url(h).ok_or(TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
        if header.alg != "EdDSA" {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let sig_bytes: [u8; 64] = from_b64url(s)
            .ok_or(TokenError::Malformed)?
            .try_into()
            .map_err(|_| TokenError::Malformed)?;
        {
            let keys = self.keys.read().map_err(|_| TokenError::UnknownKey)?;
            let key = keys.verifying.get(&kid).ok_or(TokenError::UnknownKey)?;
            let signed = &token[..h.len() + 1 + p.len()];
            key.verify_strict(signed.as_bytes(), &Signature::from_bytes(&sig_bytes))
                .map_err(|_| TokenError::Signature)?;
        }
        let claims: AccessClaims =
            serde_json::from_slice(&from_b64url(p).ok_or(TokenError::Malformed)?)
                .map_err(|_| TokenError::Malformed)?;
        if claims.typ != "access" {
            return Err(TokenError::WrongType);
        }
        if now > claims.exp + LEEWAY_SECS {
            return Err(TokenError::Expired);
        }
        if claims.nbf > now + LEEWAY_SECS || claims.iat > now + LEEWAY_SECS {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }

    /// The public keys as a JWK Set.
    pub fn jwks(&self) -> serde_json::Value {
        let keys = self.keys.read().map(|k| k.public.clone()).unwrap_or_default();
        serde_json::json!({
            "keys": keys.iter().map(|(kid, pk)| serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                "kid": kid, "x": b64url(pk),
            })).collect::<Vec<_>>()
        })
    }

    /// The `kid` currently signing.
    pub fn current_kid(&self) -> Option<String> {
        self.keys.read().ok().and_then(|k| k.signing.as_ref().map(|(kid, _)| kid.clone()))
    }
}

/// An opaque secret token: `<kind>_<base64url(secret ‖ tenant ‖ id)>`.
/// The tenant and row id travel in the token so it can be looked up under
/// row-level security; only SHA-256 of the secret is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueToken {
    /// What it is (`tsr` refresh, `tsk` API key, `tsi` invitation, `tsp` reset).
    pub kind: &'static str,
    /// The tenant (nil for global tokens).
    pub tenant: TenantId,
    /// The row it names.
    pub id: Uuid,
    secret: [u8; 32],
}

impl std::fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpaqueToken({}, {}, {})", self.kind, self.tenant, self.id)
    }
}

/// Refresh tokens.
pub const REFRESH: &str = "tsr";
/// API keys.
pub const API_KEY: &str = "tsk";
/// Invitations.
pub const INVITATION: &str = "tsi";
/// Password resets.
pub const RESET: &str = "tsp";

impl OpaqueToken {
    /// A new token for a row.
    pub fn new(kind: &'static str, tenant: TenantId, id: Uuid) -> OpaqueToken {
        OpaqueToken { kind, tenant, id, secret: crypto::random_bytes() }
    }

    /// Parses a token of `kind`.
    pub fn parse(kind: &'static str, text: &str) -> Option<OpaqueToken> {
        let body = text.trim().strip_prefix(kind)?.strip_prefix('_')?;
        let bytes = from_b64url(body)?;
        if bytes.len() != 64 {
            return None;
        }
        let secret: [u8; 32] = bytes[..32].try_into().ok()?;
        let tenant = Uuid::from_slice(&bytes[32..48]).ok()?;
        let id = Uuid::from_slice(&bytes[48..64]).ok()?;
        // The tenant is only a hint for the lookup: the row is read under
        // that tenant's row-level security and the secret's hash checked.
        Some(OpaqueToken { kind, tenant: TenantId::from_uuid(tenant), id, secret })
    }

    /// The text given to the client (once).
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(&self.secret);
        bytes.extend_from_slice(self.tenant.as_uuid().as_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        format!("{}_{}", self.kind, b64url(&bytes))
    }

    /// What is stored: SHA-256 of the secret.
    pub fn hash(&self) -> [u8; 32] {
        crypto::sha256(&self.secret)
    }

    /// The visible beginning of the token (identifies an API key in lists).
    pub fn prefix(&self) -> String {
        self.encode()[..self.kind.len() + 9].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_tokens_round_trip() {
        let t = OpaqueToken::new(REFRESH, TenantId::generate(), Uuid::now_v7());
        let text = t.encode();
        assert!(text.starts_with("tsr_"));
        let back = OpaqueToken::parse(REFRESH, &text).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.hash(), t.hash());
        assert!(OpaqueToken::parse(API_KEY, &text).is_none(), "kind is checked");
        assert!(OpaqueToken::parse(REFRESH, "tsr_abc").is_none());
        assert_eq!(t.prefix().len(), 12);
        assert!(text.starts_with(&t.prefix()));
    }
}
