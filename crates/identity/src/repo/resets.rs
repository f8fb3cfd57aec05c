//! Password resets (global table).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::model::UserId;

/// Global: stores a password reset.
pub async fn insert_reset(
    conn: &mut PgConnection,
    id: Uuid,
    user: UserId,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!(
        "INSERT INTO password_resets (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)"
    ))
    .bind(id)
    .bind(user)
    .bind(hash)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Global: whether a reset was requested for the person in the last minute.
pub async fn recent_reset(conn: &mut PgConnection, user: UserId) -> Result<bool, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(kernel::sql!("SELECT count(*) FROM password_resets WHERE user_id = $1 AND created_at > now() - interval '1 minute'"),
    )
    .bind(user)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Global: a reset, locked; (user, hash, expired or used).
pub async fn reset_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(UserId, Vec<u8>, bool)>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT user_id, token_hash, (used_at IS NOT NULL OR expires_at < now()) AS spent
           FROM password_resets WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Global: marks a reset used (and any other open reset of the person).
pub async fn spend_resets(conn: &mut PgConnection, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!(
        "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL"
    ))
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}
