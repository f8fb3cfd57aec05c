//! Routes: parties, items, documents (invoices and notes, quotations,
//! purchase bills), payments, the books and the reports.

mod books;
mod documents;
mod gst;
mod parties;
mod payments;
mod reports;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kernel::AppState;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The OpenAPI tag of these routes.
pub const TAG: &str = "ledger";

/// Every route of this crate.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(parties::list_parties, parties::create_party))
        .routes(routes!(parties::get_party, parties::put_party, parties::delete_party))
        .routes(routes!(parties::restore_party))
        .routes(routes!(parties::customer_context))
        .routes(routes!(parties::party_statement))
        .routes(routes!(parties::list_items, parties::create_item))
        .routes(routes!(parties::get_item, parties::put_item, parties::delete_item))
        .routes(routes!(parties::gst_rates))
        .routes(routes!(documents::list_invoices, documents::create_invoice))
        .routes(routes!(documents::preview_invoice))
        .routes(routes!(documents::search_invoices))
        .routes(routes!(documents::get_invoice, documents::put_invoice, documents::delete_invoice))
        .routes(routes!(documents::issue_invoice))
        .routes(routes!(documents::cancel_invoice))
        .routes(routes!(documents::invoice_pdf))
        .routes(routes!(documents::send_invoice))
        .routes(routes!(gst::einvoice_status, gst::generate_einvoice))
        .routes(routes!(gst::einvoice_json))
        .routes(routes!(gst::cancel_einvoice))
        .routes(routes!(gst::einvoice_qr))
        .routes(routes!(gst::get_einvoice_settings, gst::put_einvoice_settings))
        .routes(routes!(gst::ewaybill_status, gst::put_ewaybill))
        .routes(routes!(gst::ewaybill_json))
        .routes(routes!(gst::search_hsn))
        .routes(routes!(gst::import_hsn))
        .routes(routes!(gst::gstr1))
        .routes(routes!(gst::gstr1_portal))
        .routes(routes!(gst::gstr1_csv))
        .routes(routes!(gst::gstr3b))
        .routes(routes!(documents::list_quotations, documents::create_quotation))
        .routes(routes!(
            documents::get_quotation,
            documents::put_quotation,
            documents::delete_quotation
        ))
        .routes(routes!(documents::issue_quotation))
        .routes(routes!(documents::cancel_quotation))
        .routes(routes!(documents::convert_quotation))
        .routes(routes!(documents::quotation_pdf))
        .routes(routes!(documents::send_quotation))
        .routes(routes!(documents::list_bills, documents::create_bill))
        .routes(routes!(documents::get_bill, documents::put_bill, documents::delete_bill))
        .routes(routes!(documents::issue_bill))
        .routes(routes!(documents::cancel_bill))
        .routes(routes!(documents::bill_pdf))
        .routes(routes!(payments::list_payments, payments::record_payment))
        .routes(routes!(payments::get_payment))
        .routes(routes!(payments::apply_payment))
        .routes(routes!(payments::tds_preview))
        .routes(routes!(books::list_accounts, books::create_account))
        .routes(routes!(books::put_account))
        .routes(routes!(books::list_journals, books::post_journal))
        .routes(routes!(books::get_journal))
        .routes(routes!(books::get_ledger_settings, books::put_ledger_settings))
        .routes(routes!(books::get_logo, books::put_logo, books::delete_logo))
        .routes(routes!(books::list_series, books::create_series))
        .routes(routes!(reports::trial_balance))
        .routes(routes!(reports::profit_and_loss))
        .routes(routes!(reports::balance_sheet))
        .routes(routes!(reports::receivables_aging))
        .routes(routes!(reports::payables_aging))
        .routes(routes!(reports::sales_register))
        .routes(routes!(reports::purchase_register))
        .routes(routes!(reports::hsn_summary))
        .routes(routes!(reports::day_book))
}

/// How a report is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = ReportFormat)]
pub enum Format {
    /// JSON.
    #[default]
    Json,
    /// CSV (one row per line of the report), as a download.
    Csv,
}

/// A CSV download named `name`.
pub fn csv_response(name: &str, body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// A PDF named `name`: shown in the browser (`inline`) or saved.
pub fn pdf_response(name: &str, body: Vec<u8>, download: bool) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    let how = if download { "attachment" } else { "inline" };
    if let Ok(v) = HeaderValue::from_str(&format!("{how}; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// How a PDF is sent.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// Save it (`Content-Disposition: attachment`) instead of showing it.
    #[serde(default)]
    pub download: bool,
}
