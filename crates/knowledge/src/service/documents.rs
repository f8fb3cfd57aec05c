//! Documents: upload (files or pasted text), list, read, change, replace,
//! re-index, delete, chunks and originals.

use chrono::{DateTime, Utc};
use identity::Granted;
use jobs::NewJob;
use kernel::audit::Changes;
use kernel::pagination::{Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::detect::{self, Format, Unsupported};
use crate::error::{KnowledgeError, Result};
use crate::ingest;
use crate::model::{ChunkView, Document};
use crate::permissions::{DocumentsRead, DocumentsWrite};
use crate::repo::documents::{ListFilter, NewDocument};
use crate::store::sha256_hex;
use crate::{Knowledge, repo};

/// A file as received.
#[derive(Debug)]
pub struct Incoming {
    /// The form field it came in (named in errors).
    pub field: String,
    /// Its name, as the client gave it.
    pub file_name: Option<String>,
    /// Its bytes.
    pub bytes: bytes::Bytes,
}

/// What describes the uploaded documents.
#[derive(Debug, Default)]
pub struct Meta {
    /// Title (single file or pasted text; else the file's name).
    pub title: Option<String>,
    /// Source label.
    pub source: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// One uploaded document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    /// The document (the existing one for a duplicate).
    pub document: Document,
    /// The tenant already had this content: nothing new was stored.
    pub duplicate: bool,
}

/// The upload's documents, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResult {
    /// One per file.
    pub documents: Vec<Uploaded>,
}

fn title_of(file_name: Option<&str>) -> String {
    let name = file_name.map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n)).unwrap_or("");
    let t = identity::model::display_text(name, 300)
        .ok()
        .filter(|_| !name.trim().is_empty())
        .unwrap_or_else(|| "Untitled".to_string());
    crate::extract::text::squash(&t)
}

/// Checks the files (size, type) before anything is stored.
fn checked(files: &[Incoming], limit: u64) -> Result<Vec<Format>> {
    let mut formats = Vec::new();
    for f in files {
        if f.bytes.len() as u64 > limit {
            return Err(KnowledgeError::TooLarge { field: f.field.clone(), limit });
        }
        match detect::detect(&f.bytes, f.file_name.as_deref()) {
            Ok(format) => formats.push(format),
            Err(Unsupported::Empty) => {
                return Err(KnowledgeError::invalid(&f.field, "the file is empty"));
            }
            Err(u) => {
                return Err(KnowledgeError::Unsupported {
                    field: f.field.clone(),
                    reason: u.to_string(),
                });
            }
        }
    }
    Ok(formats)
}

/// The tenant's upload limit (its setting, within the instance's).
pub async fn upload_limit(k: &Knowledge, caller: &identity::Caller) -> Result<u64> {
    let mut tx = caller.read_tx(k.db()).await?;
    let s = repo::settings::get(&mut tx).await?;
    Ok((s.max_upload_bytes.max(1) as u64).min(k.upload_limit()))
}

/// Stores the files and queues their ingestion: every file is checked
/// first, then all rows and jobs commit in one transaction.
pub async fn upload(
    k: &Knowledge,
    g: &Granted<DocumentsWrite>,
    files: Vec<Incoming>,
    meta: Meta,
) -> Result<UploadResult> {
    if files.is_empty() {
        return Err(KnowledgeError::invalid(
            "file",
            "send at least one file (or JSON with `text`)",
        ));
    }
    if files.len() > 100 {
        return Err(KnowledgeError::invalid("file", "at most 100 files per upload"));
    }
    let limit = upload_limit(k, g).await?;
    let formats = checked(&files, limit)?;
    let tenant = g.tenant();
    let mut hashes = Vec::new();
    for f in &files {
        let sha = sha256_hex(&f.bytes);
        k.files().put(tenant, &sha, &f.bytes).await.map_err(anyhow::Error::from)?;
        hashes.push(sha);
    }
    let single = files.len() == 1;
    let mut tx = g.tx(k.db()).await?;
    let mut out = Vec::new();
    for ((f, format), sha) in files.iter().zip(formats).zip(&hashes) {
        if let Some(existing) = repo::documents::by_sha(&mut tx, sha).await? {
            out.push(Uploaded { document: existing, duplicate: true });
            continue;
        }
        let title = match (&meta.title, single) {
            (Some(t), true) => t.clone(),
            _ => title_of(f.file_name.as_deref()),
        };
        let id = Uuid::now_v7();
        let new = NewDocument {
            id,
            title: &title,
            source: meta.source.as_deref(),
            tags: &meta.tags,
            format: format.as_str(),
            file_name: f.file_name.as_deref(),
            size_bytes: f.bytes.len() as i64,
            sha256: sha,
            created_by: g.user_id().map(|u| u.as_uuid()),
        };
        let doc = match repo::documents::insert(&mut tx, &new).await? {
            Some(d) => d,
            // The same file in this very upload, or a concurrent one.
            None => match repo::documents::by_sha(&mut tx, sha).await? {
                Some(d) => {
                    out.push(Uploaded { document: d, duplicate: true });
                    continue;
                }
                None => return Err(anyhow::anyhow!("a document vanished during upload").into()),
            },
        };
        NewJob::new(&ingest::job_for(&doc))
            .unique_key(format!("{}:{}", doc.id, doc.version))
            .enqueue(&mut tx)
            .await?;
        g.audit(
            &mut tx,
            "document.uploaded",
            "document",
            Some(doc.id.to_string()),
            Changes::new()
                .set("title", &doc.title)
                .set("format", &doc.format)
                .set("size_bytes", doc.size_bytes)
                .set("sha256", &doc.sha256),
        );
        out.push(Uploaded { document: doc, duplicate: false });
    }
    tx.commit().await?;
    Ok(UploadResult { documents: out })
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filters {
    /// Status.
    pub status: Option<&'static str>,
    /// Title contains.
    pub q: Option<String>,
    /// Any of these tags.
    pub tags: Option<Vec<String>>,
    /// Formats.
    pub formats: Option<Vec<String>>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
}

/// The tenant's documents, newest first.
pub async fn list(
    k: &Knowledge,
    g: &Granted<DocumentsRead>,
    page: &PageRequest,
    f: Filters,
) -> Result<Page<Document>> {
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let filter = ListFilter {
        documents: crate::repo::DocumentFilter {
            ids: None,
            tags: f.tags,
            formats: f.formats,
            created_after: f.created_after,
            created_before: f.created_before,
        },
        status: f.status,
        title: f.q,
    };
    let mut tx = g.read_tx(k.db()).await?;
    let rows = repo::documents::list(&mut tx, &filter, after, page.fetch()).await?;
    Ok(page.page(rows, |d| (d.created_at, d.id)))
}

/// One document.
pub async fn get(k: &Knowledge, g: &Granted<DocumentsRead>, id: Uuid) -> Result<Document> {
    let mut tx = g.read_tx(k.db()).await?;
    repo::documents::get(&mut tx, id).await?.ok_or(KnowledgeError::NotFound("document"))
}

/// Whether the document exists (before a body is read).
pub async fn exists<P>(k: &Knowledge, g: &Granted<P>, id: Uuid) -> Result<()> {
    let mut tx = g.read_tx(k.db()).await?;
    repo::documents::get(&mut tx, id).await?.map(|_| ()).ok_or(KnowledgeError::NotFound("document"))
}

/// A document's original: its bytes, media type and file name.
pub async fn original(
    k: &Knowledge,
    g: &Granted<DocumentsRead>,
    id: Uuid,
) -> Result<(Vec<u8>, Document)> {
    let doc = get(k, g, id).await?;
    let bytes = k.files().get(g.tenant(), &doc.sha256).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            KnowledgeError::NotFound("document file")
        } else {
            KnowledgeError::Other(e.into())
        }
    })?;
    Ok((bytes, doc))
}

/// A document's chunks, in order.
pub async fn chunks(
    k: &Knowledge,
    g: &Granted<DocumentsRead>,
    id: Uuid,
    page: &PageRequest,
) -> Result<Page<ChunkView>> {
    let after: Option<i32> = page.after()?;
    let mut tx = g.read_tx(k.db()).await?;
    if repo::documents::get(&mut tx, id).await?.is_none() {
        return Err(KnowledgeError::NotFound("document"));
    }
    let rows = repo::chunks::of_document(&mut tx, id, after, page.fetch()).await?;
    Ok(page.page(rows, |c| c.ord))
}

/// A change to a document's description.
#[derive(Debug, Default)]
pub struct Change {
    /// New title.
    pub title: Option<String>,
    /// New source (`Some(None)` clears it).
    pub source: Option<Option<String>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
}

/// Changes a document's title, source or tags.
pub async fn update(
    k: &Knowledge,
    g: &Granted<DocumentsWrite>,
    id: Uuid,
    c: Change,
) -> Result<Document> {
    let mut tx = g.tx(k.db()).await?;
    let before =
        repo::documents::lock(&mut tx, id).await?.ok_or(KnowledgeError::NotFound("document"))?;
    let after = repo::documents::update_meta(
        &mut tx,
        id,
        c.title.as_deref(),
        c.source.as_ref().map(|s| s.as_deref()),
        c.tags.as_deref(),
    )
    .await?
    .ok_or(KnowledgeError::NotFound("document"))?;
    let changes = Changes::new()
        .diff("title", &before.title, &after.title)
        .diff("source", &before.source, &after.source)
        .diff("tags", &before.tags, &after.tags);
    g.audit(&mut tx, "document.updated", "document", Some(id.to_string()), changes);
    tx.commit().await?;
    Ok(after)
}

/// Replaces a document's original (same id, re-ingested; search keeps the
/// old chunks until the new ones are in).
pub async fn replace(
    k: &Knowledge,
    g: &Granted<DocumentsWrite>,
    id: Uuid,
    file: Incoming,
) -> Result<Document> {
    let limit = upload_limit(k, g).await?;
    let format = checked(std::slice::from_ref(&file), limit)?[0];
    let sha = sha256_hex(&file.bytes);
    let tenant = g.tenant();
    {
        let mut tx = g.read_tx(k.db()).await?;
        let current =
            repo::documents::get(&mut tx, id).await?.ok_or(KnowledgeError::NotFound("document"))?;
        if current.sha256 == sha {
            return Ok(current);
        }
        if let Some(other) = repo::documents::by_sha(&mut tx, &sha).await? {
            return Err(kernel::ApiError::conflict(
                "duplicate_document",
                format!("this file is already the document “{}” ({})", other.title, other.id),
            )
            .extra("document_id", other.id)
            .into());
        }
    }
    k.files().put(tenant, &sha, &file.bytes).await.map_err(anyhow::Error::from)?;
    let mut tx = g.tx(k.db()).await?;
    let before =
        repo::documents::lock(&mut tx, id).await?.ok_or(KnowledgeError::NotFound("document"))?;
    let doc = repo::documents::replace_file(
        &mut tx,
        id,
        format.as_str(),
        file.file_name.as_deref(),
        file.bytes.len() as i64,
        &sha,
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => KnowledgeError::Api(
            kernel::ApiError::conflict("duplicate_document", "another document has this content"),
        ),
        _ => e.into(),
    })?
    .ok_or(KnowledgeError::NotFound("document"))?;
    NewJob::new(&ingest::job_for(&doc))
        .unique_key(format!("{}:{}", doc.id, doc.version))
        .enqueue(&mut tx)
        .await?;
    g.audit(
        &mut tx,
        "document.replaced",
        "document",
        Some(id.to_string()),
        Changes::new().diff("sha256", &before.sha256, &doc.sha256).diff(
            "format",
            &before.format,
            &doc.format,
        ),
    );
    let old = before.sha256.clone();
    let still_used = repo::documents::sha_in_use(&mut tx, &old).await?;
    tx.commit().await?;
    if !still_used {
        let _ = k.files().remove(tenant, &old).await;
    }
    Ok(doc)
}

/// Reads, chunks and embeds a document again.
pub async fn reindex(k: &Knowledge, g: &Granted<DocumentsWrite>, id: Uuid) -> Result<Document> {
    let mut tx = g.tx(k.db()).await?;
    let doc =
        repo::documents::requeue(&mut tx, id).await?.ok_or(KnowledgeError::NotFound("document"))?;
    NewJob::new(&ingest::job_for(&doc))
        .unique_key(format!("{}:{}", doc.id, doc.version))
        .enqueue(&mut tx)
        .await?;
    g.audit(&mut tx, "document.reindexed", "document", Some(id.to_string()), Changes::new());
    tx.commit().await?;
    Ok(doc)
}

/// Deletes a document: its chunks leave search in the same transaction,
/// its original once no other document of the tenant holds it.
pub async fn delete(k: &Knowledge, g: &Granted<DocumentsWrite>, id: Uuid) -> Result<()> {
    let mut tx = g.tx(k.db()).await?;
    let sha =
        repo::documents::delete(&mut tx, id).await?.ok_or(KnowledgeError::NotFound("document"))?;
    let still_used = repo::documents::sha_in_use(&mut tx, &sha).await?;
    g.audit(
        &mut tx,
        "document.deleted",
        "document",
        Some(id.to_string()),
        Changes::new().set("sha256", &sha),
    );
    tx.commit().await?;
    if !still_used {
        let _ = k.files().remove(g.tenant(), &sha).await;
    }
    Ok(())
}
