//! Fixture hooks of the tenant-isolation matrix (`tests/integration/tenant_isolation.rs`).
//!
//! The matrix reads every `/api/v1` path of the OpenAPI document; for a
//! path parameter such as `{member_id}` it asks [`create`] for a resource
//! of vendor A with that id, then checks that vendor B can neither read nor
//! change it. A path with a parameter that has no fixture fails the
//! matrix. To cover a new resource, add ONE line to the `match` below
//! naming the parameter and an async fn (in this file, below the marker)
//! that creates the resource as `owner` and returns its id. A parameter
//! named plainly `{id}` is looked up as `<collection>:id`, e.g.
//! `devices:id` for `/api/v1/devices/{id}`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use serde_json::json;

use super::{TestApp, VendorSession, data};

/// Creates a resource of `owner`'s vendor for path parameter `param` and
/// returns its id, or `None` when no fixture is registered.
pub async fn create(app: &TestApp, owner: &VendorSession, param: &str) -> Option<String> {
    Some(match param {
        "member_id" => member(app, owner).await,
        "api_key_id" => api_key(app, owner).await,
        "order_id" => order(app, owner).await?,
        "invoice_id" => invoice(app, owner).await?,
        "contact_id" => contact(app, owner).await,
        "group_id" => contact_group(app, owner).await,
        "template_id" => message_template(app, owner).await,
        "campaign_id" => campaign(app, owner).await,
        "devices:id" | "device" => device(app, owner).await,
        "llm-providers:id" => llm_provider(app, owner).await,
        "conversations:id" => conversation(app, owner).await,
        // fixture hooks: add `"your_param" => your_fixture(app, owner).await,` here
        _ => return None,
    })
}

async fn member(app: &TestApp, owner: &VendorSession) -> String {
    let email = format!("agent-{}@fixture.test", &owner.whatsapp[1..]);
    let m = data(
        app.post(
            "/api/v1/members",
            &owner.token,
            json!({"email": email, "name": "Fixture Agent", "password": "rahasia-123", "role": "agent"}),
        )
        .await,
        201,
    )
    .await;
    m["id"].as_str().unwrap().to_owned()
}

async fn api_key(app: &TestApp, owner: &VendorSession) -> String {
    let k = data(
        app.post("/api/v1/api-keys", &owner.token, json!({"name": "fixture"}))
            .await,
        201,
    )
    .await;
    k["api_key"]["id"].as_str().unwrap().to_owned()
}

/// Needs Midtrans configured (the matrix runs with a wiremock Snap).
async fn order(app: &TestApp, owner: &VendorSession) -> Option<String> {
    let plans = data(
        app.client
            .get(app.url("/api/v1/plans"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let plan = plans
        .as_array()?
        .iter()
        .find(|p| p["price_idr"].as_i64() > Some(0))?["id"]
        .clone();
    let o = data(
        app.post(
            "/api/v1/billing/orders",
            &owner.token,
            json!({"plan_id": plan}),
        )
        .await,
        201,
    )
    .await;
    Some(o["id"].as_str()?.to_owned())
}

/// The invoice of an order paid through the store's payment path (the
/// one a confirmed Midtrans notification takes), without a notification.
async fn invoice(app: &TestApp, owner: &VendorSession) -> Option<String> {
    use reference_server::billing::store::orders::{PaymentEvent, apply_payment};
    let order_id = order(app, owner).await?;
    let (plan_id, duration_days, amount_idr): (String, i64, i64) = sqlx::query_as(
        "SELECT o.plan_id, p.duration_days, o.amount_idr FROM orders o \
         JOIN plans p ON p.id = o.plan_id WHERE o.id = $1",
    )
    .bind(&order_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let event = PaymentEvent {
        order_id: order_id.clone().into(),
        tenant_id: owner.tenant_id.clone().into(),
        plan_id: plan_id.into(),
        duration_days,
        grace_ms: 0,
        amount_idr,
        refunded_idr: 0,
        transaction_id: format!("tx-{order_id}"),
        transaction_status: "settlement".to_owned(),
        fraud: None,
        payment_type: Some("qris".to_owned()),
        gross_amount: format!("{amount_idr}.00"),
        new_state: midtrans_client::PaymentState::Paid,
        observed_status: "pending".to_owned(),
        now: reference_server::db::now_ms(),
    };
    let mut tx = app.state.pool.begin().await.unwrap();
    let applied = apply_payment(&mut tx, &event).await.unwrap();
    tx.commit().await.unwrap();
    let number = applied.invoice?;
    let invoices = data(app.get("/api/v1/billing/invoices", &owner.token).await, 200).await;
    let found = invoices
        .as_array()?
        .iter()
        .find(|i| i["number"] == number.as_str())?["id"]
        .as_str()?
        .to_owned();
    Some(found)
}

// ---- fixtures of other areas below this line ----

async fn contact(app: &TestApp, owner: &VendorSession) -> String {
    let c = data(
        app.post(
            "/api/v1/contacts",
            &owner.token,
            json!({"phone": "081299990001", "name": "Fixture"}),
        )
        .await,
        201,
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}

async fn contact_group(app: &TestApp, owner: &VendorSession) -> String {
    let g = data(
        app.post(
            "/api/v1/contact-groups",
            &owner.token,
            json!({"name": "Fixture"}),
        )
        .await,
        201,
    )
    .await;
    g["id"].as_str().unwrap().to_owned()
}

async fn message_template(app: &TestApp, owner: &VendorSession) -> String {
    let t = data(
        app.post(
            "/api/v1/templates",
            &owner.token,
            json!({"name": "fixture", "body": "Halo {name}"}),
        )
        .await,
        201,
    )
    .await;
    t["id"].as_str().unwrap().to_owned()
}

/// The vendor's first device; a simulator device is created when it has
/// none (the trial plan allows one device, shared by every fixture).
pub async fn device(app: &TestApp, owner: &VendorSession) -> String {
    let devices: serde_json::Value = app
        .get("/api/v1/devices", &owner.token)
        .await
        .json()
        .await
        .unwrap();
    if let Some(id) = devices["data"]
        .as_array()
        .and_then(|d| d.first())
        .and_then(|d| d["id"].as_str())
    {
        return id.to_owned();
    }
    let d = data(
        app.post(
            "/api/v1/devices",
            &owner.token,
            json!({"name": "Fixture", "provider": {"kind": "simulator"}}),
        )
        .await,
        201,
    )
    .await;
    d["id"].as_str().unwrap().to_owned()
}

/// An OpenAI-compatible provider at an address nothing listens on (the
/// matrix never makes it answer).
async fn llm_provider(app: &TestApp, owner: &VendorSession) -> String {
    let p = data(
        app.post(
            "/api/v1/llm-providers",
            &owner.token,
            json!({"name": "fixture", "kind": "openai", "base_url": "http://127.0.0.1:9/v1",
                   "model": "gpt-4o-mini", "api_key": "sk-fixture-secret"}),
        )
        .await,
        201,
    )
    .await;
    p["id"].as_str().unwrap().to_owned()
}

/// A conversation opened by a customer message injected on the vendor's
/// simulator device.
async fn conversation(app: &TestApp, owner: &VendorSession) -> String {
    let dev = device(app, owner).await;
    data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            &owner.token,
            json!({"from": "081299990003", "name": "Fixture", "text": "halo"}),
        )
        .await,
        200,
    )
    .await;
    let list = data(app.get("/api/v1/conversations", &owner.token).await, 200).await;
    list.as_array()
        .and_then(|l| l.first())
        .or_else(|| list["items"].as_array().and_then(|l| l.first()))
        .and_then(|c| c["id"].as_str())
        .expect("the injected message opened a conversation")
        .to_owned()
}

/// A draft campaign to one contact through the vendor's first device (a
/// simulator device is created when it has none).
async fn campaign(app: &TestApp, owner: &VendorSession) -> String {
    let c = data(
        app.post(
            "/api/v1/contacts",
            &owner.token,
            json!({"phone": "081299990002"}),
        )
        .await,
        201,
    )
    .await;
    let t = data(
        app.post(
            "/api/v1/templates",
            &owner.token,
            json!({"name": "fixture-campaign", "body": "Halo"}),
        )
        .await,
        201,
    )
    .await;
    let device = device(app, owner).await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &owner.token,
            json!({"name": "fixture", "template_id": t["id"], "audience": {"contact_ids": [c["id"]]},
                   "devices": [{"device_id": device}]}),
        )
        .await,
        201,
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}
