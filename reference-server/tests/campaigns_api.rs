//! Templates and campaigns over HTTP on SQLite and PostgreSQL, sending
//! through simulator devices (and a wiremock gateway for retries).
#![allow(clippy::unwrap_used, missing_docs)]

mod campaigns_support;
mod common;

use std::collections::HashMap;

use campaigns_support::{
    Vendor, device, eventually, phone, sim_device, sim_sent, vendor, vendor_with_limits,
};
use common::{DbKind, TestApp, data, error_code, spawn_app};
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
            200,
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
        200,
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

    let res = app
        .post(
            "/api/v1/templates",
            &v.token,
            json!({"name": "x", "body": "Halo {name},\n{Promo|Diskon} {alamat}"}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_variable");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("line 2, column 16") && msg.contains("{alamat}"),
        "{msg}"
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
            .contains("line 1, column 6"),
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
    reference_server::contacts::mark_opted_out(&app.state.pool, &v.tenant_id, &phone(29))
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
        200,
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
        200,
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
            data(app.post("/api/v1/campaigns", &v.token, body).await, 200).await["id"]
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
        200,
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
        200,
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
        200,
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
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(json!({"status": true, "id": "gw-1"})),
        )
        .mount(&gw)
        .await;
    let gd = device(&app, &v, json!({"kind": "gateway", "url": format!("{}/send", gw.uri()), "header_name": "x-api-key", "token": "rahasia"})).await;
    let c = data(
        app.post(
            "/api/v1/campaigns",
            &v.token,
            json!({"name": "retry", "template_id": tid, "audience": {"contact_ids": [ids[1]]}, "devices": [{"device_id": gd}]}),
        )
        .await,
        200,
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
