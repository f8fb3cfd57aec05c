//! What a printed document shows, worked out from the stored document and
//! the company and party as they were when it was issued.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::india::{self, amount_in_words, format_inr};
use crate::model::{Address, DocKind, DocStatus, Document, LedgerSettings};
use crate::tax::{Heads, SupplyType};

/// A party block: who supplies or receives.
#[derive(Debug, Clone, Serialize)]
pub struct PartyBlock {
    pub name: String,
    pub gstin: Option<String>,
    pub address: Vec<String>,
    pub state: String,
    pub contact: Option<String>,
}

/// A line as printed.
#[derive(Debug, Clone, Serialize)]
pub struct PrintLine {
    pub n: i32,
    pub description: String,
    pub hsn: String,
    pub quantity: String,
    pub unit: String,
    pub rate: String,
    pub discount: String,
    pub taxable: String,
    pub gst_rate: String,
    pub central: String,
    pub state: String,
    pub integrated: String,
    pub cess: String,
    pub total: String,
}

/// A row of the HSN summary.
#[derive(Debug, Clone, Serialize)]
pub struct HsnRow {
    pub hsn: String,
    pub gst_rate: String,
    pub taxable: String,
    pub central: String,
    pub state: String,
    pub integrated: String,
    pub cess: String,
}

/// Everything the template prints.
#[derive(Debug, Clone, Serialize)]
pub struct PrintData {
    pub title: String,
    pub mark: Option<String>,
    pub number: String,
    pub date: String,
    pub due_date: Option<String>,
    pub place_of_supply: String,
    pub supply_note: Option<String>,
    pub reverse_charge: bool,
    pub against: Option<String>,
    pub reason: Option<String>,
    pub seller: PartyBlock,
    pub buyer: PartyBlock,
    pub ship_to: Option<PartyBlock>,
    /// `cgst_sgst`, `cgst_utgst`, `igst` or `none`: which columns print.
    pub heads: String,
    pub state_head: String,
    pub lines: Vec<PrintLine>,
    pub hsn: Vec<HsnRow>,
    pub taxable: String,
    pub central: String,
    pub state_tax: String,
    pub integrated: String,
    pub cess: String,
    pub has_cess: bool,
    pub round_off: String,
    pub total: String,
    pub words: String,
    pub notes: Option<String>,
    pub signatory: String,
    /// The e-invoice's registration, printed with its QR code.
    pub einvoice: Option<EinvoicePrint>,
}

/// An e-invoice's registration as printed.
#[derive(Debug, Clone, Serialize)]
pub struct EinvoicePrint {
    pub irn: String,
    pub ack_no: String,
    pub ack_date: String,
    pub cancelled: bool,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string).filter(|s| !s.is_empty())
}

fn address_lines(a: Option<&Address>) -> Vec<String> {
    let Some(a) = a else { return Vec::new() };
    let mut out = vec![a.line1.clone()];
    if let Some(l) = a.line2.as_ref().filter(|l| !l.trim().is_empty()) {
        out.push(l.clone());
    }
    let mut city = a.city.clone();
    if let Some(pin) = &a.pincode {
        city.push_str(&format!(" {pin}"));
    }
    out.push(city);
    if let Some(c) = a.country.as_ref().filter(|c| !c.trim().is_empty()) {
        out.push(c.clone());
    }
    out
}

fn state_label(code: &str) -> String {
    match india::state(code) {
        Some(st) => format!("{} ({})", st.name, st.code),
        None => code.to_string(),
    }
}

fn block_from(snapshot: &Value, address_key: &str, fallback_name: &str) -> PartyBlock {
    let address: Option<Address> =
        snapshot.get(address_key).and_then(|a| serde_json::from_value(a.clone()).ok());
    let state = s(snapshot, "state_code").unwrap_or_default();
    let contact = [s(snapshot, "phone"), s(snapshot, "email")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    PartyBlock {
        name: s(snapshot, "legal_name")
            .or_else(|| s(snapshot, "name"))
            .unwrap_or_else(|| fallback_name.to_string()),
        gstin: s(snapshot, "gstin"),
        address: address_lines(address.as_ref()),
        state: state_label(&state),
        contact: (!contact.is_empty()).then_some(contact),
    }
}

fn money(d: Decimal) -> String {
    format_inr(d)
}

fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The printed form of `doc`. `company` and `party` are the snapshots taken
/// when it was issued, or (for a draft) the company and party as they are.
pub fn print_data(
    doc: &Document,
    company: &Value,
    party: &Value,
    against_number: Option<String>,
) -> PrintData {
    let title = doc.kind.title();
    let mark = match doc.status {
        DocStatus::Draft => Some("DRAFT"),
        DocStatus::Cancelled => Some("CANCELLED"),
        _ => None,
    };
    let us = block_from(company, "address", "");
    let them = block_from(party, "billing_address", &doc.party_name);
    let ship_to = party.get("shipping_address").filter(|a| !a.is_null()).map(|_| PartyBlock {
        address: address_lines(
            serde_json::from_value(party["shipping_address"].clone()).ok().as_ref(),
        ),
        ..them.clone()
    });
    let (seller, buyer) =
        if doc.kind == DocKind::PurchaseBill { (them, us.clone()) } else { (us.clone(), them) };
    let (heads, state_head) = match doc.heads {
        Heads::CgstSgst => ("cgst_sgst", "SGST"),
        Heads::CgstUtgst => ("cgst_utgst", "UTGST"),
        Heads::Igst => ("igst", ""),
        Heads::None => ("none", ""),
    };
    let supply_note = match doc.supply_type {
        SupplyType::Regular => None,
        SupplyType::ExportWithTax => Some("Export with payment of IGST"),
        SupplyType::ExportWithoutTax => {
            Some("Export under bond or letter of undertaking without payment of IGST")
        }
        SupplyType::SezWithTax => Some("Supply to SEZ with payment of IGST"),
        SupplyType::SezWithoutTax => {
            Some("Supply to SEZ under bond or letter of undertaking without payment of IGST")
        }
        SupplyType::DeemedExport => Some("Deemed export"),
    };
    let lines = doc
        .lines
        .iter()
        .map(|l| PrintLine {
            n: l.line_no,
            description: l.description.clone(),
            hsn: l.hsn_sac.clone(),
            quantity: plain(l.quantity),
            unit: l.unit.clone(),
            rate: money(l.unit_price),
            discount: money(l.discount),
            taxable: money(l.taxable_value),
            gst_rate: format!("{}%", plain(l.gst_rate)),
            central: money(l.cgst),
            state: money(l.sgst + l.utgst),
            integrated: money(l.igst),
            cess: money(l.cess),
            total: money(l.total),
        })
        .collect();
    let mut by_hsn: BTreeMap<(String, Decimal), [Decimal; 5]> = BTreeMap::new();
    for l in &doc.lines {
        let e = by_hsn.entry((l.hsn_sac.clone(), l.gst_rate)).or_default();
        e[0] += l.taxable_value;
        e[1] += l.cgst;
        e[2] += l.sgst + l.utgst;
        e[3] += l.igst;
        e[4] += l.cess;
    }
    let hsn = by_hsn
        .into_iter()
        .map(|((hsn, rate), v)| HsnRow {
            hsn,
            gst_rate: format!("{}%", plain(rate)),
            taxable: money(v[0]),
            central: money(v[1]),
            state: money(v[2]),
            integrated: money(v[3]),
            cess: money(v[4]),
        })
        .collect();
    PrintData {
        title: title.to_string(),
        mark: mark.map(str::to_string),
        number: doc.number.clone().unwrap_or_else(|| "(not yet issued)".to_string()),
        date: doc.date.format("%d-%m-%Y").to_string(),
        due_date: doc.due_date.map(|d| d.format("%d-%m-%Y").to_string()),
        place_of_supply: state_label(&doc.place_of_supply),
        supply_note: supply_note.map(str::to_string),
        reverse_charge: doc.reverse_charge,
        against: against_number,
        reason: doc.reason.clone(),
        seller,
        buyer,
        ship_to,
        heads: heads.to_string(),
        state_head: state_head.to_string(),
        lines,
        hsn,
        taxable: money(doc.taxable_value),
        central: money(doc.cgst),
        state_tax: money(doc.sgst + doc.utgst),
        integrated: money(doc.igst),
        cess: money(doc.cess),
        has_cess: !doc.cess.is_zero(),
        round_off: money(doc.round_off),
        total: money(doc.total),
        words: amount_in_words(doc.total),
        notes: doc.notes.clone(),
        signatory: us.name,
        einvoice: None,
    }
}

/// The company as it is now, for a draft (issued documents keep theirs).
pub fn company_now(company: &identity::Company, settings: &LedgerSettings) -> Value {
    serde_json::json!({
        "name": company.name, "gstin": company.gstin, "state_code": company.state,
        "address": settings.company_address, "phone": settings.company_phone, "email": settings.company_email,
    })
}
