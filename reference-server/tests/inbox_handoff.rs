//! The whole loop on a simulator device over HTTP: plugin configuration
//! validated by schema, keyword-rules answering through the simulator,
//! human takeover pausing the bot, agent replies, hand back, a plugin
//! handing over by itself, opt-out, and the send-message API.
#![allow(clippy::unwrap_used, missing_docs)]

mod bots_support;
mod common;

use common::{DbKind, data, error_code, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const CUSTOMER: &str = "0812-9876-5432";
const CUSTOMER_E164: &str = "+6281298765432";

async fn inject(app: &common::TestApp, token: &str, dev: &str, text: &str) -> Value {
    data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            token,
            json!({"from": CUSTOMER, "name": "Budi", "text": text}),
        )
        .await,
        200,
    )
    .await
}

async fn simulator_loop(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Sim").await;
    let d = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Sim", "provider": {"kind": "simulator"}}),
        )
        .await,
        201,
    )
    .await;
    let dev = d["id"].as_str().unwrap().to_owned();

    // The catalog lists the plugins with their schemas.
    let plugins = data(app.get("/api/v1/plugins", &v.token).await, 200).await;
    let names: Vec<&str> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"keyword-rules"), "{names:?}");
    assert!(plugins[0]["config_schema"].is_object());

    // Schema violations are 400s naming the field; nothing is stored.
    let bad = json!({"plugins": [{"plugin": "keyword-rules", "config": {"rules": [{"id": "x", "keywords": ["a"]}]}}]});
    let res = app
        .request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(bad),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_plugin_config", "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("/rules/0") && msg.contains("reply"), "{msg}");
    let bad = json!({"plugins": [{"plugin": "no-such-plugin", "config": {}}]});
    let res = app
        .request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(bad),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_plugin_config");
    assert_eq!(
        data(
            app.get(&format!("/api/v1/devices/{dev}/plugins"), &v.token)
                .await,
            200
        )
        .await,
        json!([])
    );

    // No plugin yet: the message is stored, nobody answers.
    let r = inject(&app, &v.token, &dev, "halo").await;
    assert_eq!(r["replies"], 0);

    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(json!({"plugins": [{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]})),
        )
        .await,
        200,
    )
    .await;

    // keyword-rules answers through the simulator.
    let r = inject(&app, &v.token, &dev, "Berapa HARGA-nya?").await;
    assert_eq!(r["replies"], 1);
    assert_eq!(r["outbox"][0]["message"]["body"], "Harga mulai Rp10.000");
    assert_eq!(r["outbox"][0]["to"], CUSTOMER_E164);
    let outbox = data(
        app.get(
            &format!("/api/v1/simulator/{dev}/outbox?to={CUSTOMER}"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(outbox[0]["message"]["body"], "Harga mulai Rp10.000");

    // The same provider id twice: one reply only.
    let once = json!({"from": CUSTOMER, "text": "harga", "id": "sim-fixed-1"});
    let r1 = data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            &v.token,
            once.clone(),
        )
        .await,
        200,
    )
    .await;
    let r2 = data(
        app.post(&format!("/api/v1/simulator/{dev}/inbound"), &v.token, once)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (
            r1["replies"].as_u64(),
            r2["duplicate"].as_bool(),
            r2["replies"].as_u64()
        ),
        (Some(1), Some(true), Some(0))
    );

    // Takeover: the bot pauses.
    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    assert_eq!(convs.as_array().unwrap().len(), 1);
    let conv = convs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(convs[0]["contact_number"], CUSTOMER_E164);
    assert_eq!(convs[0]["contact_name"], "Budi");
    let c = data(
        app.post(
            &format!("/api/v1/conversations/{conv}/takeover"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "agent");
    assert_eq!(c["agent_member_id"], v.member_id.as_str());
    let r = inject(&app, &v.token, &dev, "harga?").await;
    assert_eq!(
        r["replies"], 0,
        "the bot answered a conversation an agent owns"
    );

    // The agent replies through the device.
    let m = data(
        app.post(
            &format!("/api/v1/conversations/{conv}/messages"),
            &v.token,
            json!({"text": "Halo Budi, saya Rina dari CS."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(m["sender"], "agent");
    assert_eq!(m["status"], "sent");
    assert!(
        m["provider_message_id"]
            .as_str()
            .unwrap()
            .starts_with("sim.")
    );
    let outbox = data(
        app.get(&format!("/api/v1/simulator/{dev}/outbox"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        outbox[0]["message"]["body"],
        "Halo Budi, saya Rina dari CS."
    );
    let res = app
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            &v.token,
            json!({}),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_message");

    // Hand back: the bot answers again.
    let c = data(
        app.post(
            &format!("/api/v1/conversations/{conv}/handback"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "bot");
    let r = inject(&app, &v.token, &dev, "harga").await;
    assert_eq!(r["replies"], 1);

    // A rule that hands over: reply, then the conversation belongs to an agent.
    let r = inject(&app, &v.token, &dev, "saya mau bicara dengan admin").await;
    assert_eq!(r["replies"], 1);
    assert_eq!(
        r["outbox"][0]["message"]["body"],
        "Baik, admin kami segera membantu."
    );
    let c = data(
        app.get(&format!("/api/v1/conversations/{conv}"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "agent");
    assert_eq!(inject(&app, &v.token, &dev, "harga").await["replies"], 0);

    // The history has every message with its sender and status.
    let msgs = data(
        app.get(&format!("/api/v1/conversations/{conv}/messages"), &v.token)
            .await,
        200,
    )
    .await;
    let senders: Vec<&str> = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sender"].as_str().unwrap())
        .collect();
    assert!(
        senders.contains(&"contact") && senders.contains(&"bot") && senders.contains(&"agent"),
        "{senders:?}"
    );
    assert!(
        msgs.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .all(|m| m["status"] == "sent")
    );

    // STOP opts the customer out (contacts area) and is confirmed.
    let r = inject(&app, &v.token, &dev, "STOP").await;
    assert_eq!(r["replies"], 1);
    let (opted,): (i64,) =
        sqlx::query_as("SELECT opted_out FROM contacts WHERE tenant_id = $1 AND phone = $2")
            .bind(&v.tenant_id)
            .bind(CUSTOMER_E164)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(opted, 1);

    // The send-message API, with an API key.
    let key = app.api_key(&v).await;
    let res = app
        .client
        .post(app.url("/api/v1/messages"))
        .header("X-Api-Key", &key)
        .json(&json!({"device_id": dev, "to": "+62 811 2233 4455", "text": "Pesanan Anda sudah dikirim."}))
        .send()
        .await
        .unwrap();
    let sent = data(res, 200).await;
    assert_eq!(sent["message"]["sender"], "api");
    assert_eq!(sent["message"]["status"], "sent");
    let outbox = data(
        app.get(
            &format!("/api/v1/simulator/{dev}/outbox?to=081122334455"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(outbox[0]["message"]["body"], "Pesanan Anda sudah dikirim.");
    let res = app
        .client
        .post(app.url("/api/v1/messages"))
        .header("X-Api-Key", &key)
        .json(&json!({"device_id": dev, "to": "12", "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 400).await, "invalid_phone_number");
    app.stop().await;
}
both_dbs!(simulator_loop);
