//! A client of the NIC e-invoice registration portal (IRP), the API a GSP
//! or a large taxpayer calls: authenticate (v1.04), generate an IRN, get
//! an e-invoice by IRN, cancel one (v1.03). Logins are encrypted with the
//! IRP's RSA public key (PKCS#1 v1.5) and carry a fresh AES-256 app key;
//! the IRP answers a session key encrypted with it, and every request and
//! answer after that is AES-256-ECB under the session key.
//!
//! Transient failures (no answer, a timeout, HTTP 429 or 5xx) are retried
//! with backoff; the IRP's refusals are returned with its codes and, for
//! each, what a person can do about it.

use std::time::Duration;

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use ecb::cipher::block_padding::Pkcs7;
use ecb::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};
use rsa::Pkcs1v15Encrypt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// How a company reaches the IRP (secrets already opened).
#[derive(Clone)]
pub struct Credentials {
    /// The IRP's (or GSP's) base URL.
    pub base_url: String,
    /// The API client id.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// The API user.
    pub username: String,
    /// Its password.
    pub password: String,
    /// The company's GSTIN.
    pub gstin: String,
    /// The IRP's public key for logins (PEM).
    pub encryption_key: String,
    /// How long one request may take.
    pub timeout: Duration,
    /// Whether a private or loopback base URL is allowed.
    pub allow_private: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("gstin", &self.gstin)
            .finish_non_exhaustive()
    }
}

/// A logged-in session.
#[derive(Clone)]
pub struct Session {
    token: String,
    sek: [u8; 32],
    /// When the IRP stops accepting its token.
    pub expires: DateTime<Utc>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("expires", &self.expires).finish_non_exhaustive()
    }
}

/// One of the IRP's error codes, with advice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IrpCode {
    /// The IRP's code (`2150`).
    pub code: String,
    /// The IRP's message.
    pub message: String,
    /// What to do about it.
    pub advice: String,
}

/// Why a call did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IrpError {
    /// The IRP refused the request.
    #[error("the IRP refused the request: {}", .codes.iter().map(|c| format!("{} {}", c.code, c.message)).collect::<Vec<_>>().join("; "))]
    Refused {
        /// Its codes.
        codes: Vec<IrpCode>,
        /// Its `InfoDtls` (the existing IRN of a duplicate).
        info: Value,
    },
    /// No usable answer after the retries.
    #[error("the IRP did not answer: {0}")]
    Unavailable(String),
    /// The settings cannot work (a key or URL).
    #[error("{0}")]
    Settings(String),
    /// An answer that does not follow the protocol.
    #[error("the IRP answered something unexpected: {0}")]
    Protocol(String),
}

impl IrpError {
    /// Whether the IRP refused with `code`.
    pub fn has(&self, code: &str) -> bool {
        matches!(self, IrpError::Refused { codes, .. } if codes.iter().any(|c| c.code == code))
    }

    /// Whether trying again later may succeed.
    pub fn transient(&self) -> bool {
        matches!(self, IrpError::Unavailable(_)) || ["2146", "2147"].iter().any(|c| self.has(c))
    }

    /// The codes, or one line for a failure without codes.
    pub fn codes(&self) -> Vec<IrpCode> {
        match self {
            IrpError::Refused { codes, .. } => codes.clone(),
            IrpError::Unavailable(m) => vec![IrpCode {
                code: "unavailable".into(),
                message: m.clone(),
                advice: "The IRP could not be reached; it is tried again automatically.".into(),
            }],
            IrpError::Settings(m) | IrpError::Protocol(m) => vec![IrpCode {
                code: "settings".into(),
                message: m.clone(),
                advice:
                    "Check the e-invoicing settings (URL, credentials and the IRP's public keys)."
                        .into(),
            }],
        }
    }
}

/// What to do about an IRP error code.
pub fn advice(code: &str) -> &'static str {
    match code {
        "1004" | "1006" | "1011" | "1012" => {
            "The request lacked a header: check the e-invoicing settings."
        }
        "1005" => "The IRP session expired; Tessera logs in again by itself — retry.",
        "1007" | "1008" => {
            "The IRP user name or password is wrong: correct them in the e-invoicing settings (the API user created on the e-invoice portal)."
        }
        "1010" => "The client id or secret is wrong: correct them in the e-invoicing settings.",
        "1013" | "1016" => {
            "The IRP could not read the login: the encryption public key in the settings is not the portal's current one."
        }
        "1015" | "2143" => {
            "This API user belongs to another GSTIN: use the credentials created for the company's GSTIN."
        }
        "2140" => {
            "The invoice does not follow the e-invoice schema: see the message for the field."
        }
        "2146" | "2147" => "The IRP is busy; it is tried again automatically.",
        "2148" | "2154" | "2283" => {
            "The IRP has no such IRN for this GSTIN (or it is older than the IRP keeps)."
        }
        "2150" => {
            "An IRN already exists for this document number: Tessera fetches it instead of registering again."
        }
        "2172" => {
            "IGST was charged on an intra-state supply: check the place of supply, or mark the invoice as IGST on an intra-state supply (SEZ)."
        }
        "2176" => "An HSN code is not in the IRP's master: correct the item's HSN/SAC.",
        "2182" => "The taxable value of the items does not add up to the invoice's.",
        "2189" => {
            "The invoice total does not add up (items + other charges − discount + round-off, within ₹1)."
        }
        "2193" => "A line's taxable value is not its gross amount less discount.",
        "4002" => "An e-way bill already exists for this IRN: Tessera fetches it.",
        "4010" => "E-way bills are made for invoices of goods, not for notes or services.",
        "4019" => "Give the transporter's ID or the vehicle number.",
        "2270" => {
            "More than 24 hours have passed since the IRN was generated: it can no longer be cancelled on the IRP; issue a credit note instead."
        }
        "3028" => {
            "The buyer's or seller's GSTIN is not on the GST register: check it on the GST portal and correct the party."
        }
        "3029" => {
            "The GSTIN is cancelled or suspended on the GST portal: the supply cannot be e-invoiced to it as a registered buyer."
        }
        "9999" => "The IRN is already cancelled.",
        _ => "See the IRP's message.",
    }
}

type Enc = ecb::Encryptor<Aes256>;
type Dec = ecb::Decryptor<Aes256>;

fn encrypt(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
    Enc::new(key.into()).encrypt_padded_vec_mut::<Pkcs7>(data)
}

fn decrypt(key: &[u8; 32], data: &[u8]) -> Option<Vec<u8>> {
    Dec::new(key.into()).decrypt_padded_vec_mut::<Pkcs7>(data).ok()
}

/// An IRP timestamp (`2025-09-16 19:29:00`, Indian time).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    chrono_tz::Asia::Kolkata.from_local_datetime(&t).single().map(|t| t.with_timezone(&Utc))
}

/// A client for one company's credentials.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    creds: Credentials,
    base: String,
}

impl Client {
    /// A client, once the base URL passes the outbound rules.
    pub fn new(creds: Credentials) -> Result<Client, IrpError> {
        let url = kernel::outbound::check_url(&creds.base_url, creds.allow_private)
            .map_err(|e| IrpError::Settings(format!("the IRP URL {e}")))?;
        let http = kernel::outbound::client_builder()
            .timeout(creds.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| IrpError::Settings(e.to_string()))?;
        Ok(Client { http, base: url.as_str().trim_end_matches('/').to_owned(), creds })
    }

    fn headers(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        rb.header("client_id", &self.creds.client_id)
            .header("client_secret", &self.creds.client_secret)
            .header("gstin", &self.creds.gstin)
    }

    /// Sends a request, retrying what may pass on a second try: no answer,
    /// a timeout, 429 or 5xx (three attempts, 0.3 s then 1 s apart).
    async fn send(&self, make: impl Fn() -> reqwest::RequestBuilder) -> Result<Value, IrpError> {
        let mut last = String::new();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(if attempt == 1 { 300 } else { 1000 }))
                    .await;
            }
            match make().send().await {
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    last = format!("HTTP {}", r.status());
                }
                Ok(r) if !r.status().is_success() => {
                    return Err(IrpError::Protocol(format!("HTTP {}", r.status())));
                }
                Ok(r) => {
                    return r.json::<Value>().await.map_err(|e| IrpError::Protocol(e.to_string()));
                }
                Err(e) if e.is_timeout() => last = "no answer within the time limit".into(),
                Err(e) => last = format!("cannot connect ({e})"),
            }
            tracing::info!(attempt, error = %last, "IRP request failed; retrying");
        }
        Err(IrpError::Unavailable(last))
    }

    /// Logs in: a new session key for six hours.
    pub async fn authenticate(&self) -> Result<Session, IrpError> {
        let key = super::jws::public_key(&self.creds.encryption_key).map_err(|_| {
            IrpError::Settings("the IRP encryption key is not a PEM-encoded RSA public key".into())
        })?;
        let mut app_key = [0u8; 32];
        getrandom::fill(&mut app_key).map_err(|e| IrpError::Settings(e.to_string()))?;
        let login = json!({
            "UserName": self.creds.username, "Password": self.creds.password,
            "AppKey": STANDARD.encode(app_key), "ForceRefreshAccessToken": false,
        });
        let mut rng = rsa::rand_core::OsRng;
        let sealed = key
            .encrypt(&mut rng, Pkcs1v15Encrypt, STANDARD.encode(login.to_string()).as_bytes())
            .map_err(|e| IrpError::Settings(format!("cannot encrypt the login: {e}")))?;
        let body = json!({ "Data": STANDARD.encode(sealed) });
        let url = format!("{}/eivital/v1.04/auth", self.base);
        let v = self.send(|| self.headers(self.http.post(&url)).json(&body)).await?;
        let data = envelope(&v)?;
        let token =
            data["AuthToken"].as_str().ok_or_else(|| IrpError::Protocol("no AuthToken".into()))?;
        let sek = data["Sek"]
            .as_str()
            .and_then(|s| STANDARD.decode(s).ok())
            .and_then(|ct| decrypt(&app_key, &ct))
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or_else(|| IrpError::Protocol("the session key could not be decrypted".into()))?;
        let expires = data["TokenExpiry"]
            .as_str()
            .and_then(parse_time)
            .unwrap_or_else(|| Utc::now() + chrono::Duration::hours(6));
        Ok(Session { token: token.to_owned(), sek, expires })
    }

    async fn call(
        &self,
        s: &Session,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, IrpError> {
        let url = format!("{}{path}", self.base);
        let sealed = body
            .map(|b| json!({ "Data": STANDARD.encode(encrypt(&s.sek, b.to_string().as_bytes())) }));
        let v = self
            .send(|| {
                let mut rb = self
                    .headers(self.http.request(method.clone(), &url))
                    .header("user_name", &self.creds.username)
                    .header("AuthToken", &s.token);
                if let Some(b) = &sealed {
                    rb = rb.json(b);
                }
                rb
            })
            .await?;
        let data = envelope(&v)?;
        let ct = data
            .as_str()
            .and_then(|d| STANDARD.decode(d).ok())
            .ok_or_else(|| IrpError::Protocol("Data is not base64".into()))?;
        let plain = decrypt(&s.sek, &ct)
            .ok_or_else(|| IrpError::Protocol("Data could not be decrypted".into()))?;
        serde_json::from_slice(&plain).map_err(|e| IrpError::Protocol(e.to_string()))
    }

    /// Registers an invoice: its IRN, acknowledgement and signed tokens.
    pub async fn generate(&self, s: &Session, invoice: &Value) -> Result<Value, IrpError> {
        self.call(s, reqwest::Method::POST, "/eicore/v1.03/Invoice", Some(invoice)).await
    }

    /// The e-invoice registered under `irn`.
    pub async fn get(&self, s: &Session, irn: &str) -> Result<Value, IrpError> {
        self.call(s, reqwest::Method::GET, &format!("/eicore/v1.03/Invoice/irn/{irn}"), None).await
    }

    /// Cancels `irn` with a reason code (1 duplicate, 2 data entry
    /// mistake, 3 order cancelled, 4 other) and a remark.
    pub async fn cancel(
        &self,
        s: &Session,
        irn: &str,
        reason: u8,
        remark: &str,
    ) -> Result<Value, IrpError> {
        let body = json!({ "Irn": irn, "CnlRsn": reason.to_string(), "CnlRem": remark });
        self.call(s, reqwest::Method::POST, "/eicore/v1.03/Invoice/Cancel", Some(&body)).await
    }
}

impl Client {
    /// Generates the e-way bill of a registered e-invoice (Part B in
    /// `request`, made by `ewaybill::by_irn`).
    pub async fn generate_ewb(&self, s: &Session, request: &Value) -> Result<Value, IrpError> {
        self.call(s, reqwest::Method::POST, "/eiewb/v1.03/ewaybill", Some(request)).await
    }

    /// The e-way bill generated for `irn`.
    pub async fn get_ewb(&self, s: &Session, irn: &str) -> Result<Value, IrpError> {
        self.call(s, reqwest::Method::GET, &format!("/eiewb/v1.03/ewaybill/irn/{irn}"), None).await
    }
}

/// The `Data` of a successful answer, or the IRP's refusal.
fn envelope(v: &Value) -> Result<&Value, IrpError> {
    let status = match &v["Status"] {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    };
    if status == 1 {
        return Ok(&v["Data"]);
    }
    let codes: Vec<IrpCode> = v["ErrorDetails"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let code = e["ErrorCode"]
                        .as_str()
                        .map_or_else(|| e["ErrorCode"].to_string(), str::to_owned);
                    IrpCode {
                        advice: advice(&code).to_owned(),
                        message: e["ErrorMessage"].as_str().unwrap_or_default().to_owned(),
                        code,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if codes.is_empty() {
        return Err(IrpError::Protocol("Status 0 without ErrorDetails".into()));
    }
    let info = match &v["InfoDtls"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    Err(IrpError::Refused { codes, info })
}
