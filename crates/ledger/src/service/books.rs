//! The books: the chart of accounts (editable; accounts the postings use
//! keep their role), manual journals, numbering series, and the settings
//! an accountant keeps — the lock date first.

use std::collections::HashSet;

use chrono::NaiveDate;
use identity::Granted;
use kernel::audit::Changes;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Problems, check_open, money};
use crate::error::{LedgerError, Result};
use crate::model::{
    Account, AccountInput, Journal, JournalInput, LedgerSettings, Series, SeriesInput,
};
use crate::permissions::{AccountsWrite, BooksLock, BooksRead, BooksSettings, JournalsCreate};
use crate::repo::books::NewLine;
use crate::{Ledger, india, repo};

/// The chart of accounts.
pub async fn accounts(ledger: &Ledger, g: &Granted<BooksRead>) -> Result<Vec<Account>> {
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let a = repo::books::accounts(&mut tx).await?;
    tx.commit().await?;
    Ok(a)
}

/// Creates an account, or changes one (same id).
pub async fn save_account(
    ledger: &Ledger,
    g: &Granted<AccountsWrite>,
    id: Option<Uuid>,
    a: AccountInput,
) -> Result<Account> {
    if a.code.is_empty()
        || a.code.len() > 20
        || !a.code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Err(LedgerError::invalid("code", "1–20 letters, digits, . or -"));
    }
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let before = match id {
        Some(id) => {
            Some(repo::books::account(&mut tx, id).await?.ok_or(LedgerError::NotFound("account"))?)
        }
        None => None,
    };
    if let Some(b) = &before {
        if b.kind != a.kind && repo::books::account_used(&mut tx, b.id).await? {
            return Err(LedgerError::invalid(
                "kind",
                "the account has postings; its kind cannot change",
            ));
        }
        if a.archived && b.role.is_some() {
            return Err(LedgerError::invalid(
                "archived",
                "postings use this account; it cannot be archived",
            ));
        }
    }
    let id = id.unwrap_or_else(Uuid::now_v7);
    repo::books::upsert_account(&mut tx, id, &a.code, a.name.as_str(), a.kind, a.archived)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.constraint() == Some("accounts_tenant_id_code_key") => {
                LedgerError::Taken {
                    field: "code",
                    detail: format!("another account has the code {}", a.code),
                }
            }
            _ => e.into(),
        })?;
    let after = repo::books::account(&mut tx, id).await?.ok_or(LedgerError::NotFound("account"))?;
    let changes = match &before {
        Some(b) => Changes::between(b, &after),
        None => Changes::created(&after),
    };
    g.audit(
        &mut tx,
        if before.is_some() { "account.updated" } else { "account.created" },
        "account",
        Some(id.to_string()),
        changes,
    );
    tx.commit().await?;
    Ok(after)
}

/// Posts a manual journal: balanced, in open accounts, outside the lock.
pub async fn post_journal(
    ledger: &Ledger,
    g: &Granted<JournalsCreate>,
    j: JournalInput,
) -> Result<Journal> {
    let mut e = Problems::default();
    let narration = j.narration.trim();
    if narration.is_empty() || narration.chars().count() > 500 {
        e.add("narration", "must be 1–500 characters");
    }
    if j.lines.len() < 2 || j.lines.len() > 200 {
        e.add("lines", "a journal has 2–200 lines");
    }
    let mut debit = Decimal::ZERO;
    let mut credit = Decimal::ZERO;
    for (i, l) in j.lines.iter().enumerate() {
        money(&mut e, &format!("lines[{i}].debit"), l.debit, false);
        money(&mut e, &format!("lines[{i}].credit"), l.credit, false);
        if l.debit.is_zero() == l.credit.is_zero() {
            e.add(format!("lines[{i}]"), "a line is either a debit or a credit");
        }
        debit += l.debit;
        credit += l.credit;
    }
    if e.is_empty() && debit != credit {
        e.add(
            "lines",
            format!("debits ₹{debit} and credits ₹{credit} differ by ₹{}", (debit - credit).abs()),
        );
    }
    e.done()?;
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let settings = repo::books::settings_for_posting(&mut tx).await?;
    check_open(settings.books_locked_until, j.date)?;
    let accounts = repo::books::accounts(&mut tx).await?;
    let mut e = Problems::default();
    let mut parties = HashSet::new();
    for (i, l) in j.lines.iter().enumerate() {
        match accounts.iter().find(|a| a.id == l.account_id) {
            None => e.add(format!("lines[{i}].account_id"), "no such account"),
            Some(a) if a.archived => {
                e.add(format!("lines[{i}].account_id"), format!("account {} is archived", a.code))
            }
            _ => {}
        }
        if let Some(p) = l.party_id
            && parties.insert(p)
            && repo::parties::get(&mut tx, p).await?.is_none()
        {
            e.add(format!("lines[{i}].party_id"), "no such party");
        }
    }
    e.done()?;
    let lines: Vec<NewLine> = j
        .lines
        .iter()
        .map(|l| NewLine {
            account_id: l.account_id,
            party_id: l.party_id,
            debit: l.debit,
            credit: l.credit,
        })
        .collect();
    let id = repo::books::post(
        &mut tx,
        j.date,
        "manual",
        None,
        narration,
        &lines,
        g.user_id().map(|u| u.as_uuid()),
    )
    .await?;
    let journal =
        repo::books::journal(&mut tx, id).await?.ok_or(LedgerError::NotFound("journal"))?;
    g.audit(
        &mut tx,
        "journal.posted",
        "journal",
        Some(id.to_string()),
        Changes::new().set("amount", debit).set("narration", narration),
    );
    tx.commit().await?;
    Ok(journal)
}

/// Journals, newest first.
pub async fn journals(
    ledger: &Ledger,
    g: &Granted<BooksRead>,
    source_id: Option<Uuid>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<Journal>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::books::journals(&mut tx, source_id, from, to, after, limit).await?)
}

/// One journal.
pub async fn journal(ledger: &Ledger, g: &Granted<BooksRead>, id: Uuid) -> Result<Journal> {
    let mut tx = g.read_tx(ledger.db()).await?;
    repo::books::journal(&mut tx, id).await?.ok_or(LedgerError::NotFound("journal"))
}

/// The ledger's settings.
pub async fn settings(ledger: &Ledger, g: &Granted<BooksRead>) -> Result<LedgerSettings> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::books::settings(&mut tx).await?)
}

/// Changes the settings (moving the lock date also needs `books:lock`):
/// locking the books waits for postings in flight
/// (they hold the settings row shared).
pub async fn put_settings(
    ledger: &Ledger,
    g: &Granted<BooksSettings>,
    s: LedgerSettings,
) -> Result<LedgerSettings> {
    let mut e = Problems::default();
    if !(0..=3650).contains(&s.default_due_days) {
        e.add("default_due_days", "must be 0–3650");
    }
    if let Some(m) = &s.company_email
        && identity::model::Email::parse(m).is_err()
    {
        e.add("company_email", "is not an e-mail address");
    }
    if let Some(p) = &s.company_phone
        && !super::phone_ok(p)
    {
        e.add("company_phone", "must be 6–20 digits, spaces and + ( ) -");
    }
    if let Some(a) = &s.company_address {
        super::parties::check_address(&mut e, "company_address", a);
    }
    e.done()?;
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let before = repo::books::settings(&mut tx).await?;
    if before.books_locked_until != s.books_locked_until {
        // Moving the lock is its own permission: settings editors need not
        // be able to reopen a filed period.
        g.grant::<BooksLock>()?;
    }
    repo::books::put_settings(&mut tx, &s).await?;
    g.audit(
        &mut tx,
        "ledger.settings_changed",
        "ledger_settings",
        None,
        Changes::between(&before, &s),
    );
    tx.commit().await?;
    Ok(s)
}

/// The numbering series.
pub async fn series(ledger: &Ledger, g: &Granted<BooksRead>) -> Result<Vec<Series>> {
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let s = repo::documents::series(&mut tx).await?;
    tx.commit().await?;
    Ok(s)
}

/// Adds a numbering series; its template must make valid numbers for this
/// year and for far larger counts.
pub async fn add_series(
    ledger: &Ledger,
    g: &Granted<BooksSettings>,
    s: SeriesInput,
) -> Result<Series> {
    let width = s.width.unwrap_or(4);
    let mut e = Problems::default();
    if s.name.trim().is_empty() || s.name.chars().count() > 40 {
        e.add("name", "must be 1–40 characters");
    }
    if !(1..=8).contains(&width) {
        e.add("width", "must be 1–8");
    }
    if e.is_empty() {
        // The longest number it will make this year must be valid.
        let fy = india::financial_year(chrono::Utc::now().date_naive());
        let largest = 10u64.pow(width as u32) - 1;
        if let Err(why) = india::format_number(&s.template, fy, largest, width as usize) {
            e.add("template", format!("makes numbers such as {why}"));
        }
    }
    e.done()?;
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let id = Uuid::now_v7();
    repo::documents::insert_series(
        &mut tx,
        id,
        s.kind,
        s.name.trim(),
        &s.template,
        width,
        s.is_default,
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => LedgerError::Taken {
            field: "name",
            detail: format!("a series is already named {}", s.name.trim()),
        },
        _ => e.into(),
    })?;
    let created =
        repo::documents::one_series(&mut tx, id).await?.ok_or(LedgerError::NotFound("series"))?;
    g.audit(
        &mut tx,
        "series.created",
        "number_series",
        Some(id.to_string()),
        Changes::created(&created),
    );
    tx.commit().await?;
    Ok(created)
}

/// The largest logo a company may upload.
pub const LOGO_LIMIT: usize = 1024 * 1024;

/// What is stored of the company's logo.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LogoInfo {
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// When it was uploaded.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The company's logo, if it has uploaded one.
pub async fn logo(ledger: &Ledger, g: &Granted<BooksRead>) -> Result<Option<crate::print::Logo>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::books::logo(&mut tx).await?)
}

/// Stores the company's logo after checking it decodes and prints: its
/// type is read from its bytes, which must match the declared type.
pub async fn put_logo(
    ledger: &Ledger,
    g: &Granted<BooksSettings>,
    declared: Option<&str>,
    bytes: Vec<u8>,
) -> Result<LogoInfo> {
    use kernel::ApiError;
    if bytes.len() > LOGO_LIMIT {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "logo_too_large",
            "Payload too large",
        )
        .detail(format!("a logo may be at most {} KiB", LOGO_LIMIT / 1024))
        .field(
            "body",
            format!("is {} KiB; the limit is {} KiB", bytes.len() / 1024, LOGO_LIMIT / 1024),
        )
        .into());
    }
    let Some(content_type) = crate::print::image_type(&bytes) else {
        return Err(ApiError::invalid("body", "is not a PNG or JPEG image").into());
    };
    if declared.is_some_and(|d| d != content_type) {
        return Err(ApiError::invalid(
            "content-type",
            format!("says {} but the file is {content_type}", declared.unwrap_or_default()),
        )
        .into());
    }
    let logo = crate::print::Logo { content_type: content_type.to_string(), bytes };
    let checked = logo.clone();
    tokio::task::spawn_blocking(move || crate::print::check_logo(&checked))
        .await
        .map_err(|e| LedgerError::Api(ApiError::internal(e)))?
        .map_err(|_| {
            ApiError::invalid("body", format!("is not a readable {content_type} image"))
        })?;
    let mut tx = g.tx(ledger.db()).await?;
    let updated_at = repo::books::put_logo(&mut tx, &logo).await?;
    let info = LogoInfo {
        content_type: logo.content_type.clone(),
        size: logo.bytes.len() as i64,
        updated_at,
    };
    g.audit(&mut tx, "ledger.logo_changed", "company_logo", None, Changes::created(&info));
    tx.commit().await?;
    Ok(info)
}

/// Removes the company's logo; whether there was one.
pub async fn delete_logo(ledger: &Ledger, g: &Granted<BooksSettings>) -> Result<bool> {
    let mut tx = g.tx(ledger.db()).await?;
    let removed = repo::books::delete_logo(&mut tx).await?;
    if removed {
        g.audit(&mut tx, "ledger.logo_removed", "company_logo", None, Changes::new());
    }
    tx.commit().await?;
    Ok(removed)
}
