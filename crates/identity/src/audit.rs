//! The audit trail: one row per mutation, written in the mutation's own
//! transaction, append-only for the application role, hash-chained per
//! tenant (each row carries the previous row's hash; the chain's head row
//! lock orders concurrent appends), partitioned by month.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::TenantId;

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person.
    User(Uuid),
    /// An API key.
    ApiKey(Uuid),
    /// Tessera itself (jobs, the CLI).
    System,
    /// Someone not signed in (sign-up, password reset).
    Anonymous,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<Uuid>) {
        match self {
            Actor::User(id) => ("user", Some(id)),
            Actor::ApiKey(id) => ("api_key", Some(id)),
            Actor::System => ("system", None),
            Actor::Anonymous => ("anonymous", None),
        }
    }
}

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The request id.
    pub request_id: Option<String>,
    /// The client address.
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent` (truncated).
    pub user_agent: Option<String>,
}

/// The fields a mutation changed; secrets are recorded as redacted.
#[derive(Debug, Clone, Default)]
pub struct Changes(Map<String, Value>);

impl Changes {
    /// No changes recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// A field set to a value (creation).
    pub fn set(mut self, field: &str, value: impl Serialize) -> Self {
        self.0.insert(field.into(), serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    /// A field changed from one value to another; unchanged fields are skipped.
    pub fn diff<T: Serialize + PartialEq>(mut self, field: &str, from: &T, to: &T) -> Self {
        if from != to {
            self.0.insert(
                field.into(),
                serde_json::json!({ "from": serde_json::to_value(from).unwrap_or(Value::Null),
                                    "to": serde_json::to_value(to).unwrap_or(Value::Null) }),
            );
        }
        self
    }

    /// A secret field that changed (its value is never recorded).
    pub fn secret(mut self, field: &str) -> Self {
        self.0.insert(field.into(), Value::String("[redacted]".into()));
        self
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// One audit entry to write.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who.
    pub actor: Actor,
    /// What, as `resource.verb` (`user.invited`).
    pub action: &'a str,
    /// The kind of thing acted on.
    pub resource_type: &'a str,
    /// Its id.
    pub resource_id: Option<String>,
    /// What changed.
    pub changes: Changes,
}

/// Appends an entry to the tenant's chain inside the caller's transaction
/// (which must be confined to `tenant`). Returns its sequence number.
pub async fn record(
    conn: &mut PgConnection,
    tenant: TenantId,
    meta: &RequestMeta,
    entry: Entry<'_>,
) -> Result<i64, sqlx::Error> {
    let (actor_type, actor_id) = entry.actor.parts();
    let ip = meta.ip.map(|ip| ip.to_string());
    let ua: Option<String> = meta.user_agent.as_ref().map(|u| u.chars().take(512).collect());
    let (seq,): (i64,) = sqlx::query_as(
        "WITH head AS (
            INSERT INTO audit_heads AS h (tenant_id, seq, prev_hash, hash)
            VALUES ($1, 1, ''::bytea,
                    audit_row_hash(''::bytea, $1, 1, now(), $2, $3, $4, $5, $6, $7, $8::inet, $9, $10))
            ON CONFLICT (tenant_id) DO UPDATE SET
                seq = h.seq + 1,
                prev_hash = h.hash,
                hash = audit_row_hash(h.hash, $1, h.seq + 1, now(), $2, $3, $4, $5, $6, $7, $8::inet, $9, $10)
            RETURNING seq, prev_hash, hash
         )
         INSERT INTO audit_log (tenant_id, seq, created_at, actor_type, actor_id, action, resource_type,
                                resource_id, request_id, ip, user_agent, changes, prev_hash, hash)
         SELECT $1, seq, now(), $2, $3, $4, $5, $6, $7, $8::inet, $9, $10, prev_hash, hash FROM head
         RETURNING seq",
    )
    .bind(tenant)
    .bind(actor_type)
    .bind(actor_id)
    .bind(entry.action)
    .bind(entry.resource_type)
    .bind(entry.resource_id)
    .bind(meta.request_id.as_deref())
    .bind(ip)
    .bind(ua)
    .bind(entry.changes.into_value())
    .fetch_one(conn)
    .await?;
    Ok(seq)
}

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

/// Filters of the audit list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor_id: Option<Uuid>,
    /// Only this action (`user.invited`).
    pub action: Option<String>,
    /// Only this kind of resource.
    pub resource_type: Option<String>,
    /// Only this resource.
    pub resource_id: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// Lists entries, newest first, before `before_seq`.
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    f: &AuditFilter,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(
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
          LIMIT $9",
    )
    .bind(tenant)
    .bind(before_seq)
    .bind(f.actor_id)
    .bind(f.action.as_deref())
    .bind(f.resource_type.as_deref())
    .bind(f.resource_id.as_deref())
    .bind(f.since)
    .bind(f.until)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The result of checking a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Rows checked.
    pub rows: i64,
    /// The first broken link, if any.
    pub broken: Option<Broken>,
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    /// The sequence number at which it breaks.
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    seq: i64,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    expected: Vec<u8>,
    prev_row_hash: Option<Vec<u8>>,
    prev_seq: Option<i64>,
}

/// Recomputes every hash of the tenant's chain and checks the links, the
/// sequence and the head. Reports the first row that was changed, removed
/// or inserted out of order.
pub async fn verify(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Verification, sqlx::Error> {
    let rows: Vec<LinkRow> = sqlx::query_as(
        "SELECT seq, prev_hash, hash,
                audit_row_hash(prev_hash, tenant_id, seq, created_at, actor_type, actor_id, action,
                               resource_type, resource_id, request_id, ip, user_agent, changes) AS expected,
                lag(hash) OVER (ORDER BY seq) AS prev_row_hash,
                lag(seq) OVER (ORDER BY seq) AS prev_seq
           FROM audit_log WHERE tenant_id = $1 ORDER BY seq",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let count = rows.len() as i64;
    // Rows removed by retention end at an anchor: the chain resumes there.
    let anchor: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_anchors WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    let mut broken = None;
    for r in &rows {
        let expected_seq = match (r.prev_seq, &anchor) {
            (Some(p), _) => p + 1,
            (None, Some((seq, _))) => seq + 1,
            (None, None) => 1,
        };
        if r.seq != expected_seq {
            broken = Some(Broken {
                seq: expected_seq,
                reason: format!(
                    "row {expected_seq} is missing (the next row present is {})",
                    r.seq
                ),
            });
            break;
        }
        if r.expected != r.hash {
            broken = Some(Broken {
                seq: r.seq,
                reason: format!("row {} was changed after it was written", r.seq),
            });
            break;
        }
        let prev = match (&r.prev_row_hash, &anchor) {
            (Some(h), _) => h.clone(),
            (None, Some((_, h))) => h.clone(),
            (None, None) => Vec::new(),
        };
        if r.prev_hash != prev {
            broken = Some(Broken {
                seq: r.seq,
                reason: format!(
                    "row {} does not follow row {} (the chain was rewritten)",
                    r.seq,
                    r.seq - 1
                ),
            });
            break;
        }
    }
    if broken.is_none() {
        let head: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_optional(conn)
                .await?;
        let last = rows.last().map(|r| (r.seq, r.hash.clone()));
        match (head, last) {
            (None, None) => {}
            (Some((hs, hh)), Some((ls, lh))) if hs == ls && hh == lh => {}
            (Some((hs, _)), Some((ls, _))) if hs > ls => {
                broken = Some(Broken {
                    seq: ls + 1,
                    reason: format!("rows {} to {hs} are missing", ls + 1),
                });
            }
            (Some((hs, _)), None) => {
                let first = anchor.as_ref().map_or(1, |a| a.0 + 1);
                if hs >= first {
                    broken = Some(Broken {
                        seq: first,
                        reason: format!("rows {first} to {hs} are missing"),
                    });
                }
            }
            (_, Some((ls, _))) => {
                broken = Some(Broken {
                    seq: ls,
                    reason: "the chain's head does not match its last row".into(),
                });
            }
        }
    }
    Ok(Verification { rows: count, broken })
}
