//! Helpers for tests of apps that use this crate.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::channel::{Channel, Delivery, DeliveryError};
use crate::destination::Destination;
use crate::messages::Locale;
use crate::purpose::Purpose;

/// One delivery seen by a [`RecordingChannel`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// The challenge the code belongs to.
    pub challenge_id: String,
    /// Where it went.
    pub destination: Destination,
    /// What it was for.
    pub purpose: Purpose,
    /// The message language.
    pub locale: Locale,
    /// The code (test helper: shown in `Debug`).
    pub code: String,
    /// The rendered text.
    pub text: String,
}

#[derive(Debug, Default)]
struct Recorded {
    sent: Vec<Sent>,
    failure: Option<DeliveryError>,
}

/// A channel that delivers to memory, so a test can read the code that a
/// user would have received. Clones share the recording. It accepts every
/// kind of destination.
///
/// ```
/// # tokio_test_block(async {
/// use otp::{Destination, IssueRequest, MemoryStore, Otp, OtpSecret, Purpose, testing::RecordingChannel};
/// let channel = RecordingChannel::new();
/// let otp = Otp::builder(OtpSecret::random(), MemoryStore::new(), channel.clone()).build().unwrap();
/// let to = Destination::email("budi@example.com").unwrap();
/// let issued = otp.issue(IssueRequest::new(Purpose::LOGIN, to.clone())).await.unwrap();
/// let code = channel.last_code_for(&to).unwrap();
/// assert!(otp.verify(&Purpose::LOGIN, &issued.challenge_id, &code).await.unwrap().is_verified());
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordingChannel {
    inner: Arc<Mutex<Recorded>>,
}

impl RecordingChannel {
    /// An empty recording.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Recorded> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything delivered so far, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        self.lock().sent.clone()
    }

    /// The code of the latest delivery.
    pub fn last_code(&self) -> Option<String> {
        self.lock().sent.last().map(|s| s.code.clone())
    }

    /// The code of the latest delivery to `destination`.
    pub fn last_code_for(&self, destination: &Destination) -> Option<String> {
        self.lock()
            .sent
            .iter()
            .rev()
            .find(|s| &s.destination == destination)
            .map(|s| s.code.clone())
    }

    /// Makes every following delivery fail with `error` (`None`: succeed
    /// again). Failed deliveries are not recorded.
    pub fn fail_with(&self, error: Option<DeliveryError>) {
        self.lock().failure = error;
    }
}

#[async_trait]
impl Channel for RecordingChannel {
    fn name(&self) -> &'static str {
        "recording"
    }

    fn supports(&self, _destination: &Destination) -> bool {
        true
    }

    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), DeliveryError> {
        let mut recorded = self.lock();
        if let Some(error) = &recorded.failure {
            return Err(error.clone());
        }
        recorded.sent.push(Sent {
            challenge_id: delivery.challenge_id().to_owned(),
            destination: delivery.destination().clone(),
            purpose: delivery.purpose().clone(),
            locale: delivery.locale(),
            code: delivery.code().to_owned(),
            text: delivery.text().to_owned(),
        });
        Ok(())
    }
}
