//! Tenant isolation, checked three ways, none of which needs editing when
//! a domain or a route is added.
//!
//! 1. In the database, for every table with a `tenant_id` column (found in
//!    the catalog): row-level security is forced, keys include the tenant,
//!    and the application role sees, changes and inserts only the current
//!    tenant's rows — none at all without a tenant. The rows come from the
//!    domains' own isolation fixtures, which must fill every table.
//! 2. Privileged functions: every `SECURITY DEFINER` function is listed
//!    with its reason, and the role serving requests can run none of them.
//! 3. Over HTTP, from the OpenAPI document: tenant A calls every operation
//!    that names an object with tenant B's ids and gets 404; no list shows
//!    B's data.

use std::sync::Arc;

use kernel::domain::Fixture;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use testkit::TestApp;

/// A tenant filled by every domain's fixture, in the order of the list.
async fn tenant(app: &TestApp, name: &str) -> Arc<Fixture> {
    let fx = Arc::new(Fixture::new(app.fixture_client(), name));
    for d in server::domains() {
        if let Some(f) = d.fixture() {
            f(fx.clone()).await;
        }
    }
    assert!(!fx.owner().is_empty(), "no domain's fixture signed the tenant up");
    fx
}

async fn tenant_tables(conn: &mut PgConnection) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
          WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn every_tenant_table_is_isolated_by_the_database() {
    let app = TestApp::builder().background().build().await;
    let a = tenant(&app, "alpha").await;
    let b = tenant(&app, "beta").await;
    let (a_id, b_id) = (a.tenant_id(), b.tenant_id());
    let mut su = app.db.superuser().await;
    let tables = tenant_tables(&mut su).await;
    assert!(tables.len() >= 10, "{tables:?}");

    let mut app_conn = app.db.app().await;
    for t in &tables {
        let sql = |s: String| sqlx::AssertSqlSafe(s);
        // The fixtures must give every table rows of both tenants.
        for tenant in [&a_id, &b_id] {
            let (n,): (i64,) =
                sqlx::query_as(sql(format!("SELECT count(*) FROM {t} WHERE tenant_id = $1::uuid")))
                    .bind(tenant)
                    .fetch_one(&mut su)
                    .await
                    .unwrap();
            assert!(
                n > 0,
                "table {t} has no rows for tenant {tenant}: extend the isolation fixture of the \
                 domain that owns it (Domain::isolation)"
            );
        }

        // No tenant set: nothing visible.
        let mut tx = app_conn.begin().await.unwrap();
        let (n,): (i64,) = sqlx::query_as(sql(format!("SELECT count(*) FROM {t}")))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(n, 0, "{t}: rows visible without a tenant");
        tx.rollback().await.unwrap();

        // Tenant A set: only A's rows.
        let mut tx = app_conn.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(&a_id)
            .execute(&mut *tx)
            .await
            .unwrap();
        let (mine, theirs): (i64, i64) = sqlx::query_as(sql(format!(
            "SELECT count(*) FILTER (WHERE tenant_id = $1::uuid), count(*) FILTER (WHERE tenant_id <> $1::uuid) FROM {t}"
        )))
        .bind(&a_id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(mine > 0, "{t}: A cannot see its own rows");
        assert_eq!(theirs, 0, "{t}: A sees another tenant's rows");
        tx.rollback().await.unwrap();

        // A cannot insert a row of B, change B's rows, or move its rows to B.
        let (row,): (Value,) = sqlx::query_as(sql(format!(
            "SELECT to_jsonb(x) FROM {t} x WHERE tenant_id = $1::uuid LIMIT 1"
        )))
        .bind(&b_id)
        .fetch_one(&mut su)
        .await
        .unwrap();
        // Every column but the generated ones, which cannot be written.
        let (cols,): (String,) = sqlx::query_as(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
        )
        .bind(t)
        .fetch_one(&mut su)
        .await
        .unwrap();
        for (what, stmt) in [
            (
                "insert B's row",
                format!(
                    "INSERT INTO {t} ({cols}) SELECT {cols} FROM jsonb_populate_record(NULL::{t}, $2::jsonb)"
                ),
            ),
            (
                "move A's rows to B",
                format!(
                    "UPDATE {t} SET tenant_id = (($2::jsonb)->>'tenant_id')::uuid WHERE tenant_id = $1::uuid"
                ),
            ),
        ] {
            let mut tx = app_conn.begin().await.unwrap();
            sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
                .bind(&a_id)
                .execute(&mut *tx)
                .await
                .unwrap();
            let r = sqlx::query(sql(stmt)).bind(&a_id).bind(&row).execute(&mut *tx).await;
            match r {
                Err(sqlx::Error::Database(e)) => {
                    assert_eq!(e.code().as_deref(), Some("42501"), "{t}: {what}: {e}");
                }
                other => panic!("{t}: {what} was not refused: {other:?}"),
            }
            tx.rollback().await.unwrap();
        }
        let mut tx = app_conn.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(&a_id)
            .execute(&mut *tx)
            .await
            .unwrap();
        match sqlx::query(sql(format!("DELETE FROM {t} WHERE tenant_id = $1::uuid")))
            .bind(&b_id)
            .execute(&mut *tx)
            .await
        {
            Ok(r) => assert_eq!(r.rows_affected(), 0, "{t}: A deleted B's rows"),
            Err(sqlx::Error::Database(e)) => {
                assert_eq!(e.code().as_deref(), Some("42501"), "{t}: {e}")
            }
            Err(e) => panic!("{t}: {e}"),
        }
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn tenant_tables_follow_the_rules() {
    let app = TestApp::spawn().await;
    let mut su = app.db.superuser().await;
    let tables = tenant_tables(&mut su).await;
    let mut problems = Vec::new();
    for t in &tables {
        let (rls, forced): (bool, bool) = sqlx::query_as(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass",
        )
        .bind(t)
        .fetch_one(&mut su)
        .await
        .unwrap();
        if !rls || !forced {
            problems.push(format!("{t}: row-level security must be enabled and forced"));
        }
        let (policies,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_policies WHERE schemaname = 'public' AND tablename = $1
               AND qual LIKE '%app.tenant_id%' AND (with_check IS NULL OR with_check LIKE '%app.tenant_id%')",
        )
        .bind(t)
        .fetch_one(&mut su)
        .await
        .unwrap();
        if policies == 0 {
            problems.push(format!("{t}: no policy on app.tenant_id (call enable_tenant_rls)"));
        }
        // Every unique index (the primary key included) contains tenant_id.
        let keys: Vec<(String, bool, bool)> = sqlx::query_as(
            "SELECT ic.relname::text, i.indisprimary,
                    EXISTS (SELECT 1 FROM unnest(i.indkey) k
                              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k
                             WHERE a.attname = 'tenant_id')
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              WHERE i.indrelid = $1::regclass AND i.indisunique",
        )
        .bind(t)
        .fetch_all(&mut su)
        .await
        .unwrap();
        if !keys.iter().any(|k| k.1) {
            problems.push(format!("{t}: no primary key"));
        }
        for (name, _, has_tenant) in &keys {
            if !has_tenant {
                problems.push(format!("{t}: unique key {name} lacks tenant_id"));
            }
        }
        // Foreign keys to other tenant tables are composite with tenant_id.
        let fks: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT c.conname::text, c.confrelid::regclass::text,
                    EXISTS (SELECT 1 FROM unnest(c.conkey, c.confkey) AS k(l, r)
                              JOIN pg_attribute la ON la.attrelid = c.conrelid AND la.attnum = k.l
                              JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.r
                             WHERE la.attname = 'tenant_id' AND ra.attname = 'tenant_id')
               FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype = 'f'",
        )
        .bind(t)
        .fetch_all(&mut su)
        .await
        .unwrap();
        for (name, target, composite) in fks {
            if tables.contains(&target) && !composite {
                problems
                    .push(format!("{t}: foreign key {name} to {target} must include tenant_id"));
            }
        }
    }
    // The application role: not superuser, not BYPASSRLS, owns nothing,
    // and cannot reach partitions directly.
    let (sup, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'tessera_app'")
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert!(!sup && !bypass, "tessera_app must be neither superuser nor BYPASSRLS");
    let (owned,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = 'tessera_app'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(owned, 0, "tessera_app owns tables");
    let reachable: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relispartition AND c.relkind = 'r'
            AND has_table_privilege('tessera_app', c.oid, 'SELECT')",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert!(reachable.is_empty(), "partitions readable by tessera_app: {reachable:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A `SECURITY DEFINER` function: name, listed role, listed reason, and
/// whether the application and the worker role may execute it.
type Definer = (String, Option<String>, Option<String>, bool, bool);

#[tokio::test]
async fn the_role_serving_requests_cannot_run_privileged_functions() {
    let app = TestApp::spawn().await;
    let mut su = app.db.superuser().await;
    // Every SECURITY DEFINER function of the schema, and who may run it.
    let definers: Vec<Definer> = sqlx::query_as(
        "SELECT p.proname::text, f.role, f.reason,
                has_function_privilege('tessera_app', p.oid, 'EXECUTE'),
                has_function_privilege('tessera_worker', p.oid, 'EXECUTE')
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           LEFT JOIN privileged_functions f ON f.name = p.proname
          WHERE n.nspname = 'public' AND p.prosecdef
          ORDER BY 1",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert!(definers.len() >= 10, "{definers:?}");
    let mut problems = Vec::new();
    for (name, role, reason, app_may, worker_may) in &definers {
        match (role.as_deref(), reason) {
            (Some(r), Some(why)) if !why.is_empty() => {
                if *app_may {
                    problems.push(format!("tessera_app can run {name} ({why})"));
                }
                if r == "worker" && !worker_may {
                    problems.push(format!("tessera_worker cannot run {name}"));
                }
            }
            _ => problems.push(format!(
                "SECURITY DEFINER function {name} is not listed in privileged_functions with its reason"
            )),
        }
    }
    // The owner-only maintenance functions are out of the application's reach too.
    let listed: Vec<(String, bool)> = sqlx::query_as(
        "SELECT f.name, has_function_privilege('tessera_app', p.oid, 'EXECUTE')
           FROM privileged_functions f JOIN pg_proc p ON p.proname = f.name",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    for (name, app_may) in listed {
        if app_may {
            problems.push(format!("tessera_app can run {name}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // And concretely: inside a tenant's transaction the application role
    // cannot read the pending events of every tenant or claim their jobs.
    let a = tenant(&app, "alpha").await;
    let mut conn = app.db.app().await;
    for stmt in [
        "SELECT * FROM events_pending(1000)",
        "SELECT * FROM jobs_claim('default', 10, 'x', 1000)",
        "SELECT jobs_reap()",
        "SELECT webhook_deliveries_settle()",
    ] {
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(a.tenant_id())
            .execute(&mut *tx)
            .await
            .unwrap();
        match sqlx::query(stmt).execute(&mut *tx).await {
            Err(sqlx::Error::Database(e)) => {
                assert_eq!(e.code().as_deref(), Some("42501"), "{stmt}: {e}")
            }
            other => panic!("{stmt} was not refused to the application role: {other:?}"),
        }
        tx.rollback().await.unwrap();
    }
    // The workers' role runs them.
    let mut worker = app.db.worker().await;
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events_pending(1000)")
        .fetch_one(&mut worker)
        .await
        .unwrap();
    assert!(n > 0, "the fixtures left events");
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Fills a path's `{…}` placeholders with a tenant's objects: each one by
/// the object named at the path up to and including it.
fn fill(path: &str, objects: &[(String, String)]) -> Result<String, String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        if seg.starts_with('{') {
            let prefix = segments[..=i].join("/");
            match objects.iter().find(|(t, _)| *t == prefix) {
                Some((_, id)) => out.push(id.clone()),
                None => return Err(prefix),
            }
        } else {
            out.push((*seg).to_string());
        }
    }
    Ok(out.join("/"))
}

/// A query string with every required parameter, and one variant per
/// value of each enum or boolean parameter.
fn query_variants(op: &Value, doc: &Value) -> Vec<String> {
    let params: Vec<&Value> =
        op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query").collect();
    let value_of = |schema: &Value| -> Vec<String> {
        let schema = resolve(schema, doc);
        let schema = schema
            .get("oneOf")
            .and_then(|o| o.as_array())
            .and_then(|o| o.iter().find(|s| s["type"] != "null"))
            .map(|s| resolve(s, doc))
            .unwrap_or(schema);
        if let Some(e) = schema["enum"].as_array() {
            return e.iter().filter_map(Value::as_str).map(str::to_string).collect();
        }
        match schema["type"].as_str() {
            Some("boolean") => vec!["true".into(), "false".into()],
            _ => Vec::new(),
        }
    };
    let required: Vec<String> = params
        .iter()
        .filter(|p| p["required"] == true)
        .map(|p| {
            let v = p["example"]
                .as_str()
                .map(str::to_string)
                .or_else(|| value_of(&p["schema"]).into_iter().next())
                .unwrap_or_else(|| "1".into());
            format!("{}={v}", p["name"].as_str().unwrap())
        })
        .collect();
    let base = required.join("&");
    let mut out = vec![base.clone()];
    for p in params.iter().filter(|p| p["required"] != true) {
        for v in value_of(&p["schema"]) {
            let q = format!("{}={v}", p["name"].as_str().unwrap());
            out.push(if base.is_empty() { q } else { format!("{base}&{q}") });
        }
    }
    // Lists show their longest page.
    if params.iter().any(|p| p["name"] == "limit") {
        for q in out.iter_mut() {
            q.push_str(if q.is_empty() { "limit=200" } else { "&limit=200" });
        }
    }
    out
}

fn resolve<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

#[tokio::test]
async fn no_operation_reaches_another_tenants_data() {
    let app = TestApp::builder().background().build().await;
    let a = tenant(&app, "alpha").await;
    let b = tenant(&app, "beta").await;
    let doc = server::openapi();
    let (a_objects, b_objects) = (a.objects(), b.objects());
    let mut by_id = 0;
    let mut lists = 0;
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let operation = format!("{} {path}", method.to_uppercase());
            // Public operations name their company by a channel's public key
            // and prove it by a signature or a visitor's session, not by the
            // caller's token (the concierge's tests send one company's
            // signatures and sessions to another's keys); live streams do
            // not end.
            let public =
                op.get("security").is_none_or(|s| s.as_array().is_some_and(|a| a.is_empty()));
            let streams = op["responses"]["200"]["content"].get("text/event-stream").is_some();
            if (public && path.contains('{')) || streams {
                continue;
            }
            if path.contains('{') {
                // An operation on one object: B's object is not found.
                let target = match fill(path, &b_objects) {
                    Ok(p) => p,
                    Err(prefix) => {
                        problems.push(format!(
                            "{operation}: no fixture object for `{prefix}`: the owning domain's \
                             isolation fixture must name one with Fixture::object"
                        ));
                        continue;
                    }
                };
                let body = op.get("requestBody").map(|_| {
                    b.body_for(&operation).or_else(|| a.body_for(&operation)).unwrap_or(json!({}))
                });
                let (status, v) =
                    a.request(&method.to_uppercase(), &target, Some(&a.owner()), body).await;
                if status != 404 || v["code"] != "not_found" {
                    problems.push(format!(
                        "{operation} with B's ids answered {status}: {v} (expected 404 not_found; \
                         give a valid body with Fixture::body if the body was refused first)"
                    ));
                }
                by_id += 1;
                // The same object of A's own is found (the ids and bodies
                // are right), for reads.
                if method == "get" {
                    let own = fill(path, &a_objects).unwrap();
                    let (status, v) = a.request("GET", &own, Some(&a.owner()), None).await;
                    if !(200..300).contains(&status) {
                        problems
                            .push(format!("{operation} with A's own ids answered {status}: {v}"));
                    }
                }
            } else if method == "get" {
                // A list or a view of the caller's company: none of B's data.
                for q in query_variants(op, &doc) {
                    let url = if q.is_empty() { path.clone() } else { format!("{path}?{q}") };
                    let (status, v) = a.request("GET", &url, Some(&a.owner()), None).await;
                    if !(200..300).contains(&status) {
                        problems.push(format!("GET {url} answered {status}: {v}"));
                        continue;
                    }
                    let text = v.to_string();
                    for mark in b.marks() {
                        if text.contains(&mark) {
                            problems.push(format!("GET {url} shows B's `{mark}`"));
                        }
                    }
                    lists += 1;
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("swept {by_id} by-id operations and {lists} lists");
    assert!(by_id >= 20 && lists >= 15, "swept {by_id} by-id operations and {lists} lists");

    // B's objects are untouched by A's attempts (read back where the
    // template is itself a readable path, not only a prefix of others).
    for (template, id) in &b_objects {
        if doc["paths"][template.as_str()]["get"].is_null() {
            continue;
        }
        let (status, v) =
            b.request("GET", &template_path(template, &b_objects), Some(&b.owner()), None).await;
        assert!((200..300).contains(&status) || status == 405, "{template} ({id}): {status} {v}");
    }
    let (_, keys) = b.request("GET", "/api/v1/api-keys", Some(&b.owner()), None).await;
    assert!(keys["items"][0]["revoked_at"].is_null(), "{keys}");
    let (_, user) = b
        .request("GET", &fill("/api/v1/users/{id}", &b_objects).unwrap(), Some(&b.owner()), None)
        .await;
    assert_eq!(user["status"], "active");

    // The tenant comes from the token, never from the request.
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&a.owner())
        .json(&json!({ "tenant_id": b.tenant_id(), "name": "x" }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "tenant_id");
    // Idempotency keys are per tenant: B replaying A's key runs B's request.
    let r = app
        .post("/api/v1/roles")
        .bearer(&b.owner())
        .header("idempotency-key", "alpha-once")
        .json(&json!({ "name": "alpha once", "permissions": ["tenant:read"] }))
        .send()
        .await;
    r.assert_status(201);
    assert_eq!(r.header("idempotent-replayed"), None);
}

/// The path of an object's own template, filled.
fn template_path(template: &str, objects: &[(String, String)]) -> String {
    fill(template, objects).unwrap()
}
