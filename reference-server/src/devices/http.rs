//! The device routes: list, connect, read, change and disconnect a
//! vendor's WhatsApp numbers.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::model::{self, CreateDevice, DeviceSecrets, DeviceSettings, DeviceView, UpdateDevice};
use super::store::{self, DeviceRow};
use super::{decrypt_secrets, encrypt_secrets, registry, webhook_url};
use crate::AppState;
use crate::audit::{self, Action, Entry, TargetKind};
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::domain::DeviceId;
use crate::http::i18n::{Lang, Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

pub(crate) fn view(state: &AppState, row: &DeviceRow) -> DeviceView {
    DeviceView {
        id: row.id.clone(),
        name: row.name.clone(),
        kind: row.kind,
        phone_number: row.phone_number.clone(),
        bot_enabled: row.bot_enabled,
        settings: row.settings.clone(),
        secrets_set: row.secret_names.clone(),
        webhook_url: webhook_url(&state.config.public_base_url, &row.id),
        webhook_note: row.kind.webhook_note().get(Lang::En).to_owned(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        connection: row.connection.clone(),
    }
}

fn field_error(e: model::FieldError) -> AppError {
    AppError::bad_request("invalid_device", e.message.about(e.field))
}

fn parse_phone(raw: Option<String>) -> Result<Option<String>, AppError> {
    match raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => whatsapp_client::PhoneNumber::parse(&s)
            .map(|p| Some(p.to_string()))
            .map_err(|e| crate::phone::invalid("phone_number", &e)),
    }
}

fn check_handoff_timeout(minutes: u32) -> Result<u32, AppError> {
    if minutes > model::MAX_HANDOFF_TIMEOUT_MINUTES {
        return Err(AppError::bad_request("invalid_device", {
            let max = model::MAX_HANDOFF_TIMEOUT_MINUTES;
            tr!(
                "handoff_timeout_minutes: paling banyak {max} (30 hari); 0 berarti tidak pernah",
                "handoff_timeout_minutes: at most {max} (30 days); 0 means never"
            )
        }));
    }
    Ok(minutes)
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_device",
            Text::new(
                "name: harus 1 sampai 100 karakter",
                "name: must be 1 to 100 characters",
            ),
        ));
    }
    Ok(name.to_owned())
}

/// List the vendor's devices.
#[utoipa::path(
    get, path = "/api/v1/devices", tag = "devices",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The devices", body = inline(crate::http::Data<Vec<DeviceView>>)))
)]
pub(super) async fn list_devices(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<DeviceView>> {
    Ok(ok(list(&state, &member).await?))
}

/// The vendor's devices, as the API and the console show them.
pub(crate) async fn list(
    state: &AppState,
    member: &CurrentMember,
) -> Result<Vec<DeviceView>, AppError> {
    let rows = store::list(&state.pool, member.tenant()).await?;
    Ok(rows.iter().map(|r| view(state, r)).collect())
}

/// Connect a WhatsApp number (owner or admin). Limited by the plan's device count.
#[utoipa::path(
    post, path = "/api/v1/devices", tag = "devices",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateDevice,
    responses(
        (status = 201, description = "Created", body = inline(crate::http::Data<DeviceView>)),
        (status = 400, description = "Invalid settings (the message names the field)", body = crate::http::ErrorBody),
        (status = 402, description = "Plan device limit reached", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn create_device(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(body): ApiJson<CreateDevice>,
) -> Created<DeviceView> {
    Ok(created(create(&state, &member, body).await?))
}

/// Connects a device (owner or admin), within the plan's device count:
/// the rules of `POST /api/v1/devices`.
pub(crate) async fn create(
    state: &AppState,
    member: &CurrentMember,
    body: CreateDevice,
) -> Result<DeviceView, AppError> {
    member.require(Role::Admin)?;
    let name = check_name(&body.name)?;
    let phone_number = parse_phone(body.phone_number)?;
    let kind = body.provider.kind();
    let mut settings = DeviceSettings::default();
    let mut secrets = DeviceSecrets::default();
    body.provider
        .apply(&mut settings, &mut secrets)
        .map_err(field_error)?;
    settings.handoff_timeout_minutes = body
        .handoff_timeout_minutes
        .map(check_handoff_timeout)
        .transpose()?;
    let tenant = member.tenant_id.clone();
    let used = store::count(&state.pool, &tenant).await?;
    crate::billing::limits::check_with_current(
        &state.pool,
        &member.tenant_id,
        crate::billing::limits::Limit::Devices,
        used,
        1,
    )
    .await?;
    let id = DeviceId::new();
    let now = now_ms();
    let row = DeviceRow {
        secrets_ciphertext: encrypt_secrets(state, &tenant, &id, &secrets),
        secret_names: secrets.names().into_iter().map(str::to_owned).collect(),
        id,
        tenant_id: tenant.clone(),
        name,
        kind,
        phone_number,
        settings,
        bot_enabled: body.bot_enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
        connection: None,
    };
    store::insert(&state.pool, &row).await?;
    let entry = Entry::by_member(Action::DeviceCreated, member)
        .target(TargetKind::Device, &row.id)
        .after(serde_json::json!({
            "name": row.name, "kind": kind, "secrets": row.secret_names,
        }));
    audit::record(state, entry).await?;
    tracing::info!(tenant = %row.tenant_id, device = %row.id, kind = kind.as_str(), "device created");
    Ok(view(state, &row))
}

/// One device.
#[utoipa::path(
    get, path = "/api/v1/devices/{id}", tag = "devices",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Device id")),
    responses(
        (status = 200, description = "The device", body = inline(crate::http::Data<DeviceView>)),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn get_device(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<DeviceId>,
) -> ApiResult<DeviceView> {
    Ok(ok(get(&state, &member, &id).await?))
}

/// One of the vendor's devices; another vendor's is "not found".
pub(crate) async fn get(
    state: &AppState,
    member: &CurrentMember,
    id: &DeviceId,
) -> Result<DeviceView, AppError> {
    let row = store::get(&state.pool, member.tenant(), id)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    Ok(view(state, &row))
}

/// Change a device (owner or admin). Absent fields, including absent
/// secrets, keep their value; the provider `kind` cannot change.
#[utoipa::path(
    patch, path = "/api/v1/devices/{id}", tag = "devices",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Device id")),
    request_body = UpdateDevice,
    responses(
        (status = 200, description = "Updated", body = inline(crate::http::Data<DeviceView>)),
        (status = 400, description = "Invalid settings", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn update_device(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<DeviceId>,
    ApiJson(body): ApiJson<UpdateDevice>,
) -> ApiResult<DeviceView> {
    member.require(Role::Admin)?;
    let mut secrets_changed = Vec::new();
    let mut row = store::get(&state.pool, member.tenant(), &id)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    if let Some(name) = &body.name {
        row.name = check_name(name)?;
    }
    if body.phone_number.is_some() {
        row.phone_number = parse_phone(body.phone_number)?;
    }
    if let Some(on) = body.bot_enabled {
        row.bot_enabled = on;
    }
    if let Some(provider) = body.provider {
        if provider.kind() != row.kind {
            return Err(AppError::bad_request("invalid_device", {
                let (from, to) = (row.kind.as_str(), provider.kind().as_str());
                tr!(
                    "provider.kind: perangkat {from} tidak bisa menjadi {to}",
                    "provider.kind: a {from} device cannot become {to}"
                )
            }));
        }
        let mut secrets = decrypt_secrets(&state, &row)?;
        let old = secrets.clone();
        let mut settings = row.settings.clone();
        provider
            .apply(&mut settings, &mut secrets)
            .map_err(field_error)?;
        secrets_changed = changed_secrets(&old, &secrets);
        row.settings = settings;
        row.secret_names = secrets.names().into_iter().map(str::to_owned).collect();
        row.secrets_ciphertext = encrypt_secrets(&state, &row.tenant_id, &row.id, &secrets);
    }
    if let Some(minutes) = body.handoff_timeout_minutes {
        row.settings.handoff_timeout_minutes = Some(check_handoff_timeout(minutes)?);
    }
    row.updated_at = now_ms().max(row.updated_at + 1);
    if !store::update(&state.pool, &row).await? {
        return Err(AppError::NotFound("device"));
    }
    if !secrets_changed.is_empty() {
        let entry = Entry::by_member(Action::DeviceSecretChanged, &member)
            .target(TargetKind::Device, &row.id)
            .after(serde_json::json!({ "secrets": secrets_changed }));
        audit::record(&state, entry).await?;
    }
    registry::forget(&state, &row.id);
    Ok(ok(view(&state, &row)))
}

/// Disconnect a device (owner or admin). Its conversations stay in the inbox.
#[utoipa::path(
    delete, path = "/api/v1/devices/{id}", tag = "devices",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Device id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn delete_device(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<DeviceId>,
) -> Result<StatusCode, AppError> {
    member.require(Role::Admin)?;
    if !store::delete(&state.pool, member.tenant(), &id).await? {
        return Err(AppError::NotFound("device"));
    }
    let entry = Entry::by_member(Action::DeviceDeleted, &member).target(TargetKind::Device, &id);
    audit::record(&state, entry).await?;
    registry::forget(&state, &id);
    Ok(StatusCode::NO_CONTENT)
}

/// The names of the secrets whose value differs between `old` and `new`
/// (for the audit trail, which never holds the values).
fn changed_secrets(old: &DeviceSecrets, new: &DeviceSecrets) -> Vec<&'static str> {
    use secrecy::ExposeSecret;
    let same = |a: &Option<secrecy::SecretString>, b: &Option<secrecy::SecretString>| match (a, b) {
        (Some(a), Some(b)) => a.expose_secret() == b.expose_secret(),
        (a, b) => a.is_none() && b.is_none(),
    };
    [
        ("access_token", &old.access_token, &new.access_token),
        ("app_secret", &old.app_secret, &new.app_secret),
        ("verify_token", &old.verify_token, &new.verify_token),
        ("token", &old.token, &new.token),
    ]
    .into_iter()
    .filter(|(_, a, b)| !same(a, b))
    .map(|(name, _, _)| name)
    .collect()
}
