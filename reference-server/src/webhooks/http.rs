//! The webhook handlers: Meta's handshake, and receiving events after
//! checking the call's credentials for the device.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;
use whatsapp_client::webhook::{self, Event};

use super::model::{
    TOKEN_HEADER, WebhookSummary, bad_signature, handshake_refused, invalid_webhook, unauthorized,
};
use crate::AppState;
use crate::bots::engine::{self, Outcome};
use crate::devices::DeviceKind;
use crate::devices::registry::{self, DeviceRuntime};
use crate::domain::DeviceId;
use crate::http::i18n::Text;
use crate::http::{ApiResult, AppError, ok};

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Meta's subscription handshake: echoes `hub.challenge` when
/// `hub.verify_token` is the device's verify token.
#[utoipa::path(
    get, path = "/webhooks/whatsapp/{device}", tag = "webhooks",
    params(
        ("device" = String, Path, description = "Device id"),
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "The device's verify token"),
        ("hub.challenge" = String, Query, description = "Echoed back"),
    ),
    responses(
        (status = 200, description = "The challenge, as plain text", body = String),
        (status = 403, description = "Wrong verify token or mode", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn verify_webhook(
    State(state): State<AppState>,
    Path(device): Path<DeviceId>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (rt, _) = registry::get(&state, &device)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    let Some(expected) = rt.secrets.verify_token.as_ref() else {
        return Err(AppError::bad_request(
            "handshake_not_supported",
            Text::new(
                "jenis perangkat ini tidak punya handshake langganan",
                "this device kind has no subscription handshake",
            ),
        ));
    };
    match webhook::verify_subscription_query(
        query.as_deref().unwrap_or_default(),
        expected.expose_secret(),
    ) {
        Ok(challenge) => Ok((StatusCode::OK, challenge).into_response()),
        Err(e) => Err(unauthorized(handshake_refused(&e))),
    }
}

/// Checks the call's credentials for the device and parses the body.
fn authenticate_and_parse(
    rt: &DeviceRuntime,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Vec<Event>, AppError> {
    match rt.kind {
        DeviceKind::CloudApi | DeviceKind::Simulator => {
            let Some(secret) = rt.secrets.app_secret.as_ref() else {
                return Err(unauthorized(Text::new(
                    "perangkat ini tidak punya app secret; tidak bisa menerima webhook",
                    "this device has no app secret; it cannot receive webhooks",
                )));
            };
            let header = headers
                .get(webhook::SIGNATURE_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            webhook::verify_signature(secret.expose_secret().as_bytes(), header, body)
                .map_err(|e| bad_signature(&e))?;
            webhook::parse_cloud(body).map_err(|e| invalid_webhook(&e))
        }
        DeviceKind::Fonnte | DeviceKind::Gateway => {
            let Some(expected) = rt.secrets.token.as_ref() else {
                return Err(unauthorized(Text::new(
                    "perangkat ini tidak punya token",
                    "this device has no token",
                )));
            };
            let given = headers
                .get(TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| query_param(query, "token"))
                .unwrap_or_default();
            let ok: bool = given
                .as_bytes()
                .ct_eq(expected.expose_secret().as_bytes())
                .into();
            if given.is_empty() || !ok {
                return Err(unauthorized(Text::new(
                    "token perangkat tidak ada atau salah (?token= atau X-Webhook-Token)",
                    "missing or wrong device token (?token= or X-Webhook-Token)",
                )));
            }
            webhook::parse_fonnte(body)
                .map(|e| vec![e])
                .map_err(|e| invalid_webhook(&e))
        }
    }
}

/// Receives provider webhooks: messages (answered by the vendor's bots)
/// and delivery statuses. See the module documentation for how each device
/// kind authenticates.
#[utoipa::path(
    post, path = "/webhooks/whatsapp/{device}", tag = "webhooks",
    params(("device" = String, Path, description = "Device id")),
    request_body(content = String, description = "The provider's webhook body, verbatim"),
    responses(
        (status = 200, description = "Accepted", body = WebhookSummary),
        (status = 400, description = "Not a webhook of the device's provider", body = crate::http::ErrorBody),
        (status = 403, description = "Bad signature or token", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn receive_webhook(
    State(state): State<AppState>,
    Path(device): Path<DeviceId>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<WebhookSummary> {
    let found = registry::lookup(&state, &device)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    let rt = &found.device;
    let events = authenticate_and_parse(rt, &headers, query.as_deref(), &body)?;
    let mut summary = WebhookSummary::default();
    for event in events {
        match event {
            // A sender with a number and one WhatsApp names only by a
            // business-scoped user id take the same path.
            Event::Message(_) | Event::UserIdMessage(_) => {
                let Some(m) = event.into_message() else {
                    continue;
                };
                match engine::handle_message(&state, &found, m).await? {
                    Outcome::Duplicate => summary.duplicates += 1,
                    Outcome::Handled { replies } => {
                        summary.messages += 1;
                        summary.replies += replies;
                    }
                }
            }
            Event::Status(s) => {
                if engine::handle_status(&state, rt, &s).await? {
                    summary.statuses += 1;
                }
            }
            Event::DeviceStatus(d) => {
                if let crate::devices::connection::Recorded::Changed(_) =
                    crate::devices::connection::record(&state, rt, &d).await?
                {
                    summary.connection_changes += 1;
                }
            }
            _ => summary.ignored += 1,
        }
    }
    Ok(ok(summary))
}
