//! Permissions are `(resource, action)` pairs declared in code by the
//! domain that owns the resource, together with the system roles that hold
//! them. Custom roles hold whatever subset a tenant's admin gives them.
//!
//! ```ignore
//! kernel::permission!(
//!     /// Create and edit invoices.
//!     pub InvoicesWrite = "invoices":"write", "Create and edit invoices", [Admin, Accountant, Sales]
//! );
//! async fn create(granted: Granted<InvoicesWrite>, ..) { .. }
//! ```
//!
//! Declaring a permission is all it takes: the macro also records it in
//! the build's catalog ([`declared`]), so a permission that a handler uses
//! is always one the roles know. There is no list to keep in step.
//!
//! System roles, mapped from the seed documents: `owner` (everything),
//! `admin` (everything but ownership), `accountant` (ERP Accountant: the
//! books, reports, audit), `sales` (ERP Sales Rep: customers and invoices),
//! `business` (RAG "business" and coach "manager": manage documents and
//! goals), `member` (RAG "user" and coach "member": use the assistants).

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

/// A permission type, usable with identity's `Granted<P>`.
pub trait Permission: Send + Sync + 'static {
    /// Its declaration.
    const DEF: PermissionDef;
}

/// A permission as the build's catalog records it: where it was declared.
#[derive(Debug)]
pub struct Declared {
    /// The declaration.
    pub def: PermissionDef,
    /// The module that declared it (its first segment is the crate).
    pub module: &'static str,
}

inventory::collect!(Declared);

/// Every permission declared in this build, in no particular order.
pub fn declared() -> impl Iterator<Item = &'static Declared> {
    inventory::iter::<Declared>.into_iter()
}

/// A permission's name in a request (an API key's or a role's
/// permissions): the OpenAPI schema lists every declared permission.
pub struct PermissionName;

impl utoipa::PartialSchema for PermissionName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut names: Vec<&str> = declared().map(|d| d.def.name).collect();
        names.sort_unstable();
        names.dedup();
        crate::text::string_schema(
            "A permission, `resource:action` (see `GET /api/v1/permissions`).",
            |s| s.enum_values(Some(names)),
        )
    }
}

impl utoipa::ToSchema for PermissionName {}

/// Declares a permission type and records it in the build's catalog.
#[macro_export]
macro_rules! permission {
    ($(#[$m:meta])* $vis:vis $name:ident = $resource:literal : $action:literal, $desc:literal, [$($role:ident),* $(,)?]) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::access::Permission for $name {
            const DEF: $crate::access::PermissionDef = $crate::access::PermissionDef {
                name: concat!($resource, ":", $action),
                description: $desc,
                roles: &[$($crate::access::SystemRole::$role),*],
            };
        }
        $crate::inventory::submit! {
            $crate::access::Declared {
                def: <$name as $crate::access::Permission>::DEF,
                module: ::core::module_path!(),
            }
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

/// Checks a permission name: `resource:action`, lowercase letters, digits
/// and `_`.
pub fn valid_name(name: &str) -> bool {
    let part = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    matches!(name.split_once(':'), Some((r, a)) if part(r) && part(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::permission!(
        /// A permission of this test.
        Probe = "probe":"read", "Read probes", [Admin]
    );

    #[test]
    fn declaring_records_it() {
        let d = declared().find(|d| d.def.name == "probe:read").expect("declared");
        assert_eq!(d.def, Probe::DEF);
        assert!(d.module.starts_with("kernel::access"));
    }

    #[test]
    fn names() {
        assert!(valid_name("ai_usage:read"));
        assert!(!valid_name("Users:read"));
        assert!(!valid_name("users"));
        assert!(!valid_name("users:"));
    }
}
