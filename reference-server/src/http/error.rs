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
    /// Anything else (500). What failed and its whole cause chain are
    /// logged, never returned.
    #[error("internal error: {context}")]
    Internal {
        /// What was being done.
        context: String,
        /// Why it failed, when another error caused it.
        #[source]
        source: Option<BoxError>,
    },
    /// A database error (500).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The cause of an internal error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
        Self::Internal {
            context: detail.to_string(),
            source: None,
        }
    }

    /// A 500 caused by `source`: `context` says what was being done; both
    /// and the source's own causes are logged, never returned.
    pub fn internal_from(context: impl std::fmt::Display, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.to_string(),
            source: Some(source.into()),
        }
    }

    /// A 422: the request is well-formed but refers to something that
    /// cannot be used (a row another one depends on, a value a check
    /// constraint refuses).
    pub fn unprocessable(code: &'static str, message: Text) -> Self {
        Self::Status {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message,
        }
    }

    /// The error and every cause under it, `: `-separated, for logs.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
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
            Self::Internal { .. } | Self::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
            Self::Internal { .. } | Self::Database(_) => "internal_error",
        }
    }
}

impl AppError {
    /// Logs a server-side failure (5xx: with its whole cause chain, which
    /// never reaches the client); client errors are not logged.
    pub fn log(&self) {
        match self {
            Self::Internal { .. } | Self::Database(_) => {
                tracing::error!(error = %self.chain(), "request failed");
            }
            Self::Upstream(_) => tracing::warn!(error = %self.chain(), "upstream failure"),
            _ => {}
        }
    }

    /// What the client is told, in `lang`: the message of a client error,
    /// a generic sentence for a server error. The JSON envelope and the
    /// console's error pages both show this.
    pub fn message(&self, lang: super::i18n::Lang) -> String {
        match self {
            Self::Internal { .. } | Self::Database(_) => {
                lang.pick("terjadi kesalahan di server", "internal server error")
            }
            Self::Upstream(_) => {
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
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        self.log();
        let message = self.message(super::i18n::current());
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

/// Turns any error into an internal [`AppError`] that keeps it as its
/// cause.
pub trait ResultExt<T> {
    /// On error: a 500 saying what was being done, caused by the error.
    fn context(self, what: &'static str) -> Result<T, AppError>;
}

impl<T, E: Into<BoxError>> ResultExt<T> for Result<T, E> {
    fn context(self, what: &'static str) -> Result<T, AppError> {
        self.map_err(|e| AppError::internal_from(what, e))
    }
}

/// Answers constraint violations of a database write with the client error
/// they mean; every other database error stays a 500 with its cause.
pub trait ConstraintExt<T> {
    /// A unique violation becomes a 409 `code`.
    fn on_unique(self, code: &'static str, message: Text) -> Result<T, AppError>;
    /// A foreign-key violation becomes a 422 `code`.
    fn on_foreign_key(self, code: &'static str, message: Text) -> Result<T, AppError>;
}

impl<T> ConstraintExt<T> for Result<T, sqlx::Error> {
    fn on_unique(self, code: &'static str, message: Text) -> Result<T, AppError> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AppError::conflict(code, message)
            }
            _ => e.into(),
        })
    }

    fn on_foreign_key(self, code: &'static str, message: Text) -> Result<T, AppError> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                AppError::unprocessable(code, message)
            }
            _ => e.into(),
        })
    }
}

impl<T> ConstraintExt<T> for Result<T, AppError> {
    fn on_unique(self, code: &'static str, message: Text) -> Result<T, AppError> {
        self.map_err(|e| match e {
            AppError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                AppError::conflict(code, message)
            }
            other => other,
        })
    }

    fn on_foreign_key(self, code: &'static str, message: Text) -> Result<T, AppError> {
        self.map_err(|e| match e {
            AppError::Database(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                AppError::unprocessable(code, message)
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("disk full")]
    struct Disk;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write the export")]
    struct Write(#[source] Disk);

    #[test]
    fn internal_errors_keep_their_cause_chain() {
        let e: Result<(), Write> = Err(Write(Disk));
        let e = e.context("exporting contacts").unwrap_err();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            e.chain(),
            "internal error: exporting contacts: cannot write the export: disk full"
        );
    }

    #[tokio::test]
    async fn constraint_violations_map_to_client_errors() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        for sql in [
            "PRAGMA foreign_keys = ON",
            "CREATE TABLE p (id TEXT PRIMARY KEY)",
            "CREATE TABLE c (id TEXT PRIMARY KEY, p TEXT NOT NULL REFERENCES p (id))",
            "INSERT INTO p (id) VALUES ('a')",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        let text = || Text::new("x", "x");
        let dup = sqlx::query("INSERT INTO p (id) VALUES ('a')")
            .execute(&pool)
            .await
            .on_unique("taken", text())
            .unwrap_err();
        assert_eq!((dup.status(), dup.code()), (StatusCode::CONFLICT, "taken"));
        let orphan = sqlx::query("INSERT INTO c (id, p) VALUES ('c', 'missing')")
            .execute(&pool)
            .await
            .on_unique("taken", text())
            .on_foreign_key("unknown_parent", text())
            .unwrap_err();
        assert_eq!(
            (orphan.status(), orphan.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "unknown_parent")
        );
        let other = sqlx::query("INSERT INTO nowhere (id) VALUES ('a')")
            .execute(&pool)
            .await
            .on_unique("taken", text())
            .unwrap_err();
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
