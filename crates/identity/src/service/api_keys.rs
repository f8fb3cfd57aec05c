//! API keys: created with a subset of the creator's permissions, shown
//! once, revoked at once everywhere.

use chrono::Utc;
use kernel::FieldError;
use kernel::pagination::{Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::check_permissions;
use crate::audit::Changes;
use crate::auth::{Granted, Identity};
use crate::error::{IdentityError, Result};
use crate::model::KeyName;
use crate::permissions::{ApiKeysRead, ApiKeysWrite};
use crate::repo::{self, ApiKey};
use crate::tokens::{self, OpaqueToken};

/// The company's API keys (never their secrets), oldest first.
pub async fn list_api_keys(
    id: &Identity,
    g: &Granted<ApiKeysRead>,
    page: &PageRequest,
    include_revoked: bool,
) -> Result<Page<ApiKey>> {
    let after: Option<Uuid> = page.after()?;
    let mut tx = g.read_tx(id.db()).await?;
    let rows = repo::api_keys(&mut tx, after, include_revoked, page.fetch()).await?;
    Ok(page.page(rows, |k| k.id))
}

/// A new API key: its secret appears here once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewApiKey {
    /// The key as stored (without its secret).
    #[serde(flatten)]
    pub key: repo::ApiKey,
    /// The secret: send it as `Authorization: Bearer <key>`. It is not shown again.
    pub secret: String,
}

/// Creates an API key holding a subset of the caller's permissions.
pub async fn create_api_key(
    id: &Identity,
    caller: &Granted<ApiKeysWrite>,
    name: &KeyName,
    perms: &[String],
    expires_at: Option<chrono::DateTime<Utc>>,
) -> Result<NewApiKey> {
    let name = name.as_str();
    let perms = check_permissions(id, "permissions", perms)?;
    if perms.is_empty() {
        return Err(IdentityError::invalid("permissions", "must name at least one permission"));
    }
    let beyond: Vec<FieldError> = perms
        .iter()
        .filter(|p| !caller.can(p))
        .map(|p| {
            FieldError::new("permissions", format!("`{p}` is not one of your own permissions"))
        })
        .collect();
    if !beyond.is_empty() {
        return Err(IdentityError::Validation(beyond));
    }
    if expires_at.is_some_and(|e| e <= Utc::now()) {
        return Err(IdentityError::invalid("expires_at", "must be in the future"));
    }
    let key_id = Uuid::now_v7();
    let token = OpaqueToken::new(tokens::API_KEY, caller.tenant(), key_id);
    let mut tx = caller.tx(id.db()).await?;
    let key = repo::insert_api_key(
        &mut tx,
        key_id,
        name,
        &token.prefix(),
        &token.hash(),
        &perms,
        caller.user_id().map(|u| u.as_uuid()),
        expires_at,
    )
    .await?;
    caller.audit(
        &mut tx,
        "api_key.created",
        "api_key",
        Some(key_id.to_string()),
        Changes::new()
            .set("name", name)
            .set("permissions", &perms)
            .set("expires_at", expires_at)
            .secret("secret"),
    );
    kernel::outbox::publish(
        &mut tx,
        crate::API_KEY_CREATED,
        &serde_json::json!({ "api_key_id": key.id, "name": &key.name, "prefix": &key.prefix }),
    )?;
    tx.commit().await?;
    Ok(NewApiKey { key, secret: token.encode() })
}

/// Revokes an API key (refused everywhere at once).
pub async fn revoke_api_key(
    id: &Identity,
    caller: &Granted<ApiKeysWrite>,
    key: Uuid,
) -> Result<()> {
    let mut tx = caller.tx(id.db()).await?;
    if !repo::revoke_api_key(&mut tx, key).await? {
        return Err(IdentityError::NotFound("API key"));
    }
    caller.audit(&mut tx, "api_key.revoked", "api_key", Some(key.to_string()), Changes::new());
    kernel::outbox::publish(
        &mut tx,
        crate::API_KEY_REVOKED,
        &serde_json::json!({ "api_key_id": key }),
    )?;
    id.announce_tenant(&mut tx).await?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant());
    Ok(())
}
