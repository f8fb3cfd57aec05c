//! Failed sign-ins per e-mail address and per client address (global table).

use sqlx::PgConnection;

/// How long the longest lock among `keys` still lasts, in seconds.
pub async fn locked_for(
    conn: &mut PgConnection,
    keys: &[&str],
) -> Result<Option<f64>, sqlx::Error> {
    let wait: Option<(Option<f64>,)> = sqlx::query_as(kernel::sql!(
        "SELECT max(extract(epoch FROM locked_until - now()))::float8 FROM login_throttle
          WHERE key = ANY($1) AND locked_until > now()"
    ))
    .bind(keys)
    .fetch_optional(conn)
    .await?;
    Ok(wait.and_then(|w| w.0))
}

/// Counts a failure of `key` (forgetting failures older than
/// `forget_after_secs`); the count.
pub async fn count_failure(
    conn: &mut PgConnection,
    key: &str,
    forget_after_secs: f64,
) -> Result<i32, sqlx::Error> {
    let (failures,): (i32,) = sqlx::query_as(kernel::sql!(
        "INSERT INTO login_throttle AS t (key, failures, last_failure_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
            failures = CASE WHEN t.last_failure_at < now() - make_interval(secs => $2)
                            THEN 1 ELSE t.failures + 1 END,
            last_failure_at = now()
         RETURNING failures"
    ))
    .bind(key)
    .bind(forget_after_secs)
    .fetch_one(conn)
    .await?;
    Ok(failures)
}

/// Locks `key` for `secs`.
pub async fn lock(conn: &mut PgConnection, key: &str, secs: f64) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!(
        "UPDATE login_throttle SET locked_until = now() + make_interval(secs => $2) WHERE key = $1"
    ))
    .bind(key)
    .bind(secs)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets `key`'s failures.
pub async fn clear(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!("DELETE FROM login_throttle WHERE key = $1"))
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
