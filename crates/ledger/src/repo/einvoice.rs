//! E-invoicing rows: the company's IRP settings (secrets sealed) and each
//! document's registration.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use serde_json::Value;
use uuid::Uuid;

/// The stored settings (secrets still sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    pub enabled: bool,
    pub auto_generate: bool,
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Vec<u8>,
    pub username: String,
    pub password: Vec<u8>,
    pub encryption_key: String,
    pub signing_key: String,
    pub timeout_secs: i32,
    pub updated_at: DateTime<Utc>,
}

/// The company's settings, if any.
pub async fn settings(tx: &mut TenantTx) -> Result<Option<SettingsRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT enabled, auto_generate, base_url, client_id, client_secret, username, password,
                encryption_key, signing_key, timeout_secs, updated_at
         FROM einvoice_settings WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await
}

/// Stores the settings (replacing any).
pub async fn put_settings(tx: &mut TenantTx, s: &SettingsRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO einvoice_settings (tenant_id, enabled, auto_generate, base_url, client_id,
             client_secret, username, password, encryption_key, signing_key, timeout_secs)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (tenant_id) DO UPDATE SET enabled = $2, auto_generate = $3, base_url = $4,
             client_id = $5, client_secret = $6, username = $7, password = $8,
             encryption_key = $9, signing_key = $10, timeout_secs = $11, updated_at = now()"
    ))
    .bind(tenant)
    .bind(s.enabled)
    .bind(s.auto_generate)
    .bind(&s.base_url)
    .bind(&s.client_id)
    .bind(&s.client_secret)
    .bind(&s.username)
    .bind(&s.password)
    .bind(&s.encryption_key)
    .bind(&s.signing_key)
    .bind(s.timeout_secs)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A document's registration.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub status: String,
    pub irn: Option<String>,
    pub ack_no: Option<String>,
    pub ack_at: Option<DateTime<Utc>>,
    pub signed_invoice: Option<String>,
    pub signed_qr: Option<String>,
    pub payload: Option<Value>,
    pub errors: Value,
    pub attempts: i32,
    pub cancel_reason: Option<i16>,
    pub cancel_remark: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A document's registration, if one was attempted.
pub async fn get(tx: &mut TenantTx, document: Uuid) -> Result<Option<Row>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT status, irn, ack_no, ack_at, signed_invoice, signed_qr, payload, errors,
                attempts, cancel_reason, cancel_remark, cancelled_at, updated_at FROM einvoices WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(document)
    .fetch_optional(&mut **tx)
    .await
}

/// The registration, locked for a change (made `pending` first if new).
pub async fn lock(tx: &mut TenantTx, document: Uuid) -> Result<Row, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO einvoices (tenant_id, document_id, status) VALUES ($1, $2, 'pending')
         ON CONFLICT (tenant_id, document_id) DO NOTHING"
    ))
    .bind(tenant)
    .bind(document)
    .execute(&mut **tx)
    .await?;
    sqlx::query_as(kernel::sql!(
        "SELECT status, irn, ack_no, ack_at, signed_invoice, signed_qr, payload, errors,
                attempts, cancel_reason, cancel_remark, cancelled_at, updated_at FROM einvoices WHERE tenant_id = $1 AND document_id = $2 FOR UPDATE"
    ))
    .bind(tenant)
    .bind(document)
    .fetch_one(&mut **tx)
    .await
}

/// Records a refusal (our checks or the IRP's) or a pending retry.
pub async fn set_failed(
    tx: &mut TenantTx,
    document: Uuid,
    status: &str,
    payload: Option<&Value>,
    errors: &Value,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE einvoices SET status = $3, payload = COALESCE($4, payload), errors = $5,
             attempts = attempts + 1, updated_at = now()
         WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(document)
    .bind(status)
    .bind(payload)
    .bind(errors)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What the IRP registered.
#[derive(Debug, Clone)]
pub struct Registered<'a> {
    pub irn: &'a str,
    pub ack_no: &'a str,
    pub ack_at: DateTime<Utc>,
    pub signed_invoice: &'a str,
    pub signed_qr: &'a str,
    pub payload: &'a Value,
}

/// Records a registration.
pub async fn set_generated(
    tx: &mut TenantTx,
    document: Uuid,
    r: &Registered<'_>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE einvoices SET status = 'generated', irn = $3, ack_no = $4, ack_at = $5,
             signed_invoice = $6, signed_qr = $7, payload = $8, errors = '[]',
             attempts = attempts + 1, updated_at = now()
         WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(document)
    .bind(r.irn)
    .bind(r.ack_no)
    .bind(r.ack_at)
    .bind(r.signed_invoice)
    .bind(r.signed_qr)
    .bind(r.payload)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a cancellation.
pub async fn set_cancelled(
    tx: &mut TenantTx,
    document: Uuid,
    reason: i16,
    remark: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE einvoices SET status = 'cancelled', cancel_reason = $3, cancel_remark = $4,
             cancelled_at = $5, errors = '[]', updated_at = now()
         WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(document)
    .bind(reason)
    .bind(remark)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A document's e-way bill.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EwbRow {
    pub status: String,
    pub transport: Value,
    pub payload: Value,
    pub ewb_no: Option<String>,
    pub ewb_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub errors: Value,
}

/// A document's e-way bill, if one was prepared.
pub async fn ewb(tx: &mut TenantTx, document: Uuid) -> Result<Option<EwbRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT status, transport, payload, ewb_no, ewb_at, valid_until, errors
           FROM eway_bills WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(document)
    .fetch_optional(&mut **tx)
    .await
}

/// Stores a document's e-way bill (replacing a prepared or failed one).
pub async fn put_ewb(tx: &mut TenantTx, document: Uuid, r: &EwbRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO eway_bills (tenant_id, document_id, status, transport, payload, ewb_no, ewb_at, valid_until, errors)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, document_id) DO UPDATE SET status = $3, transport = $4, payload = $5,
             ewb_no = $6, ewb_at = $7, valid_until = $8, errors = $9, updated_at = now()"
    ))
    .bind(tenant)
    .bind(document)
    .bind(&r.status)
    .bind(&r.transport)
    .bind(&r.payload)
    .bind(&r.ewb_no)
    .bind(r.ewb_at)
    .bind(r.valid_until)
    .bind(&r.errors)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
