//! India's codes, pure: GST state codes (and which territories levy UTGST),
//! unit quantity codes, PAN, HSN/SAC, financial years and document
//! numbers. Every rule here is a function with tests; nothing reads a
//! database.

use chrono::{Datelike, NaiveDate};

/// A place of supply: a GST state code (identity's list of states and
/// territories), or `96` outside India.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// Two digits, as in a GSTIN and as a place of supply.
    pub code: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Levies UTGST instead of SGST: the union territories without a
    /// legislature (CGST Act s.2(114): Chandigarh, Dadra and Nagar Haveli
    /// and Daman and Diu, Lakshadweep, Andaman and Nicobar, Ladakh, other
    /// territory). Delhi, Puducherry and Jammu and Kashmir levy SGST.
    pub utgst: bool,
}

/// Territories that levy UTGST.
const UTGST_CODES: [&str; 6] = ["04", "26", "31", "35", "38", "97"];

/// The place of supply of an export.
pub const OUTSIDE_INDIA: &str = "96";

/// A state (or `96`) by its two-digit code.
pub fn state(code: &str) -> Option<State> {
    if code == OUTSIDE_INDIA {
        return Some(State { code: OUTSIDE_INDIA, name: "Outside India", utgst: false });
    }
    identity::model::GST_STATES.iter().find(|(c, _)| *c == code).map(|(c, name)| State {
        code: c,
        name,
        utgst: UTGST_CODES.contains(c),
    })
}

/// Unit quantity codes accepted on invoices and returns (the e-invoice
/// master, with `BOX` and `GGR` that GSTR-1 also takes).
pub const UQC: &[(&str, &str)] = &[
    ("BAG", "Bags"),
    ("BAL", "Bale"),
    ("BDL", "Bundles"),
    ("BKL", "Buckles"),
    ("BOU", "Billions of units"),
    ("BOX", "Box"),
    ("BTL", "Bottles"),
    ("BUN", "Bunches"),
    ("CAN", "Cans"),
    ("CBM", "Cubic metres"),
    ("CCM", "Cubic centimetres"),
    ("CMS", "Centimetres"),
    ("CTN", "Cartons"),
    ("DOZ", "Dozens"),
    ("DRM", "Drums"),
    ("GGK", "Great gross"),
    ("GGR", "Great gross"),
    ("GMS", "Grams"),
    ("GRS", "Gross"),
    ("GYD", "Gross yards"),
    ("KGS", "Kilograms"),
    ("KLR", "Kilolitres"),
    ("KME", "Kilometres"),
    ("LTR", "Litres"),
    ("MLT", "Millilitres"),
    ("MTR", "Metres"),
    ("MTS", "Metric tons"),
    ("NOS", "Numbers"),
    ("OTH", "Others"),
    ("PAC", "Packs"),
    ("PCS", "Pieces"),
    ("PRS", "Pairs"),
    ("QTL", "Quintals"),
    ("ROL", "Rolls"),
    ("SET", "Sets"),
    ("SQF", "Square feet"),
    ("SQM", "Square metres"),
    ("SQY", "Square yards"),
    ("TBS", "Tablets"),
    ("TGM", "Ten gross"),
    ("THD", "Thousands"),
    ("TON", "Tonnes"),
    ("TUB", "Tubes"),
    ("UGS", "US gallons"),
    ("UNT", "Units"),
    ("YDS", "Yards"),
];

/// Whether `code` is a unit quantity code.
pub fn is_uqc(code: &str) -> bool {
    UQC.iter().any(|(c, _)| *c == code)
}

/// A PAN's shape: five letters, four digits, a letter; the fourth letter
/// is the holder's kind (P person, C company, H HUF, F firm, A AOP, T
/// trust, B BOI, L local authority, J artificial juridical person, G
/// government).
pub fn pan_problem(pan: &str) -> Option<&'static str> {
    let b = pan.as_bytes();
    if b.len() != 10
        || !b[..5].iter().all(u8::is_ascii_uppercase)
        || !b[5..9].iter().all(u8::is_ascii_digit)
        || !b[9].is_ascii_uppercase()
    {
        return Some("is not a PAN (five letters, four digits, a letter)");
    }
    if !b"PCHFATBLJG".contains(&b[3]) {
        return Some("has an unknown holder type in its fourth letter");
    }
    None
}

/// Whether a PAN belongs to an individual (194C's 1% rate).
pub fn pan_is_individual_or_huf(pan: &str) -> bool {
    matches!(pan.as_bytes().get(3), Some(b'P' | b'H'))
}

/// HSN (goods: 4, 6 or 8 digits, never starting 99) or SAC (services: 6
/// digits starting 99), or what is wrong with it.
pub fn hsn_problem(code: &str, service: bool) -> Option<&'static str> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Some("must be digits only");
    }
    if service {
        if code.len() != 6 || !code.starts_with("99") {
            return Some("a SAC is 6 digits starting with 99");
        }
    } else {
        if code.starts_with("99") {
            return Some("codes starting with 99 are SAC (services); goods take an HSN");
        }
        if !(4..=8).contains(&code.len()) {
            return Some("an HSN is 4 to 8 digits");
        }
    }
    None
}

/// A day before any book this ledger keeps: the opening of "all time"
/// in a balance sheet (PostgreSQL's dates do not reach chrono's minimum).
pub const BEGINNING: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!(),
};

/// The financial year (April–March) a date falls in, as its first
/// calendar year.
pub fn financial_year(d: NaiveDate) -> i32 {
    if d.month() >= 4 { d.year() } else { d.year() - 1 }
}

/// `2025-26` for the year starting in April 2025.
pub fn fy_label(start_year: i32) -> String {
    format!("{start_year}-{:02}", (start_year + 1) % 100)
}

/// The first and last day of a financial year.
pub fn fy_bounds(start_year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(start_year, 4, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(start_year + 1, 3, 31).unwrap_or_default(),
    )
}

/// What is wrong with a document number under rule 46 and the e-invoice
/// schema: at most 16 characters of `A–Z a–z 0–9 / -`, not starting with
/// `0`, `/` or `-`.
pub fn document_number_problem(n: &str) -> Option<String> {
    if n.is_empty() {
        return Some("is empty".into());
    }
    if n.chars().count() > 16 {
        return Some(format!("`{n}` is longer than 16 characters"));
    }
    if let Some(c) = n.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '/' || *c == '-')) {
        return Some(format!("`{n}` holds `{c}`; only letters, digits, / and - are allowed"));
    }
    if n.starts_with(['0', '/', '-']) {
        return Some(format!("`{n}` may not start with 0, / or -"));
    }
    None
}

/// A numbering series' template: `{FY}` is the financial year as `25-26`,
/// `{FYYY}` as `2025-26`, `{SEQ}` the number, zero-padded to `width`.
/// Returns the number, or why it cannot be one.
pub fn format_number(
    template: &str,
    fy_start: i32,
    seq: u64,
    width: usize,
) -> Result<String, String> {
    if !template.contains("{SEQ}") {
        return Err("must contain {SEQ}".into());
    }
    let short = format!("{:02}-{:02}", fy_start % 100, (fy_start + 1) % 100);
    let n = template
        .replace("{FYYY}", &fy_label(fy_start))
        .replace("{FY}", &short)
        .replace("{SEQ}", &format!("{seq:0width$}"));
    match document_number_problem(&n) {
        Some(p) => Err(p),
        None => Ok(n),
    }
}

/// An amount in words in the Indian numbering system, as a tax invoice
/// states it: "Rupees One Lakh Eighteen Thousand and Fifty Paise Only".
pub fn amount_in_words(amount: rust_decimal::Decimal) -> String {
    use rust_decimal::prelude::ToPrimitive;
    let amount = amount.abs().round_dp(2);
    let rupees = amount.trunc().to_u64().unwrap_or(0);
    let paise =
        ((amount - amount.trunc()) * rust_decimal::Decimal::ONE_HUNDRED).to_u64().unwrap_or(0);
    let mut out = format!("Rupees {}", indian_words(rupees));
    if paise > 0 {
        out.push_str(&format!(" and {} Paise", indian_words(paise)));
    }
    out.push_str(" Only");
    out
}

/// A whole number in words, grouped in crores, lakhs, thousands and hundreds.
pub fn indian_words(n: u64) -> String {
    const ONES: [&str; 20] = [
        "Zero",
        "One",
        "Two",
        "Three",
        "Four",
        "Five",
        "Six",
        "Seven",
        "Eight",
        "Nine",
        "Ten",
        "Eleven",
        "Twelve",
        "Thirteen",
        "Fourteen",
        "Fifteen",
        "Sixteen",
        "Seventeen",
        "Eighteen",
        "Nineteen",
    ];
    const TENS: [&str; 10] =
        ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"];
    fn below_hundred(n: u64) -> String {
        if n < 20 {
            ONES[n as usize].to_string()
        } else if n.is_multiple_of(10) {
            TENS[(n / 10) as usize].to_string()
        } else {
            format!("{} {}", TENS[(n / 10) as usize], ONES[(n % 10) as usize])
        }
    }
    fn below_thousand(n: u64) -> String {
        match (n / 100, n % 100) {
            (0, r) => below_hundred(r),
            (h, 0) => format!("{} Hundred", ONES[h as usize]),
            (h, r) => format!("{} Hundred {}", ONES[h as usize], below_hundred(r)),
        }
    }
    if n == 0 {
        return "Zero".to_string();
    }
    let mut parts = Vec::new();
    let crores = n / 10_000_000;
    if crores > 0 {
        // Beyond 99 crore the crores are themselves counted in words.
        parts.push(format!("{} Crore", indian_words(crores)));
    }
    let rest = n % 10_000_000;
    for (unit, name) in [(100_000, "Lakh"), (1_000, "Thousand")] {
        let k = (rest / unit) % 100;
        if k > 0 {
            parts.push(format!("{} {name}", below_hundred(k)));
        }
    }
    if !rest.is_multiple_of(1000) {
        parts.push(below_thousand(rest % 1000));
    }
    parts.join(" ")
}

/// Rupees with two decimals in Indian digit grouping: `1,18,000.00`.
pub fn format_inr(amount: rust_decimal::Decimal) -> String {
    let a = amount.round_dp(2);
    let neg = a.is_sign_negative() && !a.is_zero();
    let s = format!("{:.2}", a.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut groups = Vec::new();
    let (head, last3) = if int.len() > 3 { int.split_at(int.len() - 3) } else { ("", int) };
    let mut h = head;
    while h.len() > 2 {
        let (a, b) = h.split_at(h.len() - 2);
        groups.push(b);
        h = a;
    }
    if !h.is_empty() {
        groups.push(h);
    }
    groups.reverse();
    groups.push(last3);
    format!("{}{}.{frac}", if neg { "-" } else { "" }, groups.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn union_territories_without_legislature_levy_utgst() {
        for code in ["04", "26", "31", "35", "38", "97"] {
            assert!(state(code).unwrap().utgst, "{code}");
        }
        for code in ["01", "07", "34", "27", "29"] {
            assert!(!state(code).unwrap().utgst, "{code}");
        }
        assert!(state("25").is_none(), "Daman and Diu merged into 26");
        assert!(state("99").is_none());
    }

    #[test]
    fn pans() {
        assert_eq!(pan_problem("AAPFU0939F"), None);
        assert!(pan_problem("AAPXU0939F").unwrap().contains("holder type"));
        assert!(pan_problem("AAPF0939F").is_some());
        assert!(pan_problem("aapfu0939f").is_some());
        assert!(pan_is_individual_or_huf("ABCPE1234F"));
        assert!(!pan_is_individual_or_huf("AAPFU0939F"));
    }

    #[test]
    fn hsn_and_sac() {
        assert_eq!(hsn_problem("8517", false), None);
        assert_eq!(hsn_problem("85171300", false), None);
        assert!(hsn_problem("851", false).is_some());
        assert!(hsn_problem("851713001", false).is_some());
        assert!(hsn_problem("998313", false).unwrap().contains("SAC"));
        assert_eq!(hsn_problem("998313", true), None);
        assert!(hsn_problem("8517", true).is_some());
        assert!(hsn_problem("99831", true).is_some());
        assert!(hsn_problem("85A7", false).is_some());
    }

    #[test]
    fn financial_years_run_april_to_march() {
        assert_eq!(financial_year(d("2025-04-01")), 2025);
        assert_eq!(financial_year(d("2026-03-31")), 2025);
        assert_eq!(financial_year(d("2026-01-15")), 2025);
        assert_eq!(fy_label(2025), "2025-26");
        assert_eq!(fy_label(2099), "2099-00");
        assert_eq!(fy_bounds(2025), (d("2025-04-01"), d("2026-03-31")));
    }

    #[test]
    fn document_numbers_follow_rule_46() {
        assert_eq!(document_number_problem("INV/25-26/0001"), None);
        assert!(document_number_problem("INV/2025-26/00001").unwrap().contains("16"));
        assert!(document_number_problem("0001").unwrap().contains("start"));
        assert!(document_number_problem("/A1").is_some());
        assert!(document_number_problem("-A1").is_some());
        assert!(document_number_problem("INV_1").unwrap().contains("`_`"));
        assert!(document_number_problem("INV 1").is_some());
        assert!(document_number_problem("").is_some());
        assert_eq!(document_number_problem("A1234567890123/-"), None);
    }

    #[test]
    fn numbers_from_templates() {
        assert_eq!(format_number("INV/{FY}/{SEQ}", 2025, 7, 4).unwrap(), "INV/25-26/0007");
        assert_eq!(format_number("{FYYY}/{SEQ}", 2025, 12, 3).unwrap(), "2025-26/012");
        assert_eq!(format_number("CN-{SEQ}", 2025, 123456, 4).unwrap(), "CN-123456");
        assert!(format_number("{SEQ}", 2025, 1, 4).unwrap_err().contains("start"));
        assert!(format_number("INVOICE/{FYYY}/{SEQ}", 2025, 1, 5).unwrap_err().contains("16"));
        assert!(format_number("INV", 2025, 1, 4).unwrap_err().contains("{SEQ}"));
    }

    #[test]
    fn amounts_are_written_in_the_indian_system() {
        use std::str::FromStr;
        let d = |s: &str| rust_decimal::Decimal::from_str(s).unwrap();
        assert_eq!(indian_words(0), "Zero");
        assert_eq!(indian_words(15), "Fifteen");
        assert_eq!(indian_words(40), "Forty");
        assert_eq!(indian_words(101), "One Hundred One");
        assert_eq!(indian_words(1_000), "One Thousand");
        assert_eq!(indian_words(118_000), "One Lakh Eighteen Thousand");
        assert_eq!(indian_words(10_000_000), "One Crore");
        assert_eq!(
            indian_words(123_456_789),
            "Twelve Crore Thirty Four Lakh Fifty Six Thousand Seven Hundred Eighty Nine"
        );
        assert_eq!(indian_words(1_000_000_000_000), "One Lakh Crore");
        assert_eq!(amount_in_words(d("118000")), "Rupees One Lakh Eighteen Thousand Only");
        assert_eq!(
            amount_in_words(d("1180.50")),
            "Rupees One Thousand One Hundred Eighty and Fifty Paise Only"
        );
        assert_eq!(amount_in_words(d("0.05")), "Rupees Zero and Five Paise Only");
    }

    #[test]
    fn rupees_are_grouped_in_lakhs_and_crores() {
        use std::str::FromStr;
        let f = |s: &str| format_inr(rust_decimal::Decimal::from_str(s).unwrap());
        assert_eq!(f("0"), "0.00");
        assert_eq!(f("999"), "999.00");
        assert_eq!(f("1000"), "1,000.00");
        assert_eq!(f("118000"), "1,18,000.00");
        assert_eq!(f("12345678.5"), "1,23,45,678.50");
        assert_eq!(f("-1180.456"), "-1,180.46");
    }
}
