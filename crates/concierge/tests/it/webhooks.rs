//! Meta's webhooks: verification, signatures, routing, duplicates,
//! statuses and sending through a Graph API that goes down.

use std::time::Duration;

use serde_json::json;
use standin::graph::{self, Fault};
use testkit::eventually;

use crate::common::*;

#[tokio::test]
async fn the_verification_handshake_echoes_the_challenge_only_for_the_right_token() {
    let app = app().await;
    let owner = company(&app, "verify").await;
    let g = graph::start(graph::Config::default()).await.unwrap();
    let ch = whatsapp(&app, &owner, "verify", &g, "1550001").await;
    let key = ch["public_key"].as_str().unwrap();
    assert!(
        ch["webhook_url"].as_str().unwrap().ends_with(&format!("/api/v1/hooks/meta/{key}")),
        "{ch}"
    );
    assert_eq!(ch["verify_token"], "verify-verify");
    assert!(ch.get("app_secret").is_none() && ch["has_app_secret"] == true, "{ch}");

    let url = |mode: &str, token: &str| {
        format!(
            "/api/v1/hooks/meta/{key}?hub.mode={mode}&hub.verify_token={token}&hub.challenge=1158201444"
        )
    };
    let r = app.get(&url("subscribe", "verify-verify")).send().await;
    r.assert_status(200);
    assert_eq!(r.text(), "1158201444");
    app.get(&url("subscribe", "verify-wrong"))
        .send()
        .await
        .assert_problem(403, "verification_failed");
    app.get(&url("unsubscribe", "verify-verify"))
        .send()
        .await
        .assert_problem(403, "verification_failed");
    app.get(&format!("/api/v1/hooks/meta/{key}"))
        .send()
        .await
        .assert_problem(403, "verification_failed");
    app.get("/api/v1/hooks/meta/ch_nosuchchannel?hub.mode=subscribe&hub.verify_token=verify-verify&hub.challenge=1")
        .send()
        .await
        .assert_problem(403, "verification_failed");
}

#[tokio::test]
async fn signatures_are_checked_over_the_raw_body() {
    let app = app().await;
    let owner = company(&app, "signed").await;
    let g = graph::start(graph::Config::default()).await.unwrap();
    let ch = whatsapp(&app, &owner, "signed", &g, "1550002").await;
    let key = ch["public_key"].as_str().unwrap();
    let body = graph::whatsapp_text("1550002", "919800000002", "Ravi", "wamid.SIG1", "hello there");
    let raw = serde_json::to_vec(&body).unwrap();
    let good = graph::signature(&secret("signed"), &raw);
    let post = |sig: Option<String>, raw: Vec<u8>| {
        let mut r = app.post(&format!("/api/v1/hooks/meta/{key}"));
        if let Some(s) = sig {
            r = r.header("x-hub-signature-256", &s);
        }
        r.raw("application/json", raw).send()
    };
    // Missing, wrong secret, a bad format, and the body altered by one byte.
    post(None, raw.clone()).await.assert_problem(401, "invalid_signature");
    post(Some(graph::signature("another-secret", &raw)), raw.clone())
        .await
        .assert_problem(401, "invalid_signature");
    post(Some("sha256=zz".into()), raw.clone()).await.assert_problem(401, "invalid_signature");
    let mut altered = raw.clone();
    let at = altered.iter().position(|&b| b == b'h').unwrap();
    altered[at] = b'j';
    post(Some(good.clone()), altered).await.assert_problem(401, "invalid_signature");
    assert!(conversations(&app, &owner).await.is_empty(), "nothing refused was stored");
    // The right one.
    let r = post(Some(good), raw).await;
    r.assert_status(200);
    assert_eq!(r.json()["received"], true);
    settled(&app, &owner, 1).await;
    // A key of no channel looks like a wrong signature: keys cannot be probed.
    hook(&app, "ch_0000000000000000", "x", &body).await.assert_problem(401, "invalid_signature");
    // A new app secret holds from the next delivery; the old one is refused.
    let id = ch["id"].as_str().unwrap();
    app.put(&format!("/api/v1/channels/{id}"))
        .bearer(&owner)
        .json(&json!({ "kind": "whatsapp", "name": "signed WhatsApp", "external_id": "1550002",
                       "api_base_url": g.url, "app_secret": "a-new-app-secret" }))
        .send()
        .await
        .assert_status(200);
    hook(&app, key, &secret("signed"), &body).await.assert_problem(401, "invalid_signature");
    hook(&app, key, "a-new-app-secret", &body).await.assert_status(200);
    // A disabled channel takes nothing.
    app.put(&format!("/api/v1/channels/{id}"))
        .bearer(&owner)
        .json(&json!({ "kind": "whatsapp", "name": "signed WhatsApp", "external_id": "1550002",
                       "api_base_url": g.url, "enabled": false }))
        .send()
        .await
        .assert_status(200);
    hook(&app, key, "a-new-app-secret", &body).await.assert_problem(401, "invalid_signature");
}

#[tokio::test]
async fn the_same_webhook_delivered_ten_times_gets_one_reply() {
    let app = app().await;
    let owner = company(&app, "dupes").await;
    paste(&app, &owner, "Policy", POLICY).await;
    let g = graph::start(graph::Config::default()).await.unwrap();
    let ch = whatsapp(&app, &owner, "dupes", &g, "1550003").await;
    let key = ch["public_key"].as_str().unwrap().to_string();
    let body = graph::whatsapp_text(
        "1550003",
        "919800000003",
        "Meera",
        "wamid.DUP1",
        "How long do refunds take?",
    );
    let sec = secret("dupes");
    let deliveries = (0..10).map(|_| hook(&app, &key, &sec, &body));
    for r in futures::future::join_all(deliveries).await {
        r.assert_status(200);
    }
    let sent = sent_to(&g, "919800000003", 1).await;
    assert!(sent[0].text.contains("five working days"), "{sent:?}");
    assert!(!sent[0].text.contains('['), "no citation marks for customers: {}", sent[0].text);
    quiet().await;
    assert_eq!(g.state.sent_to("919800000003").len(), 1);
    let c = settled(&app, &owner, 2).await;
    let msgs = c["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2, "{c}");
    assert_eq!(msgs[0]["direction"], "in");
    assert_eq!(msgs[1]["sender"], "bot");
    assert_eq!(msgs[1]["answer_mode"], "extractive");
    assert!(!msgs[1]["chunk_ids"].as_array().unwrap().is_empty(), "the chunks used are recorded");
    assert_eq!(c["contact"]["name"], "Meera");
    assert_eq!(c["contact"]["phone"], "+919800000003");
}

#[tokio::test]
async fn statuses_only_move_forward() {
    let app = app().await;
    let owner = company(&app, "statuses").await;
    let g = graph::start(graph::Config::default()).await.unwrap();
    let ch = whatsapp(&app, &owner, "statuses", &g, "1550004").await;
    customer_says(&app, &ch, "statuses", "919800000004", "wamid.ST1", "hi").await;
    let sent = sent_to(&g, "919800000004", 1).await;
    let wamid = sent[0].id.clone();
    let key = ch["public_key"].as_str().unwrap();
    let status = |s: &str| graph::whatsapp_status("1550004", "919800000004", &wamid, s);
    let out_status = || async {
        let c = settled(&app, &owner, 2).await;
        c["messages"][1]["status"].as_str().unwrap().to_string()
    };
    eventually(Duration::from_secs(10), "the reply to be sent", || async {
        (out_status().await == "sent").then_some(())
    })
    .await;
    // Read arrives before delivered, and a late "sent" after both.
    for s in ["read", "delivered", "sent", "failed"] {
        hook(&app, key, &secret("statuses"), &status(s)).await.assert_status(200);
    }
    eventually(Duration::from_secs(10), "the status to be read", || async {
        (out_status().await == "read").then_some(())
    })
    .await;
    quiet().await;
    assert_eq!(out_status().await, "read");
    // The same status twice changes nothing either.
    hook(&app, key, &secret("statuses"), &status("read")).await.assert_status(200);
    assert_eq!(out_status().await, "read");
}

#[tokio::test]
async fn a_channel_id_routes_only_to_its_company() {
    let app = app().await;
    let a = company(&app, "routea").await;
    let b = company(&app, "routeb").await;
    let g = graph::start(graph::Config::default()).await.unwrap();
    // Both companies claim the same phone number id.
    let cha = whatsapp(&app, &a, "routea", &g, "1550005").await;
    let chb = whatsapp(&app, &b, "routeb", &g, "1550005").await;
    let other = whatsapp(&app, &b, "routeb2", &g, "1550006").await;
    let _ = other;
    // To A's URL with A's signature: A's only.
    customer_says(&app, &cha, "routea", "919800000005", "wamid.R1", "hello A").await;
    // B's secret on A's URL: refused.
    let body = graph::whatsapp_text("1550005", "919800000005", "X", "wamid.R2", "hello B");
    hook(&app, cha["public_key"].as_str().unwrap(), &secret("routeb"), &body)
        .await
        .assert_problem(401, "invalid_signature");
    // A payload for B's other number, signed with A's secret, on A's URL:
    // answered 200 and ignored.
    let body =
        graph::whatsapp_text("1550006", "919800000006", "X", "wamid.R3", "for B's other number");
    hook(&app, cha["public_key"].as_str().unwrap(), &secret("routea"), &body)
        .await
        .assert_status(200);
    let _ = chb;
    settled(&app, &a, 1).await;
    quiet().await;
    let ca = conversations(&app, &a).await;
    assert_eq!(ca.len(), 1);
    let cb = conversations(&app, &b).await;
    assert!(cb.is_empty(), "B saw {cb:?}");
    let c = conversation(&app, &a, ca[0]["id"].as_str().unwrap()).await;
    assert!(c["messages"].as_array().unwrap().iter().all(|m| m["body"] != "for B's other number"));
}

#[tokio::test]
async fn a_graph_api_that_is_down_then_up_delivers_the_reply_once() {
    let app = app().await;
    let owner = company(&app, "outage").await;
    let g = graph::start(graph::Config::default()).await.unwrap();
    let ch = whatsapp(&app, &owner, "outage", &g, "1550007").await;
    g.state.fail(Fault { status: 503, count: 0 });
    customer_says(&app, &ch, "outage", "919800000007", "wamid.OUT1", "hello").await;
    eventually(Duration::from_secs(30), "two refused attempts", || async {
        (g.state.refused() >= 2).then_some(())
    })
    .await;
    let c = settled(&app, &owner, 2).await;
    assert_eq!(c["messages"][1]["status"], "queued", "still trying: {c}");
    g.state.recover();
    let sent = sent_to(&g, "919800000007", 1).await;
    assert_eq!(sent[0].kind, "text");
    eventually(Duration::from_secs(10), "the reply marked sent", || async {
        let c = settled(&app, &owner, 2).await;
        (c["messages"][1]["status"] == "sent").then_some(())
    })
    .await;
    quiet().await;
    assert_eq!(g.state.sent_to("919800000007").len(), 1);
    // 429 is retried too.
    g.state.fail(Fault { status: 429, count: 1 });
    customer_says(&app, &ch, "outage", "919800000007", "wamid.OUT2", "thanks").await;
    sent_to(&g, "919800000007", 2).await;
}

#[tokio::test]
async fn instagram_messages_are_deduplicated_and_echoes_skipped() {
    let app = app().await;
    let owner = company(&app, "insta").await;
    let g = graph::start(graph::Config::default()).await.unwrap();
    let ch = instagram(&app, &owner, "insta", &g, "17840000001").await;
    let key = ch["public_key"].as_str().unwrap();
    let body = graph::instagram_text("17840000001", "IGSID-1", "mid.IG1", "hello");
    for _ in 0..3 {
        hook(&app, key, &secret("insta"), &body).await.assert_status(200);
    }
    let mut echo =
        graph::instagram_text("17840000001", "17840000001", "mid.IG2", "our own message");
    echo["entry"][0]["messaging"][0]["message"]["is_echo"] = json!(true);
    echo["entry"][0]["messaging"][0]["recipient"]["id"] = json!("IGSID-1");
    hook(&app, key, &secret("insta"), &echo).await.assert_status(200);
    let sent = sent_to(&g, "IGSID-1", 1).await;
    assert_eq!(sent[0].product, "instagram");
    assert_eq!(sent[0].from_id, "17840000001");
    let c = settled(&app, &owner, 2).await;
    assert_eq!(c["messages"].as_array().unwrap().len(), 2, "{c}");
    assert_eq!(c["channel_kind"], "instagram");
}
