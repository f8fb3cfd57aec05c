//! Documents: invoices and notes, quotations, purchase bills. Each family
//! has its routes (list, draft, change, delete a draft, issue, cancel).

use axum::http::StatusCode;
use chrono::NaiveDate;
use identity::{Caller, Granted};
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use kernel::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PdfQuery, TAG, pdf_response};
use crate::LedgerService;
use crate::model::{DocKind, DocStatus, Document, DocumentInput, DocumentSummary, Line};
use crate::permissions::*;
use crate::repo::documents::Filter;
use crate::service::documents as svc;
use crate::tax::{Heads, SupplyType, Totals};
use axum::response::Response;

const SALES: [DocKind; 4] =
    [DocKind::Invoice, DocKind::BillOfSupply, DocKind::CreditNote, DocKind::DebitNote];

/// The kinds listed at `/api/v1/invoices`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SalesKind {
    /// Tax invoices.
    Invoice,
    /// Bills of supply.
    BillOfSupply,
    /// Credit notes.
    CreditNote,
    /// Debit notes.
    DebitNote,
}

impl From<SalesKind> for DocKind {
    fn from(k: SalesKind) -> DocKind {
        match k {
            SalesKind::Invoice => DocKind::Invoice,
            SalesKind::BillOfSupply => DocKind::BillOfSupply,
            SalesKind::CreditNote => DocKind::CreditNote,
            SalesKind::DebitNote => DocKind::DebitNote,
        }
    }
}

/// Filters of the invoice list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoicesQuery {
    /// Only this kind.
    #[param(inline)]
    pub kind: Option<SalesKind>,
    /// Only this status.
    #[param(inline)]
    pub status: Option<DocStatus>,
    /// Only this party's.
    pub party_id: Option<Uuid>,
    /// Dated on or after.
    pub from: Option<NaiveDate>,
    /// Dated on or before.
    pub to: Option<NaiveDate>,
    /// A number beginning or ending with this (any case), or a party whose
    /// name contains it.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Total at least.
    #[param(value_type = Option<String>, pattern = r"^[0-9]{1,15}(\.[0-9]{1,2})?$")]
    pub min_total: Option<rust_decimal::Decimal>,
    /// Total at most.
    #[param(value_type = Option<String>, pattern = r"^[0-9]{1,15}(\.[0-9]{1,2})?$")]
    pub max_total: Option<rust_decimal::Decimal>,
}

/// Filters of a document list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentsQuery {
    /// Only this status.
    #[param(inline)]
    pub status: Option<DocStatus>,
    /// Only this party's.
    pub party_id: Option<Uuid>,
    /// Dated on or after.
    pub from: Option<NaiveDate>,
    /// Dated on or before.
    pub to: Option<NaiveDate>,
    /// A number beginning or ending with this (any case), or a party whose
    /// name contains it.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Total at least.
    #[param(value_type = Option<String>, pattern = r"^[0-9]{1,15}(\.[0-9]{1,2})?$")]
    pub min_total: Option<rust_decimal::Decimal>,
    /// Total at most.
    #[param(value_type = Option<String>, pattern = r"^[0-9]{1,15}(\.[0-9]{1,2})?$")]
    pub max_total: Option<rust_decimal::Decimal>,
}

async fn list(
    l: &LedgerService,
    g: &Caller,
    page: &PageRequest,
    q: DocumentsQuery,
    family: &[DocKind],
) -> ApiResult<Json<Page<DocumentSummary>>> {
    let kinds: Vec<&'static str> = family.iter().map(|k| k.as_str()).collect();
    let f = Filter {
        kinds,
        statuses: q.status.map(|s| vec![s.as_str()]),
        party_id: q.party_id,
        from: q.from,
        to: q.to,
        q: q.q.filter(|s| !s.is_empty()),
        min_total: q.min_total,
        max_total: q.max_total,
    };
    let after: Option<(NaiveDate, Uuid)> = page.after()?;
    let rows = svc::list(l, g, &f, after, page.fetch()).await?;
    Ok(Json(page.page(rows, |d| (d.date, d.id))))
}

fn kind_of(input: &DocumentInput, family: &[DocKind]) -> Result<DocKind, ApiError> {
    match input.kind {
        None => Ok(family[0]),
        Some(k) if family.contains(&k) => Ok(k),
        Some(k) => Err(ApiError::invalid("kind", format!("a {} is not made here", k.label()))),
    }
}

/// A draft's figures, as they would be stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// Place of supply.
    pub place_of_supply: String,
    /// Kind of supply.
    pub supply_type: SupplyType,
    /// Where the tax goes.
    pub heads: Heads,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Lines with their tax.
    pub lines: Vec<Line>,
    /// Totals.
    pub totals: Totals,
}

// ── invoices, bills of supply, credit and debit notes ───────────────────

/// Tax invoices, bills of supply, credit and debit notes, newest first.
#[utoipa::path(get, path = "/api/v1/invoices", tag = TAG, params(PageParams, InvoicesQuery), security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = Page<DocumentSummary>)))]
pub async fn list_invoices(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    page: PageRequest,
    Query(q): Query<InvoicesQuery>,
) -> ApiResult<Json<Page<DocumentSummary>>> {
    let family: Vec<DocKind> = match q.kind {
        Some(k) => vec![k.into()],
        None => SALES.to_vec(),
    };
    let rest = DocumentsQuery {
        status: q.status,
        party_id: q.party_id,
        from: q.from,
        to: q.to,
        q: q.q,
        min_total: q.min_total,
        max_total: q.max_total,
    };
    list(&l, &g, &page, rest, &family).await
}

/// Drafts an invoice, bill of supply, credit or debit note (`kind`): each
/// line taxed by the place of supply at the rate in force on its date.
#[utoipa::path(post, path = "/api/v1/invoices", tag = TAG, request_body = DocumentInput, security(("bearer" = ["invoices:create"])),
    responses((status = 201, body = Document), (status = 422, body = kernel::error::Problem)))]
pub async fn create_invoice(
    l: LedgerService,
    g: Granted<InvoicesCreate>,
    Json(d): Json<DocumentInput>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    let kind = kind_of(&d, &SALES)?;
    Ok((StatusCode::CREATED, Json(svc::save_draft(&l, &g, kind, None, d).await?)))
}

/// Works out a draft's tax and totals without storing it.
#[utoipa::path(post, path = "/api/v1/invoices/preview", tag = TAG, request_body = DocumentInput, security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = Preview), (status = 422, body = kernel::error::Problem)))]
pub async fn preview_invoice(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Json(d): Json<DocumentInput>,
) -> ApiResult<Json<Preview>> {
    let all = [SALES.as_slice(), &[DocKind::Quotation, DocKind::PurchaseBill]].concat();
    let kind = kind_of(&d, &all)?;
    let c = svc::preview(&l, &g, kind, &d).await?;
    Ok(Json(Preview {
        place_of_supply: c.place_of_supply,
        supply_type: c.supply_type,
        heads: c.heads,
        due_date: c.due_date,
        lines: c.lines,
        totals: c.totals,
    }))
}

/// One invoice or note with its lines.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem)))]
pub async fn get_invoice(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(svc::get(&l, &g, &SALES, id).await?))
}

async fn kind_of_stored(
    l: &LedgerService,
    g: &Caller,
    id: Uuid,
    family: &[DocKind],
) -> ApiResult<DocKind> {
    Ok(svc::get(l, g, family, id).await?.kind)
}

/// Replaces a draft (an issued document never changes).
#[utoipa::path(put, path = "/api/v1/invoices/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = DocumentInput,
    security(("bearer" = ["invoices:create"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn put_invoice(
    l: LedgerService,
    g: Granted<InvoicesCreate>,
    Path(id): Path<Uuid>,
    Json(d): Json<DocumentInput>,
) -> ApiResult<Json<Document>> {
    let stored = kind_of_stored(&l, &g, id, &SALES).await?;
    if d.kind.is_some_and(|k| k != stored) {
        return Err(ApiError::invalid("kind", "a draft keeps its kind"));
    }
    Ok(Json(svc::save_draft(&l, &g, stored, Some(id), d).await?))
}

/// Deletes a draft.
#[utoipa::path(delete, path = "/api/v1/invoices/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["invoices:create"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem)))]
pub async fn delete_invoice(
    l: LedgerService,
    g: Granted<InvoicesCreate>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let kind = kind_of_stored(&l, &g, id, &SALES).await?;
    svc::delete_draft(&l, &g, kind, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a draft: numbered (gapless per series and financial year),
/// posted to the books, stock moved; a credit note is applied to its
/// invoice. Credit notes also need `invoices:credit`.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/issue", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["invoices:issue"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn issue_invoice(
    l: LedgerService,
    g: Granted<InvoicesIssue>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    let kind = kind_of_stored(&l, &g, id, &SALES).await?;
    if kind == DocKind::CreditNote {
        g.grant::<InvoicesCredit>().map_err(ApiError::from)?;
    }
    Ok(Json(svc::issue(&l, &g, kind, id).await?))
}

/// Why a document is cancelled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// The reason, kept with it.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Cancels an issued document with a reason: its postings and stock are
/// reversed today. One that payments or notes settled must have those
/// undone first.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/cancel", tag = TAG, params(("id" = Uuid, Path)), request_body = CancelRequest,
    security(("bearer" = ["invoices:cancel"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn cancel_invoice(
    l: LedgerService,
    g: Granted<InvoicesCancel>,
    Path(id): Path<Uuid>,
    Json(c): Json<CancelRequest>,
) -> ApiResult<Json<Document>> {
    let kind = kind_of_stored(&l, &g, id, &SALES).await?;
    Ok(Json(svc::cancel(&l, &g, kind, id, &c.reason).await?))
}

// ── quotations ───────────────────────────────────────────────────────────

/// Quotations, newest first.
#[utoipa::path(get, path = "/api/v1/quotations", tag = TAG, params(PageParams, DocumentsQuery), security(("bearer" = ["quotations:read"])),
    responses((status = 200, body = Page<DocumentSummary>)))]
pub async fn list_quotations(
    l: LedgerService,
    g: Granted<QuotationsRead>,
    page: PageRequest,
    Query(q): Query<DocumentsQuery>,
) -> ApiResult<Json<Page<DocumentSummary>>> {
    list(&l, &g, &page, q, &[DocKind::Quotation]).await
}

/// Drafts a quotation.
#[utoipa::path(post, path = "/api/v1/quotations", tag = TAG, request_body = DocumentInput, security(("bearer" = ["quotations:create"])),
    responses((status = 201, body = Document), (status = 422, body = kernel::error::Problem)))]
pub async fn create_quotation(
    l: LedgerService,
    g: Granted<QuotationsCreate>,
    Json(d): Json<DocumentInput>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    kind_of(&d, &[DocKind::Quotation])?;
    Ok((StatusCode::CREATED, Json(svc::save_draft(&l, &g, DocKind::Quotation, None, d).await?)))
}

/// One quotation.
#[utoipa::path(get, path = "/api/v1/quotations/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["quotations:read"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem)))]
pub async fn get_quotation(
    l: LedgerService,
    g: Granted<QuotationsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(svc::get(&l, &g, &[DocKind::Quotation], id).await?))
}

/// Replaces a draft quotation.
#[utoipa::path(put, path = "/api/v1/quotations/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = DocumentInput,
    security(("bearer" = ["quotations:create"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn put_quotation(
    l: LedgerService,
    g: Granted<QuotationsCreate>,
    Path(id): Path<Uuid>,
    Json(d): Json<DocumentInput>,
) -> ApiResult<Json<Document>> {
    kind_of(&d, &[DocKind::Quotation])?;
    Ok(Json(svc::save_draft(&l, &g, DocKind::Quotation, Some(id), d).await?))
}

/// Deletes a draft quotation.
#[utoipa::path(delete, path = "/api/v1/quotations/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["quotations:create"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem)))]
pub async fn delete_quotation(
    l: LedgerService,
    g: Granted<QuotationsCreate>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    svc::delete_draft(&l, &g, DocKind::Quotation, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues (numbers) a quotation; nothing is posted.
#[utoipa::path(post, path = "/api/v1/quotations/{id}/issue", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["quotations:issue"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem)))]
pub async fn issue_quotation(
    l: LedgerService,
    g: Granted<QuotationsIssue>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(svc::issue(&l, &g, DocKind::Quotation, id).await?))
}

/// Withdraws a quotation.
#[utoipa::path(post, path = "/api/v1/quotations/{id}/cancel", tag = TAG, params(("id" = Uuid, Path)), request_body = CancelRequest,
    security(("bearer" = ["quotations:issue"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn cancel_quotation(
    l: LedgerService,
    g: Granted<QuotationsIssue>,
    Path(id): Path<Uuid>,
    Json(c): Json<CancelRequest>,
) -> ApiResult<Json<Document>> {
    Ok(Json(svc::cancel(&l, &g, DocKind::Quotation, id, &c.reason).await?))
}

/// Turns an issued quotation into an invoice draft (today's date and
/// rates); the quotation becomes `converted`.
#[utoipa::path(post, path = "/api/v1/quotations/{id}/convert", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["invoices:create"])),
    responses((status = 201, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn convert_quotation(
    l: LedgerService,
    g: Granted<InvoicesCreate>,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    g.grant::<QuotationsCreate>().map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(svc::convert(&l, &g, id).await?)))
}

// ── purchase bills ───────────────────────────────────────────────────────

/// Purchase bills (suppliers' invoices), newest first.
#[utoipa::path(get, path = "/api/v1/bills", tag = TAG, params(PageParams, DocumentsQuery), security(("bearer" = ["bills:read"])),
    responses((status = 200, body = Page<DocumentSummary>)))]
pub async fn list_bills(
    l: LedgerService,
    g: Granted<BillsRead>,
    page: PageRequest,
    Query(q): Query<DocumentsQuery>,
) -> ApiResult<Json<Page<DocumentSummary>>> {
    list(&l, &g, &page, q, &[DocKind::PurchaseBill]).await
}

/// Drafts a purchase bill from a supplier's invoice (its number and date;
/// its lines with the input tax).
#[utoipa::path(post, path = "/api/v1/bills", tag = TAG, request_body = DocumentInput, security(("bearer" = ["bills:write"])),
    responses((status = 201, body = Document), (status = 422, body = kernel::error::Problem)))]
pub async fn create_bill(
    l: LedgerService,
    g: Granted<BillsWrite>,
    Json(d): Json<DocumentInput>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    kind_of(&d, &[DocKind::PurchaseBill])?;
    Ok((StatusCode::CREATED, Json(svc::save_draft(&l, &g, DocKind::PurchaseBill, None, d).await?)))
}

/// One purchase bill.
#[utoipa::path(get, path = "/api/v1/bills/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["bills:read"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem)))]
pub async fn get_bill(
    l: LedgerService,
    g: Granted<BillsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(svc::get(&l, &g, &[DocKind::PurchaseBill], id).await?))
}

/// Replaces a draft purchase bill.
#[utoipa::path(put, path = "/api/v1/bills/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = DocumentInput,
    security(("bearer" = ["bills:write"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn put_bill(
    l: LedgerService,
    g: Granted<BillsWrite>,
    Path(id): Path<Uuid>,
    Json(d): Json<DocumentInput>,
) -> ApiResult<Json<Document>> {
    kind_of(&d, &[DocKind::PurchaseBill])?;
    Ok(Json(svc::save_draft(&l, &g, DocKind::PurchaseBill, Some(id), d).await?))
}

/// Deletes a draft purchase bill.
#[utoipa::path(delete, path = "/api/v1/bills/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["bills:write"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem)))]
pub async fn delete_bill(
    l: LedgerService,
    g: Granted<BillsWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    svc::delete_draft(&l, &g, DocKind::PurchaseBill, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records a purchase bill: numbered in the company's own series, posted
/// (purchases, input tax, the supplier owed), stock received.
#[utoipa::path(post, path = "/api/v1/bills/{id}/issue", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["bills:write"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn issue_bill(
    l: LedgerService,
    g: Granted<BillsWrite>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(svc::issue(&l, &g, DocKind::PurchaseBill, id).await?))
}

/// Cancels a recorded purchase bill (nothing paid on it) with a reason.
#[utoipa::path(post, path = "/api/v1/bills/{id}/cancel", tag = TAG, params(("id" = Uuid, Path)), request_body = CancelRequest,
    security(("bearer" = ["bills:write"])),
    responses((status = 200, body = Document), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn cancel_bill(
    l: LedgerService,
    g: Granted<BillsWrite>,
    Path(id): Path<Uuid>,
    Json(c): Json<CancelRequest>,
) -> ApiResult<Json<Document>> {
    Ok(Json(svc::cancel(&l, &g, DocKind::PurchaseBill, id, &c.reason).await?))
}

// ── printing ─────────────────────────────────────────────────────────────

/// An invoice or note as an A4 PDF: every particular a tax invoice needs,
/// the amount in words and an HSN summary; a draft is marked as one.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/pdf", tag = TAG, params(("id" = Uuid, Path), PdfQuery), security(("bearer" = ["invoices:read"])),
    responses((status = 200, content((Vec<u8> = "application/pdf"))), (status = 404, body = kernel::error::Problem)))]
pub async fn invoice_pdf(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Path(id): Path<Uuid>,
    Query(q): Query<PdfQuery>,
) -> ApiResult<Response> {
    let (name, bytes) = svc::pdf(&l, &g, &SALES, id).await?;
    Ok(pdf_response(&name, bytes, q.download))
}

/// A quotation as an A4 PDF.
#[utoipa::path(get, path = "/api/v1/quotations/{id}/pdf", tag = TAG, params(("id" = Uuid, Path), PdfQuery), security(("bearer" = ["quotations:read"])),
    responses((status = 200, content((Vec<u8> = "application/pdf"))), (status = 404, body = kernel::error::Problem)))]
pub async fn quotation_pdf(
    l: LedgerService,
    g: Granted<QuotationsRead>,
    Path(id): Path<Uuid>,
    Query(q): Query<PdfQuery>,
) -> ApiResult<Response> {
    let (name, bytes) = svc::pdf(&l, &g, &[DocKind::Quotation], id).await?;
    Ok(pdf_response(&name, bytes, q.download))
}

/// A purchase bill as an A4 PDF.
#[utoipa::path(get, path = "/api/v1/bills/{id}/pdf", tag = TAG, params(("id" = Uuid, Path), PdfQuery), security(("bearer" = ["bills:read"])),
    responses((status = 200, content((Vec<u8> = "application/pdf"))), (status = 404, body = kernel::error::Problem)))]
pub async fn bill_pdf(
    l: LedgerService,
    g: Granted<BillsRead>,
    Path(id): Path<Uuid>,
    Query(q): Query<PdfQuery>,
) -> ApiResult<Response> {
    let (name, bytes) = svc::pdf(&l, &g, &[DocKind::PurchaseBill], id).await?;
    Ok(pdf_response(&name, bytes, q.download))
}

// ── questions in plain words ─────────────────────────────────────────────

/// A question about invoices in plain words.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuestion {
    /// "unpaid invoices of Sharma Traders above 50,000 from October".
    #[schema(min_length = 1, max_length = 500)]
    pub query: String,
    /// At most this many invoices (default 50).
    #[schema(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Finds invoices from a question in plain words: status, party, amount
/// and period are read by rules and returned as the filters used, with
/// what was not understood, so a person (or an assistant) sees exactly
/// what was searched.
#[utoipa::path(post, path = "/api/v1/invoices/search", tag = TAG, request_body = InvoiceQuestion, security(("bearer" = ["invoices:read"])),
    responses((status = 200, body = svc::InvoiceAnswer), (status = 422, body = kernel::error::Problem)))]
pub async fn search_invoices(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Json(q): Json<InvoiceQuestion>,
) -> ApiResult<Json<svc::InvoiceAnswer>> {
    if q.query.trim().is_empty() || q.query.chars().count() > 500 {
        return Err(ApiError::invalid("query", "must be 1–500 characters"));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1–200"));
    }
    Ok(Json(svc::search(&l, &g, &SALES, &q.query, limit).await?))
}

/// Whom to send a document to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The address (the party's first contact with one by default).
    pub to: Option<identity::model::Email>,
    /// A few words above the standard text.
    #[schema(max_length = 2000)]
    pub message: Option<String>,
}

/// E-mails an issued invoice or note as a PDF attachment.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/send", tag = TAG, params(("id" = Uuid, Path)), request_body = SendRequest,
    security(("bearer" = ["invoices:issue"])),
    responses((status = 200, body = svc::Sent), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn send_invoice(
    l: LedgerService,
    g: Granted<InvoicesIssue>,
    Path(id): Path<Uuid>,
    Json(r): Json<SendRequest>,
) -> ApiResult<Json<svc::Sent>> {
    if r.message.as_ref().is_some_and(|m| m.chars().count() > 2000) {
        return Err(ApiError::invalid("message", "at most 2000 characters"));
    }
    let to = r.to.map(|t| t.as_str().to_string());
    Ok(Json(svc::send(&l, &g, &SALES, id, to, r.message).await?))
}

/// E-mails an issued quotation as a PDF attachment.
#[utoipa::path(post, path = "/api/v1/quotations/{id}/send", tag = TAG, params(("id" = Uuid, Path)), request_body = SendRequest,
    security(("bearer" = ["quotations:issue"])),
    responses((status = 200, body = svc::Sent), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn send_quotation(
    l: LedgerService,
    g: Granted<QuotationsIssue>,
    Path(id): Path<Uuid>,
    Json(r): Json<SendRequest>,
) -> ApiResult<Json<svc::Sent>> {
    if r.message.as_ref().is_some_and(|m| m.chars().count() > 2000) {
        return Err(ApiError::invalid("message", "at most 2000 characters"));
    }
    let to = r.to.map(|t| t.as_str().to_string());
    Ok(Json(svc::send(&l, &g, &[DocKind::Quotation], id, to, r.message).await?))
}
