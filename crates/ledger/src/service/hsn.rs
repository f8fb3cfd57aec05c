//! The HSN/SAC master: codes found by their beginning or by words of
//! their description (the GST portal's list, and the company's own
//! imported codes), and the check that an item's or an e-invoice's code
//! is one of them.

use kernel::audit::Changes;
use kernel::db::TenantTx;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{LedgerError, Result};
use crate::{Ledger, repo};

/// A code of the master.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct HsnCode {
    /// The code (2 to 8 digits; SAC codes start with 99).
    pub code: String,
    /// Its description.
    pub description: String,
    /// `goods` (HSN) or `service` (SAC).
    pub kind: String,
    /// `chapter` (2 digits), `heading` (4), `subheading` (6) or
    /// `tariff_item` (8).
    pub level: String,
    /// `master` (the GST portal's list) or `company` (imported).
    pub source: String,
}

/// Words of a description as a prefix query (`laptop comp` →
/// `laptop:* & comp:*`), or none when nothing searchable is left.
fn prefix_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2)
        .take(8)
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

/// Codes beginning with `q`'s digits, or whose description has its words
/// (word beginnings match), best first.
pub async fn search(
    ledger: &Ledger,
    g: &identity::Caller,
    q: &str,
    limit: i64,
) -> Result<Vec<HsnCode>> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 100 {
        return Err(LedgerError::invalid(
            "q",
            "give 1 to 100 characters: the beginning of a code, or words",
        ));
    }
    let limit = limit.clamp(1, 100);
    let mut tx = g.read_tx(ledger.db()).await?;
    let rows = if q.bytes().all(|b| b.is_ascii_digit()) {
        repo::hsn::by_prefix(&mut tx, q, limit).await?
    } else {
        let Some(query) = prefix_query(q) else {
            return Ok(Vec::new());
        };
        repo::hsn::by_words(&mut tx, &query, limit).await?
    };
    Ok(rows
        .into_iter()
        .map(|(code, description, source): (String, String, String)| {
            describe(code, description, source)
        })
        .collect())
}

fn describe(code: String, description: String, source: String) -> HsnCode {
    let kind = if code.starts_with("99") { "service" } else { "goods" };
    let level = match code.len() {
        2 => "chapter",
        4 => "heading",
        6 => "subheading",
        _ => "tariff_item",
    };
    HsnCode { code, description, kind: kind.into(), level: level.into(), source }
}

/// Of `codes`, those neither in the master nor the company's list, and
/// whose heading (first four digits) is not either.
pub async fn unknown(tx: &mut TenantTx, codes: &[String]) -> Result<Vec<String>> {
    let known = repo::hsn::known(tx, codes).await?;
    Ok(codes.iter().filter(|c| !known.contains(c)).cloned().collect())
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsnImport {
    /// Codes added or changed.
    pub imported: usize,
}

/// Imports the company's own codes from CSV (`code,description`, a header
/// first): every row is checked, and nothing is kept unless all pass
/// (422 names each bad row by its line).
pub async fn import(ledger: &Ledger, g: &identity::Caller, csv: &str) -> Result<HsnImport> {
    let mut p = super::Problems::default();
    let mut rows = Vec::new();
    let mut lines = csv.lines().enumerate();
    match lines.next() {
        Some((_, h))
            if h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case("code,description") => {
        }
        _ => p.add("line 1", "the first line must be the header `code,description`"),
    }
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let (code, desc) = match line.split_once(',') {
            Some((c, d)) => {
                (c.trim().trim_matches('"'), d.trim().trim_matches('"').replace("\"\"", "\""))
            }
            None => {
                p.add(format!("line {n}"), "must be `code,description`");
                continue;
            }
        };
        if !(code.bytes().all(|b| b.is_ascii_digit()) && matches!(code.len(), 2 | 4 | 6 | 8)) {
            p.add(
                format!("line {n}"),
                format!("`{code}` must be an HSN/SAC code of 2, 4, 6 or 8 digits"),
            );
        } else if desc.is_empty() || desc.chars().count() > 500 {
            p.add(format!("line {n}"), "the description must be 1 to 500 characters");
        } else {
            rows.push((code.to_owned(), desc));
        }
    }
    if rows.len() > 50_000 {
        p.add("body", "at most 50,000 codes at a time");
    }
    if p.is_empty() && rows.is_empty() {
        p.add("body", "holds no codes");
    }
    p.done()?;
    let mut tx = g.tx(ledger.db()).await?;
    let (codes, descs): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
    let n = repo::hsn::import(&mut tx, &codes, &descs).await?;
    g.audit(&mut tx, "hsn.imported", "hsn_custom", None, Changes::new().set("codes", n as i64));
    tx.commit().await?;
    Ok(HsnImport { imported: usize::try_from(n).unwrap_or_default() })
}
