//! The server starts on both databases, answers the probes, serves its
//! OpenAPI document and metrics, and stops on its shutdown signal.

use crate::common;

use common::{DbKind, data, spawn_app};
use serde_json::Value;

async fn probes_openapi_metrics_and_shutdown(kind: DbKind) {
    let app = spawn_app(kind).await;
    let addr = app.addr;

    let body: Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ok");
    let body: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ok");

    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["paths"]["/api/v1/auth/login"]["post"].is_object(),
        "{doc}"
    );
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());

    // Errors use the envelope; unknown credentials are 401.
    let res = app.get("/api/v1/me", "wss_not-a-real-token").await;
    assert_eq!(common::error_code(res, 401).await, "unauthorized");
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(common::error_code(res, 400).await, "invalid_json");

    // Seeded plans are public.
    let plans = data(
        app.client
            .get(app.url("/api/v1/plans"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(
        plans
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "basic")
    );

    let metrics = app.metrics().await;
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/plans\""), "{metrics}");

    app.stop().await;
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err(),
        "server still answers after shutdown"
    );
}

both_dbs!(probes_openapi_metrics_and_shutdown);

async fn body_limit_applies(kind: DbKind) {
    let app = common::spawn_app_with(kind, |c| c.body_limit_bytes = 1024).await;
    let big = serde_json::json!({"email": "a@b.co", "password": "x".repeat(4096)});
    let res = app.post_anon("/api/v1/auth/login", big).await;
    assert_eq!(common::error_code(res, 413).await, "payload_too_large");
}

both_dbs!(body_limit_applies);

async fn unknown_routes_and_methods_use_the_error_envelope(kind: DbKind) {
    let app = spawn_app(kind).await;
    for path in ["/nope", "/api/v1/does-not-exist", "/api/v1/plans/x/y/z"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "application/json", "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(path),
            "{body}"
        );
    }
    let res = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // A known path with a method it does not have: 405 with `Allow`.
    let res = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    let allow = res.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    assert_eq!(common::error_code(res, 405).await, "method_not_allowed");
    let res = app
        .client
        .put(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(common::error_code(res, 405).await, "method_not_allowed");
    app.stop().await;
}

both_dbs!(unknown_routes_and_methods_use_the_error_envelope);
