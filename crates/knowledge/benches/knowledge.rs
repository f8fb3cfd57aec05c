//! The knowledge base's numbers on this machine (release build, the test
//! harness's embedded PostgreSQL with production settings):
//!
//! - ingestion: a 10-page text PDF from upload to `ready` with the local
//!   embedder, and sustained pages per minute with 20 such PDFs at once;
//! - search: the database half of a hybrid and a vector-only search
//!   (p50/p95) over synthetic chunks spread over many tenants (sizes
//!   skewed: the largest holds a fifth), recall@10 of the HNSW path
//!   against exact search inside the tenant, alone and with 50 concurrent
//!   searchers; exact search is the reference;
//! - the query's embedding on its own.
//!
//! `KNOWLEDGE_BENCH_CHUNKS` (default 200,000) and `KNOWLEDGE_BENCH_TENANTS`
//! (default 200) set the scale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use knowledge::repo::DocumentFilter;
use knowledge::{KnowledgeService, Retrieval, SearchMode};
use serde_json::json;
use sqlx::Connection;
use testkit::TestApp;
use testkit::bench::pct;
use uuid::Uuid;

const DIMS: usize = 384;

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f32 {
        (self.next() % 1_000_000) as f32 / 1_000_000.0 - 0.5
    }
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= n);
}

fn literal(v: &[f32]) -> String {
    format!("[{}]", v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","))
}

fn page_text(page: usize) -> String {
    let words = [
        "invoice", "supplier", "payment", "ledger", "credit", "tax", "goods", "services", "return",
        "period", "customer", "account", "balance", "entry", "receipt", "due", "interest",
        "refund",
    ];
    let mut out = Vec::new();
    for l in 0..40 {
        let line: Vec<&str> =
            (0..10).map(|w| words[(page * 7 + l * 3 + w * 5) % words.len()]).collect();
        out.push(format!("Line {l} of page {page}: the {} are recorded.", line.join(" ")));
    }
    out.join("\n")
}

/// A text PDF of `pages` pages of about 2,400 characters each.
fn pdf(pages: usize, salt: usize) -> Vec<u8> {
    let mut objects: Vec<String> = vec!["<< /Type /Catalog /Pages 2 0 R >>".into()];
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into());
    for p in 0..pages {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * p
        ));
        let mut c = String::from("BT /F1 9 Tf 11 TL 40 760 Td\n");
        for line in page_text(p + salt * 100).lines() {
            c.push_str(&format!("({line}) Tj T*\n"));
        }
        c.push_str("ET");
        objects.push(format!("<< /Length {} >>\nstream\n{c}\nendstream", c.len()));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn multipart(files: &[(String, Vec<u8>)]) -> (String, Vec<u8>) {
    let b = "bench-boundary-91";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn owner(app: &TestApp, name: &str) -> String {
    let r = app
        .post("/api/v1/auth/signup")
        .json(&json!({ "company_name": name, "email": format!("o@{name}.example"), "password": "velvet-orbit-canyon-42" }))
        .send()
        .await;
    r.json()["access_token"].as_str().unwrap().to_string()
}

async fn wait_ready(app: &TestApp, token: &str, ids: &[String]) {
    loop {
        let r = app.get("/api/v1/documents?limit=200").bearer(token).send().await;
        r.assert_status(200);
        let items = r.json()["items"].as_array().cloned().unwrap_or_default();
        let ready = ids.iter().all(|id| {
            items.iter().any(|d| {
                assert_ne!(d["status"], "failed", "{d}");
                d["id"] == id.as_str() && d["status"] == "ready"
            })
        });
        if ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ingestion() {
    let app = TestApp::builder()
        .config(|c| {
            c.ai.threads = 0;
            c.jobs.poll_interval_ms = 50;
        })
        .background()
        .build()
        .await;
    let token = owner(&app, "ingest").await;
    // Warm the embedder.
    let (ct, body) = multipart(&[("warm.pdf".into(), pdf(1, 999))]);
    let r = app.post("/api/v1/documents").bearer(&token).raw(&ct, body).send().await;
    let id = r.json()["documents"][0]["document"]["id"].as_str().unwrap().to_string();
    wait_ready(&app, &token, &[id]).await;

    let mut single = Vec::new();
    for i in 0..5 {
        let (ct, body) = multipart(&[(format!("ten-{i}.pdf"), pdf(10, i + 1))]);
        let started = Instant::now();
        let r = app.post("/api/v1/documents").bearer(&token).raw(&ct, body).send().await;
        let id = r.json()["documents"][0]["document"]["id"].as_str().unwrap().to_string();
        wait_ready(&app, &token, std::slice::from_ref(&id)).await;
        single.push(started.elapsed().as_secs_f64() * 1e3);
        if i == 0 {
            let d = app.get(&format!("/api/v1/documents/{id}")).bearer(&token).send().await.json();
            println!("a 10-page PDF: {} characters, {} chunks", d["char_count"], d["chunk_count"]);
        }
    }
    let mut s = single.clone();
    println!(
        "10-page PDF, upload to ready (local embedder): p50 {:.0} ms, max {:.0} ms (n=5)",
        pct(&mut s, 0.5),
        pct(&mut s, 1.0)
    );

    let files: Vec<(String, Vec<u8>)> =
        (0..20).map(|i| (format!("bulk-{i}.pdf"), pdf(10, 100 + i))).collect();
    let (ct, body) = multipart(&files);
    let started = Instant::now();
    let r = app.post("/api/v1/documents").bearer(&token).raw(&ct, body).send().await;
    let ids: Vec<String> = r.json()["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document"]["id"].as_str().unwrap().to_string())
        .collect();
    wait_ready(&app, &token, &ids).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sustained: 200 pages (20 PDFs) in {secs:.1} s = {:.0} pages/min",
        200.0 / secs * 60.0
    );
}

/// Tenant sizes: the largest holds a fifth of the chunks; the others
/// either share the rest evenly (`even`) or fall off as a power law
/// (`zipf`, the default: a few large companies, many small ones).
fn sizes(chunks: usize, tenants: usize, skew: &str) -> Vec<usize> {
    let largest = chunks / 5;
    if skew == "even" || tenants < 3 {
        let rest = (chunks - largest) / (tenants - 1).max(1);
        return (0..tenants).map(|i| if i == 0 { largest } else { rest }).collect();
    }
    // size_i = largest / (i + 1)^s, with s chosen so the sizes add up.
    let total = |s: f64| -> f64 {
        (0..tenants).map(|i| (largest as f64 / ((i + 1) as f64).powf(s)).max(20.0)).sum()
    };
    let (mut lo, mut hi) = (0.01, 4.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if total(mid) > chunks as f64 { lo = mid } else { hi = mid }
    }
    (0..tenants).map(|i| (largest as f64 / ((i + 1) as f64).powf(lo)).max(20.0) as usize).collect()
}

/// Which size class a tenant is in, for the report.
fn class(size: usize) -> &'static str {
    if size as i64 <= knowledge::retrieve::EXACT_UP_TO { "small (exact)" } else { "large (HNSW)" }
}

async fn search() {
    let chunks: usize = std::env::var("KNOWLEDGE_BENCH_CHUNKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let tenants: usize =
        std::env::var("KNOWLEDGE_BENCH_TENANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let skew = std::env::var("KNOWLEDGE_BENCH_SKEW").unwrap_or_else(|_| "zipf".into());
    let app = TestApp::builder().config(|c| c.database.max_connections = 60).build().await;
    let mut su = app.db.superuser().await;
    let sizes = sizes(chunks, tenants, &skew);
    let chunks: usize = sizes.iter().sum();
    let ids: Vec<Uuid> = (0..tenants).map(|_| Uuid::now_v7()).collect();
    let loaded = Instant::now();
    sqlx::raw_sql(
        "DROP INDEX chunk_vectors_384; DROP INDEX document_chunks_tsv; DROP INDEX chunk_vectors_model",
    )
    .execute(&mut su)
    .await
    .unwrap();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    // 64 topics; a chunk is its topic's centre plus noise.
    let centres: Vec<Vec<f32>> = (0..64)
        .map(|_| {
            let mut v: Vec<f32> = (0..DIMS).map(|_| rng.unit()).collect();
            normalise(&mut v);
            v
        })
        .collect();
    let vocab: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
    // (tenant, vector, first words of a chunk) to query with.
    let mut samples: Vec<(usize, Vec<f32>, String)> = Vec::new();
    for (t, (&tenant, &size)) in ids.iter().zip(&sizes).enumerate() {
        sqlx::query("INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)")
            .bind(tenant)
            .bind(format!("Bench {t}"))
            .bind(format!("bench-{t}"))
            .execute(&mut su)
            .await
            .unwrap();
        let doc = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO documents (tenant_id, id, title, format, size_bytes, sha256, status, chunk_count, embedding_model)
             VALUES ($1, $2, 'Bench', 'text', 0, $3, 'ready', $4, 'all-MiniLM-L6-v2')",
        )
        .bind(tenant)
        .bind(doc)
        .bind(format!("{:064x}", t))
        .bind(size as i32)
        .execute(&mut su)
        .await
        .unwrap();
        // Every tenant gets a few queries; the largest more.
        let want = if t == 0 { 60 } else { 3 };
        let every = (size / want).max(1);
        let mut ord = 0i32;
        while (ord as usize) < size {
            let n = (size - ord as usize).min(2000);
            let mut cids = Vec::with_capacity(n);
            let mut ords = Vec::with_capacity(n);
            let mut texts = Vec::with_capacity(n);
            let mut vecs = Vec::with_capacity(n);
            for _ in 0..n {
                let c = &centres[(rng.next() % 64) as usize];
                let mut v: Vec<f32> = c.iter().map(|x| x + rng.unit() * 0.12).collect();
                normalise(&mut v);
                let text: Vec<&str> =
                    (0..60).map(|_| vocab[(rng.next() % 5000) as usize].as_str()).collect();
                let text = text.join(" ");
                if (ord as usize).is_multiple_of(every) {
                    samples.push((
                        t,
                        v.clone(),
                        text.split(' ').take(3).collect::<Vec<_>>().join(" "),
                    ));
                }
                cids.push(Uuid::now_v7());
                ords.push(ord);
                texts.push(text);
                vecs.push(literal(&v));
                ord += 1;
            }
            sqlx::query(
                "WITH c AS (
                     INSERT INTO document_chunks (tenant_id, id, document_id, version, ord, text, tsv)
                     SELECT $1, u.id, $2, 1, u.ord, u.text, to_tsvector('simple', u.text)
                       FROM unnest($3::uuid[], $4::int[], $5::text[]) AS u(id, ord, text)
                     RETURNING id)
                 INSERT INTO chunk_vectors (tenant_id, chunk_id, document_id, model, dims, embedding)
                 SELECT $1, u.id, $2, 'all-MiniLM-L6-v2', 384, u.v::vector
                   FROM unnest($3::uuid[], $6::text[]) AS u(id, v)",
            )
            .bind(tenant)
            .bind(doc)
            .bind(&cids)
            .bind(&ords)
            .bind(&texts)
            .bind(&vecs)
            .execute(&mut su)
            .await
            .unwrap();
        }
    }
    let mids = sizes.iter().filter(|s| class(**s).starts_with("large")).count();
    println!(
        "loaded {chunks} chunks over {tenants} tenants ({skew}: largest {}, {} tenants above {} chunks, smallest {}) in {:.0} s",
        sizes[0],
        mids,
        knowledge::retrieve::EXACT_UP_TO,
        sizes.iter().min().unwrap(),
        loaded.elapsed().as_secs_f64()
    );
    let built = Instant::now();
    sqlx::raw_sql(
        "SET maintenance_work_mem = '2GB';
         CREATE INDEX chunk_vectors_384 ON chunk_vectors
             USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dims = 384;
         CREATE INDEX chunk_vectors_model ON chunk_vectors (tenant_id, model, document_id);
         CREATE INDEX document_chunks_tsv ON document_chunks USING gin (tenant_id, tsv);
         INSERT INTO knowledge_terms (tenant_id, term, chunks)
         SELECT c.tenant_id, l.lexeme, count(*) FROM document_chunks c, unnest(c.tsv) AS l
          GROUP BY c.tenant_id, l.lexeme;",
    )
    .execute(&mut su)
    .await
    .unwrap();
    for table in ["chunk_vectors", "document_chunks", "documents", "knowledge_terms"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {table}")))
            .execute(&mut su)
            .await
            .unwrap();
    }
    println!(
        "HNSW + GIN indexes built and words counted in {:.0} s",
        built.elapsed().as_secs_f64()
    );
    let mut queries: Vec<(usize, Vec<f32>, String)> = Vec::new();
    for s in samples {
        let mut q: Vec<f32> = s.1.iter().map(|x| x + rng.unit() * 0.05).collect();
        normalise(&mut q);
        queries.push((s.0, q, s.2));
    }
    // At most 300 queries: the largest tenant's, and an even spread of the rest.
    let (big, rest): (Vec<_>, Vec<_>) = queries.into_iter().partition(|q| q.0 == 0);
    let step = (rest.len() / 240).max(1);
    let queries: Vec<_> = big.into_iter().chain(rest.into_iter().step_by(step)).collect();
    let k = KnowledgeService::of(&app.state).0.clone();
    let settings = knowledge::model::Settings::default();
    let access: Vec<kernel::db::TenantAccess> =
        ids.iter().map(|id| app.access(kernel::ids::TenantId::from_uuid(*id))).collect();
    // Exact: every vector of the tenant compared (no index), the reference.
    let mut exact_ms = Vec::new();
    let mut exact: Vec<Vec<Uuid>> = Vec::new();
    for q in &queries {
        let started = Instant::now();
        let mut tx = k
            .db()
            .tenant_read(&app.access(kernel::ids::TenantId::from_uuid(ids[q.0])))
            .await
            .unwrap();
        let rows: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT chunk_id FROM chunk_vectors WHERE tenant_id = $1 AND model = 'all-MiniLM-L6-v2'
              ORDER BY embedding <=> $2::vector LIMIT 10",
        )
        .bind(ids[q.0])
        .bind(literal(&q.1))
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        drop(tx);
        exact_ms.push(started.elapsed().as_secs_f64() * 1e3);
        exact.push(rows.into_iter().map(|r| r.0).collect());
    }
    let report = |label: &str, ms: &mut Vec<f64>| {
        if ms.is_empty() {
            return;
        }
        println!(
            "{label}: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms (n={})",
            pct(ms, 0.5),
            pct(ms, 0.95),
            pct(ms, 0.99),
            ms.len()
        );
    };
    let by_class = |ms: &[f64]| -> Vec<(String, Vec<f64>)> {
        let mut out: Vec<(String, Vec<f64>)> = Vec::new();
        for label in ["largest tenant", "large (HNSW)", "small (exact)"] {
            let v: Vec<f64> = queries
                .iter()
                .zip(ms)
                .filter(|(q, _)| {
                    if q.0 == 0 { label == "largest tenant" } else { class(sizes[q.0]) == label }
                })
                .map(|(_, m)| *m)
                .collect();
            out.push((label.to_string(), v));
        }
        out
    };
    for (label, mut v) in by_class(&exact_ms) {
        report(&format!("reference: exact vector search, {label}"), &mut v);
    }
    for mode in [SearchMode::Vector, SearchMode::Hybrid] {
        let mut ms = Vec::new();
        let mut recall = 0.0;
        for (i, q) in queries.iter().enumerate() {
            let (t, got) =
                run(k.clone(), access[q.0].clone(), settings.clone(), mode, q.clone()).await;
            ms.push(t);
            if mode == SearchMode::Vector {
                recall += got.iter().filter(|g| exact[i].contains(g)).count() as f64
                    / exact[i].len().max(1) as f64;
            }
        }
        report(&format!("{mode:?} search (database), one searcher"), &mut ms.clone());
        for (label, mut v) in by_class(&ms) {
            report(&format!("  {label}"), &mut v);
        }
        if mode == SearchMode::Vector {
            println!(
                "recall@10 against exact search in the tenant: {:.3}",
                recall / queries.len() as f64
            );
        }
        // 50 searchers at once, each running a quarter of the queries, on
        // a pool already holding 50 connections (a server under steady load).
        let mut warm = Vec::new();
        for a in access.iter().take(50) {
            warm.push(k.db().tenant_read(a).await.unwrap());
        }
        drop(warm);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for s in 0..50 {
            let qs: Vec<_> = queries.iter().skip(s % 4).step_by(4).cloned().collect();
            let (k, access, settings) = (k.clone(), access.clone(), settings.clone());
            tasks.push(tokio::spawn(async move {
                let mut v = Vec::new();
                for q in qs {
                    let a = access[q.0].clone();
                    v.push(run(k.clone(), a, settings.clone(), mode, q).await.0);
                }
                v
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let n = all.len();
        let secs = started.elapsed().as_secs_f64();
        report(&format!("{mode:?} search (database), 50 concurrent searchers"), &mut all);
        println!(
            "  throughput {:.0} searches/s; service time {:.2} ms per search on 2 cores",
            n as f64 / secs,
            secs * 1e3 / n as f64 * 2.0
        );
    }
    // The query's embedding, on its own.
    let ai = k.ai().clone();
    let access = app.access(kernel::ids::TenantId::from_uuid(ids[0]));
    let ctx = ai::CallContext::system(&access, "bench");
    let mut embed = Vec::new();
    for i in 0..30 {
        let started = Instant::now();
        ai.embed(&ctx, Some("local"), &[format!("what is the refund window for order {i}?")])
            .await
            .unwrap();
        embed.push(started.elapsed().as_secs_f64() * 1e3);
    }
    report("query embedding (local MiniLM)", &mut embed[5..].to_vec());
    let _ = su.close().await;
}

async fn run(
    k: Arc<knowledge::Knowledge>,
    access: kernel::db::TenantAccess,
    settings: knowledge::model::Settings,
    mode: SearchMode,
    q: (usize, Vec<f32>, String),
) -> (f64, Vec<Uuid>) {
    let mut r = Retrieval::new(q.2.clone(), 10);
    r.mode = mode;
    r.keep_irrelevant = true;
    r.filter = DocumentFilter::default();
    let started = Instant::now();
    let mut tx = k.db().tenant_read(&access).await.unwrap();
    let hits = k
        .search_in(&mut tx, &r, &settings, Some(&("all-MiniLM-L6-v2".to_string(), q.1.clone())))
        .await
        .unwrap();
    drop(tx);
    (started.elapsed().as_secs_f64() * 1e3, hits.into_iter().map(|h| h.chunk_id).collect())
}

/// What an answer adds before the model's first token: rewriting,
/// retrieval and the prompt, with a stand-in provider that answers at once
/// (so the time to the first token is ours), and the quoted (offline)
/// answer's whole time.
async fn answers() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let app = TestApp::builder()
        .config(|c| {
            c.ai.threads = 0;
            c.jobs.poll_interval_ms = 50;
        })
        .background()
        .build()
        .await;
    let token = owner(&app, "answers").await;
    let files: Vec<(String, Vec<u8>)> =
        (0..10).map(|i| (format!("book-{i}.pdf"), pdf(10, 300 + i))).collect();
    let (ct, body) = multipart(&files);
    let r = app.post("/api/v1/documents").bearer(&token).raw(&ct, body).send().await;
    let ids: Vec<String> = r.json()["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document"]["id"].as_str().unwrap().to_string())
        .collect();
    wait_ready(&app, &token, &ids).await;
    let stand = MockServer::start().await;
    let sse = [
        json!({ "id": "b", "choices": [{ "index": 0, "delta": { "role": "assistant", "content": "Payments are recorded [1]." } }] }),
        json!({ "id": "b", "choices": [{ "index": 0, "delta": {}, "finish_reason": "stop" }] }),
    ]
    .iter()
    .map(|e| format!("data: {e}\n\n"))
    .collect::<String>()
        + "data: [DONE]\n\n";
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(sse),
        )
        .mount(&stand)
        .await;
    app.post("/api/v1/ai/providers")
        .bearer(&token)
        .json(&json!({ "name": "stand", "kind": "openai_compatible", "base_url": stand.uri(), "chat_model": "stand-1" }))
        .send()
        .await
        .assert_status(201);
    let questions = [
        "When are supplier payments recorded?",
        "How is interest on a due balance entered?",
        "What happens to a refund in the ledger?",
        "Which account records the customer receipt?",
        "How are goods and services returned in a period?",
    ];
    for (mode, routes) in
        [("generative", json!({ "answer": ["stand"] })), ("extractive", json!({}))]
    {
        app.put("/api/v1/ai/policy")
            .bearer(&token)
            .json(&json!({ "routes": routes }))
            .send()
            .await
            .assert_status(200);
        let (mut total, mut retrieval) = (Vec::new(), Vec::new());
        for round in 0..8 {
            for q in questions {
                let chat = app.post("/api/v1/chats").bearer(&token).json(&json!({})).send().await;
                let chat = chat.json()["id"].as_str().unwrap().to_string();
                let started = Instant::now();
                let r = app
                    .post(&format!("/api/v1/chats/{chat}/messages"))
                    .bearer(&token)
                    .json(&json!({ "content": q, "stream": true }))
                    .send()
                    .await;
                let ms = started.elapsed().as_secs_f64() * 1e3;
                let body = r.text();
                assert!(body.contains("event: token"), "{body}");
                let done = body.rsplit("data: ").next().unwrap_or_default();
                let done: serde_json::Value = serde_json::from_str(done.trim()).unwrap();
                assert_eq!(done["message"]["mode"], mode, "{done}");
                if round > 0 {
                    total.push(ms);
                    retrieval.push(done["message"]["retrieval_ms"].as_f64().unwrap_or(0.0));
                }
            }
        }
        println!(
            "{mode} answer, stand-in model answering at once: whole answer p50 {:.1} ms, p95 {:.1} ms; \
             rewriting + retrieval + prompt p50 {:.1} ms, p95 {:.1} ms (n={})",
            pct(&mut total, 0.5),
            pct(&mut total, 0.95),
            pct(&mut retrieval, 0.5),
            pct(&mut retrieval, 0.95),
            total.len()
        );
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
        if which.is_empty() || which == "--bench" || which == "ingest" {
            ingestion().await;
        }
        if which.is_empty() || which == "--bench" || which == "answers" {
            answers().await;
        }
        if which.is_empty() || which == "--bench" || which == "search" {
            search().await;
        }
    });
}
