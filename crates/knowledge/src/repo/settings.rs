//! The tenant's knowledge settings (defaults until first changed).

use kernel::db::TenantTx;

use crate::model::Settings;

/// The tenant's settings.
pub async fn get(tx: &mut TenantTx) -> Result<Settings, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<Settings> = sqlx::query_as(kernel::sql!(
        "SELECT chunk_size, chunk_overlap, max_upload_bytes, max_distance, vector_weight, text_weight,
                top_k, answer_mode
           FROM knowledge_settings WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.unwrap_or_default())
}

/// Stores the tenant's settings.
pub async fn put(tx: &mut TenantTx, s: &Settings) -> Result<Settings, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "INSERT INTO knowledge_settings (tenant_id, chunk_size, chunk_overlap, max_upload_bytes, max_distance,
                                         vector_weight, text_weight, top_k, answer_mode)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id) DO UPDATE SET
             chunk_size = EXCLUDED.chunk_size, chunk_overlap = EXCLUDED.chunk_overlap,
             max_upload_bytes = EXCLUDED.max_upload_bytes, max_distance = EXCLUDED.max_distance,
             vector_weight = EXCLUDED.vector_weight, text_weight = EXCLUDED.text_weight,
             top_k = EXCLUDED.top_k, answer_mode = EXCLUDED.answer_mode, updated_at = now()
         RETURNING chunk_size, chunk_overlap, max_upload_bytes, max_distance, vector_weight, text_weight,
                   top_k, answer_mode"
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
    .fetch_one(&mut **tx)
    .await
}
