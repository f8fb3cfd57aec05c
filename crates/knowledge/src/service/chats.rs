//! Chats: a person's (or API key's) questions and the answers with their
//! citations; administrators see everyone's. An answer is stored when it
//! ends — or, when the asker stops it, with what was said so far.

use std::sync::{Arc, Mutex};

use ai::CallContext;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use identity::Granted;
use kernel::db::TenantAccess;
use kernel::pagination::{Page, PageRequest};
use uuid::Uuid;

use crate::answer::{Answer, AnswerEvent, AnswerOptions};
use crate::error::{KnowledgeError, Result};
use crate::model::{Chat, Message};
use crate::permissions::{ChatsAdmin, KnowledgeAsk};
use crate::repo::DocumentFilter;
use crate::repo::chats::{NewMessage, Owner};
use crate::{Knowledge, repo};

/// The title of a chat not yet named.
pub const UNTITLED: &str = "New chat";

/// Whose chats a call may touch: the caller's own, or (with
/// `chats:admin` and `all`) everyone's.
fn scope(g: &Granted<KnowledgeAsk>, all: bool) -> Result<Option<Owner>> {
    if all {
        if !g.can(<ChatsAdmin as kernel::access::Permission>::DEF.name) {
            return Err(kernel::ApiError::forbidden("chats:admin").into());
        }
        return Ok(None);
    }
    Ok(Some(super::owner(g)))
}

/// Whose chat this is, for reading: the owner, or an administrator.
fn reader(g: &Granted<KnowledgeAsk>) -> Option<Owner> {
    if g.can(<ChatsAdmin as kernel::access::Permission>::DEF.name) {
        None
    } else {
        Some(super::owner(g))
    }
}

/// Starts a chat.
pub async fn create(
    k: &Knowledge,
    g: &Granted<KnowledgeAsk>,
    title: Option<String>,
) -> Result<Chat> {
    let mut tx = g.tx(k.db()).await?;
    let chat = repo::chats::create(
        &mut tx,
        Uuid::now_v7(),
        super::owner(g),
        title.as_deref().unwrap_or(UNTITLED),
    )
    .await?;
    tx.commit().await?;
    Ok(chat)
}

/// Chats, most recent first.
pub async fn list(
    k: &Knowledge,
    g: &Granted<KnowledgeAsk>,
    page: &PageRequest,
    all: bool,
) -> Result<Page<Chat>> {
    let owner = scope(g, all)?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let mut tx = g.read_tx(k.db()).await?;
    let rows = repo::chats::list(&mut tx, owner, after, page.fetch()).await?;
    Ok(page.page(rows, |c| (c.updated_at, c.id)))
}

/// A chat with its messages.
pub async fn get(
    k: &Knowledge,
    g: &Granted<KnowledgeAsk>,
    id: Uuid,
) -> Result<(Chat, Vec<Message>)> {
    let mut tx = g.read_tx(k.db()).await?;
    let chat =
        repo::chats::get(&mut tx, id, reader(g)).await?.ok_or(KnowledgeError::NotFound("chat"))?;
    let messages = repo::chats::messages(&mut tx, id, 500).await?;
    Ok((chat, messages))
}

/// One message of a chat.
pub async fn message(
    k: &Knowledge,
    g: &Granted<KnowledgeAsk>,
    chat: Uuid,
    id: Uuid,
) -> Result<Message> {
    let mut tx = g.read_tx(k.db()).await?;
    repo::chats::get(&mut tx, chat, reader(g)).await?.ok_or(KnowledgeError::NotFound("chat"))?;
    repo::chats::message(&mut tx, chat, id).await?.ok_or(KnowledgeError::NotFound("message"))
}

/// Renames a chat.
pub async fn rename(
    k: &Knowledge,
    g: &Granted<KnowledgeAsk>,
    id: Uuid,
    title: &str,
) -> Result<Chat> {
    let mut tx = g.tx(k.db()).await?;
    let chat = repo::chats::rename(&mut tx, id, reader(g), title)
        .await?
        .ok_or(KnowledgeError::NotFound("chat"))?;
    tx.commit().await?;
    Ok(chat)
}

/// Deletes a chat.
pub async fn delete(k: &Knowledge, g: &Granted<KnowledgeAsk>, id: Uuid) -> Result<()> {
    let mut tx = g.tx(k.db()).await?;
    if !repo::chats::delete(&mut tx, id, reader(g)).await? {
        return Err(KnowledgeError::NotFound("chat"));
    }
    tx.commit().await?;
    Ok(())
}

/// Feedback on an answer.
pub async fn feedback(
    k: &Knowledge,
    g: &Granted<KnowledgeAsk>,
    chat: Uuid,
    message: Uuid,
    rating: i16,
    comment: Option<&str>,
) -> Result<Message> {
    let mut tx = g.tx(k.db()).await?;
    repo::chats::get(&mut tx, chat, reader(g)).await?.ok_or(KnowledgeError::NotFound("chat"))?;
    let m = repo::chats::feedback(&mut tx, chat, message, rating, comment)
        .await?
        .ok_or(KnowledgeError::NotFound("message"))?;
    tx.commit().await?;
    Ok(m)
}

/// What a message stream yields: the answer's events, then the stored
/// assistant message.
#[derive(Debug)]
pub enum Streamed {
    /// The answer's text, citations or end.
    Answer(AnswerEvent),
    /// The stored message (last).
    Stored(Box<Message>),
}

/// An asked question.
#[derive(Debug)]
pub struct Ask {
    /// The question.
    pub content: String,
    /// Which documents.
    pub filter: DocumentFilter,
}

struct Partial {
    text: String,
    done: bool,
}

/// The question of a turn, stored with its answer.
#[derive(Clone)]
struct Turn {
    chat: Uuid,
    question_id: Uuid,
    question: String,
    /// The chat's first question names it.
    title: Option<String>,
    owner: Option<Owner>,
}

/// Stores the question and what was said of the answer when the stream
/// is dropped before its end (the asker stopped it).
struct StopGuard {
    k: Arc<Knowledge>,
    access: TenantAccess,
    turn: Turn,
    partial: Arc<Mutex<Partial>>,
    started: std::time::Instant,
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        let (text, done) = match self.partial.lock() {
            Ok(p) => (p.text.clone(), p.done),
            Err(_) => return,
        };
        if done {
            return;
        }
        let k = self.k.clone();
        let access = self.access.clone();
        let turn = self.turn.clone();
        let latency = self.started.elapsed().as_millis() as i32;
        tokio::spawn(async move {
            let m = NewMessage {
                id: Uuid::now_v7(),
                role: "assistant",
                content: &text,
                stopped: true,
                latency_ms: Some(latency),
                ..Default::default()
            };
            if let Err(e) = store_turn(&k, &access, &turn, &m).await {
                tracing::warn!(error = %e, "could not store a stopped answer");
            }
        });
    }
}

/// Asks a question in a chat: the answer streams, and the question is
/// stored with it (and its citations) when it ends — or with what was said
/// when the asker stops it. A failure stores nothing, so a retry does not
/// leave the question twice.
pub async fn ask(
    k: &Arc<Knowledge>,
    g: &Granted<KnowledgeAsk>,
    chat_id: Uuid,
    ask: Ask,
) -> Result<BoxStream<'static, Result<Streamed>>> {
    let started = std::time::Instant::now();
    let owner = Some(super::owner(g));
    let mut tx = g.read_tx(k.db()).await?;
    let chat =
        repo::chats::get(&mut tx, chat_id, owner).await?.ok_or(KnowledgeError::NotFound("chat"))?;
    let history: Vec<(String, String)> = repo::chats::messages(&mut tx, chat_id, 6)
        .await?
        .into_iter()
        .map(|m| (m.role, m.content))
        .collect();
    drop(tx);
    let turn = Turn {
        chat: chat_id,
        question_id: Uuid::now_v7(),
        question: ask.content.clone(),
        title: (chat.title == UNTITLED).then(|| {
            ask.content.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(80).collect()
        }),
        owner,
    };

    let ctx = CallContext::of(g, "answer");
    let opts = AnswerOptions { history, filter: ask.filter, ..AnswerOptions::default() };
    let mut answer = k.answer(&ctx, &ask.content, opts).await?;
    let partial = Arc::new(Mutex::new(Partial { text: String::new(), done: false }));
    let guard = StopGuard {
        k: k.clone(),
        access: g.access().clone(),
        turn: turn.clone(),
        partial: partial.clone(),
        started,
    };
    let k = k.clone();
    let access = g.access().clone();
    let stream = async_stream::try_stream! {
        let _guard = guard;
        while let Some(ev) = answer.next().await {
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    // Failed, not stopped: nothing is stored.
                    if let Ok(mut p) = partial.lock() {
                        p.done = true;
                    }
                    Err(e)?
                }
            };
            match &ev {
                AnswerEvent::Token(t) => {
                    if let Ok(mut p) = partial.lock() {
                        p.text.push_str(t);
                    }
                    yield Streamed::Answer(ev);
                }
                AnswerEvent::Citations(_) => yield Streamed::Answer(ev),
                AnswerEvent::Done(a) => {
                    let stored = store(&k, &access, &turn, a, started).await?;
                    if let Ok(mut p) = partial.lock() {
                        p.done = true;
                    }
                    yield Streamed::Answer(ev);
                    yield Streamed::Stored(Box::new(stored));
                }
            }
        }
    };
    Ok(stream.boxed())
}

/// Stores a turn: its question, then the answer, in one transaction.
async fn store_turn(
    k: &Knowledge,
    access: &TenantAccess,
    turn: &Turn,
    answer: &NewMessage<'_>,
) -> Result<Message> {
    let mut tx = k.db().tenant(access).await?;
    let question = NewMessage {
        id: turn.question_id,
        role: "user",
        content: &turn.question,
        ..Default::default()
    };
    repo::chats::add_message(&mut tx, turn.chat, &question).await?;
    let stored = repo::chats::add_message(&mut tx, turn.chat, answer).await?;
    if let Some(title) = &turn.title {
        repo::chats::rename(&mut tx, turn.chat, turn.owner, title).await?;
    }
    tx.commit().await?;
    Ok(stored)
}

async fn store(
    k: &Knowledge,
    access: &TenantAccess,
    turn: &Turn,
    a: &Answer,
    started: std::time::Instant,
) -> Result<Message> {
    let m = NewMessage {
        id: Uuid::now_v7(),
        role: "assistant",
        content: &a.text,
        mode: Some(a.mode.as_str()),
        query: Some(&a.query),
        citations: a.citations.clone(),
        chunk_ids: a.chunk_ids.clone(),
        provider: a.provider.as_deref(),
        model: a.model.as_deref(),
        prompt_tokens: Some(a.prompt_tokens as i32),
        completion_tokens: Some(a.completion_tokens as i32),
        latency_ms: Some(started.elapsed().as_millis() as i32),
        retrieval_ms: Some(a.retrieval_ms.round() as i32),
        stopped: false,
    };
    store_turn(k, access, turn, &m).await
}
