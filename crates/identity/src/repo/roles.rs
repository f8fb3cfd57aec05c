//! Roles and the permissions of custom roles.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;

use crate::model::RoleId;

/// A role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    /// Id.
    pub id: RoleId,
    /// System key.
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Custom permissions (empty for system roles).
    pub permissions: Vec<String>,
    /// People holding it.
    pub members: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

macro_rules! role_select {
    () => {
        "
    SELECT r.id, r.key, r.name, r.description, r.created_at, r.updated_at,
           coalesce((SELECT array_agg(p.permission ORDER BY p.permission) FROM role_permissions p
                      WHERE p.tenant_id = r.tenant_id AND p.role_id = r.id), '{}') AS permissions,
           (SELECT count(*) FROM member_roles mr WHERE mr.tenant_id = r.tenant_id AND mr.role_id = r.id) AS members
      FROM roles r"
    };
}

/// Every role of the tenant, system roles first.
pub async fn roles(tx: &mut TenantTx) -> Result<Vec<RoleRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(role_select!(), " WHERE r.tenant_id = $1
          ORDER BY array_position(ARRAY['owner', 'admin', 'accountant', 'sales', 'business', 'member'], r.key) NULLS LAST,
                   r.created_at, r.name")))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// One role.
pub async fn role(tx: &mut TenantTx, id: RoleId) -> Result<Option<RoleRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(role_select!(), " WHERE r.tenant_id = $1 AND r.id = $2")))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Inserts a role with its permissions.
pub async fn insert_role(
    tx: &mut TenantTx,
    id: RoleId,
    key: Option<&str>,
    name: &str,
    description: &str,
    permissions: &[String],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO roles (tenant_id, id, key, name, description) VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(tenant)
    .bind(id)
    .bind(key)
    .bind(name)
    .bind(description)
    .execute(&mut **tx)
    .await?;
    set_role_permissions(tx, id, permissions).await
}

/// Replaces a custom role's permissions.
pub async fn set_role_permissions(
    tx: &mut TenantTx,
    id: RoleId,
    permissions: &[String],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("DELETE FROM role_permissions WHERE tenant_id = $1 AND role_id = $2"))
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(kernel::sql!("INSERT INTO role_permissions (tenant_id, role_id, permission) SELECT $1, $2, unnest($3::text[])"))
        .bind(tenant)
        .bind(id)
        .bind(permissions)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Renames / re-describes a role.
pub async fn update_role(
    tx: &mut TenantTx,
    id: RoleId,
    name: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("UPDATE roles SET name = $3, description = $4, updated_at = now() WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .bind(name)
        .bind(description)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes a role.
pub async fn delete_role(tx: &mut TenantTx, id: RoleId) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("DELETE FROM roles WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
