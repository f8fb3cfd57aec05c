//! The seam: what a domain declares is checked when the build is composed
//! or its state built — a mistake stops the server from starting, never
//! a request — and what the OpenAPI document says about permissions is
//! what the server does.

use std::collections::BTreeSet;
use std::sync::Arc;

use kernel::{AppState, Domain};
use serde_json::{Value, json};
use testkit::TestApp;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A route of a domain that claims another domain's tag.
#[utoipa::path(get, path = "/test/poacher", tag = "identity", responses((status = 200)))]
async fn poacher() -> &'static str {
    "x"
}

/// A route whose handler's name (its operation id) another route has.
#[utoipa::path(get, path = "/test/signup-again", tag = "test", responses((status = 200)))]
async fn signup() -> &'static str {
    "x"
}

fn compose(extra: Domain) -> anyhow::Result<server::Composition> {
    let mut domains = server::domains();
    domains.push(extra);
    server::Composition::of(&mut domains)
}

#[test]
fn the_build_composes() {
    let c = compose(Domain::new("test", "Nothing")).unwrap();
    assert!(c.openapi["paths"].as_object().unwrap().len() > 30);
    // Each domain's tag is described once.
    let tags: Vec<&str> =
        c.openapi["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for t in ["operations", "identity", "jobs", "ai", "gateway"] {
        assert!(tags.contains(&t), "{tags:?}");
    }
    // Every periodic job runs a kind workers know.
    let registry = kernel::job::Registry::collect().unwrap();
    for p in &c.periodic {
        let kind = p.job_at(chrono::Utc::now()).kind();
        assert!(registry.get(kind).is_some(), "{} runs {kind}, which is not registered", p.name);
    }
    for k in ["webhooks.deliver", "jobs.prune", "platform.prune", "audit.maintain"] {
        assert!(registry.get(k).is_some(), "{k} is not registered");
    }
}

#[test]
fn a_route_tagged_outside_its_domain_stops_the_build() {
    let d = Domain::new("test", "Poaching").routes(OpenApiRouter::new().routes(routes!(poacher)));
    let e = compose(d).err().unwrap().to_string();
    assert!(e.contains("/test/poacher") && e.contains("`identity`"), "{e}");
}

#[test]
fn an_operation_id_used_twice_stops_the_build() {
    let d = Domain::new("test", "Twice").routes(OpenApiRouter::new().routes(routes!(signup)));
    let e = compose(d).err().unwrap().to_string();
    assert!(e.contains("operation id `signup`"), "{e}");
}

/// A schema whose name the knowledge base's documents already have.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Document {
    shelf: String,
}

/// A route answering with it.
#[utoipa::path(get, path = "/test/shelved", tag = "test", responses((status = 200, body = Document)))]
async fn shelved() -> &'static str {
    "x"
}

#[test]
fn a_schema_name_two_domains_define_differently_stops_the_build() {
    let d = Domain::new("test", "Shelves").routes(OpenApiRouter::new().routes(routes!(shelved)));
    let e = compose(d).err().unwrap().to_string();
    assert!(
        e.contains("schema `Document`") && e.contains("knowledge") && e.contains("test"),
        "{e}"
    );
}

#[test]
fn a_tag_declared_twice_stops_the_build() {
    let e = compose(Domain::new("jobs", "Again")).err().unwrap().to_string();
    assert!(e.contains("tag `jobs`"), "{e}");
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Nightly;

impl kernel::job::Job for Nightly {
    const KIND: &'static str = "test.nightly";
    async fn run(self, _: kernel::job::JobContext) -> anyhow::Result<()> {
        Ok(())
    }
}
kernel::register_job!(Nightly);

#[test]
fn a_bad_schedule_stops_the_build() {
    let d = Domain::new("test", "Bad cron").periodic("test.nightly", "every night", Nightly);
    let e = compose(d).err().unwrap().to_string();
    assert!(e.contains("test.nightly") && e.contains("not a cron expression"), "{e}");
}

struct Deaf;

impl kernel::outbox::Subscriber for Deaf {
    fn name(&self) -> &'static str {
        "test.deaf"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["shipment.*"]
    }
    fn handle<'a>(
        &'a self,
        _: &'a mut kernel::db::TenantTx,
        _: &'a kernel::outbox::Event,
        _: &'a AppState,
    ) -> futures::future::BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// A configuration whose data (the master key) goes to `dir`.
fn config(dir: &tempfile::TempDir) -> kernel::Config {
    kernel::Config {
        runtime_dir: Some(testkit::runtime_dir()),
        data_dir: dir.path().to_path_buf(),
        ..kernel::Config::default()
    }
}

#[tokio::test]
async fn a_subscriber_of_no_declared_event_stops_the_state() {
    let db = testkit::TestDb::create().await;
    let (pool, authority) = kernel::db::Db::connect_lazy(&db.targets, &Default::default());
    let dir = tempfile::tempdir().unwrap();
    let config = config(&dir);
    let e = server::build_state(
        Arc::new(config),
        pool,
        authority,
        Some(Arc::new(kernel::mail::MemoryMailer::default())),
        vec![Domain::new("test", "Deaf").subscriber(Deaf)],
    )
    .await
    .err()
    .unwrap();
    let e = format!("{e:#}");
    assert!(e.contains("test.deaf") && e.contains("shipment.*"), "{e}");
}

#[tokio::test]
async fn a_service_needed_but_not_built_stops_the_state() {
    let app = TestApp::spawn().await;
    let e = AppState::builder(
        Arc::new(kernel::Config::default()),
        app.state.db().clone(),
        app.authority().clone(),
    )
    .build()
    .err()
    .unwrap()
    .to_string();
    for needed in ["IdentityService", "JobsService", "AiService"] {
        assert!(e.contains(needed), "{e}");
    }
    // A domain building a service another already builds is refused too.
    let twice = Domain::new("test", "Twice")
        .service(|s| async move { identity::Identity::start(&s).await });
    let db = testkit::TestDb::create().await;
    let (pool, authority) = kernel::db::Db::connect_lazy(&db.targets, &Default::default());
    let dir = tempfile::tempdir().unwrap();
    let config = config(&dir);
    let e = server::build_state(
        Arc::new(config),
        pool,
        authority,
        Some(Arc::new(kernel::mail::MemoryMailer::default())),
        vec![twice],
    )
    .await
    .err()
    .unwrap();
    assert!(format!("{e:#}").contains("built twice"), "{e:#}");
}

/// The permissions an operation's security requirement names.
fn scopes(op: &Value) -> BTreeSet<String> {
    op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r.as_object().into_iter().flatten())
        .flat_map(|(_, s)| s.as_array().into_iter().flatten())
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[test]
fn every_permission_the_document_names_is_declared() {
    let catalog = identity::Catalog::collect().unwrap();
    let doc = server::openapi();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in scopes(op) {
                assert!(catalog.contains(&p), "{method} {path} names `{p}`, which nobody declares");
            }
        }
    }
}

/// For every secured operation, a key holding one unrelated permission
/// is refused exactly when the operation's security requirement names a
/// permission, and the refusal names that permission. So the document's
/// scopes are what the handlers check.
#[tokio::test]
async fn operations_document_the_permission_they_check() {
    let app = TestApp::spawn().await;
    let s = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": "Scopes", "email": "o@scopes.example", "password": "velvet-orbit-canyon-42" }))
        .send()
        .await
        .json();
    let owner = s["access_token"].as_str().unwrap().to_string();
    app.patch("/api/v1/tenant")
        .bearer(&owner)
        .json(&json!({ "settings": { "requests_per_minute": 100000, "api_key_requests_per_minute": 100000 } }))
        .send()
        .await
        .assert_status(200);
    let key = app
        .post("/api/v1/api-keys")
        .bearer(&owner)
        .json(&json!({ "name": "narrow", "permissions": ["tenant:read"] }))
        .send()
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let doc = server::openapi();
    let nil = uuid::Uuid::nil().to_string();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            if op["security"].as_array().is_none_or(|s| s.is_empty()) {
                continue;
            }
            let url = path
                .split('/')
                .map(|s| if s.starts_with('{') { nil.as_str() } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let mut req = app.request(method.to_uppercase().parse().unwrap(), &url).bearer(&key);
            if op.get("requestBody").is_some() {
                req = req.json(&json!({}));
            }
            let r = req.send().await;
            let body: Value = serde_json::from_slice(r.bytes()).unwrap_or(Value::Null);
            let wants: Vec<String> =
                scopes(op).into_iter().filter(|p| p != "tenant:read").collect();
            let op_name = format!("{} {path}", method.to_uppercase());
            let status = r.status().as_u16();
            match (status, body["code"].as_str(), wants.as_slice()) {
                (403, Some("permission_denied"), [one]) if body["permission"] == *one.as_str() => {}
                (403, Some("permission_denied"), _) => problems.push(format!(
                    "{op_name} checks `{}` but documents {wants:?}",
                    body["permission"]
                )),
                (403, Some("user_only"), _) => {
                    if op["responses"].get("403").is_none() {
                        problems.push(format!("{op_name} refuses API keys but documents no 403"));
                    }
                }
                (_, _, []) => {}
                (s, _, w) => problems.push(format!(
                    "{op_name} documents {w:?} but let a key without it through ({s} {body})"
                )),
            }
            checked += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 30, "checked {checked} operations");
}
