//! Tenant isolation matrix, driven by the OpenAPI document: for every
//! tenant-scoped endpoint under `/api/v1` (security `session` or
//! `api_key`), vendor B can neither read nor change vendor A's resources.
//!
//! * Paths with parameters: each parameter gets a resource of vendor A
//!   from `common::fixtures`; B's request (session and API key) must be
//!   refused (400/403/404/422, never 2xx), and afterwards A still reads the
//!   resource unchanged.
//! * Collection GETs: B's answer must not contain any of A's ids.
//!
//! Endpoints added later by other areas are covered automatically once
//! their path parameters have a fixture; the rest are printed as skipped.
#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeMap;

use common::{DbKind, TestApp, VendorSession, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Path prefixes owned by the platform: every parameter under them must
/// have a fixture, so a forgotten one fails the test instead of skipping.
const PLATFORM_PREFIXES: &[&str] = &[
    "/api/v1/members",
    "/api/v1/api-keys",
    "/api/v1/billing",
    "/api/v1/tenant",
    "/api/v1/me",
];

fn params_of(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
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
) -> (u16, String) {
    let mut req = app.client.request(m.clone(), app.url(path));
    if let Some(t) = session {
        req = req.bearer_auth(t);
    }
    if let Some(k) = api_key {
        req = req.header("x-api-key", k);
    }
    if matches!(*m, Method::POST | Method::PUT | Method::PATCH) {
        req = req.json(&json!({}));
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

    let mut ids: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    let mut snapshots: Vec<(String, String)> = Vec::new();

    for (p, item) in paths {
        if !p.starts_with("/api/v1/")
            || p.starts_with("/api/v1/admin")
            || p.starts_with("/api/v1/auth")
        {
            continue;
        }
        let params = params_of(p);
        let mut concrete = p.clone();
        let mut missing = None;
        for param in &params {
            if !ids.contains_key(param) {
                let id = common::fixtures::create(&app, &a, param).await;
                ids.insert(param.clone(), id);
            }
            match &ids[param] {
                Some(id) => concrete = concrete.replace(&format!("{{{param}}}"), id),
                None => missing = Some(param.clone()),
            }
        }
        for (m, op) in item.as_object().unwrap() {
            let Ok(method) = m.to_uppercase().parse::<Method>() else {
                continue;
            };
            if !is_tenant_scoped(op) {
                continue;
            }
            if let Some(param) = &missing {
                assert!(
                    !PLATFORM_PREFIXES.iter().any(|pre| p.starts_with(pre)),
                    "platform endpoint {m} {p} has no fixture for {{{param}}}"
                );
                skipped.push(format!(
                    "{} {p} (no fixture for {{{param}}})",
                    m.to_uppercase()
                ));
                continue;
            }
            if params.is_empty() {
                if method == Method::GET {
                    // Collections: B's view never contains A's ids.
                    for (session, key) in
                        [(Some(b.token.as_str()), None), (None, Some(b_key.as_str()))]
                    {
                        let (status, body) = call(&app, &method, p, session, key).await;
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
                let (status, body) =
                    call(&app, &Method::GET, &concrete, Some(&a.token), None).await;
                assert_eq!(
                    status, 200,
                    "fixture for {p} is not readable by its owner: {body}"
                );
                snapshots.push((concrete.clone(), body));
            }
            for (session, key) in [(Some(b.token.as_str()), None), (None, Some(b_key.as_str()))] {
                let (status, body) = call(&app, &method, &concrete, session, key).await;
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
    // Nothing B tried changed A's resources.
    for (concrete, before) in snapshots {
        let (status, after) = call(&app, &Method::GET, &concrete, Some(&a.token), None).await;
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
    for s in &skipped {
        println!("  SKIPPED  {s}");
    }
    // The platform's own resources are all in the matrix.
    for must in [
        "GET /api/v1/members/{member_id}",
        "DELETE /api/v1/api-keys/{api_key_id}",
        "GET /api/v1/billing/orders/{order_id}",
    ] {
        assert!(checked.iter().any(|c| c == must), "{must} not checked");
    }
}
both_dbs!(matrix);
