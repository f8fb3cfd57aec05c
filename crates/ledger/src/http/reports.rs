//! The reports, as JSON or CSV (`?format=csv`).

use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use identity::Granted;
use kernel::ApiResult;
use kernel::extract::{Json, Query};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::IntoParams;

use super::parties::PeriodQuery;
use super::{Format, TAG, csv_response};
use crate::LedgerService;
use crate::model::Journal;
use crate::permissions::*;
use crate::reports::{
    Aging, BalanceSheet, HsnRow, ProfitAndLoss, Register, ReportLine, TrialBalance, csv,
};
use crate::service::reports as svc;

fn s(d: Decimal) -> String {
    d.to_string()
}

/// The trial balance over a period: every account's opening, debits,
/// credits and closing; debits equal credits.
#[utoipa::path(get, path = "/api/v1/reports/trial-balance", tag = TAG, params(PeriodQuery), security(("bearer" = ["books:read"])),
    responses((status = 200, content((TrialBalance = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn trial_balance(
    l: LedgerService,
    g: Granted<BooksRead>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = svc::period(&l, &g, q.from, q.to).await?;
    let tb = svc::trial_balance(&l, &g, from, to).await?;
    if q.format == Some(Format::Csv) {
        let rows = tb.rows.iter().map(|r| {
            vec![
                r.code.clone(),
                r.name.clone(),
                r.kind.as_str().into(),
                s(r.opening),
                s(r.debit),
                s(r.credit),
                s(r.closing),
            ]
        });
        return Ok(csv_response(
            "trial-balance",
            csv(&["code", "account", "kind", "opening", "debit", "credit", "closing"], rows),
        ));
    }
    Ok(Json(tb).into_response())
}

fn lines_csv(sections: &[(&str, &[ReportLine])]) -> Vec<Vec<String>> {
    sections
        .iter()
        .flat_map(|(section, lines)| {
            lines
                .iter()
                .map(move |l| vec![(*section).into(), l.code.clone(), l.name.clone(), s(l.amount)])
        })
        .collect()
}

/// Profit and loss over a period.
#[utoipa::path(get, path = "/api/v1/reports/profit-and-loss", tag = TAG, params(PeriodQuery), security(("bearer" = ["books:read"])),
    responses((status = 200, content((ProfitAndLoss = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn profit_and_loss(
    l: LedgerService,
    g: Granted<BooksRead>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = svc::period(&l, &g, q.from, q.to).await?;
    let pl = svc::profit_and_loss(&l, &g, from, to).await?;
    if q.format == Some(Format::Csv) {
        let mut rows = lines_csv(&[("income", &pl.income), ("expense", &pl.expenses)]);
        rows.push(vec!["net profit".into(), String::new(), String::new(), s(pl.net_profit)]);
        return Ok(csv_response(
            "profit-and-loss",
            csv(&["section", "code", "account", "amount"], rows),
        ));
    }
    Ok(Json(pl).into_response())
}

/// A day, and how to send the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The day (today by default).
    pub as_of: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<Format>,
}

/// The balance sheet on a day (the profit not yet closed shown in equity).
#[utoipa::path(get, path = "/api/v1/reports/balance-sheet", tag = TAG, params(AsOfQuery), security(("bearer" = ["books:read"])),
    responses((status = 200, content((BalanceSheet = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn balance_sheet(
    l: LedgerService,
    g: Granted<BooksRead>,
    Query(q): Query<AsOfQuery>,
) -> ApiResult<Response> {
    let (_, as_of) = svc::period(&l, &g, None, q.as_of).await?;
    let bs = svc::balance_sheet(&l, &g, as_of).await?;
    if q.format == Some(Format::Csv) {
        let rows = lines_csv(&[
            ("asset", &bs.assets),
            ("liability", &bs.liabilities),
            ("equity", &bs.equity),
        ]);
        return Ok(csv_response(
            "balance-sheet",
            csv(&["section", "code", "account", "amount"], rows),
        ));
    }
    Ok(Json(bs).into_response())
}

fn aging_response(name: &str, a: Aging, format: Option<Format>) -> Response {
    if format == Some(Format::Csv) {
        let rows = a.parties.iter().map(|p| {
            let b = &p.buckets;
            vec![
                p.party_name.clone(),
                s(b.not_due),
                s(b.d0_30),
                s(b.d31_60),
                s(b.d61_90),
                s(b.d90_plus),
                s(b.total),
            ]
        });
        return csv_response(
            name,
            csv(&["party", "not due", "0-30", "31-60", "61-90", "90+", "total"], rows),
        );
    }
    Json(a).into_response()
}

/// What customers owe on a day, by days past due (0–30, 31–60, 61–90, 90+).
#[utoipa::path(get, path = "/api/v1/reports/receivables-aging", tag = TAG, params(AsOfQuery), security(("bearer" = ["parties:read"])),
    responses((status = 200, content((Aging = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn receivables_aging(
    l: LedgerService,
    g: Granted<PartiesRead>,
    Query(q): Query<AsOfQuery>,
) -> ApiResult<Response> {
    let (_, as_of) = svc::period(&l, &g, None, q.as_of).await?;
    Ok(aging_response("receivables-aging", svc::aging(&l, &g, false, as_of).await?, q.format))
}

/// What the company owes suppliers on a day, by days past due.
#[utoipa::path(get, path = "/api/v1/reports/payables-aging", tag = TAG, params(AsOfQuery), security(("bearer" = ["parties:read"])),
    responses((status = 200, content((Aging = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn payables_aging(
    l: LedgerService,
    g: Granted<PartiesRead>,
    Query(q): Query<AsOfQuery>,
) -> ApiResult<Response> {
    let (_, as_of) = svc::period(&l, &g, None, q.as_of).await?;
    Ok(aging_response("payables-aging", svc::aging(&l, &g, true, as_of).await?, q.format))
}

fn register_response(name: &str, r: Register, format: Option<Format>) -> Response {
    if format == Some(Format::Csv) {
        let rows = r.rows.iter().map(|x| {
            vec![
                x.doc_date.to_string(),
                x.number.clone().unwrap_or_default(),
                x.kind.clone(),
                x.party_name.clone(),
                x.gstin.clone().unwrap_or_default(),
                x.place_of_supply.clone(),
                if x.reverse_charge { "Y".into() } else { "N".into() },
                if x.cancelled { "cancelled".into() } else { String::new() },
                s(x.taxable_value),
                s(x.cgst),
                s(x.sgst),
                s(x.utgst),
                s(x.igst),
                s(x.cess),
                s(x.total),
            ]
        });
        let header = [
            "date",
            "number",
            "kind",
            "party",
            "gstin",
            "place of supply",
            "reverse charge",
            "status",
            "taxable value",
            "cgst",
            "sgst",
            "utgst",
            "igst",
            "cess",
            "total",
        ];
        return csv_response(name, csv(&header, rows));
    }
    Json(r).into_response()
}

/// The sales register: every invoice, bill of supply and note in a period
/// (credit notes subtract from the totals; cancelled ones are listed, not
/// counted).
#[utoipa::path(get, path = "/api/v1/reports/sales-register", tag = TAG, params(PeriodQuery), security(("bearer" = ["invoices:read"])),
    responses((status = 200, content((Register = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn sales_register(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = svc::period(&l, &g, q.from, q.to).await?;
    Ok(register_response("sales-register", svc::register(&l, &g, false, from, to).await?, q.format))
}

/// The purchase register: every purchase bill in a period.
#[utoipa::path(get, path = "/api/v1/reports/purchase-register", tag = TAG, params(PeriodQuery), security(("bearer" = ["bills:read"])),
    responses((status = 200, content((Register = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn purchase_register(
    l: LedgerService,
    g: Granted<BillsRead>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = svc::period(&l, &g, q.from, q.to).await?;
    Ok(register_response(
        "purchase-register",
        svc::register(&l, &g, true, from, to).await?,
        q.format,
    ))
}

/// Outward supplies by HSN/SAC, unit and rate over a period.
#[utoipa::path(get, path = "/api/v1/reports/hsn-summary", tag = TAG, params(PeriodQuery), security(("bearer" = ["invoices:read"])),
    responses((status = 200, content((Vec<HsnRow> = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn hsn_summary(
    l: LedgerService,
    g: Granted<InvoicesRead>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = svc::period(&l, &g, q.from, q.to).await?;
    let rows = svc::hsn_summary(&l, &g, from, to).await?;
    if q.format == Some(Format::Csv) {
        let body = csv(
            &[
                "hsn/sac",
                "description",
                "unit",
                "rate",
                "quantity",
                "taxable value",
                "igst",
                "cgst",
                "sgst",
                "utgst",
                "cess",
                "total",
            ],
            rows.iter().map(|r| {
                vec![
                    r.hsn_sac.clone(),
                    r.description.clone(),
                    r.unit.clone(),
                    s(r.gst_rate),
                    r.quantity.to_string(),
                    s(r.taxable_value),
                    s(r.igst),
                    s(r.cgst),
                    s(r.sgst),
                    s(r.utgst),
                    s(r.cess),
                    s(r.total),
                ]
            }),
        );
        return Ok(csv_response("hsn-summary", body));
    }
    Ok(Json(rows).into_response())
}

/// The day book: every journal of a period, in order, with its lines.
#[utoipa::path(get, path = "/api/v1/reports/day-book", tag = TAG, params(PeriodQuery), security(("bearer" = ["books:read"])),
    responses((status = 200, content((Vec<Journal> = "application/json"), (String = "text/csv"))), (status = 422, body = kernel::error::Problem)))]
pub async fn day_book(
    l: LedgerService,
    g: Granted<BooksRead>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = svc::period(&l, &g, q.from, q.to).await?;
    let journals = svc::day_book(&l, &g, from, to).await?;
    if q.format == Some(Format::Csv) {
        let rows = journals.iter().flat_map(|j| {
            j.lines.iter().map(move |ln| {
                vec![
                    j.date.to_string(),
                    j.narration.clone(),
                    ln.account_code.clone(),
                    ln.account_name.clone(),
                    s(ln.debit),
                    s(ln.credit),
                ]
            })
        });
        return Ok(csv_response(
            "day-book",
            csv(&["date", "narration", "code", "account", "debit", "credit"], rows),
        ));
    }
    Ok(Json(journals).into_response())
}
