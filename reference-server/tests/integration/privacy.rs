//! Personal data over HTTP: one contact's export and erasure (with its
//! conversations, campaign rows and plugin data; other contacts and
//! vendors untouched), message retention, and a vendor account's deletion
//! after the cooling-off period.

use crate::bots_support;
use crate::common;

use common::{DbKind, TestApp, data, error_code, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

async fn count(app: &TestApp, sql: &str, id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// A contact with `phone`, tagged `vip`; answers its id.
async fn contact(app: &TestApp, token: &str, phone: &str, name: &str) -> String {
    data(
        app.post(
            "/api/v1/contacts",
            token,
            json!({"phone": phone, "name": name, "tags": ["vip"]}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What a plugin stores under a customer's number (keyword-rules keeps its
/// out-of-hours note this way).
async fn plugin_note(app: &TestApp, tenant: &str, digits: &str) {
    sqlx::query("INSERT INTO bot_kv (tenant, plugin, key, value) VALUES ($1, $2, $3, $4)")
        .bind(tenant)
        .bind("keyword-rules")
        .bind(format!("ooh:{digits}"))
        .bind("323032362d31322d3037")
        .execute(&app.state.pool)
        .await
        .unwrap();
}

async fn contact_export_and_erase(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko Privasi").await;
    let b = app.signup_vendor("Toko Lain").await;
    let dev = bots_support::simulator_device(
        &app,
        &a.token,
        json!({}),
        json!([{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]),
    )
    .await;
    let sari = contact(&app, &a.token, "0812-5555-0101", "Sari").await;
    let tono = contact(&app, &a.token, "0812-5555-0202", "Tono").await;
    let group = data(
        app.post(
            "/api/v1/contact-groups",
            &a.token,
            json!({"name": "Pelanggan Setia"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    data(
        app.post(
            &format!("/api/v1/contact-groups/{group}/members"),
            &a.token,
            json!({"contact_ids": [sari]}),
        )
        .await,
        200,
    )
    .await;
    for from in ["0812-5555-0101", "0812-5555-0202"] {
        let r = bots_support::inject(&app, &a.token, &dev, from, "harga?").await;
        assert_eq!(r["replies"], 1, "{r}");
    }
    let t = data(
        app.post(
            "/api/v1/templates",
            &a.token,
            json!({"name": "promo", "body": "Halo {name}, ada promo!"}),
        )
        .await,
        201,
    )
    .await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let campaign = data(
        app.post(
            "/api/v1/campaigns",
            &a.token,
            json!({"name": "Promo", "template_id": t["id"], "audience": {"tags": ["vip"]},
                   "devices": [{"device_id": dev, "rate_per_minute": 60}],
                   "schedule_at": tomorrow}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    data(
        app.post(
            &format!("/api/v1/campaigns/{campaign}/start"),
            &a.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    plugin_note(&app, &a.tenant_id, "6281255550101").await;
    plugin_note(&app, &a.tenant_id, "6281255550202").await;

    // The export holds everything about Sari and nothing about Tono.
    let export = data(
        app.get(&format!("/api/v1/contacts/{sari}/personal-data"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(export["contact"]["phone"], "+6281255550101", "{export}");
    assert_eq!(export["contact"]["tags"], json!(["vip"]));
    assert_eq!(export["groups"], json!(["Pelanggan Setia"]));
    let convs = export["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 1, "{export}");
    let bodies: Vec<&str> = convs[0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(bodies.contains(&"harga?"), "{bodies:?}");
    assert!(bodies.contains(&"Harga mulai Rp10.000"), "{bodies:?}");
    assert_eq!(export["campaign_messages"].as_array().unwrap().len(), 1);
    assert_eq!(
        export["campaign_messages"][0]["campaign_id"],
        campaign.as_str()
    );
    assert_eq!(
        export["plugin_entries"],
        json!([{"plugin": "keyword-rules", "key": "ooh:6281255550101"}])
    );
    assert_eq!(export["marketplace_orders"], json!([]));
    assert!(!export.to_string().contains("6281255550202"));

    // Another vendor reaches neither the export nor the erasure.
    let other = app
        .get(&format!("/api/v1/contacts/{sari}/personal-data"), &b.token)
        .await;
    assert_eq!(error_code(other, 404).await, "not_found");
    let other = app
        .post(
            &format!("/api/v1/contacts/{sari}/erase"),
            &b.token,
            json!({}),
        )
        .await;
    assert_eq!(error_code(other, 404).await, "not_found");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM contacts WHERE id = $1", &sari).await,
        1
    );

    let erased = data(
        app.post(
            &format!("/api/v1/contacts/{sari}/erase"),
            &a.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(erased["conversations"], 1, "{erased}");
    assert_eq!(erased["messages"], 2, "{erased}");
    assert_eq!(erased["campaign_rows"], 1, "{erased}");
    assert_eq!(erased["plugin_entries"], 1, "{erased}");

    // Sari is gone everywhere; Tono keeps everything.
    let gone = app.get(&format!("/api/v1/contacts/{sari}"), &a.token).await;
    assert_eq!(error_code(gone, 404).await, "not_found");
    for (sql, phone, left) in [
        (
            "SELECT COUNT(*) FROM conversations WHERE contact_number = $1",
            "+6281255550101",
            0,
        ),
        (
            "SELECT COUNT(*) FROM conversations WHERE contact_number = $1",
            "+6281255550202",
            1,
        ),
        (
            "SELECT COUNT(*) FROM campaign_recipients WHERE phone = $1",
            "+6281255550101",
            0,
        ),
        (
            "SELECT COUNT(*) FROM campaign_recipients WHERE phone = $1",
            "+6281255550202",
            1,
        ),
        (
            "SELECT COUNT(*) FROM bot_kv WHERE key LIKE '%' || $1",
            "6281255550101",
            0,
        ),
        (
            "SELECT COUNT(*) FROM bot_kv WHERE key LIKE '%' || $1",
            "6281255550202",
            1,
        ),
        (
            "SELECT COUNT(*) FROM contact_group_members WHERE contact_id = $1",
            &sari,
            0,
        ),
        (
            "SELECT COUNT(*) FROM contact_tags WHERE contact_id = $1",
            &sari,
            0,
        ),
    ] {
        assert_eq!(count(&app, sql, phone).await, left, "{sql} {phone}");
    }
    data(
        app.get(&format!("/api/v1/contacts/{tono}"), &a.token).await,
        200,
    )
    .await;

    // The audit trail records the erasure by its id, never the number.
    let audit = data(
        app.get("/api/v1/audit?action=data.erased", &a.token).await,
        200,
    )
    .await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(items[0]["target"]["id"], sari.as_str(), "{audit}");
    assert!(!audit.to_string().contains("5555"), "{audit}");

    // Erasing twice finds nothing.
    let again = app
        .post(
            &format!("/api/v1/contacts/{sari}/erase"),
            &a.token,
            json!({}),
        )
        .await;
    assert_eq!(error_code(again, 404).await, "not_found");
    app.stop().await;
}
both_dbs!(contact_export_and_erase);

async fn message_retention(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko Simpan").await;
    let b = app.signup_vendor("Toko Arsip").await;
    let plugins = json!([{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]);
    let dev_a = bots_support::simulator_device(&app, &a.token, json!({}), plugins.clone()).await;
    let dev_b = bots_support::simulator_device(&app, &b.token, json!({}), plugins).await;
    for (token, dev) in [(&a.token, &dev_a), (&b.token, &dev_b)] {
        bots_support::inject(&app, token, dev, "0813-1111-2222", "harga lama").await;
    }

    let settings = data(app.get("/api/v1/privacy/settings", &a.token).await, 200).await;
    assert_eq!(settings["message_retention_days"], Value::Null);
    for bad in [json!(0), json!(3651), json!(-5)] {
        let res = app
            .request(
                Method::PUT,
                "/api/v1/privacy/settings",
                Some(&a.token),
                Some(json!({"message_retention_days": bad})),
            )
            .await;
        assert_eq!(error_code(res, 400).await, "invalid_retention", "{bad}");
    }
    let saved = data(
        app.request(
            Method::PUT,
            "/api/v1/privacy/settings",
            Some(&a.token),
            Some(json!({"message_retention_days": 30})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["message_retention_days"], 30);
    let settings = data(app.get("/api/v1/privacy/settings", &a.token).await, 200).await;
    assert_eq!(settings["message_retention_days"], 30);

    // Both vendors' messages are 31 days old; a new one arrives at A.
    sqlx::query("UPDATE messages SET created_at = created_at - $1")
        .bind(31 * DAY_MS)
        .execute(&app.state.pool)
        .await
        .unwrap();
    bots_support::inject(&app, &a.token, &dev_a, "0813-1111-2222", "harga baru").await;

    let deleted =
        reference_server::privacy::apply_retention(&app.state, reference_server::db::now_ms())
            .await
            .unwrap();
    assert_eq!(deleted, 2, "the old message and its reply at A");
    let left_a = count(
        &app,
        "SELECT COUNT(*) FROM messages WHERE tenant_id = $1",
        &a.tenant_id,
    )
    .await;
    assert_eq!(left_a, 2, "the new message and its reply stay");
    let left_b = count(
        &app,
        "SELECT COUNT(*) FROM messages WHERE tenant_id = $1",
        &b.tenant_id,
    )
    .await;
    assert_eq!(left_b, 2, "B keeps its history");
    let again =
        reference_server::privacy::apply_retention(&app.state, reference_server::db::now_ms())
            .await
            .unwrap();
    assert_eq!(again, 0);

    // Back to keeping everything.
    data(
        app.request(
            Method::PUT,
            "/api/v1/privacy/settings",
            Some(&a.token),
            Some(json!({"message_retention_days": null})),
        )
        .await,
        200,
    )
    .await;
    let settings = data(app.get("/api/v1/privacy/settings", &a.token).await, 200).await;
    assert_eq!(settings["message_retention_days"], Value::Null);
    app.stop().await;
}
both_dbs!(message_retention);

async fn account_deletion(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko Pamit").await;
    let b = app.signup_vendor("Toko Tetap").await;
    let dev = bots_support::simulator_device(
        &app,
        &a.token,
        json!({}),
        json!([{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]),
    )
    .await;
    contact(&app, &a.token, "0812-7777-0101", "Ani").await;
    contact(&app, &b.token, "0812-7777-0101", "Ani").await;
    bots_support::inject(&app, &a.token, &dev, "0812-7777-0101", "harga").await;

    // Only the signed-in owner, typing the name, can ask.
    let key = app.api_key(&a).await;
    let res = app
        .client
        .post(app.url("/api/v1/account/deletion"))
        .header("X-Api-Key", &key)
        .json(&json!({"confirm_name": "Toko Pamit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .post(
            "/api/v1/account/deletion",
            &a.token,
            json!({"confirm_name": "Toko Lain"}),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "confirmation_mismatch");
    let none = app.get("/api/v1/account/deletion", &a.token).await;
    assert_eq!(none.status(), 404);

    let asked = reference_server::db::now_ms();
    let scheduled = data(
        app.post(
            "/api/v1/account/deletion",
            &a.token,
            json!({"confirm_name": "Toko Pamit"}),
        )
        .await,
        200,
    )
    .await;
    let due = scheduled["due_at"].as_i64().unwrap();
    assert!(
        due >= asked + 14 * DAY_MS && due < asked + 14 * DAY_MS + 60_000,
        "{scheduled}"
    );
    let twice = app
        .post(
            "/api/v1/account/deletion",
            &a.token,
            json!({"confirm_name": "Toko Pamit"}),
        )
        .await;
    assert_eq!(error_code(twice, 409).await, "deletion_scheduled");

    // Cancelled in the cooling-off period, then asked again.
    data(
        app.request(
            Method::DELETE,
            "/api/v1/account/deletion",
            Some(&a.token),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/account/deletion", &a.token).await.status(),
        404
    );
    let scheduled = data(
        app.post(
            "/api/v1/account/deletion",
            &a.token,
            json!({"confirm_name": "Toko Pamit"}),
        )
        .await,
        200,
    )
    .await;
    let due = scheduled["due_at"].as_i64().unwrap();

    // Before it is due nothing happens; the account keeps working.
    let early = reference_server::privacy::delete_due_accounts(&app.state, due - 1)
        .await
        .unwrap();
    assert!(early.is_empty());
    data(app.get("/api/v1/contacts", &a.token).await, 200).await;

    let done = reference_server::privacy::delete_due_accounts(&app.state, due + 1)
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].as_str(), a.tenant_id);
    let once = reference_server::privacy::delete_due_accounts(&app.state, due + 2)
        .await
        .unwrap();
    assert!(once.is_empty(), "deleted once");

    // A's data is gone; its sessions and logins with it.
    for table in [
        "contacts",
        "conversations",
        "messages",
        "devices",
        "device_plugins",
        "members",
        "api_keys",
        "sessions",
        "privacy_settings",
    ] {
        let n = count(
            &app,
            &format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1"),
            &a.tenant_id,
        )
        .await;
        assert_eq!(n, 0, "{table}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE chain = $1",
            &a.tenant_id
        )
        .await,
        0
    );
    let row: (String, String, String) =
        sqlx::query_as("SELECT name, whatsapp, status FROM tenants WHERE id = $1")
            .bind(&a.tenant_id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(row.0, "");
    assert_eq!(row.1, format!("deleted:{}", a.tenant_id));
    assert_eq!(row.2, "deleted");
    assert_eq!(app.get("/api/v1/contacts", &a.token).await.status(), 401);
    let login = app
        .post_anon(
            "/api/v1/auth/login",
            json!({"email": a.email, "password": a.password}),
        )
        .await;
    assert_eq!(login.status(), 401);

    // B is untouched; the platform's trail records the deletion.
    let contacts = data(app.get("/api/v1/contacts", &b.token).await, 200).await;
    assert_eq!(contacts["total"], 1);
    let admin = app.admin_token().await;
    let audit = data(
        app.get("/api/v1/admin/audit?action=account.deleted", &admin)
            .await,
        200,
    )
    .await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(items[0]["target"]["id"], a.tenant_id.as_str());
    app.stop().await;
}
both_dbs!(account_deletion);

async fn console_page(kind: DbKind) {
    use crate::web_pages::{location, vendor_client};
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Konsol").await;
    let mut w = vendor_client(&app, &v).await;
    let page = w.page("/console/privacy", 200).await;
    assert!(page.contains("id=\"retention\""), "{page}");
    assert!(
        page.contains("href=\"/console/privacy\""),
        "the menu links the page"
    );

    // Bad input keeps what was typed and changes nothing.
    let res = w
        .submit("/console/privacy", "/console/privacy", &[("days", "0")])
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-days\""), "{body}");
    assert!(body.contains("value=\"0\""), "{body}");
    let res = w
        .submit(
            "/console/privacy",
            "/console/privacy",
            &[("days", "tiga puluh")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let s = data(app.get("/api/v1/privacy/settings", &v.token).await, 200).await;
    assert_eq!(s["message_retention_days"], Value::Null);

    let res = w
        .submit("/console/privacy", "/console/privacy", &[("days", "90")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console/privacy?saved=1");
    let s = data(app.get("/api/v1/privacy/settings", &v.token).await, 200).await;
    assert_eq!(s["message_retention_days"], 90);

    // Without the CSRF token nothing is scheduled.
    let res = w
        .post(
            "/console/privacy/deletion",
            None,
            &[("confirm_name", "Toko Konsol")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.get("/api/v1/account/deletion", &v.token).await.status(),
        404
    );
    let res = w
        .submit(
            "/console/privacy",
            "/console/privacy/deletion",
            &[("confirm_name", "Toko")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-confirm_name\""));
    let res = w
        .submit(
            "/console/privacy",
            "/console/privacy/deletion",
            &[("confirm_name", "Toko Konsol")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = w.page("/console/privacy", 200).await;
    assert!(page.contains("id=\"deletion-due\""), "{page}");
    data(app.get("/api/v1/account/deletion", &v.token).await, 200).await;
    let res = w
        .submit("/console/privacy", "/console/privacy/deletion/cancel", &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get("/api/v1/account/deletion", &v.token).await.status(),
        404
    );

    // One contact's data from its page: a JSON download, and the erasure.
    let id = contact(&app, &v.token, "0812-6666-0101", "Rina").await;
    let page = w.page(&format!("/console/contacts/{id}"), 200).await;
    assert!(page.contains("id=\"erase-contact\""), "{page}");
    let res = w
        .get(&format!("/console/contacts/{id}/personal-data"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".json")
    );
    let export: Value = res.json().await.unwrap();
    assert_eq!(export["contact"]["phone"], "+6281266660101", "{export}");
    let other = app.signup_vendor("Toko Asing").await;
    let mut o = vendor_client(&app, &other).await;
    assert_eq!(
        o.get(&format!("/console/contacts/{id}/personal-data"))
            .await
            .status(),
        404
    );
    let res = w
        .post(&format!("/console/contacts/{id}/erase"), None, &[])
        .await;
    assert_eq!(res.status(), 403);
    data(
        app.get(&format!("/api/v1/contacts/{id}"), &v.token).await,
        200,
    )
    .await;
    let res = w
        .submit(
            &format!("/console/contacts/{id}"),
            &format!("/console/contacts/{id}/erase"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console/contacts");
    let gone = app.get(&format!("/api/v1/contacts/{id}"), &v.token).await;
    assert_eq!(error_code(gone, 404).await, "not_found");
    app.stop().await;
}
both_dbs!(console_page);
