//! The books: the chart of accounts (seeded on first use), journals and
//! their lines, and the ledger's settings (the lock date).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::model::{Account, AccountKind, Journal, JournalLine, LedgerSettings};
use crate::posting::AccountKey;

/// The chart every company starts with: (code, name, kind, role).
pub const DEFAULT_CHART: &[(&str, &str, AccountKind, Option<AccountKey>)] = &[
    ("1000", "Cash in hand", AccountKind::Asset, Some(AccountKey::Cash)),
    ("1010", "Bank", AccountKind::Asset, Some(AccountKey::Bank)),
    ("1100", "Sundry debtors", AccountKind::Asset, Some(AccountKey::Debtors)),
    ("1200", "Input CGST", AccountKind::Asset, Some(AccountKey::InputCgst)),
    ("1201", "Input SGST", AccountKind::Asset, Some(AccountKey::InputSgst)),
    ("1202", "Input UTGST", AccountKind::Asset, Some(AccountKey::InputUtgst)),
    ("1203", "Input IGST", AccountKind::Asset, Some(AccountKey::InputIgst)),
    ("1204", "Input cess", AccountKind::Asset, Some(AccountKey::InputCess)),
    ("1300", "TDS receivable", AccountKind::Asset, Some(AccountKey::TdsReceivable)),
    ("1400", "Advances to suppliers", AccountKind::Asset, Some(AccountKey::SupplierAdvances)),
    ("2000", "Sundry creditors", AccountKind::Liability, Some(AccountKey::Creditors)),
    ("2100", "Output CGST", AccountKind::Liability, Some(AccountKey::OutputCgst)),
    ("2101", "Output SGST", AccountKind::Liability, Some(AccountKey::OutputSgst)),
    ("2102", "Output UTGST", AccountKind::Liability, Some(AccountKey::OutputUtgst)),
    ("2103", "Output IGST", AccountKind::Liability, Some(AccountKey::OutputIgst)),
    ("2104", "Output cess", AccountKind::Liability, Some(AccountKey::OutputCess)),
    ("2110", "CGST payable (reverse charge)", AccountKind::Liability, Some(AccountKey::RcmCgst)),
    ("2111", "SGST payable (reverse charge)", AccountKind::Liability, Some(AccountKey::RcmSgst)),
    ("2112", "UTGST payable (reverse charge)", AccountKind::Liability, Some(AccountKey::RcmUtgst)),
    ("2113", "IGST payable (reverse charge)", AccountKind::Liability, Some(AccountKey::RcmIgst)),
    ("2114", "Cess payable (reverse charge)", AccountKind::Liability, Some(AccountKey::RcmCess)),
    ("2200", "TDS payable", AccountKind::Liability, Some(AccountKey::TdsPayable)),
    ("2300", "Advances from customers", AccountKind::Liability, Some(AccountKey::CustomerAdvances)),
    ("3000", "Capital", AccountKind::Equity, Some(AccountKey::Capital)),
    ("3100", "Opening balances", AccountKind::Equity, Some(AccountKey::OpeningBalances)),
    ("3200", "Retained earnings", AccountKind::Equity, Some(AccountKey::RetainedEarnings)),
    ("4000", "Sales", AccountKind::Income, Some(AccountKey::Sales)),
    ("4100", "Other income", AccountKind::Income, Some(AccountKey::OtherIncome)),
    ("5000", "Purchases", AccountKind::Expense, Some(AccountKey::Purchases)),
    ("5100", "General expenses", AccountKind::Expense, Some(AccountKey::Expenses)),
    ("5200", "Round off", AccountKind::Expense, Some(AccountKey::RoundOff)),
];

fn role_name(k: AccountKey) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn role_of(s: &str) -> Option<AccountKey> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// Seeds the default chart, the numbering series and the settings row the
/// first time the company uses the ledger (a no-op afterwards).
pub async fn ensure_setup(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    let created: Option<(Uuid,)> = sqlx::query_as(kernel::sql!(
        "INSERT INTO ledger_settings (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    if created.is_none() {
        return Ok(());
    }
    let ids: Vec<Uuid> = DEFAULT_CHART.iter().map(|_| Uuid::now_v7()).collect();
    let codes: Vec<&str> = DEFAULT_CHART.iter().map(|a| a.0).collect();
    let names: Vec<&str> = DEFAULT_CHART.iter().map(|a| a.1).collect();
    let kinds: Vec<&str> = DEFAULT_CHART.iter().map(|a| a.2.as_str()).collect();
    let roles: Vec<Option<String>> = DEFAULT_CHART.iter().map(|a| a.3.map(role_name)).collect();
    sqlx::query(kernel::sql!(
        "INSERT INTO accounts (tenant_id, id, code, name, kind, role)
         SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u
         ON CONFLICT DO NOTHING"
    ))
    .bind(tenant)
    .bind(&ids)
    .bind(&codes)
    .bind(&names)
    .bind(&kinds)
    .bind(&roles)
    .execute(&mut **tx)
    .await?;
    let series = [
        ("quotation", "Quotations", "QT/{FY}/{SEQ}"),
        ("invoice", "Invoices", "INV/{FY}/{SEQ}"),
        ("bill_of_supply", "Bills of supply", "BOS/{FY}/{SEQ}"),
        ("credit_note", "Credit notes", "CN/{FY}/{SEQ}"),
        ("debit_note", "Debit notes", "DN/{FY}/{SEQ}"),
        ("purchase_bill", "Purchase bills", "PB/{FY}/{SEQ}"),
    ];
    sqlx::query(kernel::sql!(
        "INSERT INTO number_series (tenant_id, id, kind, name, template, width, is_default)
         SELECT $1, u.id, u.kind, u.name, u.template, 4, true
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS u(id, kind, name, template)
         ON CONFLICT DO NOTHING"
    ))
    .bind(tenant)
    .bind(series.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
    .bind(series.iter().map(|s| s.0).collect::<Vec<_>>())
    .bind(series.iter().map(|s| s.1).collect::<Vec<_>>())
    .bind(series.iter().map(|s| s.2).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The company's ledger settings.
pub async fn settings(tx: &mut TenantTx) -> Result<LedgerSettings, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<LedgerSettings> = sqlx::query_as(kernel::sql!(
        "SELECT books_locked_until, default_due_days, company_address, company_phone, company_email
           FROM ledger_settings WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.unwrap_or_default())
}

/// The settings, locked (shared) until the transaction ends: a posting
/// checks the lock date under it, so locking the books waits for postings
/// in flight and they cannot slip under a new lock.
pub async fn settings_for_posting(tx: &mut TenantTx) -> Result<LedgerSettings, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<LedgerSettings> = sqlx::query_as(kernel::sql!(
        "SELECT books_locked_until, default_due_days, company_address, company_phone, company_email
           FROM ledger_settings WHERE tenant_id = $1 FOR SHARE"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.unwrap_or_default())
}

/// Stores the settings.
pub async fn put_settings(tx: &mut TenantTx, s: &LedgerSettings) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO ledger_settings (tenant_id, books_locked_until, default_due_days, company_address,
                                     company_phone, company_email)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id) DO UPDATE SET books_locked_until = EXCLUDED.books_locked_until,
             default_due_days = EXCLUDED.default_due_days, company_address = EXCLUDED.company_address,
             company_phone = EXCLUDED.company_phone, company_email = EXCLUDED.company_email,
             updated_at = now()"
    ))
    .bind(tenant)
    .bind(s.books_locked_until)
    .bind(s.default_due_days)
    .bind(s.company_address.as_ref().map(sqlx::types::Json))
    .bind(s.company_phone.as_deref())
    .bind(s.company_email.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    code: String,
    name: String,
    kind: String,
    role: Option<String>,
    archived: bool,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Account {
        Account {
            id: r.id,
            code: r.code,
            name: r.name,
            kind: AccountKind::parse(&r.kind).unwrap_or(AccountKind::Asset),
            role: r.role.as_deref().and_then(role_of),
            archived: r.archived,
        }
    }
}

/// The chart, by code.
pub async fn accounts(tx: &mut TenantTx) -> Result<Vec<Account>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<AccountRow> = sqlx::query_as(kernel::sql!(
        "SELECT id, code, name, kind, role, archived FROM accounts WHERE tenant_id = $1 ORDER BY code"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Account::from).collect())
}

/// One account.
pub async fn account(tx: &mut TenantTx, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<AccountRow> = sqlx::query_as(kernel::sql!(
        "SELECT id, code, name, kind, role, archived FROM accounts WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Account::from))
}

/// Inserts or changes an account.
pub async fn upsert_account(
    tx: &mut TenantTx,
    id: Uuid,
    code: &str,
    name: &str,
    kind: AccountKind,
    archived: bool,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO accounts (tenant_id, id, code, name, kind, archived) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name,
             kind = EXCLUDED.kind, archived = EXCLUDED.archived"
    ))
    .bind(tenant)
    .bind(id)
    .bind(code)
    .bind(name)
    .bind(kind.as_str())
    .bind(archived)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether an account has postings.
pub async fn account_used(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let (used,): (bool,) = sqlx::query_as(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM journal_lines WHERE tenant_id = $1 AND account_id = $2)"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(used)
}

/// The accounts that play each role.
pub async fn roles(tx: &mut TenantTx) -> Result<HashMap<AccountKey, Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(String, Uuid)> = sqlx::query_as(kernel::sql!(
        "SELECT role, id FROM accounts WHERE tenant_id = $1 AND role IS NOT NULL"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().filter_map(|(r, id)| role_of(&r).map(|k| (k, id))).collect())
}

/// A journal line to store.
#[derive(Debug, Clone)]
pub struct NewLine {
    /// The account.
    pub account_id: Uuid,
    /// The party.
    pub party_id: Option<Uuid>,
    /// Debit.
    pub debit: Decimal,
    /// Credit.
    pub credit: Decimal,
}

/// Posts a journal (the database refuses it at commit if it does not
/// balance).
pub async fn post(
    tx: &mut TenantTx,
    date: NaiveDate,
    source: &str,
    source_id: Option<Uuid>,
    narration: &str,
    lines: &[NewLine],
    created_by: Option<Uuid>,
) -> Result<Uuid, sqlx::Error> {
    let tenant = tx.tenant();
    let id = Uuid::now_v7();
    sqlx::query(kernel::sql!(
        "INSERT INTO journals (tenant_id, id, posted_on, source, source_id, narration, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(tenant)
    .bind(id)
    .bind(date)
    .bind(source)
    .bind(source_id)
    .bind(narration)
    .bind(created_by)
    .execute(&mut **tx)
    .await?;
    sqlx::query(kernel::sql!(
        "INSERT INTO journal_lines (tenant_id, journal_id, line_no, account_id, party_id, posted_on, debit, credit)
         SELECT $1, $2, u.n, u.a, u.p, $3, u.d, u.c
           FROM unnest($4::int[], $5::uuid[], $6::uuid[], $7::numeric[], $8::numeric[]) AS u(n, a, p, d, c)"
    ))
    .bind(tenant)
    .bind(id)
    .bind(date)
    .bind((1..=lines.len() as i32).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.account_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.party_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.debit).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.credit).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

#[derive(Debug, sqlx::FromRow)]
struct JournalRow {
    id: Uuid,
    posted_on: NaiveDate,
    source: String,
    source_id: Option<Uuid>,
    narration: String,
    created_at: DateTime<Utc>,
}

async fn lines_of(
    tx: &mut TenantTx,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, JournalLine)>, sqlx::Error> {
    let tenant = tx.tenant();
    #[derive(sqlx::FromRow)]
    struct Row {
        journal_id: Uuid,
        #[sqlx(flatten)]
        line: JournalLine,
    }
    let rows: Vec<Row> = sqlx::query_as(kernel::sql!(
        "SELECT l.journal_id, l.account_id, a.code AS account_code, a.name AS account_name, l.party_id,
                l.debit, l.credit
           FROM journal_lines l JOIN accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id
          WHERE l.tenant_id = $1 AND l.journal_id = ANY($2)
          ORDER BY l.journal_id, l.line_no"
    ))
    .bind(tenant)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.journal_id, r.line)).collect())
}

async fn with_lines(tx: &mut TenantTx, rows: Vec<JournalRow>) -> Result<Vec<Journal>, sqlx::Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let lines = lines_of(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Journal {
            lines: lines.iter().filter(|(j, _)| *j == r.id).map(|(_, l)| l.clone()).collect(),
            id: r.id,
            date: r.posted_on,
            source: r.source,
            source_id: r.source_id,
            narration: r.narration,
            created_at: r.created_at,
        })
        .collect())
}

/// Journals, newest first, optionally of one source (document, payment).
pub async fn journals(
    tx: &mut TenantTx,
    source_id: Option<Uuid>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<Journal>, sqlx::Error> {
    let tenant = tx.tenant();
    let (after_date, after_id) = after.unzip();
    let rows: Vec<JournalRow> = sqlx::query_as(kernel::sql!(
        "SELECT id, posted_on, source, source_id, narration, created_at FROM journals
          WHERE tenant_id = $1 AND ($2::uuid IS NULL OR source_id = $2)
            AND ($3::date IS NULL OR posted_on >= $3) AND ($4::date IS NULL OR posted_on <= $4)
            AND ($5::date IS NULL OR (posted_on, id) < ($5, $6))
          ORDER BY posted_on DESC, id DESC LIMIT $7"
    ))
    .bind(tenant)
    .bind(source_id)
    .bind(from)
    .bind(to)
    .bind(after_date)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    with_lines(tx, rows).await
}

/// One journal.
pub async fn journal(tx: &mut TenantTx, id: Uuid) -> Result<Option<Journal>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<JournalRow> = sqlx::query_as(kernel::sql!(
        "SELECT id, posted_on, source, source_id, narration, created_at FROM journals
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(r) => Ok(with_lines(tx, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// The lines a source posted (to reverse them), netted per account and
/// party.
pub async fn posted_by(tx: &mut TenantTx, source_id: Uuid) -> Result<Vec<NewLine>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(Uuid, Option<Uuid>, Decimal, Decimal)> = sqlx::query_as(kernel::sql!(
        "SELECT l.account_id, l.party_id, sum(l.debit), sum(l.credit)
           FROM journal_lines l JOIN journals j ON j.tenant_id = l.tenant_id AND j.id = l.journal_id
          WHERE l.tenant_id = $1 AND j.source_id = $2
          GROUP BY l.account_id, l.party_id"
    ))
    .bind(tenant)
    .bind(source_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(account_id, party_id, debit, credit)| NewLine {
            account_id,
            party_id,
            debit,
            credit,
        })
        .collect())
}

/// Names a document's journal once the document has its number.
pub async fn name_journal(
    tx: &mut TenantTx,
    document: Uuid,
    narration: &str,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE journals SET narration = $3
          WHERE tenant_id = $1 AND source_id = $2 AND source = 'document'"
    ))
    .bind(tenant)
    .bind(document)
    .bind(narration)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The company's logo.
pub async fn logo(tx: &mut TenantTx) -> Result<Option<crate::print::Logo>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(kernel::sql!(
        "SELECT content_type, bytes FROM company_logos WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(content_type, bytes)| crate::print::Logo { content_type, bytes }))
}

/// Stores the company's logo (replacing any); when it was stored.
pub async fn put_logo(
    tx: &mut TenantTx,
    logo: &crate::print::Logo,
) -> Result<chrono::DateTime<chrono::Utc>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "INSERT INTO company_logos (tenant_id, content_type, bytes) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET content_type = EXCLUDED.content_type,
             bytes = EXCLUDED.bytes, updated_at = now()
         RETURNING updated_at"
    ))
    .bind(tenant)
    .bind(&logo.content_type)
    .bind(&logo.bytes)
    .fetch_one(&mut **tx)
    .await
}

/// Removes the company's logo; whether there was one.
pub async fn delete_logo(tx: &mut TenantTx) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!("DELETE FROM company_logos WHERE tenant_id = $1"))
        .bind(tenant)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() > 0)
}
