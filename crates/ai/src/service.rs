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
use kernel::db::Db;
use kernel::ids::TenantId;
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::cache::{Cached, ResponseCache};
use crate::chat::local::{LocalChat, LocalChatOptions};
use crate::chat::{ChatEvent, ChatModel, ChatRequest, ChatStream, Completion, FinishReason, Usage};
use crate::embed::gemm::Precision;
use crate::embed::{Embedder, Embeddings, LocalEmbedder};
use crate::error::AiError;
use crate::openai::{CallPolicy, OpenAiProvider, ProviderKind, ProviderSpec};
use crate::repo::{self, Policy, ProviderRow, UsageRecord};

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
    /// The tenant.
    pub tenant: TenantId,
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
        let (caller_type, caller_id) = match caller.principal {
            identity::auth::Principal::User { id, .. } => ("user", Some(id.as_uuid())),
            identity::auth::Principal::ApiKey { id } => ("api_key", Some(id)),
        };
        CallContext {
            tenant: caller.tenant,
            caller_type,
            caller_id,
            feature: feature.to_string(),
            request_id: caller.meta.request_id.clone(),
        }
    }

    /// A call made by Tessera itself (a job) for a tenant.
    pub fn system(tenant: TenantId, feature: &str) -> CallContext {
        CallContext {
            tenant,
            caller_type: "system",
            caller_id: None,
            feature: feature.to_string(),
            request_id: kernel::request_id::current(),
        }
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
        }))
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
                let precision = match self.config.embed_precision.as_str() {
                    "f32" => Precision::F32,
                    "bf16" if crate::embed::gemm::bf16_supported() => Precision::Bf16,
                    _ => Precision::best_available(),
                };
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

    fn local_target(&self) -> Target {
        Target {
            provider: LOCAL.into(),
            locality: Locality::Local,
            backend: Backend::Local,
            chat_model: Some(crate::chat::local::LOCAL_MODEL.into()),
            embedding_model: Some(crate::embed::LOCAL_MODEL.into()),
            priority: i32::MAX,
        }
    }

    /// Turns stored tenant providers into targets (decrypting their
    /// credentials; clients are reused until the row changes).
    fn tenant_targets(
        &self,
        tenant: TenantId,
        rows: &[ProviderRow],
    ) -> Result<Vec<Target>, AiError> {
        let mut out = Vec::new();
        for row in rows.iter().filter(|r| r.enabled) {
            let cached = self.tenant_clients.lock().ok().and_then(|m| {
                m.get(&(tenant, row.id))
                    .filter(|(at, _)| *at == row.updated_at)
                    .map(|(_, c)| c.clone())
            });
            let client = match cached {
                Some(c) => c,
                None => {
                    let spec =
                        provider_spec(&self.secrets, tenant, row, call_policy(&self.config))?;
                    if !self.config.allow_private_providers
                        && let Err(e) = kernel::outbound::check_url(&spec.base_url, false)
                    {
                        tracing::warn!(tenant = %tenant, provider = %row.name, error = %e, "skipping a provider");
                        continue;
                    }
                    let c = Arc::new(OpenAiProvider::with_client(spec, self.http.clone()));
                    if let Ok(mut m) = self.tenant_clients.lock() {
                        m.insert((tenant, row.id), (row.updated_at, c.clone()));
                    }
                    c
                }
            };
            out.push(Target {
                provider: row.name.clone(),
                locality: if row.locality == "local" { Locality::Local } else { Locality::Cloud },
                chat_model: row.chat_model.clone(),
                embedding_model: row.embedding_model.clone(),
                priority: row.priority,
                backend: Backend::Remote(client),
            });
        }
        Ok(out)
    }

    /// Every target of a tenant: its own providers, the instance's, local.
    async fn targets(&self, tenant: TenantId) -> Result<(Vec<Target>, Policy), AiError> {
        let mut tx = self.db.tenant_read(tenant).await.map_err(db_error)?;
        let rows = repo::providers(&mut tx, tenant).await.map_err(db_error)?;
        let policy = repo::policy(&mut tx, tenant).await.map_err(db_error)?;
        drop(tx);
        let mut all = self.tenant_targets(tenant, &rows)?;
        for t in &self.instance {
            if !all.iter().any(|a| a.provider == t.provider) {
                all.push(t.clone());
            }
        }
        all.sort_by_key(|t| t.priority);
        all.push(self.local_target());
        Ok((all, policy))
    }

    /// The models a tenant can name in `model`.
    pub async fn models(&self, tenant: TenantId) -> Result<Vec<AvailableModel>, AiError> {
        let (targets, _) = self.targets(tenant).await?;
        let mut out =
            vec![AvailableModel { id: AUTO.into(), kind: "chat", provider: "router".into() }];
        for t in targets {
            if let Some(m) = &t.chat_model {
                let id =
                    if t.provider == LOCAL { m.clone() } else { format!("{}/{m}", t.provider) };
                out.push(AvailableModel { id, kind: "chat", provider: t.provider.clone() });
            }
            if let Some(m) = &t.embedding_model {
                let id =
                    if t.provider == LOCAL { m.clone() } else { format!("{}/{m}", t.provider) };
                out.push(AvailableModel { id, kind: "embedding", provider: t.provider.clone() });
            }
        }
        Ok(out)
    }

    /// Spend this month, read at most every 10 s (and kept up to date by
    /// this node's own calls in between).
    async fn month_spend(&self, tenant: TenantId) -> Result<Decimal, AiError> {
        let now = chrono::Utc::now();
        let month = (chrono::Datelike::year(&now), chrono::Datelike::month(&now));
        if let Some(s) = self.spend.lock().ok().and_then(|m| m.get(&tenant).copied())
            && s.month == month
            && s.read_at.elapsed() < Duration::from_secs(10)
        {
            return Ok(s.amount);
        }
        let mut tx = self.db.tenant_read(tenant).await.map_err(db_error)?;
        let amount = repo::month_spend(&mut tx, tenant).await.map_err(db_error)?;
        drop(tx);
        if let Ok(mut m) = self.spend.lock() {
            m.insert(tenant, Spend { month, amount, read_at: Instant::now() });
        }
        Ok(amount)
    }

    fn add_spend(&self, tenant: TenantId, cost: Decimal) {
        if cost.is_zero() {
            return;
        }
        if let Ok(mut m) = self.spend.lock()
            && let Some(s) = m.get_mut(&tenant)
        {
            s.amount += cost;
        }
    }

    /// Orders the candidates of a call.
    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        ctx: &CallContext,
        model: Option<&str>,
        embedding: bool,
        needs_tools: bool,
    ) -> Result<Plan, AiError> {
        let (targets, policy) = self.targets(ctx.tenant).await?;
        let serves = |t: &Target| {
            if embedding { t.embedding_model.is_some() } else { t.chat_model.is_some() }
        };
        let mut candidates: Vec<(Target, Option<String>)> = Vec::new();
        let requested = model.map(str::trim).filter(|m| !m.is_empty() && *m != AUTO);
        if let Some(m) = requested {
            let local_names = [LOCAL, crate::chat::local::LOCAL_MODEL, crate::embed::LOCAL_MODEL];
            if local_names.contains(&m) {
                candidates.push((self.local_target(), None));
            } else if let Some((provider, model)) = m.split_once('/')
                && let Some(t) = targets.iter().find(|t| t.provider == provider)
            {
                candidates.push((t.clone(), Some(model.to_string())));
            } else if let Some(t) = targets.iter().find(|t| t.provider == m) {
                candidates.push((t.clone(), None));
            } else if let Some(t) = targets.iter().find(|t| {
                (if embedding { &t.embedding_model } else { &t.chat_model }).as_deref() == Some(m)
            }) {
                candidates.push((t.clone(), None));
            } else {
                return Err(AiError::invalid(
                    "model",
                    format!("unknown model `{m}`; GET /v1/models lists the models you can use"),
                ));
            }
        } else {
            let task = if embedding { EMBED_TASK } else { ctx.feature.as_str() };
            let route: Option<Vec<String>> = policy
                .routes
                .get(task)
                .or_else(|| if embedding { None } else { policy.routes.get("*") })
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect());
            match route {
                Some(names) => {
                    for n in names {
                        if let Some(t) = targets.iter().find(|t| t.provider == n) {
                            candidates.push((t.clone(), None));
                        }
                    }
                }
                None if embedding => {
                    // Vectors of different models are never compared: the
                    // default is the local model alone.
                    candidates.push((self.local_target(), None));
                }
                None => {
                    let (mut local, mut cloud): (Vec<Target>, Vec<Target>) = targets
                        .iter()
                        .filter(|t| serves(t))
                        .cloned()
                        .partition(|t| t.locality == Locality::Local);
                    let cloud_first =
                        f64::from(policy.cloud_share.clamp(0, 100)) / 100.0 > unit_random();
                    let ordered: Vec<Target> = if cloud_first {
                        cloud.drain(..).chain(local.drain(..)).collect()
                    } else {
                        local.drain(..).chain(cloud.drain(..)).collect()
                    };
                    candidates.extend(ordered.into_iter().map(|t| (t, None)));
                }
            }
        }
        candidates.retain(|(t, m)| m.is_some() || serves(t));
        if needs_tools {
            candidates.retain(|(t, _)| matches!(t.backend, Backend::Remote(_)));
            if candidates.is_empty() {
                return Err(AiError::NoProvider(
                    "no configured model can call tools (the local model cannot); add a provider"
                        .into(),
                ));
            }
        }
        if embedding && let Some((first, m)) = candidates.first().cloned() {
            // Fall back only to the same embedding model.
            let model = m.or(first.embedding_model);
            candidates.retain(|(t, m2)| m2.clone().or(t.embedding_model.clone()) == model);
        }

        // The budget.
        let mut warning = None;
        if let Some(budget) = policy.monthly_budget {
            let spent = self.month_spend(ctx.tenant).await?;
            if spent >= budget {
                let before = candidates.len();
                candidates.retain(|(t, _)| t.locality == Locality::Local);
                if candidates.len() < before {
                    metrics::counter!("ai_budget_enforced_total").increment(1);
                }
                if candidates.is_empty() {
                    return Err(AiError::BudgetExceeded { spent, budget });
                }
                warning = Some(BudgetState::HardLimit);
            } else if spent * Decimal::from(100) >= budget * Decimal::from(policy.soft_limit_pct) {
                metrics::counter!("ai_budget_warnings_total").increment(1);
                tracing::warn!(tenant = %ctx.tenant, %spent, %budget, "AI spend passed the soft limit");
                warning = Some(BudgetState::SoftLimit);
            }
        }
        if candidates.is_empty() {
            return Err(AiError::NoProvider(format!(
                "no model is configured for `{}`",
                if embedding { EMBED_TASK } else { ctx.feature.as_str() }
            )));
        }
        Ok(Plan { candidates, budget: warning })
    }

    fn price(&self, model: &str, provider: &str) -> Option<&kernel::config::ModelPrice> {
        self.config
            .prices
            .get(&format!("{provider}/{model}"))
            .or_else(|| self.config.prices.get(model))
    }

    fn cost(&self, t: &Target, model: &str, usage: Usage) -> Decimal {
        if matches!(t.backend, Backend::Local) {
            return Decimal::ZERO;
        }
        match self.price(model, &t.provider) {
            Some(p) => {
                let m = Decimal::from(1_000_000);
                (p.input * Decimal::from(usage.prompt_tokens)
                    + p.output * Decimal::from(usage.completion_tokens))
                    / m
            }
            None => Decimal::ZERO,
        }
    }

    /// Records a call in the ledger and the metrics (in the background).
    fn record(&self, ctx: &CallContext, t: &Target, model: &str, kind: &'static str, r: Outcome) {
        let cost = if r.outcome == "cached" { Decimal::ZERO } else { self.cost(t, model, r.usage) };
        self.add_spend(ctx.tenant, cost);
        let labels = [
            ("provider", t.provider.clone()),
            ("model", model.to_string()),
            ("kind", kind.to_string()),
        ];
        metrics::counter!(
            "ai_requests_total",
            &[&labels[..], &[("outcome", r.outcome.to_string())]].concat()
        )
        .increment(1);
        if r.outcome == "ok" {
            metrics::counter!(
                "ai_tokens_total",
                &[&labels[..], &[("direction", "prompt".to_string())]].concat()
            )
            .increment(u64::from(r.usage.prompt_tokens));
            metrics::counter!(
                "ai_tokens_total",
                &[&labels[..], &[("direction", "completion".to_string())]].concat()
            )
            .increment(u64::from(r.usage.completion_tokens));
            metrics::histogram!("ai_request_duration_seconds", &labels)
                .record(r.latency.as_secs_f64());
            if let Some(t) = r.ttft {
                metrics::histogram!("ai_time_to_first_token_seconds", &labels)
                    .record(t.as_secs_f64());
            }
        }
        if let Some(e) = &r.error {
            metrics::counter!("ai_errors_total", "provider" => t.provider.clone(), "reason" => e.kind()).increment(1);
        }
        let rec = UsageRecord {
            caller_type: ctx.caller_type,
            caller_id: ctx.caller_id,
            feature: ctx.feature.clone(),
            kind,
            provider: t.provider.clone(),
            model: model.to_string(),
            locality: t.locality.as_str(),
            prompt_tokens: r.usage.prompt_tokens,
            completion_tokens: r.usage.completion_tokens,
            latency_ms: r.latency.as_millis().min(i32::MAX as u128) as u32,
            ttft_ms: r.ttft.map(|d| d.as_millis().min(i32::MAX as u128) as u32),
            cost,
            outcome: r.outcome,
            error: r.error.map(|e| e.to_string()),
            request_id: ctx.request_id.clone(),
        };
        let db = self.db.clone();
        let tenant = ctx.tenant;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let result = async {
                let mut tx = db.tenant(tenant).await?;
                repo::insert_usage(&mut tx, tenant, &rec).await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "cannot record AI usage");
            }
        });
    }

    fn chat_model(&self, t: &Target, model_override: &Option<String>) -> String {
        model_override.clone().or(t.chat_model.clone()).unwrap_or_default()
    }

    /// A chat completion, streamed. The first event has been received
    /// from the chosen model when this returns, so failures before it
    /// fall back to the next candidate.
    pub async fn chat(
        self: &Arc<Self>,
        ctx: &CallContext,
        model: Option<&str>,
        req: ChatRequest,
    ) -> Result<RoutedChat, AiError> {
        validate_chat(&req)?;
        let needs_tools =
            req.tools.as_ref().is_some_and(|t| t.as_array().is_some_and(|a| !a.is_empty()));
        let plan = self.plan(ctx, model, false, needs_tools).await?;
        let cacheable = self.cache.enabled() && req.temperature == Some(0.0);
        let mut last_error = None;
        for (target, model_override) in &plan.candidates {
            let model_name = self.chat_model(target, model_override);
            let key =
                cacheable.then(|| chat_cache_key(ctx.tenant, &target.provider, &model_name, &req));
            if let Some(k) = &key
                && let Some(Cached::Completion(c)) = self.cache.get(k, "chat")
            {
                self.record(ctx, target, &model_name, "chat", Outcome::cached(c.usage));
                return Ok(RoutedChat {
                    provider: target.provider.clone(),
                    model: model_name,
                    cached: true,
                    budget: plan.budget,
                    stream: replay(c),
                });
            }
            let started = Instant::now();
            let attempt: Result<(ChatStream, Option<Result<ChatEvent, AiError>>), AiError> =
                async {
                    let mut stream = match &target.backend {
                        Backend::Local => self.local_chat().await?.stream(req.clone()).await?,
                        Backend::Remote(p) => {
                            let p = match model_override {
                                Some(m) => Arc::new(p.as_ref().clone().with_chat_model(m)),
                                None => p.clone(),
                            };
                            p.stream(req.clone()).await?
                        }
                    };
                    let first = stream.next().await;
                    Ok((stream, first))
                }
                .await;
            let failure = match attempt {
                Ok((_, Some(Err(e)))) | Err(e) => e,
                Ok((_, None)) => AiError::Unavailable(format!("{} sent nothing", target.provider)),
                Ok((stream, Some(Ok(first)))) => {
                    let ttft = started.elapsed();
                    let wrapped = Recorded {
                        inner: stream,
                        first: Some(first),
                        ai: self.clone(),
                        ctx: ctx.clone(),
                        target: target.clone(),
                        model: model_name.clone(),
                        started,
                        ttft: Some(ttft),
                        text: String::new(),
                        calls: Vec::new(),
                        cache_key: key,
                        finished: false,
                    };
                    return Ok(RoutedChat {
                        provider: target.provider.clone(),
                        model: model_name,
                        cached: false,
                        budget: plan.budget,
                        stream: Box::pin(wrapped),
                    });
                }
            };
            self.record(
                ctx,
                target,
                &model_name,
                "chat",
                Outcome::error(started.elapsed(), failure.clone()),
            );
            tracing::warn!(tenant = %ctx.tenant, provider = %target.provider, error = %failure, "model call failed");
            if !failure.should_fall_back() {
                return Err(failure);
            }
            last_error = Some(failure);
        }
        Err(last_error.unwrap_or_else(|| AiError::NoProvider("no model could answer".into())))
    }

    /// A chat completion, whole.
    pub async fn complete(
        self: &Arc<Self>,
        ctx: &CallContext,
        model: Option<&str>,
        req: ChatRequest,
    ) -> Result<(RoutedInfo, Completion), AiError> {
        let routed = self.chat(ctx, model, req).await?;
        let info = RoutedInfo {
            provider: routed.provider,
            model: routed.model,
            cached: routed.cached,
            budget: routed.budget,
        };
        Ok((info, crate::chat::collect(routed.stream).await?))
    }

    /// Embeddings (answered per text from the cache where possible).
    pub async fn embed(
        self: &Arc<Self>,
        ctx: &CallContext,
        model: Option<&str>,
        inputs: &[String],
    ) -> Result<(RoutedInfo, Embeddings), AiError> {
        if inputs.len() > 2048 {
            return Err(AiError::invalid("input", "at most 2048 texts per call"));
        }
        let plan = self.plan(ctx, model, true, false).await?;
        let mut last_error = None;
        for (target, model_override) in &plan.candidates {
            let model_name =
                model_override.clone().or(target.embedding_model.clone()).unwrap_or_default();
            let keys: Vec<[u8; 32]> = inputs
                .iter()
                .map(|t| {
                    ResponseCache::key(
                        ctx.tenant,
                        &[
                            b"embed",
                            target.provider.as_bytes(),
                            model_name.as_bytes(),
                            t.as_bytes(),
                        ],
                    )
                })
                .collect();
            let mut vectors: Vec<Option<Vec<f32>>> = keys
                .iter()
                .map(|k| match self.cache.get(k, "embedding") {
                    Some(Cached::Vector(v)) => Some(v),
                    _ => None,
                })
                .collect();
            let missing: Vec<usize> = (0..inputs.len()).filter(|&i| vectors[i].is_none()).collect();
            let info = RoutedInfo {
                provider: target.provider.clone(),
                model: model_name.clone(),
                cached: missing.is_empty(),
                budget: plan.budget,
            };
            if missing.is_empty() {
                self.record(
                    ctx,
                    target,
                    &model_name,
                    "embedding",
                    Outcome::cached(Usage::default()),
                );
                let vectors = vectors.into_iter().flatten().collect();
                return Ok((info, Embeddings { model: model_name, vectors, prompt_tokens: 0 }));
            }
            let texts: Vec<String> = missing.iter().map(|&i| inputs[i].clone()).collect();
            let started = Instant::now();
            let result = match &target.backend {
                Backend::Local => match self.local_embedder().await {
                    Ok(e) => e.embed(&texts).await,
                    Err(e) => Err(e),
                },
                Backend::Remote(p) => {
                    let p = match model_override {
                        Some(m) => Arc::new(p.as_ref().clone().with_embedding_model(m)),
                        None => p.clone(),
                    };
                    p.embed(&texts).await
                }
            };
            match result {
                Ok(e) => {
                    let usage = Usage { prompt_tokens: e.prompt_tokens, completion_tokens: 0 };
                    self.record(
                        ctx,
                        target,
                        &model_name,
                        "embedding",
                        Outcome::ok(started.elapsed(), None, usage),
                    );
                    for (&i, v) in missing.iter().zip(e.vectors) {
                        self.cache.put(keys[i], Cached::Vector(v.clone()));
                        vectors[i] = Some(v);
                    }
                    let vectors = vectors.into_iter().map(Option::unwrap_or_default).collect();
                    return Ok((
                        info,
                        Embeddings { model: model_name, vectors, prompt_tokens: e.prompt_tokens },
                    ));
                }
                Err(e) => {
                    self.record(
                        ctx,
                        target,
                        &model_name,
                        "embedding",
                        Outcome::error(started.elapsed(), e.clone()),
                    );
                    if !e.should_fall_back() {
                        return Err(e);
                    }
                    last_error = Some(e);
                }
            }
        }
        Err(last_error
            .unwrap_or_else(|| AiError::NoProvider("no embedding model could answer".into())))
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

fn validate_chat(req: &ChatRequest) -> Result<(), AiError> {
    if req.messages.is_empty() {
        return Err(AiError::invalid("messages", "must contain at least one message"));
    }
    if let Some(t) = req.temperature
        && !(0.0..=2.0).contains(&t)
    {
        return Err(AiError::invalid("temperature", "must be between 0 and 2"));
    }
    if let Some(p) = req.top_p
        && !(p > 0.0 && p <= 1.0)
    {
        return Err(AiError::invalid("top_p", "must be greater than 0 and at most 1"));
    }
    if req.max_tokens == Some(0) {
        return Err(AiError::invalid("max_tokens", "must be at least 1"));
    }
    if req.stop.len() > 4 {
        return Err(AiError::invalid("stop", "at most 4 stop sequences"));
    }
    Ok(())
}

fn chat_cache_key(tenant: TenantId, provider: &str, model: &str, req: &ChatRequest) -> [u8; 32] {
    let body = serde_json::json!({
        "messages": req.messages, "max_tokens": req.max_tokens, "top_p": req.top_p, "seed": req.seed,
        "stop": req.stop, "tools": req.tools, "tool_choice": req.tool_choice, "response_format": req.response_format,
    });
    ResponseCache::key(
        tenant,
        &[b"chat", provider.as_bytes(), model.as_bytes(), body.to_string().as_bytes()],
    )
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

struct Plan {
    candidates: Vec<(Target, Option<String>)>,
    budget: Option<BudgetState>,
}

struct Outcome {
    outcome: &'static str,
    usage: Usage,
    latency: Duration,
    ttft: Option<Duration>,
    error: Option<AiError>,
}

impl Outcome {
    fn ok(latency: Duration, ttft: Option<Duration>, usage: Usage) -> Outcome {
        Outcome { outcome: "ok", usage, latency, ttft, error: None }
    }
    fn error(latency: Duration, e: AiError) -> Outcome {
        let outcome = if matches!(e, AiError::Cancelled) { "cancelled" } else { "error" };
        Outcome { outcome, usage: Usage::default(), latency, ttft: None, error: Some(e) }
    }
    fn cached(usage: Usage) -> Outcome {
        Outcome {
            outcome: "cached",
            usage,
            latency: Duration::ZERO,
            ttft: Some(Duration::ZERO),
            error: None,
        }
    }
}

/// A cached completion as a stream.
fn replay(c: Completion) -> ChatStream {
    let mut events = Vec::new();
    if !c.content.is_empty() {
        events.push(Ok(ChatEvent::Delta(c.content)));
    }
    for (i, call) in c.tool_calls.into_iter().enumerate() {
        events.push(Ok(ChatEvent::ToolCall(crate::chat::ToolCallDelta {
            index: i as u32,
            id: Some(call.id),
            name: Some(call.function.name),
            arguments: call.function.arguments,
        })));
    }
    events.push(Ok(ChatEvent::Done { finish_reason: c.finish_reason, usage: c.usage }));
    Box::pin(futures::stream::iter(events))
}

/// Passes events through, and records the call when it ends — finished,
/// failed, or dropped by the caller (cancelled).
struct Recorded {
    inner: ChatStream,
    first: Option<ChatEvent>,
    ai: Arc<Ai>,
    ctx: CallContext,
    target: Target,
    model: String,
    started: Instant,
    ttft: Option<Duration>,
    text: String,
    calls: Vec<crate::chat::ToolCallDelta>,
    cache_key: Option<[u8; 32]>,
    finished: bool,
}

impl Recorded {
    fn observe(&mut self, event: &ChatEvent) {
        match event {
            ChatEvent::Delta(t) => self.text.push_str(t),
            ChatEvent::ToolCall(d) => self.calls.push(d.clone()),
            ChatEvent::Done { finish_reason, usage } => {
                self.finished = true;
                self.ai.record(
                    &self.ctx,
                    &self.target,
                    &self.model,
                    "chat",
                    Outcome::ok(self.started.elapsed(), self.ttft, *usage),
                );
                if let Some(k) = self.cache_key.take()
                    && *finish_reason != FinishReason::Length
                {
                    let c = Completion {
                        content: self.text.clone(),
                        tool_calls: crate::chat::assemble_tool_calls(&self.calls),
                        finish_reason: *finish_reason,
                        usage: *usage,
                    };
                    self.ai.cache.put(k, Cached::Completion(c));
                }
            }
        }
    }
}

impl Stream for Recorded {
    type Item = Result<ChatEvent, AiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            self.observe(&first);
            return Poll::Ready(Some(Ok(first)));
        }
        if self.finished {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(e))) => {
                self.observe(&e);
                Poll::Ready(Some(Ok(e)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.finished = true;
                self.ai.record(
                    &self.ctx,
                    &self.target,
                    &self.model,
                    "chat",
                    Outcome::error(self.started.elapsed(), e.clone()),
                );
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                if !self.finished {
                    self.finished = true;
                    let e = AiError::Unavailable(format!(
                        "{} ended without finishing",
                        self.target.provider
                    ));
                    self.ai.record(
                        &self.ctx,
                        &self.target,
                        &self.model,
                        "chat",
                        Outcome::error(self.started.elapsed(), e.clone()),
                    );
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        if !self.finished {
            let mut o = Outcome::error(self.started.elapsed(), AiError::Cancelled);
            o.ttft = self.ttft;
            o.usage.completion_tokens = (self.text.len() / 4) as u32;
            self.ai.record(&self.ctx, &self.target, &self.model, "chat", o);
        }
    }
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
