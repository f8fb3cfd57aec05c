//! Documents: drafts taxed line by line by their place of supply, issued
//! with a gapless number and posted in the same transaction, adjusted by
//! credit and debit notes, cancelled with a reason (postings reversed),
//! quotations converted into invoices.

use chrono::{Datelike, Duration, NaiveDate};
use identity::Company;
use kernel::audit::Changes;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::items::rate_on;
use super::{Problems, check_open, money, post, reverse};
use crate::error::{LedgerError, Result};
use crate::model::{
    DocKind, DocStatus, Document, DocumentInput, DocumentSummary, Line, LineInput, Party,
    Registration, TaxabilityText,
};
use crate::repo::documents::{Draft, Filter, Header};
use crate::tax::{
    self, DocumentInput as TaxDoc, Heads, LineInput as TaxLine, SupplyType, TaxProblem, Taxability,
    Totals,
};
use crate::{INVOICE_CANCELLED, INVOICE_ISSUED, Ledger, india, posting, repo};

/// A draft's computed content.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The document's date.
    pub date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// A quotation's last day.
    pub valid_until: Option<NaiveDate>,
    /// Place of supply.
    pub place_of_supply: String,
    /// Kind of supply.
    pub supply_type: SupplyType,
    /// Tax heads.
    pub heads: Heads,
    /// Lines with tax.
    pub lines: Vec<Line>,
    /// Totals.
    pub totals: Totals,
}

fn company_state(company: &Company) -> Result<&str> {
    company.state.as_deref().or(company.gstin.as_deref().map(|g| &g[..2])).ok_or_else(|| {
        LedgerError::state(
            "company_state_missing",
            "the company has no state: set its GSTIN or state in the company profile first",
        )
    })
}

/// Taxes a draft: every line resolved from its item (description, HSN/SAC,
/// unit, price, the GST rate in force on the date), then taxed by the
/// place of supply. Field errors name the line (`lines[2].gst_rate`).
/// `stored`: the draft is to be kept, not only previewed (keeping a
/// purchase bill needs the supplier's number; working out its tax does not).
#[allow(clippy::too_many_arguments)]
pub async fn compute(
    tx: &mut kernel::db::TenantTx,
    company: &Company,
    kind: DocKind,
    party: &Party,
    input: &DocumentInput,
    today: NaiveDate,
    default_due_days: i32,
    stored: bool,
) -> Result<Computed> {
    let mut e = Problems::default();
    let date = input.date.unwrap_or(today);
    let ours = company_state(company)?.to_string();
    if kind == DocKind::PurchaseBill {
        if !party.is_supplier {
            e.add("party_id", "is not a supplier");
        }
    } else if !party.is_customer {
        e.add("party_id", "is not a customer");
    }
    if party.archived {
        e.add("party_id", "is archived; restore it to write new documents");
    }
    // Where the supply is made: the party's (shipping) state for sales,
    // the company's own for purchases; outside India for exports.
    let default_pos = match kind {
        DocKind::PurchaseBill => ours.clone(),
        _ if party.registration == Registration::Overseas => india::OUTSIDE_INDIA.to_string(),
        _ => party
            .shipping_address
            .as_ref()
            .map(|a| a.state_code.as_str().to_string())
            .unwrap_or_else(|| party.state_code.clone()),
    };
    let pos = input.place_of_supply.as_ref().map_or(default_pos, |p| p.as_str().to_string());
    let supply_type = input.supply_type.unwrap_or(match party.registration {
        Registration::Overseas if kind != DocKind::PurchaseBill => SupplyType::ExportWithoutTax,
        Registration::Sez if kind != DocKind::PurchaseBill => SupplyType::SezWithoutTax,
        _ => SupplyType::Regular,
    });
    match supply_type {
        SupplyType::ExportWithTax | SupplyType::ExportWithoutTax => {
            if pos != india::OUTSIDE_INDIA {
                e.add("place_of_supply", "an export's place of supply is 96 (outside India)");
            }
            if kind == DocKind::PurchaseBill {
                e.add("supply_type", "a purchase bill is not an export");
            }
        }
        SupplyType::SezWithTax | SupplyType::SezWithoutTax
            if party.registration != Registration::Sez =>
        {
            e.add("supply_type", "the party is not registered as a unit in an SEZ");
        }
        _ if pos == india::OUTSIDE_INDIA && kind != DocKind::PurchaseBill => {
            e.add(
                "supply_type",
                "a supply outside India is an export (export_with_tax or export_without_tax)",
            );
        }
        _ => {}
    }
    if kind == DocKind::BillOfSupply && input.reverse_charge {
        e.add("reverse_charge", "a bill of supply charges no tax");
    }
    if kind.is_note() && input.against_id.is_none() {
        e.add("against_id", format!("a {} is issued against an invoice", kind.label()));
    }
    if !kind.is_note() && input.against_id.is_some() {
        e.add("against_id", "only credit and debit notes are issued against an invoice");
    }
    // The supplier's number is needed to keep a bill, not to work out its
    // tax: a preview goes without it.
    if stored
        && kind == DocKind::PurchaseBill
        && input.supplier_number.as_ref().is_none_or(|n| n.trim().is_empty())
    {
        e.add("supplier_number", "a purchase bill carries the supplier's invoice number");
    }
    for (field, v, max) in [
        ("supplier_number", &input.supplier_number, 40),
        ("reference", &input.reference, 100),
        ("notes", &input.notes, 4000),
        ("reason", &input.reason, 500),
    ] {
        if v.as_ref().is_some_and(|s| s.chars().count() > max) {
            e.add(field, format!("at most {max} characters"));
        }
    }
    if input.lines.is_empty() {
        e.add("lines", "a document has at least one line");
    }
    if input.lines.len() > 1000 {
        e.add("lines", "at most 1,000 lines");
    }
    let item_ids: Vec<Uuid> = input.lines.iter().filter_map(|l| l.item_id).collect();
    let items = repo::items::many(tx, &item_ids).await?;

    struct Resolved {
        item_id: Option<Uuid>,
        description: String,
        hsn_sac: String,
        is_service: bool,
        unit: String,
        tax: TaxLine,
    }
    let mut resolved: Vec<Resolved> = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        let item = match l.item_id {
            Some(id) => match items.iter().find(|it| it.id == id) {
                Some(it) => Some(it),
                None => {
                    e.add(f("item_id"), "no such item");
                    continue;
                }
            },
            None => None,
        };
        let description =
            l.description.clone().or(item.map(|it| it.name.clone())).unwrap_or_default();
        if description.trim().is_empty() || description.chars().count() > 300 {
            e.add(f("description"), "must be 1–300 characters (or choose an item)");
        }
        let is_service = l.is_service.or(item.map(|it| it.is_service)).unwrap_or(false);
        let hsn = l
            .hsn_sac
            .as_ref()
            .map(|h| h.as_str().to_string())
            .or(item.map(|it| it.hsn_sac.clone()));
        match &hsn {
            None => e.add(f("hsn_sac"), "is needed (or choose an item)"),
            Some(h) => {
                if let Some(why) = india::hsn_problem(h, is_service) {
                    e.add(f("hsn_sac"), why);
                }
            }
        }
        let unit =
            l.unit.as_ref().map(|u| u.as_str().to_string()).or(item.map(|it| it.unit.clone()));
        if unit.is_none() {
            e.add(f("unit"), "is needed (or choose an item)");
        }
        let unit_price = l.unit_price.or(item.map(|it| it.price)).unwrap_or(Decimal::ZERO);
        money(&mut e, &f("unit_price"), unit_price, false);
        if l.quantity.normalize().scale() > 3 || l.quantity >= Decimal::new(10_i64.pow(14), 0) {
            e.add(f("quantity"), "has more than three decimal places or is too large");
        }
        let discount = l.discount.unwrap_or(Decimal::ZERO);
        money(&mut e, &f("discount"), discount, false);
        let taxability = l.taxability.or(item.map(|it| it.taxability)).unwrap_or_default();
        let in_force = item.and_then(|it| rate_on(&it.rates, date));
        let rate = match (l.gst_rate, in_force) {
            (Some(r), _) => r,
            (None, Some(r)) => r.rate,
            (None, None) if taxability == Taxability::Taxable && kind != DocKind::BillOfSupply => {
                e.add(
                    f("gst_rate"),
                    match item {
                        Some(it) => format!(
                            "the item “{}” has no GST rate in force on {date}; give one",
                            it.name
                        ),
                        None => "is needed for a taxable line".into(),
                    },
                );
                Decimal::ZERO
            }
            (None, None) => Decimal::ZERO,
        };
        let cess_rate = l.cess_rate.or(in_force.map(|r| r.cess_rate)).unwrap_or(Decimal::ZERO);
        for (name, v) in [("gst_rate", rate), ("cess_rate", cess_rate)] {
            if v.normalize().scale() > 2 {
                e.add(f(name), "has more than two decimal places");
            }
        }
        resolved.push(Resolved {
            item_id: l.item_id,
            description,
            hsn_sac: hsn.unwrap_or_default(),
            is_service,
            unit: unit.unwrap_or_default(),
            tax: TaxLine {
                quantity: l.quantity,
                unit_price,
                discount,
                rate,
                cess_rate,
                price_includes_tax: l
                    .price_includes_tax
                    .or(item.map(|it| it.price_includes_tax))
                    .unwrap_or(false),
                taxability,
            },
        });
    }
    e.done()?;
    // Purchases are supplied by the party to the company.
    let (supplier_state, place) = match kind {
        DocKind::PurchaseBill => (party.state_code.clone(), pos.clone()),
        _ => (ours.clone(), pos.clone()),
    };
    let supplier_state =
        if supplier_state == india::OUTSIDE_INDIA { ours.clone() } else { supplier_state };
    let doc = TaxDoc {
        supplier_state: &supplier_state,
        place_of_supply: &place,
        supply_type,
        reverse_charge: input.reverse_charge,
        bill_of_supply: kind == DocKind::BillOfSupply,
    };
    let taxed: Vec<TaxLine> = resolved.iter().map(|r| r.tax.clone()).collect();
    let (heads, lines, totals) = tax::compute(&doc, &taxed).map_err(|p| match p {
        TaxProblem::UnknownState(field, code) => LedgerError::invalid(
            if field == "supplier_state" { "party_id" } else { "place_of_supply" },
            format!("{code} is not a GST state code"),
        ),
        TaxProblem::Line(i, field, why) => LedgerError::invalid(format!("lines[{i}].{field}"), why),
    })?;
    let lines = resolved
        .into_iter()
        .zip(lines)
        .enumerate()
        .map(|(i, (r, t))| Line {
            line_no: i as i32 + 1,
            item_id: r.item_id,
            description: r.description,
            hsn_sac: r.hsn_sac,
            is_service: r.is_service,
            quantity: r.tax.quantity,
            unit: r.unit,
            unit_price: r.tax.unit_price,
            price_includes_tax: r.tax.price_includes_tax,
            discount: r.tax.discount,
            taxability: TaxabilityText(r.tax.taxability),
            gross: t.gross,
            taxable_value: t.taxable_value,
            gst_rate: t.rate,
            cgst: t.cgst,
            sgst: t.sgst,
            utgst: t.utgst,
            igst: t.igst,
            cess_rate: t.cess_rate,
            cess: t.cess,
            total: t.total,
        })
        .collect();
    let terms = party.payment_terms_days.unwrap_or(default_due_days);
    let due_date = match kind {
        DocKind::Quotation | DocKind::CreditNote => None,
        _ => Some(input.due_date.unwrap_or(date + Duration::days(i64::from(terms)))),
    };
    if let Some(d) = due_date
        && d < date
    {
        return Err(LedgerError::invalid("due_date", "is before the document's date"));
    }
    let valid_until = match kind {
        DocKind::Quotation => Some(input.valid_until.unwrap_or(date + Duration::days(30))),
        _ => None,
    };
    Ok(Computed {
        date,
        due_date,
        valid_until,
        place_of_supply: pos,
        supply_type,
        heads,
        lines,
        totals,
    })
}

async fn load_party(tx: &mut kernel::db::TenantTx, id: Uuid) -> Result<Party> {
    repo::parties::get(tx, id)
        .await?
        .ok_or_else(|| LedgerError::invalid("party_id", "no such party"))
}

/// Works out a draft without storing it (for a form's live totals).
pub async fn preview(
    ledger: &Ledger,
    g: &identity::Caller,
    kind: DocKind,
    input: &DocumentInput,
) -> Result<Computed> {
    let company = ledger.identity().company(g.access()).await?;
    let mut tx = g.read_tx(ledger.db()).await?;
    let settings = repo::books::settings(&mut tx).await?;
    let party = load_party(&mut tx, input.party_id).await?;
    compute(
        &mut tx,
        &company,
        kind,
        &party,
        input,
        super::today(&company.time_zone),
        settings.default_due_days,
        false,
    )
    .await
}

/// Creates a draft (or replaces one, same id).
pub async fn save_draft(
    ledger: &Ledger,
    g: &identity::Caller,
    kind: DocKind,
    id: Option<Uuid>,
    input: DocumentInput,
) -> Result<Document> {
    save_draft_from(ledger, g, kind, id, input, None).await
}

async fn save_draft_from(
    ledger: &Ledger,
    g: &identity::Caller,
    kind: DocKind,
    id: Option<Uuid>,
    input: DocumentInput,
    converted_from: Option<Uuid>,
) -> Result<Document> {
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    if let Some(id) = id {
        let h =
            repo::documents::lock(&mut tx, id).await?.ok_or(LedgerError::NotFound(kind.label()))?;
        if h.kind() != kind {
            return Err(LedgerError::NotFound(kind.label()));
        }
        if h.status() != DocStatus::Draft {
            return Err(LedgerError::state(
                "document_issued",
                format!(
                    "{} {} is issued and cannot change; adjust it with a credit or debit note",
                    kind.label(),
                    h.number.unwrap_or_default()
                ),
            ));
        }
    }
    let settings = repo::books::settings(&mut tx).await?;
    let party = load_party(&mut tx, input.party_id).await?;
    if let Some(series) = input.series_id {
        let s = repo::documents::one_series(&mut tx, series)
            .await?
            .ok_or_else(|| LedgerError::invalid("series_id", "no such series"))?;
        if s.kind.0 != kind {
            return Err(LedgerError::invalid(
                "series_id",
                format!("numbers {}s, not {}s", s.kind.0.label(), kind.label()),
            ));
        }
    }
    if let Some(against) = input.against_id {
        let inv = repo::documents::header(&mut tx, against)
            .await?
            .ok_or_else(|| LedgerError::invalid("against_id", "no such invoice"))?;
        check_against(kind, &inv, input.party_id, input.date.unwrap_or(today))?;
    }
    let c =
        compute(&mut tx, &company, kind, &party, &input, today, settings.default_due_days, true)
            .await?;
    let id = id.unwrap_or_else(Uuid::now_v7);
    let draft = Draft {
        id,
        kind,
        series_id: input.series_id,
        party_id: input.party_id,
        date: c.date,
        due_date: c.due_date,
        valid_until: c.valid_until,
        place_of_supply: &c.place_of_supply,
        supply_type: c.supply_type,
        reverse_charge: input.reverse_charge,
        heads: c.heads,
        against_id: input.against_id,
        supplier_number: input.supplier_number.as_deref().map(str::trim),
        supplier_date: input.supplier_date,
        reference: input.reference.as_deref(),
        notes: input.notes.as_deref(),
        reason: input.reason.as_deref(),
        totals: &c.totals,
        converted_from,
        created_by: g.user_id().map(|u| u.as_uuid()),
    };
    repo::documents::upsert_draft(&mut tx, &draft).await?;
    repo::documents::set_lines(&mut tx, id, &c.lines).await?;
    let doc =
        repo::documents::get(&mut tx, id).await?.ok_or(LedgerError::NotFound(kind.label()))?;
    g.audit(
        &mut tx,
        "document.drafted",
        kind.as_str(),
        Some(id.to_string()),
        Changes::new()
            .set("party_id", doc.party_id)
            .set("total", doc.total)
            .set("lines", doc.lines.len()),
    );
    tx.commit().await?;
    Ok(doc)
}

/// The invoice a note is against must be the same party's, issued, and
/// within the time the law allows for notes: 30 November after its
/// financial year ends (section 34).
fn check_against(kind: DocKind, inv: &Header, party: Uuid, date: NaiveDate) -> Result<()> {
    let ik = inv.kind();
    if !matches!(ik, DocKind::Invoice | DocKind::BillOfSupply) {
        return Err(LedgerError::invalid(
            "against_id",
            format!("is a {}, not an invoice", ik.label()),
        ));
    }
    if inv.party_id != party {
        return Err(LedgerError::invalid("against_id", "is another party's invoice"));
    }
    if matches!(inv.status(), DocStatus::Draft | DocStatus::Cancelled) {
        return Err(LedgerError::invalid("against_id", "is not an issued invoice"));
    }
    if date < inv.doc_date {
        return Err(LedgerError::invalid("date", "is before the invoice's date"));
    }
    if kind == DocKind::CreditNote {
        let fy = india::financial_year(inv.doc_date);
        let limit = NaiveDate::from_ymd_opt(fy + 1, 11, 30).unwrap_or(inv.doc_date);
        if date > limit {
            return Err(LedgerError::invalid(
                "date",
                format!(
                    "a credit note for an invoice of {} must be issued by {limit} (section 34)",
                    india::fy_label(fy)
                ),
            ));
        }
    }
    Ok(())
}

/// Deletes a draft.
pub async fn delete_draft(
    ledger: &Ledger,
    g: &identity::Caller,
    kind: DocKind,
    id: Uuid,
) -> Result<()> {
    let mut tx = g.tx(ledger.db()).await?;
    let h = repo::documents::lock(&mut tx, id).await?.ok_or(LedgerError::NotFound(kind.label()))?;
    if h.kind() != kind {
        return Err(LedgerError::NotFound(kind.label()));
    }
    if h.status() != DocStatus::Draft {
        return Err(LedgerError::state(
            "document_issued",
            "an issued document is never deleted; cancel it with a reason instead",
        ));
    }
    repo::documents::delete_draft(&mut tx, id).await?;
    g.audit(&mut tx, "document.deleted", kind.as_str(), Some(id.to_string()), Changes::new());
    tx.commit().await?;
    Ok(())
}

/// One document of a kind family.
pub async fn get(
    ledger: &Ledger,
    g: &identity::Caller,
    kinds: &[DocKind],
    id: Uuid,
) -> Result<Document> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let d = repo::documents::get(&mut tx, id).await?.filter(|d| kinds.contains(&d.kind));
    d.ok_or(LedgerError::NotFound(kinds.first().map_or("document", |k| k.label())))
}

/// Documents of a kind family, newest first.
pub async fn list(
    ledger: &Ledger,
    g: &identity::Caller,
    f: &Filter,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<DocumentSummary>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    Ok(repo::documents::list(&mut tx, f, after, limit).await?)
}

fn snapshot_party(p: &Party) -> serde_json::Value {
    json!({
        "legal_name": p.legal_name, "trade_name": p.trade_name, "gstin": p.gstin, "pan": p.pan,
        "registration": p.registration, "state_code": p.state_code,
        "billing_address": p.billing_address, "shipping_address": p.shipping_address,
    })
}

/// Issues a draft: numbered from its series for its financial year (the
/// counter row stays locked until commit, so numbers have no gaps), the
/// party and company recorded as they are, the journal posted, stock
/// moved, a credit note applied to its invoice — all in one transaction.
pub async fn issue(
    ledger: &Ledger,
    g: &identity::Caller,
    kind: DocKind,
    id: Uuid,
) -> Result<Document> {
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let by = g.user_id().map(|u| u.as_uuid());
    let mut tx = g.tx(ledger.db()).await?;
    repo::books::ensure_setup(&mut tx).await?;
    let h = repo::documents::lock(&mut tx, id).await?.ok_or(LedgerError::NotFound(kind.label()))?;
    if h.kind() != kind {
        return Err(LedgerError::NotFound(kind.label()));
    }
    if h.status() != DocStatus::Draft {
        return Err(LedgerError::state(
            "already_issued",
            format!("{} {} is already issued", kind.label(), h.number.clone().unwrap_or_default()),
        ));
    }
    if matches!(kind, DocKind::Invoice | DocKind::CreditNote | DocKind::DebitNote)
        && company.gstin.is_none()
    {
        return Err(LedgerError::state(
            "company_gstin_missing",
            "the company has no GSTIN: add it to the company profile before issuing tax invoices and notes (or issue a bill of supply)",
        ));
    }
    let settings = repo::books::settings_for_posting(&mut tx).await?;
    if kind != DocKind::Quotation {
        check_open(settings.books_locked_until, h.doc_date)?;
    }
    let party =
        repo::parties::get(&mut tx, h.party_id).await?.ok_or(LedgerError::NotFound("party"))?;
    let series = match h.series_id {
        Some(s) => repo::documents::one_series(&mut tx, s).await?,
        None => repo::documents::series(&mut tx)
            .await?
            .into_iter()
            .find(|s| s.kind.0 == kind && s.is_default),
    }
    .ok_or_else(|| {
        LedgerError::state("no_series", format!("no numbering series for {}s", kind.label()))
    })?;
    let fy = india::financial_year(h.doc_date);
    if kind == DocKind::PurchaseBill
        && let Some(n) = &h.supplier_number
        && supplier_number_taken(&mut tx, h.party_id, n, fy, id).await?
    {
        return Err(LedgerError::Taken {
            field: "supplier_number",
            detail: format!(
                "a purchase bill numbered {n} from this supplier is already recorded for {}",
                india::fy_label(fy)
            ),
        });
    }
    let company_snapshot = crate::print::company_now(&company, &settings);
    let totals = h.totals();
    let lines = repo::documents::lines(&mut tx, id).await?;
    let journal = match kind {
        DocKind::Quotation => Vec::new(),
        DocKind::Invoice | DocKind::BillOfSupply | DocKind::DebitNote => {
            posting::sale(&totals, h.reverse_charge)
        }
        DocKind::CreditNote => posting::sale_return(&totals, h.reverse_charge),
        DocKind::PurchaseBill => posting::purchase(&totals, h.reverse_charge),
    };
    let roles = repo::books::roles(&mut tx).await?;
    // Posted before the number is taken, so the counter row (which
    // serialises issuing in a series) is held only for the last steps.
    let narration = format!("{} — {}", capitalise(kind.label()), party.legal_name);
    post(
        &mut tx,
        &roles,
        h.doc_date,
        "document",
        Some(id),
        &narration,
        &journal,
        Some(h.party_id),
        by,
        None,
    )
    .await?;
    // Stock: goods leave with invoices and return with credit notes, and
    // arrive with purchase bills.
    let direction = match kind {
        DocKind::Invoice | DocKind::BillOfSupply => Some(Decimal::NEGATIVE_ONE),
        DocKind::CreditNote | DocKind::PurchaseBill => Some(Decimal::ONE),
        _ => None,
    };
    if let Some(sign) = direction {
        for l in lines.iter().filter(|l| !l.is_service) {
            if let Some(item) = l.item_id {
                repo::items::move_stock(&mut tx, item, id, sign * l.quantity, h.doc_date).await?;
            }
        }
    }
    if let Some(against) = h.against_id {
        let inv = repo::documents::lock(&mut tx, against)
            .await?
            .ok_or(LedgerError::NotFound("invoice"))?;
        check_against(kind, &inv, h.party_id, h.doc_date)?;
        // Issued notes against it, and this one (still a draft here).
        let (credited, debited) = repo::documents::notes_against(&mut tx, against).await?;
        let (credited, debited) = match kind {
            DocKind::CreditNote => (credited + totals.total, debited),
            DocKind::DebitNote => (credited, debited + totals.total),
            _ => (credited, debited),
        };
        if kind == DocKind::CreditNote && credited > inv.total + debited {
            return Err(LedgerError::invalid(
                "lines",
                format!(
                    "credit notes against {} would come to ₹{credited}, more than its ₹{} (with debit notes)",
                    inv.number.clone().unwrap_or_default(),
                    inv.total + debited
                ),
            ));
        }
        if kind == DocKind::CreditNote {
            // The credit settles what the invoice still owes; any rest is
            // the customer's credit in the books.
            let applied = totals.total.min(inv.balance_due());
            if applied > Decimal::ZERO {
                repo::payments::allocate(&mut tx, None, Some(id), against, applied, h.doc_date)
                    .await?;
                repo::documents::settle(&mut tx, against, applied, today).await?;
                publish_if_paid(&mut tx, against).await?;
            }
        }
    }
    // Numbered last: the counter row stays locked until commit, so
    // numbers have no gaps, and nothing slow happens while it is held.
    let seq = repo::documents::next_seq(&mut tx, series.id, fy).await?;
    let number = india::format_number(&series.template, fy, seq as u64, series.width as usize)
        .map_err(|why| {
            LedgerError::invalid(
                "series_id",
                format!("series “{}” would number this {why}: change its template", series.name),
            )
        })?;
    repo::documents::issue(
        &mut tx,
        id,
        series.id,
        fy,
        seq,
        &number,
        None,
        &snapshot_party(&party),
        &company_snapshot,
    )
    .await?;
    repo::books::name_journal(
        &mut tx,
        id,
        &format!("{} {number} — {}", capitalise(kind.label()), party.legal_name),
    )
    .await?;
    super::einvoice::queue_on_issue(
        &mut tx,
        kind,
        id,
        &snapshot_party(&party),
        crate::tax::SupplyType::parse(&h.supply_type).unwrap_or_default()
            == crate::tax::SupplyType::Regular,
    )
    .await?;
    if kind.is_sale() || kind == DocKind::CreditNote {
        kernel::outbox::publish(
            &mut tx,
            INVOICE_ISSUED,
            &json!({ "document_id": id, "kind": kind, "number": number, "party_id": h.party_id,
                     "total": totals.total, "date": h.doc_date, "due_date": h.due_date }),
        )?;
    }
    g.audit(
        &mut tx,
        "document.issued",
        kind.as_str(),
        Some(id.to_string()),
        Changes::new().set("number", &number).set("total", totals.total),
    );
    let doc =
        repo::documents::get(&mut tx, id).await?.ok_or(LedgerError::NotFound(kind.label()))?;
    tx.commit().await?;
    Ok(doc)
}

async fn supplier_number_taken(
    tx: &mut kernel::db::TenantTx,
    party: Uuid,
    number: &str,
    fy: i32,
    except: Uuid,
) -> Result<bool> {
    Ok(repo::documents::supplier_number_used(tx, party, number, fy, except).await?)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Publishes `invoice.paid` when a document has just become paid.
pub async fn publish_if_paid(tx: &mut kernel::db::TenantTx, id: Uuid) -> Result<()> {
    if let Some(h) = repo::documents::header(tx, id).await?
        && h.status() == DocStatus::Paid
    {
        kernel::outbox::publish(
            tx,
            crate::INVOICE_PAID,
            &json!({ "document_id": id, "kind": h.kind(), "number": h.number, "party_id": h.party_id, "total": h.total }),
        )?;
    }
    Ok(())
}

/// Cancels an issued document with a reason: its postings and stock are
/// reversed (dated today), a credit note's application is undone. A
/// document something settled, or with notes against it, cannot be
/// cancelled until those are undone.
/// Refuses cancelling an issued document that notes adjust or payments
/// settle (those are undone first).
pub(crate) async fn check_cancellable(
    tx: &mut kernel::db::TenantTx,
    kind: DocKind,
    id: Uuid,
) -> Result<()> {
    if kind == DocKind::Quotation {
        return Ok(());
    }
    let (credited, debited) = repo::documents::notes_against(tx, id).await?;
    if !credited.is_zero() || !debited.is_zero() {
        return Err(LedgerError::state(
            "has_notes",
            "credit or debit notes were issued against it; cancel them first",
        ));
    }
    let paid = repo::documents::paid_by_payments(tx, id).await?;
    if paid > Decimal::ZERO {
        return Err(LedgerError::state(
            "has_payments",
            format!("₹{paid} of it is settled by payments; take those off first"),
        ));
    }
    Ok(())
}

pub async fn cancel(
    ledger: &Ledger,
    g: &identity::Caller,
    kind: DocKind,
    id: Uuid,
    reason: &str,
) -> Result<Document> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(LedgerError::invalid("reason", "say why, in 1–500 characters"));
    }
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let by = g.user_id().map(|u| u.as_uuid());
    let mut tx = g.tx(ledger.db()).await?;
    let h = repo::documents::lock(&mut tx, id).await?.ok_or(LedgerError::NotFound(kind.label()))?;
    if h.kind() != kind {
        return Err(LedgerError::NotFound(kind.label()));
    }
    match h.status() {
        DocStatus::Draft => {
            return Err(LedgerError::state("not_issued", "a draft is deleted, not cancelled"));
        }
        DocStatus::Cancelled => {
            return Err(LedgerError::state(
                "already_cancelled",
                "the document is already cancelled",
            ));
        }
        DocStatus::Converted => {
            return Err(LedgerError::state(
                "converted",
                "the quotation became an invoice; cancel the invoice",
            ));
        }
        _ => {}
    }
    if kind != DocKind::Quotation {
        let settings = repo::books::settings_for_posting(&mut tx).await?;
        check_open(settings.books_locked_until, today)?;
        check_cancellable(&mut tx, kind, id).await?;
        if let Some(e) = repo::einvoice::get(&mut tx, id).await?
            && e.status == "generated"
        {
            return Err(LedgerError::state(
                "einvoice_active",
                "it is registered with the IRP: cancel its e-invoice (within 24 hours of the IRN), which cancels it too, or issue a credit note",
            ));
        }
        let number = h.number.clone().unwrap_or_default();
        reverse(&mut tx, today, id, &format!("Cancelled {} {number}: {reason}", kind.label()), by)
            .await?;
        repo::items::reverse_stock(&mut tx, id, today).await?;
        if kind == DocKind::CreditNote
            && let Some(inv) = h.against_id
        {
            let applied = repo::documents::applied_credit(&mut tx, id).await?;
            if applied > Decimal::ZERO {
                repo::documents::remove_credit_applications(&mut tx, id).await?;
                repo::documents::settle(&mut tx, inv, -applied, today).await?;
            }
        }
        kernel::outbox::publish(
            &mut tx,
            INVOICE_CANCELLED,
            &json!({ "document_id": id, "kind": kind, "number": h.number, "reason": reason }),
        )?;
    }
    repo::documents::set_status(&mut tx, id, DocStatus::Cancelled, Some(reason), None).await?;
    g.audit(
        &mut tx,
        "document.cancelled",
        kind.as_str(),
        Some(id.to_string()),
        Changes::new().set("reason", reason),
    );
    let doc =
        repo::documents::get(&mut tx, id).await?.ok_or(LedgerError::NotFound(kind.label()))?;
    tx.commit().await?;
    Ok(doc)
}

/// Turns an issued quotation into an invoice draft (dated today, lines
/// taxed at today's rates); the quotation becomes `converted`.
pub async fn convert(ledger: &Ledger, g: &identity::Caller, id: Uuid) -> Result<Document> {
    let q = {
        let mut tx = g.read_tx(ledger.db()).await?;
        repo::documents::get(&mut tx, id).await?.filter(|d| d.kind == DocKind::Quotation)
    }
    .ok_or(LedgerError::NotFound("quotation"))?;
    if q.status != DocStatus::Issued {
        return Err(LedgerError::state(
            "not_convertible",
            format!("only an issued quotation converts; this one is {}", q.status.as_str()),
        ));
    }
    let input = DocumentInput {
        kind: Some(DocKind::Invoice),
        party_id: q.party_id,
        date: None,
        due_date: None,
        valid_until: None,
        place_of_supply: Some(crate::model::PlaceOfSupply::from_trusted(q.place_of_supply.clone())),
        supply_type: Some(q.supply_type),
        reverse_charge: q.reverse_charge,
        against_id: None,
        supplier_number: None,
        supplier_date: None,
        reference: q.number.clone().map(|n| format!("Quotation {n}")),
        notes: q.notes.clone(),
        reason: None,
        series_id: None,
        lines: q
            .lines
            .iter()
            .map(|l| LineInput {
                item_id: l.item_id,
                description: Some(l.description.clone()),
                hsn_sac: Some(crate::model::HsnSac::from_trusted(l.hsn_sac.clone())),
                is_service: Some(l.is_service),
                quantity: l.quantity,
                unit: Some(crate::model::Unit::from_trusted(l.unit.clone())),
                unit_price: Some(l.unit_price),
                price_includes_tax: Some(l.price_includes_tax),
                discount: Some(l.discount),
                taxability: Some(l.taxability.0),
                // Today's rate of the item, unless the quotation fixed one.
                gst_rate: if l.item_id.is_some() { None } else { Some(l.gst_rate) },
                cess_rate: if l.item_id.is_some() { None } else { Some(l.cess_rate) },
            })
            .collect(),
    };
    let invoice = save_draft_from(ledger, g, DocKind::Invoice, None, input, Some(id)).await?;
    let mut tx = g.tx(ledger.db()).await?;
    let h = repo::documents::lock(&mut tx, id).await?.ok_or(LedgerError::NotFound("quotation"))?;
    if h.status() != DocStatus::Issued {
        return Err(LedgerError::state("not_convertible", "the quotation changed meanwhile"));
    }
    repo::documents::set_status(&mut tx, id, DocStatus::Converted, None, Some(invoice.id)).await?;
    g.audit(
        &mut tx,
        "quotation.converted",
        "quotation",
        Some(id.to_string()),
        Changes::new().set("invoice_id", invoice.id),
    );
    tx.commit().await?;
    Ok(invoice)
}

/// The financial year's start of a date's year (for reports' defaults).
pub fn fy_start(d: NaiveDate) -> NaiveDate {
    india::fy_bounds(india::financial_year(d)).0
}

/// The first day of a date's month.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// A document as an A4 PDF: its file name and bytes. An issued document
/// prints the company and party as they were when it was issued; a draft
/// prints them as they are now, marked as a draft.
pub async fn pdf(
    ledger: &Ledger,
    g: &identity::Caller,
    kinds: &[DocKind],
    id: Uuid,
) -> Result<(String, Vec<u8>)> {
    let company = ledger.identity().company(g.access()).await?;
    let mut tx = g.read_tx(ledger.db()).await?;
    let doc = repo::documents::get(&mut tx, id)
        .await?
        .filter(|d| kinds.contains(&d.kind))
        .ok_or(LedgerError::NotFound(kinds.first().map_or("document", |k| k.label())))?;
    let company_snapshot = match repo::documents::company_snapshot(&mut tx, id).await? {
        Some(c) => c,
        None => {
            let settings = repo::books::settings(&mut tx).await?;
            crate::print::company_now(&company, &settings)
        }
    };
    let party_snapshot = match &doc.party_snapshot {
        Some(p) => p.clone(),
        None => {
            let p = repo::parties::get(&mut tx, doc.party_id)
                .await?
                .ok_or(LedgerError::NotFound("party"))?;
            snapshot_party(&p)
        }
    };
    let against = match doc.against_id {
        Some(a) => repo::documents::header(&mut tx, a).await?.and_then(|h| h.number),
        None => None,
    };
    let logo = repo::books::logo(&mut tx).await?;
    let einvoice = repo::einvoice::get(&mut tx, id)
        .await?
        .filter(|e| matches!(e.status.as_str(), "generated" | "cancelled"));
    drop(tx);
    let mut data = crate::print::print_data(&doc, &company_snapshot, &party_snapshot, against);
    let mut qr = None;
    if let Some(e) = einvoice
        && let (Some(irn), Some(ack_no), Some(ack_at)) = (e.irn, e.ack_no, e.ack_at)
    {
        let cancelled = e.status == "cancelled";
        if !cancelled {
            qr = e.signed_qr.as_deref().and_then(crate::gst::qr::png);
        }
        data.einvoice = Some(crate::print::EinvoicePrint {
            irn,
            ack_no,
            ack_date: ack_at
                .with_timezone(&chrono_tz::Asia::Kolkata)
                .format("%d/%m/%Y %H:%M")
                .to_string(),
            cancelled,
        });
    }
    let name =
        format!("{}.pdf", doc.number.as_deref().unwrap_or("draft").replace(['/', '\\'], "-"));
    let bytes = tokio::task::spawn_blocking(move || {
        crate::print::render(&data, logo.as_ref(), qr.as_deref())
    })
    .await
    .map_err(|e| LedgerError::Api(kernel::ApiError::internal(e)))?
    .map_err(|e| LedgerError::Api(kernel::ApiError::internal(e)))?;
    Ok((name, bytes))
}

/// Who read a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadBy {
    /// The rules alone.
    Rules,
    /// The rules, with the company's capable model filling what they could
    /// not read.
    RulesAndModel,
}

/// What a question was read as, and the invoices that match.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InvoiceAnswer {
    /// The filters used.
    pub filters: crate::query::Parsed,
    /// Who read the question.
    pub read_by: ReadBy,
    /// The model that helped (`provider/model`), when one did.
    pub model: Option<String>,
    /// The party the name was matched to.
    pub party_id: Option<Uuid>,
    /// Its name as stored.
    pub party_name: Option<String>,
    /// What could not be used, for a person ("no party is named …").
    pub notes: Vec<String>,
    /// Matching invoices and notes, newest first.
    pub items: Vec<DocumentSummary>,
}

/// Invoices matching a question in plain words (see [`crate::query`]):
/// the party's name is matched against the company's parties (an exact
/// name first, else the only one containing it).
pub async fn search(
    ledger: &Ledger,
    g: &identity::Caller,
    kinds: &[DocKind],
    question: &str,
    limit: i64,
) -> Result<InvoiceAnswer> {
    let company = ledger.identity().company(g.access()).await?;
    let today = super::today(&company.time_zone);
    let mut parsed = crate::query::parse(question, today);
    let mut notes = Vec::new();
    let (mut read_by, mut model) = (ReadBy::Rules, None);
    if !parsed.unparsed.is_empty() {
        // Words the rules could not use: a capable model, when the company
        // routes one, reads the question against the same schema and fills
        // what the rules left out (the bundled base model is never asked).
        match read_with_model(ledger, g, question, today).await {
            Ok(Some((name, reading))) => {
                let (m, dropped) = crate::query::from_model(&reading);
                if !dropped.is_empty() {
                    notes.push(format!("the model's reading left out: {}", dropped.join(", ")));
                }
                parsed = crate::query::merge(parsed, m);
                (read_by, model) = (ReadBy::RulesAndModel, Some(name));
            }
            Ok(None) => {
                notes.push(format!("not understood: {}", parsed.unparsed.join(" ")));
            }
            Err(why) => {
                notes.push(format!("not understood: {}", parsed.unparsed.join(" ")));
                notes.push(format!("the model could not read the question: {why}"));
            }
        }
    }
    let mut tx = g.read_tx(ledger.db()).await?;
    let mut party = None;
    if let Some(name) = &parsed.party {
        let f =
            repo::parties::Filter { q: Some(name.clone()), archived: true, ..Default::default() };
        let found = repo::parties::list(&mut tx, &f, None, 20).await?;
        let exact: Vec<&crate::model::Party> =
            found.iter().filter(|p| p.legal_name.eq_ignore_ascii_case(name)).collect();
        let found: Vec<&crate::model::Party> = found.iter().collect();
        party = match (exact.as_slice(), found.as_slice()) {
            ([one], _) | ([], [one]) => Some((one.id, one.legal_name.clone())),
            ([], []) => {
                notes.push(format!("no party is named “{name}”"));
                None
            }
            _ => {
                notes.push(format!(
                    "“{name}” matches {} parties: {}",
                    found.len(),
                    found.iter().map(|p| p.legal_name.as_str()).collect::<Vec<_>>().join(", ")
                ));
                None
            }
        };
    }
    let items = if parsed.party.is_some() && party.is_none() {
        Vec::new()
    } else {
        let f = Filter {
            kinds: kinds.iter().map(|k| k.as_str()).collect(),
            statuses: (!parsed.statuses.is_empty()).then(|| parsed.statuses.clone()),
            party_id: party.as_ref().map(|p| p.0),
            from: parsed.from,
            to: parsed.to,
            q: parsed.number.clone(),
            min_total: parsed.min_total,
            max_total: parsed.max_total,
        };
        repo::documents::list(&mut tx, &f, None, limit).await?
    };
    let (party_id, party_name) = party.unzip();
    Ok(InvoiceAnswer { filters: parsed, read_by, model, party_id, party_name, notes, items })
}

/// A capable model's reading of a question as JSON filters, or none when
/// the company routes no capable model for `invoice_search`.
async fn read_with_model(
    ledger: &Ledger,
    g: &identity::Caller,
    question: &str,
    today: chrono::NaiveDate,
) -> std::result::Result<Option<(String, serde_json::Value)>, String> {
    let ctx = ai::CallContext::of(g, "invoice_search");
    let Some(provider) =
        ledger.ai().capable_chat_provider(&ctx).await.map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let (system, user) = crate::query::model_prompt(question, today);
    let mut req = ai::ChatRequest::new(vec![
        ai::Message::new(ai::Role::System, system),
        ai::Message::new(ai::Role::User, user),
    ]);
    req.temperature = Some(0.0);
    req.max_tokens = Some(300);
    req.response_format = Some(json!({
        "type": "json_schema",
        "json_schema": { "name": "invoice_filters", "strict": true, "schema": crate::query::model_schema() },
    }));
    let (info, answer) =
        ledger.ai().complete(&ctx, Some(&provider), req).await.map_err(|e| e.to_string())?;
    // Some servers wrap JSON in a code fence even when asked not to.
    let text = answer.content.trim();
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(text);
    let reading: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|_| "its answer was not JSON".to_string())?;
    if !reading.is_object() {
        return Err("its answer was not a JSON object".into());
    }
    Ok(Some((format!("{}/{}", info.provider, info.model), reading)))
}

/// Where an issued document was sent.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Sent {
    /// The address.
    pub to: String,
    /// The message's subject.
    pub subject: String,
}

/// Sends an issued document's PDF by e-mail: to `to`, or to the party's
/// first contact with an address.
pub async fn send(
    ledger: &Ledger,
    g: &identity::Caller,
    kinds: &[DocKind],
    id: Uuid,
    to: Option<String>,
    message: Option<String>,
) -> Result<Sent> {
    let company = ledger.identity().company(g.access()).await?;
    let (doc, party) = {
        let mut tx = g.read_tx(ledger.db()).await?;
        let doc = repo::documents::get(&mut tx, id)
            .await?
            .filter(|d| kinds.contains(&d.kind))
            .ok_or(LedgerError::NotFound(kinds.first().map_or("document", |k| k.label())))?;
        let party = repo::parties::get(&mut tx, doc.party_id).await?;
        (doc, party)
    };
    if matches!(doc.status, DocStatus::Draft | DocStatus::Cancelled) {
        return Err(LedgerError::state(
            "not_sendable",
            format!("a {} {} is not sent", doc.status.as_str(), doc.kind.label()),
        ));
    }
    let to = match to {
        Some(t) => t,
        None => party
            .as_ref()
            .and_then(|p| p.contacts.iter().find_map(|c| c.email.as_ref().map(|e| e.to_string())))
            .ok_or_else(|| {
                LedgerError::invalid(
                    "to",
                    "the party has no contact with an e-mail address: give one",
                )
            })?,
    };
    let (name, bytes) = pdf(ledger, g, kinds, id).await?;
    let number = doc.number.clone().unwrap_or_default();
    let subject = format!("{} {number} from {}", doc.kind.title(), company.name);
    let mut body = String::new();
    if let Some(m) = message.as_deref().filter(|m| !m.trim().is_empty()) {
        body.push_str(m.trim());
        body.push_str("\n\n");
    }
    body.push_str(&format!(
        "Please find attached {} {number} dated {} for ₹{}.",
        doc.kind.title().to_lowercase(),
        doc.date.format("%d-%m-%Y"),
        india::format_inr(doc.total)
    ));
    if doc.balance_due > Decimal::ZERO {
        body.push_str(&format!(" ₹{} is due", india::format_inr(doc.balance_due)));
        if let Some(due) = doc.due_date {
            body.push_str(&format!(" by {}", due.format("%d-%m-%Y")));
        }
        body.push('.');
    }
    body.push_str(&format!("\n\n{}\n", company.name));
    let mail = kernel::mail::Mail {
        to: to.clone(),
        subject: subject.clone(),
        body,
        attachments: vec![kernel::mail::Attachment {
            name,
            content_type: "application/pdf".into(),
            bytes,
        }],
    };
    ledger
        .identity()
        .mailer
        .send(mail)
        .await
        .map_err(|e| LedgerError::Api(kernel::ApiError::internal(e)))?;
    let mut tx = g.tx(ledger.db()).await?;
    g.audit(
        &mut tx,
        "invoice.sent",
        "document",
        Some(id.to_string()),
        Changes::new().set("to", json!(to)),
    );
    tx.commit().await?;
    Ok(Sent { to, subject })
}
