//! Items, their GST rates by date, the schedule of rates by HSN/SAC
//! heading, and stock.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::model::{Item, ItemRate};
use crate::tax::Taxability;

#[derive(Debug, sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    name: String,
    sku: Option<String>,
    is_service: bool,
    hsn_sac: String,
    unit: String,
    price: Decimal,
    price_includes_tax: bool,
    taxability: String,
    stock: Decimal,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl ItemRow {
    fn with(self, rates: Vec<ItemRate>) -> Item {
        Item {
            id: self.id,
            name: self.name,
            sku: self.sku,
            is_service: self.is_service,
            hsn_sac: self.hsn_sac,
            unit: self.unit,
            price: self.price,
            price_includes_tax: self.price_includes_tax,
            taxability: Taxability::parse(&self.taxability).unwrap_or_default(),
            rates,
            stock: self.stock,
            archived: self.archived_at.is_some(),
            created_at: self.created_at,
        }
    }
}

/// An item to store.
#[derive(Debug)]
pub struct NewItem<'a> {
    /// Its id.
    pub id: Uuid,
    /// Name.
    pub name: &'a str,
    /// SKU.
    pub sku: Option<&'a str>,
    /// A service.
    pub is_service: bool,
    /// HSN or SAC.
    pub hsn_sac: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// Price.
    pub price: Decimal,
    /// Price includes tax.
    pub price_includes_tax: bool,
    /// Taxability.
    pub taxability: Taxability,
}

/// Inserts or replaces an item (its rates are set apart).
pub async fn upsert(tx: &mut TenantTx, i: &NewItem<'_>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO items (tenant_id, id, name, sku, is_service, hsn_sac, unit, price, price_includes_tax, taxability)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, id) DO UPDATE SET
             name = EXCLUDED.name, sku = EXCLUDED.sku, is_service = EXCLUDED.is_service,
             hsn_sac = EXCLUDED.hsn_sac, unit = EXCLUDED.unit, price = EXCLUDED.price,
             price_includes_tax = EXCLUDED.price_includes_tax, taxability = EXCLUDED.taxability,
             updated_at = now()"
    ))
    .bind(tenant)
    .bind(i.id)
    .bind(i.name)
    .bind(i.sku)
    .bind(i.is_service)
    .bind(i.hsn_sac)
    .bind(i.unit)
    .bind(i.price)
    .bind(i.price_includes_tax)
    .bind(i.taxability.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces an item's rates.
pub async fn set_rates(
    tx: &mut TenantTx,
    item: Uuid,
    rates: &[ItemRate],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!("DELETE FROM item_rates WHERE tenant_id = $1 AND item_id = $2"))
        .bind(tenant)
        .bind(item)
        .execute(&mut **tx)
        .await?;
    let from: Vec<NaiveDate> = rates.iter().map(|r| r.effective_from).collect();
    let rate: Vec<Decimal> = rates.iter().map(|r| r.rate).collect();
    let cess: Vec<Decimal> = rates.iter().map(|r| r.cess_rate).collect();
    sqlx::query(kernel::sql!(
        "INSERT INTO item_rates (tenant_id, item_id, effective_from, rate, cess_rate)
         SELECT $1, $2, u.f, u.r, u.c FROM unnest($3::date[], $4::numeric[], $5::numeric[]) AS u(f, r, c)"
    ))
    .bind(tenant)
    .bind(item)
    .bind(&from)
    .bind(&rate)
    .bind(&cess)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn rates_of(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<(Uuid, ItemRate)>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(Uuid, NaiveDate, Decimal, Decimal)> = sqlx::query_as(kernel::sql!(
        "SELECT item_id, effective_from, rate, cess_rate FROM item_rates
          WHERE tenant_id = $1 AND item_id = ANY($2) ORDER BY item_id, effective_from"
    ))
    .bind(tenant)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, effective_from, rate, cess_rate)| {
            (id, ItemRate { effective_from, rate, cess_rate })
        })
        .collect())
}

async fn attach(tx: &mut TenantTx, rows: Vec<ItemRow>) -> Result<Vec<Item>, sqlx::Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut rates = rates_of(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine: Vec<ItemRate> =
                rates.iter().filter(|(id, _)| *id == r.id).map(|(_, rate)| rate.clone()).collect();
            rates.retain(|(id, _)| *id != r.id);
            r.with(mine)
        })
        .collect())
}

macro_rules! item_select {
    () => {
        "SELECT id, name, sku, is_service, hsn_sac, unit, price, price_includes_tax, taxability, stock,
                archived_at, created_at FROM items"
    };
}

/// One item with its rates.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Item>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<ItemRow> =
        sqlx::query_as(kernel::sql!(concat!(item_select!(), " WHERE tenant_id = $1 AND id = $2")))
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    match row {
        Some(r) => Ok(attach(tx, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// Items by id, with their rates (missing ones are left out).
pub async fn many(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<Item>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<ItemRow> = sqlx::query_as(kernel::sql!(concat!(
        item_select!(),
        " WHERE tenant_id = $1 AND id = ANY($2)"
    )))
    .bind(tenant)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    attach(tx, rows).await
}

/// Items by name.
pub async fn list(
    tx: &mut TenantTx,
    q: Option<&str>,
    archived: bool,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<Item>, sqlx::Error> {
    let tenant = tx.tenant();
    let (after_name, after_id) = after.unzip();
    let rows: Vec<ItemRow> = sqlx::query_as(kernel::sql!(concat!(
        item_select!(),
        " WHERE tenant_id = $1
            AND ($2::text IS NULL OR strpos(lower(name), lower($2)) > 0 OR strpos(lower(coalesce(sku, '')), lower($2)) > 0
                 OR hsn_sac LIKE $2 || '%')
            AND ($3 OR archived_at IS NULL)
            AND ($4::text IS NULL OR (lower(name), id) > ($4, $5))
          ORDER BY lower(name), id LIMIT $6"
    )))
    .bind(tenant)
    .bind(q)
    .bind(archived)
    .bind(after_name)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    attach(tx, rows).await
}

/// Archives (or restores) an item.
pub async fn set_archived(
    tx: &mut TenantTx,
    id: Uuid,
    archived: bool,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "UPDATE items SET archived_at = CASE WHEN $3 THEN coalesce(archived_at, now()) END, updated_at = now()
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .bind(archived)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether any document line refers to the item.
pub async fn in_use(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let (used,): (bool,) = sqlx::query_as(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM ledger_document_lines WHERE tenant_id = $1 AND item_id = $2)"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(used)
}

/// Deletes an item nothing refers to.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!("DELETE FROM items WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The schedule's rates for an HSN/SAC code: every period of its longest
/// matching heading.
pub async fn schedule_rates(tx: &mut TenantTx, code: &str) -> Result<Vec<ItemRate>, sqlx::Error> {
    let rows: Vec<(NaiveDate, Decimal, Decimal)> = sqlx::query_as(kernel::sql!(
        "SELECT effective_from, rate, cess_rate FROM gst_rate_schedule
          WHERE hsn_prefix = (SELECT hsn_prefix FROM gst_rate_schedule
                               WHERE $1 LIKE hsn_prefix || '%'
                               ORDER BY length(hsn_prefix) DESC LIMIT 1)
          ORDER BY effective_from"
    ))
    .bind(code)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(effective_from, rate, cess_rate)| ItemRate { effective_from, rate, cess_rate })
        .collect())
}

/// The schedule's rows: all, or those of a code's longest matching heading.
pub async fn schedule(
    tx: &mut TenantTx,
    code: Option<&str>,
) -> Result<Vec<crate::model::ScheduleRate>, sqlx::Error> {
    sqlx::query_as(kernel::sql!(
        "SELECT hsn_prefix, description, effective_from, effective_to, rate, cess_rate FROM gst_rate_schedule
          WHERE $1::text IS NULL
             OR hsn_prefix = (SELECT hsn_prefix FROM gst_rate_schedule WHERE $1 LIKE hsn_prefix || '%'
                               ORDER BY length(hsn_prefix) DESC LIMIT 1)
          ORDER BY hsn_prefix, effective_from"
    ))
    .bind(code)
    .fetch_all(&mut **tx)
    .await
}

/// Moves stock of goods for a document: `quantity` positive in, negative out.
pub async fn move_stock(
    tx: &mut TenantTx,
    item: Uuid,
    document: Uuid,
    quantity: Decimal,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "WITH m AS (INSERT INTO stock_moves (tenant_id, id, item_id, document_id, quantity, moved_on)
                    VALUES ($1, $2, $3, $4, $5, $6))
         UPDATE items SET stock = stock + $5, updated_at = now() WHERE tenant_id = $1 AND id = $3"
    ))
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(item)
    .bind(document)
    .bind(quantity)
    .bind(on)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Undoes a document's stock moves (it was cancelled).
pub async fn reverse_stock(
    tx: &mut TenantTx,
    document: Uuid,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    let moves: Vec<(Uuid, Decimal)> = sqlx::query_as(kernel::sql!(
        "SELECT item_id, sum(quantity) FROM stock_moves WHERE tenant_id = $1 AND document_id = $2
          GROUP BY item_id HAVING sum(quantity) <> 0"
    ))
    .bind(tenant)
    .bind(document)
    .fetch_all(&mut **tx)
    .await?;
    for (item, qty) in moves {
        move_stock(tx, item, document, -qty, on).await?;
    }
    Ok(())
}
