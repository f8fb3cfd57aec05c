//! Invoice questions in plain words ("unpaid invoices of Sharma Traders
//! above 50,000 from October") read into filters by rules: status words,
//! amounts (with lakh, crore and thousand), months, relative periods and
//! the party's name. What the rules do not understand is returned, so the
//! caller can say so instead of guessing.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// The filters a question was read into.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Parsed {
    /// Statuses asked for (none: any).
    pub statuses: Vec<&'static str>,
    /// From this day.
    pub from: Option<NaiveDate>,
    /// Up to this day.
    pub to: Option<NaiveDate>,
    /// Total at least.
    #[schema(value_type = Option<String>)]
    pub min_total: Option<Decimal>,
    /// Total at most.
    #[schema(value_type = Option<String>)]
    pub max_total: Option<Decimal>,
    /// The party's name as written (matched against the company's parties).
    pub party: Option<String>,
    /// A document number asked for.
    pub number: Option<String>,
    /// Words the rules did not use.
    pub unparsed: Vec<String>,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_of(w: &str) -> Option<u32> {
    let w = w.trim_end_matches(['.', ',']);
    if w.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(w)).map(|i| i as u32 + 1)
}

fn month_bounds(year: i32, month: u32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or_default();
    (first, next - Duration::days(1))
}

/// The most recent such month not after today (or of `year`).
fn recent_month(today: NaiveDate, month: u32, year: Option<i32>) -> (NaiveDate, NaiveDate) {
    let y = year.unwrap_or(if month <= today.month() { today.year() } else { today.year() - 1 });
    month_bounds(y, month)
}

/// `50,000`, `50k`, `1.5 lakh`, `2 crore`, `₹75000`, `rs. 500` — and how many
/// words it took.
fn amount_at(words: &[String], i: usize) -> Option<(Decimal, usize)> {
    let w = words.get(i)?;
    let raw: String = w
        .trim_start_matches('₹')
        .trim_start_matches("rs.")
        .trim_start_matches("rs")
        .trim_start_matches("inr")
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (num, suffix) = match raw.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(p) => raw.split_at(p),
        None => (raw.as_str(), ""),
    };
    if num.is_empty() {
        // "rs 500": the number is the next word.
        if ["rs", "rs.", "₹", "inr"].contains(&w.as_str()) {
            return amount_at(words, i + 1).map(|(a, n)| (a, n + 1));
        }
        return None;
    }
    let mut value: Decimal = num.parse().ok()?;
    let mut used = 1;
    let unit =
        if suffix.is_empty() { words.get(i + 1).map(String::as_str).unwrap_or("") } else { suffix };
    let factor = match unit {
        "k" | "thousand" | "thousands" => Some(1_000),
        "l" | "lakh" | "lakhs" | "lac" | "lacs" => Some(100_000),
        "cr" | "crore" | "crores" => Some(10_000_000),
        "m" | "million" => Some(1_000_000),
        _ => None,
    };
    if let Some(f) = factor {
        value *= Decimal::from(f);
        if suffix.is_empty() {
            used += 1;
        }
    } else if !suffix.is_empty() {
        return None;
    }
    Some((value, used))
}

const STOP: &[&str] = &[
    "above", "over", "below", "under", "more", "less", "greater", "between", "from", "since", "in",
    "during", "before", "after", "until", "till", "this", "last", "that", "which", "with", "worth",
    "issued", "dated", "due", "and", "amount", "total", "of", "for", "to", "by",
];

/// Reads `question` as of `today`.
pub fn parse(question: &str, today: NaiveDate) -> Parsed {
    let lower = question.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| c.is_whitespace() || c == '?' || c == '!' || c == ';')
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.trim_matches(|c: char| c == '"' || c == '\'' || c == '(' || c == ')').to_string()
        })
        .filter(|w| !w.is_empty())
        .collect();
    // The original spelling, for the party's name.
    let original: Vec<&str> = question
        .split(|c: char| c.is_whitespace() || c == '?' || c == '!' || c == ';')
        .filter(|w| {
            !w.trim_matches(|c: char| c == '"' || c == '\'' || c == '(' || c == ')').is_empty()
        })
        .collect();
    let mut p = Parsed::default();
    let mut used = vec![false; words.len()];
    let mut i = 0;
    let mark = |used: &mut Vec<bool>, from: usize, n: usize| {
        for u in used.iter_mut().skip(from).take(n) {
            *u = true;
        }
    };
    while i < words.len() {
        let w = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        match w {
            "show" | "me" | "all" | "the" | "list" | "find" | "my" | "our" | "any" | "please"
            | "invoice" | "invoices" | "bill" | "bills" | "which" | "are" | "is" | "were"
            | "was" | "a" | "an" | "get" => {
                used[i] = true;
            }
            "unpaid" | "outstanding" | "open" | "pending" | "receivable" | "receivables" => {
                p.statuses = vec!["issued", "partially_paid", "overdue"];
                used[i] = true;
            }
            "overdue" | "late" => {
                p.statuses = vec!["overdue"];
                used[i] = true;
            }
            "paid" | "settled" => {
                if p.statuses.is_empty() {
                    p.statuses = vec!["paid"];
                }
                used[i] = true;
            }
            "partially" | "partly" | "part" if next == "paid" => {
                p.statuses = vec!["partially_paid"];
                mark(&mut used, i, 2);
                i += 1;
            }
            "draft" | "drafts" => {
                p.statuses = vec!["draft"];
                used[i] = true;
            }
            "cancelled" | "canceled" | "void" => {
                p.statuses = vec!["cancelled"];
                used[i] = true;
            }
            "above" | "over" | "exceeding" | ">" | ">=" => {
                if let Some((a, n)) = amount_at(&words, i + 1) {
                    p.min_total = Some(a);
                    mark(&mut used, i, n + 1);
                    i += n;
                }
            }
            "below" | "under" | "<" | "<=" => {
                if let Some((a, n)) = amount_at(&words, i + 1) {
                    p.max_total = Some(a);
                    mark(&mut used, i, n + 1);
                    i += n;
                }
            }
            "more" | "greater" | "less" | "fewer" if next == "than" => {
                if let Some((a, n)) = amount_at(&words, i + 2) {
                    if w == "less" || w == "fewer" {
                        p.max_total = Some(a);
                    } else {
                        p.min_total = Some(a);
                    }
                    mark(&mut used, i, n + 2);
                    i += n + 1;
                }
            }
            "between" => {
                if let Some((a, n)) = amount_at(&words, i + 1)
                    && words.get(i + 1 + n).map(String::as_str) == Some("and")
                    && let Some((b, m)) = amount_at(&words, i + 2 + n)
                {
                    p.min_total = Some(a.min(b));
                    p.max_total = Some(a.max(b));
                    mark(&mut used, i, n + m + 2);
                    i += n + m + 1;
                }
            }
            "today" => {
                (p.from, p.to) = (Some(today), Some(today));
                used[i] = true;
            }
            "yesterday" => {
                let y = today - Duration::days(1);
                (p.from, p.to) = (Some(y), Some(y));
                used[i] = true;
            }
            "this" | "last" | "previous" => {
                let this = w == "this";
                let n_days = next.parse::<i64>().ok();
                match (next, n_days) {
                    (_, Some(n))
                        if matches!(words.get(i + 2).map(String::as_str), Some("days" | "day")) =>
                    {
                        (p.from, p.to) = (Some(today - Duration::days(n)), Some(today));
                        mark(&mut used, i, 3);
                        i += 2;
                    }
                    ("month", _) => {
                        let (y, m) = if this {
                            (today.year(), today.month())
                        } else if today.month() == 1 {
                            (today.year() - 1, 12)
                        } else {
                            (today.year(), today.month() - 1)
                        };
                        let (a, b) = month_bounds(y, m);
                        (p.from, p.to) = (Some(a), Some(b));
                        mark(&mut used, i, 2);
                        i += 1;
                    }
                    ("year" | "fy", _) | ("financial", _) => {
                        let fy = crate::india::financial_year(today) - if this { 0 } else { 1 };
                        let (a, b) = crate::india::fy_bounds(fy);
                        (p.from, p.to) = (Some(a), Some(b));
                        let n = if next == "financial" { 3 } else { 2 };
                        mark(&mut used, i, n);
                        i += n - 1;
                    }
                    ("week", _) => {
                        let start = today
                            - Duration::days(i64::from(today.weekday().num_days_from_monday()));
                        let (a, b) = if this {
                            (start, today)
                        } else {
                            (start - Duration::days(7), start - Duration::days(1))
                        };
                        (p.from, p.to) = (Some(a), Some(b));
                        mark(&mut used, i, 2);
                        i += 1;
                    }
                    _ => {}
                }
            }
            "from" | "since" | "after" | "in" | "during" | "before" | "until" | "till" | "of"
            | "for" | "to" | "by" => {
                // A month (with a year perhaps), a date, or a party's name.
                let month = month_of(next);
                let year = words
                    .get(i + 2)
                    .and_then(|y| y.parse::<i32>().ok())
                    .filter(|y| (1900..=2999).contains(y));
                if let Some(m) = month {
                    let (a, b) = recent_month(today, m, year);
                    match w {
                        "from" | "since" => p.from = Some(a),
                        "after" => p.from = Some(b + Duration::days(1)),
                        "before" => p.to = Some(a - Duration::days(1)),
                        "until" | "till" | "to" => p.to = Some(b),
                        _ => (p.from, p.to) = (Some(a), Some(b)),
                    }
                    let n = if year.is_some() { 3 } else { 2 };
                    mark(&mut used, i, n);
                    i += n - 1;
                } else if let Ok(d) = NaiveDate::parse_from_str(next, "%Y-%m-%d")
                    .or_else(|_| NaiveDate::parse_from_str(next, "%d/%m/%Y"))
                    .or_else(|_| NaiveDate::parse_from_str(next, "%d-%m-%Y"))
                {
                    match w {
                        "before" | "until" | "till" | "to" => p.to = Some(d),
                        "after" => p.from = Some(d + Duration::days(1)),
                        _ => p.from = Some(d),
                    }
                    mark(&mut used, i, 2);
                    i += 1;
                } else if matches!(w, "of" | "for" | "to" | "from" | "by") && p.party.is_none() {
                    // The party: the words up to the next keyword or amount.
                    let mut j = i + 1;
                    while j < words.len()
                        && !STOP.contains(&words[j].as_str())
                        && amount_at(&words, j).is_none()
                        && month_of(&words[j]).is_none()
                        && !matches!(
                            words[j].as_str(),
                            "unpaid" | "paid" | "overdue" | "invoices" | "invoice"
                        )
                    {
                        j += 1;
                    }
                    if j > i + 1 {
                        let name = original.get(i + 1..j).map(|s| s.join(" ")).unwrap_or_default();
                        p.party = Some(name.trim_end_matches(['.', ',']).to_string());
                        mark(&mut used, i, j - i);
                        i = j - 1;
                    }
                }
            }
            _ => {
                if let Some(m) = month_of(w) {
                    let year = words
                        .get(i + 1)
                        .and_then(|y| y.parse::<i32>().ok())
                        .filter(|y| (1900..=2999).contains(y));
                    let (a, b) = recent_month(today, m, year);
                    (p.from, p.to) = (Some(a), Some(b));
                    let n = if year.is_some() { 2 } else { 1 };
                    mark(&mut used, i, n);
                    i += n - 1;
                } else if w.contains('/') && w.chars().any(|c| c.is_ascii_digit()) {
                    p.number = original.get(i).map(|s| s.to_string());
                    used[i] = true;
                }
            }
        }
        i += 1;
    }
    p.unparsed = words
        .iter()
        .zip(&used)
        .filter(|(w, u)| !**u && !["and", "with", "that", "from", "to"].contains(&w.as_str()))
        .map(|(w, _)| w.clone())
        .collect();
    p
}

/// The statuses a reading may name.
const STATUSES: [&str; 6] = ["draft", "issued", "partially_paid", "paid", "overdue", "cancelled"];

/// The JSON schema a capable model answers in: the same filters the rules
/// make, every one present (null when the question does not say).
pub fn model_schema() -> serde_json::Value {
    let text = |d: &str| serde_json::json!({ "type": ["string", "null"], "description": d });
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["statuses", "party", "from", "to", "min_total", "max_total", "number"],
        "properties": {
            "statuses": { "type": "array", "items": { "type": "string", "enum": STATUSES },
                          "description": "unpaid means issued, partially_paid and overdue; empty for any" },
            "party": text("the customer's name as the question writes it"),
            "from": text("first day, YYYY-MM-DD"),
            "to": text("last day, YYYY-MM-DD"),
            "min_total": text("smallest invoice total in rupees, digits only"),
            "max_total": text("largest invoice total in rupees, digits only"),
            "number": text("an invoice number asked for"),
        },
    })
}

/// The instructions and the question for a capable model.
pub fn model_prompt(question: &str, today: NaiveDate) -> (String, String) {
    let fy = if today.month() >= 4 { today.year() } else { today.year() - 1 };
    (
        format!(
            "You turn a question about a company's sales invoices into search filters. Today is \
             {today}; the financial year runs from 1 April to 31 March (this one began on \
             {fy}-04-01). Amounts are in rupees (1 lakh = 100000, 1 crore = 10000000). Reply with \
             one JSON object and nothing else, with the keys statuses, party, from, to, \
             min_total, max_total and number; use null (or an empty list) for what the question \
             does not say."
        ),
        question.trim().to_string(),
    )
}

/// A model's reading, checked field by field: what does not hold (an
/// unknown status, a date or amount that does not parse, a period that
/// ends before it starts) is left out and named.
pub fn from_model(v: &serde_json::Value) -> (Parsed, Vec<String>) {
    let mut p = Parsed::default();
    let mut dropped = Vec::new();
    let text = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    if let Some(list) = v.get("statuses").and_then(|x| x.as_array()) {
        for s in list.iter().filter_map(|x| x.as_str()) {
            match STATUSES.iter().find(|k| **k == s) {
                Some(k) if !p.statuses.contains(k) => p.statuses.push(k),
                Some(_) => {}
                None => dropped.push(format!("status “{s}”")),
            }
        }
    }
    p.party = text("party").filter(|n| n.chars().count() <= 200);
    p.number = text("number").filter(|n| n.chars().count() <= 16);
    let mut day = |k: &str| {
        text(k).and_then(|d| match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                dropped.push(format!("{k} “{d}”"));
                None
            }
        })
    };
    p.from = day("from");
    p.to = day("to");
    let mut amount = |k: &str| {
        text(k).and_then(|a| match a.replace([',', '₹', ' '], "").parse::<Decimal>() {
            Ok(d) if d >= Decimal::ZERO => Some(d),
            _ => {
                dropped.push(format!("{k} “{a}”"));
                None
            }
        })
    };
    p.min_total = amount("min_total");
    p.max_total = amount("max_total");
    if let (Some(f), Some(t)) = (p.from, p.to)
        && f > t
    {
        dropped.push(format!("the period {f} to {t}"));
        (p.from, p.to) = (None, None);
    }
    (p, dropped)
}

/// The rules' reading completed by a model's: what the rules found stands
/// (they are exact), the model fills what they left out.
pub fn merge(rules: Parsed, model: Parsed) -> Parsed {
    Parsed {
        statuses: if rules.statuses.is_empty() { model.statuses } else { rules.statuses },
        from: rules.from.or(model.from),
        to: rules.to.or(model.to),
        min_total: rules.min_total.or(model.min_total),
        max_total: rules.max_total.or(model.max_total),
        party: rules.party.or(model.party),
        number: rules.number.or(model.number),
        unparsed: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_models_reading_is_checked_and_only_fills_what_the_rules_left() {
        let v = serde_json::json!({
            "statuses": ["overdue", "lost", "overdue"], "party": "Sharma Traders",
            "from": "2026-10-01", "to": "31/10/2026", "min_total": "50,000", "max_total": "-4",
            "number": null,
        });
        let (m, dropped) = from_model(&v);
        assert_eq!(m.statuses, vec!["overdue"]);
        assert_eq!(m.party.as_deref(), Some("Sharma Traders"));
        assert_eq!(m.from, Some(day("2026-10-01")));
        assert_eq!(m.to, None);
        assert_eq!(m.min_total, Some(dec("50000")));
        assert_eq!(m.max_total, None);
        assert_eq!(dropped, vec!["status “lost”", "to “31/10/2026”", "max_total “-4”"]);
        let (backwards, dropped) =
            from_model(&serde_json::json!({ "from": "2026-10-31", "to": "2026-10-01" }));
        assert_eq!((backwards.from, backwards.to), (None, None));
        assert_eq!(dropped.len(), 1);

        let rules = Parsed {
            min_total: Some(dec("1000")),
            unparsed: vec!["sharma".into()],
            ..Default::default()
        };
        let merged = merge(rules, m);
        assert_eq!(merged.min_total, Some(dec("1000")), "the rules' amount stands");
        assert_eq!(merged.party.as_deref(), Some("Sharma Traders"));
        assert_eq!(merged.statuses, vec!["overdue"]);
        assert!(merged.unparsed.is_empty());
        let (system, user) = model_prompt("  dues of Sharma  ", day("2027-02-10"));
        assert!(system.contains("2027-02-10") && system.contains("2026-04-01"), "{system}");
        assert_eq!(user, "dues of Sharma");
        assert_eq!(model_schema()["required"].as_array().unwrap().len(), 7);
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_seeds_example() {
        let p =
            parse("unpaid invoices of Sharma Traders above 50,000 from October", day("2026-12-07"));
        assert_eq!(p.statuses, vec!["issued", "partially_paid", "overdue"]);
        assert_eq!(p.party.as_deref(), Some("Sharma Traders"));
        assert_eq!(p.min_total, Some(dec("50000")));
        assert_eq!(p.from, Some(day("2026-10-01")));
        assert_eq!(p.to, None);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
    }

    #[test]
    fn months_reach_back_to_the_latest_one_past() {
        let today = day("2026-02-10");
        let p = parse("overdue bills in October", today);
        assert_eq!((p.from, p.to), (Some(day("2025-10-01")), Some(day("2025-10-31"))));
        assert_eq!(p.statuses, vec!["overdue"]);
        let p = parse("invoices in feb 2024", today);
        assert_eq!((p.from, p.to), (Some(day("2024-02-01")), Some(day("2024-02-29"))));
        let p = parse("paid invoices last month", today);
        assert_eq!((p.from, p.to), (Some(day("2026-01-01")), Some(day("2026-01-31"))));
        assert_eq!(p.statuses, vec!["paid"]);
        let p = parse("invoices this financial year", today);
        assert_eq!((p.from, p.to), (Some(day("2025-04-01")), Some(day("2026-03-31"))));
        let p = parse("invoices in the last 30 days", today);
        assert_eq!((p.from, p.to), (Some(day("2026-01-11")), Some(today)));
    }

    #[test]
    fn amounts_in_lakhs_crores_and_ranges() {
        let today = day("2026-12-07");
        assert_eq!(parse("invoices over 1.5 lakh", today).min_total, Some(dec("150000")));
        assert_eq!(parse("invoices under ₹2,500", today).max_total, Some(dec("2500")));
        assert_eq!(parse("invoices more than 2 crore", today).min_total, Some(dec("20000000")));
        assert_eq!(parse("invoices less than 10k", today).max_total, Some(dec("10000")));
        let p = parse("invoices between 10,000 and 5,000", today);
        assert_eq!((p.min_total, p.max_total), (Some(dec("5000")), Some(dec("10000"))));
    }

    #[test]
    fn parties_numbers_and_what_is_not_understood() {
        let today = day("2026-12-07");
        let p = parse("partly paid invoices for Mehta & Sons Pvt. Ltd.", today);
        assert_eq!(p.statuses, vec!["partially_paid"]);
        assert_eq!(p.party.as_deref(), Some("Mehta & Sons Pvt. Ltd"));
        let p = parse("invoice INV/25-26/0042", today);
        assert_eq!(p.number.as_deref(), Some("INV/25-26/0042"));
        let p = parse("invoices with a blue stamp", today);
        assert_eq!(p.unparsed, vec!["blue", "stamp"]);
    }
}
