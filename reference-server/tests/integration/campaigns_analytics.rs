//! The vendor traffic overview over HTTP on SQLite and PostgreSQL, from
//! real traffic: inbound messages through the simulator endpoints answered
//! by the keyword-rules bot, an agent reply through the inbox API, an AI
//! answer from the ai-reply plugin against a mocked OpenAI-compatible
//! provider, and a campaign.

use crate::bots_support;
use crate::campaigns_support;
use crate::common;

use campaigns_support::{Vendor, eventually, phone, vendor};
use common::{DbKind, TestApp, data, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

async fn sim_device_with(app: &TestApp, v: &Vendor, plugin: &str, config: Value) -> String {
    let d = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": plugin, "provider": {"kind": "simulator"}}),
        )
        .await,
        201,
    )
    .await;
    let dev = d["id"].as_str().unwrap().to_owned();
    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(json!({"plugins": [{"plugin": plugin, "config": config}]})),
        )
        .await,
        200,
    )
    .await;
    dev
}

async fn inbound(app: &TestApp, v: &Vendor, dev: &str, from: &str, text: &str) -> u64 {
    let r = data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            &v.token,
            json!({"from": from, "name": "Budi", "text": text}),
        )
        .await,
        200,
    )
    .await;
    r["replies"].as_u64().unwrap()
}

async fn overview(app: &TestApp, v: &Vendor, query: &str) -> Value {
    data(
        app.get(&format!("/api/v1/analytics/overview?{query}"), &v.token)
            .await,
        200,
    )
    .await
}

/// The figures of one day as a comparable tuple: (in, out, bot, human,
/// campaign, ai requests, ai tokens).
fn figures(d: &Value) -> (i64, i64, i64, i64, i64, i64, i64) {
    let n = |k: &str| d[k].as_i64().unwrap();
    (
        n("messages_in"),
        n("messages_out"),
        n("bot_replies"),
        n("human_replies"),
        n("campaign_sent"),
        n("ai_requests"),
        n("ai_tokens"),
    )
}

async fn vendor_overview_counts_real_traffic(kind: DbKind) {
    use wiremock::matchers::{method, path};
    bots_support::ensure_plugins();
    let app = spawn_app_with(kind, |c| c.campaigns.poll_ms = 100).await;
    let v = vendor(&app, "Toko Angka").await;
    let other = vendor(&app, "Toko Lain").await;

    // Keyword bot: two answered messages from Budi.
    let kw = sim_device_with(&app, &v, "keyword-rules", bots_support::keyword_config()).await;
    let budi = "081298765432";
    assert_eq!(inbound(&app, &v, &kw, budi, "berapa harga?").await, 1);
    assert_eq!(inbound(&app, &v, &kw, budi, "selamat pagi").await, 1);
    // An agent takes over and replies; the bot stays quiet meanwhile.
    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    let conv = convs[0]["id"].as_str().unwrap().to_owned();
    bots_support::take_over(&app, &v.token, &conv).await;
    let m = data(
        app.post(
            &format!("/api/v1/conversations/{conv}/messages"),
            &v.token,
            json!({"text": "Halo Budi, saya Rina dari CS."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(m["sender"], "agent");
    assert_eq!(inbound(&app, &v, &kw, budi, "terima kasih").await, 0);

    // AI answer: the ai-reply plugin asks the vendor's LLM provider once.
    let llm = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1750263800, "model": "mock-mini",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                "content": "{\"intent\": \"question\", \"answer\": \"Ongkir ke Bandung Rp15.000 Kak\", \"can_answer\": true}"}}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}})))
        .mount(&llm)
        .await;
    let res = app
        .post(
            "/api/v1/llm-providers",
            &v.token,
            json!({"name": "mock", "kind": "openai", "base_url": format!("{}/v1", llm.uri()),
                   "model": "mock-mini", "api_key": "sk-test"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let ai = sim_device_with(&app, &v, "ai-reply", json!({})).await;
    assert_eq!(
        inbound(&app, &v, &ai, "081311112222", "ongkir ke Bandung berapa?").await,
        1
    );
    assert_eq!(llm.received_requests().await.unwrap().len(), 1);

    // A campaign to two contacts.
    for i in 0..2 {
        data(
            app.post(
                "/api/v1/contacts",
                &v.token,
                json!({"phone": phone(i), "tags": ["angka"]}),
            )
            .await,
            201,
        )
        .await;
    }
    let t = data(
        app.post(
            "/api/v1/templates",
            &v.token,
            json!({"name": "t", "body": "Halo {name}"}),
        )
        .await,
        201,
    )
    .await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "angka", "template_id": t["id"], "audience": {"tags": ["angka"]},
                   "devices": [{"device_id": kw, "rate_per_minute": 6000}]}),
        )
        .await,
        201,
    )
    .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    data(
        app.post(
            &format!("/api/v1/campaigns/{cid}/start"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    eventually(30, || async {
        let c = data(
            app.get(&format!("/api/v1/campaigns/{cid}"), &v.token).await,
            200,
        )
        .await;
        (c["status"] == "completed").then_some(())
    })
    .await;

    // Today: 4 in (3 from Budi, 1 for the AI); out: 3 bot replies (2
    // keyword, 1 AI), 1 agent reply, 2 campaign sends; one AI request of
    // 150 tokens.
    let o = overview(&app, &v, "days=7").await;
    let days = o["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(days[6]["date"], today.as_str());
    assert_eq!(figures(&days[6]), (4, 6, 3, 1, 2, 1, 150), "{}", days[6]);
    for d in &days[..6] {
        assert_eq!(figures(d), (0, 0, 0, 0, 0, 0, 0), "{d}");
    }
    assert_eq!(figures(&o["totals"]), (4, 6, 3, 1, 2, 1, 150));
    // Another vendor sees none of it.
    let o2 = overview(&app, &other, "days=7").await;
    assert_eq!(figures(&o2["totals"]), (0, 0, 0, 0, 0, 0, 0));

    // Per day: the agent's reply and the AI request moved to yesterday
    // land on yesterday's line.
    for table in ["messages", "llm_usage"] {
        let sender = if table == "messages" {
            " AND sender = 'agent'"
        } else {
            ""
        };
        sqlx::query(&format!(
            "UPDATE {table} SET created_at = created_at - {DAY_MS} WHERE tenant_id = $1{sender}"
        ))
        .bind(&v.tenant_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let o = overview(&app, &v, "days=7").await;
    let days = o["days"].as_array().unwrap();
    assert_eq!(figures(&days[6]), (4, 5, 3, 0, 2, 0, 0), "{}", days[6]);
    assert_eq!(figures(&days[5]), (0, 1, 0, 1, 0, 1, 150), "{}", days[5]);
    assert_eq!(figures(&o["totals"]), (4, 6, 3, 1, 2, 1, 150));
    let o1 = overview(&app, &v, "days=1").await;
    assert_eq!(figures(&o1["totals"]), (4, 5, 3, 0, 2, 0, 0));

    // The CSV export has the same lines.
    let res = app
        .get("/api/v1/analytics/overview/export?days=7", &v.token)
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "date,messages_in,messages_out,bot_replies,human_replies,campaign_sent,ai_requests,ai_tokens"
    );
    assert_eq!(lines[7], format!("{today},4,5,3,0,2,0,0"));
    assert!(lines[6].ends_with(",0,1,0,1,0,1,150"), "{}", lines[6]);
    assert_eq!(lines[8], "total,4,6,3,1,2,1,150");
    app.stop().await;
}
both_dbs!(vendor_overview_counts_real_traffic);
