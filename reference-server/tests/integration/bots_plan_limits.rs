//! Bot replies and the vendor's plan: an expired subscription or a month's
//! messages used up silence the bot (the customer's message is still
//! stored for the inbox, with the reason it went unanswered); a renewed
//! plan brings it back.

use crate::bots_support;
use crate::common;

use common::{DbKind, data, spawn_app};
use reference_server::billing::limits::{self, Limit};
use serde_json::{Value, json};

const CUSTOMER: &str = "0812-7777-0202";

async fn inject(app: &common::TestApp, token: &str, dev: &str, text: &str) -> Value {
    bots_support::inject(app, token, dev, CUSTOMER, text).await
}

async fn messages_in(app: &common::TestApp, token: &str) -> usize {
    let convs = data(app.get("/api/v1/conversations", token).await, 200).await;
    let id = convs[0]["id"].as_str().unwrap();
    let msgs = data(
        app.get(&format!("/api/v1/conversations/{id}/messages"), token)
            .await,
        200,
    )
    .await;
    msgs.as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "in")
        .count()
}

async fn plan_gates_bot_replies(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Paket").await;
    let dev = bots_support::simulator_device(
        &app,
        &v.token,
        json!({}),
        json!([{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]),
    )
    .await;
    // The trial plan answers.
    assert_eq!(inject(&app, &v.token, &dev, "harga?").await["replies"], 1);
    let pool = &app.state.pool;

    // Expired: stored, not answered.
    sqlx::query("UPDATE subscriptions SET expires_at = $1 WHERE tenant_id = $2")
        .bind(reference_server::db::now_ms() - 1)
        .bind(&v.tenant_id)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        inject(&app, &v.token, &dev, "harga lagi?").await["replies"],
        0
    );
    assert_eq!(messages_in(&app, &v.token).await, 2, "the message is kept");

    // Renewed but the month's messages used up (trial: 1,000).
    sqlx::query("UPDATE subscriptions SET expires_at = $1 WHERE tenant_id = $2")
        .bind(reference_server::db::now_ms() + 86_400_000)
        .bind(&v.tenant_id)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(inject(&app, &v.token, &dev, "harga 3?").await["replies"], 1);
    let used = limits::usage(pool, &v.tenant_id.as_str().into(), Limit::MessagesPerMonth)
        .await
        .unwrap();
    limits::record(
        pool,
        &v.tenant_id.as_str().into(),
        Limit::MessagesPerMonth,
        1000 - used,
    )
    .await
    .unwrap();
    assert_eq!(inject(&app, &v.token, &dev, "harga 4?").await["replies"], 0);
    assert_eq!(messages_in(&app, &v.token).await, 4);
    // The unanswered messages say why; the answered ones say nothing, and
    // each bot reply names its rule.
    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    let id = convs[0]["id"].as_str().unwrap();
    let msgs = data(
        app.get(&format!("/api/v1/conversations/{id}/messages"), &v.token)
            .await,
        200,
    )
    .await;
    let why: Vec<(String, Value)> = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["body"].as_str().unwrap_or_default().to_owned(),
                m["reason"]["kind"].clone(),
            )
        })
        .collect();
    assert_eq!(
        why,
        [
            ("harga?".to_owned(), Value::Null),
            ("Harga mulai Rp10.000".to_owned(), json!("keyword_rule")),
            ("harga lagi?".to_owned(), json!("plan_limit")),
            ("harga 3?".to_owned(), Value::Null),
            ("Harga mulai Rp10.000".to_owned(), json!("keyword_rule")),
            ("harga 4?".to_owned(), json!("plan_limit")),
        ]
    );
    assert_eq!(
        limits::usage(pool, &v.tenant_id.as_str().into(), Limit::MessagesPerMonth)
            .await
            .unwrap(),
        1000,
        "a silent bot counts nothing"
    );
}
both_dbs!(plan_gates_bot_replies);
