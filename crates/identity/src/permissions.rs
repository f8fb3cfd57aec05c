//! Permissions are `(resource, action)` pairs declared in code by the
//! domain that owns the resource, together with the system roles that hold
//! them. Custom roles hold whatever subset a tenant's admin gives them.
//!
//! ```ignore
//! identity::permission!(
//!     /// Create and edit invoices.
//!     InvoicesWrite = "invoices":"write", "Create and edit invoices", [Admin, Accountant, Sales]
//! );
//! async fn create(granted: Granted<InvoicesWrite>, ..) { .. }
//! ```
//!
//! System roles, mapped from the seed documents: `owner` (everything),
//! `admin` (everything but ownership), `accountant` (ERP Accountant: the
//! books, reports, audit), `sales` (ERP Sales Rep: customers and invoices),
//! `business` (RAG "business" and coach "manager": manage documents and
//! goals), `member` (RAG "user" and coach "member": use the assistants).

use std::collections::BTreeSet;

use serde::Serialize;
use utoipa::ToSchema;

/// A permission's declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionDef {
    /// `resource:action`.
    pub name: &'static str,
    /// What it allows.
    pub description: &'static str,
    /// System roles that hold it (`owner` holds every permission).
    pub roles: &'static [SystemRole],
}

/// A permission type, usable with [`Granted`](crate::auth::Granted).
pub trait Permission: Send + Sync + 'static {
    /// Its declaration.
    const DEF: PermissionDef;
}

/// Declares a permission type.
#[macro_export]
macro_rules! permission {
    ($(#[$m:meta])* $name:ident = $resource:literal : $action:literal, $desc:literal, [$($role:ident),* $(,)?]) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl $crate::permissions::Permission for $name {
            const DEF: $crate::permissions::PermissionDef = $crate::permissions::PermissionDef {
                name: concat!($resource, ":", $action),
                description: $desc,
                roles: &[$($crate::permissions::SystemRole::$role),*],
            };
        }
    };
}

/// The roles every tenant has; they cannot be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SystemRole {
    /// Everything, including ownership.
    Owner,
    /// Everything but ownership.
    Admin,
    /// The books: invoices, payments, taxes, reports, audit.
    Accountant,
    /// Customers and sales documents.
    Sales,
    /// Manages content: documents, channels, goals.
    Business,
    /// Uses the assistants and reads what is shared.
    Member,
}

impl SystemRole {
    /// Every system role.
    pub const ALL: [SystemRole; 6] = [
        SystemRole::Owner,
        SystemRole::Admin,
        SystemRole::Accountant,
        SystemRole::Sales,
        SystemRole::Business,
        SystemRole::Member,
    ];

    /// The stable key stored with the role.
    pub fn key(self) -> &'static str {
        match self {
            SystemRole::Owner => "owner",
            SystemRole::Admin => "admin",
            SystemRole::Accountant => "accountant",
            SystemRole::Sales => "sales",
            SystemRole::Business => "business",
            SystemRole::Member => "member",
        }
    }

    /// The role's display name.
    pub fn name(self) -> &'static str {
        match self {
            SystemRole::Owner => "Owner",
            SystemRole::Admin => "Admin",
            SystemRole::Accountant => "Accountant",
            SystemRole::Sales => "Sales",
            SystemRole::Business => "Business",
            SystemRole::Member => "Member",
        }
    }

    /// What the role is for.
    pub fn description(self) -> &'static str {
        match self {
            SystemRole::Owner => {
                "Owns the company account: everything, including transferring ownership"
            }
            SystemRole::Admin => "Manages users, roles, keys and settings, and every module",
            SystemRole::Accountant => {
                "Keeps the books: invoices, payments, taxes, reports and the audit trail"
            }
            SystemRole::Sales => "Works with customers, quotes and invoices",
            SystemRole::Business => "Manages content: documents, channels, goals and metrics",
            SystemRole::Member => "Uses the assistants and reads what is shared",
        }
    }

    /// The role with this key.
    pub fn from_key(key: &str) -> Option<SystemRole> {
        SystemRole::ALL.into_iter().find(|r| r.key() == key)
    }
}

crate::permission!(
    /// Read the company's profile and settings.
    TenantRead = "tenant":"read", "Read the company's profile and settings", [Admin, Accountant, Sales, Business, Member]
);
crate::permission!(
    /// Change the company's profile and settings.
    TenantWrite = "tenant":"write", "Change the company's profile and settings", [Admin]
);
crate::permission!(
    /// List users and invitations.
    UsersRead = "users":"read", "List users and invitations", [Admin]
);
crate::permission!(
    /// Invite, change and deactivate users.
    UsersWrite = "users":"write", "Invite users, change their roles, deactivate them", [Admin]
);
crate::permission!(
    /// Read roles and the permission catalog.
    RolesRead = "roles":"read", "Read roles and the permission catalog", [Admin]
);
crate::permission!(
    /// Create, change and delete custom roles.
    RolesWrite = "roles":"write", "Create, change and delete custom roles", [Admin]
);
crate::permission!(
    /// List API keys.
    ApiKeysRead = "api_keys":"read", "List API keys", [Admin]
);
crate::permission!(
    /// Create and revoke API keys.
    ApiKeysWrite = "api_keys":"write", "Create and revoke API keys", [Admin]
);
crate::permission!(
    /// Read the audit trail.
    AuditRead = "audit":"read", "Read the audit trail", [Admin, Accountant]
);

/// The permissions this crate declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    TenantRead::DEF,
    TenantWrite::DEF,
    UsersRead::DEF,
    UsersWrite::DEF,
    RolesRead::DEF,
    RolesWrite::DEF,
    ApiKeysRead::DEF,
    ApiKeysWrite::DEF,
    AuditRead::DEF,
];

/// Every permission of the running build (each domain contributes its list).
#[derive(Debug, Clone)]
pub struct Catalog {
    defs: Vec<PermissionDef>,
}

impl Catalog {
    /// A catalog from each domain's declarations.
    pub fn new(lists: &[&[PermissionDef]]) -> Catalog {
        let mut defs: Vec<PermissionDef> = lists.iter().flat_map(|l| l.iter().copied()).collect();
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
        let c = Catalog::new(&[PERMISSIONS]);
        assert_eq!(c.of_role(SystemRole::Owner).len(), PERMISSIONS.len());
        assert!(c.of_role(SystemRole::Admin).contains("users:write"));
        assert!(!c.of_role(SystemRole::Member).contains("users:write"));
        assert!(c.of_role(SystemRole::Accountant).contains("audit:read"));
        assert!(c.contains("roles:read"));
        assert!(!c.contains("roles:fly"));
        assert_eq!(UsersWrite::DEF.name, "users:write");
    }
}
