//! `/console/privacy`: the vendor's message retention and the account's
//! deletion (schedule with the vendor's name typed, or cancel in the
//! cooling-off period). The rules are the personal-data feature's, the
//! ones `PUT /api/v1/privacy/settings` and `/api/v1/account/deletion` run.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::format::when_in;
use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::audit::{Action, Entry, TargetKind};
use crate::auth::Role;
use crate::domain::ContactId;
use crate::http::AppError;
use crate::http::i18n::Text;
use crate::privacy::model::{DeletionRequest, DeletionStatus, PrivacySettings};

/// The page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/privacy", get(show).post(save))
        .route("/console/privacy/deletion", post(request_deletion))
        .route("/console/privacy/deletion/cancel", post(cancel_deletion))
        .route("/console/contacts/{id}/personal-data", get(export_contact))
        .route("/console/contacts/{id}/erase", post(erase_contact))
}

/// The retention form as typed: days, or empty to keep messages.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct RetentionForm {
    #[serde(default)]
    days: String,
}

/// The deletion form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct DeletionForm {
    #[serde(default)]
    confirm_name: String,
}

#[derive(Template)]
#[template(path = "web/privacy.html")]
struct PrivacyPage {
    chrome: Chrome,
    form: RetentionForm,
    errors: FormErrors,
    deletion: Option<DeletionStatus>,
    /// When the data goes, in the vendor's time zone.
    due: String,
    /// When the deletion was asked, in the vendor's time zone.
    asked: String,
    confirm: DeletionForm,
    deletion_errors: FormErrors,
    is_owner: bool,
    saved: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct Flags {
    #[serde(default)]
    saved: Option<String>,
}

/// What the page shows besides the forms.
#[derive(Default)]
struct Typed {
    form: Option<RetentionForm>,
    errors: FormErrors,
    confirm: DeletionForm,
    deletion_errors: FormErrors,
    saved: bool,
}

async fn page(state: &AppState, c: Console, typed: Typed) -> Result<PrivacyPage, PageError> {
    c.member.require(Role::Admin)?;
    let tenant = c.member.tenant();
    let settings = crate::privacy::settings(state, tenant).await?;
    let deletion = match crate::privacy::deletion_status(state, &c.member).await {
        Ok(d) => Some(d),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let zone = crate::tenants::store::time_zone_of(&state.pool, tenant)
        .await?
        .unwrap_or_default();
    Ok(PrivacyPage {
        due: when_in(deletion.as_ref().map(|d| d.due_at), &zone),
        asked: when_in(deletion.as_ref().map(|d| d.requested_at), &zone),
        deletion,
        form: typed.form.unwrap_or_else(|| RetentionForm {
            days: settings
                .message_retention_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }),
        errors: typed.errors,
        confirm: typed.confirm,
        deletion_errors: typed.deletion_errors,
        is_owner: c.member.role.at_least(Role::Owner),
        saved: typed.saved,
        chrome: c.chrome.at("privacy"),
    })
}

/// `GET /console/privacy`.
async fn show(State(state): State<AppState>, c: Console, Query(f): Query<Flags>) -> PageResult {
    let typed = Typed {
        saved: f.saved.is_some(),
        ..Typed::default()
    };
    Ok(render(&page(&state, c, typed).await?)?.into_response())
}

/// `POST /console/privacy`: the retention.
async fn save(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<RetentionForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut errors = FormErrors::new();
    let typed = form.days.trim();
    let days = if typed.is_empty() {
        Some(None)
    } else {
        match typed.parse::<i64>() {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                errors.add(
                    "days",
                    &Text::new("tulis jumlah hari (angka)", "write a number of days"),
                );
                None
            }
        }
    };
    if let Some(days) = days {
        let settings = PrivacySettings {
            message_retention_days: days,
        };
        match crate::privacy::save_settings(&state, c.member.tenant(), &settings).await {
            Ok(()) => return see_other("/console/privacy?saved=1"),
            Err(e) => errors.absorb(e, &[("invalid_retention", "days")])?,
        }
    }
    let typed = Typed {
        form: Some(form),
        errors,
        ..Typed::default()
    };
    invalid(&page(&state, c, typed).await?)
}

/// `POST /console/privacy/deletion`: schedules the account's deletion.
async fn request_deletion(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<DeletionForm>,
) -> PageResult {
    let req = DeletionRequest {
        confirm_name: form.confirm_name.clone(),
    };
    let mut deletion_errors = FormErrors::new();
    match crate::privacy::request_deletion(&state, &c.member, &req).await {
        Ok(_) => return see_other("/console/privacy"),
        Err(e) => deletion_errors.absorb(
            e,
            &[
                ("confirmation_mismatch", "confirm_name"),
                ("deletion_scheduled", "confirm_name"),
            ],
        )?,
    }
    let typed = Typed {
        confirm: form,
        deletion_errors,
        ..Typed::default()
    };
    invalid(&page(&state, c, typed).await?)
}

/// `POST /console/privacy/deletion/cancel`.
async fn cancel_deletion(State(state): State<AppState>, c: Console) -> PageResult {
    crate::privacy::cancel_deletion(&state, &c.member).await?;
    see_other("/console/privacy")
}

/// `GET /console/contacts/{id}/personal-data`: everything stored about the
/// contact, as a JSON download (the rules of the API's export).
async fn export_contact(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
) -> Result<axum::response::Response, PageError> {
    c.member.require(Role::Admin)?;
    let data = crate::privacy::export_contact(&state, c.member.tenant(), &id).await?;
    crate::audit::record(
        &state,
        Entry::by_member(Action::ExportDownloaded, &c.member).target(TargetKind::Contact, &id),
    )
    .await?;
    let body = serde_json::to_vec_pretty(&data)
        .map_err(|e| AppError::internal_from("personal data", e))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"contact-{id}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `POST /console/contacts/{id}/erase`: erases the contact, back to the list.
async fn erase_contact(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let entry = Entry::by_member(Action::DataErased, &c.member);
    crate::privacy::erase_contact(&state, c.member.tenant(), &id, entry).await?;
    see_other("/console/contacts")
}
