//! Customers and suppliers: GSTIN, PAN and state kept consistent, one
//! party per GSTIN, opening balances posted, archived rather than deleted
//! once they have documents; and a customer's context for assistants.

use chrono::NaiveDate;
use identity::Granted;
use kernel::audit::Changes;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Problems, check_open, money, post};
use crate::error::{LedgerError, Result};
use crate::model::{DocumentSummary, Party, PartyInput, Payment, Registration};
use crate::permissions::{PartiesRead, PartiesUpdate};
use crate::repo::parties::{Filter, NewParty};
use crate::{Ledger, india, posting, repo};

/// Checks a party's fields together; returns its state code.
fn validate(p: &PartyInput) -> Result<String> {
    let mut e = Problems::default();
    if !p.is_customer && !p.is_supplier {
        e.add("is_customer", "a party is a customer, a supplier or both");
    }
    let billing_state = p.billing_address.state_code.as_str();
    let state = match (&p.gstin, p.registration) {
        (Some(g), r)
            if matches!(
                r,
                Registration::Unregistered | Registration::Consumer | Registration::Overseas
            ) =>
        {
            e.add("gstin", format!("an {} party has no GSTIN", r.as_str()));
            g.state_code().to_string()
        }
        (Some(g), _) => {
            if g.state_code() != billing_state {
                e.add(
                    "billing_address.state_code",
                    format!(
                        "must be the GSTIN's state {} ({})",
                        g.state_code(),
                        state_name(g.state_code())
                    ),
                );
            }
            if let Some(pan) = &p.pan
                && &g.as_str()[2..12] != pan.as_str()
            {
                e.add("pan", format!("is not the PAN inside the GSTIN ({})", &g.as_str()[2..12]));
            }
            g.state_code().to_string()
        }
        (None, r) if r.needs_gstin() => {
            e.add("gstin", format!("a {} party needs a GSTIN", r.as_str()));
            billing_state.to_string()
        }
        (None, Registration::Overseas) => {
            if billing_state != india::OUTSIDE_INDIA {
                e.add(
                    "billing_address.state_code",
                    "an overseas party's state code is 96 (outside India)",
                );
            }
            india::OUTSIDE_INDIA.to_string()
        }
        (None, _) => {
            if billing_state == india::OUTSIDE_INDIA {
                e.add("registration", "a party outside India is `overseas`");
            }
            billing_state.to_string()
        }
    };
    for (field, a) in [
        ("billing_address", Some(&p.billing_address)),
        ("shipping_address", p.shipping_address.as_ref()),
    ] {
        let Some(a) = a else { continue };
        check_address(&mut e, field, a);
    }
    for (i, c) in p.contacts.iter().enumerate() {
        if c.name.trim().is_empty() || c.name.chars().count() > 100 {
            e.add(format!("contacts[{i}].name"), "must be 1–100 characters");
        }
        if c.phone.as_deref().is_some_and(|p| !super::phone_ok(p)) {
            e.add(format!("contacts[{i}].phone"), "must be 6–20 digits, spaces and + ( ) -");
        }
    }
    if p.contacts.len() > 20 {
        e.add("contacts", "at most 20");
    }
    if let Some(d) = p.payment_terms_days
        && !(0..=3650).contains(&d)
    {
        e.add("payment_terms_days", "must be 0–3650");
    }
    if let Some(l) = p.credit_limit {
        money(&mut e, "credit_limit", l, false);
    }
    if let Some(o) = p.opening_balance {
        money(&mut e, "opening_balance", o, true);
    }
    if p.notes.as_ref().is_some_and(|n| n.chars().count() > 4000) {
        e.add("notes", "at most 4,000 characters");
    }
    e.done()?;
    Ok(state)
}

fn state_name(code: &str) -> &'static str {
    india::state(code).map_or("unknown", |s| s.name)
}

/// Checks an address's lines, city and PIN code (needed in India).
pub(crate) fn check_address(e: &mut Problems, field: &str, a: &crate::model::Address) {
    if a.line1.trim().is_empty() || a.line1.chars().count() > 100 {
        e.add(format!("{field}.line1"), "must be 1–100 characters");
    }
    if a.city.trim().is_empty() || a.city.chars().count() > 60 {
        e.add(format!("{field}.city"), "must be 1–60 characters");
    }
    if a.line2.as_ref().is_some_and(|l| l.chars().count() > 100) {
        e.add(format!("{field}.line2"), "at most 100 characters");
    }
    if a.country.as_ref().is_some_and(|c| c.chars().count() > 60) {
        e.add(format!("{field}.country"), "at most 60 characters");
    }
    let indian = a.state_code.as_str() != india::OUTSIDE_INDIA;
    match &a.pincode {
        Some(pin)
            if !(pin.len() == 6
                && pin.bytes().all(|b| b.is_ascii_digit())
                && !pin.starts_with('0')) =>
        {
            e.add(format!("{field}.pincode"), "must be six digits, not starting with 0");
        }
        None if indian => e.add(format!("{field}.pincode"), "is needed for an address in India"),
        _ => {}
    }
}

/// Creates a party (or replaces one, same id), posting its opening balance.
pub async fn save(
    ledger: &Ledger,
    g: &identity::Caller,
    id: Option<Uuid>,
    p: PartyInput,
) -> Result<Party> {
    let state = validate(&p)?;
    let company = ledger.identity().company(g.access()).await?;
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let before = match id {
        Some(id) => {
            if !repo::parties::lock(&mut tx, id).await? {
                return Err(LedgerError::NotFound("party"));
            }
            repo::parties::get(&mut tx, id).await?
        }
        None => None,
    };
    let id = id.unwrap_or_else(Uuid::now_v7);
    if let Some(gstin) = &p.gstin
        && let Some((other, name)) = repo::parties::by_gstin(&mut tx, gstin.as_str(), id).await?
    {
        return Err(LedgerError::Taken {
            field: "gstin",
            detail: format!("the party “{name}” ({other}) already has GSTIN {gstin}"),
        });
    }
    let opening = p.opening_balance.unwrap_or(Decimal::ZERO);
    let opening_date = p.opening_date.unwrap_or_else(|| {
        let today = super::today(&company.time_zone);
        india::fy_bounds(india::financial_year(today)).0
    });
    let opening_changed = before
        .as_ref()
        .is_none_or(|b| b.opening_balance != opening || b.opening_date != Some(opening_date));
    if opening_changed
        && (!opening.is_zero() || before.as_ref().is_some_and(|b| !b.opening_balance.is_zero()))
    {
        let settings = repo::books::settings_for_posting(&mut tx).await?;
        check_open(settings.books_locked_until, opening_date)?;
        if let Some(b) = &before
            && let Some(d) = b.opening_date
        {
            check_open(settings.books_locked_until, d)?;
        }
        if before.is_some() {
            // Receipts or payments already settled part of it.
            let settled = repo::payments::opening_settled(&mut tx, id).await?;
            if opening.abs() < settled {
                return Err(LedgerError::invalid(
                    "opening_balance",
                    format!("₹{settled} of it is already settled by receipts or payments"),
                ));
            }
        }
    }
    let trade = p.trade_name.as_ref().map(|t| t.as_str().to_string());
    let row = NewParty {
        id,
        is_customer: p.is_customer,
        is_supplier: p.is_supplier,
        legal_name: p.legal_name.as_str(),
        trade_name: trade.as_deref(),
        gstin: p.gstin.as_ref().map(|g| g.as_str()),
        pan: p.pan.as_ref().map(|x| x.as_str()).or(p.gstin.as_ref().map(|g| &g.as_str()[2..12])),
        registration: p.registration,
        state_code: &state,
        billing_address: &p.billing_address,
        shipping_address: p.shipping_address.as_ref(),
        contacts: &p.contacts,
        payment_terms_days: p.payment_terms_days,
        credit_limit: p.credit_limit,
        opening_balance: opening,
        opening_date: Some(opening_date),
        notes: p.notes.as_deref(),
    };
    repo::parties::upsert(&mut tx, &row).await?;
    if opening_changed {
        // The opening balance is one journal; a change replaces it.
        let old_date = before.as_ref().and_then(|b| b.opening_date).unwrap_or(opening_date);
        let by = g.user_id().map(|u| u.as_uuid());
        super::reverse(&mut tx, old_date, id, "Opening balance replaced", by).await?;
        if !opening.is_zero() {
            let roles = repo::books::roles(&mut tx).await?;
            let customer = p.is_customer || !p.is_supplier;
            let lines = posting::opening_balance(customer, opening);
            post(
                &mut tx,
                &roles,
                opening_date,
                "opening",
                Some(id),
                &format!("Opening balance of {}", p.legal_name.as_str()),
                &lines,
                Some(id),
                g.user_id().map(|u| u.as_uuid()),
                None,
            )
            .await?;
        }
    }
    let after = repo::parties::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("party"))?;
    let changes = match &before {
        Some(b) => Changes::between(b, &after).without(&["balance"]),
        None => Changes::created(&after).without(&["balance"]),
    };
    let action = if before.is_some() { "party.updated" } else { "party.created" };
    g.audit(&mut tx, action, "party", Some(id.to_string()), changes);
    tx.commit().await?;
    Ok(after)
}

/// One party.
pub async fn get(ledger: &Ledger, g: &Granted<PartiesRead>, id: Uuid) -> Result<Party> {
    let mut tx = g.read_tx(ledger.db()).await?;
    repo::parties::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("party"))
}

/// Parties by name.
pub async fn list(
    ledger: &Ledger,
    g: &Granted<PartiesRead>,
    f: &Filter,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<Party>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::parties::list(&mut tx, f, after, limit).await?)
}

/// Deletes a party nothing refers to; one with documents, payments or an
/// opening balance is archived instead (kept for its history).
pub async fn remove(ledger: &Ledger, g: &Granted<PartiesUpdate>, id: Uuid) -> Result<bool> {
    let mut tx = g.tx(ledger.db()).await?;
    if !repo::parties::lock(&mut tx, id).await? {
        return Err(LedgerError::NotFound("party"));
    }
    let archived = repo::parties::in_use(&mut tx, id).await?;
    if archived {
        repo::parties::set_archived(&mut tx, id, true).await?;
        g.audit(&mut tx, "party.archived", "party", Some(id.to_string()), Changes::new());
    } else {
        repo::parties::delete(&mut tx, id).await?;
        g.audit(&mut tx, "party.deleted", "party", Some(id.to_string()), Changes::new());
    }
    tx.commit().await?;
    Ok(archived)
}

/// Brings an archived party back.
pub async fn restore(ledger: &Ledger, g: &Granted<PartiesUpdate>, id: Uuid) -> Result<Party> {
    let mut tx = g.tx(ledger.db()).await?;
    if !repo::parties::set_archived(&mut tx, id, false).await? {
        return Err(LedgerError::NotFound("party"));
    }
    g.audit(&mut tx, "party.restored", "party", Some(id.to_string()), Changes::new());
    let p = repo::parties::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("party"))?;
    tx.commit().await?;
    Ok(p)
}

/// What an assistant (or a person) needs to know about a customer before
/// talking to them: details, what is owed and overdue, credit used, and the
/// latest documents and receipts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerContext {
    /// The customer.
    pub customer: Party,
    /// Owed on open documents.
    #[schema(value_type = String)]
    pub outstanding: Decimal,
    /// Of which past due.
    #[schema(value_type = String)]
    pub overdue: Decimal,
    /// Open documents.
    pub open_documents: i64,
    /// The customer's balance in the books (credit used).
    #[schema(value_type = String)]
    pub credit_used: Decimal,
    /// What the credit limit leaves, if there is one.
    #[schema(value_type = Option<String>)]
    pub credit_available: Option<Decimal>,
    /// The oldest unpaid due date.
    pub oldest_due: Option<NaiveDate>,
    /// The latest documents (10).
    pub recent_documents: Vec<DocumentSummary>,
    /// The latest receipts (10).
    pub recent_receipts: Vec<Payment>,
}

/// A customer's context.
pub async fn context(
    ledger: &Ledger,
    g: &Granted<PartiesRead>,
    id: Uuid,
) -> Result<CustomerContext> {
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let mut tx = g.read_tx(ledger.db()).await?;
    let customer = repo::parties::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("party"))?;
    if !customer.is_customer {
        return Err(LedgerError::NotFound("customer"));
    }
    let f = repo::documents::Filter {
        kinds: vec!["invoice", "bill_of_supply", "debit_note", "credit_note", "quotation"],
        party_id: Some(id),
        ..Default::default()
    };
    let recent_documents = repo::documents::list(&mut tx, &f, None, 10).await?;
    // What is open: documents and the opening balance, as aging sees them.
    let open: Vec<_> = repo::reports::aging(&mut tx, false, today, Some(id))
        .await?
        .into_iter()
        .filter(|r| r.balance > Decimal::ZERO)
        .collect();
    let outstanding: Decimal = open.iter().map(|r| r.balance).sum();
    let overdue: Decimal = open.iter().filter(|r| r.due_date < today).map(|r| r.balance).sum();
    let oldest_due = open.iter().map(|r| r.due_date).min();
    let recent_receipts = repo::payments::list(
        &mut tx,
        Some(crate::model::PaymentKind::Receipt),
        Some(id),
        None,
        None,
        None,
        10,
    )
    .await?;
    let credit_used = customer.balance;
    Ok(CustomerContext {
        credit_available: customer.credit_limit.map(|l| l - credit_used),
        outstanding,
        overdue,
        open_documents: open.iter().filter(|r| r.document_id.is_some()).count() as i64,
        credit_used,
        oldest_due,
        recent_documents,
        recent_receipts,
        customer,
    })
}
