//! The AI runtime's isolation fixture: a provider, a policy routing to it,
//! and a call in the usage ledger.

use kernel::domain::Fixture;
use serde_json::json;

pub(crate) async fn fixture(fx: &Fixture) {
    let name = fx.name.clone();
    let provider = fx
        .post(
            "/api/v1/ai/providers",
            json!({ "name": format!("{name}-llm"), "kind": "openai",
                    "chat_model": format!("{name}-model"), "api_key": "sk-x" }),
        )
        .await;
    fx.object("/api/v1/ai/providers/{id}", provider["id"].as_str().unwrap_or_default());
    fx.body("PATCH /api/v1/ai/providers/{id}", json!({ "priority": 1 }));
    fx.mark(&format!("{name}-llm"));
    fx.mark(&format!("{name}-model"));
    fx.put("/api/v1/ai/policy", json!({ "routes": { "chat": [format!("{name}-llm")] } })).await;
    // A call in the ledger (the provider is not reachable from a test).
    let mut su = fx.superuser().await;
    let recorded = sqlx::query(
        "INSERT INTO ai_usage (tenant_id, id, caller_type, feature, kind, provider, model, locality, latency_ms, outcome)
         VALUES ($1::uuid, gen_random_uuid(), 'system', 'chat', 'chat', $2, $3, 'cloud', 12, 'ok')",
    )
    .bind(fx.tenant_id())
    .bind(format!("{name}-llm"))
    .bind(format!("{name}-model"))
    .execute(&mut su)
    .await;
    assert!(recorded.is_ok(), "{recorded:?}");
}
