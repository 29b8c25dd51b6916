//! Setup for the page benchmark (`src/bin/loadgen_pages.rs`): a server on
//! a fresh SQLite file with one vendor signed up through the sign-up
//! rules (the code read from the simulator outbox), a simulator device,
//! a month of inbox traffic spread over many conversations (what the
//! overview counts and the inbox lists), a few campaigns in every status
//! with their recipients (what the campaign list counts), and the
//! vendor's session token for the console's cookie.
//!
//! Compiled only with the `loadtest` feature, which the load-generator
//! binaries require.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use crate::db::{new_id, now_ms};
use crate::tenants::model::{SignupRequest, VerifySignup};

/// Error type of [`start`].
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// What [`start`] set up.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Base URL of the server.
    pub base: String,
    /// The vendor owner's session token (the `wa_session` cookie).
    pub session: String,
}

/// What [`start`] seeds.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    /// Inbox messages over the last 30 days.
    pub messages: usize,
    /// Conversations they belong to (one contact each).
    pub conversations: usize,
    /// Campaigns, in turn completed, running, paused, scheduled, draft
    /// and cancelled.
    pub campaigns: usize,
    /// Recipients of each campaign that has started.
    pub recipients: usize,
}

/// Starts the server on a fresh SQLite file under `data_dir` with a vendor
/// and what `seed` says.
pub async fn start(data_dir: &Path, seed: Seed) -> Result<Setup, StartError> {
    let mut config = crate::Config::with_data_dir(data_dir);
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    let state = crate::build_state(config).await?;
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let whatsapp = "+6281100000001".to_owned();
    let sent = crate::tenants::signup::start_signup(
        &state,
        ip,
        SignupRequest {
            business_name: "Toko Beban".to_owned(),
            name: "Pemilik".to_owned(),
            email: "beban@loadtest.example".to_owned(),
            whatsapp: whatsapp.clone(),
            password: "rahasia-123".to_owned(),
            locale: None,
        },
    )
    .await?;
    let outbox = crate::simulator::list(&state.pool, None, None, Some(&whatsapp), 1).await?;
    let text = outbox
        .first()
        .map(|m| m.message.to_string())
        .unwrap_or_default();
    let code = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .ok_or("no sign-up code in the simulator outbox")?
        .to_owned();
    let verified = crate::tenants::signup::finish_signup(
        &state,
        ip,
        VerifySignup {
            challenge_id: sent.challenge_id,
            code,
        },
    )
    .await?;
    let session = verified.session.ok_or("the vendor is not active")?;
    let tenant = verified.tenant_id.as_str();
    let device = seed_device(&state, tenant).await?;
    let contacts = seed_contacts(&state, tenant, seed.conversations.max(seed.recipients)).await?;
    seed_inbox(&state, tenant, &device, &contacts, seed).await?;
    seed_campaigns(&state, tenant, &device, &contacts, seed).await?;
    let (listener, addr) = crate::bind(state.config.bind).await?;
    tokio::spawn(crate::serve(state, listener, std::future::pending::<()>()));
    Ok(Setup {
        base: format!("http://{addr}"),
        session: session.token,
    })
}

/// A simulator device of the vendor.
async fn seed_device(state: &crate::AppState, tenant: &str) -> Result<String, StartError> {
    use crate::devices::model::{DeviceKind, DeviceSecrets, DeviceSettings};
    let id = new_id();
    let now = now_ms();
    let row = crate::devices::store::DeviceRow {
        secrets_ciphertext: state.services.crypto.encrypt(
            &DeviceSecrets::default().to_plaintext(),
            &crate::devices::secrets_aad(tenant, &id),
        ),
        secret_names: Vec::new(),
        id: id.as_str().into(),
        tenant_id: tenant.into(),
        name: "Toko".to_owned(),
        kind: DeviceKind::Simulator,
        phone_number: None,
        settings: DeviceSettings::default(),
        bot_enabled: true,
        created_at: now,
        updated_at: now,
        connection: None,
    };
    crate::devices::store::insert(&state.pool, &row).await?;
    Ok(id)
}

/// `n` contacts `+62812` + 8 digits; answers (id, phone) of each.
async fn seed_contacts(
    state: &crate::AppState,
    tenant: &str,
    n: usize,
) -> Result<Vec<(String, String)>, StartError> {
    let now = now_ms();
    let contacts: Vec<(String, String)> = (0..n)
        .map(|i| (new_id(), format!("+62812{i:08}")))
        .collect();
    let mut tx = state.begin_write().await?;
    crate::db::execute_rows(
        &mut tx,
        &contacts,
        6,
        |values| {
            format!(
                "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, \
                 updated_at) SELECT column1, column2, column3, column4, '{{}}', 0, column5, column6 \
                 FROM (VALUES {values}) AS v"
            )
        },
        |q, (id, phone)| {
            q.bind(id)
                .bind(tenant.to_owned())
                .bind(phone)
                .bind(format!("Pelanggan {}", &phone[phone.len() - 4..]))
                .bind(now)
                .bind(now)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(contacts)
}

/// `seed.messages` inbox messages, in and out alternately, spread evenly
/// over the last 30 days and round robin over `seed.conversations`
/// conversations with the first contacts.
async fn seed_inbox(
    state: &crate::AppState,
    tenant: &str,
    device: &str,
    contacts: &[(String, String)],
    seed: Seed,
) -> Result<(), StartError> {
    let now = now_ms();
    let span = 30 * 86_400_000_i64;
    let n = seed.messages;
    let count = seed.conversations.clamp(1, contacts.len().max(1));
    let at = |i: usize| now - span + span * i as i64 / n.max(1) as i64;
    // A conversation's last message is its last index below `n`.
    let conversations: Vec<(String, &str, i64)> = contacts
        .iter()
        .take(count)
        .enumerate()
        .map(|(k, (_, phone))| {
            let last = if n > k {
                k + (n - 1 - k) / count * count
            } else {
                0
            };
            (new_id(), phone.as_str(), at(last))
        })
        .collect();
    let mut tx = state.begin_write().await?;
    crate::db::execute_rows(
        &mut tx,
        &conversations,
        6,
        |values| {
            format!(
                "INSERT INTO conversations (id, tenant_id, device_id, contact_number, owner, \
                 last_message_at, last_message_preview, created_at) \
                 SELECT column1, column2, column3, column4, 'bot', column5, 'halo', column6 \
                 FROM (VALUES {values}) AS v"
            )
        },
        |q, (id, phone, last)| {
            q.bind(id)
                .bind(tenant.to_owned())
                .bind(device.to_owned())
                .bind(*phone)
                .bind(*last)
                .bind(now - span)
        },
    )
    .await?;
    let messages: Vec<(usize, i64)> = (0..n).map(|i| (i, at(i))).collect();
    crate::db::execute_rows(
        &mut tx,
        &messages,
        7,
        |values| {
            format!(
                "INSERT INTO messages (id, tenant_id, conversation_id, device_id, direction, sender, \
                 provider_message_id, kind, body, payload, status, error, created_at, updated_at) \
                 SELECT column1, column2, column3, column4, column5, column6, column1, 'text', \
                 'halo', '{{}}', 'sent', NULL, column7, column7 FROM (VALUES {values}) AS v"
            )
        },
        |q, (i, at)| {
            let (direction, sender) = if i % 2 == 0 {
                ("in", "contact")
            } else {
                ("out", "bot")
            };
            q.bind(new_id())
                .bind(tenant.to_owned())
                .bind(conversations[i % count].0.clone())
                .bind(device.to_owned())
                .bind(direction)
                .bind(sender)
                .bind(*at)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `seed.campaigns` campaigns of one template over the device, in turn
/// completed, running, paused, scheduled, draft and cancelled; the
/// started ones have `seed.recipients` recipients each, in the states
/// such a campaign has (a completed one: mostly delivered or read, some
/// replied, a few failed; a running one: half still queued).
async fn seed_campaigns(
    state: &crate::AppState,
    tenant: &str,
    device: &str,
    contacts: &[(String, String)],
    seed: Seed,
) -> Result<(), StartError> {
    const STATUSES: [&str; 6] = [
        "completed",
        "running",
        "paused",
        "scheduled",
        "draft",
        "cancelled",
    ];
    let now = now_ms();
    let template = new_id();
    let mut tx = state.begin_write().await?;
    sqlx::query(
        "INSERT INTO message_templates (id, tenant_id, name, body, created_at, updated_at) \
         VALUES ($1, $2, 'promo', 'Halo {name}, promo akhir tahun!', $3, $3)",
    )
    .bind(&template)
    .bind(tenant.to_owned())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let recipients = seed.recipients.min(contacts.len());
    for c in 0..seed.campaigns {
        let id = new_id();
        let status = STATUSES[c % STATUSES.len()];
        let created = now - (seed.campaigns - c) as i64 * 86_400_000;
        let started = matches!(status, "completed" | "running" | "paused" | "cancelled");
        let total = if started { recipients as i64 } else { 0 };
        sqlx::query(
            "INSERT INTO campaigns (id, tenant_id, name, template_id, audience, status, time_zone, \
             scheduled_at, total, created_at, updated_at, started_at, finished_at) \
             VALUES ($1, $2, $3, $4, '{\"all\":true}', $5, 'Asia/Jakarta', $6, $7, $8, $8, $9, $10)",
        )
        .bind(&id)
        .bind(tenant.to_owned())
        .bind(format!("Promo {}", c + 1))
        .bind(&template)
        .bind(status)
        .bind((status == "scheduled").then_some(now + 86_400_000))
        .bind(total)
        .bind(created)
        .bind(started.then_some(created))
        .bind(matches!(status, "completed" | "cancelled").then_some(created + 3_600_000))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO campaign_devices (campaign_id, tenant_id, device_id, weight, \
             rate_per_minute, delay_min_ms, delay_max_ms, daily_cap) \
             VALUES ($1, $2, $3, 1, 20, 0, 0, NULL)",
        )
        .bind(&id)
        .bind(tenant.to_owned())
        .bind(device.to_owned())
        .execute(&mut *tx)
        .await?;
        if !started {
            continue;
        }
        let rows: Vec<(usize, &(String, String))> =
            contacts.iter().take(recipients).enumerate().collect();
        crate::db::execute_rows(
            &mut tx,
            &rows,
            11,
            |values| {
                format!(
                    "INSERT INTO campaign_recipients (id, tenant_id, campaign_id, contact_id, phone, \
                     device_id, stage, state, not_before, sent_at, delivered_at, read_at, \
                     replied_at, failed_at, created_at) \
                     SELECT column1, column2, column3, column4, column5, column6, 'main', column7, \
                     column8, column9, column10, column11, NULL, NULL, column8 \
                     FROM (VALUES {values}) AS v"
                )
            },
            |q, (i, (contact, phone))| {
                let t = created + *i as i64 * 3_000;
                let (state_name, sent, delivered, read) = recipient_state(status, *i, t);
                q.bind(new_id())
                    .bind(tenant.to_owned())
                    .bind(id.clone())
                    .bind(contact)
                    .bind(phone)
                    .bind(device.to_owned())
                    .bind(state_name)
                    .bind(t)
                    .bind(sent)
                    .bind(delivered)
                    .bind(read)
            },
        )
        .await?;
        // Replies and failures of a finished campaign.
        if status == "completed" {
            sqlx::query(
                "UPDATE campaign_recipients SET replied_at = read_at + 60000 \
                 WHERE campaign_id = $1 AND read_at IS NOT NULL AND not_before % 7 = 0",
            )
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE campaign_recipients SET failed_at = not_before + 1000, \
                 error = 'nomor tidak terdaftar di WhatsApp' WHERE campaign_id = $1 AND state = 'failed'",
            )
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The state and sent / delivered / read times of recipient `i` of a
/// campaign in `status`, due at `t`.
fn recipient_state(
    status: &str,
    i: usize,
    t: i64,
) -> (&'static str, Option<i64>, Option<i64>, Option<i64>) {
    let sent = Some(t);
    match (status, i % 20) {
        ("completed", 0) => ("failed", None, None, None),
        ("completed", 1..=6) => ("sent", sent, Some(t + 5_000), None),
        ("completed", _) => ("sent", sent, Some(t + 5_000), Some(t + 60_000)),
        ("cancelled", k) if k < 8 => ("sent", sent, Some(t + 5_000), None),
        ("cancelled", _) => ("cancelled", None, None, None),
        (_, k) if k < 10 => ("sent", sent, Some(t + 5_000), None),
        _ => ("queued", None, None, None),
    }
}
