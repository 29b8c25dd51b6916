//! HTTP layer: the error type, the JSON envelope, extractors, metrics and
//! the assembly of every area's router into one app with its OpenAPI
//! document.
//!
//! Areas expose `pub fn router() -> OpenApiRouter<AppState>` and are merged
//! in [`router`] at the `// area routers` marker.

mod error;
pub mod extract;
mod health;
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

pub use error::{AppError, ErrorBody, ErrorDetail};
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

/// Every area's routes with their OpenAPI description (no state, no layers).
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(crate::auth::router())
        .merge(crate::tenants::router())
        .merge(crate::admin::router())
        .merge(crate::billing::router())
        // area routers
        .merge(crate::contacts::router())
        .merge(crate::templates::router())
        .merge(crate::campaigns::router())
        .merge(crate::analytics::router())
        .merge(crate::devices::router())
        .merge(crate::bots::router())
        .merge(crate::inbox::router())
        .merge(crate::messaging::router())
        .merge(crate::webhooks::router())
        .split_for_parts()
}

/// The OpenAPI document of the whole HTTP API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().1
}

/// Builds the complete application: every area, `/openapi.json`,
/// `/metrics`, body limit, tracing and request metrics.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api_routes();
    let openapi = Arc::new(openapi);
    let body_limit = state.config.body_limit_bytes;
    routes
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
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Any path no route matches: the JSON error envelope, 404 `not_found`.
async fn unknown_route(uri: axum::http::Uri) -> AppError {
    AppError::Status {
        status: axum::http::StatusCode::NOT_FOUND,
        code: "not_found",
        message: format!("no API route at {}", uri.path()),
    }
}

/// A known path called with a method it does not have: the JSON error
/// envelope, 405 `method_not_allowed` (axum adds the `Allow` header).
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> AppError {
    AppError::Status {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: format!("{} does not accept {method}", uri.path()),
    }
}
