//! Setup for the inbound load generator (`src/bin/loadgen_inbound.rs`): one
//! active vendor, one simulator device (with an app secret, so it takes
//! signed webhooks) running the keyword-rules plugin, in a server started
//! on a fresh SQLite file ([`start`]) or in a database that server
//! processes will share ([`prepare`]). Not used by the server itself.

use std::net::SocketAddr;
use std::path::Path;

use secrecy::SecretString;

use crate::db::{new_id, now_ms};
use crate::devices::model::{DeviceKind, DeviceSecrets, DeviceSettings};
use crate::devices::store::{self, DeviceRow};

/// Error type of [`start`].
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// Starts the server under `data_dir` on a loopback port and sets up the
/// vendor, device and plugin. Returns the base URL, the device id and its
/// app secret. The server runs until the runtime is dropped.
pub async fn start(data_dir: &Path) -> Result<(String, String, String), StartError> {
    let mut config = crate::Config::with_data_dir(data_dir);
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    let state = crate::build_state(config).await?;
    let (device_id, secret) = prepare(&state).await?;
    let (listener, addr) = crate::bind(state.config.bind).await?;
    tokio::spawn(crate::serve(state, listener, std::future::pending::<()>()));
    Ok((format!("http://{addr}"), device_id, secret))
}

/// Sets up the vendor, device and plugin in `state`'s database, for server
/// processes started on it. Returns the device id and its app secret.
pub async fn prepare(state: &crate::AppState) -> Result<(String, String), StartError> {
    let now = now_ms();
    let tenant_id = new_id();
    sqlx::query(
        "INSERT INTO tenants (id, name, whatsapp, status, created_at, updated_at) \
         VALUES ($1, 'Load Test', '+6281100000000', 'active', $2, $2)",
    )
    .bind(&tenant_id)
    .bind(now)
    .execute(&state.pool)
    .await?;
    // Bot replies count against the plan: the load test's vendor gets one
    // with room for any run.
    let plan_id = new_id();
    sqlx::query(
        "INSERT INTO plans (id, code, name, price_idr, duration_days, max_devices, max_contacts, \
         max_messages_per_month, max_ai_requests_per_month, active, created_at, updated_at) \
         VALUES ($1, 'loadtest', 'Load test', 0, 365, 10, 1000000, 1000000000, 1000000, 1, $2, $2)",
    )
    .bind(&plan_id)
    .bind(now)
    .execute(&state.pool)
    .await?;
    sqlx::query(
        "INSERT INTO subscriptions (tenant_id, plan_id, status, started_at, expires_at, updated_at) \
         VALUES ($1, $2, 'active', $3, $4, $3)",
    )
    .bind(&tenant_id)
    .bind(&plan_id)
    .bind(now)
    .bind(now + 365 * 86_400_000)
    .execute(&state.pool)
    .await?;
    let secret = format!("load-{}", new_id());
    let device_id = new_id();
    let secrets = DeviceSecrets {
        app_secret: Some(SecretString::from(secret.clone())),
        ..Default::default()
    };
    let row = DeviceRow {
        secrets_ciphertext: state.services.crypto.encrypt(
            &secrets.to_plaintext(),
            &crate::devices::secrets_aad(&tenant_id, &device_id),
        ),
        secret_names: vec!["app_secret".to_owned()],
        id: device_id.as_str().into(),
        tenant_id: tenant_id.as_str().into(),
        name: "load".to_owned(),
        kind: DeviceKind::Simulator,
        phone_number: None,
        settings: DeviceSettings::default(),
        bot_enabled: true,
        created_at: now,
        updated_at: now,
        connection: None,
    };
    store::insert(&state.pool, &row).await?;
    let config = serde_json::json!({
        "rules": [{ "id": "harga", "keywords": ["harga"], "reply": "Halo {name}, harga mulai Rp10.000" }],
        "default_reply": "Terima kasih, pesan Anda sudah kami terima."
    });
    super::runtime(state)
        .plugins
        .validate_config("keyword-rules", &config)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    sqlx::query(
        "INSERT INTO device_plugins (id, tenant_id, device_id, plugin, position, enabled, config, \
         created_at, updated_at) VALUES ($1, $2, $3, 'keyword-rules', 0, 1, $4, $5, $5)",
    )
    .bind(new_id())
    .bind(&tenant_id)
    .bind(&device_id)
    .bind(config.to_string())
    .bind(now)
    .execute(&state.pool)
    .await?;
    Ok((device_id, secret))
}
