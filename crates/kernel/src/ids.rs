//! Typed UUIDv7 identifiers.
//!
//! `id_type!(UserId)` declares a newtype over [`uuid::Uuid`] that serializes
//! as a string, binds to PostgreSQL `uuid`, and appears in OpenAPI as a uuid.

/// Declares a typed id.
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            /// The raw uuid.
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(u: uuid::Uuid) -> Self {
                Self(u)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// A tenant (a company).
///
/// Unlike other ids it cannot be read from request input (it is not
/// `Deserialize` and has no `FromStr`): a request's tenant comes only from
/// its verified credentials. Opening a tenant's transaction needs more than
/// its id anyway: a [`TenantAccess`](crate::db::TenantAccess).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct TenantId(uuid::Uuid);

impl TenantId {
    /// The tenant of system work (scheduled maintenance) and of anonymous
    /// requests' idempotency keys: the nil uuid, never a company.
    pub const SYSTEM: TenantId = TenantId(uuid::Uuid::nil());
    /// The scope of requests made without credentials (e.g. sign-up).
    pub const ANONYMOUS: TenantId = TenantId::SYSTEM;

    /// A new tenant's id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    /// A tenant id read from a trusted source: a verified credential, the
    /// database, or an operator's command line.
    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id)
    }

    /// The raw uuid.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl utoipa::PartialSchema for TenantId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into()
    }
}

impl utoipa::ToSchema for TenantId {}
