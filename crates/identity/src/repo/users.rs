//! People (global table) and their memberships across companies.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::model::{TenantId, UserId};

/// A person (global table).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Global: a person by e-mail.
pub async fn user_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(conn)
    .await
}

/// Global: a person by id.
pub async fn user(conn: &mut PgConnection, id: UserId) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT id, email, name, password_hash, created_at FROM users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Global: inserts a person.
pub async fn insert_user(
    conn: &mut PgConnection,
    id: UserId,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)"
    ))
    .bind(id)
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Global: sets a person's password.
pub async fn set_password(
    conn: &mut PgConnection,
    id: UserId,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!("UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1"))
        .bind(id)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Global: sets a person's display name.
pub async fn set_user_name(
    conn: &mut PgConnection,
    id: UserId,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!("UPDATE users SET name = $2, updated_at = now() WHERE id = $1"))
        .bind(id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// One of a person's memberships, with its tenant.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct MembershipSummary {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// Its URL name.
    pub slug: String,
    /// `active` or `deactivated`.
    pub status: String,
    /// Last sign-in there.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// A person's memberships across tenants. Their rows are visible to the
/// person (memberships' policy: `app.user_id`) for this one query only;
/// the setting is cleared again before the transaction goes on.
pub async fn memberships_of(
    conn: &mut PgConnection,
    user: UserId,
) -> Result<Vec<MembershipSummary>, sqlx::Error> {
    sqlx::query(kernel::sql!("SELECT set_config('app.user_id', $1, true)"))
        .bind(user.to_string())
        .execute(&mut *conn)
        .await?;
    let rows = sqlx::query_as(kernel::sql!(
        "SELECT m.tenant_id, t.name, t.slug, m.status, m.last_login_at
           FROM memberships m JOIN tenants t ON t.id = m.tenant_id
          WHERE m.user_id = $1
          ORDER BY m.last_login_at DESC NULLS LAST, m.created_at"
    ))
    .bind(user)
    .fetch_all(&mut *conn)
    .await;
    sqlx::query(kernel::sql!("SELECT set_config('app.user_id', '', true)"))
        .execute(&mut *conn)
        .await?;
    rows
}
