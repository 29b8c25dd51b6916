//! Pipeline behaviour: de-duplication, human handoff, debounce, reports.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bot_core::{
    Action, Author, Handler, HandlerContext, HandlerError, ManualClock, MemoryStore, Outcome,
    Owner, RunStatus, Runtime, RuntimeError,
};
use common::*;
use serde_json::json;
use whatsapp_client::Recipient;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::InboundMessage;

/// Records what it saw; debounced when a window is set.
#[derive(Default)]
struct Probe {
    window: Option<Duration>,
    depth: Option<u32>,
    calls: AtomicUsize,
    seen: Mutex<Vec<(String, Vec<String>)>>,
}

#[async_trait]
impl Handler for Probe {
    fn name(&self) -> &str {
        "probe"
    }

    fn debounce(&self) -> Option<Duration> {
        self.window
    }

    fn history_depth(&self) -> Option<u32> {
        self.depth
    }

    async fn handle(
        &self,
        m: &InboundMessage<Recipient>,
        ctx: &HandlerContext,
    ) -> Result<Vec<Action>, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let history = ctx.history.iter().map(|h| h.text.clone()).collect();
        self.seen
            .lock()
            .unwrap()
            .push((m.text().unwrap_or_default().to_owned(), history));
        Ok(vec![Action::reply_text(format!(
            "got {}",
            m.text().unwrap_or_default()
        ))])
    }
}

fn runtime_clock(clock: &ManualClock) -> Arc<Runtime> {
    Arc::new(
        Runtime::builder(Arc::new(MemoryStore::new()))
            .host_config(host_config())
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn each_handler_gets_the_history_it_declares() {
    let rt = runtime_clock(&ManualClock::new(1_700_000_000_000));
    let (none, one, default) = (
        Arc::new(Probe {
            depth: Some(0),
            ..Probe::default()
        }),
        Arc::new(Probe {
            depth: Some(1),
            ..Probe::default()
        }),
        Arc::new(Probe::default()),
    );
    let p = RecordingProvider::new();
    rt.set_tenant(
        "toko",
        tenant(&p)
            .handler_arc(none.clone())
            .handler_arc(one.clone())
            .handler_arc(default.clone()),
    );
    for (id, body) in [("m1", "satu"), ("m2", "dua")] {
        rt.handle_event("toko", &text(id, "081200000020", body))
            .await
            .unwrap();
    }
    let last = |p: &Probe| p.seen.lock().unwrap().last().unwrap().1.clone();
    // For m2 each handler sees m1, the three replies to it and the replies
    // the handlers before it already sent for m2, cut to what it declares.
    assert_eq!(last(&none), Vec::<String>::new());
    assert_eq!(last(&one), ["got dua"]);
    assert_eq!(
        last(&default),
        [
            "satu", "got satu", "got satu", "got satu", "got dua", "got dua"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn debounce_calls_the_plugin_once_for_a_burst_with_earlier_messages_in_history() {
    let rt = Arc::new(runtime());
    let p = RecordingProvider::new();
    let probe = Arc::new(Probe {
        window: Some(Duration::from_millis(1500)),
        ..Probe::default()
    });
    rt.set_tenant("t", tenant(&p).handler_arc(probe.clone()));
    let mut tasks = Vec::new();
    for (i, body) in ["halo", "mau tanya", "harga kaos berapa?"]
        .into_iter()
        .enumerate()
    {
        let rt = rt.clone();
        tasks.push(tokio::spawn(async move {
            rt.handle_event("t", &text(&format!("d{i}"), "081200000001", body))
                .await
                .unwrap()
        }));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let reports: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(probe.calls.load(Ordering::SeqCst), 1);
    assert_eq!(reports[0].runs[0].status, RunStatus::Debounced);
    assert_eq!(reports[1].runs[0].status, RunStatus::Debounced);
    assert_eq!(reports[2].runs[0].status, RunStatus::Ran { actions: 1 });
    let seen = probe.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [(
            "harga kaos berapa?".to_owned(),
            vec!["halo".to_owned(), "mau tanya".to_owned()]
        )]
    );
    assert_eq!(sent_texts(&p), ["got harga kaos berapa?"]);

    // A message after the window is its own burst; another contact is independent.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (ea, eb) = (
        text("d9", "081200000001", "makasih"),
        text("e1", "081200000002", "halo"),
    );
    let a = rt.handle_event("t", &ea);
    let b = rt.handle_event("t", &eb);
    let (a, b) = tokio::join!(a, b);
    assert_eq!(a.unwrap().replies.len(), 1);
    assert_eq!(b.unwrap().replies.len(), 1);
    assert_eq!(probe.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_retries_never_produce_a_second_reply() {
    let rt = Arc::new(runtime());
    let p = RecordingProvider::new();
    rt.set_tenant("t", tenant(&p).handler(Probe::default()));
    let ev = text("same-id", "081200000001", "halo");
    let (a, b) = tokio::join!(rt.handle_event("t", &ev), rt.handle_event("t", &ev));
    let mut outcomes = [a.unwrap().outcome, b.unwrap().outcome];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, [Outcome::Duplicate, Outcome::Handled]);
    assert_eq!(p.sent().len(), 1);
    assert_eq!(
        rt.handle_event("t", &ev).await.unwrap().outcome,
        Outcome::Duplicate
    );
    assert_eq!(p.sent().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoff_action_silences_the_bot_until_handed_back() {
    let clock = ManualClock::new(1_700_000_000_000);
    let rt = runtime_clock(&clock);
    let p = RecordingProvider::new();
    let rules = plugin(
        &rt,
        "keyword-rules",
        json!({"rules": [{"id": "cs", "keywords": ["admin"], "reply": "Admin segera membalas", "handoff": true}],
               "default_reply": "bot di sini"}),
    )
    .await;
    rt.set_tenant(
        "t",
        tenant(&p)
            .handler(rules)
            .handoff_timeout(Some(Duration::from_secs(600))),
    );
    let who = Recipient::from(phone("081200000001"));
    let r = rt
        .handle_event("t", &text("1", "081200000001", "mau ke admin"))
        .await
        .unwrap();
    assert_eq!(r.handoff, Some(Some("keyword rule `cs`".into())));
    let c = rt.conversation("t", &who).await.unwrap().unwrap();
    assert_eq!(c.owner, Owner::Human);
    assert_eq!(c.handoff_reason.as_deref(), Some("keyword rule `cs`"));

    let r = rt
        .handle_event("t", &text("2", "081200000001", "halo?"))
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::HumanOwned);
    assert!(r.runs.is_empty());
    rt.send_as_agent(
        "t",
        &who,
        &whatsapp_client::OutgoingMessage::text("Halo, dengan Rina"),
    )
    .await
    .unwrap();
    rt.record_agent_message("t", &who, "(called the customer)", None)
        .await
        .unwrap();

    rt.hand_back("t", &who).await.unwrap();
    let r = rt
        .handle_event("t", &text("3", "081200000001", "terima kasih"))
        .await
        .unwrap();
    assert_eq!(r.matched().collect::<Vec<_>>(), ["default"]);
    let h = rt.history("t", &who, 100).await.unwrap();
    let authors: Vec<Author> = h.iter().map(|e| e.author).collect();
    assert_eq!(
        authors,
        [
            Author::Customer,
            Author::Bot,
            Author::Customer,
            Author::Agent,
            Author::Agent,
            Author::Customer,
            Author::Bot
        ]
    );
    assert_eq!(h[3].text, "Halo, dengan Rina");
    assert_eq!(h[3].provider_message_id.as_deref(), Some("rec-2"));
    assert_eq!(
        sent_texts(&p),
        ["Admin segera membalas", "Halo, dengan Rina", "bot di sini"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_over_and_handoff_timeout() {
    let clock = ManualClock::new(1_700_000_000_000);
    let rt = runtime_clock(&clock);
    let p = RecordingProvider::new();
    rt.set_tenant(
        "t",
        tenant(&p)
            .handler(Probe::default())
            .handoff_timeout(Some(Duration::from_secs(600))),
    );
    let who = Recipient::from(phone("081200000001"));
    rt.take_over("t", &who, Some("agent Rina")).await.unwrap();
    clock.advance_ms(599_000);
    assert_eq!(
        rt.handle_event("t", &text("1", "081200000001", "a"))
            .await
            .unwrap()
            .outcome,
        Outcome::HumanOwned
    );
    clock.advance_ms(1_000);
    let r = rt
        .handle_event("t", &text("2", "081200000001", "b"))
        .await
        .unwrap();
    assert_eq!(
        r.outcome,
        Outcome::Handled,
        "after the timeout the bot answers again"
    );
    assert_eq!(
        rt.conversation("t", &who).await.unwrap().unwrap().owner,
        Owner::Bot
    );

    let list = rt.conversations("t", 10).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].contact, "+6281200000001");
    assert!(rt.conversations("other", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_tenant_and_non_message_events() {
    let rt = runtime();
    assert!(matches!(
        rt.handle_event("nobody", &text("1", "081200000001", "a")).await,
        Err(RuntimeError::UnknownTenant(t)) if t == "nobody"
    ));
    let p = RecordingProvider::new();
    rt.set_tenant("t", tenant(&p));
    let status =
        whatsapp_client::webhook::Event::Status(whatsapp_client::webhook::StatusUpdate::new(
            "cloud_api",
            "wamid.X",
            whatsapp_client::webhook::DeliveryStatus::Read,
        ));
    assert_eq!(
        rt.handle_event("t", &status).await.unwrap().outcome,
        Outcome::NotAMessage
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sends_are_reported_and_not_stored_as_sent() {
    let rt = runtime();
    let p = RecordingProvider::new();
    rt.set_tenant("t", tenant(&p).handler(Probe::default()));
    p.fail_next(1, whatsapp_client::Error::InvalidInput("boom".into()));
    let r = rt
        .handle_event("t", &text("1", "081200000001", "a"))
        .await
        .unwrap();
    assert!(r.replies[0].error.as_deref().unwrap().contains("boom"));
    assert_eq!(r.replies[0].provider_message_id, None);
    let h = rt
        .history("t", &phone("081200000001").into(), 10)
        .await
        .unwrap();
    assert_eq!(h.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn paced_tenant_replies_keep_to_the_pair_limit() {
    let rt = runtime();
    let p = RecordingProvider::new();
    let pacing = whatsapp_client::PacingConfig::unlimited().pair_limit(Duration::from_secs(6), 1);
    rt.set_tenant(
        "t",
        bot_core::TenantConfig::paced(Arc::new(p.clone()), &pacing).handler(Probe::default()),
    );
    let start = tokio::time::Instant::now();
    let mut at = Vec::new();
    for i in 0..3 {
        let r = rt
            .handle_event("t", &text(&format!("p{i}"), "081200000009", "halo"))
            .await
            .unwrap();
        assert_eq!(r.outcome, Outcome::Handled);
        at.push(start.elapsed().as_secs());
    }
    // One recipient, burst 1, one message per 6 s: the runtime's replies
    // went through the pacing wrapper.
    assert_eq!(at, [0, 6, 12]);
    assert_eq!(p.sent().len(), 3);
    // Another contact is not held up by the first one's pair limit.
    let before = tokio::time::Instant::now();
    rt.handle_event("t", &text("q", "081200000010", "halo"))
        .await
        .unwrap();
    assert_eq!(before.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn forget_inbound_older_than_lets_the_store_shrink() {
    let clock = ManualClock::new(1_000_000);
    let rt = runtime_clock(&clock);
    let p = RecordingProvider::new();
    rt.set_tenant("t", tenant(&p).handler(Probe::default()));
    rt.handle_event("t", &text("old", "081200000001", "halo"))
        .await
        .unwrap();
    clock.advance_ms(3_600_000);
    rt.handle_event("t", &text("new", "081200000001", "halo"))
        .await
        .unwrap();
    let gone = rt
        .forget_inbound_older_than(Duration::from_secs(1800))
        .await
        .unwrap();
    assert_eq!(gone, 1);
    assert_eq!(
        rt.handle_event("t", &text("new", "081200000001", "halo"))
            .await
            .unwrap()
            .outcome,
        Outcome::Duplicate,
        "the recent id is still remembered"
    );
}
