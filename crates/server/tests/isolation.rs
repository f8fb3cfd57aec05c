//! Tenant isolation, checked two ways.
//!
//! 1. In the database, for every table with a `tenant_id` column (found in
//!    the catalog, so new tables are covered without editing this file):
//!    row-level security is forced, keys include the tenant, and the
//!    application role sees, changes and inserts only the current tenant's
//!    rows — none at all without a tenant.
//! 2. Over HTTP: tenant A calls every endpoint with tenant B's ids and
//!    gets 404; no list shows B's data.
//!
//! Adding a domain: create its objects in [`fixture`] (so every new table
//! has rows for both tenants — the catalog test insists), then add one
//! line per endpoint to [`BY_ID`] or [`LISTS`].
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use testkit::TestApp;

const PASSWORD: &str = "velvet-orbit-canyon-42";

/// Endpoints that name one object: `{kind}` is replaced by the other
/// tenant's object of that kind.
const BY_ID: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v1/users/{user}", None),
    ("PATCH", "/api/v1/users/{user}", Some(r#"{"roles":["member"]}"#)),
    ("POST", "/api/v1/users/{user}/deactivate", None),
    ("POST", "/api/v1/users/{user}/reactivate", None),
    ("GET", "/api/v1/roles/{role}", None),
    ("PATCH", "/api/v1/roles/{role}", Some(r#"{"name":"Taken over"}"#)),
    ("DELETE", "/api/v1/roles/{role}", None),
    ("DELETE", "/api/v1/invitations/{invitation}", None),
    ("DELETE", "/api/v1/api-keys/{api_key}", None),
    ("GET", "/api/v1/jobs/{job}", None),
    ("POST", "/api/v1/jobs/{job}/retry", None),
    ("POST", "/api/v1/jobs/{job}/cancel", None),
    ("GET", "/api/v1/webhooks/{webhook}", None),
    ("PATCH", "/api/v1/webhooks/{webhook}", Some(r#"{"active":false}"#)),
    ("DELETE", "/api/v1/webhooks/{webhook}", None),
    ("POST", "/api/v1/webhooks/{webhook}/rotate-secret", None),
    ("POST", "/api/v1/webhooks/{webhook}/ping", None),
    ("GET", "/api/v1/webhooks/{webhook}/deliveries", None),
    ("GET", "/api/v1/webhooks/{webhook}/deliveries/{delivery}", None),
    ("POST", "/api/v1/webhooks/{webhook}/deliveries/{delivery}/resend", None),
    ("GET", "/api/v1/ai/providers/{ai_provider}", None),
    ("PATCH", "/api/v1/ai/providers/{ai_provider}", Some(r#"{"priority":1}"#)),
    ("DELETE", "/api/v1/ai/providers/{ai_provider}", None),
];

/// Endpoints that list or show the caller's tenant's data.
const LISTS: &[&str] = &[
    "/api/v1/users",
    "/api/v1/users?status=deactivated",
    "/api/v1/roles",
    "/api/v1/invitations",
    "/api/v1/api-keys?include_revoked=true",
    "/api/v1/audit?limit=200",
    "/api/v1/me",
    "/api/v1/tenant",
    "/api/v1/permissions",
    "/api/v1/jobs",
    "/api/v1/webhooks",
    "/api/v1/events",
    "/api/v1/ai/providers",
    "/api/v1/ai/policy",
    "/api/v1/ai/usage?group_by=provider",
    "/v1/models",
];

/// One tenant's objects.
struct Tenant {
    id: String,
    owner: String,
    ids: HashMap<&'static str, String>,
    /// Strings that identify this tenant's data in any response.
    marks: Vec<String>,
}

async fn post(app: &TestApp, token: Option<&str>, path: &str, body: Value) -> Value {
    let mut r = app.post(path).json(&body);
    if let Some(t) = token {
        r = r.bearer(t);
    }
    let resp = r.send().await;
    assert!(resp.status().is_success(), "{path}: {}", resp.text());
    resp.json()
}

/// A tenant with at least one row in every tenant table.
async fn fixture(app: &TestApp, name: &str) -> Tenant {
    let owner_email = format!("owner@{name}.example");
    let s = post(
        app,
        None,
        "/api/v1/auth/signup",
        json!({ "company_name": name, "email": owner_email, "password": PASSWORD }),
    )
    .await;
    let owner = s["access_token"].as_str().unwrap().to_string();
    let member_email = format!("member@{name}.example");
    post(
        app,
        Some(&owner),
        "/api/v1/invitations",
        json!({ "email": member_email, "roles": ["member"] }),
    )
    .await;
    let mail = app.mailer().last_to(&member_email).unwrap();
    let token = mail.body.split_whitespace().find(|w| w.starts_with("tsi_")).unwrap().to_string();
    let member = post(
        app,
        None,
        "/api/v1/auth/invitations/accept",
        json!({ "token": token, "name": format!("Member of {name}"), "password": PASSWORD }),
    )
    .await;
    let role = post(
        app,
        Some(&owner),
        "/api/v1/roles",
        json!({ "name": format!("{name} auditors"), "permissions": ["audit:read"] }),
    )
    .await;
    let pending = format!("pending@{name}.example");
    let inv = post(
        app,
        Some(&owner),
        "/api/v1/invitations",
        json!({ "email": pending, "roles": [role["id"]] }),
    )
    .await;
    let key = post(
        app,
        Some(&owner),
        "/api/v1/api-keys",
        json!({ "name": format!("{name} bot"), "permissions": ["tenant:read"] }),
    )
    .await;
    // An idempotent request leaves a stored response.
    let resp = app
        .post("/api/v1/roles")
        .bearer(&owner)
        .header("idempotency-key", &format!("{name}-once"))
        .json(&json!({ "name": format!("{name} once"), "permissions": ["tenant:read"] }))
        .send()
        .await;
    resp.assert_status(201);
    // A webhook with a delivery (and its job); the invitations above left
    // events in the outbox.
    let hook = post(
        app,
        Some(&owner),
        "/api/v1/webhooks",
        json!({ "url": format!("https://hooks.{name}.example/in"), "event_types": ["*"] }),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap().to_string();
    let delivery =
        post(app, Some(&owner), &format!("/api/v1/webhooks/{hook_id}/ping"), json!({})).await;
    let tenant_id = s["tenant"]["id"].as_str().unwrap().to_string();
    let mut su = app.db.superuser().await;
    let (job,): (uuid::Uuid,) = sqlx::query_as("SELECT id FROM jobs WHERE tenant_id = $1::uuid")
        .bind(&tenant_id)
        .fetch_one(&mut su)
        .await
        .unwrap();
    // An AI provider, a policy routing to it, and a call in the ledger.
    let provider = post(
        app,
        Some(&owner),
        "/api/v1/ai/providers",
        json!({ "name": format!("{name}-llm"), "kind": "openai", "chat_model": format!("{name}-model"), "api_key": "sk-x" }),
    )
    .await;
    let r = app
        .put("/api/v1/ai/policy")
        .bearer(&owner)
        .json(&json!({ "routes": { "chat": [format!("{name}-llm")] } }))
        .send()
        .await;
    r.assert_status(200);
    sqlx::query(
        "INSERT INTO ai_usage (tenant_id, id, caller_type, feature, kind, provider, model, locality, latency_ms, outcome)
         VALUES ($1::uuid, gen_random_uuid(), 'system', 'chat', 'chat', $2, $3, 'cloud', 12, 'ok')",
    )
    .bind(&tenant_id)
    .bind(format!("{name}-llm"))
    .bind(format!("{name}-model"))
    .execute(&mut su)
    .await
    .unwrap();
    // An anchor as audit retention leaves it.
    sqlx::query("INSERT INTO audit_anchors (tenant_id, seq, hash, removed_before) VALUES ($1::uuid, 0, '', now())")
        .bind(&tenant_id)
        .execute(&mut su)
        .await
        .unwrap();
    let ids = HashMap::from([
        ("webhook", hook_id.clone()),
        ("ai_provider", provider["id"].as_str().unwrap().to_string()),
        ("delivery", delivery["id"].as_str().unwrap().to_string()),
        ("job", job.to_string()),
        ("user", member["user"]["id"].as_str().unwrap().to_string()),
        ("role", role["id"].as_str().unwrap().to_string()),
        ("invitation", inv["id"].as_str().unwrap().to_string()),
        ("api_key", key["id"].as_str().unwrap().to_string()),
    ]);
    let mut marks: Vec<String> = ids.values().cloned().collect();
    marks.extend([
        owner_email,
        member_email,
        pending,
        format!("{name} auditors"),
        format!("{name} bot"),
        format!("{name} once"),
        format!("hooks.{name}.example"),
        format!("{name}-llm"),
        format!("{name}-model"),
    ]);
    marks.push(s["tenant"]["id"].as_str().unwrap().to_string());
    Tenant { id: s["tenant"]["id"].as_str().unwrap().to_string(), owner, ids, marks }
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
    let app = TestApp::spawn().await;
    let a = fixture(&app, "alpha").await;
    let b = fixture(&app, "beta").await;
    let mut su = app.db.superuser().await;
    let tables = tenant_tables(&mut su).await;
    assert!(tables.len() >= 10, "{tables:?}");

    let mut app_conn = app.db.app().await;
    for t in &tables {
        let sql = |s: String| sqlx::AssertSqlSafe(s);
        // The fixture must give every table rows of both tenants.
        for tenant in [&a.id, &b.id] {
            let (n,): (i64,) =
                sqlx::query_as(sql(format!("SELECT count(*) FROM {t} WHERE tenant_id = $1::uuid")))
                    .bind(tenant)
                    .fetch_one(&mut su)
                    .await
                    .unwrap();
            assert!(
                n > 0,
                "table {t} has no rows for tenant {tenant}: extend the isolation fixture"
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
            .bind(&a.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        let (mine, theirs): (i64, i64) = sqlx::query_as(sql(format!(
            "SELECT count(*) FILTER (WHERE tenant_id = $1::uuid), count(*) FILTER (WHERE tenant_id <> $1::uuid) FROM {t}"
        )))
        .bind(&a.id)
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
        .bind(&b.id)
        .fetch_one(&mut su)
        .await
        .unwrap();
        for (what, stmt) in [
            (
                "insert B's row",
                format!(
                    "INSERT INTO {t} SELECT * FROM jsonb_populate_record(NULL::{t}, $2::jsonb)"
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
                .bind(&a.id)
                .execute(&mut *tx)
                .await
                .unwrap();
            let r = sqlx::query(sql(stmt)).bind(&a.id).bind(&row).execute(&mut *tx).await;
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
            .bind(&a.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        match sqlx::query(sql(format!("DELETE FROM {t} WHERE tenant_id = $1::uuid")))
            .bind(&b.id)
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
            problems.push(format!("{t}: no policy on app.tenant_id"));
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

#[tokio::test]
async fn no_endpoint_reaches_another_tenants_data() {
    let app = TestApp::spawn().await;
    let a = fixture(&app, "alpha").await;
    let b = fixture(&app, "beta").await;

    for (method, template, body) in BY_ID {
        let mut path = template.to_string();
        for (kind, id) in &b.ids {
            path = path.replace(&format!("{{{kind}}}"), id);
        }
        assert!(!path.contains('{'), "{template}: no fixture object for a placeholder");
        let mut req = app.request(method.parse().unwrap(), &path).bearer(&a.owner);
        if let Some(body) = body {
            req = req.raw("application/json", body.to_string());
        }
        let r = req.send().await;
        assert_eq!(r.status().as_u16(), 404, "{method} {template} with B's id: {}", r.text());
        assert_eq!(r.json()["code"], "not_found");
    }

    for path in LISTS {
        let r = app.get(path).bearer(&a.owner).send().await;
        assert!(r.status().is_success(), "{path}: {}", r.text());
        let text = r.text();
        for mark in &b.marks {
            assert!(!text.contains(mark.as_str()), "{path} shows B's `{mark}`");
        }
    }

    // B's objects are untouched by A's attempts.
    let b_role = app.get(&format!("/api/v1/roles/{}", b.ids["role"])).bearer(&b.owner).send().await;
    assert_eq!(b_role.json()["name"], "beta auditors");
    let b_user = app.get(&format!("/api/v1/users/{}", b.ids["user"])).bearer(&b.owner).send().await;
    assert_eq!(b_user.json()["status"], "active");
    let keys = app.get("/api/v1/api-keys").bearer(&b.owner).send().await.json();
    assert!(keys["items"][0]["revoked_at"].is_null());

    // The tenant comes from the token, never from the request.
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&a.owner)
        .json(&json!({ "tenant_id": b.id, "name": "x" }))
        .send()
        .await;
    assert_eq!(r.assert_problem(422, "validation_failed")["errors"][0]["field"], "tenant_id");
    // Idempotency keys are per tenant: B replaying A's key runs B's request.
    let r = app
        .post("/api/v1/roles")
        .bearer(&b.owner)
        .header("idempotency-key", "alpha-once")
        .json(&json!({ "name": "alpha once", "permissions": ["tenant:read"] }))
        .send()
        .await;
    r.assert_status(201);
    assert_eq!(r.header("idempotent-replayed"), None);
}
