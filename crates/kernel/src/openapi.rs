//! Making the OpenAPI document tell the truth about errors.
//!
//! Handlers declare their successes and the problems particular to them
//! (a 409 on a duplicate, a 404 on a lookup by slug). What the platform
//! itself can answer on any operation is added here from the operation's
//! shape, so no operation forgets it: a malformed body (400, 413, 415,
//! 422) when it takes one, a bad query parameter (400), an unknown id
//! (400, 404) when it has path parameters, bad credentials and rate limits
//! (401, 429) on every API operation (credentials are checked whenever they
//! are sent, even where none are needed), a missing permission (403) when
//! its security requirement names one, an `Idempotency-Key` conflict
//! (409) on POSTs, and 500/503 everywhere. Every problem response is
//! `application/problem+json` with the [`Problem`](crate::error::Problem)
//! schema.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, FieldError, PROBLEM_JSON};

const PROBLEM_REF: &str = "#/components/schemas/Problem";

/// The operators' endpoints: health, readiness, metrics, the signing keys
/// and this document. They ignore credentials, so a probe never fails on
/// them; every other path has its credentials checked whenever it sends
/// any, and is rate-limited.
pub const OPEN_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics", "/api/openapi.json"];

/// Prefixes of further operators' endpoints (see [`OPEN_PATHS`]).
pub const OPEN_PREFIXES: &[&str] = &["/.well-known/", "/api/docs"];

/// Whether a request path checks credentials (see [`OPEN_PATHS`]).
pub fn is_api(path: &str) -> bool {
    !OPEN_PATHS.contains(&path) && !OPEN_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// A shared problem response: its name, status, description and headers.
type Shared = (&'static str, u16, &'static str, &'static [(&'static str, &'static str)]);

/// The shared problem responses.
const SHARED: &[Shared] = &[
    (
        "BadRequest",
        400,
        "The request is malformed: invalid JSON, an unreadable parameter or cursor",
        &[],
    ),
    (
        "Unauthorized",
        401,
        "Missing, invalid or expired credentials, or a session that has ended",
        &[("WWW-Authenticate", "The authentication scheme (`Bearer`)")],
    ),
    (
        "Forbidden",
        403,
        "The caller lacks the permission this operation needs (named in `permission`)",
        &[],
    ),
    (
        "NotFound",
        404,
        "No such object in the caller's company (another company's objects are not found either)",
        &[],
    ),
    (
        "IdempotencyConflict",
        409,
        "A request with this Idempotency-Key is still running, or completed without a stored response",
        &[],
    ),
    ("PayloadTooLarge", 413, "The request body is larger than this server accepts", &[]),
    ("UnsupportedMediaType", 415, "The body is not sent as `application/json`", &[]),
    ("Unprocessable", 422, "Fields of the request are invalid (each named in `errors`)", &[]),
    (
        "TooManyRequests",
        429,
        "A rate limit was reached; retry after the time given",
        &[("Retry-After", "Seconds to wait before retrying")],
    ),
    ("InternalError", 500, "An unexpected error; quote the request id when reporting it", &[]),
    (
        "Unavailable",
        503,
        "The database is busy or unreachable, the request took too long, or a capability is not installed",
        &[("Retry-After", "Seconds to wait before retrying")],
    ),
];

/// Adds the shared problem responses to the document's components and to
/// every operation that can give them, and marks every problem response
/// `application/problem+json`.
pub fn declare_problems(doc: &mut Value) {
    let components = doc
        .as_object_mut()
        .map(|d| d.entry("components").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut);
    if let Some(c) = components {
        let responses = c.entry("responses").or_insert_with(|| json!({}));
        if let Some(r) = responses.as_object_mut() {
            for (name, _, description, headers) in SHARED {
                r.insert((*name).to_string(), shared_response(description, headers));
            }
        }
    }
    let global_security = doc.get("security").cloned();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let api = is_api(path);
        let Some(item) = item.as_object_mut() else { continue };
        let shared_params = item.get("parameters").cloned();
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else { continue };
            let shape =
                Shape::of(op, shared_params.as_ref(), global_security.as_ref(), method, api);
            let responses = op.entry("responses").or_insert_with(|| json!({}));
            let Some(responses) = responses.as_object_mut() else { continue };
            for r in responses.values_mut() {
                problem_media_type(r);
            }
            for (name, status, ..) in SHARED {
                if shape.gives(*status) && !responses.contains_key(&status.to_string()) {
                    responses.insert(
                        status.to_string(),
                        json!({ "$ref": format!("#/components/responses/{name}") }),
                    );
                }
            }
        }
    }
}

/// Adds OpenAPI links from the operations that yield an object's id to the
/// operations on that object: a `POST` on a collection (its `201` body's
/// `id`) and a `GET` listing it (the first item's `id`) link to every
/// operation under `<collection>/{param}` that needs no other unknown
/// parameter. Clients (and Schemathesis' stateful tests) follow them.
pub fn declare_links(doc: &mut Value) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else { return };
    // (path, method, operation id) of every operation.
    let mut ops: Vec<(String, String, String)> = Vec::new();
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete", "patch"] {
            if let Some(id) = item.get(method).and_then(|o| o["operationId"].as_str()) {
                ops.push((path.clone(), method.to_string(), id.to_string()));
            }
        }
    }
    let params = |path: &str| -> Vec<String> {
        path.split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect()
    };
    let mut links: Vec<(String, String, String, String, Value)> = Vec::new();
    for (path, _, _) in &ops {
        // `<collection>/{param}` is an object of the collection.
        let Some((collection, last)) = path.rsplit_once('/') else { continue };
        let Some(param) = last.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        let known = params(collection);
        let targets: Vec<&(String, String, String)> = ops
            .iter()
            .filter(|(p, _, _)| p == path || p.starts_with(&format!("{path}/")))
            .filter(|(p, _, _)| params(p).iter().all(|x| x == param || known.contains(x)))
            .collect();
        for (source_path, method, _) in ops.iter().filter(|(p, _, _)| p == collection) {
            let (status, pointer) = match method.as_str() {
                "post" => ("201", "$response.body#/id"),
                // A plain array, or a page of `items`.
                "get" if lists_array(&paths[source_path.as_str()]["get"]) => {
                    ("200", "$response.body#/0/id")
                }
                "get" => ("200", "$response.body#/items/0/id"),
                _ => continue,
            };
            for (_, _, target) in &targets {
                let mut parameters = Map::new();
                parameters.insert(param.to_string(), json!(pointer));
                for k in &known {
                    parameters.insert(k.clone(), json!(format!("$request.path.{k}")));
                }
                let link = json!({ "operationId": target, "parameters": parameters });
                links.push((
                    source_path.clone(),
                    method.clone(),
                    status.to_string(),
                    target.clone(),
                    link,
                ));
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, method, status, name, link) in links {
        let Some(response) = paths
            .get_mut(&path)
            .and_then(|i| i.get_mut(&method))
            .and_then(|o| o.get_mut("responses"))
            .and_then(|r| r.get_mut(&status))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if response.contains_key("$ref") {
            continue;
        }
        let entry = response.entry("links").or_insert_with(|| json!({}));
        if let Some(l) = entry.as_object_mut() {
            l.insert(name, link);
        }
    }
}

/// Whether an operation's 200 body is a JSON array.
fn lists_array(op: &Value) -> bool {
    op["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
}

/// Says of every free-text string schema that it holds no NUL character:
/// the extractors refuse one (PostgreSQL text cannot store it).
pub fn forbid_nul(doc: &mut Value) {
    match doc {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let constrained = ["pattern", "enum", "const"].iter().any(|k| map.contains_key(*k))
                || map.get("format").is_some_and(|f| f != "password");
            if is_string && !constrained {
                map.insert("pattern".into(), Value::String(NO_NUL.into()));
            }
            for (k, v) in map.iter_mut() {
                // Examples and defaults are values, not schemas.
                if !matches!(k.as_str(), "example" | "examples" | "default" | "enum") {
                    forbid_nul(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_nul),
        _ => {}
    }
}

/// A header cannot carry `null`: an optional header's schema is its
/// value's, and `required: false` says it may be absent.
pub fn headers_are_never_null(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for ops in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in ops.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for p in params.iter_mut().filter(|p| p["in"] == "header") {
                let Some(variants) = p["schema"]["oneOf"].as_array() else { continue };
                let values: Vec<&Value> = variants
                    .iter()
                    .filter(|v| v.get("type") != Some(&Value::from("null")))
                    .collect();
                if values.len() == 1 && values.len() < variants.len() {
                    p["schema"] = values[0].clone();
                }
            }
        }
    }
}

/// The pattern of a string without NUL characters.
pub const NO_NUL: &str = "^[^\\x00]*$";

fn shared_response(description: &str, headers: &[(&str, &str)]) -> Value {
    let mut r = json!({
        "description": description,
        "content": { PROBLEM_JSON: { "schema": { "$ref": PROBLEM_REF } } },
    });
    if !headers.is_empty() {
        let h: Map<String, Value> = headers
            .iter()
            .map(|(name, d)| {
                let schema = if *name == "Retry-After" {
                    json!({ "type": "integer", "minimum": 0 })
                } else {
                    json!({ "type": "string" })
                };
                ((*name).to_string(), json!({ "description": d, "schema": schema }))
            })
            .collect();
        r["headers"] = Value::Object(h);
    }
    r
}

/// The query parameters each operation of the document declares, so a
/// request naming any other is refused (400 `invalid_parameter`) instead
/// of a typo being silently ignored.
#[derive(Debug, Default)]
pub struct QueryParams {
    /// `(METHOD, path template)` → the declared parameters.
    declared: HashMap<(String, String), Vec<QueryParam>>,
}

/// A declared query parameter and the length its schema allows.
#[derive(Debug, Clone)]
struct QueryParam {
    name: String,
    min_length: Option<usize>,
    max_length: Option<usize>,
}

impl QueryParams {
    /// Reads the declarations of `doc`.
    pub fn of(doc: &Value) -> Self {
        let mut declared = HashMap::new();
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            return Self { declared };
        };
        for (path, item) in paths {
            let names = |v: Option<&Value>| -> Vec<QueryParam> {
                let len = |p: &Value, k: &str| p["schema"][k].as_u64().map(|n| n as usize);
                v.and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| {
                        Some(QueryParam {
                            name: p["name"].as_str()?.to_string(),
                            min_length: len(p, "minLength"),
                            max_length: len(p, "maxLength"),
                        })
                    })
                    .collect()
            };
            let shared = names(item.get("parameters"));
            for method in ["get", "put", "post", "delete", "patch"] {
                let Some(op) = item.get(method) else { continue };
                let mut all = shared.clone();
                all.extend(names(op.get("parameters")));
                declared.insert((method.to_ascii_uppercase(), path.clone()), all);
            }
        }
        Self { declared }
    }

    /// Checks a request's query string against its operation's
    /// declaration: only declared names, within their declared lengths;
    /// routes the document does not describe are not checked. No value may
    /// hold a NUL character (PostgreSQL text cannot).
    pub fn check(&self, method: &str, route: &str, query: &str) -> Result<(), ApiError> {
        let Some(params) = self.declared.get(&(method.to_string(), route.to_string())) else {
            return Ok(());
        };
        let refuse =
            |k: &str, why: String| crate::extract::invalid_parameter(FieldError::new(k, why));
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let Some(p) = params.iter().find(|p| p.name == k) else {
                return Err(refuse(&k, "is not a parameter of this operation".into()));
            };
            if v.contains('\0') {
                return Err(refuse(&k, "must not contain NUL characters".into()));
            }
            let len = v.chars().count();
            if let Some(max) = p.max_length.filter(|m| len > *m) {
                return Err(refuse(&k, format!("must be at most {max} characters")));
            }
            if let Some(min) = p.min_length.filter(|m| len < *m) {
                return Err(refuse(&k, format!("must be at least {min} characters")));
            }
        }
        Ok(())
    }
}

/// Route middleware: refuses query parameters the operation does not
/// declare (see [`QueryParams`]).
pub async fn check_query(
    State(params): State<Arc<QueryParams>>,
    req: Request,
    next: Next,
) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    if let (Some(route), Some(query)) = (route, req.uri().query())
        && let Err(e) = params.check(req.method().as_str(), &route, query)
    {
        return e.into_response();
    }
    next.run(req).await
}

/// A response whose body is a problem document is `application/problem+json`.
fn problem_media_type(r: &mut Value) {
    let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) else { return };
    let is_problem = |v: &Value| v["schema"]["$ref"].as_str() == Some(PROBLEM_REF);
    if let Some(v) = content.get("application/json").cloned()
        && is_problem(&v)
    {
        content.remove("application/json");
        content.insert(PROBLEM_JSON.to_string(), v);
    }
}

/// What an operation's declaration says it takes.
struct Shape {
    body: bool,
    query: bool,
    header: bool,
    path: bool,
    api: bool,
    scoped: bool,
    post: bool,
}

impl Shape {
    fn of(
        op: &Map<String, Value>,
        shared_params: Option<&Value>,
        global_security: Option<&Value>,
        method: &str,
        api: bool,
    ) -> Shape {
        let params: Vec<&Value> = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(shared_params.and_then(Value::as_array).into_iter().flatten())
            .collect();
        let located = |at: &str| params.iter().any(|p| p["in"] == at);
        let security = op.get("security").or(global_security);
        let requirements: Vec<&Map<String, Value>> = security
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .collect();
        let secured = requirements.iter().any(|r| !r.is_empty());
        let scoped = requirements
            .iter()
            .any(|r| r.values().any(|s| s.as_array().is_some_and(|a| !a.is_empty())));
        let body = op
            .get("requestBody")
            .and_then(|b| b.get("content"))
            .and_then(Value::as_object)
            .is_some_and(|c| c.keys().any(|k| k.contains("json")));
        Shape {
            body,
            query: located("query"),
            header: located("header"),
            path: located("path"),
            api: api || secured,
            scoped,
            post: method == "post",
        }
    }

    fn gives(&self, status: u16) -> bool {
        match status {
            400 => self.body || self.query || self.header || self.path,
            401 | 429 => self.api,
            403 => self.scoped,
            404 => self.path,
            409 => self.post,
            413 | 415 | 422 => self.body,
            500 | 503 => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_get_the_problems_their_shape_implies() {
        let mut doc = json!({
            "paths": {
                "/api/v1/things/{id}": {
                    "patch": {
                        "parameters": [{ "name": "id", "in": "path", "required": true }],
                        "requestBody": { "content": { "application/json": {} } },
                        "security": [{ "bearer": ["things:write"] }],
                        "responses": {
                            "200": { "description": "ok" },
                            "409": { "description": "taken", "content": { "application/json": { "schema": { "$ref": PROBLEM_REF } } } }
                        }
                    }
                },
                "/api/v1/auth/login": { "post": { "responses": { "200": { "description": "in" } } } },
                "/healthz": { "get": { "responses": { "200": { "description": "up" } } } }
            }
        });
        declare_problems(&mut doc);
        let r = &doc["paths"]["/api/v1/things/{id}"]["patch"]["responses"];
        for s in ["400", "401", "403", "404", "413", "415", "422", "429", "500", "503"] {
            assert!(r.get(s).is_some(), "{s} missing: {r}");
        }
        assert!(r["409"]["content"][PROBLEM_JSON].is_object(), "{r}");
        let login = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"];
        assert!(login.get("401").is_some() && login.get("429").is_some(), "{login}");
        assert!(login.get("403").is_none(), "{login}");
        let h = &doc["paths"]["/healthz"]["get"]["responses"];
        assert!(
            h.get("401").is_none()
                && h.get("429").is_none()
                && h.get("404").is_none()
                && h.get("503").is_some(),
            "{h}"
        );
        assert!(
            doc["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"].is_object()
        );
    }

    #[test]
    fn creations_and_lists_link_to_their_objects() {
        let op = |id: &str| json!({ "operationId": id, "responses": { "200": { "description": "ok" }, "201": { "description": "made" } } });
        let mut doc = json!({ "paths": {
            "/api/v1/hooks": { "get": op("list_hooks"), "post": op("create_hook") },
            "/api/v1/hooks/{id}": { "get": op("get_hook") },
            "/api/v1/hooks/{id}/deliveries": { "get": op("list_deliveries") },
            "/api/v1/hooks/{id}/deliveries/{delivery_id}": { "get": op("get_delivery") },
        } });
        declare_links(&mut doc);
        let p = &doc["paths"];
        let made = &p["/api/v1/hooks"]["post"]["responses"]["201"]["links"];
        assert_eq!(made["get_hook"]["parameters"]["id"], "$response.body#/id");
        assert!(made["list_deliveries"].is_object());
        assert!(made.get("get_delivery").is_none(), "needs a delivery id");
        let listed = &p["/api/v1/hooks"]["get"]["responses"]["200"]["links"];
        assert_eq!(listed["get_hook"]["parameters"]["id"], "$response.body#/items/0/id");
        let d =
            &p["/api/v1/hooks/{id}/deliveries"]["get"]["responses"]["200"]["links"]["get_delivery"];
        assert_eq!(d["parameters"]["delivery_id"], "$response.body#/items/0/id");
        assert_eq!(d["parameters"]["id"], "$request.path.id");
    }

    #[test]
    fn only_declared_query_parameters_are_accepted() {
        let doc = json!({ "paths": { "/api/v1/things": { "get": { "parameters": [
            { "name": "limit", "in": "query" }, { "name": "id", "in": "header" },
            { "name": "q", "in": "query", "schema": { "type": "string", "maxLength": 3 } }
        ] } } } });
        let q = QueryParams::of(&doc);
        assert!(q.check("GET", "/api/v1/things", "limit=5").is_ok());
        let e = q.check("GET", "/api/v1/things", "limit=5&lmit=6").unwrap_err();
        assert_eq!((e.status().as_u16(), e.code()), (400, "invalid_parameter"));
        assert!(format!("{:?}", e.to_problem().errors).contains("lmit"));
        assert!(q.check("GET", "/api/v1/things", "id=1").is_err(), "a header is not a query");
        assert!(q.check("GET", "/api/v1/things", "limit=%00").is_err(), "NUL");
        assert!(q.check("GET", "/api/v1/things", "q=abc").is_ok());
        assert!(q.check("GET", "/api/v1/things", "q=abcd").is_err(), "too long");
        assert!(q.check("POST", "/api/v1/things", "anything=1").is_ok(), "undocumented");
        assert!(q.check("GET", "/elsewhere", "x=1").is_ok());
    }
}
