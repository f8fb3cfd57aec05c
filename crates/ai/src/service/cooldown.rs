//! Providers that just failed are passed over for a while, so one request
//! does not wait on every broken provider of a fallback chain in turn (each
//! costs its retries and backoff) and the next requests go straight to one
//! that works.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kernel::ids::TenantId;

/// How long a failed provider is passed over.
pub const PERIOD: Duration = Duration::from_secs(30);

/// Remote providers tried for one call at most (each may cost its retries);
/// local candidates after them are still tried.
pub const MAX_REMOTE_TRIES: usize = 3;

/// Providers cooling down after a failure, per tenant.
#[derive(Debug, Default)]
pub struct Cooldowns {
    until: Mutex<HashMap<(TenantId, String), Instant>>,
}

impl Cooldowns {
    /// Whether `provider` failed for `tenant` less than [`PERIOD`] ago.
    pub fn cooling(&self, tenant: TenantId, provider: &str) -> bool {
        let now = Instant::now();
        let Ok(mut m) = self.until.lock() else { return false };
        match m.get(&(tenant, provider.to_string())) {
            Some(until) if *until > now => true,
            Some(_) => {
                m.remove(&(tenant, provider.to_string()));
                false
            }
            None => false,
        }
    }

    /// `provider` failed in a way the next candidate is tried for.
    pub fn failed(&self, tenant: TenantId, provider: &str) {
        if let Ok(mut m) = self.until.lock() {
            m.retain(|_, until| *until > Instant::now());
            m.insert((tenant, provider.to_string()), Instant::now() + PERIOD);
        }
    }

    /// `provider` answered.
    pub fn succeeded(&self, tenant: TenantId, provider: &str) {
        if let Ok(mut m) = self.until.lock() {
            m.remove(&(tenant, provider.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_cools_a_provider_down_for_its_tenant_only() {
        let c = Cooldowns::default();
        let (a, b) = (TenantId::generate(), TenantId::generate());
        assert!(!c.cooling(a, "p"));
        c.failed(a, "p");
        assert!(c.cooling(a, "p"));
        assert!(!c.cooling(b, "p"), "another tenant's provider of the same name");
        c.succeeded(a, "p");
        assert!(!c.cooling(a, "p"));
    }
}
