//! The audit trail's writing side: every mutation records who did what to
//! which resource and which fields changed, in the mutation's own
//! transaction. Identity reads, lists and verifies the trail.
//!
//! ```ignore
//! let mut tx = caller.tx(db).await?;
//! repo::rename(&mut tx, id, &name).await?;
//! caller.audit(&mut tx, "role.renamed", "role", Some(id), Changes::between(&before, &after));
//! tx.commit().await?;
//! ```
//!
//! Entries are appended to the tenant's hash chain when the transaction
//! commits, not when they are recorded: the chain's head row is locked only
//! for the commit itself, so a long transaction (an import, an ingestion
//! job) does not hold up the tenant's other writes. An entry exists if and
//! only if its transaction committed.

use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::TenantTx;

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
    /// The stored actor type and id.
    pub fn parts(self) -> (&'static str, Option<Uuid>) {
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
    /// The client address (behind trusted proxies, the one they name).
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent` (truncated).
    pub user_agent: Option<String>,
}

/// The fields a mutation changed; secrets are recorded as redacted.
#[derive(Debug, Clone, Default, PartialEq)]
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
            self.0.insert(field.into(), from_to(to_value(from), to_value(to)));
        }
        self
    }

    /// Every top-level field that differs between two serialisations of a
    /// record (a field absent on one side counts as `null`). Use
    /// [`redact`](Self::redact) for fields that hold secrets and
    /// [`without`](Self::without) for bookkeeping fields.
    pub fn between(before: &impl Serialize, after: &impl Serialize) -> Self {
        let (Value::Object(b), Value::Object(a)) = (to_value(before), to_value(after)) else {
            return Self::default();
        };
        let mut out = Map::new();
        let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        for k in keys {
            let from = b.get(k).cloned().unwrap_or(Value::Null);
            let to = a.get(k).cloned().unwrap_or(Value::Null);
            if from != to {
                out.insert(k.clone(), from_to(from, to));
            }
        }
        Self(out)
    }

    /// The fields of a new record (everything but nulls), as [`set`](Self::set) would.
    pub fn created(record: &impl Serialize) -> Self {
        let Value::Object(m) = to_value(record) else { return Self::default() };
        Self(m.into_iter().filter(|(_, v)| !v.is_null()).collect())
    }

    /// A secret field that changed (its value is never recorded).
    pub fn secret(mut self, field: &str) -> Self {
        self.0.insert(field.into(), Value::String("[redacted]".into()));
        self
    }

    /// Replaces a recorded field's values by `[redacted]` (when it is recorded).
    pub fn redact(mut self, field: &str) -> Self {
        if self.0.contains_key(field) {
            self.0.insert(field.into(), Value::String("[redacted]".into()));
        }
        self
    }

    /// Drops fields that are not worth recording (timestamps, counters).
    pub fn without(mut self, fields: &[&str]) -> Self {
        for f in fields {
            self.0.remove(*f);
        }
        self
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded fields as JSON.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

fn to_value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn from_to(from: Value, to: Value) -> Value {
    serde_json::json!({ "from": from, "to": to })
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

/// An entry waiting for its transaction to commit.
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    actor_type: &'static str,
    actor_id: Option<Uuid>,
    action: String,
    resource_type: String,
    resource_id: Option<String>,
    request_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    changes: Value,
}

/// Records an entry in `tx` (confined to the tenant it belongs to); it is
/// appended to the tenant's chain when `tx` commits, and never if it rolls
/// back.
pub fn record(tx: &mut TenantTx, meta: &RequestMeta, entry: Entry<'_>) {
    let (actor_type, actor_id) = entry.actor.parts();
    tx.staged().audit.push(Staged {
        actor_type,
        actor_id,
        action: entry.action.to_string(),
        resource_type: entry.resource_type.to_string(),
        resource_id: entry.resource_id,
        request_id: meta.request_id.clone(),
        ip: meta.ip.map(|ip| ip.to_string()),
        user_agent: meta.user_agent.as_ref().map(|u| u.chars().take(512).collect()),
        changes: entry.changes.into_value(),
    });
}

/// Appends the staged entries to the tenant's chain, just before the
/// commit. The chain head's row lock is held from here to the commit.
pub(crate) async fn append(
    conn: &mut sqlx::PgConnection,
    tenant: crate::ids::TenantId,
    entries: Vec<Staged>,
) -> Result<(), sqlx::Error> {
    for e in entries {
        sqlx::query(crate::sql!(
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
             SELECT $1, seq, now(), $2, $3, $4, $5, $6, $7, $8::inet, $9, $10, prev_hash, hash FROM head"
        ))
        .bind(tenant)
        .bind(e.actor_type)
        .bind(e.actor_id)
        .bind(&e.action)
        .bind(&e.resource_type)
        .bind(&e.resource_id)
        .bind(&e.request_id)
        .bind(&e.ip)
        .bind(&e.user_agent)
        .bind(&e.changes)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Provider {
        name: &'static str,
        priority: i32,
        api_key: Option<&'static str>,
        updated_at: &'static str,
    }

    #[test]
    fn between_records_what_changed() {
        let a = Provider { name: "a", priority: 1, api_key: Some("k1"), updated_at: "t1" };
        let b = Provider { name: "a", priority: 2, api_key: Some("k2"), updated_at: "t2" };
        let c = Changes::between(&a, &b).redact("api_key").without(&["updated_at"]).into_value();
        assert_eq!(
            c,
            serde_json::json!({ "priority": { "from": 1, "to": 2 }, "api_key": "[redacted]" })
        );
        assert!(Changes::between(&a, &a).is_empty());
        let created = Changes::created(&a).redact("api_key").into_value();
        assert_eq!(created["name"], "a");
        assert_eq!(created["api_key"], "[redacted]");
    }
}
