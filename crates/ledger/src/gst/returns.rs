//! GSTR-1 and GSTR-3B from a month's documents, pure: rows in, the GST
//! portal's JSON (offline-tool format), per-section CSV rows, totals that
//! reconcile with the registers, and the tax set-off of rules 88A and
//! section 49 out.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::DocKind;
use crate::tax::{SupplyType, Taxability};

/// Invoice value above which an inter-state sale to an unregistered buyer
/// is B2C large: ₹2,50,000 up to 31 July 2024, ₹1,00,000 from 1 August.
pub fn b2cl_limit(date: NaiveDate) -> Decimal {
    if date < NaiveDate::from_ymd_opt(2024, 8, 1).unwrap_or_default() {
        Decimal::new(250_000, 0)
    } else {
        Decimal::new(100_000, 0)
    }
}

/// The month HSN summaries split into B2B and B2C (May 2025).
fn hsn_split(from: NaiveDate) -> bool {
    from >= NaiveDate::from_ymd_opt(2025, 5, 1).unwrap_or_default()
}

/// One document's lines at one rate and taxability.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocRate {
    pub id: Uuid,
    pub kind: String,
    pub cancelled: bool,
    pub number: Option<String>,
    pub doc_date: NaiveDate,
    pub place_of_supply: String,
    pub supply_type: String,
    pub reverse_charge: bool,
    pub gstin: Option<String>,
    pub party_name: Option<String>,
    pub registration: Option<String>,
    pub total: Decimal,
    pub against_id: Option<Uuid>,
    pub taxability: String,
    pub gst_rate: Decimal,
    pub taxable_value: Decimal,
    pub igst: Decimal,
    pub cgst: Decimal,
    pub sgst: Decimal,
    pub cess: Decimal,
}

/// The invoice a note adjusts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Original {
    pub id: Uuid,
    pub number: Option<String>,
    pub doc_date: NaiveDate,
    pub total: Decimal,
}

/// Lines summed by HSN, unit, rate and kind of recipient.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HsnLine {
    pub hsn_sac: String,
    pub unit: String,
    pub gst_rate: Decimal,
    pub is_service: bool,
    pub b2b: bool,
    pub description: String,
    pub quantity: Decimal,
    pub taxable_value: Decimal,
    pub igst: Decimal,
    pub cgst: Decimal,
    pub sgst: Decimal,
    pub cess: Decimal,
}

/// A numbering series' documents of the month.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocSeries {
    pub kind: String,
    pub first: Option<String>,
    pub last: Option<String>,
    pub total: i64,
    pub cancelled: i64,
}

/// A document of an earlier month cancelled in this one.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LateCancel {
    pub number: Option<String>,
    pub doc_date: NaiveDate,
    pub cancelled_on: NaiveDate,
}

/// Something the accountant must look at before filing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flag {
    /// `earlier_period_note`, `cancelled_after_period` or `amendment`.
    pub kind: String,
    /// The document's number.
    pub number: String,
    /// What to do.
    pub message: String,
}

/// A section's totals (notes subtract).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SectionTotal {
    /// The section (`b2b`, `b2cl`, …).
    pub section: String,
    /// Documents (or rows, for summaries).
    pub records: usize,
    /// Taxable value.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST and UTGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
}

impl SectionTotal {
    fn add(&mut self, sign: Decimal, r: &DocRate) {
        self.taxable_value += sign * r.taxable_value;
        self.igst += sign * r.igst;
        self.cgst += sign * r.cgst;
        self.sgst += sign * r.sgst;
        self.cess += sign * r.cess;
    }
}

/// GSTR-1 for a month.
#[derive(Debug, Clone)]
pub struct Gstr1 {
    /// The portal's JSON.
    pub portal: Value,
    /// Per-section totals; `all` sums them (with nil-rated, exempt and
    /// non-GST supplies in taxable value) to compare with the register.
    pub sections: Vec<SectionTotal>,
    /// The CSV rows of the section asked for.
    pub csv: Vec<Vec<String>>,
    /// What to look at before filing.
    pub flags: Vec<Flag>,
}

fn num(d: Decimal) -> Value {
    json!(d.round_dp(2).to_f64().unwrap_or_default())
}

fn rate(d: Decimal) -> Value {
    json!(d.normalize().to_f64().unwrap_or_default())
}

fn money(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

fn gov_date(d: NaiveDate) -> String {
    format!("{:02}-{:02}-{}", d.day(), d.month(), d.year())
}

fn csv_date(d: NaiveDate) -> String {
    d.format("%d-%b-%y").to_string()
}

fn pos_label(code: &str) -> String {
    match crate::india::state(code) {
        Some(s) => format!("{code}-{}", s.name),
        None => code.to_owned(),
    }
}

/// Whether the party is registered (B2B) on this document.
fn registered(r: &DocRate) -> bool {
    r.gstin.is_some()
        && matches!(r.registration.as_deref(), Some("regular" | "composition" | "sez"))
}

fn export(r: &DocRate) -> bool {
    matches!(
        SupplyType::parse(&r.supply_type),
        Some(SupplyType::ExportWithTax | SupplyType::ExportWithoutTax)
    )
}

fn inv_typ(r: &DocRate) -> &'static str {
    match SupplyType::parse(&r.supply_type) {
        Some(SupplyType::SezWithTax) => "SEWP",
        Some(SupplyType::SezWithoutTax) => "SEWOP",
        Some(SupplyType::DeemedExport) => "DE",
        _ => "R",
    }
}

fn inv_typ_text(t: &str) -> &'static str {
    match t {
        "SEWP" => "SEZ supplies with payment",
        "SEWOP" => "SEZ supplies without payment",
        "DE" => "Deemed Exp",
        _ => "Regular B2B",
    }
}

/// CSV rows of the one section asked for (none when only JSON is).
struct CsvSink<'w> {
    want: Option<&'w str>,
    rows: Vec<Vec<String>>,
}

impl CsvSink<'_> {
    fn push(&mut self, section: &str, row: impl FnOnce() -> Vec<String>) {
        if self.want == Some(section) {
            self.rows.push(row());
        }
    }
}

/// A document with its rate groups.
struct Doc<'a> {
    head: &'a DocRate,
    rates: Vec<&'a DocRate>,
}

/// GSTR-1 for the month starting `from` of the company `gstin` in state
/// `company_state`, with the CSV rows of `csv_section` when asked.
#[allow(clippy::too_many_arguments)]
pub fn gstr1(
    gstin: &str,
    company_state: &str,
    from: NaiveDate,
    rows: &[DocRate],
    originals: &HashMap<Uuid, Original>,
    hsn: &[HsnLine],
    series: &[DocSeries],
    late: &[LateCancel],
    csv_section: Option<&str>,
) -> Gstr1 {
    let mut docs: Vec<Doc<'_>> = Vec::new();
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    for r in rows.iter().filter(|r| !r.cancelled) {
        let i = *index.entry(r.id).or_insert_with(|| {
            docs.push(Doc { head: r, rates: Vec::new() });
            docs.len() - 1
        });
        docs[i].rates.push(r);
    }
    let mut b2b: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut cdnr: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut b2cl: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut cdnur = Vec::new();
    let mut exp: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    // (sply_ty, pos, rate) → totals
    let mut b2cs: BTreeMap<(String, String, Decimal), SectionTotal> = BTreeMap::new();
    // INTRB2B, INTRAB2B, INTRB2C, INTRAB2C → (nil, exempt, non-GST)
    let mut nil: BTreeMap<&str, [Decimal; 3]> = BTreeMap::new();
    let mut totals: BTreeMap<&'static str, SectionTotal> = BTreeMap::new();
    let mut csv = CsvSink { want: csv_section, rows: Vec::new() };
    let mut flags = Vec::new();
    fn section<'a>(
        totals: &'a mut BTreeMap<&'static str, SectionTotal>,
        name: &'static str,
    ) -> &'a mut SectionTotal {
        totals
            .entry(name)
            .or_insert_with(|| SectionTotal { section: name.into(), ..SectionTotal::default() })
    }
    let mut counted: HashMap<&'static str, std::collections::HashSet<Uuid>> = HashMap::new();

    for d in &docs {
        let h = d.head;
        let kind = DocKind::parse(&h.kind).unwrap_or(DocKind::Invoice);
        let note = matches!(kind, DocKind::CreditNote | DocKind::DebitNote);
        let sign = if kind == DocKind::CreditNote { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
        let number = h.number.clone().unwrap_or_default();
        let inter = h.place_of_supply != company_state;
        let reg = registered(h);
        let original = h.against_id.and_then(|a| originals.get(&a));
        if let Some(o) = original
            && o.doc_date < from
        {
            flags.push(Flag {
                kind: "earlier_period_note".into(),
                number: number.clone(),
                message: format!(
                    "{} adjusts invoice {} of {}: it is reported this month; the original stays as filed",
                    kind.label(),
                    o.number.clone().unwrap_or_default(),
                    o.doc_date.format("%m-%Y")
                ),
            });
        }
        // Nil-rated, exempt and non-GST lines.
        for r in d.rates.iter().filter(|r| r.taxability != "taxable") {
            let key = match (reg, inter) {
                (true, true) => "INTRB2B",
                (true, false) => "INTRAB2B",
                (false, true) => "INTRB2C",
                (false, false) => "INTRAB2C",
            };
            let slot = match Taxability::parse(&r.taxability) {
                Some(Taxability::NilRated) => 0,
                Some(Taxability::Exempt) => 1,
                _ => 2,
            };
            nil.entry(key).or_default()[slot] += sign * r.taxable_value;
            section(&mut totals, "nil").add(sign, r);
            counted.entry("nil").or_default().insert(h.id);
        }
        let taxed: Vec<&&DocRate> = d.rates.iter().filter(|r| r.taxability == "taxable").collect();
        if taxed.is_empty() {
            continue;
        }
        let items = |flat: bool, b2c: bool| -> Vec<Value> {
            taxed
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut det = json!({ "rt": rate(r.gst_rate), "txval": num(r.taxable_value), "iamt": num(r.igst), "csamt": num(r.cess) });
                    if !b2c {
                        det["camt"] = num(r.cgst);
                        det["samt"] = num(r.sgst);
                    }
                    if flat { det } else { json!({ "num": i + 1, "itm_det": det }) }
                })
                .collect()
        };
        let big = |v: Decimal| v > b2cl_limit(h.doc_date);
        let name: &'static str;
        if export(h) {
            let typ = if SupplyType::parse(&h.supply_type) == Some(SupplyType::ExportWithTax) {
                "WPAY"
            } else {
                "WOPAY"
            };
            if note {
                name = "cdnur";
                cdnur.push(json!({
                    "typ": if typ == "WPAY" { "EXPWP" } else { "EXPWOP" },
                    "ntty": if kind == DocKind::CreditNote { "C" } else { "D" },
                    "nt_num": number, "nt_dt": gov_date(h.doc_date), "val": num(h.total), "pos": "96",
                    "itms": items(false, true),
                }));
            } else {
                name = "exp";
                exp.entry(typ).or_default().push(json!({
                    "inum": number, "idt": gov_date(h.doc_date), "val": num(h.total), "itms": items(true, true),
                }));
            }
            for r in &taxed {
                csv.push(name, || match name {
                    "exp" => vec![
                        typ.into(),
                        number.clone(),
                        csv_date(h.doc_date),
                        money(h.total),
                        String::new(),
                        String::new(),
                        String::new(),
                        money(r.gst_rate),
                        money(r.taxable_value),
                        money(r.cess),
                    ],
                    _ => vec![
                        if typ == "WPAY" { "EXPWP" } else { "EXPWOP" }.into(),
                        number.clone(),
                        csv_date(h.doc_date),
                        if kind == DocKind::CreditNote { "C" } else { "D" }.into(),
                        pos_label("96"),
                        money(h.total),
                        String::new(),
                        money(r.gst_rate),
                        money(r.taxable_value),
                        money(r.cess),
                    ],
                });
            }
        } else if reg {
            let ctin = h.gstin.clone().unwrap_or_default();
            let t = inv_typ(h);
            if note {
                name = "cdnr";
                cdnr.entry(ctin.clone()).or_default().push(json!({
                    "ntty": if kind == DocKind::CreditNote { "C" } else { "D" },
                    "nt_num": number, "nt_dt": gov_date(h.doc_date), "val": num(h.total),
                    "pos": h.place_of_supply, "rchrg": if h.reverse_charge { "Y" } else { "N" },
                    "inv_typ": t, "itms": items(false, false),
                }));
                for r in &taxed {
                    csv.push("cdnr", || {
                        vec![
                            ctin.clone(),
                            h.party_name.clone().unwrap_or_default(),
                            number.clone(),
                            csv_date(h.doc_date),
                            if kind == DocKind::CreditNote { "C" } else { "D" }.into(),
                            pos_label(&h.place_of_supply),
                            if h.reverse_charge { "Y" } else { "N" }.into(),
                            inv_typ_text(t).into(),
                            money(h.total),
                            String::new(),
                            money(r.gst_rate),
                            money(r.taxable_value),
                            money(r.cess),
                        ]
                    });
                }
            } else {
                name = "b2b";
                b2b.entry(ctin.clone()).or_default().push(json!({
                    "inum": number, "idt": gov_date(h.doc_date), "val": num(h.total), "pos": h.place_of_supply,
                    "rchrg": if h.reverse_charge { "Y" } else { "N" }, "inv_typ": t, "itms": items(false, false),
                }));
                for r in &taxed {
                    csv.push("b2b", || {
                        vec![
                            ctin.clone(),
                            h.party_name.clone().unwrap_or_default(),
                            number.clone(),
                            csv_date(h.doc_date),
                            money(h.total),
                            pos_label(&h.place_of_supply),
                            if h.reverse_charge { "Y" } else { "N" }.into(),
                            String::new(),
                            inv_typ_text(t).into(),
                            String::new(),
                            money(r.gst_rate),
                            money(r.taxable_value),
                            money(r.cess),
                        ]
                    });
                }
            }
        } else if inter
            && (if note {
                big(h.total.max(original.map_or(Decimal::ZERO, |o| o.total)))
            } else {
                big(h.total)
            })
        {
            if note {
                name = "cdnur";
                cdnur.push(json!({
                    "typ": "B2CL", "ntty": if kind == DocKind::CreditNote { "C" } else { "D" },
                    "nt_num": number, "nt_dt": gov_date(h.doc_date), "val": num(h.total),
                    "pos": h.place_of_supply, "itms": items(false, true),
                }));
                for r in &taxed {
                    csv.push("cdnur", || {
                        vec![
                            "B2CL".into(),
                            number.clone(),
                            csv_date(h.doc_date),
                            if kind == DocKind::CreditNote { "C" } else { "D" }.into(),
                            pos_label(&h.place_of_supply),
                            money(h.total),
                            String::new(),
                            money(r.gst_rate),
                            money(r.taxable_value),
                            money(r.cess),
                        ]
                    });
                }
            } else {
                name = "b2cl";
                b2cl.entry(h.place_of_supply.clone()).or_default().push(json!({
                    "inum": number, "idt": gov_date(h.doc_date), "val": num(h.total), "itms": items(false, true),
                }));
                for r in &taxed {
                    csv.push("b2cl", || {
                        vec![
                            number.clone(),
                            csv_date(h.doc_date),
                            money(h.total),
                            pos_label(&h.place_of_supply),
                            String::new(),
                            money(r.gst_rate),
                            money(r.taxable_value),
                            money(r.cess),
                            String::new(),
                        ]
                    });
                }
            }
        } else {
            name = "b2cs";
            for r in &taxed {
                let key = (
                    if inter { "INTER" } else { "INTRA" }.to_owned(),
                    h.place_of_supply.clone(),
                    r.gst_rate,
                );
                b2cs.entry(key).or_default().add(sign, r);
            }
        }
        for r in &taxed {
            section(&mut totals, name).add(sign, r);
        }
        counted.entry(name).or_default().insert(h.id);
    }

    let mut portal = json!({ "gstin": gstin, "fp": format!("{:02}{}", from.month(), from.year()) });
    portal["b2b"] = json!(
        b2b.into_iter().map(|(ctin, inv)| json!({ "ctin": ctin, "inv": inv })).collect::<Vec<_>>()
    );
    portal["b2cl"] = json!(
        b2cl.into_iter().map(|(pos, inv)| json!({ "pos": pos, "inv": inv })).collect::<Vec<_>>()
    );
    let mut b2cs_rows = Vec::new();
    for ((sply, pos, rt), t) in &b2cs {
        let mut row = json!({ "sply_ty": sply, "pos": pos, "typ": "OE", "rt": rate(*rt), "txval": num(t.taxable_value), "csamt": num(t.cess) });
        if sply == "INTER" {
            row["iamt"] = num(t.igst);
        } else {
            row["camt"] = num(t.cgst);
            row["samt"] = num(t.sgst);
        }
        b2cs_rows.push(row);
        csv.push("b2cs", || {
            vec![
                "OE".into(),
                pos_label(pos),
                String::new(),
                money(*rt),
                money(t.taxable_value),
                money(t.cess),
                String::new(),
            ]
        });
    }
    portal["b2cs"] = json!(b2cs_rows);
    portal["cdnr"] = json!(
        cdnr.into_iter().map(|(ctin, nt)| json!({ "ctin": ctin, "nt": nt })).collect::<Vec<_>>()
    );
    portal["cdnur"] = json!(cdnur);
    portal["exp"] = json!(
        exp.into_iter().map(|(t, inv)| json!({ "exp_typ": t, "inv": inv })).collect::<Vec<_>>()
    );
    let nil_rows: Vec<Value> = ["INTRB2B", "INTRAB2B", "INTRB2C", "INTRAB2C"]
        .iter()
        .map(|k| {
            let [n, e, g] = nil.get(k).copied().unwrap_or_default();
            json!({ "sply_ty": k, "nil_amt": num(n), "expt_amt": num(e), "ngsup_amt": num(g) })
        })
        .collect();
    for (k, label) in [
        ("INTRB2B", "Inter-State supplies to registered persons"),
        ("INTRAB2B", "Intra-State supplies to registered persons"),
        ("INTRB2C", "Inter-State supplies to unregistered persons"),
        ("INTRAB2C", "Intra-State supplies to unregistered persons"),
    ] {
        let [n, e, g] = nil.get(k).copied().unwrap_or_default();
        csv.push("exemp", || vec![label.into(), money(n), money(e), money(g)]);
    }
    portal["nil"] = json!({ "inv": nil_rows });

    // HSN: one list before May 2025, B2B and B2C lists from then on.
    let hsn_row = |i: usize, h: &HsnLine| {
        let service = h.is_service || h.hsn_sac.starts_with("99");
        let mut row = json!({
            "num": i + 1, "hsn_sc": h.hsn_sac, "uqc": if service { "NA" } else { h.unit.as_str() },
            "qty": if service { json!(0) } else { num(h.quantity) }, "rt": rate(h.gst_rate),
            "txval": num(h.taxable_value), "iamt": num(h.igst), "camt": num(h.cgst), "samt": num(h.sgst), "csamt": num(h.cess),
        });
        let desc: String = h.description.chars().take(30).collect();
        if !desc.trim().is_empty() {
            row["desc"] = json!(desc.trim());
        }
        row
    };
    let hsn_csv = |h: &HsnLine| {
        let service = h.is_service || h.hsn_sac.starts_with("99");
        vec![
            h.hsn_sac.clone(),
            h.description.chars().take(30).collect(),
            if service { "NA".into() } else { h.unit.clone() },
            if service { "0".into() } else { format!("{:.2}", h.quantity.round_dp(2)) },
            money(h.taxable_value + h.igst + h.cgst + h.sgst + h.cess),
            money(h.gst_rate),
            money(h.taxable_value),
            money(h.igst),
            money(h.cgst),
            money(h.sgst),
            money(h.cess),
        ]
    };
    if hsn_split(from) {
        // Summed again without the B2B/B2C split key when not splitting.
        let b2b_rows: Vec<&HsnLine> = hsn.iter().filter(|h| h.b2b).collect();
        let b2c_rows: Vec<&HsnLine> = hsn.iter().filter(|h| !h.b2b).collect();
        portal["hsn"] = json!({
            "hsn_b2b": b2b_rows.iter().enumerate().map(|(i, h)| hsn_row(i, h)).collect::<Vec<_>>(),
            "hsn_b2c": b2c_rows.iter().enumerate().map(|(i, h)| hsn_row(i, h)).collect::<Vec<_>>(),
        });
        for h in &b2b_rows {
            csv.push("hsn_b2b", || hsn_csv(h));
        }
        for h in &b2c_rows {
            csv.push("hsn_b2c", || hsn_csv(h));
        }
    } else {
        let merged = merge_hsn(hsn);
        portal["hsn"] = json!({ "data": merged.iter().enumerate().map(|(i, h)| hsn_row(i, h)).collect::<Vec<_>>() });
        for h in &merged {
            csv.push("hsn", || hsn_csv(h));
        }
    }
    let mut hsn_total =
        SectionTotal { section: "hsn".into(), records: hsn.len(), ..SectionTotal::default() };
    for h in hsn {
        hsn_total.taxable_value += h.taxable_value;
        hsn_total.igst += h.igst;
        hsn_total.cgst += h.cgst;
        hsn_total.sgst += h.sgst;
        hsn_total.cess += h.cess;
    }

    // Documents issued: invoices (1), debit notes (4), credit notes (5).
    let mut by_nature: BTreeMap<u8, Vec<Value>> = BTreeMap::new();
    for s in series {
        let nature = match s.kind.as_str() {
            "credit_note" => 5,
            "debit_note" => 4,
            _ => 1,
        };
        let list = by_nature.entry(nature).or_default();
        list.push(json!({
            "num": list.len() + 1, "from": s.first, "to": s.last, "totnum": s.total,
            "cancel": s.cancelled, "net_issue": s.total - s.cancelled,
        }));
        let label = match nature {
            5 => "Credit Note",
            4 => "Debit Note",
            _ => "Invoices for outward supply",
        };
        csv.push("docs", || {
            vec![
                label.into(),
                s.first.clone().unwrap_or_default(),
                s.last.clone().unwrap_or_default(),
                s.total.to_string(),
                s.cancelled.to_string(),
            ]
        });
    }
    portal["doc_issue"] = json!({
        "doc_det": by_nature.into_iter().map(|(n, docs)| json!({ "doc_num": n, "docs": docs })).collect::<Vec<_>>()
    });
    for l in late {
        flags.push(Flag {
            kind: "cancelled_after_period".into(),
            number: l.number.clone().unwrap_or_default(),
            message: format!(
                "dated {} and cancelled on {}: if its month's GSTR-1 is filed, amend it there (B2BA/B2CLA) or report a credit note",
                l.doc_date.format("%d-%m-%Y"),
                l.cancelled_on.format("%d-%m-%Y")
            ),
        });
    }

    let mut sections: Vec<SectionTotal> = Vec::new();
    for name in ["b2b", "b2cl", "b2cs", "cdnr", "cdnur", "exp", "nil"] {
        let mut t = totals
            .remove(name)
            .unwrap_or_else(|| SectionTotal { section: name.into(), ..SectionTotal::default() });
        t.records = counted.get(name).map_or(0, std::collections::HashSet::len);
        sections.push(t);
    }
    let mut all = SectionTotal { section: "all".into(), ..SectionTotal::default() };
    for t in &sections {
        all.taxable_value += t.taxable_value;
        all.igst += t.igst;
        all.cgst += t.cgst;
        all.sgst += t.sgst;
        all.cess += t.cess;
    }
    all.records = docs.len();
    sections.push(hsn_total);
    sections.push(all);
    Gstr1 { portal, sections, csv: csv.rows, flags }
}

fn merge_hsn(hsn: &[HsnLine]) -> Vec<HsnLine> {
    let mut out: BTreeMap<(String, String, Decimal), HsnLine> = BTreeMap::new();
    for h in hsn {
        let e =
            out.entry((h.hsn_sac.clone(), h.unit.clone(), h.gst_rate)).or_insert_with(|| HsnLine {
                quantity: Decimal::ZERO,
                taxable_value: Decimal::ZERO,
                igst: Decimal::ZERO,
                cgst: Decimal::ZERO,
                sgst: Decimal::ZERO,
                cess: Decimal::ZERO,
                ..h.clone()
            });
        e.quantity += h.quantity;
        e.taxable_value += h.taxable_value;
        e.igst += h.igst;
        e.cgst += h.cgst;
        e.sgst += h.sgst;
        e.cess += h.cess;
    }
    out.into_values().collect()
}

/// The offline tool's column headers of each CSV section.
pub fn csv_header(section: &str) -> &'static [&'static str] {
    match section {
        "b2b" => &[
            "GSTIN/UIN of Recipient",
            "Receiver Name",
            "Invoice Number",
            "Invoice date",
            "Invoice Value",
            "Place Of Supply",
            "Reverse Charge",
            "Applicable % of Tax Rate",
            "Invoice Type",
            "E-Commerce GSTIN",
            "Rate",
            "Taxable Value",
            "Cess Amount",
        ],
        "b2cl" => &[
            "Invoice Number",
            "Invoice date",
            "Invoice Value",
            "Place Of Supply",
            "Applicable % of Tax Rate",
            "Rate",
            "Taxable Value",
            "Cess Amount",
            "E-Commerce GSTIN",
        ],
        "b2cs" => &[
            "Type",
            "Place Of Supply",
            "Applicable % of Tax Rate",
            "Rate",
            "Taxable Value",
            "Cess Amount",
            "E-Commerce GSTIN",
        ],
        "cdnr" => &[
            "GSTIN/UIN of Recipient",
            "Receiver Name",
            "Note Number",
            "Note Date",
            "Note Type",
            "Place Of Supply",
            "Reverse Charge",
            "Note Supply Type",
            "Note Value",
            "Applicable % of Tax Rate",
            "Rate",
            "Taxable Value",
            "Cess Amount",
        ],
        "cdnur" => &[
            "UR Type",
            "Note Number",
            "Note Date",
            "Note Type",
            "Place Of Supply",
            "Note Value",
            "Applicable % of Tax Rate",
            "Rate",
            "Taxable Value",
            "Cess Amount",
        ],
        "exp" => &[
            "Export Type",
            "Invoice Number",
            "Invoice date",
            "Invoice Value",
            "Port Code",
            "Shipping Bill Number",
            "Shipping Bill Date",
            "Rate",
            "Taxable Value",
            "Cess Amount",
        ],
        "exemp" => &[
            "Description",
            "Nil Rated Supplies",
            "Exempted(other than nil rated/non GST supply)",
            "Non-GST Supplies",
        ],
        "hsn" | "hsn_b2b" | "hsn_b2c" => &[
            "HSN",
            "Description",
            "UQC",
            "Total Quantity",
            "Total Value",
            "Rate",
            "Taxable Value",
            "Integrated Tax Amount",
            "Central Tax Amount",
            "State/UT Tax Amount",
            "Cess Amount",
        ],
        "docs" => {
            &["Nature of Document", "Sr. No. From", "Sr. No. To", "Total Number", "Cancelled"]
        }
        _ => &[],
    }
}

// ── GSTR-3B ──────────────────────────────────────────────────────────────

/// Tax by head.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = TaxHeads)]
pub struct Heads {
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST or UTGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
}

impl Heads {
    fn get(&self, h: Head) -> Decimal {
        match h {
            Head::Igst => self.igst,
            Head::Cgst => self.cgst,
            Head::Sgst => self.sgst,
            Head::Cess => self.cess,
        }
    }

    fn slot(&mut self, h: Head) -> &mut Decimal {
        match h {
            Head::Igst => &mut self.igst,
            Head::Cgst => &mut self.cgst,
            Head::Sgst => &mut self.sgst,
            Head::Cess => &mut self.cess,
        }
    }
}

/// A tax head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = TaxHead)]
pub enum Head {
    /// Integrated tax.
    Igst,
    /// Central tax.
    Cgst,
    /// State or union territory tax.
    Sgst,
    /// Compensation cess.
    Cess,
}

/// Credit of one head used against another's liability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Utilisation {
    /// The credit used.
    pub credit: Head,
    /// The liability paid.
    pub liability: Head,
    /// How much.
    #[schema(value_type = String)]
    pub amount: Decimal,
}

/// The month's tax paid: credit used in the law's order, the rest in cash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SetOff {
    /// Tax on outward supplies (tables 3.1(a) and (b)).
    pub liability: Heads,
    /// Tax on inward supplies under reverse charge (3.1(d)): paid in cash.
    pub reverse_charge: Heads,
    /// Net input tax credit (table 4(C)).
    pub credit: Heads,
    /// Credit used, step by step.
    pub utilised: Vec<Utilisation>,
    /// Paid in cash: what credit does not cover, and reverse charge.
    pub cash: Heads,
    /// Credit left over for the next month.
    pub carried_forward: Heads,
}

/// Sets credit off against liability in the order of section 49 and rule
/// 88A: IGST credit first against IGST, then against CGST and SGST (in the
/// split that leaves least to pay in cash, as the law lets the taxpayer
/// choose); CGST and SGST credit only after IGST credit is used up, each
/// against its own head and then IGST (CGST before SGST for IGST); never
/// CGST against SGST or back; cess only against cess. Reverse-charge tax
/// is paid in cash.
pub fn set_off(liability: Heads, reverse_charge: Heads, credit: Heads) -> SetOff {
    let mut due = liability;
    let mut left = credit;
    let mut utilised = Vec::new();
    let mut use_credit =
        |from: Head, to: Head, amount: Decimal, due: &mut Heads, left: &mut Heads| {
            let a = amount.min(due.get(to)).min(left.get(from));
            if a > Decimal::ZERO {
                *due.slot(to) -= a;
                *left.slot(from) -= a;
                utilised.push(Utilisation { credit: from, liability: to, amount: a });
            }
        };
    // 1. IGST credit → IGST.
    use_credit(Head::Igst, Head::Igst, Decimal::MAX, &mut due, &mut left);
    // 2. What IGST credit is left → CGST and SGST: first where their own
    //    credit falls short, then whatever liability remains.
    let short_c = (due.cgst - left.cgst).max(Decimal::ZERO);
    let short_s = (due.sgst - left.sgst).max(Decimal::ZERO);
    use_credit(Head::Igst, Head::Cgst, short_c, &mut due, &mut left);
    use_credit(Head::Igst, Head::Sgst, short_s, &mut due, &mut left);
    use_credit(Head::Igst, Head::Cgst, Decimal::MAX, &mut due, &mut left);
    use_credit(Head::Igst, Head::Sgst, Decimal::MAX, &mut due, &mut left);
    // 3. CGST credit → CGST, then IGST.
    use_credit(Head::Cgst, Head::Cgst, Decimal::MAX, &mut due, &mut left);
    use_credit(Head::Cgst, Head::Igst, Decimal::MAX, &mut due, &mut left);
    // 4. SGST credit → SGST, then IGST (CGST credit having gone first).
    use_credit(Head::Sgst, Head::Sgst, Decimal::MAX, &mut due, &mut left);
    use_credit(Head::Sgst, Head::Igst, Decimal::MAX, &mut due, &mut left);
    // 5. Cess only against cess.
    use_credit(Head::Cess, Head::Cess, Decimal::MAX, &mut due, &mut left);
    let cash = Heads {
        igst: due.igst + reverse_charge.igst,
        cgst: due.cgst + reverse_charge.cgst,
        sgst: due.sgst + reverse_charge.sgst,
        cess: due.cess + reverse_charge.cess,
    };
    SetOff { liability, reverse_charge, credit, utilised, cash, carried_forward: left }
}

/// One group of a month's outward or inward lines, for GSTR-3B.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Flow {
    pub kind: String,
    pub supply_type: String,
    pub reverse_charge: bool,
    pub registration: Option<String>,
    pub has_gstin: bool,
    pub place_of_supply: String,
    pub taxability: String,
    pub taxable_value: Decimal,
    pub igst: Decimal,
    pub cgst: Decimal,
    pub sgst: Decimal,
    pub cess: Decimal,
}

/// GSTR-3B for a month: the portal's JSON and the set-off.
pub fn gstr3b(
    gstin: &str,
    company_state: &str,
    from: NaiveDate,
    flows: &[Flow],
) -> (Value, SetOff) {
    #[derive(Default, Clone, Copy)]
    struct T {
        txval: Decimal,
        h: Heads,
    }
    impl T {
        fn add(&mut self, s: Decimal, f: &Flow) {
            self.txval += s * f.taxable_value;
            self.h.igst += s * f.igst;
            self.h.cgst += s * f.cgst;
            self.h.sgst += s * f.sgst;
            self.h.cess += s * f.cess;
        }
    }
    let (mut osup_det, mut osup_zero, mut nil_exmp, mut isup_rev, mut nongst) =
        (T::default(), T::default(), T::default(), T::default(), T::default());
    let mut unreg: BTreeMap<String, T> = BTreeMap::new();
    let mut comp: BTreeMap<String, T> = BTreeMap::new();
    let (mut itc_isrc, mut itc_oth) = (Heads::default(), Heads::default());
    let mut inward = [[Decimal::ZERO; 2]; 2]; // [GST, NONGST] × [inter, intra]
    for f in flows {
        let kind = DocKind::parse(&f.kind).unwrap_or(DocKind::Invoice);
        let s = if kind == DocKind::CreditNote { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
        let inter = f.place_of_supply != company_state;
        if kind == DocKind::PurchaseBill {
            match f.taxability.as_str() {
                "taxable" if f.reverse_charge => {
                    isup_rev.add(s, f);
                    itc_isrc.igst += f.igst;
                    itc_isrc.cgst += f.cgst;
                    itc_isrc.sgst += f.sgst;
                    itc_isrc.cess += f.cess;
                }
                "taxable" => {
                    itc_oth.igst += f.igst;
                    itc_oth.cgst += f.cgst;
                    itc_oth.sgst += f.sgst;
                    itc_oth.cess += f.cess;
                }
                "non_gst" => inward[1][usize::from(!inter)] += f.taxable_value,
                _ => inward[0][usize::from(!inter)] += f.taxable_value,
            }
            continue;
        }
        let zero = SupplyType::parse(&f.supply_type)
            .is_some_and(|t| t != SupplyType::Regular && t != SupplyType::DeemedExport);
        match f.taxability.as_str() {
            "non_gst" => nongst.add(s, f),
            "taxable" if f.reverse_charge => {
                // Tax the recipient pays: the supply is reported, not its tax.
                nil_exmp.txval += s * f.taxable_value;
            }
            "taxable" if zero => osup_zero.add(s, f),
            "taxable" => {
                osup_det.add(s, f);
                let unregistered = !f.has_gstin
                    || matches!(f.registration.as_deref(), Some("unregistered" | "consumer"));
                if inter && unregistered {
                    unreg.entry(f.place_of_supply.clone()).or_default().add(s, f);
                } else if inter && f.registration.as_deref() == Some("composition") {
                    comp.entry(f.place_of_supply.clone()).or_default().add(s, f);
                }
            }
            _ => nil_exmp.add(s, f),
        }
    }
    let five = |t: &T| json!({ "txval": num(t.txval), "iamt": num(t.h.igst), "camt": num(t.h.cgst), "samt": num(t.h.sgst), "csamt": num(t.h.cess) });
    let heads = |h: &Heads| json!({ "iamt": num(h.igst), "camt": num(h.cgst), "samt": num(h.sgst), "csamt": num(h.cess) });
    let inter_rows = |m: &BTreeMap<String, T>| {
        m.iter()
            .map(|(pos, t)| json!({ "pos": pos, "txval": num(t.txval), "iamt": num(t.h.igst) }))
            .collect::<Vec<_>>()
    };
    let avl = Heads {
        igst: itc_isrc.igst + itc_oth.igst,
        cgst: itc_isrc.cgst + itc_oth.cgst,
        sgst: itc_isrc.sgst + itc_oth.sgst,
        cess: itc_isrc.cess + itc_oth.cess,
    };
    let zero = Heads::default();
    let with_ty = |ty: &str, h: &Heads| {
        let mut v = heads(h);
        v["ty"] = json!(ty);
        v
    };
    let portal = json!({
        "gstin": gstin,
        "ret_period": format!("{:02}{}", from.month(), from.year()),
        "sup_details": {
            "osup_det": five(&osup_det),
            "osup_zero": { "txval": num(osup_zero.txval), "iamt": num(osup_zero.h.igst), "csamt": num(osup_zero.h.cess) },
            "osup_nil_exmp": { "txval": num(nil_exmp.txval) },
            "isup_rev": five(&isup_rev),
            "osup_nongst": { "txval": num(nongst.txval) },
        },
        "inter_sup": { "unreg_details": inter_rows(&unreg), "comp_details": inter_rows(&comp), "uin_details": [] },
        "itc_elg": {
            "itc_avl": [with_ty("IMPG", &zero), with_ty("IMPS", &zero), with_ty("ISRC", &itc_isrc), with_ty("ISD", &zero), with_ty("OTH", &itc_oth)],
            "itc_rev": [with_ty("RUL", &zero), with_ty("OTH", &zero)],
            "itc_net": heads(&avl),
            "itc_inelg": [with_ty("RUL", &zero), with_ty("OTH", &zero)],
        },
        "inward_sup": { "isup_details": [
            { "ty": "GST", "inter": num(inward[0][0]), "intra": num(inward[0][1]) },
            { "ty": "NONGST", "inter": num(inward[1][0]), "intra": num(inward[1][1]) },
        ] },
    });
    let liability = Heads {
        igst: osup_det.h.igst + osup_zero.h.igst,
        cgst: osup_det.h.cgst,
        sgst: osup_det.h.sgst,
        cess: osup_det.h.cess + osup_zero.h.cess,
    };
    (portal, set_off(liability, isup_rev.h, avl))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn h(i: &str, c: &str, s: &str) -> Heads {
        Heads { igst: d(i), cgst: d(c), sgst: d(s), cess: Decimal::ZERO }
    }

    #[test]
    fn igst_credit_goes_first_then_to_the_heads_that_fall_short() {
        // Liability: IGST 1,000, CGST 5,000, SGST 5,000. Credit: IGST
        // 4,000, CGST 4,500, SGST 1,000.
        let s = set_off(h("1000", "5000", "5000"), Heads::default(), h("4000", "4500", "1000"));
        let steps: Vec<(Head, Head, Decimal)> =
            s.utilised.iter().map(|u| (u.credit, u.liability, u.amount)).collect();
        assert_eq!(
            steps,
            vec![
                (Head::Igst, Head::Igst, d("1000")),
                // 3,000 of IGST credit left: CGST falls short by 500, SGST by 4,000.
                (Head::Igst, Head::Cgst, d("500")),
                (Head::Igst, Head::Sgst, d("2500")),
                (Head::Cgst, Head::Cgst, d("4500")),
                (Head::Sgst, Head::Sgst, d("1000")),
            ]
        );
        assert_eq!(s.cash, h("0", "0", "1500"));
        assert_eq!(s.carried_forward, h("0", "0", "0"));
    }

    #[test]
    fn cgst_pays_igst_before_sgst_does_and_never_sgst() {
        // IGST liability 6,000 with no IGST credit: CGST credit 2,000 left
        // after CGST, SGST credit 9,000 left after SGST.
        let s = set_off(h("6000", "1000", "1000"), Heads::default(), h("0", "3000", "10000"));
        let steps: Vec<(Head, Head, Decimal)> =
            s.utilised.iter().map(|u| (u.credit, u.liability, u.amount)).collect();
        assert_eq!(
            steps,
            vec![
                (Head::Cgst, Head::Cgst, d("1000")),
                (Head::Cgst, Head::Igst, d("2000")),
                (Head::Sgst, Head::Sgst, d("1000")),
                (Head::Sgst, Head::Igst, d("4000")),
            ]
        );
        assert_eq!(s.cash, h("0", "0", "0"));
        assert_eq!(s.carried_forward, h("0", "0", "5000"));
        // CGST credit never pays SGST: with SGST due and only CGST credit, cash.
        let s = set_off(h("0", "0", "700"), Heads::default(), h("0", "900", "0"));
        assert!(s.utilised.is_empty());
        assert_eq!(s.cash, h("0", "0", "700"));
    }

    #[test]
    fn reverse_charge_is_paid_in_cash_and_cess_only_with_cess() {
        let liability = Heads { cess: d("300"), ..h("100", "0", "0") };
        let credit = Heads { cess: d("50"), ..h("1000", "0", "0") };
        let s = set_off(liability, h("180", "0", "0"), credit);
        assert_eq!(s.cash, Heads { cess: d("250"), ..h("180", "0", "0") });
        assert_eq!(s.carried_forward.igst, d("900"));
    }
}
