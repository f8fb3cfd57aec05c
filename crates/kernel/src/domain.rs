//! The seam every domain is added through.
//!
//! A domain crate declares itself once, in a `pub fn domain() -> Domain`,
//! and `server` composes the build from one list of them. What can be
//! found without being listed is found: permissions ([`permission!`]),
//! event types ([`event!`]), job kinds ([`register_job!`]), SQL statements
//! ([`sql!`]) and the services extractors need ([`service_extractor!`])
//! are recorded where they are written. What the declaration lists is
//! checked when the server starts (and by the seam's tests): its routes'
//! tags, its periodic jobs' schedules, its subscribers' event patterns.
//!
//! ```ignore
//! pub fn domain() -> Domain {
//!     Domain::new("knowledge", "Documents, ingestion, search and cited answers")
//!         .routes(http::routes())
//!         .service(|s| async move { Knowledge::start(&s).await })
//!         .periodic("knowledge.reindex", "0 30 3 * * *", jobs::Reindex)
//!         .subscriber(index::OnDocumentDeleted)
//!         .isolation(isolation::fixture)
//! }
//! ```
//!
//! [`permission!`]: crate::permission
//! [`event!`]: crate::event
//! [`register_job!`]: crate::register_job
//! [`sql!`]: crate::sql
//! [`service_extractor!`]: crate::service_extractor

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::crypto::SecretBox;
use crate::db::{Authority, Db};
use crate::job::{Job, Periodic};
use crate::mail::Mailer;
use crate::notify::Notifier;
use crate::outbox::Subscriber;
use crate::state::{AppState, Services};

/// Builds one service at startup.
pub type Builder = Box<dyn FnOnce(Startup) -> BoxFuture<'static, anyhow::Result<Built>> + Send>;
/// A built service: its type, its name and the service.
pub type Built = (TypeId, &'static str, Arc<dyn Any + Send + Sync>);
/// A domain's isolation fixture.
pub type FixtureFn = Arc<dyn Fn(Arc<Fixture>) -> BoxFuture<'static, ()> + Send + Sync>;

/// One domain's declaration.
pub struct Domain {
    name: &'static str,
    tags: Vec<(&'static str, &'static str)>,
    routes: Option<OpenApiRouter<AppState>>,
    periodic: Vec<Result<Periodic, String>>,
    subscribers: Vec<Arc<dyn Subscriber>>,
    channels: Vec<&'static str>,
    services: Vec<Builder>,
    fixture: Option<FixtureFn>,
    uploads: Vec<&'static str>,
}

impl std::fmt::Debug for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Domain").field("name", &self.name).finish()
    }
}

impl Domain {
    /// A domain, its name (also its OpenAPI tag) and what it does.
    pub fn new(name: &'static str, description: &'static str) -> Domain {
        Domain {
            name,
            tags: vec![(name, description)],
            routes: None,
            periodic: Vec::new(),
            subscribers: Vec::new(),
            channels: Vec::new(),
            services: Vec::new(),
            fixture: None,
            uploads: Vec::new(),
        }
    }

    /// Routes under this path take files: their bodies may be as large as
    /// `http.upload_limit` instead of `http.body_limit`.
    pub fn uploads(mut self, path_prefix: &'static str) -> Domain {
        self.uploads.push(path_prefix);
        self
    }

    /// The path prefixes of its upload routes.
    pub fn upload_paths(&self) -> &[&'static str] {
        &self.uploads
    }

    /// Another OpenAPI tag its routes use (e.g. the AI runtime's `gateway`).
    pub fn tag(mut self, name: &'static str, description: &'static str) -> Domain {
        self.tags.push((name, description));
        self
    }

    /// Its routes, with their OpenAPI descriptions. Every operation must be
    /// tagged with one of the domain's tags.
    pub fn routes(mut self, routes: OpenApiRouter<AppState>) -> Domain {
        self.routes = Some(match self.routes.take() {
            Some(r) => r.merge(routes),
            None => routes,
        });
        self
    }

    /// Builds a service at startup and puts it in the state (for the
    /// domain's extractor). Builders run in the order of the domain list,
    /// so a service can use those of earlier domains ([`Startup::get`]).
    pub fn service<T, F, Fut>(mut self, build: F) -> Domain
    where
        T: Any + Send + Sync,
        F: FnOnce(Startup) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<Arc<T>>> + Send + 'static,
    {
        self.services.push(Box::new(move |s| {
            Box::pin(async move {
                let svc = build(s).await?;
                let svc: Arc<dyn Any + Send + Sync> = svc;
                Ok((TypeId::of::<T>(), std::any::type_name::<T>(), svc))
            })
        }));
        self
    }

    /// A system job run on a cron schedule (six fields, seconds first); a
    /// bad expression stops the server from starting.
    pub fn periodic<J: Job + Clone>(mut self, name: &'static str, cron: &str, job: J) -> Domain {
        self.periodic.push(Periodic::new(name, cron, job));
        self
    }

    /// An in-process subscriber of events.
    pub fn subscriber(mut self, subscriber: impl Subscriber) -> Domain {
        self.subscribers.push(Arc::new(subscriber));
        self
    }

    /// A `NOTIFY` channel the process must listen on for this domain.
    pub fn listens(mut self, channel: &'static str) -> Domain {
        self.channels.push(channel);
        self
    }

    /// The fixture of the isolation tests: given a tenant, it makes at least
    /// one row in each of the domain's tables through the API, names each
    /// object by its URL template ([`Fixture::object`]) and the text only
    /// this tenant's data shows ([`Fixture::mark`]).
    pub fn isolation<F, Fut>(mut self, fixture: F) -> Domain
    where
        F: Fn(Arc<Fixture>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.fixture = Some(Arc::new(move |fx| Box::pin(fixture(fx))));
        self
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its OpenAPI tags with their descriptions.
    pub fn tags(&self) -> &[(&'static str, &'static str)] {
        &self.tags
    }

    /// Takes its routes out (for composing the router).
    pub fn take_routes(&mut self) -> Option<OpenApiRouter<AppState>> {
        self.routes.take()
    }

    /// Its periodic jobs, or the first invalid schedule.
    pub fn periodic_jobs(&self) -> Result<Vec<Periodic>, String> {
        self.periodic.iter().cloned().collect()
    }

    /// Its subscribers.
    pub fn subscribers(&self) -> &[Arc<dyn Subscriber>] {
        &self.subscribers
    }

    /// The channels it listens on.
    pub fn channels(&self) -> &[&'static str] {
        &self.channels
    }

    /// Takes its service builders out (for building the state).
    pub fn take_services(&mut self) -> Vec<Builder> {
        std::mem::take(&mut self.services)
    }

    /// Its isolation fixture.
    pub fn fixture(&self) -> Option<FixtureFn> {
        self.fixture.clone()
    }
}

/// What service builders start from: the platform's own services, what
/// every domain declared, and the services built so far.
#[derive(Clone)]
pub struct Startup {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    authority: Authority,
    /// The process's `LISTEN` connection.
    pub notifier: Arc<Notifier>,
    /// Seals secrets at rest with the instance's master key.
    pub secrets: SecretBox,
    /// Sends e-mail.
    pub mailer: Arc<dyn Mailer>,
    /// The public URL links point to.
    pub public_url: String,
    /// Every domain's periodic jobs.
    pub periodic: Arc<Vec<Periodic>>,
    /// Every domain's subscribers.
    pub subscribers: Arc<Vec<Arc<dyn Subscriber>>>,
    services: Services,
}

impl std::fmt::Debug for Startup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Startup").field("services", &self.services.len()).finish()
    }
}

/// The platform's services, made by the server before any domain's.
#[derive(Clone)]
pub struct Platform {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    /// The authority.
    pub authority: Authority,
    /// The `LISTEN` connection.
    pub notifier: Arc<Notifier>,
    /// The secret box.
    pub secrets: SecretBox,
    /// The mailer.
    pub mailer: Arc<dyn Mailer>,
    /// The public URL.
    pub public_url: String,
}

impl Startup {
    /// The start of a build: the platform and what the domains declared.
    pub fn new(
        platform: Platform,
        periodic: Vec<Periodic>,
        subscribers: Vec<Arc<dyn Subscriber>>,
    ) -> Startup {
        Startup {
            config: platform.config,
            db: platform.db,
            authority: platform.authority,
            notifier: platform.notifier,
            secrets: platform.secrets,
            mailer: platform.mailer,
            public_url: platform.public_url,
            periodic: Arc::new(periodic),
            subscribers: Arc::new(subscribers),
            services: HashMap::new(),
        }
    }

    /// A service built by an earlier domain of the list.
    pub fn get<T: Any + Send + Sync>(&self) -> anyhow::Result<Arc<T>> {
        self.services
            .get(&TypeId::of::<T>())
            .and_then(|s| s.clone().downcast::<T>().ok())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{} is not built yet: list the domain that builds it earlier",
                    std::any::type_name::<T>()
                )
            })
    }

    /// The authority: for identity (which turns credentials into callers)
    /// and the job runner only.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// Runs every domain's service builders in order; fails on a builder's
    /// error or on two domains building the same service.
    pub async fn build(mut self, domains: &mut [Domain]) -> anyhow::Result<Services> {
        let mut by: HashMap<TypeId, (&'static str, &'static str)> = HashMap::new();
        for d in domains.iter_mut() {
            for b in d.take_services() {
                let (id, name, svc) =
                    b(self.clone()).await.map_err(|e| e.context(format!("starting {}", d.name)))?;
                if let Some((other, _)) = by.insert(id, (d.name, name)) {
                    anyhow::bail!("{name} is built twice, by {other} and {}", d.name);
                }
                self.services.insert(id, svc);
            }
        }
        Ok(self.services)
    }
}

/// How an isolation fixture talks to the application under test (the test
/// harness implements it).
pub trait FixtureClient: Send + Sync {
    /// Sends a request; returns the status and the body (JSON, or the text
    /// as a JSON string).
    fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> BoxFuture<'_, (u16, Value)>;
    /// A connection as the database's superuser (for rows no endpoint makes).
    fn superuser(&self) -> BoxFuture<'_, sqlx::PgConnection>;
    /// The last e-mail sent to an address.
    fn last_mail(&self, to: &str) -> Option<String>;
}

/// One tenant being filled by the domains' isolation fixtures, in the
/// order of the domain list.
pub struct Fixture {
    client: Arc<dyn FixtureClient>,
    /// A short name of the tenant (`alpha`), unique within the test.
    pub name: String,
    signed_in: Mutex<Option<(String, String)>>,
    objects: Mutex<Vec<(String, String)>>,
    marks: Mutex<Vec<String>>,
    bodies: Mutex<HashMap<String, Value>>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").field("name", &self.name).finish()
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Fixture {
    /// A fixture for a tenant called `name`.
    pub fn new(client: Arc<dyn FixtureClient>, name: &str) -> Fixture {
        Fixture {
            client,
            name: name.to_string(),
            signed_in: Mutex::new(None),
            objects: Mutex::new(Vec::new()),
            marks: Mutex::new(Vec::new()),
            bodies: Mutex::new(HashMap::new()),
        }
    }

    /// Records the tenant and its owner's token (identity's fixture signs up).
    pub fn sign_in(&self, tenant_id: &str, owner_token: &str) {
        *locked(&self.signed_in) = Some((tenant_id.to_string(), owner_token.to_string()));
        self.mark(tenant_id);
    }

    /// The owner's access token.
    pub fn owner(&self) -> String {
        locked(&self.signed_in).as_ref().map(|s| s.1.clone()).unwrap_or_default()
    }

    /// The tenant's id.
    pub fn tenant_id(&self) -> String {
        locked(&self.signed_in).as_ref().map(|s| s.0.clone()).unwrap_or_default()
    }

    /// Sends a request with a token (or none); the status and body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.client.send(method, path, token, &[], body).await
    }

    /// Sends a request with extra headers and a token (or none); the
    /// status and body.
    pub async fn request_with_headers(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        self.client.send(method, path, token, headers, body).await
    }

    /// Sends a request as the owner with an `Idempotency-Key`.
    pub async fn request_with_key(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Value,
    ) -> (u16, Value) {
        let owner = self.owner();
        self.client.send(method, path, Some(&owner), &[("idempotency-key", key)], Some(body)).await
    }

    /// Sends a request as the owner and insists on success; the body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let owner = self.owner();
        let (status, v) = self.client.send(method, path, Some(&owner), &[], body).await;
        assert!((200..300).contains(&status), "{} {method} {path}: {status} {v}", self.name);
        v
    }

    /// `POST` as the owner.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.call("POST", path, Some(body)).await
    }

    /// `PUT` as the owner.
    pub async fn put(&self, path: &str, body: Value) -> Value {
        self.call("PUT", path, Some(body)).await
    }

    /// `GET` as the owner.
    pub async fn get(&self, path: &str) -> Value {
        self.call("GET", path, None).await
    }

    /// The object a URL template names for this tenant: `{…}` placeholders
    /// of by-id routes under this template are filled with `id` when
    /// another tenant tries them (`/api/v1/webhooks/{id}` covers
    /// `/api/v1/webhooks/{id}/ping` too).
    pub fn object(&self, template: &str, id: impl std::fmt::Display) {
        let id = id.to_string();
        self.mark(&id);
        locked(&self.objects).push((template.to_string(), id));
    }

    /// Text that appears only in this tenant's data.
    pub fn mark(&self, text: &str) {
        if !text.is_empty() {
            locked(&self.marks).push(text.to_string());
        }
    }

    /// A valid body for a by-id operation (`"PATCH /api/v1/users/{id}"`),
    /// when the one made from its schema would be refused before the
    /// object is looked up.
    pub fn body(&self, operation: &str, body: Value) {
        locked(&self.bodies).insert(operation.to_string(), body);
    }

    /// A connection as the superuser, for rows no endpoint makes.
    pub async fn superuser(&self) -> sqlx::PgConnection {
        self.client.superuser().await
    }

    /// A token (`tsi_…`) from the last e-mail sent to `to`.
    pub fn mailed_token(&self, to: &str, prefix: &str) -> Option<String> {
        let body = self.client.last_mail(to)?;
        body.split_whitespace().find(|w| w.starts_with(prefix)).map(str::to_string)
    }

    /// The objects named so far: (URL template, id).
    pub fn objects(&self) -> Vec<(String, String)> {
        locked(&self.objects).clone()
    }

    /// The marks recorded so far.
    pub fn marks(&self) -> Vec<String> {
        locked(&self.marks).clone()
    }

    /// The example body given for an operation.
    pub fn body_for(&self, operation: &str) -> Option<Value> {
        locked(&self.bodies).get(operation).cloned()
    }
}
