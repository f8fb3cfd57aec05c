//! The reports, computed from the books and the issued documents each
//! time they are asked for, with their periods defaulting to the
//! financial year so far.

use chrono::NaiveDate;
use identity::Granted;
use uuid::Uuid;

use crate::error::{LedgerError, Result};
use crate::model::Journal;
use crate::permissions::{BooksRead, InvoicesRead, PartiesRead};
use crate::reports::{
    self, Aging, BalanceSheet, HsnRow, ProfitAndLoss, Register, Statement, TrialBalance,
};
use crate::{Ledger, repo};

/// A period: (from, to), defaulting to the financial year so far.
pub async fn period(
    ledger: &Ledger,
    g: &identity::Caller,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate)> {
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| super::documents::fy_start(to));
    if from > to {
        return Err(LedgerError::invalid("from", "is after `to`"));
    }
    Ok((from, to))
}

/// The trial balance.
pub async fn trial_balance(
    ledger: &Ledger,
    g: &Granted<BooksRead>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<TrialBalance> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let b = repo::reports::balances(&mut tx, from, to).await?;
    Ok(reports::trial_balance(from, to, &b))
}

/// Profit and loss.
pub async fn profit_and_loss(
    ledger: &Ledger,
    g: &Granted<BooksRead>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ProfitAndLoss> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let b = repo::reports::balances(&mut tx, from, to).await?;
    Ok(reports::profit_and_loss(from, to, &b))
}

/// The balance sheet on a day.
pub async fn balance_sheet(
    ledger: &Ledger,
    g: &Granted<BooksRead>,
    as_of: NaiveDate,
) -> Result<BalanceSheet> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let b = repo::reports::balances(&mut tx, crate::india::BEGINNING, as_of).await?;
    Ok(reports::balance_sheet(as_of, &b))
}

/// Receivables (or payables) aging on a day.
pub async fn aging(
    ledger: &Ledger,
    g: &Granted<PartiesRead>,
    payables: bool,
    as_of: NaiveDate,
) -> Result<Aging> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let rows = repo::reports::aging_summary(&mut tx, payables, as_of).await?;
    Ok(reports::aging(as_of, &rows))
}

/// A party's statement.
pub async fn statement(
    ledger: &Ledger,
    g: &Granted<PartiesRead>,
    party: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Statement> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let p = repo::parties::get(&mut tx, party).await?.ok_or(LedgerError::NotFound("party"))?;
    let opening = repo::reports::party_opening(&mut tx, party, from).await?;
    let entries = repo::reports::party_entries(&mut tx, party, from, to).await?;
    Ok(reports::statement(party, p.legal_name, from, to, opening, entries))
}

/// The sales (or purchase) register.
pub async fn register(
    ledger: &Ledger,
    g: &identity::Caller,
    purchases: bool,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Register> {
    let kinds: &[&str] = if purchases {
        &["purchase_bill"]
    } else {
        &["invoice", "bill_of_supply", "credit_note", "debit_note"]
    };
    let mut tx = g.read_tx(ledger.db()).await?;
    let rows = repo::reports::register(&mut tx, kinds, from, to).await?;
    Ok(reports::register(from, to, rows))
}

/// The HSN-wise summary of outward supplies.
pub async fn hsn_summary(
    ledger: &Ledger,
    g: &Granted<InvoicesRead>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HsnRow>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::reports::hsn_summary(&mut tx, from, to).await?)
}

/// The day book: every journal between two days, in order.
pub async fn day_book(
    ledger: &Ledger,
    g: &Granted<BooksRead>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Journal>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let mut all = repo::books::journals(&mut tx, None, Some(from), Some(to), None, 10_000).await?;
    all.reverse();
    Ok(all)
}
