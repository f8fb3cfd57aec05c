//! The transactional outbox: domains append events in the same transaction
//! as the change they describe, so an event exists if and only if its
//! change committed. The `jobs` crate dispatches them, in order per tenant,
//! to in-process [`Subscriber`]s and to tenants' webhooks.
//!
//! ```ignore
//! kernel::event!(
//!     /// An invoice was issued.
//!     pub INVOICE_ISSUED = "invoice.issued", "An invoice was issued"
//! );
//!
//! let mut tx = caller.tx(db).await?;
//! repo::insert_invoice(&mut tx, &invoice).await?;
//! kernel::outbox::publish(&mut tx, INVOICE_ISSUED, &json!({ "id": invoice.id }))?;
//! tx.commit().await?;
//! ```
//!
//! Event types are declared in code by the domain that emits them
//! ([`event!`](crate::event)), and publishing takes the declaration, so an
//! event that webhooks cannot subscribe to cannot be published.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::ids::TenantId;
use crate::state::AppState;

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

/// An event type as the build's catalog records it.
#[derive(Debug)]
pub struct Declared {
    /// The declaration.
    pub def: EventDef,
    /// The module that declared it.
    pub module: &'static str,
}

inventory::collect!(Declared);

/// Declares an event type (a constant [`EventDef`]) and records it in the
/// build's catalog.
#[macro_export]
macro_rules! event {
    ($(#[$m:meta])* $vis:vis $name:ident = $type:literal, $desc:literal) => {
        $(#[$m])*
        $vis const $name: $crate::outbox::EventDef =
            $crate::outbox::EventDef { name: $type, description: $desc };
        $crate::inventory::submit! {
            $crate::outbox::Declared { def: $name, module: ::core::module_path!() }
        }
    };
}

/// Every event type of a build.
#[derive(Debug, Clone, Default)]
pub struct EventCatalog {
    defs: Vec<EventDef>,
}

impl EventCatalog {
    /// Every event type declared in this build. Fails on a malformed name
    /// or a name declared twice with different meanings.
    pub fn collect() -> Result<Self, String> {
        let mut defs: Vec<(EventDef, &str)> =
            inventory::iter::<Declared>.into_iter().map(|d| (d.def, d.module)).collect();
        defs.sort_by_key(|d| d.0.name);
        for w in defs.windows(2) {
            if w[0].0.name == w[1].0.name && w[0].0 != w[1].0 {
                return Err(format!(
                    "event type `{}` is declared twice, in {} and {}",
                    w[0].0.name, w[0].1, w[1].1
                ));
            }
        }
        if let Some((d, m)) = defs.iter().find(|(d, _)| !valid_type(d.name)) {
            return Err(format!(
                "event type `{}` (declared in {m}) is not `resource.verb` in lowercase",
                d.name
            ));
        }
        let mut defs: Vec<EventDef> = defs.into_iter().map(|d| d.0).collect();
        defs.dedup();
        Ok(Self { defs })
    }

    /// A catalog of exactly these declarations (for tests).
    pub fn of(defs: &[EventDef]) -> Self {
        let mut defs = defs.to_vec();
        defs.sort_by_key(|d| d.name);
        defs.dedup_by_key(|d| d.name);
        Self { defs }
    }

    /// Every declaration, sorted by name.
    pub fn all(&self) -> &[EventDef] {
        &self.defs
    }

    /// Every pattern that names at least one declared type: `*`, each
    /// type, and each of their dotted prefixes followed by `.*`; sorted.
    pub fn patterns(&self) -> Vec<String> {
        let mut out = vec!["*".to_string()];
        for d in &self.defs {
            out.push(d.name.to_string());
            let mut at = 0;
            while let Some(dot) = d.name[at..].find('.') {
                at += dot;
                out.push(format!("{}.*", &d.name[..at]));
                at += 1;
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether `pattern` (`invoice.issued`, `invoice.*` or `*`) names at
    /// least one declared event type.
    pub fn matches_any(&self, pattern: &str) -> bool {
        self.defs.iter().any(|d| type_matches(pattern, d.name))
    }
}

/// An event type pattern in a request (a webhook's `event_types`): its
/// OpenAPI schema lists every pattern that names a declared type.
pub struct EventPattern;

impl utoipa::PartialSchema for EventPattern {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let patterns = EventCatalog::collect().map(|c| c.patterns()).unwrap_or_default();
        crate::text::string_schema(
            "An event type (`member.invited`), a prefix (`member.*`) or `*` (see `GET /api/v1/event-types`).",
            |s| s.enum_values(Some(patterns)),
        )
    }
}

impl utoipa::ToSchema for EventPattern {}

/// `resource.verb` (two or more dot-separated lowercase words).
fn valid_type(name: &str) -> bool {
    let mut parts = 0;
    for p in name.split('.') {
        parts += 1;
        let mut bytes = p.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        if !first_ok || !bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
    }
    parts >= 2
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

/// An event as subscribers receive it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Event {
    /// The tenant it happened in.
    pub tenant_id: TenantId,
    /// Its position (increasing in commit order within the tenant).
    pub pos: i64,
    /// Its id.
    pub id: Uuid,
    /// `resource.verb`.
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Dispatch attempts so far.
    pub attempts: i32,
    /// When it was appended.
    pub created_at: DateTime<Utc>,
}

/// An in-process handler of events, declared by a domain
/// ([`Domain::subscriber`](crate::domain::Domain::subscriber)).
pub trait Subscriber: Send + Sync + 'static {
    /// A stable name, for logs.
    fn name(&self) -> &'static str;
    /// Event type patterns it wants (`invoice.issued`, `invoice.*`, `*`);
    /// each must match a declared event type, or the server does not start.
    fn patterns(&self) -> &'static [&'static str];
    /// Handles one event inside the dispatch transaction (the event's
    /// tenant, under row-level security). An error retries the event.
    fn handle<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        event: &'a Event,
        state: &'a AppState,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// An event waiting for its transaction to commit.
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    id: Uuid,
    event_type: &'static str,
    payload: Value,
    request_id: Option<String>,
}

/// Appends an event to the tenant's outbox inside `tx`; returns its id.
/// It is written when `tx` commits (and dispatched after), never if it
/// rolls back.
///
/// Events of one tenant are given their positions at commit, one commit at
/// a time (the tenant's head row is locked for the commit only), so
/// positions within a tenant follow commit order and the dispatcher can
/// deliver them in order.
pub fn publish(
    tx: &mut TenantTx,
    event: EventDef,
    payload: &impl Serialize,
) -> Result<Uuid, sqlx::Error> {
    let payload = serde_json::to_value(payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let id = Uuid::now_v7();
    tx.staged().events.push(Staged {
        id,
        event_type: event.name,
        payload,
        request_id: crate::request_id::current(),
    });
    Ok(id)
}

/// Writes the staged events, just before the commit.
pub(crate) async fn append(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    events: Vec<Staged>,
) -> Result<(), sqlx::Error> {
    for e in events {
        sqlx::query(crate::sql!(
            "WITH head AS (
                INSERT INTO event_heads AS h (tenant_id, last_pos) VALUES ($1, nextval('events_pos'))
                ON CONFLICT (tenant_id) DO UPDATE SET last_pos = nextval('events_pos'), events = h.events + 1
                RETURNING h.last_pos
             )
             INSERT INTO events (tenant_id, pos, id, type, payload, request_id)
             SELECT $1, last_pos, $2, $3, $4, $5 FROM head"
        ))
        .bind(tenant)
        .bind(e.id)
        .bind(e.event_type)
        .bind(&e.payload)
        .bind(&e.request_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
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

    crate::event!(
        /// An event of this test.
        PROBE_SEEN = "probe.seen", "A probe was seen"
    );

    #[test]
    fn declared_events_are_collected() {
        let c = EventCatalog::collect().unwrap();
        assert!(c.all().contains(&PROBE_SEEN));
        assert!(valid_type("invoice.payment_received"));
        assert!(!valid_type("invoice"));
        assert!(!valid_type("Invoice.issued"));
        assert!(!valid_type("invoice..issued"));
    }

    #[test]
    fn catalog() {
        const A: &[EventDef] = &[EventDef { name: "member.joined", description: "" }];
        const B: &[EventDef] = &[EventDef { name: "invoice.issued", description: "" }];
        let c = EventCatalog::of(&[A[0], B[0], A[0]]);
        assert_eq!(c.all().len(), 2);
        assert!(c.matches_any("member.*"));
        assert!(c.matches_any("*"));
        assert!(!c.matches_any("order.*"));
    }
}
