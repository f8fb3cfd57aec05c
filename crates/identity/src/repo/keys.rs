//! The keys that sign access tokens (global table).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// A signing key as stored (its private half sealed).
#[derive(Debug, sqlx::FromRow)]
pub struct KeyRow {
    /// Key id (`kid`).
    pub kid: String,
    /// Ed25519 public key.
    pub public_key: Vec<u8>,
    /// The sealed seed.
    pub private_key: Vec<u8>,
    /// When it stopped signing.
    pub retired_at: Option<DateTime<Utc>>,
}

/// Stores a new key.
pub async fn insert_key(
    conn: &mut PgConnection,
    kid: &str,
    public_key: &[u8],
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!(
        "INSERT INTO signing_keys (kid, public_key, private_key) VALUES ($1, $2, $3)"
    ))
    .bind(kid)
    .bind(public_key)
    .bind(sealed)
    .execute(conn)
    .await?;
    Ok(())
}

/// Retires every active key but `kid`.
pub async fn retire_others(conn: &mut PgConnection, kid: &str) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!(
        "UPDATE signing_keys SET retired_at = now() WHERE kid <> $1 AND retired_at IS NULL"
    ))
    .bind(kid)
    .execute(conn)
    .await?;
    Ok(())
}

/// The keys that still sign or verify, oldest first.
pub async fn live_keys(
    conn: &mut PgConnection,
    retired_grace_secs: f64,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT kid, public_key, private_key, retired_at FROM signing_keys
          WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
          ORDER BY created_at"
    ))
    .bind(retired_grace_secs)
    .fetch_all(conn)
    .await
}
