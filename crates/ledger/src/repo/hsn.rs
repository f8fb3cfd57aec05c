//! The HSN/SAC master's queries: the shared list and the company's own
//! codes, by code prefix or description words.

use kernel::db::TenantTx;

/// (code, description, source) rows.
pub type Found = Vec<(String, String, String)>;

/// Codes beginning with `prefix`, shortest first.
pub async fn by_prefix(tx: &mut TenantTx, prefix: &str, limit: i64) -> Result<Found, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT code, description, source FROM (
             SELECT code, description, 'company' AS source FROM hsn_custom WHERE tenant_id = $1 AND code LIKE $2 || '%'
             UNION ALL
             SELECT code, description, 'master' FROM hsn_codes WHERE code LIKE $2 || '%'
         ) c ORDER BY length(code), code, source LIMIT $3"
    ))
    .bind(tenant)
    .bind(prefix)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Codes whose description matches the text-search `query`, best first.
pub async fn by_words(tx: &mut TenantTx, query: &str, limit: i64) -> Result<Found, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT code, description, source FROM (
             SELECT code, description, 'company' AS source, ts_rank(search, to_tsquery('english', $2)) AS rank
               FROM hsn_custom WHERE tenant_id = $1 AND search @@ to_tsquery('english', $2)
             UNION ALL
             SELECT code, description, 'master', ts_rank(search, to_tsquery('english', $2))
               FROM hsn_codes WHERE search @@ to_tsquery('english', $2)
         ) c ORDER BY rank DESC, length(code) DESC, code LIMIT $3"
    ))
    .bind(tenant)
    .bind(query)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Of `codes`, those known themselves or by their heading.
pub async fn known(tx: &mut TenantTx, codes: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(String,)> = sqlx::query_as(kernel::sql!(
        "SELECT c FROM unnest($2::text[]) AS c
          WHERE EXISTS (SELECT 1 FROM hsn_codes h WHERE h.code IN (c, left(c, 4)))
             OR EXISTS (SELECT 1 FROM hsn_custom h WHERE h.tenant_id = $1 AND h.code IN (c, left(c, 4)))"
    ))
    .bind(tenant)
    .bind(codes)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// Adds or replaces the company's own codes; how many.
pub async fn import(
    tx: &mut TenantTx,
    codes: &[String],
    descriptions: &[String],
) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    Ok(sqlx::query(kernel::sql!(
        "INSERT INTO hsn_custom (tenant_id, code, description)
         SELECT $1, c, d FROM unnest($2::text[], $3::text[]) AS t (c, d)
         ON CONFLICT (tenant_id, code) DO UPDATE SET description = EXCLUDED.description, updated_at = now()"
    ))
    .bind(tenant)
    .bind(codes)
    .bind(descriptions)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}
