//! Creating companies: sign-up (a company, its owner, a first session)
//! and further companies for a signed-in person.

use std::collections::BTreeSet;

use kernel::db::TenantTx;
use uuid::Uuid;

use super::{Session, UserSummary, issue, unique_to};
use crate::audit::{Actor, Changes, Entry, RequestMeta};
use crate::auth::{Identity, SignedIn};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::password;
use crate::permissions::SystemRole;
use crate::repo::{self, Tenant};

/// Everything needed to create a company.
#[derive(Debug, Clone)]
pub struct NewCompany {
    /// Company name.
    pub name: Name,
    /// URL name (derived from the name when absent).
    pub slug: Option<Slug>,
    /// Industry.
    pub industry: Option<String>,
    /// GSTIN.
    pub gstin: Option<Gstin>,
    /// GST state.
    pub state: Option<StateCode>,
    /// Currency (INR by default).
    pub currency: Option<Currency>,
    /// Time zone (Asia/Kolkata by default).
    pub time_zone: Option<TimeZone>,
}

impl NewCompany {
    fn state(&self) -> Result<Option<String>> {
        match (&self.gstin, &self.state) {
            (Some(g), Some(s)) if g.state_code() != s.as_str() => Err(IdentityError::invalid(
                "state",
                format!(
                    "does not match the GSTIN, which is registered in state {}",
                    g.state_code()
                ),
            )),
            (Some(g), _) => Ok(Some(g.state_code().to_string())),
            (None, s) => Ok(s.as_ref().map(|s| s.as_str().to_string())),
        }
    }
}

/// Sign-up: a new company and its owner.
#[derive(Debug, Clone)]
pub struct Signup {
    /// The company.
    pub company: NewCompany,
    /// The owner's e-mail.
    pub email: Email,
    /// The owner's name.
    pub name: Option<Name>,
    /// The owner's password (already strength-checked).
    pub password: Password,
}

/// Creates a tenant, its owner and a first session.
pub async fn signup(id: &Identity, s: Signup, meta: &RequestMeta) -> Result<Session> {
    let db = id.db();
    let state = s.company.state()?;
    {
        let mut conn = db.pool().acquire().await?;
        if repo::user_by_email(&mut conn, s.email.as_str()).await?.is_some() {
            return Err(IdentityError::EmailTaken);
        }
    }
    let hash = password::hash(s.password.expose().to_string()).await?;
    let tenant_id = TenantId::generate();
    let user_id = UserId::new();
    let mut tx = db.tenant(&id.access(tenant_id)).await?;
    let name = s.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default();
    repo::insert_user(&mut tx, user_id, s.email.as_str(), &name, &hash)
        .await
        .map_err(|e| unique_to(e, IdentityError::EmailTaken))?;
    let tenant = create_tenant(&mut tx, tenant_id, &s.company, state).await?;
    repo::insert_membership(&mut tx, user_id).await?;
    let owner = create_system_roles(&mut tx).await?;
    repo::set_member_roles(&mut tx, user_id, &[owner]).await?;
    let actor = Actor::User(user_id.as_uuid());
    kernel::audit::record(
        &mut tx,
        meta,
        Entry {
            actor,
            action: "tenant.created",
            resource_type: "tenant",
            resource_id: Some(tenant_id.to_string()),
            changes: Changes::new()
                .set("name", &tenant.name)
                .set("slug", &tenant.slug)
                .set("owner", s.email.as_str()),
        },
    );
    let user = UserSummary { id: user_id, email: s.email.as_str().to_string(), name };
    let session = issue(&mut tx, id, &tenant, user, None, vec!["Owner".into()], meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// Creates another company owned by a signed-in person.
pub async fn create_company(id: &Identity, me: &SignedIn, company: NewCompany) -> Result<Session> {
    let db = id.db();
    let (user, meta) = (me.user(), me.meta());
    let state = company.state()?;
    let person = {
        let mut conn = db.pool().acquire().await?;
        repo::user(&mut conn, user).await?.ok_or(IdentityError::SessionEnded)?
    };
    let tenant_id = TenantId::generate();
    let mut tx = db.tenant(&id.access(tenant_id)).await?;
    let tenant = create_tenant(&mut tx, tenant_id, &company, state).await?;
    repo::insert_membership(&mut tx, user).await?;
    let owner = create_system_roles(&mut tx).await?;
    repo::set_member_roles(&mut tx, user, &[owner]).await?;
    kernel::audit::record(
        &mut tx,
        meta,
        Entry {
            actor: Actor::User(user.as_uuid()),
            action: "tenant.created",
            resource_type: "tenant",
            resource_id: Some(tenant_id.to_string()),
            changes: Changes::new()
                .set("name", &tenant.name)
                .set("slug", &tenant.slug)
                .set("owner", &person.email),
        },
    );
    let summary = UserSummary { id: user, email: person.email, name: person.name };
    let session = issue(&mut tx, id, &tenant, summary, None, vec!["Owner".into()], meta).await?;
    tx.commit().await?;
    Ok(session)
}

async fn create_tenant(
    tx: &mut TenantTx,
    id: TenantId,
    c: &NewCompany,
    state: Option<String>,
) -> Result<Tenant> {
    let slug = match &c.slug {
        Some(s) => s.as_str().to_string(),
        None => {
            let base = Slug::derive(c.name.as_str())
                .map(|s| s.to_string())
                .unwrap_or_else(|| "company".into());
            let taken: BTreeSet<String> = repo::slugs_like(tx, &base).await?.into_iter().collect();
            if !taken.contains(&base) {
                base
            } else {
                (2..1000)
                    .map(|n| format!("{base}-{n}"))
                    .find(|s| !taken.contains(s))
                    .unwrap_or_else(|| {
                        format!("{base}-{}", &Uuid::new_v4().simple().to_string()[..8])
                    })
            }
        }
    };
    let new = repo::NewTenant {
        id,
        name: c.name.as_str(),
        slug: &slug,
        industry: c.industry.as_deref(),
        gstin: c.gstin.as_ref().map(Gstin::as_str),
        state: state.as_deref(),
        currency: c.currency.as_ref().map_or("INR", Currency::as_str),
        time_zone: c.time_zone.as_ref().map_or("Asia/Kolkata", TimeZone::as_str),
    };
    repo::insert_tenant(tx, &new).await.map_err(|e| unique_to(e, IdentityError::SlugTaken))
}

/// Creates the system roles; returns the owner role's id.
async fn create_system_roles(tx: &mut TenantTx) -> Result<RoleId> {
    let mut owner = None;
    for role in SystemRole::ALL {
        let rid = RoleId::new();
        repo::insert_role(tx, rid, Some(role.key()), role.name(), role.description(), &[]).await?;
        if role == SystemRole::Owner {
            owner = Some(rid);
        }
    }
    owner.ok_or_else(|| IdentityError::Other(anyhow::anyhow!("no owner role")))
}
