//! Documents and their lines, numbering series and counters.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::model::{DocKind, DocStatus, Document, DocumentSummary, Line, Series};
use crate::tax::{Heads, SupplyType, Totals};

/// A document's header as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Header {
    /// Its id.
    pub id: Uuid,
    /// Kind.
    pub kind: String,
    /// Status.
    pub status: String,
    /// Series.
    pub series_id: Option<Uuid>,
    /// Number.
    pub number: Option<String>,
    /// Financial year.
    pub fy: Option<i32>,
    /// Party.
    pub party_id: Uuid,
    /// Party's name now.
    pub party_name: String,
    /// Party at issue.
    pub party_snapshot: Option<serde_json::Value>,
    /// Date.
    pub doc_date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Validity.
    pub valid_until: Option<NaiveDate>,
    /// Place of supply.
    pub place_of_supply: String,
    /// Supply type.
    pub supply_type: String,
    /// Reverse charge.
    pub reverse_charge: bool,
    /// Tax heads.
    pub heads: String,
    /// A note's invoice.
    pub against_id: Option<Uuid>,
    /// Supplier's number.
    pub supplier_number: Option<String>,
    /// Supplier's date.
    pub supplier_date: Option<NaiveDate>,
    /// Reference.
    pub reference: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Taxable value.
    pub taxable_value: Decimal,
    /// Discount.
    pub discount: Decimal,
    /// CGST.
    pub cgst: Decimal,
    /// SGST.
    pub sgst: Decimal,
    /// UTGST.
    pub utgst: Decimal,
    /// IGST.
    pub igst: Decimal,
    /// Cess.
    pub cess: Decimal,
    /// Round-off.
    pub round_off: Decimal,
    /// Total.
    pub total: Decimal,
    /// Settled.
    pub settled: Decimal,
    /// Converted from.
    pub converted_from: Option<Uuid>,
    /// Converted to.
    pub converted_to: Option<Uuid>,
    /// Cancellation reason.
    pub cancel_reason: Option<String>,
    /// Issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// Cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

impl Header {
    /// Its kind.
    pub fn kind(&self) -> DocKind {
        DocKind::parse(&self.kind).unwrap_or(DocKind::Invoice)
    }

    /// Its status.
    pub fn status(&self) -> DocStatus {
        DocStatus::parse(&self.status).unwrap_or(DocStatus::Draft)
    }

    /// What is still owed on it.
    pub fn balance_due(&self) -> Decimal {
        let owed = self.status().is_open()
            && !matches!(self.kind(), DocKind::CreditNote | DocKind::Quotation);
        if owed { (self.total - self.settled).max(Decimal::ZERO) } else { Decimal::ZERO }
    }

    /// Its totals.
    pub fn totals(&self) -> Totals {
        Totals {
            taxable_value: self.taxable_value,
            cgst: self.cgst,
            sgst: self.sgst,
            utgst: self.utgst,
            igst: self.igst,
            cess: self.cess,
            discount: self.discount,
            round_off: self.round_off,
            total: self.total,
            reverse_charge_tax: if self.reverse_charge {
                self.cgst + self.sgst + self.utgst + self.igst + self.cess
            } else {
                Decimal::ZERO
            },
        }
    }

    /// The document with its lines.
    pub fn with_lines(self, lines: Vec<Line>) -> Document {
        let kind = self.kind();
        let status = self.status();
        let balance_due = self.balance_due();
        Document {
            id: self.id,
            kind,
            status,
            number: self.number,
            financial_year: self.fy.map(crate::india::fy_label),
            series_id: self.series_id,
            party_id: self.party_id,
            party_name: self.party_name,
            party_snapshot: self.party_snapshot,
            date: self.doc_date,
            due_date: self.due_date,
            valid_until: self.valid_until,
            place_of_supply: self.place_of_supply,
            supply_type: SupplyType::parse(&self.supply_type).unwrap_or_default(),
            reverse_charge: self.reverse_charge,
            heads: match self.heads.as_str() {
                "cgst_sgst" => Heads::CgstSgst,
                "cgst_utgst" => Heads::CgstUtgst,
                "igst" => Heads::Igst,
                _ => Heads::None,
            },
            against_id: self.against_id,
            supplier_number: self.supplier_number,
            supplier_date: self.supplier_date,
            reference: self.reference,
            notes: self.notes,
            reason: self.reason,
            lines,
            taxable_value: self.taxable_value,
            discount: self.discount,
            cgst: self.cgst,
            sgst: self.sgst,
            utgst: self.utgst,
            igst: self.igst,
            cess: self.cess,
            round_off: self.round_off,
            total: self.total,
            settled: self.settled,
            balance_due,
            converted_from: self.converted_from,
            converted_to: self.converted_to,
            cancel_reason: self.cancel_reason,
            issued_at: self.issued_at,
            cancelled_at: self.cancelled_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Stores the name of a tax head split.
pub fn heads_name(h: Heads) -> &'static str {
    match h {
        Heads::CgstSgst => "cgst_sgst",
        Heads::CgstUtgst => "cgst_utgst",
        Heads::Igst => "igst",
        Heads::None => "none",
    }
}

macro_rules! header_select {
    () => {
        "SELECT d.id, d.kind, d.status, d.series_id, d.number, d.fy, d.party_id, p.legal_name AS party_name,
                d.party_snapshot, d.doc_date, d.due_date, d.valid_until, d.place_of_supply, d.supply_type,
                d.reverse_charge, d.heads, d.against_id, d.supplier_number, d.supplier_date, d.reference,
                d.notes, d.reason, d.taxable_value, d.discount, d.cgst, d.sgst, d.utgst, d.igst, d.cess,
                d.round_off, d.total, d.settled, d.converted_from, d.converted_to, d.cancel_reason,
                d.issued_at, d.cancelled_at, d.created_at, d.updated_at
           FROM ledger_documents d JOIN parties p ON p.tenant_id = d.tenant_id AND p.id = d.party_id"
    };
}

/// A draft's header to store.
#[derive(Debug)]
pub struct Draft<'a> {
    /// Its id.
    pub id: Uuid,
    /// Kind.
    pub kind: DocKind,
    /// Series.
    pub series_id: Option<Uuid>,
    /// Party.
    pub party_id: Uuid,
    /// Date.
    pub date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Validity.
    pub valid_until: Option<NaiveDate>,
    /// Place of supply.
    pub place_of_supply: &'a str,
    /// Supply type.
    pub supply_type: SupplyType,
    /// Reverse charge.
    pub reverse_charge: bool,
    /// Tax heads.
    pub heads: Heads,
    /// A note's invoice.
    pub against_id: Option<Uuid>,
    /// Supplier's number.
    pub supplier_number: Option<&'a str>,
    /// Supplier's date.
    pub supplier_date: Option<NaiveDate>,
    /// Reference.
    pub reference: Option<&'a str>,
    /// Notes.
    pub notes: Option<&'a str>,
    /// Reason.
    pub reason: Option<&'a str>,
    /// Totals.
    pub totals: &'a Totals,
    /// The quotation it came from.
    pub converted_from: Option<Uuid>,
    /// Who wrote it.
    pub created_by: Option<Uuid>,
}

/// Inserts or replaces a draft's header (only drafts are replaced).
pub async fn upsert_draft(tx: &mut TenantTx, d: &Draft<'_>) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let t = d.totals;
    let done = sqlx::query(kernel::sql!(
        "INSERT INTO ledger_documents (tenant_id, id, kind, series_id, party_id, doc_date, due_date, valid_until,
                                       place_of_supply, supply_type, reverse_charge, heads, against_id,
                                       supplier_number, supplier_date, reference, notes, reason, taxable_value,
                                       discount, cgst, sgst, utgst, igst, cess, round_off, total, converted_from,
                                       created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                 $21, $22, $23, $24, $25, $26, $27, $28, $29)
         ON CONFLICT (tenant_id, id) DO UPDATE SET
             series_id = EXCLUDED.series_id, party_id = EXCLUDED.party_id, doc_date = EXCLUDED.doc_date,
             due_date = EXCLUDED.due_date, valid_until = EXCLUDED.valid_until,
             place_of_supply = EXCLUDED.place_of_supply, supply_type = EXCLUDED.supply_type,
             reverse_charge = EXCLUDED.reverse_charge, heads = EXCLUDED.heads, against_id = EXCLUDED.against_id,
             supplier_number = EXCLUDED.supplier_number, supplier_date = EXCLUDED.supplier_date,
             reference = EXCLUDED.reference, notes = EXCLUDED.notes, reason = EXCLUDED.reason,
             taxable_value = EXCLUDED.taxable_value, discount = EXCLUDED.discount, cgst = EXCLUDED.cgst,
             sgst = EXCLUDED.sgst, utgst = EXCLUDED.utgst, igst = EXCLUDED.igst, cess = EXCLUDED.cess,
             round_off = EXCLUDED.round_off, total = EXCLUDED.total, updated_at = now()
           WHERE ledger_documents.status = 'draft'"
    ))
    .bind(tenant)
    .bind(d.id)
    .bind(d.kind.as_str())
    .bind(d.series_id)
    .bind(d.party_id)
    .bind(d.date)
    .bind(d.due_date)
    .bind(d.valid_until)
    .bind(d.place_of_supply)
    .bind(d.supply_type.as_str())
    .bind(d.reverse_charge)
    .bind(heads_name(d.heads))
    .bind(d.against_id)
    .bind(d.supplier_number)
    .bind(d.supplier_date)
    .bind(d.reference)
    .bind(d.notes)
    .bind(d.reason)
    .bind(t.taxable_value)
    .bind(t.discount)
    .bind(t.cgst)
    .bind(t.sgst)
    .bind(t.utgst)
    .bind(t.igst)
    .bind(t.cess)
    .bind(t.round_off)
    .bind(t.total)
    .bind(d.converted_from)
    .bind(d.created_by)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a document's lines.
pub async fn set_lines(tx: &mut TenantTx, id: Uuid, lines: &[Line]) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "DELETE FROM ledger_document_lines WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    for batch in lines.chunks(200) {
        let col = |f: fn(&Line) -> Decimal| batch.iter().map(f).collect::<Vec<Decimal>>();
        sqlx::query(kernel::sql!(
            "INSERT INTO ledger_document_lines
                 (tenant_id, document_id, line_no, item_id, description, hsn_sac, is_service, quantity, unit,
                  unit_price, price_includes_tax, discount, taxability, gross, taxable_value, gst_rate, cgst,
                  sgst, utgst, igst, cess_rate, cess, total)
             SELECT $1, $2, u.* FROM unnest($3::int[], $4::uuid[], $5::text[], $6::text[], $7::bool[],
                    $8::numeric[], $9::text[], $10::numeric[], $11::bool[], $12::numeric[], $13::text[],
                    $14::numeric[], $15::numeric[], $16::numeric[], $17::numeric[], $18::numeric[],
                    $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[], $23::numeric[]) AS u"
        ))
        .bind(tenant)
        .bind(id)
        .bind(batch.iter().map(|l| l.line_no).collect::<Vec<_>>())
        .bind(batch.iter().map(|l| l.item_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|l| l.description.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|l| l.hsn_sac.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|l| l.is_service).collect::<Vec<_>>())
        .bind(col(|l| l.quantity))
        .bind(batch.iter().map(|l| l.unit.as_str()).collect::<Vec<_>>())
        .bind(col(|l| l.unit_price))
        .bind(batch.iter().map(|l| l.price_includes_tax).collect::<Vec<_>>())
        .bind(col(|l| l.discount))
        .bind(batch.iter().map(|l| l.taxability.0.as_str()).collect::<Vec<_>>())
        .bind(col(|l| l.gross))
        .bind(col(|l| l.taxable_value))
        .bind(col(|l| l.gst_rate))
        .bind(col(|l| l.cgst))
        .bind(col(|l| l.sgst))
        .bind(col(|l| l.utgst))
        .bind(col(|l| l.igst))
        .bind(col(|l| l.cess_rate))
        .bind(col(|l| l.cess))
        .bind(col(|l| l.total))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A document's header.
pub async fn header(tx: &mut TenantTx, id: Uuid) -> Result<Option<Header>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(header_select!(), " WHERE d.tenant_id = $1 AND d.id = $2")))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// A document's header, locked until the transaction ends.
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> Result<Option<Header>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        header_select!(),
        " WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF d"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A document's lines.
pub async fn lines(tx: &mut TenantTx, id: Uuid) -> Result<Vec<Line>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT line_no, item_id, description, hsn_sac, is_service, quantity, unit, unit_price,
                price_includes_tax, discount, taxability, gross, taxable_value, gst_rate, cgst, sgst, utgst,
                igst, cess_rate, cess, total
           FROM ledger_document_lines WHERE tenant_id = $1 AND document_id = $2 ORDER BY line_no"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_all(&mut **tx)
    .await
}

/// A whole document.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Document>, sqlx::Error> {
    match header(tx, id).await? {
        Some(h) => {
            let lines = lines(tx, h.id).await?;
            Ok(Some(h.with_lines(lines)))
        }
        None => Ok(None),
    }
}

/// The list's filters.
#[derive(Debug, Default)]
pub struct Filter {
    /// Kinds.
    pub kinds: Vec<&'static str>,
    /// Statuses.
    pub statuses: Option<Vec<&'static str>>,
    /// The party.
    pub party_id: Option<Uuid>,
    /// From this date.
    pub from: Option<NaiveDate>,
    /// Up to this date.
    pub to: Option<NaiveDate>,
    /// A number beginning or ending with this, or a party name containing it.
    pub q: Option<String>,
    /// Total at least.
    pub min_total: Option<Decimal>,
    /// Total at most.
    pub max_total: Option<Decimal>,
}

/// Every status a document can have.
const ALL_STATUSES: [&str; 8] =
    ["draft", "issued", "partially_paid", "paid", "overdue", "cancelled", "converted", "expired"];

/// A `LIKE` pattern matching `q` anywhere, its wildcards taken literally.
fn contains_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Documents, newest first.
///
/// Without a party or a text filter, each (kind, status) pair is read from
/// its own ordered index range and only a page of each is merged, so a
/// page costs the same at ten million documents as at a hundred. A party
/// reads its own ordered range. Text matches a number's beginning or end
/// (index ranges over stored upper-cased and reversed copies) and,
/// separately, the parties whose names contain it, each party's newest
/// page merged — an `OR` of the two would scan every document.
pub async fn list(
    tx: &mut TenantTx,
    f: &Filter,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<DocumentSummary>, sqlx::Error> {
    let tenant = tx.tenant();
    let (after_date, after_id) = after.unzip();
    // Planned for this call's filters: a generic plan cannot tell an
    // absent filter from a present one.
    sqlx::query(kernel::sql!("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"))
        .execute(&mut **tx)
        .await?;
    if let Some(q) = f.q.as_deref() {
        // A number begins or ends with the text (compared as stored:
        // upper-cased, and reversed for the end).
        let starts = q.trim().to_uppercase();
        let ends: String = starts.chars().rev().collect();
        return sqlx::query_as(kernel::sql!(
            "WITH page AS (
                 -- The matches are found first (OFFSET 0 keeps the page's
                 -- order out of this plan): ordered by date, the planner
                 -- would walk every document hoping to meet a few matches.
                 (SELECT * FROM (
                  SELECT d.id, d.kind, d.status, d.number, d.party_id, d.doc_date, d.due_date, d.place_of_supply, d.taxable_value, d.total, d.settled, d.created_at
                    FROM ledger_documents d
                   WHERE d.tenant_id = $1 AND d.kind = ANY($2)
                     AND ((d.number_key >= $13 AND d.number_key < $14) OR (d.number_rkey >= $15 AND d.number_rkey < $16))
                     AND ($3::text[] IS NULL OR d.status = ANY($3))
                     AND ($4::uuid IS NULL OR d.party_id = $4)
                     AND ($5::date IS NULL OR d.doc_date >= $5)
                     AND ($6::date IS NULL OR d.doc_date <= $6)
                     AND ($8::date IS NULL OR (d.doc_date, d.id) < ($8, $9))
                     AND ($11::numeric IS NULL OR d.total >= $11)
                     AND ($12::numeric IS NULL OR d.total <= $12)
                  OFFSET 0) d
                   ORDER BY d.doc_date DESC, d.id DESC LIMIT $10)
                 UNION
                 (SELECT x.* FROM parties q CROSS JOIN LATERAL (
                      SELECT d.id, d.kind, d.status, d.number, d.party_id, d.doc_date, d.due_date, d.place_of_supply, d.taxable_value, d.total, d.settled, d.created_at
                        FROM ledger_documents d
                       WHERE d.tenant_id = $1 AND d.party_id = q.id AND d.kind = ANY($2)
                         AND ($3::text[] IS NULL OR d.status = ANY($3))
                         AND ($5::date IS NULL OR d.doc_date >= $5)
                         AND ($6::date IS NULL OR d.doc_date <= $6)
                         AND ($8::date IS NULL OR (d.doc_date, d.id) < ($8, $9))
                         AND ($11::numeric IS NULL OR d.total >= $11)
                         AND ($12::numeric IS NULL OR d.total <= $12)
                       ORDER BY d.doc_date DESC, d.id DESC LIMIT $10) x
                   WHERE q.tenant_id = $1 AND q.legal_name ILIKE $7 AND ($4::uuid IS NULL OR q.id = $4)))
             SELECT d.id, d.kind, d.status, d.number, d.party_id, p.legal_name AS party_name, d.doc_date AS date,
                    d.due_date, d.place_of_supply, d.taxable_value, d.total,
                    CASE WHEN d.status IN ('issued', 'partially_paid', 'overdue') AND d.kind NOT IN ('credit_note', 'quotation')
                         THEN greatest(d.total - d.settled, 0) ELSE 0 END AS balance_due,
                    d.created_at
               FROM page d JOIN parties p ON p.tenant_id = $1 AND p.id = d.party_id
              ORDER BY d.doc_date DESC, d.id DESC LIMIT $10"
        ))
        .bind(tenant)
        .bind(&f.kinds)
        .bind(f.statuses.as_deref())
        .bind(f.party_id)
        .bind(f.from)
        .bind(f.to)
        .bind(contains_pattern(q))
        .bind(after_date)
        .bind(after_id)
        .bind(limit)
        .bind(f.min_total)
        .bind(f.max_total)
        .bind(&starts)
        .bind(format!("{starts}\u{10FFFF}"))
        .bind(&ends)
        .bind(format!("{ends}\u{10FFFF}"))
        .fetch_all(&mut **tx)
        .await;
    }
    if f.party_id.is_some() {
        return sqlx::query_as(kernel::sql!(
            "SELECT d.id, d.kind, d.status, d.number, d.party_id, p.legal_name AS party_name, d.doc_date AS date,
                    d.due_date, d.place_of_supply, d.taxable_value, d.total,
                    CASE WHEN d.status IN ('issued', 'partially_paid', 'overdue') AND d.kind NOT IN ('credit_note', 'quotation')
                         THEN greatest(d.total - d.settled, 0) ELSE 0 END AS balance_due,
                    d.created_at
               FROM ledger_documents d JOIN parties p ON p.tenant_id = d.tenant_id AND p.id = d.party_id
              WHERE d.tenant_id = $1 AND d.kind = ANY($2) AND d.party_id = $4
                AND ($3::text[] IS NULL OR d.status = ANY($3))
                AND ($5::date IS NULL OR d.doc_date >= $5)
                AND ($6::date IS NULL OR d.doc_date <= $6)
                AND ($7::date IS NULL OR (d.doc_date, d.id) < ($7, $8))
                AND ($10::numeric IS NULL OR d.total >= $10)
                AND ($11::numeric IS NULL OR d.total <= $11)
              ORDER BY d.doc_date DESC, d.id DESC LIMIT $9"
        ))
        .bind(tenant)
        .bind(&f.kinds)
        .bind(f.statuses.as_deref())
        .bind(f.party_id)
        .bind(f.from)
        .bind(f.to)
        .bind(after_date)
        .bind(after_id)
        .bind(limit)
        .bind(f.min_total)
        .bind(f.max_total)
        .fetch_all(&mut **tx)
        .await;
    }
    let statuses: &[&str] = f.statuses.as_deref().unwrap_or(&ALL_STATUSES);
    sqlx::query_as(kernel::sql!(
        "WITH page AS (
             SELECT x.* FROM unnest($2::text[]) AS k(kind) CROSS JOIN unnest($3::text[]) AS s(status)
              CROSS JOIN LATERAL (
                  SELECT d.id, d.kind, d.status, d.number, d.party_id, d.doc_date, d.due_date, d.place_of_supply,
                         d.taxable_value, d.total, d.settled, d.created_at
                    FROM ledger_documents d
                   WHERE d.tenant_id = $1 AND d.kind = k.kind AND d.status = s.status
                     AND ($4::date IS NULL OR d.doc_date >= $4)
                     AND ($5::date IS NULL OR d.doc_date <= $5)
                     AND ($6::date IS NULL OR (d.doc_date, d.id) < ($6, $7))
                     AND ($9::numeric IS NULL OR d.total >= $9)
                     AND ($10::numeric IS NULL OR d.total <= $10)
                   ORDER BY d.doc_date DESC, d.id DESC LIMIT $8) x
              ORDER BY x.doc_date DESC, x.id DESC LIMIT $8)
         SELECT d.id, d.kind, d.status, d.number, d.party_id, p.legal_name AS party_name, d.doc_date AS date,
                d.due_date, d.place_of_supply, d.taxable_value, d.total,
                CASE WHEN d.status IN ('issued', 'partially_paid', 'overdue') AND d.kind NOT IN ('credit_note', 'quotation')
                     THEN greatest(d.total - d.settled, 0) ELSE 0 END AS balance_due,
                d.created_at
           FROM page d JOIN parties p ON p.tenant_id = $1 AND p.id = d.party_id
          ORDER BY d.doc_date DESC, d.id DESC"
    ))
    .bind(tenant)
    .bind(&f.kinds)
    .bind(statuses)
    .bind(f.from)
    .bind(f.to)
    .bind(after_date)
    .bind(after_id)
    .bind(limit)
    .bind(f.min_total)
    .bind(f.max_total)
    .fetch_all(&mut **tx)
    .await
}

/// Deletes a draft.
pub async fn delete_draft(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "DELETE FROM ledger_documents WHERE tenant_id = $1 AND id = $2 AND status = 'draft'"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Numbers an issued document and records what its party and the company
/// were.
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    tx: &mut TenantTx,
    id: Uuid,
    series_id: Uuid,
    fy: i32,
    seq: i64,
    number: &str,
    due_date: Option<NaiveDate>,
    party: &serde_json::Value,
    company: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE ledger_documents SET status = 'issued', series_id = $3, fy = $4, seq = $5, number = $6,
                due_date = coalesce($7, due_date), party_snapshot = $8, company_snapshot = $9,
                issued_at = now(), updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status = 'draft'"
    ))
    .bind(tenant)
    .bind(id)
    .bind(series_id)
    .bind(fy)
    .bind(seq)
    .bind(number)
    .bind(due_date)
    .bind(party)
    .bind(company)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds `amount` to what is settled on a document (negative takes it
/// back) and moves its status: paid when nothing is owed, partially paid
/// or overdue (past its due date on `today`) otherwise.
pub async fn settle(
    tx: &mut TenantTx,
    id: Uuid,
    amount: Decimal,
    today: NaiveDate,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE ledger_documents SET settled = settled + $3,
                status = CASE
                    WHEN settled + $3 >= total THEN 'paid'
                    WHEN due_date < $4 THEN 'overdue'
                    WHEN settled + $3 > 0 THEN 'partially_paid'
                    ELSE 'issued' END,
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status IN ('issued', 'partially_paid', 'overdue', 'paid')"
    ))
    .bind(tenant)
    .bind(id)
    .bind(amount)
    .bind(today)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets a status (cancelled, converted, expired) with its reason.
pub async fn set_status(
    tx: &mut TenantTx,
    id: Uuid,
    status: DocStatus,
    reason: Option<&str>,
    converted_to: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE ledger_documents SET status = $3, cancel_reason = coalesce($4, cancel_reason),
                converted_to = coalesce($5, converted_to),
                cancelled_at = CASE WHEN $3 = 'cancelled' THEN now() ELSE cancelled_at END,
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .bind(status.as_str())
    .bind(reason)
    .bind(converted_to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Issued documents past their due date that are not settled: marked
/// overdue; returns them (id, number, party, balance).
pub async fn mark_overdue(
    tx: &mut TenantTx,
    today: NaiveDate,
) -> Result<Vec<(Uuid, Option<String>, Uuid, Decimal)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "UPDATE ledger_documents SET status = 'overdue', updated_at = now()
          WHERE tenant_id = $1 AND status IN ('issued', 'partially_paid') AND due_date < $2
            AND kind IN ('invoice', 'bill_of_supply', 'debit_note', 'purchase_bill')
         RETURNING id, number, party_id, total - settled"
    ))
    .bind(tenant)
    .bind(today)
    .fetch_all(&mut **tx)
    .await
}

/// Notes already issued against an invoice: (credit total, debit total).
pub async fn notes_against(tx: &mut TenantTx, id: Uuid) -> Result<(Decimal, Decimal), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT coalesce(sum(total) FILTER (WHERE kind = 'credit_note'), 0),
                coalesce(sum(total) FILTER (WHERE kind = 'debit_note'), 0)
           FROM ledger_documents
          WHERE tenant_id = $1 AND against_id = $2 AND status NOT IN ('draft', 'cancelled')"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

/// Whether another purchase bill from the supplier with this number is
/// recorded for the financial year.
pub async fn supplier_number_used(
    tx: &mut TenantTx,
    party: Uuid,
    number: &str,
    fy: i32,
    except: Uuid,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let (used,): (bool,) = sqlx::query_as(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM ledger_documents
                         WHERE tenant_id = $1 AND kind = 'purchase_bill' AND party_id = $2
                           AND upper(supplier_number) = upper($3) AND fy = $4 AND id <> $5
                           AND status <> 'cancelled')"
    ))
    .bind(tenant)
    .bind(party)
    .bind(number)
    .bind(fy)
    .bind(except)
    .fetch_one(&mut **tx)
    .await?;
    Ok(used)
}

/// What payments settled of a document.
pub async fn paid_by_payments(tx: &mut TenantTx, id: Uuid) -> Result<Decimal, sqlx::Error> {
    let tenant = tx.tenant();
    let (v,): (Decimal,) = sqlx::query_as(kernel::sql!(
        "SELECT coalesce(sum(amount), 0) FROM payment_allocations
          WHERE tenant_id = $1 AND document_id = $2 AND payment_id IS NOT NULL"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}

/// What a credit note settled of its invoice.
pub async fn applied_credit(tx: &mut TenantTx, credit_note: Uuid) -> Result<Decimal, sqlx::Error> {
    let tenant = tx.tenant();
    let (v,): (Decimal,) = sqlx::query_as(kernel::sql!(
        "SELECT coalesce(sum(amount), 0) FROM payment_allocations WHERE tenant_id = $1 AND credit_note_id = $2"
    ))
    .bind(tenant)
    .bind(credit_note)
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}

/// Takes back a cancelled credit note's application.
pub async fn remove_credit_applications(
    tx: &mut TenantTx,
    credit_note: Uuid,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "DELETE FROM payment_allocations WHERE tenant_id = $1 AND credit_note_id = $2"
    ))
    .bind(tenant)
    .bind(credit_note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ── numbering ───────────────────────────────────────────────────────────

/// The series of the company.
pub async fn series(tx: &mut TenantTx) -> Result<Vec<Series>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, kind, name, template, width, is_default FROM number_series
          WHERE tenant_id = $1 ORDER BY kind, name"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// One series.
pub async fn one_series(tx: &mut TenantTx, id: Uuid) -> Result<Option<Series>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, kind, name, template, width, is_default FROM number_series
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Creates a series (making it the default clears the kind's old one).
pub async fn insert_series(
    tx: &mut TenantTx,
    id: Uuid,
    kind: DocKind,
    name: &str,
    template: &str,
    width: i16,
    is_default: bool,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    if is_default {
        sqlx::query(kernel::sql!(
            "UPDATE number_series SET is_default = false WHERE tenant_id = $1 AND kind = $2"
        ))
        .bind(tenant)
        .bind(kind.as_str())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(kernel::sql!(
        "INSERT INTO number_series (tenant_id, id, kind, name, template, width, is_default)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(tenant)
    .bind(id)
    .bind(kind.as_str())
    .bind(name)
    .bind(template)
    .bind(width)
    .bind(is_default)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes the next number of a series in a financial year. The counter's
/// row stays locked until the transaction ends, so numbers are handed out
/// one transaction at a time and a rolled-back issue returns its number:
/// no gaps.
pub async fn next_seq(tx: &mut TenantTx, series_id: Uuid, fy: i32) -> Result<i64, sqlx::Error> {
    let tenant = tx.tenant();
    let (seq,): (i64,) = sqlx::query_as(kernel::sql!(
        "INSERT INTO number_counters (tenant_id, series_id, fy, next_seq) VALUES ($1, $2, $3, 2)
         ON CONFLICT (tenant_id, series_id, fy) DO UPDATE SET next_seq = number_counters.next_seq + 1
         RETURNING next_seq - 1"
    ))
    .bind(tenant)
    .bind(series_id)
    .bind(fy)
    .fetch_one(&mut **tx)
    .await?;
    Ok(seq)
}

/// The company as it was when a document was issued (none for a draft).
pub async fn company_snapshot(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<(Option<serde_json::Value>,)> = sqlx::query_as(kernel::sql!(
        "SELECT company_snapshot FROM ledger_documents WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.and_then(|(v,)| v))
}
