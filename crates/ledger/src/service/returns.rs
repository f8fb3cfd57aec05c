//! GST returns for a month: GSTR-1 (outward supplies, in the portal's
//! offline-tool JSON and per-section CSV, reconciled with the sales
//! register) and GSTR-3B (the summary with tax set off against credit).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use identity::Granted;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{LedgerError, Result};
use crate::gst::returns::{self, Flag, SectionTotal, SetOff};
use crate::permissions::GstReturns;
use crate::reports::RegisterTotals;
use crate::{Ledger, repo};

/// A return period: its first and last day, from `YYYY-MM`.
pub fn month(period: &str) -> Result<(NaiveDate, NaiveDate)> {
    let bad = || LedgerError::invalid("period", "must be a month as YYYY-MM (2025-09)");
    let (y, m) = period.trim().split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(2017..=2100).contains(&y) {
        return Err(LedgerError::invalid(
            "period",
            "must be a month from July 2017 (when GST began)",
        ));
    }
    let from = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    Ok((from, next.ok_or_else(bad)?.pred_opt().ok_or_else(bad)?))
}

async fn company(ledger: &Ledger, g: &identity::Caller) -> Result<(String, String)> {
    let c = ledger.identity().company(g.access()).await?;
    let gstin = c.gstin.ok_or_else(|| {
        LedgerError::state(
            "company_gstin_missing",
            "the company has no GSTIN: add it to the company profile",
        )
    })?;
    let state = c.state.unwrap_or_else(|| gstin[..2].to_owned());
    Ok((gstin, state))
}

/// GSTR-1 for a month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gstr1Report {
    /// The month (`2025-09`).
    pub period: String,
    /// The company's GSTIN.
    pub gstin: String,
    /// Each section's totals (credit notes subtract); `hsn` is the HSN
    /// summary's and `all` the sum of the document sections.
    pub sections: Vec<SectionTotal>,
    /// The sales register's totals for the month.
    pub register: RegisterTotals,
    /// Whether the sections add up to the register (taxable value and
    /// every tax, to the paisa), and the HSN summary to both.
    pub reconciled: bool,
    /// What to look at before filing (notes on earlier months' invoices,
    /// documents of earlier months cancelled in this one).
    pub flags: Vec<Flag>,
    /// The JSON the GST portal's offline tool takes.
    #[schema(value_type = Object)]
    pub portal: Value,
}

/// The GSTR-1 of a month, and the CSV rows of `csv_section` when asked.
pub async fn gstr1(
    ledger: &Ledger,
    g: &Granted<GstReturns>,
    period: &str,
    csv_section: Option<&str>,
) -> Result<(Gstr1Report, Vec<Vec<String>>)> {
    let (from, to) = month(period)?;
    let (gstin, state) = company(ledger, g).await?;
    let started = std::time::Instant::now();
    let mut tx = g.read_tx(ledger.db()).await?;
    let rows = repo::returns::doc_rates(&mut tx, from, to).await?;
    let read_rows = started.elapsed();
    let mut against: Vec<uuid::Uuid> = rows.iter().filter_map(|r| r.against_id).collect();
    against.sort_unstable();
    against.dedup();
    let originals: HashMap<_, _> =
        repo::returns::originals(&mut tx, &against).await?.into_iter().map(|o| (o.id, o)).collect();
    let hsn = repo::returns::hsn(&mut tx, from, to).await?;
    let series = repo::returns::series(&mut tx, from, to).await?;
    let late = repo::returns::late_cancels(&mut tx, from, to).await?;
    let register = repo::returns::register_totals(&mut tx, from, to).await?;
    drop(tx);
    let read = started.elapsed();
    let r =
        returns::gstr1(&gstin, &state, from, &rows, &originals, &hsn, &series, &late, csv_section);
    let all = r.sections.iter().find(|s| s.section == "all").cloned().unwrap_or_default();
    let hsn_total = r.sections.iter().find(|s| s.section == "hsn").cloned().unwrap_or_default();
    let same = |a: &SectionTotal| {
        a.taxable_value == register.taxable_value
            && a.igst == register.igst
            && a.cgst == register.cgst
            && a.sgst == register.sgst + register.utgst
            && a.cess == register.cess
    };
    let reconciled = same(&all) && same(&hsn_total);
    tracing::debug!(
        rows = rows.len(),
        doc_rates_ms = read_rows.as_millis(),
        queries_ms = read.as_millis(),
        total_ms = started.elapsed().as_millis(),
        "GSTR-1 prepared"
    );
    let report = Gstr1Report {
        period: format!("{:04}-{:02}", from.year(), from.month()),
        gstin,
        sections: r.sections,
        register,
        reconciled,
        flags: r.flags,
        portal: r.portal,
    };
    Ok((report, r.csv))
}

/// GSTR-3B for a month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gstr3bReport {
    /// The month (`2025-09`).
    pub period: String,
    /// The company's GSTIN.
    pub gstin: String,
    /// Tax payable per head after credit, in the law's order.
    pub set_off: SetOff,
    /// The JSON the GST portal takes.
    #[schema(value_type = Object)]
    pub portal: Value,
}

/// The GSTR-3B of a month.
pub async fn gstr3b(
    ledger: &Ledger,
    g: &Granted<GstReturns>,
    period: &str,
) -> Result<Gstr3bReport> {
    let (from, to) = month(period)?;
    let (gstin, state) = company(ledger, g).await?;
    let mut tx = g.read_tx(ledger.db()).await?;
    let flows = repo::returns::flows(&mut tx, from, to).await?;
    drop(tx);
    let (portal, set_off) = returns::gstr3b(&gstin, &state, from, &flows);
    Ok(Gstr3bReport {
        period: format!("{:04}-{:02}", from.year(), from.month()),
        gstin,
        set_off,
        portal,
    })
}
