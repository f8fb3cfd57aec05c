//! Receipts and payments, and what they (and credit notes) settled.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::model::{Allocation, Payment, PaymentKind, PaymentMode};
use crate::tds::TdsSection;

#[derive(Debug, sqlx::FromRow)]
struct PaymentRow {
    id: Uuid,
    kind: String,
    party_id: Uuid,
    party_name: String,
    paid_on: NaiveDate,
    mode: String,
    reference: Option<String>,
    account_id: Uuid,
    amount: Decimal,
    tds_section: Option<String>,
    tds_amount: Decimal,
    tds_certificate: Option<String>,
    opening_applied: Decimal,
    unallocated: Decimal,
    notes: Option<String>,
    created_at: DateTime<Utc>,
}

impl PaymentRow {
    fn with(self, allocations: Vec<Allocation>) -> Payment {
        Payment {
            id: self.id,
            kind: if self.kind == "receipt" { PaymentKind::Receipt } else { PaymentKind::Payment },
            party_id: self.party_id,
            party_name: self.party_name,
            date: self.paid_on,
            mode: PaymentMode::parse(&self.mode).unwrap_or(PaymentMode::Other),
            reference: self.reference,
            account_id: self.account_id,
            amount: self.amount,
            tds_section: self.tds_section.as_deref().and_then(TdsSection::parse),
            tds_amount: self.tds_amount,
            tds_certificate: self.tds_certificate,
            opening_applied: self.opening_applied,
            unallocated: self.unallocated,
            allocations,
            notes: self.notes,
            created_at: self.created_at,
        }
    }
}

/// A payment to store.
#[derive(Debug)]
pub struct NewPayment<'a> {
    /// Its id.
    pub id: Uuid,
    /// Kind.
    pub kind: PaymentKind,
    /// Party.
    pub party_id: Uuid,
    /// Date.
    pub date: NaiveDate,
    /// Mode.
    pub mode: PaymentMode,
    /// Reference.
    pub reference: Option<&'a str>,
    /// Bank or cash account.
    pub account_id: Uuid,
    /// Amount.
    pub amount: Decimal,
    /// TDS section.
    pub tds_section: Option<TdsSection>,
    /// TDS.
    pub tds_amount: Decimal,
    /// Certificate.
    pub tds_certificate: Option<&'a str>,
    /// Settling the party's opening balance.
    pub opening_applied: Decimal,
    /// Left as an advance.
    pub unallocated: Decimal,
    /// Notes.
    pub notes: Option<&'a str>,
    /// Who.
    pub created_by: Option<Uuid>,
}

/// Stores a payment.
pub async fn insert(tx: &mut TenantTx, p: &NewPayment<'_>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO payments (tenant_id, id, kind, party_id, paid_on, mode, reference, account_id, amount,
                               tds_section, tds_amount, tds_certificate, unallocated, notes, created_by,
                               opening_applied)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(tenant)
    .bind(p.id)
    .bind(p.kind.as_str())
    .bind(p.party_id)
    .bind(p.date)
    .bind(p.mode.as_str())
    .bind(p.reference)
    .bind(p.account_id)
    .bind(p.amount)
    .bind(p.tds_section.map(TdsSection::code))
    .bind(p.tds_amount)
    .bind(p.tds_certificate)
    .bind(p.unallocated)
    .bind(p.notes)
    .bind(p.created_by)
    .bind(p.opening_applied)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records that a payment (or a credit note) settled part of a document.
pub async fn allocate(
    tx: &mut TenantTx,
    payment_id: Option<Uuid>,
    credit_note_id: Option<Uuid>,
    document_id: Uuid,
    amount: Decimal,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO payment_allocations (tenant_id, id, payment_id, credit_note_id, document_id, amount, allocated_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(payment_id)
    .bind(credit_note_id)
    .bind(document_id)
    .bind(amount)
    .bind(on)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Reduces a payment's advance (it was applied to documents).
pub async fn use_advance(
    tx: &mut TenantTx,
    id: Uuid,
    amount: Decimal,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "UPDATE payments SET unallocated = unallocated - $3
          WHERE tenant_id = $1 AND id = $2 AND unallocated >= $3"
    ))
    .bind(tenant)
    .bind(id)
    .bind(amount)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

macro_rules! payment_select {
    () => {
        "SELECT y.id, y.kind, y.party_id, p.legal_name AS party_name, y.paid_on, y.mode, y.reference,
                y.account_id, y.amount, y.tds_section, y.tds_amount, y.tds_certificate, y.unallocated,
                y.opening_applied, y.notes, y.created_at
           FROM payments y JOIN parties p ON p.tenant_id = y.tenant_id AND p.id = y.party_id"
    };
}

async fn allocations_of(
    tx: &mut TenantTx,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Allocation)>, sqlx::Error> {
    let tenant = tx.tenant();
    #[derive(sqlx::FromRow)]
    struct Row {
        payment_id: Uuid,
        #[sqlx(flatten)]
        a: Allocation,
    }
    let rows: Vec<Row> = sqlx::query_as(kernel::sql!(
        "SELECT a.payment_id, a.id, a.document_id, d.number AS document_number, a.amount, a.allocated_on
           FROM payment_allocations a JOIN ledger_documents d ON d.tenant_id = a.tenant_id AND d.id = a.document_id
          WHERE a.tenant_id = $1 AND a.payment_id = ANY($2) ORDER BY a.payment_id, a.created_at, a.id"
    ))
    .bind(tenant)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.payment_id, r.a)).collect())
}

async fn attach(tx: &mut TenantTx, rows: Vec<PaymentRow>) -> Result<Vec<Payment>, sqlx::Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let all = allocations_of(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = all.iter().filter(|(p, _)| *p == r.id).map(|(_, a)| a.clone()).collect();
            r.with(mine)
        })
        .collect())
}

/// One payment with its allocations.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Payment>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<PaymentRow> = sqlx::query_as(kernel::sql!(concat!(
        payment_select!(),
        " WHERE y.tenant_id = $1 AND y.id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(r) => Ok(attach(tx, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// A payment, locked.
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> Result<Option<Payment>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<PaymentRow> = sqlx::query_as(kernel::sql!(concat!(
        payment_select!(),
        " WHERE y.tenant_id = $1 AND y.id = $2 FOR UPDATE OF y"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(r) => Ok(attach(tx, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// Payments, newest first.
pub async fn list(
    tx: &mut TenantTx,
    kind: Option<PaymentKind>,
    party_id: Option<Uuid>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    let tenant = tx.tenant();
    let (after_date, after_id) = after.unzip();
    let rows: Vec<PaymentRow> = sqlx::query_as(kernel::sql!(concat!(
        payment_select!(),
        " WHERE y.tenant_id = $1 AND ($2::text IS NULL OR y.kind = $2) AND ($3::uuid IS NULL OR y.party_id = $3)
            AND ($4::date IS NULL OR y.paid_on >= $4) AND ($5::date IS NULL OR y.paid_on <= $5)
            AND ($6::date IS NULL OR (y.paid_on, y.id) < ($6, $7))
          ORDER BY y.paid_on DESC, y.id DESC LIMIT $8"
    )))
    .bind(tenant)
    .bind(kind.map(PaymentKind::as_str))
    .bind(party_id)
    .bind(from)
    .bind(to)
    .bind(after_date)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    attach(tx, rows).await
}

/// The taxable value of the party's issued sales documents between two
/// dates, other than `except` (for TDS thresholds that count the year).
pub async fn credited_this_year(
    tx: &mut TenantTx,
    party: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    except: &[Uuid],
) -> Result<Decimal, sqlx::Error> {
    let tenant = tx.tenant();
    let (v,): (Decimal,) = sqlx::query_as(kernel::sql!(
        "SELECT coalesce(sum(taxable_value), 0) FROM ledger_documents
          WHERE tenant_id = $1 AND party_id = $2 AND doc_date BETWEEN $3 AND $4
            AND kind IN ('invoice', 'bill_of_supply', 'debit_note')
            AND status NOT IN ('draft', 'cancelled') AND NOT (id = ANY($5))"
    ))
    .bind(tenant)
    .bind(party)
    .bind(from)
    .bind(to)
    .bind(except)
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}

/// What is still owed on a party's opening balance: by a customer (for
/// receipts) or to a supplier (for payments), less what earlier receipts or
/// payments settled of it. Locks the party's row so that two receipts do
/// not settle the same rupees.
pub async fn opening_due(
    tx: &mut TenantTx,
    party: Uuid,
    kind: PaymentKind,
) -> Result<Decimal, sqlx::Error> {
    let tenant = tx.tenant();
    let (v,): (Decimal,) = sqlx::query_as(kernel::sql!(
        "SELECT greatest(CASE WHEN $3 = 'receipt' THEN p.opening_balance ELSE -p.opening_balance END
                         - coalesce((SELECT sum(y.opening_applied) FROM payments y
                                      WHERE y.tenant_id = p.tenant_id AND y.party_id = p.id AND y.kind = $3), 0), 0)
           FROM parties p WHERE p.tenant_id = $1 AND p.id = $2
            FOR UPDATE OF p"
    ))
    .bind(tenant)
    .bind(party)
    .bind(kind.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}

/// What receipts (or payments) have settled of a party's opening balance.
pub async fn opening_settled(tx: &mut TenantTx, party: Uuid) -> Result<Decimal, sqlx::Error> {
    let tenant = tx.tenant();
    let (v,): (Decimal,) = sqlx::query_as(kernel::sql!(
        "SELECT coalesce(sum(opening_applied), 0) FROM payments WHERE tenant_id = $1 AND party_id = $2"
    ))
    .bind(tenant)
    .bind(party)
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}
