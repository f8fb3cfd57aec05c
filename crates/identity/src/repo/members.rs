//! A company's members: memberships, their roles, sign-in records.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use serde::Serialize;
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{RoleId, UserId};

/// Inserts an active membership.
pub async fn insert_membership(tx: &mut TenantTx, user: UserId) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO memberships (tenant_id, user_id) VALUES ($1, $2)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET status = 'active', updated_at = now()"
    ))
    .bind(tenant)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What authentication needs to know about a member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberAuth {
    /// `active` or `deactivated`.
    pub status: String,
    /// Tokens issued before this are void.
    pub sessions_valid_after: Option<DateTime<Utc>>,
    /// Role ids.
    pub role_ids: Vec<Uuid>,
    /// System keys of the roles (None for custom roles).
    pub role_keys: Vec<Option<String>>,
    /// Role names.
    pub role_names: Vec<String>,
    /// Permissions of the custom roles.
    pub custom_permissions: Vec<String>,
}

/// A member's status, roles and custom permissions.
pub async fn member_auth(
    tx: &mut TenantTx,
    user: UserId,
) -> Result<Option<MemberAuth>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!("SELECT m.status, m.sessions_valid_after,
                coalesce(array_agg(r.id ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_ids,
                coalesce(array_agg(r.key ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_keys,
                coalesce(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_names,
                coalesce((SELECT array_agg(DISTINCT rp.permission) FROM member_roles mr2
                            JOIN role_permissions rp ON rp.tenant_id = mr2.tenant_id AND rp.role_id = mr2.role_id
                           WHERE mr2.tenant_id = $1 AND mr2.user_id = $2), '{}') AS custom_permissions
           FROM memberships m
           LEFT JOIN member_roles mr ON mr.tenant_id = m.tenant_id AND mr.user_id = m.user_id
           LEFT JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id
          WHERE m.tenant_id = $1 AND m.user_id = $2
          GROUP BY m.status, m.sessions_valid_after"),
    )
    .bind(tenant)
    .bind(user)
    .fetch_optional(&mut **tx)
    .await
}

/// Records a sign-in.
pub async fn touch_login(tx: &mut TenantTx, user: UserId) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE memberships SET last_login_at = now() WHERE tenant_id = $1 AND user_id = $2"
    ))
    .bind(tenant)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets a member's status; returns false if there is no such member.
pub async fn set_member_status(
    tx: &mut TenantTx,
    user: UserId,
    status: &str,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!("UPDATE memberships SET status = $3, updated_at = now(),
                sessions_valid_after = CASE WHEN $3 = 'deactivated' THEN now() ELSE sessions_valid_after END
          WHERE tenant_id = $1 AND user_id = $2"),
    )
    .bind(tenant)
    .bind(user)
    .bind(status)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Voids every token issued to the member so far.
pub async fn void_sessions(tx: &mut TenantTx, user: UserId) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE memberships SET sessions_valid_after = now() WHERE tenant_id = $1 AND user_id = $2"
    ))
    .bind(tenant)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A member as listed.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Member {
    /// The person's id.
    pub id: UserId,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `active` or `deactivated`.
    pub status: String,
    /// Their roles.
    #[schema(value_type = Vec<RoleRef>)]
    pub roles: Json<Vec<RoleRef>>,
    /// Last sign-in in this company.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Member since.
    pub created_at: DateTime<Utc>,
}

/// A role as referenced from a member.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq, Eq)]
pub struct RoleRef {
    /// Role id.
    pub id: RoleId,
    /// System key (`owner`, …) or null for custom roles.
    pub key: Option<String>,
    /// Name.
    pub name: String,
}

macro_rules! member_select {
    () => {
        "
    SELECT u.id, u.email, u.name, m.status, m.last_login_at, m.created_at,
           coalesce((SELECT json_agg(json_build_object('id', r.id, 'key', r.key, 'name', r.name) ORDER BY r.name)
                       FROM member_roles mr JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id
                      WHERE mr.tenant_id = m.tenant_id AND mr.user_id = m.user_id), '[]')::jsonb AS roles
      FROM memberships m JOIN users u ON u.id = m.user_id"
    };
}

/// One member.
pub async fn member(tx: &mut TenantTx, user: UserId) -> Result<Option<Member>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        member_select!(),
        " WHERE m.tenant_id = $1 AND m.user_id = $2"
    )))
    .bind(tenant)
    .bind(user)
    .fetch_optional(&mut **tx)
    .await
}

/// Members after a (created_at, id) key, oldest first.
pub async fn members(
    tx: &mut TenantTx,
    after: Option<(DateTime<Utc>, UserId)>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    let tenant = tx.tenant();
    let (at, id) = after.map_or((None, None), |(a, i)| (Some(a), Some(i)));
    sqlx::query_as(kernel::sql!(concat!(
        member_select!(),
        " WHERE m.tenant_id = $1
            AND ($2::timestamptz IS NULL OR (m.created_at, m.user_id) > ($2, $3))
            AND ($4::text IS NULL OR m.status = $4)
          ORDER BY m.created_at, m.user_id LIMIT $5"
    )))
    .bind(tenant)
    .bind(at)
    .bind(id)
    .bind(status)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Active members holding the owner role.
pub async fn active_owner_count(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    let tenant = tx.tenant();
    let (n,): (i64,) = sqlx::query_as(kernel::sql!("SELECT count(*) FROM member_roles mr
           JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id AND r.key = 'owner'
           JOIN memberships m ON m.tenant_id = mr.tenant_id AND m.user_id = mr.user_id AND m.status = 'active'
          WHERE mr.tenant_id = $1"),
    )
    .bind(tenant)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n)
}

/// Locks the tenant's owner assignments (serialises last-owner checks).
pub async fn lock_owners(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "SELECT 1 FROM roles WHERE tenant_id = $1 AND key = 'owner' FOR UPDATE"
    ))
    .bind(tenant)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces a member's roles.
pub async fn set_member_roles(
    tx: &mut TenantTx,
    user: UserId,
    roles: &[RoleId],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("DELETE FROM member_roles WHERE tenant_id = $1 AND user_id = $2"))
        .bind(tenant)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    let ids: Vec<Uuid> = roles.iter().map(RoleId::as_uuid).collect();
    sqlx::query(kernel::sql!("INSERT INTO member_roles (tenant_id, user_id, role_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING"),
    )
    .bind(tenant)
    .bind(user)
    .bind(&ids)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
