//! The one error type of the HTTP API.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::i18n::{Text, tr};

/// An error answered as `{"error": {"code": "...", "message": "..."}}`.
///
/// Client errors carry a stable snake_case `code` and a human message; 5xx
/// errors are logged with their detail and answered with a generic body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The request is malformed or a value is invalid (400).
    #[error("{message}")]
    BadRequest {
        /// Stable code, e.g. `invalid_phone_number`.
        code: &'static str,
        /// Human-readable explanation, in both languages.
        message: Text,
    },
    /// No or invalid credentials (401).
    #[error("authentication required")]
    Unauthorized,
    /// Authenticated but not allowed (403).
    #[error("{message}")]
    Forbidden {
        /// Stable code, e.g. `tenant_banned`, `insufficient_role`.
        code: &'static str,
        /// Human-readable explanation, in both languages.
        message: Text,
    },
    /// The resource does not exist for this caller (404). Resources of
    /// another tenant are reported exactly like missing ones.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Conflicts with existing data, e.g. an email already registered (409).
    #[error("{message}")]
    Conflict {
        /// Stable code, e.g. `email_taken`.
        code: &'static str,
        /// Human-readable explanation, in both languages.
        message: Text,
    },
    /// Too many requests (429).
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A plan limit or a missing subscription blocks the action (402).
    #[error("{message}")]
    PaymentRequired {
        /// Stable code: `plan_limit_exceeded` or `subscription_required`.
        code: &'static str,
        /// Human-readable explanation with the limit and current usage.
        message: Text,
    },
    /// An upstream service (Midtrans, a WhatsApp provider) failed (502).
    #[error("upstream service failed: {0}")]
    Upstream(String),
    /// A feature needs configuration that is missing (503).
    #[error("{0}")]
    NotConfigured(Text),
    /// The request body is larger than the configured limit (413).
    #[error("the request body is larger than the configured limit")]
    PayloadTooLarge,
    /// An error with its own status, e.g. an OTP outcome (410 expired,
    /// 423 locked) or a delivery failure.
    #[error("{message}")]
    Status {
        /// HTTP status.
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Human-readable explanation, in both languages.
        message: Text,
    },
    /// Anything else (500); the detail is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
    /// A database error (500).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The error body: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl AppError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: Text) -> Self {
        Self::BadRequest { code, message }
    }

    /// A 403 with a code and message.
    pub fn forbidden(code: &'static str, message: Text) -> Self {
        Self::Forbidden { code, message }
    }

    /// A 409 with a code and message.
    pub fn conflict(code: &'static str, message: Text) -> Self {
        Self::Conflict { code, message }
    }

    /// 401 `unauthorized` answering a login with a wrong email or password
    /// (the same answer for both, so emails cannot be probed).
    pub fn wrong_credentials() -> Self {
        Self::Status {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: Text::new("email atau kata sandi salah", "wrong email or password"),
        }
    }

    /// A 500 whose detail is logged only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Status { status, .. } => *status,
            Self::Internal(_) | Self::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. }
            | Self::PaymentRequired { code, .. }
            | Self::Status { code, .. } => code,
            Self::Unauthorized => "unauthorized",
            Self::NotFound(_) => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::Upstream(_) => "upstream_error",
            Self::NotConfigured(_) => "not_configured",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Internal(_) | Self::Database(_) => "internal_error",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let lang = super::i18n::current();
        let message = match &self {
            Self::Internal(_) | Self::Database(_) => {
                tracing::error!(error = %self, "request failed");
                lang.pick("terjadi kesalahan di server", "internal server error")
            }
            Self::Upstream(_) => {
                tracing::warn!(error = %self, "upstream failure");
                lang.pick(
                    "layanan luar (pembayaran atau WhatsApp) gagal; coba lagi nanti",
                    "an upstream service failed; try again later",
                )
            }
            Self::Unauthorized => lang.pick(
                "perlu login: kirim token sesi (Authorization: Bearer ...) atau X-Api-Key yang valid",
                "authentication required: send a valid session token (Authorization: Bearer ...) \
                 or X-Api-Key",
            ),
            Self::NotFound(what) => match lang {
                super::i18n::Lang::Id => {
                    format!("{} tidak ditemukan", super::i18n::resource_id(what))
                }
                super::i18n::Lang::En => format!("{what} not found"),
            },
            Self::RateLimited { retry_after_secs } => match lang {
                super::i18n::Lang::Id => {
                    format!("terlalu banyak permintaan; coba lagi dalam {retry_after_secs} detik")
                }
                super::i18n::Lang::En => {
                    format!("too many requests; retry in {retry_after_secs} s")
                }
            },
            Self::PayloadTooLarge => lang.pick(
                "isi permintaan lebih besar dari batas yang diizinkan server",
                "the request body is larger than the configured limit",
            ),
            Self::BadRequest { message, .. }
            | Self::Forbidden { message, .. }
            | Self::Conflict { message, .. }
            | Self::PaymentRequired { message, .. }
            | Self::Status { message, .. }
            | Self::NotConfigured(message) => message.get(lang).to_owned(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::RateLimited { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::bad_request(
                "unsupported_media_type",
                Text::new(
                    "kirim Content-Type: application/json",
                    "expected Content-Type: application/json",
                ),
            ),
            _ => Self::bad_request("invalid_json", {
                let detail = rejection.body_text();
                tr!("JSON tidak valid: {detail}", "invalid JSON: {detail}")
            }),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        let detail = rejection.body_text();
        Self::bad_request(
            "invalid_path",
            tr!("path tidak valid: {detail}", "invalid path: {detail}"),
        )
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        let detail = rejection.body_text();
        Self::bad_request(
            "invalid_query",
            tr!(
                "parameter query tidak valid: {detail}",
                "invalid query: {detail}"
            ),
        )
    }
}
