//! Templates and campaigns over HTTP on SQLite and PostgreSQL, sending
//! through simulator devices (and a wiremock gateway for retries).

use crate::campaigns_support;
use crate::common;

use std::collections::HashMap;

use campaigns_support::{
    Vendor, device, eventually, gateway_accepts, gateway_device, phone, sim_device, sim_sent,
    vendor, vendor_with_limits,
};
use common::{DbKind, TestApp, data, error_code, spawn_app, spawn_app_with};
use reference_server::campaigns::Clock;
use reference_server::campaigns::pacing::day_bounds_ms;
use serde_json::{Value, json};

async fn add_contacts(app: &TestApp, v: &Vendor, n: usize, tag: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let c = data(
            app.post(
                "/api/v1/contacts",
                &v.token,
                json!({"phone": phone(i), "name": format!("Pelanggan {i}"), "fields": {"kota": format!("Kota{i}")}, "tags": [tag]}),
            )
            .await,
            201,
        )
        .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn template(app: &TestApp, v: &Vendor, name: &str, body: &str) -> String {
    let t = data(
        app.post(
            "/api/v1/templates",
            &v.token,
            json!({"name": name, "body": body}),
        )
        .await,
        201,
    )
    .await;
    t["id"].as_str().unwrap().to_owned()
}

async fn campaign_status(app: &TestApp, v: &Vendor, id: &str) -> Value {
    data(
        app.get(&format!("/api/v1/campaigns/{id}"), &v.token).await,
        200,
    )
    .await
}

async fn wait_status(app: &TestApp, v: &Vendor, id: &str, status: &str) -> Value {
    eventually(60, || async {
        let c = campaign_status(app, v, id).await;
        (c["status"] == status).then_some(c)
    })
    .await
}

fn digits(p: &str) -> String {
    p.trim_start_matches('+').to_owned()
}

async fn templates_validate_and_preview(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko T").await;
    let ids = add_contacts(&app, &v, 1, "a").await;

    let broken = json!({"name": "x", "body": "Halo {name},\n{Promo|Diskon} {alamat}"});
    let res = app
        .post("/api/v1/templates", &v.token, broken.clone())
        .await;
    assert_eq!(res.headers()["content-language"], "id");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_variable");
    let msg = body["error"]["message"].as_str().unwrap();
    assert_eq!(
        msg,
        "body: kesalahan template di baris 2, kolom 16: variabel `{alamat}` tidak dikenal \
         (yang dikenal: name, first_name, phone, kota)"
    );
    // The same error in English on request; the code does not change.
    let res = app
        .post_in("en", "/api/v1/templates", &v.token, &broken)
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-language"], "en");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_variable");
    assert_eq!(
        body["error"]["message"],
        "body: template error at line 2, column 16: unknown variable `{alamat}` \
         (known: name, first_name, phone, kota)"
    );

    let res = app
        .post(
            "/api/v1/templates",
            &v.token,
            json!({"name": "x", "body": "Halo {Kak|Bu {name}"}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_template");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("baris 1, kolom 6"),
        "{body}"
    );

    let res = app
        .post(
            "/api/v1/templates",
            &v.token,
            json!({"name": "x", "body": "ok", "media": {"kind": "gif", "url": "https://x.id/a"}}),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "invalid_media");

    let tid = template(&app, &v, "promo", "{Halo|Hai} {first_name} dari {kota}!").await;
    let res = app
        .post(
            "/api/v1/templates",
            &v.token,
            json!({"name": "promo", "body": "x"}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "template_exists");
    let p = data(
        app.post(
            &format!("/api/v1/templates/{tid}/preview"),
            &v.token,
            json!({"contact_id": ids[0], "seed": 7}),
        )
        .await,
        200,
    )
    .await;
    let text = p["text"].as_str().unwrap();
    assert!(
        text == "Halo Pelanggan dari Kota0!" || text == "Hai Pelanggan dari Kota0!",
        "{text}"
    );
    let again = data(
        app.post(
            &format!("/api/v1/templates/{tid}/preview"),
            &v.token,
            json!({"contact_id": ids[0], "seed": 7}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["text"], p["text"]);
    assert_eq!(p["message"]["type"], "text");
    app.stop().await;
}
both_dbs!(templates_validate_and_preview);

async fn campaign_sends_once_to_each_with_rotation(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko C").await;
    let ids = add_contacts(&app, &v, 30, "vip").await;
    add_contacts_extra(&app, &v).await;
    // One of the audience opts out before the start.
    reference_server::contacts::mark_opted_out(
        &app.state,
        &v.tenant_id.as_str().into(),
        &phone(29),
    )
    .await
    .unwrap();
    let d1 = sim_device(&app, &v).await;
    let d2 = sim_device(&app, &v).await;
    let tid = template(&app, &v, "promo", "Halo {name} dari {kota}").await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "Promo Desember", "template_id": tid, "audience": {"tags": ["vip"]},
                   "devices": [{"device_id": d1, "weight": 2, "rate_per_minute": 6000},
                               {"device_id": d2, "weight": 1, "rate_per_minute": 6000}]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(c["status"], "draft");
    let id = c["id"].as_str().unwrap().to_owned();
    let started = data(
        app.post(
            &format!("/api/v1/campaigns/{id}/start"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(started["total"], 29);
    let res = app
        .post(
            &format!("/api/v1/campaigns/{id}/start"),
            &v.token,
            json!({}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "campaign_not_draft");
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 29);
    assert_eq!(done["counts"]["queued"], 0);

    let a = sim_sent(&app, &d1).await;
    let b = sim_sent(&app, &d2).await;
    // Weighted rotation 2:1 over 29 recipients: 20 and 9.
    assert_eq!((a.len(), b.len()), (20, 9));
    let mut per_number: HashMap<String, usize> = HashMap::new();
    for (to, m) in a.iter().chain(b.iter()) {
        *per_number.entry(digits(to)).or_default() += 1;
        let body = m["body"].as_str().unwrap();
        assert!(body.starts_with("Halo Pelanggan "), "{body}");
    }
    for i in 0..29 {
        assert_eq!(
            per_number.get(&digits(&phone(i))),
            Some(&1),
            "recipient {i}"
        );
    }
    assert!(
        !per_number.contains_key(&digits(&phone(29))),
        "opted-out contact messaged"
    );
    let _ = ids;

    // Status webhooks and replies reach the recipients.
    let recips = data(
        app.get(
            &format!("/api/v1/campaigns/{id}/recipients?limit=100"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    let recips = recips.as_array().unwrap();
    assert_eq!(recips.len(), 29);
    let pid = |i: usize| {
        recips[i]["provider_message_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let pool = &app.state.pool;
    use reference_server::campaigns::{on_reply, on_status};
    assert_eq!(
        on_status(pool, &pid(0), "delivered", None).await.unwrap(),
        1
    );
    assert_eq!(on_status(pool, &pid(1), "read", None).await.unwrap(), 1);
    on_status(pool, &pid(2), "failed", Some("131026: undeliverable"))
        .await
        .unwrap();
    assert_eq!(
        on_status(pool, "unknown-id", "read", None).await.unwrap(),
        0
    );
    let replier = recips[1]["phone"].as_str().unwrap();
    assert_eq!(on_reply(pool, &v.tenant_id, replier).await.unwrap(), 1);
    let c = campaign_status(&app, &v, &id).await;
    assert_eq!(c["counts"]["delivered"], 2);
    assert_eq!(c["counts"]["read"], 1);
    assert_eq!(c["counts"]["replied"], 1);
    assert_eq!(c["counts"]["failed"], 1);
    let r = data(
        app.get(
            &format!("/api/v1/campaigns/{id}/recipients?state=failed"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r[0]["error"], "131026: undeliverable");

    let an = data(
        app.get(&format!("/api/v1/campaigns/{id}/analytics"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(an["counts"]["sent"], 29);
    assert!((an["rates"]["replied"].as_f64().unwrap() - 1.0 / 29.0).abs() < 0.001);
    let sent_in_timeline: i64 = an["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["sent"].as_i64().unwrap())
        .sum();
    assert_eq!(sent_in_timeline, 29);
    let res = app
        .get(
            &format!("/api/v1/campaigns/{id}/report?format=csv"),
            &v.token,
        )
        .await;
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 30);
    assert!(csv.contains(",replied,"), "{csv}");
    let ov = data(
        app.get("/api/v1/analytics/overview?days=2", &v.token).await,
        200,
    )
    .await;
    assert_eq!(ov["totals"]["campaign_sent"], 29);
    let res = app
        .get("/api/v1/analytics/overview/export?format=xlsx", &v.token)
        .await;
    assert_eq!(res.status(), 200);

    // The history lists it; quota was taken for 29 messages.
    let list = data(
        app.get("/api/v1/campaigns?status=completed", &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let used: i64 = sqlx::query_scalar(
        "SELECT count FROM usage_counters WHERE tenant_id = $1 AND metric = 'messages'",
    )
    .bind(&v.tenant_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(used, 29);
    app.stop().await;
}
both_dbs!(campaign_sends_once_to_each_with_rotation);

async fn add_contacts_extra(app: &TestApp, v: &Vendor) {
    // Not in the audience (other tag).
    data(
        app.post(
            "/api/v1/contacts",
            &v.token,
            json!({"phone": phone(500), "tags": ["lain"]}),
        )
        .await,
        201,
    )
    .await;
}

async fn pause_resume_cancel_schedule_and_quota(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor_with_limits(&app, "Toko P", 1000, 100).await;
    add_contacts(&app, &v, 20, "all").await;
    let d = sim_device(&app, &v).await;
    let tid = template(&app, &v, "t", "Halo {name}").await;
    let create = |body: Value| {
        let app = &app;
        let v = &v;
        async move {
            data(app.post("/api/v1/campaigns", &v.token, body).await, 201).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    // Slow pacing: 60/min, so pausing catches it mid-way.
    let id = create(
        json!({"name": "lambat", "template_id": tid, "audience": {"all": true},
                           "devices": [{"device_id": d, "rate_per_minute": 60}]}),
    )
    .await;
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
    eventually(30, || async {
        (campaign_status(&app, &v, &id).await["counts"]["sent"]
            .as_i64()
            .unwrap()
            >= 1)
            .then_some(())
    })
    .await;
    let paused = data(
        app.post(
            &format!("/api/v1/campaigns/{id}/pause"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(paused["status"], "paused");
    // Let in-flight sends land, then nothing more is sent while paused.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let n1 = sim_sent(&app, &d).await.len();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(sim_sent(&app, &d).await.len(), n1, "sent while paused");
    assert!(n1 < 20);
    let res = app
        .post(
            &format!("/api/v1/campaigns/{id}/resume"),
            &v.token,
            json!({}),
        )
        .await;
    assert_eq!(data(res, 200).await["status"], "running");
    eventually(30, || async {
        (sim_sent(&app, &d).await.len() > n1).then_some(())
    })
    .await;
    let cancelled = data(
        app.post(
            &format!("/api/v1/campaigns/{id}/cancel"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let c = campaign_status(&app, &v, &id).await;
    let sent = c["counts"]["sent"].as_i64().unwrap();
    assert_eq!(c["counts"]["cancelled"].as_i64().unwrap() + sent, 20);
    assert_eq!(sim_sent(&app, &d).await.len() as i64, sent);
    let res = app
        .post(
            &format!("/api/v1/campaigns/{id}/resume"),
            &v.token,
            json!({}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "invalid_campaign_state");

    // The cancelled rest was given back to the monthly quota.
    let used: i64 = sqlx::query_scalar(
        "SELECT count FROM usage_counters WHERE tenant_id = $1 AND metric = 'messages'",
    )
    .bind(&v.tenant_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(used, sent);

    // Quota: a vendor allowed 10 messages a month cannot start a campaign to 20.
    let small = vendor_with_limits(&app, "Toko Mini", 1000, 10).await;
    add_contacts(&app, &small, 20, "all").await;
    let sd = sim_device(&app, &small).await;
    let stid = template(&app, &small, "t", "Halo").await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &small.token,
            json!({"name": "besar", "template_id": stid,
        "audience": {"all": true}, "devices": [{"device_id": sd}]}),
        )
        .await,
        201,
    )
    .await;
    let cid = c["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/campaigns/{cid}/start"),
            &small.token,
            json!({}),
        )
        .await;
    assert_eq!(error_code(res, 402).await, "plan_limit_exceeded");
    let c = campaign_status(&app, &small, cid).await;
    assert_eq!(c["status"], "draft");
    assert_eq!(c["counts"]["queued"], 0);
    app.stop().await;
}
both_dbs!(pause_resume_cancel_schedule_and_quota);

async fn schedule_followup_and_retry(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko F").await;
    let ids = add_contacts(&app, &v, 3, "x").await;
    let d = sim_device(&app, &v).await;
    let tid = template(&app, &v, "t", "Halo {name}").await;
    let fid = template(&app, &v, "f", "Masih tertarik, {first_name}?").await;

    // Scheduled tomorrow 09:00 Jakarta time: status scheduled, nothing sent.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT09:00")
        .to_string();
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "besok", "template_id": tid, "audience": {"contact_ids": [ids[0]]},
                   "devices": [{"device_id": d}], "schedule_at": tomorrow, "time_zone": "Asia/Jakarta"}),
        )
        .await,
        201,
    )
    .await;
    let sid = c["id"].as_str().unwrap().to_owned();
    let s = data(
        app.post(
            &format!("/api/v1/campaigns/{sid}/start"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["status"], "scheduled");
    let bad = app
        .post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "x", "template_id": tid, "audience": {"all": true},
            "devices": [{"device_id": d}], "schedule_at": "besok pagi"}),
        )
        .await;
    assert_eq!(error_code(bad, 400).await, "invalid_schedule");

    // Follow-up after 1 minute to those who did not reply.
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "fu", "template_id": tid, "audience": {"tags": ["x"]},
                   "devices": [{"device_id": d, "rate_per_minute": 6000}], "followup": {"template_id": fid, "after_minutes": 1}}),
        )
        .await,
        201,
    )
    .await;
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
    eventually(30, || async {
        (campaign_status(&app, &v, &id).await["counts"]["sent"] == 3).then_some(())
    })
    .await;
    let c = campaign_status(&app, &v, &id).await;
    assert_eq!(c["status"], "running", "follow-ups still pending");
    assert_eq!(c["followup_counts"]["queued"], 3);
    // Contact 0 replies; then the follow-ups come due (moved forward instead of waiting a minute).
    reference_server::campaigns::on_reply(&app.state.pool, &v.tenant_id, &phone(0))
        .await
        .unwrap();
    sqlx::query("UPDATE campaign_recipients SET not_before = 0 WHERE campaign_id = $1 AND stage = 'followup' AND state = 'queued'")
        .bind(&id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["followup_counts"]["sent"], 2);
    assert_eq!(done["followup_counts"]["cancelled"], 1);
    let sent = sim_sent(&app, &d).await;
    let followups: Vec<&(String, Value)> = sent
        .iter()
        .filter(|(_, m)| m["body"].as_str().unwrap().starts_with("Masih"))
        .collect();
    assert_eq!(followups.len(), 2);
    assert!(
        followups
            .iter()
            .all(|(to, _)| digits(to) != digits(&phone(0)))
    );

    // Retry: a gateway failing once with 503 is retried and then succeeds.
    let gw = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(503)
                .set_body_json(json!({"status": false, "reason": "busy"})),
        )
        .up_to_n_times(1)
        .mount(&gw)
        .await;
    gateway_accepts(&gw, "gw-1", std::time::Duration::ZERO).await;
    let gd = gateway_device(&app, &v, &gw).await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "retry", "template_id": tid, "audience": {"contact_ids": [ids[1]]}, "devices": [{"device_id": gd}]}),
        )
        .await,
        201,
    )
    .await;
    let rid = c["id"].as_str().unwrap().to_owned();
    data(
        app.post(
            &format!("/api/v1/campaigns/{rid}/start"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let done = wait_status(&app, &v, &rid, "completed").await;
    assert_eq!(done["counts"]["sent"], 1);
    let r = data(
        app.get(&format!("/api/v1/campaigns/{rid}/recipients"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(r[0]["attempts"], 2);
    assert_eq!(r[0]["provider_message_id"], "gw-1");
    assert_eq!(gw.received_requests().await.unwrap().len(), 2);
    app.stop().await;
}
both_dbs!(schedule_followup_and_retry);

const DAY_MS: i64 = 86_400_000;

/// Noon in Jakarta on the day after tomorrow (Jakarta), unix ms: always
/// ahead of the real clock, and far from a day boundary.
fn jakarta_noon_ahead() -> i64 {
    use chrono::TimeZone;
    let jkt = chrono_tz::Asia::Jakarta;
    let day = chrono::Utc::now().with_timezone(&jkt).date_naive() + chrono::Duration::days(2);
    jkt.from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .timestamp_millis()
}

async fn recipients(app: &TestApp, v: &Vendor, id: &str) -> Vec<Value> {
    data(
        app.get(&format!("/api/v1/campaigns/{id}/recipients"), &v.token)
            .await,
        200,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

/// Waits until `sent` recipients are sent and every other one is queued
/// for the start of the next day (`next_day`).
async fn wait_capped(
    app: &TestApp,
    v: &Vendor,
    id: &str,
    sent: usize,
    next_day: i64,
) -> Vec<Value> {
    eventually(60, || async {
        let r = recipients(app, v, id).await;
        let n_sent = r.iter().filter(|x| x["status"] == "sent").count();
        let deferred = r
            .iter()
            .filter(|x| x["status"] == "queued" && x["not_before"] == next_day)
            .count();
        (n_sent == sent && n_sent + deferred == r.len()).then_some(r)
    })
    .await
}

async fn daily_cap_stops_and_resumes_next_day(kind: DbKind) {
    let clock = Clock::starting_at(jakarta_noon_ahead());
    let engine_clock = clock.clone();
    let app = spawn_app_with(kind, move |c| {
        c.campaigns.clock = engine_clock;
        c.campaigns.poll_ms = 100;
    })
    .await;
    let v = vendor(&app, "Toko Cap").await;
    add_contacts(&app, &v, 5, "cap").await;
    let d = sim_device(&app, &v).await;
    let tid = template(&app, &v, "t", "Halo {name}").await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "cap", "template_id": tid, "audience": {"tags": ["cap"]}, "time_zone": "Asia/Jakarta",
                   "devices": [{"device_id": d, "rate_per_minute": 6000, "daily_cap": 2}]}),
        )
        .await,
        201,
    )
    .await;
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
    let jkt = chrono_tz::Asia::Jakarta;
    let (day1, day2) = day_bounds_ms(clock.now_ms(), jkt);
    assert_eq!(day2 - day1, DAY_MS);

    // Day 1: two sends, the other three wait for tomorrow 00:00 Jakarta.
    let r = wait_capped(&app, &v, &id, 2, day2).await;
    assert_eq!(sim_sent(&app, &d).await.len(), 2);
    assert!(
        r.iter()
            .filter_map(|x| x["sent_at"].as_i64())
            .all(|t| (day1..day2).contains(&t))
    );
    assert_eq!(campaign_status(&app, &v, &id).await["status"], "running");

    // Day 2 (the clock moves on a day): two more, one left for day 3.
    clock.advance(DAY_MS);
    let r = wait_capped(&app, &v, &id, 4, day2 + DAY_MS).await;
    let on_day2 = r
        .iter()
        .filter_map(|x| x["sent_at"].as_i64())
        .filter(|t| (day2..day2 + DAY_MS).contains(t))
        .count();
    assert_eq!(on_day2, 2);
    assert_eq!(sim_sent(&app, &d).await.len(), 4);

    // Day 3: the last one, then the campaign completes.
    clock.advance(DAY_MS);
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 5);
    let sent = sim_sent(&app, &d).await;
    let mut to: Vec<String> = sent.iter().map(|(t, _)| digits(t)).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 5, "each contact exactly once");
    assert_eq!(sent.len(), 5);
    app.stop().await;
}
both_dbs!(daily_cap_stops_and_resumes_next_day);

const PNID: &str = "1098765432";

/// A Cloud API error response (Graph API shape).
fn graph_error(code: i64, message: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(400).set_body_json(json!({"error": {
        "message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "AbC"}}))
}

async fn cloud_window_error_falls_back_to_template(kind: DbKind) {
    use wiremock::matchers::{body_partial_json, method, path};
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko Cloud").await;
    let ids = add_contacts(&app, &v, 2, "cloud").await;
    let (open, closed) = (digits(&phone(0)), digits(&phone(1)));

    // Contact 0 wrote recently (text goes through); contact 1's 24-hour
    // window is closed: text is refused with 131047, the template is accepted.
    let graph = wiremock::MockServer::start().await;
    let messages = format!("/v23.0/{PNID}/messages");
    wiremock::Mock::given(method("POST"))
        .and(path(messages.as_str()))
        .and(body_partial_json(json!({"type": "text", "to": open})))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": open, "wa_id": open}], "messages": [{"id": "wamid.TEXT0"}]}),
        ))
        .mount(&graph)
        .await;
    wiremock::Mock::given(method("POST"))
        .and(path(messages.as_str()))
        .and(body_partial_json(json!({"type": "text", "to": closed})))
        .respond_with(graph_error(
            131047,
            "Re-engagement message: more than 24 hours have passed since the recipient last replied",
        ))
        .mount(&graph)
        .await;
    wiremock::Mock::given(method("POST"))
        .and(path(messages.as_str()))
        .and(body_partial_json(json!({"type": "template", "to": closed})))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": closed, "wa_id": closed}], "messages": [{"id": "wamid.TPL1"}]}),
        ))
        .mount(&graph)
        .await;
    let d = device(
        &app,
        &v,
        json!({"kind": "cloud_api", "phone_number_id": PNID, "access_token": "EAAG-test", "app_secret": "s3cret",
               "verify_token": "vt", "base_url": graph.uri(), "api_version": "v23.0"}),
    )
    .await;
    let mapped = data(
        app.post(
            "/api/v1/templates",
            &v.token,
            json!({"name": "promo", "body": "Halo {name}, diskon 20% di {kota}!",
                   "cloud_template": {"name": "promo_akhir_tahun", "language": "id", "body_params": ["{first_name}", "{kota}"]}}),
        )
        .await,
        201,
    )
    .await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "cloud", "template_id": mapped["id"], "audience": {"contact_ids": ids},
                   "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
        )
        .await,
        201,
    )
    .await;
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
    let done = wait_status(&app, &v, &id, "completed").await;
    assert_eq!(done["counts"]["sent"], 2, "{done}");
    assert_eq!(done["counts"]["failed"], 0, "{done}");
    let r = recipients(&app, &v, &id).await;
    let by_phone: HashMap<String, &Value> = r
        .iter()
        .map(|x| (digits(x["phone"].as_str().unwrap()), x))
        .collect();
    assert_eq!(by_phone[&open]["used_template"], false);
    assert_eq!(by_phone[&open]["provider_message_id"], "wamid.TEXT0");
    assert_eq!(by_phone[&closed]["used_template"], true);
    assert_eq!(by_phone[&closed]["provider_message_id"], "wamid.TPL1");
    assert_eq!(
        by_phone[&closed]["attempts"], 1,
        "the fallback is not a retry"
    );

    // The template request carries the mapping and the rendered parameters.
    let reqs = graph.received_requests().await.unwrap();
    let bodies: Vec<Value> = reqs.iter().map(|r| r.body_json().unwrap()).collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    let tpl: Vec<&Value> = bodies.iter().filter(|b| b["type"] == "template").collect();
    assert_eq!(tpl.len(), 1);
    assert_eq!(tpl[0]["to"], closed.as_str());
    assert_eq!(tpl[0]["template"]["name"], "promo_akhir_tahun");
    assert_eq!(tpl[0]["template"]["language"]["code"], "id");
    let params = &tpl[0]["template"]["components"][0]["parameters"];
    assert_eq!(params[0]["text"], "Pelanggan");
    assert_eq!(params[1]["text"], "Kota1");

    // Without a mapping there is nothing to fall back to: the row fails
    // with the provider's error and the closed window is not retried.
    let plain = template(&app, &v, "plain", "Halo {name}").await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "plain", "template_id": plain, "audience": {"contact_ids": [ids[1]]},
                   "devices": [{"device_id": d, "rate_per_minute": 6000}]}),
        )
        .await,
        201,
    )
    .await;
    let pid = c["id"].as_str().unwrap().to_owned();
    data(
        app.post(
            &format!("/api/v1/campaigns/{pid}/start"),
            &v.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let done = wait_status(&app, &v, &pid, "completed").await;
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    let r = recipients(&app, &v, &pid).await;
    assert_eq!(r[0]["used_template"], false);
    assert_eq!(r[0]["attempts"], 1);
    assert!(
        r[0]["error"].as_str().unwrap().contains("24 hours"),
        "{}",
        r[0]["error"]
    );
    assert_eq!(graph.received_requests().await.unwrap().len(), 4);
    app.stop().await;
}
both_dbs!(cloud_window_error_falls_back_to_template);

async fn vendor_top_keywords(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = vendor(&app, "Toko Kata").await;
    let other = vendor(&app, "Toko Lain").await;
    let jkt = chrono_tz::Asia::Jakarta;
    let today = chrono::Utc::now().with_timezone(&jkt).date_naive();
    let day = |back: i64| {
        (today - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    };
    // What the bots record (migration 0103): hits per vendor-local day and rule.
    let rows: [(&str, String, &str, i64); 8] = [
        (&v.tenant_id, day(0), "harga", 5),
        (&v.tenant_id, day(1), "harga", 4),
        (&v.tenant_id, day(0), "ongkir", 7),
        (&v.tenant_id, day(3), "alamat", 2),
        (&v.tenant_id, day(29), "jam-buka", 1),
        // Outside a 30-day period.
        (&v.tenant_id, day(30), "promo", 100),
        // Another vendor's hits never show.
        (&other.tenant_id, day(0), "rahasia", 50),
        (&v.tenant_id, day(2), "ongkir", 1),
    ];
    for (t, d, k, n) in &rows {
        sqlx::query(
            "INSERT INTO bot_keyword_hits (tenant_id, day, keyword, hits) VALUES ($1, $2, $3, $4)",
        )
        .bind(*t)
        .bind(d)
        .bind(*k)
        .bind(*n)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let kw = |o: &Value| -> Vec<(String, i64)> {
        o["top_keywords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["keyword"].as_str().unwrap().to_owned(),
                    k["hits"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let o = data(
        app.get(
            "/api/v1/analytics/overview?days=30&time_zone=Asia/Jakarta",
            &v.token,
        )
        .await,
        200,
    )
    .await;
    let s = |k: &str, n: i64| (k.to_owned(), n);
    assert_eq!(
        kw(&o),
        vec![
            s("harga", 9),
            s("ongkir", 8),
            s("alamat", 2),
            s("jam-buka", 1)
        ]
    );
    let o = data(
        app.get("/api/v1/analytics/overview?days=1&top=1", &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(kw(&o), vec![s("ongkir", 7)]);
    let o = data(
        app.get("/api/v1/analytics/overview?days=31&top=2", &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(kw(&o), vec![s("promo", 100), s("harga", 9)]);
    let bad = app.get("/api/v1/analytics/overview?top=0", &v.token).await;
    assert_eq!(error_code(bad, 400).await, "invalid_top");

    // Exports: CSV has the keyword table after the days; XLSX a second sheet.
    let res = app
        .get(
            "/api/v1/analytics/overview/export?days=7&format=csv",
            &v.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let (days, keywords) = csv.split_once("\n\n").expect("two tables");
    assert!(days.starts_with("date,messages_in,"), "{csv}");
    assert_eq!(days.lines().count(), 1 + 7 + 1, "header, 7 days, total");
    assert_eq!(keywords, "keyword,hits\nharga,9\nongkir,8\nalamat,2\n");
    let res = app
        .get(
            "/api/v1/analytics/overview/export?days=7&format=xlsx",
            &v.token,
        )
        .await;
    let bytes = res.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range("Kata kunci").unwrap();
    assert_eq!(sheet.height(), 4);
    assert_eq!(sheet.get((1, 0)).unwrap().to_string(), "harga");
    assert_eq!(sheet.get((1, 1)).unwrap().to_string(), "9");
    app.stop().await;
}
both_dbs!(vendor_top_keywords);
