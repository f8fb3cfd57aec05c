//! The concierge's jobs: the reply to each inbound message (understand,
//! route, answer or hand off), the sending of each outbound message, and
//! housekeeping (snoozes that end, retention).
//!
//! Both message jobs are idempotent: a reply is unique per inbound message
//! (`reply_to`), and a message is sent only while it is `queued`.

use std::time::Duration;

use ai::CallContext;
use chrono::Utc;
use futures::StreamExt;
use jobs::{Job, JobContext, Permanent, Retry};
use knowledge::AnswerOptions;
use knowledge::model::AnswerMode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::graph::{self, Outgoing, SendError};
use crate::nlu::{self, IntentAction};
use crate::repo::inbox::{self, NewMessage};
use crate::{ConciergeService, Live, repo, service};

/// Similarity to an intent's nearest example above which a message is of
/// that intent (all-MiniLM-L6-v2 cosine: questions for the documents stay
/// below 0.4 against the built-in examples, requests for a person in other
/// words reach 0.55–0.75).
pub const INTENT_THRESHOLD: f32 = 0.5;

/// Answers one inbound message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    /// The inbound message.
    pub message_id: Uuid,
}

impl Job for Reply {
    const KIND: &'static str = "concierge.reply";
    const QUEUE: &'static str = "concierge";
    const RETRY: Retry = Retry {
        max_attempts: 5,
        base: Duration::from_secs(1),
        max: Duration::from_secs(60),
        give_up_after: Some(Duration::from_secs(3600)),
    };
    const TIMEOUT: Duration = Duration::from_secs(120);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        reply(&ctx, self.message_id).await
    }
}
kernel::register_job!(Reply);

/// Stores what one verified webhook delivered (see [`service::ingest`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ingest {
    /// The channel whose URL received it.
    pub channel_id: Uuid,
    /// Meta's payload.
    pub payload: serde_json::Value,
}

impl Job for Ingest {
    const KIND: &'static str = "concierge.ingest";
    const QUEUE: &'static str = "concierge";
    const RETRY: Retry = Retry {
        max_attempts: 10,
        base: Duration::from_secs(1),
        max: Duration::from_secs(60),
        give_up_after: Some(Duration::from_secs(24 * 3600)),
    };
    const TIMEOUT: Duration = Duration::from_secs(60);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let c = ConciergeService::of(&ctx.state);
        service::ingest(&c, ctx.access(), self.channel_id, &self.payload).await?;
        Ok(())
    }
}
kernel::register_job!(Ingest);

/// What the bot decided.
struct Decision {
    text: String,
    mode: String,
    chunk_ids: Vec<Uuid>,
    handoff: Option<&'static str>,
    answered: Option<bool>,
}

/// The text a customer sees of an answer: no citation markers, no quote
/// marks, no "quoted from your documents" label.
pub fn customer_text(answer: &str) -> String {
    let mut lines = Vec::new();
    for para in answer.split("\n\n") {
        let p = para.trim();
        if p.is_empty() || p == knowledge::answer::QUOTED {
            continue;
        }
        let mut out = String::with_capacity(p.len());
        let mut rest = p;
        while let Some(i) = rest.find('[') {
            let (before, after) = rest.split_at(i);
            out.push_str(before);
            match after.find(']') {
                Some(j) if after[1..j].chars().all(|c| c.is_ascii_digit()) && j > 1 => {
                    rest = &after[j + 1..]
                }
                _ => {
                    out.push('[');
                    rest = &after[1..];
                }
            }
        }
        out.push_str(rest);
        let t = out
            .trim()
            .trim_start_matches('“')
            .trim_end_matches('”')
            .trim()
            .replace(" ,", ",")
            .replace(" .", ".");
        if !t.is_empty() {
            lines.push(t);
        }
    }
    // A heading quoted alone ("Refund policy") says nothing to a customer
    // when a sentence follows.
    let sentence =
        |l: &String| l.ends_with(['.', '!', '?', ':', ')']) || l.split_whitespace().count() > 4;
    if lines.iter().any(sentence) {
        lines.retain(sentence);
    }
    lines.join("\n")
}

async fn reply(ctx: &JobContext, message_id: Uuid) -> anyhow::Result<()> {
    let c = ConciergeService::of(&ctx.state);
    let started = std::time::Instant::now();
    let access = ctx.access().clone();
    let mut tx = ctx.read_tx().await?;
    let Some(m) = inbox::message(&mut tx, message_id).await? else { return Ok(()) };
    if m.direction != "in"
        || m.status == "ignored"
        || inbox::reply_to(&mut tx, m.id).await?.is_some()
    {
        return Ok(());
    }
    let Some(state) = inbox::peek(&mut tx, m.conversation_id).await? else { return Ok(()) };
    if state.handled_by != "bot" || state.status == "resolved" || state.status == "snoozed" {
        return Ok(()); // a person holds it: the bot stays silent
    }
    let settings = repo::config::settings(&mut tx).await?;
    if !settings.bot_enabled {
        return Ok(());
    }
    let own = repo::config::intents(&mut tx).await?;
    let history =
        inbox::messages(&mut tx, m.conversation_id, i64::from(settings.history_turns) + 1).await?;
    drop(tx);

    // Understand.
    let text = m.body.trim().to_string();
    let today = Utc::now().date_naive();
    let entities = nlu::entities(&text, today);
    let sentiment = nlu::sentiment(&text);
    let defs = service::merge_intents(&own);
    let mut intent: Option<nlu::IntentDef> = None;
    if nlu::asks_for_human(&text) {
        intent = defs.iter().find(|d| d.name == nlu::HUMAN).cloned();
    } else if !text.is_empty() {
        let ix = c.intent_index(&access, defs.clone()).await?;
        let call = CallContext::system(&access, "concierge.intents");
        let (_, e) = c.ai.embed(&call, Some(&ix.model), std::slice::from_ref(&text)).await?;
        if let Some(v) = e.vectors.first() {
            let scores: Vec<Vec<f32>> = ix
                .vectors
                .iter()
                .map(|ex| ex.iter().map(|x| crate::cosine(v, x)).collect())
                .collect();
            if let Some((i, _)) = nlu::classify(&scores, INTENT_THRESHOLD) {
                intent = ix.intents.get(i).cloned();
            }
        }
    }
    let hours = service::company_hours(&c, &access, &settings).await;
    let now = Utc::now();

    // Route.
    let d = if m.kind == "media" && text.is_empty() {
        Decision {
            text: "Thanks! I can't open attachments myself, so I've passed this to our team."
                .into(),
            mode: "handoff".into(),
            chunk_ids: vec![],
            handoff: Some("media"),
            answered: None,
        }
    } else if let Some(i) = intent.as_ref().filter(|i| i.action == IntentAction::Handoff) {
        Decision {
            text: service::handoff_text(&hours, now),
            mode: "handoff".into(),
            chunk_ids: vec![],
            handoff: Some(if i.name == nlu::HUMAN { "asked" } else { "intent" }),
            answered: None,
        }
    } else if sentiment < settings.sentiment_threshold {
        Decision {
            text: format!("I'm sorry about this. {}", service::handoff_text(&hours, now)),
            mode: "handoff".into(),
            chunk_ids: vec![],
            handoff: Some("sentiment"),
            answered: None,
        }
    } else if let Some(i) =
        intent.as_ref().filter(|i| matches!(i.action, IntentAction::Reply | IntentAction::Clarify))
    {
        let text = if i.name == nlu::GREETING && !settings.greeting.trim().is_empty() {
            settings.greeting.clone()
        } else {
            i.reply.clone()
        };
        Decision { text, mode: "intent".into(), chunk_ids: vec![], handoff: None, answered: None }
    } else {
        // Answer from the knowledge base: the earlier turns as history,
        // the persona and prompt as the company's instructions.
        let turns: Vec<(String, String)> = history
            .iter()
            .filter(|h| h.id != m.id && h.direction != "note")
            .map(|h| {
                (if h.direction == "in" { "user" } else { "assistant" }.to_string(), h.body.clone())
            })
            .collect();
        let mut instructions = String::new();
        if !settings.persona.trim().is_empty() {
            instructions.push_str(&format!("You are {}. ", settings.persona.trim()));
        }
        instructions.push_str(&format!(
            "You are writing to a customer on a chat channel: plain text, no markdown, no citation numbers. Answer in the language with code `{}`.",
            settings.language
        ));
        if !settings.prompt.trim().is_empty() {
            instructions.push('\n');
            instructions.push_str(settings.prompt.trim());
        }
        let call = CallContext::system(&access, "concierge.answer");
        let opts = AnswerOptions {
            history: turns,
            instructions: Some(instructions),
            ..AnswerOptions::default()
        };
        let mut stream = c.knowledge().answer(&call, &nlu::question_of(&text), opts).await?;
        let mut done = None;
        while let Some(ev) = stream.next().await {
            if let knowledge::AnswerEvent::Done(a) = ev? {
                done = Some(a);
            }
        }
        let a = done.ok_or_else(|| anyhow::anyhow!("the answer ended without finishing"))?;
        if a.mode == AnswerMode::NotCovered {
            let limit_reached =
                settings.max_unanswered > 0 && state.unanswered + 1 >= settings.max_unanswered;
            if limit_reached {
                Decision {
                    text: format!(
                        "I couldn't find that in our information, so I'm passing you to a person. {}",
                        service::handoff_text(&hours, now)
                    ),
                    mode: "not_covered".into(),
                    chunk_ids: vec![],
                    handoff: Some("unanswered"),
                    answered: Some(false),
                }
            } else {
                Decision {
                    text: "Sorry, I don't have information about that. You can ask in other words, or reply \"agent\" to talk to a person.".into(),
                    mode: "not_covered".into(),
                    chunk_ids: vec![],
                    handoff: None,
                    answered: Some(false),
                }
            }
        } else {
            let t = customer_text(&a.text);
            let t: String = t.chars().take(4000).collect();
            Decision {
                text: t,
                mode: a.mode.as_str().into(),
                chunk_ids: a.chunk_ids.clone(),
                handoff: None,
                answered: Some(true),
            }
        }
    };

    // Record, in one transaction, unless a person took the conversation
    // meanwhile (the bot never talks over an agent).
    let mut tx = ctx.tx().await?;
    let Some(mut state) = inbox::state(&mut tx, m.conversation_id).await? else { return Ok(()) };
    let intent_name = intent.as_ref().map(|i| i.name.clone());
    inbox::understood(&mut tx, m.id, intent_name.as_deref(), &entities, sentiment, "received")
        .await?;
    if d.answered == Some(false) {
        inbox::mark_answer(&mut tx, m.id, "not_covered").await?;
    }
    state.last_intent = intent_name;
    state.last_sentiment = Some(sentiment);
    if state.handled_by != "bot" || state.status == "resolved" {
        inbox::save(&mut tx, &state).await?;
        tx.commit().await?;
        return Ok(());
    }
    let channel = repo::channels::get(&mut tx, state.channel_id)
        .await?
        .ok_or_else(|| Permanent::error("the channel is gone"))?;
    match d.answered {
        Some(true) => state.unanswered = 0,
        Some(false) => state.unanswered += 1,
        None => {}
    }
    if let Some(reason) = d.handoff {
        service::hand_off(&mut tx, &mut state, reason)?;
    }
    if state.first_response_at.is_none() {
        state.first_response_at = Some(Utc::now());
    }
    inbox::save(&mut tx, &state).await?;
    let mut out = NewMessage::out(state.id, channel.id, "bot", d.text);
    out.reply_to = Some(m.id);
    out.chunk_ids = d.chunk_ids;
    out.answer_mode = Some(d.mode.clone());
    let stored = service::queue_out(&c, &mut tx, &channel, out).await?;
    tx.commit().await?;
    metrics::histogram!("concierge_reply_seconds", "mode" => d.mode)
        .record(started.elapsed().as_secs_f64());
    if let Some(s) = stored {
        c.publish(Live {
            tenant: access.tenant(),
            conversation_id: state.id,
            contact_id: state.contact_id,
            message: Some(s),
        });
    }
    Ok(())
}

/// Sends one outbound message through its channel's API. A 429 or 5xx is
/// retried with backoff; a refusal is recorded on the message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendMessage {
    /// The outbound message.
    pub message_id: Uuid,
}

impl Job for SendMessage {
    const KIND: &'static str = "concierge.send";
    const QUEUE: &'static str = "concierge";
    const RETRY: Retry = Retry {
        max_attempts: 12,
        base: Duration::from_secs(1),
        max: Duration::from_secs(300),
        give_up_after: Some(Duration::from_secs(86_400)),
    };
    const TIMEOUT: Duration = Duration::from_secs(60);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        send(&ctx, self.message_id).await
    }
}
kernel::register_job!(SendMessage);

async fn give_up(
    c: &crate::Concierge,
    ctx: &JobContext,
    message_id: Uuid,
    contact_id: Uuid,
    reason: String,
) -> anyhow::Result<()> {
    let mut tx = ctx.tx().await?;
    inbox::failed(&mut tx, message_id, &reason).await?;
    let m = inbox::message(&mut tx, message_id).await?;
    tx.commit().await?;
    tracing::info!(message = %message_id, %reason, "a message could not be sent");
    if let Some(m) = m {
        c.publish(Live {
            tenant: ctx.tenant(),
            conversation_id: m.conversation_id,
            contact_id,
            message: Some(m),
        });
    }
    Ok(())
}

async fn send(ctx: &JobContext, message_id: Uuid) -> anyhow::Result<()> {
    let c = ConciergeService::of(&ctx.state);
    let tenant = ctx.tenant();
    let mut tx = ctx.read_tx().await?;
    let Some(m) = inbox::message(&mut tx, message_id).await? else { return Ok(()) };
    if m.status != "queued" || m.direction != "out" {
        return Ok(()); // sent already
    }
    let Some(state) = inbox::peek(&mut tx, m.conversation_id).await? else { return Ok(()) };
    let Some(contact) = inbox::get_contact(&mut tx, state.contact_id).await? else { return Ok(()) };
    let Some(channel) = repo::channels::get(&mut tx, state.channel_id).await? else {
        return Ok(());
    };
    drop(tx);
    let ep = match c.endpoint(tenant, &channel) {
        Ok(ep) => ep,
        Err(reason) => return give_up(&c, ctx, message_id, state.contact_id, reason).await,
    };
    let body = match channel.kind.as_str() {
        "whatsapp" => {
            let out = if m.kind == "template" {
                Outgoing::Template {
                    name: m.payload["template"].as_str().unwrap_or_default().to_string(),
                    language: m.payload["language"].as_str().unwrap_or("en").to_string(),
                    variables: m.payload["variables"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                }
            } else {
                if contact.last_inbound_at.is_none_or(|t| Utc::now() - t >= service::WINDOW) {
                    return give_up(&c, ctx, message_id, state.contact_id, "more than 24 hours have passed since the customer last wrote; send an approved template".into()).await;
                }
                Outgoing::Text(m.body.clone())
            };
            graph::whatsapp_body(&contact.external_id, &out)
        }
        "instagram" => graph::instagram_body(
            &contact.external_id,
            &m.body.chars().take(1000).collect::<String>(),
        ),
        _ => return Ok(()),
    };
    match graph::send(&c.http, &ep, &body).await {
        Ok(id) => {
            let mut tx = ctx.tx().await?;
            inbox::sent(&mut tx, message_id, Some(&id), "sent").await?;
            let m = inbox::message(&mut tx, message_id).await?;
            tx.commit().await?;
            metrics::counter!("concierge_messages_sent_total", "channel" => channel.kind.clone())
                .increment(1);
            if let Some(m) = m {
                c.publish(Live {
                    tenant,
                    conversation_id: m.conversation_id,
                    contact_id: state.contact_id,
                    message: Some(m),
                });
            }
            Ok(())
        }
        Err(SendError::Transient(e)) if !ctx.is_last_attempt() => Err(anyhow::anyhow!(e)),
        Err(SendError::Transient(e) | SendError::Permanent(e)) => {
            give_up(&c, ctx, message_id, state.contact_id, e).await
        }
    }
}

/// Wakes snoozed conversations whose time came and deletes resolved ones
/// past the company's retention, company by company.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Housekeeping {}

impl Job for Housekeeping {
    const KIND: &'static str = "concierge.housekeeping";
    const TIMEOUT: Duration = Duration::from_secs(600);

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let authority = ctx
            .authority()
            .ok_or_else(|| anyhow::anyhow!("concierge.housekeeping is a system job"))?;
        let mut conn = ctx.db().pool().acquire().await?;
        let tenants = identity::repo::all_tenants(&mut conn).await?;
        drop(conn);
        for (tenant, _) in tenants {
            if ctx.cancel.is_cancelled() {
                anyhow::bail!("stopped");
            }
            let access = authority.tenant(tenant);
            let mut tx = ctx.db().tenant(&access).await?;
            let settings = repo::config::settings(&mut tx).await?;
            inbox::wake(&mut tx).await?;
            inbox::prune(&mut tx, settings.retention_days).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}
kernel::register_job!(Housekeeping);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_see_no_citation_marks() {
        let a = format!(
            "{}\n\n“Refunds take five working days [1].” [1]\n\n“Call us on 020 1234 [2]” [2]",
            knowledge::answer::QUOTED
        );
        assert_eq!(customer_text(&a), "Refunds take five working days.\nCall us on 020 1234");
        assert_eq!(customer_text("Keep [this] text [3]."), "Keep [this] text.");
        let a = format!(
            "{}\n\n“Refund policy” [1]\n\n“Refunds are paid within five working days.” [1]",
            knowledge::answer::QUOTED
        );
        assert_eq!(customer_text(&a), "Refunds are paid within five working days.");
    }
}
