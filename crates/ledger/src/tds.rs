//! Tax deducted at source, pure: the sections a customer deducts under
//! when paying the company (and the company when paying a supplier), their
//! rates and thresholds, the rate without a PAN, and each section's name
//! under the Income-tax Act 2025 (section 393, in force from 1 April 2026)
//! beside its 1961 number.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tax::rupees;

/// A TDS section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum TdsSection {
    /// 194C: contractors (1% individual or HUF, 2% others).
    #[serde(rename = "194C")]
    S194C,
    /// 194J(a): fees for technical services, call centres, film royalty (2%).
    #[serde(rename = "194J-technical")]
    S194JTechnical,
    /// 194J(b): professional services, royalty, non-compete fees (10%).
    #[serde(rename = "194J-professional")]
    S194JProfessional,
    /// 194H: commission or brokerage (2% from 1 October 2024).
    #[serde(rename = "194H")]
    S194H,
    /// 194-I(a): rent of plant and machinery (2%).
    #[serde(rename = "194I-machinery")]
    S194IMachinery,
    /// 194-I(b): rent of land, building or furniture (10%).
    #[serde(rename = "194I-property")]
    S194IProperty,
    /// 194Q: purchase of goods, 0.1% of what exceeds ₹50 lakh in a year.
    #[serde(rename = "194Q")]
    S194Q,
}

/// Whom a payment is made to, for the rates that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payee {
    /// An individual or a Hindu undivided family (PAN's fourth letter P or H).
    IndividualOrHuf,
    /// Anyone else.
    Other,
}

/// The date from which the Income-tax Act 2025 replaces the 1961 Act.
pub fn act_2025_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default()
}

impl TdsSection {
    /// Every section.
    pub const ALL: [TdsSection; 7] = [
        TdsSection::S194C,
        TdsSection::S194JTechnical,
        TdsSection::S194JProfessional,
        TdsSection::S194H,
        TdsSection::S194IMachinery,
        TdsSection::S194IProperty,
        TdsSection::S194Q,
    ];

    /// Its code as stored and sent (`194C`, `194J-professional`, …).
    pub fn code(self) -> &'static str {
        match self {
            TdsSection::S194C => "194C",
            TdsSection::S194JTechnical => "194J-technical",
            TdsSection::S194JProfessional => "194J-professional",
            TdsSection::S194H => "194H",
            TdsSection::S194IMachinery => "194I-machinery",
            TdsSection::S194IProperty => "194I-property",
            TdsSection::S194Q => "194Q",
        }
    }

    /// From its code.
    pub fn parse(s: &str) -> Option<TdsSection> {
        TdsSection::ALL.into_iter().find(|t| t.code() == s)
    }

    /// What it covers.
    pub fn label(self) -> &'static str {
        match self {
            TdsSection::S194C => "Payments to contractors",
            TdsSection::S194JTechnical => "Fees for technical services",
            TdsSection::S194JProfessional => "Fees for professional services",
            TdsSection::S194H => "Commission or brokerage",
            TdsSection::S194IMachinery => "Rent of plant and machinery",
            TdsSection::S194IProperty => "Rent of land, building or furniture",
            TdsSection::S194Q => "Purchase of goods",
        }
    }

    /// Its place in section 393(1) of the Income-tax Act 2025 (the table's
    /// serial number), which names it from 1 April 2026.
    pub fn act_2025(self) -> &'static str {
        match self {
            TdsSection::S194C => "393(1) Sl. 6(i)",
            TdsSection::S194JTechnical | TdsSection::S194JProfessional => "393(1) Sl. 6(iii)",
            TdsSection::S194H => "393(1) Sl. 1(ii)",
            TdsSection::S194IMachinery | TdsSection::S194IProperty => "393(1) Sl. 2(ii)",
            TdsSection::S194Q => "393(1) Sl. 8(ii)",
        }
    }

    /// The section's name under the law in force on `date`.
    pub fn name_on(self, date: NaiveDate) -> String {
        if date >= act_2025_from() {
            format!("{} (was {})", self.act_2025(), self.code())
        } else {
            self.code().to_string()
        }
    }

    /// The rate in percent, with a PAN.
    pub fn rate(self, payee: Payee) -> Decimal {
        match self {
            TdsSection::S194C if payee == Payee::IndividualOrHuf => Decimal::ONE,
            TdsSection::S194C
            | TdsSection::S194JTechnical
            | TdsSection::S194H
            | TdsSection::S194IMachinery => Decimal::TWO,
            TdsSection::S194JProfessional | TdsSection::S194IProperty => Decimal::TEN,
            TdsSection::S194Q => Decimal::new(1, 1),
        }
    }

    /// The rate without a PAN (section 206AA): the higher of the section's
    /// rate and 20% — 5% under 194Q.
    pub fn rate_without_pan(self, payee: Payee) -> Decimal {
        if self == TdsSection::S194Q {
            Decimal::new(5, 0)
        } else {
            self.rate(payee).max(Decimal::new(20, 0))
        }
    }

    /// Below what the section does not apply, in rupees: (for one
    /// payment, for the year's total).
    pub fn thresholds(self) -> (Option<Decimal>, Option<Decimal>) {
        match self {
            TdsSection::S194C => (Some(Decimal::new(30_000, 0)), Some(Decimal::new(100_000, 0))),
            TdsSection::S194JTechnical | TdsSection::S194JProfessional => {
                (None, Some(Decimal::new(50_000, 0)))
            }
            TdsSection::S194H => (None, Some(Decimal::new(20_000, 0))),
            // Per month: a year of such rent passes 6 lakh.
            TdsSection::S194IMachinery | TdsSection::S194IProperty => {
                (Some(Decimal::new(50_000, 0)), None)
            }
            TdsSection::S194Q => (None, Some(Decimal::new(5_000_000, 0))),
        }
    }
}

/// The TDS expected on a payment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Expected {
    /// The section's name under the law in force on the payment's date.
    pub section: String,
    /// Rate applied, in percent.
    #[schema(value_type = String)]
    pub rate: Decimal,
    /// The amount TDS is worked out on.
    #[schema(value_type = String)]
    pub base: Decimal,
    /// TDS, in rupees (rounded to the rupee, as returns take it).
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// Why the amount is what it is, for a person.
    pub note: String,
}

/// The TDS a payer should deduct on `amount` (without GST), given what it
/// already paid the payee this financial year (`paid_this_year`, without
/// this payment).
pub fn expected(
    section: TdsSection,
    date: NaiveDate,
    amount: Decimal,
    paid_this_year: Decimal,
    payee: Payee,
    has_pan: bool,
) -> Expected {
    let name = section.name_on(date);
    let rate = if has_pan { section.rate(payee) } else { section.rate_without_pan(payee) };
    let (single, yearly) = section.thresholds();
    let after = paid_this_year + amount;
    let zero = |note: String| Expected {
        section: name.clone(),
        rate,
        base: Decimal::ZERO,
        amount: Decimal::ZERO,
        note,
    };
    let base = match (section, single, yearly) {
        // 194Q: only what passes the yearly threshold.
        (TdsSection::S194Q, _, Some(y)) => {
            if after <= y {
                return zero(format!("the year's purchases stay within ₹{y}"));
            }
            after - y.max(paid_this_year)
        }
        (_, Some(s), Some(y)) => {
            if amount <= s && after <= y {
                return zero(format!("₹{amount} is within ₹{s} a payment and ₹{y} a year"));
            }
            amount
        }
        (_, Some(s), None) => {
            if amount <= s {
                return zero(format!("₹{amount} is within ₹{s}"));
            }
            amount
        }
        (_, None, Some(y)) => {
            if after <= y {
                return zero(format!("the year's payments stay within ₹{y}"));
            }
            amount
        }
        (_, None, None) => amount,
    };
    let amount = rupees(base * rate / Decimal::ONE_HUNDRED);
    let note = if has_pan {
        format!("{rate}% of ₹{base}")
    } else {
        format!("{rate}% of ₹{base}: no PAN (section 206AA)")
    };
    Expected { section: name, rate, base, amount, note }
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

    #[test]
    fn rates_by_section_and_payee() {
        assert_eq!(TdsSection::S194C.rate(Payee::IndividualOrHuf), dec("1"));
        assert_eq!(TdsSection::S194C.rate(Payee::Other), dec("2"));
        assert_eq!(TdsSection::S194JProfessional.rate(Payee::Other), dec("10"));
        assert_eq!(TdsSection::S194JTechnical.rate(Payee::Other), dec("2"));
        assert_eq!(TdsSection::S194H.rate(Payee::Other), dec("2"));
        assert_eq!(TdsSection::S194Q.rate(Payee::Other), dec("0.1"));
        assert_eq!(TdsSection::S194C.rate_without_pan(Payee::Other), dec("20"));
        assert_eq!(TdsSection::S194Q.rate_without_pan(Payee::Other), dec("5"));
    }

    #[test]
    fn codes_round_trip() {
        for s in TdsSection::ALL {
            assert_eq!(TdsSection::parse(s.code()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.code());
        }
        assert_eq!(TdsSection::parse("194Z"), None);
    }

    #[test]
    fn names_follow_the_law_in_force() {
        assert_eq!(TdsSection::S194C.name_on(day("2026-03-31")), "194C");
        assert_eq!(TdsSection::S194C.name_on(day("2026-04-01")), "393(1) Sl. 6(i) (was 194C)");
    }

    #[test]
    fn contractor_thresholds() {
        let d = day("2025-10-01");
        // Within ₹30,000 and the year within ₹1 lakh: nothing.
        let e = expected(TdsSection::S194C, d, dec("25000"), dec("50000"), Payee::Other, true);
        assert_eq!(e.amount, dec("0"));
        // A single payment above ₹30,000: 2%.
        let e = expected(TdsSection::S194C, d, dec("40000"), dec("0"), Payee::Other, true);
        assert_eq!(e.amount, dec("800"));
        // Small, but the year passes ₹1 lakh.
        let e = expected(
            TdsSection::S194C,
            d,
            dec("20000"),
            dec("90000"),
            Payee::IndividualOrHuf,
            true,
        );
        assert_eq!(e.amount, dec("200"));
    }

    #[test]
    fn professional_fees_and_no_pan() {
        let d = day("2025-10-01");
        let e =
            expected(TdsSection::S194JProfessional, d, dec("60000"), dec("0"), Payee::Other, true);
        assert_eq!((e.rate, e.amount), (dec("10"), dec("6000")));
        let e =
            expected(TdsSection::S194JProfessional, d, dec("40000"), dec("0"), Payee::Other, true);
        assert_eq!(e.amount, dec("0"));
        let e =
            expected(TdsSection::S194JTechnical, d, dec("60000"), dec("0"), Payee::Other, false);
        assert_eq!((e.rate, e.amount), (dec("20"), dec("12000")));
        assert!(e.note.contains("206AA"));
    }

    #[test]
    fn purchase_of_goods_counts_only_past_fifty_lakh() {
        let d = day("2025-10-01");
        let e = expected(TdsSection::S194Q, d, dec("1000000"), dec("4500000"), Payee::Other, true);
        // 55 lakh in the year: 0.1% of 5 lakh.
        assert_eq!((e.base, e.amount), (dec("500000"), dec("500")));
        let e = expected(TdsSection::S194Q, d, dec("1000000"), dec("6000000"), Payee::Other, true);
        assert_eq!((e.base, e.amount), (dec("1000000"), dec("1000")));
        let e = expected(TdsSection::S194Q, d, dec("1000000"), dec("3000000"), Payee::Other, true);
        assert_eq!(e.amount, dec("0"));
    }
}
