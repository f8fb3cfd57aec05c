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
    /// Its vector.
    pub embedding: Vec<f32>,
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

/// Replaces a document's chunks with a new set (every earlier version's
/// go), in the caller's transaction.
pub async fn replace(
    tx: &mut TenantTx,
    document_id: Uuid,
    version: i32,
    model: &str,
    language: &str,
    chunks: &[NewChunk],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "DELETE FROM document_chunks WHERE tenant_id = $1 AND document_id = $2"
    ))
    .bind(tenant)
    .bind(document_id)
    .execute(&mut **tx)
    .await?;
    // In batches, so one statement's parameters stay small.
    for (b, batch) in chunks.chunks(256).enumerate() {
        let ids: Vec<Uuid> = batch.iter().map(|_| Uuid::now_v7()).collect();
        let ords: Vec<i32> = (0..batch.len()).map(|i| (b * 256 + i) as i32).collect();
        let texts: Vec<&str> = batch.iter().map(|c| c.text.as_str()).collect();
        let pages: Vec<Option<i32>> = batch.iter().map(|c| c.page).collect();
        let headings: Vec<String> = batch.iter().map(|c| c.headings.join(SEP)).collect();
        let vectors: Vec<String> = batch.iter().map(|c| vector_literal(&c.embedding)).collect();
        let dims = batch.first().map_or(0, |c| c.embedding.len()) as i16;
        sqlx::query(kernel::sql!(
            "INSERT INTO document_chunks
                 (tenant_id, id, document_id, version, ord, text, page, headings, model, dims, embedding, tsv)
             SELECT $1, u.id, $2, $3, u.ord, u.text, u.page,
                    CASE WHEN u.headings = '' THEN '{}'::text[] ELSE string_to_array(u.headings, E'\\x1f') END,
                    $4, $5, u.vec::vector,
                    setweight(to_tsvector('simple', replace(u.headings, E'\\x1f', ' ')), 'A')
                      || to_tsvector('simple', u.text)
                      || to_tsvector($6::regconfig, u.text)
               FROM unnest($7::uuid[], $8::int[], $9::text[], $10::int[], $11::text[], $12::text[])
                    AS u(id, ord, text, page, headings, vec)"
        ))
        .bind(tenant)
        .bind(document_id)
        .bind(version)
        .bind(model)
        .bind(dims)
        .bind(language)
        .bind(&ids)
        .bind(&ords)
        .bind(&texts)
        .bind(&pages)
        .bind(&headings)
        .bind(&vectors)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
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

/// Chunks by id, with their documents' titles (order not kept).
pub async fn rows(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<ChunkRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT c.id, c.document_id, d.title, c.ord, c.text, c.page, c.headings
           FROM document_chunks c JOIN documents d ON d.tenant_id = c.tenant_id AND d.id = c.document_id
          WHERE c.tenant_id = $1 AND c.id = ANY($2)"
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
            "SELECT c.id, (c.embedding::vector(",
            $d,
            ") <=> $2::vector(",
            $d,
            "))::float8
               FROM document_chunks c
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

/// Settings for the searches of this transaction: HNSW iterative scans
/// (so the tenant filter cannot starve a result), and plans made for each
/// call's values — a generic plan cannot see that a filter is absent or
/// how large the tenant is, and picked sequential scans at 40,000 chunks.
pub async fn tune(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!(
        "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),
                set_config('hnsw.ef_search', '100', true),
                set_config('plan_cache_mode', 'force_custom_plan', true)"
    ))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The chunks nearest to a vector (cosine distance), of one model (call
/// [`tune`] first in the transaction).
/// Dimensions with an index use it (HNSW with iterative scans, so the
/// tenant filter does not starve the result); others are scanned.
pub async fn nearest(
    tx: &mut TenantTx,
    vector: &[f32],
    model: &str,
    f: &DocumentFilter,
    limit: i64,
) -> Result<Vec<(Uuid, f64)>, sqlx::Error> {
    let tenant = tx.tenant();
    let sql = match vector.len() {
        384 => nearest!("384"),
        768 => nearest!("768"),
        1024 => nearest!("1024"),
        1536 => nearest!("1536"),
        _ => kernel::sql!(concat!(
            "SELECT c.id, (c.embedding <=> $2::vector)::float8
               FROM document_chunks c
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
    if !matches!(vector.len(), 384 | 768 | 1024 | 1536) {
        q = q.bind(vector.len() as i16);
    }
    let mut rows: Vec<(Uuid, f64)> = q.fetch_all(&mut **tx).await?;
    // Iterative scans may return rows slightly out of order.
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(rows)
}

/// The chunks matching any of the query's terms, best first
/// (`ts_rank_cd`). `terms` is a `to_tsquery` expression of plain words
/// joined by `|`.
pub async fn matching(
    tx: &mut TenantTx,
    terms: &str,
    f: &DocumentFilter,
    limit: i64,
) -> Result<Vec<(Uuid, f64)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "WITH q AS (SELECT to_tsquery('simple', $2) || to_tsquery('english', $2) AS q)
         SELECT c.id, ts_rank_cd(c.tsv, q.q)::float8 AS rank
           FROM document_chunks c, q
          WHERE c.tenant_id = $1 AND c.tsv @@ q.q AND $3::text IS NULL AND ",
        in_documents!(),
        " ORDER BY rank DESC, c.id LIMIT $4"
    )))
    .bind(tenant)
    .bind(terms)
    .bind(None::<String>)
    .bind(limit)
    .bind(f.ids.as_deref())
    .bind(f.tags.as_deref())
    .bind(f.formats.as_deref())
    .bind(f.created_after)
    .bind(f.created_before)
    .fetch_all(&mut **tx)
    .await
}

/// The model most of the tenant's chunks come from (what a query is
/// embedded with).
pub async fn main_model(tx: &mut TenantTx) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "SELECT embedding_model FROM documents WHERE tenant_id = $1 AND embedding_model IS NOT NULL
          GROUP BY embedding_model ORDER BY sum(chunk_count) DESC LIMIT 1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await
}
