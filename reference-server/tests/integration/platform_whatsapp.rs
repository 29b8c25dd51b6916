//! The platform's own WhatsApp number on a real provider: sign-up codes go
//! out through a (mock) Cloud API or Fonnte instead of the simulator, a
//! transient provider error is retried, and a missing setting stops the
//! start with the setting's name.

use crate::common;

use common::{DbKind, data, find_code, spawn_app_with, unique_whatsapp};
use reference_server::Config;
use reference_server::config::PlatformProvider;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PNID: &str = "109876543210";
const TOKEN: &str = "EAAG-platform-token";

/// A mock that answers 404 to anything no other mock claimed, so an
/// unexpected request fails the test loudly.
async fn strict_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(404).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

fn cloud_sent(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": "6281200000000", "wa_id": "6281200000000" }],
        "messages": [{ "id": id }]
    }))
}

fn cloud_platform(server: &MockServer) -> impl FnOnce(&mut Config) {
    let base = server.uri();
    move |c: &mut Config| {
        let p = &mut c.platform_whatsapp;
        p.provider = PlatformProvider::CloudApi;
        p.phone_number_id = Some(PNID.to_owned());
        p.access_token = Some(SecretString::from(TOKEN));
        p.base_url = Some(base);
    }
}

/// Signs up through the API, reading the code from what reached the mock
/// provider; returns the verified session.
async fn signup_with_code_from(
    app: &common::TestApp,
    server: &MockServer,
    code_of: impl Fn(&wiremock::Request) -> Option<String>,
) -> Value {
    let whatsapp = unique_whatsapp();
    let sent = data(
        app.post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": "Toko Nyata", "name": "Budi",
                   "email": format!("budi{}@nyata.test", &whatsapp[1..]),
                   "whatsapp": whatsapp, "password": "rahasia-123"}),
        )
        .await,
        200,
    )
    .await;
    let requests = server.received_requests().await.unwrap();
    let code = requests
        .iter()
        .rev()
        .find_map(&code_of)
        .expect("the provider received a code");
    data(
        app.post_anon(
            "/api/v1/auth/signup/verify",
            json!({"challenge_id": sent["challenge_id"], "code": code}),
        )
        .await,
        200,
    )
    .await
}

async fn signup_code_over_cloud_api(kind: DbKind) {
    let server = strict_server().await;
    // The first try fails with a transient error; the sender retries.
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "error": {"message": "Service temporarily unavailable", "type": "OAuthException", "code": 2}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(cloud_sent("wamid.PLATFORM1"))
        .with_priority(2)
        .mount(&server)
        .await;
    let app = spawn_app_with(kind, cloud_platform(&server)).await;
    let verified = signup_with_code_from(&app, &server, |r| {
        let body: Value = serde_json::from_slice(&r.body).ok()?;
        assert_eq!(body["messaging_product"], "whatsapp");
        find_code(body["text"]["body"].as_str()?)
    })
    .await;
    let token = verified["session"]["token"].as_str().unwrap();
    let me = data(app.get("/api/v1/me", token).await, 200).await;
    assert_eq!(me["role"], "owner");
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method == wiremock::http::Method::POST)
        .count();
    assert_eq!(posts, 2, "one failed try and one retry");
    // Nothing went to the simulator.
    let sim = reference_server::simulator::list(&app.state.pool, None, None, None, 10)
        .await
        .unwrap();
    assert!(sim.is_empty(), "{sim:?}");
}
both_dbs!(signup_code_over_cloud_api);

async fn signup_code_over_fonnte(kind: DbKind) {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/send"))
        .and(header("authorization", "fonnte-platform-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "detail": "success! message in queue", "id": ["80367170"],
            "process": "pending", "status": true, "target": ["6281200000000"]
        })))
        .mount(&server)
        .await;
    let base = server.uri();
    let app = spawn_app_with(kind, move |c| {
        c.platform_whatsapp.provider = PlatformProvider::Fonnte;
        c.platform_whatsapp.token = Some(SecretString::from("fonnte-platform-token"));
        c.platform_whatsapp.base_url = Some(base);
    })
    .await;
    let verified = signup_with_code_from(&app, &server, |r| {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&r.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let message = form.iter().find(|(k, _)| k == "message")?;
        find_code(&message.1)
    })
    .await;
    assert!(verified["session"]["token"].is_string());
}
both_dbs!(signup_code_over_fonnte);

#[tokio::test]
async fn missing_platform_token_stops_the_start_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(dir.path());
    config.platform_whatsapp.provider = PlatformProvider::CloudApi;
    config.platform_whatsapp.phone_number_id = Some(PNID.to_owned());
    let err = reference_server::build_state(config).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("platform WhatsApp") && text.contains("access_token"),
        "{text}"
    );
}
