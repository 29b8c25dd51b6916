//! One campaign's page: status with its actions, live progress, and the
//! results per recipient.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use super::super::format::when_in;
use super::super::page::{Chrome, FormErrors, PageError, PageResult, render};
use super::super::session::Console;
use super::{Progress, RECIPIENTS, recipient_status, status_class, status_text};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::campaigns::{CampaignStatus, CampaignView, RecipientQuery, RecipientView};
use crate::domain::CampaignId;
use crate::http::AppError;
use crate::http::i18n::Lang;

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
pub(super) struct Live {
    view: CampaignView,
    status: String,
    progress: String,
    recipients: String,
}

pub(super) async fn live(
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
pub(super) struct CampaignPage {
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

pub(super) async fn campaign_page(
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
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let page = campaign_page(&state, c, &id, FormErrors::new()).await?;
    Ok(render(&page)?.into_response())
}

/// `GET /console/campaigns/{id}/events`: the status, progress and
/// recipients of a campaign, live.
pub(super) async fn show_events(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    crate::campaigns::get(&state, &c.member, &id).await?;
    let s = state.clone();
    let stream = super::super::live::stream_parts(&state, move || {
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
