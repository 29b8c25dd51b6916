//! The vendor's marketplace journey in a real browser (SQLite, Midtrans on
//! wiremock): create a product with two variants and an image, publish
//! it; a buyer orders and pays through the JSON API; the vendor finds the
//! order on reload, ships it and sees the sale on the overview; another
//! vendor's product and order URLs give the 404 page. Screenshots of the
//! pages at phone and desktop width land in `target/screenshots/`.

use super::console::PNG;
use super::support::paid_orders;
use super::{app, buyer, product};
use crate::browser::Browser;
use crate::common::{DbKind, data};

async fn wait_path(b: &Browser, expected: &str) {
    for _ in 0..100 {
        if b.path().await == expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("still on {} instead of {expected}", b.path().await);
}

async fn log_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.fill("#f-email", email).await;
    b.fill("#f-password", password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    wait_path(b, "/console").await;
}

#[tokio::test]
async fn vendor_sells_in_the_browser() {
    let (app, mock) = app(DbKind::Sqlite).await;
    let a = app.signup_vendor("Toko Batik").await;
    let other = app.signup_vendor("Toko Sebelah").await;
    let b = Browser::start(&app.base).await;
    log_in(&b, &a.email, &a.password).await;

    // A product with two variants through the form.
    b.goto("/console/products").await;
    b.shot("products-empty").await;
    b.click("#new-product").await;
    wait_path(&b, "/console/products/new").await;
    b.fill("#f-name", "Kemeja Batik").await;
    b.fill("#f-category", "Fashion").await;
    b.fill("#f-description", "Batik tulis Pekalongan").await;
    b.fill("#f-specs", "Bahan: Katun primisima").await;
    b.fill("#f-sku0", "BATIK-M").await;
    b.fill("#f-vname0", "M").await;
    b.fill("#f-price0", "250.000").await;
    b.fill("#f-stock0", "8").await;
    b.fill("#f-sku1", "BATIK-L").await;
    b.fill("#f-vname1", "L").await;
    b.fill("#f-price1", "abc").await;
    b.fill("#f-stock1", "5").await;
    b.click("#product-form button[type=submit]").await;
    // The bad price is marked next to its field, the rest kept.
    b.find("#e-price1").await;
    assert_eq!(
        b.find("#f-name").await.prop("value").await.unwrap(),
        Some("Kemeja Batik".to_owned())
    );
    b.shot("product-new-error").await;
    b.fill("#f-price1", "275000").await;
    b.click("#product-form button[type=submit]").await;
    b.find("#publish").await;
    let page = b.path().await;
    assert!(
        page.starts_with("/console/products/") && page != "/console/products/new",
        "{page}"
    );
    assert!(b.body().await.contains("BATIK-L"));

    // An image through the file field.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batik.png");
    std::fs::write(&file, PNG).unwrap();
    b.find("#f-image")
        .await
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    b.click("#image-form button[type=submit]").await;
    b.find("ul.thumbs img").await;
    b.click("#publish").await;
    b.find("#unpublish").await;
    b.shot("product").await;
    let pid = page.trim_start_matches("/console/products/").to_owned();
    let p = data(
        app.get(
            &format!("/api/v1/marketplace/vendor/products/{pid}"),
            &a.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["status"], "published");
    assert_eq!(p["images"].as_array().unwrap().len(), 1);
    let variant = p["variants"][0]["id"].as_str().unwrap().to_owned();

    // A buyer orders through the JSON API and pays at the mock Midtrans.
    let x = buyer(&app, "Sari").await;
    let orders = paid_orders(&app, &mock, &x, &[(&variant, 1)], "browser-1").await;
    let order = orders[0]["id"].as_str().unwrap().to_owned();

    // The vendor finds it on reload, opens it and ships it.
    b.goto("/console/orders").await;
    b.wait_text(&order).await;
    b.shot("orders").await;
    b.click(&format!("a[href='/console/orders/{order}']")).await;
    b.find("#ship-form").await;
    b.fill("#f-courier", "JNE").await;
    b.fill("#f-tracking_number", "JNE-BATIK-1").await;
    b.shot("order").await;
    b.click("#ship-form button[type=submit]").await;
    b.wait_text("JNE-BATIK-1").await;
    assert!(b.text("#order-status").await.contains("dikirim"));
    let o = data(
        app.get(
            &format!("/api/v1/marketplace/vendor/orders/{order}"),
            &a.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(o["status"], "shipped");

    // Sales on the overview and the sales page.
    b.goto("/console/overview").await;
    assert_eq!(b.text("#overview-revenue").await, "Rp 250.000");
    b.shot("overview-sales").await;
    b.goto("/console/sales").await;
    assert_eq!(b.text("#sales-orders").await, "1");
    b.shot("sales").await;

    // Another vendor's product and order URLs: the 404 page.
    let (bp, bv) = product(&app, &other.token, "Sarung", "SARUNG-1", 90_000, 3).await;
    let y = buyer(&app, "Joko").await;
    let theirs = paid_orders(&app, &mock, &y, &[(&bv, 1)], "browser-2").await;
    for url in [
        format!("/console/products/{bp}"),
        format!("/console/orders/{}", theirs[0]["id"].as_str().unwrap()),
    ] {
        b.goto(&url).await;
        b.wait_text("Halaman tidak ditemukan").await;
    }
    b.close().await;
    app.stop().await;
}
