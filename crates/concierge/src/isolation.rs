//! The concierge's isolation fixture: a web channel and a WhatsApp one, a
//! visitor's conversation from the widget, an intent and a template.

use kernel::domain::Fixture;
use serde_json::json;

pub(crate) async fn fixture(fx: &Fixture) {
    let name = fx.name.clone();
    let web = fx
        .post("/api/v1/channels", json!({ "kind": "web", "name": format!("{name} website chat") }))
        .await;
    let channel = web["id"].as_str().unwrap_or_default().to_string();
    let key = web["public_key"].as_str().unwrap_or_default().to_string();
    assert!(!key.is_empty(), "{name} could not add a channel: {web}");
    fx.object("/api/v1/channels/{id}", &channel);
    fx.mark(&format!("{name} website chat"));
    fx.mark(&key);
    fx.body("PUT /api/v1/channels/{id}", json!({ "kind": "web", "name": "renamed" }));
    let number: String = name.bytes().map(|b| (b % 10).to_string()).collect::<String>() + "1234567";
    let wa = fx
        .post(
            "/api/v1/channels",
            json!({ "kind": "whatsapp", "name": format!("{name} WhatsApp"), "external_id": number,
                    "api_base_url": "https://graph.example.com", "app_secret": format!("{name}-app-secret"),
                    "access_token": format!("{name}-access-token") }),
        )
        .await;
    assert_eq!(wa["has_app_secret"], true, "{wa}");
    fx.mark(&format!("{name}-app-secret"));
    fx.mark(&format!("{name}-access-token"));

    // A visitor writes in the widget.
    let (status, session) =
        fx.request("POST", &format!("/api/v1/widget/{key}/sessions"), None, Some(json!({}))).await;
    assert_eq!(status, 201, "{name}: {session}");
    let token = session["token"].as_str().unwrap_or_default().to_string();
    let text = format!("Hello from zq{name}visitor");
    let (status, sent) = fx
        .request_with_headers(
            "POST",
            &format!("/api/v1/widget/{key}/messages"),
            None,
            &[("x-widget-session", &token)],
            Some(json!({ "text": text })),
        )
        .await;
    assert_eq!(status, 202, "{name}: {sent}");
    fx.mark(&format!("zq{name}visitor"));
    let list = fx.get("/api/v1/conversations").await;
    let conv = &list["items"][0];
    let id = conv["id"].as_str().unwrap_or_default().to_string();
    let contact = conv["contact_id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty(), "{name} has no conversation: {list}");
    fx.object("/api/v1/conversations/{id}", &id);
    fx.object("/api/v1/contacts/{id}", &contact);
    fx.body("PATCH /api/v1/conversations/{id}", json!({ "status": "pending" }));
    fx.body(
        "POST /api/v1/conversations/{id}/messages",
        json!({ "text": "hello", "private": true }),
    );
    fx.body("PATCH /api/v1/contacts/{id}", json!({ "notes": "x" }));
    fx.call(
        "PATCH",
        &format!("/api/v1/contacts/{contact}"),
        Some(json!({ "name": format!("{name} Visitor"), "notes": format!("zq{name}note") })),
    )
    .await;
    fx.mark(&format!("zq{name}note"));

    let intent = fx
        .post(
            "/api/v1/concierge/intents",
            json!({ "name": format!("{name}_refunds"), "examples": ["I want my money back"], "action": "handoff" }),
        )
        .await;
    fx.object("/api/v1/concierge/intents/{id}", intent["id"].as_str().unwrap_or_default());
    fx.mark(&format!("{name}_refunds"));
    fx.body(
        "PUT /api/v1/concierge/intents/{id}",
        json!({ "name": "renamed", "examples": ["x"], "action": "answer" }),
    );
    let tpl = fx
        .post(
            "/api/v1/concierge/templates",
            json!({ "name": format!("{name}_order_update"), "body": "Hi {{1}}, your order {{2}} is on its way" }),
        )
        .await;
    fx.object("/api/v1/concierge/templates/{id}", tpl["id"].as_str().unwrap_or_default());
    fx.mark(&format!("{name}_order_update"));
    fx.put(
        "/api/v1/concierge/settings",
        json!({ "bot_enabled": true, "persona": format!("zq{name}persona"), "prompt": "", "language": "en",
                "greeting": "", "history_turns": 10, "sentiment_threshold": -0.6, "max_unanswered": 2,
                "hours": [], "holidays": [], "csat_enabled": false, "rate_limit_per_minute": 20,
                "retention_days": 365 }),
    )
    .await;
    fx.mark(&format!("zq{name}persona"));
}
