//! Reading the audit trail (the kernel writes it).

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// An audit entry as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    /// Position in the tenant's chain (1, 2, …).
    pub seq: i64,
    /// When.
    pub created_at: DateTime<Utc>,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_type: String,
    /// The user or API key.
    pub actor_id: Option<Uuid>,
    /// What happened (`user.invited`).
    pub action: String,
    /// The kind of thing acted on.
    pub resource_type: String,
    /// Its id.
    pub resource_id: Option<String>,
    /// The request that did it.
    pub request_id: Option<String>,
    /// The client address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// Changed fields (`{"field": {"from": …, "to": …}}`), secrets redacted.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// This row's hash (hex).
    pub hash: String,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this actor.
    pub actor_id: Option<Uuid>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this kind of resource.
    pub resource_type: Option<String>,
    /// Only this resource.
    pub resource_id: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

/// Entries newest first, before `before_seq`.
pub async fn list(
    tx: &mut TenantTx,
    f: &AuditQuery,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT seq, created_at, actor_type, actor_id, action, resource_type, resource_id, request_id,
                host(ip) AS ip, user_agent, changes, encode(hash, 'hex') AS hash
           FROM audit_log
          WHERE tenant_id = $1
            AND ($2::bigint IS NULL OR seq < $2)
            AND ($3::uuid IS NULL OR actor_id = $3)
            AND ($4::text IS NULL OR action = $4)
            AND ($5::text IS NULL OR resource_type = $5)
            AND ($6::text IS NULL OR resource_id = $6)
            AND ($7::timestamptz IS NULL OR created_at >= $7)
            AND ($8::timestamptz IS NULL OR created_at < $8)
          ORDER BY seq DESC
          LIMIT $9"
    ))
    .bind(tenant)
    .bind(before_seq)
    .bind(f.actor_id)
    .bind(f.action.as_deref())
    .bind(f.resource_type.as_deref())
    .bind(f.resource_id.as_deref())
    .bind(f.since)
    .bind(f.until)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// One link of a chain with the hash it should have.
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRow {
    /// Its sequence number.
    pub seq: i64,
    /// The previous hash it records.
    pub prev_hash: Vec<u8>,
    /// Its hash.
    pub hash: Vec<u8>,
    /// Its hash recomputed from its fields.
    pub expected: Vec<u8>,
    /// The hash of the row before it.
    pub prev_row_hash: Option<Vec<u8>>,
    /// The sequence number of the row before it.
    pub prev_seq: Option<i64>,
}

/// Every link of the tenant's chain, in order.
pub async fn links(tx: &mut TenantTx) -> Result<Vec<LinkRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT seq, prev_hash, hash,
                audit_row_hash(prev_hash, tenant_id, seq, created_at, actor_type, actor_id, action,
                               resource_type, resource_id, request_id, ip, user_agent, changes) AS expected,
                lag(hash) OVER (ORDER BY seq) AS prev_row_hash,
                lag(seq) OVER (ORDER BY seq) AS prev_seq
           FROM audit_log WHERE tenant_id = $1 ORDER BY seq"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// Where retention cut the tenant's chain: (seq, hash) of the last removed row.
pub async fn anchor(tx: &mut TenantTx) -> Result<Option<(i64, Vec<u8>)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!("SELECT seq, hash FROM audit_anchors WHERE tenant_id = $1"))
        .bind(tenant)
        .fetch_optional(&mut **tx)
        .await
}

/// The chain's head: (seq, hash) of its last row.
pub async fn head(tx: &mut TenantTx) -> Result<Option<(i64, Vec<u8>)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1"))
        .bind(tenant)
        .fetch_optional(&mut **tx)
        .await
}
