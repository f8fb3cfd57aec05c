//! The reports, pure: trial balance, profit and loss and balance sheet
//! from account balances; receivables and payables aging in buckets; a
//! party's statement with its running balance; registers and the HSN
//! summary; and CSV for each. The queries that feed them are in
//! `repo::reports`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::AccountKind;

/// An account's balances over a period.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct AccountBalance {
    /// The account.
    pub account_id: Uuid,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Kind.
    #[schema(value_type = AccountKind)]
    pub kind: String,
    /// Debit minus credit before the period.
    #[schema(value_type = String)]
    pub opening: Decimal,
    /// Debits in the period.
    #[schema(value_type = String)]
    pub debit: Decimal,
    /// Credits in the period.
    #[schema(value_type = String)]
    pub credit: Decimal,
}

impl AccountBalance {
    /// Debit minus credit at the period's end.
    pub fn closing(&self) -> Decimal {
        self.opening + self.debit - self.credit
    }

    fn kind(&self) -> AccountKind {
        AccountKind::parse(&self.kind).unwrap_or(AccountKind::Asset)
    }
}

/// A trial balance row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialBalanceRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: AccountKind,
    /// Opening balance (debit positive).
    #[schema(value_type = String)]
    pub opening: Decimal,
    /// Debits in the period.
    #[schema(value_type = String)]
    pub debit: Decimal,
    /// Credits in the period.
    #[schema(value_type = String)]
    pub credit: Decimal,
    /// Closing balance (debit positive).
    #[schema(value_type = String)]
    pub closing: Decimal,
}

/// The trial balance: every account with a balance or movement; debits
/// and credits of the period are equal, and so are closing debits and
/// credits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialBalance {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Rows by code.
    pub rows: Vec<TrialBalanceRow>,
    /// Sum of the period's debits.
    #[schema(value_type = String)]
    pub total_debit: Decimal,
    /// Sum of the period's credits.
    #[schema(value_type = String)]
    pub total_credit: Decimal,
    /// Sum of debit closing balances.
    #[schema(value_type = String)]
    pub closing_debit: Decimal,
    /// Sum of credit closing balances.
    #[schema(value_type = String)]
    pub closing_credit: Decimal,
}

/// The trial balance of these balances.
pub fn trial_balance(from: NaiveDate, to: NaiveDate, balances: &[AccountBalance]) -> TrialBalance {
    let rows: Vec<TrialBalanceRow> = balances
        .iter()
        .filter(|b| !(b.opening.is_zero() && b.debit.is_zero() && b.credit.is_zero()))
        .map(|b| TrialBalanceRow {
            code: b.code.clone(),
            name: b.name.clone(),
            kind: b.kind(),
            opening: b.opening,
            debit: b.debit,
            credit: b.credit,
            closing: b.closing(),
        })
        .collect();
    let closing_debit = rows.iter().map(|r| r.closing.max(Decimal::ZERO)).sum();
    let closing_credit = rows.iter().map(|r| (-r.closing).max(Decimal::ZERO)).sum();
    TrialBalance {
        from,
        to,
        total_debit: rows.iter().map(|r| r.debit).sum(),
        total_credit: rows.iter().map(|r| r.credit).sum(),
        closing_debit,
        closing_credit,
        rows,
    }
}

/// A line of a statement of accounts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportLine {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Amount (positive in the section's normal sense).
    #[schema(value_type = String)]
    pub amount: Decimal,
}

/// Profit and loss over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfitAndLoss {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Income accounts (credit minus debit in the period).
    pub income: Vec<ReportLine>,
    /// Expense accounts (debit minus credit).
    pub expenses: Vec<ReportLine>,
    /// Sum of income.
    #[schema(value_type = String)]
    pub total_income: Decimal,
    /// Sum of expenses.
    #[schema(value_type = String)]
    pub total_expenses: Decimal,
    /// Income minus expenses.
    #[schema(value_type = String)]
    pub net_profit: Decimal,
}

/// Profit and loss from the period's movements.
pub fn profit_and_loss(
    from: NaiveDate,
    to: NaiveDate,
    balances: &[AccountBalance],
) -> ProfitAndLoss {
    let pick = |kind: AccountKind, sign: Decimal| -> Vec<ReportLine> {
        balances
            .iter()
            .filter(|b| b.kind() == kind && !(b.debit - b.credit).is_zero())
            .map(|b| ReportLine {
                code: b.code.clone(),
                name: b.name.clone(),
                amount: sign * (b.debit - b.credit),
            })
            .collect()
    };
    let income = pick(AccountKind::Income, Decimal::NEGATIVE_ONE);
    let expenses = pick(AccountKind::Expense, Decimal::ONE);
    let total_income: Decimal = income.iter().map(|l| l.amount).sum();
    let total_expenses: Decimal = expenses.iter().map(|l| l.amount).sum();
    ProfitAndLoss {
        from,
        to,
        net_profit: total_income - total_expenses,
        income,
        expenses,
        total_income,
        total_expenses,
    }
}

/// The balance sheet on a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceSheet {
    /// The day.
    pub as_of: NaiveDate,
    /// Assets (debit balances).
    pub assets: Vec<ReportLine>,
    /// Liabilities (credit balances).
    pub liabilities: Vec<ReportLine>,
    /// Equity (credit balances), with the profit not yet closed into it.
    pub equity: Vec<ReportLine>,
    /// Sum of assets.
    #[schema(value_type = String)]
    pub total_assets: Decimal,
    /// Sum of liabilities and equity (equal to the assets).
    #[schema(value_type = String)]
    pub total_liabilities_and_equity: Decimal,
}

/// The balance sheet from balances up to the day (pass `from` = the first
/// day of the books so `opening` is zero and the movement is the balance).
pub fn balance_sheet(as_of: NaiveDate, balances: &[AccountBalance]) -> BalanceSheet {
    let pick = |kind: AccountKind, sign: Decimal| -> Vec<ReportLine> {
        balances
            .iter()
            .filter(|b| b.kind() == kind && !b.closing().is_zero())
            .map(|b| ReportLine {
                code: b.code.clone(),
                name: b.name.clone(),
                amount: sign * b.closing(),
            })
            .collect()
    };
    let assets = pick(AccountKind::Asset, Decimal::ONE);
    let liabilities = pick(AccountKind::Liability, Decimal::NEGATIVE_ONE);
    let mut equity = pick(AccountKind::Equity, Decimal::NEGATIVE_ONE);
    // Income and expenses not yet closed into retained earnings.
    let earnings: Decimal = balances
        .iter()
        .filter(|b| matches!(b.kind(), AccountKind::Income | AccountKind::Expense))
        .map(|b| -b.closing())
        .sum();
    if !earnings.is_zero() {
        equity.push(ReportLine {
            code: String::new(),
            name: "Profit and loss (not yet closed)".into(),
            amount: earnings,
        });
    }
    let total_assets = assets.iter().map(|l| l.amount).sum();
    let total_liabilities_and_equity = liabilities.iter().map(|l| l.amount).sum::<Decimal>()
        + equity.iter().map(|l| l.amount).sum::<Decimal>();
    BalanceSheet { as_of, assets, liabilities, equity, total_assets, total_liabilities_and_equity }
}

/// An open document for aging.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgingRow {
    /// The party.
    pub party_id: Uuid,
    /// Its name.
    pub party_name: String,
    /// The document (none for the party's opening balance).
    pub document_id: Option<Uuid>,
    /// Its number.
    pub number: Option<String>,
    /// Its date.
    pub doc_date: NaiveDate,
    /// When it fell due.
    pub due_date: NaiveDate,
    /// Owed on it on the day.
    pub balance: Decimal,
}

/// A party's open amounts by days past due.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AgingBuckets {
    /// Not yet due.
    #[schema(value_type = String)]
    pub not_due: Decimal,
    /// 0–30 days past due (the not-yet-due included).
    #[schema(value_type = String)]
    pub d0_30: Decimal,
    /// 31–60 days.
    #[schema(value_type = String)]
    pub d31_60: Decimal,
    /// 61–90 days.
    #[schema(value_type = String)]
    pub d61_90: Decimal,
    /// Over 90 days.
    #[schema(value_type = String)]
    pub d90_plus: Decimal,
    /// All of it.
    #[schema(value_type = String)]
    pub total: Decimal,
}

impl AgingBuckets {
    fn add(&mut self, days_past_due: i64, amount: Decimal) {
        if days_past_due <= 0 {
            self.not_due += amount;
        }
        match days_past_due {
            i64::MIN..=30 => self.d0_30 += amount,
            31..=60 => self.d31_60 += amount,
            61..=90 => self.d61_90 += amount,
            _ => self.d90_plus += amount,
        }
        self.total += amount;
    }
}

/// One party's aging.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyAging {
    /// The party.
    pub party_id: Uuid,
    /// Its name.
    pub party_name: String,
    /// Its buckets.
    #[serde(flatten)]
    pub buckets: AgingBuckets,
}

/// Receivables or payables aging on a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Aging {
    /// The day.
    pub as_of: NaiveDate,
    /// Parties with something open, by name.
    pub parties: Vec<PartyAging>,
    /// Every party together.
    pub total: AgingBuckets,
}

/// Buckets the open documents by days past due on `as_of`.
pub fn aging(as_of: NaiveDate, rows: &[AgingRow]) -> Aging {
    let mut by_party: BTreeMap<(String, Uuid), AgingBuckets> = BTreeMap::new();
    let mut total = AgingBuckets::default();
    for r in rows.iter().filter(|r| r.balance > Decimal::ZERO) {
        let days = (as_of - r.due_date).num_days();
        by_party.entry((r.party_name.clone(), r.party_id)).or_default().add(days, r.balance);
        total.add(days, r.balance);
    }
    Aging {
        as_of,
        parties: by_party
            .into_iter()
            .map(|((party_name, party_id), buckets)| PartyAging { party_id, party_name, buckets })
            .collect(),
        total,
    }
}

/// A statement entry as queried.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct StatementEntry {
    /// Its date.
    pub date: NaiveDate,
    /// `document`, `payment`, `allocation`, `opening`, `manual`, `cancellation`.
    pub source: String,
    /// The document or payment.
    pub source_id: Option<Uuid>,
    /// What it was.
    pub narration: String,
    /// The document's number or the payment's reference.
    pub reference: Option<String>,
    /// Debit (the party owes more).
    #[schema(value_type = String)]
    pub debit: Decimal,
    /// Credit (the party owes less).
    #[schema(value_type = String)]
    pub credit: Decimal,
}

/// A statement line with its running balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLine {
    /// The entry.
    #[serde(flatten)]
    pub entry: StatementEntry,
    /// The party's balance after it (debit positive).
    #[schema(value_type = String)]
    pub balance: Decimal,
}

/// A party's statement over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statement {
    /// The party.
    pub party_id: Uuid,
    /// Its name.
    pub party_name: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Balance before the period (debit positive: the party owed).
    #[schema(value_type = String)]
    pub opening: Decimal,
    /// Entries in order.
    pub lines: Vec<StatementLine>,
    /// Balance at the end.
    #[schema(value_type = String)]
    pub closing: Decimal,
}

/// The statement with running balances.
pub fn statement(
    party_id: Uuid,
    party_name: String,
    from: NaiveDate,
    to: NaiveDate,
    opening: Decimal,
    entries: Vec<StatementEntry>,
) -> Statement {
    let mut balance = opening;
    let lines = entries
        .into_iter()
        .map(|entry| {
            balance += entry.debit - entry.credit;
            StatementLine { entry, balance }
        })
        .collect();
    Statement { party_id, party_name, from, to, opening, lines, closing: balance }
}

/// A register row: one issued document.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct RegisterRow {
    /// The document.
    pub document_id: Uuid,
    /// Kind.
    pub kind: String,
    /// Number.
    pub number: Option<String>,
    /// Date.
    pub doc_date: NaiveDate,
    /// The party.
    pub party_id: Uuid,
    /// Its name.
    pub party_name: String,
    /// Its GSTIN at issue.
    pub gstin: Option<String>,
    /// Place of supply.
    pub place_of_supply: String,
    /// Supply type.
    pub supply_type: String,
    /// Reverse charge.
    pub reverse_charge: bool,
    /// Cancelled (shown, not counted).
    pub cancelled: bool,
    /// A purchase bill's own number.
    pub supplier_number: Option<String>,
    /// Taxable value.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// UTGST.
    #[schema(value_type = String)]
    pub utgst: Decimal,
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
    /// Round-off.
    #[schema(value_type = String)]
    pub round_off: Decimal,
    /// Total.
    #[schema(value_type = String)]
    pub total: Decimal,
}

/// Totals of a register (credit notes subtract; cancelled rows left out).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RegisterTotals {
    /// Documents counted.
    pub documents: usize,
    /// Taxable value.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// UTGST.
    #[schema(value_type = String)]
    pub utgst: Decimal,
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
    /// Total.
    #[schema(value_type = String)]
    pub total: Decimal,
}

/// A sales or purchase register.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Register {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Documents by date.
    pub rows: Vec<RegisterRow>,
    /// Their totals.
    pub totals: RegisterTotals,
}

/// The register with its totals.
pub fn register(from: NaiveDate, to: NaiveDate, rows: Vec<RegisterRow>) -> Register {
    let mut t = RegisterTotals::default();
    for r in rows.iter().filter(|r| !r.cancelled) {
        let sign = if r.kind == "credit_note" { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
        t.documents += 1;
        t.taxable_value += sign * r.taxable_value;
        t.cgst += sign * r.cgst;
        t.sgst += sign * r.sgst;
        t.utgst += sign * r.utgst;
        t.igst += sign * r.igst;
        t.cess += sign * r.cess;
        t.total += sign * r.total;
    }
    Register { from, to, rows, totals: t }
}

/// The HSN-wise summary of outward supplies.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct HsnRow {
    /// HSN or SAC.
    pub hsn_sac: String,
    /// Unit.
    pub unit: String,
    /// GST rate.
    #[schema(value_type = String)]
    pub gst_rate: Decimal,
    /// Services.
    pub is_service: bool,
    /// A description from its lines.
    pub description: String,
    /// Quantity.
    #[schema(value_type = String)]
    pub quantity: Decimal,
    /// Taxable value.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// UTGST.
    #[schema(value_type = String)]
    pub utgst: Decimal,
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
    /// Total value.
    #[schema(value_type = String)]
    pub total: Decimal,
}

/// A CSV document: a header and rows of cells (quoted where needed).
pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    fn cell(s: &str) -> String {
        // A leading =, +, - or @ would be a formula to a spreadsheet.
        let guarded = if s.starts_with(['=', '+', '@'])
            || (s.starts_with('-') && s.parse::<f64>().is_err())
        {
            format!("'{s}")
        } else {
            s.to_string()
        };
        if guarded.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", guarded.replace('"', "\"\""))
        } else {
            guarded
        }
    }
    let mut out = header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn bal(code: &str, kind: &str, opening: &str, debit: &str, credit: &str) -> AccountBalance {
        AccountBalance {
            account_id: Uuid::nil(),
            code: code.into(),
            name: code.into(),
            kind: kind.into(),
            opening: dec(opening),
            debit: dec(debit),
            credit: dec(credit),
        }
    }

    fn books() -> Vec<AccountBalance> {
        vec![
            bal("1010", "asset", "0", "5000", "0"),
            bal("1100", "asset", "0", "11800", "5000"),
            bal("2100", "liability", "0", "0", "900"),
            bal("2101", "liability", "0", "0", "900"),
            bal("3000", "equity", "0", "0", "0"),
            bal("4000", "income", "0", "0", "10000"),
            bal("5100", "expense", "0", "0", "0"),
        ]
    }

    #[test]
    fn a_trial_balance_balances() {
        let tb = trial_balance(day("2025-04-01"), day("2026-03-31"), &books());
        assert_eq!(tb.total_debit, tb.total_credit);
        assert_eq!(tb.closing_debit, tb.closing_credit);
        assert_eq!(tb.rows.len(), 5, "accounts without balance or movement are left out");
    }

    #[test]
    fn profit_and_balance_sheet_agree() {
        let pl = profit_and_loss(day("2025-04-01"), day("2026-03-31"), &books());
        assert_eq!(pl.total_income, dec("10000"));
        assert_eq!(pl.net_profit, dec("10000"));
        let bs = balance_sheet(day("2026-03-31"), &books());
        assert_eq!(bs.total_assets, dec("11800"));
        assert_eq!(bs.total_assets, bs.total_liabilities_and_equity);
        assert!(bs.equity.iter().any(|l| l.amount == dec("10000")));
    }

    #[test]
    fn aging_buckets_by_days_past_due() {
        let p = Uuid::from_u128(1);
        let row = |due: &str, bal: &str| AgingRow {
            party_id: p,
            party_name: "Acme".into(),
            document_id: Some(Uuid::now_v7()),
            number: None,
            doc_date: day("2025-01-01"),
            due_date: day(due),
            balance: dec(bal),
        };
        let a = aging(
            day("2025-06-30"),
            &[
                row("2025-07-15", "100"), // not yet due
                row("2025-06-10", "200"), // 20 days
                row("2025-05-15", "300"), // 46 days
                row("2025-04-10", "400"), // 81 days
                row("2025-01-31", "500"), // 150 days
                row("2025-01-31", "0"),   // settled
            ],
        );
        assert_eq!(a.parties.len(), 1);
        let b = &a.total;
        assert_eq!(
            (b.not_due, b.d0_30, b.d31_60, b.d61_90, b.d90_plus),
            (dec("100"), dec("300"), dec("300"), dec("400"), dec("500"))
        );
        assert_eq!(b.total, dec("1500"));
    }

    #[test]
    fn statements_run_a_balance() {
        let e = |d: &str, debit: &str, credit: &str| StatementEntry {
            date: day(d),
            source: "document".into(),
            source_id: None,
            narration: "x".into(),
            reference: None,
            debit: dec(debit),
            credit: dec(credit),
        };
        let s = statement(
            Uuid::nil(),
            "Acme".into(),
            day("2025-04-01"),
            day("2025-04-30"),
            dec("1000"),
            vec![e("2025-04-02", "5900", "0"), e("2025-04-20", "0", "6900")],
        );
        assert_eq!(s.lines[0].balance, dec("6900"));
        assert_eq!(s.closing, dec("0"));
    }

    #[test]
    fn csv_quotes_and_guards_formulas() {
        let text = csv(
            &["a", "b"],
            vec![vec!["x,y".into(), "=SUM(A1)".into()], vec!["-12.50".into(), "say \"hi\"".into()]],
        );
        assert_eq!(text, "a,b\r\n\"x,y\",'=SUM(A1)\r\n-12.50,\"say \"\"hi\"\"\"\r\n");
    }
}
