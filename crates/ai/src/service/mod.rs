//! The [`Ai`] service: every model call of every feature goes through it.
//!
//! For each call it reads the tenant's providers and policy, plans an
//! ordered list of candidates (explicit model, the task's route, or the
//! local/cloud split; cloud dropped past the monthly budget; tool calls
//! only to models that can make them), tries them in turn (a candidate is
//! committed once it produced its first event, so failures before that
//! fall back to the next), answers identical temperature-0 requests from
//! the cache, and records every attempt in the usage ledger with tokens,
//! latency, time to first token and cost.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use kernel::Config;
use kernel::config::AiConfig;
use kernel::crypto::SecretBox;
use kernel::db::{Db, TenantAccess};
use kernel::ids::TenantId;
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::cache::{Cached, ResponseCache};
use crate::chat::local::{LocalChat, LocalChatOptions};
use crate::chat::{ChatEvent, ChatModel, ChatRequest, ChatStream, Completion, FinishReason, Usage};
use crate::embed::choice;
use crate::embed::gemm::Cpu;
use crate::embed::{Embedder, Embeddings, LocalEmbedder};
use crate::error::AiError;
use crate::openai::{CallPolicy, OpenAiProvider, ProviderKind, ProviderSpec};
use crate::repo::{self, Policy, ProviderRow, UsageRecord};

mod calls;
mod cooldown;
mod ledger;
mod routing;

use ledger::{Outcome, Recorded};

/// The name of the in-process models in routes and usage.
pub const LOCAL: &str = "local";

/// The model name that asks for routing by policy.
pub const AUTO: &str = "auto";

/// The task of calls that do not name one.
pub const DEFAULT_TASK: &str = "chat";

/// The task embeddings are routed by.
pub const EMBED_TASK: &str = "embed";

/// Who is calling and for what, for routing and the ledger.
#[derive(Debug, Clone)]
pub struct CallContext {
    access: TenantAccess,
    /// `user`, `api_key` or `system`.
    pub caller_type: &'static str,
    /// The user or key.
    pub caller_id: Option<Uuid>,
    /// The feature or task (`answer`, `classify`, `summarise`, `chat`, …).
    pub feature: String,
    /// The request.
    pub request_id: Option<String>,
}

impl CallContext {
    /// The context of a request's caller.
    pub fn of(caller: &identity::Caller, feature: &str) -> CallContext {
        let (caller_type, caller_id) = match caller.principal() {
            identity::auth::Principal::User { id, .. } => ("user", Some(id.as_uuid())),
            identity::auth::Principal::ApiKey { id } => ("api_key", Some(id)),
        };
        CallContext {
            access: caller.access().clone(),
            caller_type,
            caller_id,
            feature: feature.to_string(),
            request_id: caller.meta().request_id.clone(),
        }
    }

    /// A call made by Tessera itself (a job) for a tenant.
    pub fn system(access: &TenantAccess, feature: &str) -> CallContext {
        CallContext {
            access: access.clone(),
            caller_type: "system",
            caller_id: None,
            feature: feature.to_string(),
            request_id: kernel::request_id::current(),
        }
    }

    /// The tenant.
    pub fn tenant(&self) -> TenantId {
        self.access.tenant()
    }

    /// Access to the tenant (its providers, policy and ledger).
    pub fn access(&self) -> &TenantAccess {
        &self.access
    }
}

/// Where a candidate runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locality {
    /// In process, or on the tenant's own machines.
    Local,
    /// A cloud provider.
    Cloud,
}

impl Locality {
    fn as_str(self) -> &'static str {
        match self {
            Locality::Local => "local",
            Locality::Cloud => "cloud",
        }
    }
}

#[derive(Clone)]
enum Backend {
    Local,
    Remote(Arc<OpenAiProvider>),
}

/// One model a call may go to.
#[derive(Clone)]
struct Target {
    provider: String,
    /// The instance's (or the bundled model): its names may label metrics,
    /// which operators read across tenants; a tenant's own do not.
    shared: bool,
    locality: Locality,
    backend: Backend,
    chat_model: Option<String>,
    embedding_model: Option<String>,
    priority: i32,
}

/// A model a tenant can use, as `/v1/models` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableModel {
    /// The id to send as `model`.
    pub id: String,
    /// `chat` or `embedding`.
    pub kind: &'static str,
    /// The provider.
    pub provider: String,
}

/// A tenant provider's client and the row version it was built from.
type ClientEntry = (chrono::DateTime<chrono::Utc>, Arc<OpenAiProvider>);

#[derive(Debug, Clone, Copy)]
struct Spend {
    month: (i32, u32),
    amount: Decimal,
    read_at: Instant,
}

/// The AI runtime, registered in `AppState`.
pub struct Ai {
    config: AiConfig,
    runtime_dir: PathBuf,
    secrets: SecretBox,
    db: Db,
    /// Tenants' providers: private destinations refused at connect time
    /// unless allowed.
    http: reqwest::Client,
    instance: Vec<Target>,
    local_embedder: OnceCell<Result<Arc<LocalEmbedder>, AiError>>,
    local_chat: OnceCell<Result<Arc<LocalChat>, AiError>>,
    cache: ResponseCache,
    spend: Mutex<HashMap<TenantId, Spend>>,
    tenant_clients: Mutex<HashMap<(TenantId, Uuid), ClientEntry>>,
    cooldowns: cooldown::Cooldowns,
}

impl std::fmt::Debug for Ai {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ai")
            .field("instance_providers", &self.instance.len())
            .finish_non_exhaustive()
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// CPU threads of local inference: as configured, or (0) every core.
fn local_threads(configured: usize) -> usize {
    if configured == 0 { cores() } else { configured }
}

/// Local generations at once: as configured, or (0) as many as the cores
/// hold at `threads` each; at least one, at most one per core.
fn local_parallel(configured: usize, threads: usize, cores: usize) -> usize {
    let parallel = if configured == 0 { cores / threads.max(1) } else { configured };
    parallel.clamp(1, cores.max(1))
}

impl Ai {
    /// The service. Local models load on first use.
    pub fn new(config: &Config, db: Db, secrets: SecretBox) -> anyhow::Result<Arc<Ai>> {
        let ai = config.ai.clone();
        let policy = call_policy(&ai);
        let http = kernel::outbound::client_builder()
            .connect_timeout(policy.connect)
            .dns_resolver(Arc::new(kernel::outbound::GuardedResolver {
                allow_private: ai.allow_private_providers,
            }))
            .build()?;
        // The operator's own providers may live on the private network.
        let instance_http =
            kernel::outbound::client_builder().connect_timeout(policy.connect).build()?;
        let mut instance = Vec::new();
        for p in &ai.providers {
            let kind = ProviderKind::parse(&p.kind).ok_or_else(|| {
                anyhow::anyhow!("ai.providers `{}`: unknown kind `{}`", p.name, p.kind)
            })?;
            let base_url = p
                .base_url
                .clone()
                .or_else(|| kind.default_base_url().map(str::to_string))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "ai.providers `{}`: base_url is required for {}",
                        p.name,
                        p.kind
                    )
                })?;
            let spec = ProviderSpec {
                name: p.name.clone(),
                kind,
                base_url,
                api_key: p.api_key.as_ref().map(|k| k.expose().to_string()),
                headers: p
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose().to_string()))
                    .collect(),
                chat_model: p.chat_model.clone(),
                embedding_model: p.embedding_model.clone(),
                api_version: p.api_version.clone(),
                policy,
            };
            instance.push(Target {
                shared: true,
                provider: p.name.clone(),
                locality: if p.locality.as_deref() == Some("local") {
                    Locality::Local
                } else {
                    Locality::Cloud
                },
                chat_model: p.chat_model.clone(),
                embedding_model: p.embedding_model.clone(),
                priority: p.priority.unwrap_or(100),
                backend: Backend::Remote(Arc::new(OpenAiProvider::with_client(
                    spec,
                    instance_http.clone(),
                ))),
            });
        }
        Ok(Arc::new(Ai {
            cache: ResponseCache::new(Duration::from_secs(ai.cache_ttl_secs), ai.cache_max_entries),
            config: ai,
            runtime_dir: config.runtime_dir(),
            secrets,
            db,
            http,
            instance,
            local_embedder: OnceCell::new(),
            local_chat: OnceCell::new(),
            spend: Mutex::default(),
            tenant_clients: Mutex::default(),
            cooldowns: cooldown::Cooldowns::default(),
        }))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Whether tenants' providers may be on private addresses.
    pub fn allow_private_providers(&self) -> bool {
        self.config.allow_private_providers
    }

    /// Names of the instance's providers.
    pub fn instance_provider_names(&self) -> Vec<String> {
        self.instance.iter().map(|t| t.provider.clone()).collect()
    }

    /// The local embedder, loaded on first use.
    pub async fn local_embedder(&self) -> Result<Arc<LocalEmbedder>, AiError> {
        self.local_embedder
            .get_or_init(|| async {
                if !self.config.local_embeddings {
                    return Err(AiError::NoProvider(
                        "the local embedding model is disabled".into(),
                    ));
                }
                if !kernel::assets::MINILM.is_installed(&self.runtime_dir) {
                    return Err(AiError::NotInstalled("embedding"));
                }
                let dir = kernel::assets::MINILM
                    .install_dir(&self.runtime_dir)
                    .join(kernel::assets::MINILM_MODEL_DIR);
                let choice = choice::choose(&self.config.embed_precision, Cpu::detect())
                    .map_err(AiError::Internal)?;
                if choice.warning {
                    tracing::warn!(reason = %choice.reason, "local embedder precision");
                }
                let precision = choice.precision;
                let threads = local_threads(self.config.threads);
                let loaded = tokio::task::spawn_blocking(move || {
                    LocalEmbedder::load(&dir, precision, threads)
                })
                .await
                .map_err(|e| AiError::Internal(e.to_string()))?
                .map_err(|e| {
                    AiError::Internal(format!("cannot load the embedding model: {e:#}"))
                })?;
                tracing::info!(
                    precision = precision.as_str(),
                    kernel = choice.kernel.as_str(),
                    reason = %choice.reason,
                    threads,
                    "local embedding model loaded"
                );
                Ok(Arc::new(loaded))
            })
            .await
            .clone()
    }

    /// The local chat model, loaded on first use.
    pub async fn local_chat(&self) -> Result<Arc<LocalChat>, AiError> {
        self.local_chat
            .get_or_init(|| async {
                if !self.config.local_chat {
                    return Err(AiError::NoProvider("the local chat model is disabled".into()));
                }
                if !kernel::assets::GEMMA.is_installed(&self.runtime_dir) {
                    return Err(AiError::NotInstalled("chat"));
                }
                let path = kernel::assets::GEMMA
                    .install_dir(&self.runtime_dir)
                    .join(kernel::assets::GEMMA_FILE);
                let cores = cores();
                let threads = local_threads(self.config.threads);
                let parallel = local_parallel(self.config.chat_parallel, threads, cores);
                if parallel * threads > cores {
                    // Each generation thread leads its own OpenMP team; once
                    // their threads outnumber the cores, libgomp stops
                    // spinning at barriers and every token gets slower
                    // (about 20% on two cores), even with one generation
                    // running.
                    tracing::warn!(
                        threads,
                        parallel,
                        cores,
                        "ai.chat_parallel × ai.threads exceeds the cores: local generation will be slower"
                    );
                }
                let options = LocalChatOptions {
                    threads,
                    parallel,
                    context: self.config.chat_context,
                    max_tokens: self.config.chat_max_tokens,
                };
                let loaded = tokio::task::spawn_blocking(move || LocalChat::load(&path, options))
                    .await
                    .map_err(|e| AiError::Internal(e.to_string()))??;
                tracing::info!(threads, parallel = options.parallel, "local chat model loaded");
                Ok(Arc::new(loaded))
            })
            .await
            .clone()
    }

    /// Seals a provider credential for storage.
    pub(crate) fn seal(
        &self,
        tenant: TenantId,
        id: Uuid,
        what: &str,
        plain: &[u8],
    ) -> Result<Vec<u8>, AiError> {
        self.secrets
            .seal(plain, &secret_context(tenant, id, what))
            .map_err(|e| AiError::Internal(format!("sealing a credential: {e}")))
    }
}

fn secret_context(tenant: TenantId, id: Uuid, what: &str) -> Vec<u8> {
    format!("ai-provider:{tenant}:{id}:{what}").into_bytes()
}

/// A stored provider as a client spec (credentials opened).
fn provider_spec(
    secrets: &SecretBox,
    tenant: TenantId,
    row: &ProviderRow,
    policy: CallPolicy,
) -> Result<ProviderSpec, AiError> {
    let open = |what: &str, sealed: &Option<Vec<u8>>| -> Result<Option<Vec<u8>>, AiError> {
        match sealed {
            None => Ok(None),
            Some(s) => {
                secrets.open(s, &secret_context(tenant, row.id, what)).map(Some).map_err(|_| {
                    AiError::Internal(format!(
                        "cannot open the stored credentials of provider {}",
                        row.name
                    ))
                })
            }
        }
    };
    let api_key = open("api_key", &row.api_key)?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let headers: Vec<(String, String)> = match open("headers", &row.headers)? {
        Some(b) => serde_json::from_slice::<std::collections::BTreeMap<String, String>>(&b)
            .map_err(|_| AiError::Internal("stored headers do not parse".into()))?
            .into_iter()
            .collect(),
        None => Vec::new(),
    };
    Ok(ProviderSpec {
        name: row.name.clone(),
        kind: ProviderKind::parse(&row.kind).unwrap_or(ProviderKind::OpenaiCompatible),
        base_url: row.base_url.clone(),
        api_key,
        headers,
        chat_model: row.chat_model.clone(),
        embedding_model: row.embedding_model.clone(),
        api_version: row.api_version.clone(),
        policy,
    })
}

fn call_policy(c: &AiConfig) -> CallPolicy {
    CallPolicy {
        connect: Duration::from_secs(c.connect_timeout_secs.max(1)),
        first_token: Duration::from_secs(c.first_token_timeout_secs.max(1)),
        total: Duration::from_secs(c.request_timeout_secs.max(1)),
        max_retries: c.max_retries,
        ..CallPolicy::default()
    }
}

fn db_error(e: sqlx::Error) -> AiError {
    AiError::Unavailable(format!("the database is unavailable: {e}"))
}

fn unit_random() -> f64 {
    let b: [u8; 4] = kernel::crypto::random_bytes();
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// Where a call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedInfo {
    /// The provider (`local` for in-process models).
    pub provider: String,
    /// The model.
    pub model: String,
    /// Answered from the cache.
    pub cached: bool,
    /// The tenant's budget state, when past a limit.
    pub budget: Option<BudgetState>,
}

/// A tenant past a budget limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetState {
    /// Past the soft limit: a warning.
    SoftLimit,
    /// Past the budget: only local models.
    HardLimit,
}

impl BudgetState {
    /// For the `X-Tessera-Budget` header.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetState::SoftLimit => "soft-limit",
            BudgetState::HardLimit => "hard-limit",
        }
    }
}

/// A routed chat stream.
pub struct RoutedChat {
    /// The provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Answered from the cache.
    pub cached: bool,
    /// Budget state.
    pub budget: Option<BudgetState>,
    /// The events.
    pub stream: ChatStream,
}

#[cfg(test)]
mod tests {
    use super::local_parallel;

    #[test]
    fn generations_share_the_cores_without_oversubscribing_them() {
        // Unset: one generation per `threads` cores.
        assert_eq!(local_parallel(0, 2, 2), 1);
        assert_eq!(local_parallel(0, 2, 8), 4);
        assert_eq!(local_parallel(0, 1, 2), 2);
        assert_eq!(local_parallel(0, 4, 2), 1);
        assert_eq!(local_parallel(0, 0, 2), 2);
        // Configured: honoured, within one per core.
        assert_eq!(local_parallel(3, 2, 8), 3);
        assert_eq!(local_parallel(16, 1, 4), 4);
    }
}
