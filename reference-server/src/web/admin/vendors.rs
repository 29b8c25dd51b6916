//! `/admin/vendors`: every vendor with its status and plan, one vendor
//! with its usage against the plan's limits, and approve / ban / unban
//! (the rules of `/api/v1/admin/vendors/{id}/...`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{AdminConsole, when};
use crate::AppState;
use crate::admin::VendorView;
use crate::domain::TenantId;
use crate::tenants::TenantStatus;
use crate::web::page::{Chrome, PageResult, WebForm, render, see_other};

/// A vendor's status as a badge: its words and its colour class.
pub(super) fn status_badge(
    status: TenantStatus,
    lang: crate::http::i18n::Lang,
) -> (&'static str, &'static str) {
    match status {
        TenantStatus::Active => (lang.t("aktif", "active"), "ok"),
        TenantStatus::PendingApproval => (
            lang.t("menunggu persetujuan", "waiting for approval"),
            "warn",
        ),
        TenantStatus::PendingVerification => (lang.t("belum verifikasi", "not verified"), ""),
        TenantStatus::Banned => (lang.t("diblokir", "banned"), "bad"),
        TenantStatus::Deleted => (lang.t("dihapus", "deleted"), ""),
    }
}

/// One vendor as the list shows it.
struct Row {
    v: VendorView,
    status: (&'static str, &'static str),
    created: String,
}

#[derive(Template)]
#[template(path = "web/admin/vendors.html")]
struct VendorsPage {
    chrome: Chrome,
    rows: Vec<Row>,
    filter: String,
    waiting: usize,
}

#[derive(Debug, Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    status: String,
}

/// `GET /admin/vendors?status=`.
pub(super) async fn list(
    State(state): State<AppState>,
    a: AdminConsole,
    Query(f): Query<Filter>,
) -> PageResult {
    let lang = a.chrome.lang;
    let status = TenantStatus::parse(&f.status);
    let all = crate::admin::all_vendors(&state, None).await?;
    let waiting = all
        .iter()
        .filter(|v| v.status == TenantStatus::PendingApproval)
        .count();
    let rows = all
        .into_iter()
        .filter(|v| status.is_none_or(|s| v.status == s))
        .map(|v| Row {
            status: status_badge(v.status, lang),
            created: when(Some(v.created_at)),
            v,
        })
        .collect();
    Ok(render(&VendorsPage {
        chrome: a.chrome.at("admin-vendors"),
        rows,
        filter: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        waiting,
    })?
    .into_response())
}

/// One limit of the vendor's plan and what it uses of it.
struct Usage {
    label: &'static str,
    used: i64,
    max: Option<i64>,
}

#[derive(Template)]
#[template(path = "web/admin/vendor.html")]
struct VendorPage {
    chrome: Chrome,
    v: VendorView,
    status: (&'static str, &'static str),
    created: String,
    expires: String,
    usage: Vec<Usage>,
    members: usize,
}

/// `GET /admin/vendors/{id}`: the vendor, its subscription and its usage.
pub(super) async fn show(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(tenant): Path<TenantId>,
) -> PageResult {
    let lang = a.chrome.lang;
    let v = crate::admin::vendor(&state, &tenant).await?;
    let status = crate::billing::subscription(&state, &tenant).await?;
    let plan = match &v.plan_code {
        Some(code) => crate::billing::plans::by_code(&state.pool, code).await?,
        None => None,
    };
    let u = status.usage;
    let usage = vec![
        Usage {
            label: lang.t("Perangkat", "Devices"),
            used: u.devices,
            max: plan.as_ref().map(|p| p.max_devices),
        },
        Usage {
            label: lang.t("Kontak", "Contacts"),
            used: u.contacts,
            max: plan.as_ref().map(|p| p.max_contacts),
        },
        Usage {
            label: lang.t("Pesan bulan ini", "Messages this month"),
            used: u.messages_this_month,
            max: plan.as_ref().map(|p| p.max_messages_per_month),
        },
        Usage {
            label: lang.t("Permintaan AI bulan ini", "AI requests this month"),
            used: u.ai_requests_this_month,
            max: plan.as_ref().map(|p| p.max_ai_requests_per_month),
        },
    ];
    let members = crate::tenants::store::members(&state.pool, &tenant)
        .await?
        .len();
    Ok(render(&VendorPage {
        chrome: a.chrome.at("admin-vendors"),
        status: status_badge(v.status, lang),
        created: when(Some(v.created_at)),
        expires: when(v.subscription_expires_at),
        v,
        usage,
        members,
    })?
    .into_response())
}

/// Where to return after an action: the page the form came from.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    back: String,
    #[serde(default)]
    reason: String,
}

fn back_to(form: &ActionForm, tenant: &TenantId) -> String {
    if form.back == "list" {
        "/admin/vendors".to_owned()
    } else {
        format!("/admin/vendors/{tenant}")
    }
}

/// `POST /admin/vendors/{id}/approve`.
pub(super) async fn approve(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(tenant): Path<TenantId>,
    WebForm(form): WebForm<ActionForm>,
) -> PageResult {
    crate::admin::approve(&state, &a.admin, &tenant).await?;
    see_other(&back_to(&form, &tenant))
}

/// `POST /admin/vendors/{id}/ban`: the vendor's sessions end at once.
pub(super) async fn ban(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(tenant): Path<TenantId>,
    WebForm(form): WebForm<ActionForm>,
) -> PageResult {
    let reason = Some(form.reason.clone());
    crate::admin::ban(&state, &a.admin, &tenant, reason).await?;
    see_other(&back_to(&form, &tenant))
}

/// `POST /admin/vendors/{id}/unban`.
pub(super) async fn unban(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(tenant): Path<TenantId>,
    WebForm(form): WebForm<ActionForm>,
) -> PageResult {
    crate::admin::unban(&state, &a.admin, &tenant).await?;
    see_other(&back_to(&form, &tenant))
}
