//! The console's session: the refresh token lives in an HttpOnly cookie
//! (`Tessera-Session: cookie`), never in a body a page script can read.

use serde_json::json;
use testkit::{TestApp, TestResponse};

const PASSWORD: &str = "velvet-orbit-canyon-42";

/// The `Set-Cookie` values of a response.
fn set_cookies(r: &TestResponse) -> Vec<String> {
    r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

/// The refresh cookie's `name=value`, as a browser would send it back.
fn refresh_cookie(r: &TestResponse) -> String {
    let c = set_cookies(r).into_iter().find(|c| c.starts_with("tessera_refresh=")).unwrap();
    c.split(';').next().unwrap().to_string()
}

async fn signed_up(app: &TestApp) -> TestResponse {
    app.post("/api/v1/auth/signup")
        .header("tessera-session", "cookie")
        .json(&json!({ "company_name": "Cookie Traders", "email": "c@cookie.example", "password": PASSWORD }))
        .send()
        .await
}

#[tokio::test]
async fn the_refresh_token_is_kept_in_an_http_only_cookie() {
    let app = TestApp::spawn().await;
    let r = signed_up(&app).await;
    r.assert_status(201);
    let body = r.json();
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none(), "no refresh token in the body: {body}");
    let cookies = set_cookies(&r);
    let refresh = cookies.iter().find(|c| c.starts_with("tessera_refresh=tsr_")).unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth", "Max-Age="] {
        assert!(refresh.contains(attr), "{refresh}");
    }
    // A readable companion says a session exists, and holds no secret.
    let hint = cookies.iter().find(|c| c.starts_with("tessera_signed_in=")).unwrap();
    assert!(hint.starts_with("tessera_signed_in=1;") && !hint.contains("HttpOnly"), "{hint}");
    assert_eq!(r.header("cache-control"), Some("no-store"));

    // Without the header a client gets the token in the body, as before.
    let plain = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "c@cookie.example", "password": PASSWORD }))
        .send()
        .await;
    assert!(plain.json()["refresh_token"].as_str().unwrap().starts_with("tsr_"));
    assert!(set_cookies(&plain).is_empty());
}

#[tokio::test]
async fn the_cookie_renews_the_session_once_and_sign_out_clears_it() {
    let app = TestApp::spawn().await;
    let first = refresh_cookie(&signed_up(&app).await);

    // Renewing needs the header (so another site cannot make a browser do it).
    app.post("/api/v1/auth/session/refresh")
        .header("cookie", &first)
        .send()
        .await
        .assert_problem(400, "invalid_parameter");
    app.post("/api/v1/auth/session/refresh")
        .header("tessera-session", "cookie")
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    app.post("/api/v1/auth/session/refresh")
        .header("tessera-session", "bearer")
        .send()
        .await
        .assert_problem(400, "invalid_parameter");

    let renewed = app
        .post("/api/v1/auth/session/refresh")
        .header("tessera-session", "cookie")
        .header("cookie", &format!("other=1; {first}"))
        .send()
        .await;
    renewed.assert_status(200);
    let access = renewed.json()["access_token"].as_str().unwrap().to_string();
    assert!(renewed.json().get("refresh_token").is_none());
    let second = refresh_cookie(&renewed);
    assert_ne!(first, second, "the refresh token rotates");
    app.get("/api/v1/me").bearer(&access).send().await.assert_status(200);

    // The first cookie was used: presenting it again ends the whole session.
    app.post("/api/v1/auth/session/refresh")
        .header("tessera-session", "cookie")
        .header("cookie", &first)
        .send()
        .await
        .assert_status(401);
    app.post("/api/v1/auth/session/refresh")
        .header("tessera-session", "cookie")
        .header("cookie", &second)
        .send()
        .await
        .assert_status(401);

    // Sign out clears both cookies, and works even when the session ended.
    let fresh = app
        .post("/api/v1/auth/login")
        .header("tessera-session", "cookie")
        .json(&json!({ "email": "c@cookie.example", "password": PASSWORD }))
        .send()
        .await;
    let third = refresh_cookie(&fresh);
    let out = app
        .post("/api/v1/auth/logout")
        .header("tessera-session", "cookie")
        .header("cookie", &third)
        .send()
        .await;
    out.assert_status(204);
    let cleared = set_cookies(&out);
    assert!(
        cleared.iter().any(|c| c.starts_with("tessera_refresh=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    assert!(
        cleared.iter().any(|c| c.starts_with("tessera_signed_in=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    app.post("/api/v1/auth/session/refresh")
        .header("tessera-session", "cookie")
        .header("cookie", &third)
        .send()
        .await
        .assert_status(401);
    app.post("/api/v1/auth/logout")
        .header("tessera-session", "cookie")
        .header("cookie", &third)
        .send()
        .await
        .assert_status(204);
}
