//! Fonnte and generic gateway clients against wiremock.

use std::collections::HashMap;

use serde_json::json;
use whatsapp_client::fonnte::{Fonnte, SendOptions};
use whatsapp_client::gateway::{Gateway, NumberFormat};
use whatsapp_client::{
    ApiErrorKind, Error, MediaSource, OutgoingMessage, Paced, PacingConfig, PhoneNumber, Provider,
    Recipient, ReplyButton, RetryPolicy, Retrying,
};
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "fonnte-device-token";

async fn strict_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all: no unexpected requests")
        .mount(&server)
        .await;
    server
}

fn to() -> PhoneNumber {
    PhoneNumber::parse("0812 3456 7890").unwrap()
}

fn form(req: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

/// Matches a form body with exactly these fields.
fn form_is(expected: &[(&str, &str)]) -> impl Fn(&Request) -> bool + Send + Sync + 'static {
    let expected: HashMap<String, String> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |req: &Request| form(req) == expected
}

fn fonnte(server: &MockServer) -> Fonnte {
    Fonnte::new(TOKEN).with_base_url(&server.uri()).unwrap()
}

fn fonnte_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "detail": "success! message in queue",
        "id": ["80367170"],
        "process": "pending",
        "requestid": 2937124,
        "status": true,
        "target": ["6281234567890"]
    }))
}

#[tokio::test]
async fn fonnte_sends_text_with_raw_token_header() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/send"))
        .and(header("authorization", TOKEN))
        .and(form_is(&[
            ("target", "6281234567890"),
            ("countryCode", "0"),
            ("message", "Halo kak"),
        ]))
        .respond_with(fonnte_ok())
        .expect(1)
        .mount(&server)
        .await;
    let r = fonnte(&server)
        .send(&to(), &OutgoingMessage::text("Halo kak"))
        .await
        .unwrap();
    assert_eq!(r.message_id.as_deref(), Some("80367170"));
}

#[tokio::test]
async fn fonnte_sends_media_location_and_options() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/send"))
        .and(form_is(&[
            ("target", "6281234567890"),
            ("countryCode", "0"),
            ("url", "https://cdn.example/nota.pdf"),
            ("message", "Nota Anda"),
            ("filename", "nota.pdf"),
            ("schedule", "1700000000"),
            ("delay", "1-5"),
            ("typing", "true"),
        ]))
        .respond_with(fonnte_ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/send"))
        .and(form_is(&[
            ("target", "6281234567890"),
            ("countryCode", "0"),
            ("location", "-7.983908,112.621391"),
            ("message", "Toko Budi"),
        ]))
        .respond_with(fonnte_ok())
        .expect(1)
        .mount(&server)
        .await;
    let f = fonnte(&server);
    let doc = OutgoingMessage::document(MediaSource::link("https://cdn.example/nota.pdf"))
        .with_caption("Nota Anda")
        .with_filename("nota.pdf");
    let opts = SendOptions::default()
        .schedule(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap())
        .delay("1-5")
        .typing(true);
    f.send_with(&to(), &doc, &opts).await.unwrap();
    let OutgoingMessage::Location(loc) = OutgoingMessage::location(-7.983908, 112.621391) else {
        panic!()
    };
    let loc = OutgoingMessage::Location(loc).reply_to("ignored-by-location?");
    // Replies cannot be expressed in Fonnte: refused, not downgraded.
    assert!(matches!(
        f.send(&to(), &loc).await,
        Err(Error::Unsupported {
            provider: "fonnte",
            kind: "reply"
        })
    ));
    let mut plain = whatsapp_client::LocationMessage::new(-7.983908, 112.621391);
    plain.name = Some("Toko Budi".into());
    f.send(&to(), &plain.into()).await.unwrap();
}

#[tokio::test]
async fn fonnte_refuses_what_it_cannot_send() {
    let server = strict_server().await; // any request fails the test
    let f = fonnte(&server);
    let cases = [
        (OutgoingMessage::template("promo", "id"), "template"),
        (
            OutgoingMessage::buttons("?", vec![ReplyButton::new("a", "A")]),
            "interactive_buttons",
        ),
        (OutgoingMessage::reaction("wamid.X", "👍"), "reaction"),
        (OutgoingMessage::image(MediaSource::id("123")), "media_id"),
        (
            OutgoingMessage::sticker(MediaSource::link("https://x/s.webp")),
            "sticker",
        ),
    ];
    for (msg, kind) in cases {
        let err = f.send(&to(), &msg).await.unwrap_err();
        assert!(
            matches!(err, Error::Unsupported { provider: "fonnte", kind: k } if k == kind),
            "{kind}: {err:?}"
        );
    }
}

#[tokio::test]
async fn phone_only_providers_refuse_a_user_id_recipient_before_any_request() {
    let server = strict_server().await; // any request fails the test
    Mock::given(method("POST"))
        .and(path("/send"))
        .respond_with(fonnte_ok())
        .expect(1)
        .mount(&server)
        .await;
    let user = Recipient::parse("ID.1502576394655843").unwrap();
    let text = OutgoingMessage::text("Halo");
    let gateway = Gateway::new(
        &format!("{}/api/send-message", server.uri()),
        "x-api-key",
        "gw-secret",
    )
    .unwrap();
    // Wrapped as a server wraps a device's provider: the refusal passes
    // through pacing and is not retried.
    let providers: [(&str, Box<dyn Provider>); 3] = [
        ("fonnte", Box::new(fonnte(&server))),
        ("gateway", Box::new(gateway)),
        (
            "fonnte",
            Box::new(Retrying::new(
                Paced::new(fonnte(&server), &PacingConfig::cloud_api()),
                RetryPolicy::default(),
            )),
        ),
    ];
    for (kind, p) in &providers {
        let err = p.send_to(&user, &text).await.unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedRecipient { provider, recipient: "user_id" } if provider == *kind),
            "{kind}: {err:?}"
        );
        assert!(!err.is_retryable());
        assert_eq!(
            err.to_string(),
            format!("provider {kind} cannot send to a user_id recipient")
        );
    }
    // A phone number still goes out through `send_to`.
    fonnte(&server)
        .send_to(&Recipient::from(to()), &text)
        .await
        .unwrap();
}

#[tokio::test]
async fn fonnte_status_false_is_a_typed_error() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/send"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "reason": "token invalid", "status": false })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = fonnte(&server)
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.provider, "fonnte");
    assert_eq!(api.message, "token invalid");
    assert_eq!(api.kind, ApiErrorKind::Unauthorized);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn fonnte_device_info() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/device"))
        .and(header("authorization", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "device": "6282227097005", "device_status": "connect", "expired": "18 November 2029",
            "messages": 16785, "name": "Fonnte admin", "package": "Reguler", "quota": "78", "status": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let d = fonnte(&server).device().await.unwrap();
    assert!(d.connected);
    assert_eq!(d.device, "6282227097005");
    assert_eq!(d.quota.as_deref(), Some("78"));
    assert!(!format!("{:?}", fonnte(&server)).contains(TOKEN));
}

#[tokio::test]
async fn fonnte_non_json_failure_keeps_body() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .mount(&server)
        .await;
    let err = fonnte(&server)
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.status, 503);
    assert_eq!(api.message, "maintenance");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn gateway_posts_number_and_message() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/api/send-message"))
        .and(header("x-api-key", "gw-secret"))
        .and(body_json(
            json!({ "number": "081234567890", "message": "Halo" }),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "status": true, "data": { "id": "3EB0ABC" } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let gw = Gateway::new(
        &format!("{}/api/send-message", server.uri()),
        "x-api-key",
        "gw-secret",
    )
    .unwrap()
    .with_number_format(NumberFormat::NationalId);
    let r = gw
        .send(&to(), &OutgoingMessage::text("Halo"))
        .await
        .unwrap();
    assert_eq!(r.message_id.as_deref(), Some("3EB0ABC"));
    assert!(!format!("{gw:?}").contains("gw-secret"));
    let err = gw
        .send(
            &to(),
            &OutgoingMessage::image(MediaSource::link("https://x/y.jpg")),
        )
        .await;
    assert!(matches!(
        err,
        Err(Error::Unsupported {
            provider: "gateway",
            kind: "image"
        })
    ));
}

#[tokio::test]
async fn gateway_errors() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/down"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({ "error": "session closed" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/soft-fail"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "status": false, "message": "number not on WhatsApp" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let down = Gateway::new(&format!("{}/down", server.uri()), "Authorization", "t").unwrap();
    let err = down
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    assert_eq!(err.as_api().unwrap().message, "session closed");
    assert!(err.is_retryable());
    let soft = Gateway::new(&format!("{}/soft-fail", server.uri()), "Authorization", "t").unwrap();
    let err = soft
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    assert_eq!(err.as_api().unwrap().message, "number not on WhatsApp");
    assert!(!err.is_retryable());
    assert!(Gateway::new("http://x", "bad header", "t").is_err());
    assert!(Gateway::new("http://x", "apikey", "bad\ntoken").is_err());
}

#[tokio::test]
async fn connection_refused_is_a_retryable_transport_error() {
    // Bind then drop a listener to get a port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gw = Gateway::new(&format!("http://127.0.0.1:{port}/send"), "apikey", "t").unwrap();
    let err = gw
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport(ref t) if t.is_connect()),
        "{err:?}"
    );
    assert!(err.is_retryable());
}
