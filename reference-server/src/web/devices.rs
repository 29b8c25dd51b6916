//! Devices: the vendor's WhatsApp numbers (list, connect, details with the
//! webhook URL and a copy button) and, on a simulator device, a box that
//! sends a customer message through the real inbound path. Every action
//! calls the devices and messaging features' own functions, the ones the
//! JSON API calls.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::devices::model::ProviderInput;
use crate::devices::{CreateDevice, DeviceKind, DeviceView};
use crate::domain::DeviceId;
use crate::http::AppError;
use crate::messaging::SimulatedInbound;

/// The add-device form, as typed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct DeviceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    phone_number: String,
    #[serde(default)]
    phone_number_id: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    app_secret: String,
    #[serde(default)]
    verify_token: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    gateway_url: String,
    #[serde(default)]
    header_name: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl DeviceForm {
    fn provider(&self) -> Result<ProviderInput, AppError> {
        let kind = DeviceKind::parse(&self.kind).unwrap_or(DeviceKind::Simulator);
        Ok(match kind {
            DeviceKind::Simulator => ProviderInput::Simulator { app_secret: None },
            DeviceKind::CloudApi => ProviderInput::CloudApi {
                phone_number_id: opt(&self.phone_number_id),
                access_token: opt(&self.access_token),
                app_secret: opt(&self.app_secret),
                verify_token: opt(&self.verify_token),
                api_version: None,
                base_url: None,
            },
            DeviceKind::Fonnte => ProviderInput::Fonnte {
                token: opt(&self.token),
                base_url: None,
            },
            DeviceKind::Gateway => ProviderInput::Gateway {
                url: opt(&self.gateway_url),
                header_name: opt(&self.header_name),
                token: opt(&self.token),
            },
        })
    }
}

#[derive(Template)]
#[template(path = "web/devices.html")]
struct DevicesPage {
    chrome: Chrome,
    devices: Vec<DeviceView>,
    form: DeviceForm,
    errors: FormErrors,
}

/// `GET /console/devices`.
pub(super) async fn list(State(state): State<AppState>, c: Console) -> PageResult {
    let devices = crate::devices::list(&state, &c.member).await?;
    Ok(render(&DevicesPage {
        chrome: c.chrome.at("devices"),
        devices,
        form: DeviceForm {
            kind: "simulator".to_owned(),
            ..DeviceForm::default()
        },
        errors: FormErrors::new(),
    })?
    .into_response())
}

/// `POST /console/devices`: the API's device rules (role, plan limit,
/// provider settings).
pub(super) async fn create(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<DeviceForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    let body = CreateDevice {
        name: form.name.clone(),
        phone_number: opt(&form.phone_number),
        bot_enabled: Some(true),
        handoff_timeout_minutes: None,
        provider: form.provider()?,
    };
    match crate::devices::create(&state, &c.member, body).await {
        Ok(device) => return see_other(&format!("/console/devices/{}", device.id)),
        Err(e) => errors.absorb(e, &[("invalid_phone_number", "phone_number")])?,
    }
    let devices = crate::devices::list(&state, &c.member).await?;
    invalid(&DevicesPage {
        chrome: c.chrome.at("devices"),
        devices,
        form,
        errors,
    })
}

#[derive(Template)]
#[template(path = "web/device.html")]
struct DevicePage {
    chrome: Chrome,
    device: DeviceView,
    from: String,
    text: String,
    errors: FormErrors,
}

/// `GET /console/devices/{id}`: another vendor's device is "not found".
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<DeviceId>,
) -> PageResult {
    let device = crate::devices::get(&state, &c.member, &id).await?;
    Ok(render(&DevicePage {
        chrome: c.chrome.at("devices"),
        device,
        from: "0812 0000 1111".to_owned(),
        text: String::new(),
        errors: FormErrors::new(),
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SimulateForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    text: String,
}

/// `POST /console/devices/{id}/simulate`: a customer message into a
/// simulator device (as `POST /api/v1/simulator/{device}/inbound`); then
/// to the inbox, where the conversation and the bot's reply show.
pub(super) async fn simulate(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<DeviceId>,
    WebForm(form): WebForm<SimulateForm>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let body = SimulatedInbound {
        from: form.from.clone(),
        name: None,
        text: form.text.clone(),
        id: None,
    };
    let mut errors = FormErrors::new();
    match crate::messaging::simulate_inbound(&state, &c.member, id.as_str(), body).await {
        Ok(_) => return see_other("/console/inbox"),
        Err(e) => errors.absorb(
            e,
            &[
                ("invalid_phone_number", "from"),
                ("invalid_message", "text"),
            ],
        )?,
    }
    let device = crate::devices::get(&state, &c.member, &id).await?;
    invalid(&DevicePage {
        chrome: c.chrome.at("devices"),
        device,
        from: form.from,
        text: form.text,
        errors,
    })
}
