//! The state every request handler can reach.
//!
//! [`AppState`] carries the configuration, the database and a typed map of
//! services that domain crates register at startup (the identity keys, the
//! job queue, the AI runtime, …). A domain crate defines its own extractor
//! or accessor for its service; `server` wires them together.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;

use crate::config::Config;
use crate::db::Db;

/// Shared, cheaply clonable application state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    db: Db,
    started: Instant,
    services: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("services", &self.inner.services.len()).finish()
    }
}

impl AppState {
    /// Starts building the state.
    pub fn builder(config: Arc<Config>, db: Db) -> AppStateBuilder {
        AppStateBuilder { config, db, services: HashMap::new() }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
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
            services: self.inner.services.clone(),
        }
    }

    /// A registered service, if any.
    pub fn try_service<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.inner.services.get(&TypeId::of::<T>()).and_then(|s| s.clone().downcast::<T>().ok())
    }

    /// A registered service. Panics when it was not registered: that is a
    /// wiring mistake found by the first test that uses the route.
    pub fn service<T: Any + Send + Sync>(&self) -> Arc<T> {
        self.try_service::<T>().unwrap_or_else(|| {
            panic!("service {} is not registered in AppState", std::any::type_name::<T>())
        })
    }
}

/// Builds an [`AppState`].
pub struct AppStateBuilder {
    config: Arc<Config>,
    db: Db,
    services: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl AppStateBuilder {
    /// Registers a service (one per type).
    pub fn with<T: Any + Send + Sync>(mut self, service: Arc<T>) -> Self {
        self.services.insert(TypeId::of::<T>(), service);
        self
    }

    /// Finishes.
    pub fn build(self) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                config: self.config,
                db: self.db,
                started: Instant::now(),
                services: self.services,
            }),
        }
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(s: &AppState) -> Db {
        s.db().clone()
    }
}
