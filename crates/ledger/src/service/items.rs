//! Items: HSN for goods, SAC for services, a unit quantity code, and GST
//! rates by date — given, or taken from the schedule of the item's heading
//! (so the 22 September 2025 change applies to documents dated after it).

use chrono::NaiveDate;
use identity::Granted;
use kernel::audit::Changes;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Problems, money};
use crate::error::{LedgerError, Result};
use crate::model::{Item, ItemInput, ItemRate};
use crate::permissions::{ItemsRead, ItemsUpdate};
use crate::repo::items::NewItem;
use crate::{india, repo};

/// The rate of an item in force on `date`.
pub fn rate_on(rates: &[ItemRate], date: NaiveDate) -> Option<&ItemRate> {
    rates.iter().filter(|r| r.effective_from <= date).max_by_key(|r| r.effective_from)
}

fn validate(i: &ItemInput) -> Result<()> {
    let mut e = Problems::default();
    if let Some(why) = india::hsn_problem(i.hsn_sac.as_str(), i.is_service) {
        e.add("hsn_sac", why);
    }
    money(&mut e, "price", i.price, false);
    if i.sku.as_ref().is_some_and(|s| s.trim().is_empty() || s.chars().count() > 60) {
        e.add("sku", "must be 1–60 characters");
    }
    if let Some(rates) = &i.rates {
        if rates.len() > 50 {
            e.add("rates", "at most 50");
        }
        let mut seen = std::collections::HashSet::new();
        for (n, r) in rates.iter().enumerate() {
            if !seen.insert(r.effective_from) {
                e.add(format!("rates[{n}].effective_from"), "two rates start on the same day");
            }
            for (field, v) in [("rate", r.rate), ("cess_rate", r.cess_rate)] {
                if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED || v.normalize().scale() > 2 {
                    e.add(format!("rates[{n}].{field}"), "must be 0–100 with at most two decimals");
                }
            }
        }
    }
    Ok(e.done()?)
}

/// Creates an item (or replaces one, same id).
pub async fn save(
    ledger: &crate::Ledger,
    g: &identity::Caller,
    id: Option<Uuid>,
    i: ItemInput,
) -> Result<Item> {
    validate(&i)?;
    let mut tx = g.tx(ledger.db()).await?;
    let code = i.hsn_sac.as_str().to_owned();
    if !super::hsn::unknown(&mut tx, std::slice::from_ref(&code)).await?.is_empty() {
        return Err(LedgerError::invalid(
            "hsn_sac",
            format!(
                "`{code}` is not in the HSN/SAC master (neither the code nor its heading {}): look it up with GET /api/v1/gst/hsn?q=…, or import the company's own codes",
                &code[..4.min(code.len())]
            ),
        ));
    }
    let before = match id {
        Some(id) => {
            Some(repo::items::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("item"))?)
        }
        None => None,
    };
    let id = id.unwrap_or_else(Uuid::now_v7);
    let sku = i.sku.as_deref().map(str::trim);
    repo::items::upsert(
        &mut tx,
        &NewItem {
            id,
            name: i.name.as_str(),
            sku,
            is_service: i.is_service,
            hsn_sac: i.hsn_sac.as_str(),
            unit: i.unit.as_str(),
            price: i.price,
            price_includes_tax: i.price_includes_tax,
            taxability: i.taxability,
        },
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("items_sku") => LedgerError::Taken {
            field: "sku",
            detail: format!("another item already has the code {}", sku.unwrap_or_default()),
        },
        _ => e.into(),
    })?;
    match (&i.rates, &before) {
        (Some(rates), _) => repo::items::set_rates(&mut tx, id, rates).await?,
        // A new item without rates takes its heading's from the schedule.
        (None, None) => {
            let rates = repo::items::schedule_rates(&mut tx, i.hsn_sac.as_str()).await?;
            repo::items::set_rates(&mut tx, id, &rates).await?;
        }
        (None, Some(_)) => {}
    }
    let after = repo::items::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("item"))?;
    let changes = match &before {
        Some(b) => Changes::between(b, &after).without(&["stock"]),
        None => Changes::created(&after),
    };
    let action = if before.is_some() { "item.updated" } else { "item.created" };
    g.audit(&mut tx, action, "item", Some(id.to_string()), changes);
    tx.commit().await?;
    Ok(after)
}

/// One item.
pub async fn get(ledger: &crate::Ledger, g: &Granted<ItemsRead>, id: Uuid) -> Result<Item> {
    let mut tx = g.read_tx(ledger.db()).await?;
    repo::items::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("item"))
}

/// Items by name.
pub async fn list(
    ledger: &crate::Ledger,
    g: &Granted<ItemsRead>,
    q: Option<&str>,
    archived: bool,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<Item>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::items::list(&mut tx, q, archived, after, limit).await?)
}

/// Deletes an item no document uses; archives one that is used.
pub async fn remove(ledger: &crate::Ledger, g: &Granted<ItemsUpdate>, id: Uuid) -> Result<bool> {
    let mut tx = g.tx(ledger.db()).await?;
    if repo::items::get(&mut tx, id).await?.is_none() {
        return Err(LedgerError::NotFound("item"));
    }
    let archived = repo::items::in_use(&mut tx, id).await?;
    if archived {
        repo::items::set_archived(&mut tx, id, true).await?;
        g.audit(&mut tx, "item.archived", "item", Some(id.to_string()), Changes::new());
    } else {
        repo::items::delete(&mut tx, id).await?;
        g.audit(&mut tx, "item.deleted", "item", Some(id.to_string()), Changes::new());
    }
    tx.commit().await?;
    Ok(archived)
}

/// The schedule: every heading's rates, or those of one code's heading.
pub async fn schedule(
    ledger: &crate::Ledger,
    g: &Granted<ItemsRead>,
    code: Option<&str>,
) -> Result<Vec<crate::model::ScheduleRate>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::items::schedule(&mut tx, code).await?)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn the_rate_in_force_on_a_date() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let r = |from: &str, rate: &str| ItemRate {
            effective_from: d(from),
            rate: Decimal::from_str(rate).unwrap(),
            cess_rate: Decimal::ZERO,
        };
        let rates = [r("2017-07-01", "28"), r("2025-09-22", "18")];
        assert!(rate_on(&rates, d("2017-06-30")).is_none());
        assert_eq!(rate_on(&rates, d("2025-09-21")).unwrap().rate, Decimal::from(28));
        assert_eq!(rate_on(&rates, d("2025-09-22")).unwrap().rate, Decimal::from(18));
        assert_eq!(rate_on(&rates, d("2030-01-01")).unwrap().rate, Decimal::from(18));
    }
}
