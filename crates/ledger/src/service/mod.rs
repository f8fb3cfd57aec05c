//! The ledger's rules: parties, items, documents, payments, the books and
//! the reports. Each function takes the caller's proof of permission and
//! works in the caller's tenant transaction; postings are made in the same
//! transaction as the change that causes them.

pub mod books;
pub mod documents;
pub mod einvoice;
pub mod ewaybill;
pub mod hsn;
pub mod items;
pub mod parties;
pub mod payments;
pub mod reports;
pub mod returns;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use kernel::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::{LedgerError, Result};
use crate::posting::{self, AccountKey};
use crate::repo;
use crate::repo::books::NewLine;

/// Today in the company's time zone.
pub fn today(time_zone: &str) -> NaiveDate {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Asia::Kolkata);
    Utc::now().with_timezone(&tz).date_naive()
}

/// Refuses a posting dated inside the locked period.
pub fn check_open(locked_until: Option<NaiveDate>, date: NaiveDate) -> Result<()> {
    match locked_until {
        Some(until) if date <= until => Err(LedgerError::Locked(until)),
        _ => Ok(()),
    }
}

pub use kernel::error::Problems;

/// Money as the API takes it: at most two decimal places and within the
/// database's numeric(18, 2).
pub fn money(p: &mut Problems, field: &str, v: Decimal, allow_negative: bool) {
    if v.scale() > 2 && v.normalize().scale() > 2 {
        p.add(field, "has more than two decimal places");
    } else if v.abs() >= Decimal::new(10_i64.pow(15), 0) {
        p.add(field, "is too large");
    } else if v < Decimal::ZERO && !allow_negative {
        p.add(field, "may not be negative");
    }
}

/// Posts balanced lines made by the posting rules, mapping each role to
/// the company's account; `party` goes on the lines that are the party's.
#[allow(clippy::too_many_arguments)]
pub async fn post(
    tx: &mut TenantTx,
    roles: &HashMap<AccountKey, Uuid>,
    date: NaiveDate,
    source: &str,
    source_id: Option<Uuid>,
    narration: &str,
    lines: &[posting::Line],
    party: Option<Uuid>,
    created_by: Option<Uuid>,
    bank_or_cash: Option<Uuid>,
) -> Result<Option<Uuid>> {
    if lines.is_empty() {
        return Ok(None);
    }
    debug_assert!(posting::balanced(lines), "unbalanced postings for {narration}");
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let account = match (l.account, bank_or_cash) {
            (AccountKey::Bank | AccountKey::Cash, Some(id)) => id,
            (key, _) => *roles.get(&key).ok_or_else(|| {
                LedgerError::state(
                    "chart_incomplete",
                    format!("the chart of accounts has no account for `{key:?}`"),
                )
            })?,
        };
        out.push(NewLine {
            account_id: account,
            party_id: if l.party { party } else { None },
            debit: l.debit,
            credit: l.credit,
        });
    }
    let id = repo::books::post(tx, date, source, source_id, narration, &out, created_by).await?;
    Ok(Some(id))
}

/// Reverses everything a source posted, on `date`.
pub async fn reverse(
    tx: &mut TenantTx,
    date: NaiveDate,
    source_id: Uuid,
    narration: &str,
    created_by: Option<Uuid>,
) -> Result<()> {
    let posted = repo::books::posted_by(tx, source_id).await?;
    let lines: Vec<NewLine> = posted
        .into_iter()
        .filter_map(|l| {
            let net = l.debit - l.credit;
            if net.is_zero() {
                return None;
            }
            Some(NewLine {
                account_id: l.account_id,
                party_id: l.party_id,
                debit: (-net).max(Decimal::ZERO),
                credit: net.max(Decimal::ZERO),
            })
        })
        .collect();
    if !lines.is_empty() {
        repo::books::post(tx, date, "cancellation", Some(source_id), narration, &lines, created_by)
            .await?;
    }
    Ok(())
}

/// A phone number as documents print it: 6–20 digits, spaces and `+ ( ) -`.
pub(crate) fn phone_ok(p: &str) -> bool {
    (6..=20).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit() || "+ ()-".contains(c))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn money_and_locks() {
        let mut p = Problems::default();
        money(&mut p, "a", Decimal::from_str("10.50").unwrap(), false);
        money(&mut p, "b", Decimal::from_str("10.500").unwrap(), false);
        assert!(p.is_empty(), "trailing zeros are fine");
        money(&mut p, "c", Decimal::from_str("10.505").unwrap(), false);
        money(&mut p, "d", Decimal::from_str("-1").unwrap(), false);
        money(&mut p, "e", Decimal::from_str("1000000000000000").unwrap(), true);
        let errs = p.done().unwrap_err().0;
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["c", "d", "e"]);
        let d = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        assert!(check_open(Some(d), d).is_err());
        assert!(check_open(Some(d), d.succ_opt().unwrap()).is_ok());
        assert!(check_open(None, d).is_ok());
    }
}
