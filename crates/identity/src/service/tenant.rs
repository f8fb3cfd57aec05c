//! The company's profile and settings.

use crate::audit::Changes;
use crate::auth::{Granted, Identity};
use crate::error::{IdentityError, Result};
use crate::model::*;
use crate::permissions::{TenantRead, TenantWrite};
use crate::repo::{self, Tenant};

/// The company's profile and settings.
pub async fn tenant(id: &Identity, g: &Granted<TenantRead>) -> Result<Tenant> {
    let mut conn = id.db().pool().acquire().await?;
    repo::tenant(&mut conn, g.tenant()).await?.ok_or(IdentityError::NotFound("company"))
}

/// Changes to a tenant.
#[derive(Debug, Clone, Default)]
pub struct TenantUpdate {
    /// Name.
    pub name: Option<Name>,
    /// Industry (empty string clears it).
    pub industry: Option<String>,
    /// GSTIN (empty string clears it).
    pub gstin: Option<Option<Gstin>>,
    /// State.
    pub state: Option<Option<StateCode>>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Time zone.
    pub time_zone: Option<TimeZone>,
    /// Settings.
    pub settings: Option<TenantSettings>,
}

/// Changes the company's profile and settings.
pub async fn update_tenant(
    id: &Identity,
    caller: &Granted<TenantWrite>,
    u: TenantUpdate,
) -> Result<Tenant> {
    if let Some(s) = &u.settings {
        s.validate().map_err(|e| IdentityError::Validation(e.errors().to_vec()))?;
    }
    let mut tx = caller.tx(id.db()).await?;
    let before =
        repo::tenant(&mut tx, caller.tenant()).await?.ok_or(IdentityError::NotFound("company"))?;
    let mut t = before.clone();
    if let Some(n) = u.name {
        t.name = n.as_str().to_string();
    }
    if let Some(i) = u.industry {
        t.industry = Some(i.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(g) = u.gstin {
        t.gstin = g.map(|g| g.as_str().to_string());
    }
    if let Some(s) = u.state {
        t.state = s.map(|s| s.as_str().to_string());
    }
    if let (Some(g), None) = (&t.gstin, &t.state) {
        t.state = Some(g[..2].to_string());
    }
    if let (Some(g), Some(s)) = (&t.gstin, &t.state)
        && &g[..2] != s
    {
        return Err(IdentityError::invalid(
            "state",
            format!("does not match the GSTIN, which is registered in state {}", &g[..2]),
        ));
    }
    if let Some(c) = u.currency {
        t.currency = c.as_str().to_string();
    }
    if let Some(z) = u.time_zone {
        t.time_zone = z.as_str().to_string();
    }
    if let Some(s) = u.settings {
        t.settings = sqlx::types::Json(s);
    }
    let after = repo::update_tenant(&mut tx, &t).await?;
    caller.audit(
        &mut tx,
        "tenant.updated",
        "tenant",
        Some(caller.tenant().to_string()),
        Changes::new()
            .diff("name", &before.name, &after.name)
            .diff("industry", &before.industry, &after.industry)
            .diff("gstin", &before.gstin, &after.gstin)
            .diff("state", &before.state, &after.state)
            .diff("currency", &before.currency, &after.currency)
            .diff("time_zone", &before.time_zone, &after.time_zone)
            .diff("settings", &before.settings.0, &after.settings.0),
    );
    kernel::outbox::publish(
        &mut tx,
        crate::TENANT_UPDATED,
        &serde_json::json!({ "tenant_id": after.id }),
    )?;
    id.announce_tenant(&mut tx).await?;
    tx.commit().await?;
    id.forget_tenant(caller.tenant());
    Ok(after)
}
