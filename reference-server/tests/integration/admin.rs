//! Platform admin over HTTP: plans CRUD, vendor list, XLSX exports read
//! back with calamine.

use crate::common;

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use common::{DbKind, data, error_code, spawn_app};
use reqwest::Method;
use serde_json::json;

fn rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn plans_crud_and_exports(kind: DbKind) {
    let app = spawn_app(kind).await;
    let admin = app.admin_token().await;

    // Plans CRUD.
    let bad = app
        .post("/api/v1/admin/plans", &admin, json!({"code": "x"}))
        .await;
    assert_eq!(error_code(bad, 400).await, "missing_field");
    let bad = app
        .post("/api/v1/admin/plans", &admin, json!({"code": "Bad Code", "name": "n", "price_idr": 1, "duration_days": 1,
            "max_devices": 1, "max_contacts": 1, "max_messages_per_month": 1, "max_ai_requests_per_month": 1}))
        .await;
    assert_eq!(error_code(bad, 400).await, "invalid_code");
    let plan = data(
        app.post("/api/v1/admin/plans", &admin, json!({"code": "bisnis", "name": "Bisnis", "price_idr": 499000,
            "duration_days": 90, "max_devices": 10, "max_contacts": 50000, "max_messages_per_month": 500000,
            "max_ai_requests_per_month": 50000}))
        .await,
        201,
    )
    .await;
    let id = plan["id"].as_str().unwrap();
    let dup = app
        .post("/api/v1/admin/plans", &admin, json!({"code": "bisnis", "name": "B", "price_idr": 1, "duration_days": 1,
            "max_devices": 1, "max_contacts": 1, "max_messages_per_month": 1, "max_ai_requests_per_month": 1}))
        .await;
    assert_eq!(error_code(dup, 409).await, "code_taken");
    let updated = data(
        app.request(
            Method::PATCH,
            &format!("/api/v1/admin/plans/{id}"),
            Some(&admin),
            Some(json!({"price_idr": 450000, "active": false})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["price_idr"], 450000);
    assert_eq!(updated["active"], false);
    // Inactive plans are not offered to vendors.
    let public = data(
        app.client
            .get(app.url("/api/v1/plans"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(!public.to_string().contains("bisnis"));
    data(
        app.request(
            Method::DELETE,
            &format!("/api/v1/admin/plans/{id}"),
            Some(&admin),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/admin/plans/{id}"), &admin)
            .await
            .status(),
        404
    );
    // A plan in use (the trial, held by a vendor below) cannot be deleted.
    let v1 = app.signup_vendor("Toko Satu").await;
    let v2 = app.signup_vendor("Toko Dua").await;
    let all = data(app.get("/api/v1/admin/plans", &admin).await, 200).await;
    let trial = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "trial")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/admin/plans/{trial}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(error_code(res, 409).await, "plan_in_use");

    data(
        app.post(
            &format!("/api/v1/admin/vendors/{}/ban", v2.tenant_id),
            &admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;

    // Vendors export: header + one row per vendor, with the right status.
    let res = app.get("/api/v1/admin/exports/vendors.xlsx", &admin).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = res.bytes().await.unwrap();
    let sheet = rows(&bytes, "Vendors");
    assert_eq!(sheet.len(), 3, "{sheet:?}");
    assert_eq!(sheet[0][0], "id");
    let row1 = sheet.iter().find(|r| r[0] == v1.tenant_id).unwrap();
    assert_eq!(row1[1], "Toko Satu");
    assert_eq!(row1[2], v1.whatsapp);
    assert_eq!(row1[3], v1.email);
    assert_eq!(row1[4], "active");
    assert_eq!(row1[5], "trial");
    let row2 = sheet.iter().find(|r| r[0] == v2.tenant_id).unwrap();
    assert_eq!(row2[4], "banned");

    // Subscriptions export.
    let bytes = app
        .get("/api/v1/admin/exports/subscriptions.xlsx", &admin)
        .await
        .bytes()
        .await
        .unwrap();
    let sheet = rows(&bytes, "Subscriptions");
    assert_eq!(sheet.len(), 3, "{sheet:?}");
    assert!(
        sheet[1..]
            .iter()
            .all(|r| r[2] == "trial" && r[3] == "active")
    );

    // Vendors cannot export.
    assert_eq!(
        app.get("/api/v1/admin/exports/vendors.xlsx", &v1.token)
            .await
            .status(),
        401
    );
    // The platform outbox shows the OTP messages.
    let outbox = data(app.get("/api/v1/admin/simulator/outbox", &admin).await, 200).await;
    assert_eq!(outbox.as_array().unwrap().len(), 2);
}
both_dbs!(plans_crud_and_exports);
