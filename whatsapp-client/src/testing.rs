//! Test doubles for code that sends through a [`Provider`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Error;
use crate::message::OutgoingMessage;
use crate::phone::PhoneNumber;
use crate::provider::{Provider, SendReceipt};
use crate::recipient::Recipient;

/// One message a [`RecordingProvider`] accepted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Sent {
    /// The recipient: a phone number, or a business-scoped user id (sent
    /// with [`Provider::send_to`]).
    pub to: Recipient,
    /// The message.
    pub message: OutgoingMessage,
    /// The id it was given (`rec-1`, `rec-2`, ...).
    pub message_id: String,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<Sent>,
    next_id: u64,
    failures: VecDeque<Error>,
    attempts: u64,
}

/// An in-memory provider that records what it is asked to send.
///
/// Cheap to clone; clones share the record. Accepted messages get ids
/// `rec-1`, `rec-2`, ... in order; [`RecordingProvider::fail_next`] makes
/// the next sends fail instead (failed sends are not recorded and use no
/// id).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use whatsapp_client::testing::RecordingProvider;
/// use whatsapp_client::{Error, OutgoingMessage, PhoneNumber, Provider};
///
/// let p = RecordingProvider::new();
/// let to = PhoneNumber::parse("081234567890").unwrap();
/// p.fail_next(1, Error::InvalidInput("boom".into()));
/// assert!(p.send(&to, &OutgoingMessage::text("a")).await.is_err());
/// let r = p.send(&to, &OutgoingMessage::text("b")).await.unwrap();
/// assert_eq!(r.message_id.as_deref(), Some("rec-1"));
/// assert_eq!(p.sent().len(), 1);
/// assert_eq!(p.attempts(), 2);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct RecordingProvider {
    kind: &'static str,
    state: Arc<Mutex<State>>,
}

impl Default for RecordingProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordingProvider {
    /// A recorder whose [`Provider::kind`] is `"recording"`.
    pub fn new() -> Self {
        Self::with_kind("recording")
    }

    /// A recorder reporting the given kind.
    pub fn with_kind(kind: &'static str) -> Self {
        Self {
            kind,
            state: Arc::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State inconsistent
        // (every update is a single push/pop), so a poisoned lock is usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the next `n` sends fail with `error`, before any later
    /// failures already queued are used up.
    pub fn fail_next(&self, n: usize, error: Error) {
        let mut st = self.state();
        st.failures.extend(std::iter::repeat_n(error, n));
    }

    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        self.state().sent.clone()
    }

    /// The last message sent, if any.
    pub fn last(&self) -> Option<Sent> {
        self.state().sent.last().cloned()
    }

    /// Messages sent to one recipient (a [`PhoneNumber`], a
    /// [`crate::UserId`] or a [`Recipient`]).
    pub fn sent_to(&self, to: impl Into<Recipient>) -> Vec<OutgoingMessage> {
        let to = to.into();
        self.state()
            .sent
            .iter()
            .filter(|s| s.to == to)
            .map(|s| s.message.clone())
            .collect()
    }

    /// How many times `send` was called, failed calls included.
    pub fn attempts(&self) -> u64 {
        self.state().attempts
    }

    /// Forgets everything recorded (ids keep counting up).
    pub fn clear(&self) {
        self.state().sent.clear();
    }
}

#[async_trait::async_trait]
impl Provider for RecordingProvider {
    fn kind(&self) -> &'static str {
        self.kind
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.record(Recipient::from(to), message)
    }

    /// Records sends to phone numbers and business-scoped user ids alike.
    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.record(to.clone(), message)
    }
}

impl RecordingProvider {
    fn record(&self, to: Recipient, message: &OutgoingMessage) -> Result<SendReceipt, Error> {
        let mut st = self.state();
        st.attempts += 1;
        if let Some(err) = st.failures.pop_front() {
            return Err(err);
        }
        message.validate()?;
        st.next_id += 1;
        let message_id = format!("rec-{}", st.next_id);
        st.sent.push(Sent {
            to,
            message: message.clone(),
            message_id: message_id.clone(),
        });
        Ok(SendReceipt::new(Some(message_id)))
    }
}
