//! XLSX exports of vendors and subscriptions (rust_xlsxwriter).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::vendors::{VendorView, all_vendors};
use crate::AppState;
use crate::auth::AdminUser;
use crate::http::AppError;

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
    AppError::internal(format!("xlsx: {e}"))
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
            v.id.clone(),
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
pub fn subscriptions_workbook(
    rows: &[(String, String, String, String, i64, i64)],
) -> Result<Vec<u8>, AppError> {
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
    for (i, (tenant, vendor, plan, status, started, expires)) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        for (c, value) in [tenant, vendor, plan, status].iter().enumerate() {
            sheet
                .write_string(r, c as u16, value.as_str())
                .map_err(xlsx_error)?;
        }
        sheet
            .write_string(r, 4, ms_to_text(*started))
            .map_err(xlsx_error)?;
        sheet
            .write_string(r, 5, ms_to_text(*expires))
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
        .map_err(AppError::internal)??;
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
    let rows: Vec<(String, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT s.tenant_id, t.name, p.code, s.status, s.started_at, s.expires_at \
         FROM subscriptions s JOIN tenants t ON t.id = s.tenant_id JOIN plans p ON p.id = s.plan_id \
         ORDER BY t.name, s.tenant_id",
    )
    .fetch_all(&state.pool)
    .await?;
    let bytes = tokio::task::spawn_blocking(move || subscriptions_workbook(&rows))
        .await
        .map_err(AppError::internal)??;
    Ok(attachment("subscriptions.xlsx", bytes))
}
