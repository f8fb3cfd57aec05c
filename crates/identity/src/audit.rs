//! The audit trail: one row per mutation, written in the mutation's own
//! transaction (see [`kernel::audit`]), append-only for the application
//! role, hash-chained per tenant, partitioned by month. This module lists
//! it and verifies the chains.

use kernel::db::TenantTx;
use kernel::pagination::{Page, PageRequest};
use serde::Serialize;

use crate::auth::{Granted, Identity};
use crate::error::Result;
use crate::permissions::AuditRead;

pub use kernel::audit::{Actor, Changes, Entry, RequestMeta};

use crate::repo;
pub use crate::repo::audit::{AuditEntry, AuditQuery};

/// The audit trail, newest first.
pub async fn list(
    id: &Identity,
    g: &Granted<AuditRead>,
    page: &PageRequest,
    q: &AuditQuery,
) -> Result<Page<AuditEntry>> {
    let before: Option<i64> = page.after()?;
    let mut tx = g.read_tx(id.db()).await?;
    let rows = repo::audit::list(&mut tx, q, before, page.fetch()).await?;
    Ok(page.page(rows, |e| e.seq))
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

/// Recomputes every hash of the tenant's chain and checks the links, the
/// sequence and the head. Reports the first row that was changed, removed
/// or inserted out of order.
pub async fn verify(tx: &mut TenantTx) -> Result<Verification, sqlx::Error> {
    let rows = repo::audit::links(tx).await?;
    let count = rows.len() as i64;
    // Rows removed by retention end at an anchor: the chain resumes there.
    let anchor = repo::audit::anchor(tx).await?;
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
        let head = repo::audit::head(tx).await?;
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
