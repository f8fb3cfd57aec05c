//! Parties and items.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use identity::Granted;
use kernel::ApiResult;
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Format, TAG, csv_response};
use crate::LedgerService;
use crate::model::{HsnSac, Item, ItemInput, Party, PartyInput, ScheduleRate};
use crate::permissions::*;
use crate::repo::parties::Filter;
use crate::reports::{Statement, csv};
use crate::service::parties::CustomerContext;
use crate::service::{self as svc, items, parties};

/// Which parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PartyKind {
    /// Customers.
    Customer,
    /// Suppliers.
    Supplier,
}

/// Filters of the party list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartiesQuery {
    /// Only customers or only suppliers.
    #[param(inline)]
    pub kind: Option<PartyKind>,
    /// Name, trade name or GSTIN contains.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Archived ones too.
    pub archived: Option<bool>,
}

/// Customers and suppliers by name, with their balances.
#[utoipa::path(get, path = "/api/v1/parties", tag = TAG, params(PageParams, PartiesQuery), security(("bearer" = ["parties:read"])),
    responses((status = 200, body = Page<Party>)))]
pub async fn list_parties(
    l: LedgerService,
    g: Granted<PartiesRead>,
    page: PageRequest,
    Query(q): Query<PartiesQuery>,
) -> ApiResult<Json<Page<Party>>> {
    let f = Filter {
        customers: q.kind == Some(PartyKind::Customer),
        suppliers: q.kind == Some(PartyKind::Supplier),
        q: q.q.filter(|s| !s.is_empty()),
        archived: q.archived.unwrap_or(false),
    };
    let after: Option<(String, Uuid)> = page.after()?;
    let rows = parties::list(&l, &g, &f, after, page.fetch()).await?;
    Ok(Json(page.page(rows, |p| (p.legal_name.to_lowercase(), p.id))))
}

/// Adds a customer or supplier (its opening balance is posted).
#[utoipa::path(post, path = "/api/v1/parties", tag = TAG, request_body = PartyInput, security(("bearer" = ["parties:create"])),
    responses((status = 201, body = Party), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn create_party(
    l: LedgerService,
    g: Granted<PartiesCreate>,
    Json(p): Json<PartyInput>,
) -> ApiResult<(StatusCode, Json<Party>)> {
    Ok((StatusCode::CREATED, Json(parties::save(&l, &g, None, p).await?)))
}

/// One party, with its balance in the books.
#[utoipa::path(get, path = "/api/v1/parties/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["parties:read"])),
    responses((status = 200, body = Party), (status = 404, body = kernel::error::Problem)))]
pub async fn get_party(
    l: LedgerService,
    g: Granted<PartiesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Party>> {
    Ok(Json(parties::get(&l, &g, id).await?))
}

/// Replaces a party's details.
#[utoipa::path(put, path = "/api/v1/parties/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = PartyInput,
    security(("bearer" = ["parties:update"])),
    responses((status = 200, body = Party), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn put_party(
    l: LedgerService,
    g: Granted<PartiesUpdate>,
    Path(id): Path<Uuid>,
    Json(p): Json<PartyInput>,
) -> ApiResult<Json<Party>> {
    Ok(Json(parties::save(&l, &g, Some(id), p).await?))
}

/// Deletes a party nothing refers to; one with documents, payments or an
/// opening balance is archived instead (kept, hidden from lists).
#[utoipa::path(delete, path = "/api/v1/parties/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["parties:update"])),
    responses((status = 204, description = "Deleted, or archived when it has history"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_party(
    l: LedgerService,
    g: Granted<PartiesUpdate>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    parties::remove(&l, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Brings an archived party back.
#[utoipa::path(post, path = "/api/v1/parties/{id}/restore", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["parties:update"])),
    responses((status = 200, body = Party), (status = 404, body = kernel::error::Problem)))]
pub async fn restore_party(
    l: LedgerService,
    g: Granted<PartiesUpdate>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Party>> {
    Ok(Json(parties::restore(&l, &g, id).await?))
}

/// A customer's context: details, outstanding and overdue, credit used and
/// available, the latest documents and receipts.
#[utoipa::path(get, path = "/api/v1/customers/{id}/context", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["parties:read"])),
    responses((status = 200, body = CustomerContext), (status = 404, body = kernel::error::Problem)))]
pub async fn customer_context(
    l: LedgerService,
    g: Granted<PartiesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CustomerContext>> {
    Ok(Json(parties::context(&l, &g, id).await?))
}

/// A period, and how to send it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day (the financial year's first by default).
    pub from: Option<NaiveDate>,
    /// Last day (today by default).
    pub to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<Format>,
}

/// A party's statement: opening balance, every document, receipt and
/// payment in the period with the running balance, and the closing
/// balance.
#[utoipa::path(get, path = "/api/v1/parties/{id}/statement", tag = TAG, params(("id" = Uuid, Path), PeriodQuery),
    security(("bearer" = ["parties:read"])),
    responses((status = 200, content((Statement = "application/json"), (String = "text/csv"))), (status = 404, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn party_statement(
    l: LedgerService,
    g: Granted<PartiesRead>,
    Path(id): Path<Uuid>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = svc::reports::period(&l, &g, q.from, q.to).await?;
    let s = svc::reports::statement(&l, &g, id, from, to).await?;
    if q.format == Some(Format::Csv) {
        let mut rows = vec![vec![
            from.to_string(),
            "Opening balance".into(),
            String::new(),
            String::new(),
            String::new(),
            s.opening.to_string(),
        ]];
        rows.extend(s.lines.iter().map(|l| {
            vec![
                l.entry.date.to_string(),
                l.entry.narration.clone(),
                l.entry.reference.clone().unwrap_or_default(),
                l.entry.debit.to_string(),
                l.entry.credit.to_string(),
                l.balance.to_string(),
            ]
        }));
        rows.push(vec![
            to.to_string(),
            "Closing balance".into(),
            String::new(),
            String::new(),
            String::new(),
            s.closing.to_string(),
        ]);
        let body = csv(&["date", "particulars", "reference", "debit", "credit", "balance"], rows);
        return Ok(csv_response("statement", body));
    }
    Ok(Json(s).into_response())
}

/// Filters of the item list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// Name, SKU or HSN/SAC (prefix) contains.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Archived ones too.
    pub archived: Option<bool>,
}

/// Items by name, with their GST rates and stock.
#[utoipa::path(get, path = "/api/v1/items", tag = TAG, params(PageParams, ItemsQuery), security(("bearer" = ["items:read"])),
    responses((status = 200, body = Page<Item>)))]
pub async fn list_items(
    l: LedgerService,
    g: Granted<ItemsRead>,
    page: PageRequest,
    Query(q): Query<ItemsQuery>,
) -> ApiResult<Json<Page<Item>>> {
    let after: Option<(String, Uuid)> = page.after()?;
    let rows = items::list(
        &l,
        &g,
        q.q.as_deref().filter(|s| !s.is_empty()),
        q.archived.unwrap_or(false),
        after,
        page.fetch(),
    )
    .await?;
    Ok(Json(page.page(rows, |i| (i.name.to_lowercase(), i.id))))
}

/// Adds an item; without rates it takes its HSN/SAC heading's from the
/// schedule (by date).
#[utoipa::path(post, path = "/api/v1/items", tag = TAG, request_body = ItemInput, security(("bearer" = ["items:create"])),
    responses((status = 201, body = Item), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn create_item(
    l: LedgerService,
    g: Granted<ItemsCreate>,
    Json(i): Json<ItemInput>,
) -> ApiResult<(StatusCode, Json<Item>)> {
    Ok((StatusCode::CREATED, Json(items::save(&l, &g, None, i).await?)))
}

/// One item.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["items:read"])),
    responses((status = 200, body = Item), (status = 404, body = kernel::error::Problem)))]
pub async fn get_item(
    l: LedgerService,
    g: Granted<ItemsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Item>> {
    Ok(Json(items::get(&l, &g, id).await?))
}

/// Replaces an item (its rates stay unless given).
#[utoipa::path(put, path = "/api/v1/items/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = ItemInput,
    security(("bearer" = ["items:update"])),
    responses((status = 200, body = Item), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn put_item(
    l: LedgerService,
    g: Granted<ItemsUpdate>,
    Path(id): Path<Uuid>,
    Json(i): Json<ItemInput>,
) -> ApiResult<Json<Item>> {
    Ok(Json(items::save(&l, &g, Some(id), i).await?))
}

/// Deletes an item no document uses; archives one that is used.
#[utoipa::path(delete, path = "/api/v1/items/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["items:update"])),
    responses((status = 204, description = "Deleted, or archived when documents use it"), (status = 404, body = kernel::error::Problem)))]
pub async fn delete_item(
    l: LedgerService,
    g: Granted<ItemsUpdate>,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    items::remove(&l, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which headings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// Only the headings an HSN or SAC code falls under (its longest
    /// matching prefix), e.g. `85171300`.
    #[param(value_type = Option<String>, pattern = "^[0-9]{4,8}$")]
    pub hsn: Option<HsnSac>,
}

/// The GST rate schedule: headings (HSN/SAC prefixes) with their rates by
/// date, the 22 September 2025 change included. With `hsn`, the rates of
/// that code's heading (empty when none is listed: give the item's rate).
#[utoipa::path(get, path = "/api/v1/gst-rates", tag = TAG, params(RatesQuery), security(("bearer" = ["items:read"])),
    responses((status = 200, body = Vec<ScheduleRate>)))]
pub async fn gst_rates(
    l: LedgerService,
    g: Granted<ItemsRead>,
    Query(q): Query<RatesQuery>,
) -> ApiResult<Json<Vec<ScheduleRate>>> {
    Ok(Json(items::schedule(&l, &g, q.hsn.as_ref().map(|h| h.as_str())).await?))
}
