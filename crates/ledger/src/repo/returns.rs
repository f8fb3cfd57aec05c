//! The queries GST returns are built from: a month's sales documents by
//! rate and taxability, the invoices their notes adjust, HSN totals by
//! kind of recipient, numbering ranges, late cancellations, and the
//! month's outward and inward flows for GSTR-3B.

use chrono::NaiveDate;
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::gst::returns::{DocRate, DocSeries, Flow, HsnLine, LateCancel, Original};

/// Issued sales documents of the month (cancelled ones too, marked), one
/// row per document, rate and taxability.
pub async fn doc_rates(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DocRate>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT d.id, d.kind, d.status = 'cancelled' AS cancelled, d.number, d.doc_date, d.place_of_supply,
                d.supply_type, d.reverse_charge, d.party_snapshot ->> 'gstin' AS gstin,
                d.party_snapshot ->> 'legal_name' AS party_name,
                d.party_snapshot ->> 'registration' AS registration, d.total, d.against_id,
                l.taxability, l.gst_rate, sum(l.taxable_value) AS taxable_value, sum(l.igst) AS igst,
                sum(l.cgst) AS cgst, sum(l.sgst + l.utgst) AS sgst, sum(l.cess) AS cess
           FROM ledger_documents d
           JOIN ledger_document_lines l ON l.tenant_id = d.tenant_id AND l.document_id = d.id
          WHERE d.tenant_id = $1 AND d.kind IN ('invoice', 'bill_of_supply', 'credit_note', 'debit_note')
            AND d.status NOT IN ('draft', 'converted', 'expired', 'cancelled')
            AND d.doc_date BETWEEN $2 AND $3
          GROUP BY d.tenant_id, d.id, l.taxability, l.gst_rate
          ORDER BY d.doc_date, d.number, d.id, l.gst_rate"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// The invoices `ids` (what notes adjust).
pub async fn originals(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<Original>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, number, doc_date, total FROM ledger_documents WHERE tenant_id = $1 AND id = ANY($2)"
    ))
    .bind(tenant)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}

/// The month's sales lines by HSN, unit, rate and whether the recipient
/// is registered (credit notes subtract).
pub async fn hsn(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HsnLine>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT l.hsn_sac, l.unit, l.gst_rate, bool_or(l.is_service) AS is_service,
                (d.party_snapshot ->> 'gstin' IS NOT NULL
                  AND d.party_snapshot ->> 'registration' IN ('regular', 'composition', 'sez')) AS b2b,
                min(l.description) AS description,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.quantity ELSE l.quantity END) AS quantity,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.taxable_value ELSE l.taxable_value END) AS taxable_value,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.igst ELSE l.igst END) AS igst,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.cgst ELSE l.cgst END) AS cgst,
                sum(CASE WHEN d.kind = 'credit_note' THEN -(l.sgst + l.utgst) ELSE l.sgst + l.utgst END) AS sgst,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.cess ELSE l.cess END) AS cess
           FROM ledger_document_lines l
           JOIN ledger_documents d ON d.tenant_id = l.tenant_id AND d.id = l.document_id
          WHERE l.tenant_id = $1 AND d.kind IN ('invoice', 'bill_of_supply', 'debit_note', 'credit_note')
            AND d.status NOT IN ('draft', 'cancelled', 'converted', 'expired')
            AND d.doc_date BETWEEN $2 AND $3
          GROUP BY l.hsn_sac, l.unit, l.gst_rate, 5
          ORDER BY l.hsn_sac, l.gst_rate, l.unit"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// Each series' first and last number of the month, how many were issued
/// and how many of those are cancelled.
pub async fn series(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DocSeries>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT kind, (array_agg(number ORDER BY seq))[1] AS first,
                (array_agg(number ORDER BY seq DESC))[1] AS last,
                count(*) AS total, count(*) FILTER (WHERE status = 'cancelled') AS cancelled
           FROM ledger_documents
          WHERE tenant_id = $1 AND kind IN ('invoice', 'bill_of_supply', 'credit_note', 'debit_note')
            AND number IS NOT NULL AND doc_date BETWEEN $2 AND $3
          GROUP BY kind, series_id
          ORDER BY kind, first"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// Sales documents of earlier months cancelled during this one.
pub async fn late_cancels(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<LateCancel>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT number, doc_date, (cancelled_at AT TIME ZONE 'Asia/Kolkata')::date AS cancelled_on
           FROM ledger_documents
          WHERE tenant_id = $1 AND kind IN ('invoice', 'bill_of_supply', 'credit_note', 'debit_note')
            AND status = 'cancelled' AND doc_date < $2
            AND (cancelled_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN $2 AND $3
          ORDER BY doc_date, number"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// The month's outward and inward lines, grouped for GSTR-3B.
pub async fn flows(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Flow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT d.kind, d.supply_type, d.reverse_charge, d.party_snapshot ->> 'registration' AS registration,
                (d.party_snapshot ->> 'gstin') IS NOT NULL AS has_gstin,
                CASE WHEN d.kind = 'purchase_bill' THEN d.party_snapshot ->> 'state_code' ELSE d.place_of_supply END
                    AS place_of_supply, l.taxability,
                sum(l.taxable_value) AS taxable_value, sum(l.igst) AS igst, sum(l.cgst) AS cgst,
                sum(l.sgst + l.utgst) AS sgst, sum(l.cess) AS cess
           FROM ledger_documents d
           JOIN ledger_document_lines l ON l.tenant_id = d.tenant_id AND l.document_id = d.id
          WHERE d.tenant_id = $1
            AND d.kind IN ('invoice', 'bill_of_supply', 'credit_note', 'debit_note', 'purchase_bill')
            AND d.status NOT IN ('draft', 'cancelled', 'converted', 'expired')
            AND d.doc_date BETWEEN $2 AND $3
          GROUP BY 1, 2, 3, 4, 5, 6, 7"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// The sales register's totals for the month (credit notes subtract,
/// cancelled documents left out), summed in the database.
pub async fn register_totals(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<crate::reports::RegisterTotals, sqlx::Error> {
    let tenant = tx.tenant();
    type Sums = (i64, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal);
    let r: Sums = sqlx::query_as(kernel::sql!(
        "SELECT count(*),
                COALESCE(sum(CASE WHEN kind = 'credit_note' THEN -taxable_value ELSE taxable_value END), 0),
                COALESCE(sum(CASE WHEN kind = 'credit_note' THEN -cgst ELSE cgst END), 0),
                COALESCE(sum(CASE WHEN kind = 'credit_note' THEN -sgst ELSE sgst END), 0),
                COALESCE(sum(CASE WHEN kind = 'credit_note' THEN -utgst ELSE utgst END), 0),
                COALESCE(sum(CASE WHEN kind = 'credit_note' THEN -igst ELSE igst END), 0),
                COALESCE(sum(CASE WHEN kind = 'credit_note' THEN -cess ELSE cess END), 0),
                COALESCE(sum(CASE WHEN kind = 'credit_note' THEN -total ELSE total END), 0)
           FROM ledger_documents
          WHERE tenant_id = $1 AND kind IN ('invoice', 'bill_of_supply', 'credit_note', 'debit_note')
            AND status NOT IN ('draft', 'converted', 'expired', 'cancelled')
            AND doc_date BETWEEN $2 AND $3"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_one(&mut **tx)
    .await?;
    Ok(crate::reports::RegisterTotals {
        documents: usize::try_from(r.0).unwrap_or_default(),
        taxable_value: r.1,
        cgst: r.2,
        sgst: r.3,
        utgst: r.4,
        igst: r.5,
        cess: r.6,
        total: r.7,
    })
}
