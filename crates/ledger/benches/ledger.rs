//! The ledger's numbers on this machine (release build, the test
//! harness's embedded PostgreSQL, requests through the whole middleware
//! stack in process):
//!
//! - `issue`: a 10-line invoice issued (tax, numbering, journal, audit and
//!   event in one transaction), one at a time; and its PDF;
//! - `concurrent`: 100 users of one company issuing and listing at once;
//! - `scale`: one company with `LEDGER_BENCH_INVOICES` invoices (default
//!   1,000,000) among `LEDGER_BENCH_TENANTS` companies (default 1,000, a
//!   hundred invoices each): a page of invoices filtered by status and
//!   date, receivables aging, a year's trial balance;
//! - `gst`: a 100-line invoice's e-invoice JSON built and checked (the
//!   request, and the checks alone), and GSTR-1 and GSTR-3B for a company
//!   with `LEDGER_BENCH_GST_INVOICES` invoices (default 100,000) in one
//!   month.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use futures::future::join_all;
use serde_json::{Value, json};
use testkit::TestApp;
use testkit::bench::{env, report};
use uuid::Uuid;

async fn call(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = match method {
        "GET" => app.get(path),
        _ => app.post(path),
    };
    if !token.is_empty() {
        r = r.bearer(token);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await;
    let status = r.status().as_u16();
    let v = if r.bytes().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(r.bytes()).unwrap_or(Value::Null)
    };
    (status, v)
}

/// A company with a GSTIN, a customer in another state and ten items.
async fn company(app: &TestApp, name: &str) -> (String, String, Vec<String>) {
    let (_, v) = call(
        app,
        "",
        "POST",
        "/api/v1/auth/signup",
        Some(json!({ "company_name": name, "email": format!("owner@{name}.example"), "password": "velvet-orbit-canyon-42" })),
    )
    .await;
    let token = v["access_token"].as_str().unwrap().to_string();
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&token)
        .json(&json!({ "gstin": "27AAPFU0939F1ZV" }))
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let (_, c) = call(
        app,
        &token,
        "POST",
        "/api/v1/parties",
        Some(json!({ "is_customer": true, "legal_name": "Bengaluru Stores", "gstin": "29AABCT1332L1ZA", "registration": "regular",
                     "billing_address": { "line1": "1 MG Road", "city": "Bengaluru", "state_code": "29", "pincode": "560001" } })),
    )
    .await;
    let customer = c["id"].as_str().unwrap_or_else(|| panic!("no customer: {c}")).to_string();
    let mut items = Vec::new();
    for i in 0..10 {
        let (_, it) = call(
            app,
            &token,
            "POST",
            "/api/v1/items",
            Some(json!({ "name": format!("Part {i}"), "hsn_sac": "84713010", "unit": "NOS", "price": format!("{}.75", 100 + i * 37),
                         "rates": [{ "effective_from": "2017-07-01", "rate": if i % 3 == 0 { "5" } else { "18" } }] })),
        )
        .await;
        items.push(it["id"].as_str().unwrap().to_string());
    }
    (token, customer, items)
}

fn ten_lines(items: &[String]) -> Value {
    Value::Array(items.iter().enumerate().map(|(i, id)| json!({ "item_id": id, "quantity": format!("{}", i + 1), "discount": "5" })).collect())
}

async fn draft(app: &TestApp, token: &str, customer: &str, items: &[String]) -> String {
    let (s, v) = call(
        app,
        token,
        "POST",
        "/api/v1/invoices",
        Some(json!({ "party_id": customer, "lines": ten_lines(items) })),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn issue() {
    let app = TestApp::builder().config(|c| c.database.max_connections = 60).build().await;
    let (token, customer, items) = company(&app, "issuer").await;
    for _ in 0..20 {
        let id = draft(&app, &token, &customer, &items).await;
        call(&app, &token, "POST", &format!("/api/v1/invoices/{id}/issue"), None).await;
    }
    let mut drafting = Vec::new();
    let mut issuing = Vec::new();
    let mut last = String::new();
    for _ in 0..300 {
        let t = Instant::now();
        let id = draft(&app, &token, &customer, &items).await;
        drafting.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let (s, v) =
            call(&app, &token, "POST", &format!("/api/v1/invoices/{id}/issue"), None).await;
        issuing.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(s, 200, "{v}");
        last = id;
    }
    report("draft a 10-line invoice", &mut drafting);
    report("issue a 10-line invoice", &mut issuing);
    let mut pdf = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let r = app.get(&format!("/api/v1/invoices/{last}/pdf")).bearer(&token).send().await;
        pdf.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r.status().as_u16(), 200);
    }
    pdf.remove(0);
    report("invoice PDF (10 lines, after the first)", &mut pdf);
}

async fn concurrent() {
    for think_ms in [0u64, 1000] {
        crowd(think_ms).await;
    }
}

/// 100 users of one company issuing and listing: back to back (the
/// throughput the machine reaches), or with a think time between requests
/// as people work.
async fn crowd(think_ms: u64) {
    let app =
        Arc::new(TestApp::builder().config(|c| c.database.max_connections = 60).build().await);
    let (token, customer, items) = company(&app, "crowd").await;
    // A hundred people of one company: its rate limit is raised as an
    // operator would for that many.
    let r = app
        .patch("/api/v1/tenant")
        .bearer(&token)
        .json(&json!({ "settings": { "requests_per_minute": 1_000_000, "api_key_requests_per_minute": 1_000_000 } }))
        .send()
        .await;
    assert_eq!(r.status().as_u16(), 200, "{}", r.text());
    // Drafts made ahead: the users issue and list.
    let users = 100;
    let rounds = 10;
    let mut drafts = Vec::new();
    for _ in 0..users * rounds / 2 {
        drafts.push(draft(&app, &token, &customer, &items).await);
    }
    let drafts = Arc::new(std::sync::Mutex::new(drafts));
    let started = Instant::now();
    let results = join_all((0..users).map(|u| {
        let app = app.clone();
        let token = token.clone();
        let drafts = drafts.clone();
        async move {
            let mut out = Vec::new();
            for r in 0..rounds {
                if think_ms > 0 {
                    // A person between clicks: 0.5–1.5 × the think time.
                    let ms = think_ms / 2 + (u as u64 * 7919 + r as u64 * 104_729) % think_ms;
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                let t = Instant::now();
                let status = if (u + r) % 2 == 0 {
                    let id = drafts.lock().unwrap().pop();
                    match id {
                        Some(id) => {
                            call(
                                &app,
                                &token,
                                "POST",
                                &format!("/api/v1/invoices/{id}/issue"),
                                None,
                            )
                            .await
                            .0
                        }
                        None => {
                            call(
                                &app,
                                &token,
                                "GET",
                                "/api/v1/invoices?limit=50&status=issued",
                                None,
                            )
                            .await
                            .0
                        }
                    }
                } else {
                    call(&app, &token, "GET", "/api/v1/invoices?limit=50&status=issued", None)
                        .await
                        .0
                };
                out.push((status, t.elapsed().as_secs_f64() * 1e3));
            }
            out
        }
    }))
    .await;
    let secs = started.elapsed().as_secs_f64();
    let all: Vec<(u16, f64)> = results.into_iter().flatten().collect();
    let errors = all.iter().filter(|(s, _)| !(200..300).contains(s)).count();
    let mut by_status = std::collections::BTreeMap::new();
    for (s, _) in all.iter().filter(|(s, _)| !(200..300).contains(s)) {
        *by_status.entry(*s).or_insert(0) += 1;
    }
    if !by_status.is_empty() {
        println!("  errors by status: {by_status:?}");
    }
    let mut lat: Vec<f64> = all.iter().map(|(_, l)| *l).collect();
    let how = if think_ms == 0 {
        "back to back".to_string()
    } else {
        format!("{think_ms} ms apart on average")
    };
    report(&format!("{users} users issuing and listing, {how}"), &mut lat);
    println!(
        "  {} requests in {secs:.1} s = {:.0}/s, {errors} errors",
        all.len(),
        all.len() as f64 / secs
    );
}

async fn scale() {
    let invoices = env("LEDGER_BENCH_INVOICES", 1_000_000);
    let tenants = env("LEDGER_BENCH_TENANTS", 1_000);
    let app = TestApp::builder().config(|c| c.database.max_connections = 60).build().await;
    let (token, customer, items) = company(&app, "bigco").await;
    // One real invoice: the chart, the series and a journal to copy.
    let id = draft(&app, &token, &customer, &items).await;
    call(&app, &token, "POST", &format!("/api/v1/invoices/{id}/issue"), None).await;
    let mut su = app.db.superuser().await;
    let loaded = Instant::now();
    // Bulk loading: triggers (the journals' balance check) and foreign
    // keys are skipped; every row is written as the ledger writes it.
    sqlx::raw_sql("SET session_replication_role = replica").execute(&mut su).await.unwrap();
    let tenant: Uuid = sqlx::query_scalar("SELECT tenant_id FROM ledger_documents WHERE id = $1")
        .bind(Uuid::parse_str(&id).unwrap())
        .fetch_one(&mut su)
        .await
        .unwrap();
    let q = |sql: &'static str| sqlx::query(sql);
    q("INSERT INTO parties (tenant_id, id, is_customer, is_supplier, legal_name, registration, state_code, billing_address)
       SELECT p.tenant_id, gen_random_uuid(), true, false, 'Customer ' || g, 'regular', p.state_code, p.billing_address
         FROM parties p, generate_series(1, 2000) g WHERE p.id = $1")
        .bind(Uuid::parse_str(&customer).unwrap())
        .execute(&mut su)
        .await
        .unwrap();
    let sql = "
      WITH ps AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM parties WHERE tenant_id = $1),
           src AS (SELECT * FROM ledger_documents WHERE id = $2),
           g AS (SELECT g, (date '2023-04-01' + (g % 1095)::int) AS d FROM generate_series(1, $3::bigint) g)
      INSERT INTO ledger_documents (tenant_id, id, kind, status, series_id, number, fy, seq, party_id, doc_date, due_date,
                                    place_of_supply, heads, taxable_value, igst, total, settled, issued_at)
      SELECT $1, gen_random_uuid(), 'invoice',
             CASE WHEN g.d > current_date - 30 THEN 'issued' WHEN g.g % 10 < 7 THEN 'paid'
                  WHEN g.g % 10 = 7 THEN 'partially_paid' ELSE 'overdue' END,
             src.series_id, 'B/' || g.g, 1000 + g.g % 3, g.g, ps.id, g.d, g.d + 30,
             '29', 'igst', 1000, 180, 1180,
             CASE WHEN g.d > current_date - 30 THEN 0 WHEN g.g % 10 < 7 THEN 1180 WHEN g.g % 10 = 7 THEN 500 ELSE 0 END,
             now()
        FROM g CROSS JOIN src JOIN ps ON ps.n = g.g % 2000";
    // The documents' secondary indexes are built once after the load
    // rather than row by row (same indexes, same contents).
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes
          WHERE tablename = 'ledger_documents' AND indexname <> 'ledger_documents_pkey'",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    for (name, _) in &indexes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
            .execute(&mut su)
            .await
            .unwrap();
    }
    sqlx::query(sql)
        .bind(tenant)
        .bind(Uuid::parse_str(&id).unwrap())
        .bind(invoices as i64)
        .execute(&mut su)
        .await
        .unwrap();
    sqlx::raw_sql("SET maintenance_work_mem = '1GB'").execute(&mut su).await.unwrap();
    for (_, def) in &indexes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(def.clone())).execute(&mut su).await.unwrap();
    }
    // A journal per invoice: debtors, sales, output IGST (LEDGER_BENCH_LINES=0
    // leaves them out where the disk cannot hold three lines per invoice;
    // the reports measured here read the per-day sums, filled either way).
    let lines_too = env("LEDGER_BENCH_LINES", 1) == 1;
    if lines_too {
        sqlx::query(
            "INSERT INTO journals (tenant_id, id, posted_on, source, source_id, narration)
         SELECT tenant_id, id, doc_date, 'document', id, 'Invoice ' || number
           FROM ledger_documents WHERE tenant_id = $1 AND number LIKE 'B/%'",
        )
        .bind(tenant)
        .execute(&mut su)
        .await
        .unwrap();
        sqlx::query(
        "INSERT INTO journal_lines (tenant_id, journal_id, line_no, account_id, party_id, posted_on, debit, credit)
         SELECT d.tenant_id, d.id, l.n, a.id, CASE WHEN l.n = 1 THEN d.party_id END, d.doc_date, l.dr, l.cr
           FROM ledger_documents d
           CROSS JOIN (VALUES (1, 'debtors', 1180, 0), (2, 'sales', 0, 1000), (3, 'output_igst', 0, 180)) AS l(n, role, dr, cr)
           JOIN accounts a ON a.tenant_id = d.tenant_id AND a.role = l.role
          WHERE d.tenant_id = $1 AND d.number LIKE 'B/%'",
    )
    .bind(tenant)
    .execute(&mut su)
    .await
    .unwrap();
    }
    // The per-day account sums the posting trigger keeps.
    sqlx::query(
        "INSERT INTO account_days (tenant_id, account_id, day, debit, credit)
         SELECT d.tenant_id, a.id, d.doc_date, sum(l.dr), sum(l.cr)
           FROM ledger_documents d
           CROSS JOIN (VALUES ('debtors', 1180, 0), ('sales', 0, 1000), ('output_igst', 0, 180)) AS l(role, dr, cr)
           JOIN accounts a ON a.tenant_id = d.tenant_id AND a.role = l.role
          WHERE d.tenant_id = $1 AND d.number LIKE 'B/%'
          GROUP BY 1, 2, 3
         ON CONFLICT (tenant_id, account_id, day) DO UPDATE
            SET debit = account_days.debit + EXCLUDED.debit, credit = account_days.credit + EXCLUDED.credit",
    )
    .bind(tenant)
    .execute(&mut su)
    .await
    .unwrap();
    // Part payments on the partly paid ones (one receipt holds them all).
    let receipt = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payments (tenant_id, id, kind, party_id, paid_on, mode, account_id, amount)
         SELECT $1, $2, 'receipt', $3, current_date - 400, 'bank_transfer', a.id, 1e12
           FROM accounts a WHERE a.tenant_id = $1 AND a.role = 'bank'",
    )
    .bind(tenant)
    .bind(receipt)
    .bind(Uuid::parse_str(&customer).unwrap())
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO payment_allocations (tenant_id, id, payment_id, document_id, amount, allocated_on)
         SELECT tenant_id, gen_random_uuid(), $2, id, settled, doc_date + 20
           FROM ledger_documents WHERE tenant_id = $1 AND status = 'partially_paid' AND number LIKE 'B/%'",
    )
    .bind(tenant)
    .bind(receipt)
    .execute(&mut su)
    .await
    .unwrap();
    // The other companies, a hundred invoices each.
    sqlx::query(
        "WITH t AS (INSERT INTO tenants (id, name, slug)
                    SELECT gen_random_uuid(), 'Bench ' || g, 'bench-' || g FROM generate_series(2, $1) g RETURNING id),
              p AS (INSERT INTO parties (tenant_id, id, is_customer, is_supplier, legal_name, registration, state_code, billing_address)
                    SELECT t.id, gen_random_uuid(), true, false, 'Their customer', 'regular', '29',
                           '{\"line1\": \"1 Road\", \"city\": \"Pune\", \"state_code\": \"27\", \"pincode\": \"411001\"}'
                      FROM t RETURNING tenant_id, id)
         INSERT INTO ledger_documents (tenant_id, id, kind, status, number, fy, party_id, doc_date, due_date,
                                       place_of_supply, heads, taxable_value, igst, total, issued_at)
         SELECT p.tenant_id, gen_random_uuid(), 'invoice', 'issued', 'X/' || g, 2025, p.id,
                date '2025-04-01' + g::int, date '2025-05-01' + g::int, '29', 'igst', 1000, 180, 1180, now()
           FROM p, generate_series(1, 100) g",
    )
    .bind(tenants as i32)
    .execute(&mut su)
    .await
    .unwrap();
    // Vacuumed as autovacuum would leave a table after a load: statistics
    // and the visibility map (index-only scans rely on it).
    sqlx::raw_sql("SET session_replication_role = DEFAULT").execute(&mut su).await.unwrap();
    sqlx::raw_sql("VACUUM ANALYZE").execute(&mut su).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_documents")
        .fetch_one(&mut su)
        .await
        .unwrap();
    let lines: i64 =
        sqlx::query_scalar("SELECT count(*) FROM journal_lines").fetch_one(&mut su).await.unwrap();
    println!(
        "scale: {invoices} invoices in one company among {tenants} companies ({rows} documents, {lines} journal lines), loaded in {:.0} s",
        loaded.elapsed().as_secs_f64()
    );
    let runs = |n: usize| Vec::with_capacity(n);
    for (label, status) in
        [("overdue", "overdue"), ("partially paid", "partially_paid"), ("paid", "paid")]
    {
        let mut lat = runs(60);
        for i in 0..60 {
            let from = chrono::NaiveDate::from_ymd_opt(2023, 4, 1).unwrap()
                + chrono::Duration::days((i * 17) % 900);
            let to = from + chrono::Duration::days(90);
            let url = format!("/api/v1/invoices?status={status}&from={from}&to={to}&limit=50");
            let t = Instant::now();
            let (s, v) = call(&app, &token, "GET", &url, None).await;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(s, 200, "{v}");
        }
        report(&format!("a page of {label} invoices in a 90-day window"), &mut lat);
    }
    let mut lat = runs(30);
    for i in 0..30 {
        let url = if i == 0 {
            "/api/v1/invoices?limit=50".to_string()
        } else {
            format!("/api/v1/invoices?limit=50&q=B/{}", 1000 + i * 7919)
        };
        let t = Instant::now();
        let (s, _) = call(&app, &token, "GET", &url, None).await;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(s, 200);
    }
    report("a page of invoices, newest first or by number", &mut lat);
    let mut lat = runs(30);
    for i in 0..30 {
        let query = match i % 3 {
            0 => "unpaid invoices from October",
            1 => "overdue invoices above 1,000 this financial year",
            _ => "invoices between 1,000 and 2,000 last month",
        };
        let t = Instant::now();
        let (s, v) =
            call(&app, &token, "POST", "/api/v1/invoices/search", Some(json!({ "query": query })))
                .await;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(s, 200, "{v}");
    }
    report("a question in plain words (several statuses, dates, amounts)", &mut lat);
    for (label, url) in [
        ("receivables aging", "/api/v1/reports/receivables-aging".to_string()),
        (
            "trial balance, one financial year",
            "/api/v1/reports/trial-balance?from=2024-04-01&to=2025-03-31".to_string(),
        ),
        (
            "profit and loss, one financial year",
            "/api/v1/reports/profit-and-loss?from=2024-04-01&to=2025-03-31".to_string(),
        ),
    ] {
        let mut lat = runs(5);
        for _ in 0..5 {
            let t = Instant::now();
            let (s, v) = call(&app, &token, "GET", &url, None).await;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(s, 200, "{v}");
        }
        report(label, &mut lat);
    }
}

async fn gst() {
    let app = TestApp::builder().config(|c| c.database.max_connections = 20).build().await;
    let (token, customer, items) = company(&app, "gstco").await;
    let mut settings = app.get("/api/v1/ledger/settings").bearer(&token).send().await.json();
    settings["company_address"] = json!({ "line1": "1 Senapati Bapat Marg", "city": "Mumbai", "state_code": "27", "pincode": "400013" });
    assert_eq!(
        app.put("/api/v1/ledger/settings")
            .bearer(&token)
            .json(&settings)
            .send()
            .await
            .status()
            .as_u16(),
        200
    );
    // A 100-line invoice.
    let lines: Vec<Value> = (0..100)
        .map(|i| json!({ "item_id": items[i % items.len()], "quantity": format!("{}", i % 7 + 1), "discount": "1.50" }))
        .collect();
    let (s, v) = call(
        &app,
        &token,
        "POST",
        "/api/v1/invoices",
        Some(json!({ "party_id": customer, "lines": lines })),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    call(&app, &token, "POST", &format!("/api/v1/invoices/{id}/issue"), None).await;
    let path = format!("/api/v1/invoices/{id}/e-invoice/json");
    let mut lat = Vec::new();
    let mut payload = Value::Null;
    for i in 0..220 {
        let t = Instant::now();
        let (s, v) = call(&app, &token, "GET", &path, None).await;
        assert_eq!(s, 200, "{v}");
        if i >= 20 {
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        payload = v;
    }
    report(
        "e-invoice JSON of a 100-line invoice, built and checked (GET …/e-invoice/json)",
        &mut lat,
    );
    let line_nos: Vec<i32> = (1..=100).collect();
    let mut lat = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let v = ledger::gst::einvoice::validate(&payload, &line_nos);
        assert!(v.is_empty(), "{v:?}");
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    report("e-invoice checks alone (100 items)", &mut lat);

    // GSTR-1 and GSTR-3B for a month of N invoices: B2B to 500 registered
    // customers (60%), B2C small inside the state (30%), B2C large in
    // another state (5%) and exports (5%), two rates each.
    let n = env("LEDGER_BENCH_GST_INVOICES", 100_000) as i64;
    let mut su = app.db.superuser().await;
    sqlx::raw_sql("SET session_replication_role = replica").execute(&mut su).await.unwrap();
    let tenant: Uuid = sqlx::query_scalar("SELECT tenant_id FROM ledger_documents WHERE id = $1")
        .bind(Uuid::parse_str(&id).unwrap())
        .fetch_one(&mut su)
        .await
        .unwrap();
    let loaded = Instant::now();
    sqlx::query(
        "WITH src AS (SELECT * FROM ledger_documents WHERE id = $2),
              g AS (SELECT g, g % 20 AS k FROM generate_series(1, $3::bigint) g)
         INSERT INTO ledger_documents (tenant_id, id, kind, status, series_id, number, fy, seq, party_id, party_snapshot,
                                       company_snapshot, doc_date, place_of_supply, supply_type, heads, taxable_value,
                                       cgst, sgst, igst, total, issued_at)
         SELECT $1, gen_random_uuid(), 'invoice', 'issued', src.series_id, 'G/' || g.g, 2025, 100000 + g.g, src.party_id,
                CASE WHEN k < 12 THEN jsonb_build_object('legal_name', 'Buyer ' || g.g % 500, 'registration', 'regular',
                                        'gstin', '29AAB' || lpad((g.g % 500)::text, 4, '0') || 'C1Z' || chr((65 + g.g % 26)::int) || '5')
                     WHEN k < 19 THEN jsonb_build_object('legal_name', 'Walk-in', 'registration', 'consumer')
                     ELSE jsonb_build_object('legal_name', 'Overseas buyer', 'registration', 'overseas') END,
                src.company_snapshot, date '2025-09-01' + (g.g % 30)::int,
                CASE WHEN k < 12 THEN '29' WHEN k < 18 THEN '27' ELSE CASE WHEN k = 19 THEN '96' ELSE '29' END END,
                CASE WHEN k = 19 THEN 'export_without_tax' ELSE 'regular' END,
                CASE WHEN k BETWEEN 12 AND 17 THEN 'cgst_sgst' WHEN k = 19 THEN 'none' ELSE 'igst' END,
                CASE WHEN k = 18 THEN 150000 ELSE 3000 END,
                CASE WHEN k BETWEEN 12 AND 17 THEN 195 ELSE 0 END, CASE WHEN k BETWEEN 12 AND 17 THEN 195 ELSE 0 END,
                CASE WHEN k < 12 THEN 390 WHEN k = 18 THEN 27000 ELSE 0 END,
                CASE WHEN k = 18 THEN 177000 WHEN k = 19 THEN 3000 ELSE 3390 END, now()
           FROM g CROSS JOIN src",
    )
    .bind(tenant)
    .bind(Uuid::parse_str(&id).unwrap())
    .bind(n)
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO ledger_document_lines (tenant_id, document_id, line_no, description, hsn_sac, is_service, quantity, unit,
                                            unit_price, gross, taxable_value, gst_rate, cgst, sgst, igst, total)
         SELECT d.tenant_id, d.id, l.n, 'Part ' || l.n, CASE WHEN l.n = 1 THEN '84713010' ELSE '85444999' END, false, 1, 'NOS',
                d.taxable_value * l.share, d.taxable_value * l.share, d.taxable_value * l.share,
                CASE WHEN d.heads = 'none' THEN 0 WHEN l.n = 1 THEN 18 ELSE 5 END,
                CASE WHEN d.heads = 'cgst_sgst' THEN CASE WHEN l.n = 1 THEN 180 ELSE 15 END ELSE 0 END,
                CASE WHEN d.heads = 'cgst_sgst' THEN CASE WHEN l.n = 1 THEN 180 ELSE 15 END ELSE 0 END,
                CASE WHEN d.heads = 'igst' THEN CASE WHEN l.n = 1 THEN d.igst * 0.9230769 ELSE d.igst - round(d.igst * 0.9230769, 2) END ELSE 0 END,
                d.taxable_value * l.share
           FROM ledger_documents d CROSS JOIN (VALUES (1, 0.5), (2, 0.5)) AS l(n, share)
          WHERE d.tenant_id = $1 AND d.number LIKE 'G/%'",
    )
    .bind(tenant)
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::raw_sql("ANALYZE ledger_documents; ANALYZE ledger_document_lines")
        .execute(&mut su)
        .await
        .unwrap();
    println!("loaded {n} invoices in September 2025 in {:.1} s", loaded.elapsed().as_secs_f64());
    for (label, path) in [
        ("GSTR-1 (JSON, sections, reconciliation)", "/api/v1/gst/gstr1?period=2025-09"),
        ("GSTR-1 b2b CSV", "/api/v1/gst/gstr1/csv?period=2025-09&section=b2b"),
        ("GSTR-3B", "/api/v1/gst/gstr3b?period=2025-09"),
    ] {
        let mut lat = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = app.get(path).bearer(&token).send().await;
            assert_eq!(r.status().as_u16(), 200, "{}", r.text());
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            size = r.bytes().len();
        }
        report(&format!("{label}, {n} invoices ({:.1} MB)", size as f64 / 1e6), &mut lat);
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let which = std::env::args().nth(1).unwrap_or_default();
        let all = which.is_empty() || which == "--bench";
        if all || which == "issue" {
            issue().await;
        }
        if all || which == "concurrent" {
            concurrent().await;
        }
        if all || which == "scale" {
            scale().await;
        }
        if all || which == "gst" {
            gst().await;
        }
    });
}
