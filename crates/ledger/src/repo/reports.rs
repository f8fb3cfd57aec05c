//! The reports' queries: every figure is computed from the journals and
//! the issued documents, never stored.

use chrono::NaiveDate;
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::reports::{AccountBalance, AgingRow, HsnRow, RegisterRow, StatementEntry};

/// Every account with its balance before `from` and its movement from
/// `from` to `to` (inclusive), from the per-day sums the postings keep.
pub async fn balances(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AccountBalance>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT a.id AS account_id, a.code, a.name, a.kind,
                coalesce(sum(l.debit - l.credit) FILTER (WHERE l.day < $2), 0) AS opening,
                coalesce(sum(l.debit) FILTER (WHERE l.day >= $2), 0) AS debit,
                coalesce(sum(l.credit) FILTER (WHERE l.day >= $2), 0) AS credit
           FROM accounts a
           LEFT JOIN account_days l ON l.tenant_id = a.tenant_id AND l.account_id = a.id AND l.day <= $3
          WHERE a.tenant_id = $1
          GROUP BY a.id, a.code, a.name, a.kind
          ORDER BY a.code"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// Open sales documents (or purchase bills) as they stood on `as_of`:
/// what was owed on each, net of what was settled by then; and each
/// party's opening balance (due on its date) net of what settled it.
pub async fn aging(
    tx: &mut TenantTx,
    purchases: bool,
    as_of: NaiveDate,
    party: Option<Uuid>,
) -> Result<Vec<AgingRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "WITH candidates AS (
             -- Open now, or settled (in part) only after the day: nothing
             -- else can have been open on it.
             SELECT id FROM ledger_documents
              WHERE tenant_id = $1 AND status IN ('issued', 'partially_paid', 'overdue')
             UNION
             SELECT document_id FROM payment_allocations WHERE tenant_id = $1 AND allocated_on > $3)
         SELECT d.party_id, p.legal_name AS party_name, d.id AS document_id, d.number, d.doc_date,
                coalesce(d.due_date, d.doc_date) AS due_date,
                d.total - coalesce((SELECT sum(a.amount) FROM payment_allocations a
                                     WHERE a.tenant_id = d.tenant_id AND a.document_id = d.id
                                       AND a.allocated_on <= $3), 0) AS balance
           FROM candidates c
           JOIN ledger_documents d ON d.tenant_id = $1 AND d.id = c.id
           JOIN parties p ON p.tenant_id = d.tenant_id AND p.id = d.party_id
          WHERE d.tenant_id = $1 AND d.doc_date <= $3 AND ($4::uuid IS NULL OR d.party_id = $4)
            AND d.status NOT IN ('draft', 'cancelled', 'converted', 'expired')
            AND (($2 AND d.kind = 'purchase_bill')
                 OR (NOT $2 AND d.kind IN ('invoice', 'bill_of_supply', 'debit_note')))
            AND (d.cancelled_at IS NULL)
         UNION ALL
         SELECT p.id, p.legal_name, NULL, 'Opening balance', p.opening_date, p.opening_date,
                CASE WHEN $2 THEN -p.opening_balance ELSE p.opening_balance END
                - coalesce((SELECT sum(y.opening_applied) FROM payments y
                             WHERE y.tenant_id = p.tenant_id AND y.party_id = p.id AND y.paid_on <= $3
                               AND y.kind = CASE WHEN $2 THEN 'payment' ELSE 'receipt' END), 0)
           FROM parties p
          WHERE p.tenant_id = $1 AND p.opening_date <= $3 AND ($4::uuid IS NULL OR p.id = $4)
            AND CASE WHEN $2 THEN p.opening_balance < 0 ELSE p.opening_balance > 0 END
          ORDER BY 2, 5, 3 NULLS FIRST"
    ))
    .bind(tenant)
    .bind(purchases)
    .bind(as_of)
    .bind(party)
    .fetch_all(&mut **tx)
    .await
}

/// What was open on `as_of`, summed per party and by how long past due:
/// each row stands for one party's amounts in one aging bucket, dated so
/// that [`crate::reports::aging`] puts it in that bucket (0, 30, 60, 90
/// or 91 days past due). What a document owed on the day is what it owes
/// now plus what was allocated to it after the day, so only the open
/// documents and the few settled since are read, never every document's
/// allocations.
pub async fn aging_summary(
    tx: &mut TenantTx,
    purchases: bool,
    as_of: NaiveDate,
) -> Result<Vec<AgingRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "WITH later AS (
             SELECT document_id, sum(amount) AS amount FROM payment_allocations
              WHERE tenant_id = $1 AND allocated_on > $3 GROUP BY document_id),
         owed AS (
             SELECT d.party_id, coalesce(d.due_date, d.doc_date) AS due,
                    d.total - d.settled + coalesce(l.amount, 0) AS balance
               FROM ledger_documents d LEFT JOIN later l ON l.document_id = d.id
              WHERE d.tenant_id = $1 AND d.kind = ANY($4) AND d.status IN ('issued', 'partially_paid', 'overdue')
                AND d.cancelled_at IS NULL AND d.doc_date <= $3
             UNION ALL
             SELECT d.party_id, coalesce(d.due_date, d.doc_date), d.total - d.settled + l.amount
               FROM later l JOIN ledger_documents d ON d.tenant_id = $1 AND d.id = l.document_id
              WHERE d.status = 'paid' AND d.doc_date <= $3 AND d.cancelled_at IS NULL AND d.kind = ANY($4)
             UNION ALL
             SELECT p.id, p.opening_date,
                    CASE WHEN $2 THEN -p.opening_balance ELSE p.opening_balance END
                    - coalesce((SELECT sum(y.opening_applied) FROM payments y
                                 WHERE y.tenant_id = p.tenant_id AND y.party_id = p.id AND y.paid_on <= $3
                                   AND y.kind = CASE WHEN $2 THEN 'payment' ELSE 'receipt' END), 0)
               FROM parties p
              WHERE p.tenant_id = $1 AND p.opening_date <= $3
                AND CASE WHEN $2 THEN p.opening_balance < 0 ELSE p.opening_balance > 0 END),
         buckets AS (
             SELECT party_id,
                    CASE WHEN $3 - due <= 0 THEN 0 WHEN $3 - due <= 30 THEN 30 WHEN $3 - due <= 60 THEN 60
                         WHEN $3 - due <= 90 THEN 90 ELSE 91 END AS days,
                    sum(balance) AS balance
               FROM owed WHERE balance > 0 GROUP BY 1, 2)
         SELECT b.party_id, p.legal_name AS party_name, NULL::uuid AS document_id, NULL::text AS number,
                $3 - b.days AS doc_date, $3 - b.days AS due_date, b.balance
           FROM buckets b JOIN parties p ON p.tenant_id = $1 AND p.id = b.party_id"
    ))
    .bind(tenant)
    .bind(purchases)
    .bind(as_of)
    .bind(if purchases { &["purchase_bill"][..] } else { &["invoice", "bill_of_supply", "debit_note"][..] })
    .fetch_all(&mut **tx)
    .await
}

/// A party's balance before `from`.
pub async fn party_opening(
    tx: &mut TenantTx,
    party: Uuid,
    from: NaiveDate,
) -> Result<Decimal, sqlx::Error> {
    let tenant = tx.tenant();
    let (v,): (Decimal,) = sqlx::query_as(kernel::sql!(
        "SELECT coalesce(sum(debit - credit), 0) FROM journal_lines
          WHERE tenant_id = $1 AND party_id = $2 AND posted_on < $3"
    ))
    .bind(tenant)
    .bind(party)
    .bind(from)
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}

/// Everything posted to a party from `from` to `to`, in order.
pub async fn party_entries(
    tx: &mut TenantTx,
    party: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StatementEntry>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT j.posted_on AS date, j.source, j.source_id, j.narration,
                coalesce(d.number, y.reference) AS reference,
                sum(l.debit) AS debit, sum(l.credit) AS credit
           FROM journal_lines l
           JOIN journals j ON j.tenant_id = l.tenant_id AND j.id = l.journal_id
           LEFT JOIN ledger_documents d ON d.tenant_id = j.tenant_id AND d.id = j.source_id
           LEFT JOIN payments y ON y.tenant_id = j.tenant_id AND y.id = j.source_id
          WHERE l.tenant_id = $1 AND l.party_id = $2 AND l.posted_on BETWEEN $3 AND $4
          GROUP BY j.id, j.posted_on, j.source, j.source_id, j.narration, d.number, y.reference
          ORDER BY j.posted_on, j.id"
    ))
    .bind(tenant)
    .bind(party)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// Issued documents of some kinds between two dates (cancelled ones too,
/// marked), for the sales and purchase registers.
pub async fn register(
    tx: &mut TenantTx,
    kinds: &[&str],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<RegisterRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT d.id AS document_id, d.kind, d.number, d.doc_date, d.party_id, p.legal_name AS party_name,
                d.party_snapshot ->> 'gstin' AS gstin, d.place_of_supply, d.supply_type, d.reverse_charge,
                d.status = 'cancelled' AS cancelled, d.supplier_number,
                d.taxable_value, d.cgst, d.sgst, d.utgst, d.igst, d.cess, d.round_off, d.total
           FROM ledger_documents d JOIN parties p ON p.tenant_id = d.tenant_id AND p.id = d.party_id
          WHERE d.tenant_id = $1 AND d.kind = ANY($2) AND d.doc_date BETWEEN $3 AND $4
            AND d.status NOT IN ('draft', 'converted', 'expired')
          ORDER BY d.doc_date, d.number, d.id"
    ))
    .bind(tenant)
    .bind(kinds)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// Lines of issued, not cancelled sales documents between two dates,
/// summed by HSN/SAC, unit and rate (credit notes subtract).
pub async fn hsn_summary(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HsnRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT l.hsn_sac, l.unit, l.gst_rate, bool_or(l.is_service) AS is_service,
                min(l.description) AS description,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.quantity ELSE l.quantity END) AS quantity,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.taxable_value ELSE l.taxable_value END) AS taxable_value,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.cgst ELSE l.cgst END) AS cgst,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.sgst ELSE l.sgst END) AS sgst,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.utgst ELSE l.utgst END) AS utgst,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.igst ELSE l.igst END) AS igst,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.cess ELSE l.cess END) AS cess,
                sum(CASE WHEN d.kind = 'credit_note' THEN -l.total ELSE l.total END) AS total
           FROM ledger_document_lines l
           JOIN ledger_documents d ON d.tenant_id = l.tenant_id AND d.id = l.document_id
          WHERE l.tenant_id = $1 AND d.kind IN ('invoice', 'bill_of_supply', 'debit_note', 'credit_note')
            AND d.status NOT IN ('draft', 'cancelled', 'converted', 'expired')
            AND d.doc_date BETWEEN $2 AND $3
          GROUP BY l.hsn_sac, l.unit, l.gst_rate
          ORDER BY l.hsn_sac, l.gst_rate, l.unit"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}
