//! `/console/settings`: the vendor's business name, time zone and language
//! (the rules of `PATCH /api/v1/tenant`, `tenants::update_profile`). The
//! language is the vendor's (receipts and messages to it) and becomes this
//! browser's console language too.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};
use super::session::{Console, LANG_COOKIE, set_cookie, with_cookie};
use crate::AppState;
use crate::auth::Role;
use crate::tenants::model::UpdateTenant;
use crate::tenants::{validate_locale, validate_name, validate_time_zone};

/// The settings page's route.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/console/settings", get(show).post(save))
}

/// The zones of Indonesia first, as most vendors pick one of them.
pub(super) const ZONES: [(&str, &str); 3] = [
    ("Asia/Jakarta", "WIB (Asia/Jakarta)"),
    ("Asia/Makassar", "WITA (Asia/Makassar)"),
    ("Asia/Jayapura", "WIT (Asia/Jayapura)"),
];

#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    locale: String,
}

#[derive(Template)]
#[template(path = "web/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    form: SettingsForm,
    errors: FormErrors,
    /// The time zone is not one of [`ZONES`]: offered as typed.
    other_zone: bool,
    zones: [(&'static str, &'static str); 3],
    can_edit: bool,
    saved: bool,
}

fn page(c: Console, form: SettingsForm, errors: FormErrors, saved: bool) -> SettingsPage {
    SettingsPage {
        other_zone: !ZONES.iter().any(|(z, _)| *z == form.time_zone),
        zones: ZONES,
        can_edit: c.member.role.at_least(Role::Admin),
        chrome: c.chrome.at("settings"),
        form,
        errors,
        saved,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /console/settings`.
async fn show(
    State(state): State<AppState>,
    c: Console,
    axum::extract::Query(q): axum::extract::Query<Saved>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let t = crate::tenants::store::get(&state.pool, c.member.tenant())
        .await?
        .ok_or(crate::http::AppError::NotFound("tenant"))?;
    let form = SettingsForm {
        name: t.name,
        time_zone: t.time_zone,
        locale: t.locale,
    };
    Ok(render(&page(c, form, FormErrors::new(), q.saved.is_some()))?.into_response())
}

/// `POST /console/settings`.
async fn save(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<SettingsForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    errors.check("name", validate_name(&form.name))?;
    errors.check("time_zone", validate_time_zone(&form.time_zone))?;
    let locale = errors.check("locale", validate_locale(&form.locale))?;
    if let (Some(locale), true) = (locale, errors.is_empty()) {
        let req = UpdateTenant {
            name: Some(form.name.clone()),
            locale: Some(locale.clone()),
            time_zone: Some(form.time_zone.clone()),
        };
        match crate::tenants::update_profile(&state, &c.member, req).await {
            Ok(_) => {
                return Ok(with_cookie(
                    see_other("/console/settings?saved=1")?,
                    set_cookie(LANG_COOKIE, &locale, Some(31_536_000), c.ctx.secure),
                ));
            }
            Err(e) => errors.absorb(
                e,
                &[
                    ("invalid_name", "name"),
                    ("invalid_time_zone", "time_zone"),
                    ("invalid_locale", "locale"),
                ],
            )?,
        }
    }
    invalid(&page(c, form, errors, false))
}
