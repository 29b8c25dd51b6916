//! Cloud API client against a wiremock server using the documented shapes.

use serde_json::{Value, json};
use whatsapp_client::cloud::CloudApi;
use whatsapp_client::{
    ApiErrorKind, Contact, Error, InvalidMessage, ListRow, ListSection, MediaSource,
    OutgoingMessage, PhoneNumber, Provider, Recipient, ReplyButton, TemplateComponent,
    TemplateMessage, TemplateParameter, TextMessage,
};
use wiremock::matchers::{any, body_json, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "EAAG-test-token";
const PNID: &str = "106540352242922";

/// A server whose unmatched requests fail the test when it is dropped.
async fn strict_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all: no unexpected requests")
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> CloudApi {
    CloudApi::new(PNID, TOKEN)
        .with_base_url(&server.uri())
        .unwrap()
        .with_version("v23.0")
}

fn to() -> PhoneNumber {
    PhoneNumber::parse("0812-3456-7890").unwrap()
}

fn sent_ok(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": "6281234567890", "wa_id": "6281234567890" }],
        "messages": [{ "id": id, "message_status": "accepted" }]
    }))
}

async fn expect_body(server: &MockServer, body: Value, id: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(body))
        .respond_with(sent_ok(id))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn sends_text_with_preview_and_reply() {
    let server = strict_server().await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "6281234567890",
            "type": "text",
            "text": { "body": "Cek https://toko.example", "preview_url": true },
            "context": { "message_id": "wamid.IN" }
        }),
        "wamid.OUT1",
    )
    .await;
    let msg: OutgoingMessage = TextMessage::new("Cek https://toko.example")
        .preview_url(true)
        .into();
    let receipt = client(&server)
        .send(&to(), &msg.reply_to("wamid.IN"))
        .await
        .unwrap();
    assert_eq!(receipt.message_id.as_deref(), Some("wamid.OUT1"));
}

#[tokio::test]
async fn sends_media_by_link_and_id() {
    let server = strict_server().await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "document",
            "document": { "id": "1003383421387256", "caption": "Invoice", "filename": "inv.pdf" }
        }),
        "wamid.DOC",
    )
    .await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "audio",
            "audio": { "link": "https://cdn.example/a.ogg" }
        }),
        "wamid.AUDIO",
    )
    .await;
    let api = client(&server);
    let doc = OutgoingMessage::document(MediaSource::id("1003383421387256"))
        .with_caption("Invoice")
        .with_filename("inv.pdf");
    assert_eq!(
        api.send(&to(), &doc).await.unwrap().message_id.as_deref(),
        Some("wamid.DOC")
    );
    // Audio has no caption in the Cloud API; it is not sent.
    let audio =
        OutgoingMessage::audio(MediaSource::link("https://cdn.example/a.ogg")).with_caption("x");
    assert_eq!(
        api.send(&to(), &audio).await.unwrap().message_id.as_deref(),
        Some("wamid.AUDIO")
    );
}

#[tokio::test]
async fn sends_template_with_parameters() {
    let server = strict_server().await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "template",
            "template": {
                "name": "order_shipped",
                "language": { "code": "id" },
                "components": [
                    { "type": "header", "parameters": [
                        { "type": "image", "image": { "link": "https://cdn.example/h.jpg" } } ] },
                    { "type": "body", "parameters": [
                        { "type": "text", "text": "Budi" },
                        { "type": "currency", "currency": { "fallback_value": "Rp150.000", "code": "IDR", "amount_1000": 150_000_000 } } ] },
                    { "type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [
                        { "type": "payload", "payload": "TRACK" } ] }
                ]
            }
        }),
        "wamid.TPL",
    )
    .await;
    let tpl = TemplateMessage::new("order_shipped", "id")
        .with_component(TemplateComponent::Header {
            parameters: vec![TemplateParameter::Image {
                source: MediaSource::link("https://cdn.example/h.jpg"),
            }],
        })
        .with_component(TemplateComponent::Body {
            parameters: vec![
                TemplateParameter::text("Budi"),
                TemplateParameter::Currency {
                    fallback_value: "Rp150.000".into(),
                    code: "IDR".into(),
                    amount_1000: 150_000_000,
                },
            ],
        })
        .with_component(TemplateComponent::Button {
            sub_type: "quick_reply".into(),
            index: 0,
            parameters: vec![TemplateParameter::Payload {
                payload: "TRACK".into(),
            }],
        });
    let r = client(&server).send(&to(), &tpl.into()).await.unwrap();
    assert_eq!(r.message_id.as_deref(), Some("wamid.TPL"));
}

#[tokio::test]
async fn sends_interactive_buttons_and_list() {
    let server = strict_server().await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": { "text": "Lanjut bayar?" },
                "footer": { "text": "Toko Budi" },
                "action": { "buttons": [
                    { "type": "reply", "reply": { "id": "yes", "title": "Ya" } },
                    { "type": "reply", "reply": { "id": "no", "title": "Tidak" } } ] }
            }
        }),
        "wamid.BTN",
    )
    .await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": { "text": "Pilih kurir" },
                "action": { "button": "Kurir", "sections": [ { "title": "Reguler", "rows": [
                    { "id": "jne", "title": "JNE REG", "description": "2-3 hari" },
                    { "id": "jnt", "title": "J&T EZ" } ] } ] }
            }
        }),
        "wamid.LIST",
    )
    .await;
    let api = client(&server);
    let OutgoingMessage::Interactive(buttons) = OutgoingMessage::buttons(
        "Lanjut bayar?",
        vec![
            ReplyButton::new("yes", "Ya"),
            ReplyButton::new("no", "Tidak"),
        ],
    ) else {
        panic!()
    };
    let buttons = buttons.with_footer("Toko Budi");
    api.send(&to(), &buttons.into()).await.unwrap();
    let list = OutgoingMessage::list(
        "Pilih kurir",
        "Kurir",
        vec![ListSection::new(
            Some("Reguler".into()),
            vec![
                ListRow::new("jne", "JNE REG").with_description("2-3 hari"),
                ListRow::new("jnt", "J&T EZ"),
            ],
        )],
    );
    assert_eq!(
        api.send(&to(), &list).await.unwrap().message_id.as_deref(),
        Some("wamid.LIST")
    );
}

#[tokio::test]
async fn interactive_limits_are_checked_before_any_request() {
    let server = strict_server().await; // catch-all fails on any request
    let four = (0..4)
        .map(|i| ReplyButton::new(format!("b{i}"), "x"))
        .collect();
    let err = client(&server)
        .send(&to(), &OutgoingMessage::buttons("?", four))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidMessage(InvalidMessage::TooManyButtons { max: 3, got: 4 })
    ));
    let rows = (0..11)
        .map(|i| ListRow::new(format!("r{i}"), "x"))
        .collect();
    let list = OutgoingMessage::list("?", "open", vec![ListSection::new(None, rows)]);
    let err = client(&server).send(&to(), &list).await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidMessage(InvalidMessage::TooManyRows { max: 10, got: 11 })
    ));
}

#[tokio::test]
async fn sends_location_contacts_reaction() {
    let server = strict_server().await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "location",
            "location": { "latitude": -6.175392, "longitude": 106.827153, "name": "Monas", "address": "Jakarta" }
        }),
        "wamid.LOC",
    )
    .await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "contacts",
            "contacts": [{ "name": { "formatted_name": "CS Toko" },
                           "phones": [{ "phone": "+6281234567890", "wa_id": "6281234567890" }] }]
        }),
        "wamid.VCARD",
    )
    .await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "reaction",
            "reaction": { "message_id": "wamid.IN", "emoji": "🙏" }
        }),
        "wamid.REACT",
    )
    .await;
    let api = client(&server);
    let loc: OutgoingMessage = whatsapp_client::LocationMessage::new(-6.175392, 106.827153)
        .with_place("Monas", "Jakarta")
        .into();
    api.send(&to(), &loc).await.unwrap();
    api.send(
        &to(),
        &OutgoingMessage::contacts(vec![Contact::new("CS Toko", Some(&to()))]),
    )
    .await
    .unwrap();
    api.send(&to(), &OutgoingMessage::reaction("wamid.IN", "🙏"))
        .await
        .unwrap();
}

#[tokio::test]
async fn mark_as_read_with_typing_indicator() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.IN",
            "typing_indicator": { "type": "text" }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .mark_as_read("wamid.IN", true)
        .await
        .unwrap();
}

fn graph_error(status: u16, code: i32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": { "messaging_product": "whatsapp", "details": format!("details for {code}") },
            "fbtrace_id": "AbCdEf"
        }
    }))
}

#[tokio::test]
async fn errors_are_classified() {
    let cases: [(u16, i32, ApiErrorKind, bool); 8] = [
        (400, 131047, ApiErrorKind::NeedsTemplate, false),
        (401, 190, ApiErrorKind::Unauthorized, false),
        (400, 100, ApiErrorKind::InvalidRequest, false),
        (400, 368, ApiErrorKind::Blocked, false),
        (400, 131026, ApiErrorKind::Undeliverable, false),
        (429, 130429, ApiErrorKind::RateLimited, true),
        (400, 131056, ApiErrorKind::PairRateLimited, true),
        (500, 2, ApiErrorKind::Temporary, true),
    ];
    for (status, code, kind, retryable) in cases {
        let server = strict_server().await;
        Mock::given(method("POST"))
            .and(path(format!("/v23.0/{PNID}/messages")))
            .respond_with(graph_error(status, code, "boom"))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server)
            .send(&to(), &OutgoingMessage::text("x"))
            .await
            .unwrap_err();
        let api = err.as_api().unwrap_or_else(|| panic!("{code}: {err:?}"));
        assert_eq!(api.status, status);
        assert_eq!(api.code, Some(code));
        assert_eq!(api.kind, kind, "{code}");
        assert_eq!(err.is_retryable(), retryable, "{code}");
        assert_eq!(
            api.details.as_deref(),
            Some(format!("details for {code}").as_str())
        );
        assert!(!err.to_string().contains(TOKEN));
    }
}

#[tokio::test]
async fn retry_after_header_is_read() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .respond_with(graph_error(429, 80007, "rate").insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)));
}

#[tokio::test]
async fn undecodable_bodies_keep_the_raw_body() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    let Error::Decode { status, body, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(status, 502);
    assert_eq!(body, "<html>Bad gateway</html>");

    let server2 = strict_server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"unexpected\":1}"))
        .mount(&server2)
        .await;
    let err = client(&server2)
        .send(&to(), &OutgoingMessage::text("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { ref body, .. } if body == "{\"unexpected\":1}"));
}

#[tokio::test]
async fn media_upload_info_download_delete() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/media")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(|req: &Request| {
            let body = String::from_utf8_lossy(&req.body);
            let ct = req
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            ct.starts_with("multipart/form-data")
                && body.contains("name=\"messaging_product\"")
                && body.contains("whatsapp")
                && body.contains("name=\"file\"; filename=\"nota.pdf\"")
                && body.contains("%PDF-1.4 test")
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "4490709327384033" })))
        .expect(1)
        .mount(&server)
        .await;
    let media_url = format!(
        "{}/lookaside/whatsapp_business/?mid=4490709327384033",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/v23.0/4490709327384033"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "url": media_url,
            "mime_type": "application/pdf",
            "sha256": "abc",
            "file_size": "14",
            "id": "4490709327384033"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/lookaside/whatsapp_business/"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"%PDF-1.4 test".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v23.0/4490709327384033"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
        .expect(1)
        .mount(&server)
        .await;

    let api = client(&server);
    let id = api
        .upload_media(b"%PDF-1.4 test".to_vec(), "application/pdf", "nota.pdf")
        .await
        .unwrap();
    assert_eq!(id, "4490709327384033");
    let (info, data) = api.download_media_by_id(&id).await.unwrap();
    assert_eq!(info.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(info.file_size, Some(14));
    assert_eq!(&data[..], b"%PDF-1.4 test");
    api.delete_media(&id).await.unwrap();
}

#[tokio::test]
async fn base_url_prefix_is_kept() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(format!("/proxy/v23.0/{PNID}/messages")))
        .and(body_partial_json(json!({ "type": "text" })))
        .respond_with(sent_ok("wamid.P"))
        .expect(1)
        .mount(&server)
        .await;
    let api = CloudApi::new(PNID, TOKEN)
        .with_base_url(&format!("{}/proxy/", server.uri()))
        .unwrap();
    api.send(&to(), &OutgoingMessage::text("x")).await.unwrap();
}

#[test]
fn debug_never_prints_the_token() {
    let api = CloudApi::new(PNID, TOKEN);
    let dbg = format!("{api:?}");
    assert!(!dbg.contains(TOKEN), "{dbg}");
    assert!(dbg.contains(PNID));
    assert!(CloudApi::new(PNID, TOKEN).with_base_url("ftp://x").is_err());
}

#[tokio::test]
async fn sends_to_a_business_scoped_user_id_in_recipient() {
    let server = strict_server().await;
    expect_body(
        &server,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": "US.13491208655302741918",
            "type": "text",
            "text": { "body": "Halo", "preview_url": false }
        }),
        "wamid.OUT-BSUID",
    )
    .await;
    let user = whatsapp_client::UserId::parse("US.13491208655302741918").unwrap();
    let receipt = client(&server)
        .send_message_to_user_id(&user, &OutgoingMessage::text("Halo"))
        .await
        .unwrap();
    assert_eq!(receipt.message_id.as_deref(), Some("wamid.OUT-BSUID"));
}

#[tokio::test]
async fn send_to_names_a_user_id_in_recipient_and_a_number_in_to() {
    let server = strict_server().await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(body_partial_json(
            json!({ "recipient": "ID.1502576394655843" }),
        ))
        .respond_with(sent_ok("wamid.U"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(body_partial_json(json!({ "to": "6281234567890" })))
        .respond_with(sent_ok("wamid.P"))
        .expect(1)
        .mount(&server)
        .await;
    let api = client(&server);
    // Through the provider trait, as a bot replies to whoever wrote.
    let provider: &dyn Provider = &api;
    let user = Recipient::parse("ID.1502576394655843").unwrap();
    let sent = provider
        .send_to(&user, &OutgoingMessage::text("Halo"))
        .await
        .unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("wamid.U"));
    let phone = Recipient::from(to());
    let sent = provider
        .send_to(&phone, &OutgoingMessage::text("Halo"))
        .await
        .unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("wamid.P"));
    // A user-id send never carries `to` (Meta prefers `to` when both are
    // present, which would address someone else).
    let requests = server.received_requests().await.unwrap();
    let first: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert!(first.get("to").is_none(), "{first}");
    let second: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert!(second.get("recipient").is_none(), "{second}");
}

#[tokio::test]
async fn a_refused_connection_says_why_and_never_shows_the_token() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = CloudApi::new(PNID, TOKEN)
        .with_base_url(&format!("http://127.0.0.1:{port}"))
        .unwrap();
    let err = api
        .send(&to(), &OutgoingMessage::text("halo"))
        .await
        .unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert!(t.is_connect() && err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.starts_with("transport error: error sending request"),
        "{shown}"
    );
    assert!(shown.contains("tcp connect error"), "{shown}");
    assert!(shown.contains("Connection refused"), "{shown}");
    let debug = format!("{err:?}");
    assert!(debug.contains("Connection refused"), "{debug}");
    for text in [&shown, &debug] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert!(t.cause().is_some());
}
