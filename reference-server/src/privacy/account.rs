//! Deleting a vendor account: the owner asks, a cooling-off period
//! (`account_deletion_days`) follows in which the owner may cancel and the
//! account keeps working, then a job removes the vendor's data. What
//! accounting needs stays: plan orders and payments, marketplace orders
//! (the buyers' records too) and payouts; the vendor's row stays, with its
//! name and number removed and the status `deleted`.

use super::model::{DeletionRequest, DeletionStatus};
use super::store;
use crate::AppState;
use crate::audit::{self, Action, Actor, Entry, TargetKind};
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::domain::TenantId;
use crate::http::AppError;
use crate::http::i18n::Text;

const DAY_MS: i64 = 86_400_000;

/// The pending deletion of the caller's vendor (404 `deletion` when none).
pub(crate) async fn status(
    state: &AppState,
    member: &CurrentMember,
) -> Result<DeletionStatus, AppError> {
    store::pending_deletion(&state.pool, member.tenant())
        .await?
        .ok_or(AppError::NotFound("deletion"))
}

/// Schedules the deletion of the caller's vendor (owner only; the vendor's
/// name must be typed as registered; 409 when already scheduled).
pub(crate) async fn request(
    state: &AppState,
    member: &CurrentMember,
    req: &DeletionRequest,
) -> Result<DeletionStatus, AppError> {
    member.require(Role::Owner)?;
    let tenant = member.tenant();
    let vendor = crate::tenants::store::get(&state.pool, tenant)
        .await?
        .ok_or(AppError::NotFound("vendor"))?;
    if req.confirm_name.trim() != vendor.name.trim() {
        return Err(AppError::bad_request(
            "confirmation_mismatch",
            Text::new(
                "confirm_name: ketik nama vendor persis seperti terdaftar",
                "confirm_name: type the vendor's name exactly as registered",
            ),
        ));
    }
    let mut tx = state.begin_write().await?;
    if store::pending_deletion(&mut *tx, tenant).await?.is_some() {
        return Err(AppError::conflict(
            "deletion_scheduled",
            Text::new(
                "penghapusan akun ini sudah dijadwalkan",
                "this account's deletion is already scheduled",
            ),
        ));
    }
    let due_at = now_ms() + i64::from(state.config.account_deletion_days) * DAY_MS;
    store::request_deletion(&mut tx, tenant, member.member().as_str(), due_at).await?;
    audit::record_in(
        &mut tx,
        Entry::by_member(Action::AccountDeletionRequested, member)
            .target(TargetKind::Vendor, tenant)
            .after(serde_json::json!({ "due_at": due_at })),
    )
    .await?;
    let scheduled = store::pending_deletion(&mut *tx, tenant)
        .await?
        .ok_or(AppError::NotFound("deletion"))?;
    tx.commit().await?;
    Ok(scheduled)
}

/// Cancels the pending deletion of the caller's vendor (owner only; 404
/// when none is pending).
pub(crate) async fn cancel(state: &AppState, member: &CurrentMember) -> Result<(), AppError> {
    member.require(Role::Owner)?;
    let tenant = member.tenant();
    let mut tx = state.begin_write().await?;
    if !store::cancel_deletion(&mut tx, tenant).await? {
        return Err(AppError::NotFound("deletion"));
    }
    audit::record_in(
        &mut tx,
        Entry::by_member(Action::AccountDeletionCancelled, member)
            .target(TargetKind::Vendor, tenant),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the data of every vendor whose deletion is due at `now`;
/// answers the vendors deleted. Each vendor goes in one transaction that
/// first claims its request, so with several server processes each vendor
/// is deleted once, and a failure leaves it whole for the next run.
pub async fn sweep(state: &AppState, now: i64) -> Result<Vec<TenantId>, sqlx::Error> {
    let mut deleted = Vec::new();
    for tenant in store::due_deletions(&state.pool, now).await? {
        let mut tx = state.begin_write().await?;
        if !store::claim_deletion(&mut tx, &tenant, now).await? {
            continue;
        }
        let (devices, images) = purge(&mut tx, &tenant).await?;
        audit::record_in(
            &mut tx,
            Entry::new(Action::AccountDeleted, Actor::System).target(TargetKind::Vendor, &tenant),
        )
        .await?;
        tx.commit().await?;
        for device in &devices {
            crate::devices::registry::forget(state, device);
        }
        let files = crate::marketplace::catalog::images::storage(state);
        for key in &images {
            if let Err(e) = files.delete(key).await {
                tracing::warn!(error = %e, "image of a deleted vendor not removed from storage");
            }
        }
        tracing::info!(tenant = %tenant, "vendor account deleted after the cooling-off period");
        deleted.push(tenant);
    }
    Ok(deleted)
}

/// Deletes the vendor's data in the caller's transaction, every feature
/// through its own store; answers the device ids and image storage keys
/// that lived outside the database.
async fn purge(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
) -> Result<(Vec<crate::domain::DeviceId>, Vec<String>), sqlx::Error> {
    use crate::marketplace::{cart, catalog, payouts, reviews, sales};
    crate::campaigns::purge_tenant(conn, tenant).await?;
    crate::inbox::store::purge_tenant(conn, tenant).await?;
    crate::bots::store::purge_tenant(conn, tenant).await?;
    let devices = crate::devices::store::purge_tenant(conn, tenant).await?;
    crate::templates::purge_tenant(conn, tenant).await?;
    crate::contacts::store::purge_tenant(conn, tenant).await?;
    crate::simulator::store::purge_tenant(conn, tenant).await?;
    cart::store::remove_vendor(conn, tenant).await?;
    reviews::store::purge_tenant(conn, tenant).await?;
    let images = catalog::store::purge_tenant(conn, tenant).await?;
    payouts::store::purge_tenant(conn, tenant).await?;
    sales::store::purge_tenant(conn, tenant).await?;
    store::purge_tenant(conn, tenant).await?;
    crate::billing::store::invoices::purge_details(conn, tenant).await?;
    crate::auth::store::purge_tenant(conn, tenant).await?;
    crate::tenants::store::purge_tenant(conn, tenant).await?;
    audit::erase_vendor_chain(conn, tenant).await?;
    Ok((devices, images))
}

/// The hourly deletion job.
pub(super) fn spawn(state: &AppState) -> tokio::task::JoinHandle<()> {
    crate::spawn_periodic(
        state,
        "account-deletion",
        std::time::Duration::from_secs(3600),
        |state| async move {
            sweep(&state, now_ms()).await?;
            Ok(())
        },
    )
}
