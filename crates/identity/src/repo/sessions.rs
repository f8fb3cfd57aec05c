//! Refresh tokens (sessions) and ended sessions.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::model::UserId;

/// A stored refresh token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    /// Session (family).
    pub family_id: Uuid,
    /// The person.
    pub user_id: UserId,
    /// SHA-256 of the secret.
    pub token_hash: Vec<u8>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged.
    pub used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a refresh token.
#[allow(clippy::too_many_arguments)]
pub async fn insert_refresh(
    tx: &mut TenantTx,
    id: Uuid,
    family: Uuid,
    user: UserId,
    hash: &[u8],
    expires_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<&str>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, token_hash, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7::inet, $8)"),
    )
    .bind(tenant)
    .bind(id)
    .bind(family)
    .bind(user)
    .bind(hash)
    .bind(expires_at)
    .bind(ip)
    .bind(user_agent)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A refresh token, locked for exchange.
pub async fn refresh_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<RefreshRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT family_id, user_id, token_hash, expires_at, used_at, revoked_at
           FROM refresh_tokens WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Marks a refresh token exchanged.
pub async fn mark_refresh_used(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE refresh_tokens SET used_at = now() WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Revokes every token of a session; returns how many were live.
pub async fn revoke_family(
    tx: &mut TenantTx,
    family: Uuid,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $3
          WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL"
    ))
    .bind(tenant)
    .bind(family)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// Revokes every session of a member; returns the sessions' ids.
pub async fn revoke_member_sessions(
    tx: &mut TenantTx,
    user: UserId,
    reason: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(Uuid,)> = sqlx::query_as(kernel::sql!(
        "UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $3
          WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL
          RETURNING family_id"
    ))
    .bind(tenant)
    .bind(user)
    .bind(reason)
    .fetch_all(&mut **tx)
    .await?;
    let mut ids: Vec<Uuid> = rows.into_iter().map(|r| r.0).collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Global: remembers a session as ended (checked on every request).
pub async fn end_sessions(conn: &mut PgConnection, sessions: &[Uuid]) -> Result<(), sqlx::Error> {
    if sessions.is_empty() {
        return Ok(());
    }
    sqlx::query(kernel::sql!(
        "INSERT INTO ended_sessions (session_id, ended_at) SELECT unnest($1::uuid[]), now()
         ON CONFLICT (session_id) DO NOTHING"
    ))
    .bind(sessions)
    .execute(conn)
    .await?;
    Ok(())
}

/// Global: sessions ended recently enough that their access tokens may
/// still be live.
pub async fn recently_ended_sessions(
    conn: &mut PgConnection,
    within_secs: f64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let rows: Vec<(Uuid,)> = sqlx::query_as(kernel::sql!(
        "SELECT session_id FROM ended_sessions WHERE ended_at > now() - make_interval(secs => $1)"
    ))
    .bind(within_secs)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
