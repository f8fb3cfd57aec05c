//! A company's members: listing them, changing their roles,
//! deactivating and reactivating them.

use kernel::FieldError;
use kernel::db::TenantTx;
use kernel::pagination::{Page, PageRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::audit::Changes;
use crate::auth::{Granted, Identity};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::permissions::{UsersRead, UsersWrite};
use crate::repo::{self, Member, RoleRef};

/// A member's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Can sign in.
    Active,
    /// Cannot sign in; their sessions ended.
    Deactivated,
}

impl MemberStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Deactivated => "deactivated",
        }
    }
}

/// The company's members, oldest first.
pub async fn list_members(
    id: &Identity,
    g: &Granted<UsersRead>,
    page: &PageRequest,
    status: Option<MemberStatus>,
) -> Result<Page<Member>> {
    let after: Option<(chrono::DateTime<chrono::Utc>, UserId)> = page.after()?;
    let mut tx = g.read_tx(id.db()).await?;
    let rows =
        repo::members(&mut tx, after, status.map(MemberStatus::as_str), page.fetch()).await?;
    Ok(page.page(rows, |m| (m.created_at, m.id)))
}

/// One member.
pub async fn member(id: &Identity, g: &Granted<UsersRead>, user: UserId) -> Result<Member> {
    let mut tx = g.read_tx(id.db()).await?;
    repo::member(&mut tx, user).await?.ok_or(IdentityError::NotFound("user"))
}

/// Resolves role references (ids or system keys) of the caller's tenant.
pub(crate) async fn resolve_roles(
    tx: &mut TenantTx,
    field: &str,
    refs: &[String],
) -> Result<Vec<RoleRef>> {
    let all = repo::roles(tx).await?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let found = all.iter().find(|role| {
            role.key.as_deref() == Some(r.as_str())
                || role.id.to_string() == *r
                || role.name.eq_ignore_ascii_case(r)
        });
        match found {
            Some(role) => {
                if !out.iter().any(|o: &RoleRef| o.id == role.id) {
                    out.push(RoleRef {
                        id: role.id,
                        key: role.key.clone(),
                        name: role.name.clone(),
                    });
                }
            }
            None => errors
                .push(FieldError::new(format!("{field}[{i}]"), "is not a role of this company")),
        }
    }
    if !errors.is_empty() {
        return Err(IdentityError::Validation(errors));
    }
    if out.is_empty() {
        return Err(IdentityError::invalid(field, "must name at least one role"));
    }
    Ok(out)
}

/// Changes to a member.
#[derive(Debug, Clone, Default)]
pub struct MemberUpdate {
    /// New roles (replacing the current ones).
    pub roles: Option<Vec<String>>,
}

/// Changes a member's roles (keeping at least one active owner).
pub async fn update_member(
    id: &Identity,
    caller: &Granted<UsersWrite>,
    user: UserId,
    u: MemberUpdate,
) -> Result<Member> {
    let mut tx = caller.tx(id.db()).await?;
    repo::lock_owners(&mut tx).await?;
    let before = repo::member(&mut tx, user).await?.ok_or(IdentityError::NotFound("user"))?;
    if let Some(refs) = &u.roles {
        let roles = resolve_roles(&mut tx, "roles", refs).await?;
        let had_owner = before.roles.iter().any(|r| r.key.as_deref() == Some("owner"));
        let gets_owner = roles.iter().any(|r| r.key.as_deref() == Some("owner"));
        if gets_owner && !had_owner && !caller.is_owner() {
            return Err(IdentityError::OwnerOnly);
        }
        if had_owner && !gets_owner && !caller.is_owner() {
            return Err(IdentityError::OwnerOnly);
        }
        let ids: Vec<RoleId> = roles.iter().map(|r| r.id).collect();
        repo::set_member_roles(&mut tx, user, &ids).await?;
        if had_owner && !gets_owner && repo::active_owner_count(&mut tx).await? == 0 {
            return Err(IdentityError::LastOwner);
        }
        let from: Vec<String> = before.roles.iter().map(|r| r.name.clone()).collect();
        let to: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
        caller.audit(
            &mut tx,
            "user.roles_changed",
            "user",
            Some(user.to_string()),
            Changes::new().diff("roles", &from, &to),
        );
        kernel::outbox::publish(
            &mut tx,
            crate::USER_ROLES_CHANGED,
            &serde_json::json!({ "user_id": user, "from": &from, "to": &to }),
        )?;
    }
    id.announce_tenant(&mut tx).await?;
    let after = repo::member(&mut tx, user).await?.ok_or(IdentityError::NotFound("user"))?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant());
    Ok(after)
}

/// Deactivates a member (their sessions end at once) or reactivates them.
pub async fn set_member_active(
    id: &Identity,
    caller: &Granted<UsersWrite>,
    user: UserId,
    active: bool,
) -> Result<Member> {
    let mut tx = caller.tx(id.db()).await?;
    repo::lock_owners(&mut tx).await?;
    let before = repo::member(&mut tx, user).await?.ok_or(IdentityError::NotFound("user"))?;
    let is_owner = before.roles.iter().any(|r| r.key.as_deref() == Some("owner"));
    if is_owner && !caller.is_owner() {
        return Err(IdentityError::OwnerOnly);
    }
    let status = if active { "active" } else { "deactivated" };
    repo::set_member_status(&mut tx, user, status).await?;
    if !active {
        if is_owner && repo::active_owner_count(&mut tx).await? == 0 {
            return Err(IdentityError::LastOwner);
        }
        let sessions = repo::revoke_member_sessions(&mut tx, user, "deactivated").await?;
        id.end_sessions(&mut tx, &sessions).await?;
    }
    caller.audit(
        &mut tx,
        if active { "user.reactivated" } else { "user.deactivated" },
        "user",
        Some(user.to_string()),
        Changes::new().diff("status", &before.status, &status.to_string()),
    );
    kernel::outbox::publish(
        &mut tx,
        if active { crate::USER_REACTIVATED } else { crate::USER_DEACTIVATED },
        &serde_json::json!({ "user_id": user }),
    )?;
    id.announce_tenant(&mut tx).await?;
    let after = repo::member(&mut tx, user).await?.ok_or(IdentityError::NotFound("user"))?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant());
    Ok(after)
}
