//! E-invoicing: a company's IRP settings, and registering its invoices and
//! notes — built and checked here first (every violation named with its
//! JSON path and line), then sent to the IRP outside any transaction, the
//! signed QR code verified with the IRP's key before it is stored. A
//! duplicate IRN is fetched and checked against the document instead of
//! failing; transient failures leave the registration pending and a job
//! retries it. Issuing queues the same job when the company registers
//! automatically, so issuing never waits on the IRP.

use chrono::{DateTime, Utc};
use kernel::ApiError;
use kernel::audit::{Actor, Changes, Entry, RequestMeta};
use kernel::db::TenantAccess;
use kernel::db::TenantTx;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{LedgerError, Result};
use crate::gst::einvoice::{self, Violation};
use crate::gst::irp::{self, IrpCode, IrpError};
use crate::gst::jws;
use crate::model::{DocKind, DocStatus, Document};
use crate::{Ledger, repo};

/// Who acts: a caller, or a job of the company.
#[derive(Clone, Copy)]
pub enum Who<'a> {
    /// A person or API key.
    Caller(&'a identity::Caller),
    /// A job.
    System(&'a TenantAccess),
}

impl Who<'_> {
    fn access(&self) -> &TenantAccess {
        match self {
            Who::Caller(g) => g.access(),
            Who::System(a) => a,
        }
    }

    fn audit(&self, tx: &mut TenantTx, action: &str, id: Uuid, changes: Changes) {
        match self {
            Who::Caller(g) => g.audit(tx, action, "document", Some(id.to_string()), changes),
            Who::System(_) => kernel::audit::record(
                tx,
                &RequestMeta::default(),
                Entry {
                    actor: Actor::System,
                    action,
                    resource_type: "document",
                    resource_id: Some(id.to_string()),
                    changes,
                },
            ),
        }
    }
}

/// Where a document's e-invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EinvoiceState {
    /// Not sent yet.
    NotGenerated,
    /// Queued, or waiting to be retried after the IRP did not answer.
    Pending,
    /// Registered: it has an IRN and a signed QR code.
    Generated,
    /// Refused, by our checks or the IRP's; see the errors.
    Failed,
    /// Its IRN was cancelled.
    Cancelled,
}

/// A document's e-invoice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EinvoiceStatus {
    /// The document.
    pub document_id: Uuid,
    /// Whether the document needs an e-invoice.
    pub applicable: bool,
    /// Why not, when it does not.
    pub not_applicable_reason: Option<String>,
    /// Whether the company has e-invoicing set up and on.
    pub enabled: bool,
    /// Where it stands.
    pub status: EinvoiceState,
    /// The invoice reference number.
    pub irn: Option<String>,
    /// The IRP's acknowledgement number.
    pub ack_no: Option<String>,
    /// When the IRP acknowledged it.
    pub ack_date: Option<DateTime<Utc>>,
    /// The IRN can be cancelled on the IRP until then (24 hours).
    pub cancellable_until: Option<DateTime<Utc>>,
    /// What our checks find wrong with the document's e-invoice as it
    /// would be sent now (empty once generated).
    pub violations: Vec<Violation>,
    /// The IRP's reasons for refusing the last attempt.
    pub irp_errors: Vec<IrpCode>,
    /// What the signed QR code says (verified with the IRP's key).
    #[schema(value_type = Option<Object>)]
    pub qr: Option<Value>,
    /// The signed QR code as printed.
    pub signed_qr: Option<String>,
    /// Why the IRN was cancelled (1 duplicate, 2 data entry mistake, 3
    /// order cancelled, 4 other).
    pub cancel_reason: Option<i16>,
    /// The cancellation's remark.
    pub cancel_remark: Option<String>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Attempts so far.
    pub attempts: i32,
}

/// Kinds that may carry an e-invoice.
pub const KINDS: [DocKind; 4] =
    [DocKind::Invoice, DocKind::CreditNote, DocKind::DebitNote, DocKind::BillOfSupply];

/// A document with what it is built from.
pub(crate) struct Source {
    pub(crate) doc: Document,
    pub(crate) company: Value,
    pub(crate) party: Value,
    original: Option<(String, chrono::NaiveDate)>,
}

pub(crate) async fn source(tx: &mut TenantTx, id: Uuid) -> Result<Source> {
    let doc = repo::documents::get(tx, id)
        .await?
        .filter(|d| KINDS.contains(&d.kind))
        .ok_or(LedgerError::NotFound("invoice"))?;
    let company = match repo::documents::company_snapshot(tx, id).await? {
        Some(c) => c,
        None => Value::Null,
    };
    let party = match &doc.party_snapshot {
        Some(p) => p.clone(),
        None => {
            let p = repo::parties::get(tx, doc.party_id)
                .await?
                .ok_or(LedgerError::NotFound("party"))?;
            json!({
                "legal_name": p.legal_name, "trade_name": p.trade_name, "gstin": p.gstin,
                "registration": p.registration, "state_code": p.state_code,
                "billing_address": p.billing_address, "shipping_address": p.shipping_address,
            })
        }
    };
    let original = match doc.against_id {
        Some(a) => repo::documents::header(tx, a)
            .await?
            .and_then(|h| h.number.clone().map(|n| (n, h.doc_date))),
        None => None,
    };
    Ok(Source { doc, company, party, original })
}

impl Source {
    fn build(&self) -> (Value, Vec<i32>) {
        einvoice::build(
            &self.doc,
            &self.company,
            &self.party,
            self.original.as_ref().map(|(n, d)| (n.as_str(), *d)),
        )
    }
}

/// The company's company snapshot for a draft (issued documents keep theirs).
pub(crate) async fn with_company(
    ledger: &Ledger,
    who: Who<'_>,
    tx: &mut TenantTx,
    s: &mut Source,
) -> Result<()> {
    if s.company.is_null() {
        let company = ledger.identity().company(who.access()).await?;
        let settings = repo::books::settings(tx).await?;
        s.company = crate::print::company_now(&company, &settings);
    }
    Ok(())
}

fn status_of(
    s: &Source,
    row: Option<repo::einvoice::Row>,
    enabled: bool,
    key: Option<&rsa::RsaPublicKey>,
    unknown: &[String],
) -> EinvoiceStatus {
    let reason = einvoice::not_applicable(&s.doc, &s.party);
    let mut out = EinvoiceStatus {
        document_id: s.doc.id,
        applicable: reason.is_none(),
        not_applicable_reason: reason,
        enabled,
        status: EinvoiceState::NotGenerated,
        irn: None,
        ack_no: None,
        ack_date: None,
        cancellable_until: None,
        violations: Vec::new(),
        irp_errors: Vec::new(),
        qr: None,
        signed_qr: None,
        cancel_reason: None,
        cancel_remark: None,
        cancelled_at: None,
        attempts: 0,
    };
    if let Some(r) = row {
        out.status = match r.status.as_str() {
            "generated" => EinvoiceState::Generated,
            "failed" => EinvoiceState::Failed,
            "cancelled" => EinvoiceState::Cancelled,
            _ => EinvoiceState::Pending,
        };
        out.irn = r.irn;
        out.ack_no = r.ack_no;
        out.ack_date = r.ack_at;
        out.cancellable_until = r
            .ack_at
            .filter(|_| out.status == EinvoiceState::Generated)
            .map(|a| a + chrono::Duration::hours(24));
        out.irp_errors = serde_json::from_value(r.errors.get("irp").cloned().unwrap_or_default())
            .unwrap_or_default();
        out.qr = r.signed_qr.as_deref().and_then(|t| match key {
            Some(k) => jws::verify(t, k).ok(),
            None => jws::data(t),
        });
        out.signed_qr = r.signed_qr;
        out.cancel_reason = r.cancel_reason;
        out.cancel_remark = r.cancel_remark;
        out.cancelled_at = r.cancelled_at;
        out.attempts = r.attempts;
    }
    if out.applicable
        && matches!(
            out.status,
            EinvoiceState::NotGenerated | EinvoiceState::Pending | EinvoiceState::Failed
        )
    {
        let (payload, lines) = s.build();
        out.violations = einvoice::validate(&payload, &lines);
        out.violations.extend(einvoice::unknown_codes(&payload, &lines, unknown));
    }
    out
}

/// A document's e-invoice: where it stands, and what would stop it.
pub async fn status(ledger: &Ledger, g: &identity::Caller, id: Uuid) -> Result<EinvoiceStatus> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let mut s = source(&mut tx, id).await?;
    with_company(ledger, Who::Caller(g), &mut tx, &mut s).await?;
    let row = repo::einvoice::get(&mut tx, id).await?;
    let settings = repo::einvoice::settings(&mut tx).await?;
    // Codes are checked against the master only while the e-invoice can
    // still be sent (a registered one's violations are not shown).
    let unknown = match row.as_ref().map(|r| r.status.as_str()) {
        Some("generated" | "cancelled") => Vec::new(),
        _ => super::hsn::unknown(&mut tx, &einvoice::codes(&s.build().0)).await?,
    };
    drop(tx);
    let key = settings.as_ref().and_then(|s| jws::public_key(&s.signing_key).ok());
    Ok(status_of(&s, row, settings.is_some_and(|s| s.enabled), key.as_ref(), &unknown))
}

pub(crate) fn violations_error(v: &[Violation]) -> LedgerError {
    LedgerError::Validation(
        v.iter().map(|x| kernel::FieldError::new(x.path.clone(), x.message.clone())).collect(),
    )
}

/// The e-invoice JSON of a document, when it passes every check (what
/// would be sent, or was: for offline upload or a look).
pub async fn payload(ledger: &Ledger, g: &identity::Caller, id: Uuid) -> Result<Value> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let mut s = source(&mut tx, id).await?;
    with_company(ledger, Who::Caller(g), &mut tx, &mut s).await?;
    if let Some(r) = repo::einvoice::get(&mut tx, id).await?
        && r.status == "generated"
        && let Some(p) = r.payload
    {
        return Ok(p);
    }
    if let Some(why) = einvoice::not_applicable(&s.doc, &s.party) {
        return Err(LedgerError::state("not_applicable", why));
    }
    let (payload, lines) = s.build();
    let mut v = einvoice::validate(&payload, &lines);
    let unknown = super::hsn::unknown(&mut tx, &einvoice::codes(&payload)).await?;
    drop(tx);
    v.extend(einvoice::unknown_codes(&payload, &lines, &unknown));
    if v.is_empty() { Ok(payload) } else { Err(violations_error(&v)) }
}

/// The e-invoicing settings as shown (secrets never leave).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EinvoiceSettings {
    /// Whether invoices are registered with the IRP.
    pub enabled: bool,
    /// Register each invoice and note as it is issued.
    pub auto_generate: bool,
    /// The IRP's (or GSP's) base URL.
    pub base_url: String,
    /// API client id.
    pub client_id: String,
    /// API user name.
    pub username: String,
    /// Whether a client secret is stored.
    pub has_client_secret: bool,
    /// Whether a password is stored.
    pub has_password: bool,
    /// The IRP's public key for logins (PEM).
    pub encryption_key: String,
    /// The IRP's public key for signed invoices and QR codes (PEM).
    pub signing_key: String,
    /// Seconds one IRP request may take.
    pub timeout_secs: i32,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// New e-invoicing settings.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EinvoiceSettingsInput {
    /// Whether invoices are registered with the IRP.
    pub enabled: bool,
    /// Register each invoice and note as it is issued (default true).
    #[serde(default = "yes")]
    pub auto_generate: bool,
    /// The IRP's (or GSP's) base URL.
    #[schema(min_length = 8, max_length = 500)]
    pub base_url: String,
    /// API client id.
    #[schema(min_length = 1, max_length = 100)]
    pub client_id: String,
    /// API client secret (omit to keep the stored one).
    #[schema(max_length = 200)]
    pub client_secret: Option<String>,
    /// API user name.
    #[schema(min_length = 1, max_length = 100)]
    pub username: String,
    /// API password (omit to keep the stored one).
    #[schema(max_length = 200)]
    pub password: Option<String>,
    /// The IRP's public key for logins (PEM, `BEGIN PUBLIC KEY`).
    #[schema(max_length = 4000)]
    pub encryption_key: String,
    /// The IRP's public key for signed invoices and QR codes (PEM).
    #[schema(max_length = 4000)]
    pub signing_key: String,
    /// Seconds one IRP request may take (1–120, default 30).
    #[schema(minimum = 1, maximum = 120)]
    #[serde(default = "thirty")]
    pub timeout_secs: i32,
}

fn yes() -> bool {
    true
}

fn thirty() -> i32 {
    30
}

fn secret_context(tenant: kernel::ids::TenantId, what: &str) -> Vec<u8> {
    format!("einvoice:{tenant}:{what}").into_bytes()
}

fn view(r: &repo::einvoice::SettingsRow) -> EinvoiceSettings {
    EinvoiceSettings {
        enabled: r.enabled,
        auto_generate: r.auto_generate,
        base_url: r.base_url.clone(),
        client_id: r.client_id.clone(),
        username: r.username.clone(),
        has_client_secret: !r.client_secret.is_empty(),
        has_password: !r.password.is_empty(),
        encryption_key: r.encryption_key.clone(),
        signing_key: r.signing_key.clone(),
        timeout_secs: r.timeout_secs,
        updated_at: r.updated_at,
    }
}

/// The company's e-invoicing settings (404 until set).
pub async fn settings(ledger: &Ledger, g: &identity::Caller) -> Result<EinvoiceSettings> {
    let mut tx = g.read_tx(ledger.db()).await?;
    repo::einvoice::settings(&mut tx)
        .await?
        .map(|r| view(&r))
        .ok_or(LedgerError::NotFound("e-invoicing settings"))
}

/// Stores the e-invoicing settings: the URL passes the outbound rules,
/// both keys parse, and the secrets are sealed (kept when omitted).
pub async fn put_settings(
    ledger: &Ledger,
    g: &identity::Caller,
    input: EinvoiceSettingsInput,
) -> Result<EinvoiceSettings> {
    let mut p = super::Problems::default();
    if let Err(e) = kernel::outbound::check_url(&input.base_url, ledger.allow_private_endpoints) {
        p.add("base_url", e.to_string());
    }
    for (field, v, max) in
        [("client_id", &input.client_id, 100), ("username", &input.username, 100)]
    {
        if v.trim().is_empty() || v.chars().count() > max {
            p.add(field, format!("must be 1 to {max} characters"));
        }
    }
    for (field, pem) in
        [("encryption_key", &input.encryption_key), ("signing_key", &input.signing_key)]
    {
        if pem.len() > 4000 || jws::public_key(pem).is_err() {
            p.add(
                field,
                "must be the IRP's RSA public key in PEM form (-----BEGIN PUBLIC KEY-----)",
            );
        }
    }
    if !(1..=120).contains(&input.timeout_secs) {
        p.add("timeout_secs", "must be 1 to 120 seconds");
    }
    for (field, v) in [("client_secret", &input.client_secret), ("password", &input.password)] {
        if v.as_ref().is_some_and(|x| x.is_empty() || x.chars().count() > 200) {
            p.add(field, "must be 1 to 200 characters (omit it to keep the stored one)");
        }
    }
    let mut tx = g.tx(ledger.db()).await?;
    let old = repo::einvoice::settings(&mut tx).await?;
    if old.is_none() {
        if input.client_secret.is_none() {
            p.add("client_secret", "is required the first time");
        }
        if input.password.is_none() {
            p.add("password", "is required the first time");
        }
    }
    p.done()?;
    let tenant = g.tenant();
    let seal = |what: &str, new: &Option<String>, old: Option<&Vec<u8>>| -> Result<Vec<u8>> {
        match new {
            Some(v) => ledger
                .secrets
                .seal(v.as_bytes(), &secret_context(tenant, what))
                .map_err(|e| LedgerError::Api(ApiError::internal(e))),
            None => Ok(old.cloned().unwrap_or_default()),
        }
    };
    let row = repo::einvoice::SettingsRow {
        enabled: input.enabled,
        auto_generate: input.auto_generate,
        base_url: input.base_url.trim().to_owned(),
        client_id: input.client_id.trim().to_owned(),
        client_secret: seal(
            "client_secret",
            &input.client_secret,
            old.as_ref().map(|o| &o.client_secret),
        )?,
        username: input.username.trim().to_owned(),
        password: seal("password", &input.password, old.as_ref().map(|o| &o.password))?,
        encryption_key: input.encryption_key.trim().to_owned(),
        signing_key: input.signing_key.trim().to_owned(),
        timeout_secs: input.timeout_secs,
        updated_at: Utc::now(),
    };
    repo::einvoice::put_settings(&mut tx, &row).await?;
    g.audit(
        &mut tx,
        "einvoice.settings_changed",
        "einvoice_settings",
        None,
        Changes::new()
            .set("enabled", row.enabled)
            .set("auto_generate", row.auto_generate)
            .set("base_url", &row.base_url)
            .set("client_id", &row.client_id)
            .set("username", &row.username)
            .set("secrets_changed", input.client_secret.is_some() || input.password.is_some()),
    );
    tx.commit().await?;
    ledger.forget_irp_session(tenant);
    Ok(view(&row))
}

/// The opened credentials and signing key, or why e-invoicing cannot run.
pub(crate) async fn client(
    ledger: &Ledger,
    tx: &mut TenantTx,
    gstin: &str,
) -> Result<(irp::Client, rsa::RsaPublicKey, bool)> {
    let Some(r) = repo::einvoice::settings(tx).await? else {
        return Err(LedgerError::state(
            "einvoicing_not_set_up",
            "e-invoicing is not set up: add the IRP's URL, API credentials and public keys in the GST settings",
        ));
    };
    let tenant = tx.tenant();
    let open = |what: &str, sealed: &[u8]| -> Result<String> {
        let b = ledger
            .secrets
            .open(sealed, &secret_context(tenant, what))
            .map_err(|_| LedgerError::state("einvoicing_secrets", "the stored IRP credentials cannot be opened (was the master key changed?): enter them again"))?;
        String::from_utf8(b).map_err(|e| LedgerError::Api(ApiError::internal(e)))
    };
    let creds = irp::Credentials {
        base_url: r.base_url.clone(),
        client_id: r.client_id.clone(),
        client_secret: open("client_secret", &r.client_secret)?,
        username: r.username.clone(),
        password: open("password", &r.password)?,
        gstin: gstin.to_owned(),
        encryption_key: r.encryption_key.clone(),
        timeout: std::time::Duration::from_secs(u64::try_from(r.timeout_secs).unwrap_or(30)),
        allow_private: ledger.allow_private_endpoints,
    };
    let key = jws::public_key(&r.signing_key).map_err(|_| {
        LedgerError::invalid(
            "signing_key",
            "the stored IRP signing key is not a PEM RSA public key",
        )
    })?;
    let c = irp::Client::new(creds)
        .map_err(|e| LedgerError::state("einvoicing_settings", e.to_string()))?;
    Ok((c, key, r.enabled))
}

/// Calls the IRP with the company's session, logging in when there is
/// none or the IRP says it expired (once).
pub(crate) async fn with_session<T, F, Fut>(
    ledger: &Ledger,
    tenant: kernel::ids::TenantId,
    c: &irp::Client,
    f: F,
) -> std::result::Result<T, IrpError>
where
    F: Fn(irp::Session) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, IrpError>>,
{
    let session = match ledger.irp_session(tenant) {
        Some(s) => s,
        None => {
            let s = c.authenticate().await?;
            ledger.keep_irp_session(tenant, s.clone());
            s
        }
    };
    match f(session).await {
        Err(e) if e.has("1005") => {
            let s = c.authenticate().await?;
            ledger.keep_irp_session(tenant, s.clone());
            f(s).await
        }
        other => other,
    }
}

pub(crate) fn irp_problem(e: &IrpError) -> LedgerError {
    match e {
        IrpError::Unavailable(m) => LedgerError::Api(
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "irp_unavailable",
                "The IRP did not answer",
            )
            .detail(format!("{m}; the e-invoice stays pending and is tried again automatically")),
        ),
        IrpError::Refused { codes, .. } => {
            let mut a = ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "irp_refused",
                "The IRP refused the e-invoice",
            )
            .detail(
                codes
                    .iter()
                    .map(|c| format!("{} {}", c.code, c.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            for c in codes {
                let field = match c.code.as_str() {
                    "3028" | "3029" => "party.gstin",
                    "2176" => "lines",
                    "1007" | "1008" | "1010" | "1013" | "1016" | "1015" | "2143" => "settings",
                    _ => "einvoice",
                };
                a = a.field(field, format!("{} {} — {}", c.code, c.message, c.advice));
            }
            LedgerError::Api(a)
        }
        IrpError::Settings(m) | IrpError::Protocol(m) => {
            LedgerError::state("einvoicing_settings", m.clone())
        }
    }
}

/// What the IRP answered for a registration, verified.
struct Answer {
    irn: String,
    ack_no: String,
    ack_at: DateTime<Utc>,
    signed_invoice: String,
    signed_qr: String,
}

fn read_answer(v: &Value, key: &rsa::RsaPublicKey) -> std::result::Result<Answer, IrpError> {
    let text = |k: &str| v[k].as_str().map(str::to_owned);
    let ack_no = match &v["AckNo"] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    let (Some(irn), Some(ack_no), Some(ack), Some(si), Some(qr)) =
        (text("Irn"), ack_no, text("AckDt"), text("SignedInvoice"), text("SignedQRCode"))
    else {
        return Err(IrpError::Protocol(
            "the answer lacks Irn, AckNo, AckDt or the signed tokens".into(),
        ));
    };
    let ack_at = irp::parse_time(&ack)
        .ok_or_else(|| IrpError::Protocol(format!("AckDt `{ack}` is not a time")))?;
    let q = jws::verify(&qr, key)
        .map_err(|e| IrpError::Protocol(format!("the signed QR code: {e}")))?;
    jws::verify(&si, key).map_err(|e| IrpError::Protocol(format!("the signed invoice: {e}")))?;
    if q["Irn"].as_str() != Some(irn.as_str()) {
        return Err(IrpError::Protocol("the signed QR code names another IRN".into()));
    }
    Ok(Answer { irn, ack_no, ack_at, signed_invoice: si, signed_qr: qr })
}

/// Registers a document with the IRP now. Refuses (422) what our checks
/// or the IRP find wrong, naming each; leaves it pending (503) when the
/// IRP does not answer, for the job to retry.
pub async fn generate(ledger: &Ledger, who: Who<'_>, id: Uuid) -> Result<EinvoiceStatus> {
    let access = who.access().clone();
    let tenant = access.tenant();
    let mut tx = ledger.db().tenant(&access).await?;
    let mut s = source(&mut tx, id).await?;
    with_company(ledger, who, &mut tx, &mut s).await?;
    if let Some(why) = einvoice::not_applicable(&s.doc, &s.party) {
        return Err(LedgerError::state("not_applicable", why));
    }
    if matches!(s.doc.status, DocStatus::Draft | DocStatus::Cancelled) {
        return Err(LedgerError::state(
            "not_issued",
            if s.doc.status == DocStatus::Draft {
                "issue the document first: a draft has no number to register"
            } else {
                "a cancelled document is not registered"
            },
        ));
    }
    let row = repo::einvoice::lock(&mut tx, id).await?;
    if matches!(row.status.as_str(), "generated" | "cancelled") {
        return Err(LedgerError::state(
            "already_registered",
            format!("the e-invoice is already {}", row.status),
        ));
    }
    let (payload, lines) = s.build();
    let mut violations = einvoice::validate(&payload, &lines);
    let unknown = super::hsn::unknown(&mut tx, &einvoice::codes(&payload)).await?;
    violations.extend(einvoice::unknown_codes(&payload, &lines, &unknown));
    if !violations.is_empty() {
        repo::einvoice::set_failed(
            &mut tx,
            id,
            "failed",
            Some(&payload),
            &json!({ "violations": violations }),
        )
        .await?;
        tx.commit().await?;
        return Err(violations_error(&violations));
    }
    let gstin = s.company["gstin"].as_str().unwrap_or_default().to_owned();
    let (c, key, _) = client(ledger, &mut tx, &gstin).await?;
    // The IRP is called with the row committed as pending (no lock held
    // across the network); a concurrent attempt finds it pending and the
    // IRP's duplicate check keeps the IRN single.
    tx.commit().await?;
    let sent = with_session(ledger, tenant, &c, |session| {
        let c = &c;
        let payload = &payload;
        async move { c.generate(&session, payload).await }
    })
    .await;
    let answer = match sent {
        Ok(v) => read_answer(&v, &key),
        Err(e) if e.has("2150") => {
            // Registered before (a retry after a lost answer, or another
            // system): fetch it, and keep it only if it is this document.
            let irn = match &e {
                IrpError::Refused { info, .. } => info
                    .as_array()
                    .and_then(|a| a.iter().find(|i| i["InfCd"] == "DUPIRN"))
                    .and_then(|i| i["Desc"]["Irn"].as_str().map(str::to_owned)),
                _ => None,
            }
            .unwrap_or_else(|| {
                einvoice::irn(
                    &gstin,
                    s.doc.date,
                    einvoice::doc_type(s.doc.kind),
                    s.doc.number.as_deref().unwrap_or_default(),
                )
            });
            let got = with_session(ledger, tenant, &c, |session| {
                let c = &c;
                let irn = &irn;
                async move { c.get(&session, irn).await }
            })
            .await;
            got.and_then(|v| {
                let a = read_answer(&v, &key)?;
                let mine = jws::data(&a.signed_invoice).is_some_and(|d| {
                    d["BuyerDtls"]["Gstin"] == payload["BuyerDtls"]["Gstin"]
                        && (d["ValDtls"]["TotInvVal"].as_f64().unwrap_or(-1.0)
                            - payload["ValDtls"]["TotInvVal"].as_f64().unwrap_or(0.0))
                        .abs()
                            < 0.01
                });
                if mine { Ok(a) } else { Err(e.clone()) }
            })
        }
        Err(e) => Err(e),
    };
    let mut tx = ledger.db().tenant(&access).await?;
    repo::einvoice::lock(&mut tx, id).await?;
    match answer {
        Ok(a) => {
            repo::einvoice::set_generated(
                &mut tx,
                id,
                &repo::einvoice::Registered {
                    irn: &a.irn,
                    ack_no: &a.ack_no,
                    ack_at: a.ack_at,
                    signed_invoice: &a.signed_invoice,
                    signed_qr: &a.signed_qr,
                    payload: &payload,
                },
            )
            .await?;
            who.audit(
                &mut tx,
                "einvoice.generated",
                id,
                Changes::new().set("irn", &a.irn).set("ack_no", &a.ack_no),
            );
            kernel::outbox::publish(
                &mut tx,
                crate::EINVOICE_GENERATED,
                &json!({ "document_id": id, "number": s.doc.number, "irn": a.irn, "ack_no": a.ack_no }),
            )?;
            tx.commit().await?;
        }
        Err(e) => {
            let state = if e.transient() { "pending" } else { "failed" };
            repo::einvoice::set_failed(
                &mut tx,
                id,
                state,
                Some(&payload),
                &json!({ "irp": e.codes() }),
            )
            .await?;
            tx.commit().await?;
            return Err(irp_problem(&e));
        }
    }
    let mut tx = ledger.db().tenant_read(&access).await?;
    let row = repo::einvoice::get(&mut tx, id).await?;
    drop(tx);
    Ok(status_of(&s, row, true, Some(&key), &[]))
}

/// Why an IRN is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// Raised twice.
    Duplicate,
    /// A mistake in the data.
    DataEntryMistake,
    /// The order was cancelled.
    OrderCancelled,
    /// Anything else.
    Other,
}

impl CancelReason {
    /// The IRP's code.
    pub fn code(self) -> u8 {
        match self {
            CancelReason::Duplicate => 1,
            CancelReason::DataEntryMistake => 2,
            CancelReason::OrderCancelled => 3,
            CancelReason::Other => 4,
        }
    }
}

/// An IRN to cancel.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelEinvoice {
    /// Why.
    pub reason: CancelReason,
    /// A remark sent to the IRP and kept as the document's cancel reason.
    #[schema(min_length = 1, max_length = 100)]
    pub remark: String,
}

/// Cancels an e-invoice's IRN on the IRP (within 24 hours of its
/// acknowledgement) and then the document itself, which is void once its
/// IRN is. After 24 hours the IRP no longer cancels: a credit note is
/// the way.
pub async fn cancel(
    ledger: &Ledger,
    g: &identity::Caller,
    id: Uuid,
    input: CancelEinvoice,
) -> Result<EinvoiceStatus> {
    let remark = input.remark.trim().to_owned();
    if remark.is_empty() || remark.chars().count() > 100 {
        return Err(LedgerError::invalid("remark", "say why, in 1–100 characters"));
    }
    let mut tx = g.tx(ledger.db()).await?;
    let s = source(&mut tx, id).await?;
    let row = repo::einvoice::lock(&mut tx, id).await?;
    let (Some(irn), Some(ack_at)) = (row.irn.clone(), row.ack_at) else {
        return Err(LedgerError::state("not_registered", "the document has no IRN to cancel"));
    };
    if row.status == "cancelled" {
        return Err(LedgerError::state("already_cancelled", "the IRN is already cancelled"));
    }
    if ack_at + chrono::Duration::hours(24) < Utc::now() {
        return Err(LedgerError::state(
            "cancel_window_over",
            format!(
                "the IRN was acknowledged at {} IST; an IRN can be cancelled only within 24 hours — issue a credit note instead",
                ack_at.with_timezone(&chrono_tz::Asia::Kolkata).format("%d/%m/%Y %H:%M")
            ),
        ));
    }
    super::documents::check_cancellable(&mut tx, s.doc.kind, id).await?;
    let gstin = s.company["gstin"].as_str().unwrap_or_default().to_owned();
    let (c, key, _) = client(ledger, &mut tx, &gstin).await?;
    drop(tx);
    let tenant = g.tenant();
    let reason = input.reason.code();
    let done = with_session(ledger, tenant, &c, |session| {
        let c = &c;
        let irn = &irn;
        let remark = &remark;
        async move { c.cancel(&session, irn, reason, remark).await }
    })
    .await;
    let at = match done {
        Ok(v) => v["CancelDate"].as_str().and_then(irp::parse_time).unwrap_or_else(Utc::now),
        // Already cancelled on the IRP (by another system, or an answer
        // lost on the way): it is cancelled.
        Err(e) if e.has("9999") => Utc::now(),
        Err(e) if e.has("2270") => {
            return Err(LedgerError::state(
                "cancel_window_over",
                "the IRP refused: more than 24 hours have passed since the IRN was generated — issue a credit note instead",
            ));
        }
        Err(e) => return Err(irp_problem(&e)),
    };
    let mut tx = g.tx(ledger.db()).await?;
    repo::einvoice::lock(&mut tx, id).await?;
    repo::einvoice::set_cancelled(&mut tx, id, i16::from(reason), &remark, at).await?;
    g.audit(
        &mut tx,
        "einvoice.cancelled",
        "document",
        Some(id.to_string()),
        Changes::new().set("irn", &irn).set("reason", i64::from(reason)).set("remark", &remark),
    );
    tx.commit().await?;
    super::documents::cancel(ledger, g, s.doc.kind, id, &format!("IRN cancelled: {remark}"))
        .await?;
    let mut tx = g.read_tx(ledger.db()).await?;
    let s = source(&mut tx, id).await?;
    let row = repo::einvoice::get(&mut tx, id).await?;
    drop(tx);
    Ok(status_of(&s, row, true, Some(&key), &[]))
}

/// Queues registration of a just-issued document when the company
/// registers automatically and the document needs an e-invoice.
pub async fn queue_on_issue(
    tx: &mut TenantTx,
    doc_kind: DocKind,
    id: Uuid,
    party: &Value,
    supply_regular: bool,
) -> Result<()> {
    if !matches!(doc_kind, DocKind::Invoice | DocKind::CreditNote | DocKind::DebitNote) {
        return Ok(());
    }
    let registration = party["registration"].as_str().unwrap_or_default();
    if supply_regular
        && (!matches!(registration, "regular" | "composition" | "sez") || party["gstin"].is_null())
    {
        return Ok(());
    }
    if let Some(s) = repo::einvoice::settings(tx).await?
        && s.enabled
        && s.auto_generate
    {
        repo::einvoice::lock(tx, id).await?;
        jobs::NewJob::new(&crate::jobs::GenerateEinvoice { document_id: id }).enqueue(tx).await?;
    }
    Ok(())
}

/// The signed QR code of a registered document, as a PNG.
pub async fn qr_png(ledger: &Ledger, g: &identity::Caller, id: Uuid) -> Result<Vec<u8>> {
    let mut tx = g.read_tx(ledger.db()).await?;
    source(&mut tx, id).await?;
    let row = repo::einvoice::get(&mut tx, id).await?;
    let token = row.and_then(|r| r.signed_qr).ok_or_else(|| {
        LedgerError::state("not_registered", "the document has no e-invoice QR code")
    })?;
    crate::gst::qr::png(&token).ok_or_else(|| {
        LedgerError::Api(ApiError::internal(anyhow::anyhow!(
            "the signed QR code is too long for a QR code"
        )))
    })
}
