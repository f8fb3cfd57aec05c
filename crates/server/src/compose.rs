//! Composing the build from its domains: one router, one OpenAPI
//! document, one state. Everything a domain declares is checked here, so
//! a mistake stops the server at start-up (and fails the seam's tests)
//! instead of surfacing in a request.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use kernel::db::{Authority, Db};
use kernel::domain::{Platform, Startup};
use kernel::job::Periodic;
use kernel::outbox::Subscriber;
use kernel::{AppState, Domain};
use serde_json::Value;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI document's fixed parts; paths and tags come from the domains.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera API",
        description = "Multi-tenant business platform: identity, knowledge, concierge, ledger, coach. \
                       Errors are RFC 9457 problem documents (`application/problem+json`); lists use \
                       cursor pagination; creating POSTs honour `Idempotency-Key`. An operation's \
                       security requirement names the permission it needs.",
        license(name = "AGPL-3.0-only")
    ),
    components(schemas(kernel::error::Problem, kernel::error::FieldError)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the `bearer` security scheme (access token or API key).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "An access token from /api/v1/auth/login, or an API key (tsk_…). The scopes of an \
                 operation's requirement are the permissions it needs.",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The build, composed.
pub struct Composition {
    /// Every route (without the middleware).
    pub router: Router<AppState>,
    /// The OpenAPI document, every response declared.
    pub openapi: Value,
    /// Every domain's periodic jobs.
    pub periodic: Vec<Periodic>,
    /// Every domain's subscribers.
    pub subscribers: Vec<Arc<dyn Subscriber>>,
    /// The `NOTIFY` channels to listen on.
    pub channels: Vec<String>,
    /// Path prefixes of routes that take files.
    pub uploads: Vec<&'static str>,
}

impl std::fmt::Debug for Composition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composition").field("channels", &self.channels).finish()
    }
}

impl Composition {
    /// Composes the domains' routes and declarations; fails on a route
    /// tagged outside its domain, an operation id used twice, a tag
    /// declared twice, or an invalid schedule.
    pub fn of(domains: &mut [Domain]) -> anyhow::Result<Composition> {
        let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi());
        let mut tags: BTreeMap<&'static str, (&'static str, &'static str)> = BTreeMap::new();
        let mut periodic = Vec::new();
        let mut subscribers = Vec::new();
        let mut channels: Vec<String> = Vec::new();
        let mut uploads = Vec::new();
        let mut schemas: BTreeMap<String, (&'static str, serde_json::Value)> = BTreeMap::new();
        for d in domains.iter_mut() {
            uploads.extend_from_slice(d.upload_paths());
            for (tag, description) in d.tags() {
                if let Some((other, _)) = tags.insert(tag, (d.name(), description)) {
                    anyhow::bail!(
                        "the OpenAPI tag `{tag}` is declared by {other} and {}",
                        d.name()
                    );
                }
            }
            if let Some(routes) = d.take_routes() {
                check_tags(d, routes.get_openapi())?;
                check_schema_names(d, routes.get_openapi(), &mut schemas)?;
                api = api.merge(routes);
            }
            periodic.extend(
                d.periodic_jobs().map_err(|e| anyhow::anyhow!("domain {}: {e}", d.name()))?,
            );
            subscribers.extend(d.subscribers().iter().cloned());
            for c in d.channels() {
                if !channels.iter().any(|x| x == c) {
                    channels.push((*c).to_string());
                }
            }
        }
        let (router, mut doc) = api.split_for_parts();
        doc.info.version = kernel::VERSION.to_string();
        doc.tags = Some(
            tags.iter()
                .map(|(name, (_, description))| {
                    utoipa::openapi::tag::TagBuilder::new()
                        .name(*name)
                        .description(Some(*description))
                        .build()
                })
                .collect(),
        );
        let mut openapi = serde_json::to_value(&doc)?;
        check_operation_ids(&openapi)?;
        kernel::openapi::declare_problems(&mut openapi);
        kernel::openapi::forbid_nul(&mut openapi);
        kernel::openapi::headers_are_never_null(&mut openapi);
        kernel::openapi::declare_links(&mut openapi);
        Ok(Composition { router, openapi, periodic, subscribers, channels, uploads })
    }

    /// Starts the platform's services, then every domain's in order, and
    /// builds the state; fails when a service some extractor needs was not
    /// built.
    pub async fn build_state(
        &self,
        config: Arc<kernel::Config>,
        db: Db,
        authority: Authority,
        mailer: Option<Arc<dyn kernel::mail::Mailer>>,
        domains: &mut [Domain],
    ) -> anyhow::Result<AppState> {
        let notifier = kernel::notify::Notifier::start(db.pool().clone(), self.channels.clone());
        let secrets = kernel::crypto::SecretBox::from_config(&config)?;
        let mailer = match mailer {
            Some(m) => m,
            None => kernel::mail::from_config(&config)?,
        };
        let public_url = config
            .http
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}:{}", config.http.host, config.http.port));
        let platform = Platform {
            config: config.clone(),
            db: db.clone(),
            authority: authority.clone(),
            notifier: notifier.clone(),
            secrets,
            mailer,
            public_url,
        };
        let startup = Startup::new(platform, self.periodic.clone(), self.subscribers.clone());
        let services = startup.build(domains).await?;
        AppState::builder(config, db, authority).with(notifier).with_all(services).build()
    }
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Two domains' schemas of one name would silently become one in the
/// document (the later one wins), describing the other's responses wrongly.
fn check_schema_names(
    d: &Domain,
    doc: &utoipa::openapi::OpenApi,
    seen: &mut BTreeMap<String, (&'static str, serde_json::Value)>,
) -> anyhow::Result<()> {
    let Some(components) = &doc.components else { return Ok(()) };
    for (name, schema) in &components.schemas {
        let schema = serde_json::to_value(schema)?;
        match seen.get(name) {
            Some((other, earlier)) if *other != d.name() && *earlier != schema => anyhow::bail!(
                "the schema `{name}` is defined differently by {other} and {}: \
                 name one of them with #[schema(as = …)]",
                d.name()
            ),
            _ => {
                seen.insert(name.clone(), (d.name(), schema));
            }
        }
    }
    Ok(())
}

fn check_tags(d: &Domain, doc: &utoipa::openapi::OpenApi) -> anyhow::Result<()> {
    let doc = serde_json::to_value(doc)?;
    let own: Vec<&str> = d.tags().iter().map(|t| t.0).collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let tags: Vec<&str> =
                op["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            if tags.is_empty() {
                anyhow::bail!("{} {path} of domain {} has no tag", m.to_uppercase(), d.name());
            }
            if let Some(t) = tags.iter().find(|t| !own.contains(t)) {
                anyhow::bail!(
                    "{} {path} is tagged `{t}`, which domain {} does not declare (it declares {})",
                    m.to_uppercase(),
                    d.name(),
                    own.join(", ")
                );
            }
        }
    }
    Ok(())
}

fn check_operation_ids(doc: &Value) -> anyhow::Result<()> {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for m in METHODS {
            let Some(id) = item.get(m).and_then(|op| op["operationId"].as_str()) else { continue };
            let here = format!("{} {path}", m.to_uppercase());
            if let Some(other) = seen.insert(id, here.clone()) {
                anyhow::bail!("operation id `{id}` is used by {other} and {here}");
            }
        }
    }
    Ok(())
}
