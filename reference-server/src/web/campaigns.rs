//! `/console/campaigns`: the vendor's campaigns with their progress (live
//! over server-sent events), one campaign's page with live progress and
//! results per recipient, start / pause / resume / cancel / delete, and
//! the report download. The new-campaign form is in
//! [`super::campaign_new`]. The rules are the campaigns feature's
//! (`campaigns::start`, `campaigns::transition`, ...) and the analytics
//! report's (`analytics::report_file`), the ones the JSON API runs.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::format::{when, when_in};
use super::page::{Chrome, FormErrors, PageError, PageResult, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::campaigns::{
    CampaignStatus, CampaignView, Counts, RecipientQuery, RecipientStatus, RecipientView,
};
use crate::domain::CampaignId;
use crate::http::AppError;
use crate::http::i18n::Lang;

/// The campaign pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/campaigns",
            get(list).post(super::campaign_new::create),
        )
        .route("/console/campaigns/events", get(list_events))
        .route("/console/campaigns/new", get(super::campaign_new::new))
        .route("/console/campaigns/{id}", get(show))
        .route("/console/campaigns/{id}/events", get(show_events))
        .route("/console/campaigns/{id}/report", get(report))
        .route("/console/campaigns/{id}/start", post(start))
        .route("/console/campaigns/{id}/pause", post(pause))
        .route("/console/campaigns/{id}/resume", post(resume))
        .route("/console/campaigns/{id}/cancel", post(cancel))
        .route("/console/campaigns/{id}/delete", post(delete))
}

/// How many campaigns the list shows.
const LIST: i64 = 100;

/// How many recipients a campaign's page shows.
const RECIPIENTS: i64 = 100;

/// A campaign status in the page's language.
pub(super) fn status_text(lang: Lang, s: CampaignStatus) -> &'static str {
    match s {
        CampaignStatus::Draft => lang.t("draf", "draft"),
        CampaignStatus::Scheduled => lang.t("terjadwal", "scheduled"),
        CampaignStatus::Running => lang.t("berjalan", "running"),
        CampaignStatus::Paused => lang.t("dijeda", "paused"),
        CampaignStatus::Completed => lang.t("selesai", "completed"),
        CampaignStatus::Cancelled => lang.t("dibatalkan", "cancelled"),
    }
}

/// The badge class of a campaign status.
fn status_class(s: CampaignStatus) -> &'static str {
    match s {
        CampaignStatus::Running | CampaignStatus::Completed => "ok",
        CampaignStatus::Paused | CampaignStatus::Scheduled => "warn",
        CampaignStatus::Cancelled => "bad",
        CampaignStatus::Draft => "",
    }
}

/// A recipient's status in the page's language, and its badge class.
fn recipient_status(lang: Lang, s: RecipientStatus) -> (&'static str, &'static str) {
    match s {
        RecipientStatus::Queued => (lang.t("antre", "queued"), ""),
        RecipientStatus::Sending => (lang.t("dikirim", "sending"), ""),
        RecipientStatus::Sent => (lang.t("terkirim", "sent"), "ok"),
        RecipientStatus::Delivered => (lang.t("sampai", "delivered"), "ok"),
        RecipientStatus::Read => (lang.t("dibaca", "read"), "ok"),
        RecipientStatus::Replied => (lang.t("dibalas", "replied"), "ok"),
        RecipientStatus::Failed => (lang.t("gagal", "failed"), "bad"),
        RecipientStatus::Skipped => (lang.t("dilewati", "skipped"), "warn"),
        RecipientStatus::Cancelled => (lang.t("dibatalkan", "cancelled"), "warn"),
    }
}

/// How far a campaign's first messages are: those no longer waiting or
/// being sent, of those enqueued at start. (`sent` counts every message
/// the provider accepted, including ones it reported failed later, so it
/// does not add up with `failed`.)
pub(super) struct Progress {
    pub(super) done: i64,
    pub(super) total: i64,
    pub(super) percent: i64,
    pub(super) counts: Counts,
    /// Follow-up counts, when the campaign has a follow-up.
    pub(super) followup: Option<Counts>,
}

impl Progress {
    fn of(c: &CampaignView) -> Self {
        let k = &c.counts;
        let done = (c.total - k.queued - k.sending).max(0);
        let percent = if c.total > 0 {
            (done * 100 / c.total).clamp(0, 100)
        } else {
            0
        };
        Self {
            done,
            total: c.total,
            percent,
            counts: k.clone(),
            followup: c.followup.as_ref().map(|_| c.followup_counts.clone()),
        }
    }
}

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
async fn rows_html(
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
async fn list(State(state): State<AppState>, c: Console, Query(q): Query<ListQuery>) -> PageResult {
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
async fn list_events(
    State(state): State<AppState>,
    c: Console,
    Query(q): Query<ListQuery>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let (status, _) = filter_of(&q);
    let s = state.clone();
    let stream = super::live::stream(&state, "rows", move || {
        let (s, member, chrome) = (s.clone(), c.member.clone(), c.chrome.clone());
        async move { rows_html(&s, &member, &chrome, status).await }
    });
    Ok(stream.into_response())
}

/// A recipient as the campaign's page lists it.
pub(super) struct RecipientLine {
    pub(super) phone: String,
    pub(super) status: &'static str,
    pub(super) status_class: &'static str,
    pub(super) at: String,
    pub(super) error: String,
}

fn recipient_line(lang: Lang, r: RecipientView, tz: &str) -> RecipientLine {
    let (status, status_class) = recipient_status(lang, r.status);
    let at = [
        r.replied_at,
        r.read_at,
        r.delivered_at,
        r.failed_at,
        r.sent_at,
        r.not_before,
    ]
    .into_iter()
    .flatten()
    .next();
    RecipientLine {
        phone: r.phone,
        status,
        status_class,
        at: when_in(at, tz),
        error: r.error.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "web/campaign_status.html")]
struct StatusFragment<'a> {
    chrome: &'a Chrome,
    id: &'a str,
    status: CampaignStatus,
    status_text: &'static str,
    status_class: &'static str,
    can_start: bool,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
}

#[derive(Template)]
#[template(path = "web/campaign_progress.html")]
struct ProgressFragment<'a> {
    chrome: &'a Chrome,
    p: &'a Progress,
}

#[derive(Template)]
#[template(path = "web/campaign_recipients.html")]
struct RecipientsFragment<'a> {
    chrome: &'a Chrome,
    lines: &'a [RecipientLine],
}

/// Whether a vendor's move to `to` is allowed from `from`.
fn allows(to: CampaignStatus, from: CampaignStatus) -> bool {
    to.reached_from().contains(&from)
}

/// A campaign with its live regions rendered: the status with the
/// actions it allows, the progress, and the recipients.
struct Live {
    view: CampaignView,
    status: String,
    progress: String,
    recipients: String,
}

async fn live(
    state: &AppState,
    member: &CurrentMember,
    chrome: &Chrome,
    id: &CampaignId,
) -> Result<Live, AppError> {
    let view = crate::campaigns::get(state, member, id).await?;
    let q = RecipientQuery {
        state: None,
        stage: None,
        limit: Some(RECIPIENTS),
        offset: None,
    };
    let lang = chrome.lang;
    let lines: Vec<RecipientLine> = crate::campaigns::recipients(state, member, id, &q)
        .await?
        .into_iter()
        .map(|r| recipient_line(lang, r, &view.time_zone))
        .collect();
    let fail = |e: askama::Error| AppError::internal_from("rendering a campaign", e);
    let status = StatusFragment {
        chrome,
        id: view.id.as_str(),
        status: view.status,
        status_text: status_text(lang, view.status),
        status_class: status_class(view.status),
        // The buttons the feature's own transitions allow.
        can_start: view.status == CampaignStatus::Draft,
        can_pause: allows(CampaignStatus::Paused, view.status),
        can_resume: allows(CampaignStatus::Running, view.status),
        can_cancel: allows(CampaignStatus::Cancelled, view.status),
    }
    .render()
    .map_err(fail)?;
    let progress = ProgressFragment {
        chrome,
        p: &Progress::of(&view),
    }
    .render()
    .map_err(fail)?;
    let recipients = RecipientsFragment {
        chrome,
        lines: &lines,
    }
    .render()
    .map_err(fail)?;
    Ok(Live {
        view,
        status,
        progress,
        recipients,
    })
}

/// A sending device of the campaign as the page shows it.
pub(super) struct DeviceLine {
    pub(super) name: String,
    pub(super) rate: i64,
    pub(super) effective: i64,
    pub(super) weight: i64,
    pub(super) delay: String,
    pub(super) cap: Option<i64>,
}

#[derive(Template)]
#[template(path = "web/campaign.html")]
struct CampaignPage {
    chrome: Chrome,
    id: String,
    name: String,
    status: CampaignStatus,
    status_html: String,
    progress_html: String,
    recipients_html: String,
    template: String,
    followup: Option<(String, i64)>,
    audience: Vec<String>,
    /// Contacts the audience selects now (drafts).
    reach: Option<i64>,
    devices: Vec<DeviceLine>,
    time_zone: String,
    scheduled: Option<String>,
    started: Option<String>,
    finished: Option<String>,
    errors: FormErrors,
}

/// The audience in words.
async fn audience_words(
    state: &AppState,
    member: &CurrentMember,
    lang: Lang,
    c: &CampaignView,
) -> Result<Vec<String>, AppError> {
    let a = &c.audience;
    let mut out = Vec::new();
    if a.all {
        out.push(lang.t("semua kontak", "every contact").to_owned());
    }
    if !a.tags.is_empty() {
        out.push(format!("{}: {}", lang.t("tag", "tags"), a.tags.join(", ")));
    }
    if !a.groups.is_empty() {
        let groups = crate::contacts::store::groups(&state.pool, &member.tenant_id).await?;
        let names: Vec<&str> = a
            .groups
            .iter()
            .map(|g| {
                groups
                    .iter()
                    .find(|x| &x.id == g)
                    .map_or(g.as_str(), |x| x.name.as_str())
            })
            .collect();
        out.push(format!(
            "{}: {}",
            lang.t("grup", "groups"),
            names.join(", ")
        ));
    }
    if !a.contact_ids.is_empty() {
        out.push(format!(
            "{} {}",
            a.contact_ids.len(),
            lang.t("kontak terpilih", "chosen contacts")
        ));
    }
    Ok(out)
}

async fn campaign_page(
    state: &AppState,
    c: Console,
    id: &CampaignId,
    errors: FormErrors,
) -> Result<CampaignPage, PageError> {
    c.member.require(Role::Agent)?;
    let chrome = c.chrome.at("campaigns");
    let lang = chrome.lang;
    let Live {
        view: v,
        status,
        progress,
        recipients,
    } = live(state, &c.member, &chrome, id).await?;
    let templates = crate::templates::list(&state.pool, c.member.tenant()).await?;
    let template_name = |t: &crate::domain::TemplateId| {
        templates
            .iter()
            .find(|x| &x.id == t)
            .map_or_else(|| t.to_string(), |x| x.name.clone())
    };
    let devices = crate::devices::list(state, &c.member).await?;
    let device_lines = v
        .devices
        .iter()
        .map(|d| DeviceLine {
            name: devices
                .iter()
                .find(|x| x.id == d.device_id)
                .map_or_else(|| d.device_id.to_string(), |x| x.name.clone()),
            rate: d.rate_per_minute,
            effective: d.effective_rate_per_minute.unwrap_or(d.rate_per_minute),
            weight: d.weight,
            delay: format!(
                "{}–{} {}",
                d.delay_min_ms / 1000,
                d.delay_max_ms / 1000,
                lang.t("detik", "s")
            ),
            cap: d.daily_cap,
        })
        .collect();
    let reach = if v.status == CampaignStatus::Draft {
        Some(
            crate::contacts::store::audience_count(&state.pool, c.member.tenant(), &v.audience)
                .await?,
        )
    } else {
        None
    };
    Ok(CampaignPage {
        audience: audience_words(state, &c.member, lang, &v).await?,
        template: template_name(&v.template_id),
        followup: v
            .followup
            .as_ref()
            .map(|f| (template_name(&f.template_id), f.after_minutes)),
        reach,
        devices: device_lines,
        scheduled: v.scheduled_at.map(|t| when_in(Some(t), &v.time_zone)),
        started: v.started_at.map(|t| when_in(Some(t), &v.time_zone)),
        finished: v.finished_at.map(|t| when_in(Some(t), &v.time_zone)),
        id: v.id.to_string(),
        name: v.name,
        status: v.status,
        time_zone: v.time_zone,
        status_html: status,
        progress_html: progress,
        recipients_html: recipients,
        chrome,
        errors,
    })
}

/// `GET /console/campaigns/{id}`.
async fn show(State(state): State<AppState>, c: Console, Path(id): Path<CampaignId>) -> PageResult {
    let page = campaign_page(&state, c, &id, FormErrors::new()).await?;
    Ok(render(&page)?.into_response())
}

/// `GET /console/campaigns/{id}/events`: the status, progress and
/// recipients of a campaign, live.
async fn show_events(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    crate::campaigns::get(&state, &c.member, &id).await?;
    let s = state.clone();
    let stream = super::live::stream_parts(&state, move || {
        let (s, member, chrome, id) = (s.clone(), c.member.clone(), c.chrome.clone(), id.clone());
        async move {
            let l = live(&s, &member, &chrome, &id).await?;
            Ok(vec![
                ("status", l.status),
                ("progress", l.progress),
                ("recipients", l.recipients),
            ])
        }
    });
    Ok(stream.into_response())
}

/// The answer to a campaign action: back to the campaign's page, or the
/// page with the refusal above it (not a draft any more, empty audience,
/// quota, ...).
pub(super) async fn after(
    state: &AppState,
    c: Console,
    id: &CampaignId,
    result: Result<CampaignView, AppError>,
) -> PageResult {
    let mut errors = FormErrors::new();
    match result {
        Ok(_) => return see_other(&format!("/console/campaigns/{id}")),
        Err(e) => errors.absorb(e, &[])?,
    }
    invalid(&campaign_page(state, c, id, errors).await?)
}

/// `POST /console/campaigns/{id}/start`.
async fn start(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result = crate::campaigns::start(&state, &c.member, &id).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/pause`.
async fn pause(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result = crate::campaigns::transition(&state, &c.member, &id, CampaignStatus::Paused).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/resume`.
async fn resume(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result =
        crate::campaigns::transition(&state, &c.member, &id, CampaignStatus::Running).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/cancel`.
async fn cancel(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result =
        crate::campaigns::transition(&state, &c.member, &id, CampaignStatus::Cancelled).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/delete` (drafts only).
async fn delete(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    match crate::campaigns::delete_draft(&state, &c.member, &id).await {
        Ok(()) => see_other("/console/campaigns"),
        Err(e) => {
            let mut errors = FormErrors::new();
            errors.absorb(e, &[])?;
            invalid(&campaign_page(&state, c, &id, errors).await?)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ReportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /console/campaigns/{id}/report?format=csv|xlsx`: the analytics
/// report of `GET /api/v1/campaigns/{id}/report`, as a download.
async fn report(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    Ok(crate::analytics::report_file(&state, &c.member, &id, q.format.as_deref()).await?)
}
