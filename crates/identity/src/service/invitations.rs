//! Invitations: inviting someone by e-mail, accepting, revoking, listing.

use chrono::{Duration as ChronoDuration, Utc};
use kernel::crypto::constant_time_eq;
use kernel::mail::Mail;
use kernel::pagination::{Page, PageRequest};
use uuid::Uuid;

use super::{INVITATION_TTL_DAYS, Session, UserSummary, issue, resolve_roles, role_names};
use crate::audit::{Actor, Changes, Entry, RequestMeta};
use crate::auth::{Granted, Identity};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::password;
use crate::permissions::{UsersRead, UsersWrite};
use crate::repo::{self, Invitation};
use crate::tokens::{self, OpaqueToken};

/// Pending invitations, oldest first.
pub async fn list_invitations(
    id: &Identity,
    g: &Granted<UsersRead>,
    page: &PageRequest,
) -> Result<Page<Invitation>> {
    let after: Option<Uuid> = page.after()?;
    let mut tx = g.read_tx(id.db()).await?;
    let rows = repo::pending_invitations(&mut tx, after, page.fetch()).await?;
    Ok(page.page(rows, |i| i.id))
}

/// Invites someone by e-mail; the link is sent to them, never returned.
pub async fn invite(
    id: &Identity,
    caller: &Granted<UsersWrite>,
    email: &Email,
    roles: &[String],
) -> Result<Invitation> {
    let mut tx = caller.tx(id.db()).await?;
    let roles = resolve_roles(&mut tx, "roles", roles).await?;
    if roles.iter().any(|r| r.key.as_deref() == Some("owner")) && !caller.is_owner() {
        return Err(IdentityError::OwnerOnly);
    }
    if let Some(existing) = repo::user_by_email(&mut tx, email.as_str()).await?
        && repo::member(&mut tx, existing.id).await?.is_some_and(|m| m.status == "active")
    {
        return Err(IdentityError::AlreadyMember);
    }
    let inv_id = Uuid::now_v7();
    let token = OpaqueToken::new(tokens::INVITATION, caller.tenant(), inv_id);
    let expires = Utc::now() + ChronoDuration::days(INVITATION_TTL_DAYS);
    let role_ids: Vec<Uuid> = roles.iter().map(|r| r.id.as_uuid()).collect();
    let inv = repo::insert_invitation(
        &mut tx,
        inv_id,
        email.as_str(),
        &role_ids,
        &token.hash(),
        caller.user_id().map(|u| u.as_uuid()),
        expires,
    )
    .await?;
    caller.audit(
        &mut tx,
        "user.invited",
        "invitation",
        Some(inv_id.to_string()),
        Changes::new()
            .set("email", email.as_str())
            .set("roles", roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>()),
    );
    kernel::outbox::publish(
        &mut tx,
        crate::USER_INVITED,
        &serde_json::json!({ "invitation_id": inv_id, "email": email.as_str(),
                             "roles": roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>() }),
    )?;
    let tenant =
        repo::tenant(&mut tx, caller.tenant()).await?.ok_or(IdentityError::SessionEnded)?;
    tx.commit().await?;
    let link = format!("{}/invitations/accept?token={}", id.public_url, token.encode());
    let mail = Mail {
        to: email.as_str().to_string(),
        subject: format!("You are invited to {} on Tessera", tenant.name),
        body: format!(
            "You have been invited to join {} on Tessera.\n\nAccept the invitation (valid for {INVITATION_TTL_DAYS} days):\n{link}\n\n\
             Or send this token to POST /api/v1/auth/invitations/accept:\n{}\n\nIf you did not expect this, ignore this message.\n",
            tenant.name,
            token.encode()
        ),
        attachments: Vec::new(),
    };
    if let Err(e) = id.mailer.send(mail).await {
        tracing::error!(error = %e, "cannot send the invitation e-mail");
    }
    Ok(inv)
}

/// Accepting an invitation.
#[derive(Debug, Clone)]
pub struct Acceptance {
    /// The token from the e-mail.
    pub token: String,
    /// For a new account: the name.
    pub name: Option<Name>,
    /// The password: a new account's (strength-checked), or the existing
    /// account's current one.
    pub password: Option<String>,
}

/// Joins the company an invitation is for, creating the account if needed.
pub async fn accept_invitation(
    id: &Identity,
    a: Acceptance,
    meta: &RequestMeta,
) -> Result<Session> {
    let t =
        OpaqueToken::parse(tokens::INVITATION, &a.token).ok_or(IdentityError::BadToken("token"))?;
    let mut tx = id.db().tenant(&id.access(t.tenant)).await?;
    let inv = repo::invitation_for_update(&mut tx, t.id)
        .await?
        .filter(|i| constant_time_eq(&i.token_hash, &t.hash()))
        .filter(|i| i.accepted_at.is_none() && i.revoked_at.is_none() && i.expires_at > Utc::now())
        .ok_or(IdentityError::BadToken("token"))?;
    let existing = repo::user_by_email(&mut tx, &inv.email).await?;
    let pw = a.password.clone().ok_or_else(|| IdentityError::invalid("password", "is required"))?;
    let user = match existing {
        Some(u) => {
            if !password::verify(pw, Some(u.password_hash.clone())).await {
                return Err(IdentityError::InvalidCredentials);
            }
            UserSummary { id: u.id, email: u.email, name: u.name }
        }
        None => {
            let strong = Password::new(&pw, &[&inv.email])
                .map_err(|m| IdentityError::invalid("password", m))?;
            let name = a.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default();
            let hash = password::hash(strong.expose().to_string()).await?;
            let uid = UserId::new();
            repo::insert_user(&mut tx, uid, &inv.email, &name, &hash).await?;
            UserSummary { id: uid, email: inv.email.clone(), name }
        }
    };
    repo::insert_membership(&mut tx, user.id).await?;
    let still: Vec<RoleId> = {
        let roles = repo::roles(&mut tx).await?;
        inv.role_ids
            .iter()
            .filter(|r| roles.iter().any(|x| x.id.as_uuid() == **r))
            .map(|r| RoleId(*r))
            .collect()
    };
    repo::set_member_roles(&mut tx, user.id, &still).await?;
    repo::accept_invitation(&mut tx, t.id, user.id).await?;
    kernel::audit::record(
        &mut tx,
        meta,
        Entry {
            actor: Actor::User(user.id.as_uuid()),
            action: "invitation.accepted",
            resource_type: "invitation",
            resource_id: Some(t.id.to_string()),
            changes: Changes::new().set("email", &user.email),
        },
    );
    kernel::outbox::publish(
        &mut tx,
        crate::USER_JOINED,
        &serde_json::json!({ "user_id": user.id, "email": &user.email, "invitation_id": t.id }),
    )?;
    id.announce_tenant(&mut tx).await?;
    let tenant =
        repo::tenant(&mut tx, t.tenant).await?.ok_or(IdentityError::NotFound("company"))?;
    let roles = role_names(&mut tx, user.id).await?;
    let session = issue(&mut tx, id, &tenant, user, None, roles, meta).await?;
    tx.commit().await?;
    id.forget_tenant(t.tenant);
    Ok(session)
}

/// Revokes a pending invitation.
pub async fn revoke_invitation(
    id: &Identity,
    caller: &Granted<UsersWrite>,
    inv: Uuid,
) -> Result<()> {
    let mut tx = caller.tx(id.db()).await?;
    if !repo::revoke_invitation(&mut tx, inv).await? {
        return Err(IdentityError::NotFound("invitation"));
    }
    caller.audit(
        &mut tx,
        "invitation.revoked",
        "invitation",
        Some(inv.to_string()),
        Changes::new(),
    );
    tx.commit().await?;
    Ok(())
}
