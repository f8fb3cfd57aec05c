//! API keys.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An API key as listed (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiKey {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The key's visible beginning.
    pub prefix: String,
    /// Permissions it carries.
    pub permissions: Vec<String>,
    /// Who made it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    /// SHA-256 of the secret.
    pub secret_hash: Vec<u8>,
}

macro_rules! key_columns {
    () => {
        "id, name, prefix, permissions, created_by, created_at, expires_at, last_used_at, revoked_at, secret_hash"
    };
}

/// Stores an API key.
#[allow(clippy::too_many_arguments)]
pub async fn insert_api_key(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    prefix: &str,
    hash: &[u8],
    permissions: &[String],
    created_by: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<ApiKey, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!("INSERT INTO api_keys (tenant_id, id, name, prefix, secret_hash, permissions, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ", key_columns!())))
    .bind(tenant)
    .bind(id)
    .bind(name)
    .bind(prefix)
    .bind(hash)
    .bind(permissions)
    .bind(created_by)
    .bind(expires_at)
    .fetch_one(&mut **tx)
    .await
}

/// One API key.
pub async fn api_key(tx: &mut TenantTx, id: Uuid) -> Result<Option<ApiKey>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        key_columns!(),
        " FROM api_keys WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// API keys after an id (newest last).
pub async fn api_keys(
    tx: &mut TenantTx,
    after: Option<Uuid>,
    include_revoked: bool,
    limit: i64,
) -> Result<Vec<ApiKey>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        key_columns!(),
        " FROM api_keys
          WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) AND ($3 OR revoked_at IS NULL)
          ORDER BY id LIMIT $4"
    )))
    .bind(tenant)
    .bind(after)
    .bind(include_revoked)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Revokes an API key; false when it was not live.
pub async fn revoke_api_key(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!("UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL"))
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records that a key was used.
pub async fn touch_api_key(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
