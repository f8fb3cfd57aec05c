//! Calls: chat completions (streamed or whole) and embeddings, tried on
//! each candidate in turn and answered from the cache where possible.

use super::*;

impl Ai {
    /// Whether a remote candidate is passed over: it failed lately, or
    /// [`cooldown::MAX_REMOTE_TRIES`] remote providers were tried already
    /// (the caller always tries the last candidate).
    fn passes_over(&self, ctx: &CallContext, target: &Target, remote_tries: usize) -> bool {
        if !matches!(target.backend, Backend::Remote(_)) {
            return false;
        }
        let skip = remote_tries >= cooldown::MAX_REMOTE_TRIES
            || self.cooldowns.cooling(ctx.tenant(), &target.provider);
        if skip {
            tracing::debug!(provider = %target.provider, "passing over a provider");
        }
        skip
    }

    pub(super) fn chat_model(&self, t: &Target, model_override: &Option<String>) -> String {
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
        let n = plan.candidates.len();
        let mut remote_tries = 0;
        for (i, (target, model_override)) in plan.candidates.iter().enumerate() {
            if i + 1 < n && self.passes_over(ctx, target, remote_tries) {
                continue;
            }
            remote_tries += usize::from(matches!(target.backend, Backend::Remote(_)));
            let model_name = self.chat_model(target, model_override);
            let key = cacheable
                .then(|| chat_cache_key(ctx.tenant(), &target.provider, &model_name, &req));
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
                    self.cooldowns.succeeded(ctx.tenant(), &target.provider);
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
            tracing::warn!(tenant = %ctx.tenant(), provider = %target.provider, error = %failure, "model call failed");
            if !failure.should_fall_back() {
                return Err(failure);
            }
            self.cooldowns.failed(ctx.tenant(), &target.provider);
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
        let n = plan.candidates.len();
        let mut remote_tries = 0;
        for (i, (target, model_override)) in plan.candidates.iter().enumerate() {
            if i + 1 < n && self.passes_over(ctx, target, remote_tries) {
                continue;
            }
            remote_tries += usize::from(matches!(target.backend, Backend::Remote(_)));
            let model_name =
                model_override.clone().or(target.embedding_model.clone()).unwrap_or_default();
            let keys: Vec<[u8; 32]> = inputs
                .iter()
                .map(|t| {
                    ResponseCache::key(
                        ctx.tenant(),
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
                    self.cooldowns.succeeded(ctx.tenant(), &target.provider);
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
                    self.cooldowns.failed(ctx.tenant(), &target.provider);
                    last_error = Some(e);
                }
            }
        }
        Err(last_error
            .unwrap_or_else(|| AiError::NoProvider("no embedding model could answer".into())))
    }
}

pub(super) fn validate_chat(req: &ChatRequest) -> Result<(), AiError> {
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

pub(super) fn chat_cache_key(
    tenant: TenantId,
    provider: &str,
    model: &str,
    req: &ChatRequest,
) -> [u8; 32] {
    let body = serde_json::json!({
        "messages": req.messages, "max_tokens": req.max_tokens, "top_p": req.top_p, "seed": req.seed,
        "stop": req.stop, "tools": req.tools, "tool_choice": req.tool_choice, "response_format": req.response_format,
    });
    ResponseCache::key(
        tenant,
        &[b"chat", provider.as_bytes(), model.as_bytes(), body.to_string().as_bytes()],
    )
}

/// A cached completion as a stream.
pub(super) fn replay(c: Completion) -> ChatStream {
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
