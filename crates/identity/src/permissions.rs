//! Identity's permissions and the build's permission catalog.
//!
//! Permissions are declared with [`kernel::permission!`] by the domain that
//! owns the resource (see [`kernel::access`]); the catalog gathers every
//! declaration of the build, so a permission a handler asks for is always
//! one the roles know.

use std::collections::BTreeSet;

pub use kernel::access::{Permission, PermissionDef, SystemRole};

kernel::permission!(
    /// Read the company's profile and settings.
    pub TenantRead = "tenant":"read", "Read the company's profile and settings", [Admin, Accountant, Sales, Business, Member]
);
kernel::permission!(
    /// Change the company's profile and settings.
    pub TenantWrite = "tenant":"write", "Change the company's profile and settings", [Admin]
);
kernel::permission!(
    /// List users and invitations.
    pub UsersRead = "users":"read", "List users and invitations", [Admin]
);
kernel::permission!(
    /// Invite, change and deactivate users.
    pub UsersWrite = "users":"write", "Invite users, change their roles, deactivate them", [Admin]
);
kernel::permission!(
    /// Read roles and the permission catalog.
    pub RolesRead = "roles":"read", "Read roles and the permission catalog", [Admin]
);
kernel::permission!(
    /// Create, change and delete custom roles.
    pub RolesWrite = "roles":"write", "Create, change and delete custom roles", [Admin]
);
kernel::permission!(
    /// List API keys.
    pub ApiKeysRead = "api_keys":"read", "List API keys", [Admin]
);
kernel::permission!(
    /// Create and revoke API keys.
    pub ApiKeysWrite = "api_keys":"write", "Create and revoke API keys", [Admin]
);
kernel::permission!(
    /// Read the audit trail.
    pub AuditRead = "audit":"read", "Read the audit trail", [Admin, Accountant]
);

/// Every permission of the running build (each domain contributes its list).
#[derive(Debug, Clone)]
pub struct Catalog {
    defs: Vec<PermissionDef>,
}

impl Catalog {
    /// Every permission declared in this build (by any domain, with
    /// `kernel::permission!`). Fails on a malformed name or one declared
    /// twice differently.
    pub fn collect() -> Result<Catalog, String> {
        let mut all: Vec<&kernel::access::Declared> = kernel::access::declared().collect();
        all.sort_by_key(|d| d.def.name);
        for w in all.windows(2) {
            if w[0].def.name == w[1].def.name && w[0].def != w[1].def {
                return Err(format!(
                    "permission `{}` is declared twice, in {} and {}",
                    w[0].def.name, w[0].module, w[1].module
                ));
            }
        }
        if let Some(d) = all.iter().find(|d| !kernel::access::valid_name(d.def.name)) {
            return Err(format!(
                "permission `{}` (declared in {}) is not `resource:action` in lowercase",
                d.def.name, d.module
            ));
        }
        let mut defs: Vec<PermissionDef> = all.into_iter().map(|d| d.def).collect();
        defs.dedup_by_key(|d| d.name);
        Ok(Catalog { defs })
    }

    /// A catalog of exactly these declarations (for tests of the rules).
    pub fn of(defs: &[PermissionDef]) -> Catalog {
        let mut defs = defs.to_vec();
        defs.sort_by_key(|d| d.name);
        defs.dedup_by_key(|d| d.name);
        Catalog { defs }
    }

    /// Every declaration, sorted by name.
    pub fn all(&self) -> &[PermissionDef] {
        &self.defs
    }

    /// Whether `name` is a declared permission.
    pub fn contains(&self, name: &str) -> bool {
        self.defs.binary_search_by_key(&name, |d| d.name).is_ok()
    }

    /// The permissions a system role holds.
    pub fn of_role(&self, role: SystemRole) -> BTreeSet<&'static str> {
        self.defs
            .iter()
            .filter(|d| role == SystemRole::Owner || d.roles.contains(&role))
            .map(|d| d.name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_roles_get_their_permissions() {
        let c = Catalog::collect().unwrap();
        assert_eq!(c.of_role(SystemRole::Owner).len(), c.all().len());
        assert!(c.of_role(SystemRole::Admin).contains("users:write"));
        assert!(!c.of_role(SystemRole::Member).contains("users:write"));
        assert!(c.of_role(SystemRole::Accountant).contains("audit:read"));
        assert!(c.contains("roles:read"));
        assert!(!c.contains("roles:fly"));
        assert_eq!(UsersWrite::DEF.name, "users:write");
        let only = Catalog::of(&[UsersRead::DEF]);
        assert_eq!(only.all().len(), 1);
    }
}
