//! The ledger's scheduled work: documents past their due date become
//! overdue, once a day, company by company.

use std::time::Duration;

use jobs::{Job, JobContext};
use serde::{Deserialize, Serialize};

use crate::{INVOICE_OVERDUE, repo, service};

/// Marks issued documents past their due date and not settled as overdue
/// (in each company's own time zone), and publishes `invoice.overdue` for
/// each. Idempotent: a document already overdue is not marked again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkOverdue {}

impl Job for MarkOverdue {
    const KIND: &'static str = "ledger.overdue";
    const TIMEOUT: Duration = Duration::from_secs(1800);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let authority =
            ctx.authority().ok_or_else(|| anyhow::anyhow!("ledger.overdue is a system job"))?;
        let mut conn = ctx.db().pool().acquire().await?;
        let tenants = identity::repo::all_tenants(&mut conn).await?;
        drop(conn);
        let identity = identity::service(&ctx.state);
        let mut marked = 0usize;
        for (tenant, _) in tenants {
            if ctx.cancel.is_cancelled() {
                anyhow::bail!("stopped");
            }
            let access = authority.tenant(tenant);
            let company = identity.company(&access).await?;
            let mut tx = ctx.db().tenant(&access).await?;
            let due =
                repo::documents::mark_overdue(&mut tx, service::today(&company.time_zone)).await?;
            for (id, number, party, balance) in &due {
                kernel::outbox::publish(
                    &mut tx,
                    INVOICE_OVERDUE,
                    &serde_json::json!({ "document_id": id, "number": number, "party_id": party, "balance_due": balance }),
                )?;
            }
            tx.commit().await?;
            marked += due.len();
        }
        if marked > 0 {
            tracing::info!(marked, "documents became overdue");
        }
        Ok(())
    }
}
kernel::register_job!(MarkOverdue);

/// Registers an issued invoice or note with the IRP (queued on issue
/// when the company registers automatically). A refusal is recorded on
/// the document and not retried; when the IRP does not answer, the job
/// fails and is retried with backoff.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenerateEinvoice {
    /// The document.
    pub document_id: uuid::Uuid,
}

impl Job for GenerateEinvoice {
    const KIND: &'static str = "ledger.einvoice";
    const TIMEOUT: Duration = Duration::from_secs(600);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let ledger = crate::LedgerService::of(&ctx.state);
        match service::einvoice::generate(
            &ledger,
            service::einvoice::Who::System(ctx.access()),
            self.document_id,
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(crate::LedgerError::Api(e))
                if e.status() == axum::http::StatusCode::SERVICE_UNAVAILABLE =>
            {
                anyhow::bail!("the IRP did not answer; trying again later")
            }
            Err(e) => {
                tracing::info!(document = %self.document_id, error = %e, "e-invoice not registered");
                Ok(())
            }
        }
    }
}
kernel::register_job!(GenerateEinvoice);
