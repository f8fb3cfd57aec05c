//! GST compliance: a document's e-invoice (status with the exact
//! violations, its JSON, registration with the IRP, cancellation, the
//! signed QR code) and the company's e-invoicing settings.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use identity::Granted;
use kernel::ApiResult;
use kernel::extract::{Json, Path};
use serde_json::Value;
use uuid::Uuid;

use super::TAG;
use crate::LedgerService;
use crate::permissions::*;
use crate::service::einvoice::{
    self as svc, CancelEinvoice, EinvoiceSettings, EinvoiceSettingsInput, EinvoiceStatus, Who,
};

/// A document's e-invoice: whether it needs one, where it stands (IRN,
/// acknowledgement, what the signed QR code says), and every rule the
/// document breaks as it would be sent now — each with its JSON path, the
/// line it comes from and the field of ours to correct.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/e-invoice", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = EinvoiceStatus), (status = 404, body = kernel::error::Problem)))]
pub async fn einvoice_status(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<EinvoiceStatus>> {
    Ok(Json(svc::status(&l, &g, id).await?))
}

/// Registers the document with the IRP now: 422 lists every violation
/// (`errors[].field` is the JSON path, the message names the line) or the
/// IRP's refusal with its codes; 503 when the IRP does not answer (the
/// e-invoice stays pending and is retried).
#[utoipa::path(post, path = "/api/v1/invoices/{id}/e-invoice", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["einvoices:generate"])),
    responses((status = 200, body = EinvoiceStatus), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "Not applicable, not issued, already registered, or e-invoicing not set up", body = kernel::error::Problem),
              (status = 422, description = "Violations, or the IRP refused", body = kernel::error::Problem),
              (status = 503, description = "The IRP did not answer", body = kernel::error::Problem)))]
pub async fn generate_einvoice(
    l: LedgerService,
    g: Granted<EinvoicesGenerate>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<EinvoiceStatus>> {
    Ok(Json(svc::generate(&l, Who::Caller(&g), id).await?))
}

/// The document's e-invoice JSON (NIC schema 1.1): what was registered,
/// or what would be sent, when it passes every check (422 lists what
/// does not).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/e-invoice/json", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = Object), (status = 404, body = kernel::error::Problem),
              (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn einvoice_json(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    Ok(Json(svc::payload(&l, &g, id).await?))
}

/// Cancels the IRN on the IRP (within 24 hours of its acknowledgement)
/// and with it the document; after that the IRP refuses and a credit
/// note is the way.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/e-invoice/cancel", tag = TAG, params(("id" = Uuid, Path)),
    request_body = CancelEinvoice, security(("bearer" = ["einvoices:cancel"])),
    responses((status = 200, body = EinvoiceStatus), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "No IRN, already cancelled, or more than 24 hours old", body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem), (status = 503, body = kernel::error::Problem)))]
pub async fn cancel_einvoice(
    l: LedgerService,
    g: Granted<EinvoicesCancel>,
    Path(id): Path<Uuid>,
    Json(c): Json<CancelEinvoice>,
) -> ApiResult<Json<EinvoiceStatus>> {
    g.grant::<InvoicesCancel>().map_err(kernel::ApiError::from)?;
    Ok(Json(svc::cancel(&l, &g, id, c).await?))
}

/// The e-invoice's signed QR code as a PNG (what the invoice prints).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/e-invoice/qr", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["invoices:read"])),
    responses((status = 200, content((Vec<u8> = "image/png"))), (status = 404, body = kernel::error::Problem),
              (status = 409, body = kernel::error::Problem)))]
pub async fn einvoice_qr(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let png = svc::qr_png(&l, &g, id).await?;
    let mut r = png.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    Ok(r)
}

/// The company's e-invoicing settings (secrets are never shown).
#[utoipa::path(get, path = "/api/v1/gst/e-invoice/settings", tag = TAG, security(("bearer" = ["gst:settings"])),
    responses((status = 200, body = EinvoiceSettings), (status = 404, description = "Not set up", body = kernel::error::Problem)))]
pub async fn get_einvoice_settings(
    l: LedgerService,
    g: Granted<GstSettings>,
) -> ApiResult<Json<EinvoiceSettings>> {
    Ok(Json(svc::settings(&l, &g).await?))
}

/// Sets up e-invoicing: the IRP's (or GSP's) URL, the API credentials
/// (sealed at rest; omit a secret to keep it) and the IRP's public keys.
#[utoipa::path(put, path = "/api/v1/gst/e-invoice/settings", tag = TAG, request_body = EinvoiceSettingsInput,
    security(("bearer" = ["gst:settings"])),
    responses((status = 200, body = EinvoiceSettings), (status = 422, body = kernel::error::Problem)))]
pub async fn put_einvoice_settings(
    l: LedgerService,
    g: Granted<GstSettings>,
    Json(s): Json<EinvoiceSettingsInput>,
) -> ApiResult<Json<EinvoiceSettings>> {
    Ok(Json(svc::put_settings(&l, &g, s).await?))
}
