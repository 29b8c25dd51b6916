//! Helpers shared by the BOTS area's HTTP tests: Cloud API webhook bodies,
//! signing, and small API calls.
#![allow(dead_code, clippy::unwrap_used, missing_docs, unreachable_pub)]

use serde_json::{Value, json};

/// A Cloud API webhook body carrying one inbound text message.
pub fn cloud_text(
    phone_number_id: &str,
    from_digits: &str,
    name: &str,
    id: &str,
    text: &str,
) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550783881", "phone_number_id": phone_number_id },
                    "contacts": [{ "profile": { "name": name }, "wa_id": from_digits }],
                    "messages": [{
                        "from": from_digits,
                        "id": id,
                        "timestamp": "1750263773",
                        "type": "text",
                        "text": { "body": text }
                    }]
                }
            }]
        }]
    })
    .to_string()
}

/// A Cloud API webhook body carrying one status update.
pub fn cloud_status(
    phone_number_id: &str,
    message_id: &str,
    status: &str,
    recipient_digits: &str,
) -> String {
    let mut st = json!({
        "id": message_id,
        "status": status,
        "timestamp": "1750263800",
        "recipient_id": recipient_digits,
    });
    if status == "failed" {
        st["errors"] = json!([{ "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable" }]);
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550783881", "phone_number_id": phone_number_id },
                    "statuses": [st]
                }
            }]
        }]
    })
    .to_string()
}

/// The `X-Hub-Signature-256` value of `body` under `secret`.
pub fn sign(secret: &str, body: &str) -> String {
    whatsapp_client::webhook::sign(secret.as_bytes(), body.as_bytes())
}

/// A keyword-rules configuration answering "harga" and a default.
pub fn keyword_config() -> Value {
    json!({
        "rules": [
            { "id": "harga", "keywords": ["harga"], "reply": "Harga mulai Rp10.000" },
            { "id": "admin", "keywords": ["admin"], "reply": "Baik, admin kami segera membantu.", "handoff": true }
        ],
        "default_reply": "Terima kasih, pesan Anda sudah kami terima."
    })
}

/// Builds the plugin components once per test process (bot-core's helper
/// runs `scripts/build-plugins.sh`), so tests never depend on a manual step.
pub fn ensure_plugins() {
    let _ = bot_core::testing::plugin_dir();
}

/// Contacts tagged `vip` with these numbers, a template, and a started
/// campaign to them through `device` (`extra` is merged into the campaign,
/// e.g. `schedule_at`). Returns the campaign id.
pub async fn started_vip_campaign(
    app: &crate::common::TestApp,
    token: &str,
    device: &str,
    phones: &[&str],
    extra: Value,
) -> String {
    use crate::common::data;
    for p in phones {
        data(
            app.post(
                "/api/v1/contacts",
                token,
                json!({"phone": p, "tags": ["vip"]}),
            )
            .await,
            201,
        )
        .await;
    }
    let t = data(
        app.post(
            "/api/v1/templates",
            token,
            json!({"name": "promo", "body": "Halo {name}, ada promo!"}),
        )
        .await,
        201,
    )
    .await;
    let mut body = json!({"name": "Promo", "template_id": t["id"], "audience": {"tags": ["vip"]},
                          "devices": [{"device_id": device, "rate_per_minute": 6000}]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let c = data(app.post("/api/v1/campaigns", token, body).await, 201).await;
    let cid = c["id"].as_str().unwrap().to_owned();
    data(
        app.post(&format!("/api/v1/campaigns/{cid}/start"), token, json!({}))
            .await,
        200,
    )
    .await;
    cid
}

/// A simulator device (`extra` merged into the create body, e.g. a handoff
/// timeout) whose pipeline is `plugins` (`[{"plugin": ..., "config": ...}]`).
/// Returns the device id.
pub async fn simulator_device(
    app: &crate::common::TestApp,
    token: &str,
    extra: Value,
    plugins: Value,
) -> String {
    use crate::common::data;
    let mut body = json!({"name": "Sim", "provider": {"kind": "simulator"}});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let d = data(app.post("/api/v1/devices", token, body).await, 201).await;
    let dev = d["id"].as_str().unwrap().to_owned();
    data(
        app.request(
            reqwest::Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(token),
            Some(json!({ "plugins": plugins })),
        )
        .await,
        200,
    )
    .await;
    dev
}

/// Injects a customer's text on a simulator device; returns the result
/// (`replies`, `outbox`, ...).
pub async fn inject(
    app: &crate::common::TestApp,
    token: &str,
    dev: &str,
    from: &str,
    text: &str,
) -> Value {
    crate::common::data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            token,
            json!({"from": from, "text": text}),
        )
        .await,
        200,
    )
    .await
}

/// An agent of the vendor behind `token` takes the conversation over;
/// returns the conversation as the API answers it.
pub async fn take_over(app: &crate::common::TestApp, token: &str, conv: &str) -> Value {
    crate::common::data(
        app.post(
            &format!("/api/v1/conversations/{conv}/takeover"),
            token,
            json!({}),
        )
        .await,
        200,
    )
    .await
}
