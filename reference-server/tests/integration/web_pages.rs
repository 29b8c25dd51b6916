//! The admin console and the vendor pages of the web console over plain
//! HTTP, on SQLite and PostgreSQL: a cookie-keeping client reads each
//! form's CSRF token from the page and posts it like a browser. Checks the
//! rules the pages share with the JSON API (approval, ban ending the
//! sessions, template errors with their position, tenant isolation) and
//! that a post without the token changes nothing.

use std::collections::HashMap;

use crate::common::{DbKind, TestApp, VendorSession, data, spawn_app};

use reqwest::Response;
use serde_json::json;

/// A browser without a browser: keeps the cookies the server sets.
pub(crate) struct WebClient<'a> {
    pub(crate) app: &'a TestApp,
    pub(crate) cookies: HashMap<String, String>,
}

impl<'a> WebClient<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: HashMap::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn keep(&mut self, res: &Response) {
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Response {
        let res = self
            .app
            .client
            .get(self.app.url(path))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        res
    }

    /// The page's text, asserting its status.
    pub(crate) async fn page(&mut self, path: &str, status: u16) -> String {
        let res = self.get(path).await;
        let got = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(got, status, "GET {path}: {body}");
        body
    }

    /// The CSRF token of the page at `path`.
    pub(crate) async fn token(&mut self, path: &str) -> String {
        let body = self.page(path, 200).await;
        let at = body
            .find("name=\"_csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field on {path}"));
        let rest = &body[at + "name=\"_csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// Posts a form (with `_csrf` if given).
    pub(crate) async fn post(
        &mut self,
        path: &str,
        csrf: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = csrf {
            form.insert(0, ("_csrf", t));
        }
        let res = self
            .app
            .client
            .post(self.app.url(path))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.keep(&res);
        res
    }

    /// Posts a form with the token of the page at `from`.
    pub(crate) async fn submit(
        &mut self,
        from: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let t = self.token(from).await;
        self.post(path, Some(&t), fields).await
    }
}

pub(crate) fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

pub(crate) async fn admin_client(app: &TestApp) -> WebClient<'_> {
    let mut w = WebClient::new(app);
    let res = w
        .submit(
            "/admin/login",
            "/admin/login",
            &[
                ("email", &app.admin_email),
                ("password", &app.admin_password),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/vendors");
    w
}

pub(crate) async fn vendor_client<'a>(app: &'a TestApp, v: &VendorSession) -> WebClient<'a> {
    let mut w = WebClient::new(app);
    let res = w
        .submit(
            "/login",
            "/login",
            &[("email", &v.email), ("password", &v.password)],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    w
}

async fn admin_pages(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Ceria").await;
    let mut vendor = vendor_client(&app, &v).await;
    vendor.page("/console/overview", 200).await;

    // Not signed in as an admin: to the admin sign-in, then back.
    let mut anon = WebClient::new(&app);
    let res = anon.get("/admin/plans").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/login?next=%2Fadmin%2Fplans");
    // A vendor's session is not an admin's.
    let res = vendor.get("/admin/vendors").await;
    assert_eq!(res.status(), 303);

    let mut admin = admin_client(&app).await;
    let list = admin.page("/admin/vendors", 200).await;
    assert!(list.contains("Toko Ceria"), "{list}");
    let detail = admin
        .page(&format!("/admin/vendors/{}", v.tenant_id), 200)
        .await;
    assert!(detail.contains("Pemakaian terhadap batas paket"));
    assert!(
        detail.contains("<meter"),
        "usage against the trial's limits"
    );
    admin.page("/admin/vendors/t_nobody", 404).await;

    // The exports are the API's workbooks.
    let res = admin.get("/admin/exports/vendors.xlsx").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    admin.page("/admin/exports/secrets.xlsx", 404).await;
    assert!(admin.page("/admin/health", 200).await.contains("menjawab"));
    assert!(admin.page("/admin/outbox", 200).await.contains(&v.whatsapp));

    // A ban ends the vendor's console session and its JSON sessions.
    let res = admin
        .submit(
            &format!("/admin/vendors/{}", v.tenant_id),
            &format!("/admin/vendors/{}/ban", v.tenant_id),
            &[("reason", "penipuan")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = vendor.get("/console/overview").await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login"));
    let res = app.get("/api/v1/tenant", &v.token).await;
    assert_eq!(res.status(), 401);
    // Approving a banned vendor is refused with the API's words.
    let res = admin
        .submit(
            "/admin/vendors",
            &format!("/admin/vendors/{}/approve", v.tenant_id),
            &[],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("banned tidak bisa menjadi active")
    );
    let view = data(
        app.get(
            &format!("/api/v1/admin/vendors/{}", v.tenant_id),
            &app.admin_token().await,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (view["status"].as_str(), view["ban_reason"].as_str()),
        (Some("banned"), Some("penipuan"))
    );

    // A plan with a wrong number is not created; a good one is.
    let plans_before = data(app.get("/api/v1/plans", "").await, 200).await;
    let fields = |price: &'static str| {
        vec![
            ("code", "mikro"),
            ("name", "Mikro"),
            ("price_idr", price),
            ("duration_days", "30"),
            ("max_devices", "1"),
            ("max_contacts", "100"),
            ("max_messages_per_month", "1000"),
            ("max_ai_requests_per_month", "50"),
            ("active", "on"),
        ]
    };
    let res = admin
        .submit("/admin/plans", "/admin/plans", &fields("-5"))
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-price_idr\""), "{body}");
    assert!(body.contains("value=\"mikro\""), "what was typed stays");
    let res = admin
        .submit("/admin/plans", "/admin/plans", &fields("25000"))
        .await;
    assert_eq!(res.status(), 303);
    let plans = data(app.get("/api/v1/plans", "").await, 200).await;
    assert_eq!(
        plans.as_array().unwrap().len(),
        plans_before.as_array().unwrap().len() + 1
    );
    // The same code again is refused next to the code.
    let res = admin
        .submit("/admin/plans", "/admin/plans", &fields("25000"))
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-code\""));

    // Signed out, the admin session no longer opens the pages.
    let res = admin.submit("/admin/vendors", "/admin/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(admin.get("/admin/vendors").await.status(), 303);
    app.stop().await;
}

#[tokio::test]
async fn admin_pages_sqlite() {
    admin_pages(DbKind::Sqlite).await;
}

#[tokio::test]
async fn admin_pages_postgres() {
    admin_pages(DbKind::Postgres).await;
}

async fn vendor_pages(kind: DbKind) {
    let app = spawn_app(kind).await;
    let a = app.signup_vendor("Toko Awan").await;
    let b = app.signup_vendor("Toko Bintang").await;
    let mut web = vendor_client(&app, &a).await;

    // A contact with a custom field for the preview.
    let contact = data(
        app.post(
            "/api/v1/contacts",
            &a.token,
            json!({"phone": "081298765432", "name": "Sari Dewi", "fields": {"kota": "Bandung"}}),
        )
        .await,
        201,
    )
    .await;
    let contact_id = contact["id"].as_str().unwrap();

    // The live preview renders for the chosen contact...
    let t = web.token("/console/templates/new").await;
    let res = web
        .post(
            "/console/templates/preview",
            Some(&t),
            &[
                ("body", "Halo {first_name} dari {kota}"),
                ("contact_id", contact_id),
                ("seed", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let part = res.text().await.unwrap();
    assert!(part.contains("Halo Sari dari Bandung"), "{part}");
    assert!(!part.contains("<html"), "a fragment, not a page");
    // ...and marks broken spintax where it is.
    let res = web
        .post(
            "/console/templates/preview",
            Some(&t),
            &[("body", "Halo\n{Kak|Bu, promo"), ("contact_id", "")],
        )
        .await;
    let part = res.text().await.unwrap();
    assert!(part.contains("baris 2, kolom 1"), "{part}");
    assert!(part.contains("<mark>{</mark>Kak|Bu, promo"), "{part}");
    // Another vendor's contact is not found.
    let b_contact = data(
        app.post(
            "/api/v1/contacts",
            &b.token,
            json!({"phone": "081211112222", "name": "Rahasia"}),
        )
        .await,
        201,
    )
    .await;
    let res = web
        .post(
            "/console/templates/preview",
            Some(&t),
            &[
                ("body", "Halo {name}"),
                ("contact_id", b_contact["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);

    // Saving an unknown variable: 422, the error and the mark next to
    // the body, nothing stored.
    let res = web
        .post(
            "/console/templates",
            Some(&t),
            &[("name", "Promo"), ("body", "Hai {name}, {alamat}")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-body\""), "{body}");
    assert!(body.contains("baris 1, kolom 13"), "{body}");
    assert!(body.contains("<mark>{</mark>alamat}"), "{body}");
    assert!(
        body.contains("Hai {name}, {alamat}</textarea>"),
        "typed text kept"
    );
    let listed = data(app.get("/api/v1/templates", &a.token).await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 0);
    let res = web
        .post(
            "/console/templates",
            Some(&t),
            &[
                ("name", "Promo"),
                ("body", "Hai {name} di {kota}"),
                ("media_kind", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let listed = data(app.get("/api/v1/templates", &a.token).await, 200).await;
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert!(
        web.page(&format!("/console/templates/{id}"), 200)
            .await
            .contains("Hai {name} di {kota}")
    );

    // Tenant isolation: B's template, member and API key from A's session.
    let b_template = data(
        app.post(
            "/api/v1/templates",
            &b.token,
            json!({"name": "B", "body": "Rahasia B"}),
        )
        .await,
        201,
    )
    .await;
    let b_template = b_template["id"].as_str().unwrap();
    let page = web
        .page(&format!("/console/templates/{b_template}"), 404)
        .await;
    assert!(!page.contains("Rahasia B"));
    let res = web
        .post(
            &format!("/console/templates/{b_template}"),
            Some(&t),
            &[("name", "Dicuri"), ("body", "Dicuri")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = web
        .post(
            &format!("/console/templates/{b_template}/delete"),
            Some(&t),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404);
    let still = data(
        app.get(&format!("/api/v1/templates/{b_template}"), &b.token)
            .await,
        200,
    )
    .await;
    assert_eq!(still["body"], "Rahasia B");
    web.page(&format!("/console/team/{}", b.member_id), 404)
        .await;
    let res = web
        .post(
            &format!("/console/team/{}/remove", b.member_id),
            Some(&t),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404);
    let b_key = app.api_key(&b).await;
    let b_keys = data(app.get("/api/v1/api-keys", &b.token).await, 200).await;
    let b_key_id = b_keys[0]["id"].as_str().unwrap();
    let res = web
        .post(
            &format!("/console/api-keys/{b_key_id}/revoke"),
            Some(&t),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .get(app.url("/api/v1/tenant"))
        .header("x-api-key", &b_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "B's key still works");

    // CSRF: without the token (or with another session's), refused and
    // nothing created.
    for token in [None, Some("bukan-token")] {
        let res = web
            .post("/console/api-keys", token, &[("name", "Tanpa token")])
            .await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("Formulir kedaluwarsa"));
    }
    let keys = data(app.get("/api/v1/api-keys", &a.token).await, 200).await;
    assert_eq!(keys.as_array().unwrap().len(), 0);

    // API keys: shown once, revoked from the page.
    let res = web
        .submit(
            "/console/api-keys",
            "/console/api-keys",
            &[("name", "Kasir")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let at = body.find("id=\"new-key\">").unwrap() + "id=\"new-key\">".len();
    let key = &body[at..at + body[at..].find('<').unwrap()];
    assert!(key.starts_with("wak_"));
    assert!(!web.page("/console/api-keys", 200).await.contains(key));
    let keys = data(app.get("/api/v1/api-keys", &a.token).await, 200).await;
    let key_id = keys[0]["id"].as_str().unwrap();
    let res = web
        .submit(
            "/console/api-keys",
            &format!("/console/api-keys/{key_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .client
        .get(app.url("/api/v1/tenant"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a revoked key stops working");

    // Team: an agent added, renamed; an agent cannot add members.
    let res = web
        .submit(
            "/console/team",
            "/console/team",
            &[
                ("name", "Rina"),
                ("email", "rina@awan.test"),
                ("password", "rahasia-456"),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let members = data(app.get("/api/v1/members", &a.token).await, 200).await;
    let rina = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "rina@awan.test")
        .unwrap();
    let rina_id = rina["id"].as_str().unwrap();
    let res = web
        .submit(
            &format!("/console/team/{rina_id}"),
            &format!("/console/team/{rina_id}"),
            &[("name", "Rina Kasir"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let rina = data(
        app.get(&format!("/api/v1/members/{rina_id}"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (rina["name"].as_str(), rina["role"].as_str()),
        (Some("Rina Kasir"), Some("admin"))
    );
    let res = web
        .submit(
            "/console/team",
            "/console/team",
            &[
                ("name", "Dua"),
                ("email", "rina@awan.test"),
                ("password", "rahasia-456"),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text().await.unwrap().contains("id=\"e-email\""),
        "email taken, next to the field"
    );

    // Settings: a time zone that does not exist is refused next to it.
    let res = web
        .submit(
            "/console/settings",
            "/console/settings",
            &[
                ("name", "Toko Awan"),
                ("time_zone", "Asia/Atlantis"),
                ("locale", "id"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-time_zone\""));
    let res = web
        .submit(
            "/console/settings",
            "/console/settings",
            &[
                ("name", "Toko Awan Jaya"),
                ("time_zone", "Asia/Jayapura"),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(web.cookies.get("wa_lang").map(String::as_str), Some("en"));
    let tenant = data(app.get("/api/v1/tenant", &a.token).await, 200).await;
    assert_eq!(
        (
            tenant["name"].as_str(),
            tenant["time_zone"].as_str(),
            tenant["locale"].as_str()
        ),
        (Some("Toko Awan Jaya"), Some("Asia/Jayapura"), Some("en"))
    );

    // The overview draws what happened: the campaign-free, message-free
    // vendor gets the empty states, in English now.
    let page = web.page("/console/overview?days=7", 200).await;
    assert!(page.contains("No messages in this period yet."), "{page}");
    assert!(page.contains("No campaigns yet."));
    app.stop().await;
}

#[tokio::test]
async fn vendor_pages_sqlite() {
    vendor_pages(DbKind::Sqlite).await;
}

#[tokio::test]
async fn vendor_pages_postgres() {
    vendor_pages(DbKind::Postgres).await;
}

/// The audit pages: the vendor's own trail (owner and admins only) with
/// its filter and download, the admin's page of every vendor.
async fn audit_pages(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Jejak").await;
    let other = app.signup_vendor("Toko Sebelah").await;
    let mut w = vendor_client(&app, &v).await;
    let _ = vendor_client(&app, &other).await;

    let body = w.page("/console/audit", 200).await;
    assert!(body.contains("href=\"/console/audit\""), "menu entry");
    assert!(body.contains("class=\"badge\">auth.login<"), "{body}");
    assert!(!body.contains(&other.tenant_id));
    let filtered = w.page("/console/audit?action=auth.login_failed", 200).await;
    assert!(filtered.contains("id=\"audit-empty\""), "{filtered}");
    let res = w
        .get("/console/audit/export?action=auth.login&format=csv")
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "header and the sign-in: {csv}");
    let after = w.page("/console/audit", 200).await;
    assert!(
        after.contains("class=\"badge\">export.downloaded<"),
        "the download is recorded"
    );

    // An agent has no audit page.
    data(
        app.post(
            "/api/v1/members",
            &v.token,
            json!({"email": "agen@jejak.test", "name": "Agen", "password": "rahasia-123", "role": "agent"}),
        )
        .await,
        201,
    )
    .await;
    let mut agent = WebClient::new(&app);
    let res = agent
        .submit(
            "/login",
            "/login",
            &[("email", "agen@jejak.test"), ("password", "rahasia-123")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = agent.page("/console", 200).await;
    assert!(!page.contains("href=\"/console/audit\""));
    agent.page("/console/audit", 403).await;

    let mut admin = admin_client(&app).await;
    let all = admin.page("/admin/audit", 200).await;
    for tenant in [&v.tenant_id, &other.tenant_id] {
        assert!(all.contains(tenant.as_str()), "{tenant} on the admin page");
    }
    assert!(all.contains("class=\"badge\">auth.admin_login<"));
    let one = admin
        .page(&format!("/admin/audit?tenant_id={}", other.tenant_id), 200)
        .await;
    assert!(!one.contains(v.tenant_id.as_str()));
    let res = admin.get("/admin/audit/export?format=csv").await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn audit_pages_sqlite() {
    audit_pages(DbKind::Sqlite).await;
}

#[tokio::test]
async fn audit_pages_postgres() {
    audit_pages(DbKind::Postgres).await;
}
