//! The same conformance checks on the memory store, SQLite and PostgreSQL,
//! and end-to-end de-duplication on SQL.

use crate::common;

use std::sync::Arc;

use bot_core::{
    Author, ConversationStore, HistoryEntry, MemoryStore, Outcome, Owner, Runtime, SqlStore,
};
use common::*;
use whatsapp_client::testing::RecordingProvider;

fn entry(author: Author, text: &str, at_ms: i64) -> HistoryEntry {
    HistoryEntry {
        author,
        text: text.into(),
        provider_message_id: Some(format!("id-{text}")),
        at_ms,
    }
}

async fn conformance(s: Arc<dyn ConversationStore>) {
    // De-duplication: concurrent claims of one id, exactly one wins.
    let claims = futures::future::join_all((0..8).map(|_| {
        let s = s.clone();
        async move { s.claim_inbound("t1", "wamid.A", 1).await.unwrap() }
    }))
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 1);
    assert!(
        s.claim_inbound("t2", "wamid.A", 1).await.unwrap(),
        "ids are per tenant"
    );

    // Forgetting old claims: only those before the cut go, and a forgotten
    // id can be claimed again.
    assert!(s.claim_inbound("t1", "wamid.late", 500).await.unwrap());
    assert_eq!(s.forget_inbound_before(100).await.unwrap(), 2);
    assert!(!s.claim_inbound("t1", "wamid.late", 501).await.unwrap());
    assert!(s.claim_inbound("t1", "wamid.A", 502).await.unwrap());
    assert_eq!(s.forget_inbound_before(100).await.unwrap(), 0);

    // Conversations.
    assert!(s.conversation("t1", "+621").await.unwrap().is_none());
    let c = s.touch("t1", "+621", Some("Ani"), 10).await.unwrap();
    assert_eq!(
        (c.owner, c.name.as_deref(), c.updated_ms),
        (Owner::Bot, Some("Ani"), 10)
    );
    let c = s.touch("t1", "+621", None, 5).await.unwrap();
    assert_eq!(
        (c.name.as_deref(), c.updated_ms),
        (Some("Ani"), 10),
        "name kept, time never goes back"
    );
    s.touch("t1", "+622", None, 20).await.unwrap();
    s.touch("t2", "+629", None, 30).await.unwrap();

    s.set_owner("t1", "+621", Owner::Human, Some("minta admin"), 11)
        .await
        .unwrap();
    s.set_state("t1", "+621", Some("checkout")).await.unwrap();
    s.add_tag("t1", "+621", "vip").await.unwrap();
    s.add_tag("t1", "+621", "lead").await.unwrap();
    s.add_tag("t1", "+621", "vip").await.unwrap();
    s.set_field("t1", "+621", "kota", Some("Solo"))
        .await
        .unwrap();
    s.set_field("t1", "+621", "kota", Some("Medan"))
        .await
        .unwrap();
    s.set_field("t1", "+621", "x", Some("1")).await.unwrap();
    s.set_field("t1", "+621", "x", None).await.unwrap();
    let c = s.conversation("t1", "+621").await.unwrap().unwrap();
    assert_eq!(c.owner, Owner::Human);
    assert_eq!(c.owner_since_ms, Some(11));
    assert_eq!(c.handoff_reason.as_deref(), Some("minta admin"));
    assert_eq!(c.state.as_deref(), Some("checkout"));
    assert_eq!(c.tags, ["lead", "vip"]);
    assert_eq!(c.fields.get("kota").map(String::as_str), Some("Medan"));
    assert_eq!(c.fields.len(), 1);
    s.remove_tag("t1", "+621", "lead").await.unwrap();
    s.set_state("t1", "+621", None).await.unwrap();
    let c = s.conversation("t1", "+621").await.unwrap().unwrap();
    assert_eq!(
        (c.tags.as_slice(), c.state),
        (&["vip".to_owned()][..], None)
    );

    // History: ordered, limited to the most recent, scoped.
    for i in 0..5 {
        s.append(
            "t1",
            "+621",
            &entry(
                if i % 2 == 0 {
                    Author::Customer
                } else {
                    Author::Bot
                },
                &format!("m{i}"),
                100 + i,
            ),
        )
        .await
        .unwrap();
    }
    let h = s.history("t1", "+621", 3).await.unwrap();
    assert_eq!(
        h.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
        ["m2", "m3", "m4"]
    );
    assert_eq!(h[1].author, Author::Bot);
    assert_eq!(h[2].provider_message_id.as_deref(), Some("id-m4"));
    assert!(s.history("t2", "+621", 3).await.unwrap().is_empty());
    // Concurrent appends all land.
    futures::future::join_all((0..6).map(|i| {
        let s = s.clone();
        async move {
            s.append(
                "t1",
                "+622",
                &entry(Author::Customer, &format!("c{i}"), 200),
            )
            .await
            .unwrap()
        }
    }))
    .await;
    assert_eq!(s.history("t1", "+622", 100).await.unwrap().len(), 6);

    // Listing: most recent first, per tenant.
    let list = s.conversations("t1", 10).await.unwrap();
    assert_eq!(
        list.iter().map(|c| c.contact.as_str()).collect::<Vec<_>>(),
        ["+622", "+621"]
    );
    assert_eq!(s.conversations("t1", 1).await.unwrap().len(), 1);
    assert_eq!(s.conversations("t2", 10).await.unwrap().len(), 1);

    // kv scoped to (tenant, plugin), binary safe.
    s.kv_set("t1", "p", "k", &[0, 159, 255]).await.unwrap();
    s.kv_set("t1", "p", "k", &[1, 2]).await.unwrap();
    assert_eq!(s.kv_get("t1", "p", "k").await.unwrap(), Some(vec![1, 2]));
    assert_eq!(s.kv_get("t1", "q", "k").await.unwrap(), None);
    assert_eq!(s.kv_get("t2", "p", "k").await.unwrap(), None);
    s.kv_delete("t1", "p", "k").await.unwrap();
    assert_eq!(s.kv_get("t1", "p", "k").await.unwrap(), None);
}

#[tokio::test]
async fn memory_store_drops_ids_older_than_its_window_as_new_ones_arrive() {
    let s = MemoryStore::new().with_dedupe_window(std::time::Duration::from_secs(10));
    assert!(s.claim_inbound("t", "a", 0).await.unwrap());
    assert!(s.claim_inbound("t", "b", 5_000).await.unwrap());
    assert!(
        !s.claim_inbound("t", "a", 9_999).await.unwrap(),
        "inside window"
    );
    assert_eq!(s.remembered_inbound(), 2);
    // 10.001 s after `a`: it is forgotten, `b` is not.
    assert!(s.claim_inbound("t", "c", 10_001).await.unwrap());
    assert_eq!(s.remembered_inbound(), 2);
    assert!(!s.claim_inbound("t", "b", 10_002).await.unwrap());
    // Memory stays bounded by the window however many ids pass through.
    for i in 0..1_000_i64 {
        s.claim_inbound("t", &format!("m{i}"), 20_000 + i * 100)
            .await
            .unwrap();
    }
    assert_eq!(s.remembered_inbound(), 101, "10 s of ids at one per 100 ms");
}

#[tokio::test]
async fn memory_store_conformance() {
    conformance(Arc::new(MemoryStore::new())).await;
}

async fn sqlite() -> (Arc<SqlStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bot.db").display());
    let s = SqlStore::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    s.migrate().await.unwrap();
    (Arc::new(s), dir)
}

#[tokio::test]
async fn sqlite_store_conformance() {
    let (s, _dir) = sqlite().await;
    conformance(s).await;
}

#[tokio::test]
async fn postgres_store_conformance() {
    let url = pg_harness::fresh_database().await;
    let s = SqlStore::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    s.migrate().await.unwrap();
    conformance(Arc::new(s)).await;
}

async fn concurrent_duplicate_deliveries(store: Arc<dyn ConversationStore>) {
    let rt = Arc::new(
        Runtime::builder(store)
            .host_config(host_config())
            .build()
            .unwrap(),
    );
    let p = RecordingProvider::new();
    let echo = plugin(&rt, "hostile", serde_json::json!({"behaviour": "echo"})).await;
    rt.set_tenant("t", tenant(&p).handler(echo));
    let ev = text("wamid.retry", "081200000001", "halo");
    let reports = futures::future::join_all((0..4).map(|_| {
        let (rt, ev) = (rt.clone(), ev.clone());
        tokio::spawn(async move { rt.handle_event("t", &ev).await.unwrap().outcome })
    }))
    .await;
    let handled = reports
        .into_iter()
        .map(Result::unwrap)
        .filter(|o| *o == Outcome::Handled)
        .count();
    assert_eq!(handled, 1);
    assert_eq!(sent_texts(&p), ["echo: halo"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_dedupe_end_to_end() {
    let (s, _dir) = sqlite().await;
    concurrent_duplicate_deliveries(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dedupe_end_to_end() {
    let url = pg_harness::fresh_database().await;
    let s = SqlStore::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    concurrent_duplicate_deliveries(Arc::new(s)).await;
}

/// The tables of the database at `url`, sorted.
async fn tables(pool: &sqlx::AnyPool, postgres: bool) -> Vec<String> {
    let sql = if postgres {
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY table_name"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(pool).await.unwrap();
    rows.into_iter().map(|(n,)| n).collect()
}

/// An app that keeps conversations in its own tables runs only the
/// key-value migrations, next to migrations of its own in the same
/// `_sqlx_migrations` table; running both again changes nothing.
async fn kv_only_beside_app_migrations(url: &str, postgres: bool) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let app = || {
        let mut m = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(vec![sqlx::migrate::Migration::new(
                1,
                "app".into(),
                sqlx::migrate::MigrationType::Simple,
                "CREATE TABLE app_things (id TEXT PRIMARY KEY)".into(),
                false,
            )]),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        m.set_ignore_missing(true);
        m
    };
    for _ in 0..2 {
        app().run(&pool).await.unwrap();
        bot_core::store::kv_migrator().run(&pool).await.unwrap();
    }
    let t = tables(&pool, postgres).await;
    assert!(t.contains(&"bot_kv".to_owned()), "{t:?}");
    assert!(t.contains(&"app_things".to_owned()), "{t:?}");
    assert!(
        !t.iter()
            .any(|n| n == "bot_conversations" || n == "bot_inbound"),
        "only the key-value table: {t:?}"
    );
    let versions: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(versions, [(1,), (9_100_001,)]);
    // The whole store's migrations join later without touching the rest.
    SqlStore::new(pool.clone()).migrate().await.unwrap();
    assert!(
        tables(&pool, postgres)
            .await
            .contains(&"bot_conversations".to_owned())
    );
}

#[tokio::test]
async fn sqlite_kv_migrations_alone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    kv_only_beside_app_migrations(&url, false).await;
}

#[tokio::test]
async fn postgres_kv_migrations_alone() {
    kv_only_beside_app_migrations(&pg_harness::fresh_database().await, true).await;
}

/// Echoes the text it is called with, after a debounce window.
struct Debounced;

#[async_trait::async_trait]
impl bot_core::Handler for Debounced {
    fn name(&self) -> &str {
        "debounced"
    }

    fn debounce(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::from_millis(300))
    }

    fn history_depth(&self) -> Option<u32> {
        Some(5)
    }

    async fn handle(
        &self,
        m: &whatsapp_client::webhook::InboundMessage<whatsapp_client::Recipient>,
        ctx: &bot_core::HandlerContext,
    ) -> Result<Vec<bot_core::Action>, bot_core::HandlerError> {
        let earlier: Vec<&str> = ctx.history.iter().map(|h| h.text.as_str()).collect();
        Ok(vec![bot_core::Action::reply_text(format!(
            "{} after {}",
            m.text().unwrap_or_default(),
            earlier.join("+")
        ))])
    }
}

/// Two processes (two runtimes) sharing one database: a burst split
/// between them is answered once, by the latest message, because the
/// debounce reads the stored conversation rather than process memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debounce_holds_across_runtimes_sharing_a_store() {
    let (store, _dir) = sqlite().await;
    let p = RecordingProvider::new();
    let runtimes: Vec<Arc<Runtime>> = (0..2)
        .map(|_| {
            let rt = Runtime::builder(store.clone())
                .host_config(host_config())
                .build()
                .unwrap();
            rt.set_tenant("t", tenant(&p).handler(Debounced));
            Arc::new(rt)
        })
        .collect();
    let mut tasks = Vec::new();
    for (i, body) in ["halo", "kak", "ada stok?"].into_iter().enumerate() {
        let rt = runtimes[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            rt.handle_event("t", &text(&format!("b{i}"), "081200000001", body))
                .await
                .unwrap()
        }));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let replies: usize = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().replies.len())
        .sum();
    assert_eq!(replies, 1);
    // The message stored last answers, with the others in its history.
    let stored: Vec<String> = store
        .history("t", "+6281200000001", 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.author == Author::Customer)
        .map(|h| h.text)
        .collect();
    assert_eq!(stored.len(), 3);
    assert_eq!(
        sent_texts(&p),
        [format!("{} after {}+{}", stored[2], stored[0], stored[1])]
    );
}
