//! The tenant's knowledge settings (defaults until first changed), and the
//! embedding models: the one search reads, and the one the knowledge base
//! is moving to.

use kernel::db::TenantTx;

use crate::model::Settings;

/// The embedding models of a tenant's knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Models {
    /// The model whose vectors search reads.
    pub active: String,
    /// The model being moved to (its vectors are being made), if any.
    pub next: Option<String>,
}

impl Default for Models {
    fn default() -> Self {
        Models { active: ai::embed::LOCAL_MODEL.to_string(), next: None }
    }
}

impl Models {
    /// Every model a new chunk needs a vector of.
    pub fn wanted(&self) -> Vec<&str> {
        let mut v = vec![self.active.as_str()];
        if let Some(n) = self.next.as_deref().filter(|n| *n != self.active) {
            v.push(n);
        }
        v
    }
}

/// The tenant's settings (`embedding_model` is the model the knowledge
/// base uses or is moving to).
pub async fn get(tx: &mut TenantTx) -> Result<Settings, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<Settings> = sqlx::query_as(kernel::sql!(
        "SELECT chunk_size, chunk_overlap, max_upload_bytes, max_distance, vector_weight, text_weight,
                top_k, answer_mode, coalesce(next_embedding_model, embedding_model) AS embedding_model
           FROM knowledge_settings WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.unwrap_or_default())
}

/// Stores the tenant's settings, except the embedding model (see
/// [`set_next_model`]).
pub async fn put(tx: &mut TenantTx, s: &Settings) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO knowledge_settings (tenant_id, chunk_size, chunk_overlap, max_upload_bytes, max_distance,
                                         vector_weight, text_weight, top_k, answer_mode)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id) DO UPDATE SET
             chunk_size = EXCLUDED.chunk_size, chunk_overlap = EXCLUDED.chunk_overlap,
             max_upload_bytes = EXCLUDED.max_upload_bytes, max_distance = EXCLUDED.max_distance,
             vector_weight = EXCLUDED.vector_weight, text_weight = EXCLUDED.text_weight,
             top_k = EXCLUDED.top_k, answer_mode = EXCLUDED.answer_mode, updated_at = now()"
    ))
    .bind(tenant)
    .bind(s.chunk_size)
    .bind(s.chunk_overlap)
    .bind(s.max_upload_bytes)
    .bind(s.max_distance)
    .bind(s.vector_weight)
    .bind(s.text_weight)
    .bind(s.top_k)
    .bind(&s.answer_mode)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The tenant's embedding models.
pub async fn models(tx: &mut TenantTx) -> Result<Models, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<Models> = sqlx::query_as(kernel::sql!(
        "SELECT embedding_model AS active, next_embedding_model AS next
           FROM knowledge_settings WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.unwrap_or_default())
}

/// The tenant's embedding models, locked until the transaction ends:
/// `exclusive` to change them, shared to store chunks under them (so a
/// switch and a new chunk set never cross).
pub async fn lock_models(tx: &mut TenantTx, exclusive: bool) -> Result<Models, sqlx::Error> {
    let tenant = tx.tenant();
    // The row must exist to be locked.
    sqlx::query(kernel::sql!(
        "INSERT INTO knowledge_settings (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING"
    ))
    .bind(tenant)
    .execute(&mut **tx)
    .await?;
    let sql = if exclusive {
        kernel::sql!(
            "SELECT embedding_model AS active, next_embedding_model AS next
               FROM knowledge_settings WHERE tenant_id = $1 FOR UPDATE"
        )
    } else {
        kernel::sql!(
            "SELECT embedding_model AS active, next_embedding_model AS next
               FROM knowledge_settings WHERE tenant_id = $1 FOR SHARE"
        )
    };
    sqlx::query_as(sql).bind(tenant).fetch_one(&mut **tx).await
}

/// Sets the model to move to (`None`: stay on the active one).
pub async fn set_next_model(tx: &mut TenantTx, next: Option<&str>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO knowledge_settings (tenant_id, next_embedding_model) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET next_embedding_model = EXCLUDED.next_embedding_model,
                                               updated_at = now()"
    ))
    .bind(tenant)
    .bind(next)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes `model` the one search reads, ending any move.
pub async fn switch_model(tx: &mut TenantTx, model: &str) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO knowledge_settings (tenant_id, embedding_model) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET embedding_model = EXCLUDED.embedding_model,
                                               next_embedding_model = NULL, updated_at = now()"
    ))
    .bind(tenant)
    .bind(model)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
