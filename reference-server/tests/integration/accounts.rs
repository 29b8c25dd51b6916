//! Accounts over HTTP: sign-up with OTP, login, sessions, password reset,
//! API keys, roles, rate limits, approval and bans.

use crate::common;

use common::{DbKind, data, error_code, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::json;

async fn signup_login_logout_and_reset(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Maju").await;
    let me = data(app.get("/api/v1/me", &v.token).await, 200).await;
    assert_eq!(me["tenant_id"], v.tenant_id.as_str());
    assert_eq!(me["role"], "owner");
    assert_eq!(me["auth"], "session");
    // The OTP went out from the platform sender, in Indonesian by default.
    let msgs = app.platform_messages_to(&v.whatsapp).await;
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].message.to_string().to_lowercase().contains("kode"),
        "{}",
        msgs[0].message
    );
    // The trial plan was granted at activation.
    let sub = data(app.get("/api/v1/billing/subscription", &v.token).await, 200).await;
    assert_eq!(sub["subscription"]["plan_code"], "trial");
    assert_eq!(sub["subscription"]["status"], "active");

    // Unique email and WhatsApp number.
    let dup = app
        .post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": "X", "name": "Y", "email": v.email.to_uppercase(),
                   "whatsapp": common::unique_whatsapp(), "password": "rahasia-123"}),
        )
        .await;
    assert_eq!(error_code(dup, 409).await, "email_taken");
    let local = format!("0{}", &v.whatsapp[3..]);
    let dup = app
        .post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": "X", "name": "Y", "email": "other@x.test",
                   "whatsapp": local, "password": "rahasia-123"}),
        )
        .await;
    assert_eq!(error_code(dup, 409).await, "whatsapp_taken");
    let bad = app
        .post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": "X", "name": "Y", "email": "z@x.test",
                   "whatsapp": "12", "password": "rahasia-123"}),
        )
        .await;
    assert_eq!(error_code(bad, 400).await, "invalid_phone_number");

    // Login, wrong password, logout.
    let wrong = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": v.email, "password": "nope-nope"}),
        )
        .await;
    assert_eq!(error_code(wrong, 401).await, "unauthorized");
    let s2 = data(
        app.post_anon(
            "/api/v1/auth/login",
            json!({"email": v.email, "password": v.password}),
        )
        .await,
        200,
    )
    .await;
    let t2 = s2["token"].as_str().unwrap().to_owned();
    data(app.post("/api/v1/auth/logout", &t2, json!({})).await, 200).await;
    assert_eq!(
        error_code(app.get("/api/v1/me", &t2).await, 401).await,
        "unauthorized"
    );
    // The first session is untouched by that logout.
    data(app.get("/api/v1/me", &v.token).await, 200).await;

    // Password reset by OTP ends every session.
    let sent = data(
        app.post_anon("/api/v1/auth/password-reset", json!({"email": v.email}))
            .await,
        200,
    )
    .await;
    let code = app.last_code_to(&v.whatsapp).await;
    let bad = app
        .post_anon(
            "/api/v1/auth/password-reset/confirm",
            json!({"email": v.email, "challenge_id": sent["challenge_id"], "code": "000000x", "new_password": "baru-sekali-1"}),
        )
        .await;
    assert_eq!(error_code(bad, 400).await, "otp_wrong_code");
    let done = data(
        app.post_anon(
            "/api/v1/auth/password-reset/confirm",
            json!({"email": v.email, "challenge_id": sent["challenge_id"], "code": code, "new_password": "baru-sekali-1"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["sessions_revoked"], 1);
    assert_eq!(
        error_code(app.get("/api/v1/me", &v.token).await, 401).await,
        "unauthorized"
    );
    let old = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": v.email, "password": v.password}),
        )
        .await;
    assert_eq!(old.status(), 401);
    let new = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": v.email, "password": "baru-sekali-1"}),
        )
        .await;
    assert_eq!(new.status(), 200);
    // A reset for an unknown email answers the same shape (no enumeration).
    let decoy = data(
        app.post_anon(
            "/api/v1/auth/password-reset",
            json!({"email": "nobody@x.test"}),
        )
        .await,
        200,
    )
    .await;
    assert!(decoy["challenge_id"].is_string());
}
both_dbs!(signup_login_logout_and_reset);

async fn logout_all_and_wrong_otp(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Dua").await;
    let s2 = data(
        app.post_anon(
            "/api/v1/auth/login",
            json!({"email": v.email, "password": v.password}),
        )
        .await,
        200,
    )
    .await;
    let out = data(
        app.post("/api/v1/auth/logout-all", &v.token, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(out["revoked"], 2);
    assert_eq!(
        app.get("/api/v1/me", s2["token"].as_str().unwrap())
            .await
            .status(),
        401
    );

    // A wrong sign-up code leaves the vendor unverified; login says so.
    let wa = common::unique_whatsapp();
    let sent = data(
        app.post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": "Toko Tiga", "name": "T", "email": "tiga@x.test", "whatsapp": wa, "password": "rahasia-123"}),
        )
        .await,
        200,
    )
    .await;
    let code = app.last_code_to(&wa).await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let res = app
        .post_anon(
            "/api/v1/auth/signup/verify",
            json!({"challenge_id": sent["challenge_id"], "code": wrong}),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "otp_wrong_code");
    let res = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": "tiga@x.test", "password": "rahasia-123"}),
        )
        .await;
    assert_eq!(error_code(res, 403).await, "tenant_not_verified");
}
both_dbs!(logout_all_and_wrong_otp);

async fn api_keys_and_roles(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Kunci").await;
    let created = data(
        app.post("/api/v1/api-keys", &v.token, json!({"name": "backend"}))
            .await,
        201,
    )
    .await;
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["api_key"]["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("wak_"));
    // The key is never listed; only its prefix.
    let list = data(app.get("/api/v1/api-keys", &v.token).await, 200).await;
    assert!(!list.to_string().contains(&key));
    assert_eq!(list[0]["prefix"], &key[..12]);
    // It is stored hashed.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE key_hash = $1")
        .bind(&key)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    let me = data(me, 200).await;
    assert_eq!(me["auth"], "api_key");
    assert_eq!(me["tenant_id"], v.tenant_id.as_str());
    // An API key cannot mint keys.
    let res = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .header("x-api-key", &key)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 403).await, "session_required");

    // An agent cannot manage keys.
    data(
        app.post(
            "/api/v1/members",
            &v.token,
            json!({"email": "agent@kunci.test", "name": "Agen", "password": "rahasia-123", "role": "agent"}),
        )
        .await,
        201,
    )
    .await;
    let agent = data(
        app.post_anon(
            "/api/v1/auth/login",
            json!({"email": "agent@kunci.test", "password": "rahasia-123"}),
        )
        .await,
        200,
    )
    .await;
    let agent_token = agent["token"].as_str().unwrap();
    let res = app
        .post("/api/v1/api-keys", agent_token, json!({"name": "x"}))
        .await;
    assert_eq!(error_code(res, 403).await, "insufficient_role");
    let members = data(app.get("/api/v1/members", agent_token).await, 200).await;
    assert_eq!(members.as_array().unwrap().len(), 2);

    // Revoked keys stop working at once.
    data(
        app.request(
            Method::DELETE,
            &format!("/api/v1/api-keys/{key_id}"),
            Some(&v.token),
            None,
        )
        .await,
        200,
    )
    .await;
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
both_dbs!(api_keys_and_roles);

async fn ban_stops_everything_and_unban_restores(kind: DbKind) {
    let app = spawn_app(kind).await;
    let admin = app.admin_token().await;
    let v = app.signup_vendor("Toko Nakal").await;
    let key = app.api_key(&v).await;
    assert!(
        reference_server::tenants::is_active(&app.state.pool, &v.tenant_id.as_str().into())
            .await
            .unwrap()
    );

    let banned = data(
        app.post(
            &format!("/api/v1/admin/vendors/{}/ban", v.tenant_id),
            &admin,
            json!({"reason": "spam"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(banned["status"], "banned");
    assert!(
        !reference_server::tenants::is_active(&app.state.pool, &v.tenant_id.as_str().into())
            .await
            .unwrap()
    );
    // Sessions end, login is refused, the API key is refused.
    assert_eq!(app.get("/api/v1/me", &v.token).await.status(), 401);
    let res = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": v.email, "password": v.password}),
        )
        .await;
    assert_eq!(error_code(res, 403).await, "tenant_banned");
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 403).await, "tenant_banned");
    // The data stays.
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE tenant_id = $1")
        .bind(&v.tenant_id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(members, 1);

    let vendors = data(
        app.get("/api/v1/admin/vendors?status=banned", &admin).await,
        200,
    )
    .await;
    assert_eq!(vendors.as_array().unwrap().len(), 1);
    assert_eq!(vendors[0]["ban_reason"], "spam");

    data(
        app.post(
            &format!("/api/v1/admin/vendors/{}/unban", v.tenant_id),
            &admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Vendor endpoints refuse admin tokens and vice versa.
    assert_eq!(app.get("/api/v1/admin/vendors", &key).await.status(), 401);
    assert_eq!(app.get("/api/v1/me", &admin).await.status(), 401);
}
both_dbs!(ban_stops_everything_and_unban_restores);

async fn approval_flow(kind: DbKind) {
    let app = spawn_app_with(kind, |c| c.require_approval = true).await;
    let admin = app.admin_token().await;
    let wa = common::unique_whatsapp();
    let sent = data(
        app.post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": "Toko Sabar", "name": "S", "email": "sabar@x.test", "whatsapp": wa, "password": "rahasia-123", "locale": "en"}),
        )
        .await,
        200,
    )
    .await;
    let code = app.last_code_to(&wa).await;
    let v = data(
        app.post_anon(
            "/api/v1/auth/signup/verify",
            json!({"challenge_id": sent["challenge_id"], "code": code}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "pending_approval");
    assert!(v["session"].is_null());
    let res = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": "sabar@x.test", "password": "rahasia-123"}),
        )
        .await;
    assert_eq!(error_code(res, 403).await, "tenant_pending_approval");
    let tenant = v["tenant_id"].as_str().unwrap();
    // Unban is not approve.
    let res = app
        .post(
            &format!("/api/v1/admin/vendors/{tenant}/unban"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "invalid_transition");
    data(
        app.post(
            &format!("/api/v1/admin/vendors/{tenant}/approve"),
            &admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let res = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": "sabar@x.test", "password": "rahasia-123"}),
        )
        .await;
    assert_eq!(res.status(), 200);
}
both_dbs!(approval_flow);

async fn rate_limits_apply(kind: DbKind) {
    let app = spawn_app_with(kind, |c| {
        c.rate_limits.per_ip_per_minute = 1000;
        c.rate_limits.per_account_per_minute = 3;
    })
    .await;
    let body = json!({"email": "victim@x.test", "password": "guess-guess"});
    for _ in 0..3 {
        assert_eq!(
            app.post_anon("/api/v1/auth/login", body.clone())
                .await
                .status(),
            401
        );
    }
    let res = app.post_anon("/api/v1/auth/login", body).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(error_code(res, 429).await, "rate_limited");
    // Another account from the same IP is not blocked by that.
    let other = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": "else@x.test", "password": "guess-guess"}),
        )
        .await;
    assert_eq!(other.status(), 401);
}
both_dbs!(rate_limits_apply);

/// The stored states and kinds of accounts are enums in the OpenAPI
/// document, with the values the API answers and accepts.
#[test]
fn account_states_list_their_values_in_openapi() {
    let doc = serde_json::to_value(reference_server::http::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let values = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enum: {}", schemas[name]))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        values("TenantStatus"),
        [
            "pending_verification",
            "pending_approval",
            "active",
            "banned",
            "deleted"
        ]
    );
    assert_eq!(values("Role"), ["owner", "admin", "agent"]);
    // Answers that carry them refer to the enums, not to free strings.
    let text = doc.to_string();
    for name in ["TenantStatus", "Role"] {
        let reference = format!("\"$ref\":\"#/components/schemas/{name}\"");
        assert!(text.contains(&reference), "nothing refers to {name}");
    }
}
