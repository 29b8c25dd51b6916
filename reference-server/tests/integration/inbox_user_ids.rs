//! Customers WhatsApp names only by a business-scoped user id (WhatsApp
//! usernames): a Cloud API webhook with `user_id` and no `from` is stored
//! as a conversation with that customer, answered by the bot and by an
//! agent through the Cloud API's `recipient` field, and kept as the same
//! conversation when a later message also brings the number. Bodies are
//! the peer corpus's (netflie's BSUID-only sample, pywa's text sample).

use crate::bots_support;
use crate::bots_webhooks::{PNID, SECRET, cloud_device_with_rules, messages, post_webhook};
use crate::common;

use bots_support::sign;
use common::{DbKind, data, spawn_app};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The user id of pywa's samples, in the documented shape.
const USER: &str = "US.13491208655302741918";
/// The number of pywa's text sample (`from`).
const NUMBER: &str = "972987654321";

fn corpus(path: &str) -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/peer-corpus/whatsapp")
        .join(path);
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("peer corpus missing ({}): {e}", file.display()))
}

/// netflie's BSUID-only body (`contacts[].user_id`, no `from`) with its
/// placeholders filled in.
fn user_only(id: &str, text: &str) -> String {
    corpus("netflie/can_build_a_notification_with_bsuid_only_and_no_from.json")
        .replace("BSUID_123", USER)
        .replace("PHONE_NUMBER_ID", PNID)
        .replace("wamid.ID", id)
        .replace("MESSAGE_BODY", text)
}

/// pywa's text body: `from` plus the contact's `user_id`, sent to our number.
fn with_number(id: &str, text: &str) -> String {
    let all: Value = serde_json::from_str(&corpus("pywa/message.json")).unwrap();
    let mut body = all["text"].clone();
    let value = &mut body["entry"][0]["changes"][0]["value"];
    value["metadata"]["phone_number_id"] = json!(PNID);
    value["messages"][0]["id"] = json!(id);
    value["messages"][0]["text"]["body"] = json!(text);
    assert_eq!(value["messages"][0]["from"], NUMBER);
    assert_eq!(value["contacts"][0]["user_id"], USER);
    body.to_string()
}

async fn deliver(app: &common::TestApp, dev: &str, body: &str) -> Value {
    data(post_webhook(app, dev, body, &sign(SECRET, body)).await, 200).await
}

async fn sent_to_meta(meta: &MockServer) -> Vec<Value> {
    meta.received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn conversations(app: &common::TestApp, token: &str) -> Vec<Value> {
    data(app.get("/api/v1/conversations", token).await, 200)
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn user_id_sender(kind: DbKind) {
    bots_support::ensure_plugins();
    let meta = MockServer::start().await;
    for n in 1..=5 {
        Mock::given(method("POST"))
            .and(path_regex(format!(r"^/v[0-9.]+/{PNID}/messages$")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": USER, "user_id": USER}],
                "messages": [{"id": format!("wamid.OUT{n}")}]
            })))
            .up_to_n_times(1)
            .mount(&meta)
            .await;
    }
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Username").await;
    let dev = cloud_device_with_rules(&app, &v.token, &meta.uri()).await;

    // Stored and answered by the bot, to the user id (`recipient`, no `to`).
    let body = user_only("wamid.U1", "berapa harga?");
    let s = deliver(&app, &dev, &body).await;
    assert_eq!(
        (s["messages"].as_u64(), s["replies"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    let sent = sent_to_meta(&meta).await;
    assert_eq!(sent[0]["recipient"], USER);
    assert!(sent[0].get("to").is_none(), "{}", sent[0]);
    assert_eq!(sent[0]["text"]["body"], "Harga mulai Rp10.000");
    // A redelivery is neither stored nor answered again.
    let s = deliver(&app, &dev, &body).await;
    assert_eq!(
        (s["duplicates"].as_u64(), s["replies"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(sent_to_meta(&meta).await.len(), 1);

    // The inbox shows the conversation with that customer.
    let convs = conversations(&app, &v.token).await;
    assert_eq!(convs.len(), 1, "{convs:?}");
    let conv = convs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(convs[0]["contact_number"], Value::Null);
    assert_eq!(convs[0]["contact_user_id"], USER);
    assert_eq!(convs[0]["contact_name"], "NAME");
    let msgs = messages(&app, &v.token).await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["payload"]["from"], USER);
    assert_eq!(msgs[1]["provider_message_id"], "wamid.OUT1");

    // An agent's reply from the inbox reaches the user id too.
    let reply = data(
        app.post(
            &format!("/api/v1/conversations/{conv}/messages"),
            &v.token,
            json!({"text": "Halo, dengan admin"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(reply["status"], "sent", "{reply}");
    assert_eq!(reply["provider_message_id"], "wamid.OUT2");
    let sent = sent_to_meta(&meta).await;
    assert_eq!(sent[1]["recipient"], USER);
    assert_eq!(sent[1]["text"]["body"], "Halo, dengan admin");
    // The agent owns it now: the bot stays quiet ...
    let s = deliver(&app, &dev, &user_only("wamid.U2", "harga?")).await;
    assert_eq!(s["replies"], 0);
    // ... until it is handed back.
    data(
        app.post(
            &format!("/api/v1/conversations/{conv}/handback"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;

    // The customer's number arrives with the user id: the same
    // conversation, now with both; the bot answers the number.
    let s = deliver(&app, &dev, &with_number("wamid.U3", "selamat pagi")).await;
    assert_eq!(s["replies"], 1, "{s}");
    let sent = sent_to_meta(&meta).await;
    assert_eq!(sent[2]["to"], NUMBER);
    assert!(sent[2].get("recipient").is_none());
    let convs = conversations(&app, &v.token).await;
    assert_eq!(convs.len(), 1, "{convs:?}");
    assert_eq!(convs[0]["id"], conv.as_str());
    assert_eq!(convs[0]["contact_number"], format!("+{NUMBER}"));
    assert_eq!(convs[0]["contact_user_id"], USER);

    // A later message with only the user id stays in it as well.
    let s = deliver(&app, &dev, &user_only("wamid.U4", "harga?")).await;
    assert_eq!(s["replies"], 1);
    assert_eq!(sent_to_meta(&meta).await[3]["to"], NUMBER);
    assert_eq!(conversations(&app, &v.token).await.len(), 1);
    let msgs = messages(&app, &v.token).await;
    let inbound: Vec<&Value> = msgs.iter().filter(|m| m["direction"] == "in").collect();
    assert_eq!(inbound.len(), 4, "{msgs:?}");
    assert_eq!(msgs.len(), 8, "{msgs:?}");
    app.stop().await;
}
both_dbs!(user_id_sender);

/// A body whose user id lacks the documented shape names no sender: it is
/// accepted (so Meta does not retry it) and counted as ignored.
async fn malformed_user_id_is_ignored(kind: DbKind) {
    bots_support::ensure_plugins();
    let meta = MockServer::start().await;
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Placeholder").await;
    let dev = cloud_device_with_rules(&app, &v.token, &meta.uri()).await;
    let body = corpus("netflie/can_build_a_notification_with_bsuid_only_and_no_from.json")
        .replace("PHONE_NUMBER_ID", PNID);
    let s = deliver(&app, &dev, &body).await;
    assert_eq!(
        (s["messages"].as_u64(), s["ignored"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(conversations(&app, &v.token).await.is_empty());
    assert!(meta.received_requests().await.unwrap().is_empty());
    app.stop().await;
}
both_dbs!(malformed_user_id_is_ignored);
