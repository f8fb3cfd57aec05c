//! The state every request handler can reach.
//!
//! [`AppState`] carries the configuration, the database and a typed map of
//! the services that domains build at startup (identity's key ring, the job
//! queue, the AI runtime, …). A domain reaches its service through its own
//! extractor, declared with [`service_extractor!`](crate::service_extractor):
//!
//! ```ignore
//! kernel::service_extractor!(
//!     /// The AI runtime, for handlers.
//!     pub struct AiService(Ai);
//! );
//! async fn list(ai: AiService, g: Granted<AiAdmin>) -> ApiResult<..> { ai.providers(&g).await }
//! ```
//!
//! The macro also records that the build needs an `Ai`; building the state
//! fails (the server does not start) when a needed service was not built,
//! so no request can find one missing.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;

use crate::config::Config;
use crate::db::{Authority, Db};

/// Shared, cheaply clonable application state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    db: Db,
    authority: Authority,
    started: Instant,
    services: Services,
}

/// Services by type.
pub type Services = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("services", &self.inner.services.len()).finish()
    }
}

impl AppState {
    /// Starts building the state.
    pub fn builder(config: Arc<Config>, db: Db, authority: Authority) -> AppStateBuilder {
        AppStateBuilder { config, db, authority, services: HashMap::new() }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The authority, for the kernel's own middleware (anonymous requests'
    /// idempotency keys live in the system tenant).
    pub(crate) fn authority(&self) -> &Authority {
        &self.inner.authority
    }

    /// When the process started serving.
    pub fn started(&self) -> Instant {
        self.inner.started
    }

    /// A builder holding this state's configuration, database and
    /// services, to add more.
    pub fn rebuild(&self) -> AppStateBuilder {
        AppStateBuilder {
            config: self.inner.config.clone(),
            db: self.inner.db.clone(),
            authority: self.inner.authority.clone(),
            services: self.inner.services.clone(),
        }
    }

    /// A registered service, if any. Domains use their extractor instead.
    pub fn try_service<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.inner.services.get(&TypeId::of::<T>()).and_then(|s| s.clone().downcast::<T>().ok())
    }
}

/// A service the build needs, as [`service_extractor!`](crate::service_extractor)
/// records it.
#[derive(Debug)]
pub struct Needed {
    /// The service's type.
    pub type_id: fn() -> TypeId,
    /// Its name.
    pub type_name: fn() -> &'static str,
    /// The extractor that needs it.
    pub extractor: &'static str,
}

inventory::collect!(Needed);

/// Builds an [`AppState`].
pub struct AppStateBuilder {
    config: Arc<Config>,
    db: Db,
    authority: Authority,
    services: Services,
}

impl AppStateBuilder {
    /// Registers a service (one per type).
    pub fn with<T: Any + Send + Sync>(mut self, service: Arc<T>) -> Self {
        self.services.insert(TypeId::of::<T>(), service);
        self
    }

    /// Registers services built elsewhere.
    pub fn with_all(mut self, services: Services) -> Self {
        self.services.extend(services);
        self
    }

    /// Finishes; fails when a service some extractor of the build needs was
    /// not registered.
    pub fn build(self) -> anyhow::Result<AppState> {
        let mut missing: Vec<String> = inventory::iter::<Needed>
            .into_iter()
            .filter(|n| !self.services.contains_key(&(n.type_id)()))
            .map(|n| format!("{} (needed by {})", (n.type_name)(), n.extractor))
            .collect();
        if !missing.is_empty() {
            missing.sort();
            missing.dedup();
            anyhow::bail!(
                "services needed but not built: {}; add the domain that builds them to the list",
                missing.join(", ")
            );
        }
        Ok(AppState {
            inner: Arc::new(Inner {
                config: self.config,
                db: self.db,
                authority: self.authority,
                started: Instant::now(),
                services: self.services,
            }),
        })
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(s: &AppState) -> Db {
        s.db().clone()
    }
}

/// Declares a domain's service extractor: a handler argument that yields
/// the service, and a record that the build needs it (so the state cannot
/// be built without it). Also usable outside requests as
/// `Extractor::of(&state)`.
#[macro_export]
macro_rules! service_extractor {
    ($(#[$m:meta])* $vis:vis struct $name:ident($svc:ty);) => {
        $(#[$m])*
        #[derive(Clone)]
        $vis struct $name(pub ::std::sync::Arc<$svc>);

        impl $name {
            /// The service of a built state.
            pub fn of(state: &$crate::AppState) -> Self {
                match state.try_service::<$svc>() {
                    Some(s) => $name(s),
                    // Building the state checked it is there.
                    None => unreachable!(concat!(stringify!($svc), " is checked at startup")),
                }
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = ::std::sync::Arc<$svc>;
            fn deref(&self) -> &::std::sync::Arc<$svc> {
                &self.0
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl $crate::axum::extract::FromRequestParts<$crate::AppState> for $name {
            type Rejection = ::std::convert::Infallible;

            async fn from_request_parts(
                _: &mut $crate::axum::http::request::Parts,
                state: &$crate::AppState,
            ) -> Result<Self, Self::Rejection> {
                Ok($name::of(state))
            }
        }

        $crate::inventory::submit! {
            $crate::state::Needed {
                type_id: ::std::any::TypeId::of::<$svc>,
                type_name: ::std::any::type_name::<$svc>,
                extractor: concat!(::core::module_path!(), "::", stringify!($name)),
            }
        }
    };
}
