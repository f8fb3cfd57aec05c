//! Customers and suppliers.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::types::Json;
use uuid::Uuid;

use crate::model::{Address, Contact, Party, Registration};

/// A party row (with its balance from the books).
#[derive(Debug, sqlx::FromRow)]
pub struct PartyRow {
    id: Uuid,
    is_customer: bool,
    is_supplier: bool,
    legal_name: String,
    trade_name: Option<String>,
    gstin: Option<String>,
    pan: Option<String>,
    registration: String,
    state_code: String,
    billing_address: Json<Address>,
    shipping_address: Option<Json<Address>>,
    contacts: Json<Vec<Contact>>,
    payment_terms_days: Option<i32>,
    credit_limit: Option<Decimal>,
    opening_balance: Decimal,
    opening_date: Option<NaiveDate>,
    notes: Option<String>,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    balance: Decimal,
}

impl From<PartyRow> for Party {
    fn from(r: PartyRow) -> Party {
        Party {
            id: r.id,
            is_customer: r.is_customer,
            is_supplier: r.is_supplier,
            legal_name: r.legal_name,
            trade_name: r.trade_name,
            gstin: r.gstin,
            pan: r.pan,
            registration: Registration::parse(&r.registration)
                .unwrap_or(Registration::Unregistered),
            state_code: r.state_code,
            billing_address: r.billing_address.0,
            shipping_address: r.shipping_address.map(|a| a.0),
            contacts: r.contacts.0,
            payment_terms_days: r.payment_terms_days,
            credit_limit: r.credit_limit,
            opening_balance: r.opening_balance,
            opening_date: r.opening_date,
            balance: r.balance,
            notes: r.notes,
            archived: r.archived_at.is_some(),
            created_at: r.created_at,
        }
    }
}

macro_rules! party_select {
    () => {
        "SELECT p.id, p.is_customer, p.is_supplier, p.legal_name, p.trade_name, p.gstin, p.pan,
                p.registration, p.state_code, p.billing_address, p.shipping_address, p.contacts,
                p.payment_terms_days, p.credit_limit, p.opening_balance, p.opening_date, p.notes,
                p.archived_at, p.created_at,
                coalesce((SELECT sum(l.debit - l.credit) FROM journal_lines l
                           WHERE l.tenant_id = p.tenant_id AND l.party_id = p.id), 0) AS balance
           FROM parties p"
    };
}

/// A party to store.
#[derive(Debug)]
pub struct NewParty<'a> {
    /// Its id.
    pub id: Uuid,
    /// Customer.
    pub is_customer: bool,
    /// Supplier.
    pub is_supplier: bool,
    /// Legal name.
    pub legal_name: &'a str,
    /// Trade name.
    pub trade_name: Option<&'a str>,
    /// GSTIN.
    pub gstin: Option<&'a str>,
    /// PAN.
    pub pan: Option<&'a str>,
    /// Registration.
    pub registration: Registration,
    /// State.
    pub state_code: &'a str,
    /// Billing address.
    pub billing_address: &'a Address,
    /// Shipping address.
    pub shipping_address: Option<&'a Address>,
    /// Contacts.
    pub contacts: &'a [Contact],
    /// Terms.
    pub payment_terms_days: Option<i32>,
    /// Credit limit.
    pub credit_limit: Option<Decimal>,
    /// Opening balance.
    pub opening_balance: Decimal,
    /// Its date.
    pub opening_date: Option<NaiveDate>,
    /// Notes.
    pub notes: Option<&'a str>,
}

/// Inserts or replaces (same id) a party.
pub async fn upsert(tx: &mut TenantTx, p: &NewParty<'_>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO parties (tenant_id, id, is_customer, is_supplier, legal_name, trade_name, gstin, pan,
                              registration, state_code, billing_address, shipping_address, contacts,
                              payment_terms_days, credit_limit, opening_balance, opening_date, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (tenant_id, id) DO UPDATE SET
             is_customer = EXCLUDED.is_customer, is_supplier = EXCLUDED.is_supplier,
             legal_name = EXCLUDED.legal_name, trade_name = EXCLUDED.trade_name, gstin = EXCLUDED.gstin,
             pan = EXCLUDED.pan, registration = EXCLUDED.registration, state_code = EXCLUDED.state_code,
             billing_address = EXCLUDED.billing_address, shipping_address = EXCLUDED.shipping_address,
             contacts = EXCLUDED.contacts, payment_terms_days = EXCLUDED.payment_terms_days,
             credit_limit = EXCLUDED.credit_limit, opening_balance = EXCLUDED.opening_balance,
             opening_date = EXCLUDED.opening_date, notes = EXCLUDED.notes, updated_at = now()"
    ))
    .bind(tenant)
    .bind(p.id)
    .bind(p.is_customer)
    .bind(p.is_supplier)
    .bind(p.legal_name)
    .bind(p.trade_name)
    .bind(p.gstin)
    .bind(p.pan)
    .bind(p.registration.as_str())
    .bind(p.state_code)
    .bind(Json(p.billing_address))
    .bind(p.shipping_address.map(Json))
    .bind(Json(p.contacts))
    .bind(p.payment_terms_days)
    .bind(p.credit_limit)
    .bind(p.opening_balance)
    .bind(p.opening_date)
    .bind(p.notes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One party.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Party>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<PartyRow> = sqlx::query_as(kernel::sql!(concat!(
        party_select!(),
        " WHERE p.tenant_id = $1 AND p.id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Party::from))
}

/// One party, locked until the transaction ends.
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let found: Option<(Uuid,)> = sqlx::query_as(kernel::sql!(
        "SELECT id FROM parties WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// The list's filters.
#[derive(Debug, Default)]
pub struct Filter {
    /// Customers only.
    pub customers: bool,
    /// Suppliers only.
    pub suppliers: bool,
    /// Name or GSTIN contains (case-insensitive).
    pub q: Option<String>,
    /// Archived ones too.
    pub archived: bool,
}

/// Parties by name.
pub async fn list(
    tx: &mut TenantTx,
    f: &Filter,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<Party>, sqlx::Error> {
    let tenant = tx.tenant();
    let (after_name, after_id) = after.unzip();
    let rows: Vec<PartyRow> = sqlx::query_as(kernel::sql!(concat!(
        party_select!(),
        " WHERE p.tenant_id = $1
            AND (NOT $2 OR p.is_customer) AND (NOT $3 OR p.is_supplier)
            AND ($4::text IS NULL OR strpos(lower(p.legal_name), lower($4)) > 0
                 OR strpos(lower(coalesce(p.trade_name, '')), lower($4)) > 0
                 OR strpos(coalesce(p.gstin, ''), upper($4)) > 0)
            AND ($5 OR p.archived_at IS NULL)
            AND ($6::text IS NULL OR (lower(p.legal_name), p.id) > ($6, $7))
          ORDER BY lower(p.legal_name), p.id LIMIT $8"
    )))
    .bind(tenant)
    .bind(f.customers)
    .bind(f.suppliers)
    .bind(f.q.as_deref())
    .bind(f.archived)
    .bind(after_name)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Party::from).collect())
}

/// Whether the party appears on any document, payment or journal.
pub async fn in_use(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let (used,): (bool,) = sqlx::query_as(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM ledger_documents WHERE tenant_id = $1 AND party_id = $2)
             OR EXISTS (SELECT 1 FROM payments WHERE tenant_id = $1 AND party_id = $2)
             OR EXISTS (SELECT 1 FROM journal_lines WHERE tenant_id = $1 AND party_id = $2)"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(used)
}

/// Archives (or restores) a party.
pub async fn set_archived(
    tx: &mut TenantTx,
    id: Uuid,
    archived: bool,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "UPDATE parties SET archived_at = CASE WHEN $3 THEN coalesce(archived_at, now()) END, updated_at = now()
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .bind(archived)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a party that nothing refers to.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!("DELETE FROM parties WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A party with this GSTIN other than `except`.
pub async fn by_gstin(
    tx: &mut TenantTx,
    gstin: &str,
    except: Uuid,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, legal_name FROM parties WHERE tenant_id = $1 AND gstin = $2 AND id <> $3"
    ))
    .bind(tenant)
    .bind(gstin)
    .bind(except)
    .fetch_optional(&mut **tx)
    .await
}
