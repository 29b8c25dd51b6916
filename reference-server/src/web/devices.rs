//! Devices: the vendor's WhatsApp numbers. The list, an add form per
//! provider (simulator, Cloud API, Fonnte, generic HTTP gateway), and a
//! device's page: its kind and connection state, the webhook URL with a
//! copy button, which secrets are stored, a test message sent through the
//! device's provider and, on a simulator device, a box that sends a
//! customer message through the real inbound path. Every action calls the
//! devices and messaging features' own functions, the ones the JSON API
//! calls.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use rand::RngCore as _;
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::devices::model::ProviderInput;
use crate::devices::{CreateDevice, DeviceKind, DeviceView};
use crate::domain::DeviceId;
use crate::http::AppError;
use crate::http::i18n::{Lang, Text};
use crate::messaging::{SendMessage, SimulatedInbound};

/// The fields of the add forms, as the API names them, so an API error
/// that names a field is shown next to it.
const DEVICE_FIELDS: [&str; 11] = [
    "name",
    "phone_number",
    "phone_number_id",
    "access_token",
    "app_secret",
    "verify_token",
    "api_version",
    "base_url",
    "url",
    "header_name",
    "token",
];

/// An add-device form, as typed (every provider's fields; the kind picks
/// which are read). `Debug` leaves the secrets out.
#[derive(Default, Deserialize)]
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
    api_version: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    header_name: String,
}

impl std::fmt::Debug for DeviceForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceForm")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("phone_number", &self.phone_number)
            .finish_non_exhaustive()
    }
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl DeviceForm {
    fn provider(&self, kind: DeviceKind) -> ProviderInput {
        match kind {
            DeviceKind::Simulator => ProviderInput::Simulator {
                app_secret: opt(&self.app_secret),
            },
            DeviceKind::CloudApi => ProviderInput::CloudApi {
                phone_number_id: opt(&self.phone_number_id),
                access_token: opt(&self.access_token),
                app_secret: opt(&self.app_secret),
                verify_token: opt(&self.verify_token),
                api_version: opt(&self.api_version),
                base_url: None,
            },
            DeviceKind::Fonnte => ProviderInput::Fonnte {
                token: opt(&self.token),
                base_url: None,
            },
            DeviceKind::Gateway => ProviderInput::Gateway {
                url: opt(&self.url),
                header_name: opt(&self.header_name),
                token: opt(&self.token),
            },
        }
    }

    /// The form as shown again after an error: what was typed, without
    /// the secrets (a password field is never filled in by the server).
    /// The verify token stays: the vendor chose it and enters it at Meta.
    fn without_secrets(self) -> Self {
        Self {
            access_token: String::new(),
            app_secret: String::new(),
            token: String::new(),
            ..self
        }
    }
}

/// A verify token to suggest on the Cloud API form: random, so a vendor
/// who keeps it has one nobody can guess.
fn suggested_verify_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A device as the list and the device page show it: the API's view with
/// the kind and connection state in the page's language.
pub(super) struct DeviceRow {
    pub(super) device: DeviceView,
    pub(super) kind: String,
    /// The connection state's words and its badge class.
    pub(super) connection: Option<(String, &'static str)>,
}

fn row(lang: Lang, device: DeviceView) -> DeviceRow {
    DeviceRow {
        kind: device.kind.label().get(lang).to_owned(),
        connection: device.connection.as_ref().map(|c| {
            let class = match c.state {
                crate::devices::ConnectionState::Connected => "ok",
                crate::devices::ConnectionState::Disconnected => "bad",
                crate::devices::ConnectionState::Unknown => "",
            };
            (c.state.label().get(lang).to_owned(), class)
        }),
        device,
    }
}

/// The add choices: each provider's kind, name and one line on when to
/// pick it.
fn kinds(lang: Lang) -> Vec<(DeviceKind, String, String)> {
    // The simulator first: it needs no account, so a newcomer starts there.
    [
        DeviceKind::Simulator,
        DeviceKind::CloudApi,
        DeviceKind::Fonnte,
        DeviceKind::Gateway,
    ]
    .iter()
    .map(|k| {
        let hint = match k {
            DeviceKind::Simulator => Text::new(
                "Coba bot tanpa akun WhatsApp: balasan masuk ke outbox simulator.",
                "Try the bot without a WhatsApp account: replies go to the simulator outbox.",
            ),
            DeviceKind::CloudApi => Text::new(
                "API resmi Meta: phone number ID, access token dan app secret dari Meta.",
                "Meta's official API: phone number ID, access token and app secret from Meta.",
            ),
            DeviceKind::Fonnte => Text::new(
                "Gateway Fonnte: cukup token perangkat dari dasbor Fonnte.",
                "The Fonnte gateway: just the device token from Fonnte's dashboard.",
            ),
            DeviceKind::Gateway => Text::new(
                "Gateway HTTP lain yang menerima POST {\"number\",\"message\"}.",
                "Another HTTP gateway that takes POST {\"number\",\"message\"}.",
            ),
        };
        (
            *k,
            k.label().get(lang).to_owned(),
            hint.get(lang).to_owned(),
        )
    })
    .collect()
}

#[derive(Template)]
#[template(path = "web/devices.html")]
struct DevicesPage {
    chrome: Chrome,
    devices: Vec<DeviceRow>,
    kinds: Vec<(DeviceKind, String, String)>,
    form: DeviceForm,
    errors: FormErrors,
}

/// `GET /console/devices`.
pub(super) async fn list(State(state): State<AppState>, c: Console) -> PageResult {
    let lang = c.chrome.lang;
    let devices = crate::devices::list(&state, &c.member).await?;
    Ok(render(&DevicesPage {
        chrome: c.chrome.at("devices"),
        devices: devices.into_iter().map(|d| row(lang, d)).collect(),
        kinds: kinds(lang),
        form: DeviceForm::default(),
        errors: FormErrors::new(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "web/device_new.html")]
struct NewDevicePage {
    chrome: Chrome,
    kind: DeviceKind,
    kind_label: String,
    form: DeviceForm,
    errors: FormErrors,
}

fn new_page(c: Console, kind: DeviceKind, form: DeviceForm, errors: FormErrors) -> NewDevicePage {
    NewDevicePage {
        kind_label: kind.label().get(c.chrome.lang).to_owned(),
        chrome: c.chrome.at("devices"),
        kind,
        form,
        errors,
    }
}

/// `GET /console/devices/new/{kind}`: the add form of one provider.
pub(super) async fn new(c: Console, Path(kind): Path<String>) -> PageResult {
    c.member.require(Role::Admin)?;
    let kind = DeviceKind::parse(&kind).ok_or(AppError::NotFound("device kind"))?;
    let form = DeviceForm {
        kind: kind.as_str().to_owned(),
        verify_token: if kind == DeviceKind::CloudApi {
            suggested_verify_token()
        } else {
            String::new()
        },
        header_name: if kind == DeviceKind::Gateway {
            "Authorization".to_owned()
        } else {
            String::new()
        },
        ..DeviceForm::default()
    };
    Ok(render(&new_page(c, kind, form, FormErrors::new()))?.into_response())
}

/// `POST /console/devices`: the API's device rules (role, plan limit,
/// provider settings); an error is shown next to the field it names, on
/// the form of the chosen provider.
pub(super) async fn create(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<DeviceForm>,
) -> PageResult {
    let kind = DeviceKind::parse(&form.kind).ok_or_else(|| {
        AppError::bad_request(
            "invalid_device",
            Text::new(
                "kind: pilih penyedia perangkat",
                "kind: choose the device's provider",
            ),
        )
    })?;
    let mut errors = FormErrors::new();
    let body = CreateDevice {
        name: form.name.clone(),
        phone_number: opt(&form.phone_number),
        bot_enabled: Some(true),
        handoff_timeout_minutes: None,
        provider: form.provider(kind),
    };
    match crate::devices::create(&state, &c.member, body).await {
        Ok(device) => return see_other(&format!("/console/devices/{}?created=1", device.id)),
        Err(e) => errors.absorb_about(e, &DEVICE_FIELDS)?,
    }
    invalid(&new_page(c, kind, form.without_secrets(), errors))
}

#[derive(Template)]
#[template(path = "web/device.html")]
struct DevicePage {
    chrome: Chrome,
    device: DeviceRow,
    webhook_note: String,
    /// A Cloud API device's verify token is stored (the page says where it
    /// came from, never its value).
    verify_token_set: bool,
    /// Just created: the page says the secrets are stored and not shown.
    created: bool,
    /// A test message just went out.
    sent: bool,
    test: TestForm,
    test_errors: FormErrors,
    simulate: SimulateForm,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ShowQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    sent: Option<String>,
}

/// The device page with its forms as given.
async fn device_page(
    state: &AppState,
    c: Console,
    id: &DeviceId,
    test: (TestForm, FormErrors),
    simulate: (SimulateForm, FormErrors),
) -> Result<DevicePage, AppError> {
    let lang = c.chrome.lang;
    let device = crate::devices::get(state, &c.member, id).await?;
    Ok(DevicePage {
        webhook_note: device.kind.webhook_note().get(lang).to_owned(),
        verify_token_set: device.secrets_set.iter().any(|s| s == "verify_token"),
        device: row(lang, device),
        chrome: c.chrome.at("devices"),
        created: false,
        sent: false,
        test: test.0,
        test_errors: test.1,
        simulate: simulate.0,
        errors: simulate.1,
    })
}

fn default_simulate() -> SimulateForm {
    SimulateForm {
        from: "0812 0000 1111".to_owned(),
        text: String::new(),
    }
}

fn default_test(lang: Lang) -> TestForm {
    TestForm {
        to: String::new(),
        message: lang
            .t(
                "Pesan uji dari konsol WA Commerce.",
                "Test message from the WA Commerce console.",
            )
            .to_owned(),
    }
}

/// `GET /console/devices/{id}`: another vendor's device is "not found".
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<DeviceId>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let lang = c.chrome.lang;
    let mut page = device_page(
        &state,
        c,
        &id,
        (default_test(lang), FormErrors::new()),
        (default_simulate(), FormErrors::new()),
    )
    .await?;
    page.created = q.created.is_some();
    page.sent = q.sent.is_some();
    Ok(render(&page)?.into_response())
}

/// The test-message form, as typed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TestForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    message: String,
}

/// `POST /console/devices/{id}/test`: a text to a number the vendor types,
/// through the device's provider, as `POST /api/v1/messages` sends it
/// (stored in the inbox, counted in the plan's quota). A provider refusal
/// is stored as a failed message and shown above the form.
pub(super) async fn send_test(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<DeviceId>,
    WebForm(form): WebForm<TestForm>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let mut errors = FormErrors::new();
    if form.to.trim().is_empty() {
        errors.add(
            "to",
            &Text::new("isi nomor tujuan", "enter the number to send to"),
        );
    } else {
        let body = SendMessage {
            device_id: id.clone(),
            to: form.to.clone(),
            text: Some(form.message.clone()),
            message: None,
        };
        match crate::messaging::send(&state, &c.member, body).await {
            Ok(_) => return see_other(&format!("/console/devices/{id}?sent=1#test")),
            Err(AppError::Upstream(why)) => errors.note(format!(
                "{}: {why}",
                c.chrome
                    .lang
                    .t("Penyedia menolak pesan", "The provider refused the message")
            )),
            Err(e) => errors.absorb(
                e,
                &[
                    ("invalid_phone_number", "to"),
                    ("invalid_message", "message"),
                ],
            )?,
        }
    }
    let page = device_page(
        &state,
        c,
        &id,
        (form, errors),
        (default_simulate(), FormErrors::new()),
    )
    .await?;
    invalid(&page)
}

/// The simulator's customer-message form, as typed.
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
    match crate::messaging::simulate_inbound(&state, &c.member, &id, body).await {
        Ok(_) => return see_other("/console/inbox"),
        Err(e) => errors.absorb(
            e,
            &[
                ("invalid_phone_number", "from"),
                ("invalid_message", "text"),
            ],
        )?,
    }
    let lang = c.chrome.lang;
    let page = device_page(
        &state,
        c,
        &id,
        (default_test(lang), FormErrors::new()),
        (form, errors),
    )
    .await?;
    invalid(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_never_prints_its_secrets() {
        let form = DeviceForm {
            name: "CS".to_owned(),
            kind: "cloud_api".to_owned(),
            access_token: "EAAG-secret".to_owned(),
            app_secret: "app-secret".to_owned(),
            token: "fonnte-secret".to_owned(),
            ..DeviceForm::default()
        };
        let shown = format!("{form:?}");
        assert!(shown.contains("cloud_api"), "{shown}");
        for secret in ["EAAG-secret", "app-secret", "fonnte-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let kept = form.without_secrets();
        assert!(kept.access_token.is_empty() && kept.token.is_empty());
        assert_eq!(kept.name, "CS");
    }
}
