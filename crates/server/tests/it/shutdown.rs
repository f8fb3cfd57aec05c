//! Graceful shutdown: requests in flight finish, new ones are refused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use kernel::AppState;
use testkit::TestApp;
use tokio::sync::Notify;

/// A route that says when its handler has started, then works for `work`.
fn slow_route(path: &str, work: Duration, started: Arc<Notify>) -> Router<AppState> {
    Router::new().route(
        path,
        get(move || {
            let started = started.clone();
            async move {
                started.notify_one();
                tokio::time::sleep(work).await;
                "finished"
            }
        }),
    )
}

#[tokio::test]
async fn requests_in_flight_finish_before_the_server_stops() {
    let started = Arc::new(Notify::new());
    let slow = slow_route("/test/slow", Duration::from_millis(600), started.clone());
    let app = TestApp::builder().routes(slow).build().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        app.router(),
        async {
            let _ = stop_rx.await;
        },
        Duration::from_secs(10),
    ));

    let in_flight = tokio::spawn(async move {
        testkit::http().get(format!("http://{addr}/test/slow")).send().await
    });
    // The request is in flight once its handler runs.
    started.notified().await;
    let stopping = Instant::now();
    stop_tx.send(()).unwrap();

    let resp = in_flight.await.unwrap().expect("the request in flight is answered");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "finished");
    server.await.unwrap().unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(5));
    assert!(
        testkit::http().get(format!("http://{addr}/healthz")).send().await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn the_grace_period_bounds_shutdown() {
    let started = Arc::new(Notify::new());
    let hang = slow_route("/test/hang", Duration::from_secs(20), started.clone());
    let app = TestApp::builder().routes(hang).build().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        app.router(),
        async {
            let _ = stop_rx.await;
        },
        Duration::from_millis(300),
    ));
    let _hung = tokio::spawn(async move {
        testkit::http().get(format!("http://{addr}/test/hang")).send().await
    });
    started.notified().await;
    let stopping = Instant::now();
    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    let took = stopping.elapsed();
    assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(3), "{took:?}");
}
