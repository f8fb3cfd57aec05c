//! Outgoing HTTP: one way to build a client, with TLS through rustls and
//! the `ring` provider (the same stack the database driver uses) and the
//! system's trusted certificates.

use std::sync::Once;

static PROVIDER: Once = Once::new();

/// A `reqwest` client builder with TLS ready and a Tessera user agent.
/// Callers add their own timeouts, redirects policy and resolver.
pub fn client_builder() -> reqwest::ClientBuilder {
    PROVIDER.call_once(|| {
        // Fails only when another provider was installed first, which is
        // just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder().user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
}
