//! Fixture hooks of the tenant-isolation matrix (`tests/tenant_isolation.rs`).
//!
//! The matrix reads every `/api/v1` path of the OpenAPI document; for a
//! path parameter such as `{member_id}` it asks [`create`] for a resource
//! of vendor A with that id, then checks that vendor B can neither read nor
//! change it. Paths with a parameter that has no fixture are skipped and
//! printed. To cover a new resource, add ONE line to the `match` below
//! naming the parameter and an async fn (in this file, below the marker)
//! that creates the resource as `owner` and returns its id.
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
        200,
    )
    .await;
    m["id"].as_str().unwrap().to_owned()
}

async fn api_key(app: &TestApp, owner: &VendorSession) -> String {
    let k = data(app.post("/api/v1/api-keys", &owner.token, json!({"name": "fixture"})).await, 200).await;
    k["api_key"]["id"].as_str().unwrap().to_owned()
}

/// Needs Midtrans configured (the matrix runs with a wiremock Snap).
async fn order(app: &TestApp, owner: &VendorSession) -> Option<String> {
    let plans = data(app.client.get(app.url("/api/v1/plans")).send().await.unwrap(), 200).await;
    let plan = plans.as_array()?.iter().find(|p| p["price_idr"].as_i64() > Some(0))?["id"].clone();
    let o = data(app.post("/api/v1/billing/orders", &owner.token, json!({"plan_id": plan})).await, 200).await;
    Some(o["id"].as_str()?.to_owned())
}

// ---- fixtures of other areas below this line ----
