//! A stand-in for the NIC e-invoice registration portal (IRP), API
//! versions v1.04 (authentication) and v1.03 (e-invoice):
//!
//! - `POST /eivital/v1.04/auth` — headers `client_id`, `client_secret`,
//!   `gstin`; body `{"Data": base64(RSA-PKCS#1 v1.5(base64(json)))}` with
//!   the portal's encryption key, the JSON holding `UserName`, `Password`,
//!   `AppKey` (32 random bytes, base64) and `ForceRefreshAccessToken`.
//!   Answers `AuthToken`, `TokenExpiry` and `Sek`, the session key
//!   encrypted with the app key (AES-256-ECB, PKCS#7).
//! - `POST /eicore/v1.03/Invoice` (generate IRN),
//!   `GET /eicore/v1.03/Invoice/irn/{irn}` (get),
//!   `POST /eicore/v1.03/Invoice/Cancel`, and the e-way bill of an
//!   e-invoice, `POST /eiewb/v1.03/ewaybill` and
//!   `GET /eiewb/v1.03/ewaybill/irn/{irn}` — headers `client_id`,
//!   `client_secret`, `gstin`, `user_name`, `AuthToken`; request and
//!   response `Data` encrypted with the session key.
//!
//! Failures answer HTTP 200 with `Status: 0` and `ErrorDetails` carrying
//! the IRP's error codes: 1005 invalid token, 1008 bad login, 1010 bad
//! client id/secret, 2140 schema, 2143 not the user's GSTIN, 2148/2154 not
//! found, 2150 duplicate IRN (with the existing IRN in `InfoDtls`), 2172
//! IGST on an intra-state supply, 2176 invalid HSN, 2182 taxable total,
//! 2189 invoice total, 2193 AssAmt ≠ TotAmt − Discount, 2270 cancellation
//! window over, 3028 invalid GSTIN, 3029 GSTIN not active, 9999 not
//! active (already cancelled); for e-way bills 4002 already generated,
//! 4010 not for notes or services, 4019 no transporter or vehicle. The signed invoice and signed QR code are
//! RS256 JWTs whose payload is `{"data": "<json>", "iss": "NIC"}`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aes::Aes256;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ecb::cipher::block_padding::Pkcs7;
use ecb::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The portal's key that signs e-invoices and QR codes (a test key).
const SIGNING_KEY: &str = include_str!("keys/signing.pem");
/// The portal's key that decrypts login payloads (a test key).
const ENCRYPTION_KEY: &str = include_str!("keys/encryption.pem");

/// Who may call the stand-in.
#[derive(Debug, Clone)]
pub struct Config {
    /// The API client id issued to the GSP or taxpayer.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// The API user created on the portal.
    pub username: String,
    /// Its password.
    pub password: String,
    /// GSTINs the registry knows but that are cancelled or suspended
    /// (answered with 3029).
    pub inactive_gstins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            client_id: "TESSERA-STANDIN".into(),
            client_secret: "standin-client-secret".into(),
            username: "tessera_api".into(),
            password: "Standin@123".into(),
            inactive_gstins: Vec::new(),
        }
    }
}

/// A fault injected into the next request.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answer 503.
    Unavailable,
    /// Wait this long before answering.
    Slow(Duration),
}

#[derive(Debug)]
struct Session {
    sek: [u8; 32],
    gstin: String,
    expires: DateTime<Utc>,
}

/// One registered e-invoice.
#[derive(Debug, Clone)]
struct Record {
    gstin: String,
    ack_no: u64,
    ack_dt: DateTime<Utc>,
    signed_invoice: String,
    signed_qr: String,
    cancelled: Option<DateTime<Utc>>,
    /// Whether the invoice (INV) carries goods.
    goods: bool,
    /// Its e-way bill: number, generated, valid until.
    ewb: Option<(u64, DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    records: HashMap<String, Record>,
    faults: VecDeque<Fault>,
    clock_offset: chrono::Duration,
    next_ack: u64,
    next_ewb: u64,
    calls: HashMap<&'static str, u64>,
}

/// The stand-in's state.
#[derive(Debug)]
pub struct Irp {
    config: Config,
    signing: RsaPrivateKey,
    encryption: RsaPrivateKey,
    inner: Mutex<Inner>,
}

/// A running stand-in IRP.
pub type RunningIrp = crate::Running<Arc<Irp>>;

/// Starts a stand-in IRP on a free local port.
pub async fn start(config: Config) -> anyhow::Result<RunningIrp> {
    start_on(([127, 0, 0, 1], 0).into(), config).await
}

/// Starts a stand-in IRP on `addr`.
pub async fn start_on(addr: std::net::SocketAddr, config: Config) -> anyhow::Result<RunningIrp> {
    let irp = Arc::new(Irp::new(config)?);
    crate::serve(addr, router(irp.clone()), irp).await
}

/// The stand-in's routes.
pub fn router(irp: Arc<Irp>) -> Router {
    Router::new()
        .route("/eivital/v1.04/auth", post(auth))
        .route("/eicore/v1.03/Invoice", post(generate))
        .route("/eicore/v1.03/Invoice/irn/{irn}", get(get_irn))
        .route("/eicore/v1.03/Invoice/Cancel", post(cancel))
        .route("/eiewb/v1.03/ewaybill", post(ewaybill))
        .route("/eiewb/v1.03/ewaybill/irn/{irn}", get(get_ewaybill))
        .route("/_standin/keys", get(keys))
        .route("/_standin/faults", post(faults))
        .route("/_standin/clock", post(clock))
        .route("/_standin/calls", get(calls))
        .with_state(irp)
}

impl Irp {
    /// The stand-in with its test keys.
    pub fn new(config: Config) -> anyhow::Result<Irp> {
        Ok(Irp {
            config,
            signing: RsaPrivateKey::from_pkcs8_pem(SIGNING_KEY)?,
            encryption: RsaPrivateKey::from_pkcs8_pem(ENCRYPTION_KEY)?,
            inner: Mutex::new(Inner {
                next_ack: 112_610_000_000_001,
                next_ewb: 331_000_000_001,
                ..Inner::default()
            }),
        })
    }

    /// The public key that verifies signed invoices and QR codes (PEM).
    pub fn signing_public_key(&self) -> String {
        self.signing.to_public_key().to_public_key_pem(Default::default()).unwrap_or_default()
    }

    /// The public key clients encrypt their login with (PEM).
    pub fn encryption_public_key(&self) -> String {
        self.encryption.to_public_key().to_public_key_pem(Default::default()).unwrap_or_default()
    }

    /// Makes the next `count` requests answer 503.
    pub fn fail_next(&self, count: usize) {
        let mut g = self.lock();
        g.faults.extend(std::iter::repeat_n(Fault::Unavailable, count));
    }

    /// Makes the next `count` requests wait `delay` before answering.
    pub fn slow_next(&self, count: usize, delay: Duration) {
        let mut g = self.lock();
        g.faults.extend(std::iter::repeat_n(Fault::Slow(delay), count));
    }

    /// Moves the stand-in's clock (to reach the end of a cancellation window).
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.lock().clock_offset += by;
    }

    /// How many times each API was called (`auth`, `generate`, `get`, `cancel`).
    pub fn calls(&self, api: &str) -> u64 {
        self.lock().calls.get(api).copied().unwrap_or(0)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.lock().clock_offset
    }

    /// Counts the call and applies the next injected fault, if any.
    async fn arrive(&self, api: &'static str) -> Result<(), axum::response::Response> {
        let fault = {
            let mut g = self.lock();
            *g.calls.entry(api).or_default() += 1;
            g.faults.pop_front()
        };
        match fault {
            Some(Fault::Unavailable) => Err(axum::response::IntoResponse::into_response((
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable",
            ))),
            Some(Fault::Slow(d)) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn sign(&self, data: &Value) -> String {
        let spki = self.signing.to_public_key().to_public_key_der().map(|d| d.into_vec());
        let digest = Sha256::digest(spki.unwrap_or_default());
        let header = json!({
            "alg": "RS256", "kid": hex::encode_upper(&digest[..20]), "typ": "JWT",
            "x5t": URL_SAFE_NO_PAD.encode(&digest[..20]),
        });
        let payload = json!({ "data": data.to_string(), "iss": "NIC" });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let key = SigningKey::<Sha256>::new(self.signing.clone());
        let sig = key.sign(input.as_bytes()).to_vec();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

fn header<'a>(h: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| h.get(*n).and_then(|v| v.to_str().ok())).map(str::trim)
}

fn fail(code: &str, message: impl Into<String>) -> Json<Value> {
    fail_with(code, message, Value::Null)
}

fn fail_with(code: &str, message: impl Into<String>, info: Value) -> Json<Value> {
    Json(json!({
        "Status": 0, "Data": null, "InfoDtls": info,
        "ErrorDetails": [{ "ErrorCode": code, "ErrorMessage": message.into() }],
    }))
}

fn fail_many(errors: &[(String, String)]) -> Json<Value> {
    let details: Vec<Value> =
        errors.iter().map(|(c, m)| json!({ "ErrorCode": c, "ErrorMessage": m })).collect();
    Json(json!({ "Status": 0, "Data": null, "InfoDtls": null, "ErrorDetails": details }))
}

fn ok_sealed(sek: &[u8; 32], data: &Value) -> Json<Value> {
    Json(json!({
        "Status": 1, "ErrorDetails": null, "InfoDtls": null,
        "Data": STANDARD.encode(aes_encrypt(sek, data.to_string().as_bytes())),
    }))
}

fn aes_encrypt(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
    ecb::Encryptor::<Aes256>::new(key.into()).encrypt_padded_vec_mut::<Pkcs7>(data)
}

fn aes_decrypt(key: &[u8; 32], data: &[u8]) -> Option<Vec<u8>> {
    ecb::Decryptor::<Aes256>::new(key.into()).decrypt_padded_vec_mut::<Pkcs7>(data).ok()
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).unwrap_or_default();
    b
}

fn ist(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Kolkata).format("%Y-%m-%d %H:%M:%S").to_string()
}

#[derive(Debug, Deserialize)]
struct Sealed {
    #[serde(rename = "Data")]
    data: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Login {
    user_name: String,
    password: String,
    app_key: String,
    #[serde(default)]
    #[allow(dead_code)]
    force_refresh_access_token: bool,
}

async fn auth(
    State(irp): State<Arc<Irp>>,
    h: HeaderMap,
    body: Option<Json<Sealed>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = irp.arrive("auth").await {
        return r;
    }
    let (Some(client_id), Some(secret)) =
        (header(&h, &["client_id", "client-id"]), header(&h, &["client_secret", "client-secret"]))
    else {
        return fail("1011", "Client Id is required").into_response();
    };
    if client_id != irp.config.client_id || secret != irp.config.client_secret {
        return fail("1010", "Invalid Client-ID/Client-Secret").into_response();
    }
    let Some(gstin) = header(&h, &["gstin", "Gstin"]).map(str::to_owned) else {
        return fail("1004", "Header GSTIN is required").into_response();
    };
    let Some(Json(body)) = body else {
        return fail("2142", "Incomplete request parameters").into_response();
    };
    let login = STANDARD
        .decode(body.data.trim())
        .ok()
        .and_then(|ct| irp.encryption.decrypt(Pkcs1v15Encrypt, &ct).ok())
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|j| serde_json::from_slice::<Login>(&j).ok());
    let Some(login) = login else {
        return fail("1013", "Decryption of password failed. Use correct public key.")
            .into_response();
    };
    if login.user_name != irp.config.username || login.password != irp.config.password {
        return fail("1008", "Invalid login credentials").into_response();
    }
    let Some(app_key) =
        STANDARD.decode(&login.app_key).ok().and_then(|k| <[u8; 32]>::try_from(k).ok())
    else {
        return fail("1016", "Decryption of App Key failed").into_response();
    };
    let sek: [u8; 32] = random();
    let token = URL_SAFE_NO_PAD.encode(random::<24>());
    let expires = irp.now() + chrono::Duration::hours(6);
    irp.lock().sessions.insert(token.clone(), Session { sek, gstin, expires });
    Json(json!({
        "Status": 1, "ErrorDetails": null, "InfoDtls": null,
        "Data": {
            "ClientId": client_id, "UserName": login.user_name, "AuthToken": token,
            "Sek": STANDARD.encode(aes_encrypt(&app_key, &sek)),
            "TokenExpiry": ist(expires),
        },
    }))
    .into_response()
}

/// The caller's session, or the IRP's answer refusing it.
fn session(irp: &Irp, h: &HeaderMap) -> Result<([u8; 32], String), Json<Value>> {
    if header(&h.clone(), &["client_id", "client-id"]) != Some(irp.config.client_id.as_str())
        || header(h, &["client_secret", "client-secret"]) != Some(irp.config.client_secret.as_str())
    {
        return Err(fail("1010", "Invalid Client-ID/Client-Secret"));
    }
    if header(h, &["user_name", "user-name"]) != Some(irp.config.username.as_str()) {
        return Err(fail("1006", "User Name is required"));
    }
    let now = irp.now();
    let g = irp.lock();
    let s = header(h, &["AuthToken", "authtoken"]).and_then(|t| g.sessions.get(t));
    match s {
        Some(s) if s.expires > now && header(h, &["gstin", "Gstin"]) == Some(s.gstin.as_str()) => {
            Ok((s.sek, s.gstin.clone()))
        }
        _ => Err(fail("1005", "Invalid Token")),
    }
}

fn open(sek: &[u8; 32], body: &Sealed) -> Option<Value> {
    let ct = STANDARD.decode(body.data.trim()).ok()?;
    serde_json::from_slice(&aes_decrypt(sek, &ct)?).ok()
}

/// The IRN: SHA-256 of supplier GSTIN, financial year, type and number.
pub fn irn(gstin: &str, doc_date: NaiveDate, typ: &str, number: &str) -> String {
    let y = if doc_date.month() >= 4 { doc_date.year() } else { doc_date.year() - 1 };
    let fy = format!("{y}-{:02}", (y + 1) % 100);
    let input =
        format!("{}{fy}{}{}", gstin.to_uppercase(), typ.to_uppercase(), number.to_uppercase());
    hex::encode(Sha256::digest(input.as_bytes()))
}

/// The GSTIN check character (mod 36 over the first 14 characters).
fn gstin_ok(g: &str) -> bool {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let b = g.as_bytes();
    if b.len() != 15 || !b[..2].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut total = 0usize;
    for (i, c) in b[..14].iter().enumerate() {
        let Some(v) = A.iter().position(|a| a == c) else { return false };
        let d = v * if i % 2 == 0 { 1 } else { 2 };
        total += d / 36 + d % 36;
    }
    A[(36 - total % 36) % 36] == b[14]
}

fn num(v: &Value, k: &str) -> f64 {
    v.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str()
}

/// The IRP's own checks, in the order it reports them.
fn check(irp: &Irp, user_gstin: &str, inv: &Value) -> Vec<(String, String)> {
    let missing: Vec<(String, String)> =
        ["Version", "TranDtls", "DocDtls", "SellerDtls", "BuyerDtls", "ItemList", "ValDtls"]
            .iter()
            .filter(|k| inv.get(**k).is_none())
            .map(|k| {
                ("2140".to_owned(), format!("Error while validating invoice: {k} is required"))
            })
            .collect();
    if !missing.is_empty() {
        return missing;
    }
    let mut e = Vec::new();
    let mut add = |c: &str, m: String| e.push((c.to_owned(), m));
    let seller = text(inv, &["SellerDtls", "Gstin"]).unwrap_or_default();
    if seller != user_gstin {
        add("2143", "Invoice does not belongs to the user GSTIN".into());
    }
    for who in ["SellerDtls", "BuyerDtls"] {
        let g = text(inv, &[who, "Gstin"]).unwrap_or_default();
        if g == "URP" && who == "BuyerDtls" {
            continue;
        }
        if !gstin_ok(g) {
            add("3028", format!("GSTIN - {g} is invalid"));
        } else if irp.config.inactive_gstins.iter().any(|x| x == g) {
            add("3029", format!("GSTIN - {g} is not active"));
        }
    }
    let typ = text(inv, &["DocDtls", "Typ"]).unwrap_or_default().to_uppercase();
    if !["INV", "CRN", "DBN"].contains(&typ.as_str()) {
        add("2140", "Error while validating invoice: DocDtls.Typ must be INV, CRN or DBN".into());
    }
    if NaiveDate::parse_from_str(text(inv, &["DocDtls", "Dt"]).unwrap_or_default(), "%d/%m/%Y")
        .is_err()
    {
        add("2140", "Error while validating invoice: DocDtls.Dt must be dd/mm/yyyy".into());
    }
    let intra = text(inv, &["SellerDtls", "Stcd"]) == text(inv, &["BuyerDtls", "Pos"])
        && text(inv, &["TranDtls", "IgstOnIntra"]) != Some("Y")
        && text(inv, &["TranDtls", "SupTyp"]).is_some_and(|s| s.eq_ignore_ascii_case("B2B"));
    let items = inv["ItemList"].as_array().cloned().unwrap_or_default();
    let mut ass = 0.0;
    let mut item_total = 0.0;
    for it in &items {
        let sl = text(it, &["SlNo"]).unwrap_or_default();
        let hsn = text(it, &["HsnCd"]).unwrap_or_default();
        if !matches!(hsn.len(), 4 | 6 | 8)
            || !hsn.bytes().all(|b| b.is_ascii_digit())
            || hsn.bytes().all(|b| b == b'0')
        {
            add("2176", format!("Invalid HSN code(s)-{hsn}"));
        }
        if (num(it, "AssAmt") - (num(it, "TotAmt") - num(it, "Discount"))).abs() > 0.01 {
            add(
                "2193",
                format!(
                    "For HSN - {hsn} and Sl. No - {sl}, AssAmt value should be equal to (TotAmt - Discount)"
                ),
            );
        }
        if intra && num(it, "IgstAmt") > 0.0 {
            add(
                "2172",
                format!(
                    "For intra state transaction IGST amounts is not applicable for item - {hsn} and Sl. No {sl}, only CGST and SGST amounts are applicable"
                ),
            );
        }
        ass += num(it, "AssAmt");
        item_total += num(it, "TotItemVal");
    }
    let val = &inv["ValDtls"];
    if (num(val, "AssVal") - ass).abs() > 1.0 {
        add("2182", "Taxable value of all items must be equal to total taxable value".into());
    }
    let expected = item_total + num(val, "OthChrg") - num(val, "Discount") + num(val, "RndOffAmt");
    if (num(val, "TotInvVal") - expected).abs() > 1.0 {
        add("2189", "Invalid total Invoice Value. Invoice level total value is equal to totals of all the total item value plus other charges minus discount with tolerance of (+/-) one".into());
    }
    e
}

fn result(rec: &Record, irn: &str) -> Value {
    json!({
        "AckNo": rec.ack_no, "AckDt": ist(rec.ack_dt), "Irn": irn,
        "SignedInvoice": rec.signed_invoice, "SignedQRCode": rec.signed_qr,
        "Status": if rec.cancelled.is_some() { "CNL" } else { "ACT" },
        "EwbNo": null, "EwbDt": null, "EwbValidTill": null, "Remarks": null,
    })
}

async fn generate(
    State(irp): State<Arc<Irp>>,
    h: HeaderMap,
    Json(body): Json<Sealed>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = irp.arrive("generate").await {
        return r;
    }
    let (sek, gstin) = match session(&irp, &h) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let Some(inv) = open(&sek, &body) else {
        return fail("2140", "Error while validating invoice: the request could not be decrypted")
            .into_response();
    };
    let errors = check(&irp, &gstin, &inv);
    if !errors.is_empty() {
        return fail_many(&errors).into_response();
    }
    let date =
        NaiveDate::parse_from_str(text(&inv, &["DocDtls", "Dt"]).unwrap_or_default(), "%d/%m/%Y")
            .unwrap_or_default();
    let typ = text(&inv, &["DocDtls", "Typ"]).unwrap_or_default().to_uppercase();
    let no = text(&inv, &["DocDtls", "No"]).unwrap_or_default().to_uppercase();
    let irn = irn(&gstin, date, &typ, &no);
    let now = irp.now();
    let mut g = irp.lock();
    if let Some(rec) = g.records.get(&irn) {
        let info = json!([{ "InfCd": "DUPIRN", "Desc": { "AckNo": rec.ack_no, "AckDt": ist(rec.ack_dt), "Irn": irn } }]);
        return fail_with("2150", "Duplicate IRN", info).into_response();
    }
    let ack_no = g.next_ack;
    g.next_ack += 1;
    drop(g);
    let items = inv["ItemList"].as_array().cloned().unwrap_or_default();
    let main_hsn = items
        .iter()
        .max_by(|a, b| num(a, "AssAmt").total_cmp(&num(b, "AssAmt")))
        .and_then(|i| text(i, &["HsnCd"]))
        .unwrap_or_default();
    let qr = json!({
        "SellerGstin": gstin, "BuyerGstin": text(&inv, &["BuyerDtls", "Gstin"]),
        "DocNo": no, "DocTyp": typ, "DocDt": text(&inv, &["DocDtls", "Dt"]),
        "TotInvVal": num(&inv["ValDtls"], "TotInvVal"), "ItemCnt": items.len(),
        "MainHsnCode": main_hsn, "Irn": irn, "IrnDt": ist(now),
    });
    let mut signed = Map::new();
    signed.insert("AckNo".into(), json!(ack_no));
    signed.insert("AckDt".into(), json!(ist(now)));
    signed.insert("Irn".into(), json!(irn));
    if let Value::Object(m) = &inv {
        signed.extend(m.clone());
    }
    let rec = Record {
        gstin,
        ack_no,
        ack_dt: now,
        signed_invoice: irp.sign(&Value::Object(signed)),
        signed_qr: irp.sign(&qr),
        cancelled: None,
        goods: typ == "INV" && items.iter().any(|i| text(i, &["IsServc"]) == Some("N")),
        ewb: None,
    };
    let out = result(&rec, &irn);
    irp.lock().records.insert(irn, rec);
    ok_sealed(&sek, &out).into_response()
}

async fn get_irn(
    State(irp): State<Arc<Irp>>,
    h: HeaderMap,
    Path(irn): Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = irp.arrive("get").await {
        return r;
    }
    let (sek, gstin) = match session(&irp, &h) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let rec = irp.lock().records.get(&irn).cloned();
    match rec {
        Some(rec) if rec.gstin == gstin => ok_sealed(&sek, &result(&rec, &irn)).into_response(),
        _ => fail("2148", "Requested IRN data is not available").into_response(),
    }
}

async fn cancel(
    State(irp): State<Arc<Irp>>,
    h: HeaderMap,
    Json(body): Json<Sealed>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = irp.arrive("cancel").await {
        return r;
    }
    let (sek, gstin) = match session(&irp, &h) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let Some(req) = open(&sek, &body) else {
        return fail("2141", "Error while cancelling invoice").into_response();
    };
    let field = |a: &str, b: &str| {
        req.get(a)
            .or_else(|| req.get(b))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    };
    let irn = field("Irn", "irn").unwrap_or_default();
    if !matches!(field("CnlRsn", "Cnlrsn").as_deref(), Some("1" | "2" | "3" | "4")) {
        return fail("2141", "Error while cancelling invoice: CnlRsn must be 1, 2, 3 or 4")
            .into_response();
    }
    let now = irp.now();
    let mut g = irp.lock();
    let Some(rec) = g.records.get_mut(&irn).filter(|r| r.gstin == gstin) else {
        return fail("2154", "IRN details are not found").into_response();
    };
    if rec.cancelled.is_some() {
        return fail("9999", "Invoice is not active").into_response();
    }
    if rec.ack_dt + chrono::Duration::hours(24) < now {
        return fail(
            "2270",
            "The allowed cancellation time limit is crossed, you cannot cancel the IRN",
        )
        .into_response();
    }
    rec.cancelled = Some(now);
    drop(g);
    ok_sealed(&sek, &json!({ "Irn": irn, "CancelDate": ist(now) })).into_response()
}

fn ewb_result(irn: &str, ewb: (u64, DateTime<Utc>, DateTime<Utc>)) -> Value {
    json!({ "Irn": irn, "EwbNo": ewb.0, "EwbDt": ist(ewb.1), "EwbValidTill": ist(ewb.2) })
}

/// Generates an e-way bill for a registered e-invoice (Part A from it,
/// Part B from the request): valid to midnight IST of the day that one
/// day per 200 km (20 km for over-dimensional cargo) reaches.
async fn ewaybill(
    State(irp): State<Arc<Irp>>,
    h: HeaderMap,
    Json(body): Json<Sealed>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = irp.arrive("ewaybill").await {
        return r;
    }
    let (sek, gstin) = match session(&irp, &h) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let Some(req) = open(&sek, &body) else {
        return fail("2140", "Error while validating the request").into_response();
    };
    let irn = text(&req, &["Irn"]).unwrap_or_default().to_owned();
    let distance = num(&req, "Distance");
    if !(0.0..=4000.0).contains(&distance) {
        return fail("4024", "Invalid distance: it must be 0 to 4000 km").into_response();
    }
    if req.get("TransId").is_none() && req.get("VehNo").is_none() {
        return fail("4019", "Provide Transporter ID in order to generate Part A of e-Way Bill")
            .into_response();
    }
    let now = irp.now();
    let mut g = irp.lock();
    let next = g.next_ewb;
    let Some(rec) = g.records.get_mut(&irn).filter(|r| r.gstin == gstin && r.cancelled.is_none())
    else {
        return fail("2148", "Requested IRN data is not available").into_response();
    };
    if !rec.goods {
        return fail(
            "4010",
            "E-way Bill cannot generated for Debit Note, Credit Note and Services",
        )
        .into_response();
    }
    if rec.ewb.is_some() {
        return fail("4002", "EwayBill is already generated for this IRN").into_response();
    }
    let per = if text(&req, &["VehType"]) == Some("O") { 20.0 } else { 200.0 };
    let days = (distance.max(1.0) / per).ceil() as i64;
    let local =
        now.with_timezone(&chrono_tz::Asia::Kolkata).date_naive() + chrono::Duration::days(days);
    let till = local
        .and_hms_opt(23, 59, 0)
        .and_then(|t| t.and_local_timezone(chrono_tz::Asia::Kolkata).single())
        .map_or(now, |t| t.with_timezone(&Utc));
    let ewb = (next, now, till);
    rec.ewb = Some(ewb);
    g.next_ewb += 1;
    drop(g);
    ok_sealed(&sek, &ewb_result(&irn, ewb)).into_response()
}

async fn get_ewaybill(
    State(irp): State<Arc<Irp>>,
    h: HeaderMap,
    Path(irn): Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = irp.arrive("get_ewaybill").await {
        return r;
    }
    let (sek, gstin) = match session(&irp, &h) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let found = irp.lock().records.get(&irn).filter(|r| r.gstin == gstin).and_then(|r| r.ewb);
    match found {
        Some(ewb) => ok_sealed(&sek, &ewb_result(&irn, ewb)).into_response(),
        None => fail("2148", "Requested IRN data is not available").into_response(),
    }
}

async fn keys(State(irp): State<Arc<Irp>>) -> Json<Value> {
    Json(json!({
        "encryption_public_key": irp.encryption_public_key(),
        "signing_public_key": irp.signing_public_key(),
        "client_id": irp.config.client_id, "client_secret": irp.config.client_secret,
        "username": irp.config.username, "password": irp.config.password,
    }))
}

#[derive(Debug, Deserialize)]
struct FaultsBody {
    #[serde(default)]
    unavailable: usize,
    #[serde(default)]
    slow_ms: u64,
    #[serde(default)]
    slow: usize,
}

async fn faults(State(irp): State<Arc<Irp>>, Json(b): Json<FaultsBody>) -> Json<Value> {
    irp.fail_next(b.unavailable);
    irp.slow_next(b.slow, Duration::from_millis(b.slow_ms));
    Json(json!({ "ok": true }))
}

#[derive(Debug, Deserialize)]
struct ClockBody {
    advance_hours: i64,
}

async fn clock(State(irp): State<Arc<Irp>>, Json(b): Json<ClockBody>) -> Json<Value> {
    irp.advance_clock(chrono::Duration::hours(b.advance_hours));
    Json(json!({ "now": ist(irp.now()) }))
}

async fn calls(State(irp): State<Arc<Irp>>) -> Json<Value> {
    let g = irp.lock();
    Json(json!(g.calls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_irn() {
        let d = NaiveDate::from_ymd_opt(2020, 1, 3).unwrap();
        assert_eq!(
            irn("29AAFCC9980M1ZR", d, "INV", "2019-20/KA/1"),
            "23f498ee41441ecad30f72ba5b9907506c3df70a17b0e0dff46b76a786400662"
        );
        assert!(gstin_ok("29AAFCC9980M1ZR"));
        assert!(!gstin_ok("29AAFCC9980M1ZS"));
    }
}
