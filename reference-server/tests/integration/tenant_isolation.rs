//! Tenant isolation matrix, driven by the OpenAPI document: for every
//! tenant-scoped endpoint under `/api/v1` (security `session` or
//! `api_key`), vendor B can neither read nor change vendor A's resources.
//!
//! * First every path parameter gets a resource of vendor A from
//!   `common::fixtures` (a parameter without a fixture fails the test), so
//!   A owns one of everything before B tries anything.
//! * Paths with parameters: B's request (session and API key), with a body
//!   that would be valid for A, must be refused (400/403/404/422, never
//!   2xx) without echoing A's ids, and afterwards A still reads the
//!   resource unchanged.
//! * Collection GETs: B's answer contains none of A's ids.
//! * Collection POSTs that name other resources in the body (send a
//!   message from A's device, a campaign over A's template, contacts and
//!   device): refused for B.
#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use crate::common;

use std::collections::BTreeMap;

use common::{DbKind, TestApp, VendorSession, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn params_of(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// The marketplace's routes have their own matrix of vendors A/B and
/// buyers X/Y (`marketplace::isolation_and_bad_input`): an order there
/// exists only after a buyer paid, which this matrix's fixtures do not do.
fn is_marketplace(path: &str) -> bool {
    path.starts_with("/api/v1/marketplace/")
}

/// The fixture key of a parameter: its name, or `<collection>:id` for a
/// plain `{id}` (several collections use that name).
fn fixture_key(path: &str, param: &str) -> String {
    if param == "id" {
        let collection = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .next()
            .unwrap_or_default();
        format!("{collection}:id")
    } else {
        param.to_owned()
    }
}

/// A body that A could send to this endpoint, so B's request gets past
/// validation and meets the ownership check (an empty body might be
/// refused as invalid before ownership is ever looked at).
fn body_for(m: &Method, path: &str, ids: &BTreeMap<String, Option<String>>) -> Value {
    let id = |k: &str| ids.get(k).cloned().flatten().unwrap_or_default();
    match (m.as_str(), path) {
        ("PATCH", "/api/v1/contacts/{contact_id}")
        | ("PATCH", "/api/v1/members/{member_id}")
        | ("PATCH", "/api/v1/devices/{id}")
        | ("PATCH", "/api/v1/llm-providers/{id}") => json!({"name": "B was here"}),
        ("PUT", "/api/v1/templates/{template_id}") => json!({"name": "b", "body": "B was here"}),
        ("POST", "/api/v1/templates/{template_id}/preview") => json!({}),
        ("PUT", "/api/v1/devices/{id}/plugins") => json!({"plugins": []}),
        ("POST", "/api/v1/conversations/{id}/messages") => json!({"text": "B was here"}),
        ("POST", "/api/v1/simulator/{device}/inbound") => {
            json!({"from": "081299990009", "text": "B was here"})
        }
        ("POST" | "DELETE", "/api/v1/contact-groups/{group_id}/members") => {
            json!({"contact_ids": [id("contact_id")]})
        }
        _ => json!({}),
    }
}

fn is_tenant_scoped(op: &Value) -> bool {
    op["security"].as_array().is_some_and(|reqs| {
        reqs.iter()
            .any(|r| r.get("session").is_some() || r.get("api_key").is_some())
    })
}

async fn call(
    app: &TestApp,
    m: &Method,
    path: &str,
    session: Option<&str>,
    api_key: Option<&str>,
    body: &Value,
) -> (u16, String) {
    let mut req = app.client.request(m.clone(), app.url(path));
    if let Some(t) = session {
        req = req.bearer_auth(t);
    }
    if let Some(k) = api_key {
        req = req.header("x-api-key", k);
    }
    if matches!(
        *m,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        req = req.json(body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

async fn matrix(kind: DbKind) {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "t", "redirect_url": "https://app.sandbox.midtrans.com/snap/v4/redirection/t"})))
        .mount(&mock)
        .await;
    let uri = mock.uri();
    let app = spawn_app_with(kind, |c| {
        c.midtrans.server_key = Some(secrecy::SecretString::from("SB-Mid-server-x".to_owned()));
        c.midtrans.api_base_url = Some(uri.clone());
        c.midtrans.snap_base_url = Some(format!("{uri}/snap/v1"));
    })
    .await;
    let a: VendorSession = app.signup_vendor("Vendor A").await;
    let b: VendorSession = app.signup_vendor("Vendor B").await;
    let b_key = app.api_key(&b).await;

    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();

    // A owns one of everything before B tries anything.
    let mut ids: BTreeMap<String, Option<String>> = BTreeMap::new();
    for p in paths.keys() {
        if !p.starts_with("/api/v1/") || p.starts_with("/api/v1/admin") || is_marketplace(p) {
            continue;
        }
        for param in params_of(p) {
            let key = fixture_key(p, &param);
            if let std::collections::btree_map::Entry::Vacant(slot) = ids.entry(key) {
                let id = common::fixtures::create(&app, &a, slot.key()).await;
                slot.insert(id);
            }
        }
    }
    let mut checked = Vec::new();
    let mut missing_fixtures = Vec::new();
    let mut snapshots: Vec<(String, String)> = Vec::new();

    for (p, item) in paths {
        if !p.starts_with("/api/v1/")
            || p.starts_with("/api/v1/admin")
            || p.starts_with("/api/v1/auth")
            || is_marketplace(p)
        {
            continue;
        }
        let params = params_of(p);
        let mut concrete = p.clone();
        let mut missing = None;
        for param in &params {
            let key = fixture_key(p, param);
            match &ids[&key] {
                Some(id) => concrete = concrete.replace(&format!("{{{param}}}"), id),
                None => missing = Some(key),
            }
        }
        for (m, op) in item.as_object().unwrap() {
            let Ok(method) = m.to_uppercase().parse::<Method>() else {
                continue;
            };
            if !is_tenant_scoped(op) {
                continue;
            }
            if let Some(key) = &missing {
                missing_fixtures.push(format!("{} {p} (no fixture for `{key}`)", m.to_uppercase()));
                continue;
            }
            if params.is_empty() {
                if method == Method::GET {
                    // Collections: B's view never contains A's ids.
                    for (session, key) in
                        [(Some(b.token.as_str()), None), (None, Some(b_key.as_str()))]
                    {
                        let (status, body) =
                            call(&app, &method, p, session, key, &Value::Null).await;
                        assert!(status < 500, "GET {p} as B: {status} {body}");
                        for id in ids.values().flatten().chain([&a.tenant_id, &a.member_id]) {
                            assert!(
                                !body.contains(id.as_str()),
                                "GET {p} as vendor B leaks A's id {id}: {body}"
                            );
                        }
                    }
                    checked.push(format!("GET {p} (collection)"));
                }
                continue;
            }
            // A's view before B tries anything.
            if item.get("get").is_some() {
                let (status, body) = call(
                    &app,
                    &Method::GET,
                    &concrete,
                    Some(&a.token),
                    None,
                    &Value::Null,
                )
                .await;
                assert_eq!(
                    status, 200,
                    "fixture for {p} is not readable by its owner: {body}"
                );
                snapshots.push((concrete.clone(), body));
            }
            let payload = body_for(&method, p, &ids);
            for (session, key) in [(Some(b.token.as_str()), None), (None, Some(b_key.as_str()))] {
                let (status, body) = call(&app, &method, &concrete, session, key, &payload).await;
                assert!(
                    matches!(status, 400 | 403 | 404 | 422),
                    "{} {p} as vendor B answered {status}: {body}",
                    m.to_uppercase()
                );
                for id in ids.values().flatten() {
                    assert!(
                        !body.contains(id.as_str()),
                        "{} {p} as B echoes A's id: {body}",
                        m.to_uppercase()
                    );
                }
            }
            checked.push(format!("{} {p}", m.to_uppercase()));
        }
    }
    assert!(
        missing_fixtures.is_empty(),
        "tenant-scoped endpoints without a fixture (add one in tests/integration/common/fixtures.rs):\n  {}",
        missing_fixtures.join("\n  ")
    );

    // Collection POSTs naming A's resources in the body.
    let id = |k: &str| ids[k].clone().unwrap();
    let cross: [(&str, Value); 2] = [
        (
            "/api/v1/messages",
            json!({"device_id": id("device"), "to": "081299990008", "text": "B was here"}),
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "B", "template_id": id("template_id"),
                   "audience": {"contact_ids": [id("contact_id")]},
                   "devices": [{"device_id": id("device")}]}),
        ),
    ];
    for (p, payload) in &cross {
        for (session, key) in [(Some(b.token.as_str()), None), (None, Some(b_key.as_str()))] {
            let (status, body) = call(&app, &Method::POST, p, session, key, payload).await;
            assert!(
                matches!(status, 400 | 403 | 404 | 422),
                "POST {p} naming A's resources as vendor B answered {status}: {body}"
            );
        }
        checked.push(format!("POST {p} (A's ids in the body)"));
    }
    let outbox = app
        .get(
            &format!("/api/v1/simulator/{}/outbox", id("device")),
            &a.token,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !outbox.contains("B was here"),
        "B sent from A's device: {outbox}"
    );

    // Nothing B tried changed A's resources.
    for (concrete, before) in snapshots {
        let (status, after) = call(
            &app,
            &Method::GET,
            &concrete,
            Some(&a.token),
            None,
            &Value::Null,
        )
        .await;
        assert_eq!(status, 200, "A lost {concrete}");
        assert_eq!(
            before, after,
            "{concrete} changed after vendor B's requests"
        );
    }
    println!(
        "tenant isolation ({kind:?}): {} endpoint checks",
        checked.len()
    );
    for c in &checked {
        println!("  checked  {c}");
    }
    // The platform's own resources are all in the matrix.
    for must in [
        "GET /api/v1/members/{member_id}",
        "DELETE /api/v1/api-keys/{api_key_id}",
        "GET /api/v1/billing/orders/{order_id}",
        "GET /api/v1/devices/{id}",
        "PATCH /api/v1/llm-providers/{id}",
        "POST /api/v1/conversations/{id}/messages",
        "POST /api/v1/simulator/{device}/inbound",
        "POST /api/v1/messages (A's ids in the body)",
    ] {
        assert!(checked.iter().any(|c| c == must), "{must} not checked");
    }
}
both_dbs!(matrix);
