//! The contacts and inbox pages over plain HTTP, on SQLite and PostgreSQL:
//! the contact list's filters and pages, a contact's page (name and
//! number, tags, groups, opt-out), the groups page, the filtered export
//! (CSV and XLSX, from the page and the API), and the inbox showing why
//! the bot sent each reply (in the page and in the API). Every change is
//! checked through the JSON API; refused input answers 422 with the error
//! next to the field and what was typed kept; another vendor's contact or
//! group is 404 and unchanged; a post without the CSRF token changes
//! nothing.

use crate::bots_support;
use crate::common::{DbKind, TestApp, VendorSession, data, spawn_app};
use crate::web_pages::{WebClient, location, vendor_client};

use reqwest::Method;
use serde_json::{Value, json};

async fn contact(app: &TestApp, v: &VendorSession, body: Value) -> String {
    let c = data(app.post("/api/v1/contacts", &v.token, body).await, 201).await;
    c["id"].as_str().unwrap().to_owned()
}

async fn group(app: &TestApp, v: &VendorSession, name: &str) -> String {
    let g = data(
        app.post("/api/v1/contact-groups", &v.token, json!({ "name": name }))
            .await,
        201,
    )
    .await;
    g["id"].as_str().unwrap().to_owned()
}

/// The group's members, as the API lists them.
async fn members_of(app: &TestApp, v: &VendorSession, group: &str) -> Value {
    data(
        app.get(&format!("/api/v1/contacts?group_id={group}"), &v.token)
            .await,
        200,
    )
    .await
}

/// Renames a group from the groups page.
async fn rename(web: &mut WebClient<'_>, group: &str, name: &str) -> reqwest::Response {
    let groups = "/console/contacts/groups";
    web.submit(
        groups,
        &format!("{groups}/{group}/rename"),
        &[("name", name)],
    )
    .await
}

/// Opts the contact out through the API.
async fn opt_out(app: &TestApp, v: &VendorSession, id: &str) {
    data(
        app.request(
            Method::PATCH,
            &format!("/api/v1/contacts/{id}"),
            Some(&v.token),
            Some(json!({"opted_out": true})),
        )
        .await,
        200,
    )
    .await;
}

async fn api_contact(app: &TestApp, v: &VendorSession, id: &str) -> Value {
    data(
        app.get(&format!("/api/v1/contacts/{id}"), &v.token).await,
        200,
    )
    .await
}

/// The names in the page's contact table, in order.
fn listed(page: &str) -> Vec<String> {
    let Some(at) = page.find("<table id=\"contacts\">") else {
        return Vec::new();
    };
    let table = &page[at..page[at..].find("</table>").unwrap() + at];
    table
        .split("<a href=\"/console/contacts/")
        .skip(1)
        .map(|cell| {
            let name = &cell[cell.find('>').unwrap() + 1..];
            name[..name.find("</a>").unwrap()].to_owned()
        })
        .collect()
}

async fn contact_pages(kind: DbKind) {
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko Kontak").await;
    let b = app.signup_vendor("Toko Lain").await;
    let mut web = vendor_client(&app, &a).await;

    let sari = contact(
        &app,
        &a,
        json!({"phone": "081211110001", "name": "Sari", "tags": ["vip"]}),
    )
    .await;
    let budi = contact(
        &app,
        &a,
        json!({"phone": "081211110002", "name": "Budi", "tags": ["baru"]}),
    )
    .await;
    let ani = contact(&app, &a, json!({"phone": "081211110003", "name": "Ani"})).await;
    opt_out(&app, &a, &ani).await;
    let setia = group(&app, &a, "Setia").await;
    data(
        app.post(
            &format!("/api/v1/contact-groups/{setia}/members"),
            &a.token,
            json!({"contact_ids": [budi]}),
        )
        .await,
        200,
    )
    .await;

    // The filters: name or number, tag, group, opted out.
    let all = web.page("/console/contacts", 200).await;
    assert_eq!(listed(&all), ["Sari", "Budi", "Ani"]);
    assert!(all.contains("href=\"/console/contacts/groups\""), "{all}");
    let page = web.page("/console/contacts?q=sar", 200).await;
    assert_eq!(listed(&page), ["Sari"]);
    assert!(page.contains("value=\"sar\""), "the filter keeps its text");
    let page = web.page("/console/contacts?q=110002", 200).await;
    assert_eq!(listed(&page), ["Budi"]);
    let page = web.page("/console/contacts?tag=vip", 200).await;
    assert_eq!(listed(&page), ["Sari"]);
    let page = web
        .page(&format!("/console/contacts?group_id={setia}"), 200)
        .await;
    assert_eq!(listed(&page), ["Budi"]);
    let page = web.page("/console/contacts?opted_out=yes", 200).await;
    assert_eq!(listed(&page), ["Ani"]);
    let page = web.page("/console/contacts?opted_out=no&q=a", 200).await;
    assert_eq!(listed(&page), ["Sari"]);
    // The export links carry the filters.
    assert!(
        page.contains(
            "/console/contacts/export?format=csv&#38;q=a&#38;tag=&#38;group_id=&#38;opted_out=no"
        ),
        "{page}"
    );

    // Pages of 50: 55 more contacts make two pages.
    let csv: String = std::iter::once("phone,name\n".to_owned())
        .chain((0..55).map(|i| format!("0812200{i:05},Massal {i:02}\n")))
        .collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(csv);
    let r = data(
        app.post(
            "/api/v1/contacts/import",
            &a.token,
            json!({"file_name": "massal.csv", "content_base64": b64}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["created"], 55);
    let first = web.page("/console/contacts", 200).await;
    assert_eq!(listed(&first).len(), 50);
    assert!(first.contains("id=\"page-next\""), "{first}");
    assert!(!first.contains("id=\"page-prev\""));
    let second = web.page("/console/contacts?page=2", 200).await;
    assert_eq!(listed(&second).len(), 8);
    assert!(second.contains("id=\"page-prev\""));
    assert!(!second.contains("id=\"page-next\""));
    let massal = web.page("/console/contacts?q=massal&page=2", 200).await;
    assert_eq!(
        listed(&massal),
        [
            "Massal 50",
            "Massal 51",
            "Massal 52",
            "Massal 53",
            "Massal 54"
        ]
    );

    // The contact's page: name and number.
    let path = format!("/console/contacts/{sari}");
    let page = web.page(&path, 200).await;
    assert!(page.contains("value=\"Sari\""), "{page}");
    let res = web
        .submit(
            &path,
            &path,
            &[("name", "Sari Wulan"), ("phone", "+62 812-1111-0009")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), path);
    let c = api_contact(&app, &a, &sari).await;
    assert_eq!(c["name"], "Sari Wulan");
    assert_eq!(c["phone"], "+6281211110009");
    // A bad number: 422, the error next to the field, what was typed kept,
    // nothing changed.
    let res = web
        .submit(&path, &path, &[("name", "Nama Baru"), ("phone", "12ab")])
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-phone\""), "{body}");
    assert!(body.contains("value=\"12ab\""), "{body}");
    assert!(body.contains("value=\"Nama Baru\""), "{body}");
    assert_eq!(api_contact(&app, &a, &sari).await["name"], "Sari Wulan");
    // Another contact's number is taken.
    let res = web
        .submit(&path, &path, &[("name", "Sari"), ("phone", "081211110002")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-phone\""));

    // Tags: add, refuse a too long one, remove.
    let res = web
        .submit(&path, &format!("{path}/tags"), &[("tag", "langganan")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        api_contact(&app, &a, &sari).await["tags"],
        json!(["langganan", "vip"])
    );
    let long = "x".repeat(65);
    let res = web
        .submit(&path, &format!("{path}/tags"), &[("tag", &long)])
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-tag\""), "{body}");
    assert!(
        body.contains(&format!("value=\"{long}\"")),
        "typed tag kept"
    );
    let res = web
        .submit(&path, &format!("{path}/tags/remove"), &[("tag", "vip")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        api_contact(&app, &a, &sari).await["tags"],
        json!(["langganan"])
    );

    // Groups: join, then leave.
    let res = web
        .submit(&path, &format!("{path}/groups"), &[("group", &setia)])
        .await;
    assert_eq!(res.status(), 303);
    let members = members_of(&app, &a, &setia).await;
    assert_eq!(members["total"], 2);
    let res = web.submit(&path, &format!("{path}/groups"), &[]).await;
    assert_eq!(res.status(), 303);
    let members = members_of(&app, &a, &setia).await;
    assert_eq!(members["total"], 1);
    assert_eq!(members["items"][0]["id"], budi.as_str());

    // Opt-out and back in.
    let res = web
        .submit(&path, &format!("{path}/opt-out"), &[("opted_out", "1")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(api_contact(&app, &a, &sari).await["opted_out"], true);
    assert!(web.page(&path, 200).await.contains("id=\"opt-in\""));
    let res = web
        .submit(&path, &format!("{path}/opt-out"), &[("opted_out", "0")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(api_contact(&app, &a, &sari).await["opted_out"], false);

    // Without the CSRF token nothing changes.
    let res = web
        .post(
            &path,
            None,
            &[("name", "Tanpa Token"), ("phone", "081211110009")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = web
        .post(&format!("{path}/opt-out"), None, &[("opted_out", "1")])
        .await;
    assert_eq!(res.status(), 403);
    let c = api_contact(&app, &a, &sari).await;
    assert_eq!(
        (c["name"].as_str(), c["opted_out"].as_bool()),
        (Some("Sari Wulan"), Some(false))
    );

    // Another vendor's contact: not found, on every route, and unchanged.
    let theirs = contact(
        &app,
        &b,
        json!({"phone": "081299990001", "name": "Rahasia"}),
    )
    .await;
    let their_path = format!("/console/contacts/{theirs}");
    let page = web.page(&their_path, 404).await;
    assert!(!page.contains("Rahasia"));
    let t = web.token(&path).await;
    for (to, fields) in [
        (
            their_path.clone(),
            vec![("name", "Dicuri"), ("phone", "081299990001")],
        ),
        (format!("{their_path}/tags"), vec![("tag", "dicuri")]),
        (format!("{their_path}/tags/remove"), vec![("tag", "x")]),
        (format!("{their_path}/opt-out"), vec![("opted_out", "1")]),
        (
            format!("{their_path}/groups"),
            vec![("group", setia.as_str())],
        ),
    ] {
        let res = web.post(&to, Some(&t), &fields).await;
        assert_eq!(res.status(), 404, "POST {to}");
    }
    let c = api_contact(&app, &b, &theirs).await;
    assert_eq!(c["name"], "Rahasia");
    assert_eq!(c["opted_out"], false);
    assert_eq!(c["tags"], json!([]));
    // Their group cannot be joined from our contact either.
    let their_group = group(&app, &b, "Grup B").await;
    let res = web
        .post(
            &format!("{path}/groups"),
            Some(&t),
            &[("group", &their_group)],
        )
        .await;
    assert_eq!(res.status(), 404);

    // The groups page: create, refuse, rename, delete.
    let groups = "/console/contacts/groups";
    let page = web.page(groups, 200).await;
    assert!(
        page.contains("Setia") && page.contains("1 anggota"),
        "{page}"
    );
    let res = web
        .submit(groups, groups, &[("name", "Pelanggan Baru")])
        .await;
    assert_eq!(res.status(), 303);
    let listed_groups = data(app.get("/api/v1/contact-groups", &a.token).await, 200).await;
    let baru = listed_groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Pelanggan Baru")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = web.submit(groups, groups, &[("name", "   ")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-name\""));
    let res = web.submit(groups, groups, &[("name", "Setia")]).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("id=\"e-name\"") && body.contains("value=\"Setia\""),
        "{body}"
    );
    let res = rename(&mut web, &baru, "Setia").await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-rename\""), "{body}");
    let res = rename(&mut web, &baru, "Pelanggan Lama").await;
    assert_eq!(res.status(), 303);
    let g = data(app.get("/api/v1/contact-groups", &a.token).await, 200).await;
    assert!(
        g.as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "Pelanggan Lama"),
        "{g}"
    );
    let res = rename(&mut web, &their_group, "Dicuri").await;
    assert_eq!(res.status(), 404);
    let res = web
        .submit(groups, &format!("{groups}/{their_group}/delete"), &[])
        .await;
    assert_eq!(res.status(), 404);
    let theirs = data(app.get("/api/v1/contact-groups", &b.token).await, 200).await;
    assert_eq!(theirs[0]["name"], "Grup B");
    let res = web
        .post(&format!("{groups}/{baru}/delete"), None, &[])
        .await;
    assert_eq!(res.status(), 403);
    let res = web
        .submit(groups, &format!("{groups}/{baru}/delete"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let g = data(app.get("/api/v1/contact-groups", &a.token).await, 200).await;
    assert_eq!(g.as_array().unwrap().len(), 1, "{g}");

    // The API renames too, with the same rules.
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/contact-groups/{setia}"),
            Some(&a.token),
            Some(json!({"name": "Setia Sekali"})),
        )
        .await;
    assert_eq!(data(res, 200).await["members"], 1);
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/contact-groups/{their_group}"),
            Some(&a.token),
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(res.status(), 404);
    app.stop().await;
}
both_dbs!(contact_pages);

/// The rows of a CSV export after the header.
fn csv_rows(text: &str) -> Vec<String> {
    text.lines().skip(1).map(str::to_owned).collect()
}

async fn contact_export(kind: DbKind) {
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko Ekspor").await;
    let b = app.signup_vendor("Toko Sebelah").await;
    contact(
        &app,
        &a,
        json!({"phone": "081233330001", "name": "Sari", "tags": ["vip"], "fields": {"kota": "Medan"}}),
    )
    .await;
    contact(
        &app,
        &a,
        json!({"phone": "081233330002", "name": "Budi", "tags": ["vip"]}),
    )
    .await;
    let ani = contact(&app, &a, json!({"phone": "081233330003", "name": "Ani"})).await;
    contact(
        &app,
        &b,
        json!({"phone": "081233330004", "name": "Bukan Milik A", "tags": ["vip"]}),
    )
    .await;
    opt_out(&app, &a, &ani).await;
    let mut web = vendor_client(&app, &a).await;

    // CSV from the page, filtered by tag.
    let res = web
        .get("/console/contacts/export?format=csv&q=&tag=vip&group_id=&opted_out=")
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{:?}",
        res.headers()
    );
    let text = res.text().await.unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "phone,name,tags,opted_out,kota"
    );
    assert_eq!(
        csv_rows(&text),
        [
            "+6281233330001,Sari,vip,false,Medan",
            "+6281233330002,Budi,vip,false,"
        ]
    );
    // By name, and opted out only.
    let text = web
        .get("/console/contacts/export?format=csv&q=budi")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv_rows(&text), ["+6281233330002,Budi,vip,false,"]);
    let text = web
        .get("/console/contacts/export?format=csv&opted_out=yes")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv_rows(&text), ["+6281233330003,Ani,,true,"]);

    // XLSX from the page: reachable contacts only.
    let res = web
        .get("/console/contacts/export?format=xlsx&opted_out=no")
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 3, "header and two rows");
    let names: Vec<String> = (1..3)
        .map(|r| range.get((r, 1)).unwrap().to_string())
        .collect();
    assert_eq!(names, ["Sari", "Budi"]);

    // The API takes the same filters.
    let res = app
        .get(
            "/api/v1/contacts/export?format=csv&tag=vip&q=sari",
            &a.token,
        )
        .await;
    assert_eq!(
        csv_rows(&res.text().await.unwrap()),
        ["+6281233330001,Sari,vip,false,Medan"]
    );
    let res = app
        .get(
            "/api/v1/contacts/export?format=csv&opted_out=true",
            &a.token,
        )
        .await;
    assert_eq!(
        csv_rows(&res.text().await.unwrap()),
        ["+6281233330003,Ani,,true,"]
    );
    // Unfiltered: everything of the vendor, nothing of another.
    let res = app.get("/api/v1/contacts/export", &a.token).await;
    let text = res.text().await.unwrap();
    assert_eq!(csv_rows(&text).len(), 3, "{text}");
    assert!(!text.contains("Bukan Milik A"));
    // An unknown format from the page is refused.
    let res = web.get("/console/contacts/export?format=pdf").await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}
both_dbs!(contact_export);

async fn inbox_reasons(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Alasan").await;
    let dev = bots_support::simulator_device(
        &app,
        &v.token,
        json!({}),
        json!([{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]),
    )
    .await;
    let inject =
        |text: &'static str| bots_support::inject(&app, &v.token, &dev, "081277776666", text);
    assert_eq!(inject("Berapa HARGA-nya kak?").await["replies"], 1);
    assert_eq!(inject("halo").await["replies"], 1);
    assert_eq!(inject("minta admin").await["replies"], 1);

    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    let conv = convs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(convs[0]["owner"], "agent", "the admin rule hands off");
    let msgs = data(
        app.get(&format!("/api/v1/conversations/{conv}/messages"), &v.token)
            .await,
        200,
    )
    .await;
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 6, "{msgs:?}");
    // The customer's messages have no reason; each bot reply has its own.
    assert!(msgs[0]["reason"].is_null(), "{:?}", msgs[0]);
    assert_eq!(msgs[0]["sender"], "contact");
    assert_eq!(
        msgs[1]["reason"],
        json!({"kind": "keyword_rule", "plugin": "keyword-rules", "rule": "harga",
               "keyword": "harga", "match_kind": "contains", "handoff": false})
    );
    assert_eq!(msgs[1]["sender"], "bot");
    assert_eq!(msgs[3]["reason"]["kind"], "default_reply");
    assert_eq!(msgs[5]["reason"]["kind"], "keyword_rule");
    assert_eq!(msgs[5]["reason"]["rule"], "admin");
    assert_eq!(msgs[5]["reason"]["handoff"], true);

    // The page says it in the vendor's language.
    let mut web = vendor_client(&app, &v).await;
    let page = web.page(&format!("/console/inbox/{conv}"), 200).await;
    assert!(page.contains("class=\"why\""), "{page}");
    assert!(
        page.contains("Aturan kata kunci cocok: &#34;harga&#34; (mengandung) · aturan harga"),
        "{page}"
    );
    assert!(
        page.contains("Tidak ada aturan yang cocok: balasan bawaan"),
        "{page}"
    );
    assert!(page.contains("percakapan diserahkan ke agen"), "{page}");
    assert_eq!(
        page.matches("class=\"why\"").count(),
        3,
        "only the bot's replies"
    );

    // The OpenAPI document describes the reason and its kinds.
    let doc = crate::http_conventions::openapi(&app).await;
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["MessageView"]["properties"]["reason"].is_object(),
        "{}",
        schemas["MessageView"]
    );
    let kinds = schemas["ReasonKind"]["enum"].as_array().unwrap();
    assert!(
        kinds.contains(&json!("keyword_rule")) && kinds.contains(&json!("plan_limit")),
        "{kinds:?}"
    );
    assert_eq!(
        schemas["Sender"]["enum"],
        json!(["contact", "bot", "agent", "api", "system"])
    );
    assert_eq!(
        schemas["ConversationOwner"]["enum"],
        json!(["bot", "agent"])
    );
    app.stop().await;
}
both_dbs!(inbox_reasons);
