//! The pages of visitors: the landing page, sign-up with the WhatsApp
//! code, sign-in, sign-out, the language switch and the developer outbox
//! (the platform simulator's messages, where the sign-up code shows up on
//! the embedded default). Sign-up and sign-in run the rules of the JSON
//! API's `/api/v1/auth/...` endpoints (`tenants::signup`,
//! `tenants::login`), rate limits included.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};
use super::session::{
    Console, LANG_COOKIE, SESSION_COOKIE, SIGNUP_COOKIE, Visitor, cookie, set_cookie, with_cookie,
};
use crate::AppState;
use crate::auth::{normalize_email, password};
use crate::config::PlatformProvider;
use crate::http::extract::ClientIp;
use crate::http::i18n::Lang;
use crate::tenants::model::{
    LoginRequest, ResendSignup, SignupRequest, TenantStatus, VerifySignup, validate_name,
};
use crate::tenants::{login, signup};

/// Where to go after signing in: a local path only (never another site).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/console",
    }
}

#[derive(Template)]
#[template(path = "web/landing.html")]
struct Landing {
    chrome: Chrome,
    signed_in: bool,
}

/// `GET /`.
pub(super) async fn landing(v: Visitor) -> PageResult {
    let signed_in = v.ctx.session.is_some();
    Ok(render(&Landing {
        chrome: v.chrome,
        signed_in,
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

#[derive(Template)]
#[template(path = "web/login.html")]
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

/// `GET /login`.
pub(super) async fn login_page(v: Visitor, Query(q): Query<NextQuery>) -> PageResult {
    Ok(render(&LoginPage {
        chrome: v.chrome,
        email: String::new(),
        next: safe_next(q.next.as_deref()).to_owned(),
        errors: FormErrors::new(),
    })?
    .into_response())
}

/// `POST /login`: the API's login rules; the session token goes into the
/// session cookie.
pub(super) async fn login_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    v: Visitor,
    WebForm(form): WebForm<LoginForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref()).to_owned();
    let req = LoginRequest {
        email: form.email.clone(),
        password: form.password,
    };
    match login::log_in(&state, ip, req).await {
        Ok(session) => {
            let ttl = state.config.session_ttl_hours.max(1) * 3600;
            let res = see_other(&next)?;
            Ok(with_cookie(
                res,
                set_cookie(SESSION_COOKIE, &session.token, Some(ttl), v.ctx.secure),
            ))
        }
        Err(e) => {
            let mut errors = FormErrors::new();
            errors.absorb(e, &[])?;
            invalid(&LoginPage {
                chrome: v.chrome,
                email: form.email,
                next,
                errors,
            })
        }
    }
}

/// `POST /logout`: revokes the session (as `POST /api/v1/auth/logout`).
pub(super) async fn logout(State(state): State<AppState>, c: Console) -> PageResult {
    let session_id = c.member.require_session()?;
    crate::auth::store::revoke_session(&state.pool, session_id).await?;
    Ok(with_cookie(
        see_other("/")?,
        set_cookie(SESSION_COOKIE, "", Some(0), c.ctx.secure),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SignupForm {
    #[serde(default)]
    business_name: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    whatsapp: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "web/signup.html")]
struct SignupPage {
    chrome: Chrome,
    form: SignupForm,
    errors: FormErrors,
}

/// `GET /signup`.
pub(super) async fn signup_page(v: Visitor) -> PageResult {
    Ok(render(&SignupPage {
        chrome: v.chrome,
        form: SignupForm::default(),
        errors: FormErrors::new(),
    })?
    .into_response())
}

/// `POST /signup`: every field is checked with the API's validators, so
/// all mistakes show at once next to their fields; then the API's
/// sign-up rules run and the code is sent.
pub(super) async fn signup_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    v: Visitor,
    WebForm(form): WebForm<SignupForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    errors.check("business_name", validate_name(&form.business_name))?;
    errors.check("name", validate_name(&form.name))?;
    errors.check("email", normalize_email(&form.email))?;
    let whatsapp = errors.check("whatsapp", crate::phone::normalize(&form.whatsapp))?;
    errors.check("password", password::validate(&form.password))?;
    if errors.is_empty() {
        let req = SignupRequest {
            business_name: form.business_name.clone(),
            name: form.name.clone(),
            email: form.email.clone(),
            whatsapp: form.whatsapp.clone(),
            password: form.password.clone(),
            locale: Some(v.chrome.lang.tag().to_owned()),
        };
        match signup::start_signup(&state, ip, req).await {
            Ok(sent) => {
                let to = format!("/signup/verify?c={}", sent.challenge_id);
                let number = whatsapp.unwrap_or_default();
                return Ok(with_cookie(
                    see_other(&to)?,
                    set_cookie(SIGNUP_COOKIE, &number, None, v.ctx.secure),
                ));
            }
            Err(e) => errors.absorb(
                e,
                &[
                    ("email_taken", "email"),
                    ("whatsapp_taken", "whatsapp"),
                    ("invalid_phone_number", "whatsapp"),
                ],
            )?,
        }
    }
    // What was typed stays, except the password.
    let form = SignupForm {
        password: String::new(),
        ..form
    };
    invalid(&SignupPage {
        chrome: v.chrome,
        form,
        errors,
    })
}

#[derive(Template)]
#[template(path = "web/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    challenge: String,
    code: String,
    errors: FormErrors,
    pending_approval: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct ChallengeQuery {
    #[serde(default)]
    c: String,
}

/// `GET /signup/verify?c=<challenge>`.
pub(super) async fn verify_page(v: Visitor, Query(q): Query<ChallengeQuery>) -> PageResult {
    Ok(render(&VerifyPage {
        chrome: v.chrome,
        challenge: q.c,
        code: String::new(),
        errors: FormErrors::new(),
        pending_approval: false,
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct VerifyForm {
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
}

/// `POST /signup/verify`: the API's verification; an active vendor's
/// owner is signed in.
pub(super) async fn verify_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    v: Visitor,
    WebForm(form): WebForm<VerifyForm>,
) -> PageResult {
    let req = VerifySignup {
        challenge_id: form.challenge.clone(),
        code: form.code.trim().to_owned(),
    };
    let mut errors = FormErrors::new();
    match signup::finish_signup(&state, ip, req).await {
        Ok(done) => {
            let Some(session) = done.session else {
                return Ok(render(&VerifyPage {
                    chrome: v.chrome,
                    challenge: form.challenge,
                    code: String::new(),
                    errors,
                    pending_approval: done.status == TenantStatus::PendingApproval,
                })?
                .into_response());
            };
            let ttl = state.config.session_ttl_hours.max(1) * 3600;
            let res = with_cookie(
                see_other("/console")?,
                set_cookie(SESSION_COOKIE, &session.token, Some(ttl), v.ctx.secure),
            );
            Ok(with_cookie(
                res,
                set_cookie(SIGNUP_COOKIE, "", Some(0), v.ctx.secure),
            ))
        }
        Err(e) => {
            errors.absorb(
                e,
                &[
                    ("otp_wrong_code", "code"),
                    ("otp_expired", "code"),
                    ("otp_locked", "code"),
                    ("otp_not_found", "code"),
                ],
            )?;
            invalid(&VerifyPage {
                chrome: v.chrome,
                challenge: form.challenge,
                code: form.code,
                errors,
                pending_approval: false,
            })
        }
    }
}

/// `POST /signup/resend`: a new code for the sign-up this browser started.
pub(super) async fn resend(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    v: Visitor,
    headers: axum::http::HeaderMap,
    WebForm(form): WebForm<VerifyForm>,
) -> PageResult {
    let whatsapp = cookie(&headers, SIGNUP_COOKIE).unwrap_or_default();
    match signup::resend_code(&state, ip, ResendSignup { whatsapp }).await {
        Ok(sent) => see_other(&format!("/signup/verify?c={}", sent.challenge_id)),
        Err(e) => {
            let mut errors = FormErrors::new();
            errors.absorb(e, &[])?;
            invalid(&VerifyPage {
                chrome: v.chrome,
                challenge: form.challenge,
                code: String::new(),
                errors,
                pending_approval: false,
            })
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /lang`: remembers the language for a year and goes back.
pub(super) async fn switch_lang(v: Visitor, WebForm(form): WebForm<LangForm>) -> PageResult {
    let lang = Lang::of(&form.lang);
    let back = safe_next(form.next.as_deref()).to_owned();
    Ok(with_cookie(
        see_other(&back)?,
        set_cookie(LANG_COOKIE, lang.tag(), Some(31_536_000), v.ctx.secure),
    ))
}

/// One message of the outbox as a page shows it.
pub(super) struct OutboxRow {
    pub(super) to: String,
    pub(super) text: String,
    pub(super) at: String,
}

/// The text of a stored outgoing message (its body, else its kind).
pub(super) fn message_text(message: &serde_json::Value) -> String {
    message
        .get("body")
        .and_then(|b| b.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let kind = message.get("type").and_then(|t| t.as_str()).unwrap_or("?");
            format!("[{kind}]")
        })
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub(super) fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "web/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    numbers: Vec<String>,
    messages: Vec<OutboxRow>,
}

/// `GET /dev/outbox`: what the platform's simulator "sent" to the number
/// of this browser's sign-up and to the signed-in vendor's number. Only on
/// the embedded default (the platform sender is the simulator); with a
/// real sender the codes go to real phones and this page does not exist.
pub(super) async fn outbox(
    State(state): State<AppState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
) -> PageResult {
    if state.services.platform_sender.provider() != PlatformProvider::Simulator {
        return Ok(super::page::not_found());
    }
    let mut numbers = Vec::new();
    if let Some(n) = cookie(&headers, SIGNUP_COOKIE) {
        numbers.push(n);
    }
    if let Some(token) = v.ctx.session.as_deref()
        && let Ok(member) = crate::tenants::member_of_session(&state, token).await
        && let Some(t) = crate::tenants::store::get(&state.pool, member.tenant()).await?
        && !numbers.contains(&t.whatsapp)
    {
        numbers.push(t.whatsapp);
    }
    let mut messages = Vec::new();
    for number in &numbers {
        for m in crate::simulator::list(&state.pool, None, None, Some(number), 50).await? {
            messages.push((m.created_at, m));
        }
    }
    messages.sort_by_key(|b| std::cmp::Reverse(b.0));
    let messages = messages
        .into_iter()
        .map(|(_, m)| OutboxRow {
            to: m.to,
            text: message_text(&m.message),
            at: time_text(m.created_at),
        })
        .collect();
    Ok(render(&OutboxPage {
        chrome: v.chrome.at("outbox"),
        numbers,
        messages,
    })?
    .into_response())
}
