//! The console's campaign pages over plain HTTP on SQLite and PostgreSQL
//! (form errors next to their fields with the API's words, a draft, the
//! start, the live regions over server-sent events, pause / resume /
//! cancel, the report downloads, another vendor's campaign), the bot
//! page's match modes in the page language, and that every console page
//! is reachable from the console's menu. The walk in a real browser is
//! `web_campaigns_browser`.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::time::Duration;

use crate::campaigns_support::eventually;
use crate::common::{DbKind, TestApp, VendorSession, data, fixtures, spawn_app_with};
use crate::web_pages::{WebClient, location, vendor_client};

use reqwest::Method;
use serde_json::{Value, json};

/// A template through the API.
pub(crate) async fn template(app: &TestApp, v: &VendorSession, name: &str, body: &str) -> String {
    data(
        app.post(
            "/api/v1/templates",
            &v.token,
            json!({"name": name, "body": body}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `n` contacts tagged `tag` through the API; their numbers.
pub(crate) async fn contacts(
    app: &TestApp,
    v: &VendorSession,
    base: u32,
    n: u32,
    tag: &str,
) -> Vec<String> {
    let mut phones = Vec::new();
    for i in 0..n {
        let phone = format!("+62813{:08}", base + i);
        data(
            app.post(
                "/api/v1/contacts",
                &v.token,
                json!({"phone": phone, "name": format!("Pelanggan {i}"), "tags": [tag]}),
            )
            .await,
            201,
        )
        .await;
        phones.push(phone);
    }
    phones
}

/// The campaign through the API (what the pages did, seen by the API).
async fn api_campaign(app: &TestApp, v: &VendorSession, id: &str) -> Value {
    data(
        app.get(&format!("/api/v1/campaigns/{id}"), &v.token).await,
        200,
    )
    .await
}

/// The campaign id of a `/console/campaigns/{id}` location.
fn campaign_of(location: &str) -> String {
    location
        .strip_prefix("/console/campaigns/")
        .unwrap_or_else(|| panic!("not a campaign page: {location}"))
        .to_owned()
}

/// The text of the element with id `id` on a page (its inner text up to
/// the next tag).
fn text_of<'p>(page: &'p str, id: &str) -> &'p str {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} on the page:\n{page}"));
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    rest[start..start + end].trim()
}

/// Reads a console page's server-sent events until every one of
/// `events` arrived; answers the stream's text.
async fn sse(web: &WebClient<'_>, path: &str, events: &[&str]) -> String {
    let mut res = web
        .app
        .client
        .get(web.app.url(path))
        .header("accept", "text/event-stream")
        .header("cookie", web.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = res.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if events
                .iter()
                .all(|e| text.contains(&format!("event: {e}\n")))
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .unwrap_or_else(|_| panic!("{path} did not send {events:?}"));
    text
}

async fn campaign_pages(kind: DbKind) {
    let app = spawn_app_with(kind, |c| c.campaigns.poll_ms = 100).await;
    let v = app.signup_vendor("Toko Kampanye").await;
    let other = app.signup_vendor("Toko Tetangga").await;
    let device = fixtures::device(&app, &v).await;
    let tid = template(&app, &v, "promo", "Halo {name}, ada promo!").await;
    contacts(&app, &v, 1000, 3, "vip").await;
    contacts(&app, &v, 2000, 1, "biasa").await;
    let mut web = vendor_client(&app, &v).await;

    // The menu leads to the list, which starts empty.
    let home = web.page("/console", 200).await;
    assert!(home.contains("href=\"/console/campaigns\""));
    let list = web.page("/console/campaigns", 200).await;
    assert!(list.contains("Belum ada kampanye"), "{list}");
    let form = web.page("/console/campaigns/new", 200).await;
    assert!(form.contains(&format!("value=\"{tid}\"")) && form.contains(&device));

    // Mistakes are shown next to their fields, in the API's words, and
    // what was typed is kept; nothing is created.
    let device_field = format!("rate_{device}");
    let weight_field = format!("weight_{device}");
    let bad = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "  "),
                ("tags", "vip"),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "20"),
                (&weight_field, "1"),
                ("when", "now"),
                ("time_zone", "Asia/Jakarta"),
                ("action", "start"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.unwrap();
    assert!(text_of(&page, "e-template").contains("pilih template"));
    assert!(page.contains("value=\"vip\""), "the tags typed are kept");
    let named = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "Tanpa nama?"),
                ("template", &tid),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "0"),
                (&weight_field, "1"),
                ("when", "later"),
                ("time_zone", "Asia/Jakarta"),
                ("action", "start"),
            ],
        )
        .await;
    assert_eq!(named.status(), 422);
    let page = named.text().await.unwrap();
    assert!(
        text_of(&page, "e-schedule_at").contains("isi waktu"),
        "{page}"
    );
    // The form's own check first; the API's rules once the form is whole.
    let no_audience = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "Tanpa audiens"),
                ("template", &tid),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "0"),
                (&weight_field, "1"),
                ("when", "now"),
                ("time_zone", "Asia/Jakarta"),
                ("action", "start"),
            ],
        )
        .await;
    assert_eq!(no_audience.status(), 422);
    let page = no_audience.text().await.unwrap();
    assert!(
        text_of(&page, "e-audience").contains("audiens kosong"),
        "the audience error is the API's: {page}"
    );
    let with_audience = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "Laju nol"),
                ("template", &tid),
                ("all", "1"),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "0"),
                (&weight_field, "1"),
                ("when", "now"),
                ("time_zone", "Asia/Jakarta"),
                ("action", "start"),
            ],
        )
        .await;
    assert_eq!(with_audience.status(), 422);
    let page = with_audience.text().await.unwrap();
    assert!(
        text_of(&page, "e-devices").contains("rate_per_minute harus 1..=6000"),
        "{page}"
    );
    let listed = data(app.get("/api/v1/campaigns", &v.token).await, 200).await;
    assert_eq!(listed, json!([]), "a refused form creates nothing");

    // A draft to the "vip" tag: the page shows how many it reaches now.
    let saved = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "Promo VIP"),
                ("template", &tid),
                ("tags", "vip"),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "600"),
                (&weight_field, "2"),
                ("delay_min", "0"),
                ("delay_max", "1"),
                ("when", "now"),
                ("time_zone", "Asia/Makassar"),
                ("followup_template", ""),
                ("action", "draft"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let id = campaign_of(&location(&saved));
    let c = api_campaign(&app, &v, &id).await;
    assert_eq!(c["status"], "draft");
    assert_eq!(c["audience"], json!({"all": false, "tags": ["vip"]}));
    assert_eq!(c["time_zone"], "Asia/Makassar");
    assert_eq!(c["devices"][0]["rate_per_minute"], 600);
    assert_eq!(c["devices"][0]["weight"], 2);
    assert_eq!(c["devices"][0]["delay_max_ms"], 1000);
    let page = web.page(&format!("/console/campaigns/{id}"), 200).await;
    assert_eq!(text_of(&page, "campaign-status"), "draf");
    assert_eq!(text_of(&page, "campaign-reach"), "3");
    assert_eq!(text_of(&page, "campaign-template"), "promo");

    // Without the form's token the start is refused and nothing moves.
    let res = web
        .post(&format!("/console/campaigns/{id}/start"), None, &[])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(api_campaign(&app, &v, &id).await["status"], "draft");

    // Start: it runs to the end; the page says so.
    let page_path = format!("/console/campaigns/{id}");
    let res = web
        .submit(&page_path, &format!("{page_path}/start"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), page_path);
    eventually(60, || async {
        (api_campaign(&app, &v, &id).await["status"] == "completed").then_some(())
    })
    .await;
    let page = web.page(&page_path, 200).await;
    assert_eq!(text_of(&page, "campaign-status"), "selesai");
    assert_eq!(text_of(&page, "campaign-percent"), "100%");
    assert_eq!(text_of(&page, "count-sent"), "3");
    assert!(page.contains("id=\"report-csv\""));
    assert!(!page.contains("id=\"pause\""), "nothing to pause any more");

    // The live regions: status, progress and recipients as events.
    let events = sse(
        &web,
        &format!("{page_path}/events"),
        &["status", "progress", "recipients"],
    )
    .await;
    assert!(events.contains("id=\"count-sent\">3<"), "{events}");
    assert!(events.contains("+6281300001000"), "{events}");
    let rows = sse(&web, "/console/campaigns/events", &["rows"]).await;
    assert!(rows.contains("Promo VIP") && rows.contains("3/3"), "{rows}");

    // The list shows it with its progress; the filter narrows.
    let list = web.page("/console/campaigns", 200).await;
    assert!(list.contains("Promo VIP") && list.contains("3/3"));
    let running = web.page("/console/campaigns?status=running", 200).await;
    assert!(!running.contains("Promo VIP"));

    // The report, as the analytics API makes it.
    let csv = web.get(&format!("{page_path}/report?format=csv")).await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert_eq!(
        csv.lines().count(),
        4,
        "a header and three recipients: {csv}"
    );
    assert!(csv.contains("+6281300001002") && !csv.contains("+6281300002000"));
    let xlsx = web.get(&format!("{page_path}/report?format=xlsx")).await;
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let pdf = web.get(&format!("{page_path}/report?format=pdf")).await;
    assert_eq!(pdf.status(), 400);
    assert!(
        pdf.text()
            .await
            .unwrap()
            .contains("format harus csv atau xlsx")
    );

    // A slow one (one message a minute): pause, resume, cancel.
    let saved = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "Pelan"),
                ("template", &tid),
                ("all", "1"),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "1"),
                (&weight_field, "1"),
                ("when", "now"),
                ("time_zone", "Asia/Jakarta"),
                ("action", "start"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let slow = campaign_of(&location(&saved));
    let slow_path = format!("/console/campaigns/{slow}");
    assert_eq!(api_campaign(&app, &v, &slow).await["total"], 4);
    let step = |action: &str| (slow_path.clone(), format!("{slow_path}/{action}"));
    let (from, to) = step("pause");
    assert_eq!(web.submit(&from, &to, &[]).await.status(), 303);
    let page = web.page(&slow_path, 200).await;
    assert_eq!(text_of(&page, "campaign-status"), "dijeda");
    assert!(page.contains("id=\"resume\"") && !page.contains("id=\"pause\""));
    let (from, to) = step("resume");
    assert_eq!(web.submit(&from, &to, &[]).await.status(), 303);
    assert_eq!(api_campaign(&app, &v, &slow).await["status"], "running");
    let (from, to) = step("cancel");
    assert_eq!(web.submit(&from, &to, &[]).await.status(), 303);
    assert_eq!(api_campaign(&app, &v, &slow).await["status"], "cancelled");
    // A move the feature does not allow: its refusal on the page.
    let (from, to) = step("pause");
    let res = web.submit(&from, &to, &[]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("status tidak bisa berubah dari cancelled ke paused"),
        "{page}"
    );
    assert_eq!(api_campaign(&app, &v, &slow).await["status"], "cancelled");

    // A draft nobody is in: the start is refused with the API's reason
    // and the draft stays; then it is deleted.
    let saved = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "Kosong"),
                ("template", &tid),
                ("tags", "tidak-ada"),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "20"),
                (&weight_field, "1"),
                ("when", "now"),
                ("time_zone", "Asia/Jakarta"),
                ("action", "start"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 422);
    let page = saved.text().await.unwrap();
    assert!(
        page.contains("audiens tidak mencakup satu pun kontak"),
        "{page}"
    );
    assert_eq!(text_of(&page, "campaign-status"), "draf");
    let drafts = data(
        app.get("/api/v1/campaigns?status=draft", &v.token).await,
        200,
    )
    .await;
    let empty = drafts[0]["id"].as_str().unwrap().to_owned();
    let empty_path = format!("/console/campaigns/{empty}");
    let res = web
        .submit(&empty_path, &format!("{empty_path}/delete"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console/campaigns");
    assert_eq!(
        app.get(&format!("/api/v1/campaigns/{empty}"), &v.token)
            .await
            .status(),
        404
    );

    // Another vendor's campaign: not found, in every form, and untouched.
    let other_device = fixtures::device(&app, &other).await;
    let other_tid = template(&app, &other, "rahasia", "Rahasia tetangga").await;
    contacts(&app, &other, 3000, 1, "x").await;
    let theirs = data(
        app.post(
            "/api/v1/campaigns",
            &other.token,
            json!({"name": "Kampanye Tetangga", "template_id": other_tid, "audience": {"all": true},
                   "devices": [{"device_id": other_device}]}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_path = format!("/console/campaigns/{theirs}");
    for path in [
        their_path.clone(),
        format!("{their_path}/events"),
        format!("{their_path}/report?format=csv"),
    ] {
        let res = web.get(&path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(!res.text().await.unwrap().contains("Tetangga"));
    }
    let token = web.token("/console/campaigns").await;
    for action in ["start", "delete", "cancel"] {
        let res = web
            .post(&format!("{their_path}/{action}"), Some(&token), &[])
            .await;
        assert_eq!(res.status(), 404, "{action}");
    }
    assert_eq!(api_campaign(&app, &other, &theirs).await["status"], "draft");
    // Their template in this vendor's form: refused at its field.
    let res = web
        .submit(
            "/console/campaigns/new",
            "/console/campaigns",
            &[
                ("name", "Curang"),
                ("template", &other_tid),
                ("all", "1"),
                ("device_row", &device),
                ("device", &device),
                (&device_field, "20"),
                (&weight_field, "1"),
                ("when", "now"),
                ("time_zone", "Asia/Jakarta"),
                ("action", "draft"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(text_of(&res.text().await.unwrap(), "e-template").contains("tidak ditemukan"));

    app.stop().await;
}

both_dbs!(campaign_pages);

/// The bot page names each rule's match mode in the page's language.
async fn bot_rules_show_their_match_mode_in_the_page_language(kind: DbKind) {
    let app = spawn_app_with(kind, |_| {}).await;
    let v = app.signup_vendor("Toko Kata").await;
    let device = fixtures::device(&app, &v).await;
    let rules = json!({"rules": [
        {"id": "a", "keywords": ["harga"], "match": "contains", "reply": "A"},
        {"id": "b", "keywords": ["ongkir"], "match": "whole-word", "reply": "B"},
        {"id": "c", "keywords": ["halo"], "match": "starts-with", "reply": "C"},
        {"id": "d", "keywords": ["stop"], "match": "exact", "reply": "D"},
        {"id": "e", "keywords": ["^resi"], "match": "regex", "reply": "E"}
    ]});
    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{device}/plugins"),
            Some(&v.token),
            Some(json!({"plugins": [{"plugin": "keyword-rules", "config": rules}]})),
        )
        .await,
        200,
    )
    .await;
    let mut web = vendor_client(&app, &v).await;
    let badges = |page: &str| -> Vec<String> {
        page.split("class=\"badge match-kind\">")
            .skip(1)
            .map(|s| s[..s.find('<').unwrap()].to_owned())
            .collect()
    };
    let page = web.page("/console/bot", 200).await;
    assert_eq!(
        badges(&page),
        [
            "mengandung kata kunci",
            "mengandung kata utuh",
            "diawali kata kunci",
            "sama persis",
            "cocok dengan pola (regex)"
        ]
    );
    web.cookies.insert("wa_lang".to_owned(), "en".to_owned());
    let page = web.page("/console/bot", 200).await;
    assert_eq!(
        badges(&page),
        [
            "contains the keyword",
            "contains the whole word",
            "starts with the keyword",
            "is exactly the keyword",
            "matches the pattern (regex)"
        ]
    );
    app.stop().await;
}

both_dbs!(bot_rules_show_their_match_mode_in_the_page_language);

/// The console pages without an id in their path, read from the web
/// module's sources (`.route("/console/...", get(...))`), so a new page
/// is checked without being listed here.
fn console_pages() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut files = vec![dir];
    let mut pages = BTreeSet::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let src = std::fs::read_to_string(&p).unwrap();
        // `.route(` then the path literal and the handlers, up to the
        // call's closing parenthesis.
        for part in src.split(".route(").skip(1) {
            let Some(path) = part
                .trim_start()
                .strip_prefix('"')
                .and_then(|r| r.split('"').next())
            else {
                continue;
            };
            let mut depth = 1;
            let end = part
                .char_indices()
                .find(|(_, ch)| {
                    match ch {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(part.len(), |(i, _)| i);
            if path.starts_with("/console")
                && !path.contains('{')
                && !path.ends_with("/events")
                && part[..end].contains("get(")
            {
                pages.insert(path.to_owned());
            }
        }
    }
    pages
}

/// Every console page is reachable by following links from the start
/// page (the menu, then the pages' own links), and the menu names the
/// campaigns.
#[tokio::test]
async fn every_console_page_is_reachable_from_the_menu() {
    let app = spawn_app_with(DbKind::Sqlite, |_| {}).await;
    let v = app.signup_vendor("Toko Jelajah").await;
    let mut web = vendor_client(&app, &v).await;
    let pages = console_pages();
    for known in [
        "/console",
        "/console/campaigns",
        "/console/campaigns/new",
        "/console/devices",
        "/console/bot",
        "/console/overview",
        "/console/settings",
    ] {
        assert!(pages.contains(known), "{known} not found in {pages:?}");
    }
    let start = web.page("/console", 200).await;
    let menu = &start[start.find("<nav class=\"menu\"").unwrap()..];
    let menu = &menu[..menu.find("</nav>").unwrap()];
    assert!(menu.contains("href=\"/console/campaigns\""), "{menu}");

    let mut seen: HashSet<String> = HashSet::new();
    let mut queue = VecDeque::from(["/console".to_owned()]);
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let page = web.page(&path, 200).await;
        for link in page.split("href=\"").skip(1) {
            let href = &link[..link.find('"').unwrap()];
            let href = href.split(['?', '#']).next().unwrap();
            if href.starts_with("/console") && !seen.contains(href) {
                queue.push_back(href.to_owned());
            }
        }
    }
    let missing: Vec<_> = pages.iter().filter(|p| !seen.contains(*p)).collect();
    assert!(
        missing.is_empty(),
        "console pages no link leads to: {missing:?}"
    );
    app.stop().await;
}
