//! The vendor's campaign journey in a real browser (headless Chromium
//! through chromedriver): create a campaign against a simulator device,
//! start it, watch the counts change on the page without a reload (a mark
//! set in the page's JavaScript survives), pause and resume, see the
//! delivery statuses and a reply arrive live, download the report as CSV
//! and Excel. Then every console page at phone width (360 px) must fit
//! without scrolling sideways. Screenshots at 360 px and desktop width
//! land in `target/screenshots/`.

use std::time::Duration;

use crate::browser::Browser;
use crate::common::{DbKind, data, fixtures, spawn_app_with};
use crate::web_campaigns::{contacts, template};

use serde_json::json;

/// Phone (360 px, the narrowest common Android width) and desktop.
const SIZES: [(&str, u32, u32); 2] = [("phone360", 360, 740), ("desktop", 1280, 860)];

/// A number shown in the element `css` (read again while a live update
/// replaces it).
async fn number(b: &Browser, css: &str) -> i64 {
    for _ in 0..50 {
        if let Ok(el) = b.client.find(fantoccini::Locator::Css(css)).await
            && let Ok(t) = el.text().await
            && let Ok(n) = t.trim().trim_end_matches('%').parse()
        {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no number in {css}: {}", b.body().await)
}

/// Waits until the number in `css` satisfies `ok` (at most `secs`).
async fn wait_number(b: &Browser, css: &str, secs: u64, ok: impl Fn(i64) -> bool) -> i64 {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let n = number(b, css).await;
        if ok(n) {
            return n;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} stayed at {n}; the page shows:\n{}",
            b.body().await
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Marks the page in its JavaScript; the mark is gone after a reload.
async fn mark(b: &Browser) {
    b.client
        .execute("window.liveMark = 'same page';", vec![])
        .await
        .unwrap();
}

/// Whether the page is still the one [`mark`] marked.
async fn still_marked(b: &Browser) -> bool {
    b.client
        .execute("return window.liveMark === 'same page';", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false)
}

/// Waits until the element `css` exists (after a form post navigated).
async fn wait_for(b: &Browser, css: &str) {
    b.find(css).await;
}

#[tokio::test]
async fn campaign_journey_in_the_browser() {
    let app = spawn_app_with(DbKind::Sqlite, |c| c.campaigns.poll_ms = 100).await;
    let v = app.signup_vendor("Toko Sari").await;
    let device = fixtures::device(&app, &v).await;
    let tid = template(
        &app,
        &v,
        "Promo Lebaran",
        "Halo {name}, diskon 20% hari ini!",
    )
    .await;
    let phones = contacts(&app, &v, 4000, 6, "pelanggan").await;
    contacts(&app, &v, 5000, 1, "lain").await;

    let b = Browser::start(&app.base).await;
    b.login(&v.email, &v.password).await;

    // From the menu to an empty list, then the form.
    b.click("nav a[href='/console/campaigns']").await;
    b.wait_text("Belum ada kampanye").await;
    b.shot_sizes("campaigns-empty", &SIZES).await;
    b.click("#new-campaign").await;
    b.fill("#f-name", "Promo Lebaran").await;
    b.find("#f-template")
        .await
        .select_by_value(&tid)
        .await
        .unwrap();
    b.click("#f-all").await;
    b.fill("#f-tags", "pelanggan").await;
    // 30 a minute: one every two seconds, slow enough to watch.
    b.fill(&format!("input[name='rate_{device}']"), "30").await;
    assert!(
        b.find(&format!("input[name='device'][value='{device}']"))
            .await
            .prop("checked")
            .await
            .unwrap()
            .as_deref()
            == Some("true"),
        "the only device is chosen"
    );
    b.shot_sizes("campaign-new", &SIZES).await;
    b.click("#save-start").await;
    wait_for(&b, "#campaign-progress").await;
    let page = b.path().await;
    assert!(page.starts_with("/console/campaigns/"), "{page}");
    assert_eq!(b.text("#campaign-status").await, "berjalan");

    // The counts move without a reload.
    mark(&b).await;
    let first = wait_number(&b, "#count-sent", 30, |n| n >= 1).await;
    wait_number(&b, "#count-sent", 30, |n| n > first).await;
    assert!(still_marked(&b).await, "the counts changed by a reload");
    b.shot_sizes("campaign-running", &SIZES).await;

    // Pause: nothing more goes out; resume: it runs to the end, live.
    b.click("#pause").await;
    wait_for(&b, "#resume").await;
    assert_eq!(b.text("#campaign-status").await, "dijeda");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let paused_at = number(&b, "#count-sent").await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(
        number(&b, "#count-sent").await,
        paused_at,
        "sent while paused"
    );
    assert!(paused_at < 6, "paused before the end ({paused_at} sent)");
    b.shot_sizes("campaign-paused", &SIZES).await;
    b.click("#resume").await;
    wait_for(&b, "#pause").await;
    mark(&b).await;
    wait_number(&b, "#campaign-percent", 60, |n| n == 100).await;
    assert_eq!(number(&b, "#count-sent").await, 6);
    // The engine marks it completed once nothing is left to send.
    wait_for(&b, "#campaign-status[data-status='completed']").await;
    assert_eq!(b.text("#campaign-status").await, "selesai");
    assert!(!b.has("#pause").await, "a finished campaign has no pause");
    assert!(still_marked(&b).await, "the end arrived by a reload");

    // Delivery statuses and a reply arrive on the open page.
    let campaign = page.trim_start_matches("/console/campaigns/").to_owned();
    let sent: Vec<(String, String)> = sqlx::query_as(
        "SELECT phone, provider_message_id FROM campaign_recipients \
         WHERE campaign_id = $1 AND provider_message_id IS NOT NULL ORDER BY phone",
    )
    .bind(&campaign)
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(sent.len(), 6);
    let pool = &app.state.pool;
    use reference_server::campaigns::on_status;
    on_status(pool, &sent[0].1, "delivered", None)
        .await
        .unwrap();
    on_status(pool, &sent[1].1, "read", None).await.unwrap();
    on_status(pool, &sent[2].1, "read", None).await.unwrap();
    on_status(pool, &sent[5].1, "failed", Some("131026: undeliverable"))
        .await
        .unwrap();
    data(
        app.post(
            &format!("/api/v1/simulator/{device}/inbound"),
            &v.token,
            json!({"from": phones[1], "text": "Mau kak, masih ada?"}),
        )
        .await,
        200,
    )
    .await;
    wait_number(&b, "#count-read", 15, |n| n == 2).await;
    wait_number(&b, "#count-delivered", 15, |n| n == 3).await;
    wait_number(&b, "#count-replied", 15, |n| n == 1).await;
    wait_number(&b, "#count-failed", 15, |n| n == 1).await;
    b.wait_text("131026: undeliverable").await;
    assert!(still_marked(&b).await, "the statuses arrived by a reload");
    b.shot_sizes("campaign-done", &SIZES).await;

    // The report, downloaded as a vendor downloads it.
    b.click("#report-csv").await;
    let csv = String::from_utf8(b.downloaded("campaign-", ".csv").await).unwrap();
    assert_eq!(
        csv.lines().count(),
        7,
        "a header and six recipients:\n{csv}"
    );
    for p in &phones {
        assert!(csv.contains(p.as_str()), "{p} in the report:\n{csv}");
    }
    assert!(csv.contains("replied") && csv.contains("131026: undeliverable"));
    b.click("#report-xlsx").await;
    let xlsx = b.downloaded("campaign-", ".xlsx").await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = calamine::Reader::worksheet_range_at(&mut book, 0)
        .unwrap()
        .unwrap();
    assert_eq!(sheet.height(), 7, "the Excel file has the same rows");

    // The list shows it finished; the campaign page in English.
    b.click("main a[href='/console/campaigns']").await;
    b.wait_text("6/6").await;
    assert_eq!(b.text(".campaign-status").await, "selesai");
    b.shot_sizes("campaigns", &SIZES).await;
    b.click("#lang-switch").await;
    b.wait_text("Campaigns").await;
    b.goto(&page).await;
    assert_eq!(b.text("#campaign-status").await, "completed");
    b.click("#lang-switch").await;
    b.wait_text("Kampanye").await;

    // Every page of the menu (and the campaign pages) at 360 px: nothing
    // reaches past the right edge.
    b.resize(360, 740).await;
    b.goto("/console").await;
    let mut menu: Vec<String> = Vec::new();
    for a in b
        .client
        .find_all(fantoccini::Locator::Css("nav.menu a"))
        .await
        .unwrap()
    {
        menu.push(a.attr("href").await.unwrap().unwrap());
    }
    assert!(menu.contains(&"/console/campaigns".to_owned()), "{menu:?}");
    let device_page = format!("/console/devices/{device}");
    let mut problems = Vec::new();
    for path in menu.iter().map(String::as_str).chain([
        "/console/campaigns/new",
        page.as_str(),
        device_page.as_str(),
        "/console/templates/new",
    ]) {
        b.goto(path).await;
        b.find("main").await;
        let name = format!(
            "narrow{}",
            path.replace(&campaign, "id")
                .replace(&device, "id")
                .replace('/', "-")
        );
        b.shot_sizes(&name, &SIZES[..1]).await;
        b.resize(360, 740).await;
        let over = b.overflowing().await;
        if !over.is_empty() {
            problems.push(format!("{path}: {over:?}"));
        }
        // The menu scrolls sideways: the current page's entry is in view.
        let shown = b
            .client
            .execute(
                "const a = document.querySelector('nav.menu a[aria-current=\"page\"]');\n\
                 if (!a) return true;\n\
                 const r = a.getBoundingClientRect();\n\
                 return r.left >= 0 && r.right <= document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        if shown != serde_json::Value::Bool(true) {
            problems.push(format!("{path}: the menu hides the current page's entry"));
        }
    }
    assert!(
        problems.is_empty(),
        "pages wider than 360 px:\n{}",
        problems.join("\n")
    );

    b.close().await;
    app.stop().await;
}
