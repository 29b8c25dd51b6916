//! The inbound webhook of a Cloud API device over HTTP: signature checks,
//! keyword-rules replies sent to the (mocked) Cloud API, de-duplication of
//! provider retries, status webhooks updating stored statuses, and a banned
//! vendor's webhooks accepted without bot replies; a provider reusing a
//! message id; campaign messages delivered, read and replied through
//! webhooks; keyword-rule hits counted per day.

use crate::bots_support;
use crate::campaigns_support;
use crate::common;

use bots_support::{cloud_status, cloud_text, keyword_config, sign};
use common::{DbKind, data, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const PNID: &str = "106540352242922";
pub(crate) const SECRET: &str = "meta-app-secret-42";
const CUSTOMER: &str = "6281298765432";

pub(crate) async fn post_webhook(
    app: &common::TestApp,
    device: &str,
    body: &str,
    signature: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/webhooks/whatsapp/{device}")))
        .header("content-type", "application/json")
        .header("X-Hub-Signature-256", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

pub(crate) async fn messages(app: &common::TestApp, token: &str) -> Vec<Value> {
    let convs = data(app.get("/api/v1/conversations", token).await, 200).await;
    let Some(c) = convs.as_array().unwrap().first() else {
        return Vec::new();
    };
    let id = c["id"].as_str().unwrap();
    data(
        app.get(&format!("/api/v1/conversations/{id}/messages"), token)
            .await,
        200,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

/// A Cloud API device sending to `meta_uri`, answering with keyword rules.
pub(crate) async fn cloud_device_with_rules(
    app: &common::TestApp,
    token: &str,
    meta_uri: &str,
) -> String {
    let d = data(
        app.post(
            "/api/v1/devices",
            token,
            json!({"name": "Cloud", "provider": {
                "kind": "cloud_api", "phone_number_id": PNID, "access_token": "EAAG-token",
                "app_secret": SECRET, "verify_token": "vt", "base_url": meta_uri
            }}),
        )
        .await,
        201,
    )
    .await;
    let dev = d["id"].as_str().unwrap().to_owned();
    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(token),
            Some(json!({"plugins": [{"plugin": "keyword-rules", "config": keyword_config()}]})),
        )
        .await,
        200,
    )
    .await;
    dev
}

async fn cloud_api_webhook(kind: DbKind) {
    bots_support::ensure_plugins();
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(format!(r"^/v[0-9.]+/{PNID}/messages$")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": CUSTOMER, "wa_id": CUSTOMER}],
            "messages": [{"id": "wamid.OUT1"}]
        })))
        .up_to_n_times(1)
        .mount(&meta)
        .await;
    // Meta never reuses a message id: the second send gets its own.
    Mock::given(method("POST"))
        .and(path_regex(format!(r"^/v[0-9.]+/{PNID}/messages$")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": CUSTOMER, "wa_id": CUSTOMER}],
            "messages": [{"id": "wamid.OUT2"}]
        })))
        .mount(&meta)
        .await;

    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Cloud").await;
    let dev = cloud_device_with_rules(&app, &v.token, &meta.uri()).await;

    // A tampered body (signed for another text) is refused; nothing stored.
    let body = cloud_text(PNID, CUSTOMER, "Budi", "wamid.IN1", "berapa harga?");
    let other = cloud_text(PNID, CUSTOMER, "Budi", "wamid.IN1", "halo");
    let res = post_webhook(&app, &dev, &body, &sign(SECRET, &other)).await;
    assert_eq!(res.status(), 403);
    let res = post_webhook(&app, &dev, &body, &sign("wrong-secret", &body)).await;
    assert_eq!(res.status(), 403);
    let res = post_webhook(&app, &dev, &body, "").await;
    assert_eq!(res.status(), 403);
    assert!(messages(&app, &v.token).await.is_empty());
    assert!(meta.received_requests().await.unwrap().is_empty());

    // Valid: stored, answered once through the Cloud API.
    let s = data(
        post_webhook(&app, &dev, &body, &sign(SECRET, &body)).await,
        200,
    )
    .await;
    assert_eq!(s["messages"], 1);
    assert_eq!(s["replies"], 1);
    let sent = meta.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    let payload: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(payload["to"], CUSTOMER);
    assert_eq!(payload["text"]["body"], "Harga mulai Rp10.000");

    // Meta retries the same delivery: no second reply, no second row.
    for _ in 0..2 {
        let s = data(
            post_webhook(&app, &dev, &body, &sign(SECRET, &body)).await,
            200,
        )
        .await;
        assert_eq!(s["duplicates"], 1);
        assert_eq!(s["replies"], 0);
    }
    assert_eq!(meta.received_requests().await.unwrap().len(), 1);
    let msgs = messages(&app, &v.token).await;
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0]["direction"], "in");
    assert_eq!(msgs[0]["body"], "berapa harga?");
    assert_eq!(msgs[1]["direction"], "out");
    assert_eq!(msgs[1]["provider_message_id"], "wamid.OUT1");
    assert_eq!(msgs[1]["status"], "sent");

    // Status webhooks move the stored status forward, never back.
    for (status, expect) in [
        ("delivered", "delivered"),
        ("sent", "delivered"),
        ("read", "read"),
        ("delivered", "read"),
    ] {
        let b = cloud_status(PNID, "wamid.OUT1", status, CUSTOMER);
        data(post_webhook(&app, &dev, &b, &sign(SECRET, &b)).await, 200).await;
        let msgs = messages(&app, &v.token).await;
        assert_eq!(msgs[1]["status"], expect, "after {status}");
    }
    // An unsigned status update changes nothing.
    let b = cloud_status(PNID, "wamid.OUT1", "failed", CUSTOMER);
    assert_eq!(
        post_webhook(&app, &dev, &b, "sha256=00").await.status(),
        403
    );
    assert_eq!(messages(&app, &v.token).await[1]["status"], "read");

    // A second message from the customer gets the default reply.
    let body2 = cloud_text(PNID, CUSTOMER, "Budi", "wamid.IN2", "selamat pagi");
    let s = data(
        post_webhook(&app, &dev, &body2, &sign(SECRET, &body2)).await,
        200,
    )
    .await;
    assert_eq!(s["replies"], 1);
    let sent = meta.received_requests().await.unwrap();
    let payload: Value = serde_json::from_slice(&sent[1].body).unwrap();
    assert_eq!(
        payload["text"]["body"],
        "Terima kasih, pesan Anda sudah kami terima."
    );

    // A banned vendor's webhooks are accepted and stored, but not answered.
    let admin = app.admin_token().await;
    data(
        app.post(
            &format!("/api/v1/admin/vendors/{}/ban", v.tenant_id),
            &admin,
            json!({"reason": "test"}),
        )
        .await,
        200,
    )
    .await;
    let body3 = cloud_text(PNID, CUSTOMER, "Budi", "wamid.IN3", "harga?");
    let s = data(
        post_webhook(&app, &dev, &body3, &sign(SECRET, &body3)).await,
        200,
    )
    .await;
    assert_eq!(s["messages"], 1);
    assert_eq!(s["replies"], 0);
    assert_eq!(meta.received_requests().await.unwrap().len(), 2);
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM messages WHERE device_id = $1 AND direction = 'in'")
            .bind(&dev)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(n, 3);
    app.stop().await;
}
both_dbs!(cloud_api_webhook);

async fn fonnte_webhook_token(kind: DbKind) {
    bots_support::ensure_plugins();
    let fonnte = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/send$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": true, "id": ["80367170"], "process": "pending"})),
        )
        .mount(&fonnte)
        .await;
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Fonnte").await;
    let d = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Fonnte", "provider": {"kind": "fonnte", "token": "fonnte-device-token", "base_url": fonnte.uri()}}),
        )
        .await,
        201,
    )
    .await;
    let dev = d["id"].as_str().unwrap().to_owned();
    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(json!({"plugins": [{"plugin": "keyword-rules", "config": keyword_config()}]})),
        )
        .await,
        200,
    )
    .await;
    let body = json!({"device": "6281100000000", "sender": CUSTOMER, "message": "harga", "name": "Sari", "inboxid": "501"})
        .to_string();
    let post = |query: &'static str| {
        let req = app
            .client
            .post(app.url(&format!("/webhooks/whatsapp/{dev}{query}")))
            .header("content-type", "application/json")
            .body(body.clone());
        async move { req.send().await.unwrap() }
    };
    assert_eq!(post("").await.status(), 403);
    assert_eq!(post("?token=wrong").await.status(), 403);
    let s = data(post("?token=fonnte-device-token").await, 200).await;
    assert_eq!(s["replies"], 1);
    let s = data(post("?token=fonnte-device-token").await, 200).await;
    assert_eq!(s["duplicates"], 1);
    let sent = fonnte.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&sent[0].body)
            .into_owned()
            .collect();
    assert_eq!(
        form.get("message").map(String::as_str),
        Some("Harga mulai Rp10.000")
    );
    assert_eq!(form.get("target").map(String::as_str), Some(CUSTOMER));
    app.stop().await;
}
both_dbs!(fonnte_webhook_token);

async fn provider_reusing_a_message_id(kind: DbKind) {
    bots_support::ensure_plugins();
    // A provider that answers every send with the same message id.
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(format!(r"^/v[0-9.]+/{PNID}/messages$")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": CUSTOMER, "wa_id": CUSTOMER}],
            "messages": [{"id": "wamid.SAME"}]
        })))
        .mount(&meta)
        .await;
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Sama").await;
    let dev = cloud_device_with_rules(&app, &v.token, &meta.uri()).await;

    // Two inbound messages, two different bot replies, one provider id.
    for (id, text) in [("wamid.IN1", "harga?"), ("wamid.IN2", "selamat pagi")] {
        let body = cloud_text(PNID, CUSTOMER, "Budi", id, text);
        let s = data(
            post_webhook(&app, &dev, &body, &sign(SECRET, &body)).await,
            200,
        )
        .await;
        assert_eq!(s["messages"], 1, "{s}");
        assert_eq!(s["replies"], 1, "{s}");
    }
    // Nothing lost: both replies are in the inbox; the id stays on the first.
    let msgs = messages(&app, &v.token).await;
    let out: Vec<&Value> = msgs.iter().filter(|m| m["direction"] == "out").collect();
    assert_eq!(out.len(), 2, "{msgs:?}");
    assert_eq!(out[0]["body"], "Harga mulai Rp10.000");
    assert_eq!(out[0]["provider_message_id"], "wamid.SAME");
    assert_eq!(
        out[1]["body"],
        "Terima kasih, pesan Anda sudah kami terima."
    );
    assert_eq!(out[1]["provider_message_id"], Value::Null);
    assert_eq!(out[1]["status"], "sent");

    // The same message sent again through the API and acknowledged with the
    // same id is the same message: answered with the stored row, not doubled.
    let sent = data(
        app.post(
            "/api/v1/messages",
            &v.token,
            json!({"device_id": dev, "to": CUSTOMER, "text": "Harga mulai Rp10.000"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(sent["message"]["id"], out[0]["id"]);
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM messages WHERE device_id = $1 AND direction = 'out'")
            .bind(&dev)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(n, 2);
    assert_eq!(meta.received_requests().await.unwrap().len(), 3);

    // A status for that id updates the message that carries it.
    let b = cloud_status(PNID, "wamid.SAME", "delivered", CUSTOMER);
    let s = data(post_webhook(&app, &dev, &b, &sign(SECRET, &b)).await, 200).await;
    assert_eq!(s["statuses"], 1);
    let msgs = messages(&app, &v.token).await;
    let out: Vec<&Value> = msgs.iter().filter(|m| m["direction"] == "out").collect();
    assert_eq!(out[0]["status"], "delivered");
    assert_eq!(out[1]["status"], "sent");
    app.stop().await;
}
both_dbs!(provider_reusing_a_message_id);

async fn campaign_messages_tracked_from_webhooks(kind: DbKind) {
    use campaigns_support::{eventually, vendor};
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko Kampanye").await;
    let d = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Sim", "provider": {"kind": "simulator", "app_secret": SECRET}}),
        )
        .await,
        201,
    )
    .await;
    let dev = d["id"].as_str().unwrap().to_owned();
    let phones = ["+6281211110001", "+6281211110002", "+6281211110003"];
    let cid = bots_support::started_vip_campaign(&app, &v.token, &dev, &phones, json!({})).await;
    eventually(60, || async {
        let c = data(
            app.get(&format!("/api/v1/campaigns/{cid}"), &v.token).await,
            200,
        )
        .await;
        (c["status"] == "completed").then_some(())
    })
    .await;
    let recipients = data(
        app.get(&format!("/api/v1/campaigns/{cid}/recipients"), &v.token)
            .await,
        200,
    )
    .await;
    let id_of = |phone: &str| -> String {
        recipients
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["phone"] == phone)
            .unwrap()["provider_message_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let digits = |p: &str| p.trim_start_matches('+').to_owned();

    // Delivered and read statuses arrive as provider webhooks.
    for (phone, status) in [
        (phones[0], "delivered"),
        (phones[1], "delivered"),
        (phones[1], "read"),
    ] {
        let b = cloud_status(PNID, &id_of(phone), status, &digits(phone));
        let s = data(post_webhook(&app, &dev, &b, &sign(SECRET, &b)).await, 200).await;
        assert_eq!(s["statuses"], 1, "{phone} {status}: {s}");
    }
    // The first customer writes back.
    let b = cloud_text(PNID, &digits(phones[0]), "P0", "wamid.REPLY1", "mau dong");
    let s = data(post_webhook(&app, &dev, &b, &sign(SECRET, &b)).await, 200).await;
    assert_eq!(s["messages"], 1, "{s}");

    let recipients = data(
        app.get(&format!("/api/v1/campaigns/{cid}/recipients"), &v.token)
            .await,
        200,
    )
    .await;
    let by_phone = |phone: &str| -> Value {
        recipients
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["phone"] == phone)
            .unwrap()
            .clone()
    };
    let r0 = by_phone(phones[0]);
    assert!(r0["delivered_at"].is_i64(), "{r0}");
    assert!(r0["read_at"].is_null(), "{r0}");
    assert!(r0["replied_at"].is_i64(), "{r0}");
    let r1 = by_phone(phones[1]);
    assert!(
        r1["delivered_at"].is_i64() && r1["read_at"].is_i64(),
        "{r1}"
    );
    assert!(r1["replied_at"].is_null(), "{r1}");
    let r2 = by_phone(phones[2]);
    assert!(
        r2["delivered_at"].is_null() && r2["replied_at"].is_null(),
        "{r2}"
    );
    let c = data(
        app.get(&format!("/api/v1/campaigns/{cid}"), &v.token).await,
        200,
    )
    .await;
    assert_eq!(c["counts"]["sent"], 3, "{c}");
    assert_eq!(c["counts"]["delivered"], 2, "{c}");
    assert_eq!(c["counts"]["read"], 1, "{c}");
    assert_eq!(c["counts"]["replied"], 1, "{c}");
    app.stop().await;
}
both_dbs!(campaign_messages_tracked_from_webhooks);

/// Many deliveries at once, each posted twice (a provider retrying while
/// the first attempt is still running), several per conversation: on
/// SQLite they share the writer's multi-row statements. Every message is
/// stored and answered exactly once, and the counts add up.
async fn concurrent_deliveries_each_answered_once(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Ramai").await;
    let secret = "sim-secret-7";
    let dev = bots_support::simulator_device(
        &app,
        &v.token,
        json!({"provider": {"kind": "simulator", "app_secret": secret}}),
        json!([{"plugin": "keyword-rules", "config": keyword_config()}]),
    )
    .await;
    let mut bodies = Vec::new();
    for contact in 0..8 {
        for n in 0..5 {
            let text = if n % 2 == 0 { "berapa harga?" } else { "halo" };
            bodies.push(cloud_text(
                PNID,
                &format!("6281300000{contact:03}"),
                &format!("Pelanggan {contact}"),
                &format!("wamid.C{contact}M{n}"),
                text,
            ));
        }
    }
    let posts = bodies.iter().chain(bodies.iter()).map(|body| {
        let (app, dev) = (&app, &dev);
        async move { data(post_webhook(app, dev, body, &sign(secret, body)).await, 200).await }
    });
    let summaries = futures::future::join_all(posts).await;
    let total = |field: &str| -> i64 { summaries.iter().map(|s| s[field].as_i64().unwrap()).sum() };
    assert_eq!(total("messages"), 40);
    assert_eq!(total("duplicates"), 40);
    assert_eq!(total("replies"), 40);

    let count = |sql: &'static str| {
        let (pool, dev) = (app.state.pool.clone(), dev.clone());
        async move {
            let (n,): (i64,) = sqlx::query_as(sql)
                .bind(dev)
                .fetch_one(&pool)
                .await
                .unwrap();
            n
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE device_id = $1 AND direction = 'in'").await,
        40
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE device_id = $1 AND direction = 'out'").await,
        40
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM sim_outbox WHERE device_id = $1").await,
        40
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM conversations WHERE device_id = $1").await,
        8
    );
    // Every reply's provider id is its outbox row's.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM messages m JOIN sim_outbox o \
             ON o.provider_message_id = m.provider_message_id \
             WHERE m.device_id = $1 AND m.direction = 'out' AND m.status = 'sent'"
        )
        .await,
        40
    );
    // Each conversation shows its customer's name and a message of its own.
    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    let convs = convs.as_array().unwrap();
    assert_eq!(convs.len(), 8);
    for c in convs {
        assert!(
            c["contact_name"]
                .as_str()
                .unwrap()
                .starts_with("Pelanggan "),
            "{c}"
        );
        let preview = c["last_message_preview"].as_str().unwrap_or_default();
        assert!(!preview.is_empty(), "{c}");
    }
    // Usage and keyword hits counted once per reply.
    let (used,): (i64,) = sqlx::query_as(
        "SELECT count FROM usage_counters WHERE tenant_id = $1 AND metric = 'messages'",
    )
    .bind(&v.tenant_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(used, 40);
    let (hits,): (i64,) = sqlx::query_as(
        "SELECT CAST(SUM(hits) AS BIGINT) FROM bot_keyword_hits \
         WHERE tenant_id = $1 AND keyword = 'harga'",
    )
    .bind(&v.tenant_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(
        hits, 24,
        "three of each customer's five messages ask the price"
    );
    if kind == DbKind::Sqlite {
        // The writer reports how many jobs each commit carried.
        let metrics = app.metrics().await;
        assert!(metrics.contains("db_writer_batch_jobs_bucket"), "{metrics}");
    }
    app.stop().await;
}
both_dbs!(concurrent_deliveries_each_answered_once);
