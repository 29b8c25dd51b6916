//! Subscription API against a mock.

use crate::common;

use common::*;
use midtrans_client::subscription::{IntervalUnit, Schedule, SubscriptionStatus};
use midtrans_client::{CreateSubscription, Error, Idr, PaymentType, UpdateSubscription};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::{body_json, method, path};

const ID: &str = "d98a63b8-97e4-4059-825f-0f62340407e9";

#[tokio::test]
async fn create_sends_amount_as_string() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .and(body_json(json!({
            "name": "MONTHLY_2019",
            "amount": "14000",
            "currency": "IDR",
            "payment_type": "credit_card",
            "token": "436502qFfqfAQKScMtPRPdZDOaeg7199",
            "schedule": {"interval": 1, "interval_unit": "month", "max_interval": 12,
                         "start_time": "2019-05-29 09:11:01 +0700"},
            "metadata": {"description": "Recurring payment for A"}
        })))
        .respond_with(json_response(200, &fixture("subscriptions/create.json")))
        .expect(1)
        .mount(&server)
        .await;
    let req = CreateSubscription::credit_card(
        "MONTHLY_2019",
        Idr::new(14_000),
        "436502qFfqfAQKScMtPRPdZDOaeg7199",
        Schedule::every(1, IntervalUnit::Month)
            .max_interval(12)
            .start_time("2019-05-29 09:11:01 +0700"),
    )
    .metadata(json!({"description": "Recurring payment for A"}));
    let s = client(&server).create_subscription(&req).await.unwrap();
    assert_eq!(s.id, ID);
    assert_eq!(s.amount, Some(Idr::new(14_000)));
    assert_eq!(s.status, Some(SubscriptionStatus::Active));
    assert_eq!(s.payment_type, Some(PaymentType::CreditCard));
    assert_eq!(
        s.schedule.unwrap().next_execution_at.as_deref(),
        Some("2019-06-29 09:11:01")
    );
}

#[tokio::test]
async fn gopay_subscription_body() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .and(wiremock::matchers::body_partial_json(json!({
            "payment_type": "gopay",
            "gopay": {"account_id": "0dd2cd90-a9a9-4a09-b393-21162dfb713b"}
        })))
        .respond_with(json_response(200, &fixture("subscriptions/create.json")))
        .expect(1)
        .mount(&server)
        .await;
    let req = CreateSubscription::gopay(
        "WEEKLY",
        Idr::new(5000),
        "eyJ0eXBlIjogIkdPUEFZX1dBTExFVCIsICJpZCI6ICIifQ==",
        "0dd2cd90-a9a9-4a09-b393-21162dfb713b",
        Schedule::every(1, IntervalUnit::Week),
    );
    client(&server).create_subscription(&req).await.unwrap();
}

#[tokio::test]
async fn get_update_enable_disable_cancel() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/subscriptions/{ID}")))
        .respond_with(json_response(200, &fixture("subscriptions/get.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/subscriptions/{ID}")))
        .and(body_json(
            json!({"amount": "20000", "currency": "IDR", "schedule": {"interval": 2}}),
        ))
        .respond_with(json_response(200, &fixture("subscriptions/updated.json")))
        .expect(1)
        .mount(&server)
        .await;
    for (action, file) in [
        ("enable", "enabled"),
        ("disable", "disabled"),
        ("cancel", "cancelled"),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v1/subscriptions/{ID}/{action}")))
            .respond_with(json_response(
                200,
                &fixture(&format!("subscriptions/{file}.json")),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let s = c.get_subscription(ID).await.unwrap();
    assert_eq!(s.transaction_ids.as_ref().unwrap().len(), 2);
    assert_eq!(s.schedule.as_ref().unwrap().current_interval, Some(2));
    let ack = c
        .update_subscription(
            ID,
            &UpdateSubscription::default()
                .amount(Idr::new(20_000))
                .interval(2),
        )
        .await
        .unwrap();
    assert_eq!(
        ack.status_message.as_deref(),
        Some("Subscription is updated.")
    );
    assert_eq!(
        c.enable_subscription(ID)
            .await
            .unwrap()
            .status_message
            .as_deref(),
        Some("Subscription is enabled.")
    );
    assert_eq!(
        c.disable_subscription(ID)
            .await
            .unwrap()
            .status_message
            .as_deref(),
        Some("Subscription is disabled.")
    );
    assert_eq!(
        c.cancel_subscription(ID)
            .await
            .unwrap()
            .status_message
            .as_deref(),
        Some("Subscription is cancelled.")
    );
}

#[tokio::test]
async fn errors_keep_validation_messages() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .respond_with(json_response(400, &fixture("subscriptions/error_400.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/nope"))
        .respond_with(json_response(404, &fixture("subscriptions/error_404.json")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let req = CreateSubscription::credit_card(
        "X",
        Idr::new(1),
        "t",
        Schedule::every(1, IntervalUnit::Day),
    );
    let err = c.create_subscription(&req).await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.http_status, 400);
    assert_eq!(api.status_message.as_deref(), Some("Bad request"));
    assert_eq!(api.validation_messages.len(), 2);
    let err = c.get_subscription("nope").await.unwrap_err();
    assert_eq!(
        err.api().unwrap().status_message.as_deref(),
        Some("Subscription doesn't exist.")
    );
}

#[tokio::test]
async fn invalid_subscriptions_are_rejected_locally() {
    let server = server().await;
    let c = client(&server);
    let s = Schedule::every(1, IntervalUnit::Month);
    for req in [
        CreateSubscription::credit_card("has space", Idr::new(1), "t", s.clone()),
        CreateSubscription::credit_card("x".repeat(41), Idr::new(1), "t", s.clone()),
        CreateSubscription::credit_card("ok", Idr::new(0), "t", s.clone()),
        CreateSubscription::credit_card("ok", Idr::new(1), "", s.clone()),
        CreateSubscription::credit_card(
            "ok",
            Idr::new(1),
            "t",
            Schedule::every(0, IntervalUnit::Day),
        ),
    ] {
        assert!(
            matches!(
                c.create_subscription(&req).await,
                Err(Error::InvalidRequest(_))
            ),
            "{req:?}"
        );
    }
    assert!(matches!(
        c.get_subscription(" ").await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}
