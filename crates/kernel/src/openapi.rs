//! Making the OpenAPI document tell the truth about errors.
//!
//! Handlers declare their successes and the problems particular to them
//! (a 409 on a duplicate, a 404 on a lookup by slug). What the platform
//! itself can answer on any operation is added here from the operation's
//! shape, so no operation forgets it: a malformed body (400, 413, 415,
//! 422) when it takes one, a bad query parameter (400), an unknown id
//! (400, 404) when it has path parameters, missing credentials and rate
//! limits (401, 429) when it is secured, a missing permission (403) when
//! its security requirement names one, an `Idempotency-Key` conflict
//! (409) on POSTs, and 500/503 everywhere. Every problem response is
//! `application/problem+json` with the [`Problem`](crate::error::Problem)
//! schema.

use serde_json::{Map, Value, json};

use crate::error::PROBLEM_JSON;

const PROBLEM_REF: &str = "#/components/schemas/Problem";

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
    for (_, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        let shared_params = item.get("parameters").cloned();
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else { continue };
            let shape = Shape::of(op, shared_params.as_ref(), global_security.as_ref(), method);
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
    path: bool,
    secured: bool,
    scoped: bool,
    post: bool,
}

impl Shape {
    fn of(
        op: &Map<String, Value>,
        shared_params: Option<&Value>,
        global_security: Option<&Value>,
        method: &str,
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
            path: located("path"),
            secured,
            scoped,
            post: method == "post",
        }
    }

    fn gives(&self, status: u16) -> bool {
        match status {
            400 => self.body || self.query || self.path,
            401 | 429 => self.secured,
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
                "/healthz": { "get": { "responses": { "200": { "description": "up" } } } }
            }
        });
        declare_problems(&mut doc);
        let r = &doc["paths"]["/api/v1/things/{id}"]["patch"]["responses"];
        for s in ["400", "401", "403", "404", "413", "415", "422", "429", "500", "503"] {
            assert!(r.get(s).is_some(), "{s} missing: {r}");
        }
        assert!(r["409"]["content"][PROBLEM_JSON].is_object(), "{r}");
        let h = &doc["paths"]["/healthz"]["get"]["responses"];
        assert!(h.get("401").is_none() && h.get("404").is_none() && h.get("503").is_some(), "{h}");
        assert!(
            doc["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"].is_object()
        );
    }
}
