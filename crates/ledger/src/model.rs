//! The ledger's types as the API reads and writes them. Money is a
//! decimal string of rupees (`"1180.00"`); numbers are accepted on input.
//! Values that validate (GSTIN, PAN, HSN/SAC, units, state codes) are
//! checked when parsed, so an invalid one cannot reach a service.

use chrono::{DateTime, NaiveDate, Utc};
use identity::model::Gstin;
use kernel::validated_string;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::india;
use crate::tax::{Heads, SupplyType, Taxability};

/// Amounts, quantities and rates arrive as decimal strings (`"1180.50"`),
/// never JSON numbers, which a client's floats would round.
pub(crate) mod strict {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, de::Error};

    /// A decimal string.
    pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        s.trim().parse().map_err(|_| D::Error::custom(format!("`{s}` is not a decimal number")))
    }

    /// A decimal string, or null.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("`{s}` is not a decimal number"))),
        }
    }
}

/// Rupees as a decimal string, two places at most (`"1180.00"`).
pub const MONEY_PATTERN: &str = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$";
/// A quantity, three places at most.
pub const QUANTITY_PATTERN: &str = r"^[0-9]{1,14}(\.[0-9]{1,3})?$";
/// A percentage, two places at most.
pub const RATE_PATTERN: &str = r"^[0-9]{1,3}(\.[0-9]{1,2})?$";

validated_string!(
    /// A PAN: five letters, four digits, a letter (the fourth letter is the
    /// holder's kind).
    pub Pan,
    schema: |s| s.min_length(Some(10)).max_length(Some(10)).pattern(Some("^[A-Za-z]{5}[0-9]{4}[A-Za-z]$")),
    parse: |raw| {
        let p = raw.to_uppercase();
        match india::pan_problem(&p) {
            Some(why) => Err(why.to_string()),
            None => Ok(p),
        }
    }
);

validated_string!(
    /// A unit quantity code (`NOS`, `KGS`, `PCS`, …) as GST returns take it.
    pub Unit,
    schema: |s| s.enum_values(Some(india::UQC.iter().map(|(c, _)| *c))),
    parse: |raw| {
        let u = raw.to_uppercase();
        if india::is_uqc(&u) { Ok(u) } else { Err("is not a unit quantity code (NOS, KGS, PCS, …)".into()) }
    }
);

validated_string!(
    /// An HSN (4–8 digits) or SAC (6 digits starting 99) code; whether it
    /// fits the item (goods or service) is checked with the item.
    pub HsnSac,
    schema: |s| s.min_length(Some(4)).max_length(Some(8)).pattern(Some("^[0-9]{4,8}$")),
    parse: |raw| {
        if (4..=8).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(raw.to_string())
        } else {
            Err("must be 4 to 8 digits".into())
        }
    }
);

validated_string!(
    /// A place of supply: a GST state code, or `96` for a supply outside
    /// India (an export).
    pub PlaceOfSupply,
    schema: |s| {
        let codes = identity::model::GST_STATES.iter().map(|(code, _)| *code);
        s.enum_values(Some(codes.chain([india::OUTSIDE_INDIA])))
    },
    parse: |raw| {
        match india::state(raw) {
            Some(s) => Ok(s.code.to_string()),
            None => Err("must be a GST state code (e.g. 27), or 96 outside India".into()),
        }
    }
);

validated_string!(
    /// A name or label of 1–200 characters.
    pub Label,
    schema: |s| s.min_length(Some(1)).max_length(Some(200)),
    parse: |raw| identity::model::display_text(raw, 200)
);

/// How a party is registered under GST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Regular taxpayer (GSTIN).
    Regular,
    /// Composition dealer (GSTIN; charges no tax).
    Composition,
    /// Business without a GSTIN.
    Unregistered,
    /// A consumer.
    Consumer,
    /// Outside India.
    Overseas,
    /// A unit in a special economic zone (GSTIN).
    Sez,
}

impl Registration {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Regular => "regular",
            Registration::Composition => "composition",
            Registration::Unregistered => "unregistered",
            Registration::Consumer => "consumer",
            Registration::Overseas => "overseas",
            Registration::Sez => "sez",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Registration> {
        [
            Registration::Regular,
            Registration::Composition,
            Registration::Unregistered,
            Registration::Consumer,
            Registration::Overseas,
            Registration::Sez,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// Whether it needs a GSTIN.
    pub fn needs_gstin(self) -> bool {
        matches!(self, Registration::Regular | Registration::Composition | Registration::Sez)
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// First line.
    #[schema(min_length = 1, max_length = 100)]
    pub line1: String,
    /// Second line.
    #[schema(max_length = 100)]
    pub line2: Option<String>,
    /// Town or city.
    #[schema(min_length = 1, max_length = 60)]
    pub city: String,
    /// GST state code; `96` outside India.
    pub state_code: PlaceOfSupply,
    /// PIN code (six digits, not starting with 0) in India.
    #[schema(pattern = "^[1-9][0-9]{5}$")]
    pub pincode: Option<String>,
    /// Country, outside India.
    #[schema(max_length = 60)]
    pub country: Option<String>,
}

/// Someone to reach at a party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// E-mail.
    pub email: Option<identity::model::Email>,
    /// Phone.
    #[schema(max_length = 20, pattern = "^[+0-9 ()-]{6,20}$")]
    pub phone: Option<String>,
}

/// A customer or supplier to create or replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// Sold to.
    #[serde(default)]
    pub is_customer: bool,
    /// Bought from.
    #[serde(default)]
    pub is_supplier: bool,
    /// Legal name (as on the GST registration).
    pub legal_name: Label,
    /// Trade name.
    pub trade_name: Option<Label>,
    /// GSTIN; its state is the party's state.
    pub gstin: Option<Gstin>,
    /// PAN (inside the GSTIN when there is one).
    pub pan: Option<Pan>,
    /// GST registration.
    pub registration: Registration,
    /// Billing address.
    pub billing_address: Address,
    /// Shipping address, when it differs.
    pub shipping_address: Option<Address>,
    /// People to reach.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub contacts: Vec<Contact>,
    /// Days to pay (the company's default when absent).
    #[schema(minimum = 0, maximum = 3650)]
    pub payment_terms_days: Option<i32>,
    /// Most the party may owe.
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::option")]
    pub credit_limit: Option<Decimal>,
    /// What the party owed (positive) or was owed (negative) when the
    /// books started.
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::option")]
    pub opening_balance: Option<Decimal>,
    /// The date of the opening balance (the start of the financial year by
    /// default).
    pub opening_date: Option<NaiveDate>,
    /// Notes.
    #[schema(max_length = 4000)]
    pub notes: Option<String>,
}

/// A customer or supplier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Party {
    /// Its id.
    pub id: Uuid,
    /// Sold to.
    pub is_customer: bool,
    /// Bought from.
    pub is_supplier: bool,
    /// Legal name.
    pub legal_name: String,
    /// Trade name.
    pub trade_name: Option<String>,
    /// GSTIN.
    pub gstin: Option<String>,
    /// PAN.
    pub pan: Option<String>,
    /// GST registration.
    pub registration: Registration,
    /// State code (from the GSTIN, else the billing address).
    pub state_code: String,
    /// Billing address.
    pub billing_address: Address,
    /// Shipping address.
    pub shipping_address: Option<Address>,
    /// People to reach.
    pub contacts: Vec<Contact>,
    /// Days to pay.
    pub payment_terms_days: Option<i32>,
    /// Most the party may owe.
    #[schema(value_type = Option<String>)]
    pub credit_limit: Option<Decimal>,
    /// Opening balance.
    #[schema(value_type = String)]
    pub opening_balance: Decimal,
    /// Its date.
    pub opening_date: Option<NaiveDate>,
    /// What the party owes now (receivable, positive) or is owed (payable,
    /// negative), from the books.
    #[schema(value_type = String)]
    pub balance: Decimal,
    /// Notes.
    pub notes: Option<String>,
    /// Archived (kept for its documents, hidden from new ones).
    pub archived: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// An item's GST rate from a date on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct ItemRate {
    /// In force from this day.
    pub effective_from: NaiveDate,
    /// GST rate in percent.
    #[schema(value_type = String, pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    #[serde(deserialize_with = "strict::decimal")]
    pub rate: Decimal,
    /// Cess rate in percent.
    #[schema(value_type = String, pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::decimal")]
    pub cess_rate: Decimal,
}

/// A GST rate of the schedule: a heading's rate over a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct ScheduleRate {
    /// The HSN/SAC prefix it covers.
    pub hsn_prefix: String,
    /// What the heading is.
    pub description: String,
    /// From this day.
    pub effective_from: NaiveDate,
    /// Up to this day (open when absent).
    pub effective_to: Option<NaiveDate>,
    /// GST rate in percent.
    #[schema(value_type = String)]
    pub rate: Decimal,
    /// Cess rate in percent.
    #[schema(value_type = String)]
    pub cess_rate: Decimal,
}

/// An item to create or change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Name.
    pub name: Label,
    /// Stock-keeping code.
    #[schema(min_length = 1, max_length = 60)]
    pub sku: Option<String>,
    /// A service (SAC) rather than goods (HSN).
    #[serde(default)]
    pub is_service: bool,
    /// HSN (goods) or SAC (services).
    pub hsn_sac: HsnSac,
    /// Unit.
    pub unit: Unit,
    /// Default price of one unit.
    #[schema(value_type = String, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::decimal")]
    pub price: Decimal,
    /// Whether `price` includes GST.
    #[serde(default)]
    pub price_includes_tax: bool,
    /// Whether it is taxed.
    #[serde(default)]
    pub taxability: Taxability,
    /// GST rates by date. Absent on creation: the rates of the item's
    /// HSN/SAC heading from the schedule, if it has one.
    #[schema(max_items = 50)]
    pub rates: Option<Vec<ItemRate>>,
}

/// An item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Item {
    /// Its id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Stock-keeping code.
    pub sku: Option<String>,
    /// A service.
    pub is_service: bool,
    /// HSN or SAC.
    pub hsn_sac: String,
    /// Unit.
    pub unit: String,
    /// Default price.
    #[schema(value_type = String)]
    pub price: Decimal,
    /// Whether the price includes GST.
    pub price_includes_tax: bool,
    /// Whether it is taxed.
    pub taxability: Taxability,
    /// GST rates by date, oldest first.
    pub rates: Vec<ItemRate>,
    /// Units in stock (goods).
    #[schema(value_type = String)]
    pub stock: Decimal,
    /// Archived.
    pub archived: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A quotation (not a supply; converts to an invoice).
    Quotation,
    /// A tax invoice.
    Invoice,
    /// A bill of supply (no tax charged).
    BillOfSupply,
    /// A credit note against an invoice.
    CreditNote,
    /// A debit note against an invoice.
    DebitNote,
    /// A supplier's invoice.
    PurchaseBill,
}

impl DocKind {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Quotation => "quotation",
            DocKind::Invoice => "invoice",
            DocKind::BillOfSupply => "bill_of_supply",
            DocKind::CreditNote => "credit_note",
            DocKind::DebitNote => "debit_note",
            DocKind::PurchaseBill => "purchase_bill",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<DocKind> {
        [
            DocKind::Quotation,
            DocKind::Invoice,
            DocKind::BillOfSupply,
            DocKind::CreditNote,
            DocKind::DebitNote,
            DocKind::PurchaseBill,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Sold to a customer (what the company supplies).
    pub fn is_sale(self) -> bool {
        matches!(self, DocKind::Invoice | DocKind::BillOfSupply | DocKind::DebitNote)
    }

    /// Adjusts an earlier invoice.
    pub fn is_note(self) -> bool {
        matches!(self, DocKind::CreditNote | DocKind::DebitNote)
    }

    /// What a person calls it.
    /// The title it is printed and mailed under.
    pub fn title(self) -> &'static str {
        match self {
            DocKind::Quotation => "Quotation",
            DocKind::Invoice => "Tax Invoice",
            DocKind::BillOfSupply => "Bill of Supply",
            DocKind::CreditNote => "Credit Note",
            DocKind::DebitNote => "Debit Note",
            DocKind::PurchaseBill => "Purchase Bill",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocKind::Quotation => "quotation",
            DocKind::Invoice => "tax invoice",
            DocKind::BillOfSupply => "bill of supply",
            DocKind::CreditNote => "credit note",
            DocKind::DebitNote => "debit note",
            DocKind::PurchaseBill => "purchase bill",
        }
    }
}

/// Where a document is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// Being written: no number, no postings, editable.
    Draft,
    /// Numbered and posted; nothing settled yet.
    Issued,
    /// Part of it settled.
    PartiallyPaid,
    /// Settled in full.
    Paid,
    /// Past its due date, not settled in full.
    Overdue,
    /// Cancelled (its postings reversed).
    Cancelled,
    /// A quotation turned into an invoice.
    Converted,
    /// A quotation past its validity.
    Expired,
}

impl DocStatus {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Draft => "draft",
            DocStatus::Issued => "issued",
            DocStatus::PartiallyPaid => "partially_paid",
            DocStatus::Paid => "paid",
            DocStatus::Overdue => "overdue",
            DocStatus::Cancelled => "cancelled",
            DocStatus::Converted => "converted",
            DocStatus::Expired => "expired",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<DocStatus> {
        [
            DocStatus::Draft,
            DocStatus::Issued,
            DocStatus::PartiallyPaid,
            DocStatus::Paid,
            DocStatus::Overdue,
            DocStatus::Cancelled,
            DocStatus::Converted,
            DocStatus::Expired,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether something is still owed on it.
    pub fn is_open(self) -> bool {
        matches!(self, DocStatus::Issued | DocStatus::PartiallyPaid | DocStatus::Overdue)
    }
}

/// A line as entered. With an item, what is left out comes from the item
/// (its description, HSN/SAC, unit, price and the GST rate in force on the
/// document's date).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// The item.
    pub item_id: Option<Uuid>,
    /// What is supplied (the item's name by default).
    #[schema(min_length = 1, max_length = 300)]
    pub description: Option<String>,
    /// HSN or SAC (the item's by default).
    pub hsn_sac: Option<HsnSac>,
    /// A service (the item's by default).
    pub is_service: Option<bool>,
    /// Quantity.
    #[schema(value_type = String, pattern = r"^[0-9]{1,14}(\.[0-9]{1,3})?$")]
    #[serde(deserialize_with = "strict::decimal")]
    pub quantity: Decimal,
    /// Unit (the item's by default).
    pub unit: Option<Unit>,
    /// Price of one unit (the item's by default).
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::option")]
    pub unit_price: Option<Decimal>,
    /// Whether `unit_price` includes GST (the item's by default).
    pub price_includes_tax: Option<bool>,
    /// Discount on the line, in rupees.
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::option")]
    pub discount: Option<Decimal>,
    /// Whether it is taxed (the item's by default).
    pub taxability: Option<Taxability>,
    /// GST rate (the item's in force on the date by default).
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::option")]
    pub gst_rate: Option<Decimal>,
    /// Cess rate (the item's by default).
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::option")]
    pub cess_rate: Option<Decimal>,
}

/// A draft document to create or replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// On `/api/v1/invoices`: `invoice` (default), `bill_of_supply`,
    /// `credit_note` or `debit_note`. Quotations and purchase bills have
    /// routes of their own.
    pub kind: Option<DocKind>,
    /// The customer (or supplier, for a purchase bill).
    pub party_id: Uuid,
    /// Its date (today by default).
    pub date: Option<NaiveDate>,
    /// When it is due (from the party's payment terms by default).
    pub due_date: Option<NaiveDate>,
    /// A quotation's last day.
    pub valid_until: Option<NaiveDate>,
    /// Place of supply (the party's state by default; 96 for an export).
    pub place_of_supply: Option<PlaceOfSupply>,
    /// Kind of supply (`regular` by default; exports and SEZ supplies).
    pub supply_type: Option<SupplyType>,
    /// The recipient pays the tax.
    #[serde(default)]
    pub reverse_charge: bool,
    /// A note's invoice.
    pub against_id: Option<Uuid>,
    /// A purchase bill's number, as the supplier wrote it.
    #[schema(max_length = 40)]
    pub supplier_number: Option<String>,
    /// A purchase bill's date, as the supplier wrote it.
    pub supplier_date: Option<NaiveDate>,
    /// The buyer's order number or another reference.
    #[schema(max_length = 100)]
    pub reference: Option<String>,
    /// Notes printed on the document.
    #[schema(max_length = 4000)]
    pub notes: Option<String>,
    /// Why (credit and debit notes).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// The numbering series (the kind's default when absent).
    pub series_id: Option<Uuid>,
    /// Its lines.
    #[schema(min_items = 1, max_items = 1000)]
    pub lines: Vec<LineInput>,
}

/// A line with its tax.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Line {
    /// Its place, from 1.
    pub line_no: i32,
    /// The item.
    pub item_id: Option<Uuid>,
    /// What is supplied.
    pub description: String,
    /// HSN or SAC.
    pub hsn_sac: String,
    /// A service.
    pub is_service: bool,
    /// Quantity.
    #[schema(value_type = String)]
    pub quantity: Decimal,
    /// Unit.
    pub unit: String,
    /// Price of one unit as entered.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    /// Whether it includes GST.
    pub price_includes_tax: bool,
    /// Discount as entered.
    #[schema(value_type = String)]
    pub discount: Decimal,
    /// Whether it is taxed.
    #[sqlx(try_from = "String")]
    pub taxability: TaxabilityText,
    /// Quantity × price without tax.
    #[schema(value_type = String)]
    pub gross: Decimal,
    /// Taxable value.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// GST rate applied.
    #[schema(value_type = String)]
    pub gst_rate: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// UTGST.
    #[schema(value_type = String)]
    pub utgst: Decimal,
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// Cess rate.
    #[schema(value_type = String)]
    pub cess_rate: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
    /// Taxable value and its taxes.
    #[schema(value_type = String)]
    pub total: Decimal,
}

/// A taxability read from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct TaxabilityText(pub Taxability);

impl TryFrom<String> for TaxabilityText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Taxability::parse(&s).map(TaxabilityText).ok_or(s)
    }
}

/// A document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = LedgerDocument)]
pub struct Document {
    /// Its id.
    pub id: Uuid,
    /// Kind.
    pub kind: DocKind,
    /// Status.
    pub status: DocStatus,
    /// Its number (once issued).
    pub number: Option<String>,
    /// Financial year (`2025-26`), once issued.
    pub financial_year: Option<String>,
    /// The numbering series.
    pub series_id: Option<Uuid>,
    /// The customer or supplier.
    pub party_id: Uuid,
    /// The party's name.
    pub party_name: String,
    /// The party as it was when issued (name, GSTIN, state, address).
    #[schema(value_type = Option<Object>)]
    pub party_snapshot: Option<serde_json::Value>,
    /// Its date.
    pub date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// A quotation's last day.
    pub valid_until: Option<NaiveDate>,
    /// Place of supply.
    pub place_of_supply: String,
    /// Kind of supply.
    pub supply_type: SupplyType,
    /// Reverse charge.
    pub reverse_charge: bool,
    /// Where its tax goes.
    pub heads: Heads,
    /// A note's invoice.
    pub against_id: Option<Uuid>,
    /// A purchase bill's own number.
    pub supplier_number: Option<String>,
    /// A purchase bill's own date.
    pub supplier_date: Option<NaiveDate>,
    /// Reference.
    pub reference: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Reason (notes).
    pub reason: Option<String>,
    /// Lines.
    pub lines: Vec<Line>,
    /// Sum of taxable values.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// Sum of discounts.
    #[schema(value_type = String)]
    pub discount: Decimal,
    /// CGST.
    #[schema(value_type = String)]
    pub cgst: Decimal,
    /// SGST.
    #[schema(value_type = String)]
    pub sgst: Decimal,
    /// UTGST.
    #[schema(value_type = String)]
    pub utgst: Decimal,
    /// IGST.
    #[schema(value_type = String)]
    pub igst: Decimal,
    /// Cess.
    #[schema(value_type = String)]
    pub cess: Decimal,
    /// Round-off.
    #[schema(value_type = String)]
    pub round_off: Decimal,
    /// Total.
    #[schema(value_type = String)]
    pub total: Decimal,
    /// Settled by payments, TDS, credit notes and advances.
    #[schema(value_type = String)]
    pub settled: Decimal,
    /// Still owed.
    #[schema(value_type = String)]
    pub balance_due: Decimal,
    /// A quotation's invoice, or an invoice's quotation.
    pub converted_from: Option<Uuid>,
    /// A quotation's invoice.
    pub converted_to: Option<Uuid>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// Cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

/// How money moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMode {
    /// Cash.
    Cash,
    /// NEFT, RTGS or IMPS.
    BankTransfer,
    /// UPI.
    Upi,
    /// Cheque.
    Cheque,
    /// Card.
    Card,
    /// Anything else.
    Other,
}

impl PaymentMode {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMode::Cash => "cash",
            PaymentMode::BankTransfer => "bank_transfer",
            PaymentMode::Upi => "upi",
            PaymentMode::Cheque => "cheque",
            PaymentMode::Card => "card",
            PaymentMode::Other => "other",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<PaymentMode> {
        [
            PaymentMode::Cash,
            PaymentMode::BankTransfer,
            PaymentMode::Upi,
            PaymentMode::Cheque,
            PaymentMode::Card,
            PaymentMode::Other,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// Received from a customer, or paid to a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// From a customer.
    Receipt,
    /// To a supplier.
    Payment,
}

impl PaymentKind {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Receipt => "receipt",
            PaymentKind::Payment => "payment",
        }
    }
}

/// Part of a payment applied to a document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    /// The invoice, debit note or purchase bill.
    pub document_id: Uuid,
    /// How much of it this settles (TDS included).
    #[schema(value_type = String, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(deserialize_with = "strict::decimal")]
    pub amount: Decimal,
}

/// A receipt or payment to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// Receipt (from a customer) or payment (to a supplier).
    pub kind: PaymentKind,
    /// The customer or supplier.
    pub party_id: Uuid,
    /// When (today by default).
    pub date: Option<NaiveDate>,
    /// How.
    pub mode: PaymentMode,
    /// UTR, cheque number or another reference.
    #[schema(max_length = 100)]
    pub reference: Option<String>,
    /// The bank or cash account it went through (the bank account, or cash
    /// for `cash`, by default).
    pub account_id: Option<Uuid>,
    /// The money that moved.
    #[schema(value_type = String, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(deserialize_with = "strict::decimal")]
    pub amount: Decimal,
    /// TDS section the payer deducted under.
    pub tds_section: Option<crate::tds::TdsSection>,
    /// TDS deducted.
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::option")]
    pub tds_amount: Option<Decimal>,
    /// The TDS certificate (Form 16A) number, when it comes.
    #[schema(max_length = 60)]
    pub tds_certificate: Option<String>,
    /// Documents it settles; what is left is an advance.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub allocations: Vec<AllocationInput>,
    /// Notes.
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// An allocation as stored.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Allocation {
    /// Its id.
    pub id: Uuid,
    /// The document settled.
    pub document_id: Uuid,
    /// Its number.
    pub document_number: Option<String>,
    /// Amount.
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// When.
    pub allocated_on: NaiveDate,
}

/// A receipt or payment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payment {
    /// Its id.
    pub id: Uuid,
    /// Receipt or payment.
    pub kind: PaymentKind,
    /// The party.
    pub party_id: Uuid,
    /// Its name.
    pub party_name: String,
    /// When.
    pub date: NaiveDate,
    /// How.
    pub mode: PaymentMode,
    /// Reference.
    pub reference: Option<String>,
    /// The bank or cash account.
    pub account_id: Uuid,
    /// The money that moved.
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// TDS section.
    pub tds_section: Option<crate::tds::TdsSection>,
    /// TDS.
    #[schema(value_type = String)]
    pub tds_amount: Decimal,
    /// TDS certificate.
    pub tds_certificate: Option<String>,
    /// What settled the party's opening balance (taken before anything is
    /// kept as an advance).
    #[schema(value_type = String)]
    pub opening_applied: Decimal,
    /// Not yet applied to a document (an advance).
    #[schema(value_type = String)]
    pub unallocated: Decimal,
    /// What it settled.
    pub allocations: Vec<Allocation>,
    /// Notes.
    pub notes: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// An account's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// What the company owns.
    Asset,
    /// What it owes.
    Liability,
    /// Owners' stake.
    Equity,
    /// Earned.
    Income,
    /// Spent.
    Expense,
}

impl AccountKind {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Equity => "equity",
            AccountKind::Income => "income",
            AccountKind::Expense => "expense",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<AccountKind> {
        [
            AccountKind::Asset,
            AccountKind::Liability,
            AccountKind::Equity,
            AccountKind::Income,
            AccountKind::Expense,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether its balance is normally a debit.
    pub fn debit_normal(self) -> bool {
        matches!(self, AccountKind::Asset | AccountKind::Expense)
    }
}

/// An account of the chart.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    /// Its id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: AccountKind,
    /// The role postings give it (`debtors`, `output_cgst`, …), if any.
    pub role: Option<crate::posting::AccountKey>,
    /// Archived.
    pub archived: bool,
}

/// An account to create or rename.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// Code.
    #[schema(pattern = "^[0-9A-Za-z.-]{1,20}$")]
    pub code: String,
    /// Name.
    pub name: Label,
    /// Kind (fixed once the account has postings).
    pub kind: AccountKind,
    /// Archived: no new postings.
    #[serde(default)]
    pub archived: bool,
}

/// A line of a manual journal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalLineInput {
    /// The account.
    pub account_id: Uuid,
    /// The party, for debtors, creditors and advances.
    pub party_id: Option<Uuid>,
    /// Debit.
    #[schema(value_type = String, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::decimal")]
    pub debit: Decimal,
    /// Credit.
    #[schema(value_type = String, pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")]
    #[serde(default, deserialize_with = "strict::decimal")]
    pub credit: Decimal,
}

/// A manual journal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalInput {
    /// Its date.
    pub date: NaiveDate,
    /// What it is for.
    #[schema(min_length = 1, max_length = 500)]
    pub narration: String,
    /// Its lines: debits must equal credits.
    #[schema(min_items = 2, max_items = 200)]
    pub lines: Vec<JournalLineInput>,
}

/// A journal line as stored.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct JournalLine {
    /// The account.
    pub account_id: Uuid,
    /// Its code.
    pub account_code: String,
    /// Its name.
    pub account_name: String,
    /// The party.
    pub party_id: Option<Uuid>,
    /// Debit.
    #[schema(value_type = String)]
    pub debit: Decimal,
    /// Credit.
    #[schema(value_type = String)]
    pub credit: Decimal,
}

/// A journal: what one event posted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Journal {
    /// Its id.
    pub id: Uuid,
    /// Its date.
    pub date: NaiveDate,
    /// What posted it: `document`, `payment`, `allocation`, `opening`,
    /// `manual` or `cancellation`.
    pub source: String,
    /// The document, payment or party it belongs to.
    pub source_id: Option<Uuid>,
    /// What it is for.
    pub narration: String,
    /// Its lines.
    pub lines: Vec<JournalLine>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A document in a list.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DocumentSummary {
    /// Its id.
    pub id: Uuid,
    /// Kind.
    #[sqlx(try_from = "String")]
    pub kind: DocKindText,
    /// Status.
    #[sqlx(try_from = "String")]
    pub status: DocStatusText,
    /// Its number.
    pub number: Option<String>,
    /// The party.
    pub party_id: Uuid,
    /// Its name.
    pub party_name: String,
    /// Its date.
    pub date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Place of supply.
    pub place_of_supply: String,
    /// Taxable value.
    #[schema(value_type = String)]
    pub taxable_value: Decimal,
    /// Total.
    #[schema(value_type = String)]
    pub total: Decimal,
    /// Still owed.
    #[schema(value_type = String)]
    pub balance_due: Decimal,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A kind read from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct DocKindText(pub DocKind);

impl TryFrom<String> for DocKindText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        DocKind::parse(&s).map(DocKindText).ok_or(s)
    }
}

/// A status read from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct DocStatusText(pub DocStatus);

impl TryFrom<String> for DocStatusText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        DocStatus::parse(&s).map(DocStatusText).ok_or(s)
    }
}

/// A numbering series.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Series {
    /// Its id.
    pub id: Uuid,
    /// The kind of document it numbers.
    #[sqlx(try_from = "String")]
    pub kind: DocKindText,
    /// Its name.
    pub name: String,
    /// The template: `{FY}` (25-26), `{FYYY}` (2025-26), `{SEQ}`.
    pub template: String,
    /// Digits of `{SEQ}` (zero-padded).
    pub width: i16,
    /// The kind's default.
    pub is_default: bool,
}

/// A numbering series to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesInput {
    /// The kind of document it numbers.
    pub kind: DocKind,
    /// Its name.
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    /// The template: `{FY}` (25-26), `{FYYY}` (2025-26) and `{SEQ}`;
    /// numbers it makes are at most 16 characters of letters, digits, `/`
    /// and `-`, not starting with `0`, `/` or `-`.
    #[schema(min_length = 5, max_length = 40, example = "INV/{FY}/{SEQ}")]
    pub template: String,
    /// Digits of `{SEQ}` (1–8, default 4).
    #[schema(minimum = 1, maximum = 8)]
    pub width: Option<i16>,
    /// Make it the kind's default.
    #[serde(default)]
    pub is_default: bool,
}

/// The company's ledger settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct LedgerSettings {
    /// Nothing dated on or before this day can be posted (the accountant
    /// locks a period once it is filed).
    pub books_locked_until: Option<NaiveDate>,
    /// Days to pay when a party has no terms of its own.
    #[schema(minimum = 0, maximum = 3650)]
    pub default_due_days: i32,
    /// The company's address as documents print it (its name, GSTIN and
    /// state are the company profile's).
    #[sqlx(json(nullable))]
    pub company_address: Option<Address>,
    /// The company's phone.
    #[schema(max_length = 20, pattern = "^[+0-9 ()-]{6,20}$")]
    pub company_phone: Option<String>,
    /// The company's e-mail.
    #[schema(max_length = 254, format = Email)]
    pub company_email: Option<String>,
}

impl Default for LedgerSettings {
    fn default() -> Self {
        LedgerSettings {
            books_locked_until: None,
            default_due_days: 30,
            company_address: None,
            company_phone: None,
            company_email: None,
        }
    }
}
