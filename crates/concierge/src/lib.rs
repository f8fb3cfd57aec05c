//! The concierge: customers write on WhatsApp, Instagram or the web
//! widget; the webhook is checked and its payload queued, so Meta is
//! answered at once; a job stores each message once; a job per message understands it (intent, entities, sentiment),
//! routes it (answer from the knowledge base, a fixed reply, a clarifying
//! question, or a person), and a job per reply sends it through the
//! channel's API, once. Agents work the inbox: reply, note, assign,
//! resolve, snooze; while a person holds a conversation the bot is silent.
//!
//! Webhooks and the widget carry no token: a channel's public key names
//! the company (through a privileged lookup), and then the webhook's
//! signature or the visitor's sealed session proves the request.

pub mod error;
pub mod graph;
pub mod hours;
pub mod http;
mod isolation;
pub mod jobs;
pub mod meta;
pub mod model;
pub mod nlu;
pub mod permissions;
pub mod repo;
pub mod service;
pub mod widget;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ai::{Ai, CallContext};
use identity::Identity;
use kernel::Domain;
use kernel::db::{Authority, Db, TenantAccess};
use kernel::domain::Startup;
use kernel::ids::TenantId;
use kernel::notify::Notification;
use knowledge::Knowledge;
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

pub use error::ConciergeError;

kernel::event!(
    /// A conversation went to a person.
    pub CONVERSATION_HANDED_OFF = "conversation.handed_off", "A conversation was handed to a person (the reason is in the payload)"
);
kernel::event!(
    /// A conversation was resolved.
    pub CONVERSATION_RESOLVED = "conversation.resolved", "A conversation was resolved by an agent"
);

/// The `NOTIFY` channel that carries live changes between processes: a
/// `tessera worker` stores the bot's reply, the `tessera serve` holding
/// the visitor's and the agents' streams shows it.
pub const CHANNEL: &str = "tessera_concierge";

/// How often a process with live streams open says so on [`CHANNEL`];
/// changes are relayed while another process said so within three times
/// this.
const WATCHING_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// A change the inbox and the widget follow live.
#[derive(Debug, Clone)]
pub struct Live {
    /// The company.
    pub tenant: TenantId,
    /// The conversation.
    pub conversation_id: Uuid,
    /// Its contact.
    pub contact_id: Uuid,
    /// A new or changed message, or `None` when the conversation changed.
    pub message: Option<model::ConversationMessage>,
}

/// The concierge's service.
pub struct Concierge {
    db: Db,
    authority: Authority,
    knowledge: Arc<Knowledge>,
    ai: Arc<Ai>,
    identity: Arc<Identity>,
    secrets: kernel::crypto::SecretBox,
    allow_private: bool,
    http: reqwest::Client,
    public_url: String,
    live: broadcast::Sender<Live>,
    /// This process, so it skips its own changes coming back.
    origin: Uuid,
    relay: mpsc::Sender<String>,
    /// Other processes with streams open, and when they last said so.
    watchers: Mutex<HashMap<Uuid, std::time::Instant>>,
    /// When this process last said it has streams open.
    announced: Mutex<Option<std::time::Instant>>,
    intents: Mutex<HashMap<TenantId, Arc<IntentIndex>>>,
    hooks: Mutex<HashMap<String, Arc<HookRoute>>>,
}

/// How long a webhook's channel (with its app secret) is taken from
/// memory before it is read again: a change in this process forgets it at
/// once, one made by another server is seen within this time.
const HOOK_ROUTE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// What a webhook needs to be checked and accepted without a query: the
/// company, its channel and the channel's app secret.
pub(crate) struct HookRoute {
    at: std::time::Instant,
    /// Access to the company.
    pub access: TenantAccess,
    /// The channel the key names.
    pub channel: repo::channels::ChannelRow,
    /// Its app secret, opened (empty when none is set: nothing verifies).
    pub secret: Vec<u8>,
}

/// A company's intents with their examples embedded.
#[derive(Debug)]
pub struct IntentIndex {
    /// A hash of the intents it was built from.
    pub key: u64,
    /// The intents.
    pub intents: Vec<nlu::IntentDef>,
    /// The embedding model.
    pub model: String,
    /// Per intent, its examples' vectors.
    pub vectors: Vec<Vec<Vec<f32>>>,
}

impl std::fmt::Debug for Concierge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Concierge").finish_non_exhaustive()
    }
}

kernel::service_extractor!(
    /// The concierge, for handlers.
    pub struct ConciergeService(Concierge);
);

impl Concierge {
    /// The service, on the knowledge base and AI runtime built before it.
    pub fn start(s: &Startup) -> anyhow::Result<Arc<Concierge>> {
        let http = kernel::outbound::client_builder()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the Graph API client: {e}"))?;
        let (relay, outgoing) = mpsc::channel(10_000);
        let c = Arc::new(Concierge {
            db: s.db.clone(),
            authority: s.authority().clone(),
            knowledge: s.get::<Knowledge>()?,
            ai: s.get::<Ai>()?,
            identity: s.get::<Identity>()?,
            secrets: s.secrets.clone(),
            allow_private: s.config.concierge.allow_private_endpoints,
            http,
            public_url: s.public_url.trim_end_matches('/').to_string(),
            live: broadcast::channel(1024).0,
            origin: Uuid::new_v4(),
            relay,
            watchers: Mutex::default(),
            announced: Mutex::default(),
            intents: Mutex::default(),
            hooks: Mutex::default(),
        });
        tokio::spawn(send_changes(s.db.clone(), outgoing));
        tokio::spawn(follow_changes(Arc::downgrade(&c), s.notifier.subscribe()));
        let weak = Arc::downgrade(&c);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WATCHING_EVERY);
            loop {
                tick.tick().await;
                let Some(c) = weak.upgrade() else { return };
                c.announce();
            }
        });
        Ok(c)
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The knowledge base the bot answers from.
    pub fn knowledge(&self) -> &Arc<Knowledge> {
        &self.knowledge
    }

    /// Live changes of every company (filter by tenant).
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        let rx = self.live.subscribe();
        self.announce();
        rx
    }

    /// Says on [`CHANNEL`] that this process has streams open, so the
    /// others relay their changes: at once when a stream opens after a
    /// quiet spell, and every [`WATCHING_EVERY`] while any is open.
    fn announce(&self) {
        if self.live.receiver_count() == 0 {
            return;
        }
        let mut last = self.announced.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= WATCHING_EVERY);
        if due
            && self
                .relay
                .try_send(serde_json::json!({ "o": self.origin, "w": true }).to_string())
                .is_ok()
        {
            *last = Some(std::time::Instant::now());
        }
    }

    /// Whether another process has streams open.
    fn watched(&self) -> bool {
        let mut w = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        w.retain(|_, at| at.elapsed() < WATCHING_EVERY * 3);
        !w.is_empty()
    }

    /// Tells this process's streams at once, and the other processes'
    /// through [`CHANNEL`] when any of them has streams open (ids only:
    /// they read the message themselves).
    pub(crate) fn publish(&self, l: Live) {
        if !self.watched() {
            let _ = self.live.send(l);
            return;
        }
        let payload = serde_json::json!({
            "o": self.origin,
            "t": l.tenant.as_uuid(),
            "c": l.conversation_id,
            "k": l.contact_id,
            "m": l.message.as_ref().map(|m| m.id),
        });
        if self.relay.try_send(payload.to_string()).is_err() {
            tracing::debug!(
                "a live change was not relayed to other processes (the relay is behind)"
            );
        }
        let _ = self.live.send(l);
    }

    /// A change another process relayed, shown to this process's streams
    /// (when any is open).
    async fn relayed(&self, payload: &str) {
        #[derive(serde::Deserialize)]
        struct Change {
            o: Uuid,
            t: Uuid,
            c: Uuid,
            k: Uuid,
            m: Option<Uuid>,
        }
        #[derive(serde::Deserialize)]
        struct Watching {
            o: Uuid,
            w: bool,
        }
        if let Ok(w) = serde_json::from_str::<Watching>(payload) {
            if w.w && w.o != self.origin {
                self.watchers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(w.o, std::time::Instant::now());
            }
            return;
        }
        let Ok(ch) = serde_json::from_str::<Change>(payload) else { return };
        if ch.o == self.origin || self.live.receiver_count() == 0 {
            return;
        }
        let tenant = TenantId::from_uuid(ch.t);
        let message = match ch.m {
            Some(id) => {
                let access = self.authority.tenant(tenant);
                let found = async {
                    let mut tx = self.db.tenant_read(&access).await?;
                    repo::inbox::message(&mut tx, id).await
                };
                match found.await {
                    Ok(Some(m)) => Some(m),
                    Ok(None) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "a relayed live change cannot be read");
                        return;
                    }
                }
            }
            None => None,
        };
        let _ = self.live.send(Live { tenant, conversation_id: ch.c, contact_id: ch.k, message });
    }

    /// Access to the company a channel's public key names, with the
    /// channel's id; `None` for an unknown or disabled channel.
    pub(crate) async fn route(
        &self,
        key: &str,
    ) -> Result<Option<(TenantAccess, Uuid)>, sqlx::Error> {
        if key.is_empty() || key.len() > 64 {
            return Ok(None);
        }
        let found = repo::channels::route(self.authority.worker_pool(), key).await?;
        Ok(found.map(|(t, c)| (self.authority.tenant(TenantId::from_uuid(t)), c)))
    }

    /// The WhatsApp or Instagram channel a webhook's key names, with its
    /// secret, from memory unless older than [`HOOK_ROUTE_TTL`] or `fresh`
    /// is asked (a signature that does not match the remembered secret is
    /// checked again against the stored one, which may have changed).
    pub(crate) async fn hook_route(
        &self,
        key: &str,
        fresh: bool,
    ) -> Result<Option<Arc<HookRoute>>, sqlx::Error> {
        if !fresh
            && let Some(r) = self.hooks.lock().unwrap_or_else(|e| e.into_inner()).get(key)
            && r.at.elapsed() < HOOK_ROUTE_TTL
        {
            return Ok(Some(r.clone()));
        }
        let Some((access, channel_id)) = self.route(key).await? else {
            self.hooks.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
            return Ok(None);
        };
        let mut tx = self.db.tenant_read(&access).await?;
        let channel = repo::channels::get(&mut tx, channel_id).await?;
        drop(tx);
        let Some(channel) = channel.filter(|ch| ch.kind != "web" && ch.enabled) else {
            return Ok(None);
        };
        let secret = self
            .open_secret(access.tenant(), &channel, "app_secret", channel.app_secret.as_ref())
            .unwrap_or_default()
            .into_bytes();
        let r = Arc::new(HookRoute { at: std::time::Instant::now(), access, channel, secret });
        let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        // Keys of deleted channels are not kept for ever.
        if hooks.len() >= 10_000 {
            hooks.retain(|_, r| r.at.elapsed() < HOOK_ROUTE_TTL);
        }
        hooks.insert(key.to_string(), r.clone());
        Ok(Some(r))
    }

    /// Forgets the remembered webhook channels (a channel was changed).
    pub(crate) fn forget_hook_routes(&self) {
        self.hooks.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The company's intents with their examples embedded (cached until
    /// they change).
    pub(crate) async fn intent_index(
        &self,
        access: &TenantAccess,
        defs: Vec<nlu::IntentDef>,
    ) -> Result<Arc<IntentIndex>, ai::AiError> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for d in &defs {
            d.name.hash(&mut h);
            d.examples.hash(&mut h);
            d.action.as_str().hash(&mut h);
            d.reply.hash(&mut h);
        }
        let key = h.finish();
        if let Some(ix) =
            self.intents.lock().unwrap_or_else(|e| e.into_inner()).get(&access.tenant())
            && ix.key == key
        {
            return Ok(ix.clone());
        }
        let examples = nlu::all_examples(&defs);
        let ctx = CallContext::system(access, "concierge.intents");
        let (info, e) = self.ai.embed(&ctx, None, &examples).await?;
        let by_text: HashMap<&str, &Vec<f32>> =
            examples.iter().map(String::as_str).zip(e.vectors.iter()).collect();
        let vectors = defs
            .iter()
            .map(|d| {
                d.examples
                    .iter()
                    .filter_map(|x| by_text.get(x.as_str()).map(|v| (*v).clone()))
                    .collect()
            })
            .collect();
        let ix = Arc::new(IntentIndex { key, intents: defs, model: info.model, vectors });
        self.intents.lock().unwrap_or_else(|e| e.into_inner()).insert(access.tenant(), ix.clone());
        Ok(ix)
    }
}

/// Sends the changes [`Concierge::publish`] queued as `NOTIFY`s, a batch
/// a statement, until the concierge is dropped.
async fn send_changes(db: Db, mut outgoing: mpsc::Receiver<String>) {
    let mut batch = Vec::new();
    while outgoing.recv_many(&mut batch, 256).await > 0 {
        if let Err(e) = repo::inbox::notify_all(db.pool(), CHANNEL, &batch).await {
            tracing::warn!(error = %e, changes = batch.len(), "live changes were not relayed");
        }
        batch.clear();
    }
}

/// Shows other processes' changes to this one's streams.
async fn follow_changes(c: std::sync::Weak<Concierge>, mut rx: broadcast::Receiver<Notification>) {
    loop {
        match rx.recv().await {
            Ok(Notification::Message { channel, payload }) if channel == CHANNEL => {
                let Some(c) = c.upgrade() else { return };
                c.relayed(&payload).await;
            }
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                if c.strong_count() == 0 {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Cosine similarity.
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(f32::MIN_POSITIVE)
}

/// The concierge's declaration.
pub fn domain() -> Domain {
    Domain::new(
        "concierge",
        "WhatsApp, Instagram and web chat answered from the knowledge base, with a human inbox",
    )
    .routes(http::routes())
    .listens(CHANNEL)
    .service(|s| async move { Concierge::start(&s) })
    .periodic("concierge.housekeeping", "0 */5 * * * *", jobs::Housekeeping {})
    .isolation(|fx| async move { isolation::fixture(&fx).await })
}
