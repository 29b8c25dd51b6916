//! Browser sessions of the console.
//!
//! A member signs in through the same rules as `POST /api/v1/auth/login`
//! and gets the same kind of server-side session (a row of `auth`'s
//! `sessions`, revocable, with the configured lifetime); the browser keeps
//! its token in the `wa_session` cookie (HttpOnly, SameSite=Lax, Secure
//! when `public_base_url` is `https://`). The JSON API never reads that
//! cookie, so a page of another site cannot drive the API with it.
//!
//! Every browser also gets a random `wa_browser` cookie, which the CSRF
//! token of a visitor who is not signed in is bound to (see
//! [`super::csrf`]), and may carry `wa_lang` (`id` or `en`).
//!
//! [`context`] is the middleware of every console route: it reads the
//! cookies into a [`WebContext`], refuses unsafe requests without a valid
//! CSRF token, serves the request in the chosen language and adds the
//! security headers. Handlers take [`Console`] (a signed-in member, else a
//! redirect to the sign-in page) or [`Visitor`] (anyone).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::csrf;
use super::page::{Chrome, PageError, User};
use crate::AppState;
use crate::auth::{CurrentMember, token};
use crate::config::PlatformProvider;
use crate::http::AppError;
use crate::http::i18n::{self, Lang};

/// Cookie holding the session token.
pub const SESSION_COOKIE: &str = "wa_session";
/// Cookie holding the random browser id.
pub const BROWSER_COOKIE: &str = "wa_browser";
/// Cookie holding the chosen language.
pub const LANG_COOKIE: &str = "wa_lang";
/// Cookie holding the WhatsApp number of the sign-up this browser started
/// (whose code the developer outbox shows).
pub const SIGNUP_COOKIE: &str = "wa_signup";

/// What the cookies of a console request say.
#[derive(Debug, Clone)]
pub struct WebContext {
    /// The page language (`wa_lang`, Indonesian by default).
    pub lang: Lang,
    /// The random browser id (`wa_browser`).
    pub browser: String,
    /// The session token (`wa_session`), not yet checked.
    pub session: Option<String>,
    /// Cookies get `Secure` (the server is reached over TLS).
    pub secure: bool,
}

/// The value of cookie `name` in the request's headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`; `max_age` in
/// seconds (`Some(0)` deletes, `None` lasts the browser session).
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("wa_invalid=; Max-Age=0"))
}

/// Adds `Set-Cookie` to a response.
pub fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// Whether cookies must be `Secure`: the public URL is `https://`.
pub fn secure(state: &AppState) -> bool {
    state.config.public_base_url.starts_with("https://")
}

/// Browser ids and session tokens are base64url; anything else in the
/// cookie is ignored (and replaced).
fn token_like(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The console middleware (see the module docs).
pub(super) async fn context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let lang = cookie(headers, LANG_COOKIE).map_or_else(Lang::default, |v| Lang::of(&v));
    let known_browser = cookie(headers, BROWSER_COOKIE).filter(|v| token_like(v));
    let fresh_browser = known_browser.is_none();
    let browser = known_browser.unwrap_or_else(|| token::generate("wab_"));
    let secure = secure(&state);
    let ctx = WebContext {
        lang,
        browser: browser.clone(),
        session: cookie(headers, SESSION_COOKIE).filter(|v| token_like(v)),
        secure,
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let run = async {
        let mut req = req;
        if unsafe_method {
            req = match csrf::guard(&state, &ctx, req).await {
                Ok(req) => req,
                Err(refused) => return refused.into_response(),
            };
        }
        req.extensions_mut().insert(ctx);
        next.run(req).await
    };
    let mut res = i18n::scope(lang, run).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if fresh_browser {
        // A year: the id only binds the CSRF token of signed-out forms.
        res = with_cookie(res, set_cookie(BROWSER_COOKIE, &browser, Some(31_536_000), secure));
    }
    res
}

fn context_of(parts: &Parts) -> Result<WebContext, PageError> {
    parts
        .extensions
        .get::<WebContext>()
        .cloned()
        .ok_or_else(|| PageError::App(AppError::internal("console route without its middleware")))
}

fn path_of(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned())
}

fn chrome(state: &AppState, ctx: &WebContext, path: String, user: Option<User>) -> Chrome {
    Chrome {
        lang: ctx.lang,
        csrf: csrf::token(state, ctx),
        user,
        nav: "",
        path,
        simulator: state.services.platform_sender.provider() == PlatformProvider::Simulator,
    }
}

/// Anyone, signed in or not: the page chrome and the cookies' context.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The page chrome (no user).
    pub chrome: Chrome,
    /// The cookies' context.
    pub ctx: WebContext,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let ctx = context_of(parts)?;
        Ok(Self {
            chrome: chrome(state, &ctx, path_of(parts), None),
            ctx,
        })
    }
}

/// A signed-in member of an active vendor: the same [`CurrentMember`] the
/// JSON API's handlers get, from the session cookie. Without a live
/// session the browser goes to the sign-in page; a banned vendor gets the
/// API's 403 as a page.
#[derive(Debug, Clone)]
pub struct Console {
    /// The member, with the vendor and role every rule checks.
    pub member: CurrentMember,
    /// The page chrome.
    pub chrome: Chrome,
    /// The cookies' context.
    pub ctx: WebContext,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let ctx = context_of(parts)?;
        let path = path_of(parts);
        let login = || PageError::Login { next: path.clone() };
        let token = ctx.session.as_deref().ok_or_else(login)?;
        let member = match crate::tenants::member_of_session(state, token).await {
            Ok(m) => m,
            Err(AppError::Unauthorized) => return Err(login()),
            Err(e) => return Err(e.into()),
        };
        let me = crate::tenants::store::me(&state.pool, member.tenant(), member.member())
            .await?
            .ok_or_else(login)?;
        let user = User {
            name: me.name,
            tenant_name: me.tenant_name,
            role: member.role,
        };
        Ok(Self {
            chrome: chrome(state, &ctx, path, Some(user)),
            member,
            ctx,
        })
    }
}
