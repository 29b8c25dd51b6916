//! Delivery channels: WhatsApp (recording provider and the Cloud API on a
//! mock server), Twilio SMS (mock server), and the fallback combinator.
#![cfg(all(feature = "whatsapp", feature = "twilio"))]

use std::time::Duration;

use otp::channel::{Fallback, SmsChannel, TwilioSender, TwilioSms, WhatsAppChannel};
use otp::testing::RecordingChannel;
use otp::{
    Channel, DeliveryError, Destination, InvalidRequest, IssueRequest, Locale, MemoryStore,
    Messages, Otp, OtpError, OtpSecret, Purpose,
};
use serde_json::{Value, json};
use whatsapp_client::cloud::CloudApi;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::{
    ApiError, OutgoingMessage, PhoneNumber, TemplateComponent, TemplateParameter,
};
use wiremock::matchers::{any, basic_auth, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "twilio-auth-token-do-not-log";

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn engine(channel: impl Channel + 'static) -> Otp {
    Otp::builder(
        OtpSecret::new([9u8; 32]).unwrap(),
        MemoryStore::new(),
        channel,
    )
    .messages(Messages::new("TokoKu"))
    .build()
    .unwrap()
}

fn user_number() -> PhoneNumber {
    PhoneNumber::parse("0812-3456-7890").unwrap()
}

/// Fails the test if a request reaches the server that no mock expects.
async fn strict_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(&server)
        .await;
    server
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// ------------------------------------------------------------------ WhatsApp

#[tokio::test]
async fn whatsapp_text_mode_sends_the_indonesian_text_and_the_code_verifies() {
    let provider = RecordingProvider::new();
    let otp = engine(WhatsAppChannel::text(provider.clone()));
    let to = Destination::from(user_number());
    assert_eq!(to.as_phone_e164(), Some("+6281234567890"));
    let issued = otp
        .issue(IssueRequest::new(Purpose::REGISTER, to))
        .await
        .unwrap();
    let sent = provider.last().unwrap();
    assert_eq!(sent.to, user_number());
    let text = sent.message.as_text().unwrap().to_owned();
    let code = &text[..6];
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        &text[6..],
        " adalah kode verifikasi pendaftaran TokoKu Anda. Berlaku 5 menit. Jangan berikan kode ini kepada siapa pun."
    );
    let outcome = otp
        .verify(&Purpose::REGISTER, &issued.challenge_id, code)
        .await
        .unwrap();
    assert_eq!(
        outcome.verified().unwrap().destination,
        Destination::phone(&user_number())
    );
}

#[tokio::test]
async fn whatsapp_template_mode_puts_the_code_in_body_and_button() {
    let provider = RecordingProvider::new();
    let channel = WhatsAppChannel::authentication_template(provider.clone(), "kode_otp")
        .with_language(Locale::English, "en_US");
    let otp = engine(channel);
    for (locale, language) in [(Locale::Indonesian, "id"), (Locale::English, "en_US")] {
        let number = if locale == Locale::English {
            "+6281200000002"
        } else {
            "+6281200000001"
        };
        let to = Destination::phone_e164(number).unwrap();
        otp.issue(IssueRequest::new(Purpose::LOGIN, to).locale(locale))
            .await
            .unwrap();
        let OutgoingMessage::Template(t) = provider.last().unwrap().message else {
            panic!("expected a template");
        };
        assert_eq!(t.name, "kode_otp");
        assert_eq!(t.language, language);
        let [
            TemplateComponent::Body { parameters: body },
            TemplateComponent::Button {
                sub_type,
                index,
                parameters: button,
            },
        ] = t.components.as_slice()
        else {
            panic!("unexpected components {:?}", t.components);
        };
        assert_eq!((sub_type.as_str(), *index), ("url", 0));
        let [TemplateParameter::Text { text: code }] = body.as_slice() else {
            panic!()
        };
        assert_eq!(code.len(), 6);
        assert_eq!(button, body);
    }
}

#[tokio::test]
async fn whatsapp_template_without_button() {
    let provider = RecordingProvider::new();
    let otp =
        engine(WhatsAppChannel::authentication_template(provider.clone(), "t").without_button());
    otp.issue(IssueRequest::new(Purpose::LOGIN, user_number().into()))
        .await
        .unwrap();
    let OutgoingMessage::Template(t) = provider.last().unwrap().message else {
        panic!()
    };
    assert_eq!(t.components.len(), 1);
}

#[tokio::test]
async fn whatsapp_errors_become_typed_delivery_errors() {
    let provider = RecordingProvider::with_kind("cloud_api");
    let limited = ApiError::new("cloud_api", 429, "rate limited")
        .with_cloud_code(130429, None)
        .with_retry_after(Some(Duration::from_secs(7)));
    provider.fail_next(1, whatsapp_client::Error::Api(limited));
    let otp = engine(WhatsAppChannel::text(provider.clone()));
    let err = otp
        .issue(IssueRequest::new(Purpose::LOGIN, user_number().into()))
        .await
        .unwrap_err();
    let OtpError::Delivery(DeliveryError::Rejected {
        provider: p,
        status,
        code,
        retryable,
        retry_after,
        ..
    }) = &err
    else {
        panic!("unexpected {err:?}");
    };
    assert_eq!(
        (*p, *status, code.as_deref()),
        ("cloud_api", Some(429), Some("130429"))
    );
    assert!(*retryable);
    assert_eq!(*retry_after, Some(Duration::from_secs(7)));
    assert_eq!(err.http_status(), 503);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));

    let provider = RecordingProvider::new();
    provider.fail_next(
        1,
        whatsapp_client::Error::Api(ApiError::new("fonnte", 400, "bad token")),
    );
    let otp = engine(WhatsAppChannel::text(provider));
    let err = otp
        .issue(IssueRequest::new(Purpose::LOGIN, user_number().into()))
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), 502, "{err:?}");
}

#[tokio::test]
async fn whatsapp_refuses_email_destinations_before_counting() {
    let otp = engine(WhatsAppChannel::text(RecordingProvider::new()));
    let err = otp
        .issue(IssueRequest::new(
            Purpose::LOGIN,
            Destination::email("a@b.co").unwrap(),
        ))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        OtpError::InvalidRequest(InvalidRequest::UnsupportedDestination {
            channel: "whatsapp"
        })
    ));
    assert_eq!(
        err.user_message(Locale::English),
        "This number or address cannot receive codes."
    );
}

#[tokio::test]
async fn whatsapp_cloud_api_on_a_mock_server_receives_the_authentication_template() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/1234567890/messages"))
        .and(header("authorization", "Bearer cloud-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": "6281234567890", "wa_id": "6281234567890" }],
            "messages": [{ "id": "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjQ1" }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let cloud = CloudApi::new("1234567890", "cloud-token")
        .with_base_url(&server.uri())
        .unwrap();
    let otp = engine(WhatsAppChannel::authentication_template(cloud, "auth_code"));
    let issued = otp
        .issue(IssueRequest::new(Purpose::LOGIN, user_number().into()))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["type"], "template");
    assert_eq!(body["template"]["name"], "auth_code");
    assert_eq!(body["template"]["language"]["code"], "id");
    let components = &body["template"]["components"];
    assert_eq!(components[1]["type"], "button");
    assert_eq!(components[1]["sub_type"], "url");
    let code = components[0]["parameters"][0]["text"].as_str().unwrap();
    assert_eq!(components[1]["parameters"][0]["text"], code);
    assert!(
        otp.verify(&Purpose::LOGIN, &issued.challenge_id, code)
            .await
            .unwrap()
            .is_verified()
    );
}

// -------------------------------------------------------------------- Twilio

fn twilio(server: &MockServer, sender: TwilioSender) -> TwilioSms {
    TwilioSms::new(SID, TOKEN, sender).with_base_url(url::Url::parse(&server.uri()).unwrap())
}

fn messages_path() -> String {
    format!("/2010-04-01/Accounts/{SID}/Messages.json")
}

#[tokio::test]
async fn twilio_sends_a_form_with_basic_auth_and_the_code_verifies() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .and(basic_auth(SID, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("twilio_message_created.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let otp = engine(SmsChannel::new(twilio(
        &server,
        TwilioSender::From("+15005550006".into()),
    )));
    let issued = otp
        .issue(
            IssueRequest::new(Purpose::PASSWORD_RESET, user_number().into())
                .locale(Locale::English),
        )
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let form = form(&requests[0].body);
    assert_eq!(field(&form, "To"), Some("+6281234567890"));
    assert_eq!(field(&form, "From"), Some("+15005550006"));
    assert_eq!(field(&form, "MessagingServiceSid"), None);
    let body = field(&form, "Body").unwrap();
    assert!(
        body.contains("is your TokoKu password reset code"),
        "{body}"
    );
    let code = &body[..6];
    assert!(
        otp.verify(&Purpose::PASSWORD_RESET, &issued.challenge_id, code)
            .await
            .unwrap()
            .is_verified()
    );
}

#[tokio::test]
async fn twilio_messaging_service_sender() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("twilio_message_created.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sms = SmsChannel::new(twilio(
        &server,
        TwilioSender::MessagingService("MG00000000000000000000000000000001".into()),
    ));
    engine(sms)
        .issue(IssueRequest::new(Purpose::LOGIN, user_number().into()))
        .await
        .unwrap();
    let form = form(&server.received_requests().await.unwrap()[0].body);
    assert_eq!(
        field(&form, "MessagingServiceSid"),
        Some("MG00000000000000000000000000000001")
    );
    assert_eq!(field(&form, "From"), None);
}

#[tokio::test]
async fn twilio_invalid_number_is_a_terminal_error_with_code() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(fixture("twilio_error_21211.json")))
        .mount(&server)
        .await;
    let sms = twilio(&server, TwilioSender::From("+15005550006".into()));
    let err = otp::channel::SmsSender::send_sms(&sms, "+6281234567890", "x")
        .await
        .unwrap_err();
    match &err {
        DeliveryError::Rejected {
            provider,
            status,
            code,
            message,
            retryable,
            ..
        } => {
            assert_eq!(
                (*provider, *status, code.as_deref()),
                ("twilio", Some(400), Some("21211"))
            );
            assert!(message.contains("is not a valid phone number"));
            assert!(!retryable);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn twilio_rate_limit_is_retryable_with_retry_after() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3")
                .set_body_json(fixture("twilio_error_20429.json")),
        )
        .mount(&server)
        .await;
    let sms = twilio(&server, TwilioSender::From("+15005550006".into()));
    let err = otp::channel::SmsSender::send_sms(&sms, "+6281234567890", "x")
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
}

#[tokio::test]
async fn twilio_server_error_keeps_the_raw_body() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(&server)
        .await;
    let sms = twilio(&server, TwilioSender::From("+15005550006".into()));
    let err = otp::channel::SmsSender::send_sms(&sms, "+6281234567890", "x")
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert!(err.to_string().contains("upstream unavailable"), "{err}");
}

#[tokio::test]
async fn twilio_unreachable_is_a_transport_error() {
    // A port nothing listens on: bind, note the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let sms = TwilioSms::new(SID, TOKEN, TwilioSender::From("+15005550006".into()))
        .with_base_url(url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap());
    let err = otp::channel::SmsSender::send_sms(&sms, "+6281234567890", "x")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DeliveryError::Transport {
                provider: "twilio",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{sms:?}").contains(TOKEN));
}

// ------------------------------------------------------------------ Fallback

#[tokio::test]
async fn fallback_uses_sms_when_whatsapp_fails() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("twilio_message_created.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let provider = RecordingProvider::new();
    provider.fail_next(
        1,
        whatsapp_client::Error::Api(
            ApiError::new("cloud_api", 400, "not on WhatsApp").with_cloud_code(131026, None),
        ),
    );
    let channel = Fallback::new(
        WhatsAppChannel::text(provider.clone()),
        SmsChannel::new(twilio(&server, TwilioSender::From("+15005550006".into()))),
    );
    let otp = engine(channel);
    otp.issue(IssueRequest::new(Purpose::LOGIN, user_number().into()))
        .await
        .unwrap();
    assert_eq!(provider.attempts(), 1);
    assert!(provider.sent().is_empty());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn fallback_routes_by_destination_kind() {
    let everything = RecordingChannel::new();
    let channel = Fallback::new(
        WhatsAppChannel::text(RecordingProvider::new()),
        everything.clone(),
    );
    assert!(channel.supports(&Destination::email("a@b.co").unwrap()));
    let otp = engine(channel);
    otp.issue(IssueRequest::new(
        Purpose::LOGIN,
        Destination::email("a@b.co").unwrap(),
    ))
    .await
    .unwrap();
    assert_eq!(everything.sent().len(), 1);

    // Neither supports: a clear typed refusal.
    let only_phones = Fallback::new(
        WhatsAppChannel::text(RecordingProvider::new()),
        SmsChannel::new(TwilioSms::new(SID, TOKEN, TwilioSender::From("+1".into()))),
    );
    assert!(!only_phones.supports(&Destination::email("a@b.co").unwrap()));
}
