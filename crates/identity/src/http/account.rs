//! The caller's own account and company.

use axum::http::StatusCode;
use kernel::extract::Json;
use kernel::{ApiError, ApiResult};
use serde::Deserialize;
use utoipa::ToSchema;

use super::TAG;
use crate::auth::{Caller, Granted, IdentityService, SignedIn};
use crate::model::*;
use crate::permissions::*;
use crate::repo::Tenant;
use crate::service::{self, Me, NewCompany, Session};

/// The caller: person or key, company, roles, permissions, companies.
#[utoipa::path(get, path = "/api/v1/me", tag = TAG, security(("bearer" = [])), responses((status = 200, body = Me)))]
pub async fn me(id: IdentityService, caller: Caller) -> ApiResult<Json<Me>> {
    Ok(Json(service::me(&id, &caller).await?))
}

/// Changes to the caller's own account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// Display name.
    pub name: Name,
}

/// Changes the caller's name.
#[utoipa::path(patch, path = "/api/v1/me", tag = TAG, request_body = UpdateMe, security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 403, description = "Only a signed-in person may do this, not an API key", body = kernel::error::Problem)))]
pub async fn update_me(
    id: IdentityService,
    me: SignedIn,
    Json(r): Json<UpdateMe>,
) -> ApiResult<Json<Me>> {
    service::rename_me(&id, &me, &r.name).await?;
    Ok(Json(service::me(&id, me.caller()).await?))
}

/// A further company for the signed-in person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantRequest {
    /// Company name.
    pub name: Name,
    /// URL name.
    pub slug: Option<Slug>,
    /// Industry.
    pub industry: Option<String>,
    /// GSTIN.
    pub gstin: Option<Gstin>,
    /// GST state.
    pub state: Option<StateCode>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Time zone.
    pub time_zone: Option<TimeZone>,
}

/// Creates another company owned by the caller and returns tokens for it.
#[utoipa::path(post, path = "/api/v1/tenants", tag = TAG, request_body = NewTenantRequest, security(("bearer" = [])), params(("Tessera-Session" = inline(Option<super::delivery::SessionMode>), Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie instead of the body (the console)")),
    responses((status = 201, body = Session), (status = 403, description = "Only a signed-in person may do this, not an API key", body = kernel::error::Problem)))]
pub async fn create_tenant(
    id: IdentityService,
    me: SignedIn,
    delivery: super::Delivery,
    Json(r): Json<NewTenantRequest>,
) -> ApiResult<axum::response::Response> {
    let company = NewCompany {
        name: r.name,
        slug: r.slug,
        industry: r.industry,
        gstin: r.gstin,
        state: r.state,
        currency: r.currency,
        time_zone: r.time_zone,
    };
    let s = service::create_company(&id, &me, company).await?;
    Ok(delivery.session(StatusCode::CREATED, s))
}

/// The company's profile and settings.
#[utoipa::path(get, path = "/api/v1/tenant", tag = TAG, security(("bearer" = ["tenant:read"])), responses((status = 200, body = Tenant)))]
pub async fn get_tenant(id: IdentityService, g: Granted<TenantRead>) -> ApiResult<Json<Tenant>> {
    Ok(Json(service::tenant(&id, &g).await?))
}

/// Changes to the company.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    /// Name.
    pub name: Option<Name>,
    /// Industry ("" clears).
    pub industry: Option<String>,
    /// GSTIN ("" clears).
    #[schema(schema_with = gstin_or_clear)]
    pub gstin: Option<String>,
    /// GST state ("" clears).
    #[schema(schema_with = state_or_clear)]
    pub state: Option<String>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Time zone.
    pub time_zone: Option<TimeZone>,
    /// Settings (replaced as a whole; omitted fields take their defaults).
    pub settings: Option<TenantSettings>,
}

/// A value of schema `name`, `""` to clear it, or null to leave it.
fn or_clear(name: &str, description: &str) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let clear = ObjectBuilder::new().schema_type(Type::String).enum_values(Some([""]));
    OneOfBuilder::new()
        .item(utoipa::openapi::Ref::from_schema_name(name))
        .item(clear)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(description))
        .into()
}

fn gstin_or_clear() -> utoipa::openapi::schema::Schema {
    or_clear("Gstin", "GSTIN (\"\" clears).")
}

fn state_or_clear() -> utoipa::openapi::schema::Schema {
    or_clear("StateCode", "GST state code or name (\"\" clears).")
}

fn optional<T>(
    field: &str,
    raw: Option<String>,
    parse: fn(&str) -> Result<T, String>,
) -> ApiResult<Option<Option<T>>> {
    match raw {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(Some(None)),
        Some(s) => parse(&s).map(|v| Some(Some(v))).map_err(|m| ApiError::invalid(field, m)),
    }
}

/// Changes the company's profile and settings.
#[utoipa::path(patch, path = "/api/v1/tenant", tag = TAG, request_body = UpdateTenant, security(("bearer" = ["tenant:write"])),
    responses((status = 200, body = Tenant), (status = 403, body = kernel::error::Problem)))]
pub async fn update_tenant(
    id: IdentityService,
    g: Granted<TenantWrite>,
    Json(r): Json<UpdateTenant>,
) -> ApiResult<Json<Tenant>> {
    let u = service::TenantUpdate {
        name: r.name,
        industry: r.industry,
        gstin: optional("gstin", r.gstin, Gstin::parse)?,
        state: optional("state", r.state, StateCode::parse)?,
        currency: r.currency,
        time_zone: r.time_zone,
        settings: r.settings,
    };
    Ok(Json(service::update_tenant(&id, &g, u).await?))
}
