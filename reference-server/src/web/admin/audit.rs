//! `/admin/audit`: every vendor's audit trail and the platform's (the
//! rules of `GET /api/v1/admin/audit`), with a CSV download.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;

use super::AdminConsole;
use crate::AppState;
use crate::audit::model::AuditQuery;
use crate::audit::{Action, Entry};
use crate::domain::TenantId;
use crate::web::audit::{PAGE, Row, filter_query};
use crate::web::page::{Chrome, PageResult, render};

#[derive(Template)]
#[template(path = "web/admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<Row>,
    total: i64,
    actions: Vec<(&'static str, bool)>,
    tenant: String,
    filter: String,
    next: Option<i64>,
    prev: Option<i64>,
}

fn tenant_of(q: &AuditQuery) -> Option<TenantId> {
    q.tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(TenantId::from)
}

/// `GET /admin/audit?tenant_id=&action=&offset=`.
pub(super) async fn list(
    State(state): State<AppState>,
    a: AdminConsole,
    Query(mut q): Query<AuditQuery>,
) -> PageResult {
    q.limit = Some(PAGE);
    let offset = q.offset.unwrap_or(0).max(0);
    let page = crate::audit::page(&state, &q, tenant_of(&q)).await?;
    Ok(render(&AuditPage {
        chrome: a.chrome.at("admin-audit"),
        next: (offset + PAGE < page.total).then_some(offset + PAGE),
        prev: (offset > 0).then(|| (offset - PAGE).max(0)),
        total: page.total,
        rows: page.items.into_iter().map(Row::from).collect(),
        actions: Action::ALL
            .iter()
            .map(|a| (a.as_str(), q.action.as_deref() == Some(a.as_str())))
            .collect(),
        tenant: q.tenant_id.clone().unwrap_or_default(),
        filter: filter_query(&q),
    })?
    .into_response())
}

/// `GET /admin/audit/export?format=csv|xlsx`: the filtered list.
pub(super) async fn export(
    State(state): State<AppState>,
    a: AdminConsole,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let entry = Entry::new(Action::ExportDownloaded, &a.admin);
    Ok(crate::audit::export_file(&state, &q, tenant_of(&q), entry).await?)
}
