//! The rules of the engine, run against every store: memory, SQLite and
//! PostgreSQL (a throwaway server from `pg-harness`).
#![cfg(feature = "sql")]

use std::sync::Arc;
use std::time::Duration;

use otp::testing::RecordingChannel;
use otp::{
    DeliveryError, Destination, InvalidRequest, IssueRequest, Locale, ManualClock, MemoryStore,
    Otp, OtpConfig, OtpError, OtpSecret, Purpose, SqlStore, Store, VerifyOutcome,
};

const SECRET: [u8; 32] = *b"test-secret-test-secret-test-sec";

/// A store plus a way to open a second, independent handle on the same
/// data (a second replica).
struct Backend {
    store: Arc<dyn Store>,
    url: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    async fn memory() -> Self {
        Self {
            store: Arc::new(MemoryStore::new()),
            url: None,
            _dir: None,
        }
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("otp.db").display());
        let store = SqlStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        store.migrate().await.unwrap(); // idempotent
        Self {
            store: Arc::new(store),
            url: Some(url),
            _dir: Some(dir),
        }
    }

    async fn postgres() -> Self {
        let url = pg_harness::fresh_database().await;
        let store = SqlStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
        Self {
            store: Arc::new(store),
            url: Some(url),
            _dir: None,
        }
    }

    /// Another handle on the same data: a new pool for SQL stores.
    async fn replica(&self) -> Arc<dyn Store> {
        match &self.url {
            Some(url) => Arc::new(SqlStore::connect(url).await.unwrap()),
            None => self.store.clone(),
        }
    }
}

struct Env {
    otp: Otp,
    channel: RecordingChannel,
    clock: ManualClock,
    backend: Backend,
}

impl Env {
    fn new(backend: Backend, config: OtpConfig) -> Self {
        let channel = RecordingChannel::new();
        let clock = ManualClock::at_epoch_2026();
        let otp = Otp::builder(
            OtpSecret::new(SECRET).unwrap(),
            backend.store.clone(),
            channel.clone(),
        )
        .config(config)
        .clock(clock.clone())
        .build()
        .unwrap();
        Self {
            otp,
            channel,
            clock,
            backend,
        }
    }

    async fn issue(&self, to: &Destination) -> Result<otp::Issued, OtpError> {
        self.otp
            .issue(IssueRequest::new(Purpose::LOGIN, to.clone()))
            .await
    }

    async fn verify(&self, id: &str, code: &str) -> VerifyOutcome {
        self.otp.verify(&Purpose::LOGIN, id, code).await.unwrap()
    }

    fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }
}

fn phone(n: u32) -> Destination {
    Destination::phone_e164(&format!("+62812{n:07}")).unwrap()
}

fn wrong(code: &str) -> String {
    // Same length, every digit different.
    code.bytes()
        .map(|b| char::from(b'0' + (b - b'0' + 1) % 10))
        .collect()
}

fn retry_after(result: Result<otp::Issued, OtpError>) -> Duration {
    match result {
        Err(OtpError::TooManyRequests { retry_after }) => retry_after,
        other => panic!("expected TooManyRequests, got {other:?}"),
    }
}

// ---------------------------------------------------------------- the rules

async fn right_code_verifies_once(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let to = phone(1);
    let issued = env.issue(&to).await.unwrap();
    assert_eq!(issued.challenge_id.len(), 32);
    assert_eq!(issued.resend_after, Duration::from_secs(60));
    assert_eq!(
        issued.expires_at - env.clock_now(),
        chrono::Duration::minutes(5)
    );
    let sent = env.channel.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].destination, to);
    assert_eq!(sent[0].code.len(), 6);
    assert!(
        sent[0]
            .text
            .starts_with(&format!("{} adalah kode masuk", sent[0].code))
    );

    // Spaces and dashes that users type are ignored.
    let typed = format!("{} {}", &sent[0].code[..3], &sent[0].code[3..]);
    match env.verify(&issued.challenge_id, &typed).await {
        VerifyOutcome::Verified(v) => {
            assert_eq!(v.destination, to);
            assert_eq!(v.purpose, Purpose::LOGIN);
            assert_eq!(v.challenge_id, issued.challenge_id);
        }
        other => panic!("expected Verified, got {other:?}"),
    }
    // Single use.
    assert_eq!(
        env.verify(&issued.challenge_id, &sent[0].code).await,
        VerifyOutcome::NotFound
    );
}

impl Env {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use otp::Clock;
        self.clock.now()
    }
}

async fn three_wrong_codes_then_the_right_one_fails(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let issued = env.issue(&phone(2)).await.unwrap();
    let code = env.channel.last_code().unwrap();
    let id = &issued.challenge_id;
    assert_eq!(
        env.verify(id, &wrong(&code)).await,
        VerifyOutcome::WrongCode { attempts_left: 2 }
    );
    assert_eq!(
        env.verify(id, "000").await,
        VerifyOutcome::WrongCode { attempts_left: 1 }
    );
    assert_eq!(
        env.verify(id, "not a code").await,
        VerifyOutcome::WrongCode { attempts_left: 0 }
    );
    assert_eq!(env.verify(id, &code).await, VerifyOutcome::Locked);
    assert_eq!(env.verify(id, &wrong(&code)).await, VerifyOutcome::Locked);
}

async fn right_code_on_the_last_attempt_verifies(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let issued = env.issue(&phone(3)).await.unwrap();
    let code = env.channel.last_code().unwrap();
    env.verify(&issued.challenge_id, &wrong(&code)).await;
    env.verify(&issued.challenge_id, &wrong(&code)).await;
    assert!(env.verify(&issued.challenge_id, &code).await.is_verified());
}

async fn codes_expire(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let first = env.issue(&phone(4)).await.unwrap();
    let first_code = env.channel.last_code().unwrap();
    let second = env.issue(&phone(5)).await.unwrap();
    let second_code = env.channel.last_code().unwrap();
    env.advance(5 * 60 - 1);
    assert!(
        env.verify(&first.challenge_id, &first_code)
            .await
            .is_verified()
    );
    env.advance(1);
    assert_eq!(
        env.verify(&second.challenge_id, &second_code).await,
        VerifyOutcome::Expired
    );
    // An expired challenge counts no attempts: still Expired, not Locked.
    for _ in 0..4 {
        assert_eq!(
            env.verify(&second.challenge_id, "1").await,
            VerifyOutcome::Expired
        );
    }
}

async fn code_only_verifies_for_its_purpose(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let issued = env
        .otp
        .issue(IssueRequest::new(Purpose::REGISTER, phone(6)))
        .await
        .unwrap();
    let code = env.channel.last_code().unwrap();
    let text = &env.channel.sent()[0].text;
    assert!(text.contains("pendaftaran"), "{text}");
    for other in [
        Purpose::LOGIN,
        Purpose::PASSWORD_RESET,
        Purpose::custom("x").unwrap(),
    ] {
        assert_eq!(
            env.otp
                .verify(&other, &issued.challenge_id, &code)
                .await
                .unwrap(),
            VerifyOutcome::NotFound
        );
    }
    // ... and those tries used no attempt.
    let ok = env
        .otp
        .verify(&Purpose::REGISTER, &issued.challenge_id, &code)
        .await
        .unwrap();
    assert!(ok.is_verified());
}

async fn unknown_challenges_are_not_found(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    assert_eq!(
        env.verify("0123456789abcdef0123456789abcdef", "123456")
            .await,
        VerifyOutcome::NotFound
    );
    assert_eq!(env.verify("", "").await, VerifyOutcome::NotFound);
    assert_eq!(
        env.verify(&"x".repeat(10_000), "123456").await,
        VerifyOutcome::NotFound
    );
    assert_eq!(
        env.verify("' OR 1=1 --", "123456").await,
        VerifyOutcome::NotFound
    );
}

async fn resend_waits_for_the_cooldown_and_replaces_the_old_code(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let to = phone(7);
    let old = env.issue(&to).await.unwrap();
    let old_code = env.channel.last_code().unwrap();
    assert_eq!(retry_after(env.issue(&to).await), Duration::from_secs(60));
    env.advance(45);
    assert_eq!(retry_after(env.issue(&to).await), Duration::from_secs(15));
    assert_eq!(env.channel.sent().len(), 1, "refused sends deliver nothing");
    env.advance(15);
    let new = env.issue(&to).await.unwrap();
    let new_code = env.channel.last_code().unwrap();
    assert_ne!(old.challenge_id, new.challenge_id);
    assert_eq!(
        env.verify(&old.challenge_id, &old_code).await,
        VerifyOutcome::Expired
    );
    assert!(env.verify(&new.challenge_id, &new_code).await.is_verified());
}

async fn cooldown_is_per_destination(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    env.issue(&phone(8)).await.unwrap();
    env.issue(&phone(9)).await.unwrap();
}

async fn sends_per_destination_are_limited_per_rolling_hour(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let to = phone(10);
    for _ in 0..5 {
        env.issue(&to).await.unwrap();
        env.advance(61);
    }
    // Sends at 0, 61, ..., 244 s; now 305 s. The first leaves the window at 3600 s.
    assert_eq!(
        retry_after(env.issue(&to).await),
        Duration::from_secs(3600 - 305)
    );
    env.advance(3600 - 305 - 1);
    assert_eq!(retry_after(env.issue(&to).await), Duration::from_secs(1));
    env.advance(1);
    env.issue(&to).await.unwrap();
    // Rolling: the next slot frees when the 61 s send leaves, not at a fixed hour.
    env.advance(60);
    assert_eq!(retry_after(env.issue(&to).await), Duration::from_secs(1));
    assert_eq!(env.channel.sent().len(), 6);
}

async fn sends_per_client_key_are_limited(b: Backend) {
    let mut config = OtpConfig::default();
    config.max_sends_per_client = 3;
    let env = Env::new(b, config);
    let ask = |n: u32, key: &'static str| {
        env.otp
            .issue(IssueRequest::new(Purpose::LOGIN, phone(n)).client_key(key))
    };
    for n in 20..23 {
        ask(n, "203.0.113.9").await.unwrap();
    }
    let wait = retry_after(ask(23, "203.0.113.9").await);
    assert_eq!(wait, Duration::from_secs(3600));
    // The refused request did not touch the destination's budget or cooldown.
    ask(23, "198.51.100.4").await.unwrap();
    // Without a key only the destination limits apply.
    env.issue(&phone(24)).await.unwrap();
}

async fn destination_refusal_gives_the_client_slot_back(b: Backend) {
    let mut config = OtpConfig::default();
    config.max_sends_per_client = 2;
    let env = Env::new(b, config);
    let ask = |n: u32| {
        env.otp
            .issue(IssueRequest::new(Purpose::LOGIN, phone(n)).client_key("k"))
    };
    ask(30).await.unwrap();
    retry_after(ask(30).await); // cooldown on the destination
    ask(31).await.unwrap(); // still the second slot
    retry_after(ask(32).await);
}

async fn failed_delivery_discards_the_new_code_and_keeps_the_old(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let to = phone(40);
    let first = env.issue(&to).await.unwrap();
    let first_code = env.channel.last_code().unwrap();
    env.advance(61);
    env.channel.fail_with(Some(DeliveryError::Transport {
        provider: "test",
        message: "down".to_owned(),
    }));
    match env.issue(&to).await {
        Err(e @ OtpError::Delivery(_)) => {
            assert_eq!(e.http_status(), 503);
            assert_eq!(
                e.user_message(Locale::Indonesian),
                "Kode tidak dapat dikirim saat ini. Silakan coba lagi nanti."
            );
        }
        other => panic!("expected a delivery error, got {other:?}"),
    }
    env.channel.fail_with(None);
    // The failed send counts (cooldown), and the earlier code still works.
    retry_after(env.issue(&to).await);
    assert!(
        env.verify(&first.challenge_id, &first_code)
            .await
            .is_verified()
    );
}

async fn decoys_behave_like_real_challenges(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let to = phone(50);
    let issued = env
        .otp
        .issue_decoy(IssueRequest::new(Purpose::LOGIN, to.clone()))
        .await
        .unwrap();
    assert_eq!(issued.challenge_id.len(), 32);
    assert_eq!(issued.resend_after, Duration::from_secs(60));
    assert!(env.channel.sent().is_empty(), "a decoy sends nothing");
    // Same limits as a real send.
    retry_after(env.issue(&to).await);
    retry_after(
        env.otp
            .issue_decoy(IssueRequest::new(Purpose::LOGIN, to))
            .await,
    );
    // No code verifies; it locks like a real challenge.
    for left in [2, 1, 0] {
        assert_eq!(
            env.verify(&issued.challenge_id, "123456").await,
            VerifyOutcome::WrongCode {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        env.verify(&issued.challenge_id, "123456").await,
        VerifyOutcome::Locked
    );
}

/// A channel that reaches phone numbers only, delivering to a recording.
#[derive(Debug, Clone)]
struct PhonesOnly(RecordingChannel);

#[async_trait::async_trait]
impl otp::Channel for PhonesOnly {
    fn name(&self) -> &'static str {
        "phones-only"
    }
    fn supports(&self, destination: &Destination) -> bool {
        destination.as_phone_e164().is_some()
    }
    async fn deliver(&self, delivery: &otp::channel::Delivery<'_>) -> Result<(), DeliveryError> {
        self.0.deliver(delivery).await
    }
}

/// What a caller can observe of an answer: the variant, the id's length,
/// the expiry and the cooldown.
fn observable(
    result: &Result<otp::Issued, OtpError>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    match result {
        Ok(i) => format!(
            "ok id={} ttl={} resend={:?}",
            i.challenge_id.len(),
            (i.expires_at - now).num_seconds(),
            i.resend_after
        ),
        Err(e) => format!("err status={} {e}", e.http_status()),
    }
}

async fn undisclosed_issues_answer_alike_whatever_happens(b: Backend) {
    let channel = RecordingChannel::new();
    let clock = ManualClock::at_epoch_2026();
    let otp = Otp::builder(
        OtpSecret::new(SECRET).unwrap(),
        b.store.clone(),
        PhonesOnly(channel.clone()),
    )
    .clock(clock.clone())
    .build()
    .unwrap();
    let now = otp::Clock::now(&clock);
    let request = |to: Destination| IssueRequest::new(Purpose::PASSWORD_RESET, to).client_key("ip");

    // A known account that the channel reaches: a real code goes out.
    let delivered = otp.issue_undisclosed(request(phone(70)), true).await;
    assert_eq!(channel.sent().len(), 1);
    let code = channel.last_code().unwrap();
    let expected = observable(&delivered, now);
    assert!(expected.starts_with("ok "), "{expected}");

    // A known account whose delivery fails.
    channel.fail_with(Some(DeliveryError::Transport {
        provider: "recording",
        message: "number has no WhatsApp".to_owned(),
    }));
    let failed = otp.issue_undisclosed(request(phone(71)), true).await;
    channel.fail_with(None);
    // A known account the channel cannot reach at all.
    let unreachable = otp
        .issue_undisclosed(request(Destination::email("a@b.example").unwrap()), true)
        .await;
    // Unknown accounts, of both kinds of destination.
    let unknown_phone = otp.issue_undisclosed(request(phone(72)), false).await;
    let unknown_email = otp
        .issue_undisclosed(request(Destination::email("c@d.example").unwrap()), false)
        .await;
    for other in [&failed, &unreachable, &unknown_phone, &unknown_email] {
        assert_eq!(observable(other, now), expected);
    }
    assert_eq!(
        channel.sent().len(),
        1,
        "only the deliverable code was sent"
    );

    // The delivered code works; none of the others can be verified.
    let id = delivered.unwrap().challenge_id;
    for other in [failed, unreachable, unknown_phone, unknown_email] {
        let outcome = otp
            .verify(
                &Purpose::PASSWORD_RESET,
                &other.unwrap().challenge_id,
                &code,
            )
            .await
            .unwrap();
        assert!(
            matches!(outcome, VerifyOutcome::WrongCode { .. }),
            "{outcome:?}"
        );
    }
    assert!(
        otp.verify(&Purpose::PASSWORD_RESET, &id, &code)
            .await
            .unwrap()
            .is_verified()
    );

    // Limits apply the same way: a second request to one destination
    // waits for the cooldown, known or not, deliverable or not.
    for (to, known) in [(phone(70), true), (phone(71), true), (phone(72), false)] {
        retry_after(otp.issue_undisclosed(request(to), known).await);
    }
}

async fn a_failed_undisclosed_delivery_keeps_the_earlier_code(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let to = phone(73);
    let request = || IssueRequest::new(Purpose::LOGIN, to.clone());
    let first = env.otp.issue_undisclosed(request(), true).await.unwrap();
    let first_code = env.channel.last_code().unwrap();
    env.advance(61);
    env.channel.fail_with(Some(DeliveryError::Transport {
        provider: "recording",
        message: "down".to_owned(),
    }));
    env.otp.issue_undisclosed(request(), true).await.unwrap();
    env.channel.fail_with(None);
    assert!(
        env.verify(&first.challenge_id, &first_code)
            .await
            .is_verified()
    );
}

async fn purposes_do_not_replace_each_other(b: Backend) {
    let mut config = OtpConfig::default();
    config.resend_cooldown = Duration::ZERO;
    let env = Env::new(b, config);
    let to = phone(60);
    let login = env.issue(&to).await.unwrap();
    let login_code = env.channel.last_code().unwrap();
    let reg = env
        .otp
        .issue(IssueRequest::new(Purpose::REGISTER, to.clone()))
        .await
        .unwrap();
    let reg_code = env.channel.last_code().unwrap();
    assert!(
        env.verify(&login.challenge_id, &login_code)
            .await
            .is_verified()
    );
    assert!(
        env.otp
            .verify(&Purpose::REGISTER, &reg.challenge_id, &reg_code)
            .await
            .unwrap()
            .is_verified()
    );
}

async fn configuration_is_honoured(b: Backend) {
    let mut config = OtpConfig::default();
    config.code_length = 8;
    config.max_attempts = 5;
    config.ttl = Duration::from_secs(60);
    config.max_sends_per_destination = 2;
    config.resend_cooldown = Duration::from_secs(10);
    config.send_window = Duration::from_secs(600);
    let env = Env::new(b, config);
    let to = Destination::email("budi@example.com").unwrap();
    let issued = env
        .otp
        .issue(IssueRequest::new(Purpose::PASSWORD_RESET, to.clone()).locale(Locale::English))
        .await
        .unwrap();
    let sent = env.channel.sent();
    assert_eq!(sent[0].code.len(), 8);
    assert_eq!(sent[0].locale, Locale::English);
    assert!(
        sent[0]
            .text
            .contains("password reset code. It expires in 1 minutes")
    );
    assert_eq!(
        env.otp
            .verify(&Purpose::PASSWORD_RESET, &issued.challenge_id, "1")
            .await
            .unwrap(),
        VerifyOutcome::WrongCode { attempts_left: 4 }
    );
    env.advance(10);
    env.otp
        .issue(IssueRequest::new(Purpose::PASSWORD_RESET, to.clone()))
        .await
        .unwrap();
    env.advance(10);
    let wait = retry_after(
        env.otp
            .issue(IssueRequest::new(Purpose::PASSWORD_RESET, to))
            .await,
    );
    assert_eq!(wait, Duration::from_secs(600 - 20));
}

async fn bad_requests_are_refused_before_counting(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    for key in [String::new(), "k".repeat(257)] {
        let err = env
            .otp
            .issue(IssueRequest::new(Purpose::LOGIN, phone(70)).client_key(key))
            .await
            .unwrap_err();
        assert!(
            matches!(err, OtpError::InvalidRequest(InvalidRequest::ClientKey)),
            "{err:?}"
        );
        assert_eq!(err.http_status(), 400);
    }
    env.issue(&phone(70)).await.unwrap();
}

async fn purge_deletes_old_rows_only(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let issued = env.issue(&phone(80)).await.unwrap();
    assert_eq!(env.otp.purge_expired().await.unwrap(), 0);
    env.advance(5 * 60 + 30 * 60);
    assert_eq!(env.otp.purge_expired().await.unwrap(), 0);
    assert_eq!(
        env.verify(&issued.challenge_id, "1").await,
        VerifyOutcome::Expired
    );
    env.advance(30 * 60 + 1);
    // The challenge (expired an hour ago) and the send log (window over).
    assert_eq!(env.otp.purge_expired().await.unwrap(), 2);
    assert_eq!(
        env.verify(&issued.challenge_id, "1").await,
        VerifyOutcome::NotFound
    );
    assert_eq!(env.otp.purge_expired().await.unwrap(), 0);
}

// -------------------------------------------------------------- concurrency

async fn parallel_wrong_codes_never_exceed_max_attempts(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let issued = env.issue(&phone(90)).await.unwrap();
    let code = env.channel.last_code().unwrap();
    let replica = env.backend.replica().await;
    let other = Otp::builder(
        OtpSecret::new(SECRET).unwrap(),
        replica,
        RecordingChannel::new(),
    )
    .clock(env.clock.clone())
    .build()
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let otp = if i % 2 == 0 {
            env.otp.clone()
        } else {
            other.clone()
        };
        let id = issued.challenge_id.clone();
        let guess = wrong(&code);
        tasks.push(tokio::spawn(async move {
            otp.verify(&Purpose::LOGIN, &id, &guess).await.unwrap()
        }));
    }
    let mut wrong_codes = Vec::new();
    let mut locked = 0;
    for t in tasks {
        match t.await.unwrap() {
            VerifyOutcome::WrongCode { attempts_left } => wrong_codes.push(attempts_left),
            VerifyOutcome::Locked => locked += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    wrong_codes.sort_unstable();
    assert_eq!(wrong_codes, [0, 1, 2], "exactly max_attempts comparisons");
    assert_eq!(locked, 21);
    assert_eq!(
        env.verify(&issued.challenge_id, &code).await,
        VerifyOutcome::Locked
    );
}

async fn parallel_guesses_with_the_right_code_get_three_comparisons(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let issued = env.issue(&phone(91)).await.unwrap();
    let code = env.channel.last_code().unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let otp = env.otp.clone();
        let id = issued.challenge_id.clone();
        let guess = if i == 15 { code.clone() } else { wrong(&code) };
        tasks.push(tokio::spawn(async move {
            otp.verify(&Purpose::LOGIN, &id, &guess).await.unwrap()
        }));
    }
    let mut compared = 0;
    let mut verified = 0;
    for t in tasks {
        match t.await.unwrap() {
            VerifyOutcome::WrongCode { .. } => compared += 1,
            VerifyOutcome::Verified(_) => {
                compared += 1;
                verified += 1;
            }
            VerifyOutcome::Locked | VerifyOutcome::NotFound => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(compared <= 3, "{compared} comparisons");
    assert!(verified <= 1);
}

async fn parallel_issues_across_replicas_send_once(b: Backend) {
    let env = Env::new(b, OtpConfig::default());
    let replica = env.backend.replica().await;
    let other = Otp::builder(
        OtpSecret::new(SECRET).unwrap(),
        replica,
        env.channel.clone(),
    )
    .clock(env.clock.clone())
    .build()
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let otp = if i % 2 == 0 {
            env.otp.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            otp.issue(IssueRequest::new(Purpose::LOGIN, phone(92)))
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(OtpError::TooManyRequests { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1, "the cooldown holds across replicas");
    assert_eq!(env.channel.sent().len(), 1);
}

async fn parallel_issues_never_exceed_the_client_limit(b: Backend) {
    let mut config = OtpConfig::default();
    config.max_sends_per_client = 5;
    let env = Env::new(b, config);
    let mut tasks = Vec::new();
    for n in 0..12 {
        let otp = env.otp.clone();
        tasks.push(tokio::spawn(async move {
            otp.issue(IssueRequest::new(Purpose::LOGIN, phone(100 + n)).client_key("nat"))
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(OtpError::TooManyRequests { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!((1..=5).contains(&ok), "{ok} sends for a limit of 5");
    assert_eq!(env.channel.sent().len(), ok);
}

macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::Backend::memory().await).await }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::Backend::sqlite().await).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::Backend::postgres().await).await }
            )*
        }
    };
}

on_every_store!(
    right_code_verifies_once,
    three_wrong_codes_then_the_right_one_fails,
    right_code_on_the_last_attempt_verifies,
    codes_expire,
    code_only_verifies_for_its_purpose,
    unknown_challenges_are_not_found,
    resend_waits_for_the_cooldown_and_replaces_the_old_code,
    cooldown_is_per_destination,
    sends_per_destination_are_limited_per_rolling_hour,
    sends_per_client_key_are_limited,
    destination_refusal_gives_the_client_slot_back,
    failed_delivery_discards_the_new_code_and_keeps_the_old,
    decoys_behave_like_real_challenges,
    undisclosed_issues_answer_alike_whatever_happens,
    a_failed_undisclosed_delivery_keeps_the_earlier_code,
    purposes_do_not_replace_each_other,
    configuration_is_honoured,
    bad_requests_are_refused_before_counting,
    purge_deletes_old_rows_only,
    parallel_wrong_codes_never_exceed_max_attempts,
    parallel_guesses_with_the_right_code_get_three_comparisons,
    parallel_issues_across_replicas_send_once,
    parallel_issues_never_exceed_the_client_limit,
);
