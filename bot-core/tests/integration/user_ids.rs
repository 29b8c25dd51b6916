//! Customers known only by a business-scoped user id: answered, de-duplicated,
//! debounced, handed off and kept in one conversation with the number they
//! later share, on every store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bot_core::{
    Action, ConversationStore, Handler, HandlerContext, HandlerError, MemoryStore, Outcome,
    RunStatus, Runtime, SqlStore,
};
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::{Event, InboundMessage, MessageContent};
use whatsapp_client::{
    Error, OutgoingMessage, PhoneNumber, Provider, Recipient, SendReceipt, UserId,
};

const USER: &str = "US.13491208655302741918";

/// Replies with what it saw; hands off on "admin"; optionally debounced.
struct Seer {
    window: Option<Duration>,
}

#[async_trait]
impl Handler for Seer {
    fn name(&self) -> &str {
        "seer"
    }

    fn debounce(&self) -> Option<Duration> {
        self.window
    }

    async fn handle(
        &self,
        m: &InboundMessage<Recipient>,
        ctx: &HandlerContext,
    ) -> Result<Vec<Action>, HandlerError> {
        if m.text() == Some("admin") {
            return Ok(vec![Action::Handoff(Some("asked".into()))]);
        }
        Ok(vec![Action::reply_text(format!(
            "{} phone={} user={} history={}",
            m.text().unwrap_or_default(),
            ctx.contact.phone.as_ref().map_or("-", PhoneNumber::e164),
            ctx.contact.user_id.as_ref().map_or("-", UserId::as_str),
            ctx.history.len()
        ))])
    }
}

fn user() -> UserId {
    UserId::parse(USER).unwrap()
}

fn from_user(id: &str, body: &str) -> Event {
    Event::UserIdMessage(InboundMessage::new(
        "cloud_api",
        id,
        user(),
        MessageContent::text_body(body),
    ))
}

fn runtime(store: Arc<dyn ConversationStore>, provider: Arc<dyn Provider>) -> Runtime {
    let rt = Runtime::builder(store).build().unwrap();
    rt.set_tenant(
        "t",
        bot_core::TenantConfig::new(provider).handler(Seer { window: None }),
    );
    rt
}

async fn user_id_sender(store: Arc<dyn ConversationStore>) {
    let p = RecordingProvider::new();
    let rt = runtime(store.clone(), Arc::new(p.clone()));
    let who = Recipient::from(user());

    // Answered, to the user id.
    let r = rt
        .handle_event("t", &from_user("w1", "halo"))
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::Handled);
    assert_eq!(r.contact.as_deref(), Some(USER));
    assert_eq!(p.sent().len(), 1);
    assert_eq!(p.sent()[0].to, who);
    assert_eq!(
        p.sent()[0].message.as_text(),
        Some(format!("halo phone=- user={USER} history=0").as_str())
    );
    // A redelivery is not answered again.
    let r = rt
        .handle_event("t", &from_user("w1", "halo"))
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::Duplicate);
    assert_eq!(p.sent().len(), 1);
    let c = rt.conversation("t", &who).await.unwrap().unwrap();
    assert_eq!(c.contact, USER);
    assert_eq!(rt.history("t", &who, 10).await.unwrap().len(), 2);

    // Handoff: the bot stays quiet until handed back.
    rt.handle_event("t", &from_user("w2", "admin"))
        .await
        .unwrap();
    let r = rt
        .handle_event("t", &from_user("w3", "halo?"))
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::HumanOwned);
    rt.send_as_agent("t", &who, &OutgoingMessage::text("Rina di sini"))
        .await
        .unwrap();
    assert_eq!(p.sent().last().unwrap().to, who);
    rt.hand_back("t", &who).await.unwrap();
    let r = rt
        .handle_event("t", &from_user("w4", "lagi"))
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::Handled);
    assert_eq!(rt.history("t", &who, 50).await.unwrap().len(), 7);

    // The customer's number arrives with the user id: the same
    // conversation, now under the number, history included; replies go to
    // the number.
    let phone = PhoneNumber::parse("+6281234567890").unwrap();
    let both = Event::Message(
        InboundMessage::new(
            "cloud_api",
            "w5",
            phone.clone(),
            MessageContent::text_body("nomor"),
        )
        .with_user_id(user()),
    );
    rt.handle_event("t", &both).await.unwrap();
    assert_eq!(p.sent().last().unwrap().to, phone);
    assert_eq!(
        p.sent().last().unwrap().message.as_text(),
        Some(format!("nomor phone=+6281234567890 user={USER} history=7").as_str())
    );
    let by_phone = rt
        .conversation("t", &phone.clone().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_phone.contact, "+6281234567890");
    assert_eq!(by_phone.user_id.as_deref(), Some(USER));
    assert_eq!(by_phone.owner, bot_core::Owner::Bot);
    assert_eq!(rt.conversations("t", 10).await.unwrap().len(), 1);
    // A later message with only the user id finds it too.
    rt.handle_event("t", &from_user("w6", "tanpa nomor"))
        .await
        .unwrap();
    assert_eq!(p.sent().last().unwrap().to, phone);
    assert_eq!(rt.history("t", &who, 50).await.unwrap().len(), 11);
    assert_eq!(rt.conversations("t", 10).await.unwrap().len(), 1);
}

/// A provider that sends to phone numbers only (the trait's default
/// `send_to`), like Fonnte.
struct PhoneOnly(RecordingProvider);

#[async_trait]
impl Provider for PhoneOnly {
    fn kind(&self) -> &'static str {
        "phone-only"
    }

    async fn send(&self, to: &PhoneNumber, m: &OutgoingMessage) -> Result<SendReceipt, Error> {
        self.0.send(to, m).await
    }
}

#[tokio::test]
async fn memory_store_user_id_sender() {
    user_id_sender(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn sqlite_store_user_id_sender() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bot.db").display());
    let s = SqlStore::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    user_id_sender(Arc::new(s)).await;
}

#[tokio::test]
async fn postgres_store_user_id_sender() {
    let s = SqlStore::connect(&pg_harness::fresh_database().await)
        .await
        .unwrap();
    s.migrate().await.unwrap();
    user_id_sender(Arc::new(s)).await;
}

#[tokio::test]
async fn a_provider_without_user_ids_reports_the_refused_reply() {
    let rec = RecordingProvider::new();
    let rt = runtime(
        Arc::new(MemoryStore::new()),
        Arc::new(PhoneOnly(rec.clone())),
    );
    let r = rt
        .handle_event("t", &from_user("w1", "halo"))
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::Handled);
    let error = r.replies[0].error.as_deref().unwrap();
    assert_eq!(
        error,
        "provider phone-only cannot send to a user_id recipient"
    );
    assert!(rec.sent().is_empty());
    // Only the customer's message is in the history.
    let h = rt.history("t", &user().into(), 10).await.unwrap();
    assert_eq!(h.len(), 1);
}

#[tokio::test]
async fn a_burst_from_a_user_id_is_answered_once() {
    let p = RecordingProvider::new();
    let rt = Arc::new(
        Runtime::builder(Arc::new(MemoryStore::new()))
            .build()
            .unwrap(),
    );
    rt.set_tenant(
        "t",
        bot_core::TenantConfig::new(Arc::new(p.clone())).handler(Seer {
            window: Some(Duration::from_millis(300)),
        }),
    );
    let first = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.handle_event("t", &from_user("b1", "kak")).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = rt
        .handle_event("t", &from_user("b2", "mau pesan"))
        .await
        .unwrap();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.runs[0].status, RunStatus::Debounced);
    assert!(matches!(second.runs[0].status, RunStatus::Ran { .. }));
    assert_eq!(p.sent().len(), 1);
    assert_eq!(p.sent()[0].to, Recipient::from(user()));
}
