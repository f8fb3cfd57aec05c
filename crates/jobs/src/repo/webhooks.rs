//! The SQL of webhook subscriptions and their deliveries. Every function
//! runs in a tenant transaction and reads the tenant from it.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

/// A subscription as the API shows it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Subscription {
    /// Id.
    pub id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// Event type patterns: `member.invited`, `member.*` or `*`.
    pub event_types: Vec<String>,
    /// Paused subscriptions receive nothing.
    pub active: bool,
    /// Until when the previous secret also signs (after a rotation).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

macro_rules! sub_columns {
    () => {
        "id, url, description, event_types, active, previous_secret_expires_at,
         created_by, created_at, updated_at"
    };
}

/// A delivery as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Delivery {
    /// Id (also sent as `X-Tessera-Delivery`).
    pub id: Uuid,
    /// The subscription.
    pub subscription_id: Uuid,
    /// The event.
    pub event_id: Uuid,
    /// Its type.
    pub event_type: String,
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last response status.
    pub last_status: Option<i32>,
    /// The last error.
    pub last_error: Option<String>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Every attempt: time, status or error, duration, response excerpt.
    #[schema(value_type = Vec<Object>)]
    pub attempt_log: Value,
    /// The body sent.
    #[schema(value_type = Object)]
    pub body: Value,
    /// The delivery this one re-sends.
    pub resend_of: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it succeeded or failed for good.
    pub finished_at: Option<DateTime<Utc>>,
}

macro_rules! delivery_columns {
    () => {
        "id, subscription_id, event_id, event_type, state, attempts, last_status,
         last_error, last_attempt_at, attempt_log, body, resend_of, created_at, finished_at"
    };
}

/// Changes to a subscription (absent fields stay).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionUpdate {
    /// New URL.
    pub url: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New patterns.
    pub event_types: Option<Vec<String>>,
    /// Pause or resume.
    pub active: Option<bool>,
}

/// Stores a subscription with its sealed secret.
pub async fn insert_subscription(
    tx: &mut TenantTx,
    id: Uuid,
    url: &str,
    description: &str,
    event_types: &[String],
    sealed_secret: &[u8],
    created_by: Option<Uuid>,
) -> Result<Subscription, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "INSERT INTO webhook_subscriptions (tenant_id, id, url, description, event_types, secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        sub_columns!()
    )))
    .bind(tenant)
    .bind(id)
    .bind(url)
    .bind(description)
    .bind(event_types)
    .bind(sealed_secret)
    .bind(created_by)
    .fetch_one(&mut **tx)
    .await
}

/// The tenant's subscriptions, newest first.
pub async fn subscriptions(
    tx: &mut TenantTx,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Subscription>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        sub_columns!(),
        " FROM webhook_subscriptions
          WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
          ORDER BY created_at DESC, id DESC LIMIT $4"
    )))
    .bind(tenant)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// One subscription.
pub async fn subscription(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<Subscription>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        sub_columns!(),
        " FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Applies changes; the subscription after them.
pub async fn update_subscription(
    tx: &mut TenantTx,
    id: Uuid,
    c: &SubscriptionUpdate,
) -> Result<Option<Subscription>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "UPDATE webhook_subscriptions
            SET url = coalesce($3, url), description = coalesce($4, description),
                event_types = coalesce($5, event_types), active = coalesce($6, active),
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING ",
        sub_columns!()
    )))
    .bind(tenant)
    .bind(id)
    .bind(&c.url)
    .bind(&c.description)
    .bind(&c.event_types)
    .bind(c.active)
    .fetch_optional(&mut **tx)
    .await
}

/// Deletes a subscription and its delivery log.
pub async fn delete_subscription(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the sealed secret, keeping the old one for `overlap_secs`.
pub async fn rotate_secret(
    tx: &mut TenantTx,
    id: Uuid,
    sealed_secret: &[u8],
    overlap_secs: i64,
) -> Result<Option<Subscription>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "UPDATE webhook_subscriptions
            SET previous_secret = secret, secret = $3,
                previous_secret_expires_at = now() + $4::bigint * interval '1 second',
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING ",
        sub_columns!()
    )))
    .bind(tenant)
    .bind(id)
    .bind(sealed_secret)
    .bind(overlap_secs)
    .fetch_optional(&mut **tx)
    .await
}

/// The ids and patterns of the tenant's active subscriptions.
pub async fn active_patterns(tx: &mut TenantTx) -> Result<Vec<(Uuid, Vec<String>)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, event_types FROM webhook_subscriptions WHERE tenant_id = $1 AND active"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// A subscription's deliveries, newest first.
pub async fn deliveries(
    tx: &mut TenantTx,
    subscription: Uuid,
    state: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries
          WHERE tenant_id = $1 AND subscription_id = $2
            AND ($3::text IS NULL OR state = $3)
            AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
          ORDER BY created_at DESC, id DESC LIMIT $6"
    )))
    .bind(tenant)
    .bind(subscription)
    .bind(state)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// One delivery of a subscription.
pub async fn delivery(
    tx: &mut TenantTx,
    subscription: Uuid,
    id: Uuid,
) -> Result<Option<Delivery>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2 AND id = $3"
    )))
    .bind(tenant)
    .bind(subscription)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Stores a new delivery.
pub async fn insert_delivery(
    tx: &mut TenantTx,
    id: Uuid,
    subscription: Uuid,
    event_id: Uuid,
    event_type: &str,
    body: &Value,
    resend_of: Option<Uuid>,
) -> Result<Delivery, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "INSERT INTO webhook_deliveries (tenant_id, id, subscription_id, event_id, event_type, body, resend_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        delivery_columns!()
    )))
    .bind(tenant)
    .bind(id)
    .bind(subscription)
    .bind(event_id)
    .bind(event_type)
    .bind(body)
    .bind(resend_of)
    .fetch_one(&mut **tx)
    .await
}

/// What sending a delivery needs: the delivery and its subscription.
#[derive(Debug, sqlx::FromRow)]
pub struct Target {
    /// The delivery's state.
    pub state: String,
    /// The event type.
    pub event_type: String,
    /// The body to send.
    pub body: Value,
    /// The subscription.
    pub subscription_id: Uuid,
    /// Its URL (none when it was deleted).
    pub url: Option<String>,
    /// Whether it is active.
    pub active: Option<bool>,
    /// Its sealed secret.
    pub secret: Option<Vec<u8>>,
    /// Its previous sealed secret, while it still signs.
    pub previous_secret: Option<Vec<u8>>,
}

/// A delivery with its subscription.
pub async fn target(tx: &mut TenantTx, delivery: Uuid) -> Result<Option<Target>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT d.state, d.event_type, d.body, d.subscription_id, s.url, s.active, s.secret,
                CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret END AS previous_secret
           FROM webhook_deliveries d
           LEFT JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.id = d.subscription_id
          WHERE d.tenant_id = $1 AND d.id = $2"
    ))
    .bind(tenant)
    .bind(delivery)
    .fetch_optional(&mut **tx)
    .await
}

/// Records an attempt of a pending delivery (its log keeps the last `log_max`).
#[allow(clippy::too_many_arguments)]
pub async fn record_attempt(
    tx: &mut TenantTx,
    delivery: Uuid,
    state: &str,
    status: Option<i32>,
    error: Option<&str>,
    entry: &Value,
    log_max: i32,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE webhook_deliveries
            SET state = $3, attempts = attempts + 1, last_status = $4, last_error = $5,
                last_attempt_at = now(),
                attempt_log = (CASE WHEN jsonb_array_length(attempt_log) >= $7
                                    THEN attempt_log - 0 ELSE attempt_log END) || jsonb_build_array($6::jsonb),
                finished_at = CASE WHEN $3 IN ('succeeded', 'failed') THEN now() END
          WHERE tenant_id = $1 AND id = $2 AND state = 'pending'"
    ))
    .bind(tenant)
    .bind(delivery)
    .bind(state)
    .bind(status)
    .bind(error)
    .bind(entry)
    .bind(log_max)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ends a pending delivery without an attempt.
pub async fn finish_delivery(
    tx: &mut TenantTx,
    delivery: Uuid,
    state: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE webhook_deliveries SET state = $3, last_error = $4, finished_at = now()
          WHERE tenant_id = $1 AND id = $2 AND state = 'pending'"
    ))
    .bind(tenant)
    .bind(delivery)
    .bind(state)
    .bind(error)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// As the workers' role: settles deliveries whose job ended without
/// recording an outcome, every tenant's; how many.
pub async fn settle_orphaned_deliveries(worker: &mut PgConnection) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(kernel::sql!("SELECT webhook_deliveries_settle()"))
        .fetch_one(worker)
        .await?;
    Ok(n)
}
