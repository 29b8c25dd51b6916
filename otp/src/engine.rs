//! The issuing and verifying engine.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;

use crate::channel::{Channel, Delivery};
use crate::clock::{Clock, SystemClock};
use crate::config::{OtpConfig, millis};
use crate::destination::Destination;
use crate::error::{ConfigError, InvalidRequest, OtpError};
use crate::messages::{Locale, Messages};
use crate::outcome::{Issued, Verified, VerifyOutcome};
use crate::purpose::Purpose;
use crate::secret::{
    OtpSecret, generate_challenge_id, generate_code, hashes_equal, normalize_code_input,
};
use crate::store::{NewChallenge, Store, StoreError};

/// Compare-and-swap rounds before a contended send log gives up.
const CAS_ROUNDS: usize = 16;
/// Longest challenge id looked up; issued ids are 32 characters.
const MAX_ID_LEN: usize = 64;

/// A request for a code.
///
/// ```
/// use otp::{Destination, IssueRequest, Locale, Purpose};
/// let request = IssueRequest::new(Purpose::LOGIN, Destination::phone_e164("+6281234567890").unwrap())
///     .client_key("203.0.113.7")
///     .locale(Locale::English);
/// assert_eq!(request.client_key.as_deref(), Some("203.0.113.7"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssueRequest {
    /// What the code is for.
    pub purpose: Purpose,
    /// Where to send it.
    pub destination: Destination,
    /// Who is asking, as the app identifies them (typically the client's IP
    /// address); sends are limited per key. Stored only as a keyed hash.
    pub client_key: Option<String>,
    /// Language of the message. Default Indonesian.
    pub locale: Locale,
}

impl IssueRequest {
    /// A request without client key, in Indonesian.
    pub fn new(purpose: Purpose, destination: Destination) -> Self {
        Self {
            purpose,
            destination,
            client_key: None,
            locale: Locale::default(),
        }
    }

    /// Sets the client key (e.g. the caller's IP address), 1 to 256 bytes.
    #[must_use]
    pub fn client_key(mut self, key: impl Into<String>) -> Self {
        self.client_key = Some(key.into());
        self
    }

    /// Sets the message language.
    #[must_use]
    pub fn locale(mut self, locale: Locale) -> Self {
        self.locale = locale;
        self
    }
}

/// How [`Otp::issue_inner`] treats a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Send the code; every failure is reported.
    Real,
    /// Send nothing; the challenge cannot be verified.
    Decoy,
    /// Send the code, but answer a failed delivery like a sent code.
    Undisclosed,
}

/// The answer for a stored challenge.
fn issued(challenge_id: String, now: chrono::DateTime<chrono::Utc>, config: &OtpConfig) -> Issued {
    let ttl = chrono::Duration::from_std(config.ttl).unwrap_or(chrono::Duration::MAX);
    Issued {
        challenge_id,
        expires_at: now.checked_add_signed(ttl).unwrap_or(now),
        resend_after: config.resend_cooldown,
    }
}

/// One-time passcodes: issue a challenge, deliver its code, verify it.
///
/// Cheap to clone; clones share everything. See the crate documentation for
/// a complete example.
#[derive(Clone)]
pub struct Otp {
    inner: Arc<Inner>,
}

struct Inner {
    secret: OtpSecret,
    store: Box<dyn Store>,
    channel: Box<dyn Channel>,
    clock: Box<dyn Clock>,
    config: OtpConfig,
    messages: Messages,
    /// Moving average of real delivery times in microseconds, so decoys
    /// take about as long as real sends.
    delivery_micros: AtomicU64,
}

impl fmt::Debug for Otp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Otp")
            .field("channel", &self.inner.channel.name())
            .field("config", &self.inner.config)
            .field("messages", &self.inner.messages)
            .field("secret", &self.inner.secret)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Otp`]; see [`Otp::builder`].
pub struct OtpBuilder {
    secret: OtpSecret,
    store: Box<dyn Store>,
    channel: Box<dyn Channel>,
    clock: Box<dyn Clock>,
    config: OtpConfig,
    messages: Messages,
}

impl fmt::Debug for OtpBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpBuilder")
            .field("channel", &self.channel.name())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OtpBuilder {
    /// Replaces the default rules.
    #[must_use]
    pub fn config(mut self, config: OtpConfig) -> Self {
        self.config = config;
        self
    }

    /// Replaces the system clock (tests use [`ManualClock`](crate::ManualClock)).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Replaces the message texts.
    #[must_use]
    pub fn messages(mut self, messages: Messages) -> Self {
        self.messages = messages;
        self
    }

    /// Checks the configuration and builds the engine.
    pub fn build(self) -> Result<Otp, ConfigError> {
        self.config.validate()?;
        Ok(Otp {
            inner: Arc::new(Inner {
                secret: self.secret,
                store: self.store,
                channel: self.channel,
                clock: self.clock,
                config: self.config,
                messages: self.messages,
                delivery_micros: AtomicU64::new(0),
            }),
        })
    }
}

impl Otp {
    /// Starts building an engine from its three required parts. Defaults:
    /// [`OtpConfig::default()`], the system clock, [`Messages::default()`].
    pub fn builder(
        secret: OtpSecret,
        store: impl Store + 'static,
        channel: impl Channel + 'static,
    ) -> OtpBuilder {
        OtpBuilder {
            secret,
            store: Box::new(store),
            channel: Box::new(channel),
            clock: Box::new(SystemClock),
            config: OtpConfig::default(),
            messages: Messages::default(),
        }
    }

    /// The rules in force.
    pub fn config(&self) -> &OtpConfig {
        &self.inner.config
    }

    /// Creates a challenge and sends its code.
    ///
    /// Refused with [`OtpError::TooManyRequests`] when the client key's or
    /// the destination's send limit is used up or the resend cooldown is
    /// running. Issuing again for the same purpose and destination (a
    /// resend) closes the earlier challenges once the new code is
    /// delivered, so only the newest code works.
    pub async fn issue(&self, request: IssueRequest) -> Result<Issued, OtpError> {
        self.issue_inner(request, Mode::Real).await
    }

    /// Behaves like [`Otp::issue`] towards the caller but sends nothing and
    /// stores a challenge that no code can verify.
    ///
    /// Use it when the destination has no account (a login or password
    /// reset for an unknown number): the same limits apply, the answer has
    /// the same shape, verifying it answers `WrongCode` then `Locked` like a
    /// real challenge, and it waits about as long as recent real deliveries
    /// took. The user-visible result therefore does not tell whether an
    /// account exists.
    ///
    /// Any kind of destination is accepted, also one the channel could not
    /// deliver to: nothing is sent, so nothing about the destination can
    /// make a decoy fail where a real send would not.
    pub async fn issue_decoy(&self, request: IssueRequest) -> Result<Issued, OtpError> {
        self.issue_inner(request, Mode::Decoy).await
    }

    /// Issues a code in a flow that must not reveal whether an account
    /// exists (password reset, login by number): sends a real code when
    /// `known` is `true`, a decoy otherwise, and answers the same way in
    /// every case.
    ///
    /// Unlike [`Otp::issue`], a destination the channel cannot deliver to
    /// and a failed delivery are not errors here: they are logged and
    /// answered like a sent code (the challenge stays stored, and nobody
    /// holds its code, so it behaves like a decoy). The only errors are
    /// those a decoy gives too: [`OtpError::TooManyRequests`], a malformed
    /// client key, and [`OtpError::Store`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use otp::testing::RecordingChannel;
    /// use otp::{Destination, IssueRequest, MemoryStore, Otp, OtpSecret, Purpose};
    ///
    /// let channel = RecordingChannel::new();
    /// let otp = Otp::builder(OtpSecret::random(), MemoryStore::new(), channel.clone())
    ///     .build()
    ///     .unwrap();
    /// let known = IssueRequest::new(Purpose::PASSWORD_RESET, Destination::phone_e164("+6281234567890").unwrap());
    /// let unknown = IssueRequest::new(Purpose::PASSWORD_RESET, Destination::email("nobody@example.com").unwrap());
    /// let a = otp.issue_undisclosed(known, true).await.unwrap();
    /// let b = otp.issue_undisclosed(unknown, false).await.unwrap();
    /// assert_eq!(a.resend_after, b.resend_after);
    /// assert_eq!(channel.sent().len(), 1);
    /// # });
    /// ```
    pub async fn issue_undisclosed(
        &self,
        request: IssueRequest,
        known: bool,
    ) -> Result<Issued, OtpError> {
        let mode = if !known {
            Mode::Decoy
        } else if self.inner.channel.supports(&request.destination) {
            Mode::Undisclosed
        } else {
            tracing::warn!(
                channel = self.inner.channel.name(),
                destination = %request.destination.masked(),
                "otp: the channel cannot deliver to this account's destination; answering as if sent"
            );
            Mode::Decoy
        };
        self.issue_inner(request, mode).await
    }

    async fn issue_inner(&self, request: IssueRequest, mode: Mode) -> Result<Issued, OtpError> {
        let inner = &*self.inner;
        let config = &inner.config;
        let decoy = mode == Mode::Decoy;
        if let Some(key) = &request.client_key
            && (key.is_empty() || key.len() > 256)
        {
            return Err(InvalidRequest::ClientKey.into());
        }
        if mode == Mode::Real && !inner.channel.supports(&request.destination) {
            return Err(InvalidRequest::UnsupportedDestination {
                channel: inner.channel.name(),
            }
            .into());
        }

        let now = inner.clock.now();
        let now_ms = now.timestamp_millis();
        let window_ms = millis(config.send_window);

        // The requester's own budget first: a caller hammering one number
        // uses up its own allowance before the victim's.
        let client_counter = match &request.client_key {
            Some(key) => {
                let counter = inner.secret.counter_key("client", key);
                let limit = config.max_sends_per_client;
                if let Err(wait) = self.acquire(&counter, now_ms, window_ms, limit, 0).await? {
                    return Err(OtpError::TooManyRequests { retry_after: wait });
                }
                Some(counter)
            }
            None => None,
        };
        let destination_key = request.destination.to_key();
        let destination_counter = inner.secret.counter_key("dest", &destination_key);
        let cooldown_ms = millis(config.resend_cooldown);
        let limit = config.max_sends_per_destination;
        let acquired = self
            .acquire(&destination_counter, now_ms, window_ms, limit, cooldown_ms)
            .await?;
        if let Err(wait) = acquired {
            if let Some(counter) = &client_counter
                && let Err(e) = self.release(counter, now_ms, window_ms).await
            {
                tracing::warn!(error = %e, "otp: could not give back a client send slot");
            }
            return Err(OtpError::TooManyRequests { retry_after: wait });
        }

        let id = generate_challenge_id();
        let code = generate_code(config.code_length);
        let code_hash = if decoy {
            let mut random = [0u8; 32];
            rand::rng().fill(&mut random);
            random
        } else {
            inner.secret.code_hash(&id, &code)
        };
        let ttl_ms = millis(config.ttl);
        let challenge = NewChallenge::new(
            id.clone(),
            request.purpose.as_str(),
            destination_key.clone(),
            code_hash,
            now_ms,
            now_ms.saturating_add(ttl_ms),
            config.max_attempts,
        );
        inner.store.insert_challenge(&challenge).await?;

        if decoy {
            let micros = inner.delivery_micros.load(Ordering::Relaxed);
            tokio::time::sleep(Duration::from_micros(micros)).await;
        } else {
            let text = inner
                .messages
                .render(&request.purpose, request.locale, &code, config.ttl);
            let delivery = Delivery::new(
                &id,
                &request.destination,
                &request.purpose,
                request.locale,
                &code,
                &text,
                config.ttl,
            );
            let started = tokio::time::Instant::now();
            let delivered = inner.channel.deliver(&delivery).await;
            self.record_delivery_time(started.elapsed());
            if let Err(e) = delivered {
                tracing::warn!(
                    channel = inner.channel.name(),
                    destination = %request.destination.masked(),
                    error = %e,
                    "otp: delivery failed"
                );
                if mode == Mode::Undisclosed {
                    // The undelivered challenge stays, unverifiable by
                    // anyone, and earlier codes keep working: the caller
                    // sees what a decoy would show.
                    return Ok(issued(id, now, config));
                }
                if let Err(store_error) = inner.store.delete_challenge(&id).await {
                    tracing::warn!(error = %store_error, "otp: could not discard an undelivered challenge");
                }
                return Err(e.into());
            }
        }
        inner
            .store
            .supersede_others(request.purpose.as_str(), &destination_key, &id, now_ms)
            .await?;
        tracing::debug!(
            challenge = %id,
            purpose = %request.purpose,
            destination = %request.destination.masked(),
            "otp: challenge issued"
        );
        Ok(issued(id, now, config))
    }

    fn record_delivery_time(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let cell = &self.inner.delivery_micros;
        let old = cell.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample
        } else {
            old - old / 8 + sample / 8
        };
        cell.store(new, Ordering::Relaxed);
    }

    /// Takes one send slot from a counter, or says how long to wait.
    async fn acquire(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
        limit: u32,
        min_interval_ms: i64,
    ) -> Result<Result<(), Duration>, StoreError> {
        let store = &self.inner.store;
        for _ in 0..CAS_ROUNDS {
            let log = store.load_send_log(key).await?;
            let (mut stamps, version) = match log {
                Some(log) => (log.stamps, Some(log.version)),
                None => (Vec::new(), None),
            };
            stamps.retain(|&t| t > now_ms - window_ms);
            stamps.sort_unstable();
            let mut wait_ms: i64 = 0;
            if let Some(&last) = stamps.last()
                && min_interval_ms > 0
                && now_ms < last + min_interval_ms
            {
                wait_ms = last + min_interval_ms - now_ms;
            }
            let limit = limit as usize;
            if stamps.len() >= limit {
                // The send that must leave the window before one more fits.
                let blocking = stamps[stamps.len() - limit];
                wait_ms = wait_ms.max(blocking + window_ms - now_ms);
            }
            if wait_ms > 0 {
                return Ok(Err(Duration::from_millis(wait_ms.unsigned_abs())));
            }
            stamps.push(now_ms);
            let expires = now_ms + window_ms.max(min_interval_ms);
            if store.save_send_log(key, version, &stamps, expires).await? {
                return Ok(Ok(()));
            }
        }
        tracing::warn!("otp: send counter stayed contended; refusing this send");
        Ok(Err(Duration::from_secs(1)))
    }

    /// Gives back a slot taken by [`Otp::acquire`] at `stamp`.
    async fn release(&self, key: &str, stamp: i64, window_ms: i64) -> Result<(), StoreError> {
        let store = &self.inner.store;
        for _ in 0..CAS_ROUNDS {
            let Some(log) = store.load_send_log(key).await? else {
                return Ok(());
            };
            let mut stamps = log.stamps;
            let Some(pos) = stamps.iter().position(|&t| t == stamp) else {
                return Ok(());
            };
            stamps.remove(pos);
            let expires = stamps.iter().max().map_or(stamp, |&t| t) + window_ms;
            if store
                .save_send_log(key, Some(log.version), &stamps, expires)
                .await?
            {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Checks `code` against challenge `challenge_id` issued for `purpose`.
    ///
    /// Each call on an open challenge uses one attempt, counted atomically
    /// in the store before the code is compared, so any number of parallel
    /// guesses get at most `max_attempts` comparisons. A right code closes
    /// the challenge; it never verifies twice. Spaces and dashes in `code`
    /// are ignored. Every failed check costs the same work (one hash, one
    /// store round trip, one constant-time comparison).
    ///
    /// Errors only when the store fails; every user mistake is a
    /// [`VerifyOutcome`].
    pub async fn verify(
        &self,
        purpose: &Purpose,
        challenge_id: &str,
        code: &str,
    ) -> Result<VerifyOutcome, OtpError> {
        let inner = &*self.inner;
        let now_ms = inner.clock.now().timestamp_millis();
        let code = normalize_code_input(code);
        let candidate = inner.secret.code_hash(challenge_id, &code);
        let state = if challenge_id.len() <= MAX_ID_LEN {
            inner
                .store
                .begin_attempt(challenge_id, purpose.as_str(), now_ms)
                .await?
        } else {
            None
        };
        let Some(state) = state else {
            let _ = hashes_equal(&candidate, &[0u8; 32]);
            return Ok(VerifyOutcome::NotFound);
        };
        // Compared even when no attempt was counted, to keep the work equal.
        let matches = hashes_equal(&candidate, &state.code_hash);
        if !state.reserved {
            return Ok(if state.consumed {
                VerifyOutcome::NotFound
            } else if state.superseded || state.expires_at_ms <= now_ms {
                VerifyOutcome::Expired
            } else {
                VerifyOutcome::Locked
            });
        }
        if !matches {
            let attempts_left = state.max_attempts.saturating_sub(state.attempts);
            tracing::debug!(challenge = %challenge_id, attempts_left, "otp: wrong code");
            return Ok(VerifyOutcome::WrongCode { attempts_left });
        }
        if !inner.store.consume(challenge_id, now_ms).await? {
            // Closed between our attempt and now: used by a parallel request
            // with the same code, or replaced by a resend.
            return Ok(VerifyOutcome::NotFound);
        }
        let destination = Destination::from_key(&state.destination)
            .map_err(|e| StoreError::Corrupt(format!("stored destination: {e}")))?;
        tracing::debug!(challenge = %challenge_id, "otp: verified");
        Ok(VerifyOutcome::Verified(Verified {
            challenge_id: challenge_id.to_owned(),
            purpose: purpose.clone(),
            destination,
        }))
    }

    /// Deletes challenges that expired more than the configured retention
    /// ago and send counters whose window has passed. Returns the number of
    /// rows deleted. Run it periodically, e.g. with
    /// [`Otp::spawn_purge_task`].
    pub async fn purge_expired(&self) -> Result<u64, OtpError> {
        let now_ms = self.inner.clock.now().timestamp_millis();
        let before = now_ms.saturating_sub(millis(self.inner.config.retention));
        Ok(self.inner.store.purge(before, now_ms).await?)
    }

    /// Runs [`Otp::purge_expired`] every `period` on the current Tokio
    /// runtime until the returned handle is aborted. Failures are logged and
    /// retried at the next tick.
    pub fn spawn_purge_task(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let otp = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period.max(Duration::from_secs(1)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                match otp.purge_expired().await {
                    Ok(n) if n > 0 => tracing::debug!(deleted = n, "otp: purged expired rows"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "otp: purge failed"),
                }
            }
        })
    }
}
