//! The jobs crate's isolation fixture: a webhook subscription with a
//! delivery (and its job); identity's fixture already left events.

use kernel::domain::Fixture;
use serde_json::json;

pub(crate) async fn fixture(fx: &Fixture) {
    let name = fx.name.clone();
    let hook = fx
        .post(
            "/api/v1/webhooks",
            json!({ "url": format!("https://hooks.{name}.example/in"), "event_types": ["*"] }),
        )
        .await;
    let hook_id = hook["id"].as_str().unwrap_or_default().to_string();
    fx.object("/api/v1/webhooks/{id}", &hook_id);
    fx.mark(&format!("hooks.{name}.example"));
    fx.body("PATCH /api/v1/webhooks/{id}", json!({ "active": false }));
    let delivery = fx.post(&format!("/api/v1/webhooks/{hook_id}/ping"), json!({})).await;
    fx.object(
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}",
        delivery["id"].as_str().unwrap_or_default(),
    );
    let jobs = fx.get("/api/v1/jobs").await;
    let job = jobs["items"][0]["id"].as_str().unwrap_or_default().to_string();
    assert!(!job.is_empty(), "{name} has no job: {jobs}");
    fx.object("/api/v1/jobs/{id}", job);
}
