//! What every page shares: the [`Chrome`] around a page (language, CSRF
//! token, who is signed in, the active menu entry), [`render`], the
//! [`PageError`] a page handler returns, and [`FormErrors`] shown next to
//! the fields of a form.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::assets;
use crate::auth::Role;
use crate::http::AppError;
use crate::http::i18n::{self, Lang, Text};

/// The signed-in member as the page header shows it.
#[derive(Debug, Clone)]
pub struct User {
    /// The member's display name.
    pub name: String,
    /// The vendor's name.
    pub tenant_name: String,
    /// The member's role.
    pub role: Role,
}

/// What the base layout needs from every page. Each page template struct
/// has a field `chrome: Chrome`.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The language of the page.
    pub lang: Lang,
    /// The CSRF token of this browser session, for every form and htmx
    /// request (`_csrf` field / `X-CSRF-Token` header).
    pub csrf: String,
    /// The signed-in member, on console pages.
    pub user: Option<User>,
    /// The menu entry of the page (`"devices"`, ...), or `""`.
    pub nav: &'static str,
    /// The path and query of the page, where the language switch returns.
    pub path: String,
    /// The platform sender is the simulator: the developer outbox exists.
    pub simulator: bool,
}

impl Chrome {
    /// The URL of an embedded static file.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    /// The same chrome with `nav` as the active menu entry.
    #[must_use]
    pub fn at(mut self, nav: &'static str) -> Self {
        self.nav = nav;
        self
    }

    /// `aria-current="page"` for the active menu entry.
    pub fn current(&self, nav: &str) -> &'static str {
        if self.nav == nav { "page" } else { "false" }
    }

    /// Whether the signed-in member has at least `role` (menus hide what
    /// the member may not do; the handlers check again).
    pub fn can(&self, role: &str) -> bool {
        let min = Role::parse(role).unwrap_or(Role::Owner);
        self.user.as_ref().is_some_and(|u| u.role.at_least(min))
    }
}

/// Renders a template into an HTML answer.
pub fn render(page: &impl Template) -> Result<Html<String>, PageError> {
    page.render()
        .map(Html)
        .map_err(|e| PageError::App(AppError::internal_from("rendering a page", e)))
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// An error of the shared rules, shown as a friendly page with its
    /// status (a 5xx is logged and shown as a generic sentence). A 401
    /// sends the browser to the sign-in page instead.
    App(AppError),
    /// Not signed in: to the sign-in page, then back to `next`.
    Login {
        /// Where to return after signing in.
        next: String,
    },
    /// A state-changing request without a valid CSRF token (403).
    Csrf,
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        Self::App(e.into())
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    title: &'static str,
    message: String,
}

fn error_page(status: StatusCode, title: &'static str, message: String) -> Response {
    let lang = i18n::current();
    let page = ErrorPage {
        chrome: Chrome {
            lang,
            csrf: String::new(),
            user: None,
            nav: "",
            path: "/".to_owned(),
            simulator: false,
        },
        status: status.as_u16(),
        title,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        // The error page itself failed: a plain sentence, still no detail.
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page");
            (
                status,
                lang.t("Terjadi kesalahan.", "Something went wrong."),
            )
                .into_response()
        }
    }
}

/// The friendly 404 page (unknown console URL, or another vendor's item).
pub fn not_found() -> Response {
    let lang = i18n::current();
    error_page(
        StatusCode::NOT_FOUND,
        lang.t("Halaman tidak ditemukan", "Page not found"),
        lang.pick(
            "Halaman ini tidak ada, atau bukan milik akun Anda.",
            "This page does not exist, or does not belong to your account.",
        ),
    )
}

/// The path to the sign-in page that comes back to `next` afterwards.
pub fn login_url(next: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/login?next={next}")
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let lang = i18n::current();
        match self {
            Self::Login { next } => Redirect::to(&login_url(&next)).into_response(),
            Self::App(AppError::Unauthorized) => Redirect::to("/login").into_response(),
            Self::Csrf => error_page(
                StatusCode::FORBIDDEN,
                lang.t("Formulir kedaluwarsa", "Form expired"),
                lang.pick(
                    "Permintaan ini ditolak karena tidak membawa token keamanan formulir yang sah. \
                     Muat ulang halaman lalu coba lagi.",
                    "This request was refused because it did not carry a valid form security \
                     token. Reload the page and try again.",
                ),
            ),
            Self::App(AppError::NotFound(_)) => not_found(),
            Self::App(e) => {
                e.log();
                let status = e.status();
                let title = if status.is_server_error() {
                    lang.t("Maaf, ada gangguan", "Sorry, something went wrong")
                } else if status == StatusCode::FORBIDDEN {
                    lang.t("Akses ditolak", "Access denied")
                } else {
                    lang.t(
                        "Permintaan tidak dapat diproses",
                        "The request cannot be processed",
                    )
                };
                let mut res = error_page(status, title, e.message(lang));
                if let AppError::RateLimited { retry_after_secs } = e
                    && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
                {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
        }
    }
}

/// A page handler's result.
pub type PageResult = Result<Response, PageError>;

/// Errors of a submitted form: one message per field, shown next to it,
/// and messages about the form as a whole, shown above it.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    fields: Vec<(&'static str, String)>,
    general: Vec<String>,
}

impl FormErrors {
    /// No errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// The error of `field`, if any.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The errors about the whole form.
    pub fn general(&self) -> &[String] {
        &self.general
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    /// Records `message` for `field` (the first one per field is kept).
    pub fn add(&mut self, field: &'static str, message: &Text) {
        if self.field(field).is_none() {
            self.fields
                .push((field, message.get(i18n::current()).to_owned()));
        }
    }

    /// Records a message about the whole form (shown above it).
    pub fn note(&mut self, message: String) {
        self.general.push(message);
    }

    /// The value of a validation, or its error recorded for `field`.
    /// Errors that are not about input (a 5xx) are returned.
    pub fn check<T>(
        &mut self,
        field: &'static str,
        result: Result<T, AppError>,
    ) -> Result<Option<T>, PageError> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(e)
                if e.status().is_client_error()
                    && !matches!(e, AppError::Unauthorized | AppError::NotFound(_)) =>
            {
                self.fields.push((field, e.message(i18n::current())));
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Takes a client error of a shared rule into the form: next to the
    /// field its code names in `fields` (`[("email_taken", "email")]`),
    /// else above the form. Server errors, 401 and 404 stay page errors.
    pub fn absorb(
        &mut self,
        e: AppError,
        fields: &[(&str, &'static str)],
    ) -> Result<(), PageError> {
        if !e.status().is_client_error()
            || matches!(e, AppError::Unauthorized | AppError::NotFound(_))
        {
            return Err(e.into());
        }
        let message = e.message(i18n::current());
        match fields.iter().find(|(code, _)| *code == e.code()) {
            Some((_, field)) if self.field(field).is_none() => self.fields.push((field, message)),
            _ => self.general.push(message),
        }
        Ok(())
    }
}

impl FormErrors {
    /// Takes a client error of a shared rule into the form: next to the
    /// field of `fields` its message is about (the shared rules say
    /// `field: reason`), else above the form. Server errors, 401 and 404
    /// stay page errors.
    pub fn absorb_about(&mut self, e: AppError, fields: &[&'static str]) -> Result<(), PageError> {
        let english = e.message(Lang::En);
        let about = fields.iter().copied().find(|f| {
            english
                .strip_prefix(f)
                .is_some_and(|rest| rest.starts_with(':'))
        });
        let code = e.code();
        match about {
            Some(field) => self.absorb(e, &[(code, field)]),
            None => self.absorb(e, &[]),
        }
    }
}

/// The answer to a form that failed validation: the page again, with the
/// errors and what the user typed, as 422.
pub fn invalid(page: &impl Template) -> PageResult {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
}

/// The answer to a form that succeeded: 303 to `to` (post/redirect/get).
pub fn see_other(to: &str) -> PageResult {
    Ok(Redirect::to(to).into_response())
}

/// An urlencoded form body (`application/x-www-form-urlencoded`) whose
/// rejection is a page, not the API's JSON. Form structs give every field
/// `#[serde(default)]`, so a missing field is a validation error shown
/// next to it rather than a rejected request.
#[derive(Debug, Clone)]
pub struct WebForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for WebForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, PageError> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Self(v)),
            Err(e) => {
                let detail = e.body_text();
                Err(PageError::App(AppError::bad_request(
                    "invalid_form",
                    crate::http::i18n::tr!(
                        "isi formulir tidak valid: {detail}",
                        "invalid form: {detail}"
                    ),
                )))
            }
        }
    }
}

/// An urlencoded form body read as its name-value pairs, for forms whose
/// fields repeat (a group of checkboxes), which [`WebForm`]'s structs
/// cannot hold.
#[derive(Debug, Clone, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A form of these name-value pairs (as a browser would post them).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormFields {
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, PageError> {
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| PageError::App(AppError::PayloadTooLarge))?;
        Ok(Self(
            url::form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}
