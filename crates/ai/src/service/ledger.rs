//! The usage ledger: cost, metrics and a row for every call, written when
//! a stream ends (or is dropped).

use super::*;

impl Ai {
    pub(super) fn price(&self, model: &str, provider: &str) -> Option<&kernel::config::ModelPrice> {
        self.config
            .prices
            .get(&format!("{provider}/{model}"))
            .or_else(|| self.config.prices.get(model))
    }

    pub(super) fn cost(&self, t: &Target, model: &str, usage: Usage) -> Decimal {
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
    pub(super) fn record(
        &self,
        ctx: &CallContext,
        t: &Target,
        model: &str,
        kind: &'static str,
        r: Outcome,
    ) {
        let cost = if r.outcome == "cached" { Decimal::ZERO } else { self.cost(t, model, r.usage) };
        self.add_spend(ctx.tenant(), cost);
        // A tenant's own provider and model names stay out of the metrics.
        let (provider, model_label) = if t.shared {
            (t.provider.clone(), model.to_string())
        } else {
            ("tenant".to_string(), "tenant".to_string())
        };
        let labels =
            [("provider", provider.clone()), ("model", model_label), ("kind", kind.to_string())];
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
            metrics::counter!("ai_errors_total", "provider" => provider, "reason" => e.kind())
                .increment(1);
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
        let access = ctx.access().clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let result = async {
                let mut tx = db.tenant(&access).await?;
                repo::insert_usage(&mut tx, &rec).await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "cannot record AI usage");
            }
        });
    }
}

pub(super) struct Outcome {
    pub(super) outcome: &'static str,
    pub(super) usage: Usage,
    pub(super) latency: Duration,
    pub(super) ttft: Option<Duration>,
    pub(super) error: Option<AiError>,
}

impl Outcome {
    pub(super) fn ok(latency: Duration, ttft: Option<Duration>, usage: Usage) -> Outcome {
        Outcome { outcome: "ok", usage, latency, ttft, error: None }
    }
    pub(super) fn error(latency: Duration, e: AiError) -> Outcome {
        let outcome = if matches!(e, AiError::Cancelled) { "cancelled" } else { "error" };
        Outcome { outcome, usage: Usage::default(), latency, ttft: None, error: Some(e) }
    }
    pub(super) fn cached(usage: Usage) -> Outcome {
        Outcome {
            outcome: "cached",
            usage,
            latency: Duration::ZERO,
            ttft: Some(Duration::ZERO),
            error: None,
        }
    }
}

/// Passes events through, and records the call when it ends — finished,
/// failed, or dropped by the caller (cancelled).
pub(super) struct Recorded {
    pub(super) inner: ChatStream,
    pub(super) first: Option<ChatEvent>,
    pub(super) ai: Arc<Ai>,
    pub(super) ctx: CallContext,
    pub(super) target: Target,
    pub(super) model: String,
    pub(super) started: Instant,
    pub(super) ttft: Option<Duration>,
    pub(super) text: String,
    pub(super) calls: Vec<crate::chat::ToolCallDelta>,
    pub(super) cache_key: Option<[u8; 32]>,
    pub(super) finished: bool,
}

impl Recorded {
    pub(super) fn observe(&mut self, event: &ChatEvent) {
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
