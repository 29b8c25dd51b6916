//! Setup for the page benchmark (`src/bin/loadgen_pages.rs`): a server on
//! a fresh SQLite file with one vendor signed up through the sign-up
//! rules (the code read from the simulator outbox), a month of inbox
//! traffic for its overview, and the vendor's session token for the
//! console's cookie.
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

/// Starts the server on a fresh SQLite file under `data_dir` with a vendor
/// and `messages` inbox messages spread over the last 30 days.
pub async fn start(data_dir: &Path, messages: usize) -> Result<Setup, StartError> {
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
    seed_messages(&state, verified.tenant_id.as_str(), messages).await?;
    let (listener, addr) = crate::bind(state.config.bind).await?;
    tokio::spawn(crate::serve(state, listener, std::future::pending::<()>()));
    Ok(Setup {
        base: format!("http://{addr}"),
        session: session.token,
    })
}

/// Inbox messages of one conversation, in and out alternately, spread
/// evenly over the last 30 days.
async fn seed_messages(state: &crate::AppState, tenant: &str, n: usize) -> Result<(), StartError> {
    let now = now_ms();
    let conversation = new_id();
    let span = 30 * 86_400_000_i64;
    for i in 0..n {
        let at = now - span + span * i as i64 / n.max(1) as i64;
        let (direction, sender) = if i % 2 == 0 {
            ("in", "contact")
        } else {
            ("out", "bot")
        };
        sqlx::query(
            "INSERT INTO messages (id, tenant_id, conversation_id, device_id, direction, sender, \
             provider_message_id, kind, body, payload, status, error, created_at, updated_at) \
             VALUES ($1, $2, $3, 'loadtest', $4, $5, $6, 'text', 'halo', '{}', 'sent', NULL, $7, $7)",
        )
        .bind(new_id())
        .bind(tenant)
        .bind(&conversation)
        .bind(direction)
        .bind(sender)
        .bind(new_id())
        .bind(at)
        .execute(&state.pool)
        .await?;
    }
    Ok(())
}
