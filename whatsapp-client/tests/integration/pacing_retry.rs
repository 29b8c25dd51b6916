//! Pacing and retry wrappers, driven by paused tokio time.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::{
    ApiError, Error, OutgoingMessage, Paced, PacingConfig, PhoneNumber, Provider, Recipient,
    RetryPolicy, Retrying, TransportError,
};

fn number(i: u32) -> PhoneNumber {
    PhoneNumber::parse(&format!("+62812{:08}", 10_000_000 + i)).unwrap()
}

fn text() -> OutgoingMessage {
    OutgoingMessage::text("x")
}

#[tokio::test(start_paused = true)]
async fn sender_limit_spreads_sends() {
    let rec = RecordingProvider::new();
    let paced = Arc::new(Paced::new(
        rec.clone(),
        &PacingConfig::unlimited().per_second(80),
    ));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..240 {
        let p = paced.clone();
        tasks.push(tokio::spawn(async move {
            p.send(&number(i), &text()).await.map(|_| Instant::now())
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap().unwrap() - start);
    }
    assert_eq!(rec.sent().len(), 240);
    times.sort();
    // Never more than 80 in a second, nor in the second plus margin.
    assert_eq!(max_in_window(&times, Duration::from_secs(1)), 80);
    assert_eq!(max_in_window(&times, Duration::from_millis(1010)), 80);
    // Spread out, not in bursts: no more than two sends at one instant.
    assert!(times.windows(3).all(|w| w[2] > w[0]), "{times:?}");
    // And at the full rate: 240 sends take three windows.
    let last = *times.last().unwrap();
    assert!(
        last >= Duration::from_millis(2 * 1010) && last < Duration::from_millis(3 * 1010),
        "{last:?}"
    );
}

/// The most sends that any window of length `window` (start inclusive,
/// end exclusive) holds.
fn max_in_window(sorted: &[Duration], window: Duration) -> usize {
    sorted
        .iter()
        .enumerate()
        .map(|(i, t)| sorted[i..].iter().take_while(|u| **u < *t + window).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn a_throughput_error_pauses_the_sender_then_it_runs_at_full_rate() {
    let rec = RecordingProvider::new();
    let paced = Arc::new(Paced::new(
        rec.clone(),
        &PacingConfig::unlimited()
            .per_second(80)
            .rate_limit_retries(0),
    ));
    let start = Instant::now();
    // The provider answers the 11th send with 130429 (no retry-after).
    for i in 0..10 {
        paced.send(&number(i), &text()).await.unwrap();
    }
    rec.fail_next(1, rate_limited(None));
    let failed = paced.send(&number(10), &text()).await.unwrap_err();
    assert!(failed.is_retryable());
    let failed_at = Instant::now() - start;
    let mut times = Vec::new();
    for i in 11..91 {
        paced.send(&number(i), &text()).await.unwrap();
        times.push(Instant::now() - start);
    }
    // Every following send waited one second after the error ...
    assert_eq!(times[0], failed_at + Duration::from_secs(1));
    // ... and then went on at the full rate, not a reduced one: 80 sends
    // in one window.
    assert!(
        *times.last().unwrap() - times[0] <= Duration::from_millis(1010),
        "{times:?}"
    );

    // A retry-after from the provider sets the pause instead.
    rec.fail_next(1, rate_limited(Some(Duration::from_secs(3))));
    paced.send(&number(99), &text()).await.unwrap_err();
    let before = Instant::now();
    paced.send(&number(100), &text()).await.unwrap();
    assert_eq!(Instant::now() - before, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_send_refused_for_throughput_goes_out_after_the_pause() {
    let rec = RecordingProvider::new();
    let paced = Paced::new(rec.clone(), &PacingConfig::cloud_api());
    rec.fail_next(2, rate_limited(None));
    let start = Instant::now();
    let receipt = paced.send(&number(7), &text()).await.unwrap();
    assert!(receipt.message_id.is_some());
    // Two refusals, two one-second pauses, then sent once.
    assert_eq!(rec.attempts(), 3);
    assert_eq!(rec.sent().len(), 1);
    assert_eq!(Instant::now() - start, Duration::from_secs(2));
    // With retries used up the error reaches the caller.
    rec.fail_next(3, rate_limited(None));
    let e = paced.send(&number(8), &text()).await.unwrap_err();
    assert!(e.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn pair_limit_only_delays_that_recipient() {
    let rec = RecordingProvider::new();
    let cfg = PacingConfig::unlimited().pair_limit(Duration::from_secs(6), 2);
    let paced = Arc::new(Paced::new(rec.clone(), &cfg));
    let busy = number(1);
    let start = Instant::now();
    // Three messages to one customer: two go at once, the third waits 6 s.
    let p = paced.clone();
    let b = busy.clone();
    let chatty = tokio::spawn(async move {
        for _ in 0..3 {
            p.send(&b, &text()).await.unwrap();
        }
        Instant::now() - start
    });
    // Meanwhile another customer is not held up.
    tokio::task::yield_now().await;
    paced.send(&number(2), &text()).await.unwrap();
    let other_done = Instant::now() - start;
    let chatty_done = chatty.await.unwrap();
    assert_eq!(other_done, Duration::ZERO);
    assert_eq!(chatty_done, Duration::from_secs(6));
    assert_eq!(rec.sent_to(&busy).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn pair_limit_and_retries_apply_to_user_id_recipients() {
    let rec = RecordingProvider::new();
    let cfg = PacingConfig::unlimited().pair_limit(Duration::from_secs(6), 1);
    let provider = Retrying::new(
        Paced::new(rec.clone(), &cfg),
        RetryPolicy::default().jitter(false),
    );
    let user = Recipient::parse("ID.1502576394655843").unwrap();
    let phone = Recipient::from(number(1));
    rec.fail_next(
        1,
        Error::Transport(TransportError::new("refused", true, false)),
    );
    let start = Instant::now();
    provider.send_to(&user, &text()).await.unwrap();
    provider.send_to(&user, &text()).await.unwrap();
    // The number is another recipient: not held up by the user id's limit.
    provider.send_to(&phone, &text()).await.unwrap();
    assert_eq!(rec.sent_to(user.user_id().unwrap().clone()).len(), 2);
    assert_eq!(rec.sent_to(number(1)).len(), 1);
    assert_eq!(rec.attempts(), 4);
    assert!(Instant::now() - start >= Duration::from_secs(6));
    assert_eq!(rec.sent()[0].to, user);
}

#[tokio::test(start_paused = true)]
async fn cloud_defaults_apply_both_limits() {
    let rec = RecordingProvider::new();
    let paced = Paced::cloud_api(rec.clone());
    let to = number(3);
    let start = Instant::now();
    for _ in 0..7 {
        paced.send(&to, &text()).await.unwrap();
    }
    // Burst of 5 to one recipient, then 6 s apart.
    assert_eq!(Instant::now() - start, Duration::from_secs(12));
    assert_eq!(paced.kind(), "recording");
}

fn rate_limited(after: Option<Duration>) -> Error {
    Error::Api(
        ApiError::new("cloud_api", 429, "slow down")
            .with_cloud_code(130429, None)
            .with_retry_after(after),
    )
}

#[tokio::test(start_paused = true)]
async fn retries_retryable_errors_with_backoff() {
    let rec = RecordingProvider::new();
    rec.fail_next(2, rate_limited(None));
    let policy = RetryPolicy::default()
        .base_delay(Duration::from_millis(100))
        .jitter(false);
    let retrying = Retrying::new(rec.clone(), policy);
    let start = Instant::now();
    let r = retrying.send(&number(4), &text()).await.unwrap();
    assert_eq!(r.message_id.as_deref(), Some("rec-1"));
    assert_eq!(rec.attempts(), 3);
    // 100 ms + 200 ms.
    assert_eq!(Instant::now() - start, Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn jitter_stays_within_bounds() {
    let rec = RecordingProvider::new();
    rec.fail_next(
        3,
        Error::Transport(TransportError::new("refused", true, false)),
    );
    let policy = RetryPolicy::default().base_delay(Duration::from_millis(1000));
    let retrying = Retrying::new(rec.clone(), policy);
    let start = Instant::now();
    retrying.send(&number(5), &text()).await.unwrap();
    let waited = Instant::now() - start;
    // Backoffs 1 s, 2 s, 4 s, each jittered into [half, full].
    assert!(
        waited >= Duration::from_millis(3500) && waited <= Duration::from_millis(7000),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn honors_retry_after() {
    let rec = RecordingProvider::new();
    rec.fail_next(1, rate_limited(Some(Duration::from_secs(9))));
    let retrying = Retrying::new(rec.clone(), RetryPolicy::default());
    let start = Instant::now();
    retrying.send(&number(6), &text()).await.unwrap();
    assert_eq!(Instant::now() - start, Duration::from_secs(9));

    // Longer than max_delay: give up at once instead of stalling.
    rec.fail_next(1, rate_limited(Some(Duration::from_secs(600))));
    let start = Instant::now();
    let err = retrying.send(&number(6), &text()).await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(Instant::now() - start, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn terminal_errors_are_not_retried() {
    let rec = RecordingProvider::new();
    let needs_template =
        Error::Api(ApiError::new("cloud_api", 400, "window closed").with_cloud_code(131047, None));
    rec.fail_next(1, needs_template);
    let retrying = Retrying::new(rec.clone(), RetryPolicy::default());
    let err = retrying.send(&number(7), &text()).await.unwrap_err();
    assert_eq!(rec.attempts(), 1);
    assert_eq!(err.as_api().unwrap().code, Some(131047));
    // A timeout may have delivered the message: not retried either.
    rec.fail_next(
        1,
        Error::Transport(TransportError::new("timeout", false, true)),
    );
    assert!(retrying.send(&number(7), &text()).await.is_err());
    assert_eq!(rec.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_retries() {
    let rec = RecordingProvider::new();
    rec.fail_next(10, rate_limited(None));
    let retrying = Retrying::new(
        rec.clone(),
        RetryPolicy::default().max_retries(2).jitter(false),
    );
    assert!(retrying.send(&number(8), &text()).await.is_err());
    assert_eq!(rec.attempts(), 3);
}

#[tokio::test]
async fn wrappers_compose_as_trait_objects() {
    let rec = RecordingProvider::new();
    let stack: Arc<dyn Provider> = Arc::new(Retrying::new(
        Paced::new(rec.clone(), &PacingConfig::cloud_api()),
        RetryPolicy::default(),
    ));
    stack.send(&number(9), &text()).await.unwrap();
    let boxed: Box<dyn Provider> = Box::new(stack.clone());
    boxed.send(&number(9), &text()).await.unwrap();
    assert_eq!(rec.sent().len(), 2);
    assert_eq!(boxed.kind(), "recording");
}
