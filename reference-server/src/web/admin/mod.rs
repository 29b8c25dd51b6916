//! The admin console: the platform's own pages for its admins (vendors
//! with approve / ban / usage, plans, orders and payments, exports, the
//! simulator outbox, health), under `/admin`.
//!
//! An admin signs in with the rules of `POST /api/v1/admin/login`
//! (`admin::log_in`, rate limits included) and gets the same kind of
//! admin session; the browser keeps its token in the console's session
//! cookie, so CSRF and sign-out work as on the vendor pages. Handlers take
//! [`AdminConsole`] (the API's `AdminUser`, from the cookie) and call the
//! functions the JSON handlers call.

mod audit;
mod payouts;
mod plans;
mod records;
mod vendors;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub(super) use super::format::{rupiah, when};
use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::session::{SESSION_COOKIE, Visitor, WebContext, set_cookie, with_cookie};
use crate::AppState;
use crate::auth::AdminUser;
use crate::auth::Credentials;
use crate::http::AppError;
use crate::http::extract::ClientIp;

/// The admin console's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/vendors") }))
        .route("/admin/login", get(login_page).post(login_submit))
        .route("/admin/logout", post(logout))
        .route("/admin/vendors", get(vendors::list))
        .route("/admin/vendors/{tenant_id}", get(vendors::show))
        .route("/admin/vendors/{tenant_id}/approve", post(vendors::approve))
        .route("/admin/vendors/{tenant_id}/ban", post(vendors::ban))
        .route("/admin/vendors/{tenant_id}/unban", post(vendors::unban))
        .route(
            "/admin/vendors/{tenant_id}/payouts",
            get(payouts::show).post(payouts::pay),
        )
        .route("/admin/plans", get(plans::list).post(plans::create))
        .route(
            "/admin/plans/{plan_id}",
            get(plans::edit).post(plans::update),
        )
        .route("/admin/orders", get(records::orders))
        .route("/admin/exports", get(records::exports))
        .route("/admin/exports/{file}", get(records::download))
        .route("/admin/outbox", get(records::outbox))
        .route("/admin/health", get(records::health))
        .route("/admin/audit", get(audit::list))
        .route("/admin/audit/export", get(audit::export))
}

/// A signed-in platform admin: the JSON API's [`AdminUser`], read from the
/// session cookie. Without a live admin session the browser goes to the
/// admin sign-in page.
#[derive(Debug, Clone)]
pub(super) struct AdminConsole {
    /// The admin.
    pub(super) admin: AdminUser,
    /// The page chrome (no vendor member).
    pub(super) chrome: Chrome,
    /// The cookies' context.
    pub(super) ctx: WebContext,
}

/// The admin sign-in page that comes back to `next` afterwards.
fn login_url(next: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/admin/login?next={next}")
}

impl FromRequestParts<AppState> for AdminConsole {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let v = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let login = || Redirect::to(&login_url(&v.chrome.path)).into_response();
        let token = v.ctx.session.as_deref().ok_or_else(login)?;
        match crate::auth::admin_of_session(state, token).await {
            Ok(admin) => Ok(Self {
                admin,
                chrome: v.chrome,
                ctx: v.ctx,
            }),
            Err(AppError::Unauthorized) => Err(login()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// Where to go after signing in: a local admin path only.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/admin/") && !n.contains("//") && !n.contains('\\') => n,
        _ => "/admin/vendors",
    }
}

#[derive(Template)]
#[template(path = "web/admin/login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// `GET /admin/login`.
async fn login_page(v: Visitor, Query(q): Query<NextQuery>) -> PageResult {
    Ok(render(&LoginPage {
        chrome: v.chrome.at("admin-login"),
        email: String::new(),
        next: safe_next(q.next.as_deref()).to_owned(),
        errors: FormErrors::new(),
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /admin/login`: the API's admin login; the session token goes into
/// the session cookie.
async fn login_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    v: Visitor,
    WebForm(form): WebForm<LoginForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref()).to_owned();
    let req = Credentials {
        email: form.email.clone(),
        password: form.password,
    };
    match crate::admin::log_in(&state, ip, req).await {
        Ok(session) => {
            let ttl = state.config.session_ttl_hours.max(1) * 3600;
            Ok(with_cookie(
                see_other(&next)?,
                set_cookie(SESSION_COOKIE, &session.token, Some(ttl), v.ctx.secure),
            ))
        }
        Err(e) => {
            let mut errors = FormErrors::new();
            errors.absorb(e, &[])?;
            invalid(&LoginPage {
                chrome: v.chrome.at("admin-login"),
                email: form.email,
                next,
                errors,
            })
        }
    }
}

/// `POST /admin/logout`: ends the admin session (as
/// `POST /api/v1/admin/logout`).
async fn logout(State(state): State<AppState>, a: AdminConsole) -> PageResult {
    crate::auth::store::revoke_session(&state.pool, &a.admin.session_id).await?;
    Ok(with_cookie(
        see_other("/admin/login")?,
        set_cookie(SESSION_COOKIE, "", Some(0), a.ctx.secure),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_admin_paths_are_followed() {
        assert_eq!(safe_next(Some("/admin/plans")), "/admin/plans");
        for bad in [
            "//evil.test",
            "/admin//evil",
            "https://evil.test",
            "/console",
            "/admin\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/admin/vendors", "{bad}");
        }
        assert_eq!(safe_next(None), "/admin/vendors");
    }
}
