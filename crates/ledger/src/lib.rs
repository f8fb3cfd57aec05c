//! The ledger: customers and suppliers, items with GST rates by date,
//! quotations, tax invoices, bills of supply, credit and debit notes and
//! purchase bills with GST by place of supply, gapless numbering per
//! series and financial year, receipts and payments with TDS and advances,
//! double-entry books that every issued document and payment posts to in
//! its own transaction, and the reports an accountant files from.
//!
//! Money is `rust_decimal`; GST, TDS, numbering and posting rules are pure
//! functions (`tax`, `tds`, `india`, `posting`, `reports`) with their own
//! tests.

pub mod error;
pub mod gst;
pub mod http;
pub mod india;
mod isolation;
pub mod jobs;
pub mod model;
pub mod permissions;
pub mod posting;
pub mod print;
pub mod query;
pub mod repo;
pub mod reports;
pub mod service;
pub mod tax;
pub mod tds;

use std::sync::Arc;

use identity::Identity;
use kernel::Domain;
use kernel::db::Db;
use kernel::domain::Startup;

pub use error::LedgerError;

kernel::event!(
    /// A sales document was issued.
    pub INVOICE_ISSUED = "invoice.issued", "An invoice, bill of supply or note was issued (numbered and posted)"
);
kernel::event!(
    /// A document was settled in full.
    pub INVOICE_PAID = "invoice.paid", "An invoice or bill was settled in full"
);
kernel::event!(
    /// A document passed its due date unsettled.
    pub INVOICE_OVERDUE = "invoice.overdue", "An invoice or bill passed its due date without being settled"
);
kernel::event!(
    /// A document was cancelled.
    pub INVOICE_CANCELLED = "invoice.cancelled", "An issued document was cancelled and its postings reversed"
);
kernel::event!(
    /// A receipt or payment was recorded.
    pub PAYMENT_RECORDED = "payment.recorded", "A receipt from a customer or a payment to a supplier was recorded"
);

kernel::event!(
    /// An e-invoice was registered with the IRP.
    pub EINVOICE_GENERATED = "einvoice.generated", "An invoice or note was registered with the IRP: it has an IRN and a signed QR code"
);

/// The ledger's service.
pub struct Ledger {
    db: Db,
    identity: Arc<Identity>,
    ai: Arc<ai::Ai>,
    secrets: kernel::crypto::SecretBox,
    allow_private_endpoints: bool,
    irp_sessions:
        std::sync::Mutex<std::collections::HashMap<kernel::ids::TenantId, gst::irp::Session>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").finish_non_exhaustive()
    }
}

kernel::service_extractor!(
    /// The ledger, for handlers.
    pub struct LedgerService(Ledger);
);

impl Ledger {
    /// The service, on the identity service and AI runtime built before it.
    pub fn start(s: &Startup) -> anyhow::Result<Arc<Ledger>> {
        Ok(Arc::new(Ledger {
            db: s.db.clone(),
            identity: s.get::<Identity>()?,
            ai: s.get::<ai::Ai>()?,
            secrets: s.secrets.clone(),
            allow_private_endpoints: s.config.compliance.allow_private_endpoints,
            irp_sessions: Default::default(),
        }))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The identity service (the company's profile).
    pub fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    /// The AI runtime (questions the rules cannot read).
    pub fn ai(&self) -> &Arc<ai::Ai> {
        &self.ai
    }

    /// A company's IRP session, while it has ten minutes or more to run.
    pub(crate) fn irp_session(&self, tenant: kernel::ids::TenantId) -> Option<gst::irp::Session> {
        let g = self.irp_sessions.lock().unwrap_or_else(|e| e.into_inner());
        g.get(&tenant)
            .filter(|s| s.expires > chrono::Utc::now() + chrono::Duration::minutes(10))
            .cloned()
    }

    /// Keeps a company's IRP session for the next calls.
    pub(crate) fn keep_irp_session(&self, tenant: kernel::ids::TenantId, s: gst::irp::Session) {
        self.irp_sessions.lock().unwrap_or_else(|e| e.into_inner()).insert(tenant, s);
    }

    /// Drops a company's IRP session (its settings changed).
    pub(crate) fn forget_irp_session(&self, tenant: kernel::ids::TenantId) {
        self.irp_sessions.lock().unwrap_or_else(|e| e.into_inner()).remove(&tenant);
    }
}

/// The ledger's declaration.
pub fn domain() -> Domain {
    Domain::new(
        "ledger",
        "Customers, items, GST invoices, payments, TDS, the books and their reports",
    )
    .routes(http::routes())
    .service(|s| async move { Ledger::start(&s) })
    .periodic("ledger.overdue", "0 15 0 * * *", jobs::MarkOverdue {})
    .isolation(|fx| async move { isolation::fixture(&fx).await })
}
