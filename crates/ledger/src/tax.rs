//! GST on a document, pure: each line's taxable value and its CGST and
//! SGST (or UTGST) or IGST and cess by the place of supply, the totals,
//! and the round-off to the rupee. Amounts are `Decimal` rupees rounded to
//! paise half away from zero, as the GST rules and the e-invoice schema
//! expect; each head of a line is rounded on its own, so CGST and SGST of a
//! line are always equal.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::india;

/// How a supply is taxed, beyond the two states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum SupplyType {
    /// Inside India to a registered or an unregistered buyer.
    #[default]
    Regular,
    /// Export with payment of IGST (refund claimed later).
    ExportWithTax,
    /// Export under bond or letter of undertaking, without tax.
    ExportWithoutTax,
    /// To a special economic zone with payment of IGST.
    SezWithTax,
    /// To a special economic zone without tax.
    SezWithoutTax,
    /// Deemed export (IGST charged).
    DeemedExport,
}

impl SupplyType {
    /// Its name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            SupplyType::Regular => "regular",
            SupplyType::ExportWithTax => "export_with_tax",
            SupplyType::ExportWithoutTax => "export_without_tax",
            SupplyType::SezWithTax => "sez_with_tax",
            SupplyType::SezWithoutTax => "sez_without_tax",
            SupplyType::DeemedExport => "deemed_export",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<SupplyType> {
        [
            SupplyType::Regular,
            SupplyType::ExportWithTax,
            SupplyType::ExportWithoutTax,
            SupplyType::SezWithTax,
            SupplyType::SezWithoutTax,
            SupplyType::DeemedExport,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Zero-rated without tax charged.
    pub fn without_tax(self) -> bool {
        matches!(self, SupplyType::ExportWithoutTax | SupplyType::SezWithoutTax)
    }

    /// Always inter-state (IGST), whatever the states.
    pub fn always_igst(self) -> bool {
        !matches!(self, SupplyType::Regular)
    }
}

/// Whether a line's supply is taxed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Taxability {
    /// At its GST rate.
    #[default]
    Taxable,
    /// Taxable at 0%.
    NilRated,
    /// Exempt by notification.
    Exempt,
    /// Outside GST (alcohol for drinking, petrol, …).
    NonGst,
}

impl Taxability {
    /// Its name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Taxability::Taxable => "taxable",
            Taxability::NilRated => "nil_rated",
            Taxability::Exempt => "exempt",
            Taxability::NonGst => "non_gst",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Taxability> {
        [Taxability::Taxable, Taxability::NilRated, Taxability::Exempt, Taxability::NonGst]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One line as entered.
#[derive(Debug, Clone, PartialEq)]
pub struct LineInput {
    /// Quantity (> 0).
    pub quantity: Decimal,
    /// Price of one unit (≥ 0), with or without tax (`price_includes_tax`).
    pub unit_price: Decimal,
    /// Discount on the line, in rupees (≥ 0, at most its value).
    pub discount: Decimal,
    /// GST rate in percent.
    pub rate: Decimal,
    /// Cess rate in percent of the taxable value.
    pub cess_rate: Decimal,
    /// Whether `unit_price` includes GST and cess.
    pub price_includes_tax: bool,
    /// Whether the line is taxed.
    pub taxability: Taxability,
}

/// How a document is taxed as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentInput<'a> {
    /// The supplier's state code.
    pub supplier_state: &'a str,
    /// The place of supply's state code (`96` outside India).
    pub place_of_supply: &'a str,
    /// Kind of supply.
    pub supply_type: SupplyType,
    /// Whether the recipient pays the tax (reverse charge): tax is worked
    /// out and shown but not charged on the document.
    pub reverse_charge: bool,
    /// A bill of supply charges no tax at all (composition dealers,
    /// exempt supplies).
    pub bill_of_supply: bool,
}

/// A line with its tax.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct LineTax {
    /// Quantity × price, before discount (without tax).
    #[schema(value_type = String)]
    pub gross: Decimal,
    /// Discount (without tax).
    #[schema(value_type = String)]
    pub discount: Decimal,
    /// Gross − discount.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// GST rate applied, in percent (0 when not taxed).
    #[schema(value_type = String)]
    pub rate: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// UTGST (in place of SGST in union territories without a legislature).
    #[schema(value_type = String)]
    pub utgst: Decimal,
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// Cess rate applied.
    #[schema(value_type = String)]
    pub cess_rate: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
    /// Taxable value + every tax on the line.
    #[schema(value_type = String)]
    pub total: Decimal,
}

impl LineTax {
    /// All GST and cess of the line.
    pub fn tax(&self) -> Decimal {
        self.cgst + self.sgst + self.utgst + self.igst + self.cess
    }
}

/// A document's totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Totals {
    /// Sum of taxable values.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// Sum of CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// Sum of SGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// Sum of UTGST.
    #[schema(value_type = String)]
    pub utgst: Decimal,
    /// Sum of IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// Sum of cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
    /// Sum of discounts.
    #[schema(value_type = String)]
    pub discount: Decimal,
    /// What rounding to the rupee added (−0.50 to +0.50).
    #[schema(value_type = String)]
    pub round_off: Decimal,
    /// What the buyer owes: taxable value + charged tax + round-off.
    #[schema(value_type = String)]
    pub total: Decimal,
    /// Tax the recipient pays under reverse charge (not in `total`).
    #[schema(value_type = String)]
    pub reverse_charge_tax: Decimal,
}

/// Which heads a document's tax goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Heads {
    /// CGST and SGST.
    CgstSgst,
    /// CGST and UTGST.
    CgstUtgst,
    /// IGST.
    Igst,
    /// None: no tax is charged.
    None,
}

/// Why a document cannot be taxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaxProblem {
    /// A state code that is not one.
    UnknownState(&'static str, String),
    /// A line field out of range (line index, field, why).
    Line(usize, &'static str, String),
}

/// Rounds to paise, half away from zero.
pub fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounds to rupees, half away from zero.
pub fn rupees(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
}

/// The heads a supply's tax goes to.
pub fn heads(doc: &DocumentInput<'_>) -> Result<Heads, TaxProblem> {
    let supplier = india::state(doc.supplier_state)
        .filter(|s| s.code != india::OUTSIDE_INDIA)
        .ok_or_else(|| TaxProblem::UnknownState("supplier_state", doc.supplier_state.into()))?;
    let pos = india::state(doc.place_of_supply)
        .ok_or_else(|| TaxProblem::UnknownState("place_of_supply", doc.place_of_supply.into()))?;
    if doc.bill_of_supply || doc.supply_type.without_tax() {
        return Ok(Heads::None);
    }
    if doc.supply_type.always_igst() || pos.code != supplier.code {
        return Ok(Heads::Igst);
    }
    Ok(if supplier.utgst { Heads::CgstUtgst } else { Heads::CgstSgst })
}

/// Every line's tax and the document's totals.
pub fn compute(
    doc: &DocumentInput<'_>,
    lines: &[LineInput],
) -> Result<(Heads, Vec<LineTax>, Totals), TaxProblem> {
    let heads = heads(doc)?;
    let hundred = Decimal::ONE_HUNDRED;
    let mut out = Vec::with_capacity(lines.len());
    let mut t = Totals::default();
    for (i, l) in lines.iter().enumerate() {
        if l.quantity <= Decimal::ZERO {
            return Err(TaxProblem::Line(i, "quantity", "must be more than 0".into()));
        }
        if l.unit_price < Decimal::ZERO {
            return Err(TaxProblem::Line(i, "unit_price", "may not be negative".into()));
        }
        if l.discount < Decimal::ZERO {
            return Err(TaxProblem::Line(i, "discount", "may not be negative".into()));
        }
        if l.rate < Decimal::ZERO || l.rate > hundred {
            return Err(TaxProblem::Line(i, "gst_rate", "must be 0–100".into()));
        }
        if l.cess_rate < Decimal::ZERO || l.cess_rate > hundred {
            return Err(TaxProblem::Line(i, "cess_rate", "must be 0–100".into()));
        }
        let taxed = heads != Heads::None && l.taxability == Taxability::Taxable;
        let (rate, cess_rate) =
            if taxed { (l.rate, l.cess_rate) } else { (Decimal::ZERO, Decimal::ZERO) };
        // A tax-inclusive price is brought back to its value without tax
        // (at the rates that will be charged).
        let divisor = if l.price_includes_tax {
            Decimal::ONE + (rate + cess_rate) / hundred
        } else {
            Decimal::ONE
        };
        let gross = paise(l.quantity * l.unit_price / divisor);
        let discount = paise(l.discount / divisor);
        if discount > gross {
            return Err(TaxProblem::Line(i, "discount", "is more than the line's value".into()));
        }
        let taxable = gross - discount;
        let mut lt = LineTax {
            gross,
            discount,
            taxable_value: taxable,
            rate,
            cess_rate,
            ..LineTax::default()
        };
        match heads {
            Heads::CgstSgst | Heads::CgstUtgst if taxed => {
                let half = paise(taxable * rate / hundred / Decimal::TWO);
                lt.cgst = half;
                if heads == Heads::CgstSgst {
                    lt.sgst = half;
                } else {
                    lt.utgst = half;
                }
            }
            Heads::Igst if taxed => lt.igst = paise(taxable * rate / hundred),
            _ => {}
        }
        lt.cess = paise(taxable * cess_rate / hundred);
        lt.total = taxable + lt.tax();
        t.taxable_value += taxable;
        t.discount += discount;
        t.cgst += lt.cgst;
        t.sgst += lt.sgst;
        t.utgst += lt.utgst;
        t.igst += lt.igst;
        t.cess += lt.cess;
        out.push(lt);
    }
    let tax = t.cgst + t.sgst + t.utgst + t.igst + t.cess;
    let exact = if doc.reverse_charge {
        t.reverse_charge_tax = tax;
        t.taxable_value
    } else {
        t.taxable_value + tax
    };
    t.total = rupees(exact);
    t.round_off = t.total - exact;
    Ok((heads, out, t))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(qty: &str, price: &str, rate: &str) -> LineInput {
        LineInput {
            quantity: dec(qty),
            unit_price: dec(price),
            discount: Decimal::ZERO,
            rate: dec(rate),
            cess_rate: Decimal::ZERO,
            price_includes_tax: false,
            taxability: Taxability::Taxable,
        }
    }

    fn doc<'a>(from: &'a str, pos: &'a str) -> DocumentInput<'a> {
        DocumentInput {
            supplier_state: from,
            place_of_supply: pos,
            supply_type: SupplyType::Regular,
            reverse_charge: false,
            bill_of_supply: false,
        }
    }

    #[test]
    fn same_state_splits_into_cgst_and_sgst() {
        let (h, lines, t) = compute(&doc("27", "27"), &[line("3", "1000", "18")]).unwrap();
        assert_eq!(h, Heads::CgstSgst);
        assert_eq!(lines[0].taxable_value, dec("3000"));
        assert_eq!(
            (lines[0].cgst, lines[0].sgst, lines[0].igst),
            (dec("270"), dec("270"), dec("0"))
        );
        assert_eq!(t.total, dec("3540"));
        assert_eq!(t.round_off, dec("0"));
    }

    #[test]
    fn another_state_takes_igst() {
        let (h, lines, t) = compute(&doc("27", "29"), &[line("1", "999.99", "18")]).unwrap();
        assert_eq!(h, Heads::Igst);
        assert_eq!(lines[0].igst, dec("180.00"));
        // 999.99 + 180.00 = 1179.99 → 1180, round-off +0.01.
        assert_eq!((t.total, t.round_off), (dec("1180"), dec("0.01")));
    }

    #[test]
    fn union_territories_without_legislature_take_utgst() {
        let (h, lines, _) = compute(&doc("04", "04"), &[line("1", "100", "5")]).unwrap();
        assert_eq!(h, Heads::CgstUtgst);
        assert_eq!(
            (lines[0].cgst, lines[0].sgst, lines[0].utgst),
            (dec("2.50"), dec("0"), dec("2.50"))
        );
        // Delhi has a legislature: SGST.
        assert_eq!(heads(&doc("07", "07")).unwrap(), Heads::CgstSgst);
    }

    #[test]
    fn exports_and_sez() {
        for (t, want) in [
            (SupplyType::ExportWithTax, Heads::Igst),
            (SupplyType::ExportWithoutTax, Heads::None),
            (SupplyType::SezWithTax, Heads::Igst),
            (SupplyType::SezWithoutTax, Heads::None),
            (SupplyType::DeemedExport, Heads::Igst),
        ] {
            // An SEZ unit in the supplier's own state is still inter-state.
            let d = DocumentInput { supply_type: t, ..doc("27", "27") };
            assert_eq!(heads(&d).unwrap(), want, "{t:?}");
        }
        let d = DocumentInput { supply_type: SupplyType::ExportWithoutTax, ..doc("27", "96") };
        let (_, lines, t) = compute(&d, &[line("2", "500", "18")]).unwrap();
        assert_eq!(lines[0].tax(), dec("0"));
        assert_eq!(lines[0].rate, dec("0"));
        assert_eq!(t.total, dec("1000"));
    }

    #[test]
    fn halves_are_rounded_each_and_equal() {
        // 18% of 10.01 is 1.8018: each half 0.9009 → 0.90.
        let (_, lines, t) = compute(&doc("27", "27"), &[line("1", "10.01", "18")]).unwrap();
        assert_eq!((lines[0].cgst, lines[0].sgst), (dec("0.90"), dec("0.90")));
        assert_eq!(t.total, dec("12"));
        assert_eq!(t.round_off, dec("0.19"));
        // Half a paisa rounds away from zero: 5% of 0.10 → 0.0025 per half → 0.00.
        let (_, lines, _) = compute(&doc("27", "27"), &[line("1", "0.30", "5")]).unwrap();
        assert_eq!(lines[0].cgst, dec("0.01")); // 0.0075 → 0.01
    }

    #[test]
    fn tax_inclusive_prices_are_brought_back() {
        let mut l = line("1", "118", "18");
        l.price_includes_tax = true;
        let (_, lines, t) = compute(&doc("27", "29"), &[l]).unwrap();
        assert_eq!(lines[0].taxable_value, dec("100.00"));
        assert_eq!(lines[0].igst, dec("18.00"));
        assert_eq!(t.total, dec("118"));
    }

    #[test]
    fn discounts_reduce_the_taxable_value() {
        let mut l = line("10", "100", "5");
        l.discount = dec("50");
        let (_, lines, t) = compute(&doc("27", "27"), &[l.clone()]).unwrap();
        assert_eq!(lines[0].gross, dec("1000.00"));
        assert_eq!(lines[0].taxable_value, dec("950.00"));
        assert_eq!(lines[0].cgst, dec("23.75"));
        assert_eq!(t.discount, dec("50.00"));
        assert_eq!(t.total, dec("998"));
        assert_eq!(t.round_off, dec("0.50"));
        l.discount = dec("1000.01");
        assert!(matches!(compute(&doc("27", "27"), &[l]), Err(TaxProblem::Line(0, "discount", _))));
    }

    #[test]
    fn cess_is_on_the_taxable_value() {
        let mut l = line("1", "1000", "40");
        l.cess_rate = dec("12");
        let (_, lines, t) = compute(&doc("27", "27"), &[l]).unwrap();
        assert_eq!(lines[0].cess, dec("120.00"));
        assert_eq!(t.total, dec("1520"));
    }

    #[test]
    fn untaxed_lines_and_bills_of_supply() {
        let mut exempt = line("1", "250", "5");
        exempt.taxability = Taxability::Exempt;
        let (_, lines, t) = compute(&doc("27", "27"), &[exempt, line("1", "100", "18")]).unwrap();
        assert_eq!(lines[0].tax(), dec("0"));
        assert_eq!(lines[0].rate, dec("0"));
        assert_eq!(t.cgst, dec("9.00"));
        let bos = DocumentInput { bill_of_supply: true, ..doc("27", "27") };
        let (h, _, t) = compute(&bos, &[line("1", "100", "18")]).unwrap();
        assert_eq!((h, t.total), (Heads::None, dec("100")));
    }

    #[test]
    fn reverse_charge_is_shown_not_charged() {
        let rc = DocumentInput { reverse_charge: true, ..doc("27", "29") };
        let (_, lines, t) = compute(&rc, &[line("1", "1000.40", "18")]).unwrap();
        assert_eq!(lines[0].igst, dec("180.07"));
        assert_eq!(t.reverse_charge_tax, dec("180.07"));
        assert_eq!((t.total, t.round_off), (dec("1000"), dec("-0.40")));
    }

    #[test]
    fn bad_input_names_its_line_and_field() {
        assert!(matches!(
            compute(&doc("27", "27"), &[line("1", "1", "5"), line("0", "1", "5")]),
            Err(TaxProblem::Line(1, "quantity", _))
        ));
        assert!(matches!(
            compute(&doc("27", "27"), &[line("1", "-1", "5")]),
            Err(TaxProblem::Line(0, "unit_price", _))
        ));
        assert!(matches!(
            compute(&doc("27", "27"), &[line("1", "1", "101")]),
            Err(TaxProblem::Line(0, "gst_rate", _))
        ));
        assert!(matches!(
            compute(&doc("25", "27"), &[]),
            Err(TaxProblem::UnknownState("supplier_state", _))
        ));
        assert!(matches!(
            compute(&doc("96", "27"), &[]),
            Err(TaxProblem::UnknownState("supplier_state", _))
        ));
        assert!(matches!(
            compute(&doc("27", "00"), &[]),
            Err(TaxProblem::UnknownState("place_of_supply", _))
        ));
    }

    #[test]
    fn totals_add_up_over_many_lines() {
        let lines: Vec<LineInput> = (1..=100)
            .map(|i| line(&format!("{}", i % 7 + 1), &format!("{}.{:02}", i * 13, i % 100), "18"))
            .collect();
        let (_, taxed, t) = compute(&doc("27", "27"), &lines).unwrap();
        let sum: Decimal = taxed.iter().map(|l| l.total).sum();
        assert_eq!(rupees(sum), t.total);
        assert_eq!(sum + t.round_off, t.total);
        assert!(t.round_off.abs() <= dec("0.50"));
        assert!(taxed.iter().all(|l| l.cgst == l.sgst));
    }

    #[test]
    fn the_total_rounds_to_the_rupee_at_the_half() {
        for (price, total, round_off) in [
            ("100.50", "101", "0.50"),
            ("100.49", "100", "-0.49"),
            ("100.51", "101", "0.49"),
            ("0.50", "1", "0.50"),
            ("0.49", "0", "-0.49"),
        ] {
            let (_, _, t) = compute(&doc("27", "27"), &[line("1", price, "0")]).unwrap();
            assert_eq!((t.total, t.round_off), (dec(total), dec(round_off)), "{price}");
        }
        // 18% within the state on 2.12: 0.19 + 0.19 → 2.50 → 3.
        let (_, _, t) = compute(&doc("27", "27"), &[line("1", "2.12", "18")]).unwrap();
        assert_eq!(
            (t.cgst, t.sgst, t.total, t.round_off),
            (dec("0.19"), dec("0.19"), dec("3"), dec("0.50"))
        );
        // A hundred lines of a third of a rupee: each line is rounded to
        // the paisa, then the sum to the rupee once.
        let lines: Vec<_> = (0..100).map(|_| line("1", "0.33", "5")).collect();
        let (_, ls, t) = compute(&doc("27", "29"), &lines).unwrap();
        assert!(ls.iter().all(|l| l.igst == dec("0.02")));
        assert_eq!(t.taxable_value, dec("33.00"));
        assert_eq!(t.igst, dec("2.00"));
        assert_eq!((t.total, t.round_off), (dec("35"), dec("0.00")));
    }
}
