//! Passwords: changing one's own, and resetting a forgotten one by e-mail.
//! Either ends every session of the person, in every company.

use chrono::{Duration as ChronoDuration, Utc};
use kernel::crypto::constant_time_eq;
use kernel::mail::Mail;
use uuid::Uuid;

use super::{RESET_TTL_MINUTES, Session, UserSummary, issue, role_names};
use crate::audit::{Actor, Changes, Entry, RequestMeta};
use crate::auth::{Identity, SignedIn};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::repo;
use crate::tokens::{self, OpaqueToken};
use crate::{password, throttle};

/// Ends every session of a person in every company (after a password
/// change or reset), auditing it in each.
async fn end_all_sessions(
    id: &Identity,
    user: UserId,
    meta: &RequestMeta,
    action: &str,
) -> Result<()> {
    let db = id.db();
    let tenants = {
        let mut tx = db.global().await?;
        let t = repo::memberships_of(&mut tx, user).await?;
        tx.commit().await?;
        t
    };
    for m in tenants {
        let mut tx = db.tenant(&id.access(m.tenant_id)).await?;
        let sessions = repo::revoke_member_sessions(&mut tx, user, action).await?;
        repo::void_sessions(&mut tx, user).await?;
        id.end_sessions(&mut tx, &sessions).await?;
        kernel::audit::record(
            &mut tx,
            meta,
            Entry {
                actor: Actor::User(user.as_uuid()),
                action,
                resource_type: "user",
                resource_id: Some(user.to_string()),
                changes: Changes::new().secret("password"),
            },
        );
        id.announce_tenant(&mut tx).await?;
        tx.commit().await?;
        id.forget_tenant(m.tenant_id);
    }
    Ok(())
}

/// Changes the signed-in person's password; every other session ends and
/// the caller gets a fresh pair.
pub async fn change_password(
    id: &Identity,
    me: &SignedIn,
    current: &str,
    new: &str,
) -> Result<Session> {
    let db = id.db();
    let (caller, user) = (me.caller(), me.user());
    let person = {
        let mut conn = db.pool().acquire().await?;
        repo::user(&mut conn, user).await?.ok_or(IdentityError::SessionEnded)?
    };
    let keys = throttle::keys(&person.email, caller.meta().ip);
    if let Some(wait) = throttle::locked_for(db, &keys).await? {
        return Err(IdentityError::LoginThrottled(wait));
    }
    if !password::verify(current.to_string(), Some(person.password_hash.clone())).await {
        if let Some(wait) = throttle::record_failure(db, &keys).await? {
            return Err(IdentityError::LoginThrottled(wait));
        }
        return Err(IdentityError::invalid("current_password", "is wrong"));
    }
    let strong = Password::new(new, &[&person.email])
        .map_err(|m| IdentityError::invalid("new_password", m))?;
    let hash = password::hash(strong.expose().to_string()).await?;
    {
        let mut conn = db.pool().acquire().await?;
        repo::set_password(&mut conn, user, &hash).await?;
    }
    end_all_sessions(id, user, caller.meta(), "auth.password_changed").await?;
    let tenant = {
        let mut conn = db.pool().acquire().await?;
        repo::tenant(&mut conn, caller.tenant()).await?.ok_or(IdentityError::SessionEnded)?
    };
    let mut tx = caller.tx(db).await?;
    let roles = role_names(&mut tx, user).await?;
    let summary = UserSummary { id: user, email: person.email, name: person.name };
    let session = issue(&mut tx, id, &tenant, summary, None, roles, caller.meta()).await?;
    tx.commit().await?;
    Ok(session)
}

/// Sends a password reset link if an account exists (the answer is the
/// same either way).
pub async fn request_reset(id: &Identity, email: &Email) -> Result<()> {
    let mut conn = id.db().pool().acquire().await?;
    let Some(user) = repo::user_by_email(&mut conn, email.as_str()).await? else { return Ok(()) };
    if repo::recent_reset(&mut conn, user.id).await? {
        return Ok(());
    }
    let rid = Uuid::now_v7();
    let token = OpaqueToken::new(tokens::RESET, TenantId::ANONYMOUS, rid);
    let expires = Utc::now() + ChronoDuration::minutes(RESET_TTL_MINUTES);
    repo::insert_reset(&mut conn, rid, user.id, &token.hash(), expires).await?;
    drop(conn);
    let link = format!("{}/password/reset?token={}", id.public_url, token.encode());
    let mail = Mail {
        to: user.email.clone(),
        subject: "Reset your Tessera password".into(),
        body: format!(
            "Someone asked to reset the password of your Tessera account.\n\nChoose a new password \
             (the link works once, for {RESET_TTL_MINUTES} minutes):\n{link}\n\nOr send this token to \
             POST /api/v1/auth/password/reset:\n{}\n\nIf it was not you, ignore this message; your password is unchanged.\n",
            token.encode()
        ),
        attachments: Vec::new(),
    };
    if let Err(e) = id.mailer.send(mail).await {
        tracing::error!(error = %e, "cannot send the password reset e-mail");
    }
    Ok(())
}

/// Sets a new password with a reset token; every session of the person ends.
pub async fn reset_password(
    id: &Identity,
    token: &str,
    new: &str,
    meta: &RequestMeta,
) -> Result<()> {
    let db = id.db();
    let t = OpaqueToken::parse(tokens::RESET, token).ok_or(IdentityError::BadToken("token"))?;
    let mut tx = db.global().await?;
    let (user, hash, spent) =
        repo::reset_for_update(&mut tx, t.id).await?.ok_or(IdentityError::BadToken("token"))?;
    if spent || !constant_time_eq(&hash, &t.hash()) {
        return Err(IdentityError::BadToken("token"));
    }
    let person = repo::user(&mut tx, user).await?.ok_or(IdentityError::BadToken("token"))?;
    let strong = Password::new(new, &[&person.email])
        .map_err(|m| IdentityError::invalid("new_password", m))?;
    let pw_hash = password::hash(strong.expose().to_string()).await?;
    repo::set_password(&mut tx, user, &pw_hash).await?;
    repo::spend_resets(&mut tx, user).await?;
    tx.commit().await?;
    throttle::record_success(db, &person.email).await?;
    end_all_sessions(id, user, meta, "auth.password_reset").await
}
