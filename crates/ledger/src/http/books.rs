//! The chart of accounts, journals, settings and numbering series.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use identity::Granted;
use kernel::extract::{Json, Path, Query};
use kernel::pagination::{Page, PageParams, PageRequest};
use kernel::{ApiError, ApiResult};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::TAG;
use crate::LedgerService;
use crate::model::{
    Account, AccountInput, Journal, JournalInput, LedgerSettings, Series, SeriesInput,
};
use crate::permissions::*;
use crate::service::books;

/// The chart of accounts (seeded for an Indian company on first use).
#[utoipa::path(get, path = "/api/v1/accounts", tag = TAG, security(("bearer" = ["books:read"])),
    responses((status = 200, body = Vec<Account>)))]
pub async fn list_accounts(
    l: LedgerService,
    g: Granted<BooksRead>,
) -> ApiResult<Json<Vec<Account>>> {
    Ok(Json(books::accounts(&l, &g).await?))
}

/// Adds an account.
#[utoipa::path(post, path = "/api/v1/accounts", tag = TAG, request_body = AccountInput, security(("bearer" = ["accounts:write"])),
    responses((status = 201, body = Account), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn create_account(
    l: LedgerService,
    g: Granted<AccountsWrite>,
    Json(a): Json<AccountInput>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    Ok((StatusCode::CREATED, Json(books::save_account(&l, &g, None, a).await?)))
}

/// Renames, recodes or archives an account (its kind is fixed once it has
/// postings; accounts the postings use are never archived).
#[utoipa::path(put, path = "/api/v1/accounts/{id}", tag = TAG, params(("id" = Uuid, Path)), request_body = AccountInput,
    security(("bearer" = ["accounts:write"])),
    responses((status = 200, body = Account), (status = 404, body = kernel::error::Problem), (status = 409, body = kernel::error::Problem),
              (status = 422, body = kernel::error::Problem)))]
pub async fn put_account(
    l: LedgerService,
    g: Granted<AccountsWrite>,
    Path(id): Path<Uuid>,
    Json(a): Json<AccountInput>,
) -> ApiResult<Json<Account>> {
    Ok(Json(books::save_account(&l, &g, Some(id), a).await?))
}

/// Filters of the journal list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalsQuery {
    /// What one document, payment or party posted.
    pub source_id: Option<Uuid>,
    /// On or after.
    pub from: Option<NaiveDate>,
    /// On or before.
    pub to: Option<NaiveDate>,
}

/// Journals, newest first, with their lines.
#[utoipa::path(get, path = "/api/v1/journals", tag = TAG, params(PageParams, JournalsQuery), security(("bearer" = ["books:read"])),
    responses((status = 200, body = Page<Journal>)))]
pub async fn list_journals(
    l: LedgerService,
    g: Granted<BooksRead>,
    page: PageRequest,
    Query(q): Query<JournalsQuery>,
) -> ApiResult<Json<Page<Journal>>> {
    let after: Option<(NaiveDate, Uuid)> = page.after()?;
    let rows = books::journals(&l, &g, q.source_id, q.from, q.to, after, page.fetch()).await?;
    Ok(Json(page.page(rows, |j| (j.date, j.id))))
}

/// Posts a manual journal (debits must equal credits).
#[utoipa::path(post, path = "/api/v1/journals", tag = TAG, request_body = JournalInput, security(("bearer" = ["journals:create"])),
    responses((status = 201, body = Journal), (status = 422, body = kernel::error::Problem)))]
pub async fn post_journal(
    l: LedgerService,
    g: Granted<JournalsCreate>,
    Json(j): Json<JournalInput>,
) -> ApiResult<(StatusCode, Json<Journal>)> {
    Ok((StatusCode::CREATED, Json(books::post_journal(&l, &g, j).await?)))
}

/// One journal.
#[utoipa::path(get, path = "/api/v1/journals/{id}", tag = TAG, params(("id" = Uuid, Path)), security(("bearer" = ["books:read"])),
    responses((status = 200, body = Journal), (status = 404, body = kernel::error::Problem)))]
pub async fn get_journal(
    l: LedgerService,
    g: Granted<BooksRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Journal>> {
    Ok(Json(books::journal(&l, &g, id).await?))
}

/// The ledger's settings: the lock date, default terms, the company's
/// address as documents print it.
#[utoipa::path(get, path = "/api/v1/ledger/settings", tag = TAG, security(("bearer" = ["books:read"])),
    responses((status = 200, body = LedgerSettings)))]
pub async fn get_ledger_settings(
    l: LedgerService,
    g: Granted<BooksRead>,
) -> ApiResult<Json<LedgerSettings>> {
    Ok(Json(books::settings(&l, &g).await?))
}

/// Changes the ledger's settings (locking the books up to a date refuses
/// every posting dated on or before it).
#[utoipa::path(put, path = "/api/v1/ledger/settings", tag = TAG, request_body = LedgerSettings, security(("bearer" = ["books:settings"])),
    responses((status = 200, body = LedgerSettings), (status = 422, body = kernel::error::Problem)))]
pub async fn put_ledger_settings(
    l: LedgerService,
    g: Granted<BooksSettings>,
    Json(s): Json<LedgerSettings>,
) -> ApiResult<Json<LedgerSettings>> {
    Ok(Json(books::put_settings(&l, &g, s).await?))
}

/// The company's logo as uploaded.
#[utoipa::path(get, path = "/api/v1/ledger/logo", tag = TAG, security(("bearer" = ["books:read"])),
    responses((status = 200, content((Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
              (status = 404, description = "No logo was uploaded", body = kernel::error::Problem)))]
pub async fn get_logo(l: LedgerService, g: Granted<BooksRead>) -> ApiResult<Response> {
    let logo = books::logo(&l, &g).await?.ok_or_else(|| ApiError::not_found("logo"))?;
    let mut r = logo.bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&logo.content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(r)
}

/// Uploads the company's logo (PNG or JPEG, at most 1 MiB, sent as the
/// request body), printed at the top of its documents. The file is decoded
/// before it is kept; one that cannot be printed is refused.
#[utoipa::path(put, path = "/api/v1/ledger/logo", tag = TAG,
    request_body(content((Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
    security(("bearer" = ["books:settings"])),
    responses((status = 200, body = books::LogoInfo),
              (status = 413, description = "The file is larger than 1 MiB", body = kernel::error::Problem),
              (status = 422, description = "Not a PNG or JPEG that can be printed", body = kernel::error::Problem)))]
pub async fn put_logo(
    l: LedgerService,
    g: Granted<BooksSettings>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<books::LogoInfo>> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .filter(|v| v.starts_with("image/"));
    Ok(Json(books::put_logo(&l, &g, declared.as_deref(), body.to_vec()).await?))
}

/// Removes the company's logo.
#[utoipa::path(delete, path = "/api/v1/ledger/logo", tag = TAG, security(("bearer" = ["books:settings"])),
    responses((status = 204, description = "Removed"), (status = 404, description = "No logo was uploaded", body = kernel::error::Problem)))]
pub async fn delete_logo(l: LedgerService, g: Granted<BooksSettings>) -> ApiResult<StatusCode> {
    if books::delete_logo(&l, &g).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("logo"))
    }
}

/// The numbering series.
#[utoipa::path(get, path = "/api/v1/number-series", tag = TAG, security(("bearer" = ["books:read"])),
    responses((status = 200, body = Vec<Series>)))]
pub async fn list_series(l: LedgerService, g: Granted<BooksRead>) -> ApiResult<Json<Vec<Series>>> {
    Ok(Json(books::series(&l, &g).await?))
}

/// Adds a numbering series (its numbers must follow rule 46: at most 16
/// characters of letters, digits, `/` and `-`).
#[utoipa::path(post, path = "/api/v1/number-series", tag = TAG, request_body = SeriesInput, security(("bearer" = ["books:settings"])),
    responses((status = 201, body = Series), (status = 409, body = kernel::error::Problem), (status = 422, body = kernel::error::Problem)))]
pub async fn create_series(
    l: LedgerService,
    g: Granted<BooksSettings>,
    Json(s): Json<SeriesInput>,
) -> ApiResult<(StatusCode, Json<Series>)> {
    Ok((StatusCode::CREATED, Json(books::add_series(&l, &g, s).await?)))
}
