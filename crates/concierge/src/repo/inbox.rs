//! Contacts, conversations and messages.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use serde_json::Value;
use uuid::Uuid;

use crate::model::{Conversation, ConversationMessage, CustomerContact};
use crate::nlu::MessageEntity;

/// The columns a [`ConversationMessage`] is read from.
macro_rules! message_columns {
    () => {
        "id, conversation_id, direction, sender, author_id, kind, body, payload, external_id, status, error,
         reply_to, intent, entities, sentiment, chunk_ids, answer_mode, created_at"
    };
}

/// The columns a conversation's [`State`] is read from.
macro_rules! conversation_columns {
    () => {
        "id, channel_id, contact_id, status, handled_by, assignee_id, handoff_reason, handed_off_at, snoozed_until,
         unanswered, last_intent, last_sentiment, first_response_at, resolved_at, resolved_by, csat, csat_asked_at,
         created_at"
    };
}

/// Finds or adds the contact with this id on a channel; a name or phone
/// learnt from the channel fills in what is missing.
pub async fn contact(
    tx: &mut TenantTx,
    channel_id: Uuid,
    external_id: &str,
    name: Option<&str>,
    phone: Option<&str>,
) -> Result<CustomerContact, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "INSERT INTO concierge_contacts (tenant_id, id, channel_id, external_id, name, phone)
         VALUES ($1, $2, $3, $4, coalesce($5, ''), $6)
         ON CONFLICT (tenant_id, channel_id, external_id) DO UPDATE
            SET name = CASE WHEN concierge_contacts.name = '' THEN coalesce($5, '') ELSE concierge_contacts.name END,
                phone = coalesce(concierge_contacts.phone, $6)
         RETURNING id, channel_id, external_id, name, phone, email, tags, notes, last_inbound_at, created_at"
    ))
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(channel_id)
    .bind(external_id)
    .bind(name)
    .bind(phone)
    .fetch_one(&mut **tx)
    .await
}

/// Records that a contact wrote now; how many messages they sent in the
/// current minute (the rate limit's count).
pub async fn wrote(tx: &mut TenantTx, contact_id: Uuid) -> Result<i32, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "UPDATE concierge_contacts SET last_inbound_at = now(), updated_at = now(),
                rate_count = CASE WHEN rate_window > now() - interval '1 minute' THEN rate_count + 1 ELSE 1 END,
                rate_window = CASE WHEN rate_window > now() - interval '1 minute' THEN rate_window ELSE now() END
          WHERE tenant_id = $1 AND id = $2 RETURNING rate_count"
    ))
    .bind(tenant)
    .bind(contact_id)
    .fetch_one(&mut **tx)
    .await
}

/// One contact.
pub async fn get_contact(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<CustomerContact>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, channel_id, external_id, name, phone, email, tags, notes, last_inbound_at, created_at
           FROM concierge_contacts WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Saves a contact's editable fields.
pub async fn save_contact(tx: &mut TenantTx, c: &CustomerContact) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE concierge_contacts SET name = $3, phone = $4, email = $5, tags = $6, notes = $7, updated_at = now()
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.phone)
    .bind(&c.email)
    .bind(&c.tags)
    .bind(&c.notes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A conversation's state, as the orchestrator and the inbox change it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct State {
    /// Its id.
    pub id: Uuid,
    /// The channel.
    pub channel_id: Uuid,
    /// The contact.
    pub contact_id: Uuid,
    /// Status.
    pub status: String,
    /// `bot` or `human`.
    pub handled_by: String,
    /// Assignee.
    pub assignee_id: Option<Uuid>,
    /// Why a person took over.
    pub handoff_reason: Option<String>,
    /// When.
    pub handed_off_at: Option<DateTime<Utc>>,
    /// Snoozed until.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Unanswered in a row.
    pub unanswered: i32,
    /// Last intent.
    pub last_intent: Option<String>,
    /// Last sentiment.
    pub last_sentiment: Option<f32>,
    /// First reply.
    pub first_response_at: Option<DateTime<Utc>>,
    /// Resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// By whom.
    pub resolved_by: Option<String>,
    /// Rating.
    pub csat: Option<i16>,
    /// When the rating was asked for.
    pub csat_asked_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The contact's conversation that is not resolved, locked.
pub async fn current(tx: &mut TenantTx, contact_id: Uuid) -> Result<Option<State>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        conversation_columns!(),
        "
           FROM concierge_conversations WHERE tenant_id = $1 AND contact_id = $2 AND status <> 'resolved'
            FOR UPDATE")
    ))
    .bind(tenant)
    .bind(contact_id)
    .fetch_optional(&mut **tx)
    .await
}

/// The contact's last resolved conversation that asked for a rating and
/// has none, within a day of asking.
pub async fn awaiting_rating(
    tx: &mut TenantTx,
    contact_id: Uuid,
) -> Result<Option<State>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        conversation_columns!(),
        "
           FROM concierge_conversations
          WHERE tenant_id = $1 AND contact_id = $2 AND status = 'resolved' AND csat IS NULL
            AND csat_asked_at > now() - interval '1 day'
          ORDER BY resolved_at DESC LIMIT 1 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(contact_id)
    .fetch_optional(&mut **tx)
    .await
}

/// A conversation's state, locked.
pub async fn state(tx: &mut TenantTx, id: Uuid) -> Result<Option<State>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        conversation_columns!(),
        "
           FROM concierge_conversations WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A conversation's state, unlocked (read-only transactions).
pub async fn peek(tx: &mut TenantTx, id: Uuid) -> Result<Option<State>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        conversation_columns!(),
        "
           FROM concierge_conversations WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Begins a conversation; `None` when one began meanwhile.
pub async fn begin(
    tx: &mut TenantTx,
    channel_id: Uuid,
    contact_id: Uuid,
    handled_by: &str,
) -> Result<Option<State>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "INSERT INTO concierge_conversations (tenant_id, id, channel_id, contact_id, handled_by, status)
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'human' THEN 'pending' ELSE 'open' END)
         ON CONFLICT (tenant_id, contact_id) WHERE status <> 'resolved' DO NOTHING
         RETURNING ",
        conversation_columns!()
    )))
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(channel_id)
    .bind(contact_id)
    .bind(handled_by)
    .fetch_optional(&mut **tx)
    .await
}

/// Writes a conversation's state back.
pub async fn save(tx: &mut TenantTx, s: &State) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE concierge_conversations SET status = $3, handled_by = $4, assignee_id = $5, handoff_reason = $6,
                handed_off_at = $7, snoozed_until = $8, unanswered = $9, last_intent = $10, last_sentiment = $11,
                first_response_at = $12, resolved_at = $13, resolved_by = $14, csat = $15, csat_asked_at = $16,
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(s.id)
    .bind(&s.status)
    .bind(&s.handled_by)
    .bind(s.assignee_id)
    .bind(&s.handoff_reason)
    .bind(s.handed_off_at)
    .bind(s.snoozed_until)
    .bind(s.unanswered)
    .bind(&s.last_intent)
    .bind(s.last_sentiment)
    .bind(s.first_response_at)
    .bind(s.resolved_at)
    .bind(&s.resolved_by)
    .bind(s.csat)
    .bind(s.csat_asked_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Wakes snoozed conversations whose time has come; how many.
pub async fn wake(tx: &mut TenantTx) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "UPDATE concierge_conversations SET status = 'open', snoozed_until = NULL, updated_at = now()
          WHERE tenant_id = $1 AND status = 'snoozed' AND snoozed_until <= now()"
    ))
    .bind(tenant)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// Filters of the inbox.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Status.
    pub status: Option<String>,
    /// `bot` or `human`.
    pub handled_by: Option<String>,
    /// Assignee.
    pub assignee_id: Option<Uuid>,
    /// Channel.
    pub channel_id: Option<Uuid>,
    /// Words in the contact's name or the messages.
    pub q: Option<String>,
}

/// Conversations, most recent first.
pub async fn list(
    tx: &mut TenantTx,
    f: &Filter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Conversation>, sqlx::Error> {
    let tenant = tx.tenant();
    let q = f
        .q
        .as_ref()
        .map(|q| format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    sqlx::query_as(kernel::sql!(
        "SELECT v.id, v.channel_id, ch.kind AS channel_kind, v.contact_id, ct.name AS contact_name, v.status,
                v.handled_by, v.assignee_id, v.handoff_reason, v.handed_off_at, v.snoozed_until, v.unanswered,
                v.last_intent, v.last_sentiment, v.first_response_at, v.resolved_at, v.resolved_by, v.csat,
                (SELECT m.body FROM concierge_messages m
                  WHERE m.tenant_id = v.tenant_id AND m.conversation_id = v.id AND m.direction <> 'note'
                  ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_message,
                v.last_message_at, v.created_at
           FROM concierge_conversations v
           JOIN concierge_contacts ct ON ct.tenant_id = v.tenant_id AND ct.id = v.contact_id
           JOIN concierge_channels ch ON ch.tenant_id = v.tenant_id AND ch.id = v.channel_id
          WHERE v.tenant_id = $1
            AND ($2::text IS NULL OR v.status = $2)
            AND ($3::text IS NULL OR v.handled_by = $3)
            AND ($4::uuid IS NULL OR v.assignee_id = $4)
            AND ($5::uuid IS NULL OR v.channel_id = $5)
            AND ($6::text IS NULL OR ct.name ILIKE $6 OR ct.external_id ILIKE $6 OR EXISTS (
                   SELECT 1 FROM concierge_messages m
                    WHERE m.tenant_id = v.tenant_id AND m.conversation_id = v.id AND m.body ILIKE $6))
            AND ($7::timestamptz IS NULL OR (v.last_message_at, v.id) < ($7, $8))
          ORDER BY v.last_message_at DESC, v.id DESC LIMIT $9"
    ))
    .bind(tenant)
    .bind(&f.status)
    .bind(&f.handled_by)
    .bind(f.assignee_id)
    .bind(f.channel_id)
    .bind(q)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// One conversation.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Conversation>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT v.id, v.channel_id, ch.kind AS channel_kind, v.contact_id, ct.name AS contact_name, v.status,
                v.handled_by, v.assignee_id, v.handoff_reason, v.handed_off_at, v.snoozed_until, v.unanswered,
                v.last_intent, v.last_sentiment, v.first_response_at, v.resolved_at, v.resolved_by, v.csat,
                (SELECT m.body FROM concierge_messages m
                  WHERE m.tenant_id = v.tenant_id AND m.conversation_id = v.id AND m.direction <> 'note'
                  ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_message,
                v.last_message_at, v.created_at
           FROM concierge_conversations v
           JOIN concierge_contacts ct ON ct.tenant_id = v.tenant_id AND ct.id = v.contact_id
           JOIN concierge_channels ch ON ch.tenant_id = v.tenant_id AND ch.id = v.channel_id
          WHERE v.tenant_id = $1 AND v.id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The conversation.
    pub conversation_id: Uuid,
    /// The channel.
    pub channel_id: Uuid,
    /// `in`, `out`, `note`.
    pub direction: &'static str,
    /// `contact`, `bot`, `agent`, `system`.
    pub sender: &'static str,
    /// The agent.
    pub author_id: Option<Uuid>,
    /// Kind.
    pub kind: String,
    /// Text.
    pub body: String,
    /// Extra.
    pub payload: Value,
    /// The channel's id.
    pub external_id: Option<String>,
    /// Initial status.
    pub status: &'static str,
    /// The message it answers.
    pub reply_to: Option<Uuid>,
    /// Knowledge chunks.
    pub chunk_ids: Vec<Uuid>,
    /// How it was answered.
    pub answer_mode: Option<String>,
}

impl NewMessage {
    /// An outbound text.
    pub fn out(
        conversation_id: Uuid,
        channel_id: Uuid,
        sender: &'static str,
        body: String,
    ) -> NewMessage {
        NewMessage {
            conversation_id,
            channel_id,
            direction: "out",
            sender,
            author_id: None,
            kind: "text".into(),
            body,
            payload: Value::Object(Default::default()),
            external_id: None,
            status: "queued",
            reply_to: None,
            chunk_ids: Vec::new(),
            answer_mode: None,
        }
    }
}

/// Stores a message; `None` when it is already stored (the same channel
/// id, or a reply to the same message).
pub async fn insert(
    tx: &mut TenantTx,
    m: &NewMessage,
) -> Result<Option<ConversationMessage>, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<ConversationMessage> = sqlx::query_as(kernel::sql!(concat!(
        "INSERT INTO concierge_messages (tenant_id, id, conversation_id, channel_id, direction, sender, author_id,
                kind, body, payload, external_id, status, reply_to, chunk_ids, answer_mode)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT DO NOTHING
         RETURNING ",
        message_columns!()
    )))
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(m.conversation_id)
    .bind(m.channel_id)
    .bind(m.direction)
    .bind(m.sender)
    .bind(m.author_id)
    .bind(&m.kind)
    .bind(&m.body)
    .bind(&m.payload)
    .bind(&m.external_id)
    .bind(m.status)
    .bind(m.reply_to)
    .bind(&m.chunk_ids)
    .bind(&m.answer_mode)
    .fetch_optional(&mut **tx)
    .await?;
    if row.is_some() && m.direction != "note" {
        sqlx::query(kernel::sql!(
            "UPDATE concierge_conversations SET last_message_at = now(), updated_at = now()
              WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant)
        .bind(m.conversation_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(row)
}

/// Whether an inbound message with this channel id is stored.
pub async fn seen(
    tx: &mut TenantTx,
    channel_id: Uuid,
    external_id: &str,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM concierge_messages WHERE tenant_id = $1 AND channel_id = $2 AND external_id = $3)"
    ))
    .bind(tenant)
    .bind(channel_id)
    .bind(external_id)
    .fetch_one(&mut **tx)
    .await
}

/// One message.
pub async fn message(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<ConversationMessage>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        message_columns!(),
        "
           FROM concierge_messages WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// The bot's or an agent's reply to a message, if any.
pub async fn reply_to(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<ConversationMessage>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        message_columns!(),
        "
           FROM concierge_messages WHERE tenant_id = $1 AND reply_to = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A conversation's messages, oldest first (the last `limit`).
pub async fn messages(
    tx: &mut TenantTx,
    conversation_id: Uuid,
    limit: i64,
) -> Result<Vec<ConversationMessage>, sqlx::Error> {
    let tenant = tx.tenant();
    let mut rows: Vec<ConversationMessage> = sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        message_columns!(),
        "
           FROM concierge_messages WHERE tenant_id = $1 AND conversation_id = $2
          ORDER BY created_at DESC, id DESC LIMIT $3"
    )))
    .bind(tenant)
    .bind(conversation_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.reverse();
    Ok(rows)
}

/// Records what the bot understood of an inbound message.
pub async fn understood(
    tx: &mut TenantTx,
    id: Uuid,
    intent: Option<&str>,
    entities: &[MessageEntity],
    sentiment: f32,
    status: &str,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE concierge_messages SET intent = $3, entities = $4, sentiment = $5, status = $6
          WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .bind(intent)
    .bind(sqlx::types::Json(entities))
    .bind(sentiment)
    .bind(status)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks an inbound message's answer mode (`not_covered` feeds the
/// unanswered-questions report).
pub async fn mark_answer(tx: &mut TenantTx, id: Uuid, mode: &str) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE concierge_messages SET answer_mode = $3 WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .bind(mode)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a sent message's channel id.
pub async fn sent(
    tx: &mut TenantTx,
    id: Uuid,
    external_id: Option<&str>,
    status: &str,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE concierge_messages SET external_id = coalesce($3, external_id), status = $4, status_at = now(),
                error = NULL
          WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'failed')"
    ))
    .bind(tenant)
    .bind(id)
    .bind(external_id)
    .bind(status)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records that a message could not be sent.
pub async fn failed(tx: &mut TenantTx, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE concierge_messages SET status = 'failed', status_at = now(), error = $3
          WHERE tenant_id = $1 AND id = $2 AND status = 'queued'"
    ))
    .bind(tenant)
    .bind(id)
    .bind(error)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Applies a delivery status from the channel: only forwards (`sent` <
/// `delivered` < `read`; `failed` only before `delivered`). The message
/// and its conversation when it changed.
pub async fn delivery(
    tx: &mut TenantTx,
    channel_id: Uuid,
    external_id: &str,
    status: &str,
    rank: i32,
    error: Option<&str>,
) -> Result<Option<(Uuid, Uuid)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "UPDATE concierge_messages SET status = $4, status_at = now(), error = coalesce($6, error)
          WHERE tenant_id = $1 AND channel_id = $2 AND external_id = $3 AND direction = 'out'
            AND CASE WHEN $4 = 'failed' THEN status IN ('queued', 'sent')
                     ELSE (CASE status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
                                       WHEN 'read' THEN 3 ELSE 1 END) < $5 END
         RETURNING id, conversation_id"
    ))
    .bind(tenant)
    .bind(channel_id)
    .bind(external_id)
    .bind(status)
    .bind(rank)
    .bind(error)
    .fetch_optional(&mut **tx)
    .await
}

/// Deletes resolved conversations older than `days`; how many.
pub async fn prune(tx: &mut TenantTx, days: i32) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "DELETE FROM concierge_conversations
          WHERE tenant_id = $1 AND status = 'resolved' AND resolved_at < now() - make_interval(days => $2)"
    ))
    .bind(tenant)
    .bind(days)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// Whether a person is an active member of the company.
pub async fn is_member(tx: &mut TenantTx, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2 AND status = 'active')"
    ))
    .bind(tenant)
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await
}

/// Sends each payload as a `NOTIFY` on `channel`, in one statement.
pub async fn notify_all(
    pool: &sqlx::PgPool,
    channel: &str,
    payloads: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(kernel::sql!("SELECT pg_notify($1, p) FROM unnest($2::text[]) p"))
        .bind(channel)
        .bind(payloads)
        .execute(pool)
        .await?;
    Ok(())
}
