//! Receipts and payments: allocated across documents (never beyond what
//! each still owes), the rest kept as an advance and applied later, TDS
//! the customer deducted tracked as receivable (and TDS the company
//! deducts from suppliers as payable), and every one posted in its own
//! transaction.

use chrono::NaiveDate;
use identity::Granted;
use kernel::audit::Changes;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::documents::publish_if_paid;
use super::{Problems, check_open, money, post};
use crate::error::{LedgerError, Result};
use crate::model::{
    AccountKind, AllocationInput, DocKind, Payment, PaymentInput, PaymentKind, PaymentMode,
};
use crate::permissions::{PaymentsCreate, PaymentsRead};
use crate::posting::{self, AccountKey};
use crate::tds::{self, Expected, Payee, TdsSection};
use crate::{Ledger, PAYMENT_RECORDED, repo};

/// Checks allocations against the documents they settle (locking them);
/// returns their sum.
async fn check_allocations(
    tx: &mut kernel::db::TenantTx,
    kind: PaymentKind,
    party: Uuid,
    allocations: &[AllocationInput],
    field: &str,
) -> Result<Decimal> {
    let mut e = Problems::default();
    let mut total = Decimal::ZERO;
    let mut seen = std::collections::HashSet::new();
    for (i, a) in allocations.iter().enumerate() {
        let f = |name: &str| format!("{field}[{i}].{name}");
        money(&mut e, &f("amount"), a.amount, false);
        if a.amount <= Decimal::ZERO {
            e.add(f("amount"), "must be more than 0");
            continue;
        }
        if !seen.insert(a.document_id) {
            e.add(f("document_id"), "is allocated twice");
            continue;
        }
        let Some(d) = repo::documents::lock(tx, a.document_id).await? else {
            e.add(f("document_id"), "no such document");
            continue;
        };
        let right_kind = match kind {
            PaymentKind::Receipt => d.kind().is_sale(),
            PaymentKind::Payment => d.kind() == DocKind::PurchaseBill,
        };
        if !right_kind || d.party_id != party {
            e.add(
                f("document_id"),
                match kind {
                    PaymentKind::Receipt => "is not an invoice or debit note of this customer",
                    PaymentKind::Payment => "is not a purchase bill of this supplier",
                },
            );
            continue;
        }
        if !d.status().is_open() {
            e.add(f("document_id"), format!("is {}: nothing is owed on it", d.status().as_str()));
            continue;
        }
        let due = d.balance_due();
        if a.amount > due {
            e.add(
                f("amount"),
                format!(
                    "₹{} is more than the ₹{due} still owed on {}",
                    a.amount,
                    d.number.clone().unwrap_or_default()
                ),
            );
        }
        total += a.amount;
    }
    e.done()?;
    Ok(total)
}

/// Records a receipt or payment: allocated, posted, documents settled.
pub async fn record(
    ledger: &Ledger,
    g: &Granted<PaymentsCreate>,
    p: PaymentInput,
) -> Result<Payment> {
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let date = p.date.unwrap_or(today);
    let by = g.user_id().map(|u| u.as_uuid());
    let mut e = Problems::default();
    money(&mut e, "amount", p.amount, false);
    let tds_amount = p.tds_amount.unwrap_or(Decimal::ZERO);
    money(&mut e, "tds_amount", tds_amount, false);
    if p.amount + tds_amount <= Decimal::ZERO {
        e.add("amount", "must be more than 0 (with the TDS)");
    }
    if tds_amount > Decimal::ZERO && p.tds_section.is_none() {
        e.add("tds_section", "is needed when TDS was deducted");
    }
    if p.allocations.len() > 200 {
        e.add("allocations", "at most 200");
    }
    for (field, v, max) in [
        ("reference", &p.reference, 100),
        ("tds_certificate", &p.tds_certificate, 60),
        ("notes", &p.notes, 2000),
    ] {
        if v.as_ref().is_some_and(|s| s.chars().count() > max) {
            e.add(field, format!("at most {max} characters"));
        }
    }
    e.done()?;
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let settings = repo::books::settings_for_posting(&mut tx).await?;
    check_open(settings.books_locked_until, date)?;
    let party = repo::parties::get(&mut tx, p.party_id)
        .await?
        .ok_or_else(|| LedgerError::invalid("party_id", "no such party"))?;
    match p.kind {
        PaymentKind::Receipt if !party.is_customer => {
            return Err(LedgerError::invalid("party_id", "is not a customer"));
        }
        PaymentKind::Payment if !party.is_supplier => {
            return Err(LedgerError::invalid("party_id", "is not a supplier"));
        }
        _ => {}
    }
    let roles = repo::books::roles(&mut tx).await?;
    let account_id = match p.account_id {
        Some(id) => {
            let a = repo::books::account(&mut tx, id)
                .await?
                .ok_or_else(|| LedgerError::invalid("account_id", "no such account"))?;
            if a.kind != AccountKind::Asset || a.archived {
                return Err(LedgerError::invalid(
                    "account_id",
                    "must be a bank or cash account (an asset, not archived)",
                ));
            }
            id
        }
        None => {
            let key = if p.mode == PaymentMode::Cash { AccountKey::Cash } else { AccountKey::Bank };
            *roles.get(&key).ok_or_else(|| {
                LedgerError::invalid("account_id", "the chart has no bank or cash account")
            })?
        }
    };
    let allocated =
        check_allocations(&mut tx, p.kind, p.party_id, &p.allocations, "allocations").await?;
    if allocated > p.amount + tds_amount {
        return Err(LedgerError::invalid(
            "allocations",
            format!(
                "₹{allocated} allocated is more than the ₹{} received with TDS",
                p.amount + tds_amount
            ),
        ));
    }
    let id = Uuid::now_v7();
    // What no document took settles the opening balance first; the rest
    // is an advance.
    let left = p.amount + tds_amount - allocated;
    let opening_applied = if left > Decimal::ZERO {
        repo::payments::opening_due(&mut tx, p.party_id, p.kind).await?.min(left)
    } else {
        Decimal::ZERO
    };
    let unallocated = left - opening_applied;
    repo::payments::insert(
        &mut tx,
        &repo::payments::NewPayment {
            id,
            kind: p.kind,
            party_id: p.party_id,
            date,
            mode: p.mode,
            reference: p.reference.as_deref(),
            account_id,
            amount: p.amount,
            tds_section: p.tds_section,
            tds_amount,
            tds_certificate: p.tds_certificate.as_deref(),
            opening_applied,
            unallocated,
            notes: p.notes.as_deref(),
            created_by: by,
        },
    )
    .await?;
    let lines = match p.kind {
        PaymentKind::Receipt => {
            posting::receipt(AccountKey::Bank, p.amount, tds_amount, allocated + opening_applied)
        }
        PaymentKind::Payment => {
            posting::payment(AccountKey::Bank, p.amount, tds_amount, allocated + opening_applied)
        }
    };
    let what = match p.kind {
        PaymentKind::Receipt => "Receipt from",
        PaymentKind::Payment => "Payment to",
    };
    let narration = format!(
        "{what} {}{}",
        party.legal_name,
        p.reference.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
    );
    post(
        &mut tx,
        &roles,
        date,
        "payment",
        Some(id),
        &narration,
        &lines,
        Some(p.party_id),
        by,
        Some(account_id),
    )
    .await?;
    for a in &p.allocations {
        repo::payments::allocate(&mut tx, Some(id), None, a.document_id, a.amount, date).await?;
        repo::documents::settle(&mut tx, a.document_id, a.amount, today).await?;
        publish_if_paid(&mut tx, a.document_id).await?;
    }
    kernel::outbox::publish(
        &mut tx,
        PAYMENT_RECORDED,
        &json!({ "payment_id": id, "kind": p.kind, "party_id": p.party_id, "amount": p.amount,
                 "tds_amount": tds_amount, "allocated": allocated, "date": date }),
    )?;
    let payment =
        repo::payments::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("payment"))?;
    g.audit(
        &mut tx,
        "payment.recorded",
        p.kind.as_str(),
        Some(id.to_string()),
        Changes::created(&payment),
    );
    tx.commit().await?;
    Ok(payment)
}

/// Applies a payment's advance to documents.
pub async fn apply(
    ledger: &Ledger,
    g: &Granted<PaymentsCreate>,
    id: Uuid,
    allocations: Vec<AllocationInput>,
    date: Option<NaiveDate>,
) -> Result<Payment> {
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let date = date.unwrap_or(today);
    if allocations.is_empty() || allocations.len() > 200 {
        return Err(LedgerError::invalid("allocations", "give 1–200 allocations"));
    }
    let by = g.user_id().map(|u| u.as_uuid());
    let mut tx = g.tx(ledger.db()).await?;
    let settings = repo::books::settings_for_posting(&mut tx).await?;
    check_open(settings.books_locked_until, date)?;
    let p = repo::payments::lock(&mut tx, id).await?.ok_or(LedgerError::NotFound("payment"))?;
    if date < p.date {
        return Err(LedgerError::invalid("date", "is before the payment"));
    }
    let total = check_allocations(&mut tx, p.kind, p.party_id, &allocations, "allocations").await?;
    if total > p.unallocated {
        return Err(LedgerError::invalid(
            "allocations",
            format!("₹{total} is more than the ₹{} of this payment not yet applied", p.unallocated),
        ));
    }
    repo::payments::use_advance(&mut tx, id, total).await?;
    let roles = repo::books::roles(&mut tx).await?;
    let lines = posting::apply_advance(p.kind == PaymentKind::Receipt, total);
    post(
        &mut tx,
        &roles,
        date,
        "allocation",
        Some(id),
        &format!("Advance of {} applied", p.party_name),
        &lines,
        Some(p.party_id),
        by,
        None,
    )
    .await?;
    for a in &allocations {
        repo::payments::allocate(&mut tx, Some(id), None, a.document_id, a.amount, date).await?;
        repo::documents::settle(&mut tx, a.document_id, a.amount, today).await?;
        publish_if_paid(&mut tx, a.document_id).await?;
    }
    g.audit(
        &mut tx,
        "payment.applied",
        p.kind.as_str(),
        Some(id.to_string()),
        Changes::new().set("amount", total),
    );
    let payment =
        repo::payments::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("payment"))?;
    tx.commit().await?;
    Ok(payment)
}

/// One payment.
pub async fn get(ledger: &Ledger, g: &Granted<PaymentsRead>, id: Uuid) -> Result<Payment> {
    let mut tx = g.read_tx(ledger.db()).await?;
    repo::payments::get(&mut tx, id).await?.ok_or(LedgerError::NotFound("payment"))
}

/// Payments, newest first.
#[allow(clippy::too_many_arguments)]
pub async fn list(
    ledger: &Ledger,
    g: &Granted<PaymentsRead>,
    kind: Option<PaymentKind>,
    party: Option<Uuid>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<Payment>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::payments::list(&mut tx, kind, party, from, to, after, limit).await?)
}

/// The TDS a customer should deduct from a payment of these documents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TdsPreview {
    /// What the section asks for.
    #[serde(flatten)]
    pub expected: Expected,
    /// The taxable value (without GST) of the documents, which TDS is
    /// worked out on.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
}

/// Works out the TDS on documents' taxable value under a section, given
/// what was credited to the party earlier in the financial year (the
/// thresholds count the year's total).
pub async fn tds_preview(
    ledger: &Ledger,
    g: &Granted<PaymentsRead>,
    party: Uuid,
    section: TdsSection,
    documents: &[Uuid],
    date: Option<NaiveDate>,
) -> Result<TdsPreview> {
    let company = ledger.identity().company(g.access()).await?;
    let date = date.unwrap_or_else(|| super::today(&company.time_zone));
    let mut tx = g.read_tx(ledger.db()).await?;
    let p = repo::parties::get(&mut tx, party)
        .await?
        .ok_or_else(|| LedgerError::invalid("party_id", "no such party"))?;
    let mut taxable = Decimal::ZERO;
    for (i, id) in documents.iter().enumerate() {
        let d = repo::documents::header(&mut tx, *id)
            .await?
            .filter(|d| d.party_id == party)
            .ok_or_else(|| {
                LedgerError::invalid(format!("document_ids[{i}]"), "no such document of this party")
            })?;
        taxable += d.taxable_value;
    }
    let fy_start = super::documents::fy_start(date);
    let paid =
        repo::payments::credited_this_year(&mut tx, party, fy_start, date, documents).await?;
    let payee = if p.pan.as_deref().is_some_and(crate::india::pan_is_individual_or_huf) {
        Payee::IndividualOrHuf
    } else {
        Payee::Other
    };
    let expected = tds::expected(section, date, taxable, paid, payee, p.pan.is_some());
    Ok(TdsPreview { expected, taxable_value: taxable })
}
