//! The console is served at `/`: the app's routes fall back to its page,
//! hashed assets are cached for good, and nothing of it shadows the API.

use std::path::Path;

use testkit::TestApp;

fn built() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist/index.html").exists()
}

#[tokio::test]
async fn console_pages_carry_a_policy_without_inline_script() {
    let app = TestApp::spawn().await;
    for path in
        ["/", "/team", "/webhooks/0190c5c8-0000-7000-8000-000000000000", "/login?next=%2Faudit"]
    {
        let r = app.get(path).send().await;
        r.assert_status(200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        if built() {
            assert!(r.text().contains("<div id=\"root\">"), "{path}");
        } else {
            assert!(r.text().contains("not built"), "{path}");
        }
    }
}

#[tokio::test]
async fn the_api_is_not_shadowed_by_the_console() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/nothing-here", "/v1/nothing", "/.well-known/nothing", "/api"] {
        let r = app.get(path).send().await;
        r.assert_problem(404, "not_found");
    }
    // Only GET and HEAD reach the console.
    app.post("/team").json(&serde_json::json!({})).send().await.assert_problem(404, "not_found");
    app.get("/healthz").send().await.assert_status(200);
}

#[tokio::test]
async fn hashed_assets_are_cached_and_revalidated() {
    if !built() {
        // `make test` builds the console first; without it there are no assets.
        let r = TestApp::spawn().await.get("/assets/index.js").send().await;
        r.assert_problem(404, "not_found");
        return;
    }
    let app = TestApp::spawn().await;
    let page = app.get("/").send().await.text();
    let asset = page
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
        .expect("the page names its script")
        .to_string();
    let r = app.get(&asset).send().await;
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let etag = r.header("etag").unwrap().to_string();
    let again = app.get(&asset).header("if-none-match", &etag).send().await;
    again.assert_status(304);
    assert!(again.bytes().is_empty());
    // A stale page asking for an old release's asset gets a 404, not the page.
    app.get("/assets/index-gone.js").send().await.assert_problem(404, "not_found");
}
