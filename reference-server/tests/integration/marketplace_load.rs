//! The drivers of the marketplace figures (`marketplace::loadtest`, which
//! `loadgen_marketplace` runs with large numbers) with small numbers, on
//! SQLite and PostgreSQL: the oversell race, the split checkout and the
//! search mix over a seeded catalog. Counts are asserted, never timing.
//! Built with the `loadtest` feature (`scripts/test.sh` turns it on).

use std::path::Path;
use std::sync::Arc;

use reference_server::marketplace::loadtest::{Market, product_text, search_cases};
use serde_json::Value;

use crate::common::DbKind;

async fn market(kind: DbKind, dir: &Path) -> Arc<Market> {
    let url = match kind {
        DbKind::Sqlite => None,
        DbKind::Postgres => Some(pg_harness::fresh_database().await),
    };
    let market = Market::start_with(dir, url.as_deref(), |c| {
        c.argon2_memory_kib = 64;
        c.plugin_cache_dir = Some(std::path::PathBuf::from(concat!(
            env!("CARGO_TARGET_TMPDIR"),
            "/plugin-cache"
        )));
    })
    .await
    .unwrap();
    Arc::new(market)
}

async fn race_sells_exactly_the_stock(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let m = market(kind, dir.path()).await;
    let r = m.race(20, 3).await.unwrap();
    assert_eq!(r.violations(), Vec::<String>::new(), "{r:?}");
    assert_eq!((r.won, r.sold_out), (3, 17));
    assert_eq!((r.paid_orders, r.units_sold, r.stock_left), (3, 3, 0));
    assert_eq!((r.oversold(), r.ledger_stock), (0, 0));
    assert_eq!(r.latencies.len(), 20);
}
both_dbs!(race_sells_exactly_the_stock);

async fn checkout_load_orders_every_shop(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let m = market(kind, dir.path()).await;
    let shops = m.shops(3, 50).await.unwrap();
    let buyers = m.buyers(4, 4).await.unwrap();
    let r = m.checkout_load(&shops, buyers, 3).await.unwrap();
    assert_eq!(r.failed, 0);
    assert_eq!(r.latencies.len(), 12);
    assert_eq!(r.stored, 12);
    assert_eq!((r.units_ordered, r.units_taken), (36, 36));
}
both_dbs!(checkout_load_orders_every_shop);

/// Every page of `path` (following `next_cursor`).
async fn all_pages(client: &reqwest::Client, base: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{base}{path}&limit=100&cursor={c}"),
            None => format!("{base}{path}&limit=100"),
        };
        let res = client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        items.extend(page["data"]["items"].as_array().unwrap().iter().cloned());
        match page["data"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

fn has_word(item: &Value, word: &str) -> bool {
    item["name"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .any(|w| w.eq_ignore_ascii_case(word))
}

async fn search_mix_over_a_seeded_catalog(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let m = market(kind, dir.path()).await;
    let vendors = vec![m.vendor("Toko Katalog").await.unwrap()];
    m.seed_catalog(&vendors, 1_000).await.unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = &m.bases[0];
    for case in search_cases(16) {
        let res = client
            .get(format!("{base}{}", case.path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", case.path);
        let page: Value = res.json().await.unwrap();
        let items = page["data"]["items"].as_array().unwrap();
        // Two words or a price range may find nothing in a small catalog.
        let narrow = case.path.contains('+') || case.path.contains("min_price");
        assert!(narrow || !items.is_empty(), "{} found nothing", case.path);
        if let Some(word) = case.word {
            assert!(items.iter().all(|i| has_word(i, word)), "{}", case.path);
        }
    }
    // One word finds every product with it, across pages, newest first.
    let kaos = (0..1_000)
        .filter(|i| product_text(*i).name.starts_with("Kaos "))
        .count();
    let found = all_pages(&client, base, "/api/v1/marketplace/products?q=kaos").await;
    assert_eq!(found.len(), kaos);
    assert!(found.iter().all(|i| has_word(i, "kaos")));
    let times: Vec<i64> = found
        .iter()
        .map(|i| i["created_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    // A category by price: cheapest first, all of the category.
    let shoes = all_pages(
        &client,
        base,
        "/api/v1/marketplace/products?category=sepatu&sort=price_asc",
    )
    .await;
    let expected = (0..1_000)
        .filter(|i| product_text(*i).category == "sepatu")
        .count();
    assert_eq!(shoes.len(), expected);
    let prices: Vec<i64> = shoes
        .iter()
        .map(|i| i["min_price_idr"].as_i64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]));
}
both_dbs!(search_mix_over_a_seeded_catalog);
