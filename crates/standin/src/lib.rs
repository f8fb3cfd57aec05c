//! Local servers that speak the protocols of government and partner
//! services Tessera calls but a test machine cannot reach: the NIC
//! e-invoice registration portal (IRP) and Meta's Graph API (WhatsApp
//! Cloud API and Instagram messaging). Tessera's own clients run against
//! them unchanged — only the base URL differs — so tests and demos
//! exercise the real request building, encryption, signatures and error
//! handling.
//!
//! A stand-in keeps its state in memory and has a few control routes
//! under `/_standin/` (inject faults, move its clock, read its public
//! keys) that the real services do not have.

pub mod graph;
pub mod irp;

use std::net::SocketAddr;

use tokio::task::JoinHandle;

/// A stand-in listening on a local port.
#[derive(Debug)]
pub struct Running<S> {
    /// Its base URL, `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its state, for tests that look inside.
    pub state: S,
    task: JoinHandle<()>,
}

impl<S> Drop for Running<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on `addr` (port 0 picks a free one) in the background.
pub async fn serve<S>(
    addr: SocketAddr,
    router: axum::Router,
    state: S,
) -> anyhow::Result<Running<S>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "stand-in stopped");
        }
    });
    Ok(Running { url, state, task })
}

/// `N` random bytes.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the system's random source");
    b
}
