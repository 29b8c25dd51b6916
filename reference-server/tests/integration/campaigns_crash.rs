//! Crash safety of the send queue, proven on the real binary: start the
//! server on a file SQLite database, run a campaign through a slow mock
//! gateway, SIGKILL the process mid-campaign, start it again, and check
//! that every recipient got the message and that only sends in flight at
//! the moment of the kill were repeated.

use crate::campaigns_support;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use base64::Engine as _;
use campaigns_support::{phone, vendor_in_pool};
use serde_json::{Value, json};

const RECIPIENTS: usize = 150;

type Received = Arc<Mutex<Vec<String>>>;

/// The mock gateway: records each number on arrival (from then on the
/// message counts as delivered to the customer), answers after 150 ms.
async fn gateway(
    State(rx): State<Received>,
    axum::Json(body): axum::Json<Value>,
) -> axum::Json<Value> {
    let number = body["number"].as_str().unwrap_or_default().to_owned();
    let id = {
        let mut v = rx.lock().unwrap();
        v.push(number);
        format!("gw-{}", v.len())
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    axum::Json(json!({"status": true, "id": id}))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(dir: &std::path::Path, db_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("DATA_DIR", dir)
        .env("CAMPAIGN_LEASE_MS", "2000")
        .env("CAMPAIGN_POLL_MS", "200")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not start");
}

async fn api_post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Value,
) -> Value {
    let r = client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert!(status < 300, "{path}: {status} {v}");
    v["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_campaign_loses_nothing_and_repeats_only_in_flight_sends() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("server.db").display()
    );

    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route("/send", post(gateway))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let gw_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut server = start_server(dir.path(), &db_url, port);
    wait_ready(&client, &base).await;

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let v = vendor_in_pool(&pool, "Toko Tahan Banting", 10_000, 10_000).await;
    let csv: String = std::iter::once("phone,name".to_owned())
        .chain((0..RECIPIENTS).map(|i| format!("{},Pelanggan {i}", phone(i))))
        .collect::<Vec<_>>()
        .join("\n");
    let imported = api_post(
        &client,
        &base,
        &v.token,
        "/api/v1/contacts/import",
        json!({"file_name": "k.csv", "content_base64": base64::engine::general_purpose::STANDARD.encode(csv)}),
    )
    .await;
    assert_eq!(imported["created"], RECIPIENTS);
    let device = api_post(
        &client,
        &base,
        &v.token,
        "/api/v1/devices",
        json!({"name": "Gateway", "provider": {"kind": "gateway", "url": format!("http://{gw_addr}/send"),
               "header_name": "x-api-key", "token": "rahasia"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tpl = api_post(
        &client,
        &base,
        &v.token,
        "/api/v1/templates",
        json!({"name": "t", "body": "Halo {name}"}),
    )
    .await;
    let campaign = api_post(
        &client,
        &base,
        &v.token,
        "/api/v1/campaigns",
        json!({"name": "crash", "template_id": tpl["id"], "audience": {"all": true},
               "devices": [{"device_id": device, "rate_per_minute": 1200}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api_post(
        &client,
        &base,
        &v.token,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    )
    .await;

    // Kill the process once a third of the messages went out.
    for _ in 0..600 {
        if received.lock().unwrap().len() >= RECIPIENTS / 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let at_kill = received.lock().unwrap().len();
    assert!(
        at_kill < RECIPIENTS,
        "the campaign finished before the kill"
    );

    // What the queue says at the crash: rows in `sending` were in flight.
    let in_flight: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT phone FROM campaign_recipients WHERE campaign_id = $1 AND state = 'sending'",
    )
    .bind(&campaign)
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|p| p.trim_start_matches('+').to_owned())
    .collect();
    let sent_before: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND state = 'sent'",
    )
    .bind(&campaign)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(sent_before > 0);

    let mut server = start_server(dir.path(), &db_url, port);
    wait_ready(&client, &base).await;
    let mut done = Value::Null;
    for _ in 0..600 {
        let r = client
            .get(format!("{base}/api/v1/campaigns/{campaign}"))
            .bearer_auth(&v.token)
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        if body["data"]["status"] == "completed" {
            done = body["data"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        done["status"], "completed",
        "campaign did not finish after the restart"
    );
    assert_eq!(done["counts"]["sent"], RECIPIENTS);

    let got = received.lock().unwrap().clone();
    let mut per_number: HashMap<String, usize> = HashMap::new();
    for n in &got {
        *per_number.entry(n.clone()).or_default() += 1;
    }
    for i in 0..RECIPIENTS {
        let n = phone(i).trim_start_matches('+').to_owned();
        let count = per_number.get(&n).copied().unwrap_or(0);
        assert!(count >= 1, "recipient {n} lost");
        if count > 1 {
            assert_eq!(count, 2, "recipient {n} got the message {count} times");
            assert!(
                in_flight.contains(&n),
                "recipient {n} got it twice but was not in flight at the kill"
            );
        }
    }
    let duplicates = got.len() - RECIPIENTS;
    assert!(duplicates <= in_flight.len());
    eprintln!(
        "crash test: {at_kill} received before the kill, {} in flight, {duplicates} duplicates, {} total",
        in_flight.len(),
        got.len()
    );
}
