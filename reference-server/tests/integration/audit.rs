//! The audit trail over HTTP: what the features record (sign-ins, members,
//! API keys, device secrets, bot plugins, exports, admin actions), who
//! sees what, filters, exports; the hash chains' verification (library
//! function and the `verify-audit` command) against tampering, retention
//! with its anchor, and one chain under concurrent writers of two
//! processes.

use crate::common;

use common::{DbKind, TestApp, VendorSession, data, error_code, spawn_app};
use reference_server::audit::{self, Action, Actor, Entry};
use reference_server::domain::TenantId;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const UA: &str = "audit-test/1.0 (integration)";
const CLOUD_TOKEN: &str = "EAAG-audit-secret-token";

/// The vendor's entries through the API (as its owner), newest first.
async fn entries(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = data(app.get(&format!("/api/v1/audit{query}"), token).await, 200).await;
    page["items"].as_array().unwrap().clone()
}

fn actions(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", UA)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A member session of `v` with `role`, added by its owner.
async fn add_member(app: &TestApp, v: &VendorSession, role: &str) -> (String, String) {
    let email = format!("{role}-{}@audit.test", &v.whatsapp[1..]);
    let m = data(
        app.post(
            "/api/v1/members",
            &v.token,
            json!({"email": email, "name": "Staf", "password": "rahasia-123", "role": role}),
        )
        .await,
        201,
    )
    .await;
    let token = data(login(app, &email, "rahasia-123").await, 200).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    (m["id"].as_str().unwrap().to_owned(), token)
}

async fn trail_over_http(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Audit").await;
    let other = app.signup_vendor("Toko Lain").await;

    // Sign-ins: a wrong password, an unknown email, a success.
    let res = login(&app, &v.email, "salah-sekali").await;
    assert_eq!(error_code(res, 401).await, "unauthorized");
    let res = login(&app, "nobody@audit.test", "salah-sekali").await;
    assert_eq!(error_code(res, 401).await, "unauthorized");
    data(login(&app, &v.email, &v.password).await, 200).await;

    // Members and roles.
    let (agent_id, agent_token) = add_member(&app, &v, "agent").await;
    data(
        app.request(
            Method::PATCH,
            &format!("/api/v1/members/{agent_id}"),
            Some(&v.token),
            Some(json!({"role": "admin"})),
        )
        .await,
        200,
    )
    .await;
    // A name change alone is not a role change.
    data(
        app.request(
            Method::PATCH,
            &format!("/api/v1/members/{agent_id}"),
            Some(&v.token),
            Some(json!({"name": "Staf Baru"})),
        )
        .await,
        200,
    )
    .await;

    // API keys: the entry has the prefix, never the key.
    let key = app.api_key(&v).await;
    let keys = data(app.get("/api/v1/api-keys", &v.token).await, 200).await;
    let key_id = keys[0]["id"].as_str().unwrap().to_owned();
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

    // A device and its secrets: names only, never values.
    let device = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "CS", "provider": {"kind": "cloud_api", "phone_number_id": "123",
                "access_token": CLOUD_TOKEN, "app_secret": "app-secret-1", "verify_token": "verify-1"}}),
        )
        .await,
        201,
    )
    .await;
    let device_id = device["id"].as_str().unwrap().to_owned();
    // The same value again changes nothing; a new one is recorded.
    for token in [CLOUD_TOKEN, "EAAG-rotated-token"] {
        data(
            app.request(
                Method::PATCH,
                &format!("/api/v1/devices/{device_id}"),
                Some(&v.token),
                Some(json!({"provider": {"kind": "cloud_api", "access_token": token}})),
            )
            .await,
            200,
        )
        .await;
    }
    // The bot pipeline.
    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{device_id}/plugins"),
            Some(&v.token),
            Some(json!({"plugins": []})),
        )
        .await,
        200,
    )
    .await;
    // An export.
    let res = app
        .get("/api/v1/contacts/export?format=csv", &v.token)
        .await;
    assert_eq!(res.status(), 200);

    let items = entries(&app, &v.token, "?limit=100").await;
    let got = actions(&items);
    for expected in [
        "auth.login_failed",
        "auth.login",
        "member.added",
        "member.role_changed",
        "api_key.created",
        "api_key.revoked",
        "device.created",
        "device.secret_changed",
        "bot.plugins_configured",
        "export.downloaded",
    ] {
        assert!(got.contains(&expected.to_owned()), "{expected} in {got:?}");
    }
    // Newest first.
    assert_eq!(got[0], "export.downloaded");
    let count = |a: &str| got.iter().filter(|g| *g == a).count();
    assert_eq!(count("member.role_changed"), 1, "{got:?}");
    assert_eq!(count("device.secret_changed"), 1, "{got:?}");
    // Two sign-ins of the owner (the test's and add_member's agent's).
    assert_eq!(count("auth.login"), 2, "{got:?}");
    // The unknown email's failure is on the platform chain, not here.
    assert_eq!(count("auth.login_failed"), 1, "{got:?}");

    let find = |a: &str| items.iter().find(|e| e["action"] == a).unwrap().clone();
    let failed = find("auth.login_failed");
    assert_eq!(failed["actor"]["kind"], "anonymous");
    assert_eq!(failed["actor"]["label"], v.email);
    assert_eq!(failed["target"]["id"], v.member_id);
    assert_eq!(failed["after"]["reason"], "wrong_password");
    assert_eq!(failed["user_agent"], UA);
    assert_eq!(failed["ip"], "127.0.0.1");
    let role = find("member.role_changed");
    assert_eq!(role["actor"], json!({"kind": "member", "id": v.member_id}));
    assert_eq!(role["target"], json!({"kind": "member", "id": agent_id}));
    assert_eq!(role["before"], json!({"role": "agent"}));
    assert_eq!(role["after"], json!({"role": "admin"}));
    let created = find("api_key.created");
    assert_eq!(
        created["after"]["prefix"],
        key.chars().take(12).collect::<String>()
    );
    let secret = find("device.secret_changed");
    assert_eq!(secret["after"], json!({"secrets": ["access_token"]}));
    let export = find("export.downloaded");
    assert_eq!(
        export["target"],
        json!({"kind": "export", "id": "contacts"})
    );
    assert_eq!(export["after"]["format"], "csv");
    let whole = serde_json::to_string(&items).unwrap();
    for secret in [
        key.as_str(),
        CLOUD_TOKEN,
        "EAAG-rotated-token",
        "app-secret-1",
    ] {
        assert!(!whole.contains(secret), "a secret in the trail: {secret}");
    }

    // Filters and paging.
    let failed_only = entries(&app, &v.token, "?action=auth.login_failed").await;
    assert_eq!(actions(&failed_only), ["auth.login_failed"]);
    let anonymous = entries(&app, &v.token, "?actor=anonymous").await;
    assert_eq!(anonymous.len(), 1);
    let by_agent = entries(&app, &v.token, &format!("?actor={agent_id}")).await;
    // The agent only signed in (through the test helper).
    assert_eq!(actions(&by_agent), ["auth.login"]);
    let at = secret["at"].as_i64().unwrap();
    let since = entries(&app, &v.token, &format!("?from={at}&limit=100")).await;
    assert!(since.iter().all(|e| e["at"].as_i64().unwrap() >= at));
    assert!(since.iter().any(|e| e["id"] == secret["id"]));
    let before = entries(&app, &v.token, &format!("?to={at}&limit=100")).await;
    assert!(before.iter().all(|e| e["at"].as_i64().unwrap() < at));
    assert!(!before.iter().any(|e| e["id"] == secret["id"]));
    assert_eq!(since.len() + before.len(), items.len());
    let page = data(
        app.get("/api/v1/audit?limit=2&offset=1", &v.token).await,
        200,
    )
    .await;
    assert_eq!(page["total"].as_i64().unwrap(), items.len() as i64);
    assert_eq!(page["items"][0]["id"], items[1]["id"]);
    for (query, code) in [
        ("?action=auth.nope", "invalid_action"),
        ("?limit=0", "invalid_limit"),
        ("?from=10&to=5", "invalid_range"),
    ] {
        let res = app.get(&format!("/api/v1/audit{query}"), &v.token).await;
        assert_eq!(error_code(res, 400).await, code, "{query}");
    }

    // Vendors see their own only; agents see nothing.
    let (_, agent2) = add_member(&app, &other, "agent").await;
    let res = app.get("/api/v1/audit", &agent2).await;
    assert_eq!(error_code(res, 403).await, "insufficient_role");
    let theirs = entries(&app, &other.token, "?limit=100").await;
    assert!(theirs.iter().all(|e| e["tenant_id"] == other.tenant_id));
    assert_eq!(
        actions(&theirs)
            .iter()
            .filter(|a| *a == "member.added")
            .count(),
        1
    );
    // A tenant_id in the query does not widen a vendor's view.
    let widened = entries(
        &app,
        &other.token,
        &format!("?tenant_id={}&limit=100", v.tenant_id),
    )
    .await;
    assert_eq!(widened.len(), theirs.len());
    // The agent promoted to admin now reads the trail.
    assert!(!entries(&app, &agent_token, "").await.is_empty());

    // The vendor's export: every matching entry, and itself recorded.
    let res = app
        .get(
            "/api/v1/audit/export?format=csv&action=auth.login",
            &v.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("time,tenant_id,action"), "{csv}");
    assert_eq!(lines.len(), 3, "header and two sign-ins: {csv}");
    assert!(lines[1..].iter().all(|l| l.contains(",auth.login,")));
    let res = app.get("/api/v1/audit/export?format=xlsx", &v.token).await;
    assert_eq!(res.status(), 200);
    let res = app.get("/api/v1/audit/export?format=pdf", &v.token).await;
    assert_eq!(error_code(res, 400).await, "invalid_format");
    let newest = entries(&app, &v.token, "?limit=1").await;
    assert_eq!(
        newest[0]["target"],
        json!({"kind": "export", "id": "audit"})
    );
    assert_eq!(newest[0]["after"]["format"], "xlsx");

    // Admin actions land on the vendor's chain; the admin sees everything.
    let admin = app.admin_token().await;
    data(
        app.post(
            &format!("/api/v1/admin/vendors/{}/ban", other.tenant_id),
            &admin,
            json!({"reason": "spam"}),
        )
        .await,
        200,
    )
    .await;
    let res = app
        .get("/api/v1/admin/audit?action=admin.vendor_banned", &admin)
        .await;
    let banned = data(res, 200).await;
    assert_eq!(banned["total"], 1);
    let ban = &banned["items"][0];
    assert_eq!(ban["tenant_id"], other.tenant_id);
    assert_eq!(ban["actor"]["kind"], "admin");
    assert_eq!(ban["before"], json!({"status": "active"}));
    assert_eq!(ban["after"], json!({"status": "banned", "reason": "spam"}));
    let all = data(app.get("/api/v1/admin/audit?limit=500", &admin).await, 200).await;
    let all_items = all["items"].as_array().unwrap();
    for tenant in [&v.tenant_id, &other.tenant_id] {
        assert!(all_items.iter().any(|e| e["tenant_id"] == *tenant));
    }
    let platform: Vec<&Value> = all_items
        .iter()
        .filter(|e| e["tenant_id"].is_null())
        .collect();
    let platform_actions: Vec<&str> = platform
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        platform_actions.contains(&"auth.admin_login"),
        "{platform_actions:?}"
    );
    let unknown = platform
        .iter()
        .find(|e| e["action"] == "auth.login_failed")
        .unwrap();
    assert_eq!(unknown["actor"]["label"], "nobody@audit.test");
    assert_eq!(unknown["after"]["reason"], "unknown_email");
    let one = data(
        app.get(
            &format!("/api/v1/admin/audit?tenant_id={}&limit=500", v.tenant_id),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(one["total"].as_i64().unwrap(), items.len() as i64 + 2);
    let res = app.get("/api/v1/admin/audit", &v.token).await;
    assert_eq!(res.status(), 401);
    let res = app
        .get("/api/v1/admin/audit/export?format=csv", &admin)
        .await;
    assert_eq!(res.status(), 200);
    // An admin failed sign-in.
    let res = app
        .post_anon(
            "/api/v1/admin/login",
            json!({"email": app.admin_email, "password": "x"}),
        )
        .await;
    assert_eq!(error_code(res, 401).await, "unauthorized");
    let failed = data(
        app.get("/api/v1/admin/audit?action=auth.admin_login_failed", &admin)
            .await,
        200,
    )
    .await;
    assert_eq!(failed["total"], 1);

    // Everything above forms intact chains.
    let report = audit::verify(&app.state.pool).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.chains, 3, "two vendors and the platform");
    app.stop().await;
}

/// One entry of the vendor `tenant` recorded through the library.
async fn record(app: &TestApp, tenant: &str, n: usize) {
    let entry = Entry::new(Action::ExportDownloaded, Actor::System)
        .tenant(&TenantId::from(tenant))
        .after(json!({"n": n}));
    audit::record(&app.state, entry).await.unwrap();
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.state.pool).await.unwrap();
}

async fn id_at(app: &TestApp, tenant: &str, seq: i64) -> String {
    sqlx::query_scalar(&format!(
        "SELECT id FROM audit_log WHERE chain = '{tenant}' AND seq = {seq}"
    ))
    .fetch_one(&app.state.pool)
    .await
    .unwrap()
}

/// Runs the real `reference-server verify-audit` on the app's database:
/// exit status and standard output.
fn run_command(app: &TestApp) -> (bool, String) {
    let url = app
        .state
        .config
        .database_url
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .arg("verify-audit")
        .env("DATABASE_URL", url)
        .env("DATA_DIR", dir.path())
        .env_remove("CONFIG_FILE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn tampering_is_found(kind: DbKind) {
    let app = spawn_app(kind).await;
    let t = "tenant-tamper";
    for n in 0..5 {
        record(&app, t, n).await;
    }
    let mut out = Vec::new();
    let report = audit::cli::verify_command(&app.state.pool, &mut out)
        .await
        .unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.entries, 5);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "OK: audit trail intact, 5 entries in 1 chains\n"
    );
    let (ok, stdout) = run_command(&app);
    assert!(ok, "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l == "OK: audit trail intact, 5 entries in 1 chains"),
        "{stdout}"
    );

    // A changed field: the entry's hash no longer matches.
    let third = id_at(&app, t, 3).await;
    exec(
        &app,
        &format!("UPDATE audit_log SET after_json = '{{\"n\":99}}' WHERE id = '{third}'"),
    )
    .await;
    let report = audit::verify(&app.state.pool).await.unwrap();
    let broken = report.broken.unwrap();
    assert_eq!(broken.entry_id.as_deref(), Some(third.as_str()));
    assert_eq!(broken.tenant_id.as_deref(), Some(t));
    assert_eq!(broken.reason, audit::model::Broken::HashMismatch);
    let mut out = Vec::new();
    let report = audit::cli::verify_command(&app.state.pool, &mut out)
        .await
        .unwrap();
    assert!(report.broken.is_some());
    let line = String::from_utf8(out).unwrap();
    assert!(
        line.starts_with("BROKEN: chain tenant-tamper, entry "),
        "{line}"
    );
    assert!(
        line.contains(&third) && line.contains("tenant tenant-tamper"),
        "{line}"
    );
    let (ok, stdout) = run_command(&app);
    assert!(!ok, "the command exits non-zero: {stdout}");
    assert!(stdout.contains(&third), "{stdout}");

    // Recomputing the changed entry's own hash does not help: the next one
    // links to the old hash.
    exec(
        &app,
        &format!("UPDATE audit_log SET after_json = '{{\"n\":2}}' WHERE id = '{third}'"),
    )
    .await;
    assert_eq!(
        audit::verify(&app.state.pool).await.unwrap().broken,
        None,
        "restored"
    );
    let row: audit::model::StoredEntry = sqlx::query_as(&format!(
        "SELECT id, chain, seq, tenant_id, at, action, actor_kind, actor_id, actor_label, target_kind, \
         target_id, ip, user_agent, before_json, after_json, prev_hash, hash FROM audit_log WHERE id = '{third}'"
    ))
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let mut forged = row.clone();
    forged.after_json = Some("{\"n\":77}".into());
    let forged_hash = audit::digest(&forged);
    exec(
        &app,
        &format!(
            "UPDATE audit_log SET after_json = '{{\"n\":77}}', hash = '{forged_hash}' WHERE id = '{third}'"
        ),
    )
    .await;
    let broken = audit::verify(&app.state.pool)
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(broken.entry_id, Some(id_at(&app, t, 4).await));
    assert_eq!(broken.reason, audit::model::Broken::PrevMismatch);
    exec(
        &app,
        &format!(
            "UPDATE audit_log SET after_json = '{}', hash = '{}' WHERE id = '{third}'",
            row.after_json.unwrap(),
            row.hash
        ),
    )
    .await;
    assert_eq!(audit::verify(&app.state.pool).await.unwrap().broken, None);

    // A deleted entry in the middle: the next one reports the gap.
    let fourth = id_at(&app, t, 4).await;
    let fifth = id_at(&app, t, 5).await;
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE id = '{fourth}'"),
    )
    .await;
    let broken = audit::verify(&app.state.pool)
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(broken.entry_id.as_deref(), Some(fifth.as_str()));
    assert_eq!(broken.reason, audit::model::Broken::Gap { expected_seq: 4 });

    // The newest entry deleted: the head names it still.
    let app = {
        app.stop().await;
        spawn_app(kind).await
    };
    for n in 0..3 {
        record(&app, t, n).await;
    }
    let last = id_at(&app, t, 3).await;
    let second = id_at(&app, t, 2).await;
    exec(&app, &format!("DELETE FROM audit_log WHERE id = '{last}'")).await;
    let broken = audit::verify(&app.state.pool)
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(broken.entry_id.as_deref(), Some(second.as_str()));
    assert_eq!(
        broken.reason,
        audit::model::Broken::HeadMismatch { head_seq: 3 }
    );
    let (ok, stdout) = run_command(&app);
    assert!(
        !ok && stdout.lines().any(|l| l.starts_with("BROKEN:")),
        "{stdout}"
    );
    app.stop().await;
}

async fn retention_keeps_an_anchor(kind: DbKind) {
    let app = spawn_app(kind).await;
    let t = "tenant-old";
    for n in 0..4 {
        record(&app, t, n).await;
        // Distinct times, so a cutoff falls between two entries.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    record(&app, "tenant-new", 0).await;
    let seqs = |chain: &'static str| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT seq FROM audit_log WHERE chain = '{chain}' ORDER BY seq"
            ))
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    // Everything up to the second entry's time goes; the other chain's
    // newer entry stays.
    let second_at: i64 =
        sqlx::query_scalar("SELECT at FROM audit_log WHERE chain = 'tenant-old' AND seq = 2")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let deleted = audit::prune(&app.state.pool, app.state.db, second_at + 1)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(seqs(t).await, [3, 4]);
    assert_eq!(seqs("tenant-new").await, [1]);
    let report = audit::verify(&app.state.pool).await.unwrap();
    assert_eq!(report.broken, None, "verifies from the anchor");
    assert_eq!(report.entries, 3);

    // Pruning a whole chain leaves the anchor at its head; it goes on.
    audit::prune(&app.state.pool, app.state.db, i64::MAX)
        .await
        .unwrap();
    assert!(seqs(t).await.is_empty());
    assert_eq!(audit::verify(&app.state.pool).await.unwrap().broken, None);
    record(&app, t, 9).await;
    record(&app, t, 10).await;
    assert_eq!(seqs(t).await, [5, 6]);
    let report = audit::verify(&app.state.pool).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.entries, 2);

    // Deleting the oldest kept entry by hand is not retention: found.
    exec(
        &app,
        "DELETE FROM audit_log WHERE chain = 'tenant-old' AND seq = 5",
    )
    .await;
    let broken = audit::verify(&app.state.pool)
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(broken.reason, audit::model::Broken::Gap { expected_seq: 5 });
    app.stop().await;
}

/// Two server processes (two states on one database) append to one
/// vendor's chain at once: one chain, no fork, no gap.
async fn concurrent_writers_keep_one_chain(kind: DbKind) {
    let app = spawn_app(kind).await;
    let config = (*app.state.config).clone();
    let second = reference_server::build_state(config).await.unwrap();
    let t = TenantId::from("tenant-busy");
    let mut tasks = Vec::new();
    for n in 0..40 {
        let state = if n % 2 == 0 {
            app.state.clone()
        } else {
            second.clone()
        };
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let entry = Entry::new(Action::ExportDownloaded, Actor::System)
                .tenant(&t)
                .after(json!({"n": n}));
            audit::record(&state, entry).await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM audit_log WHERE chain = 'tenant-busy' ORDER BY seq")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(seqs, (1..=40).collect::<Vec<i64>>());
    let report = audit::verify(&app.state.pool).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.entries, 40);
    app.stop().await;
}

#[tokio::test]
async fn trail_over_http_sqlite() {
    trail_over_http(DbKind::Sqlite).await;
}

#[tokio::test]
async fn trail_over_http_postgres() {
    trail_over_http(DbKind::Postgres).await;
}

#[tokio::test]
async fn tampering_is_found_sqlite() {
    tampering_is_found(DbKind::Sqlite).await;
}

#[tokio::test]
async fn tampering_is_found_postgres() {
    tampering_is_found(DbKind::Postgres).await;
}

#[tokio::test]
async fn retention_keeps_an_anchor_sqlite() {
    retention_keeps_an_anchor(DbKind::Sqlite).await;
}

#[tokio::test]
async fn retention_keeps_an_anchor_postgres() {
    retention_keeps_an_anchor(DbKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_one_chain_sqlite() {
    concurrent_writers_keep_one_chain(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_one_chain_postgres() {
    concurrent_writers_keep_one_chain(DbKind::Postgres).await;
}
