//! Devices over HTTP: CRUD, secrets never returned (nor stored in clear),
//! field errors, the plan's device limit, and tenant isolation of every
//! BOTS-area endpoint.

use crate::bots_support;
use crate::common;

use common::{DbKind, data, error_code, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const TOKEN: &str = "EAAG-very-secret-access-token";
const APP_SECRET: &str = "app-secret-0123456789";
const VERIFY: &str = "verify-token-xyz";

fn cloud_device() -> Value {
    json!({
        "name": "CS Jakarta",
        "phone_number": "0812-3456-7890",
        "provider": {
            "kind": "cloud_api",
            "phone_number_id": "1234567890",
            "access_token": TOKEN,
            "app_secret": APP_SECRET,
            "verify_token": VERIFY
        }
    })
}

async fn crud_and_secrets(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Devices").await;

    // A missing secret is a 400 that names the field; nothing is stored.
    let mut bad = cloud_device();
    bad["provider"]
        .as_object_mut()
        .unwrap()
        .remove("app_secret");
    let res = app.post("/api/v1/devices", &v.token, bad.clone()).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_device");
    // Indonesian by default, English on request; the code never changes.
    assert_eq!(
        body["error"]["message"], "app_secret: app_secret wajib diisi untuk jenis perangkat ini",
        "{body}"
    );
    let res = app.post_in("en", "/api/v1/devices", &v.token, &bad).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-language"], "en");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_device");
    assert_eq!(
        body["error"]["message"], "app_secret: app_secret is required for this device kind",
        "{body}"
    );

    let res = app.post("/api/v1/devices", &v.token, cloud_device()).await;
    let text = {
        assert_eq!(res.status(), 201);
        res.text().await.unwrap()
    };
    for secret in [TOKEN, APP_SECRET, VERIFY] {
        assert!(!text.contains(secret), "secret returned by create: {text}");
    }
    let d: Value = serde_json::from_str::<Value>(&text).unwrap()["data"].clone();
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["kind"], "cloud_api");
    assert_eq!(d["phone_number"], "+6281234567890");
    assert_eq!(d["settings"]["phone_number_id"], "1234567890");
    assert_eq!(
        d["secrets_set"],
        json!(["access_token", "app_secret", "verify_token"])
    );
    assert!(
        d["webhook_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/webhooks/whatsapp/{id}"))
    );

    // Stored encrypted.
    let (stored,): (String,) = sqlx::query_as("SELECT secrets FROM devices WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    for secret in [TOKEN, APP_SECRET, VERIFY] {
        assert!(!stored.contains(secret));
    }

    // Reads never show secrets either.
    for path in [
        "/api/v1/devices".to_owned(),
        format!("/api/v1/devices/{id}"),
    ] {
        let text = app.get(&path, &v.token).await.text().await.unwrap();
        assert!(text.contains(&id));
        for secret in [TOKEN, APP_SECRET, VERIFY] {
            assert!(!text.contains(secret), "{path}: {text}");
        }
    }

    // The trial plan allows one device.
    let res = app.post("/api/v1/devices", &v.token, cloud_device()).await;
    assert_eq!(error_code(res, 402).await, "plan_limit_exceeded");

    // Rotating one secret keeps the others; the kind cannot change.
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/devices/{id}"),
            Some(&v.token),
            Some(json!({"name": "CS Bandung", "provider": {"kind": "cloud_api", "access_token": "EAAG-rotated"}})),
        )
        .await;
    let d = data(res, 200).await;
    assert_eq!(d["name"], "CS Bandung");
    assert_eq!(
        d["secrets_set"],
        json!(["access_token", "app_secret", "verify_token"])
    );
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/devices/{id}"),
            Some(&v.token),
            Some(json!({"provider": {"kind": "fonnte", "token": "x"}})),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_device");

    // The handshake uses the stored verify token.
    let res = app
        .client
        .get(app.url(&format!(
            "/webhooks/whatsapp/{id}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=8811"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "8811");
    let res = app
        .client
        .get(app.url(&format!(
            "/webhooks/whatsapp/{id}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=8811"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/devices/{id}"),
            Some(&v.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app.get(&format!("/api/v1/devices/{id}"), &v.token).await;
    assert_eq!(error_code(res, 404).await, "not_found");
    app.stop().await;
}
both_dbs!(crud_and_secrets);

async fn tenant_isolation(kind: DbKind) {
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko A").await;
    let b = app.signup_vendor("Toko B").await;
    let d = data(
        app.post(
            "/api/v1/devices",
            &a.token,
            json!({"name": "Sim A", "provider": {"kind": "simulator"}}),
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
            Some(&a.token),
            Some(json!({"plugins": [{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]})),
        )
        .await,
        200,
    )
    .await;
    let r = data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            &a.token,
            json!({"from": "081298765432", "text": "harga?"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["replies"], 1);
    let convs = data(app.get("/api/v1/conversations", &a.token).await, 200).await;
    let conv = convs[0]["id"].as_str().unwrap().to_owned();

    // Vendor B sees none of it and can change none of it.
    assert_eq!(
        data(app.get("/api/v1/devices", &b.token).await, 200).await,
        json!([])
    );
    assert_eq!(
        data(app.get("/api/v1/conversations", &b.token).await, 200).await,
        json!([])
    );
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/devices/{dev}"), None),
        (
            Method::PATCH,
            format!("/api/v1/devices/{dev}"),
            Some(json!({"name": "mine"})),
        ),
        (Method::DELETE, format!("/api/v1/devices/{dev}"), None),
        (Method::GET, format!("/api/v1/devices/{dev}/plugins"), None),
        (
            Method::PUT,
            format!("/api/v1/devices/{dev}/plugins"),
            Some(json!({"plugins": []})),
        ),
        (
            Method::POST,
            format!("/api/v1/simulator/{dev}/inbound"),
            Some(json!({"from": "081298765432", "text": "x"})),
        ),
        (Method::GET, format!("/api/v1/simulator/{dev}/outbox"), None),
        (Method::GET, format!("/api/v1/conversations/{conv}"), None),
        (
            Method::GET,
            format!("/api/v1/conversations/{conv}/messages"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{conv}/takeover"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{conv}/handback"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{conv}/messages"),
            Some(json!({"text": "halo"})),
        ),
        (
            Method::POST,
            "/api/v1/messages".to_owned(),
            Some(json!({"device_id": dev, "to": "081298765432", "text": "x"})),
        ),
    ];
    for (method, path, body) in attempts {
        let res = app
            .request(method.clone(), &path, Some(&b.token), body)
            .await;
        assert_eq!(res.status(), 404, "{method} {path} by another vendor");
    }
    // A's data is unchanged.
    let d = data(
        app.get(&format!("/api/v1/devices/{dev}"), &a.token).await,
        200,
    )
    .await;
    assert_eq!(d["name"], "Sim A");
    let plugins = data(
        app.get(&format!("/api/v1/devices/{dev}/plugins"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(plugins.as_array().unwrap().len(), 1);
    let c = data(
        app.get(&format!("/api/v1/conversations/{conv}"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "bot");
    let outbox = data(
        app.get(&format!("/api/v1/simulator/{dev}/outbox"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(outbox.as_array().unwrap().len(), 1);

    // LLM providers are per vendor too.
    let p = data(
        app.post(
            "/api/v1/llm-providers",
            &a.token,
            json!({"name": "groq", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "llama", "api_key": "gsk-secret-key-123"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(p["api_key_set"], true);
    let pid = p["id"].as_str().unwrap();
    assert_eq!(
        data(app.get("/api/v1/llm-providers", &b.token).await, 200).await,
        json!([])
    );
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/llm-providers/{pid}"),
            Some(&b.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);
    let text = app
        .get("/api/v1/llm-providers", &a.token)
        .await
        .text()
        .await
        .unwrap();
    assert!(!text.contains("gsk-secret-key-123"));
    app.stop().await;
}
both_dbs!(tenant_isolation);

/// Fonnte's connect and disconnect webhooks (bodies from the peer corpus)
/// are stored on the device, shown by the API, and a change reaches the
/// vendor over the platform's number once; a repeated or older report
/// changes nothing.
async fn connection_status_is_stored_shown_and_alerted(kind: DbKind) {
    let corpus =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/peer-corpus/fonnte");
    let read = |name: &str| {
        std::fs::read_to_string(corpus.join(name)).unwrap_or_else(|e| {
            panic!("peer corpus {name} missing ({e}); shared/ must sit beside the checkout")
        })
    };
    let (connect, disconnect) = (
        read("constructed_docs_device_connect.json"),
        read("constructed_docs_device_disconnect.json"),
    );
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Sambung").await;
    let d = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Kasir", "provider": {"kind": "fonnte", "token": "fonnte-token"}}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(d["connection"], Value::Null);
    let dev = d["id"].as_str().unwrap().to_owned();
    let post = |body: String| {
        let req = app
            .client
            .post(app.url(&format!("/webhooks/whatsapp/{dev}?token=fonnte-token")))
            .header("content-type", "application/json")
            .body(body);
        async move { req.send().await.unwrap() }
    };
    let alerts = || async {
        app.platform_messages_to(&v.whatsapp)
            .await
            .into_iter()
            .filter(|m| m.message.to_string().contains("Kasir"))
            .count()
    };

    // Connected first: stored, no alert (nothing went wrong).
    let s = data(post(connect.clone()).await, 200).await;
    assert_eq!(s["connection_changes"], 1, "{s}");
    let d = data(
        app.get(&format!("/api/v1/devices/{dev}"), &v.token).await,
        200,
    )
    .await;
    assert_eq!(d["connection"]["state"], "connected", "{d}");
    assert_eq!(d["connection"]["changed_at"], 1_765_000_200_000_i64);
    assert_eq!(alerts().await, 0);

    // Disconnected: stored with the reason, and the vendor hears of it.
    let s = data(post(disconnect.clone()).await, 200).await;
    assert_eq!(s["connection_changes"], 1, "{s}");
    let d = data(
        app.get(&format!("/api/v1/devices/{dev}"), &v.token).await,
        200,
    )
    .await;
    assert_eq!(d["connection"]["state"], "disconnected");
    assert_eq!(d["connection"]["reason"], "device logged out");
    assert_eq!(alerts().await, 1);
    let text = app.platform_messages_to(&v.whatsapp).await[0]
        .message
        .to_string();
    assert!(text.contains("terputus (device logged out)"), "{text}");

    // The same report again, and the older connect report delivered late:
    // nothing changes, nobody is told twice.
    for body in [disconnect, connect] {
        let s = data(post(body).await, 200).await;
        assert_eq!(s["connection_changes"], 0, "{s}");
    }
    let d = data(
        app.get(&format!("/api/v1/devices/{dev}"), &v.token).await,
        200,
    )
    .await;
    assert_eq!(d["connection"]["state"], "disconnected");
    assert_eq!(alerts().await, 1);

    // Reconnected later: stored, and the vendor hears it is back.
    let back = json!({"device": "6281100000000", "status": "connect", "timestamp": 1_765_000_400})
        .to_string();
    let s = data(post(back).await, 200).await;
    assert_eq!(s["connection_changes"], 1, "{s}");
    assert_eq!(alerts().await, 2);
    app.stop().await;
}
both_dbs!(connection_status_is_stored_shown_and_alerted);
