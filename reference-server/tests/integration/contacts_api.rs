//! Contacts over HTTP on SQLite and PostgreSQL: CRUD, normalisation,
//! tags, groups, opt-out, import (CSV, XLSX) with row errors, export.

use crate::campaigns_support;
use crate::common;

use base64::Engine as _;
use campaigns_support::{vendor, vendor_with_limits};
use common::{DbKind, data, error_code, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn crud(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko Budi").await;
    let other = vendor(&app, "Toko Lain").await;

    let c = data(
        app.post(
            "/api/v1/contacts",
            &v.token,
            json!({"phone": "0812-3456-7890", "name": "Budi", "fields": {"Kota": "Bandung"}, "tags": ["vip", "vip", "baru"]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(c["phone"], "+6281234567890");
    assert_eq!(c["fields"]["kota"], "Bandung");
    assert_eq!(c["tags"], json!(["baru", "vip"]));
    let id = c["id"].as_str().unwrap().to_owned();

    // The same number in another form is a duplicate; another vendor may have it.
    let dup = app
        .post(
            "/api/v1/contacts",
            &v.token,
            json!({"phone": "+62 812 3456 7890"}),
        )
        .await;
    assert_eq!(error_code(dup, 409).await, "contact_exists");
    data(
        app.post(
            "/api/v1/contacts",
            &other.token,
            json!({"phone": "6281234567890"}),
        )
        .await,
        201,
    )
    .await;
    let bad = app
        .post("/api/v1/contacts", &v.token, json!({"phone": "12ab"}))
        .await;
    assert_eq!(error_code(bad, 400).await, "invalid_phone_number");

    data(
        app.post(
            "/api/v1/contacts",
            &v.token,
            json!({"phone": "081298765432", "name": "Sari"}),
        )
        .await,
        201,
    )
    .await;
    let page = data(app.get("/api/v1/contacts?tag=vip", &v.token).await, 200).await;
    assert_eq!(page["total"], 1);
    let page = data(app.get("/api/v1/contacts?q=sar", &v.token).await, 200).await;
    assert_eq!(page["items"][0]["name"], "Sari");
    let page = data(app.get("/api/v1/contacts", &other.token).await, 200).await;
    assert_eq!(page["total"], 1, "tenants see only their contacts");

    // Another vendor cannot read or change it.
    assert_eq!(
        error_code(
            app.get(&format!("/api/v1/contacts/{id}"), &other.token)
                .await,
            404
        )
        .await,
        "not_found"
    );

    let upd = data(
        app.request(
            Method::PATCH,
            &format!("/api/v1/contacts/{id}"),
            Some(&v.token),
            Some(json!({"name": "Budi S", "tags": ["langganan"], "opted_out": true})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(upd["name"], "Budi S");
    assert_eq!(upd["tags"], json!(["langganan"]));
    assert_eq!(upd["opted_out"], true);
    let page = data(
        app.get("/api/v1/contacts?opted_out=true", &v.token).await,
        200,
    )
    .await;
    assert_eq!(page["total"], 1);

    // Groups.
    let g = data(
        app.post(
            "/api/v1/contact-groups",
            &v.token,
            json!({"name": "Reseller"}),
        )
        .await,
        201,
    )
    .await;
    let gid = g["id"].as_str().unwrap();
    data(
        app.post(
            &format!("/api/v1/contact-groups/{gid}/members"),
            &v.token,
            json!({"contact_ids": [id]}),
        )
        .await,
        200,
    )
    .await;
    let bad = app
        .post(
            &format!("/api/v1/contact-groups/{gid}/members"),
            &v.token,
            json!({"contact_ids": ["nope"]}),
        )
        .await;
    assert_eq!(error_code(bad, 400).await, "unknown_contact");
    let groups = data(app.get("/api/v1/contact-groups", &v.token).await, 200).await;
    assert_eq!(groups[0]["members"], 1);
    let page = data(
        app.get(&format!("/api/v1/contacts?group_id={gid}"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(page["total"], 1);

    let fields = data(app.get("/api/v1/contact-fields", &v.token).await, 200).await;
    assert_eq!(fields, json!(["kota"]));

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/contacts/{id}"),
            Some(&v.token),
            None,
        )
        .await;
    data(res, 200).await;
    assert_eq!(
        error_code(
            app.get(&format!("/api/v1/contacts/{id}"), &v.token).await,
            404
        )
        .await,
        "not_found"
    );
    app.stop().await;
}
both_dbs!(crud);

async fn import_and_export(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko Impor").await;
    let csv = "Nama;No HP;Kota;Tags\n\
               Budi;0812-3456-7890;Bandung;vip\n\
               Sari;;Jakarta;\n\
               Andi;12ab;Solo;\n\
               Budi lagi;+62 812 3456 7890;Bogor;\n\
               Dewi;6281298765432;Medan;vip, baru\n";
    let body = json!({"file_name": "kontak.csv", "content_base64": b64(csv.as_bytes()), "tags": ["impor-1"]});
    let r = data(
        app.post("/api/v1/contacts/import", &v.token, body.clone())
            .await,
        200,
    )
    .await;
    assert_eq!(r["created"], 2);
    assert_eq!(r["rows"], 5);
    let rejected: Vec<(i64, String)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (3, "missing_phone".to_owned()),
            (4, "invalid_phone".to_owned()),
            (5, "duplicate_in_file".to_owned())
        ]
    );
    // Importing the same file again adds nothing.
    let r = data(
        app.post("/api/v1/contacts/import", &v.token, body).await,
        200,
    )
    .await;
    assert_eq!(r["created"], 0);
    assert_eq!(r["unchanged"], 2);
    let page = data(app.get("/api/v1/contacts?tag=vip", &v.token).await, 200).await;
    assert_eq!(page["total"], 2);
    let page = data(app.get("/api/v1/contacts?tag=impor-1", &v.token).await, 200).await;
    assert_eq!(page["total"], 2);

    // XLSX with a numeric phone column and an explicit mapping.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["WA", "Nama Lengkap", "Kota"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_number(1, 0, 6281311112222.0).unwrap();
    ws.write_string(1, 1, "Joko").unwrap();
    ws.write_string(1, 2, "Solo").unwrap();
    ws.write_number(2, 0, 6281234567890.0).unwrap();
    ws.write_string(2, 1, "Budi Baru").unwrap();
    ws.write_string(2, 2, "Cimahi").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let r = data(
        app.post(
            "/api/v1/contacts/import",
            &v.token,
            json!({"file_name": "kontak.xlsx", "content_base64": b64(&bytes), "update_existing": true,
                   "mapping": {"phone": "A", "name": "Nama Lengkap", "fields": {"kota": "C"}}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["created"], 1);
    assert_eq!(r["updated"], 1);
    let page = data(app.get("/api/v1/contacts?q=budi", &v.token).await, 200).await;
    assert_eq!(page["items"][0]["name"], "Budi Baru");
    assert_eq!(page["items"][0]["fields"]["kota"], "Cimahi");

    // A broken file changes nothing.
    let bad = app
        .post(
            "/api/v1/contacts/import",
            &v.token,
            json!({"file_name": "x.xlsx", "content_base64": b64(b"PK\x03\x04zz")}),
        )
        .await;
    assert_eq!(error_code(bad, 400).await, "invalid_file");
    let page = data(app.get("/api/v1/contacts", &v.token).await, 200).await;
    assert_eq!(page["total"], 3);

    // Export CSV and XLSX.
    let res = app
        .get("/api/v1/contacts/export?format=csv", &v.token)
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "phone,name,tags,opted_out,kota");
    assert!(
        text.contains("+6281298765432,Dewi,\"baru, impor-1, vip\",false,Medan"),
        "{text}"
    );
    let res = app
        .get("/api/v1/contacts/export?format=xlsx", &v.token)
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 4);
    assert_eq!(range.get((0, 0)).unwrap().to_string(), "phone");
    let res = app
        .get("/api/v1/contacts/export?format=pdf", &v.token)
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_format");
    app.stop().await;
}
both_dbs!(import_and_export);

async fn limits_and_opt_out(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor_with_limits(&app, "Toko Kecil", 2, 100).await;
    let csv = "phone\n081200000001\n081200000002\n081200000003\n";
    let res = app
        .post(
            "/api/v1/contacts/import",
            &v.token,
            json!({"content_base64": b64(csv.as_bytes())}),
        )
        .await;
    assert_eq!(error_code(res, 402).await, "plan_limit_exceeded");
    let page: Value = data(app.get("/api/v1/contacts", &v.token).await, 200).await;
    assert_eq!(page["total"], 0, "nothing imported when over the limit");

    // STOP from an unknown number creates an opted-out contact (the inbound
    // handler calls this).
    let changed = reference_server::contacts::mark_opted_out(
        &app.state,
        &v.tenant_id.as_str().into(),
        "+6281200000009",
    )
    .await
    .unwrap();
    assert!(changed);
    let again = reference_server::contacts::mark_opted_out(
        &app.state,
        &v.tenant_id.as_str().into(),
        "+6281200000009",
    )
    .await
    .unwrap();
    assert!(!again);
    let page = data(
        app.get("/api/v1/contacts?opted_out=true", &v.token).await,
        200,
    )
    .await;
    assert_eq!(page["items"][0]["phone"], "+6281200000009");
    let c = reference_server::contacts::find_or_create(
        &app.state.pool,
        &v.tenant_id.as_str().into(),
        "+6281200000009",
        Some("X"),
    )
    .await
    .unwrap();
    assert!(c.opted_out);
    app.stop().await;
}
both_dbs!(limits_and_opt_out);

/// A real Excel 97-2003 workbook (BIFF8, written by xlwt: see
/// `campaigns_support/fixtures/make_xls.py`).
const KONTAK_XLS: &[u8] = include_bytes!("campaigns_support/fixtures/kontak.xls");

async fn import_xls_file(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko Xls").await;
    assert_eq!(&KONTAK_XLS[..4], &[0xD0, 0xCF, 0x11, 0xE0], "an OLE2 file");
    // No file name: the format is detected from the bytes.
    let body = json!({"content_base64": b64(KONTAK_XLS)});
    let r = data(
        app.post("/api/v1/contacts/import", &v.token, body.clone())
            .await,
        200,
    )
    .await;
    assert_eq!(r["rows"], 6, "{r}");
    assert_eq!(r["created"], 3, "{r}");
    let rejected: Vec<(i64, String)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (4, "missing_phone".to_owned()),
            (5, "invalid_phone".to_owned()),
            (6, "duplicate_in_file".to_owned())
        ]
    );
    assert_eq!(r["fields"], json!(["kota"]));
    // The numeric phone cell became a number, not 6.28e12.
    let page = data(app.get("/api/v1/contacts?q=Bambang", &v.token).await, 200).await;
    let b = &page["items"][0];
    assert_eq!(b["phone"], "+6281234567802");
    assert_eq!(b["fields"]["kota"], "Semarang");
    assert_eq!(b["tags"], json!(["baru", "vip"]));
    let page = data(app.get("/api/v1/contacts?tag=vip", &v.token).await, 200).await;
    assert_eq!(page["total"], 2);

    // The same file again (named this time) adds nothing.
    let named = json!({"file_name": "KONTAK.XLS", "content_base64": b64(KONTAK_XLS)});
    let r = data(
        app.post("/api/v1/contacts/import", &v.token, named).await,
        200,
    )
    .await;
    assert_eq!(r["created"], 0);
    assert_eq!(r["unchanged"], 3);
    let page = data(app.get("/api/v1/contacts", &v.token).await, 200).await;
    assert_eq!(page["total"], 3);

    // A truncated .xls is refused whole.
    let bad = app
        .post(
            "/api/v1/contacts/import",
            &v.token,
            json!({"file_name": "rusak.xls", "content_base64": b64(&KONTAK_XLS[..700])}),
        )
        .await;
    assert_eq!(error_code(bad, 400).await, "invalid_file");
    let page = data(app.get("/api/v1/contacts", &v.token).await, 200).await;
    assert_eq!(page["total"], 3);
    app.stop().await;
}
both_dbs!(import_xls_file);
