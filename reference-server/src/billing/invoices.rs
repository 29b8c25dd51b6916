//! Invoices: one per paid plan order, issued in the payment's transaction
//! (`store::orders::apply_payment`) with the number `INV/<year>/<000001>`,
//! sequential per calendar year in Asia/Jakarta without gaps; the vendor's
//! billing details (legal name, address, NPWP) are copied onto it at issue
//! time. Vendors read them as JSON, as a printable page in the console and
//! as a PDF ([`super::pdf`]).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{BillingDetails, BillingDetailsInput, InvoiceView};
use super::store;
use crate::AppState;
use crate::audit::{self, Action, Entry, TargetKind};
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::domain::{InvoiceId, TenantId};
use crate::http::i18n::{self, Lang, Text};
use crate::http::{ApiJson, ApiResult, AppError, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(invoice_pdf))
        .routes(routes!(get_details, put_details))
}

/// The seller named on invoices (from the configuration).
#[derive(Debug, Clone)]
pub struct Issuer {
    /// Name.
    pub name: String,
    /// Address, when configured.
    pub address: Option<String>,
    /// NPWP as printed, when configured.
    pub npwp: Option<String>,
}

impl Issuer {
    /// The platform as configured (`[billing]`).
    pub fn of(state: &AppState) -> Self {
        let c = &state.config.billing;
        Self {
            name: c.invoice_issuer_name.clone(),
            address: c.invoice_issuer_address.clone(),
            npwp: c.invoice_issuer_npwp.as_deref().map(format_npwp),
        }
    }
}

/// `dd-mm-YYYY` in Asia/Jakarta, the dates invoices print.
pub fn date_wib(ms: i64) -> String {
    use chrono::TimeZone as _;
    chrono_tz::Asia::Jakarta
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%d-%m-%Y").to_string())
        .unwrap_or_default()
}

/// The NPWP's digits: dots, dashes and spaces are dropped; empty means
/// none.
///
/// # Errors
/// 400 `invalid_npwp` unless 15 or 16 digits remain and nothing else.
pub fn normalize_npwp(raw: &str) -> Result<Option<String>, AppError> {
    let kept: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | ' '))
        .collect();
    if kept.is_empty() {
        return Ok(None);
    }
    if !kept.chars().all(|c| c.is_ascii_digit()) || !(15..=16).contains(&kept.len()) {
        return Err(AppError::bad_request(
            "invalid_npwp",
            Text::new(
                "NPWP harus 15 atau 16 angka",
                "the NPWP must be 15 or 16 digits",
            ),
        ));
    }
    Ok(Some(kept))
}

/// An NPWP as printed: 15 digits as `01.234.567.8-901.234`, 16 digits
/// (the NIK-based NPWP) as `0123 4567 8901 2345`; anything else as stored.
pub fn format_npwp(digits: &str) -> String {
    let d = digits.as_bytes();
    if !d.iter().all(u8::is_ascii_digit) {
        return digits.to_owned();
    }
    match d.len() {
        15 => format!(
            "{}.{}.{}.{}-{}.{}",
            &digits[0..2],
            &digits[2..5],
            &digits[5..8],
            &digits[8..9],
            &digits[9..12],
            &digits[12..15]
        ),
        16 => format!(
            "{} {} {} {}",
            &digits[0..4],
            &digits[4..8],
            &digits[8..12],
            &digits[12..16]
        ),
        _ => digits.to_owned(),
    }
}

fn text_field(
    value: &str,
    max: usize,
    code: &'static str,
    message: Text,
) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::bad_request(code, message));
    }
    Ok(v.replace("\r\n", "\n"))
}

/// The legal name (1-200 characters, one line).
///
/// # Errors
/// 400 `invalid_legal_name`.
pub fn validate_legal_name(value: &str) -> Result<String, AppError> {
    let name = text_field(
        value,
        200,
        "invalid_legal_name",
        Text::new(
            "nama resmi wajib diisi, satu baris, paling banyak 200 karakter",
            "the legal name is required, one line, at most 200 characters",
        ),
    )?;
    if name.contains('\n') {
        return Err(AppError::bad_request(
            "invalid_legal_name",
            Text::new(
                "nama resmi harus satu baris",
                "the legal name must be one line",
            ),
        ));
    }
    Ok(name)
}

/// The address (1-500 characters, line breaks kept).
///
/// # Errors
/// 400 `invalid_address`.
pub fn validate_address(value: &str) -> Result<String, AppError> {
    text_field(
        &value.replace('\r', ""),
        500,
        "invalid_address",
        Text::new(
            "alamat wajib diisi, paling banyak 500 karakter",
            "the address is required, at most 500 characters",
        ),
    )
}

/// The error codes of the details' fields, for forms.
pub const DETAIL_FIELDS: [(&str, &str); 3] = [
    ("invalid_legal_name", "legal_name"),
    ("invalid_address", "address"),
    ("invalid_npwp", "npwp"),
];

/// Validates and saves the vendor's billing details (owner or admin): the
/// rules of `PUT /api/v1/billing/details`. Bad input changes nothing.
pub(crate) async fn save_details(
    state: &AppState,
    member: &CurrentMember,
    input: BillingDetailsInput,
) -> Result<BillingDetails, AppError> {
    member.require(Role::Admin)?;
    let details = BillingDetails {
        legal_name: validate_legal_name(&input.legal_name)?,
        address: validate_address(&input.address)?,
        npwp: normalize_npwp(input.npwp.as_deref().unwrap_or(""))?,
    };
    let before = store::invoices::details(&state.pool, &member.tenant_id).await?;
    store::invoices::save_details(&state.pool, &member.tenant_id, &details, now_ms()).await?;
    let entry = Entry::by_member(Action::BillingDetailsUpdated, member)
        .target(TargetKind::Vendor, &member.tenant_id)
        .before(serde_json::json!({ "details": before.map(|d| details_json(&d)) }))
        .after(serde_json::json!({ "details": details_json(&details) }));
    audit::record(state, entry).await?;
    Ok(details)
}

fn details_json(d: &BillingDetails) -> serde_json::Value {
    serde_json::json!({ "legal_name": d.legal_name, "address": d.address, "npwp": d.npwp })
}

/// The vendor's billing details (empty when never saved).
pub(crate) async fn details(
    state: &AppState,
    tenant: &TenantId,
) -> Result<BillingDetails, AppError> {
    Ok(store::invoices::details(&state.pool, tenant)
        .await?
        .unwrap_or_default())
}

/// One invoice of the vendor; another vendor's is "not found".
pub(crate) async fn invoice(
    state: &AppState,
    tenant: &TenantId,
    invoice_id: &str,
) -> Result<InvoiceView, AppError> {
    store::invoices::get(&state.pool, tenant, invoice_id)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}

/// The invoice as a PDF download named after its number, in `lang`.
pub(crate) fn pdf_download(state: &AppState, inv: &InvoiceView, lang: Lang) -> Response {
    let bytes = super::pdf::invoice(inv, &Issuer::of(state), lang);
    let file = format!("{}.pdf", inv.number.replace('/', "-"));
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The vendor's invoices, newest first.
#[utoipa::path(get, path = "/api/v1/billing/invoices", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Invoices", body = inline(crate::http::Data<Vec<InvoiceView>>))))]
async fn list_invoices(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<InvoiceView>> {
    Ok(ok(store::invoices::list(
        &state.pool,
        &member.tenant_id,
        500,
    )
    .await?))
}

/// One invoice of the vendor.
#[utoipa::path(get, path = "/api/v1/billing/invoices/{invoice_id}", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    params(("invoice_id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice", body = inline(crate::http::Data<InvoiceView>)),
        (status = 404, description = "No such invoice in this vendor", body = crate::http::ErrorBody)))]
async fn get_invoice(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(invoice_id): Path<InvoiceId>,
) -> ApiResult<InvoiceView> {
    Ok(ok(invoice(&state, &member.tenant_id, &invoice_id).await?))
}

/// One invoice as a PDF (in the request's language: Indonesian unless
/// `Accept-Language` prefers English).
#[utoipa::path(get, path = "/api/v1/billing/invoices/{invoice_id}/pdf", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    params(("invoice_id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice as PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "No such invoice in this vendor", body = crate::http::ErrorBody)))]
async fn invoice_pdf(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(invoice_id): Path<InvoiceId>,
) -> Result<Response, AppError> {
    let inv = invoice(&state, &member.tenant_id, &invoice_id).await?;
    Ok(pdf_download(&state, &inv, i18n::current()))
}

/// The billing details the vendor's next invoices carry.
#[utoipa::path(get, path = "/api/v1/billing/details", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Billing details (empty fields when never saved)", body = inline(crate::http::Data<BillingDetails>))))]
async fn get_details(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<BillingDetails> {
    Ok(ok(details(&state, &member.tenant_id).await?))
}

/// Replace the billing details (owner or admin); invoices issued from now
/// on carry them.
#[utoipa::path(put, path = "/api/v1/billing/details", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    request_body = BillingDetailsInput,
    responses(
        (status = 200, description = "Saved", body = inline(crate::http::Data<BillingDetails>)),
        (status = 400, description = "`invalid_legal_name`, `invalid_address` or `invalid_npwp`; nothing saved", body = crate::http::ErrorBody),
        (status = 403, description = "Not an owner or admin", body = crate::http::ErrorBody)))]
async fn put_details(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(input): ApiJson<BillingDetailsInput>,
) -> ApiResult<BillingDetails> {
    Ok(ok(save_details(&state, &member, input).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npwp_is_15_or_16_digits() {
        assert_eq!(
            normalize_npwp("01.234.567.8-901.234").unwrap().as_deref(),
            Some("012345678901234")
        );
        assert_eq!(
            normalize_npwp("3171 0123 4567 8901").unwrap().as_deref(),
            Some("3171012345678901")
        );
        assert_eq!(normalize_npwp("  ").unwrap(), None);
        for bad in [
            "12345",
            "01234567890123",
            "01234567890123456",
            "01.234.567.8-901.23x",
        ] {
            assert_eq!(
                normalize_npwp(bad).unwrap_err().code(),
                "invalid_npwp",
                "{bad}"
            );
        }
        assert_eq!(format_npwp("012345678901234"), "01.234.567.8-901.234");
        assert_eq!(format_npwp("3171012345678901"), "3171 0123 4567 8901");
    }

    #[test]
    fn names_and_addresses() {
        assert_eq!(validate_legal_name("  PT Maju  ").unwrap(), "PT Maju");
        assert!(validate_legal_name("").is_err());
        assert!(validate_legal_name("a\nb").is_err());
        assert_eq!(
            validate_address("Jl. Sudirman 1\r\nJakarta").unwrap(),
            "Jl. Sudirman 1\nJakarta"
        );
        assert!(validate_address(&"x".repeat(501)).is_err());
    }
}
