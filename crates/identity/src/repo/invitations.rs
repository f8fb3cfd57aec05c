//! Invitations.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::UserId;

/// An invitation.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Invitation {
    /// Id.
    pub id: Uuid,
    /// Invitee's e-mail.
    pub email: String,
    /// Roles they will get.
    pub role_ids: Vec<Uuid>,
    /// Who invited.
    pub invited_by: Option<Uuid>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    /// SHA-256 of the token's secret.
    pub token_hash: Vec<u8>,
}

/// Stores an invitation.
#[allow(clippy::too_many_arguments)]
pub async fn insert_invitation(
    tx: &mut TenantTx,
    id: Uuid,
    email: &str,
    roles: &[Uuid],
    hash: &[u8],
    invited_by: Option<Uuid>,
    expires_at: DateTime<Utc>,
) -> Result<Invitation, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!("INSERT INTO invitations (tenant_id, id, email, role_ids, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, email, role_ids, invited_by, expires_at, accepted_at, revoked_at, created_at, token_hash"),
    )
    .bind(tenant)
    .bind(id)
    .bind(email)
    .bind(roles)
    .bind(hash)
    .bind(invited_by)
    .bind(expires_at)
    .fetch_one(&mut **tx)
    .await
}

macro_rules! invitation_columns {
    () => {
        "id, email, role_ids, invited_by, expires_at, accepted_at, revoked_at, created_at, token_hash"
    };
}

/// One invitation, locked (for accepting it).
pub async fn invitation_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<Invitation>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        invitation_columns!(),
        " FROM invitations WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Pending invitations after an id, oldest first.
pub async fn pending_invitations(
    tx: &mut TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Invitation>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        invitation_columns!(),
        " FROM invitations
          WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            AND ($2::uuid IS NULL OR id > $2)
          ORDER BY id LIMIT $3"
    )))
    .bind(tenant)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Marks an invitation accepted.
pub async fn accept_invitation(tx: &mut TenantTx, id: Uuid, by: UserId) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("UPDATE invitations SET accepted_at = now(), accepted_by = $3 WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .bind(by)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Revokes a pending invitation; false when none was pending.
pub async fn revoke_invitation(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "UPDATE invitations SET revoked_at = now()
          WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}
