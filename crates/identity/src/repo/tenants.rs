//! Companies (global table).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use sqlx::types::Json;
use utoipa::ToSchema;

use crate::model::{TenantId, TenantSettings};

/// A tenant (global table).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Tenant {
    /// Id.
    pub id: TenantId,
    /// Company name.
    pub name: String,
    /// URL name, unique.
    pub slug: String,
    /// Industry.
    pub industry: Option<String>,
    /// GSTIN.
    pub gstin: Option<String>,
    /// GST state code.
    pub state: Option<String>,
    /// ISO 4217 currency.
    pub currency: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Settings.
    #[schema(value_type = TenantSettings)]
    pub settings: Json<TenantSettings>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Fields of a new tenant.
#[derive(Debug, Clone)]
pub struct NewTenant<'a> {
    /// Id.
    pub id: TenantId,
    /// Name.
    pub name: &'a str,
    /// Slug.
    pub slug: &'a str,
    /// Industry.
    pub industry: Option<&'a str>,
    /// GSTIN.
    pub gstin: Option<&'a str>,
    /// State code.
    pub state: Option<&'a str>,
    /// Currency.
    pub currency: &'a str,
    /// Time zone.
    pub time_zone: &'a str,
}

/// Global: inserts a tenant.
pub async fn insert_tenant(
    conn: &mut PgConnection,
    t: &NewTenant<'_>,
) -> Result<Tenant, sqlx::Error> {
    sqlx::query_as(kernel::sql!("INSERT INTO tenants (id, name, slug, industry, gstin, state, currency, time_zone, settings)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *"),
    )
    .bind(t.id)
    .bind(t.name)
    .bind(t.slug)
    .bind(t.industry)
    .bind(t.gstin)
    .bind(t.state)
    .bind(t.currency)
    .bind(t.time_zone)
    .bind(Json(TenantSettings::default()))
    .fetch_one(conn)
    .await
}

/// Global: the slugs in use that start with `base`.
pub async fn slugs_like(conn: &mut PgConnection, base: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(kernel::sql!(
        "SELECT slug FROM tenants WHERE slug = $1 OR slug LIKE $1 || '-%'"
    ))
    .bind(base)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Global: a tenant by id.
pub async fn tenant(conn: &mut PgConnection, id: TenantId) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as(kernel::sql!("SELECT * FROM tenants WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Global: a tenant by slug.
pub async fn tenant_by_slug(
    conn: &mut PgConnection,
    slug: &str,
) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as(kernel::sql!("SELECT * FROM tenants WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(conn)
        .await
}

/// Global: writes a tenant's editable fields.
pub async fn update_tenant(conn: &mut PgConnection, t: &Tenant) -> Result<Tenant, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "UPDATE tenants SET name = $2, industry = $3, gstin = $4, state = $5, currency = $6,
                time_zone = $7, settings = $8, updated_at = now()
          WHERE id = $1 RETURNING *"
    ))
    .bind(t.id)
    .bind(&t.name)
    .bind(&t.industry)
    .bind(&t.gstin)
    .bind(&t.state)
    .bind(&t.currency)
    .bind(&t.time_zone)
    .bind(&t.settings)
    .fetch_one(conn)
    .await
}

/// Global: a tenant by id or URL name (for operators' commands).
pub async fn tenant_by_ref(
    conn: &mut PgConnection,
    text: &str,
) -> Result<Option<(TenantId, String)>, sqlx::Error> {
    sqlx::query_as(kernel::sql!("SELECT id, slug FROM tenants WHERE id::text = $1 OR slug = $1"))
        .bind(text)
        .fetch_optional(conn)
        .await
}

/// Global: every tenant's id and URL name, oldest first.
pub async fn all_tenants(conn: &mut PgConnection) -> Result<Vec<(TenantId, String)>, sqlx::Error> {
    sqlx::query_as(kernel::sql!("SELECT id, slug FROM tenants ORDER BY created_at"))
        .fetch_all(conn)
        .await
}
