//! The whole loop on a simulator device over HTTP: plugin configuration
//! validated by schema, keyword-rules answering through the simulator,
//! human takeover pausing the bot, agent replies, hand back, a plugin
//! handing over by itself, opt-out, and the send-message API; the handoff
//! timeout handing back, business hours in the vendor's time zone, keyword
//! hits per day, and an opt-out cancelling queued campaign messages.

use crate::bots_support;
use crate::campaigns_support;
use crate::common;

use common::{DbKind, data, error_code, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const CUSTOMER: &str = "0812-9876-5432";
const CUSTOMER_E164: &str = "+6281298765432";

async fn inject(app: &common::TestApp, token: &str, dev: &str, text: &str) -> Value {
    data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            token,
            json!({"from": CUSTOMER, "name": "Budi", "text": text}),
        )
        .await,
        200,
    )
    .await
}

async fn simulator_loop(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Sim").await;
    let d = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Sim", "provider": {"kind": "simulator"}}),
        )
        .await,
        201,
    )
    .await;
    let dev = d["id"].as_str().unwrap().to_owned();

    // The catalog lists the plugins with their schemas.
    let plugins = data(app.get("/api/v1/plugins", &v.token).await, 200).await;
    let names: Vec<&str> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"keyword-rules"), "{names:?}");
    assert!(plugins[0]["config_schema"].is_object());

    // Schema violations are 400s naming the field; nothing is stored.
    let bad = json!({"plugins": [{"plugin": "keyword-rules", "config": {"rules": [{"id": "x", "keywords": ["a"]}]}}]});
    let res = app
        .request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(bad),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_plugin_config", "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("/rules/0") && msg.contains("reply"), "{msg}");
    let bad = json!({"plugins": [{"plugin": "no-such-plugin", "config": {}}]});
    let res = app
        .request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(bad),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_plugin_config");
    assert_eq!(
        data(
            app.get(&format!("/api/v1/devices/{dev}/plugins"), &v.token)
                .await,
            200
        )
        .await,
        json!([])
    );

    // No plugin yet: the message is stored, nobody answers.
    let r = inject(&app, &v.token, &dev, "halo").await;
    assert_eq!(r["replies"], 0);

    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(json!({"plugins": [{"plugin": "keyword-rules", "config": bots_support::keyword_config()}]})),
        )
        .await,
        200,
    )
    .await;

    // keyword-rules answers through the simulator.
    let r = inject(&app, &v.token, &dev, "Berapa HARGA-nya?").await;
    assert_eq!(r["replies"], 1);
    assert_eq!(r["outbox"][0]["message"]["body"], "Harga mulai Rp10.000");
    assert_eq!(r["outbox"][0]["to"], CUSTOMER_E164);
    let outbox = data(
        app.get(
            &format!("/api/v1/simulator/{dev}/outbox?to={CUSTOMER}"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(outbox[0]["message"]["body"], "Harga mulai Rp10.000");

    // The same provider id twice: one reply only.
    let once = json!({"from": CUSTOMER, "text": "harga", "id": "sim-fixed-1"});
    let r1 = data(
        app.post(
            &format!("/api/v1/simulator/{dev}/inbound"),
            &v.token,
            once.clone(),
        )
        .await,
        200,
    )
    .await;
    let r2 = data(
        app.post(&format!("/api/v1/simulator/{dev}/inbound"), &v.token, once)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (
            r1["replies"].as_u64(),
            r2["duplicate"].as_bool(),
            r2["replies"].as_u64()
        ),
        (Some(1), Some(true), Some(0))
    );

    // Takeover: the bot pauses.
    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    assert_eq!(convs.as_array().unwrap().len(), 1);
    let conv = convs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(convs[0]["contact_number"], CUSTOMER_E164);
    assert_eq!(convs[0]["contact_name"], "Budi");
    let c = bots_support::take_over(&app, &v.token, &conv).await;
    assert_eq!(c["owner"], "agent");
    assert_eq!(c["agent_member_id"], v.member_id.as_str());
    let r = inject(&app, &v.token, &dev, "harga?").await;
    assert_eq!(
        r["replies"], 0,
        "the bot answered a conversation an agent owns"
    );

    // The agent replies through the device.
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
    assert_eq!(m["status"], "sent");
    assert!(
        m["provider_message_id"]
            .as_str()
            .unwrap()
            .starts_with("sim.")
    );
    let outbox = data(
        app.get(&format!("/api/v1/simulator/{dev}/outbox"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        outbox[0]["message"]["body"],
        "Halo Budi, saya Rina dari CS."
    );
    let res = app
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            &v.token,
            json!({}),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_message");

    // Hand back: the bot answers again.
    let c = data(
        app.post(
            &format!("/api/v1/conversations/{conv}/handback"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "bot");
    let r = inject(&app, &v.token, &dev, "harga").await;
    assert_eq!(r["replies"], 1);

    // A rule that hands over: reply, then the conversation belongs to an agent.
    let r = inject(&app, &v.token, &dev, "saya mau bicara dengan admin").await;
    assert_eq!(r["replies"], 1);
    assert_eq!(
        r["outbox"][0]["message"]["body"],
        "Baik, admin kami segera membantu."
    );
    let c = data(
        app.get(&format!("/api/v1/conversations/{conv}"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "agent");
    assert_eq!(inject(&app, &v.token, &dev, "harga").await["replies"], 0);

    // The history has every message with its sender and status.
    let msgs = data(
        app.get(&format!("/api/v1/conversations/{conv}/messages"), &v.token)
            .await,
        200,
    )
    .await;
    let senders: Vec<&str> = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sender"].as_str().unwrap())
        .collect();
    assert!(
        senders.contains(&"contact") && senders.contains(&"bot") && senders.contains(&"agent"),
        "{senders:?}"
    );
    assert!(
        msgs.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .all(|m| m["status"] == "sent")
    );

    // STOP opts the customer out (contacts area) and is confirmed.
    let r = inject(&app, &v.token, &dev, "STOP").await;
    assert_eq!(r["replies"], 1);
    let (opted,): (i64,) =
        sqlx::query_as("SELECT opted_out FROM contacts WHERE tenant_id = $1 AND phone = $2")
            .bind(&v.tenant_id)
            .bind(CUSTOMER_E164)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(opted, 1);

    // The send-message API, with an API key.
    let key = app.api_key(&v).await;
    let res = app
        .client
        .post(app.url("/api/v1/messages"))
        .header("X-Api-Key", &key)
        .json(&json!({"device_id": dev, "to": "+62 811 2233 4455", "text": "Pesanan Anda sudah dikirim."}))
        .send()
        .await
        .unwrap();
    let sent = data(res, 200).await;
    assert_eq!(sent["message"]["sender"], "api");
    assert_eq!(sent["message"]["status"], "sent");
    let outbox = data(
        app.get(
            &format!("/api/v1/simulator/{dev}/outbox?to=081122334455"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(outbox[0]["message"]["body"], "Pesanan Anda sudah dikirim.");
    let res = app
        .client
        .post(app.url("/api/v1/messages"))
        .header("X-Api-Key", &key)
        .json(&json!({"device_id": dev, "to": "12", "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 400).await, "invalid_phone_number");
    app.stop().await;
}
both_dbs!(simulator_loop);

/// A simulator device with the keyword-rules plugin configured with `config`.
async fn sim_with_rules(app: &common::TestApp, token: &str, extra: Value, config: Value) -> String {
    bots_support::simulator_device(
        app,
        token,
        extra,
        json!([{"plugin": "keyword-rules", "config": config}]),
    )
    .await
}

async fn handoff_timeout_hands_back(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Timeout").await;

    // Out-of-range timeouts are refused and change nothing.
    let res = app
        .post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Sim", "provider": {"kind": "simulator"}, "handoff_timeout_minutes": 50000}),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_device");
    assert_eq!(
        data(app.get("/api/v1/devices", &v.token).await, 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let dev = sim_with_rules(
        &app,
        &v.token,
        json!({"handoff_timeout_minutes": 30}),
        bots_support::keyword_config(),
    )
    .await;
    let d = data(
        app.get(&format!("/api/v1/devices/{dev}"), &v.token).await,
        200,
    )
    .await;
    assert_eq!(d["settings"]["handoff_timeout_minutes"], 30);
    assert_eq!(inject(&app, &v.token, &dev, "halo").await["replies"], 1);
    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    let conv = convs[0]["id"].as_str().unwrap().to_owned();
    bots_support::take_over(&app, &v.token, &conv).await;
    data(
        app.post(
            &format!("/api/v1/conversations/{conv}/messages"),
            &v.token,
            json!({"text": "Halo, saya Rina dari CS."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(inject(&app, &v.token, &dev, "harga").await["replies"], 0);

    // 31 minutes since the takeover, but the agent wrote 10 minutes ago:
    // the agent still owns the conversation.
    let minute = 60_000_i64;
    let now = reference_server::db::now_ms();
    sqlx::query("UPDATE conversations SET owner_changed_at = $1 WHERE id = $2")
        .bind(now - 31 * minute)
        .bind(&conv)
        .execute(&app.state.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE messages SET created_at = $1 WHERE conversation_id = $2 AND sender = 'agent'",
    )
    .bind(now - 10 * minute)
    .bind(&conv)
    .execute(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(inject(&app, &v.token, &dev, "harga").await["replies"], 0);
    let c = data(
        app.get(&format!("/api/v1/conversations/{conv}"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "agent");

    // 31 minutes without an agent reply: the bot answers again and owns it.
    sqlx::query(
        "UPDATE messages SET created_at = $1 WHERE conversation_id = $2 AND sender = 'agent'",
    )
    .bind(now - 31 * minute)
    .bind(&conv)
    .execute(&app.state.pool)
    .await
    .unwrap();
    let r = inject(&app, &v.token, &dev, "harga").await;
    assert_eq!(r["replies"], 1, "{r}");
    assert_eq!(r["outbox"][0]["message"]["body"], "Harga mulai Rp10.000");
    let c = data(
        app.get(&format!("/api/v1/conversations/{conv}"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(c["owner"], "bot");

    // Timeout 0: an agent keeps the conversation until handing it back.
    data(
        app.request(
            Method::PATCH,
            &format!("/api/v1/devices/{dev}"),
            Some(&v.token),
            Some(json!({"handoff_timeout_minutes": 0})),
        )
        .await,
        200,
    )
    .await;
    bots_support::take_over(&app, &v.token, &conv).await;
    sqlx::query("UPDATE conversations SET owner_changed_at = $1 WHERE id = $2")
        .bind(now - 100_000 * minute)
        .bind(&conv)
        .execute(&app.state.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM messages WHERE conversation_id = $1 AND sender = 'agent'")
        .bind(&conv)
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(inject(&app, &v.token, &dev, "harga").await["replies"], 0);
    app.stop().await;
}
both_dbs!(handoff_timeout_hands_back);

/// `HH:00` of the hour `h` hours away from now's hour in `tz`, as a
/// business-hours window of the current hour and the next one.
fn window_around_now(tz: chrono_tz::Tz) -> String {
    use chrono::Timelike;
    let h = chrono::Utc::now().with_timezone(&tz).hour();
    format!("{:02}:00-{:02}:00", h.saturating_sub(1), (h + 2).min(24))
}

async fn business_hours_in_the_vendor_time_zone(kind: DbKind) {
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Jam").await;
    let t = data(app.get("/api/v1/tenant", &v.token).await, 200).await;
    assert_eq!(t["time_zone"], "Asia/Jakarta");

    // Open every day around the current hour in Jakarta (UTC+7), which is
    // closed in New York (UTC-5/-4): 11 or 12 hours apart.
    let window = window_around_now(chrono_tz::Asia::Jakarta);
    let days: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| ((*d).to_owned(), json!([window])))
        .collect();
    let config = json!({
        "rules": [
            { "id": "buka", "keywords": ["jam"], "reply": "Kami buka.", "when": {"hours": "open"} },
            { "id": "tutup", "keywords": ["jam"], "reply": "Kami tutup.", "when": {"hours": "closed"} }
        ],
        "business_hours": { "days": days }
    });
    let dev = sim_with_rules(&app, &v.token, json!({}), config).await;
    let r = inject(&app, &v.token, &dev, "jam berapa?").await;
    assert_eq!(r["outbox"][0]["message"]["body"], "Kami buka.", "{r}");

    // Bad zones are refused and change nothing.
    let res = app
        .request(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&v.token),
            Some(json!({"time_zone": "Asia/Atlantis"})),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_time_zone");
    let t = data(app.get("/api/v1/tenant", &v.token).await, 200).await;
    assert_eq!(t["time_zone"], "Asia/Jakarta");

    let t = data(
        app.request(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&v.token),
            Some(json!({"time_zone": "America/New_York"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(t["time_zone"], "America/New_York");
    let r = inject(&app, &v.token, &dev, "jam buka?").await;
    assert_eq!(r["outbox"][0]["message"]["body"], "Kami tutup.", "{r}");

    // Each matched rule is counted under today's date in the vendor's zone.
    let hits: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT day, keyword, hits FROM bot_keyword_hits WHERE tenant_id = $1 ORDER BY keyword",
    )
    .bind(&v.tenant_id)
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    let jakarta_day = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .format("%Y-%m-%d")
        .to_string();
    let ny_day = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        hits,
        vec![
            (jakarta_day, "buka".to_owned(), 1),
            (ny_day.clone(), "tutup".to_owned(), 1)
        ]
    );
    inject(&app, &v.token, &dev, "jam?").await;
    let (n,): (i64,) = sqlx::query_as(
        "SELECT hits FROM bot_keyword_hits WHERE tenant_id = $1 AND day = $2 AND keyword = 'tutup'",
    )
    .bind(&v.tenant_id)
    .bind(&ny_day)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(n, 2);
    app.stop().await;
}
both_dbs!(business_hours_in_the_vendor_time_zone);

async fn opt_out_cancels_queued_campaign_messages(kind: DbKind) {
    use campaigns_support::{sim_device, vendor};
    bots_support::ensure_plugins();
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko Opt").await;
    let dev = sim_device(&app, &v).await;
    // Scheduled a day ahead: the messages wait in the queue.
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let cid = bots_support::started_vip_campaign(
        &app,
        &v.token,
        &dev,
        &[CUSTOMER_E164, "+6281211112222"],
        json!({"schedule_at": at}),
    )
    .await;
    let r = inject(&app, &v.token, &dev, "BERHENTI").await;
    assert_eq!(r["replies"], 1, "{r}");
    let recipients = data(
        app.get(&format!("/api/v1/campaigns/{cid}/recipients"), &v.token)
            .await,
        200,
    )
    .await;
    let state_of = |phone: &str| {
        recipients
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["phone"] == phone)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(state_of(CUSTOMER_E164), "cancelled", "{recipients}");
    assert_eq!(state_of("+6281211112222"), "queued", "{recipients}");
    app.stop().await;
}
both_dbs!(opt_out_cancels_queued_campaign_messages);

/// Conversations live in the inbox tables only: of `bot-core`'s tables the
/// server's database holds just the plugins' key-value store, and running
/// the migration step again (a restart) changes nothing.
async fn only_the_plugin_kv_table_of_bot_core(kind: DbKind) {
    let app = spawn_app(kind).await;
    let sql = match kind {
        DbKind::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name LIKE 'bot_%'"
        }
        DbKind::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'bot_%'"
        }
    };
    let tables = || async {
        let mut t: Vec<String> = sqlx::query_as::<_, (String,)>(sql)
            .fetch_all(&app.state.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(n,)| n)
            .collect();
        t.sort();
        t
    };
    assert_eq!(tables().await, ["bot_keyword_hits", "bot_kv"]);
    reference_server::db::migrate(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(tables().await, ["bot_keyword_hits", "bot_kv"]);
    app.stop().await;
}

both_dbs!(only_the_plugin_kv_table_of_bot_core);
