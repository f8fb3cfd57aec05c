//! Chunks, and the two searches over them (vector and full text), each
//! inside the tenant.

use kernel::db::TenantTx;
use uuid::Uuid;

use super::DocumentFilter;
use crate::model::ChunkView;

/// A chunk to store.
#[derive(Debug)]
pub struct NewChunk {
    /// Its text.
    pub text: String,
    /// Page.
    pub page: Option<i32>,
    /// Headings.
    pub headings: Vec<String>,
}

/// One model's vectors of a document's chunks, in the chunks' order.
#[derive(Debug)]
pub struct ModelVectors {
    /// The model.
    pub model: String,
    /// One vector per chunk.
    pub vectors: Vec<Vec<f32>>,
}

/// A vector as pgvector's text form.
pub fn vector_literal(v: &[f32]) -> String {
    let mut s = String::with_capacity(v.len() * 10 + 2);
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&x.to_string());
    }
    s.push(']');
    s
}

const SEP: &str = "\u{1f}";

/// Rows per insert statement, so one statement's parameters stay small.
const INSERT_BATCH: usize = 256;

/// Replaces a document's chunks with a new set (every earlier version's
/// go, with their vectors), and stores the new set's vectors of each
/// model, in the caller's transaction.
pub async fn replace(
    tx: &mut TenantTx,
    document_id: Uuid,
    version: i32,
    language: &str,
    chunks: &[NewChunk],
    vectors: &[ModelVectors],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
    let headings: Vec<String> = chunks.iter().map(|c| c.headings.join(SEP)).collect();
    // The company's term counts move by the new set less the old one.
    sqlx::query(kernel::sql!(
        "INSERT INTO knowledge_terms (tenant_id, term, chunks)
         SELECT $1, d.lexeme, sum(d.n)::int FROM (
                SELECT l.lexeme, 1 AS n
                  FROM unnest($3::text[], $4::text[]) AS u(text, headings),
                       unnest(knowledge_tsv(replace(u.headings, E'\\x1f', ' '), u.text, $5::regconfig)) AS l
                UNION ALL
                SELECT l.lexeme, -1
                  FROM document_chunks c, unnest(c.tsv) AS l
                 WHERE c.tenant_id = $1 AND c.document_id = $2) AS d
          GROUP BY d.lexeme HAVING sum(d.n) <> 0
          ORDER BY d.lexeme
         ON CONFLICT (tenant_id, term) DO UPDATE SET chunks = knowledge_terms.chunks + EXCLUDED.chunks"
    ))
    .bind(tenant)
    .bind(document_id)
    .bind(&texts)
    .bind(&headings)
    .bind(language)
    .execute(&mut **tx)
    .await?;
    sqlx::query(kernel::sql!(
        "DELETE FROM document_chunks WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(document_id)
    .execute(&mut **tx)
    .await?;
    let ids: Vec<Uuid> = chunks.iter().map(|_| Uuid::now_v7()).collect();
    for (b, batch) in chunks.chunks(INSERT_BATCH).enumerate() {
        let first = b * INSERT_BATCH;
        let ords: Vec<i32> = (0..batch.len()).map(|i| (first + i) as i32).collect();
        let pages: Vec<Option<i32>> = batch.iter().map(|c| c.page).collect();
        let range = first..first + batch.len();
        sqlx::query(kernel::sql!(
            "INSERT INTO document_chunks
                 (tenant_id, id, document_id, version, ord, text, page, headings, tsv)
             SELECT $1, u.id, $2, $3, u.ord, u.text, u.page,
                    CASE WHEN u.headings = '' THEN '{}'::text[] ELSE string_to_array(u.headings, E'\\x1f') END,
                    knowledge_tsv(replace(u.headings, E'\\x1f', ' '), u.text, $4::regconfig)
               FROM unnest($5::uuid[], $6::int[], $7::text[], $8::int[], $9::text[])
                    AS u(id, ord, text, page, headings)"
        ))
        .bind(tenant)
        .bind(document_id)
        .bind(version)
        .bind(language)
        .bind(&ids[first..first + batch.len()])
        .bind(&ords)
        .bind(&texts[range.clone()])
        .bind(&pages)
        .bind(&headings[range])
        .execute(&mut **tx)
        .await?;
    }
    for set in vectors {
        let rows: Vec<(Uuid, &[f32])> =
            ids.iter().copied().zip(set.vectors.iter().map(Vec::as_slice)).collect();
        insert_vectors(tx, document_id, &set.model, &rows).await?;
    }
    Ok(())
}

/// Stores vectors of one model for chunks of one document (a vector the
/// chunk already has for that model is kept).
pub async fn insert_vectors(
    tx: &mut TenantTx,
    document_id: Uuid,
    model: &str,
    rows: &[(Uuid, &[f32])],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    for batch in rows.chunks(INSERT_BATCH) {
        let ids: Vec<Uuid> = batch.iter().map(|r| r.0).collect();
        let vecs: Vec<String> = batch.iter().map(|r| vector_literal(r.1)).collect();
        let dims = batch.first().map_or(0, |r| r.1.len()) as i16;
        sqlx::query(kernel::sql!(
            "INSERT INTO chunk_vectors (tenant_id, chunk_id, document_id, model, dims, embedding)
             SELECT $1, u.id, $2, $3, $4, u.v::vector FROM unnest($5::uuid[], $6::text[]) AS u(id, v)
             ON CONFLICT (tenant_id, chunk_id, model) DO NOTHING"
        ))
        .bind(tenant)
        .bind(document_id)
        .bind(model)
        .bind(dims)
        .bind(&ids)
        .bind(&vecs)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A chunk waiting for a vector of another model.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unembedded {
    /// Chunk id.
    pub id: Uuid,
    /// Its document.
    pub document_id: Uuid,
    /// Text.
    pub text: String,
    /// Heading path.
    pub headings: Vec<String>,
}

/// Chunks after `after` (in id order) with no vector of `model`.
pub async fn without_vector(
    tx: &mut TenantTx,
    model: &str,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Unembedded>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT c.id, c.document_id, c.text, c.headings FROM document_chunks c
          WHERE c.tenant_id = $1 AND ($3::uuid IS NULL OR c.id > $3)
            AND NOT EXISTS (SELECT 1 FROM chunk_vectors v
                             WHERE v.tenant_id = $1 AND v.chunk_id = c.id AND v.model = $2)
          ORDER BY c.id LIMIT $4"
    ))
    .bind(tenant)
    .bind(model)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// How many of the tenant's chunks have a vector of `model`, and how many
/// chunks there are.
pub async fn coverage(tx: &mut TenantTx, model: &str) -> Result<(i64, i64), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT (SELECT count(*) FROM chunk_vectors WHERE tenant_id = $1 AND model = $2),
                (SELECT count(*) FROM document_chunks WHERE tenant_id = $1)"
    ))
    .bind(tenant)
    .bind(model)
    .fetch_one(&mut **tx)
    .await
}

/// Deletes the tenant's vectors of every model but `keep`.
pub async fn drop_other_models(tx: &mut TenantTx, keep: &str) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let done =
        sqlx::query(kernel::sql!("DELETE FROM chunk_vectors WHERE tenant_id = $1 AND model <> $2"))
            .bind(tenant)
            .bind(keep)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected())
}

/// A document's chunks in order, after `after_ord`.
pub async fn of_document(
    tx: &mut TenantTx,
    document_id: Uuid,
    after_ord: Option<i32>,
    limit: i64,
) -> Result<Vec<ChunkView>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, document_id, ord, text, page, headings FROM document_chunks
          WHERE tenant_id = $1 AND document_id = $2 AND ($3::int IS NULL OR ord > $3)
          ORDER BY ord LIMIT $4"
    ))
    .bind(tenant)
    .bind(document_id)
    .bind(after_ord)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// A found chunk with its document's title.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChunkRow {
    /// Chunk id.
    pub id: Uuid,
    /// Document.
    pub document_id: Uuid,
    /// Title.
    pub title: String,
    /// Position.
    pub ord: i32,
    /// Text.
    pub text: String,
    /// Page.
    pub page: Option<i32>,
    /// Headings.
    pub headings: Vec<String>,
}

/// Chunks by id, with their documents' titles (order not kept). The
/// chunks are looked up by key first: joined directly, the planner may
/// start from a large document and filter its every chunk.
pub async fn rows(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<ChunkRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "WITH c AS MATERIALIZED (
             SELECT id, document_id, ord, text, page, headings FROM document_chunks
              WHERE tenant_id = $1 AND id = ANY($2))
         SELECT c.id, c.document_id, d.title, c.ord, c.text, c.page, c.headings
           FROM c JOIN documents d ON d.tenant_id = $1 AND d.id = c.document_id"
    ))
    .bind(tenant)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}

/// The documents a search is limited to, as a condition on `c`
/// (parameters `$5`–`$9`).
macro_rules! in_documents {
    () => {
        "($5::uuid[] IS NULL AND $6::text[] IS NULL AND $7::text[] IS NULL AND $8::timestamptz IS NULL \
           AND $9::timestamptz IS NULL
          OR c.document_id IN (SELECT d.id FROM documents d WHERE d.tenant_id = $1
               AND ($5::uuid[] IS NULL OR d.id = ANY($5))
               AND ($6::text[] IS NULL OR d.tags && $6)
               AND ($7::text[] IS NULL OR d.format = ANY($7))
               AND ($8::timestamptz IS NULL OR d.created_at >= $8)
               AND ($9::timestamptz IS NULL OR d.created_at < $9)))"
    };
}

macro_rules! nearest {
    ($d:literal) => {
        kernel::sql!(concat!(
            "SELECT c.chunk_id, (c.embedding::vector(",
            $d,
            ") <=> $2::vector(",
            $d,
            "))::float8
               FROM chunk_vectors c
              WHERE c.tenant_id = $1 AND c.dims = ",
            $d,
            " AND c.model = $3 AND ",
            in_documents!(),
            " ORDER BY c.embedding::vector(",
            $d,
            ") <=> $2::vector(",
            $d,
            ") LIMIT $4"
        ))
    };
}

/// Sets up the searches of this transaction — HNSW iterative scans (so
/// the tenant filter cannot starve a result), and plans made for each
/// call's values (a generic plan cannot see that a filter is absent or how
/// large the tenant is) — and returns how many chunks the filter leaves
/// (from the documents' counts: no chunk is read).
pub async fn prepare(tx: &mut TenantTx, f: &DocumentFilter) -> Result<i64, sqlx::Error> {
    let tenant = tx.tenant();
    let (n,): (i64,) = sqlx::query_as(kernel::sql!(
        "SELECT (SELECT coalesce(sum(d.chunk_count), 0) FROM documents d
                  WHERE d.tenant_id = $1 AND d.status = 'ready'
                    AND ($2::uuid[] IS NULL OR d.id = ANY($2))
                    AND ($3::text[] IS NULL OR d.tags && $3)
                    AND ($4::text[] IS NULL OR d.format = ANY($4))
                    AND ($5::timestamptz IS NULL OR d.created_at >= $5)
                    AND ($6::timestamptz IS NULL OR d.created_at < $6))::int8
           FROM (SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),
                        set_config('hnsw.ef_search', '100', true),
                        set_config('plan_cache_mode', 'force_custom_plan', true)) AS s"
    ))
    .bind(tenant)
    .bind(f.ids.as_deref())
    .bind(f.tags.as_deref())
    .bind(f.formats.as_deref())
    .bind(f.created_after)
    .bind(f.created_before)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n)
}

/// How a vector search finds its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorPlan {
    /// Every vector in scope compared: exact, and fastest for a few
    /// thousand vectors or a narrow filter.
    Exact,
    /// The HNSW index of the vector's length (approximate; iterative scans).
    Index,
}

/// The chunks nearest to a vector (cosine distance), of one model (call
/// [`prepare`] first in the transaction). Lengths without an index are
/// always compared exactly.
pub async fn nearest(
    tx: &mut TenantTx,
    vector: &[f32],
    model: &str,
    f: &DocumentFilter,
    limit: i64,
    plan: VectorPlan,
) -> Result<Vec<(Uuid, f64)>, sqlx::Error> {
    let tenant = tx.tenant();
    let indexed = matches!(vector.len(), 384 | 768 | 1024 | 1536);
    let sql = match (plan, vector.len()) {
        (VectorPlan::Index, 384) => nearest!("384"),
        (VectorPlan::Index, 768) => nearest!("768"),
        (VectorPlan::Index, 1024) => nearest!("1024"),
        (VectorPlan::Index, 1536) => nearest!("1536"),
        // Without the cast the expression indexes do not apply.
        _ => kernel::sql!(concat!(
            "SELECT c.chunk_id, (c.embedding <=> $2::vector)::float8
               FROM chunk_vectors c
              WHERE c.tenant_id = $1 AND c.dims = $10 AND c.model = $3 AND ",
            in_documents!(),
            " ORDER BY c.embedding <=> $2::vector LIMIT $4"
        )),
    };
    let mut q = sqlx::query_as(sql)
        .bind(tenant)
        .bind(vector_literal(vector))
        .bind(model)
        .bind(limit)
        .bind(f.ids.as_deref())
        .bind(f.tags.as_deref())
        .bind(f.formats.as_deref())
        .bind(f.created_after)
        .bind(f.created_before);
    if plan == VectorPlan::Exact || !indexed {
        q = q.bind(vector.len() as i16);
    }
    let mut rows: Vec<(Uuid, f64)> = q.fetch_all(&mut **tx).await?;
    // Iterative scans may return rows slightly out of order.
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(rows)
}

/// The text search configurations of the tenant's documents (`simple`
/// always among them).
pub async fn languages(tx: &mut TenantTx) -> Result<Vec<String>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "SELECT 'simple' UNION SELECT DISTINCT language FROM documents
          WHERE tenant_id = $1 AND language IS NOT NULL"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// The company's chunk count and, for each term, in how many of its
/// chunks it occurs (the largest count among the term's lexemes in the
/// `languages`' configurations).
pub async fn term_counts(
    tx: &mut TenantTx,
    terms: &[String],
    languages: &[String],
) -> Result<(i64, Vec<i64>), sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(i64, i64)> = sqlx::query_as(kernel::sql!(
        "SELECT (SELECT coalesce(sum(chunk_count), 0) FROM documents WHERE tenant_id = $1)::int8,
                coalesce((SELECT max(k.chunks)
                            FROM unnest($3::text[]) AS cfg,
                                 unnest(to_tsvector(cfg::regconfig, q.t)) AS l
                            JOIN knowledge_terms k ON k.tenant_id = $1 AND k.term = l.lexeme), 0)::int8
           FROM unnest($2::text[]) WITH ORDINALITY AS q(t, i)
          ORDER BY q.i"
    ))
    .bind(tenant)
    .bind(terms)
    .bind(languages)
    .fetch_all(&mut **tx)
    .await?;
    let n = rows.first().map_or(0, |r| r.0);
    Ok((n, rows.into_iter().map(|r| r.1).collect()))
}

/// For each of `terms`, the `per_term` chunks holding it most often
/// (BM25's candidates beside [`matching`]'s: a chunk holding the query's
/// rarest word but not its others).
pub async fn holding_terms(
    tx: &mut TenantTx,
    terms: &[String],
    languages: &[String],
    f: &DocumentFilter,
    per_term: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(concat!(
        "SELECT DISTINCT x.id
           FROM unnest($2::text[]) AS t(term),
                LATERAL (SELECT knowledge_tsquery(t.term, $3::text[]) AS q) AS tq,
                LATERAL (SELECT c.id FROM document_chunks c
                          WHERE c.tenant_id = $1 AND c.tsv @@ tq.q AND ",
        in_documents!(),
        "        ORDER BY ts_rank(c.tsv, tq.q, 1) DESC, c.id LIMIT $4) AS x"
    )))
    .bind(tenant)
    .bind(terms)
    .bind(languages)
    .bind(per_term)
    .bind(f.ids.as_deref())
    .bind(f.tags.as_deref())
    .bind(f.formats.as_deref())
    .bind(f.created_after)
    .bind(f.created_before)
    .fetch_all(&mut **tx)
    .await
}

/// Chunks holding only some of a query's terms that are ranked at most
/// (`ts_rank_cd` reads each match's `tsvector`, and in a large company
/// common words match tens of thousands).
pub const PARTIAL_MATCHES_RANKED: i64 = 400;

/// The full-text candidates: the chunks matching the query's terms, in
/// tiers — those holding every term, then (when fewer than `limit`) all but
/// one, then any (among at most [`PARTIAL_MATCHES_RANKED`] of them), each
/// tier cut by `ts_rank_cd`. Search ranks them by BM25 afterwards.
pub async fn matching(
    tx: &mut TenantTx,
    q: &crate::query::TsQueries,
    languages: &[String],
    f: &DocumentFilter,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(Uuid, f64, i32)> = sqlx::query_as(kernel::sql!(concat!(
        "WITH q AS MATERIALIZED (
             SELECT knowledge_tsquery($2, $3::text[]) AS any_q,
                    knowledge_tsquery($10, $3::text[]) AS all_q,
                    knowledge_tsquery($11, $3::text[]) AS most_q),
         every_term AS MATERIALIZED (
             SELECT c.id, ts_rank_cd(c.tsv, q.any_q)::float8 AS rank
               FROM document_chunks c, q
              WHERE c.tenant_id = $1 AND c.tsv @@ q.all_q AND ",
        in_documents!(),
        "     ORDER BY rank DESC, c.id LIMIT $4),
         most_terms AS MATERIALIZED (
             SELECT c.id, ts_rank_cd(c.tsv, q.any_q)::float8 AS rank
               FROM document_chunks c, q
              WHERE (SELECT count(*) FROM every_term) < $4 AND q.most_q IS NOT NULL
                AND c.tenant_id = $1 AND c.tsv @@ q.most_q AND NOT c.tsv @@ q.all_q AND ",
        in_documents!(),
        "     ORDER BY rank DESC, c.id LIMIT $4),
         some_terms AS (
             SELECT c.id, c.tsv
               FROM document_chunks c, q
              WHERE (SELECT count(*) FROM every_term) + (SELECT count(*) FROM most_terms) < $4
                AND c.tenant_id = $1 AND c.tsv @@ q.any_q AND NOT c.tsv @@ q.all_q
                AND (q.most_q IS NULL OR NOT c.tsv @@ q.most_q) AND ",
        in_documents!(),
        "     LIMIT $12)
         SELECT id, rank, tier FROM (
             SELECT id, rank, 0 AS tier FROM every_term
             UNION ALL
             SELECT id, rank, 1 FROM most_terms
             UNION ALL
             (SELECT p.id, ts_rank_cd(p.tsv, q.any_q)::float8 AS rank, 2
                FROM some_terms p, q ORDER BY rank DESC, p.id LIMIT $4)) t
          ORDER BY tier, rank DESC, id LIMIT $4"
    )))
    .bind(tenant)
    .bind(&q.any)
    .bind(languages)
    .bind(limit)
    .bind(f.ids.as_deref())
    .bind(f.tags.as_deref())
    .bind(f.formats.as_deref())
    .bind(f.created_after)
    .bind(f.created_before)
    .bind(&q.all)
    .bind(q.most.as_deref())
    .bind(PARTIAL_MATCHES_RANKED)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
