//! `/console/audit`: the vendor's audit trail for its owner and admins
//! (the rules of `GET /api/v1/audit`), with filters, paging and a CSV or
//! XLSX download of the filtered list.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;

use super::page::{Chrome, PageResult, render};
use super::session::Console;
use crate::AppState;
use crate::audit::model::{AuditEntryView, AuditQuery};
use crate::audit::{Action, Entry};
use crate::auth::Role;

/// The audit page's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/audit", get(show))
        .route("/console/audit/export", get(export))
}

/// Entries per page.
pub(super) const PAGE: i64 = 50;

/// One entry as the table shows it.
pub(super) struct Row {
    pub(super) when: String,
    pub(super) tenant: String,
    pub(super) action: &'static str,
    pub(super) actor: String,
    pub(super) target: String,
    pub(super) source: String,
    pub(super) details: String,
}

impl From<AuditEntryView> for Row {
    fn from(e: AuditEntryView) -> Self {
        let actor = match (&e.actor.id, &e.actor.label) {
            (Some(id), _) => format!("{} {id}", e.actor.kind),
            (None, Some(label)) => format!("{} {label}", e.actor.kind),
            (None, None) => e.actor.kind.to_string(),
        };
        let details = [("", &e.before), ("→ ", &e.after)]
            .iter()
            .filter_map(|(mark, v)| v.as_ref().map(|v| format!("{mark}{v}")))
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            when: super::public::time_text(e.at),
            tenant: e.tenant_id.unwrap_or_default(),
            action: e.action.as_str(),
            actor,
            target: e
                .target
                .map(|t| format!("{} {}", t.kind, t.id))
                .unwrap_or_default(),
            source: [e.ip, e.user_agent]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            details,
        }
    }
}

/// The query string of `q` without paging, for the export link and the
/// next and previous pages.
pub(super) fn filter_query(q: &AuditQuery) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("action", &q.action),
        ("actor", &q.actor),
        ("tenant_id", &q.tenant_id),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            query.append_pair(k, v);
        }
    }
    query.finish()
}

#[derive(Template)]
#[template(path = "web/audit.html")]
struct AuditPageView {
    chrome: Chrome,
    rows: Vec<Row>,
    total: i64,
    actions: Vec<(&'static str, bool)>,
    filter: String,
    next: Option<i64>,
    prev: Option<i64>,
}

/// `GET /console/audit?action=&offset=`.
async fn show(
    State(state): State<AppState>,
    c: Console,
    Query(mut q): Query<AuditQuery>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    q.limit = Some(PAGE);
    let offset = q.offset.unwrap_or(0).max(0);
    let page = crate::audit::page(&state, &q, Some(c.member.tenant().clone())).await?;
    Ok(render(&AuditPageView {
        chrome: c.chrome.at("audit"),
        next: (offset + PAGE < page.total).then_some(offset + PAGE),
        prev: (offset > 0).then(|| (offset - PAGE).max(0)),
        total: page.total,
        rows: page.items.into_iter().map(Row::from).collect(),
        actions: Action::ALL
            .iter()
            .map(|a| (a.as_str(), q.action.as_deref() == Some(a.as_str())))
            .collect(),
        filter: filter_query(&q),
    })?
    .into_response())
}

/// `GET /console/audit/export?format=csv|xlsx`: the filtered list.
async fn export(
    State(state): State<AppState>,
    c: Console,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let entry = Entry::by_member(Action::ExportDownloaded, &c.member);
    Ok(crate::audit::export_file(&state, &q, Some(c.member.tenant().clone()), entry).await?)
}
