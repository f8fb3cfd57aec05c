//! Chats and their messages. `owner` limits a call to one person's (or
//! one API key's) chats; `None` is an administrator's view of all.

use chrono::{DateTime, Utc};
use kernel::db::TenantTx;
use uuid::Uuid;

use crate::model::{Chat, Citation, Message};

/// Whose chats.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    /// A person's.
    User(Uuid),
    /// An API key's.
    Key(Uuid),
}

impl Owner {
    fn user(self) -> Option<Uuid> {
        match self {
            Owner::User(u) => Some(u),
            Owner::Key(_) => None,
        }
    }
    fn key(self) -> Option<Uuid> {
        match self {
            Owner::Key(k) => Some(k),
            Owner::User(_) => None,
        }
    }
}

/// Starts a chat.
pub async fn create(
    tx: &mut TenantTx,
    id: Uuid,
    owner: Owner,
    title: &str,
) -> Result<Chat, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "INSERT INTO chats (tenant_id, id, user_id, api_key_id, title) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, title, user_id, api_key_id, created_at, updated_at"
    ))
    .bind(tenant)
    .bind(id)
    .bind(owner.user())
    .bind(owner.key())
    .bind(title)
    .fetch_one(&mut **tx)
    .await
}

/// Chats, most recently used first.
pub async fn list(
    tx: &mut TenantTx,
    owner: Option<Owner>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Chat>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, title, user_id, api_key_id, created_at, updated_at FROM chats
          WHERE tenant_id = $1
            AND ($2 OR user_id IS NOT DISTINCT FROM $3 AND api_key_id IS NOT DISTINCT FROM $4)
            AND ($5::timestamptz IS NULL OR (updated_at, id) < ($5, $6))
          ORDER BY updated_at DESC, id DESC LIMIT $7"
    ))
    .bind(tenant)
    .bind(owner.is_none())
    .bind(owner.and_then(Owner::user))
    .bind(owner.and_then(Owner::key))
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// One chat, if the owner may see it.
pub async fn get(
    tx: &mut TenantTx,
    id: Uuid,
    owner: Option<Owner>,
) -> Result<Option<Chat>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, title, user_id, api_key_id, created_at, updated_at FROM chats
          WHERE tenant_id = $1 AND id = $2
            AND ($3 OR user_id IS NOT DISTINCT FROM $4 AND api_key_id IS NOT DISTINCT FROM $5)"
    ))
    .bind(tenant)
    .bind(id)
    .bind(owner.is_none())
    .bind(owner.and_then(Owner::user))
    .bind(owner.and_then(Owner::key))
    .fetch_optional(&mut **tx)
    .await
}

/// Renames a chat.
pub async fn rename(
    tx: &mut TenantTx,
    id: Uuid,
    owner: Option<Owner>,
    title: &str,
) -> Result<Option<Chat>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "UPDATE chats SET title = $6, updated_at = now()
          WHERE tenant_id = $1 AND id = $2
            AND ($3 OR user_id IS NOT DISTINCT FROM $4 AND api_key_id IS NOT DISTINCT FROM $5)
         RETURNING id, title, user_id, api_key_id, created_at, updated_at"
    ))
    .bind(tenant)
    .bind(id)
    .bind(owner.is_none())
    .bind(owner.and_then(Owner::user))
    .bind(owner.and_then(Owner::key))
    .bind(title)
    .fetch_optional(&mut **tx)
    .await
}

/// Deletes a chat and its messages.
pub async fn delete(
    tx: &mut TenantTx,
    id: Uuid,
    owner: Option<Owner>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(kernel::sql!(
        "DELETE FROM chats WHERE tenant_id = $1 AND id = $2
            AND ($3 OR user_id IS NOT DISTINCT FROM $4 AND api_key_id IS NOT DISTINCT FROM $5)"
    ))
    .bind(tenant)
    .bind(id)
    .bind(owner.is_none())
    .bind(owner.and_then(Owner::user))
    .bind(owner.and_then(Owner::key))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

macro_rules! message_columns {
    () => {
        "id, chat_id, role, content, mode, query, citations, chunk_ids, provider, model, prompt_tokens, \
         completion_tokens, latency_ms, retrieval_ms, stopped, feedback, feedback_comment, created_at"
    };
}

/// A message to store.
#[derive(Debug, Default)]
pub struct NewMessage<'a> {
    /// Its id.
    pub id: Uuid,
    /// `user` or `assistant`.
    pub role: &'a str,
    /// Text.
    pub content: &'a str,
    /// Answer mode.
    pub mode: Option<&'a str>,
    /// The searched question.
    pub query: Option<&'a str>,
    /// Citations.
    pub citations: Vec<Citation>,
    /// Chunks used.
    pub chunk_ids: Vec<Uuid>,
    /// Provider.
    pub provider: Option<&'a str>,
    /// Model.
    pub model: Option<&'a str>,
    /// Prompt tokens.
    pub prompt_tokens: Option<i32>,
    /// Completion tokens.
    pub completion_tokens: Option<i32>,
    /// Total time.
    pub latency_ms: Option<i32>,
    /// Retrieval time.
    pub retrieval_ms: Option<i32>,
    /// Stopped early.
    pub stopped: bool,
}

/// Appends a message and touches its chat.
pub async fn add_message(
    tx: &mut TenantTx,
    chat_id: Uuid,
    m: &NewMessage<'_>,
) -> Result<Message, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "UPDATE chats SET updated_at = now() WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(chat_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query_as(kernel::sql!(concat!(
        "INSERT INTO chat_messages (tenant_id, id, chat_id, role, content, mode, query, citations, chunk_ids,
                                    provider, model, prompt_tokens, completion_tokens, latency_ms, retrieval_ms, stopped)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         RETURNING ",
        message_columns!()
    )))
    .bind(tenant)
    .bind(m.id)
    .bind(chat_id)
    .bind(m.role)
    .bind(m.content)
    .bind(m.mode)
    .bind(m.query)
    .bind(sqlx::types::Json(&m.citations))
    .bind(&m.chunk_ids)
    .bind(m.provider)
    .bind(m.model)
    .bind(m.prompt_tokens)
    .bind(m.completion_tokens)
    .bind(m.latency_ms)
    .bind(m.retrieval_ms)
    .bind(m.stopped)
    .fetch_one(&mut **tx)
    .await
}

/// A chat's messages, oldest first (the last `limit`).
pub async fn messages(
    tx: &mut TenantTx,
    chat_id: Uuid,
    limit: i64,
) -> Result<Vec<Message>, sqlx::Error> {
    let tenant = tx.tenant();
    let mut rows: Vec<Message> = sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        message_columns!(),
        " FROM chat_messages WHERE tenant_id = $1 AND chat_id = $2
          ORDER BY created_at DESC, id DESC LIMIT $3"
    )))
    .bind(tenant)
    .bind(chat_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.reverse();
    Ok(rows)
}

/// One message of a chat.
pub async fn message(
    tx: &mut TenantTx,
    chat_id: Uuid,
    id: Uuid,
) -> Result<Option<Message>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "SELECT ",
        message_columns!(),
        " FROM chat_messages WHERE tenant_id = $1 AND chat_id = $2 AND id = $3"
    )))
    .bind(tenant)
    .bind(chat_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Records feedback on an answer of a chat.
pub async fn feedback(
    tx: &mut TenantTx,
    chat_id: Uuid,
    message_id: Uuid,
    rating: i16,
    comment: Option<&str>,
) -> Result<Option<Message>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(concat!(
        "UPDATE chat_messages SET feedback = $4, feedback_comment = $5
          WHERE tenant_id = $1 AND chat_id = $2 AND id = $3 AND role = 'assistant'
          RETURNING ",
        message_columns!()
    )))
    .bind(tenant)
    .bind(chat_id)
    .bind(message_id)
    .bind(rating)
    .bind(comment)
    .fetch_optional(&mut **tx)
    .await
}
