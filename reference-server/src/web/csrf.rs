//! CSRF protection of the console: a synchronizer token on every form
//! (`_csrf` field) and htmx request (`X-CSRF-Token` header, set once on
//! `<body hx-headers>`).
//!
//! The token is an HMAC, under a key derived from the server's secret, of
//! the browser's session token when signed in, else of its random
//! `wa_browser` id. Another site can neither read the cookies nor compute
//! the HMAC, so it cannot produce the token; signing in or out changes it.
//! The session middleware checks it on every request that is not GET,
//! HEAD or OPTIONS before any handler runs, so no form can forget it.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::page::PageError;
use super::session::WebContext;
use crate::AppState;

/// Name of the hidden form field.
pub const FIELD: &str = "_csrf";
/// Name of the header htmx sends.
pub const HEADER: &str = "x-csrf-token";

/// The CSRF token of this browser session.
pub fn token(state: &AppState, ctx: &WebContext) -> String {
    let key = state.services.crypto.derive("web-csrf");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    match &ctx.session {
        Some(session) => {
            mac.update(b"session:");
            mac.update(session.as_bytes());
        }
        None => {
            mac.update(b"browser:");
            mac.update(ctx.browser.as_bytes());
        }
    }
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn matches(state: &AppState, ctx: &WebContext, presented: &str) -> bool {
    let expected = token(state, ctx);
    expected
        .as_bytes()
        .ct_eq(presented.trim().as_bytes())
        .into()
}

/// Lets `req` through when it carries this session's token (header, or the
/// `_csrf` field of an urlencoded or multipart body, which is read and put
/// back), else refuses it with the 403 page.
pub(super) async fn guard(
    state: &AppState,
    ctx: &WebContext,
    req: Request,
) -> Result<Request, PageError> {
    if let Some(v) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if matches(state, ctx, v) {
            Ok(req)
        } else {
            Err(PageError::Csrf)
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let (parts, body) = req.into_parts();
    // A multipart form may carry a product image, which may be larger
    // than the body limit; its route still applies its own limit.
    let limit = if content_type.starts_with("multipart/form-data") {
        state
            .config
            .body_limit_bytes
            .max(super::products::image_form_cap())
    } else {
        state.config.body_limit_bytes
    };
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| PageError::App(crate::http::AppError::PayloadTooLarge))?;
    let presented = if content_type.starts_with("application/x-www-form-urlencoded") {
        url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    } else if content_type.starts_with("multipart/form-data") {
        multipart_field(&content_type, bytes.clone()).await
    } else {
        None
    };
    match presented {
        Some(v) if matches(state, ctx, &v) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(PageError::Csrf),
    }
}

/// The `_csrf` part of a multipart body (forms put it first).
async fn multipart_field(content_type: &str, bytes: axum::body::Bytes) -> Option<String> {
    let req = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
        .ok()?;
    let mut form = Multipart::from_request(req, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}
