//! The Midtrans client: one value per merchant.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::core_api::{ChargeRequest, RefundRequest};
use crate::env::{BaseUrls, Environment, join};
use crate::error::Error;
use crate::money::Idr;
use crate::notification::{Notification, PaymentState, SubscriptionNotification};
use crate::order_id::OrderId;
use crate::snap::{SnapRequest, SnapResponse};
use crate::subscription::{CreateSubscription, Subscription, SubscriptionAck, UpdateSubscription};
use crate::transport::{Accept, RequestOptions, RetryPolicy, Transport};
use crate::types::Transaction;

/// A client for one Midtrans merchant account (one server key).
///
/// Cheap to clone (the HTTP pool and settings are shared). Keep one per
/// merchant; nothing is global, so one process can serve many merchants.
/// `Debug` never prints the server key.
#[derive(Clone)]
pub struct MidtransClient {
    inner: Arc<Inner>,
    options: RequestOptions,
}

#[derive(Clone)]
struct Inner {
    transport: Transport,
    env: Environment,
    urls: BaseUrls,
}

impl fmt::Debug for MidtransClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MidtransClient")
            .field("environment", &self.inner.env)
            .field("server_key", &"<redacted>")
            .field("core_url", &self.inner.urls.core.as_str())
            .field("snap_url", &self.inner.urls.snap.as_str())
            .field("timeout", &self.inner.transport.timeout)
            .field("options", &self.options)
            .finish()
    }
}

/// Which transaction a management call is about: Midtrans accepts either
/// the merchant's order id or its own transaction id in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionRef {
    /// The merchant's order id.
    Order(OrderId),
    /// Midtrans' `transaction_id`.
    Transaction(String),
}

impl TransactionRef {
    fn as_str(&self) -> &str {
        match self {
            TransactionRef::Order(o) => o.as_str(),
            TransactionRef::Transaction(t) => t,
        }
    }

    fn check(&self) -> Result<(), Error> {
        if self.as_str().trim().is_empty() {
            return Err(Error::InvalidRequest("transaction id is empty".to_owned()));
        }
        Ok(())
    }
}

impl From<OrderId> for TransactionRef {
    fn from(o: OrderId) -> Self {
        TransactionRef::Order(o)
    }
}

impl From<&OrderId> for TransactionRef {
    fn from(o: &OrderId) -> Self {
        TransactionRef::Order(o.clone())
    }
}

/// The answer to `GET /v2/{id}/status/b2b`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct B2bStatus {
    /// Midtrans' status code.
    #[serde(deserialize_with = "crate::de::string_lenient")]
    pub status_code: String,
    /// Message.
    #[serde(default)]
    pub status_message: Option<String>,
    /// The transactions of the order.
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

/// A notification that passed signature verification and was confirmed by
/// GET status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmedNotification {
    /// The notification as received.
    pub notification: Notification,
    /// The transaction as GET status returned it: the source of truth.
    pub status: Transaction,
    /// The classification of the *confirmed* status.
    pub state: PaymentState,
}

#[derive(Serialize)]
struct CaptureBody<'a> {
    transaction_id: &'a str,
    gross_amount: Idr,
}

impl MidtransClient {
    /// A client for the merchant with `server_key` in `env`.
    pub fn new(server_key: impl Into<String>, env: Environment) -> Self {
        MidtransClient {
            inner: Arc::new(Inner {
                transport: Transport::new(server_key.into(), "Idempotency-Key"),
                env,
                urls: BaseUrls::for_environment(env),
            }),
            options: RequestOptions::default(),
        }
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }

    /// Sends requests to other base URLs (a mock server in tests).
    #[must_use]
    pub fn with_base_urls(mut self, urls: BaseUrls) -> Self {
        self.inner_mut().urls = urls;
        self
    }

    /// Sets the default timeout of every call (30 s unless changed). There
    /// is always one.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.inner_mut().transport.timeout = timeout;
        self
    }

    /// Sets the retry policy (see [`RetryPolicy`] for what is retried).
    #[must_use]
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.inner_mut().transport.retry = retry;
        self
    }

    /// Uses a pre-configured `reqwest` client (proxy, pool settings). Its
    /// own timeout, if any, also applies.
    #[must_use]
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.inner_mut().transport.set_http_client(http);
        self
    }

    /// A client whose calls use `options` (idempotency key, notification
    /// URL headers, timeout). The original client is unchanged.
    ///
    /// ```no_run
    /// # async fn f(client: midtrans_client::MidtransClient, req: midtrans_client::ChargeRequest) -> Result<(), midtrans_client::Error> {
    /// use midtrans_client::RequestOptions;
    /// let tx = client
    ///     .with_options(RequestOptions::default().idempotency_key("charge-ORDER-101"))
    ///     .charge(&req)
    ///     .await?;
    /// # let _ = tx; Ok(()) }
    /// ```
    #[must_use]
    pub fn with_options(&self, options: RequestOptions) -> Self {
        MidtransClient {
            inner: Arc::clone(&self.inner),
            options,
        }
    }

    /// The environment.
    #[must_use]
    pub fn environment(&self) -> Environment {
        self.inner.env
    }

    /// The base URLs in use.
    #[must_use]
    pub fn base_urls(&self) -> &BaseUrls {
        &self.inner.urls
    }

    /// Verifies a notification's signature with this client's server key.
    pub fn verify_notification(&self, n: &Notification) -> Result<(), Error> {
        n.verify_signature(self.inner.transport.key().expose())
            .map_err(Error::from)
    }

    async fn core<B, T>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
        accept: Accept,
    ) -> Result<T, Error>
    where
        B: Serialize + ?Sized,
        T: serde::de::DeserializeOwned,
    {
        let url = join(&self.inner.urls.core, segments);
        self.inner
            .transport
            .call(method, url, body, &self.options, accept)
            .await
    }

    // ---- Snap ----

    /// Creates a Snap transaction: `POST {snap}/transactions`.
    ///
    /// Validates first (items must add up to `gross_amount`; see
    /// [`SnapRequest::validate`]); nothing is sent if that fails.
    pub async fn create_snap_transaction(&self, req: &SnapRequest) -> Result<SnapResponse, Error> {
        req.validate()?;
        let url = join(&self.inner.urls.snap, &["transactions"]);
        self.inner
            .transport
            .call(Method::POST, url, Some(req), &self.options, Accept::Http)
            .await
    }

    // ---- Core API ----

    /// Charges with the Core API: `POST /v2/charge`.
    ///
    /// A pending answer (`status_code` `"201"`: VA issued, QR shown, 3DS
    /// redirect) is a success; look at
    /// [`Transaction::payment_state`].
    pub async fn charge(&self, req: &ChargeRequest) -> Result<Transaction, Error> {
        req.validate()?;
        self.core(
            Method::POST,
            &["v2", "charge"],
            Some(req),
            Accept::Core { allow_407: false },
        )
        .await
    }

    /// Transaction status: `GET /v2/{id}/status`. An expired transaction
    /// (`status_code` `"407"`) is a normal answer, not an error.
    pub async fn status(&self, id: impl Into<TransactionRef>) -> Result<Transaction, Error> {
        let id = id.into();
        id.check()?;
        self.core::<(), _>(
            Method::GET,
            &["v2", id.as_str(), "status"],
            None,
            Accept::Core { allow_407: true },
        )
        .await
    }

    /// Status of a transaction by the raw order id text as received (for
    /// confirming notifications without re-validating the id).
    async fn status_raw(&self, order_id: &str) -> Result<Transaction, Error> {
        if order_id.is_empty() {
            return Err(Error::InvalidRequest("order id is empty".to_owned()));
        }
        self.core::<(), _>(
            Method::GET,
            &["v2", order_id, "status"],
            None,
            Accept::Core { allow_407: true },
        )
        .await
    }

    /// B2B status (all transactions of an order): `GET /v2/{id}/status/b2b`.
    pub async fn status_b2b(
        &self,
        id: impl Into<TransactionRef>,
        page: u32,
        per_page: u32,
    ) -> Result<B2bStatus, Error> {
        let id = id.into();
        id.check()?;
        let mut url = join(&self.inner.urls.core, &["v2", id.as_str(), "status", "b2b"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &per_page.to_string());
        self.inner
            .transport
            .call::<(), _>(
                Method::GET,
                url,
                None,
                &self.options,
                Accept::Core { allow_407: false },
            )
            .await
    }

    async fn action(
        &self,
        id: TransactionRef,
        action: &str,
        allow_407: bool,
    ) -> Result<Transaction, Error> {
        id.check()?;
        self.core::<(), _>(
            Method::POST,
            &["v2", id.as_str(), action],
            None,
            Accept::Core { allow_407 },
        )
        .await
    }

    /// Accepts a transaction held by fraud detection (`challenge`):
    /// `POST /v2/{id}/approve`.
    pub async fn approve(&self, id: impl Into<TransactionRef>) -> Result<Transaction, Error> {
        self.action(id.into(), "approve", false).await
    }

    /// Rejects a transaction held by fraud detection: `POST /v2/{id}/deny`.
    pub async fn deny(&self, id: impl Into<TransactionRef>) -> Result<Transaction, Error> {
        self.action(id.into(), "deny", false).await
    }

    /// Cancels a transaction before settlement: `POST /v2/{id}/cancel`.
    pub async fn cancel(&self, id: impl Into<TransactionRef>) -> Result<Transaction, Error> {
        self.action(id.into(), "cancel", false).await
    }

    /// Expires a pending transaction now: `POST /v2/{id}/expire`. An answer
    /// with `status_code` `"407"` (expired) is the success case.
    pub async fn expire(&self, id: impl Into<TransactionRef>) -> Result<Transaction, Error> {
        self.action(id.into(), "expire", true).await
    }

    /// Refunds a settled transaction: `POST /v2/{id}/refund`.
    pub async fn refund(
        &self,
        id: impl Into<TransactionRef>,
        req: &RefundRequest,
    ) -> Result<Transaction, Error> {
        let id = id.into();
        id.check()?;
        req.validate()?;
        self.core(
            Method::POST,
            &["v2", id.as_str(), "refund"],
            Some(req),
            Accept::Core { allow_407: false },
        )
        .await
    }

    /// Direct (online) refund for methods that support it (GoPay, QRIS,
    /// ShopeePay, cards): `POST /v2/{id}/refund/online/direct`.
    pub async fn direct_refund(
        &self,
        id: impl Into<TransactionRef>,
        req: &RefundRequest,
    ) -> Result<Transaction, Error> {
        let id = id.into();
        id.check()?;
        req.validate()?;
        self.core(
            Method::POST,
            &["v2", id.as_str(), "refund", "online", "direct"],
            Some(req),
            Accept::Core { allow_407: false },
        )
        .await
    }

    /// Captures an authorized card transaction: `POST /v2/capture`.
    pub async fn capture(&self, transaction_id: &str, amount: Idr) -> Result<Transaction, Error> {
        if transaction_id.trim().is_empty() {
            return Err(Error::InvalidRequest("transaction id is empty".to_owned()));
        }
        if amount.rupiah() <= 0 {
            return Err(Error::InvalidRequest(
                "capture amount must be positive".to_owned(),
            ));
        }
        let body = CaptureBody {
            transaction_id,
            gross_amount: amount,
        };
        self.core(
            Method::POST,
            &["v2", "capture"],
            Some(&body),
            Accept::Core { allow_407: false },
        )
        .await
    }

    // ---- Notifications ----

    /// Verifies `n`'s signature with this client's server key, then
    /// confirms it with GET status (the documented best practice) and
    /// checks that the answer is about the same order and amount.
    ///
    /// Act on [`ConfirmedNotification::state`], which classifies the
    /// confirmed status, and apply it only if it
    /// [supersedes](PaymentState::supersedes) what you have stored.
    pub async fn confirm(&self, n: &Notification) -> Result<ConfirmedNotification, Error> {
        self.verify_notification(n)?;
        let status = self.status_raw(&n.order_id).await?;
        if let Some(got) = &status.order_id
            && got != &n.order_id
        {
            return Err(Error::ConfirmationMismatch(format!(
                "GET status returned order {got:?} for notification of {:?}",
                n.order_id
            )));
        }
        if let (Ok(a), Some(b)) = (n.gross_amount_idr(), status.gross_amount_idr())
            && a != b
        {
            return Err(Error::ConfirmationMismatch(format!(
                "notification amount {a} differs from confirmed amount {b}"
            )));
        }
        let state = status.payment_state();
        Ok(ConfirmedNotification {
            notification: n.clone(),
            status,
            state,
        })
    }

    /// Parses a raw notification body, then [`confirm`](Self::confirm)s it.
    pub async fn verify_and_confirm(&self, body: &[u8]) -> Result<ConfirmedNotification, Error> {
        let n = Notification::from_slice(body)?;
        self.confirm(&n).await
    }

    /// Confirms a subscription notification (which has no signature) by
    /// GETting the subscription; act on the returned value only.
    pub async fn confirm_subscription(
        &self,
        n: &SubscriptionNotification,
    ) -> Result<Subscription, Error> {
        self.get_subscription(&n.subscription.id).await
    }

    // ---- Subscription API ----

    /// Creates a subscription: `POST /v1/subscriptions`.
    pub async fn create_subscription(
        &self,
        req: &CreateSubscription,
    ) -> Result<Subscription, Error> {
        req.validate()?;
        self.core(
            Method::POST,
            &["v1", "subscriptions"],
            Some(req),
            Accept::Http,
        )
        .await
    }

    /// Gets a subscription: `GET /v1/subscriptions/{id}`.
    pub async fn get_subscription(&self, id: &str) -> Result<Subscription, Error> {
        check_id(id)?;
        self.core::<(), _>(
            Method::GET,
            &["v1", "subscriptions", id],
            None,
            Accept::Http,
        )
        .await
    }

    /// Updates a subscription: `PATCH /v1/subscriptions/{id}`.
    pub async fn update_subscription(
        &self,
        id: &str,
        req: &UpdateSubscription,
    ) -> Result<SubscriptionAck, Error> {
        check_id(id)?;
        if let Some(a) = req.amount
            && a.rupiah() <= 0
        {
            return Err(Error::InvalidRequest(
                "subscription amount must be positive".to_owned(),
            ));
        }
        self.core(
            Method::PATCH,
            &["v1", "subscriptions", id],
            Some(req),
            Accept::Http,
        )
        .await
    }

    async fn subscription_action(&self, id: &str, action: &str) -> Result<SubscriptionAck, Error> {
        check_id(id)?;
        self.core::<(), _>(
            Method::POST,
            &["v1", "subscriptions", id, action],
            None,
            Accept::Http,
        )
        .await
    }

    /// Enables a subscription: `POST /v1/subscriptions/{id}/enable`.
    pub async fn enable_subscription(&self, id: &str) -> Result<SubscriptionAck, Error> {
        self.subscription_action(id, "enable").await
    }

    /// Disables a subscription: `POST /v1/subscriptions/{id}/disable`.
    pub async fn disable_subscription(&self, id: &str) -> Result<SubscriptionAck, Error> {
        self.subscription_action(id, "disable").await
    }

    /// Cancels a subscription for good: `POST /v1/subscriptions/{id}/cancel`.
    pub async fn cancel_subscription(&self, id: &str) -> Result<SubscriptionAck, Error> {
        self.subscription_action(id, "cancel").await
    }
}

fn check_id(id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::InvalidRequest("id is empty".to_owned()));
    }
    Ok(())
}
