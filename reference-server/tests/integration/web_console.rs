//! The web console in a real browser: headless Chromium driven through
//! chromedriver (WebDriver) by `fantoccini`, against the server started
//! in-process on 127.0.0.1 with a temporary SQLite database and Midtrans
//! on wiremock. One browser session walks the newcomer journey; the
//! screenshots of the main pages (phone and desktop sizes) land in
//! `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/setup.sh`
//! installs them).

use crate::browser::Browser;
use crate::common;

use common::{DbKind, TestApp, find_code, spawn_app_with, unique_whatsapp};
use midtrans_client::testing::signed_notification;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVER_KEY: &str = "SB-Mid-server-web-console";

async fn app_with_midtrans() -> (TestApp, MockServer) {
    let mock = MockServer::start().await;
    let uri = mock.uri();
    let app = spawn_app_with(DbKind::Sqlite, |c| {
        c.midtrans.server_key = Some(secrecy::SecretString::from(SERVER_KEY.to_owned()));
        c.midtrans.api_base_url = Some(uri.clone());
        c.midtrans.snap_base_url = Some(format!("{uri}/snap/v1"));
    })
    .await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "snap-web-1",
            "redirect_url": format!("{uri}/snap/v4/redirection/snap-web-1")
        })))
        .mount(&mock)
        .await;
    (app, mock)
}

/// Midtrans' GET status says the order was paid.
async fn paid_at_midtrans(mock: &MockServer, order: &str, amount: i64) {
    Mock::given(method("GET"))
        .and(path(format!("/v2/{order}/status")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status_code": "200",
            "status_message": "Success, transaction is found",
            "transaction_id": format!("tx-{order}"),
            "order_id": order,
            "gross_amount": format!("{amount}.00"),
            "currency": "IDR",
            "payment_type": "bank_transfer",
            "transaction_time": "2026-01-01 10:00:00",
            "transaction_status": "settlement",
            "fraud_status": "accept"
        })))
        .mount(mock)
        .await;
}

/// Signs up through the pages: form, code from the simulator outbox page,
/// verification, and lands signed in on the console.
async fn sign_up(b: &Browser, business: &str) -> String {
    let whatsapp = unique_whatsapp();
    b.goto("/").await;
    b.shot("landing").await;
    b.click("a[href='/signup']").await;
    // A mistake first: it is shown next to its field, the rest is kept.
    b.fill("#f-business_name", business).await;
    b.fill("#f-name", "Sari").await;
    b.fill("#f-email", "bukan-email").await;
    b.fill("#f-whatsapp", &whatsapp).await;
    b.fill("#f-password", "rahasia-123").await;
    b.click("form[action='/signup'] button[type=submit]").await;
    let error = b.text("#e-email").await;
    assert!(
        !error.is_empty(),
        "the email error is shown next to the field"
    );
    assert_eq!(
        b.find("#f-business_name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(business)
    );
    b.shot("signup-error").await;
    let email = format!("owner{}@web.test", &whatsapp[1..]);
    b.fill("#f-email", &email).await;
    b.fill("#f-password", "rahasia-123").await;
    b.click("form[action='/signup'] button[type=submit]").await;
    b.wait_path("/signup/verify").await;
    // The code is read where a newcomer reads it: the outbox page.
    b.goto("/dev/outbox").await;
    b.shot("outbox").await;
    let code = find_code(&b.text(".messages .body").await).expect("a code in the outbox");
    b.client.back().await.unwrap();
    b.fill("#f-code", &code).await;
    b.click("form[action='/signup/verify'] button[type=submit]")
        .await;
    b.wait_path("/console").await;
    b.shot("console-start").await;
    email
}

#[tokio::test]
async fn newcomer_journey_in_the_browser() {
    let (app, mock) = app_with_midtrans().await;
    let b = Browser::start(&app.base).await;

    let email = sign_up(&b, "Toko Sari").await;
    assert!(b.body().await.contains("Toko Sari"));

    // The language switch: English, remembered.
    b.click("#lang-switch").await;
    b.wait_text("Welcome").await;
    b.click("#lang-switch").await;
    b.wait_text("Selamat datang").await;

    // Sign out, then a wrong password, then in again.
    b.click("form[action='/logout'] button").await;
    b.wait_path("/").await;
    b.goto("/console").await;
    b.wait_path("/login").await;
    b.fill("#f-email", &email).await;
    b.fill("#f-password", "salah-sekali").await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_text("email atau kata sandi salah").await;
    b.shot("login-error").await;
    b.fill("#f-password", "rahasia-123").await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_path("/console").await;

    // A simulator device.
    b.click("nav a[href='/console/devices']").await;
    b.fill("#f-name", "CS Toko").await;
    b.click("#add-device button[type=submit]").await;
    b.wait_text("CS Toko").await;
    assert!(b.text("#webhook-url").await.contains("/webhooks/whatsapp/"));
    let device_path = b.path().await;
    b.shot("device").await;

    // A keyword rule, tried before any customer writes.
    b.click("a[href^='/console/bot?device=']").await;
    b.fill("#f-keywords", "harga, price").await;
    b.fill("#f-reply", "Halo {name}, harga mulai Rp10.000")
        .await;
    b.click("#add-rule button[type=submit]").await;
    b.wait_text("harga, price").await;
    b.fill("#f-try-text", "berapa harga kaos?").await;
    b.click("#try button[type=submit]").await;
    b.find(".try-reply").await;
    b.wait_text("harga mulai Rp10.000").await;
    b.shot("bot").await;
    b.fill("#f-try-text", "selamat pagi").await;
    b.click("#try button[type=submit]").await;
    b.find("#try-none").await;

    // A customer writes; the bot's reply shows in the inbox.
    b.goto(&device_path).await;
    b.fill("#f-from", "0812 7777 8888").await;
    b.fill("#f-text", "Harga kaos berapa?").await;
    b.click("#simulate button[type=submit]").await;
    b.wait_path("/console/inbox").await;
    b.click(".conversation-link").await;
    b.wait_text("harga mulai Rp10.000").await;
    b.shot("conversation").await;

    // Take over: a second message gets no bot reply; the agent answers.
    b.click("#take-over").await;
    b.find("#hand-back").await;
    let conversation_path = b.path().await;
    b.goto(&device_path).await;
    b.fill("#f-from", "0812 7777 8888").await;
    b.fill("#f-text", "Bisa kirim ke Bandung?").await;
    b.click("#simulate button[type=submit]").await;
    b.goto(&conversation_path).await;
    b.wait_text("Bisa kirim ke Bandung?").await;
    b.fill("#f-text", "Bisa kak, ongkir Rp15.000").await;
    b.click("#reply button[type=submit]").await;
    b.wait_text("Bisa kak, ongkir Rp15.000").await;
    let body = b.body().await;
    assert_eq!(
        body.matches("harga mulai Rp10.000").count(),
        1,
        "the bot answered only before the takeover:\n{body}"
    );
    b.click("#hand-back").await;
    b.find("#take-over").await;

    // Contacts from a CSV with one bad row: the good rows are imported,
    // the bad one is listed with its reason.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("kontak.csv");
    std::fs::write(
        &csv,
        "phone,name\n081211110001,Ani\n081211110002,Budi\nbukan-nomor,Cici\n",
    )
    .unwrap();
    b.click("nav a[href='/console/contacts']").await;
    b.find("#f-file")
        .await
        .send_keys(&csv.display().to_string())
        .await
        .unwrap();
    b.click("#import button[type=submit]").await;
    assert_eq!(b.text("#imported-created").await, "2");
    assert_eq!(b.text("#imported-rejected").await, "1");
    let rejected = b.text("#rejected").await;
    assert!(rejected.contains('4'), "the bad row is named: {rejected}");
    assert_eq!(b.text("#contact-total").await, "2");
    b.shot("contacts-import").await;

    // Buy a plan: the order goes to (mock) Snap, Midtrans' notification
    // confirms it, the page shows it paid and the plan active.
    b.click("nav a[href='/console/billing']").await;
    b.shot("billing").await;
    b.click("button.buy[data-plan='basic']").await;
    let pay = b
        .find("#pay-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(pay.starts_with(&mock.uri()), "{pay}");
    let order_id: String = sqlx::query_scalar("SELECT id FROM orders ORDER BY created_at DESC")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    paid_at_midtrans(&mock, &order_id, 99_000).await;
    let res = app
        .client
        .post(app.url("/webhooks/midtrans"))
        .header("content-type", "application/json")
        .body(signed_notification(
            &order_id,
            "settlement",
            99_000,
            SERVER_KEY,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    b.goto("/console/billing").await;
    b.wait_text("lunas").await;
    assert!(b.text("#subscription").await.contains("Basic"));
    b.shot("billing-paid").await;

    // CSRF: a form posted without its token is refused, and nothing happens.
    b.goto(&conversation_path).await;
    b.client
        .execute(
            "document.querySelector('#reply input[name=_csrf]').remove();",
            vec![],
        )
        .await
        .unwrap();
    b.fill("#f-text", "tanpa token").await;
    b.click("#reply button[type=submit]").await;
    b.wait_text("Formulir kedaluwarsa").await;
    b.shot("csrf-refused").await;
    b.goto(&conversation_path).await;
    assert!(!b.body().await.contains("tanpa token"));

    // Tenant isolation: another vendor's device and conversation are "not
    // found" from this session, and its name never shows.
    let other = app.signup_vendor("Toko Lain").await;
    let device = common::data(
        app.post(
            "/api/v1/devices",
            &other.token,
            json!({"name": "Rahasia Lain", "provider": {"kind": "simulator"}}),
        )
        .await,
        201,
    )
    .await;
    let other_device = device["id"].as_str().unwrap().to_owned();
    common::data(
        app.post(
            &format!("/api/v1/simulator/{other_device}/inbound"),
            &other.token,
            json!({"from": "081299990000", "text": "pesan rahasia"}),
        )
        .await,
        200,
    )
    .await;
    let convs = common::data(app.get("/api/v1/conversations", &other.token).await, 200).await;
    let other_conv = convs[0]["id"].as_str().unwrap().to_owned();
    for path in [
        format!("/console/devices/{other_device}"),
        format!("/console/inbox/{other_conv}"),
        format!("/console/bot?device={other_device}"),
    ] {
        b.goto(&path).await;
        let body = b.body().await;
        assert!(
            body.contains("Halaman tidak ditemukan"),
            "{path} from another vendor's session:\n{body}"
        );
        assert!(!body.contains("Rahasia Lain") && !body.contains("pesan rahasia"));
    }
    b.goto("/console/inbox").await;
    assert!(!b.body().await.contains("pesan rahasia"));

    b.client.close().await.unwrap();
    app.stop().await;
}

/// The console's HTTP habits without a browser, on both databases: HTML
/// errors for pages and JSON for the API, the security headers, the
/// CSRF refusal, the session cookie's flags, and cached static files.
async fn console_http_habits(kind: DbKind) {
    let app = common::spawn_app(kind).await;
    let html = |path: &str| {
        app.client
            .get(app.url(path))
            .header("accept", "text/html,application/xhtml+xml")
    };

    let res = html("/").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let browser_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(browser_cookie.contains("HttpOnly") && browser_cookie.contains("SameSite=Lax"));
    let page = res.text().await.unwrap();
    assert!(!page.contains("<script>") && !page.contains(" style="));

    // Unknown page: the HTML 404; unknown API route: the JSON envelope.
    let res = html("/tidak-ada").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let res = html("/api/v1/tidak-ada").send().await.unwrap();
    assert_eq!(common::error_code(res, 404).await, "not_found");

    // A form post without the CSRF token: the 403 page, and no session.
    let vendor = app.signup_vendor("Toko Cookie").await;
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", vendor.email.as_str()),
            ("password", vendor.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("wa_session=")),
        "no session for a refused form"
    );
    assert!(res.text().await.unwrap().contains("Formulir kedaluwarsa"));

    // With the token of the browser id cookie: signed in, cookie flags set.
    let browser = browser_cookie.split(';').next().unwrap().to_owned();
    let login_page = html("/login")
        .header("cookie", &browser)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = login_page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(app.url("/login"))
        .header("cookie", &browser)
        .form(&[
            ("_csrf", token.as_str()),
            ("email", vendor.email.as_str()),
            ("password", vendor.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(session.starts_with("wa_session=wss_"));
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    assert!(!session.contains("Secure"), "plain http: no Secure flag");
    // The JSON API does not accept the cookie as credentials.
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", session.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Static files: content-hashed URL, long cache, ETag revalidation.
    let css = page
        .split("href=\"/static/console.css?v=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_owned();
    let res = html(&format!("/static/console.css?v={css}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = html("/static/console.css")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    app.stop().await;
}

both_dbs!(console_http_habits);
