//! The IRP's signed invoice and signed QR code: compact JWS (RS256) whose
//! payload is `{"data": "<json>", "iss": "NIC"}`, verified with the IRP's
//! public key before anything is stored or printed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde_json::Value;
use sha2::Sha256;

/// Why a token is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// The configured public key is not a PEM RSA public key.
    #[error("the IRP's public key is not a PEM-encoded RSA public key")]
    Key,
    /// Not three base64url parts with JSON inside.
    #[error("not a signed token")]
    Malformed,
    /// Signed with something other than RS256.
    #[error("signed with {0}, not RS256")]
    Algorithm(String),
    /// The signature does not match the content.
    #[error("the signature does not verify against the IRP's public key")]
    Signature,
}

/// Parses a PEM (`BEGIN PUBLIC KEY`) RSA public key.
pub fn public_key(pem: &str) -> Result<RsaPublicKey, JwsError> {
    RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|_| JwsError::Key)
}

/// Verifies `token` with `key` and returns its `data`, parsed.
pub fn verify(token: &str, key: &RsaPublicKey) -> Result<Value, JwsError> {
    let mut parts = token.trim().split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let header: Value = decode_json(h)?;
    let alg = header["alg"].as_str().unwrap_or_default();
    if alg != "RS256" {
        return Err(JwsError::Algorithm(alg.to_owned()));
    }
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwsError::Malformed)?;
    let sig = Signature::try_from(sig.as_slice()).map_err(|_| JwsError::Signature)?;
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| JwsError::Signature)?;
    data(token).ok_or(JwsError::Malformed)
}

/// The `data` a token carries, parsed, without verifying it.
pub fn data(token: &str) -> Option<Value> {
    let payload: Value = decode_json(token.split('.').nth(1)?).ok()?;
    match &payload["data"] {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Object(_) => Some(payload["data"].clone()),
        _ => None,
    }
}

fn decode_json(part: &str) -> Result<Value, JwsError> {
    let bytes =
        URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| JwsError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwsError::Malformed)
}
