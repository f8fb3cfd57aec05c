//! What the concierge stores and shows: channels, contacts, conversations,
//! messages, the bot's settings, intents, templates and analytics.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::hours::OpeningPeriod;
use crate::nlu::{IntentAction, MessageEntity};

/// A kind of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum ChannelKind {
    /// The WhatsApp Cloud API: one business phone number.
    Whatsapp,
    /// Instagram messaging: one professional account.
    Instagram,
    /// The web chat widget.
    Web,
}

impl ChannelKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::Instagram => "instagram",
            ChannelKind::Web => "web",
        }
    }
}

/// How the web widget looks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetLook {
    /// The title on the chat window.
    #[schema(max_length = 60)]
    pub title: Option<String>,
    /// The first message a visitor sees.
    #[schema(max_length = 500)]
    pub welcome: Option<String>,
    /// The accent colour, `#rrggbb`.
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    pub color: Option<String>,
}

/// A channel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Channel {
    /// Its id.
    pub id: Uuid,
    /// Which kind.
    pub kind: ChannelKind,
    /// Its name in the console.
    pub name: String,
    /// The key in its webhook and widget URLs.
    pub public_key: String,
    /// The WhatsApp phone number id or the Instagram account id.
    pub external_id: Option<String>,
    /// The Graph API's base URL (a stand-in's, in tests and demos).
    pub api_base_url: String,
    /// The Graph API version.
    pub api_version: String,
    /// The token Meta sends when verifying the webhook (paste it into
    /// Meta's webhook settings).
    pub verify_token: String,
    /// Whether the app secret that signs webhooks is set (it is never
    /// shown).
    pub has_app_secret: bool,
    /// Whether the access token that sends messages is set (never shown).
    pub has_access_token: bool,
    /// Sites that may embed the widget (`https://shop.example`); empty:
    /// any.
    pub allowed_origins: Vec<String>,
    /// The widget's look.
    pub widget: WidgetLook,
    /// Whether it receives and answers.
    pub enabled: bool,
    /// The callback URL to paste into Meta's webhook settings.
    pub webhook_url: Option<String>,
    /// The snippet to put on a site (web channels).
    pub widget_snippet: Option<String>,
    /// When created.
    pub created_at: DateTime<Utc>,
}

/// A new channel or its changes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// Which kind (fixed once created).
    pub kind: ChannelKind,
    /// Its name.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\s\\x00-\\x1f]([^\\x00-\\x1f]*[^\\s\\x00-\\x1f])?$"
    )]
    pub name: String,
    /// WhatsApp phone number id or Instagram account id (required for
    /// those; digits).
    #[schema(min_length = 1, max_length = 40, pattern = "^[0-9]+$")]
    pub external_id: Option<String>,
    /// The Graph API's base URL (default `https://graph.facebook.com`).
    #[schema(max_length = 300)]
    pub api_base_url: Option<String>,
    /// The Graph API version (default `v21.0`).
    #[schema(pattern = "^v[0-9]{1,2}\\.[0-9]$")]
    pub api_version: Option<String>,
    /// The webhook verify token (made up when omitted).
    #[schema(min_length = 8, max_length = 100, pattern = "^[A-Za-z0-9_.~-]+$")]
    pub verify_token: Option<String>,
    /// Meta's app secret (kept when omitted).
    #[schema(min_length = 8, max_length = 200, pattern = "^[!-~]+$")]
    pub app_secret: Option<String>,
    /// The access token for sending (kept when omitted).
    #[schema(min_length = 8, max_length = 1000, pattern = "^[!-~]+$")]
    pub access_token: Option<String>,
    /// Sites allowed to embed the widget.
    #[schema(max_items = 20)]
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The widget's look.
    #[serde(default)]
    pub widget: WidgetLook,
    /// Whether it receives and answers (default true).
    pub enabled: Option<bool>,
}

/// Someone who wrote on a channel.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CustomerContact {
    /// Its id.
    pub id: Uuid,
    /// The channel.
    pub channel_id: Uuid,
    /// Their id on the channel (`wa_id`, Instagram-scoped id, visitor id).
    pub external_id: String,
    /// Their name.
    pub name: String,
    /// Their phone number.
    pub phone: Option<String>,
    /// Their e-mail address.
    pub email: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Agents' notes.
    pub notes: String,
    /// When they last wrote (WhatsApp's 24-hour window runs from here).
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// When first seen.
    pub created_at: DateTime<Utc>,
}

/// Changes to a contact.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChange {
    /// Name.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// Phone number.
    #[schema(max_length = 30, pattern = "^\\+?[0-9 ()-]{0,30}$")]
    pub phone: Option<String>,
    /// E-mail address.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// Tags (replace the old ones).
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Notes.
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
}

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    /// Active: the bot answers, or an agent holds it.
    Open,
    /// Waiting for a person.
    Pending,
    /// Set aside until a time.
    Snoozed,
    /// Done.
    Resolved,
}

impl ConversationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Pending => "pending",
            ConversationStatus::Snoozed => "snoozed",
            ConversationStatus::Resolved => "resolved",
        }
    }
}

/// A conversation.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Conversation {
    /// Its id.
    pub id: Uuid,
    /// The channel.
    pub channel_id: Uuid,
    /// The channel's kind.
    pub channel_kind: String,
    /// The contact.
    pub contact_id: Uuid,
    /// The contact's name.
    pub contact_name: String,
    /// `open`, `pending`, `snoozed` or `resolved`.
    pub status: String,
    /// `bot` or `human`: while a person holds it the bot is silent.
    pub handled_by: String,
    /// The agent it is assigned to.
    pub assignee_id: Option<Uuid>,
    /// Why it went to a person: `asked`, `sentiment`, `unanswered`,
    /// `intent` or `agent`.
    pub handoff_reason: Option<String>,
    /// When it went to a person.
    pub handed_off_at: Option<DateTime<Utc>>,
    /// Until when it is snoozed.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Questions in a row the knowledge base could not answer.
    pub unanswered: i32,
    /// The last message's intent.
    pub last_intent: Option<String>,
    /// The last message's sentiment (-1 … 1).
    pub last_sentiment: Option<f32>,
    /// The first reply's time.
    pub first_response_at: Option<DateTime<Utc>>,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// `bot` or `agent`.
    pub resolved_by: Option<String>,
    /// The customer's rating, 1–5.
    pub csat: Option<i16>,
    /// The last message's text.
    pub last_message: Option<String>,
    /// When the last message came or went.
    pub last_message_at: DateTime<Utc>,
    /// When it began.
    pub created_at: DateTime<Utc>,
}

/// A conversation with its contact and messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationDetail {
    /// The conversation.
    #[serde(flatten)]
    pub conversation: Conversation,
    /// The contact.
    pub contact: CustomerContact,
    /// The messages, oldest first.
    pub messages: Vec<ConversationMessage>,
}

/// A message.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ConversationMessage {
    /// Its id.
    pub id: Uuid,
    /// The conversation.
    pub conversation_id: Uuid,
    /// `in` (from the contact), `out` (to them) or `note` (private).
    pub direction: String,
    /// `contact`, `bot`, `agent` or `system`.
    pub sender: String,
    /// The agent who wrote it.
    pub author_id: Option<Uuid>,
    /// `text`, `template`, `interactive`, `media`, `location`, `contacts`,
    /// `note` or `unsupported`.
    pub kind: String,
    /// Its text.
    pub body: String,
    /// Media, location, template variables…
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The channel's id for it (`wamid.…`).
    pub external_id: Option<String>,
    /// `received`, `ignored` (rate limited), `queued`, `sent`,
    /// `delivered`, `read` or `failed`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// The message it answers.
    pub reply_to: Option<Uuid>,
    /// Its intent (inbound).
    pub intent: Option<String>,
    /// Its entities (inbound).
    #[schema(value_type = Vec<MessageEntity>)]
    pub entities: sqlx::types::Json<Vec<MessageEntity>>,
    /// Its sentiment, -1 … 1 (inbound).
    pub sentiment: Option<f32>,
    /// The knowledge chunks an answer was made from (never shown to the
    /// customer).
    pub chunk_ids: Vec<Uuid>,
    /// How the bot answered: `extractive`, `generative`, `not_covered`,
    /// `intent`, `handoff`, `hours`…
    pub answer_mode: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// An agent's reply.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentReply {
    /// The text (WhatsApp: within 24 hours of the customer's last message).
    #[schema(min_length = 1, max_length = 4096, pattern = "\\S")]
    pub text: Option<String>,
    /// An approved template instead (outside the 24-hour window).
    pub template: Option<TemplateUse>,
    /// A private note for other agents, never sent.
    #[serde(default)]
    pub private: bool,
}

/// A template to send.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateUse {
    /// Its name.
    #[schema(pattern = "^[a-z0-9_]{1,512}$")]
    pub name: String,
    /// Its language (default `en`).
    #[schema(pattern = "^[a-z]{2}(_[A-Z]{2})?$")]
    pub language: Option<String>,
    /// `{{1}}`, `{{2}}`… in order.
    #[schema(max_items = 20)]
    #[serde(default)]
    pub variables: Vec<String>,
}

/// A change of a conversation's state.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationChange {
    /// `open` (reopen), `pending`, `snoozed` (with `snoozed_until`) or
    /// `resolved`.
    pub status: Option<ConversationStatus>,
    /// Until when, for `snoozed`.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Assign to a member (null with `unassign`).
    pub assignee_id: Option<Uuid>,
    /// Remove the assignee.
    #[serde(default)]
    pub unassign: bool,
    /// `human`: an agent takes it (the bot goes silent); `bot`: the bot
    /// answers again.
    #[schema(pattern = "^(bot|human)$")]
    pub handled_by: Option<String>,
}

/// The bot's settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotSettings {
    /// Whether the bot answers at all (off: every conversation waits for a
    /// person).
    pub bot_enabled: bool,
    /// Who the bot is ("Asha from Sunrise Travels, friendly and brief").
    #[schema(max_length = 500)]
    pub persona: String,
    /// Instructions for a capable model (never followed from a customer's
    /// message).
    #[schema(max_length = 4000)]
    pub prompt: String,
    /// The language it answers in (`en`, `hi`…).
    #[schema(pattern = "^[a-z]{2}$")]
    pub language: String,
    /// The first message of a new conversation (empty: none).
    #[schema(max_length = 1000)]
    pub greeting: String,
    /// Earlier messages a model sees.
    #[schema(minimum = 0, maximum = 50)]
    pub history_turns: i32,
    /// Sentiment (-1 … 1) below which a person takes over.
    #[schema(minimum = -1.0, maximum = 1.0)]
    pub sentiment_threshold: f32,
    /// Unanswered questions in a row before a person takes over (0: never).
    #[schema(minimum = 0, maximum = 20)]
    pub max_unanswered: i32,
    /// Weekly opening hours in the company's time zone (none: always
    /// open).
    #[schema(max_items = 50)]
    pub hours: Vec<OpeningPeriod>,
    /// Days closed.
    #[schema(max_items = 100)]
    pub holidays: Vec<NaiveDate>,
    /// Ask for a 1–5 rating when a conversation is resolved.
    pub csat_enabled: bool,
    /// Messages a contact may send per minute; more are stored but not
    /// answered.
    #[schema(minimum = 1, maximum = 600)]
    pub rate_limit_per_minute: i32,
    /// Days resolved conversations are kept.
    #[schema(minimum = 1, maximum = 3650)]
    pub retention_days: i32,
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            bot_enabled: true,
            persona: String::new(),
            prompt: String::new(),
            language: "en".into(),
            greeting: String::new(),
            history_turns: 10,
            sentiment_threshold: -0.6,
            max_unanswered: 2,
            hours: Vec::new(),
            holidays: Vec::new(),
            csat_enabled: false,
            rate_limit_per_minute: 20,
            retention_days: 365,
        }
    }
}

/// An intent: what a customer wants, with examples, and what the bot does.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Intent {
    /// Its id (a built-in one's is the same in every company, and cannot be
    /// changed or deleted).
    pub id: Uuid,
    /// `snake_case`.
    pub name: String,
    /// Example messages.
    pub examples: Vec<String>,
    /// What the bot does.
    pub action: IntentAction,
    /// The reply or question.
    pub reply: String,
    /// Built in (a company intent of the same name replaces it).
    pub builtin: bool,
}

/// A new intent or its changes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentInput {
    /// `snake_case`, 1–40.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    pub name: String,
    /// Example messages, 1–50.
    #[schema(min_items = 1, max_items = 50)]
    pub examples: Vec<String>,
    /// What the bot does.
    pub action: IntentAction,
    /// The reply for `reply`, the question for `clarify`.
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub reply: String,
}

/// An approved WhatsApp template.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct MessageTemplate {
    /// Its id.
    pub id: Uuid,
    /// Its name as approved by Meta.
    pub name: String,
    /// Its language.
    pub language: String,
    /// Its body with `{{1}}`, `{{2}}`…
    pub body: String,
    /// How many variables.
    pub variables: i32,
    /// When added.
    pub created_at: DateTime<Utc>,
}

/// A new template.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplateInput {
    /// Its name as approved by Meta.
    #[schema(pattern = "^[a-z0-9_]{1,512}$")]
    pub name: String,
    /// Its language (default `en`).
    #[schema(pattern = "^[a-z]{2}(_[A-Z]{2})?$")]
    pub language: Option<String>,
    /// The body, with `{{1}}`, `{{2}}`… in order.
    #[schema(min_length = 1, max_length = 1024, pattern = "\\S")]
    pub body: String,
}

/// Conversations on one day on one channel kind.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DayCount {
    /// The day (UTC).
    pub day: NaiveDate,
    /// `whatsapp`, `instagram` or `web`.
    pub channel: String,
    /// Conversations begun.
    pub conversations: i64,
}

/// How often an intent came.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct IntentCount {
    /// The intent (`none` when no intent matched).
    pub intent: String,
    /// Messages.
    pub messages: i64,
}

/// A question the knowledge base could not answer, with how often it was
/// asked (similar wording grouped).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unanswered {
    /// The question, as first asked.
    pub question: String,
    /// How often.
    pub count: i64,
    /// When last asked.
    pub last_asked_at: DateTime<Utc>,
}

/// The concierge's figures over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConciergeAnalytics {
    /// From (inclusive).
    pub from: NaiveDate,
    /// To (inclusive).
    pub to: NaiveDate,
    /// Conversations begun.
    pub conversations: i64,
    /// Per day and channel.
    pub per_day: Vec<DayCount>,
    /// Median seconds to the first reply.
    pub first_response_p50_secs: Option<f64>,
    /// Median seconds to resolution.
    pub resolution_p50_secs: Option<f64>,
    /// Resolved without a person.
    pub bot_resolved: i64,
    /// Handed to a person.
    pub handed_off: i64,
    /// Share handed to a person (0–1).
    pub handoff_rate: Option<f64>,
    /// Average rating (1–5).
    pub csat_average: Option<f64>,
    /// Ratings given.
    pub csat_responses: i64,
    /// Most frequent intents.
    pub top_intents: Vec<IntentCount>,
    /// What the documents do not answer, most asked first.
    pub unanswered: Vec<Unanswered>,
}

/// A visitor's session in the web widget.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WidgetSession {
    /// The bearer token for the widget's calls (`?token=` for events).
    pub token: String,
    /// The visitor's id (kept by the widget for the next visit).
    pub visitor_id: String,
    /// The widget's look.
    pub widget: WidgetLook,
    /// The conversation so far (not private notes).
    pub messages: Vec<WidgetMessage>,
}

/// A message as the visitor sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WidgetMessage {
    /// Its id.
    pub id: Uuid,
    /// `in` (the visitor's) or `out`.
    pub direction: String,
    /// `contact`, `bot` or `agent`.
    pub sender: String,
    /// Its text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<&ConversationMessage> for WidgetMessage {
    fn from(m: &ConversationMessage) -> Self {
        WidgetMessage {
            id: m.id,
            direction: m.direction.clone(),
            sender: m.sender.clone(),
            body: m.body.clone(),
            created_at: m.created_at,
        }
    }
}

/// What a visitor sends.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetSend {
    /// The text.
    #[schema(min_length = 1, max_length = 4096, pattern = "\\S")]
    pub text: String,
}

/// Starting a widget session.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetStart {
    /// A visitor id from an earlier session (keeps the conversation).
    #[schema(pattern = "^v_[A-Za-z0-9_-]{16,64}$")]
    pub visitor_id: Option<String>,
    /// The visitor's name, when the site knows it.
    #[schema(max_length = 200)]
    pub name: Option<String>,
}
