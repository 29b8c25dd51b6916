//! HTTP layer: the error type, the JSON envelope, extractors, metrics and
//! the assembly of every feature's router into one app with its OpenAPI
//! document.
//!
//! Features expose `pub fn router() -> OpenApiRouter<AppState>` and are merged
//! in [`router`], next to the others.

mod error;
pub mod export;
pub mod extract;
pub(crate) mod health;
pub mod i18n;
pub mod metrics;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use serde::Serialize;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

pub use error::{AppError, BoxError, ConstraintExt, ErrorBody, ErrorDetail, ResultExt};
pub use extract::ApiJson;

use crate::AppState;

/// Prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";

/// The success envelope: `{"data": ...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Data<T> {
    /// The payload.
    pub data: T,
}

/// Wraps `value` in the success envelope.
pub fn ok<T: Serialize>(value: T) -> axum::Json<Data<T>> {
    axum::Json(Data { data: value })
}

/// Result type of API handlers.
pub type ApiResult<T> = Result<axum::Json<Data<T>>, AppError>;

/// The result of a handler that creates a resource: 201 Created with the
/// new resource in the envelope.
pub type Created<T> = Result<(axum::http::StatusCode, axum::Json<Data<T>>), AppError>;

/// 201 Created with `value` in the `{"data": ...}` envelope.
pub fn created<T: Serialize>(value: T) -> (axum::http::StatusCode, axum::Json<Data<T>>) {
    (axum::http::StatusCode::CREATED, ok(value))
}

/// Name of the session bearer-token security scheme in the OpenAPI document.
pub const SECURITY_SESSION: &str = "session";
/// Name of the `X-Api-Key` security scheme in the OpenAPI document.
pub const SECURITY_API_KEY: &str = "api_key";
/// Name of the platform-admin session security scheme.
pub const SECURITY_ADMIN: &str = "admin_session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "reference-server API",
        description = "Multi-vendor WhatsApp commerce SaaS. Success responses are \
            `{\"data\": ...}`, errors `{\"error\": {\"code\", \"message\"}}`. Vendor \
            endpoints accept a session token (`Authorization: Bearer ...`) or an \
            API key (`X-Api-Key`)."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody, ErrorDetail))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SESSION,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Vendor member session token from /api/v1/auth/login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SECURITY_API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "Vendor API key from /api/v1/api-keys",
            ))),
        );
        components.add_security_scheme(
            SECURITY_ADMIN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Platform admin session token from /api/v1/admin/login",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every feature's routes with their OpenAPI description (no state, no layers).
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(crate::auth::router())
        .merge(crate::tenants::router())
        .merge(crate::admin::router())
        .merge(crate::audit::router())
        .merge(crate::billing::router())
        // feature routers
        .merge(crate::contacts::router())
        .merge(crate::templates::router())
        .merge(crate::campaigns::router())
        .merge(crate::analytics::router())
        .merge(crate::devices::router())
        .merge(crate::bots::router())
        .merge(crate::inbox::router())
        .merge(crate::messaging::router())
        .merge(crate::webhooks::router())
        .merge(crate::marketplace::router())
        .merge(crate::privacy::router())
        .split_for_parts()
}

/// The OpenAPI document of the whole HTTP API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().1
}

/// Builds the complete application: every feature, `/openapi.json`,
/// `/metrics`, body limit, tracing and request metrics.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api_routes();
    let openapi = Arc::new(openapi);
    let body_limit = state.config.body_limit_bytes;
    routes
        .merge(crate::web::router(state.clone()))
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&openapi);
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/metrics", get(metrics::render))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(envelope_guard))
        .layer(axum::middleware::from_fn(i18n::negotiate))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::audit::source_scope,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Any path no route matches: for a browser page the console's 404 page,
/// else the JSON error envelope, 404 `not_found`.
async fn unknown_route(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if crate::web::wants_html(&uri, &headers) {
        return crate::web::page::not_found();
    }
    let path = uri.path();
    AppError::Status {
        status: axum::http::StatusCode::NOT_FOUND,
        code: "not_found",
        message: i18n::tr!("tidak ada rute API di {path}", "no API route at {path}"),
    }
    .into_response()
}

/// A known path called with a method it does not have: the JSON error
/// envelope, 405 `method_not_allowed` (axum adds the `Allow` header).
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> AppError {
    let path = uri.path();
    AppError::Status {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: i18n::tr!(
            "{path} tidak menerima metode {method}",
            "{path} does not accept {method}"
        ),
    }
}

/// The message of an error answer that reached the client without the
/// envelope: what the status means, then the producer's (English) detail.
fn rejected(status: axum::http::StatusCode, detail: &str) -> i18n::Text {
    use axum::http::StatusCode as S;
    let (id, en) = match status {
        S::BAD_REQUEST => ("permintaan tidak valid", "bad request"),
        S::UNAUTHORIZED => ("perlu login", "authentication required"),
        S::FORBIDDEN => ("akses ditolak", "forbidden"),
        S::NOT_FOUND => ("tidak ditemukan", "not found"),
        S::METHOD_NOT_ALLOWED => ("metode tidak diizinkan", "method not allowed"),
        S::REQUEST_TIMEOUT => ("waktu permintaan habis", "request timeout"),
        S::UNSUPPORTED_MEDIA_TYPE => ("jenis isi tidak didukung", "unsupported media type"),
        S::UNPROCESSABLE_ENTITY => (
            "isi permintaan tidak dapat diproses",
            "unprocessable entity",
        ),
        S::TOO_MANY_REQUESTS => ("terlalu banyak permintaan", "too many requests"),
        _ => ("permintaan ditolak", "request rejected"),
    };
    if detail.is_empty() {
        i18n::Text::new(id, en)
    } else {
        i18n::tr!("{id}: {detail}", "{en}: {detail}")
    }
}

/// Stable code of an error status that reached the client without the
/// envelope.
fn code_of(status: axum::http::StatusCode) -> &'static str {
    use axum::http::StatusCode as S;
    match status {
        S::BAD_REQUEST => "bad_request",
        S::UNAUTHORIZED => "unauthorized",
        S::FORBIDDEN => "forbidden",
        S::NOT_FOUND => "not_found",
        S::METHOD_NOT_ALLOWED => "method_not_allowed",
        S::REQUEST_TIMEOUT => "request_timeout",
        S::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        S::UNPROCESSABLE_ENTITY => "unprocessable_entity",
        S::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    }
}

/// Keeps every error answer in the `{"error": {"code", "message"}}`
/// envelope, also those produced outside [`AppError`]: axum's own
/// rejections (e.g. `Bytes` over the body limit answers a plain-text 413,
/// a malformed path a plain-text 400) and layers. Headers such as `Allow`
/// and `Retry-After` are kept; a 5xx keeps its detail out of the body.
async fn envelope_guard(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let res = next.run(req).await;
    let status = res.status();
    // The console's own error pages are HTML and stay so.
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let detail = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let error = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else if status.is_server_error() {
        AppError::internal(format!("{status}: {detail}"))
    } else {
        AppError::Status {
            status,
            code: code_of(status),
            message: rejected(status, &detail),
        }
    };
    let mut fresh = error.into_response();
    *fresh.status_mut() = status;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    for (name, value) in &parts.headers {
        fresh.headers_mut().entry(name).or_insert(value.clone());
    }
    fresh
}
