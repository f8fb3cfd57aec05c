//! The figures of the analytics page.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::db::TenantTx;

use crate::model::{DayCount, IntentCount};

/// Conversations begun per day and channel kind in `[from, to]`.
pub async fn per_day(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayCount>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT (v.created_at AT TIME ZONE 'UTC')::date AS day, ch.kind AS channel, count(*) AS conversations
           FROM concierge_conversations v
           JOIN concierge_channels ch ON ch.tenant_id = v.tenant_id AND ch.id = v.channel_id
          WHERE v.tenant_id = $1 AND (v.created_at AT TIME ZONE 'UTC')::date BETWEEN $2 AND $3
          GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// Totals: conversations, first-response and resolution medians (s),
/// resolved by the bot, handed off, CSAT average and count.
#[derive(Debug, sqlx::FromRow)]
pub struct Totals {
    /// Conversations.
    pub conversations: i64,
    /// Median seconds to the first reply.
    pub first_response_p50: Option<f64>,
    /// Median seconds to resolution.
    pub resolution_p50: Option<f64>,
    /// Resolved without a person.
    pub bot_resolved: i64,
    /// Handed to a person.
    pub handed_off: i64,
    /// Average rating.
    pub csat_average: Option<f64>,
    /// Ratings.
    pub csat_responses: i64,
}

/// The period's totals.
pub async fn totals(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Totals, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT count(*) AS conversations,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at)::float8)
                    AS first_response_p50,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at)::float8)
                    AS resolution_p50,
                count(*) FILTER (WHERE status = 'resolved' AND handed_off_at IS NULL) AS bot_resolved,
                count(*) FILTER (WHERE handed_off_at IS NOT NULL) AS handed_off,
                avg(csat)::float8 AS csat_average,
                count(csat) AS csat_responses
           FROM concierge_conversations
          WHERE tenant_id = $1 AND (created_at AT TIME ZONE 'UTC')::date BETWEEN $2 AND $3"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_one(&mut **tx)
    .await
}

/// The most frequent intents of customers' messages.
pub async fn intents(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<IntentCount>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT coalesce(intent, 'none') AS intent, count(*) AS messages FROM concierge_messages
          WHERE tenant_id = $1 AND direction = 'in' AND (created_at AT TIME ZONE 'UTC')::date BETWEEN $2 AND $3
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}

/// Questions the knowledge base could not answer (the latest 1,000).
pub async fn unanswered(
    tx: &mut TenantTx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT body, created_at FROM concierge_messages
          WHERE tenant_id = $1 AND answer_mode = 'not_covered'
            AND (created_at AT TIME ZONE 'UTC')::date BETWEEN $2 AND $3
          ORDER BY created_at DESC LIMIT 1000"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await
}
