//! The NIC e-invoice (schema 1.1, INV-01): which documents need one, the
//! JSON the IRP registers, its validation against the schema's rules and
//! the portal's value checks, and the IRN. Pure: the document, company
//! and party come in, JSON and violations come out.
//!
//! The validator reads the JSON, not the document, the way the IRP does,
//! so whatever built the payload it is held to the same rules; each
//! violation names its JSON path, the document's line it comes from and
//! the field of ours to correct.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::india;
use crate::model::{DocKind, Document};
use crate::tax::{SupplyType, Taxability};

/// The schema version sent.
pub const VERSION: &str = "1.1";

/// GST rates the IRP's rate master accepts (the 40% slab from 22 Sep 2025).
pub const RATES: [&str; 13] =
    ["0", "0.1", "0.25", "1", "1.5", "3", "5", "6", "7.5", "12", "18", "28", "40"];

/// A rule the payload breaks.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Violation {
    /// Where in the e-invoice JSON (`ItemList[1].HsnCd`).
    pub path: String,
    /// The document's line it comes from (1-based), for item rules.
    pub line: Option<i32>,
    /// The field of ours to correct (`lines[0].hsn_sac`, `party.gstin`,
    /// `company.address.pincode`), when there is one.
    pub field: Option<String>,
    /// What is wrong, for a person.
    pub message: String,
}

/// Why a document needs no e-invoice.
pub fn not_applicable(doc: &Document, party: &Value) -> Option<String> {
    if !matches!(doc.kind, DocKind::Invoice | DocKind::CreditNote | DocKind::DebitNote) {
        return Some(format!(
            "a {} is not e-invoiced: only tax invoices, credit notes and debit notes are",
            doc.kind.label()
        ));
    }
    let registration = party["registration"].as_str().unwrap_or_default();
    if doc.supply_type == SupplyType::Regular
        && (!matches!(registration, "regular" | "composition" | "sez") || party["gstin"].is_null())
    {
        return Some(
            "supplies to unregistered buyers and consumers (B2C) are not e-invoiced; B2B, SEZ and export supplies are"
                .into(),
        );
    }
    None
}

/// `INV`, `CRN` or `DBN`.
pub fn doc_type(kind: DocKind) -> &'static str {
    match kind {
        DocKind::CreditNote => "CRN",
        DocKind::DebitNote => "DBN",
        _ => "INV",
    }
}

/// The IRN: the SHA-256 (hex) of supplier GSTIN, financial year
/// (`2019-20`), document type and number, all upper case — what the IRP
/// computes and refuses to register twice.
pub fn irn(gstin: &str, date: NaiveDate, typ: &str, number: &str) -> String {
    let fy = india::fy_label(india::financial_year(date));
    let input =
        format!("{}{fy}{}{}", gstin.to_uppercase(), typ.to_uppercase(), number.to_uppercase());
    hex_lower(&Sha256::digest(input.as_bytes()))
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn amt(d: Decimal) -> Value {
    json!(d.round_dp(2).to_f64().unwrap_or_default())
}

fn amt3(d: Decimal) -> Value {
    json!(d.round_dp(3).to_f64().unwrap_or_default())
}

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned)
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(k.into(), v);
    }
}

fn pin(addr: &Value) -> Option<Value> {
    s(addr, "pincode").and_then(|p| p.parse::<u32>().ok()).map(|p| json!(p))
}

/// The document's e-invoice JSON and, for each `ItemList` entry, the
/// document line it was made from. `original` is the invoice a note
/// adjusts (its number and date).
pub fn build(
    doc: &Document,
    company: &Value,
    party: &Value,
    original: Option<(&str, NaiveDate)>,
) -> (Value, Vec<i32>) {
    let export =
        matches!(doc.supply_type, SupplyType::ExportWithTax | SupplyType::ExportWithoutTax);
    let sup_typ = match doc.supply_type {
        SupplyType::Regular => "B2B",
        SupplyType::SezWithTax => "SEZWP",
        SupplyType::SezWithoutTax => "SEZWOP",
        SupplyType::ExportWithTax => "EXPWP",
        SupplyType::ExportWithoutTax => "EXPWOP",
        SupplyType::DeemedExport => "DEXP",
    };
    let company_gstin = s(company, "gstin").unwrap_or_default();
    let company_state = s(company, "state_code").unwrap_or_default();
    let mut tran = Map::new();
    tran.insert("TaxSch".into(), json!("GST"));
    tran.insert("SupTyp".into(), json!(sup_typ));
    tran.insert("RegRev".into(), json!(if doc.reverse_charge { "Y" } else { "N" }));
    // IGST although seller and place of supply share a state (SEZ
    // units and deemed exports inside the state are inter-state supplies).
    if doc.place_of_supply == company_state && doc.igst > Decimal::ZERO {
        tran.insert("IgstOnIntra".into(), json!("Y"));
    }

    let caddr = company.get("address").cloned().unwrap_or(Value::Null);
    let mut seller = Map::new();
    seller.insert("Gstin".into(), json!(company_gstin));
    put(&mut seller, "LglNm", s(company, "name").map(Value::from));
    put(&mut seller, "Addr1", s(&caddr, "line1").map(Value::from));
    put(&mut seller, "Addr2", s(&caddr, "line2").map(Value::from));
    put(&mut seller, "Loc", s(&caddr, "city").map(Value::from));
    put(&mut seller, "Pin", pin(&caddr));
    seller.insert("Stcd".into(), json!(company_state));
    put(
        &mut seller,
        "Ph",
        s(company, "phone")
            .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
            .map(Value::from),
    );
    put(&mut seller, "Em", s(company, "email").map(Value::from));

    let baddr = party.get("billing_address").cloned().unwrap_or(Value::Null);
    let mut buyer = Map::new();
    buyer.insert(
        "Gstin".into(),
        json!(if export { "URP".to_owned() } else { s(party, "gstin").unwrap_or_default() }),
    );
    put(&mut buyer, "LglNm", s(party, "legal_name").map(Value::from));
    put(&mut buyer, "TrdNm", s(party, "trade_name").map(Value::from));
    buyer.insert("Pos".into(), json!(if export { "96" } else { doc.place_of_supply.as_str() }));
    put(&mut buyer, "Addr1", s(&baddr, "line1").map(Value::from));
    put(&mut buyer, "Addr2", s(&baddr, "line2").map(Value::from));
    put(&mut buyer, "Loc", s(&baddr, "city").map(Value::from));
    put(&mut buyer, "Pin", if export { Some(json!(999_999)) } else { pin(&baddr) });
    buyer.insert(
        "Stcd".into(),
        json!(if export {
            "96".to_owned()
        } else {
            s(&baddr, "state_code").or_else(|| s(party, "state_code")).unwrap_or_default()
        }),
    );

    let mut out = Map::new();
    out.insert("Version".into(), json!(VERSION));
    out.insert("TranDtls".into(), Value::Object(tran));
    out.insert(
        "DocDtls".into(),
        json!({ "Typ": doc_type(doc.kind), "No": doc.number.clone().unwrap_or_default().to_uppercase(), "Dt": date(doc.date) }),
    );
    out.insert("SellerDtls".into(), Value::Object(seller));
    out.insert("BuyerDtls".into(), Value::Object(buyer));
    if let Some(ship) = party.get("shipping_address").filter(|a| a.is_object() && **a != baddr) {
        let mut m = Map::new();
        put(
            &mut m,
            "Gstin",
            if export { Some(json!("URP")) } else { s(party, "gstin").map(Value::from) },
        );
        put(&mut m, "LglNm", s(party, "legal_name").map(Value::from));
        put(&mut m, "Addr1", s(ship, "line1").map(Value::from));
        put(&mut m, "Addr2", s(ship, "line2").map(Value::from));
        put(&mut m, "Loc", s(ship, "city").map(Value::from));
        put(&mut m, "Pin", if export { Some(json!(999_999)) } else { pin(ship) });
        put(&mut m, "Stcd", s(ship, "state_code").map(Value::from));
        out.insert("ShipDtls".into(), Value::Object(m));
    }

    // Taxable and zero-rated lines are items; nil-rated, exempt and
    // non-GST lines go into other charges (as the IRP asks).
    let mut items = Vec::new();
    let mut lines = Vec::new();
    let mut other = Decimal::ZERO;
    let (mut ass, mut cgst, mut sgst, mut igst, mut cess) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for l in &doc.lines {
        if l.taxability.0 != Taxability::Taxable {
            other += l.total;
            continue;
        }
        let state = l.sgst + l.utgst;
        let item_total = if doc.reverse_charge { l.taxable_value } else { l.total };
        let unit_price =
            if l.quantity.is_zero() { l.gross } else { (l.gross / l.quantity).round_dp(3) };
        let mut it = Map::new();
        it.insert("SlNo".into(), json!((items.len() + 1).to_string()));
        it.insert("PrdDesc".into(), json!(l.description));
        it.insert("IsServc".into(), json!(if l.is_service { "Y" } else { "N" }));
        it.insert("HsnCd".into(), json!(l.hsn_sac));
        it.insert("Qty".into(), amt3(l.quantity));
        it.insert("Unit".into(), json!(if l.is_service { "OTH" } else { l.unit.as_str() }));
        it.insert("UnitPrice".into(), amt3(unit_price));
        it.insert("TotAmt".into(), amt(l.gross));
        it.insert("Discount".into(), amt(l.gross - l.taxable_value));
        it.insert("AssAmt".into(), amt(l.taxable_value));
        it.insert("GstRt".into(), amt3(l.gst_rate));
        it.insert("IgstAmt".into(), amt(l.igst));
        it.insert("CgstAmt".into(), amt(l.cgst));
        it.insert("SgstAmt".into(), amt(state));
        it.insert("CesRt".into(), amt3(l.cess_rate));
        it.insert("CesAmt".into(), amt(l.cess));
        it.insert("TotItemVal".into(), amt(item_total));
        items.push(Value::Object(it));
        lines.push(l.line_no);
        ass += l.taxable_value;
        cgst += l.cgst;
        sgst += state;
        igst += l.igst;
        cess += l.cess;
    }
    out.insert("ItemList".into(), Value::Array(items));
    let item_sum: Decimal = if doc.reverse_charge { ass } else { ass + cgst + sgst + igst + cess };
    let total = if doc.reverse_charge { item_sum + other + doc.round_off } else { doc.total };
    out.insert(
        "ValDtls".into(),
        json!({
            "AssVal": amt(ass), "CgstVal": amt(cgst), "SgstVal": amt(sgst), "IgstVal": amt(igst),
            "CesVal": amt(cess), "OthChrg": amt(other), "RndOffAmt": amt(doc.round_off),
            "TotInvVal": amt(total),
        }),
    );
    if let Some((no, dt)) = original {
        let mut r = Map::new();
        put(
            &mut r,
            "InvRm",
            doc.reason
                .as_deref()
                .map(str::trim)
                .filter(|x| x.len() >= 3)
                .map(|x| json!(truncate(x, 100))),
        );
        r.insert("PrecDocDtls".into(), json!([{ "InvNo": no.to_uppercase(), "InvDt": date(dt) }]));
        out.insert("RefDtls".into(), Value::Object(r));
    }
    if export {
        let mut e = Map::new();
        if let Some(c) = s(&baddr, "country").and_then(|c| country_code(&c)) {
            e.insert("CntCode".into(), json!(c));
        }
        e.insert(
            "RefClm".into(),
            json!(if doc.supply_type == SupplyType::ExportWithTax { "Y" } else { "N" }),
        );
        out.insert("ExpDtls".into(), Value::Object(e));
    }
    (Value::Object(out), lines)
}

fn truncate(x: &str, n: usize) -> String {
    x.chars().take(n).collect()
}

/// An ISO 3166 code for a country as people write it (two letters as
/// they are, or a common English name).
pub fn country_code(name: &str) -> Option<&'static str> {
    const NAMES: [(&str, &str); 24] = [
        ("united states", "US"),
        ("usa", "US"),
        ("united states of america", "US"),
        ("united kingdom", "GB"),
        ("uk", "GB"),
        ("great britain", "GB"),
        ("united arab emirates", "AE"),
        ("uae", "AE"),
        ("singapore", "SG"),
        ("germany", "DE"),
        ("france", "FR"),
        ("netherlands", "NL"),
        ("australia", "AU"),
        ("canada", "CA"),
        ("japan", "JP"),
        ("china", "CN"),
        ("saudi arabia", "SA"),
        ("bangladesh", "BD"),
        ("nepal", "NP"),
        ("sri lanka", "LK"),
        ("malaysia", "MY"),
        ("italy", "IT"),
        ("spain", "ES"),
        ("switzerland", "CH"),
    ];
    let n = name.trim().to_lowercase();
    NAMES
        .iter()
        .find(|(k, _)| *k == n)
        .map(|(_, c)| *c)
        .or_else(|| ISO2.iter().find(|c| c.eq_ignore_ascii_case(&n)).copied())
}

const ISO2: [&str; 40] = [
    "US", "GB", "AE", "SG", "DE", "FR", "NL", "AU", "CA", "JP", "CN", "SA", "BD", "NP", "LK", "MY",
    "IT", "ES", "CH", "QA", "OM", "KW", "BH", "HK", "KR", "ZA", "KE", "NG", "BR", "MX", "ID", "TH",
    "VN", "PH", "NZ", "IE", "BE", "SE", "DK", "NO",
];

/// Everything wrong with an e-invoice payload. `lines[i]` is the
/// document line `ItemList[i]` came from.
pub fn validate(inv: &Value, lines: &[i32]) -> Vec<Violation> {
    let mut v = Checker { out: Vec::new(), lines };
    v.run(inv);
    v.out
}

/// The violations of item codes not in the HSN/SAC master (the IRP
/// refuses them with 2176).
pub fn unknown_codes(inv: &Value, lines: &[i32], unknown: &[String]) -> Vec<Violation> {
    let mut v = Checker { out: Vec::new(), lines };
    for (i, it) in inv["ItemList"].as_array().into_iter().flatten().enumerate() {
        if let Some(code) = it["HsnCd"].as_str()
            && unknown.iter().any(|u| u == code)
        {
            v.add(
                format!("ItemList[{i}].HsnCd"),
                format!("`{code}` is not in the HSN/SAC master (the IRP refuses unknown codes)"),
            );
        }
    }
    v.out
}

/// The item codes of a payload.
pub fn codes(inv: &Value) -> Vec<String> {
    let mut c: Vec<String> = inv["ItemList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|it| it["HsnCd"].as_str().map(str::to_owned))
        .collect();
    c.sort();
    c.dedup();
    c
}

struct Checker<'a> {
    out: Vec<Violation>,
    lines: &'a [i32],
}

/// Our field behind an e-invoice path (outside the item list).
fn field_for(path: &str) -> Option<String> {
    let map: HashMap<&str, &str> = [
        ("SellerDtls.Gstin", "company.gstin"),
        ("SellerDtls.LglNm", "company.name"),
        ("SellerDtls.Addr1", "company.address.line1"),
        ("SellerDtls.Addr2", "company.address.line2"),
        ("SellerDtls.Loc", "company.address.city"),
        ("SellerDtls.Pin", "company.address.pincode"),
        ("SellerDtls.Stcd", "company.state"),
        ("SellerDtls.Ph", "company.phone"),
        ("SellerDtls.Em", "company.email"),
        ("BuyerDtls.Gstin", "party.gstin"),
        ("BuyerDtls.LglNm", "party.legal_name"),
        ("BuyerDtls.TrdNm", "party.trade_name"),
        ("BuyerDtls.Addr1", "party.billing_address.line1"),
        ("BuyerDtls.Addr2", "party.billing_address.line2"),
        ("BuyerDtls.Loc", "party.billing_address.city"),
        ("BuyerDtls.Pin", "party.billing_address.pincode"),
        ("BuyerDtls.Stcd", "party.billing_address.state_code"),
        ("BuyerDtls.Pos", "place_of_supply"),
        ("ShipDtls.Addr1", "party.shipping_address.line1"),
        ("ShipDtls.Loc", "party.shipping_address.city"),
        ("ShipDtls.Pin", "party.shipping_address.pincode"),
        ("DocDtls.No", "number"),
        ("DocDtls.Dt", "date"),
        ("RefDtls.InvRm", "reason"),
        ("RefDtls.PrecDocDtls[0].InvNo", "against_id"),
    ]
    .into_iter()
    .collect();
    map.get(path).map(|f| (*f).to_owned())
}

/// Our line field behind an item key.
fn line_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "PrdDesc" => "description",
        "HsnCd" => "hsn_sac",
        "Qty" => "quantity",
        "Unit" => "unit",
        "UnitPrice" => "unit_price",
        "Discount" => "discount",
        "GstRt" => "gst_rate",
        _ => return None,
    })
}

const NAME: &str = "may not contain a double quote";

/// A test a string must pass, and what it must be when it does not.
type Rule<'a> = Option<(&'a dyn Fn(&str) -> bool, &'a str)>;

impl Checker<'_> {
    fn add(&mut self, path: String, message: impl Into<String>) {
        let (line, field) = match item_index(&path) {
            Some((i, key)) => {
                let line = self.lines.get(i).copied();
                let field = match (line, line_field(key)) {
                    (Some(l), Some(f)) => Some(format!("lines[{}].{f}", l - 1)),
                    _ => None,
                };
                (line, field)
            }
            None => (None, field_for(&path)),
        };
        let message = match line {
            Some(l) => format!("line {l}: {}", message.into()),
            None => message.into(),
        };
        self.out.push(Violation { path, line, field, message });
    }

    /// A string between `min` and `max` characters, present if `required`,
    /// passing `ok` (which says what it must be).
    fn text(
        &mut self,
        obj: &Value,
        at: &str,
        key: &str,
        required: bool,
        (min, max): (usize, usize),
        ok: Rule<'_>,
    ) {
        let path = if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
        match obj.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.add(path, "is required");
                }
            }
            Some(Value::String(x)) => {
                let n = x.chars().count();
                if n < min || n > max {
                    self.add(
                        path,
                        if min == max {
                            format!("must be {min} characters (is {n})")
                        } else {
                            format!("must be {min} to {max} characters (is {n})")
                        },
                    );
                } else if let Some((f, what)) = ok
                    && !f(x)
                {
                    self.add(path, format!("`{x}` {what}"));
                }
            }
            Some(_) => self.add(path, "must be a string"),
        }
    }

    fn number(
        &mut self,
        obj: &Value,
        at: &str,
        key: &str,
        required: bool,
        (min, max): (f64, f64),
    ) -> f64 {
        let path = format!("{at}.{key}");
        match obj.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.add(path, "is required");
                }
                0.0
            }
            Some(Value::Number(n)) => {
                let x = n.as_f64().unwrap_or_default();
                if x < min || x > max {
                    self.add(path, format!("{x} is outside {min} to {max}"));
                }
                x
            }
            Some(_) => {
                self.add(path, "must be a number");
                0.0
            }
        }
    }

    fn party(&mut self, obj: &Value, at: &str, buyer: bool) {
        let gstin_ok = |g: &str| {
            (buyer && g == "URP")
                || (g.len() == 15
                    && g[..2].bytes().all(|b| b.is_ascii_digit())
                    && g.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
                    && identity::model::gstin_check_char(&g[..14]) == g.chars().nth(14))
        };
        self.text(
            obj,
            at,
            "Gstin",
            true,
            (if buyer { 3 } else { 15 }, 15),
            Some((&gstin_ok, "is not a valid GSTIN (pattern or check character)")),
        );
        let no_quote = |x: &str| !x.contains('"');
        self.text(obj, at, "LglNm", true, (3, 100), Some((&no_quote, NAME)));
        self.text(obj, at, "TrdNm", false, (3, 100), Some((&no_quote, NAME)));
        self.text(obj, at, "Addr1", true, (1, 100), Some((&no_quote, NAME)));
        self.text(obj, at, "Addr2", false, (3, 100), Some((&no_quote, NAME)));
        self.text(obj, at, "Loc", true, (3, if buyer { 100 } else { 50 }), Some((&no_quote, NAME)));
        if !buyer || obj.get("Pin").is_some() {
            self.number(obj, at, "Pin", !buyer, (100_000.0, 999_999.0));
        }
        let state = |x: &str| x == "96" || x == "97" || india::state(x).is_some();
        self.text(obj, at, "Stcd", true, (1, 2), Some((&state, "is not a GST state code")));
        if buyer {
            self.text(obj, at, "Pos", true, (1, 2), Some((&state, "is not a GST state code")));
        } else {
            let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
            self.text(obj, at, "Ph", false, (6, 12), Some((&digits, "must be 6 to 12 digits")));
            let email =
                |x: &str| x.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
            self.text(obj, at, "Em", false, (6, 100), Some((&email, "is not an e-mail address")));
        }
    }

    fn run(&mut self, inv: &Value) {
        self.text(inv, "", "Version", true, (1, 6), None);
        let tran = &inv["TranDtls"];
        let sup = |x: &str| {
            ["B2B", "SEZWP", "SEZWOP", "EXPWP", "EXPWOP", "DEXP"]
                .contains(&x.to_uppercase().as_str())
        };
        self.text(
            tran,
            "TranDtls",
            "TaxSch",
            true,
            (3, 10),
            Some((&|x: &str| x == "GST", "must be GST")),
        );
        self.text(
            tran,
            "TranDtls",
            "SupTyp",
            true,
            (3, 10),
            Some((&sup, "must be B2B, SEZWP, SEZWOP, EXPWP, EXPWOP or DEXP")),
        );
        let yn = |x: &str| x == "Y" || x == "N";
        self.text(tran, "TranDtls", "RegRev", false, (1, 1), Some((&yn, "must be Y or N")));
        self.text(tran, "TranDtls", "IgstOnIntra", false, (1, 1), Some((&yn, "must be Y or N")));

        let doc = &inv["DocDtls"];
        self.text(
            doc,
            "DocDtls",
            "Typ",
            true,
            (3, 3),
            Some((&|x: &str| ["INV", "CRN", "DBN"].contains(&x), "must be INV, CRN or DBN")),
        );
        let number = |x: &str| india::document_number_problem(x).is_none();
        self.text(
            doc,
            "DocDtls",
            "No",
            true,
            (1, 16),
            Some((&number, "must be letters, digits, / and - and not start with 0, / or -")),
        );
        let dt = |x: &str| NaiveDate::parse_from_str(x, "%d/%m/%Y").is_ok() && x.len() == 10;
        self.text(
            doc,
            "DocDtls",
            "Dt",
            true,
            (10, 10),
            Some((&dt, "must be a date as dd/mm/yyyy")),
        );

        let seller = &inv["SellerDtls"];
        let buyer = &inv["BuyerDtls"];
        self.party(seller, "SellerDtls", false);
        self.party(buyer, "BuyerDtls", true);
        if seller["Gstin"].is_string() && seller["Gstin"] == buyer["Gstin"] {
            self.add(
                "BuyerDtls.Gstin".into(),
                "is the seller's own GSTIN: a supply to oneself is not e-invoiced",
            );
        }
        let sup_typ = tran["SupTyp"].as_str().unwrap_or_default().to_uppercase();
        let zero_rated = matches!(sup_typ.as_str(), "SEZWP" | "SEZWOP" | "EXPWP" | "EXPWOP");
        let without_pay = matches!(sup_typ.as_str(), "SEZWOP" | "EXPWOP");
        if sup_typ.starts_with("EXP") && buyer["Pos"].as_str() != Some("96") {
            self.add("BuyerDtls.Pos".into(), "must be 96 (outside India) for an export");
        }
        let intra = seller["Stcd"].is_string()
            && seller["Stcd"] == buyer["Pos"]
            && tran["IgstOnIntra"].as_str() != Some("Y")
            && !zero_rated;

        let empty = Vec::new();
        let items = inv["ItemList"].as_array().unwrap_or(&empty);
        if items.is_empty() {
            self.add("ItemList".into(), "must hold at least one taxable or zero-rated item (nil-rated, exempt and non-GST lines alone are not e-invoiced)");
        }
        if items.len() > 1000 {
            self.add(
                "ItemList".into(),
                format!("holds {} items; the IRP takes at most 1000", items.len()),
            );
        }
        let (mut ass, mut cgst, mut sgst, mut igst, mut cess, mut item_total) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, it) in items.iter().enumerate() {
            let at = format!("ItemList[{i}]");
            let sl = |x: &str| x.len() <= 6 && x.bytes().all(|b| b.is_ascii_digit());
            self.text(it, &at, "SlNo", true, (1, 6), Some((&sl, "must be digits")));
            self.text(
                it,
                &at,
                "PrdDesc",
                false,
                (3, 300),
                Some((&|x: &str| !x.contains('"'), NAME)),
            );
            self.text(it, &at, "IsServc", true, (1, 1), Some((&yn, "must be Y or N")));
            let hsn = |x: &str| {
                matches!(x.len(), 6 | 8)
                    && x.bytes().all(|b| b.is_ascii_digit())
                    && !x.bytes().all(|b| b == b'0')
            };
            self.text(
                it,
                &at,
                "HsnCd",
                true,
                (4, 8),
                Some((
                    &hsn,
                    "must be a 6- or 8-digit HSN/SAC code (e-invoicing needs at least 6 digits)",
                )),
            );
            let service = it["IsServc"].as_str() == Some("Y");
            if let Some(h) = it["HsnCd"].as_str()
                && service != h.starts_with("99")
            {
                self.add(
                    format!("{at}.IsServc"),
                    if service {
                        format!("is Y but {h} is an HSN for goods (SAC codes start with 99)")
                    } else {
                        format!("is N but {h} is a SAC for services")
                    },
                );
            }
            if let Some(u) = it["Unit"].as_str()
                && !india::is_uqc(u)
                && u != "OTH"
            {
                self.add(format!("{at}.Unit"), format!("`{u}` is not a unit quantity code (UQC)"));
            }
            let max = 999_999_999_999.99;
            let qty = self.number(it, &at, "Qty", false, (0.0, 9_999_999_999.999));
            let price = self.number(it, &at, "UnitPrice", true, (0.0, max));
            let tot = self.number(it, &at, "TotAmt", true, (0.0, max));
            let disc = self.number(it, &at, "Discount", false, (0.0, max));
            let a = self.number(it, &at, "AssAmt", true, (0.0, max));
            let rt = self.number(it, &at, "GstRt", true, (0.0, 999.999));
            let ig = self.number(it, &at, "IgstAmt", false, (0.0, max));
            let cg = self.number(it, &at, "CgstAmt", false, (0.0, max));
            let sg = self.number(it, &at, "SgstAmt", false, (0.0, max));
            let ce = self.number(it, &at, "CesAmt", false, (0.0, max));
            let ce2 = self.number(it, &at, "CesNonAdvlAmt", false, (0.0, max));
            let oth = self.number(it, &at, "OthChrg", false, (0.0, max));
            let tiv = self.number(it, &at, "TotItemVal", true, (0.0, max));
            if it.get("GstRt").is_some()
                && !RATES.iter().any(|r| r.parse::<f64>().is_ok_and(|r| (r - rt).abs() < 1e-9))
            {
                self.add(
                    format!("{at}.GstRt"),
                    format!("{rt}% is not a GST rate in the IRP's master ({})", RATES.join(", ")),
                );
            }
            if qty > 0.0 && (price * qty - tot).abs() > 1.0 + 0.0005 * qty {
                self.add(
                    format!("{at}.TotAmt"),
                    format!("{tot} is not UnitPrice × Qty ({price} × {qty})"),
                );
            }
            if (a - (tot - disc)).abs() > 0.01 {
                self.add(
                    format!("{at}.AssAmt"),
                    format!("{a} must equal TotAmt − Discount ({tot} − {disc})"),
                );
            }
            let tax = a * rt / 100.0;
            if zero_rated && without_pay && (ig + cg + sg) > 0.0 {
                self.add(
                    format!("{at}.IgstAmt"),
                    "must be 0: the supply is zero-rated without payment of tax",
                );
            } else if intra {
                if ig > 0.0 {
                    self.add(format!("{at}.IgstAmt"), "must be 0 on an intra-state supply: CGST and SGST apply (or set IgstOnIntra)");
                }
                if (cg - sg).abs() > 0.01 {
                    self.add(format!("{at}.SgstAmt"), format!("{sg} must equal CgstAmt ({cg})"));
                }
                if tran["RegRev"].as_str() != Some("Y") && (cg + sg - tax).abs() > 1.0 {
                    self.add(
                        format!("{at}.CgstAmt"),
                        format!("CGST + SGST {} is not {rt}% of {a} ({tax:.2})", cg + sg),
                    );
                }
            } else if !without_pay {
                if cg + sg > 0.0 {
                    self.add(
                        format!("{at}.CgstAmt"),
                        "must be 0 on an inter-state or zero-rated supply: IGST applies",
                    );
                }
                if tran["RegRev"].as_str() != Some("Y") && (ig - tax).abs() > 1.0 {
                    self.add(
                        format!("{at}.IgstAmt"),
                        format!("{ig} is not {rt}% of {a} ({tax:.2})"),
                    );
                }
            }
            let want = a + ig + cg + sg + ce + ce2 + oth;
            let rcm_want = a + oth;
            if (tiv - want).abs() > 1.0
                && (tran["RegRev"].as_str() != Some("Y") || (tiv - rcm_want).abs() > 1.0)
            {
                self.add(
                    format!("{at}.TotItemVal"),
                    format!("{tiv} must be AssAmt plus its taxes and charges ({want:.2})"),
                );
            }
            ass += a;
            cgst += cg;
            sgst += sg;
            igst += ig;
            cess += ce + ce2;
            item_total += tiv;
        }
        let val = &inv["ValDtls"];
        let max = 99_999_999_999_999.99;
        let ass_val = self.number(val, "ValDtls", "AssVal", true, (0.0, max));
        let cg = self.number(val, "ValDtls", "CgstVal", false, (0.0, max));
        let sg = self.number(val, "ValDtls", "SgstVal", false, (0.0, max));
        let ig = self.number(val, "ValDtls", "IgstVal", false, (0.0, max));
        let ce = self.number(val, "ValDtls", "CesVal", false, (0.0, max));
        let disc = self.number(val, "ValDtls", "Discount", false, (0.0, max));
        let oth = self.number(val, "ValDtls", "OthChrg", false, (0.0, max));
        let rnd = self.number(val, "ValDtls", "RndOffAmt", false, (-99.99, 99.99));
        let tot = self.number(val, "ValDtls", "TotInvVal", true, (0.0, max));
        for (key, have, want) in [
            ("AssVal", ass_val, ass),
            ("CgstVal", cg, cgst),
            ("SgstVal", sg, sgst),
            ("IgstVal", ig, igst),
            ("CesVal", ce, cess),
        ] {
            if (have - want).abs() > 1.0 {
                self.add(
                    format!("ValDtls.{key}"),
                    format!("{have} must equal the items' total ({want:.2}) within ₹1"),
                );
            }
        }
        let want = item_total + oth - disc + rnd;
        if (tot - want).abs() > 1.0 {
            self.add("ValDtls.TotInvVal".into(), format!("{tot} must equal the items' total value plus other charges, less discount, plus round-off ({want:.2}) within ₹1"));
        }
        if let Some(r) = inv.get("RefDtls") {
            self.text(r, "RefDtls", "InvRm", false, (3, 100), None);
            if let Some(p) = r["PrecDocDtls"].as_array() {
                for (i, d) in p.iter().enumerate() {
                    let at = format!("RefDtls.PrecDocDtls[{i}]");
                    self.text(
                        d,
                        &at,
                        "InvNo",
                        true,
                        (2, 16),
                        Some((
                            &number,
                            "must be letters, digits, / and - and not start with 0, / or -",
                        )),
                    );
                    self.text(
                        d,
                        &at,
                        "InvDt",
                        true,
                        (10, 10),
                        Some((&dt, "must be a date as dd/mm/yyyy")),
                    );
                }
            }
        }
        let typ = doc["Typ"].as_str().unwrap_or_default();
        if typ != "INV" && inv.get("RefDtls").and_then(|r| r.get("PrecDocDtls")).is_none() {
            self.add(
                "RefDtls.PrecDocDtls".into(),
                "a credit or debit note must name the invoice it adjusts",
            );
        }
        if let Some(e) = inv.get("ExpDtls") {
            let cc = |x: &str| x.len() == 2 && x.bytes().all(|b| b.is_ascii_uppercase());
            self.text(
                e,
                "ExpDtls",
                "CntCode",
                false,
                (2, 2),
                Some((&cc, "must be a two-letter country code")),
            );
            self.text(e, "ExpDtls", "RefClm", false, (1, 1), Some((&yn, "must be Y or N")));
        }
    }
}

/// `ItemList[3].HsnCd` → (3, "HsnCd").
fn item_index(path: &str) -> Option<(usize, &str)> {
    let rest = path.strip_prefix("ItemList[")?;
    let (i, key) = rest.split_once("].")?;
    Some((i.parse().ok()?, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_irn() {
        // gstzen's worked example: 29AAFCC9980M1ZR + 2019-20 + INV + 2019-20/KA/1.
        let d = NaiveDate::from_ymd_opt(2020, 1, 3).unwrap();
        assert_eq!(
            irn("29AAFCC9980M1ZR", d, "INV", "2019-20/KA/1"),
            "23f498ee41441ecad30f72ba5b9907506c3df70a17b0e0dff46b76a786400662"
        );
        // Numbers are upper-cased (the IRP reads them case-insensitively).
        assert_eq!(
            irn("29AAFCC9980M1ZR", d, "inv", "2019-20/ka/1"),
            irn("29AAFCC9980M1ZR", d, "INV", "2019-20/KA/1")
        );
        // A different financial year is a different IRN.
        let april = NaiveDate::from_ymd_opt(2020, 4, 1).unwrap();
        assert_ne!(
            irn("29AAFCC9980M1ZR", april, "INV", "2019-20/KA/1"),
            irn("29AAFCC9980M1ZR", d, "INV", "2019-20/KA/1")
        );
    }

    fn sample() -> Value {
        json!({
            "Version": "1.1",
            "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B", "RegRev": "N"},
            "DocDtls": {"Typ": "INV", "No": "INV/25-26/0001", "Dt": "16/09/2025"},
            "SellerDtls": {"Gstin": "29AAFCC9980M1ZR", "LglNm": "Seller Pvt Ltd", "Addr1": "1 MG Road", "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
            "BuyerDtls": {"Gstin": "27AAPFU0939F1ZV", "LglNm": "Buyer LLP", "Pos": "27", "Addr1": "2 Link Road", "Loc": "Mumbai", "Pin": 400001, "Stcd": "27"},
            "ItemList": [
                {"SlNo": "1", "PrdDesc": "Cotton shirts", "IsServc": "N", "HsnCd": "61051000", "Qty": 10.0, "Unit": "PCS", "UnitPrice": 1000.0, "TotAmt": 10000.0, "Discount": 0, "AssAmt": 10000.0, "GstRt": 5, "IgstAmt": 500.0, "CgstAmt": 0, "SgstAmt": 0, "CesAmt": 0, "TotItemVal": 10500.0},
                {"SlNo": "2", "PrdDesc": "Installation", "IsServc": "Y", "HsnCd": "998719", "Qty": 1.0, "Unit": "OTH", "UnitPrice": 2000.0, "TotAmt": 2000.0, "Discount": 0, "AssAmt": 2000.0, "GstRt": 18, "IgstAmt": 360.0, "CgstAmt": 0, "SgstAmt": 0, "CesAmt": 0, "TotItemVal": 2360.0}
            ],
            "ValDtls": {"AssVal": 12000.0, "CgstVal": 0, "SgstVal": 0, "IgstVal": 860.0, "CesVal": 0, "OthChrg": 0, "RndOffAmt": 0, "TotInvVal": 12860.0}
        })
    }

    #[test]
    fn a_good_invoice_passes() {
        assert_eq!(validate(&sample(), &[1, 2]), Vec::<Violation>::new());
    }

    #[test]
    fn each_broken_rule_is_named_with_its_path_and_line() {
        let mut inv = sample();
        inv["ItemList"][1]["HsnCd"] = json!("9987");
        inv["ItemList"][0]["AssAmt"] = json!(9000.0);
        inv["ItemList"][0]["GstRt"] = json!(7);
        inv["BuyerDtls"]["Gstin"] = json!("27AAPFU0939F1ZX");
        inv["SellerDtls"]["Pin"] = json!(56001);
        inv["DocDtls"]["Dt"] = json!("2025-09-16");
        inv["ValDtls"]["TotInvVal"] = json!(13000.0);
        let v = validate(&inv, &[3, 5]);
        let paths: Vec<(&str, Option<i32>)> = v.iter().map(|x| (x.path.as_str(), x.line)).collect();
        for want in [
            ("DocDtls.Dt", None),
            ("SellerDtls.Pin", None),
            ("BuyerDtls.Gstin", None),
            ("ItemList[0].AssAmt", Some(3)),
            ("ItemList[0].GstRt", Some(3)),
            ("ItemList[1].HsnCd", Some(5)),
            ("ValDtls.TotInvVal", None),
        ] {
            assert!(paths.contains(&want), "{want:?} missing from {paths:?}");
        }
        let hsn = v.iter().find(|x| x.path == "ItemList[1].HsnCd").unwrap();
        assert_eq!(hsn.field.as_deref(), Some("lines[4].hsn_sac"));
        assert!(hsn.message.starts_with("line 5:"), "{}", hsn.message);
        let gstin = v.iter().find(|x| x.path == "BuyerDtls.Gstin").unwrap();
        assert_eq!(gstin.field.as_deref(), Some("party.gstin"));
    }

    #[test]
    fn intra_state_supplies_take_central_and_state_tax() {
        let mut inv = sample();
        inv["BuyerDtls"]["Pos"] = json!("29");
        let v = validate(&inv, &[1, 2]);
        assert!(v.iter().any(|x| x.path == "ItemList[0].IgstAmt"), "{v:?}");
        inv["TranDtls"]["IgstOnIntra"] = json!("Y");
        assert_eq!(validate(&inv, &[1, 2]), vec![]);
    }

    #[test]
    fn notes_must_name_their_invoice_and_exports_go_abroad() {
        let mut inv = sample();
        inv["DocDtls"]["Typ"] = json!("CRN");
        assert!(validate(&inv, &[1, 2]).iter().any(|x| x.path == "RefDtls.PrecDocDtls"));
        inv["RefDtls"] =
            json!({"PrecDocDtls": [{"InvNo": "INV/25-26/0001", "InvDt": "01/09/2025"}]});
        assert_eq!(validate(&inv, &[1, 2]), vec![]);
        let mut exp = sample();
        exp["TranDtls"]["SupTyp"] = json!("EXPWOP");
        exp["BuyerDtls"]["Gstin"] = json!("URP");
        assert!(validate(&exp, &[1, 2]).iter().any(|x| x.path == "BuyerDtls.Pos"));
        assert!(validate(&exp, &[1, 2]).iter().any(|x| x.path == "ItemList[0].IgstAmt"));
    }
}
