//! Channels and the cross-company lookup of one by its public key.

use kernel::db::TenantTx;
use sqlx::PgPool;
use uuid::Uuid;

/// A channel as stored (secrets sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRow {
    /// Its id.
    pub id: Uuid,
    /// `whatsapp`, `instagram`, `web`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// URL key.
    pub public_key: String,
    /// Phone number id or Instagram account id.
    pub external_id: Option<String>,
    /// Graph API base URL.
    pub api_base_url: String,
    /// Graph API version.
    pub api_version: String,
    /// Webhook verify token.
    pub verify_token: String,
    /// Sealed app secret.
    pub app_secret: Option<Vec<u8>>,
    /// Sealed access token.
    pub access_token: Option<Vec<u8>>,
    /// Widget origins.
    pub allowed_origins: Vec<String>,
    /// Widget look.
    pub widget: sqlx::types::Json<serde_json::Value>,
    /// Enabled.
    pub enabled: bool,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The company and channel a public key names (enabled channels only), read
/// across companies by the privileged function, on the workers' pool.
pub async fn route(worker: &PgPool, key: &str) -> Result<Option<(Uuid, Uuid)>, sqlx::Error> {
    sqlx::query_as(kernel::sql!("SELECT tenant_id, channel_id FROM concierge_channel_route($1)"))
        .bind(key)
        .fetch_optional(worker)
        .await
}

/// Every channel, oldest first.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<ChannelRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, kind, name, public_key, external_id, api_base_url, api_version, verify_token,
                app_secret, access_token, allowed_origins, widget, enabled, created_at
           FROM concierge_channels WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// One channel.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<ChannelRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, kind, name, public_key, external_id, api_base_url, api_version, verify_token,
                app_secret, access_token, allowed_origins, widget, enabled, created_at
           FROM concierge_channels WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// The channel of a kind with this phone number id or account id.
pub async fn by_external(
    tx: &mut TenantTx,
    kind: &str,
    external_id: &str,
) -> Result<Option<ChannelRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, kind, name, public_key, external_id, api_base_url, api_version, verify_token,
                app_secret, access_token, allowed_origins, widget, enabled, created_at
           FROM concierge_channels WHERE tenant_id = $1 AND kind = $2 AND external_id = $3"
    ))
    .bind(tenant)
    .bind(kind)
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Inserts or replaces a channel; false when another channel of the kind
/// has its external id.
pub async fn upsert(tx: &mut TenantTx, c: &ChannelRow) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "INSERT INTO concierge_channels (tenant_id, id, kind, name, public_key, external_id, api_base_url,
                api_version, verify_token, app_secret, access_token, allowed_origins, widget, enabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (tenant_id, id) DO UPDATE SET name = $4, external_id = $6, api_base_url = $7,
                api_version = $8, verify_token = $9, app_secret = $10, access_token = $11,
                allowed_origins = $12, widget = $13, enabled = $14, updated_at = now()"
    ))
    .bind(tenant)
    .bind(c.id)
    .bind(&c.kind)
    .bind(&c.name)
    .bind(&c.public_key)
    .bind(&c.external_id)
    .bind(&c.api_base_url)
    .bind(&c.api_version)
    .bind(&c.verify_token)
    .bind(&c.app_secret)
    .bind(&c.access_token)
    .bind(&c.allowed_origins)
    .bind(&c.widget)
    .bind(c.enabled)
    .execute(&mut **tx)
    .await;
    match r {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("concierge_channels_external") => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Deletes a channel with its contacts and conversations.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "DELETE FROM concierge_channels WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() > 0)
}
