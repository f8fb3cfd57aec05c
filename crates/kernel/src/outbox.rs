//! The transactional outbox: domains append events in the same transaction
//! as the change they describe, so an event exists if and only if its
//! change committed. The `jobs` crate dispatches them, in order per tenant,
//! to in-process subscribers and to tenants' webhooks.
//!
//! ```ignore
//! let mut tx = caller.tx(db).await?;
//! repo::insert_invoice(&mut tx, &invoice).await?;
//! kernel::outbox::publish(&mut tx, "invoice.issued", &json!({ "id": invoice.id })).await?;
//! tx.commit().await?;
//! ```
//!
//! Event types are declared in code by the domain that emits them
//! ([`EventDef`]), so webhook subscriptions can be checked against them.

use serde::Serialize;
use uuid::Uuid;

use crate::db::TenantTx;

/// The channel the dispatcher is woken on.
pub const CHANNEL: &str = "tessera_events";

/// An event type's declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventDef {
    /// `resource.verb`, e.g. `invoice.issued`.
    pub name: &'static str,
    /// What it means, for the API catalog.
    pub description: &'static str,
}

/// Every event type of a build (each domain contributes its list).
#[derive(Debug, Clone, Default)]
pub struct EventCatalog {
    defs: Vec<EventDef>,
}

impl EventCatalog {
    /// A catalog from each domain's declarations.
    pub fn new(lists: &[&[EventDef]]) -> Self {
        let mut defs: Vec<EventDef> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        defs.sort_by_key(|d| d.name);
        defs.dedup_by_key(|d| d.name);
        Self { defs }
    }

    /// Every declaration, sorted by name.
    pub fn all(&self) -> &[EventDef] {
        &self.defs
    }

    /// Whether `pattern` (`invoice.issued`, `invoice.*` or `*`) names at
    /// least one declared event type.
    pub fn matches_any(&self, pattern: &str) -> bool {
        self.defs.iter().any(|d| type_matches(pattern, d.name))
    }
}

/// Whether an event type matches a subscription pattern: the exact name,
/// `prefix.*` for every type under `prefix.`, or `*` for all.
pub fn type_matches(pattern: &str, event_type: &str) -> bool {
    if pattern == "*" || pattern == event_type {
        return true;
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => {
            event_type.len() > prefix.len() + 1
                && event_type.starts_with(prefix)
                && event_type.as_bytes()[prefix.len()] == b'.'
        }
        None => false,
    }
}

/// An appended event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The event's id (sent to webhooks as `id`).
    pub id: Uuid,
    /// Its position: increasing in commit order within a tenant.
    pub pos: i64,
}

/// Appends an event to the tenant's outbox inside `tx`. It is dispatched
/// after the transaction commits, and never if it rolls back.
///
/// Appends of one tenant are serialised until commit (a per-tenant head
/// row), so positions within a tenant follow commit order and the
/// dispatcher can deliver them in order.
pub async fn publish(
    tx: &mut TenantTx,
    event_type: &str,
    payload: &impl Serialize,
) -> Result<Published, sqlx::Error> {
    let tenant = tx.tenant();
    let payload = serde_json::to_value(payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let id = Uuid::now_v7();
    let (pos,): (i64,) = sqlx::query_as(
        "WITH head AS (
            INSERT INTO event_heads AS h (tenant_id, last_pos) VALUES ($1, nextval('events_pos'))
            ON CONFLICT (tenant_id) DO UPDATE SET last_pos = nextval('events_pos'), events = h.events + 1
            RETURNING h.last_pos
         )
         INSERT INTO events (tenant_id, pos, id, type, payload, request_id)
         SELECT $1, last_pos, $2, $3, $4, $5 FROM head
         RETURNING pos",
    )
    .bind(tenant)
    .bind(id)
    .bind(event_type)
    .bind(payload)
    .bind(crate::request_id::current())
    .fetch_one(&mut **tx)
    .await?;
    Ok(Published { id, pos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(type_matches("*", "invoice.issued"));
        assert!(type_matches("invoice.issued", "invoice.issued"));
        assert!(type_matches("invoice.*", "invoice.issued"));
        assert!(type_matches("invoice.*", "invoice.payment.received"));
        assert!(!type_matches("invoice.*", "invoices.issued"));
        assert!(!type_matches("invoice.*", "invoice"));
        assert!(!type_matches("invoice.issued", "invoice.paid"));
        assert!(!type_matches("", "invoice.paid"));
    }

    #[test]
    fn catalog() {
        const A: &[EventDef] = &[EventDef { name: "member.joined", description: "" }];
        const B: &[EventDef] = &[EventDef { name: "invoice.issued", description: "" }];
        let c = EventCatalog::new(&[A, B, A]);
        assert_eq!(c.all().len(), 2);
        assert!(c.matches_any("member.*"));
        assert!(c.matches_any("*"));
        assert!(!c.matches_any("order.*"));
    }
}
