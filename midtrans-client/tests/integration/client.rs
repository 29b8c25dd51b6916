//! Client behaviour: per-merchant credentials, per-call options, timeouts,
//! retries, redaction.

use crate::common;

use std::time::Duration;

use common::*;
use midtrans_client::{
    BaseUrls, Environment, Error, MidtransClient, OrderId, RequestOptions, RetryPolicy,
};
use url::Url;
use wiremock::matchers::{header, header_exists, headers, method, path};
use wiremock::{Mock, ResponseTemplate};

fn order() -> OrderId {
    OrderId::new("ORDER-101").unwrap()
}

#[tokio::test]
async fn each_client_uses_its_own_key() {
    let server = server().await;
    for key in ["SB-Mid-server-A", "SB-Mid-server-B"] {
        Mock::given(method("GET"))
            .and(path("/v2/ORDER-101/status"))
            .and(header("authorization", basic_auth(key).as_str()))
            .respond_with(json_response(
                200,
                &fixture("transactions/status_settlement.json"),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let urls = BaseUrls::for_mock(&server.uri()).unwrap();
    let a =
        MidtransClient::new("SB-Mid-server-A", Environment::Sandbox).with_base_urls(urls.clone());
    let b = MidtransClient::new("SB-Mid-server-B", Environment::Sandbox).with_base_urls(urls);
    let (ra, rb) = tokio::join!(a.status(order()), b.status(order()));
    ra.unwrap();
    rb.unwrap();
}

#[tokio::test]
async fn per_call_headers() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .and(header("idempotency-key", "k-1"))
        .and(headers(
            "x-override-notification",
            vec!["https://a.example/n", "https://b.example/n"],
        ))
        .and(header("x-append-notification", "https://c.example/n"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_settlement.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let opts = RequestOptions::default()
        .idempotency_key("k-1")
        .override_notification(Url::parse("https://a.example/n").unwrap())
        .override_notification(Url::parse("https://b.example/n").unwrap())
        .append_notification(Url::parse("https://c.example/n").unwrap());
    c.with_options(opts).status(&order()).await.unwrap();
}

#[tokio::test]
async fn options_do_not_leak_to_the_original_client() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .and(header_exists("idempotency-key"))
        .respond_with(ResponseTemplate::new(500).set_body_string("should not have a key"))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_settlement.json"),
        ))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let _with_key = c.with_options(RequestOptions::default().idempotency_key("k"));
    c.status(&order()).await.unwrap();
}

#[tokio::test]
async fn timeouts_are_enforced() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(
            json_response(200, &fixture("transactions/status_settlement.json"))
                .set_delay(Duration::from_secs(10)),
        )
        .mount(&server)
        .await;
    let c = client(&server).with_retry_policy(RetryPolicy::none());
    // Per-call timeout.
    let err = c
        .with_options(RequestOptions::default().timeout(Duration::from_millis(50)))
        .status(&order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_retryable());
    // Client-wide timeout.
    let err = c
        .with_timeout(Duration::from_millis(50))
        .status(&order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
}

#[tokio::test]
async fn retries_give_up_after_the_policy() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            503,
            r#"{"status_code":"503","status_message":"down"}"#,
        ))
        .expect(3) // 1 + max_retries(2)
        .mount(&server)
        .await;
    let err = client(&server).status(&order()).await.unwrap_err();
    assert_eq!(err.api().unwrap().status_code.as_deref(), Some("503"));
}

#[tokio::test]
async fn wrong_path_hits_the_catch_all() {
    // Guard for the test setup itself: an unmocked call fails loudly.
    let server = server().await;
    let err = client(&server)
        .with_retry_policy(RetryPolicy::none())
        .status(&order())
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.http_status, 500);
    assert_eq!(api.body, "unexpected request");
}

#[tokio::test]
async fn invalid_options_are_rejected_before_sending() {
    let server = server().await;
    let u = Url::parse("https://a.example/n").unwrap();
    let opts = RequestOptions {
        append_notification: vec![u.clone(), u.clone(), u.clone(), u],
        ..RequestOptions::default()
    };
    let err = client(&server)
        .with_options(opts)
        .status(&order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn debug_redacts_the_server_key() {
    let c = MidtransClient::new("SB-Mid-server-VERY-SECRET", Environment::Production);
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("VERY-SECRET"), "{dbg}");
    assert!(dbg.contains("Production"));
    assert!(dbg.contains("api.midtrans.com"));
}

#[test]
fn environments_have_the_documented_hosts() {
    let s = BaseUrls::for_environment(Environment::Sandbox);
    assert_eq!(s.core.host_str(), Some("api.sandbox.midtrans.com"));
    assert_eq!(s.snap.as_str(), "https://app.sandbox.midtrans.com/snap/v1");
    let p = BaseUrls::for_environment(Environment::Production);
    assert_eq!(p.core.host_str(), Some("api.midtrans.com"));
    assert_eq!(p.iris.as_str(), "https://app.midtrans.com/iris");
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_kept_and_retried() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(
            json_response(
                429,
                r#"{"status_code":"429","status_message":"Too many requests"}"#,
            )
            .insert_header("retry-after", "0"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_settlement.json"),
        ))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    client(&server).status(&order()).await.unwrap();

    // Without retries the error carries the hint.
    let server2 = common::server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(
            json_response(
                429,
                r#"{"status_code":"429","status_message":"Too many requests"}"#,
            )
            .insert_header("retry-after", "7"),
        )
        .mount(&server2)
        .await;
    let err = client(&server2)
        .with_retry_policy(RetryPolicy::none())
        .status(&order())
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}
