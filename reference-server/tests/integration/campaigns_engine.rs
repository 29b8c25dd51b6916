//! The campaign engine over HTTP on SQLite and PostgreSQL: the Cloud API's
//! late 24-hour-window failure (status webhook) resending the mapped
//! template, schedules in the vendor's time zone starting on time, lease
//! renewal while sends hang, a send result that cannot be written at once,
//! the monthly quota for follow-ups, the `{name}` fallback, and two server
//! instances sharing one device.

use crate::campaigns_support;
use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use campaigns_support::{
    SecondServer, Vendor, device, eventually, gateway_accepts, gateway_counts, gateway_device,
    phone, sim_device, sim_sent, vendor, vendor_with_limits,
};
use common::{DbKind, TestApp, data, spawn_app_with};
use reference_server::campaigns::Clock;
use reqwest::Method;
use serde_json::{Value, json};

async fn add_contacts(app: &TestApp, v: &Vendor, n: usize, tag: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let c = data(
            app.post(
                "/api/v1/contacts",
                &v.token,
                json!({"phone": phone(i), "name": format!("Pelanggan {i}"), "tags": [tag]}),
            )
            .await,
            201,
        )
        .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn template(app: &TestApp, v: &Vendor, body: Value) -> String {
    let t = data(app.post("/api/v1/templates", &v.token, body).await, 201).await;
    t["id"].as_str().unwrap().to_owned()
}

/// Creates and starts a campaign; returns its id.
async fn start_campaign(app: &TestApp, v: &Vendor, body: Value) -> String {
    let c = data(app.post("/api/v1/campaigns", &v.token, body).await, 201).await;
    let id = c["id"].as_str().unwrap().to_owned();
    data(
        app.post(
            &format!("/api/v1/campaigns/{id}/start"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    id
}

async fn campaign(app: &TestApp, v: &Vendor, id: &str) -> Value {
    data(
        app.get(&format!("/api/v1/campaigns/{id}"), &v.token).await,
        200,
    )
    .await
}

async fn wait_status(app: &TestApp, v: &Vendor, id: &str, status: &str) -> Value {
    eventually(60, || async {
        let c = campaign(app, v, id).await;
        (c["status"] == status).then_some(c)
    })
    .await
}

async fn recipients(app: &TestApp, v: &Vendor, id: &str, stage: &str) -> Vec<Value> {
    data(
        app.get(
            &format!("/api/v1/campaigns/{id}/recipients?stage={stage}"),
            &v.token,
        )
        .await,
        200,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

fn digits(p: &str) -> String {
    p.trim_start_matches('+').to_owned()
}

const PNID: &str = "1098765432";
const APP_SECRET: &str = "s3cret";

/// A Cloud API status webhook: `status` for `message_id`, with an error
/// `code` when failed.
fn cloud_status(message_id: &str, status: &str, recipient: &str, code: Option<i64>) -> String {
    let mut st = json!({"id": message_id, "status": status, "timestamp": "1750263800", "recipient_id": recipient});
    if let Some(code) = code {
        st["errors"] = json!([{"code": code, "title": "Re-engagement message",
            "message": "Re-engagement message", "error_data": {"details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "15550783881", "phone_number_id": PNID},
                  "statuses": [st]}}]}]})
    .to_string()
}

/// Posts a signed Cloud API webhook to the device's webhook URL.
async fn post_webhook(app: &TestApp, device: &str, body: &str) {
    let res = app
        .client
        .post(app.url(&format!("/webhooks/whatsapp/{device}")))
        .header("content-type", "application/json")
        .header(
            "X-Hub-Signature-256",
            whatsapp_client::webhook::sign(APP_SECRET.as_bytes(), body.as_bytes()),
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

fn accepted(to: &str, id: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": id}]}))
}

async fn late_window_failure_resends_template(kind: DbKind) {
    use wiremock::matchers::{body_partial_json, method, path};
    let app = spawn_app_with(kind, |c| c.campaigns.poll_ms = 100).await;
    let v = vendor(&app, "Toko Jendela").await;
    let ids = add_contacts(&app, &v, 3, "jendela").await;
    let (p0, p1, p2) = (digits(&phone(0)), digits(&phone(1)), digits(&phone(2)));

    // The Graph API accepts every text (the window is checked later, as
    // the real Cloud API does) and every template.
    let graph = wiremock::MockServer::start().await;
    let messages = format!("/v23.0/{PNID}/messages");
    for (to, kind_, id) in [
        (&p0, "text", "wamid.TEXT0"),
        (&p1, "text", "wamid.TEXT1"),
        (&p2, "text", "wamid.TEXT2"),
        (&p0, "template", "wamid.TPL0"),
    ] {
        wiremock::Mock::given(method("POST"))
            .and(path(messages.as_str()))
            .and(body_partial_json(json!({"type": kind_, "to": to})))
            .respond_with(accepted(to, id))
            .mount(&graph)
            .await;
    }
    let d = device(
        &app,
        &v,
        json!({"kind": "cloud_api", "phone_number_id": PNID, "access_token": "EAAG-test", "app_secret": APP_SECRET,
               "verify_token": "vt", "base_url": graph.uri(), "api_version": "v23.0"}),
    )
    .await;
    let mapped = template(
        &app,
        &v,
        json!({"name": "promo", "body": "Halo {name}, diskon 20%!",
               "cloud_template": {"name": "promo_akhir_tahun", "language": "id", "body_params": ["{first_name}"]}}),
    )
    .await;
    let id = start_campaign(
        &app,
        &v,
        json!({"name": "jendela", "template_id": mapped, "audience": {"contact_ids": [ids[0], ids[1]]},
               "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
    )
    .await;
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 2, "{done}");

    // Contact 1's text is delivered; contact 0's fails later with 131047.
    post_webhook(
        &app,
        &d,
        &cloud_status("wamid.TEXT1", "delivered", &p1, None),
    )
    .await;
    post_webhook(
        &app,
        &d,
        &cloud_status("wamid.TEXT0", "failed", &p0, Some(131047)),
    )
    .await;
    // The recipient is queued again (the campaign runs again for it) and
    // goes out as the mapped template.
    let r = eventually(30, || async {
        let r = recipients(&app, &v, &id, "main").await;
        let r0 = r
            .iter()
            .find(|x| digits(x["phone"].as_str().unwrap()) == p0)
            .cloned()
            .unwrap();
        (r0["provider_message_id"] == "wamid.TPL0" && r0["status"] == "sent").then_some(r)
    })
    .await;
    let by_phone: HashMap<String, &Value> = r
        .iter()
        .map(|x| (digits(x["phone"].as_str().unwrap()), x))
        .collect();
    assert_eq!(by_phone[&p0]["used_template"], true);
    assert_eq!(by_phone[&p1]["used_template"], false);
    assert_eq!(by_phone[&p1]["status"], "delivered");
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 2, "{done}");
    assert_eq!(done["counts"]["failed"], 0, "{done}");
    let bodies: Vec<Value> = graph
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.body_json().unwrap())
        .collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    let tpl: Vec<&Value> = bodies.iter().filter(|b| b["type"] == "template").collect();
    assert_eq!(tpl.len(), 1);
    assert_eq!(tpl[0]["to"], p0.as_str());
    assert_eq!(tpl[0]["template"]["name"], "promo_akhir_tahun");
    assert_eq!(
        tpl[0]["template"]["components"][0]["parameters"][0]["text"],
        "Pelanggan"
    );

    // The same failure again (a repeated webhook) changes nothing; the
    // template failing too ends the recipient: the fallback happens once.
    post_webhook(
        &app,
        &d,
        &cloud_status("wamid.TEXT0", "failed", &p0, Some(131047)),
    )
    .await;
    post_webhook(
        &app,
        &d,
        &cloud_status("wamid.TPL0", "failed", &p0, Some(131047)),
    )
    .await;
    let r = recipients(&app, &v, &id, "main").await;
    let r0 = r
        .iter()
        .find(|x| digits(x["phone"].as_str().unwrap()) == p0)
        .unwrap();
    assert_eq!(r0["status"], "failed", "{r0}");
    let err = r0["error"].as_str().unwrap();
    assert!(
        err.starts_with("131047") && err.contains("template Cloud API juga ditolak"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(graph.received_requests().await.unwrap().len(), 3);
    assert_eq!(campaign(&app, &v, &id).await["status"], "completed");

    // Without a mapping the late failure fails the recipient and says why.
    let plain = template(&app, &v, json!({"name": "plain", "body": "Halo {name}"})).await;
    let pid = start_campaign(
        &app,
        &v,
        json!({"name": "plain", "template_id": plain, "audience": {"contact_ids": [ids[2]]},
               "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
    )
    .await;
    wait_status(&app, &v, &pid, "completed").await;
    post_webhook(
        &app,
        &d,
        &cloud_status("wamid.TEXT2", "failed", &p2, Some(131047)),
    )
    .await;
    let r = recipients(&app, &v, &pid, "main").await;
    assert_eq!(r[0]["status"], "failed", "{}", r[0]);
    let err = r[0]["error"].as_str().unwrap();
    assert!(
        err.contains("jendela 24 jam") && err.contains("cloud_template"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(graph.received_requests().await.unwrap().len(), 4);
    let done = campaign(&app, &v, &pid).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["counts"]["failed"], 1);
    app.stop().await;
}
both_dbs!(late_window_failure_resends_template);

const HOUR_MS: i64 = 3_600_000;

/// 12:00 in Jakarta (14:00 in Jayapura) two days ahead, unix ms.
fn noon_ahead() -> i64 {
    use chrono::TimeZone;
    let jkt = chrono_tz::Asia::Jakarta;
    let day = chrono::Utc::now().with_timezone(&jkt).date_naive() + chrono::Duration::days(2);
    jkt.from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .timestamp_millis()
}

async fn schedule_in_vendor_time_zone_starts_on_time(kind: DbKind) {
    let t0 = noon_ahead();
    let clock = Clock::starting_at(t0);
    let engine_clock = clock.clone();
    let app = spawn_app_with(kind, move |c| {
        c.campaigns.clock = engine_clock;
        c.campaigns.poll_ms = 100;
    })
    .await;
    let v = vendor(&app, "Toko Papua").await;
    let t = data(
        app.request(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&v.token),
            Some(json!({"time_zone": "Asia/Jayapura"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(t["time_zone"], "Asia/Jayapura");
    add_contacts(&app, &v, 3, "papua").await;
    let d = sim_device(&app, &v).await;
    let tid = template(
        &app,
        &v,
        json!({"name": "t", "body": "Selamat sore {name}"}),
    )
    .await;
    // 16:00 vendor time = 14:00 Jakarta = two hours after t0.
    let jayapura = chrono_tz::Asia::Jayapura;
    let local = chrono::DateTime::from_timestamp_millis(t0 + 2 * HOUR_MS)
        .unwrap()
        .with_timezone(&jayapura)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    assert!(local.ends_with("T16:00"), "{local}");
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "sore", "template_id": tid, "audience": {"tags": ["papua"]},
                   "devices": [{"device_id": d, "rate_per_minute": 6000}], "schedule_at": local}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(c["time_zone"], "Asia/Jayapura", "the vendor's zone");
    assert_eq!(c["scheduled_at"], t0 + 2 * HOUR_MS);
    let id = c["id"].as_str().unwrap().to_owned();
    let s = data(
        app.post(
            &format!("/api/v1/campaigns/{id}/start"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["status"], "scheduled");

    // A minute before the time: still scheduled, nothing sent.
    clock.advance(2 * HOUR_MS - 60_000);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(campaign(&app, &v, &id).await["status"], "scheduled");
    assert!(sim_sent(&app, &d).await.is_empty());

    // The time comes: scheduled -> running, and every contact gets it.
    clock.advance(61_000);
    let running = eventually(30, || async {
        let c = campaign(&app, &v, &id).await;
        (c["status"] != "scheduled").then_some(c)
    })
    .await;
    assert!(
        running["status"] == "running" || running["status"] == "completed",
        "{running}"
    );
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 3);
    let sent = sim_sent(&app, &d).await;
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|(_, m)| {
        m["body"]
            .as_str()
            .unwrap()
            .starts_with("Selamat sore Pelanggan")
    }));
    for r in recipients(&app, &v, &id, "main").await {
        assert!(r["sent_at"].as_i64().unwrap() >= t0 + 2 * HOUR_MS, "{r}");
    }
    app.stop().await;
}
both_dbs!(schedule_in_vendor_time_zone_starts_on_time);

async fn lease_renewed_while_sends_hang(kind: DbKind) {
    let app = spawn_app_with(kind, |c| {
        c.campaigns.poll_ms = 100;
        c.campaigns.lease_ms = 600;
        c.campaigns.max_in_flight = 1;
    })
    .await;
    // A second engine (another process's sender: its own holder id) on
    // the same database, ready to take the device over when the lease of
    // the first one expires.
    let other = reference_server::campaigns::Engine::new(
        app.state.clone(),
        app.state.config.campaigns.clone(),
    );
    tokio::spawn(other.run());
    let v = vendor(&app, "Toko Lambat").await;
    add_contacts(&app, &v, 3, "lambat").await;
    // Each send takes 2.5 s, four lease lengths.
    let gw = wiremock::MockServer::start().await;
    gateway_accepts(&gw, "gw-slow", Duration::from_millis(2500)).await;
    let d = gateway_device(&app, &v, &gw).await;
    let tid = template(&app, &v, json!({"name": "t", "body": "Halo {name}"})).await;
    let id = start_campaign(
        &app,
        &v,
        json!({"name": "lambat", "template_id": tid, "audience": {"tags": ["lambat"]},
               "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
    )
    .await;
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 3, "{done}");
    let counts = gateway_counts(&gw).await;
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(
        counts.values().all(|n| *n == 1),
        "a hanging send was taken over and sent again: {counts:?}"
    );
    for r in recipients(&app, &v, &id, "main").await {
        assert_eq!(r["attempts"], 1, "{r}");
    }
    app.stop().await;
}
both_dbs!(lease_renewed_while_sends_hang);

/// Makes writing `sent` on campaign rows fail while `test_fail_flag` has a
/// row (a database error at the worst moment: after the provider accepted).
async fn install_record_failure(app: &TestApp) {
    let pool = &app.state.pool;
    sqlx::query("CREATE TABLE test_fail_flag (x BIGINT)")
        .execute(pool)
        .await
        .unwrap();
    match app.kind {
        DbKind::Sqlite => {
            sqlx::query(
                "CREATE TRIGGER test_fail_record BEFORE UPDATE OF state ON campaign_recipients \
                 WHEN NEW.state = 'sent' AND EXISTS (SELECT 1 FROM test_fail_flag) \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            )
            .execute(pool)
            .await
            .unwrap();
        }
        DbKind::Postgres => {
            sqlx::query(
                "CREATE FUNCTION test_fail_record() RETURNS trigger AS $$ BEGIN \
                 IF NEW.state = 'sent' AND EXISTS (SELECT 1 FROM test_fail_flag) THEN \
                 RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            )
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "CREATE TRIGGER test_fail_record BEFORE UPDATE ON campaign_recipients \
                 FOR EACH ROW EXECUTE FUNCTION test_fail_record()",
            )
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

async fn unrecorded_result_is_written_later(kind: DbKind) {
    let app = spawn_app_with(kind, |c| c.campaigns.poll_ms = 100).await;
    let v = vendor(&app, "Toko Gangguan").await;
    add_contacts(&app, &v, 1, "db").await;
    let d = sim_device(&app, &v).await;
    let tid = template(&app, &v, json!({"name": "t", "body": "Halo {name}"})).await;
    install_record_failure(&app).await;
    sqlx::query("INSERT INTO test_fail_flag (x) VALUES (1)")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let id = start_campaign(
        &app,
        &v,
        json!({"name": "db", "template_id": tid, "audience": {"tags": ["db"]},
               "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
    )
    .await;
    // The provider accepted the message; recording it keeps failing.
    eventually(30, || async {
        (sim_sent(&app, &d).await.len() == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = recipients(&app, &v, &id, "main").await;
    assert_eq!(r[0]["status"], "sending", "{}", r[0]);
    // The database recovers: the result is written, nothing is sent again.
    sqlx::query("DELETE FROM test_fail_flag")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 1, "{done}");
    let r = recipients(&app, &v, &id, "main").await;
    assert_eq!(r[0]["status"], "sent");
    assert_eq!(r[0]["attempts"], 1);
    assert!(r[0]["provider_message_id"].as_str().is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sim_sent(&app, &d).await.len(), 1, "sent exactly once");
    app.stop().await;
}
both_dbs!(unrecorded_result_is_written_later);

async fn unwritable_result_fails_without_resending(kind: DbKind) {
    // One try per message: a row whose result can never be written is
    // given up after the sender's write retries (about 11 s), not re-sent.
    let app = spawn_app_with(kind, |c| {
        c.campaigns.poll_ms = 100;
        c.campaigns.max_attempts = 1;
    })
    .await;
    let v = vendor(&app, "Toko Rusak").await;
    add_contacts(&app, &v, 1, "rusak").await;
    let d = sim_device(&app, &v).await;
    let tid = template(&app, &v, json!({"name": "t", "body": "Halo {name}"})).await;
    install_record_failure(&app).await;
    sqlx::query("INSERT INTO test_fail_flag (x) VALUES (1)")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let id = start_campaign(
        &app,
        &v,
        json!({"name": "rusak", "template_id": tid, "audience": {"tags": ["rusak"]},
               "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
    )
    .await;
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    let r = recipients(&app, &v, &id, "main").await;
    assert!(
        r[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("outcome unknown"),
        "{}",
        r[0]
    );
    assert_eq!(sim_sent(&app, &d).await.len(), 1, "never sent again");
    app.stop().await;
}
both_dbs!(unwritable_result_fails_without_resending);

async fn followups_fit_the_monthly_quota(kind: DbKind) {
    let clock = Clock::starting_at(chrono::Utc::now().timestamp_millis());
    let engine_clock = clock.clone();
    let app = spawn_app_with(kind, move |c| {
        c.campaigns.clock = engine_clock;
        c.campaigns.poll_ms = 100;
    })
    .await;
    // Three messages a month: two first messages and one follow-up fit.
    let v = vendor_with_limits(&app, "Toko Hemat", 1000, 3).await;
    add_contacts(&app, &v, 2, "hemat").await;
    let d = sim_device(&app, &v).await;
    let tid = template(&app, &v, json!({"name": "t", "body": "Halo {name}"})).await;
    let fid = template(
        &app,
        &v,
        json!({"name": "f", "body": "Masih tertarik, {first_name}?"}),
    )
    .await;
    let id = start_campaign(
        &app,
        &v,
        json!({"name": "hemat", "template_id": tid, "audience": {"tags": ["hemat"]},
               "devices": [{"device_id": d, "rate_per_minute": 6000}],
               "followup": {"template_id": fid, "after_minutes": 1}}),
    )
    .await;
    eventually(30, || async {
        let c = campaign(&app, &v, &id).await;
        (c["counts"]["sent"] == 2 && c["followup_counts"]["queued"] == 2).then_some(())
    })
    .await;
    let usage = || async {
        reference_server::billing::limits::usage(
            &app.state.pool,
            &v.tenant_id.as_str().into(),
            reference_server::billing::limits::Limit::MessagesPerMonth,
        )
        .await
        .unwrap()
    };
    assert_eq!(usage().await, 2);
    clock.advance(61_000);
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["followup_counts"]["sent"], 1, "{done}");
    assert_eq!(done["followup_counts"]["failed"], 1, "{done}");
    assert_eq!(usage().await, 3, "never over the plan");
    let fu = recipients(&app, &v, &id, "followup").await;
    let failed = fu.iter().find(|r| r["status"] == "failed").unwrap();
    let err = failed["error"].as_str().unwrap();
    assert!(
        err.starts_with("plan_limit_exceeded") && err.contains("kuota pesan bulanan"),
        "{err}"
    );
    let sent = sim_sent(&app, &d).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent.iter()
            .filter(|(_, m)| m["body"].as_str().unwrap().starts_with("Masih"))
            .count(),
        1
    );
    app.stop().await;
}
both_dbs!(followups_fit_the_monthly_quota);

/// Runs a campaign of `template` to the contacts tagged `sapa` on device
/// `d` and returns the texts sent that start with `prefix`, by number.
async fn greet_tag_sapa(
    app: &TestApp,
    v: &Vendor,
    d: &str,
    template: &str,
    prefix: &str,
) -> HashMap<String, String> {
    let id = start_campaign(
        app,
        v,
        json!({"name": prefix, "template_id": template, "audience": {"tags": ["sapa"]},
               "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
    )
    .await;
    wait_status(app, v, &id, "completed").await;
    sim_sent(app, d)
        .await
        .into_iter()
        .map(|(to, m)| (digits(&to), m["body"].as_str().unwrap().to_owned()))
        .filter(|(_, body)| body.starts_with(prefix))
        .collect()
}

async fn nameless_contact_is_greeted_kak(kind: DbKind) {
    let app = spawn_app_with(kind, |c| c.campaigns.poll_ms = 100).await;
    let v = vendor(&app, "Toko Sapa").await;
    let nameless = data(
        app.post(
            "/api/v1/contacts",
            &v.token,
            json!({"phone": phone(0), "tags": ["sapa"]}),
        )
        .await,
        201,
    )
    .await;
    data(
        app.post(
            "/api/v1/contacts",
            &v.token,
            json!({"phone": phone(1), "name": "Siti Aminah", "tags": ["sapa"]}),
        )
        .await,
        201,
    )
    .await;
    let tid = template(
        &app,
        &v,
        json!({"name": "sapa", "body": "Halo {name}, apa kabar {first_name}?"}),
    )
    .await;
    let p = data(
        app.post(
            &format!("/api/v1/templates/{tid}/preview"),
            &v.token,
            json!({"contact_id": nameless["id"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["text"], "Halo Kak, apa kabar Kak?");
    let d = sim_device(&app, &v).await;
    let sent = greet_tag_sapa(&app, &v, &d, &tid, "Halo").await;
    assert_eq!(sent[&digits(&phone(0))], "Halo Kak, apa kabar Kak?");
    assert_eq!(
        sent[&digits(&phone(1))],
        "Halo Siti Aminah, apa kabar Siti?"
    );

    // An English template names its own word for a nameless contact.
    let res = app
        .post_in(
            "en",
            "/api/v1/templates",
            &v.token,
            &json!({"name": "hi", "body": "Hi {first_name}!", "name_fallback": "   "}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_name_fallback");
    assert_eq!(
        body["error"]["message"],
        "name_fallback must be 1 to 40 characters without control characters"
    );
    let hi = template(
        &app,
        &v,
        json!({"name": "hi", "body": "Hi {first_name}!", "name_fallback": " there "}),
    )
    .await;
    let t = data(
        app.get(&format!("/api/v1/templates/{hi}"), &v.token).await,
        200,
    )
    .await;
    assert_eq!(t["name_fallback"], "there");
    let sent = greet_tag_sapa(&app, &v, &d, &hi, "Hi").await;
    assert_eq!(sent[&digits(&phone(0))], "Hi there!");
    assert_eq!(sent[&digits(&phone(1))], "Hi Siti!");
    // The Indonesian template keeps its default.
    let t = data(
        app.get(&format!("/api/v1/templates/{tid}"), &v.token).await,
        200,
    )
    .await;
    assert_eq!(t["name_fallback"], Value::Null);
    // Replacing a template without the field goes back to the default.
    let res = app
        .request(
            Method::PUT,
            &format!("/api/v1/templates/{hi}"),
            Some(&v.token),
            Some(json!({"name": "hi", "body": "Hi {first_name}!"})),
        )
        .await;
    assert_eq!(data(res, 200).await["name_fallback"], Value::Null);
    app.stop().await;
}
both_dbs!(nameless_contact_is_greeted_kak);

/// Two server instances (own pools and engines) on one PostgreSQL
/// database share a device: every recipient gets the campaign exactly
/// once, also when the instance holding the device stops half-way and the
/// other one takes over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_a_device_exactly_once() {
    let configure = |c: &mut reference_server::Config| {
        c.campaigns.poll_ms = 100;
        c.campaigns.lease_ms = 1000;
    };
    let app = spawn_app_with(DbKind::Postgres, configure).await;
    let second = SecondServer::start(&app, configure).await;
    let v = vendor(&app, "Toko Dua").await;
    add_contacts(&app, &v, 30, "dua").await;
    let gw = wiremock::MockServer::start().await;
    gateway_accepts(&gw, "gw-2", Duration::from_millis(20)).await;
    let d = gateway_device(&app, &v, &gw).await;
    let tid = template(&app, &v, json!({"name": "t", "body": "Halo {name}"})).await;
    // 20 messages a second: 1.5 s for the whole campaign.
    let id = start_campaign(
        &app,
        &v,
        json!({"name": "dua", "template_id": tid, "audience": {"tags": ["dua"]},
               "devices": [{"device_id": d, "rate_per_minute": 1200}]}),
    )
    .await;
    eventually(30, || async {
        (gw.received_requests().await.unwrap().len() >= 10).then_some(())
    })
    .await;
    // Whichever instance holds the device, the second one stops now.
    second.stop().await;
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 30, "{done}");
    let counts = gateway_counts(&gw).await;
    assert_eq!(counts.len(), 30, "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    let r = data(
        app.get(
            &format!("/api/v1/campaigns/{id}/recipients?limit=100"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    assert!(
        r.as_array().unwrap().iter().all(|x| x["attempts"] == 1),
        "{r}"
    );
    app.stop().await;
}
