//! Roles: the six system roles every company has, and custom roles.

use std::collections::BTreeSet;

use kernel::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

use super::unique_to;
use crate::audit::Changes;
use crate::auth::{Granted, Identity};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::permissions::{RolesRead, RolesWrite, SystemRole};
use crate::repo;

/// The company's roles, system roles first.
pub async fn list_roles(id: &Identity, g: &Granted<RolesRead>) -> Result<Vec<Role>> {
    let mut tx = g.read_tx(id.db()).await?;
    let rows = repo::roles(&mut tx).await?;
    Ok(rows.into_iter().map(|r| role_view(id, r)).collect())
}

/// One role.
pub async fn role(id: &Identity, g: &Granted<RolesRead>, rid: RoleId) -> Result<Role> {
    let mut tx = g.read_tx(id.db()).await?;
    let row = repo::role(&mut tx, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    Ok(role_view(id, row))
}

/// A role as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Role {
    /// Id.
    pub id: RoleId,
    /// System key (`owner`, …), null for custom roles.
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Whether it is a system role (cannot be changed or deleted).
    pub system: bool,
    /// Its permissions.
    pub permissions: Vec<String>,
    /// People holding it.
    pub members: i64,
}

/// A role row with its effective permissions.
pub fn role_view(id: &Identity, r: repo::RoleRow) -> Role {
    let system = r.key.is_some();
    let permissions = match r.key.as_deref().and_then(SystemRole::from_key) {
        Some(sr) => id.catalog.of_role(sr).into_iter().map(str::to_string).collect(),
        None => r.permissions,
    };
    Role {
        id: r.id,
        key: r.key,
        name: r.name,
        description: r.description,
        system,
        permissions,
        members: r.members,
    }
}

pub(crate) fn check_permissions(
    id: &Identity,
    field: &str,
    perms: &[String],
) -> Result<Vec<String>> {
    let errors: Vec<FieldError> = perms
        .iter()
        .enumerate()
        .filter(|(_, p)| !id.catalog.contains(p))
        .map(|(i, _)| {
            FieldError::new(
                format!("{field}[{i}]"),
                "is not a known permission (see GET /api/v1/permissions)",
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(IdentityError::Validation(errors));
    }
    let set: BTreeSet<String> = perms.iter().cloned().collect();
    Ok(set.into_iter().collect())
}

/// Creates a custom role.
pub async fn create_role(
    id: &Identity,
    caller: &Granted<RolesWrite>,
    name: &RoleName,
    description: &str,
    perms: &[String],
) -> Result<Role> {
    let perms = check_permissions(id, "permissions", perms)?;
    let mut tx = caller.tx(id.db()).await?;
    let rid = RoleId::new();
    repo::insert_role(&mut tx, rid, None, name.as_str(), description, &perms)
        .await
        .map_err(|e| unique_to(e, IdentityError::RoleNameTaken))?;
    caller.audit(
        &mut tx,
        "role.created",
        "role",
        Some(rid.to_string()),
        Changes::new().set("name", name.as_str()).set("permissions", &perms),
    );
    let row = repo::role(&mut tx, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    tx.commit().await?;
    Ok(role_view(id, row))
}

/// Changes a custom role.
pub async fn update_role(
    id: &Identity,
    caller: &Granted<RolesWrite>,
    rid: RoleId,
    name: Option<&RoleName>,
    description: Option<&str>,
    perms: Option<&[String]>,
) -> Result<Role> {
    let perms = perms.map(|p| check_permissions(id, "permissions", p)).transpose()?;
    let mut tx = caller.tx(id.db()).await?;
    let before = repo::role(&mut tx, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    if before.key.is_some() {
        return Err(IdentityError::SystemRole);
    }
    let new_name = name.map_or(before.name.clone(), |n| n.as_str().to_string());
    let new_desc = description.map_or(before.description.clone(), str::to_string);
    repo::update_role(&mut tx, rid, &new_name, &new_desc)
        .await
        .map_err(|e| unique_to(e, IdentityError::RoleNameTaken))?;
    let mut changes = Changes::new().diff("name", &before.name, &new_name).diff(
        "description",
        &before.description,
        &new_desc,
    );
    if let Some(p) = &perms {
        repo::set_role_permissions(&mut tx, rid, p).await?;
        changes = changes.diff("permissions", &before.permissions, p);
    }
    caller.audit(&mut tx, "role.updated", "role", Some(rid.to_string()), changes);
    id.announce_tenant(&mut tx).await?;
    let row = repo::role(&mut tx, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant());
    Ok(role_view(id, row))
}

/// Deletes a custom role that nobody holds.
pub async fn delete_role(id: &Identity, caller: &Granted<RolesWrite>, rid: RoleId) -> Result<()> {
    let mut tx = caller.tx(id.db()).await?;
    let role = repo::role(&mut tx, rid).await?.ok_or(IdentityError::NotFound("role"))?;
    if role.key.is_some() {
        return Err(IdentityError::SystemRole);
    }
    if role.members > 0 {
        return Err(IdentityError::RoleInUse(role.members));
    }
    repo::delete_role(&mut tx, rid).await?;
    caller.audit(
        &mut tx,
        "role.deleted",
        "role",
        Some(rid.to_string()),
        Changes::new().set("name", &role.name),
    );
    tx.commit().await?;
    Ok(())
}
