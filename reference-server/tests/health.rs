//! The server starts, answers `/healthz`, and stops on its shutdown signal.

use std::net::SocketAddr;

#[tokio::test]
async fn healthz_answers_and_shutdown_is_graceful() {
    let (listener, addr) = reference_server::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(reference_server::serve(listener, async {
        let _ = rx.await;
    }));

    let body: serde_json::Value = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ok");

    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(
        reqwest::get(format!("http://{addr}/healthz")).await.is_err(),
        "server still answers after shutdown"
    );
}
