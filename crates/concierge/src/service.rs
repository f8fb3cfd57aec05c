//! The concierge's rules: channels and their sealed credentials, the bot's
//! settings, intents and templates, messages coming in from channels, and
//! the inbox's actions.

use chrono::{DateTime, NaiveDate, Utc};
use identity::Granted;
use kernel::audit::Changes;
use kernel::db::{TenantAccess, TenantTx};
use kernel::pagination::{Page, PageRequest};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{ConciergeError, Problems, Result};
use crate::graph;
use crate::hours::Hours;
use crate::jobs::{Reply as ReplyJob, SendMessage};
use crate::meta::{Inbound, Status as DeliveryStatus};
use crate::model::*;
use crate::nlu::{self, IntentAction, IntentDef};
use crate::permissions::{ChannelsManage, ConversationsRead, ConversationsReply};
use crate::repo::channels::ChannelRow;
use crate::repo::config::IntentRow;
use crate::repo::inbox::{self, NewMessage, State};
use crate::{CONVERSATION_HANDED_OFF, CONVERSATION_RESOLVED, Concierge, Live, repo};

/// The Graph API's address unless a channel says otherwise.
pub const GRAPH_URL: &str = "https://graph.facebook.com";
/// The Graph API version unless a channel says otherwise.
pub const GRAPH_VERSION: &str = "v21.0";
/// How long after the customer's last message a WhatsApp business may send
/// free text.
pub const WINDOW: chrono::Duration = chrono::Duration::hours(24);

fn secret_context(tenant: kernel::ids::TenantId, channel: Uuid, what: &str) -> Vec<u8> {
    format!("concierge:{tenant}:{channel}:{what}").into_bytes()
}

fn random_key(prefix: &str, bytes: usize) -> String {
    let raw = kernel::crypto::random_bytes::<32>();
    format!("{prefix}{}", &hex::encode(raw)[..bytes * 2])
}

impl Concierge {
    /// A channel as shown: secrets as flags, the webhook URL and snippet.
    pub(crate) fn view(&self, r: &ChannelRow) -> Channel {
        let kind = match r.kind.as_str() {
            "whatsapp" => ChannelKind::Whatsapp,
            "instagram" => ChannelKind::Instagram,
            _ => ChannelKind::Web,
        };
        let widget: WidgetLook = serde_json::from_value(r.widget.0.clone()).unwrap_or_default();
        Channel {
            id: r.id,
            kind,
            name: r.name.clone(),
            public_key: r.public_key.clone(),
            external_id: r.external_id.clone(),
            api_base_url: r.api_base_url.clone(),
            api_version: r.api_version.clone(),
            verify_token: r.verify_token.clone(),
            has_app_secret: r.app_secret.as_ref().is_some_and(|s| !s.is_empty()),
            has_access_token: r.access_token.as_ref().is_some_and(|s| !s.is_empty()),
            allowed_origins: r.allowed_origins.clone(),
            widget,
            enabled: r.enabled,
            webhook_url: (kind != ChannelKind::Web)
                .then(|| format!("{}/api/v1/hooks/meta/{}", self.public_url, r.public_key)),
            widget_snippet: (kind == ChannelKind::Web).then(|| {
                format!(
                    "<script src=\"{}/widget.js\" data-channel=\"{}\" async></script>",
                    self.public_url, r.public_key
                )
            }),
            created_at: r.created_at,
        }
    }

    /// Opens a sealed channel secret.
    pub(crate) fn open_secret(
        &self,
        tenant: kernel::ids::TenantId,
        r: &ChannelRow,
        what: &str,
        sealed: Option<&Vec<u8>>,
    ) -> Option<String> {
        let sealed = sealed.filter(|s| !s.is_empty())?;
        match self.secrets.open(sealed, &secret_context(tenant, r.id, what)) {
            Ok(b) => String::from_utf8(b).ok(),
            Err(e) => {
                tracing::warn!(channel = %r.id, error = %e, "a channel secret cannot be opened");
                None
            }
        }
    }

    /// The Graph API endpoint of a channel, or why there is none.
    pub(crate) fn endpoint(
        &self,
        tenant: kernel::ids::TenantId,
        r: &ChannelRow,
    ) -> std::result::Result<graph::Endpoint, String> {
        let token = self
            .open_secret(tenant, r, "access_token", r.access_token.as_ref())
            .ok_or("the channel has no access token")?;
        if let Err(e) = kernel::outbound::check_url(&r.api_base_url, self.allow_private) {
            return Err(format!("the channel's API URL is refused: {e}"));
        }
        Ok(graph::Endpoint {
            base_url: r.api_base_url.clone(),
            version: r.api_version.clone(),
            account: r.external_id.clone().unwrap_or_default(),
            token,
        })
    }
}

// ---------------------------------------------------------------- channels

/// Every channel.
pub async fn channels(c: &Concierge, g: &Granted<ConversationsRead>) -> Result<Vec<Channel>> {
    let mut tx = g.read_tx(c.db()).await?;
    let rows = repo::channels::list(&mut tx).await?;
    Ok(rows.iter().map(|r| c.view(r)).collect())
}

/// One channel.
pub async fn channel(c: &Concierge, g: &Granted<ConversationsRead>, id: Uuid) -> Result<Channel> {
    let mut tx = g.read_tx(c.db()).await?;
    let r = repo::channels::get(&mut tx, id).await?.ok_or(ConciergeError::NotFound("channel"))?;
    Ok(c.view(&r))
}

fn check_origin(o: &str) -> bool {
    match o.split_once("://") {
        Some(("http" | "https", host)) => {
            !host.is_empty()
                && !host.contains('/')
                && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        }
        _ => false,
    }
}

/// Adds a channel (`id` None) or changes one.
pub async fn put_channel(
    c: &Concierge,
    g: &Granted<ChannelsManage>,
    id: Option<Uuid>,
    input: ChannelInput,
) -> Result<Channel> {
    let mut p = Problems::default();
    let name = input.name.clone();
    if name.trim().is_empty()
        || name.trim() != name
        || name.chars().count() > 100
        || name.chars().any(char::is_control)
    {
        p.add(
            "name",
            "must be 1–100 characters, without control characters or spaces at either end",
        );
    }
    let meta = input.kind != ChannelKind::Web;
    let external = input.external_id.as_deref();
    match external {
        Some(e) if !(1..=40).contains(&e.len()) || !e.chars().all(|c| c.is_ascii_digit()) => {
            p.add("external_id", "must be the numeric id Meta shows (up to 40 digits)")
        }
        None if meta => p.add(
            "external_id",
            match input.kind {
                ChannelKind::Whatsapp => {
                    "is required: the phone number id from the WhatsApp API setup"
                }
                _ => "is required: the Instagram professional account id",
            },
        ),
        _ => {}
    }
    if input.api_base_url.as_ref().is_some_and(|u| u.chars().count() > 300) {
        p.add("api_base_url", "at most 300 characters");
    }
    let base =
        input.api_base_url.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(GRAPH_URL);
    if meta && let Err(e) = kernel::outbound::check_url(base, c.allow_private) {
        p.add("api_base_url", e.to_string());
    }
    let version = input.api_version.clone().unwrap_or_else(|| GRAPH_VERSION.into());
    let version_ok =
        version.strip_prefix('v').and_then(|v| v.split_once('.')).is_some_and(|(a, b)| {
            (1..=2).contains(&a.len())
                && b.len() == 1
                && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit())
        });
    if !version_ok {
        p.add("api_version", "must look like v21.0");
    }
    if let Some(t) = &input.verify_token
        && (t.len() < 8
            || t.len() > 100
            || !t.chars().all(|c| c.is_ascii_alphanumeric() || "_.~-".contains(c)))
    {
        p.add("verify_token", "must be 8–100 letters, digits or _ . ~ -");
    }
    for (field, v, max) in
        [("app_secret", &input.app_secret, 200), ("access_token", &input.access_token, 1000)]
    {
        if let Some(v) = v
            && (v.len() < 8 || v.len() > max || !v.chars().all(|c| c.is_ascii_graphic()))
        {
            p.add(field, format!("must be 8–{max} printable characters without spaces"));
        }
    }
    if input.allowed_origins.len() > 20 {
        p.add("allowed_origins", "at most 20");
    }
    for (i, o) in input.allowed_origins.iter().enumerate() {
        if !check_origin(o) {
            p.add(format!("allowed_origins[{i}]"), "must be an origin like https://shop.example");
        }
    }
    if let Some(col) = &input.widget.color
        && !(col.len() == 7
            && col.starts_with('#')
            && col[1..].chars().all(|c| c.is_ascii_hexdigit()))
    {
        p.add("widget.color", "must be #rrggbb");
    }
    if input.widget.title.as_ref().is_some_and(|t| t.chars().count() > 60) {
        p.add("widget.title", "at most 60 characters");
    }
    if input.widget.welcome.as_ref().is_some_and(|t| t.chars().count() > 500) {
        p.add("widget.welcome", "at most 500 characters");
    }
    p.done()?;

    let tenant = g.tenant();
    let mut tx = g.tx(c.db()).await?;
    let old = match id {
        Some(id) => Some(
            repo::channels::get(&mut tx, id).await?.ok_or(ConciergeError::NotFound("channel"))?,
        ),
        None => None,
    };
    if let Some(o) = &old
        && o.kind != input.kind.as_str()
    {
        return Err(ConciergeError::invalid(
            "kind",
            "a channel's kind cannot change; add another channel",
        ));
    }
    let id = old.as_ref().map_or_else(Uuid::now_v7, |o| o.id);
    if meta && old.is_none() && input.app_secret.is_none() {
        return Err(ConciergeError::invalid(
            "app_secret",
            "is required: webhooks are checked with it",
        ));
    }
    if meta && old.is_none() && input.access_token.is_none() {
        return Err(ConciergeError::invalid(
            "access_token",
            "is required: replies are sent with it",
        ));
    }
    let seal = |what: &str,
                new: &Option<String>,
                old: Option<&Vec<u8>>|
     -> Result<Option<Vec<u8>>> {
        match new {
            Some(v) => {
                c.secrets.seal(v.as_bytes(), &secret_context(tenant, id, what)).map(Some).map_err(
                    |e| ConciergeError::Other(anyhow::anyhow!("cannot seal a secret: {e}")),
                )
            }
            None => Ok(old.cloned()),
        }
    };
    let row = ChannelRow {
        id,
        kind: input.kind.as_str().to_string(),
        name,
        public_key: old.as_ref().map_or_else(|| random_key("ch_", 16), |o| o.public_key.clone()),
        external_id: if meta { external.map(str::to_string) } else { None },
        api_base_url: if meta { base.to_string() } else { String::new() },
        api_version: version,
        verify_token: input
            .verify_token
            .clone()
            .or_else(|| old.as_ref().map(|o| o.verify_token.clone()))
            .unwrap_or_else(|| random_key("vt_", 12)),
        app_secret: seal(
            "app_secret",
            &input.app_secret,
            old.as_ref().and_then(|o| o.app_secret.as_ref()),
        )?,
        access_token: seal(
            "access_token",
            &input.access_token,
            old.as_ref().and_then(|o| o.access_token.as_ref()),
        )?,
        allowed_origins: input
            .allowed_origins
            .iter()
            .map(|o| o.trim_end_matches('/').to_string())
            .collect(),
        widget: sqlx::types::Json(serde_json::to_value(&input.widget).unwrap_or(Value::Null)),
        enabled: input.enabled.unwrap_or(true),
        created_at: old.as_ref().map_or_else(Utc::now, |o| o.created_at),
    };
    if !repo::channels::upsert(&mut tx, &row).await? {
        return Err(ConciergeError::conflict(
            "channel_exists",
            format!(
                "another {} channel has the id {}",
                row.kind,
                row.external_id.unwrap_or_default()
            ),
        ));
    }
    g.audit(
        &mut tx,
        if old.is_some() { "channel.updated" } else { "channel.created" },
        "channel",
        Some(id.to_string()),
        Changes::new().set("kind", &row.kind).set("name", &row.name),
    );
    let saved =
        repo::channels::get(&mut tx, id).await?.ok_or(ConciergeError::NotFound("channel"))?;
    tx.commit().await?;
    c.forget_hook_routes();
    Ok(c.view(&saved))
}

/// Deletes a channel with its contacts and conversations.
pub async fn delete_channel(c: &Concierge, g: &Granted<ChannelsManage>, id: Uuid) -> Result<()> {
    let mut tx = g.tx(c.db()).await?;
    if !repo::channels::delete(&mut tx, id).await? {
        return Err(ConciergeError::NotFound("channel"));
    }
    g.audit(&mut tx, "channel.deleted", "channel", Some(id.to_string()), Changes::new());
    tx.commit().await?;
    c.forget_hook_routes();
    Ok(())
}

// ---------------------------------------------------------------- settings

/// The bot's settings.
pub async fn settings(c: &Concierge, g: &Granted<ConversationsRead>) -> Result<BotSettings> {
    let mut tx = g.read_tx(c.db()).await?;
    Ok(repo::config::settings(&mut tx).await?)
}

/// Changes the bot's settings.
pub async fn put_settings(
    c: &Concierge,
    g: &Granted<ChannelsManage>,
    s: BotSettings,
) -> Result<BotSettings> {
    let mut p = Problems::default();
    for (field, v, max) in
        [("persona", &s.persona, 500), ("prompt", &s.prompt, 4000), ("greeting", &s.greeting, 1000)]
    {
        if v.chars().count() > max {
            p.add(field, format!("at most {max} characters"));
        }
    }
    if !(s.language.len() == 2 && s.language.chars().all(|c| c.is_ascii_lowercase())) {
        p.add("language", "must be a two-letter language code");
    }
    if !(0..=50).contains(&s.history_turns) {
        p.add("history_turns", "must be 0–50");
    }
    if !(-1.0..=1.0).contains(&s.sentiment_threshold) {
        p.add("sentiment_threshold", "must be between -1 and 1");
    }
    if !(0..=20).contains(&s.max_unanswered) {
        p.add("max_unanswered", "must be 0–20");
    }
    if s.hours.len() > 50 {
        p.add("hours", "at most 50 periods");
    }
    for (i, h) in s.hours.iter().enumerate() {
        if let Err(e) = h.check() {
            p.add(format!("hours[{i}]"), e);
        }
    }
    if s.holidays.len() > 100 {
        p.add("holidays", "at most 100 days");
    }
    if !(1..=600).contains(&s.rate_limit_per_minute) {
        p.add("rate_limit_per_minute", "must be 1–600");
    }
    if !(1..=3650).contains(&s.retention_days) {
        p.add("retention_days", "must be 1–3650");
    }
    p.done()?;
    let mut tx = g.tx(c.db()).await?;
    repo::config::put_settings(&mut tx, &s).await?;
    g.audit(&mut tx, "concierge.settings_changed", "concierge_settings", None, Changes::new());
    let saved = repo::config::settings(&mut tx).await?;
    tx.commit().await?;
    Ok(saved)
}

// ---------------------------------------------------------------- intents

/// The intents a company's messages are classified into: its own, and the
/// built-in ones it has not replaced.
pub fn merge_intents(own: &[IntentRow]) -> Vec<IntentDef> {
    let mut out: Vec<IntentDef> =
        nlu::builtin().into_iter().filter(|b| !own.iter().any(|o| o.name == b.name)).collect();
    out.extend(own.iter().map(|o| IntentDef {
        name: o.name.clone(),
        examples: o.examples.clone(),
        action: IntentAction::parse(&o.action).unwrap_or(IntentAction::Answer),
        reply: o.reply.clone(),
    }));
    out
}

/// The fixed id of the `i`-th built-in intent (the same in every company).
pub fn builtin_id(i: usize) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_b17e_0000_0000 + i as u128)
}

fn refuse_builtin(id: Uuid) -> Result<()> {
    if (0..nlu::builtin().len()).any(|i| builtin_id(i) == id) {
        return Err(ConciergeError::conflict(
            "builtin_intent",
            "a built-in intent cannot be changed or deleted; add an intent of the same name to replace it",
        ));
    }
    Ok(())
}

/// Every intent, built-in ones included.
pub async fn intents(c: &Concierge, g: &Granted<ConversationsRead>) -> Result<Vec<Intent>> {
    let mut tx = g.read_tx(c.db()).await?;
    let own = repo::config::intents(&mut tx).await?;
    let mut out: Vec<Intent> = nlu::builtin()
        .into_iter()
        .enumerate()
        .filter(|(_, b)| !own.iter().any(|o| o.name == b.name))
        .map(|(n, b)| Intent {
            id: builtin_id(n),
            name: b.name,
            examples: b.examples,
            action: b.action,
            reply: b.reply,
            builtin: true,
        })
        .collect();
    out.extend(own.into_iter().map(|o| Intent {
        id: o.id,
        name: o.name,
        examples: o.examples,
        action: IntentAction::parse(&o.action).unwrap_or(IntentAction::Answer),
        reply: o.reply,
        builtin: false,
    }));
    Ok(out)
}

/// Adds an intent (`id` None) or replaces one.
pub async fn put_intent(
    c: &Concierge,
    g: &Granted<ChannelsManage>,
    id: Option<Uuid>,
    i: IntentInput,
) -> Result<Intent> {
    let mut p = Problems::default();
    let name_ok = !i.name.is_empty()
        && i.name.len() <= 40
        && i.name.starts_with(|c: char| c.is_ascii_lowercase())
        && i.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name_ok {
        p.add("name", "must be snake_case: a-z, 0-9 and _, starting with a letter, at most 40");
    }
    let examples: Vec<String> =
        i.examples.iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
    if examples.is_empty() || i.examples.len() > 50 {
        p.add("examples", "give 1–50 examples");
    }
    if examples.iter().any(|e| e.chars().count() > 300) {
        p.add("examples", "each example at most 300 characters");
    }
    let reply = i.reply.trim().to_string();
    if matches!(i.action, IntentAction::Reply | IntentAction::Clarify) && reply.is_empty() {
        p.add("reply", "is required for a reply or clarifying question");
    }
    if reply.chars().count() > 1000 {
        p.add("reply", "at most 1000 characters");
    }
    p.done()?;
    if let Some(id) = id {
        refuse_builtin(id)?;
    }
    let mut tx = g.tx(c.db()).await?;
    if let Some(id) = id
        && !repo::config::intent_exists(&mut tx, id).await?
    {
        return Err(ConciergeError::NotFound("intent"));
    }
    let row = IntentRow {
        id: id.unwrap_or_else(Uuid::now_v7),
        name: i.name.clone(),
        examples,
        action: i.action.as_str().into(),
        reply,
    };
    if !repo::config::put_intent(&mut tx, &row).await? {
        return Err(ConciergeError::conflict(
            "intent_exists",
            format!("an intent is already named {}", row.name),
        ));
    }
    tx.commit().await?;
    Ok(Intent {
        id: row.id,
        name: row.name,
        examples: row.examples,
        action: i.action,
        reply: row.reply,
        builtin: false,
    })
}

/// Deletes an intent (a built-in one it replaced comes back).
pub async fn delete_intent(c: &Concierge, g: &Granted<ChannelsManage>, id: Uuid) -> Result<()> {
    refuse_builtin(id)?;
    let mut tx = g.tx(c.db()).await?;
    if !repo::config::delete_intent(&mut tx, id).await? {
        return Err(ConciergeError::NotFound("intent"));
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- templates

/// Every template.
pub async fn templates(
    c: &Concierge,
    g: &Granted<ConversationsRead>,
) -> Result<Vec<MessageTemplate>> {
    let mut tx = g.read_tx(c.db()).await?;
    Ok(repo::config::templates(&mut tx).await?)
}

/// Adds a template approved in Meta's manager.
pub async fn add_template(
    c: &Concierge,
    g: &Granted<ChannelsManage>,
    t: MessageTemplateInput,
) -> Result<MessageTemplate> {
    let mut p = Problems::default();
    if t.name.is_empty()
        || t.name.len() > 512
        || !t.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        p.add("name", "must be lowercase letters, digits and _ as approved by Meta");
    }
    let language = t.language.clone().unwrap_or_else(|| "en".into());
    if !valid_language(&language) {
        p.add("language", "must be a language code like en or en_US");
    }
    let body = t.body.trim();
    if body.is_empty() || body.chars().count() > 1024 {
        p.add("body", "must be 1–1024 characters");
    }
    p.done()?;
    let mut tx = g.tx(c.db()).await?;
    let n = graph::count_variables(body) as i32;
    let saved = repo::config::add_template(&mut tx, &t.name, &language, body, n)
        .await?
        .ok_or_else(|| {
            ConciergeError::conflict("template_exists", format!("{} ({language}) exists", t.name))
        })?;
    tx.commit().await?;
    Ok(saved)
}

fn valid_language(l: &str) -> bool {
    let (a, b) = l.split_once('_').unwrap_or((l, ""));
    a.len() == 2
        && a.chars().all(|c| c.is_ascii_lowercase())
        && (b.is_empty() || (b.len() == 2 && b.chars().all(|c| c.is_ascii_uppercase())))
}

/// Deletes a template.
pub async fn delete_template(c: &Concierge, g: &Granted<ChannelsManage>, id: Uuid) -> Result<()> {
    let mut tx = g.tx(c.db()).await?;
    if !repo::config::delete_template(&mut tx, id).await? {
        return Err(ConciergeError::NotFound("template"));
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- inbound

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored; its id (a reply job is queued unless it was rate limited or
    /// a person holds the conversation).
    Stored(Uuid),
    /// The same channel id was stored before.
    Duplicate,
    /// A rating of the last resolved conversation.
    Rating,
}

/// Stores a message from a contact on `channel`, in the company of
/// `access`: finds or adds the contact, takes a 1–5 answer to the rating
/// question as the rating, opens a conversation when none is open (a
/// resolved one is never reopened by a message), and queues the reply.
pub async fn receive(
    c: &Concierge,
    access: &TenantAccess,
    channel: &ChannelRow,
    m: Inbound,
) -> Result<Received> {
    let mut tx = c.db().tenant(access).await?;
    if repo::inbox::seen(&mut tx, channel.id, &m.external_id).await? {
        return Ok(Received::Duplicate);
    }
    let settings = repo::config::settings(&mut tx).await?;
    let phone = (channel.kind == "whatsapp" && m.from.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("+{}", m.from));
    let name = m.name.clone().or_else(|| {
        // A web visitor is named by the end of their id until an agent
        // learns their name.
        (channel.kind == "web").then(|| {
            let tail: Vec<char> = m.from.chars().rev().take(4).collect();
            format!("Visitor {}", tail.into_iter().rev().collect::<String>().to_uppercase())
        })
    });
    let contact =
        inbox::contact(&mut tx, channel.id, &m.from, name.as_deref(), phone.as_deref()).await?;
    // The contact's row is locked now: a concurrent delivery of the same
    // message waits here and then finds it stored.
    if repo::inbox::seen(&mut tx, channel.id, &m.external_id).await? {
        return Ok(Received::Duplicate);
    }
    let count = inbox::wrote(&mut tx, contact.id).await?;
    let limited = count > settings.rate_limit_per_minute;

    // A rating of the conversation just resolved.
    let rating = m.text.trim().trim_end_matches(['.', '!', '⭐']).trim();
    if let Ok(n @ 1..=5) = rating.parse::<i16>()
        && let Some(mut s) = inbox::awaiting_rating(&mut tx, contact.id).await?
    {
        s.csat = Some(n);
        inbox::save(&mut tx, &s).await?;
        let text = "Thank you for your feedback!".to_string();
        let mut nm = NewMessage::out(s.id, channel.id, "bot", text);
        nm.answer_mode = Some("csat".into());
        let stored_in = inbox::insert(
            &mut tx,
            &NewMessage {
                direction: "in",
                sender: "contact",
                kind: m.kind.clone(),
                body: m.text.clone(),
                payload: m.payload.clone(),
                external_id: Some(m.external_id.clone()),
                status: "received",
                ..NewMessage::out(s.id, channel.id, "contact", String::new())
            },
        )
        .await?;
        let Some(stored_in) = stored_in else {
            return Ok(Received::Duplicate);
        };
        nm.reply_to = Some(stored_in.id);
        let out = queue_out(c, &mut tx, channel, nm).await?;
        tx.commit().await?;
        c.publish(Live {
            tenant: access.tenant(),
            conversation_id: s.id,
            contact_id: contact.id,
            message: Some(stored_in),
        });
        if let Some(o) = out {
            c.publish(Live {
                tenant: access.tenant(),
                conversation_id: s.id,
                contact_id: contact.id,
                message: Some(o),
            });
        }
        return Ok(Received::Rating);
    }

    let mut state = match inbox::current(&mut tx, contact.id).await? {
        Some(s) => s,
        None => {
            let by = if settings.bot_enabled { "bot" } else { "human" };
            match inbox::begin(&mut tx, channel.id, contact.id, by).await? {
                Some(s) => s,
                None => inbox::current(&mut tx, contact.id)
                    .await?
                    .ok_or_else(|| ConciergeError::conflict("conversation_busy", "try again"))?,
            }
        }
    };
    if state.status == "snoozed" {
        // A customer who writes wakes a snoozed conversation.
        state.status = "open".into();
        state.snoozed_until = None;
        inbox::save(&mut tx, &state).await?;
    }
    let stored = inbox::insert(
        &mut tx,
        &NewMessage {
            direction: "in",
            sender: "contact",
            kind: m.kind.clone(),
            body: m.text.clone(),
            payload: m.payload.clone(),
            external_id: Some(m.external_id.clone()),
            status: if limited { "ignored" } else { "received" },
            ..NewMessage::out(state.id, channel.id, "contact", String::new())
        },
    )
    .await?;
    let Some(stored) = stored else {
        return Ok(Received::Duplicate);
    };
    if !limited && state.handled_by == "bot" {
        jobs::NewJob::new(&ReplyJob { message_id: stored.id })
            .unique_key(stored.id.to_string())
            .enqueue(&mut tx)
            .await?;
    }
    tx.commit().await?;
    if limited {
        metrics::counter!("concierge_rate_limited_total").increment(1);
    }
    metrics::counter!("concierge_messages_received_total", "channel" => channel.kind.clone())
        .increment(1);
    let id = stored.id;
    c.publish(Live {
        tenant: access.tenant(),
        conversation_id: state.id,
        contact_id: contact.id,
        message: Some(stored),
    });
    Ok(Received::Stored(id))
}

/// Queues a verified webhook's payload for [`ingest`]: one insert, so Meta
/// is answered within milliseconds whatever the payload holds. The same
/// payload delivered again while its job is kept is queued once.
pub(crate) async fn accept(
    c: &Concierge,
    route: &crate::HookRoute,
    raw: &[u8],
    payload: Value,
) -> Result<()> {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(raw);
    let key: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let job = crate::jobs::Ingest { channel_id: route.channel.id, payload };
    let mut tx = c.db().tenant(&route.access).await?;
    jobs::NewJob::new(&job).unique_key(key).priority(10).enqueue(&mut tx).await?;
    tx.commit().await?;
    metrics::counter!("concierge_webhook_accepted_total").increment(1);
    Ok(())
}

/// Stores what a webhook payload delivered to `channel_id`: each message
/// once (then its reply is queued) and each status. A payload naming
/// another account than the channel's goes to this company's channel of
/// that account, or is logged and dropped.
pub async fn ingest(
    c: &Concierge,
    access: &TenantAccess,
    channel_id: Uuid,
    payload: &Value,
) -> Result<()> {
    let mut tx = c.db().tenant_read(access).await?;
    let channel = repo::channels::get(&mut tx, channel_id).await?;
    drop(tx);
    let Some(channel) = channel.filter(|ch| ch.enabled && ch.kind != "web") else {
        tracing::info!(channel = %channel_id, "a webhook for a removed or disabled channel was dropped");
        return Ok(());
    };
    let Some(d) = crate::meta::parse(payload) else { return Ok(()) };
    for m in d.messages {
        if let Some(target) = account_channel(c, access, &channel, &m.account).await? {
            receive(c, access, &target, m).await?;
        }
    }
    for st in &d.statuses {
        if let Some(target) = account_channel(c, access, &channel, &st.account).await? {
            delivery(c, access, &target, st).await?;
        }
    }
    Ok(())
}

/// The channel of this company for the account a payload names: the
/// channel of the URL when it is its account, else none (logged).
async fn account_channel(
    c: &Concierge,
    access: &TenantAccess,
    channel: &ChannelRow,
    account: &str,
) -> Result<Option<ChannelRow>> {
    if channel.external_id.as_deref() == Some(account) {
        return Ok(Some(channel.clone()));
    }
    let mut tx = c.db().tenant_read(access).await?;
    let other = repo::channels::by_external(&mut tx, &channel.kind, account).await?;
    if other.is_none() {
        tracing::info!(channel = %channel.id, "a webhook for an account of no channel was ignored");
    }
    Ok(other.filter(|o| o.enabled))
}

/// Applies a delivery status from the channel.
pub async fn delivery(
    c: &Concierge,
    access: &TenantAccess,
    channel: &ChannelRow,
    s: &DeliveryStatus,
) -> Result<()> {
    let rank = crate::meta::rank(&s.status);
    let mut tx = c.db().tenant(access).await?;
    let changed =
        inbox::delivery(&mut tx, channel.id, &s.external_id, &s.status, rank, s.error.as_deref())
            .await?;
    let msg = match changed {
        Some((id, _)) => inbox::message(&mut tx, id).await?,
        None => None,
    };
    let contact = match &msg {
        Some(m) => inbox::peek(&mut tx, m.conversation_id).await?.map(|s| s.contact_id),
        None => None,
    };
    tx.commit().await?;
    if let (Some(m), Some(contact_id)) = (msg, contact) {
        c.publish(Live {
            tenant: access.tenant(),
            conversation_id: m.conversation_id,
            contact_id,
            message: Some(m),
        });
    }
    Ok(())
}

/// Stores an outbound message and, on WhatsApp and Instagram, queues its
/// sending (a web visitor reads it from the conversation at once). `None`
/// when the message it answers has a reply already.
pub(crate) async fn queue_out(
    _c: &Concierge,
    tx: &mut TenantTx,
    channel: &ChannelRow,
    mut m: NewMessage,
) -> Result<Option<ConversationMessage>> {
    let web = channel.kind == "web";
    if web {
        m.status = "delivered";
    }
    let Some(stored) = inbox::insert(tx, &m).await? else {
        return Ok(None);
    };
    if !web && m.direction == "out" {
        jobs::NewJob::new(&SendMessage { message_id: stored.id })
            .unique_key(stored.id.to_string())
            .enqueue(tx)
            .await?;
    }
    Ok(Some(stored))
}

// ---------------------------------------------------------------- inbox

/// Conversations, most recent first.
pub async fn conversations(
    c: &Concierge,
    g: &Granted<ConversationsRead>,
    f: &repo::inbox::Filter,
    page: &PageRequest,
) -> Result<Page<Conversation>> {
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let mut tx = g.read_tx(c.db()).await?;
    let rows = repo::inbox::list(&mut tx, f, after, page.fetch()).await?;
    Ok(page.page(rows, |r| (r.last_message_at, r.id)))
}

/// A conversation with its contact and messages.
pub async fn conversation(
    c: &Concierge,
    g: &Granted<ConversationsRead>,
    id: Uuid,
) -> Result<ConversationDetail> {
    let mut tx = g.read_tx(c.db()).await?;
    detail(&mut tx, id).await
}

async fn detail(tx: &mut TenantTx, id: Uuid) -> Result<ConversationDetail> {
    let conversation =
        repo::inbox::get(tx, id).await?.ok_or(ConciergeError::NotFound("conversation"))?;
    let contact = repo::inbox::get_contact(tx, conversation.contact_id)
        .await?
        .ok_or(ConciergeError::NotFound("contact"))?;
    let messages = repo::inbox::messages(tx, id, 500).await?;
    Ok(ConversationDetail { conversation, contact, messages })
}

/// An agent replies (sent through the channel), or adds a private note.
/// On WhatsApp, free text is refused more than 24 hours after the
/// customer last wrote: only an approved template may be sent then.
pub async fn reply(
    c: &Concierge,
    g: &Granted<ConversationsReply>,
    id: Uuid,
    r: AgentReply,
) -> Result<ConversationMessage> {
    let text = r.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    match (text, &r.template) {
        (None, None) => return Err(ConciergeError::invalid("text", "give a text or a template")),
        (Some(_), Some(_)) => {
            return Err(ConciergeError::invalid("template", "give a text or a template, not both"));
        }
        (Some(t), None) if t.chars().count() > 4096 => {
            return Err(ConciergeError::invalid("text", "at most 4096 characters"));
        }
        (None, Some(_)) if r.private => {
            return Err(ConciergeError::invalid("template", "a note is text"));
        }
        _ => {}
    }
    let mut tx = g.tx(c.db()).await?;
    let mut state =
        inbox::state(&mut tx, id).await?.ok_or(ConciergeError::NotFound("conversation"))?;
    let contact = inbox::get_contact(&mut tx, state.contact_id)
        .await?
        .ok_or(ConciergeError::NotFound("contact"))?;
    let channel = repo::channels::get(&mut tx, state.channel_id)
        .await?
        .ok_or(ConciergeError::NotFound("channel"))?;
    let author = g.user_id().map(|u| u.as_uuid());
    if r.private {
        let mut m = NewMessage::out(id, channel.id, "agent", text.unwrap_or_default().to_string());
        m.direction = "note";
        m.kind = "note".into();
        m.status = "received";
        m.author_id = author;
        let stored = inbox::insert(&mut tx, &m)
            .await?
            .ok_or_else(|| ConciergeError::conflict("duplicate", "stored already"))?;
        tx.commit().await?;
        c.publish(Live {
            tenant: g.tenant(),
            conversation_id: id,
            contact_id: contact.id,
            message: Some(stored.clone()),
        });
        return Ok(stored);
    }
    if state.status == "resolved" {
        return Err(ConciergeError::conflict(
            "conversation_resolved",
            "reopen the conversation to reply",
        ));
    }
    let in_window = contact.last_inbound_at.is_some_and(|t| Utc::now() - t < WINDOW);
    let mut m = match (&r.template, text) {
        (Some(t), _) => {
            if channel.kind != "whatsapp" {
                return Err(ConciergeError::invalid(
                    "template",
                    "templates are for WhatsApp channels",
                ));
            }
            let language = t.language.clone().unwrap_or_else(|| "en".into());
            let tpl =
                repo::config::template(&mut tx, &t.name, &language).await?.ok_or_else(|| {
                    ConciergeError::invalid(
                        "template.name",
                        format!("no template {} ({language})", t.name),
                    )
                })?;
            if t.variables.len() != tpl.variables as usize {
                return Err(ConciergeError::invalid(
                    "template.variables",
                    format!("{} takes {} variables", tpl.name, tpl.variables),
                ));
            }
            let mut m =
                NewMessage::out(id, channel.id, "agent", graph::fill(&tpl.body, &t.variables));
            m.kind = "template".into();
            m.payload =
                json!({ "template": tpl.name, "language": tpl.language, "variables": t.variables });
            m
        }
        (None, Some(t)) => {
            if channel.kind == "whatsapp" && !in_window {
                return Err(ConciergeError::conflict(
                    "window_closed",
                    "more than 24 hours have passed since the customer last wrote: WhatsApp allows only an approved template now",
                ));
            }
            NewMessage::out(id, channel.id, "agent", t.to_string())
        }
        (None, None) => return Err(ConciergeError::invalid("text", "give a text or a template")),
    };
    m.author_id = author;
    // An agent who answers holds the conversation: the bot stays silent.
    state.handled_by = "human".into();
    if state.status == "pending" || state.status == "snoozed" {
        state.status = "open".into();
        state.snoozed_until = None;
    }
    if state.assignee_id.is_none() {
        state.assignee_id = author;
    }
    if state.handed_off_at.is_none() {
        state.handed_off_at = Some(Utc::now());
        state.handoff_reason = Some("agent".into());
    }
    if state.first_response_at.is_none() {
        state.first_response_at = Some(Utc::now());
    }
    inbox::save(&mut tx, &state).await?;
    let stored = queue_out(c, &mut tx, &channel, m)
        .await?
        .ok_or_else(|| ConciergeError::conflict("duplicate", "stored already"))?;
    tx.commit().await?;
    c.publish(Live {
        tenant: g.tenant(),
        conversation_id: id,
        contact_id: contact.id,
        message: Some(stored.clone()),
    });
    Ok(stored)
}

/// Changes a conversation: status (resolve, reopen, snooze, pending),
/// assignee, who handles it.
pub async fn change(
    c: &Concierge,
    g: &Granted<ConversationsReply>,
    id: Uuid,
    ch: ConversationChange,
) -> Result<ConversationDetail> {
    if ch.status == Some(ConversationStatus::Snoozed)
        && ch.snoozed_until.is_none_or(|t| t <= Utc::now())
    {
        return Err(ConciergeError::invalid(
            "snoozed_until",
            "give a time in the future to snooze until",
        ));
    }
    if ch.unassign && ch.assignee_id.is_some() {
        return Err(ConciergeError::invalid("assignee_id", "assign or unassign, not both"));
    }
    if let Some(h) = &ch.handled_by
        && h != "bot"
        && h != "human"
    {
        return Err(ConciergeError::invalid("handled_by", "must be bot or human"));
    }
    let mut tx = g.tx(c.db()).await?;
    let mut state =
        inbox::state(&mut tx, id).await?.ok_or(ConciergeError::NotFound("conversation"))?;
    let channel = repo::channels::get(&mut tx, state.channel_id)
        .await?
        .ok_or(ConciergeError::NotFound("channel"))?;
    let settings = repo::config::settings(&mut tx).await?;
    if let Some(a) = ch.assignee_id {
        if !repo::inbox::is_member(&mut tx, a).await? {
            return Err(ConciergeError::invalid(
                "assignee_id",
                "is not an active member of the company",
            ));
        }
        state.assignee_id = Some(a);
        state.handled_by = "human".into();
        if state.handed_off_at.is_none() {
            state.handed_off_at = Some(Utc::now());
            state.handoff_reason = Some("agent".into());
        }
    }
    if ch.unassign {
        state.assignee_id = None;
    }
    if let Some(h) = &ch.handled_by {
        state.handled_by = h.clone();
        if h == "human" && state.handed_off_at.is_none() {
            state.handed_off_at = Some(Utc::now());
            state.handoff_reason = Some("agent".into());
        }
        if h == "bot" {
            state.unanswered = 0;
            if state.status == "pending" {
                state.status = "open".into();
            }
        }
    }
    let mut resolved = false;
    let mut ask_rating = None;
    if let Some(s) = ch.status {
        match (state.status.as_str(), s) {
            (_, ConversationStatus::Resolved) if state.status != "resolved" => {
                // Another conversation may have opened for the contact since:
                // the unique index keeps one unresolved per contact.
                state.status = "resolved".into();
                state.resolved_at = Some(Utc::now());
                state.resolved_by = Some("agent".into());
                state.snoozed_until = None;
                resolved = true;
                if settings.csat_enabled {
                    state.csat_asked_at = Some(Utc::now());
                    ask_rating = Some(
                        "How did we do? Reply with a number from 1 (poor) to 5 (excellent)."
                            .to_string(),
                    );
                }
            }
            ("resolved", ConversationStatus::Open | ConversationStatus::Pending) => {
                if inbox::current(&mut tx, state.contact_id).await?.is_some() {
                    return Err(ConciergeError::conflict(
                        "conversation_open",
                        "the contact has a newer open conversation; continue there",
                    ));
                }
                state.status = s.as_str().into();
                state.resolved_at = None;
                state.resolved_by = None;
            }
            (_, ConversationStatus::Snoozed) => {
                state.status = "snoozed".into();
                state.snoozed_until = ch.snoozed_until;
            }
            (_, s) => {
                state.status = s.as_str().into();
                state.snoozed_until = None;
            }
        }
    }
    inbox::save(&mut tx, &state).await?;
    let mut out = None;
    if let Some(text) = ask_rating {
        let mut m = NewMessage::out(id, channel.id, "bot", text);
        m.answer_mode = Some("csat".into());
        out = queue_out(c, &mut tx, &channel, m).await?;
    }
    if resolved {
        kernel::outbox::publish(
            &mut tx,
            CONVERSATION_RESOLVED,
            &json!({ "conversation_id": id, "contact_id": state.contact_id }),
        )?;
    }
    let d = detail(&mut tx, id).await?;
    tx.commit().await?;
    c.publish(Live {
        tenant: g.tenant(),
        conversation_id: id,
        contact_id: state.contact_id,
        message: out,
    });
    Ok(d)
}

/// Changes a contact.
pub async fn update_contact(
    c: &Concierge,
    g: &Granted<ConversationsReply>,
    id: Uuid,
    ch: ContactChange,
) -> Result<CustomerContact> {
    let mut p = Problems::default();
    if ch.name.as_ref().is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control))
    {
        p.add("name", "at most 200 characters without control characters");
    }
    if let Some(ph) = &ch.phone
        && (ph.len() > 30
            || !ph
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || " ()-".contains(c) || (i == 0 && c == '+')))
    {
        p.add("phone", "digits, spaces, ( ) - and a leading +");
    }
    if let Some(e) = &ch.email
        && !e.is_empty()
        && (e.len() > 254
            || !e.split_once('@').is_some_and(|(u, h)| !u.is_empty() && h.contains('.')))
    {
        p.add("email", "must be an e-mail address");
    }
    if let Some(tags) = &ch.tags {
        if tags.len() > 20 {
            p.add("tags", "at most 20");
        }
        if tags.iter().any(|t| t.trim().is_empty() || t.chars().count() > 40) {
            p.add("tags", "each tag 1–40 characters");
        }
    }
    if ch.notes.as_ref().is_some_and(|n| n.chars().count() > 5000) {
        p.add("notes", "at most 5000 characters");
    }
    p.done()?;
    let mut tx = g.tx(c.db()).await?;
    let mut contact =
        inbox::get_contact(&mut tx, id).await?.ok_or(ConciergeError::NotFound("contact"))?;
    if let Some(n) = ch.name {
        contact.name = n.trim().to_string();
    }
    if let Some(p) = ch.phone {
        contact.phone = Some(p).filter(|p| !p.trim().is_empty());
    }
    if let Some(e) = ch.email {
        contact.email = Some(e.trim().to_lowercase()).filter(|e| !e.is_empty());
    }
    if let Some(t) = ch.tags {
        contact.tags = t.into_iter().map(|t| t.trim().to_string()).collect();
    }
    if let Some(n) = ch.notes {
        contact.notes = n;
    }
    inbox::save_contact(&mut tx, &contact).await?;
    tx.commit().await?;
    Ok(contact)
}

/// One contact.
pub async fn contact(
    c: &Concierge,
    g: &Granted<ConversationsRead>,
    id: Uuid,
) -> Result<CustomerContact> {
    let mut tx = g.read_tx(c.db()).await?;
    inbox::get_contact(&mut tx, id).await?.ok_or(ConciergeError::NotFound("contact"))
}

/// Hands a conversation to a person inside the caller's transaction: the
/// bot goes silent; the event tells subscribers.
pub(crate) fn hand_off(tx: &mut TenantTx, state: &mut State, reason: &str) -> Result<()> {
    state.handled_by = "human".into();
    state.status = "pending".into();
    state.handoff_reason = Some(reason.into());
    state.handed_off_at = Some(Utc::now());
    kernel::outbox::publish(
        tx,
        CONVERSATION_HANDED_OFF,
        &json!({ "conversation_id": state.id, "contact_id": state.contact_id, "reason": reason }),
    )?;
    Ok(())
}

/// What the customer is told when a person takes over.
pub fn handoff_text(hours: &Hours, now: DateTime<Utc>) -> String {
    if hours.is_open(now) {
        "I'm connecting you with a member of our team. Someone will reply here shortly.".into()
    } else {
        match hours.describe_next(now) {
            Some(when) => format!(
                "Our team is away right now. I've passed your message on, and someone will reply {when}."
            ),
            None => "Our team is away right now. I've passed your message on, and someone will reply as soon as they can.".into(),
        }
    }
}

/// The company's hours, in its time zone.
pub async fn company_hours(c: &Concierge, access: &TenantAccess, s: &BotSettings) -> Hours {
    let tz = c
        .identity
        .company(access)
        .await
        .ok()
        .and_then(|co| co.time_zone.parse::<chrono_tz::Tz>().ok());
    Hours {
        periods: s.hours.iter().filter_map(|p| p.check().ok()).collect(),
        holidays: s.holidays.clone(),
        tz,
    }
}

// ---------------------------------------------------------------- analytics

/// The figures over `[from, to]` (default: the last 30 days).
pub async fn analytics(
    c: &Concierge,
    g: &Granted<ConversationsRead>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<ConciergeAnalytics> {
    let to = to.unwrap_or_else(|| Utc::now().date_naive());
    let from = from.unwrap_or(to - chrono::Duration::days(29));
    if from > to {
        return Err(ConciergeError::invalid("from", "must not be after `to`"));
    }
    if (to - from).num_days() > 366 {
        return Err(ConciergeError::invalid("from", "at most a year at a time"));
    }
    let mut tx = g.read_tx(c.db()).await?;
    let per_day = repo::analytics::per_day(&mut tx, from, to).await?;
    let t = repo::analytics::totals(&mut tx, from, to).await?;
    let top_intents = repo::analytics::intents(&mut tx, from, to).await?;
    let questions = repo::analytics::unanswered(&mut tx, from, to).await?;
    Ok(ConciergeAnalytics {
        from,
        to,
        conversations: t.conversations,
        per_day,
        first_response_p50_secs: t.first_response_p50,
        resolution_p50_secs: t.resolution_p50,
        bot_resolved: t.bot_resolved,
        handed_off: t.handed_off,
        handoff_rate: (t.conversations > 0).then(|| t.handed_off as f64 / t.conversations as f64),
        csat_average: t.csat_average,
        csat_responses: t.csat_responses,
        top_intents,
        unanswered: group_questions(&questions),
    })
}

/// Groups questions asked in similar words (the same content words, or
/// most of them), most asked first; each group shown by its first asking.
pub fn group_questions(rows: &[(String, DateTime<Utc>)]) -> Vec<Unanswered> {
    const STOP: &[&str] = &[
        "a", "an", "the", "is", "are", "do", "does", "did", "you", "your", "i", "my", "me", "we",
        "to", "of", "in", "on", "for", "and", "or", "can", "what", "how", "when", "where", "which",
        "who", "it", "this", "that", "there", "have", "has", "be", "with", "at", "any", "please",
    ];
    let key = |q: &str| -> std::collections::BTreeSet<String> {
        q.split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|w| !w.is_empty() && !STOP.contains(&w.as_str()))
            .map(|w| w.trim_end_matches('s').to_string())
            .collect()
    };
    let mut groups: Vec<(std::collections::BTreeSet<String>, Unanswered)> = Vec::new();
    // Oldest first, so a group is shown by its first asking.
    for (q, at) in rows.iter().rev() {
        let k = key(q);
        let found = groups.iter_mut().find(|(gk, _)| {
            let inter = gk.intersection(&k).count() as f64;
            let union = gk.union(&k).count().max(1) as f64;
            inter / union >= 0.6
        });
        match found {
            Some((_, u)) => {
                u.count += 1;
                u.last_asked_at = u.last_asked_at.max(*at);
            }
            None => {
                groups.push((k, Unanswered { question: q.clone(), count: 1, last_asked_at: *at }))
            }
        }
    }
    let mut out: Vec<Unanswered> = groups.into_iter().map(|(_, u)| u).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_asked_at.cmp(&a.last_asked_at)));
    out.truncate(20);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_questions_in_similar_words() {
        let t = Utc::now();
        let rows = vec![
            ("Do you deliver to Pune?".to_string(), t),
            ("do you deliver to pune".to_string(), t),
            ("Is parking available?".to_string(), t),
            ("Do you deliver in Pune?".to_string(), t),
        ];
        let g = group_questions(&rows);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].count, 3);
        assert_eq!(g[1].question, "Is parking available?");
    }
}
