//! Message retention per vendor: a vendor may keep its message history
//! for a number of days; an hourly job deletes older messages.

use super::model::{MAX_RETENTION_DAYS, PrivacySettings};
use super::store;
use crate::AppState;
use crate::db::now_ms;
use crate::domain::TenantId;
use crate::http::AppError;
use crate::http::i18n::tr;
use crate::inbox::store as inbox_store;

/// Messages deleted per statement, so a large backlog never holds the
/// writer for long.
const BATCH: i64 = 5_000;

const DAY_MS: i64 = 86_400_000;

/// The vendor's settings.
pub(crate) async fn settings(
    state: &AppState,
    tenant: &TenantId,
) -> Result<PrivacySettings, AppError> {
    Ok(PrivacySettings {
        message_retention_days: store::retention_days(&state.pool, tenant).await?,
    })
}

/// Checks the retention: 1 to [`MAX_RETENTION_DAYS`] days, or none.
pub(crate) fn check(settings: &PrivacySettings) -> Result<(), AppError> {
    match settings.message_retention_days {
        Some(d) if !(1..=MAX_RETENTION_DAYS).contains(&d) => Err(AppError::bad_request(
            "invalid_retention",
            tr!(
                "message_retention_days: antara 1 dan {MAX_RETENTION_DAYS} hari, atau kosong untuk menyimpan selamanya",
                "message_retention_days: between 1 and {MAX_RETENTION_DAYS} days, or null to keep messages"
            ),
        )),
        _ => Ok(()),
    }
}

/// Stores checked settings.
pub(crate) async fn save(
    state: &AppState,
    tenant: &TenantId,
    settings: &PrivacySettings,
) -> Result<(), AppError> {
    check(settings)?;
    store::set_retention_days(&state.pool, tenant, settings.message_retention_days).await?;
    Ok(())
}

/// Deletes, for every vendor with a retention, the messages older than it
/// at `now` (unix ms); answers how many went.
pub async fn sweep(state: &AppState, now: i64) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    for (tenant, days) in store::retentions(&state.pool).await? {
        let cutoff = now - days * DAY_MS;
        loop {
            let mut tx = state.begin_write().await?;
            let n = inbox_store::delete_messages_before(&mut tx, &tenant, cutoff, BATCH).await?;
            tx.commit().await?;
            total += n;
            if n < BATCH.unsigned_abs() {
                break;
            }
        }
    }
    Ok(total)
}

/// The hourly retention job.
pub(super) fn spawn(state: &AppState) -> tokio::task::JoinHandle<()> {
    crate::spawn_periodic(
        state,
        "message-retention",
        std::time::Duration::from_secs(3600),
        |state| async move {
            let deleted = sweep(&state, now_ms()).await?;
            if deleted > 0 {
                tracing::info!(deleted, "messages past their vendor's retention deleted");
            }
            Ok(())
        },
    )
}
