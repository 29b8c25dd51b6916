#![doc = include_str!("../README.md")]
// utoipa's `IntoParams` expansion of `Query<T>` trips `unused_qualifications`
// (an item-level allow does not reach it); error-mapping helpers are handed to
// `map_err` and so take their argument by value.
#![allow(unused_qualifications, clippy::needless_pass_by_value)]

pub mod admin;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod bots;
pub mod campaigns;
pub mod config;
pub mod contacts;
pub mod crypto;
pub mod db;
pub mod devices;
pub mod domain;
#[cfg(test)]
mod feature_order;
pub mod http;
pub mod inbox;
pub mod marketplace;
pub mod messaging;
pub mod ops;
pub mod phone;
pub mod platform;
pub mod privacy;
pub mod simulator;
mod state;
pub mod templates;
pub mod tenants;
pub mod web;
pub mod webhooks;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::Config;
pub use db::DbKind;
pub use http::AppError;
pub use state::{AppState, HookFuture, Hooks, Services};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Database connection or migration.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// The at-rest encryption key.
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    /// Binding the listener or serving.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A setup step failed.
    #[error("{0}")]
    Setup(#[from] AppError),
    /// An operator command failed.
    #[error(transparent)]
    Ops(#[from] ops::OpsError),
    /// `verify-audit` found a broken link in the audit trail.
    #[error("the audit trail is broken (see the line above)")]
    AuditBroken,
}

/// Connects the database, applies the migrations and builds the state.
pub async fn build_state(config: Config) -> Result<AppState, StartError> {
    let (pool, kind) = db::connect(&config.effective_database_url()).await?;
    db::migrate(&pool).await?;
    marketplace::prepare(&pool, kind).await?;
    let crypto = crypto::Crypto::from_config(&config)?;
    let (shutdown, _) = watch::channel(false);
    let writer = db::Writer::new(pool.clone(), kind);
    let platform_sender = platform::sender(
        &config.platform_whatsapp,
        writer.clone(),
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| AppError::internal(format!("http client: {e}")))?,
    )?;
    // Its tables were created by `db::migrate` above.
    let otp_store = otp::SqlStore::new(pool.clone());
    let otp = otp::Otp::builder(
        otp::OtpSecret::new(crypto.derive("otp-code-hash"))
            .map_err(|e| AppError::internal(format!("otp secret: {e}")))?,
        otp_store,
        otp::channel::WhatsAppChannel::text(platform_sender.clone()),
    )
    .messages(otp::Messages::new(tenants::signup::APP_NAME))
    .config({
        let mut c = otp::OtpConfig::default();
        c.resend_cooldown = Duration::from_secs(config.otp_resend_cooldown_secs);
        c.max_sends_per_client = config.otp_max_sends_per_ip_per_hour;
        c
    })
    .build()
    .map_err(|e| AppError::internal(format!("otp config: {e}")))?;
    let midtrans = billing::midtrans_client(&config.midtrans).map_err(AppError::internal)?;
    let services = Services {
        crypto,
        otp,
        midtrans,
        platform_sender,
        writer: writer.clone(),
        rate_limits: auth::ratelimit::RateLimiters::new(&config.rate_limits),
        shutdown,
        bots: bots::BotsRuntime::default(),
        devices: devices::registry::DevicesRuntime::default(),
        hooks: hooks(),
        payment_routes: vec![marketplace::payment_route()],
    };
    http::metrics::install();
    Ok(AppState {
        pool,
        db: kind,
        config: Arc::new(config),
        services: Arc::new(services),
    })
}

/// Each hook filled with the function of the feature that answers it.
fn hooks() -> state::Hooks {
    state::Hooks {
        vendor_verified: |tx, tenant, now| {
            Box::pin(billing::subscriptions::grant_trial(tx, tenant, now))
        },
        contact_withdrawn: |pool, tenant, contact, reason| {
            Box::pin(campaigns::cancel_queued_for_contact(
                pool, tenant, contact, reason,
            ))
        },
        template_uses: |pool, tenant, template| {
            Box::pin(campaigns::unfinished_using_template(pool, tenant, template))
        },
        device_count: |pool, tenant| Box::pin(devices::store::count(pool, tenant)),
        contact_count: |pool, tenant| Box::pin(contacts::store::count(pool, tenant)),
    }
}

/// Binds `addr` and returns the listener and the address actually bound
/// (useful with port 0 in tests).
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Starts the background jobs; each stops when `state.services.shutdown`
/// flips to `true`.
pub fn spawn_background_jobs(state: &AppState) -> Vec<JoinHandle<()>> {
    let mut jobs = vec![spawn_periodic(
        state,
        "housekeeping",
        Duration::from_secs(300),
        |state| async move {
            state.services.rate_limits.retain_recent();
            auth::session::purge_stale(&state.pool).await.map(|_| ())
        },
    )];
    jobs.push(spawn_periodic(
        state,
        "subscription-expiry",
        Duration::from_secs(state.config.expiry_job_interval_secs.max(1)),
        |state| {
            let grace_ms = state.config.billing.grace_ms();
            billing::subscriptions::expiry_job(state.pool, grace_ms)
        },
    ));
    jobs.push(spawn_periodic(
        state,
        "subscription-reminders",
        Duration::from_secs(state.config.billing.reminder_interval_secs.max(1)),
        billing::reminders::job,
    ));
    // feature jobs
    jobs.extend(audit::spawn_jobs(state));
    jobs.extend(campaigns::spawn_jobs(state));
    jobs.extend(marketplace::spawn_jobs(state));
    jobs.extend(privacy::spawn_jobs(state));
    jobs.shrink_to_fit();
    jobs
}

/// Runs `job` every `every` until shutdown; errors are logged and the job
/// runs again at the next tick. Areas use this for their own jobs.
pub fn spawn_periodic<F, Fut>(
    state: &AppState,
    name: &'static str,
    every: Duration,
    job: F,
) -> JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), sqlx::Error>> + Send + 'static,
{
    let state = state.clone();
    let mut stop = state.services.shutdown.subscribe();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = job(state.clone()).await {
                        tracing::warn!(job = name, error = %e, "background job failed");
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        tracing::debug!(job = name, "background job stopped");
    })
}

/// Serves the application on `listener` until `shutdown` completes, then
/// stops the background jobs, finishes in-flight requests and returns.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let jobs = spawn_background_jobs(&state);
    let stop = state.services.shutdown.clone();
    let mut stopping = state.services.shutdown.subscribe();
    let grace = Duration::from_secs(state.config.shutdown_grace_secs);
    let app = http::router(state.clone());
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        // Stop the jobs as soon as shutdown starts, not after the last request.
        stop.send_replace(true);
    })
    .into_future();
    // A request that never finishes (a client that stalls mid-body, a hung
    // upstream) must not keep the process alive forever: once shutdown has
    // begun, in-flight requests get `grace` to finish.
    let deadline = async move {
        while !*stopping.borrow_and_update() {
            if stopping.changed().await.is_err() {
                break;
            }
        }
        tokio::time::sleep(grace).await;
    };
    let result = tokio::select! {
        r = server => r,
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "shutdown grace period over; dropping unfinished requests");
            Ok(())
        }
    };
    state.services.shutdown.send_replace(true);
    for job in jobs {
        let _ = job.await;
    }
    result
}
