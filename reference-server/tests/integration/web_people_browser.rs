//! Contacts and the inbox in a real browser (headless Chromium through
//! chromedriver): filter the contact list, open a contact, add and remove
//! a tag, opt it out and back in, import a file with a rejected row; then
//! a keyword-rule reply in a conversation shows why the bot sent it.
//! Every page visited must fit a 360 px phone without scrolling sideways;
//! screenshots at 360 px and desktop width land in `target/screenshots/`.

use crate::bots_support;
use crate::browser::Browser;
use crate::common::{DbKind, data, spawn_app};

use serde_json::json;

/// Phone (360 px) and desktop.
const SIZES: [(&str, u32, u32); 2] = [("phone360", 360, 740), ("desktop", 1280, 860)];

/// Saves the page at both sizes after checking it fits the phone.
async fn look(b: &Browser, name: &str) {
    b.resize(360, 740).await;
    let over = b.overflowing().await;
    assert!(
        over.is_empty(),
        "{name} scrolls sideways at 360 px: {over:?}"
    );
    b.shot_sizes(name, &SIZES).await;
}

#[tokio::test]
async fn contacts_and_inbox_in_the_browser() {
    bots_support::ensure_plugins();
    let app = spawn_app(DbKind::Sqlite).await;
    let v = app.signup_vendor("Toko Orang").await;
    for (phone, name, tags) in [
        ("081255550001", "Sari Wulandari", json!(["vip"])),
        ("081255550002", "Budi Santoso", json!(["baru"])),
        ("081255550003", "Ani Lestari", json!(["vip", "grosir"])),
    ] {
        data(
            app.post(
                "/api/v1/contacts",
                &v.token,
                json!({"phone": phone, "name": name, "tags": tags}),
            )
            .await,
            201,
        )
        .await;
    }
    data(
        app.post(
            "/api/v1/contact-groups",
            &v.token,
            json!({"name": "Pelanggan Setia"}),
        )
        .await,
        201,
    )
    .await;
    let dev = bots_support::simulator_device(
        &app,
        &v.token,
        json!({}),
        json!([{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]),
    )
    .await;

    let b = Browser::start(&app.base).await;
    b.goto("/login").await;
    b.fill("#f-email", &v.email).await;
    b.fill("#f-password", &v.password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.find("nav.menu").await;

    // The list from the menu, then filtered by tag and by name.
    b.click("nav a[href='/console/contacts']").await;
    b.wait_text("Budi Santoso").await;
    look(&b, "contacts").await;
    b.fill("#f-tag", "vip").await;
    b.click("#filter-apply").await;
    b.wait_path("/console/contacts").await;
    b.wait_text("Ani Lestari").await;
    assert!(!b.body().await.contains("Budi Santoso"), "filtered by tag");
    b.fill("#f-q", "sari").await;
    b.click("#filter-apply").await;
    for _ in 0..100 {
        if !b.body().await.contains("Ani Lestari") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let body = b.body().await;
    assert!(
        body.contains("Sari Wulandari") && !body.contains("Ani Lestari"),
        "{body}"
    );
    look(&b, "contacts-filtered").await;

    // The contact's page: add a tag, remove one, opt out and back in.
    b.click("#contacts a").await;
    b.find("#contact-form").await;
    b.fill("#f-tag", "langganan").await;
    b.click("#add-tag button[type=submit]").await;
    b.wait_text("langganan").await;
    b.click("#tags button[aria-label$=' vip']").await;
    for _ in 0..100 {
        if !b.text("#tags").await.contains("vip") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!b.text("#tags").await.contains("vip"), "the tag is gone");
    b.click("#opt-out button[type=submit]").await;
    b.find("#opt-in").await;
    assert!(b.text("#opt-state").await.contains("Berhenti"));
    look(&b, "contact-opted-out").await;
    // A bad tag shows its error next to the field, the text kept.
    b.fill("#f-tag", &"x".repeat(70)).await;
    b.click("#add-tag button[type=submit]").await;
    b.find("#e-tag").await;
    look(&b, "contact-error").await;
    b.click("#opt-in button[type=submit]").await;
    b.find("#opt-out").await;
    let listed = data(app.get("/api/v1/contacts?q=sari", &v.token).await, 200).await;
    assert_eq!(listed["items"][0]["tags"], json!(["langganan"]));
    assert_eq!(listed["items"][0]["opted_out"], false);

    // The groups page.
    b.goto("/console/contacts/groups").await;
    b.wait_text("Pelanggan Setia").await;
    look(&b, "contact-groups").await;

    // A keyword rule answers; the conversation says why.
    bots_support::inject(&app, &v.token, &dev, "081255550001", "berapa harga paket?").await;
    b.click("nav a[href='/console/inbox']").await;
    b.click("a.conversation-link").await;
    b.find(".message .why").await;
    let why = b.text(".message .why").await;
    assert!(
        why.contains("Aturan kata kunci cocok: \"harga\" (mengandung) · aturan harga"),
        "{why}"
    );
    look(&b, "inbox-why").await;
    app.stop().await;
}
