//! XLSX exports of vendors and subscriptions (rust_xlsxwriter).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{SubscriptionRow, VendorView};
use super::store;
use super::vendors::all_vendors;
use crate::AppState;
use crate::auth::AdminUser;
use crate::http::{AppError, ResultExt};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_vendors))
        .routes(routes!(export_subscriptions))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn ms_to_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal_from("building an XLSX workbook", e)
}

/// Builds the vendors workbook (one header row, one row per vendor).
pub fn vendors_workbook(vendors: &[VendorView]) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Vendors").map_err(xlsx_error)?;
    let headers = [
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
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx_error)?;
    }
    for (i, v) in vendors.iter().enumerate() {
        let r = (i + 1) as u32;
        let cells = [
            v.id.to_string(),
            v.name.clone(),
            v.whatsapp.clone(),
            v.owner_email.clone().unwrap_or_default(),
            v.status.as_str().to_owned(),
            v.plan_code.clone().unwrap_or_default(),
            v.subscription_status.clone().unwrap_or_default(),
            v.subscription_expires_at
                .map(ms_to_text)
                .unwrap_or_default(),
            ms_to_text(v.created_at),
        ];
        for (c, value) in cells.iter().enumerate() {
            sheet.write_string(r, c as u16, value).map_err(xlsx_error)?;
        }
    }
    sheet.autofit();
    book.save_to_buffer().map_err(xlsx_error)
}

/// Builds the subscriptions workbook (one row per vendor subscription).
pub fn subscriptions_workbook(rows: &[SubscriptionRow]) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Subscriptions").map_err(xlsx_error)?;
    let headers = [
        "tenant_id",
        "vendor",
        "plan",
        "status",
        "started_at",
        "expires_at",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx_error)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        let cells = [
            row.tenant_id.as_str(),
            &row.vendor,
            &row.plan_code,
            &row.status,
        ];
        for (c, value) in cells.iter().enumerate() {
            sheet
                .write_string(r, c as u16, *value)
                .map_err(xlsx_error)?;
        }
        sheet
            .write_string(r, 4, ms_to_text(row.started_at))
            .map_err(xlsx_error)?;
        sheet
            .write_string(r, 5, ms_to_text(row.expires_at))
            .map_err(xlsx_error)?;
    }
    sheet.autofit();
    book.save_to_buffer().map_err(xlsx_error)
}

fn attachment(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, XLSX.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Download every vendor as an XLSX sheet.
#[utoipa::path(get, path = "/api/v1/admin/exports/vendors.xlsx", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "XLSX workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn export_vendors(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Response, AppError> {
    let vendors = all_vendors(&state, None).await?;
    let bytes = tokio::task::spawn_blocking(move || vendors_workbook(&vendors))
        .await
        .context("building the vendors export")??;
    Ok(attachment("vendors.xlsx", bytes))
}

/// Download every subscription as an XLSX sheet.
#[utoipa::path(get, path = "/api/v1/admin/exports/subscriptions.xlsx", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "XLSX workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn export_subscriptions(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Response, AppError> {
    let names = crate::tenants::store::names(&state.pool).await?;
    let mut rows = store::subscription_rows(&state.pool).await?;
    for row in &mut rows {
        row.vendor = names.get(&row.tenant_id).cloned().unwrap_or_default();
    }
    // By vendor name, then id.
    rows.sort_by(|a, b| (&a.vendor, &a.tenant_id).cmp(&(&b.vendor, &b.tenant_id)));
    let bytes = tokio::task::spawn_blocking(move || subscriptions_workbook(&rows))
        .await
        .context("building the subscriptions export")??;
    Ok(attachment("subscriptions.xlsx", bytes))
}
