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
use crate::gst::ewaybill::Transport;
use crate::permissions::*;
use crate::service::einvoice::{
    self as svc, CancelEinvoice, EinvoiceSettings, EinvoiceSettingsInput, EinvoiceStatus, Who,
};
use crate::service::ewaybill::{self as ewb, EwayBillStatus};
use crate::service::hsn::{self, HsnCode, HsnImport};
use crate::service::returns::{self, Gstr1Report, Gstr3bReport};

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

/// An invoice's e-way bill: whether its goods need one, the transport
/// given, the violations as it would be made now, and its number and
/// validity once generated.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/e-way-bill", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = EwayBillStatus), (status = 404, body = kernel::error::Problem)))]
pub async fn ewaybill_status(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<EwayBillStatus>> {
    Ok(Json(ewb::status(&l, &g, id).await?))
}

/// Gives an invoice's transport (Part B): the e-way bill is checked (422
/// names every violation by path and line) and prepared for the e-way
/// bill portal, or — when the invoice has an IRN — generated through the
/// IRP at once.
#[utoipa::path(put, path = "/api/v1/invoices/{id}/e-way-bill", tag = TAG, params(("id" = Uuid, Path)),
    request_body = Transport, security(("bearer" = ["einvoices:generate"])),
    responses((status = 200, body = EwayBillStatus), (status = 404, body = kernel::error::Problem),
              (status = 409, description = "Not needed, not issued, already generated, or e-invoicing not set up", body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem), (status = 503, body = kernel::error::Problem)))]
pub async fn put_ewaybill(
    l: LedgerService,
    g: Granted<EinvoicesGenerate>,
    Path(id): Path<Uuid>,
    Json(t): Json<Transport>,
) -> ApiResult<Json<EwayBillStatus>> {
    Ok(Json(ewb::put(&l, &g, id, t).await?))
}

/// The e-way bill's JSON (NIC format, for the portal's upload).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/e-way-bill/json", tag = TAG, params(("id" = Uuid, Path)),
    security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = Object), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem)))]
pub async fn ewaybill_json(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    Ok(Json(ewb::payload(&l, &g, id).await?))
}

/// A return's month.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParam {
    /// The month, `YYYY-MM`.
    #[param(
        example = "2025-09",
        pattern = "^(201[7-9]|20[2-9][0-9])-(0[1-9]|1[0-2])$",
        max_length = 7
    )]
    pub period: String,
}

/// GSTR-1 for a month: the sections of the GST portal's offline tool
/// (`b2b`, `b2cl`, `b2cs`, `cdnr`, `cdnur`, `exp`, `nil`, `hsn`,
/// `doc_issue`) as the portal's JSON, each section's totals reconciled
/// with the sales register, and what to look at before filing.
#[utoipa::path(get, path = "/api/v1/gst/gstr1", tag = TAG, params(PeriodParam), security(("bearer" = ["gst:returns"])),
    responses((status = 200, body = Gstr1Report), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn gstr1(
    l: LedgerService,
    g: Granted<GstReturns>,
    kernel::extract::Query(q): kernel::extract::Query<PeriodParam>,
) -> ApiResult<Json<Gstr1Report>> {
    Ok(Json(returns::gstr1(&l, &g, &q.period, None).await?.0))
}

/// GSTR-1's JSON as the GST portal takes it, as a download.
#[utoipa::path(get, path = "/api/v1/gst/gstr1/portal.json", tag = TAG, params(PeriodParam), security(("bearer" = ["gst:returns"])),
    responses((status = 200, body = Object), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn gstr1_portal(
    l: LedgerService,
    g: Granted<GstReturns>,
    kernel::extract::Query(q): kernel::extract::Query<PeriodParam>,
) -> ApiResult<Response> {
    let (r, _) = returns::gstr1(&l, &g, &q.period, None).await?;
    let name = format!("GSTR1_{}_{}.json", r.gstin, r.portal["fp"].as_str().unwrap_or_default());
    let mut resp = Json(r.portal).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// A GSTR-1 section of a month.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SectionParam {
    /// The month, `YYYY-MM`.
    #[param(
        example = "2025-09",
        pattern = "^(201[7-9]|20[2-9][0-9])-(0[1-9]|1[0-2])$",
        max_length = 7
    )]
    pub period: String,
    /// The section.
    #[param(inline)]
    pub section: Gstr1Section,
}

/// A GSTR-1 section.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gstr1Section {
    /// B2B invoices.
    B2b,
    /// B2C large invoices.
    B2cl,
    /// B2C others (summary).
    B2cs,
    /// Notes to registered persons.
    Cdnr,
    /// Notes to unregistered persons.
    Cdnur,
    /// Exports.
    Exp,
    /// Nil-rated, exempt and non-GST supplies.
    Exemp,
    /// HSN summary (returns before May 2025).
    Hsn,
    /// HSN summary of supplies to registered persons.
    HsnB2b,
    /// HSN summary of supplies to unregistered persons.
    HsnB2c,
    /// Documents issued.
    Docs,
}

impl Gstr1Section {
    fn name(self) -> &'static str {
        match self {
            Gstr1Section::B2b => "b2b",
            Gstr1Section::B2cl => "b2cl",
            Gstr1Section::B2cs => "b2cs",
            Gstr1Section::Cdnr => "cdnr",
            Gstr1Section::Cdnur => "cdnur",
            Gstr1Section::Exp => "exp",
            Gstr1Section::Exemp => "exemp",
            Gstr1Section::Hsn => "hsn",
            Gstr1Section::HsnB2b => "hsn_b2b",
            Gstr1Section::HsnB2c => "hsn_b2c",
            Gstr1Section::Docs => "docs",
        }
    }
}

/// One GSTR-1 section as CSV, with the offline tool's columns.
#[utoipa::path(get, path = "/api/v1/gst/gstr1/csv", tag = TAG, params(SectionParam),
    security(("bearer" = ["gst:returns"])),
    responses((status = 200, content((String = "text/csv"))), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn gstr1_csv(
    l: LedgerService,
    g: Granted<GstReturns>,
    kernel::extract::Query(q): kernel::extract::Query<SectionParam>,
) -> ApiResult<Response> {
    let name = q.section.name();
    let (r, rows) = returns::gstr1(&l, &g, &q.period, Some(name)).await?;
    let body = crate::reports::csv(crate::gst::returns::csv_header(name), rows);
    Ok(super::csv_response(&format!("GSTR1_{}_{}_{name}", r.gstin, r.period), body))
}

/// GSTR-3B for a month: outward supplies (3.1), inter-state supplies to
/// unregistered and composition persons (3.2), eligible credit (4),
/// exempt inward supplies (5), and the tax payable per head once credit
/// is set off in the order of section 49 and rule 88A.
#[utoipa::path(get, path = "/api/v1/gst/gstr3b", tag = TAG, params(PeriodParam), security(("bearer" = ["gst:returns"])),
    responses((status = 200, body = Gstr3bReport), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn gstr3b(
    l: LedgerService,
    g: Granted<GstReturns>,
    kernel::extract::Query(q): kernel::extract::Query<PeriodParam>,
) -> ApiResult<Json<Gstr3bReport>> {
    Ok(Json(returns::gstr3b(&l, &g, &q.period).await?))
}

/// A search of the HSN/SAC master.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HsnQuery {
    /// The beginning of a code (`8471`), or words of a description
    /// (`laptop`, `legal serv`).
    #[param(example = "8471", min_length = 1, max_length = 100)]
    pub q: String,
    /// At most this many (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// HSN and SAC codes by the beginning of their code or words of their
/// description (the GST portal's list and the company's own), to choose
/// an item's code.
#[utoipa::path(get, path = "/api/v1/gst/hsn", tag = TAG, params(HsnQuery), security(("bearer" = ["items:read"])),
    responses((status = 200, body = Vec<HsnCode>), (status = 422, body = kernel::error::Problem)))]
pub async fn search_hsn(
    l: LedgerService,
    g: Granted<ItemsRead>,
    kernel::extract::Query(q): kernel::extract::Query<HsnQuery>,
) -> ApiResult<Json<Vec<HsnCode>>> {
    Ok(Json(hsn::search(&l, &g, &q.q, q.limit.unwrap_or(20)).await?))
}

/// Imports the company's own HSN/SAC codes: CSV with the header
/// `code,description` (2, 4, 6 or 8 digits; an existing code's
/// description is replaced). Every row is checked first; 422 names each
/// bad line and nothing is kept.
#[utoipa::path(post, path = "/api/v1/gst/hsn/import", tag = TAG, request_body(content = String, content_type = "text/csv"),
    security(("bearer" = ["items:create"])),
    responses((status = 200, body = HsnImport), (status = 413, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn import_hsn(
    l: LedgerService,
    g: Granted<ItemsCreate>,
    body: String,
) -> ApiResult<Json<HsnImport>> {
    Ok(Json(hsn::import(&l, &g, &body).await?))
}
