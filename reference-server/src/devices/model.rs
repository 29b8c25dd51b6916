//! Device kinds, their settings and secrets, and the API shapes.
//!
//! A device's settings are split in two: non-secret settings (phone number
//! id, gateway URL and header name, API base URLs) stored as JSON, and the
//! provider secrets (access token, app secret, verify token, gateway or
//! Fonnte token) stored as one encrypted JSON document. The API accepts
//! secrets on create and update, and only ever answers whether each one is
//! set.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::DeviceId;
use crate::http::i18n::{Text, tr};

crate::text_enum! {
    /// The kind of WhatsApp connection behind a device.
    pub enum DeviceKind {
        /// Meta WhatsApp Cloud API (official).
        CloudApi = "cloud_api",
        /// Fonnte gateway.
        Fonnte = "fonnte",
        /// A generic HTTP gateway (`POST {url} {"number","message"}`).
        Gateway = "gateway",
        /// The built-in simulator: messages are stored, never sent.
        Simulator = "simulator",
    }
}

crate::text_enum! {
    /// Whether a device's number is connected at its provider, as the
    /// provider last reported it (Fonnte's connect and disconnect
    /// webhooks).
    pub enum ConnectionState {
        /// Connected and able to send.
        Connected = "connected",
        /// Disconnected: messages will not go out until it reconnects.
        Disconnected = "disconnected",
        /// The provider reported a state this server does not know; the
        /// reason holds the provider's word.
        Unknown = "unknown",
    }
}

impl DeviceKind {
    /// The kind as the console names it, in both languages.
    pub fn label(self) -> Text {
        match self {
            Self::CloudApi => Text::new("WhatsApp Cloud API (Meta)", "WhatsApp Cloud API (Meta)"),
            Self::Fonnte => Text::new("Fonnte", "Fonnte"),
            Self::Gateway => Text::new("Gateway HTTP", "HTTP gateway"),
            Self::Simulator => Text::new("Simulator", "Simulator"),
        }
    }

    /// Where the vendor pastes the webhook URL and what goes with it, in
    /// both languages.
    pub fn webhook_note(self) -> Text {
        match self {
            Self::CloudApi => Text::new(
                "Tempel URL ini sebagai callback URL di konfigurasi WhatsApp di Meta, dengan \
                 verify token yang Anda isi di sini; langganan kolom `messages`.",
                "Paste this URL as the callback URL in Meta's WhatsApp configuration, with the \
                 verify token you set here; subscribe to the `messages` field.",
            ),
            Self::Fonnte => Text::new(
                "Tempel URL ini dengan tambahan `?token=<token perangkat Fonnte Anda>` sebagai \
                 URL webhook di pengaturan perangkat Fonnte (Fonnte tidak menandatangani webhook; \
                 token itulah bukti bahwa panggilan berasal dari Anda).",
                "Paste this URL with `?token=<your Fonnte device token>` appended as the webhook \
                 URL in Fonnte's device settings (Fonnte does not sign webhooks; the token proves \
                 the call is yours).",
            ),
            Self::Gateway => Text::new(
                "Jika gateway Anda bisa meneruskan pesan masuk, arahkan ke URL ini dan kirim token \
                 gateway di header yang diatur atau sebagai `?token=`.",
                "If your gateway can post inbound messages, point it at this URL and send the \
                 gateway token in the configured header or as `?token=`.",
            ),
            Self::Simulator => Text::new(
                "Perangkat simulator tidak memerlukan webhook: masukkan pesan dengan \
                 POST /api/v1/simulator/{device}/inbound dan baca balasan dari \
                 GET /api/v1/simulator/{device}/outbox.",
                "Simulator devices need no webhook: inject messages with \
                 POST /api/v1/simulator/{device}/inbound and read replies from \
                 GET /api/v1/simulator/{device}/outbox.",
            ),
        }
    }

    /// The most messages per second the provider takes from one number:
    /// the Cloud API's default throughput (80), and 10 for Fonnte and
    /// gateways, which drive a phone's WhatsApp session where bursts get
    /// numbers banned. `None` for the simulator, which sends nowhere.
    pub fn max_per_second(self) -> Option<u32> {
        match self {
            Self::CloudApi => Some(whatsapp_client::pacing::CLOUD_DEFAULT_PER_SECOND),
            Self::Fonnte | Self::Gateway => Some(10),
            Self::Simulator => None,
        }
    }

    /// [`DeviceKind::max_per_second`] per minute: the cap on a campaign's
    /// `rate_per_minute` on a device of this kind.
    pub fn max_per_minute(self) -> Option<i64> {
        self.max_per_second().map(|n| i64::from(n) * 60)
    }

    /// The rate a campaign asking for `requested` per minute gets on a
    /// device of this kind.
    pub fn effective_per_minute(self, requested: i64) -> i64 {
        self.max_per_minute()
            .map_or(requested, |cap| requested.min(cap))
    }

    /// The pacing of this kind's sender: its rate (see
    /// [`DeviceKind::max_per_second`]) and the Cloud API's pair limit.
    pub fn pacing(self) -> whatsapp_client::PacingConfig {
        match self.max_per_second() {
            Some(n) => whatsapp_client::PacingConfig::cloud_api().per_second(n),
            None => whatsapp_client::PacingConfig::unlimited(),
        }
    }
}

impl ConnectionState {
    /// The state as the console names it, in both languages.
    pub fn label(self) -> Text {
        match self {
            Self::Connected => Text::new("tersambung", "connected"),
            Self::Disconnected => Text::new("terputus", "disconnected"),
            Self::Unknown => Text::new("status tidak dikenal", "unknown state"),
        }
    }
}

/// Non-secret provider settings, stored as JSON in `devices.config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceSettings {
    /// Cloud API: the phone number id from Meta's dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// Cloud API: Graph API version (default of the client when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Cloud API / Fonnte: base URL override (proxies, tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Gateway: the URL messages are POSTed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_url: Option<String>,
    /// Gateway: the name of the header carrying the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_name: Option<String>,
    /// Minutes without an agent reply after which a conversation an agent
    /// took over goes back to the bot (`0`: never; unset: 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_timeout_minutes: Option<u32>,
}

/// Handoff timeout of a device that did not set one.
pub const DEFAULT_HANDOFF_TIMEOUT_MINUTES: u32 = 60;

/// Longest handoff timeout a device may set (30 days).
pub const MAX_HANDOFF_TIMEOUT_MINUTES: u32 = 30 * 24 * 60;

impl DeviceSettings {
    /// How long an agent-owned conversation stays with the agent without
    /// an agent reply; `None`: until handed back.
    pub fn handoff_timeout(&self) -> Option<std::time::Duration> {
        match self
            .handoff_timeout_minutes
            .unwrap_or(DEFAULT_HANDOFF_TIMEOUT_MINUTES)
        {
            0 => None,
            m => Some(std::time::Duration::from_secs(u64::from(m) * 60)),
        }
    }
}

/// Provider secrets of a device, decrypted. `Debug` is redacted.
#[derive(Clone, Default)]
pub struct DeviceSecrets {
    /// Cloud API bearer token.
    pub access_token: Option<SecretString>,
    /// Cloud API app secret (webhook signatures).
    pub app_secret: Option<SecretString>,
    /// Cloud API webhook verify token (handshake).
    pub verify_token: Option<SecretString>,
    /// Fonnte device token or gateway token.
    pub token: Option<SecretString>,
}

impl fmt::Debug for DeviceSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSecrets")
            .field("set", &self.names())
            .finish()
    }
}

/// The serialized form of [`DeviceSecrets`], only ever built right before
/// encryption and right after decryption.
#[derive(Serialize, Deserialize, Default)]
struct SecretsDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    app_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verify_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl DeviceSecrets {
    /// Names of the secrets that are set, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.access_token.is_some() {
            v.push("access_token");
        }
        if self.app_secret.is_some() {
            v.push("app_secret");
        }
        if self.verify_token.is_some() {
            v.push("verify_token");
        }
        if self.token.is_some() {
            v.push("token");
        }
        v
    }

    /// The plaintext JSON document to encrypt.
    pub(crate) fn to_plaintext(&self) -> String {
        let doc = SecretsDoc {
            access_token: self
                .access_token
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            app_secret: self
                .app_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            verify_token: self
                .verify_token
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            token: self.token.as_ref().map(|s| s.expose_secret().to_owned()),
        };
        // Serializing a struct of strings cannot fail.
        serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Parses a decrypted JSON document.
    pub(crate) fn from_plaintext(text: &str) -> Option<Self> {
        let doc: SecretsDoc = serde_json::from_str(text).ok()?;
        Some(Self {
            access_token: doc.access_token.map(SecretString::from),
            app_secret: doc.app_secret.map(SecretString::from),
            verify_token: doc.verify_token.map(SecretString::from),
            token: doc.token.map(SecretString::from),
        })
    }
}

/// Provider settings and secrets as sent by a vendor, tagged by `kind`.
///
/// On create every required field of the kind must be present. On update
/// (`PATCH`) absent fields keep their stored value, so a vendor can rotate
/// one token without re-entering the others.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProviderInput {
    /// Meta WhatsApp Cloud API.
    CloudApi {
        /// Phone number id (required on create).
        phone_number_id: Option<String>,
        /// Permanent or system-user access token (secret, required on create).
        access_token: Option<String>,
        /// App secret used to verify webhook signatures (secret, required on create).
        app_secret: Option<String>,
        /// Verify token you choose and also enter at Meta (secret, required on create).
        verify_token: Option<String>,
        /// Graph API version, e.g. `v21.0` (optional).
        api_version: Option<String>,
        /// Graph API base URL override (optional; proxies and tests).
        base_url: Option<String>,
    },
    /// Fonnte.
    Fonnte {
        /// Device token from Fonnte's dashboard (secret, required on create).
        token: Option<String>,
        /// API base URL override (optional; tests).
        base_url: Option<String>,
    },
    /// Generic HTTP gateway.
    Gateway {
        /// The URL messages are POSTed to (required on create).
        url: Option<String>,
        /// Header carrying the token, e.g. `Authorization` (required on create).
        header_name: Option<String>,
        /// Token value (secret, required on create).
        token: Option<String>,
    },
    /// Built-in simulator: replies are stored in the simulator outbox.
    Simulator {
        /// Optional app secret: when set, the device's webhook accepts
        /// Cloud-API-shaped posts signed with it (trying webhooks, load tests).
        app_secret: Option<String>,
    },
}

impl fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secrets a vendor sent.
        f.debug_struct("ProviderInput")
            .field("kind", &self.kind().as_str())
            .finish()
    }
}

impl ProviderInput {
    /// The kind named by the input.
    pub fn kind(&self) -> DeviceKind {
        match self {
            Self::CloudApi { .. } => DeviceKind::CloudApi,
            Self::Fonnte { .. } => DeviceKind::Fonnte,
            Self::Gateway { .. } => DeviceKind::Gateway,
            Self::Simulator { .. } => DeviceKind::Simulator,
        }
    }

    /// Applies this input over stored settings and secrets (on create both
    /// start empty), then checks that every field the kind requires is set
    /// and well formed. Returns the field name at fault on error.
    pub fn apply(
        self,
        settings: &mut DeviceSettings,
        secrets: &mut DeviceSecrets,
    ) -> Result<(), FieldError> {
        fn set(dst: &mut Option<String>, src: Option<String>) {
            if let Some(v) = src {
                let v = v.trim().to_owned();
                *dst = if v.is_empty() { None } else { Some(v) };
            }
        }
        fn set_secret(dst: &mut Option<SecretString>, src: Option<String>) {
            if let Some(v) = src {
                let v = v.trim().to_owned();
                *dst = if v.is_empty() {
                    None
                } else {
                    Some(SecretString::from(v))
                };
            }
        }
        let kind = self.kind();
        match self {
            Self::CloudApi {
                phone_number_id,
                access_token,
                app_secret,
                verify_token,
                api_version,
                base_url,
            } => {
                set(&mut settings.phone_number_id, phone_number_id);
                set(&mut settings.api_version, api_version);
                set(&mut settings.base_url, base_url);
                set_secret(&mut secrets.access_token, access_token);
                set_secret(&mut secrets.app_secret, app_secret);
                set_secret(&mut secrets.verify_token, verify_token);
            }
            Self::Fonnte { token, base_url } => {
                set(&mut settings.base_url, base_url);
                set_secret(&mut secrets.token, token);
            }
            Self::Gateway {
                url,
                header_name,
                token,
            } => {
                set(&mut settings.gateway_url, url);
                set(&mut settings.header_name, header_name);
                set_secret(&mut secrets.token, token);
            }
            Self::Simulator { app_secret } => set_secret(&mut secrets.app_secret, app_secret),
        }
        validate(kind, settings, secrets)
    }
}

/// A device field that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name as the API names it.
    pub field: &'static str,
    /// What is wrong, in both languages.
    pub message: Text,
}

impl FieldError {
    fn new(field: &'static str, message: Text) -> Self {
        Self { field, message }
    }
}

fn require<T>(field: &'static str, v: Option<&T>) -> Result<(), FieldError> {
    if v.is_none() {
        return Err(FieldError::new(
            field,
            tr!(
                "{field} wajib diisi untuk jenis perangkat ini",
                "{field} is required for this device kind"
            ),
        ));
    }
    Ok(())
}

fn check_url(field: &'static str, v: Option<&String>) -> Result<(), FieldError> {
    if let Some(raw) = v {
        let u = url::Url::parse(raw).map_err(|e| {
            FieldError::new(
                field,
                tr!(
                    "{field} bukan URL yang valid: {e}",
                    "{field} is not a valid URL: {e}"
                ),
            )
        })?;
        if u.scheme() != "http" && u.scheme() != "https" {
            return Err(FieldError::new(
                field,
                tr!(
                    "{field} harus berupa URL http atau https",
                    "{field} must be an http or https URL"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that `settings` and `secrets` are complete and well formed for `kind`.
pub fn validate(
    kind: DeviceKind,
    settings: &DeviceSettings,
    secrets: &DeviceSecrets,
) -> Result<(), FieldError> {
    check_url("base_url", settings.base_url.as_ref())?;
    match kind {
        DeviceKind::CloudApi => {
            require("phone_number_id", settings.phone_number_id.as_ref())?;
            require("access_token", secrets.access_token.as_ref())?;
            require("app_secret", secrets.app_secret.as_ref())?;
            require("verify_token", secrets.verify_token.as_ref())?;
            if let Some(id) = &settings.phone_number_id
                && !id.chars().all(|c| c.is_ascii_digit())
            {
                return Err(FieldError::new(
                    "phone_number_id",
                    Text::new(
                        "phone_number_id harus berupa angka",
                        "phone_number_id must be digits",
                    ),
                ));
            }
            if let Some(v) = &settings.api_version
                && !(v.starts_with('v')
                    && v.len() > 1
                    && v[1..].chars().all(|c| c.is_ascii_digit() || c == '.'))
            {
                return Err(FieldError::new(
                    "api_version",
                    Text::new(
                        "api_version harus berformat seperti v21.0",
                        "api_version must look like v21.0",
                    ),
                ));
            }
        }
        DeviceKind::Fonnte => require("token", secrets.token.as_ref())?,
        DeviceKind::Gateway => {
            require("url", settings.gateway_url.as_ref())?;
            check_url("url", settings.gateway_url.as_ref())?;
            require("header_name", settings.header_name.as_ref())?;
            require("token", secrets.token.as_ref())?;
            if let Some(h) = &settings.header_name
                && axum::http::HeaderName::from_bytes(h.as_bytes()).is_err()
            {
                return Err(FieldError::new(
                    "header_name",
                    Text::new(
                        "header_name bukan nama header HTTP yang valid",
                        "header_name is not a valid HTTP header name",
                    ),
                ));
            }
        }
        DeviceKind::Simulator => {}
    }
    Ok(())
}

/// Body of `POST /api/v1/devices`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDevice {
    /// A name for the vendor's own use, e.g. "CS Jakarta".
    pub name: String,
    /// The WhatsApp number of the device (any common Indonesian format).
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Whether bots answer on this device (default true).
    #[serde(default)]
    pub bot_enabled: Option<bool>,
    /// Minutes without an agent reply before an agent-owned conversation
    /// goes back to the bot (0: never; default 60; at most 43200).
    #[serde(default)]
    pub handoff_timeout_minutes: Option<u32>,
    /// Provider settings and secrets.
    pub provider: ProviderInput,
}

/// Body of `PATCH /api/v1/devices/{id}`; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDevice {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New WhatsApp number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Turn bots on or off for this device.
    #[serde(default)]
    pub bot_enabled: Option<bool>,
    /// Minutes without an agent reply before an agent-owned conversation
    /// goes back to the bot (0: never; at most 43200).
    #[serde(default)]
    pub handoff_timeout_minutes: Option<u32>,
    /// Provider settings/secrets to change; `kind` must match the device.
    #[serde(default)]
    pub provider: Option<ProviderInput>,
}

/// A device as the API shows it: settings, which secrets are set (never
/// their values) and the webhook URL to paste at the provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    /// Device id.
    pub id: DeviceId,
    /// Name.
    pub name: String,
    /// Provider kind.
    pub kind: DeviceKind,
    /// WhatsApp number in E.164, if given.
    pub phone_number: Option<String>,
    /// Whether bots answer on this device.
    pub bot_enabled: bool,
    /// Non-secret settings.
    pub settings: DeviceSettings,
    /// Names of the secrets that are set (values are never returned).
    pub secrets_set: Vec<String>,
    /// The URL to paste as the webhook (callback) URL at the provider.
    pub webhook_url: String,
    /// Extra guidance for the webhook, e.g. the Fonnte token parameter.
    pub webhook_note: String,
    /// Created, unix milliseconds.
    pub created_at: i64,
    /// Last updated, unix milliseconds.
    pub updated_at: i64,
    /// The connection state the provider last reported; absent until it
    /// reports one (Cloud API and simulator devices do not).
    pub connection: Option<Connection>,
}

/// A device's connection state as its provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Connection {
    /// The state.
    pub state: ConnectionState,
    /// The provider's reason, if it gave one.
    pub reason: Option<String>,
    /// When it changed, unix milliseconds.
    pub changed_at: i64,
}

/// One plugin of a device's pipeline as stored (`device_plugins`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PluginRow {
    /// The plugin name.
    pub(crate) plugin: String,
    /// 1 when it runs.
    pub(crate) enabled: i64,
    /// Its configuration, JSON.
    pub(crate) config: String,
}

/// One plugin of a pipeline to store.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewPlugin<'a> {
    /// The plugin name.
    pub(crate) plugin: &'a str,
    /// Whether it runs.
    pub(crate) enabled: bool,
    /// Its configuration.
    pub(crate) config: &'a serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud(pid: Option<&str>) -> ProviderInput {
        ProviderInput::CloudApi {
            phone_number_id: pid.map(str::to_owned),
            access_token: Some("EAAG-secret".into()),
            app_secret: Some("app-secret".into()),
            verify_token: Some("verify".into()),
            api_version: None,
            base_url: None,
        }
    }

    #[test]
    fn create_requires_every_field_of_the_kind() {
        let (mut s, mut k) = Default::default();
        let err = cloud(None).apply(&mut s, &mut k).unwrap_err();
        assert_eq!(err.field, "phone_number_id");
        let (mut s, mut k) = Default::default();
        cloud(Some("1234567890")).apply(&mut s, &mut k).unwrap();
        assert_eq!(
            k.names(),
            vec!["access_token", "app_secret", "verify_token"]
        );
    }

    #[test]
    fn patch_keeps_absent_secrets() {
        let (mut s, mut k) = Default::default();
        cloud(Some("123")).apply(&mut s, &mut k).unwrap();
        let patch = ProviderInput::CloudApi {
            phone_number_id: None,
            access_token: Some("new".into()),
            app_secret: None,
            verify_token: None,
            api_version: Some("v22.0".into()),
            base_url: None,
        };
        patch.apply(&mut s, &mut k).unwrap();
        assert_eq!(k.access_token.as_ref().unwrap().expose_secret(), "new");
        assert_eq!(k.app_secret.as_ref().unwrap().expose_secret(), "app-secret");
        assert_eq!(s.api_version.as_deref(), Some("v22.0"));
    }

    #[test]
    fn gateway_checks_url_and_header() {
        let bad = ProviderInput::Gateway {
            url: Some("ftp://x".into()),
            header_name: Some("X-Token".into()),
            token: Some("t".into()),
        };
        let (mut s, mut k) = Default::default();
        assert_eq!(bad.apply(&mut s, &mut k).unwrap_err().field, "url");
        let bad = ProviderInput::Gateway {
            url: Some("https://gw.example/send".into()),
            header_name: Some("bad header".into()),
            token: Some("t".into()),
        };
        let (mut s, mut k) = Default::default();
        assert_eq!(bad.apply(&mut s, &mut k).unwrap_err().field, "header_name");
    }

    #[test]
    fn secrets_round_trip_and_debug_is_redacted() {
        let k = DeviceSecrets {
            token: Some("tok-123456".into()),
            ..Default::default()
        };
        let text = k.to_plaintext();
        let back = DeviceSecrets::from_plaintext(&text).unwrap();
        assert_eq!(back.token.unwrap().expose_secret(), "tok-123456");
        assert!(!format!("{k:?}").contains("tok-123456"));
    }
}
