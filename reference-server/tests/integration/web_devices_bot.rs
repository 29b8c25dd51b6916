//! The device pages and the bot builder over plain HTTP on SQLite and
//! PostgreSQL, and once in a real browser: each form's good input (303,
//! the effect visible through the JSON API), bad input (422, the error
//! next to its field, what was typed kept), another vendor's device (404)
//! and a post without the CSRF token (refused, nothing changed).

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::common::{DbKind, TestApp, data, fixtures, spawn_app};
use crate::web_pages::{WebClient, location, vendor_client};

/// The field error element of `field` (see `templates/web/macros.html`).
fn error_of(field: &str) -> String {
    format!("id=\"e-{field}\"")
}

/// The list the API answers at `path`.
async fn list(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    data(app.get(path, token).await, 200)
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn devices(app: &TestApp, token: &str) -> Vec<Value> {
    list(app, token, "/api/v1/devices").await
}

async fn pipeline(app: &TestApp, token: &str, device: &str) -> Vec<Value> {
    list(app, token, &format!("/api/v1/devices/{device}/plugins")).await
}

async fn outbox(app: &TestApp, token: &str, device: &str) -> Vec<Value> {
    list(app, token, &format!("/api/v1/simulator/{device}/outbox")).await
}

/// Adds a device through the quick simulator form; its id.
async fn add_simulator(web: &mut WebClient<'_>, name: &str) -> String {
    let res = web
        .submit(
            "/console/devices",
            "/console/devices",
            &[("kind", "simulator"), ("name", name)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let id = to
        .strip_prefix("/console/devices/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("redirected to {to}"));
    id.to_owned()
}

async fn device_forms(kind: DbKind) {
    let app = spawn_app(kind).await;
    // Room for a device of each kind on the trial plan.
    sqlx::query("UPDATE plans SET max_devices = 10 WHERE code = 'trial'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let a = app.signup_vendor("Toko Awan").await;
    let b = app.signup_vendor("Toko Bintang").await;
    let mut web = vendor_client(&app, &a).await;

    // The list offers each provider's own form.
    let list = web.page("/console/devices", 200).await;
    for kind in ["simulator", "cloud_api", "fonnte", "gateway"] {
        assert!(
            list.contains(&format!("href=\"/console/devices/new/{kind}\"")),
            "{list}"
        );
    }
    web.page("/console/devices/new/telegram", 404).await;

    // Cloud API: a verify token is suggested; a bad phone number id is a
    // 422 next to its field, the name kept, the secrets not sent back,
    // nothing stored.
    let form = web.page("/console/devices/new/cloud_api", 200).await;
    let at = form.find("name=\"verify_token\"").unwrap();
    let suggested = &form[at..];
    let suggested = &suggested[suggested.find("value=\"").unwrap() + 7..];
    let suggested = &suggested[..suggested.find('"').unwrap()];
    assert_eq!(suggested.len(), 32, "a random verify token: {suggested}");
    assert!(form.contains("data-copy=\"#f-verify_token\""));
    for field in [
        "phone_number_id",
        "access_token",
        "app_secret",
        "api_version",
    ] {
        assert!(form.contains(&format!("name=\"{field}\"")), "{field}");
    }
    let t = web.token("/console/devices/new/cloud_api").await;
    let cloud = |pnid: &'static str| {
        vec![
            ("kind", "cloud_api"),
            ("name", "CS Meta"),
            ("phone_number_id", pnid),
            ("access_token", "EAAG-rahasia-sekali"),
            ("app_secret", "app-secret-rahasia"),
            ("verify_token", "verifikasi-123"),
        ]
    };
    let res = web.post("/console/devices", Some(&t), &cloud("12ab")).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(&error_of("phone_number_id")), "{body}");
    assert!(body.contains("value=\"CS Meta\""), "the name is kept");
    assert!(body.contains("value=\"12ab\""), "the typed id is kept");
    assert!(
        !body.contains("EAAG-rahasia-sekali"),
        "secrets are not sent back"
    );
    assert!(devices(&app, &a.token).await.is_empty());
    let res = web
        .post("/console/devices", Some(&t), &cloud("1234567890"))
        .await;
    assert_eq!(res.status(), 303);
    let cloud_id = location(&res)
        .trim_start_matches("/console/devices/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let d = data(
        app.get(&format!("/api/v1/devices/{cloud_id}"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(d["kind"], "cloud_api");
    assert_eq!(d["settings"]["phone_number_id"], "1234567890");
    assert_eq!(
        d["secrets_set"],
        json!(["access_token", "app_secret", "verify_token"])
    );
    let page = web
        .page(&format!("/console/devices/{cloud_id}?created=1"), 200)
        .await;
    assert!(page.contains("id=\"created\""));
    assert!(page.contains("WhatsApp Cloud API (Meta)"));
    assert!(
        page.contains("Tempel URL ini sebagai callback URL"),
        "{page}"
    );
    assert!(page.contains("data-copy=\"#webhook-url\""));
    assert!(
        !page.contains("verifikasi-123"),
        "the verify token is not shown"
    );

    // Fonnte without its token, a gateway with a bad URL: the field says.
    let t = web.token("/console/devices/new/fonnte").await;
    let res = web
        .post(
            "/console/devices",
            Some(&t),
            &[("kind", "fonnte"), ("name", "Fonnte"), ("token", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(&error_of("token")));
    let res = web
        .post(
            "/console/devices",
            Some(&t),
            &[
                ("kind", "gateway"),
                ("name", "Gateway"),
                ("url", "ftp://gw.example/send"),
                ("header_name", "X-Token"),
                ("token", "rahasia"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(&error_of("url")), "{body}");
    assert!(body.contains("value=\"ftp://gw.example/send\""));
    let res = web
        .post(
            "/console/devices",
            Some(&t),
            &[("kind", "fonnte"), ("name", "Fonnte"), ("token", "tok-1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(devices(&app, &a.token).await.len(), 2);

    // Without the CSRF token nothing is added.
    let res = web
        .post(
            "/console/devices",
            None,
            &[("kind", "simulator"), ("name", "Tanpa token")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(devices(&app, &a.token).await.len(), 2);

    // A simulator device: kind, connection state and webhook note in the
    // page's language.
    let sim = add_simulator(&mut web, "CS Simulator").await;
    let page = web.page(&format!("/console/devices/{sim}"), 200).await;
    assert!(page.contains("Perangkat simulator tidak memerlukan webhook"));
    assert!(page.contains("belum dilaporkan penyedia"));
    sqlx::query(
        "UPDATE devices SET connection_state = 'disconnected', connection_changed_at = 1 \
         WHERE id = $1",
    )
    .bind(&sim)
    .execute(&app.state.pool)
    .await
    .unwrap();
    let page = web.page(&format!("/console/devices/{sim}"), 200).await;
    assert!(page.contains(">terputus<"), "{page}");
    assert!(!page.contains(">disconnected<"));
    let list = web.page("/console/devices", 200).await;
    assert!(list.contains(">terputus<") && list.contains("WhatsApp Cloud API (Meta)"));
    web.cookies.insert("wa_lang".to_owned(), "en".to_owned());
    let page = web.page(&format!("/console/devices/{sim}"), 200).await;
    assert!(page.contains(">disconnected<"), "{page}");
    assert!(page.contains("Simulator devices need no webhook"));
    let page = web.page(&format!("/console/devices/{cloud_id}"), 200).await;
    assert!(page.contains("Paste this URL as the callback URL"));
    web.cookies.remove("wa_lang");

    // The test message: a bad number is a 422 next to the field with the
    // typed number kept; a good one goes out through the device's
    // provider (the simulator outbox).
    let from = format!("/console/devices/{sim}");
    let res = web
        .submit(
            &from,
            &format!("/console/devices/{sim}/test"),
            &[("to", "08-abc"), ("message", "Halo uji")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(&error_of("to")), "{body}");
    assert!(body.contains("value=\"08-abc\""));
    assert!(outbox(&app, &a.token, &sim).await.is_empty());
    let res = web
        .submit(
            &from,
            &format!("/console/devices/{sim}/test"),
            &[("to", "0812 3456 7890"), ("message", "Halo uji")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).contains("sent=1"));
    let sent = outbox(&app, &a.token, &sim).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["message"]["body"], "Halo uji");
    assert_eq!(sent[0]["to"], "+6281234567890");
    // Without the token, or to another vendor's device: refused, unsent.
    let res = web
        .post(
            &format!("/console/devices/{sim}/test"),
            None,
            &[("to", "081234567890"), ("message", "tanpa token")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let b_dev = fixtures::device(&app, &b).await;
    let res = web
        .submit(
            &from,
            &format!("/console/devices/{b_dev}/test"),
            &[("to", "081234567890"), ("message", "bukan milikku")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(outbox(&app, &b.token, &b_dev).await.is_empty());
    assert_eq!(outbox(&app, &a.token, &sim).await.len(), 1);
    web.page(&format!("/console/devices/{b_dev}"), 404).await;

    app.stop().await;
}

#[tokio::test]
async fn device_forms_sqlite() {
    device_forms(DbKind::Sqlite).await;
}

#[tokio::test]
async fn device_forms_postgres() {
    device_forms(DbKind::Postgres).await;
}

async fn bot_builder(kind: DbKind) {
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko Awan").await;
    let b = app.signup_vendor("Toko Bintang").await;
    let mut web = vendor_client(&app, &a).await;
    let dev = add_simulator(&mut web, "CS").await;
    let bot = format!("/console/bot?device={dev}");

    // Both plugins are offered; turning them on adds them in that order.
    let page = web.page(&bot, 200).await;
    assert!(page.contains("data-plugin=\"keyword-rules\""));
    assert!(page.contains("data-plugin=\"ai-reply\""));
    for plugin in ["keyword-rules", "ai-reply"] {
        let res = web
            .submit(
                &bot,
                "/console/bot/plugins",
                &[("device", &dev), ("plugin", plugin), ("action", "on")],
            )
            .await;
        assert_eq!(res.status(), 303, "{plugin}");
    }
    let names = |p: &[Value]| -> Vec<String> {
        p.iter()
            .map(|p| p["plugin"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&pipeline(&app, &a.token, &dev).await),
        ["keyword-rules", "ai-reply"]
    );
    // Move up, then off.
    let res = web
        .submit(
            &bot,
            "/console/bot/plugins",
            &[("device", &dev), ("plugin", "ai-reply"), ("action", "up")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = web
        .submit(
            &bot,
            "/console/bot/plugins",
            &[
                ("device", &dev),
                ("plugin", "keyword-rules"),
                ("action", "off"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let p = pipeline(&app, &a.token, &dev).await;
    assert_eq!(names(&p), ["ai-reply", "keyword-rules"]);
    assert_eq!(p[1]["enabled"], false);
    // Without the token, or on another vendor's device: nothing changes.
    let res = web
        .post(
            "/console/bot/plugins",
            None,
            &[("device", &dev), ("plugin", "ai-reply"), ("action", "down")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let b_dev = fixtures::device(&app, &b).await;
    let res = web
        .submit(
            &bot,
            "/console/bot/plugins",
            &[("device", &b_dev), ("plugin", "ai-reply"), ("action", "on")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(pipeline(&app, &b.token, &b_dev).await.is_empty());
    assert_eq!(
        names(&pipeline(&app, &a.token, &dev).await),
        ["ai-reply", "keyword-rules"]
    );

    // The AI settings form is generated from the schema.
    let page = web.page(&bot, 200).await;
    for field in [
        "max_tokens",
        "history_window",
        "language",
        "persona",
        "temperature",
    ] {
        assert!(
            page.contains(&format!("name=\"cfg.{field}\"")),
            "{field} in the AI form"
        );
    }
    assert!(
        page.contains("max=\"4096\""),
        "the schema's bound on max_tokens"
    );
    // Out of range: the plugin's check, next to the field, typed value kept.
    let res = web
        .submit(
            &bot,
            "/console/bot/ai",
            &[
                ("device", &dev),
                ("cfg.language", "en"),
                ("cfg.max_tokens", "99999"),
                ("cfg.persona", "Ramah dan singkat"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(&error_of("f-cfg-max_tokens")), "{body}");
    assert!(body.contains("value=\"99999\""));
    assert!(body.contains("Ramah dan singkat</textarea>"));
    // Not a number: the form's own check.
    let res = web
        .submit(
            &bot,
            "/console/bot/ai",
            &[
                ("device", &dev),
                ("cfg.language", "en"),
                ("cfg.history_window", "sepuluh"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(&error_of("f-cfg-history_window")), "{body}");
    assert_eq!(pipeline(&app, &a.token, &dev).await[0]["config"], json!({}));
    let res = web
        .submit(
            &bot,
            "/console/bot/ai",
            &[
                ("device", &dev),
                ("cfg.language", "en"),
                ("cfg.max_tokens", "300"),
                ("cfg.temperature", "0.4"),
                ("cfg.persona", "Ramah dan singkat"),
                ("cfg.escalation_keywords", "cs\nadmin"),
                ("cfg.handoff_on_complaint", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let config = &pipeline(&app, &a.token, &dev).await[0]["config"];
    assert_eq!(config["language"], "en");
    assert_eq!(config["max_tokens"], 300);
    assert_eq!(config["persona"], "Ramah dan singkat");
    assert_eq!(config["escalation_keywords"], json!(["cs", "admin"]));
    assert_eq!(config["handoff_on_complaint"], true);
    let page = web.page(&bot, 200).await;
    assert!(page.contains("value=\"300\""), "the stored value shows");
    let res = web
        .post(
            "/console/bot/ai",
            None,
            &[("device", &dev), ("cfg.language", "id")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = web
        .submit(
            &bot,
            "/console/bot/ai",
            &[("device", &b_dev), ("cfg.language", "id")],
        )
        .await;
    assert_eq!(res.status(), 404);

    // Business hours: a window that closes before it opens is refused by
    // the plugin, next to its day; an open day without times too.
    let hours = |tue_to: &'static str| {
        vec![
            ("enabled", "1"),
            ("open_mon", "1"),
            ("from_mon", "08:00"),
            ("to_mon", "17:00"),
            ("open_tue", "1"),
            ("from_tue", "17:00"),
            ("to_tue", tue_to),
            ("holidays", "2026-12-25"),
            ("out_of_hours_reply", "Kami tutup, {name}."),
        ]
    };
    let mut bad = hours("08:00");
    bad.push(("device", &dev));
    let res = web.submit(&bot, "/console/bot/hours", &bad).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(&error_of("tue")), "{body}");
    assert!(
        body.contains("Kami tutup, {name}.</textarea>"),
        "typed reply kept"
    );
    let mut empty = hours("");
    empty.push(("device", &dev));
    let res = web.submit(&bot, "/console/bot/hours", &empty).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(&error_of("tue")));
    let kw = |p: Vec<Value>| {
        p.into_iter()
            .find(|p| p["plugin"] == "keyword-rules")
            .unwrap()
    };
    assert!(kw(pipeline(&app, &a.token, &dev).await)["config"]["business_hours"].is_null());
    let mut good = hours("21:00");
    good.push(("device", &dev));
    let res = web.submit(&bot, "/console/bot/hours", &good).await;
    assert_eq!(res.status(), 303);
    let config = kw(pipeline(&app, &a.token, &dev).await)["config"].clone();
    assert_eq!(
        config["business_hours"],
        json!({"days": {"mon": ["08:00-17:00"], "tue": ["17:00-21:00"]},
            "holidays": ["2026-12-25"], "out_of_hours_reply": "Kami tutup, {name}."})
    );
    let page = web.page(&bot, 200).await;
    assert!(page.contains("id=\"time-zone\">Asia/Jakarta<"), "{page}");
    assert!(page.contains("name=\"from_tue\" id=\"f-from_tue\" value=\"17:00\""));
    // Turning the hours off removes them (always open).
    let res = web
        .submit(&bot, "/console/bot/hours", &[("device", &dev)])
        .await;
    assert_eq!(res.status(), 303);
    assert!(kw(pipeline(&app, &a.token, &dev).await)["config"]["business_hours"].is_null());
    let res = web.post("/console/bot/hours", None, &good).await;
    assert_eq!(res.status(), 403);
    let mut other = hours("21:00");
    other.push(("device", &b_dev));
    let res = web.submit(&bot, "/console/bot/hours", &other).await;
    assert_eq!(res.status(), 404);
    assert!(pipeline(&app, &b.token, &b_dev).await.is_empty());

    app.stop().await;
}

#[tokio::test]
async fn bot_builder_sqlite() {
    bot_builder(DbKind::Sqlite).await;
}

#[tokio::test]
async fn bot_builder_postgres() {
    bot_builder(DbKind::Postgres).await;
}

/// Clicks the submit button `css` and waits until the answer replaced the
/// page (a mark set in the old page's JavaScript is gone).
async fn submit(b: &Browser, css: &str) {
    b.client
        .execute("window.beforeSubmit = true;", vec![])
        .await
        .unwrap();
    b.click(css).await;
    for _ in 0..100 {
        let same = b
            .client
            .execute("return window.beforeSubmit === true;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if !same {
            b.find("nav.menu").await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css}: the page was not replaced");
}

/// Sets a time field (typing into one depends on the browser's locale).
async fn set_time(b: &Browser, css: &str, value: &str) {
    b.client
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

/// Phone (360 px) and desktop.
const SIZES: [(&str, u32, u32); 2] = [("phone360", 360, 740), ("desktop", 1280, 900)];

/// The vendor adds a simulator device through its form, sends a test
/// message (it shows in the simulator outbox), reorders the bot's plugins,
/// saves AI settings and business hours; each page fits a 360 px phone.
#[tokio::test]
async fn devices_and_bot_builder_in_the_browser() {
    let app = spawn_app(DbKind::Sqlite).await;
    let v = app.signup_vendor("Toko Sari").await;
    let b = Browser::start(&app.base).await;
    b.login(&v.email, &v.password).await;

    b.click("nav a[href='/console/devices']").await;
    b.find("#add-choices").await;
    b.shot_sizes("devices", &SIZES).await;
    b.click("#add-simulator").await;
    b.fill("#f-name", "CS Toko").await;
    b.fill("#f-phone_number", "0812 1111 2222").await;
    b.shot_sizes("device-new", &SIZES).await;
    b.click("#add-device button[type=submit]").await;
    b.find("#created").await;
    assert_eq!(b.text("#device-kind").await, "Simulator");
    let dev = b
        .path()
        .await
        .trim_start_matches("/console/devices/")
        .to_owned();
    let dev = dev.split('?').next().unwrap().to_owned();

    // A bad number first: the error next to the field.
    b.fill("#f-to", "bukan nomor").await;
    submit(&b, "#test-message button[type=submit]").await;
    assert!(!b.text("#e-to").await.is_empty());
    b.fill("#f-to", "0812 3456 7890").await;
    b.fill("#f-message", "Halo dari browser").await;
    submit(&b, "#test-message button[type=submit]").await;
    b.find("#test-sent").await;
    b.shot_sizes("device", &SIZES).await;
    let sent = outbox(&app, &v.token, &dev).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["message"]["body"], "Halo dari browser");

    // The bot: both plugins on, the AI one moved up.
    b.click("a[href^='/console/bot?device=']").await;
    b.find("#plugins").await;
    submit(&b, "li[data-plugin='keyword-rules'] button.toggle").await;
    submit(&b, "li[data-plugin='ai-reply'] button.toggle").await;
    submit(&b, "li[data-plugin='ai-reply'] button.move-up").await;
    b.find("li[data-plugin='ai-reply'] button.move-up[disabled]")
        .await;
    let names: Vec<String> = pipeline(&app, &v.token, &dev)
        .await
        .iter()
        .map(|p| p["plugin"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["ai-reply", "keyword-rules"]);
    b.goto(&format!("/console/bot?device={dev}")).await;
    b.find("#plugins").await;
    b.shot_sizes("bot-pipeline", &SIZES).await;

    // AI settings.
    b.fill("#f-cfg-persona", "Asisten Toko Sari yang ramah")
        .await;
    b.fill("#f-cfg-max_tokens", "250").await;
    b.find("#f-cfg-language")
        .await
        .select_by_value("en")
        .await
        .unwrap();
    submit(&b, "#ai-form button[type=submit]").await;
    let config = pipeline(&app, &v.token, &dev).await[0]["config"].clone();
    assert_eq!(config["max_tokens"], 250);
    assert_eq!(config["language"], "en");

    // Business hours: on, Saturday mornings too.
    b.click("#f-hours-enabled").await;
    b.click("#f-open_sat").await;
    set_time(&b, "#f-from_sat", "09:00").await;
    set_time(&b, "#f-to_sat", "12:00").await;
    b.fill("#f-out_of_hours_reply", "Kami sedang tutup, {name}.")
        .await;
    submit(&b, "#hours-form button[type=submit]").await;
    let config = pipeline(&app, &v.token, &dev).await[1]["config"].clone();
    assert_eq!(
        config["business_hours"]["days"]["sat"],
        json!(["09:00-12:00"])
    );
    assert_eq!(
        config["business_hours"]["days"]["mon"],
        json!(["08:00-17:00"])
    );
    assert_eq!(
        config["business_hours"]["out_of_hours_reply"],
        "Kami sedang tutup, {name}."
    );
    b.shot_sizes("bot-builder", &SIZES).await;

    // Every page of this journey fits a 360 px phone.
    b.resize(360, 740).await;
    for (name, path) in [
        ("devices-list", "/console/devices".to_owned()),
        (
            "device-new-cloud",
            "/console/devices/new/cloud_api".to_owned(),
        ),
        (
            "device-new-gateway",
            "/console/devices/new/gateway".to_owned(),
        ),
        ("device-top", format!("/console/devices/{dev}")),
        ("bot-top", format!("/console/bot?device={dev}")),
    ] {
        b.goto(&path).await;
        b.find("nav.menu").await;
        let over = b.overflowing().await;
        assert!(over.is_empty(), "{path} overflows at 360 px: {over:?}");
        b.shot_sizes(name, &SIZES).await;
    }
    b.close().await;
    app.stop().await;
}
