//! The audit trail over HTTP: a vendor's admins and owner read and export
//! their own vendor's entries, platform admins every vendor's.

use axum::extract::{Query, State};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    Action, ActorKind, ActorView, AuditEntryView, AuditPage, AuditQuery, Entry, Filter,
    StoredEntry, TargetKind, TargetView,
};
use super::store;
use crate::AppState;
use crate::auth::{AdminUser, CurrentMember, Role};
use crate::domain::TenantId;
use crate::http::export::{self, ExportFormat, Table};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiResult, AppError, ErrorBody, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(export_own))
        .routes(routes!(admin_list))
        .routes(routes!(admin_export))
}

/// Largest page.
const MAX_LIMIT: i64 = 500;

/// The checked filters of `q`; `tenant` scopes them to one vendor (a
/// vendor's own list ignores `tenant_id` in the query).
pub(crate) fn filter_of(q: &AuditQuery, tenant: Option<TenantId>) -> Result<Filter, AppError> {
    let action = q
        .action
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| {
            Action::parse(a).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_action",
                    tr!("action: {a} tidak dikenal", "action: unknown action {a}"),
                )
            })
        })
        .transpose()?;
    let (actor_kind, actor_id) = match q.actor.as_deref().map(str::trim) {
        None | Some("") => (None, None),
        Some(a) => match ActorKind::parse(a) {
            Some(kind) => (Some(kind), None),
            None => (None, Some(a.to_owned())),
        },
    };
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        return Err(AppError::bad_request(
            "invalid_range",
            Text::new(
                "from harus lebih awal dari to",
                "from must be earlier than to",
            ),
        ));
    }
    Ok(Filter {
        tenant,
        action,
        actor_kind,
        actor_id,
        from: q.from,
        to: q.to,
    })
}

fn paging(q: &AuditQuery) -> Result<(i64, i64), AppError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            tr!(
                "limit harus antara 1 dan {MAX_LIMIT}",
                "limit must be between 1 and {MAX_LIMIT}"
            ),
        ));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::bad_request(
            "invalid_offset",
            Text::new("offset tidak boleh negatif", "offset must not be negative"),
        ));
    }
    Ok((limit, offset))
}

/// The API's view of a stored entry.
fn view(e: StoredEntry) -> Result<AuditEntryView, AppError> {
    let bad = |what: &str| AppError::internal(format!("audit entry {}: bad {what}", e.id));
    let json = |text: &Option<String>| -> Result<Option<serde_json::Value>, AppError> {
        text.as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| bad("json"))
    };
    Ok(AuditEntryView {
        action: Action::parse(&e.action).ok_or_else(|| bad("action"))?,
        actor: ActorView {
            kind: ActorKind::parse(&e.actor_kind).ok_or_else(|| bad("actor kind"))?,
            id: e.actor_id.clone(),
            label: e.actor_label.clone(),
        },
        target: match (&e.target_kind, &e.target_id) {
            (Some(k), Some(id)) => Some(TargetView {
                kind: TargetKind::parse(k).ok_or_else(|| bad("target kind"))?,
                id: id.clone(),
            }),
            _ => None,
        },
        before: json(&e.before_json)?,
        after: json(&e.after_json)?,
        id: e.id,
        at: e.at,
        tenant_id: e.tenant_id,
        ip: e.ip,
        user_agent: e.user_agent,
    })
}

/// A page of entries matching `q`, newest first.
pub(crate) async fn page(
    state: &AppState,
    q: &AuditQuery,
    tenant: Option<TenantId>,
) -> Result<AuditPage, AppError> {
    let filter = filter_of(q, tenant)?;
    let (limit, offset) = paging(q)?;
    let (rows, total) = store::page(&state.pool, &filter, limit, offset).await?;
    Ok(AuditPage {
        items: rows.into_iter().map(view).collect::<Result<_, _>>()?,
        total,
    })
}

/// Every entry matching `q` as a CSV or XLSX file; the export itself is
/// recorded by `entry` (the caller).
pub(crate) async fn export_file(
    state: &AppState,
    q: &AuditQuery,
    tenant: Option<TenantId>,
    entry: Entry,
) -> Result<Response, AppError> {
    let format = ExportFormat::from_query(q.format.as_deref())?;
    let filter = filter_of(q, tenant)?;
    let (rows, _) = store::page(&state.pool, &filter, i64::MAX, 0).await?;
    let header = [
        "time",
        "tenant_id",
        "action",
        "actor_kind",
        "actor_id",
        "actor_label",
        "target_kind",
        "target_id",
        "ip",
        "user_agent",
        "before",
        "after",
        "id",
        "hash",
    ];
    let table: Vec<Vec<String>> = rows
        .into_iter()
        .map(|e| {
            vec![
                chrono::DateTime::from_timestamp_millis(e.at)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default(),
                e.tenant_id.unwrap_or_default(),
                e.action,
                e.actor_kind,
                e.actor_id.unwrap_or_default(),
                e.actor_label.unwrap_or_default(),
                e.target_kind.unwrap_or_default(),
                e.target_id.unwrap_or_default(),
                e.ip.unwrap_or_default(),
                e.user_agent.unwrap_or_default(),
                e.before_json.unwrap_or_default(),
                e.after_json.unwrap_or_default(),
                e.id,
                e.hash,
            ]
        })
        .collect();
    let count = table.len();
    let file = export::download(format, "audit", vec![Table::new("Audit", header, table)]).await?;
    super::record(state, entry.export("audit", format, count)).await?;
    Ok(file)
}

/// The vendor's audit trail, newest first (owner or admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    security(("session" = []), ("api_key" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries", body = inline(crate::http::Data<AuditPage>)),
        (status = 400, description = "Invalid filter", body = ErrorBody),
        (status = 403, description = "Not an admin or owner", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<AuditQuery>,
) -> ApiResult<AuditPage> {
    member.require(Role::Admin)?;
    Ok(ok(page(&state, &q, Some(member.tenant().clone())).await?))
}

/// Export the vendor's audit trail as CSV or XLSX (owner or admin; same
/// filters as the list, every matching entry).
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit",
    security(("session" = []), ("api_key" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 400, description = "Invalid filter or format", body = ErrorBody),
        (status = 403, description = "Not an admin or owner", body = ErrorBody)))]
async fn export_own(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    member.require(Role::Admin)?;
    let entry = Entry::by_member(Action::ExportDownloaded, &member);
    export_file(&state, &q, Some(member.tenant().clone()), entry).await
}

/// Every vendor's audit trail and the platform's, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    security(("admin_session" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries", body = inline(crate::http::Data<AuditPage>)),
        (status = 400, description = "Invalid filter", body = ErrorBody)))]
async fn admin_list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<AuditPage> {
    let tenant = q.tenant_id.as_deref().map(TenantId::from);
    Ok(ok(page(&state, &q, tenant).await?))
}

/// Export every vendor's audit trail (or one vendor's, with `tenant_id`)
/// as CSV or XLSX.
#[utoipa::path(get, path = "/api/v1/admin/audit/export", tag = "admin",
    security(("admin_session" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 400, description = "Invalid filter or format", body = ErrorBody)))]
async fn admin_export(
    State(state): State<AppState>,
    admin: AdminUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let tenant = q.tenant_id.as_deref().map(TenantId::from);
    export_file(
        &state,
        &q,
        tenant,
        Entry::new(Action::ExportDownloaded, &admin),
    )
    .await
}
