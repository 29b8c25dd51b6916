//! XLSX exports of vendors and subscriptions.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{SubscriptionRow, VendorView};
use super::vendors::all_vendors;
use crate::AppState;
use crate::audit::{self, Action, Entry};
use crate::auth::AdminUser;
use crate::http::AppError;
use crate::http::export::{self, ExportFormat, Table};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_vendors))
        .routes(routes!(export_subscriptions))
}

fn ms_to_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// The vendors sheet: one row per vendor.
fn vendors_table(vendors: Vec<VendorView>) -> Table {
    let header = [
        "id",
        "name",
        "whatsapp",
        "owner_email",
        "status",
        "plan",
        "subscription",
        "expires_at",
        "created_at",
    ];
    let rows = vendors
        .into_iter()
        .map(|v| {
            vec![
                v.id.into_string(),
                v.name,
                v.whatsapp,
                v.owner_email.unwrap_or_default(),
                v.status.as_str().to_owned(),
                v.plan_code.unwrap_or_default(),
                v.subscription_status.unwrap_or_default(),
                v.subscription_expires_at
                    .map(ms_to_text)
                    .unwrap_or_default(),
                ms_to_text(v.created_at),
            ]
        })
        .collect();
    Table::new("Vendors", header, rows)
}

/// The subscriptions sheet: one row per vendor subscription.
fn subscriptions_table(rows: Vec<SubscriptionRow>) -> Table {
    let header = [
        "tenant_id",
        "vendor",
        "plan",
        "status",
        "started_at",
        "expires_at",
    ];
    let rows = rows
        .into_iter()
        .map(|r| {
            vec![
                r.tenant_id.into_string(),
                r.vendor,
                r.plan_code,
                r.status,
                ms_to_text(r.started_at),
                ms_to_text(r.expires_at),
            ]
        })
        .collect();
    Table::new("Subscriptions", header, rows)
}

/// Download every vendor as an XLSX sheet.
#[utoipa::path(get, path = "/api/v1/admin/exports/vendors.xlsx", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "XLSX workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn export_vendors(
    State(state): State<AppState>,
    admin: AdminUser,
) -> Result<Response, AppError> {
    vendors_workbook(&state, &admin).await
}

/// Every vendor as an XLSX download.
pub(crate) async fn vendors_workbook(
    state: &AppState,
    admin: &AdminUser,
) -> Result<Response, AppError> {
    let vendors = all_vendors(state, None).await?;
    let count = vendors.len();
    let file =
        export::download(ExportFormat::Xlsx, "vendors", vec![vendors_table(vendors)]).await?;
    let entry =
        Entry::new(Action::ExportDownloaded, admin).export("vendors", ExportFormat::Xlsx, count);
    audit::record(state, entry).await?;
    Ok(file)
}

/// Download every subscription as an XLSX sheet.
#[utoipa::path(get, path = "/api/v1/admin/exports/subscriptions.xlsx", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "XLSX workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn export_subscriptions(
    State(state): State<AppState>,
    admin: AdminUser,
) -> Result<Response, AppError> {
    subscriptions_workbook(&state, &admin).await
}

/// Every subscription as an XLSX download.
pub(crate) async fn subscriptions_workbook(
    state: &AppState,
    admin: &AdminUser,
) -> Result<Response, AppError> {
    let names = crate::tenants::store::names(&state.pool).await?;
    let mut rows = crate::billing::store::subscriptions::export_rows(&state.pool).await?;
    for row in &mut rows {
        row.vendor = names.get(&row.tenant_id).cloned().unwrap_or_default();
    }
    // By vendor name, then id.
    rows.sort_by(|a, b| (&a.vendor, &a.tenant_id).cmp(&(&b.vendor, &b.tenant_id)));
    let count = rows.len();
    let file = export::download(
        ExportFormat::Xlsx,
        "subscriptions",
        vec![subscriptions_table(rows)],
    )
    .await?;
    let entry = Entry::new(Action::ExportDownloaded, admin).export(
        "subscriptions",
        ExportFormat::Xlsx,
        count,
    );
    audit::record(state, entry).await?;
    Ok(file)
}
