//! The campaign list, live over server-sent events.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::super::format::{when, when_in};
use super::super::page::{Chrome, PageResult, render};
use super::super::session::Console;
use super::{LIST, Progress, status_class, status_text};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::campaigns::{CampaignStatus, CampaignView};
use crate::http::AppError;
use crate::http::i18n::Lang;

/// A campaign as the list shows it.
pub(super) struct ListRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) status: &'static str,
    pub(super) status_class: &'static str,
    pub(super) progress: Progress,
    pub(super) when: String,
}

fn list_row(lang: Lang, c: &CampaignView) -> ListRow {
    let when = match (c.status, c.scheduled_at, c.started_at) {
        (CampaignStatus::Scheduled, Some(at), _) => when_in(Some(at), &c.time_zone),
        (_, _, Some(started)) => when_in(Some(started), &c.time_zone),
        _ => when(Some(c.created_at)),
    };
    ListRow {
        id: c.id.to_string(),
        name: c.name.clone(),
        status: status_text(lang, c.status),
        status_class: status_class(c.status),
        progress: Progress::of(c),
        when,
    }
}

#[derive(Template)]
#[template(path = "web/campaigns_rows.html")]
struct RowsFragment {
    chrome: Chrome,
    rows: Vec<ListRow>,
    /// Only campaigns of one status are listed.
    filtered: bool,
}

#[derive(Template)]
#[template(path = "web/campaigns.html")]
struct ListPage {
    chrome: Chrome,
    filter: &'static str,
    filters: Vec<(&'static str, &'static str)>,
    rows_html: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
}

/// The list's rows, rendered (the page and its live updates).
pub(super) async fn rows_html(
    state: &AppState,
    member: &CurrentMember,
    chrome: &Chrome,
    status: Option<CampaignStatus>,
) -> Result<String, AppError> {
    let views = crate::campaigns::list_views(state, member, status, LIST, 0).await?;
    RowsFragment {
        chrome: chrome.clone(),
        rows: views.iter().map(|c| list_row(chrome.lang, c)).collect(),
        filtered: status.is_some(),
    }
    .render()
    .map_err(|e| AppError::internal_from("rendering the campaign list", e))
}

/// The status filter of the list (an unknown one shows every campaign).
fn filter_of(q: &ListQuery) -> (Option<CampaignStatus>, &'static str) {
    match CampaignStatus::parse(&q.status) {
        Some(s) => (Some(s), s.as_str()),
        None => (None, ""),
    }
}

/// `GET /console/campaigns?status=`.
pub(super) async fn list(
    State(state): State<AppState>,
    c: Console,
    Query(q): Query<ListQuery>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let chrome = c.chrome.at("campaigns");
    let (status, filter) = filter_of(&q);
    let rows_html = rows_html(&state, &c.member, &chrome, status).await?;
    let lang = chrome.lang;
    let filters = std::iter::once(("", lang.t("Semua", "All")))
        .chain(
            CampaignStatus::ALL
                .iter()
                .map(|s| (s.as_str(), status_text(lang, *s))),
        )
        .collect();
    Ok(render(&ListPage {
        chrome,
        filter,
        filters,
        rows_html,
    })?
    .into_response())
}

/// `GET /console/campaigns/events?status=`: the list's rows, live.
pub(super) async fn list_events(
    State(state): State<AppState>,
    c: Console,
    Query(q): Query<ListQuery>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let (status, _) = filter_of(&q);
    let s = state.clone();
    let stream = super::super::live::stream(&state, "rows", move || {
        let (s, member, chrome) = (s.clone(), c.member.clone(), c.chrome.clone());
        async move { rows_html(&s, &member, &chrome, status).await }
    });
    Ok(stream.into_response())
}
