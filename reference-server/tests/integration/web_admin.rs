//! The admin console and the vendor's own pages (overview, templates,
//! team, API keys, settings) in a real browser: a platform admin approves
//! a vendor that waits for approval and later bans it, and the banned
//! vendor's open session stops working; vendor A's session opens vendor
//! B's URLs and gets the 404 page; a form posted without its CSRF token is
//! refused. Screenshots of the main pages land in `target/screenshots/`.

use crate::browser::Browser;
use crate::common::{
    DbKind, TestApp, VendorSession, data, fixtures, spawn_app_with, unique_whatsapp,
};

use serde_json::{Value, json};

/// A vendor signed up and verified through the API while the platform
/// approves new vendors: it waits for approval.
struct Pending {
    tenant_id: String,
    email: String,
    password: String,
}

async fn sign_up_pending(app: &TestApp, name: &str) -> Pending {
    let whatsapp = unique_whatsapp();
    let email = format!("owner{}@web-admin.test", &whatsapp[1..]);
    let password = "rahasia-123".to_owned();
    let sent = data(
        app.post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": name, "name": format!("Pemilik {name}"), "email": email,
                   "whatsapp": whatsapp, "password": password}),
        )
        .await,
        200,
    )
    .await;
    let code = app.last_code_to(&whatsapp).await;
    let verified = data(
        app.post_anon(
            "/api/v1/auth/signup/verify",
            json!({"challenge_id": sent["challenge_id"], "code": code}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(verified["status"], "pending_approval");
    assert!(verified["session"].is_null(), "no session before approval");
    Pending {
        tenant_id: verified["tenant_id"].as_str().unwrap().to_owned(),
        email,
        password,
    }
}

/// Logs a vendor member in through the sign-in page.
async fn log_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.fill("#f-email", email).await;
    b.fill("#f-password", password).await;
    b.click("form[action='/login'] button[type=submit]").await;
}

#[tokio::test]
async fn admin_and_vendor_pages_in_the_browser() {
    let app = spawn_app_with(DbKind::Sqlite, |c| c.require_approval = true).await;
    let a = sign_up_pending(&app, "Toko Awan").await;
    let other = sign_up_pending(&app, "Toko Bintang").await;

    // The admin signs in: an unknown session goes to the admin sign-in.
    let admin = Browser::start(&app.base).await;
    admin.goto("/admin/vendors").await;
    admin.wait_path("/admin/login").await;
    admin.fill("#f-email", &app.admin_email).await;
    admin.fill("#f-password", "salah-sekali").await;
    admin
        .click("form[action='/admin/login'] button[type=submit]")
        .await;
    admin.wait_text("email atau kata sandi salah").await;
    admin.fill("#f-password", &app.admin_password).await;
    admin
        .click("form[action='/admin/login'] button[type=submit]")
        .await;
    admin.wait_path("/admin/vendors").await;
    admin.wait_text("2 menunggu persetujuan").await;
    admin.shot("admin-vendors").await;

    // A pending vendor cannot sign in yet.
    let vendor = Browser::start(&app.base).await;
    log_in(&vendor, &a.email, &a.password).await;
    vendor.wait_text("menunggu persetujuan").await;
    assert_eq!(vendor.path().await, "/login");

    // Approve both from the list.
    for t in [&a.tenant_id, &other.tenant_id] {
        let approve = format!("li[data-vendor='{t}'] button.approve");
        admin.click(&approve).await;
        admin.wait_path("/admin/vendors").await;
        admin.wait_gone(&approve).await;
    }
    assert!(!admin.body().await.contains("menunggu persetujuan"));

    // Vendor A signs in and walks its pages; a few customer messages on a
    // simulator device give its overview something to draw.
    let a_token = log_in_api(&app, &a.email, &a.password).await;
    let a_session = VendorSession {
        token: a_token.clone(),
        tenant_id: a.tenant_id.clone(),
        member_id: String::new(),
        email: a.email.clone(),
        password: a.password.clone(),
        whatsapp: String::new(),
    };
    let dev = fixtures::device(&app, &a_session).await;
    for (i, text) in ["halo", "harga?", "ada stok?", "ok terima kasih"]
        .iter()
        .enumerate()
    {
        data(
            app.post(
                &format!("/api/v1/simulator/{dev}/inbound"),
                &a_token,
                json!({"from": format!("+62812987654{i:02}"), "text": text}),
            )
            .await,
            200,
        )
        .await;
    }
    log_in(&vendor, &a.email, &a.password).await;
    vendor.wait_path("/console").await;
    vendor.click("a[href='/console/overview']").await;
    vendor.wait_text("Pesan per hari").await;
    let drawn = vendor.find("#chart-messages svg rect title").await;
    assert!(
        drawn.html(true).await.unwrap().ends_with(": masuk 4"),
        "today's column counts the four messages"
    );
    vendor.shot("console-overview").await;

    // A template with an unknown variable: refused, marked where it is.
    vendor.goto("/console/templates/new").await;
    vendor.fill("#f-name", "Promo akhir pekan").await;
    vendor
        .fill("#f-body", "{Halo|Hai} {name},\ndiskon untuk {alamat} ya")
        .await;
    // The live preview says so while typing, before any save.
    vendor.wait_text("variabel `{alamat}` tidak dikenal").await;
    assert_eq!(vendor.text("#preview .source-mark mark").await, "{");
    vendor.click("#save-template").await;
    assert!(vendor.text("#e-body").await.contains("baris 2, kolom 14"));
    assert_eq!(vendor.text("#body-mark mark").await, "{");
    assert!(vendor.text("#body-mark").await.contains("alamat}"));
    vendor.shot("console-template-error").await;
    vendor
        .fill("#f-body", "{Halo|Hai} {name}, diskon 20% minggu ini")
        .await;
    vendor
        .wait_text("Budi Santoso, diskon 20% minggu ini")
        .await;
    vendor.shot("console-template-editor").await;
    vendor.click("#save-template").await;
    vendor.wait_path("/console/templates").await;
    vendor.wait_text("Promo akhir pekan").await;

    // Team: an agent is added; a bad email is shown next to its field.
    vendor.goto("/console/team").await;
    vendor.fill("#f-name", "Rina").await;
    vendor.fill("#f-email", "rina-at-toko").await;
    vendor.fill("#f-password", "rahasia-456").await;
    vendor.click("#add-member button[type=submit]").await;
    assert!(!vendor.text("#e-email").await.is_empty());
    assert_eq!(
        vendor
            .find("#f-name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Rina")
    );
    vendor.fill("#f-email", "rina@toko-awan.test").await;
    vendor.fill("#f-password", "rahasia-456").await;
    vendor.click("#add-member button[type=submit]").await;
    vendor.wait_path("/console/team").await;
    vendor.wait_text("rina@toko-awan.test").await;
    vendor.shot("console-team").await;

    // API keys: the new key is shown once, then only its prefix.
    vendor.goto("/console/api-keys").await;
    vendor.fill("#f-name", "Toko online").await;
    vendor.click("#create-key button[type=submit]").await;
    let key = vendor.text("#new-key").await;
    assert!(key.starts_with("wak_"), "{key}");
    let me = app
        .client
        .get(app.url("/api/v1/tenant"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the shown key works");
    vendor.shot("console-api-keys").await;
    vendor.goto("/console/api-keys").await;
    assert!(!vendor.body().await.contains(&key), "shown only once");

    // CSRF: the same form without its token is refused, nothing created.
    vendor
        .client
        .execute(
            "document.querySelector('#create-key input[name=_csrf]').remove();",
            vec![],
        )
        .await
        .unwrap();
    vendor.fill("#f-name", "Tanpa token").await;
    vendor.click("#create-key button[type=submit]").await;
    vendor.wait_text("Formulir kedaluwarsa").await;
    vendor.goto("/console/api-keys").await;
    assert!(!vendor.body().await.contains("Tanpa token"));

    // Settings: the time zone and the language (the console follows).
    vendor.goto("/console/settings").await;
    vendor
        .find("#f-time_zone option[value='Asia/Makassar']")
        .await
        .click()
        .await
        .unwrap();
    vendor
        .find("#f-locale option[value='en']")
        .await
        .click()
        .await
        .unwrap();
    vendor.click("#settings button[type=submit]").await;
    vendor.wait_text("Saved.").await;
    vendor.shot("console-settings").await;
    let tenant = data(
        app.client
            .get(app.url("/api/v1/tenant"))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (tenant["time_zone"].as_str(), tenant["locale"].as_str()),
        (Some("Asia/Makassar"), Some("en"))
    );

    // Tenant isolation: vendor B's template and member, opened from A's
    // session, are the 404 page.
    let b_token = log_in_api(&app, &other.email, &other.password).await;
    let b_template = data(
        app.post(
            "/api/v1/templates",
            &b_token,
            json!({"name": "Rahasia B", "body": "Halo {name}"}),
        )
        .await,
        201,
    )
    .await;
    let b_member = data(
        app.post(
            "/api/v1/members",
            &b_token,
            json!({"name": "Agen B", "email": "agen@toko-bintang.test", "password": "rahasia-789", "role": "agent"}),
        )
        .await,
        201,
    )
    .await;
    for url in [
        format!("/console/templates/{}", b_template["id"].as_str().unwrap()),
        format!("/console/team/{}", b_member["id"].as_str().unwrap()),
    ] {
        vendor.goto(&url).await;
        vendor.wait_text("Page not found").await;
        let body = vendor.body().await;
        assert!(
            !body.contains("Rahasia B") && !body.contains("Agen B"),
            "{url}: {body}"
        );
    }
    vendor.shot("console-not-found").await;

    // The admin sees A's usage and bans it; A's open session ends.
    admin.goto(&format!("/admin/vendors/{}", a.tenant_id)).await;
    admin.wait_text("Pemakaian terhadap batas paket").await;
    admin.fill("#f-reason", "spam").await;
    admin.click("#ban").await;
    admin.accept_confirm().await;
    admin.wait_text("diblokir").await;
    assert!(admin.body().await.contains("spam"));
    admin.shot("admin-vendor").await;
    vendor.goto("/console/overview").await;
    assert_eq!(
        vendor.path().await,
        "/login",
        "the banned vendor's session ended"
    );
    log_in(&vendor, &a.email, &a.password).await;
    vendor.wait_text("banned").await;
    let refused = app
        .client
        .get(app.url("/api/v1/tenant"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "the banned vendor's key stops too");

    // Plans: a wrong number is shown next to its field, then created.
    admin.goto("/admin/plans").await;
    admin.fill("#new-plan #f-code", "grosir").await;
    admin.fill("#new-plan #f-name", "Grosir").await;
    admin.fill("#new-plan #f-price_idr", "sejuta").await;
    for (field, v) in [
        ("max_devices", "3"),
        ("max_contacts", "5000"),
        ("max_messages_per_month", "20000"),
        ("max_ai_requests_per_month", "1000"),
    ] {
        admin.fill(&format!("#new-plan #f-{field}"), v).await;
    }
    admin.click("#new-plan button[type=submit]").await;
    assert_eq!(admin.text("#e-price_idr").await, "isi dengan angka bulat");
    assert_eq!(
        admin
            .find("#f-code")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("grosir")
    );
    admin.fill("#new-plan #f-price_idr", "1000000").await;
    admin.click("#new-plan button[type=submit]").await;
    admin.wait_path("/admin/plans").await;
    admin.wait_text("Rp 1.000.000").await;
    admin.shot("admin-plans").await;

    for (path, shot, text) in [
        ("/admin/orders", "admin-orders", "Notifikasi pembayaran"),
        ("/admin/exports", "admin-exports", "vendors.xlsx"),
        ("/admin/outbox", "admin-outbox", "Outbox simulator"),
        ("/admin/health", "admin-health", "menjawab"),
        ("/admin/audit", "admin-audit", "Jejak audit"),
    ] {
        admin.goto(path).await;
        admin.wait_text(text).await;
        admin.shot(shot).await;
    }

    admin
        .goto(&format!("/admin/vendors/{}/payouts", a.tenant_id))
        .await;
    admin.wait_text("Komisi dan pembayaran").await;
    admin.shot("admin-payouts").await;

    admin.click("#admin-logout").await;
    admin.goto("/admin/vendors").await;
    admin.wait_path("/admin/login").await;

    vendor.close().await;
    admin.close().await;
    app.stop().await;
}

/// A member's session token through the JSON API.
async fn log_in_api(app: &TestApp, email: &str, password: &str) -> String {
    let session: Value = data(
        app.post_anon(
            "/api/v1/auth/login",
            json!({"email": email, "password": password}),
        )
        .await,
        200,
    )
    .await;
    session["token"].as_str().unwrap().to_owned()
}
