//! Documents.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use uuid::Uuid;

use super::DocumentFilter;
use crate::model::Document;

macro_rules! document_columns {
    () => {
        "id, title, source, tags, format, file_name, size_bytes, sha256, status, progress, failure, \
         version, pages, chunk_count, char_count, language, embedding_model, created_by, created_at, \
         updated_at, ingested_at"
    };
}

/// A document to insert.
#[derive(Debug)]
pub struct NewDocument<'a> {
    /// Its id.
    pub id: Uuid,
    /// Title.
    pub title: &'a str,
    /// Source label.
    pub source: Option<&'a str>,
    /// Tags.
    pub tags: &'a [String],
    /// Format.
    pub format: &'a str,
    /// File name.
    pub file_name: Option<&'a str>,
    /// Size.
    pub size_bytes: i64,
    /// SHA-256 hex.
    pub sha256: &'a str,
    /// Uploader.
    pub created_by: Option<Uuid>,
}

/// Inserts a document, unless the tenant has one with the same content:
/// `None` then (the caller returns the existing one).
pub async fn insert(
    tx: &mut TenantTx,
    d: &NewDocument<'_>,
) -> Result<Option<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "INSERT INTO documents (tenant_id, id, title, source, tags, format, file_name, size_bytes, sha256, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, sha256) DO NOTHING
         RETURNING ",
        document_columns!()
    )))
    .bind(tenant)
    .bind(d.id)
    .bind(d.title)
    .bind(d.source)
    .bind(d.tags)
    .bind(d.format)
    .bind(d.file_name)
    .bind(d.size_bytes)
    .bind(d.sha256)
    .bind(d.created_by)
    .fetch_optional(&mut **tx)
    .await
}

/// The tenant's document with this content.
pub async fn by_sha(tx: &mut TenantTx, sha: &str) -> Result<Option<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        document_columns!(),
        " FROM documents WHERE tenant_id = $1 AND sha256 = $2"
    )))
    .bind(tenant)
    .bind(sha)
    .fetch_optional(&mut **tx)
    .await
}

/// One document.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        document_columns!(),
        " FROM documents WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// One document, locked until the transaction ends.
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> Result<Option<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        document_columns!(),
        " FROM documents WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// The list's filters.
#[derive(Debug, Default)]
pub struct ListFilter {
    /// Which documents.
    pub documents: DocumentFilter,
    /// Only this status.
    pub status: Option<&'static str>,
    /// Title contains (case-insensitive).
    pub title: Option<String>,
}

/// The tenant's documents, newest first.
pub async fn list(
    tx: &mut TenantTx,
    f: &ListFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    let d = &f.documents;
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        document_columns!(),
        " FROM documents
          WHERE tenant_id = $1
            AND ($2::text IS NULL OR status = $2)
            AND ($3::text IS NULL OR strpos(lower(title), lower($3)) > 0)
            AND ($4::text[] IS NULL OR tags && $4)
            AND ($5::text[] IS NULL OR format = ANY($5))
            AND ($6::timestamptz IS NULL OR created_at >= $6)
            AND ($7::timestamptz IS NULL OR created_at < $7)
            AND ($8::timestamptz IS NULL OR (created_at, id) < ($8, $9))
          ORDER BY created_at DESC, id DESC
          LIMIT $10"
    )))
    .bind(tenant)
    .bind(f.status)
    .bind(f.title.as_deref())
    .bind(d.tags.as_deref())
    .bind(d.formats.as_deref())
    .bind(d.created_after)
    .bind(d.created_before)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Changes a document's title, source and tags (`None` keeps a field).
pub async fn update_meta(
    tx: &mut TenantTx,
    id: Uuid,
    title: Option<&str>,
    source: Option<Option<&str>>,
    tags: Option<&[String]>,
) -> Result<Option<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "UPDATE documents SET
            title = COALESCE($3, title),
            source = CASE WHEN $4 THEN $5 ELSE source END,
            tags = COALESCE($6, tags),
            updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING ",
        document_columns!()
    )))
    .bind(tenant)
    .bind(id)
    .bind(title)
    .bind(source.is_some())
    .bind(source.flatten())
    .bind(tags)
    .fetch_optional(&mut **tx)
    .await
}

/// Points a document at a new original and queues it (a new version).
pub async fn replace_file(
    tx: &mut TenantTx,
    id: Uuid,
    format: &str,
    file_name: Option<&str>,
    size_bytes: i64,
    sha256: &str,
) -> Result<Option<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "UPDATE documents SET format = $3, file_name = $4, size_bytes = $5, sha256 = $6,
                status = 'queued', progress = 0, failure = NULL, version = version + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING ",
        document_columns!()
    )))
    .bind(tenant)
    .bind(id)
    .bind(format)
    .bind(file_name)
    .bind(size_bytes)
    .bind(sha256)
    .fetch_optional(&mut **tx)
    .await
}

/// Queues a document again (a new version from the same original).
pub async fn requeue(tx: &mut TenantTx, id: Uuid) -> Result<Option<Document>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "UPDATE documents SET status = 'queued', progress = 0, failure = NULL, version = version + 1,
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING ",
        document_columns!()
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Deletes a document (its chunks go with it, and leave the company's
/// term counts); returns its content hash.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO knowledge_terms (tenant_id, term, chunks)
         SELECT $1, l.lexeme, -count(*)::int
           FROM document_chunks c, unnest(c.tsv) AS l
          WHERE c.tenant_id = $1 AND c.document_id = $2
          GROUP BY l.lexeme
          ORDER BY l.lexeme
         ON CONFLICT (tenant_id, term) DO UPDATE SET chunks = knowledge_terms.chunks + EXCLUDED.chunks"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar(kernel::sql!(
        "DELETE FROM documents WHERE tenant_id = $1 AND id = $2 RETURNING sha256"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Whether another of the tenant's documents holds this content.
pub async fn sha_in_use(tx: &mut TenantTx, sha: &str) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM documents WHERE tenant_id = $1 AND sha256 = $2)"
    ))
    .bind(tenant)
    .bind(sha)
    .fetch_one(&mut **tx)
    .await
}

/// Moves a version to `processing` (or keeps it there) with a progress.
/// False when the document has moved on to another version or is gone.
pub async fn progress(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    pct: i16,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "UPDATE documents SET status = 'processing', progress = $4, failure = NULL, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND version = $3"
    ))
    .bind(tenant)
    .bind(id)
    .bind(version)
    .bind(pct)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a version failed with a reason for a person.
pub async fn fail(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "UPDATE documents SET status = 'failed', progress = 0, failure = $4, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND version = $3"
    ))
    .bind(tenant)
    .bind(id)
    .bind(version)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a finished ingestion records.
#[derive(Debug)]
pub struct Ingested<'a> {
    /// Pages (PDF).
    pub pages: Option<i32>,
    /// Chunks stored.
    pub chunk_count: i32,
    /// Characters extracted.
    pub char_count: i32,
    /// Text search configuration.
    pub language: Option<&'a str>,
    /// Embedding model.
    pub model: &'a str,
    /// A title read from the file, used when the document's title was
    /// only its file name.
    pub title: Option<&'a str>,
}

/// Marks a version ready.
pub async fn ready(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    i: &Ingested<'_>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE documents SET status = 'ready', progress = 100, failure = NULL, pages = $4,
                chunk_count = $5, char_count = $6, language = $7, embedding_model = $8,
                title = CASE WHEN $9::text IS NOT NULL AND title = file_name THEN left($9, 300) ELSE title END,
                ingested_at = now(), updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND version = $3"
    ))
    .bind(tenant)
    .bind(id)
    .bind(version)
    .bind(i.pages)
    .bind(i.chunk_count)
    .bind(i.char_count)
    .bind(i.language)
    .bind(i.model)
    .bind(i.title)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Documents by state, and the pages and characters of the ready ones.
pub async fn counts(
    tx: &mut TenantTx,
) -> Result<(crate::model::DocumentCounts, i64, i64), sqlx::Error> {
    let tenant = tx.tenant();
    let (queued, processing, ready, failed, pages, chars): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(kernel::sql!(
            "SELECT count(*) FILTER (WHERE status = 'queued'),
                    count(*) FILTER (WHERE status = 'processing'),
                    count(*) FILTER (WHERE status = 'ready'),
                    count(*) FILTER (WHERE status = 'failed'),
                    coalesce(sum(pages) FILTER (WHERE status = 'ready'), 0)::int8,
                    coalesce(sum(char_count) FILTER (WHERE status = 'ready'), 0)::int8
               FROM documents WHERE tenant_id = $1"
        ))
        .bind(tenant)
        .fetch_one(&mut **tx)
        .await?;
    Ok((crate::model::DocumentCounts { queued, processing, ready, failed }, pages, chars))
}
