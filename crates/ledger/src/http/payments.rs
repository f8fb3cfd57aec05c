//! Receipts and payments, and the TDS preview.

use axum::http::StatusCode;
use chrono::NaiveDate;
use identity::Granted;
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use kernel::{ApiError, ApiResult};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::TAG;
use crate::LedgerService;
use crate::model::{AllocationInput, Payment, PaymentInput, PaymentKind};
use crate::permissions::*;
use crate::service::payments::{self, TdsPreview};
use crate::tds::TdsSection;

/// Filters of the payment list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentsQuery {
    /// Receipts or payments only.
    #[param(inline)]
    pub kind: Option<PaymentKind>,
    /// Only this party's.
    pub party_id: Option<Uuid>,
    /// On or after.
    pub from: Option<NaiveDate>,
    /// On or before.
    pub to: Option<NaiveDate>,
}

/// Receipts and payments, newest first, with what they settled.
#[utoipa::path(get, path = "/api/v1/payments", tag = TAG, params(PageParams, PaymentsQuery), security(("bearer" = ["payments:read"])),
    responses((status = 200, body = Page<Payment>)))]
pub async fn list_payments(
    l: LedgerService,
    g: Granted<PaymentsRead>,
    page: PageRequest,
    Query(q): Query<PaymentsQuery>,
) -> ApiResult<Json<Page<Payment>>> {
    let after: Option<(NaiveDate, Uuid)> = page.after()?;
    let rows =
        payments::list(&l, &g, q.kind, q.party_id, q.from, q.to, after, page.fetch()).await?;
    Ok(Json(page.page(rows, |p| (p.date, p.id))))
}

/// Records a receipt or a payment: allocated to documents (never beyond
/// what each owes; the rest is an advance), TDS tracked, posted.
#[utoipa::path(post, path = "/api/v1/payments", tag = TAG, request_body = PaymentInput, security(("bearer" = ["payments:create"])),
    responses((status = 201, body = Payment), (status = 422, body = kernel::error::Problem)))]
pub async fn record_payment(
    l: LedgerService,
    g: Granted<PaymentsCreate>,
    Json(p): Json<PaymentInput>,
) -> ApiResult<(StatusCode, Json<Payment>)> {
    Ok((StatusCode::CREATED, Json(payments::record(&l, &g, p).await?)))
}

/// One receipt or payment.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["payments:read"])),
    responses((status = 200, body = Payment), (status = 404, body = kernel::error::Problem)))]
pub async fn get_payment(
    l: LedgerService,
    g: Granted<PaymentsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Payment>> {
    Ok(Json(payments::get(&l, &g, id).await?))
}

/// Part of an advance applied to documents.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// The documents and amounts.
    #[schema(min_items = 1, max_items = 200)]
    pub allocations: Vec<AllocationInput>,
    /// When (today by default).
    pub date: Option<NaiveDate>,
}

/// Applies a payment's advance (what it has not settled yet) to documents.
#[utoipa::path(post, path = "/api/v1/payments/{id}/allocations", tag = TAG, params(("id" = Uuid, Path)), request_body = ApplyRequest,
    security(("bearer" = ["payments:create"])),
    responses((status = 200, body = Payment), (status = 404, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn apply_payment(
    l: LedgerService,
    g: Granted<PaymentsCreate>,
    Path(id): Path<Uuid>,
    Json(a): Json<ApplyRequest>,
) -> ApiResult<Json<Payment>> {
    Ok(Json(payments::apply(&l, &g, id, a.allocations, a.date).await?))
}

/// What TDS to expect.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TdsRequest {
    /// The party paying (or paid).
    pub party_id: Uuid,
    /// The section.
    pub section: TdsSection,
    /// The documents being paid.
    #[schema(min_items = 1, max_items = 100)]
    pub document_ids: Vec<Uuid>,
    /// The payment's date (today by default).
    pub date: Option<NaiveDate>,
}

/// The TDS a customer should deduct when paying documents: the section's
/// rate (or the no-PAN rate) on their taxable value, after its thresholds
/// for the financial year, named under the law in force on the date.
#[utoipa::path(post, path = "/api/v1/tds/preview", tag = TAG, request_body = TdsRequest, security(("bearer" = ["payments:read"])),
    responses((status = 200, body = TdsPreview), (status = 422, body = kernel::error::Problem)))]
pub async fn tds_preview(
    l: LedgerService,
    g: Granted<PaymentsRead>,
    Json(q): Json<TdsRequest>,
) -> ApiResult<Json<TdsPreview>> {
    if q.document_ids.is_empty() || q.document_ids.len() > 100 {
        return Err(ApiError::invalid("document_ids", "give 1–100 documents"));
    }
    Ok(Json(payments::tds_preview(&l, &g, q.party_id, q.section, &q.document_ids, q.date).await?))
}
