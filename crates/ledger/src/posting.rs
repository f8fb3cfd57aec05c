//! Double entry, pure: the journal each document, receipt and payment
//! posts, in accounts named by their role in the chart (`AccountKey`).
//! Every function returns balanced lines (debits equal credits), and a
//! reversal is the same lines with sides swapped.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tax::Totals;

/// An account by the role it plays; the company's chart maps each to one
/// of its accounts (seeded for an Indian company, editable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKey {
    /// Cash in hand.
    Cash,
    /// The main bank account.
    Bank,
    /// Sundry debtors: what customers owe.
    Debtors,
    /// Sundry creditors: what the company owes suppliers.
    Creditors,
    /// Sales.
    Sales,
    /// Purchases.
    Purchases,
    /// Output CGST payable.
    OutputCgst,
    /// Output SGST payable.
    OutputSgst,
    /// Output UTGST payable.
    OutputUtgst,
    /// Output IGST payable.
    OutputIgst,
    /// Output cess payable.
    OutputCess,
    /// Input CGST (credit).
    InputCgst,
    /// Input SGST (credit).
    InputSgst,
    /// Input UTGST (credit).
    InputUtgst,
    /// Input IGST (credit).
    InputIgst,
    /// Input cess (credit).
    InputCess,
    /// CGST payable under reverse charge.
    RcmCgst,
    /// SGST payable under reverse charge.
    RcmSgst,
    /// UTGST payable under reverse charge.
    RcmUtgst,
    /// IGST payable under reverse charge.
    RcmIgst,
    /// Cess payable under reverse charge.
    RcmCess,
    /// TDS customers deducted (claimable).
    TdsReceivable,
    /// TDS the company deducted from suppliers (to deposit).
    TdsPayable,
    /// Advances received from customers.
    CustomerAdvances,
    /// Advances paid to suppliers.
    SupplierAdvances,
    /// Rounding of documents to the rupee.
    RoundOff,
    /// The other side of opening balances.
    OpeningBalances,
    /// Owners' capital.
    Capital,
    /// Profits kept from earlier years.
    RetainedEarnings,
    /// Expenses in general.
    Expenses,
    /// Income other than sales.
    OtherIncome,
}

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The account, by role.
    pub account: AccountKey,
    /// Whether the line is the party's (debtors, creditors, advances).
    pub party: bool,
    /// Debit (≥ 0).
    pub debit: Decimal,
    /// Credit (≥ 0).
    pub credit: Decimal,
}

fn dr(account: AccountKey, amount: Decimal, party: bool) -> Line {
    Line { account, party, debit: amount, credit: Decimal::ZERO }
}

fn cr(account: AccountKey, amount: Decimal, party: bool) -> Line {
    Line { account, party, debit: Decimal::ZERO, credit: amount }
}

/// Lines without zero amounts, and negative amounts moved to the other side.
fn tidy(lines: Vec<Line>) -> Vec<Line> {
    lines
        .into_iter()
        .filter_map(|l| {
            let net = l.debit - l.credit;
            if net.is_zero() {
                None
            } else if net > Decimal::ZERO {
                Some(Line { debit: net, credit: Decimal::ZERO, ..l })
            } else {
                Some(Line { debit: Decimal::ZERO, credit: -net, ..l })
            }
        })
        .collect()
}

/// Whether debits equal credits.
pub fn balanced(lines: &[Line]) -> bool {
    let d: Decimal = lines.iter().map(|l| l.debit).sum();
    let c: Decimal = lines.iter().map(|l| l.credit).sum();
    d == c
}

/// The same lines with debit and credit swapped (cancellations).
pub fn reversed(lines: &[Line]) -> Vec<Line> {
    lines.iter().map(|l| Line { debit: l.credit, credit: l.debit, ..l.clone() }).collect()
}

/// A sale (tax invoice, bill of supply, debit note): the customer owes the
/// total; sales and the output taxes (unless the recipient pays them under
/// reverse charge) are credited.
pub fn sale(t: &Totals, reverse_charge: bool) -> Vec<Line> {
    let mut v =
        vec![dr(AccountKey::Debtors, t.total, true), cr(AccountKey::Sales, t.taxable_value, false)];
    if !reverse_charge {
        v.extend([
            cr(AccountKey::OutputCgst, t.cgst, false),
            cr(AccountKey::OutputSgst, t.sgst, false),
            cr(AccountKey::OutputUtgst, t.utgst, false),
            cr(AccountKey::OutputIgst, t.igst, false),
            cr(AccountKey::OutputCess, t.cess, false),
        ]);
    }
    v.push(cr(AccountKey::RoundOff, t.round_off, false));
    tidy(v)
}

/// A credit note: a sale taken back.
pub fn sale_return(t: &Totals, reverse_charge: bool) -> Vec<Line> {
    reversed(&sale(t, reverse_charge))
}

/// A purchase bill: the supplier is owed the total; purchases and the
/// input tax credit are debited. Under reverse charge the company owes the
/// tax to the government instead of the supplier, and takes the credit.
pub fn purchase(t: &Totals, reverse_charge: bool) -> Vec<Line> {
    let mut v = vec![
        cr(AccountKey::Creditors, t.total, true),
        dr(AccountKey::Purchases, t.taxable_value, false),
        dr(AccountKey::InputCgst, t.cgst, false),
        dr(AccountKey::InputSgst, t.sgst, false),
        dr(AccountKey::InputUtgst, t.utgst, false),
        dr(AccountKey::InputIgst, t.igst, false),
        dr(AccountKey::InputCess, t.cess, false),
    ];
    if reverse_charge {
        v.extend([
            cr(AccountKey::RcmCgst, t.cgst, false),
            cr(AccountKey::RcmSgst, t.sgst, false),
            cr(AccountKey::RcmUtgst, t.utgst, false),
            cr(AccountKey::RcmIgst, t.igst, false),
            cr(AccountKey::RcmCess, t.cess, false),
        ]);
    }
    v.push(dr(AccountKey::RoundOff, t.round_off, false));
    tidy(v)
}

/// A receipt: `amount` into `account` (bank or cash), `tds` deducted by
/// the customer, `allocated` settling documents and the rest an advance.
pub fn receipt(
    account: AccountKey,
    amount: Decimal,
    tds: Decimal,
    allocated: Decimal,
) -> Vec<Line> {
    tidy(vec![
        dr(account, amount, false),
        dr(AccountKey::TdsReceivable, tds, false),
        cr(AccountKey::Debtors, allocated, true),
        cr(AccountKey::CustomerAdvances, amount + tds - allocated, true),
    ])
}

/// A payment to a supplier: `amount` out of `account`, `tds` the company
/// deducted (to deposit), `allocated` settling bills and the rest an
/// advance.
pub fn payment(
    account: AccountKey,
    amount: Decimal,
    tds: Decimal,
    allocated: Decimal,
) -> Vec<Line> {
    tidy(vec![
        cr(account, amount, false),
        cr(AccountKey::TdsPayable, tds, false),
        dr(AccountKey::Creditors, allocated, true),
        dr(AccountKey::SupplierAdvances, amount + tds - allocated, true),
    ])
}

/// An advance applied to documents later (`customer`: a customer's to
/// sales documents, else a supplier's to bills).
pub fn apply_advance(customer: bool, amount: Decimal) -> Vec<Line> {
    if customer {
        tidy(vec![
            dr(AccountKey::CustomerAdvances, amount, true),
            cr(AccountKey::Debtors, amount, true),
        ])
    } else {
        tidy(vec![
            cr(AccountKey::SupplierAdvances, amount, true),
            dr(AccountKey::Creditors, amount, true),
        ])
    }
}

/// A party's opening balance: positive when the party owes the company
/// (a customer's receivable), negative when the company owes it.
pub fn opening_balance(customer: bool, amount: Decimal) -> Vec<Line> {
    let account = if customer { AccountKey::Debtors } else { AccountKey::Creditors };
    tidy(vec![
        Line { account, party: true, debit: amount, credit: Decimal::ZERO },
        Line {
            account: AccountKey::OpeningBalances,
            party: false,
            debit: Decimal::ZERO,
            credit: amount,
        },
    ])
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::tax::{self, DocumentInput, LineInput, SupplyType, Taxability};

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn totals(from: &str, pos: &str, price: &str, reverse: bool) -> Totals {
        let doc = DocumentInput {
            supplier_state: from,
            place_of_supply: pos,
            supply_type: SupplyType::Regular,
            reverse_charge: reverse,
            bill_of_supply: false,
        };
        let line = LineInput {
            quantity: dec("1"),
            unit_price: dec(price),
            discount: Decimal::ZERO,
            rate: dec("18"),
            cess_rate: dec("0"),
            price_includes_tax: false,
            taxability: Taxability::Taxable,
        };
        tax::compute(&doc, &[line]).unwrap().2
    }

    fn amount(lines: &[Line], key: AccountKey) -> Decimal {
        lines.iter().filter(|l| l.account == key).map(|l| l.debit - l.credit).sum()
    }

    #[test]
    fn a_sale_credits_sales_and_output_tax() {
        let t = totals("27", "27", "999.99", false);
        let j = sale(&t, false);
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Debtors), dec("1180"));
        assert_eq!(amount(&j, AccountKey::Sales), dec("-999.99"));
        assert_eq!(amount(&j, AccountKey::OutputCgst), dec("-90.00"));
        assert_eq!(amount(&j, AccountKey::OutputSgst), dec("-90.00"));
        assert_eq!(amount(&j, AccountKey::RoundOff), dec("-0.01"));
        assert!(j.iter().all(|l| l.debit >= Decimal::ZERO && l.credit >= Decimal::ZERO));
        assert!(!j.iter().any(|l| l.account == AccountKey::OutputIgst), "zero lines are dropped");
    }

    #[test]
    fn a_credit_note_reverses_a_sale() {
        let t = totals("27", "29", "500", false);
        let j = sale_return(&t, false);
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Debtors), dec("-590"));
        assert_eq!(amount(&j, AccountKey::OutputIgst), dec("90.00"));
    }

    #[test]
    fn reverse_charge_sales_leave_tax_to_the_recipient() {
        let t = totals("27", "27", "1000", true);
        let j = sale(&t, true);
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Debtors), dec("1000"));
        assert_eq!(amount(&j, AccountKey::OutputCgst), dec("0"));
    }

    #[test]
    fn purchases_take_input_credit() {
        let t = totals("29", "27", "1000", false);
        let j = purchase(&t, false);
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Creditors), dec("-1180"));
        assert_eq!(amount(&j, AccountKey::InputIgst), dec("180.00"));
        // Under reverse charge the supplier is owed the value only, and the
        // tax is owed to the government.
        let t = totals("29", "27", "1000", true);
        let j = purchase(&t, true);
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Creditors), dec("-1000"));
        assert_eq!(amount(&j, AccountKey::InputIgst), dec("180.00"));
        assert_eq!(amount(&j, AccountKey::RcmIgst), dec("-180.00"));
    }

    #[test]
    fn receipts_with_tds_and_advances() {
        // ₹9,800 received, ₹200 TDS, ₹9,000 settles invoices: ₹1,000 advance.
        let j = receipt(AccountKey::Bank, dec("9800"), dec("200"), dec("9000"));
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Bank), dec("9800"));
        assert_eq!(amount(&j, AccountKey::TdsReceivable), dec("200"));
        assert_eq!(amount(&j, AccountKey::Debtors), dec("-9000"));
        assert_eq!(amount(&j, AccountKey::CustomerAdvances), dec("-1000"));
        let j = payment(AccountKey::Cash, dec("4900"), dec("100"), dec("5000"));
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Creditors), dec("5000"));
        assert_eq!(amount(&j, AccountKey::TdsPayable), dec("-100"));
        assert!(!j.iter().any(|l| l.account == AccountKey::SupplierAdvances));
    }

    #[test]
    fn advances_applied_and_openings() {
        let j = apply_advance(true, dec("1000"));
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Debtors), dec("-1000"));
        let j = opening_balance(true, dec("2500"));
        assert_eq!(amount(&j, AccountKey::Debtors), dec("2500"));
        let j = opening_balance(false, dec("-700"));
        assert!(balanced(&j));
        assert_eq!(amount(&j, AccountKey::Creditors), dec("-700"));
        assert_eq!(amount(&j, AccountKey::OpeningBalances), dec("700"));
        assert_eq!(reversed(&j).len(), j.len());
        assert!(balanced(&reversed(&j)));
    }

    /// Every journal of every kind balances, over thousands of random
    /// documents (states, supply types, reverse charge, inclusive prices,
    /// discounts, cess, many lines) and payments.
    #[test]
    fn every_posting_balances_over_random_documents() {
        struct Rng(u64);
        impl Rng {
            fn next(&mut self) -> u64 {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0
            }
            fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
                from[(self.next() % from.len() as u64) as usize]
            }
            fn money(&mut self, max_paise: u64) -> Decimal {
                Decimal::new((self.next() % max_paise) as i64, 2)
            }
        }
        let mut r = Rng(0x2545_f491_4f6c_dd1d);
        let states = ["27", "29", "04", "07", "26", "38", "97", "96"];
        let rates = ["0", "0.25", "3", "5", "12", "18", "28", "40"];
        let supplies = [
            SupplyType::Regular,
            SupplyType::ExportWithTax,
            SupplyType::ExportWithoutTax,
            SupplyType::SezWithTax,
            SupplyType::SezWithoutTax,
        ];
        let mut checked = 0;
        for _ in 0..3000 {
            let supply = supplies[(r.next() % supplies.len() as u64) as usize];
            let pos = if matches!(supply, SupplyType::ExportWithTax | SupplyType::ExportWithoutTax)
            {
                "96"
            } else {
                r.pick(&states[..7])
            };
            let reverse = r.next().is_multiple_of(5) && supply == SupplyType::Regular;
            let doc = DocumentInput {
                supplier_state: r.pick(&states[..7]),
                place_of_supply: pos,
                supply_type: supply,
                reverse_charge: reverse,
                bill_of_supply: r.next().is_multiple_of(10),
            };
            let n = 1 + r.next() % 40;
            let lines: Vec<LineInput> = (0..n)
                .map(|_| {
                    let unit_price = r.money(10_000_000);
                    let quantity = Decimal::new(1 + (r.next() % 5000) as i64, 3);
                    let gross = (unit_price * quantity).round_dp(2);
                    LineInput {
                        quantity,
                        unit_price,
                        discount: if r.next().is_multiple_of(3) {
                            (gross / Decimal::TWO).round_dp(2)
                        } else {
                            Decimal::ZERO
                        },
                        rate: Decimal::from_str(r.pick(&rates)).unwrap(),
                        cess_rate: if r.next().is_multiple_of(7) {
                            dec("12")
                        } else {
                            Decimal::ZERO
                        },
                        price_includes_tax: r.next().is_multiple_of(4),
                        taxability: match r.next() % 12 {
                            0 => Taxability::Exempt,
                            1 => Taxability::NilRated,
                            2 => Taxability::NonGst,
                            _ => Taxability::Taxable,
                        },
                    }
                })
                .collect();
            let Ok((_, _, t)) = tax::compute(&doc, &lines) else { continue };
            assert!(t.round_off.abs() <= dec("0.50"), "{t:?}");
            assert_eq!(t.total, t.total.round(), "{t:?}");
            for (what, j) in [
                ("sale", sale(&t, reverse)),
                ("sale return", sale_return(&t, reverse)),
                ("purchase", purchase(&t, reverse)),
            ] {
                assert!(balanced(&j), "{what} does not balance: {t:?} {j:?}");
                assert!(j.iter().all(|l| l.debit >= Decimal::ZERO && l.credit >= Decimal::ZERO));
            }
            let amount = r.money(100_000_000);
            let tds = r.money(1_000_000);
            let allocated = ((amount + tds) * Decimal::new((r.next() % 101) as i64, 2)).round_dp(2);
            for j in [
                receipt(AccountKey::Bank, amount, tds, allocated),
                payment(AccountKey::Cash, amount, tds, allocated),
                apply_advance(r.next().is_multiple_of(2), amount),
                opening_balance(r.next().is_multiple_of(2), amount - dec("500000")),
            ] {
                assert!(balanced(&j), "{j:?}");
            }
            checked += 1;
        }
        assert!(checked > 2500, "only {checked} documents could be taxed");
    }
}
