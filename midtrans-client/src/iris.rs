//! Iris payouts (disbursement): beneficiaries, payouts, balance, and the
//! Iris notification signature.
//!
//! Iris has its own credentials, separate from the payment server key:
//!
//! * an **API key** per role, sent as HTTP Basic auth (key as user name,
//!   empty password). Creating payouts uses the *creator* key; approving
//!   and rejecting use the *approver* key. Make one [`IrisClient`] per key.
//! * a **merchant key** used only to sign notifications: Midtrans sends
//!   `Iris-Signature: hex(SHA-512(raw_body + merchant_key))`.
//!
//! Note on the documentation: the Iris notification page shows the
//! signature as `SHA512(payload + merchant_key)` without defining
//! `payload` further. This crate reads it as the raw request body bytes
//! exactly as received (which is what a sender can sign without agreeing on
//! a JSON serialization), and hashes it as plain SHA-512, not HMAC. Check
//! against a real sandbox notification before relying on it; confirming a
//! payout with [`IrisClient::payout`] is the second, unambiguous check.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::env::{Environment, join};
use crate::error::{Error, SignatureError};
use crate::money::Idr;
use crate::transport::{Accept, RequestOptions, RetryPolicy, Transport};
use crate::types::string_enum;

/// A client for the Iris API with one API key (creator or approver).
#[derive(Clone)]
pub struct IrisClient {
    transport: Transport,
    base: url::Url,
    env: Environment,
    options: RequestOptions,
}

impl fmt::Debug for IrisClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IrisClient")
            .field("environment", &self.env)
            .field("api_key", &"<redacted>")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

string_enum! {
    /// A payout's `status`.
    pub enum PayoutStatus {
        /// Created, waiting for approval.
        Queued = "queued",
        /// Approved, about to be processed.
        Approved = "approved",
        /// Sent to the bank.
        Processed = "processed",
        /// Money arrived.
        Completed = "completed",
        /// The bank rejected it.
        Failed = "failed",
        /// The approver rejected it.
        Rejected = "rejected",
    }
}

/// A beneficiary (saved payee).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beneficiary {
    /// Account holder name.
    pub name: String,
    /// Bank code, e.g. `bca`, `bni`, `mandiri`.
    pub bank: String,
    /// Account number.
    #[serde(deserialize_with = "crate::de::string_lenient")]
    pub account: String,
    /// Unique alias (letters and digits), used to update it.
    pub alias_name: String,
    /// Email notified of payouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One payout to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPayout {
    /// Account holder name.
    pub beneficiary_name: String,
    /// Account number.
    pub beneficiary_account: String,
    /// Bank code.
    pub beneficiary_bank: String,
    /// Email notified of the payout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary_email: Option<String>,
    /// Amount, sent as `"100000.00"`.
    #[serde(with = "crate::money::as_decimal_string")]
    pub amount: Idr,
    /// Notes (shown on the statement).
    pub notes: String,
}

/// The answer for one created payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreatedPayout {
    /// `queued` (needs approval) or `approved` (auto-approved accounts).
    pub status: PayoutStatus,
    /// Iris' reference number for later calls.
    pub reference_no: String,
}

/// A payout as `GET /payouts/{reference_no}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Payout {
    /// Amount.
    #[serde(deserialize_with = "crate::money::as_decimal_string::deserialize")]
    pub amount: Idr,
    /// Account holder name.
    #[serde(default)]
    pub beneficiary_name: Option<String>,
    /// Account number.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub beneficiary_account: Option<String>,
    /// Bank name as Iris shows it.
    #[serde(default)]
    pub bank: Option<String>,
    /// Iris reference number.
    pub reference_no: String,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Email notified.
    #[serde(default)]
    pub beneficiary_email: Option<String>,
    /// Status.
    pub status: PayoutStatus,
    /// Who created it.
    #[serde(default)]
    pub created_by: Option<String>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Failure code, for `failed` payouts.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Failure message, for `failed` payouts.
    #[serde(default)]
    pub error_message: Option<String>,
}

/// The body of an Iris payout notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IrisNotification {
    /// Iris reference number of the payout.
    pub reference_no: String,
    /// Amount.
    #[serde(default, deserialize_with = "crate::de::opt_idr")]
    pub amount: Option<Idr>,
    /// New status.
    pub status: PayoutStatus,
    /// When it changed.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Failure code, for `failed`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Failure message, for `failed`.
    #[serde(default)]
    pub error_message: Option<String>,
}

impl IrisNotification {
    /// Verifies `signature` (the `Iris-Signature` header) over the raw
    /// `body` with `merchant_key`, then parses the body. Parsing happens
    /// only after verification.
    pub fn verify_and_parse(
        body: &[u8],
        signature: Option<&str>,
        merchant_key: &str,
    ) -> Result<Self, Error> {
        verify_notification(body, signature, merchant_key)?;
        serde_json::from_slice(body).map_err(Error::InvalidNotification)
    }
}

/// `hex(SHA-512(body + merchant_key))`: the `Iris-Signature` value.
#[must_use]
pub fn sign_notification(body: &[u8], merchant_key: &str) -> String {
    let mut h = Sha512::new();
    h.update(body);
    h.update(merchant_key.as_bytes());
    hex::encode(h.finalize())
}

/// Checks an `Iris-Signature` header against the raw body in constant time.
pub fn verify_notification(
    body: &[u8],
    signature: Option<&str>,
    merchant_key: &str,
) -> Result<(), SignatureError> {
    let sig = signature.ok_or(SignatureError::Missing)?;
    crate::notification::verify_sha512_hex(sig, &[body, merchant_key.as_bytes()])
}

/// Iris' `{"status": "..."}` acknowledgements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IrisAck {
    /// e.g. `created`, `updated`, `ok`.
    pub status: String,
}

/// The answer to `GET /balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Balance {
    /// Available balance.
    #[serde(deserialize_with = "crate::money::as_decimal_string::deserialize")]
    pub balance: Idr,
}

#[derive(Serialize)]
struct PayoutsBody<'a> {
    payouts: &'a [NewPayout],
}

#[derive(Deserialize)]
struct PayoutsAnswer {
    payouts: Vec<CreatedPayout>,
}

#[derive(Serialize)]
struct ApproveBody<'a> {
    reference_nos: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    otp: Option<&'a str>,
}

#[derive(Serialize)]
struct RejectBody<'a> {
    reference_nos: &'a [String],
    reject_reason: &'a str,
}

impl IrisClient {
    /// A client with `api_key` in `env`.
    pub fn new(api_key: impl Into<String>, env: Environment) -> Self {
        IrisClient {
            transport: Transport::new(api_key.into(), "X-Idempotency-Key"),
            base: crate::env::BaseUrls::for_environment(env).iris,
            env,
            options: RequestOptions::default(),
        }
    }

    /// Sends requests to another base URL (e.g. `{mock}/iris`).
    #[must_use]
    pub fn with_base_url(mut self, base: url::Url) -> Self {
        self.base = base;
        self
    }

    /// Sets the default timeout (30 s unless changed).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.transport.timeout = timeout;
        self
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.transport.retry = retry;
        self
    }

    /// A client whose calls use `options`.
    #[must_use]
    pub fn with_options(&self, options: RequestOptions) -> Self {
        IrisClient {
            options,
            ..self.clone()
        }
    }

    async fn call<B, T>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<T, Error>
    where
        B: Serialize + ?Sized,
        T: serde::de::DeserializeOwned,
    {
        let mut all = vec!["api", "v1"];
        all.extend_from_slice(segments);
        let url = join(&self.base, &all);
        self.transport
            .call(method, url, body, &self.options, Accept::Http)
            .await
    }

    /// Lists beneficiaries: `GET /api/v1/beneficiaries`.
    pub async fn beneficiaries(&self) -> Result<Vec<Beneficiary>, Error> {
        self.call::<(), _>(Method::GET, &["beneficiaries"], None)
            .await
    }

    /// Creates a beneficiary: `POST /api/v1/beneficiaries`.
    pub async fn create_beneficiary(&self, b: &Beneficiary) -> Result<IrisAck, Error> {
        check_beneficiary(b)?;
        self.call(Method::POST, &["beneficiaries"], Some(b)).await
    }

    /// Updates the beneficiary saved as `alias_name`:
    /// `PATCH /api/v1/beneficiaries/{alias_name}`.
    pub async fn update_beneficiary(
        &self,
        alias_name: &str,
        b: &Beneficiary,
    ) -> Result<IrisAck, Error> {
        if alias_name.is_empty() {
            return Err(Error::InvalidRequest("alias name is empty".to_owned()));
        }
        check_beneficiary(b)?;
        self.call(Method::PATCH, &["beneficiaries", alias_name], Some(b))
            .await
    }

    /// Creates payouts (creator key): `POST /api/v1/payouts`. They start
    /// `queued` until approved.
    pub async fn create_payouts(&self, payouts: &[NewPayout]) -> Result<Vec<CreatedPayout>, Error> {
        if payouts.is_empty() {
            return Err(Error::InvalidRequest("no payouts given".to_owned()));
        }
        for p in payouts {
            if p.amount.rupiah() <= 0 {
                return Err(Error::InvalidRequest(
                    "payout amount must be positive".to_owned(),
                ));
            }
            if p.beneficiary_account.trim().is_empty() || p.beneficiary_bank.trim().is_empty() {
                return Err(Error::InvalidRequest(
                    "payout needs a beneficiary account and bank".to_owned(),
                ));
            }
            if p.notes.chars().count() > 100 {
                return Err(Error::InvalidRequest(
                    "payout notes are limited to 100 characters".to_owned(),
                ));
            }
        }
        let answer: PayoutsAnswer = self
            .call(Method::POST, &["payouts"], Some(&PayoutsBody { payouts }))
            .await?;
        Ok(answer.payouts)
    }

    /// Approves payouts (approver key): `POST /api/v1/payouts/approve`.
    /// `otp` is needed when the account has two-factor approval.
    pub async fn approve_payouts(
        &self,
        reference_nos: &[String],
        otp: Option<&str>,
    ) -> Result<IrisAck, Error> {
        check_refs(reference_nos)?;
        self.call(
            Method::POST,
            &["payouts", "approve"],
            Some(&ApproveBody { reference_nos, otp }),
        )
        .await
    }

    /// Rejects payouts (approver key): `POST /api/v1/payouts/reject`.
    pub async fn reject_payouts(
        &self,
        reference_nos: &[String],
        reason: &str,
    ) -> Result<IrisAck, Error> {
        check_refs(reference_nos)?;
        if reason.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "a reject reason is required".to_owned(),
            ));
        }
        self.call(
            Method::POST,
            &["payouts", "reject"],
            Some(&RejectBody {
                reference_nos,
                reject_reason: reason,
            }),
        )
        .await
    }

    /// Payout details: `GET /api/v1/payouts/{reference_no}`.
    pub async fn payout(&self, reference_no: &str) -> Result<Payout, Error> {
        if reference_no.is_empty() {
            return Err(Error::InvalidRequest(
                "reference number is empty".to_owned(),
            ));
        }
        self.call::<(), _>(Method::GET, &["payouts", reference_no], None)
            .await
    }

    /// Balance (aggregator accounts): `GET /api/v1/balance`.
    pub async fn balance(&self) -> Result<Balance, Error> {
        self.call::<(), _>(Method::GET, &["balance"], None).await
    }
}

fn check_refs(refs: &[String]) -> Result<(), Error> {
    if refs.is_empty() || refs.iter().any(|r| r.trim().is_empty()) {
        return Err(Error::InvalidRequest(
            "reference numbers must be given and non-empty".to_owned(),
        ));
    }
    Ok(())
}

fn check_beneficiary(b: &Beneficiary) -> Result<(), Error> {
    if b.name.trim().is_empty() || b.bank.trim().is_empty() || b.account.trim().is_empty() {
        return Err(Error::InvalidRequest(
            "beneficiary needs a name, a bank and an account".to_owned(),
        ));
    }
    if b.alias_name.is_empty() || !b.alias_name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidRequest(
            "beneficiary alias_name must be letters and digits".to_owned(),
        ));
    }
    Ok(())
}
