//! The e-way bill (rule 138): when goods moving under an invoice need one,
//! its JSON in the NIC e-way bill format (Part A from the invoice, Part B
//! the transport), validated like the e-invoice with each violation named
//! by path, the request that generates it through the IRP for an
//! e-invoiced invoice, and how long it stays valid.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::einvoice::Violation;
use crate::model::{DocKind, Document};
use crate::tax::SupplyType;

/// Consignments worth more than this need an e-way bill (rule 138(1)).
pub const THRESHOLD: Decimal = Decimal::from_parts(50_000, 0, 0, false, 0);

/// How goods travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// By road.
    Road,
    /// By rail.
    Rail,
    /// By air.
    Air,
    /// By ship.
    Ship,
}

impl Mode {
    /// The NIC code.
    pub fn code(self) -> u8 {
        match self {
            Mode::Road => 1,
            Mode::Rail => 2,
            Mode::Air => 3,
            Mode::Ship => 4,
        }
    }
}

/// Part B: who carries the goods and how.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transport {
    /// The transporter's GSTIN or TRANSIN (15 characters).
    #[schema(min_length = 15, max_length = 15)]
    pub transporter_id: Option<String>,
    /// The transporter's name.
    #[schema(max_length = 100)]
    pub transporter_name: Option<String>,
    /// How the goods travel.
    pub mode: Mode,
    /// Approximate distance in km (0–4000; 0 lets the portal work it out
    /// from the PIN codes).
    #[schema(minimum = 0, maximum = 4000)]
    pub distance_km: i32,
    /// The vehicle's registration number (road).
    #[schema(max_length = 20)]
    pub vehicle_no: Option<String>,
    /// An over-dimensional cargo (valid 1 day per 20 km, not 200).
    #[serde(default)]
    pub over_dimensional: bool,
    /// The railway receipt, airway bill or bill of lading number.
    #[schema(max_length = 15)]
    pub transport_doc_no: Option<String>,
    /// Its date.
    pub transport_doc_date: Option<NaiveDate>,
}

/// Why a document needs no e-way bill.
pub fn not_applicable(doc: &Document) -> Option<String> {
    if !matches!(doc.kind, DocKind::Invoice | DocKind::BillOfSupply) {
        return Some(format!(
            "a {} moves no goods: e-way bills are made for invoices",
            doc.kind.label()
        ));
    }
    if doc.lines.iter().all(|l| l.is_service) {
        return Some("every line is a service: e-way bills are for goods".into());
    }
    if doc.total <= THRESHOLD {
        return Some(format!(
            "the consignment is worth ₹{} — e-way bills are needed above ₹50,000",
            doc.total
        ));
    }
    None
}

/// Days an e-way bill is valid: one per 200 km or part of it (per 20 km
/// for over-dimensional cargo), at least one; it runs to midnight of the
/// last day.
pub fn validity_days(distance_km: i32, over_dimensional: bool) -> i64 {
    let per = if over_dimensional { 20 } else { 200 };
    i64::from(distance_km.max(1) + per - 1) / i64::from(per)
}

fn amt(d: Decimal) -> Value {
    json!(d.round_dp(2).to_f64().unwrap_or_default())
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned)
}

fn state_num(code: Option<String>) -> Value {
    code.and_then(|c| c.parse::<u32>().ok()).map_or(Value::Null, |n| json!(n))
}

fn pin(addr: &Value) -> Value {
    s(addr, "pincode").and_then(|p| p.parse::<u32>().ok()).map_or(Value::Null, |p| json!(p))
}

/// The e-way bill JSON (NIC `GENEWAYBILL`), and the document line of each
/// `itemList` entry.
pub fn build(doc: &Document, company: &Value, party: &Value, t: &Transport) -> (Value, Vec<i32>) {
    let export =
        matches!(doc.supply_type, SupplyType::ExportWithTax | SupplyType::ExportWithoutTax);
    let caddr = company.get("address").cloned().unwrap_or(Value::Null);
    let bill = party.get("billing_address").cloned().unwrap_or(Value::Null);
    let ship = party.get("shipping_address").filter(|a| a.is_object()).cloned();
    let to_addr = ship.clone().unwrap_or_else(|| bill.clone());
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            m.insert(k.into(), v);
        }
    };
    put("userGstin", json!(s(company, "gstin")));
    put("supplyType", json!("O"));
    put("subSupplyType", json!(if export { 3 } else { 1 }));
    put("docType", json!(if doc.kind == DocKind::BillOfSupply { "BIL" } else { "INV" }));
    put("docNo", json!(doc.number.clone().unwrap_or_default()));
    put("docDate", json!(doc.date.format("%d/%m/%Y").to_string()));
    put("transactionType", json!(if ship.is_some() { 2 } else { 1 }));
    put("fromGstin", json!(s(company, "gstin")));
    put("fromTrdName", json!(s(company, "name")));
    put("fromAddr1", json!(s(&caddr, "line1")));
    put("fromAddr2", json!(s(&caddr, "line2")));
    put("fromPlace", json!(s(&caddr, "city")));
    put("fromPincode", pin(&caddr));
    put("fromStateCode", state_num(s(company, "state_code")));
    put(
        "actFromStateCode",
        state_num(s(&caddr, "state_code").or_else(|| s(company, "state_code"))),
    );
    put(
        "toGstin",
        json!(if export {
            "URP".to_owned()
        } else {
            s(party, "gstin").unwrap_or_else(|| "URP".into())
        }),
    );
    put("toTrdName", json!(s(party, "legal_name")));
    put("toAddr1", json!(s(&to_addr, "line1")));
    put("toAddr2", json!(s(&to_addr, "line2")));
    put("toPlace", json!(s(&to_addr, "city")));
    put("toPincode", if export { json!(999_999) } else { pin(&to_addr) });
    put(
        "toStateCode",
        if export { json!(96) } else { state_num(Some(doc.place_of_supply.clone())) },
    );
    put("actToStateCode", if export { json!(96) } else { state_num(s(&to_addr, "state_code")) });
    let goods: Vec<_> = doc.lines.iter().filter(|l| !l.is_service).collect();
    let lines: Vec<i32> = goods.iter().map(|l| l.line_no).collect();
    let main_hsn = goods.iter().max_by_key(|l| l.taxable_value).map(|l| l.hsn_sac.clone());
    let items: Vec<Value> = goods
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (c, sg, ig) = if l.igst > Decimal::ZERO || doc.supply_type != SupplyType::Regular {
                (Decimal::ZERO, Decimal::ZERO, l.gst_rate)
            } else if l.cgst > Decimal::ZERO {
                (l.gst_rate / Decimal::TWO, l.gst_rate / Decimal::TWO, Decimal::ZERO)
            } else {
                (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
            };
            json!({
                "itemNo": i + 1, "productName": l.description.chars().take(100).collect::<String>(),
                "productDesc": l.description.chars().take(100).collect::<String>(), "hsnCode": l.hsn_sac,
                "quantity": l.quantity.round_dp(3).to_f64().unwrap_or_default(), "qtyUnit": l.unit,
                "taxableAmount": amt(l.taxable_value), "cgstRate": amt(c), "sgstRate": amt(sg),
                "igstRate": amt(ig), "cessRate": amt(l.cess_rate), "cessNonAdvol": 0,
            })
        })
        .collect();
    let taxable: Decimal = goods.iter().map(|l| l.taxable_value).sum();
    let tax = |f: fn(&&crate::model::Line) -> Decimal| goods.iter().map(f).sum::<Decimal>();
    let (cg, sg, ig, ce) =
        (tax(|l| l.cgst), tax(|l| l.sgst + l.utgst), tax(|l| l.igst), tax(|l| l.cess));
    put("totalValue", amt(taxable));
    put("cgstValue", amt(cg));
    put("sgstValue", amt(sg));
    put("igstValue", amt(ig));
    put("cessValue", amt(ce));
    put("cessNonAdvolValue", json!(0));
    put("otherValue", amt(doc.total - taxable - cg - sg - ig - ce));
    put("totInvValue", amt(doc.total));
    put(
        "transporterId",
        json!(t.transporter_id.as_deref().map(str::trim).filter(|x| !x.is_empty())),
    );
    put(
        "transporterName",
        json!(t.transporter_name.as_deref().map(str::trim).filter(|x| !x.is_empty())),
    );
    put("transMode", json!(t.mode.code()));
    put("transDistance", json!(t.distance_km));
    put(
        "transDocNo",
        json!(t.transport_doc_no.as_deref().map(str::trim).filter(|x| !x.is_empty())),
    );
    put("transDocDate", json!(t.transport_doc_date.map(|d| d.format("%d/%m/%Y").to_string())));
    put(
        "vehicleNo",
        json!(t.vehicle_no.as_deref().map(|v| {
            v.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase()
        })),
    );
    put("vehicleType", json!(if t.over_dimensional { "O" } else { "R" }));
    put("mainHsnCode", json!(main_hsn));
    put("itemList", Value::Array(items));
    (Value::Object(m), lines)
}

/// The request that generates the e-way bill through the IRP for an
/// e-invoiced document (its Part A comes from the e-invoice).
pub fn by_irn(irn: &str, t: &Transport) -> Value {
    let mut m = Map::new();
    m.insert("Irn".into(), json!(irn));
    m.insert("Distance".into(), json!(t.distance_km));
    m.insert("TransMode".into(), json!(t.mode.code().to_string()));
    let mut opt = |k: &str, v: Option<String>| {
        if let Some(v) = v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            m.insert(k.into(), json!(v));
        }
    };
    opt("TransId", t.transporter_id.clone());
    opt("TransName", t.transporter_name.clone());
    opt("TransDocNo", t.transport_doc_no.clone());
    opt("TransDocDt", t.transport_doc_date.map(|d| d.format("%d/%m/%Y").to_string()));
    opt(
        "VehNo",
        t.vehicle_no.as_ref().map(|v| {
            v.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase()
        }),
    );
    m.insert("VehType".into(), json!(if t.over_dimensional { "O" } else { "R" }));
    Value::Object(m)
}

/// A vehicle registration number as the RTOs issue them (`KA01AB1234`,
/// Bharat series `22BH1234AB`, temporary `TR…`).
pub fn vehicle_ok(v: &str) -> bool {
    let b = v.as_bytes();
    let letters = |s: &[u8]| s.iter().all(u8::is_ascii_uppercase);
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if b.starts_with(b"TR") {
        return (8..=20).contains(&b.len()) && b.iter().all(u8::is_ascii_alphanumeric);
    }
    if b.len() >= 8 && digits(&b[..2]) && &b[2..4] == b"BH" {
        return b.len() <= 10 && digits(&b[4..8]) && letters(&b[8..]);
    }
    // State (2 letters), district (1–2 digits), series (0–3 letters), number (4 digits).
    if b.len() < 7 || !letters(&b[..2]) {
        return false;
    }
    let rest = &b[2..];
    let d = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let l = rest[d..].iter().take_while(|c| c.is_ascii_uppercase()).count();
    (1..=2).contains(&d) && l <= 3 && rest.len() - d - l == 4 && digits(&rest[d + l..])
}

/// Everything wrong with an e-way bill; `lines[i]` is `itemList[i]`'s line.
pub fn validate(e: &Value, lines: &[i32]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut add = |path: String, line: Option<i32>, field: Option<&str>, message: String| {
        let message = match line {
            Some(l) => format!("line {l}: {message}"),
            None => message,
        };
        out.push(Violation { path, line, field: field.map(str::to_owned), message });
    };
    let text = |k: &str| e.get(k).and_then(Value::as_str);
    let number = |k: &str| e.get(k).and_then(Value::as_f64);
    match text("docNo") {
        Some(n) if crate::india::document_number_problem(n).is_none() => {}
        Some(n) => add(
            "docNo".into(),
            None,
            Some("number"),
            format!("`{n}` must be at most 16 letters, digits, / and -"),
        ),
        None => add(
            "docNo".into(),
            None,
            Some("number"),
            "is required (issue the invoice first)".into(),
        ),
    }
    for (k, field) in [("fromGstin", "company.gstin"), ("toGstin", "party.gstin")] {
        let g = text(k).unwrap_or_default();
        let ok = g == "URP"
            || (g.len() == 15 && g.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        if !ok {
            add(k.into(), None, Some(field), format!("`{g}` must be a GSTIN or URP"));
        }
    }
    for (k, field, max) in [
        ("fromTrdName", "company.name", 100),
        ("fromAddr1", "company.address.line1", 120),
        ("fromPlace", "company.address.city", 50),
        ("toTrdName", "party.legal_name", 100),
        ("toAddr1", "party.billing_address.line1", 120),
        ("toPlace", "party.billing_address.city", 50),
    ] {
        match text(k) {
            None => add(k.into(), None, Some(field), "is required".into()),
            Some(v) if v.chars().count() > max => {
                add(k.into(), None, Some(field), format!("must be at most {max} characters"))
            }
            _ => {}
        }
    }
    for (k, field) in
        [("fromPincode", "company.address.pincode"), ("toPincode", "party.billing_address.pincode")]
    {
        match number(k) {
            Some(p) if (100_000.0..=999_999.0).contains(&p) => {}
            _ => add(k.into(), None, Some(field), "must be a 6-digit PIN code".into()),
        }
    }
    for k in ["fromStateCode", "toStateCode", "actFromStateCode", "actToStateCode"] {
        let ok = number(k).is_some_and(|c| {
            let c = format!("{:02}", c as u32);
            c == "96" || c == "97" || crate::india::state(&c).is_some()
        });
        if !ok {
            add(k.into(), None, None, "must be a GST state code".into());
        }
    }
    let distance = number("transDistance").unwrap_or(-1.0);
    if !(0.0..=4000.0).contains(&distance) {
        add("transDistance".into(), None, Some("distance_km"), "must be 0 to 4000 km".into());
    }
    if let Some(t) = text("transporterId")
        && !(t.len() == 15 && t.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()))
    {
        add(
            "transporterId".into(),
            None,
            Some("transporter_id"),
            format!("`{t}` must be a 15-character GSTIN or TRANSIN"),
        );
    }
    let mode = number("transMode").unwrap_or_default() as u8;
    match (mode, text("vehicleNo"), text("transDocNo")) {
        (1, None, _) if text("transporterId").is_none() => add(
            "vehicleNo".into(),
            None,
            Some("vehicle_no"),
            "a road movement needs the vehicle number (or a transporter who will enter it)".into(),
        ),
        (1, Some(v), _) if !vehicle_ok(v) => add(
            "vehicleNo".into(),
            None,
            Some("vehicle_no"),
            format!("`{v}` is not a vehicle registration number (like KA01AB1234 or 22BH1234AB)"),
        ),
        (2..=4, _, None) => add(
            "transDocNo".into(),
            None,
            Some("transport_doc_no"),
            "rail, air and ship movements need the transport document's number and date".into(),
        ),
        _ => {}
    }
    if text("transDocNo").is_some() && text("transDocDate").is_none() {
        add(
            "transDocDate".into(),
            None,
            Some("transport_doc_date"),
            "is required with the transport document's number".into(),
        );
    }
    let empty = Vec::new();
    let items = e.get("itemList").and_then(Value::as_array).unwrap_or(&empty);
    if items.is_empty() {
        add("itemList".into(), None, Some("lines"), "must hold at least one line of goods".into());
    }
    for (i, it) in items.iter().enumerate() {
        let line = lines.get(i).copied();
        let field = line.map(|l| format!("lines[{}].hsn_sac", l - 1));
        let hsn = it.get("hsnCode").and_then(Value::as_str).unwrap_or_default();
        if !(matches!(hsn.len(), 4 | 6 | 8) && hsn.bytes().all(|b| b.is_ascii_digit()))
            || hsn.starts_with("99")
        {
            add(
                format!("itemList[{i}].hsnCode"),
                line,
                field.as_deref(),
                format!("`{hsn}` must be a 4-, 6- or 8-digit HSN code of goods"),
            );
        }
        let unit = it.get("qtyUnit").and_then(Value::as_str).unwrap_or_default();
        if !crate::india::is_uqc(unit) {
            let f = line.map(|l| format!("lines[{}].unit", l - 1));
            add(
                format!("itemList[{i}].qtyUnit"),
                line,
                f.as_deref(),
                format!("`{unit}` is not a unit quantity code (UQC)"),
            );
        }
    }
    let total = number("totInvValue").unwrap_or_default();
    let parts = [
        "totalValue",
        "cgstValue",
        "sgstValue",
        "igstValue",
        "cessValue",
        "cessNonAdvolValue",
        "otherValue",
    ]
    .iter()
    .map(|k| number(k).unwrap_or_default())
    .sum::<f64>();
    if (total - parts).abs() > 1.0 {
        add(
            "totInvValue".into(),
            None,
            None,
            format!(
                "{total} must be the taxable value, taxes and other value ({parts:.2}) within ₹1"
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_is_a_day_per_200_km_or_part() {
        assert_eq!(validity_days(0, false), 1);
        assert_eq!(validity_days(200, false), 1);
        assert_eq!(validity_days(201, false), 2);
        assert_eq!(validity_days(2467, false), 13);
        assert_eq!(validity_days(45, true), 3);
    }

    #[test]
    fn vehicle_numbers() {
        for ok in
            ["KA01AB1234", "GJ07DL9009", "DL1C1234", "MH12A1234", "22BH1234AB", "TR01AB2025000123"]
        {
            assert!(vehicle_ok(ok), "{ok}");
        }
        for bad in ["KA01AB123", "1234", "KAAB1234", "KA123AB1234", "22BH12AB"] {
            assert!(!vehicle_ok(bad), "{bad}");
        }
    }
}
