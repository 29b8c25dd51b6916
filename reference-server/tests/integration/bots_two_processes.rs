//! Two server processes on one database (two app states, each with its
//! own group-committing writer and pool) take bursts of messages for the
//! same few conversations at once, every message delivered to both: each
//! message is stored once and answered exactly once, and the rows the
//! batches share (conversations, the vendor's usage counter, keyword hits)
//! add up.

use crate::bots_support;
use crate::common;

use common::{DbKind, TestApp, data, spawn_app};
use serde_json::{Value, json};

/// A second server on `app`'s database and data folder (the same at-rest
/// key), as a second process would run. Stops when the sender is dropped.
pub(crate) async fn second_process(app: &TestApp) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut config = (*app.state.config).clone();
    config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let state = reference_server::build_state(config).await.unwrap();
    let (listener, addr) = reference_server::bind(state.config.bind).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(reference_server::serve(state, listener, async {
        let _ = rx.await;
    }));
    (format!("http://{addr}"), tx)
}

const CUSTOMERS: usize = 4;
const MESSAGES: usize = 24;

async fn every_message_answered_once_across_processes(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let (second, _stop) = second_process(&app).await;
    let v = app.signup_vendor("Toko Dua").await;
    let dev = bots_support::simulator_device(
        &app,
        &v.token,
        json!({}),
        json!([{"plugin": "keyword-rules", "config": {
            "rules": [{"id": "harga", "keywords": ["harga"], "reply": "Harga mulai Rp10.000"}],
            "default_reply": "Terima kasih"
        }}]),
    )
    .await;

    // Every message goes to both processes at once, so the two writers
    // race for the same message, conversation and counter rows.
    let bases = [app.base.clone(), second];
    let mut tasks = Vec::new();
    for c in 0..CUSTOMERS {
        for m in 0..MESSAGES {
            let text = if m % 3 == 0 { "berapa harga?" } else { "halo" };
            let body = json!({
                "from": format!("0812-7000-{c:04}"),
                "text": text,
                "id": format!("wamid.two.{c}.{m}"),
            });
            for base in &bases {
                let (client, url, token, body) = (
                    app.client.clone(),
                    format!("{base}/api/v1/simulator/{dev}/inbound"),
                    v.token.clone(),
                    body.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let res = client
                        .post(url)
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    data(res, 200).await
                }));
            }
        }
    }
    let mut answered = std::collections::HashMap::<String, (u64, u64)>::new();
    for t in tasks {
        let r: Value = t.await.unwrap();
        let entry = answered
            .entry(r["id"].as_str().unwrap().to_owned())
            .or_default();
        if r["duplicate"] == true {
            assert_eq!(r["replies"], 0, "{r}");
            entry.1 += 1;
        } else {
            assert_eq!(r["replies"], 1, "{r}");
            entry.0 += 1;
        }
    }
    assert_eq!(answered.len(), CUSTOMERS * MESSAGES);
    for (id, counts) in &answered {
        assert_eq!(*counts, (1, 1), "{id}: (answered, duplicate)");
    }

    let pool = &app.state.pool;
    let total = i64::try_from(CUSTOMERS * MESSAGES).unwrap();
    let (inbound, replies): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM messages WHERE tenant_id = $1 AND direction = 'in'), \
         (SELECT COUNT(*) FROM messages WHERE tenant_id = $1 AND direction = 'out' \
           AND sender = 'bot')",
    )
    .bind(&v.tenant_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((inbound, replies), (total, total));
    let outbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sim_outbox WHERE tenant_id = $1")
        .bind(&v.tenant_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(outbox, total);
    // One conversation per customer, each holding its messages and
    // replies.
    let per_conversation: Vec<(i64,)> = sqlx::query_as(
        "SELECT COUNT(m.id) FROM conversations c JOIN messages m ON m.conversation_id = c.id \
         WHERE c.tenant_id = $1 GROUP BY c.id",
    )
    .bind(&v.tenant_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        per_conversation,
        vec![(2 * i64::try_from(MESSAGES).unwrap(),); CUSTOMERS]
    );
    let used: i64 = sqlx::query_scalar(
        "SELECT count FROM usage_counters WHERE tenant_id = $1 AND metric = 'messages'",
    )
    .bind(&v.tenant_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(used, total);
    let hits: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT) FROM bot_keyword_hits WHERE tenant_id = $1 \
         AND keyword = 'harga'",
    )
    .bind(&v.tenant_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        hits,
        i64::try_from(CUSTOMERS * MESSAGES.div_ceil(3)).unwrap()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_message_answered_once_across_processes_sqlite() {
    every_message_answered_once_across_processes(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_message_answered_once_across_processes_postgres() {
    every_message_answered_once_across_processes(DbKind::Postgres).await;
}
