//! Routing: a tenant's candidates for a call, in order — explicit model,
//! the task's route, or the local/cloud split — and the monthly budget.

use super::*;

impl Ai {
    pub(super) fn local_target(&self) -> Target {
        Target {
            shared: true,
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
    pub(super) fn tenant_targets(
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
                shared: false,
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
    pub(super) async fn targets(
        &self,
        access: &TenantAccess,
    ) -> Result<(Vec<Target>, Policy), AiError> {
        let tenant = access.tenant();
        let mut tx = self.db.tenant_read(access).await.map_err(db_error)?;
        let rows = repo::providers(&mut tx).await.map_err(db_error)?;
        let policy = repo::policy(&mut tx).await.map_err(db_error)?;
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
    pub async fn models(&self, access: &TenantAccess) -> Result<Vec<AvailableModel>, AiError> {
        let (targets, _) = self.targets(access).await?;
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
    pub(super) async fn month_spend(&self, access: &TenantAccess) -> Result<Decimal, AiError> {
        let tenant = access.tenant();
        let now = chrono::Utc::now();
        let month = (chrono::Datelike::year(&now), chrono::Datelike::month(&now));
        if let Some(s) = self.spend.lock().ok().and_then(|m| m.get(&tenant).copied())
            && s.month == month
            && s.read_at.elapsed() < Duration::from_secs(10)
        {
            return Ok(s.amount);
        }
        let mut tx = self.db.tenant_read(access).await.map_err(db_error)?;
        let amount = repo::month_spend(&mut tx).await.map_err(db_error)?;
        drop(tx);
        if let Ok(mut m) = self.spend.lock() {
            m.insert(tenant, Spend { month, amount, read_at: Instant::now() });
        }
        Ok(amount)
    }

    pub(super) fn add_spend(&self, tenant: TenantId, cost: Decimal) {
        if cost.is_zero() {
            return;
        }
        if let Ok(mut m) = self.spend.lock()
            && let Some(s) = m.get_mut(&tenant)
        {
            s.amount += cost;
        }
    }

    /// The provider a chat call in this context would use that is not the
    /// bundled model (a base model, which cannot follow instructions):
    /// features that need written answers generate with it, and quote or
    /// template from computed figures when there is none.
    pub async fn capable_chat_provider(
        &self,
        ctx: &CallContext,
    ) -> Result<Option<String>, AiError> {
        match self.plan(ctx, None, false, false).await {
            Ok(plan) => {
                Ok(plan.candidates.iter().find(|(t, _)| !matches!(t.backend, Backend::Local)).map(
                    |(t, m)| match m {
                        Some(m) => format!("{}/{m}", t.provider),
                        None => t.provider.clone(),
                    },
                ))
            }
            Err(AiError::NoProvider(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Orders the candidates of a call.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn plan(
        &self,
        ctx: &CallContext,
        model: Option<&str>,
        embedding: bool,
        needs_tools: bool,
    ) -> Result<Plan, AiError> {
        let (targets, policy) = self.targets(ctx.access()).await?;
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
            let spent = self.month_spend(ctx.access()).await?;
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
                tracing::warn!(tenant = %ctx.tenant(), %spent, %budget, "AI spend passed the soft limit");
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
}

pub(super) struct Plan {
    pub(super) candidates: Vec<(Target, Option<String>)>,
    pub(super) budget: Option<BudgetState>,
}
