//! Commission and payouts: the platform keeps its commission
//! (`plans.commission_bps`, basis points of the vendor's plan) of what a
//! delivered order brought after refunds and owes the vendor the rest.
//! The ledger has one entry per delivered order, written when the ledger
//! is read or a payout starts. A platform admin pays a vendor what it is
//! owed through Midtrans Iris.
//!
//! A payout moves the vendor's owed entries into it in one transaction
//! (so two payouts never carry one entry), then asks Iris with the
//! payout's id as idempotency key, then marks the payout sent and its
//! entries paid with a compare-and-set on its status. A repeated request
//! with the same key returns the payout, retrying the Iris call while it
//! is still pending: a double click or a retry pays once.
//!
//! Tables: `mkt_payout_accounts`, `mkt_payouts`, `mkt_payout_entries`;
//! reads delivered orders and the vendor's plan.

mod http;
pub mod model;
pub mod store;

use midtrans_client::{Idr, IrisClient, RequestOptions};
use secrecy::ExposeSecret;
use utoipa_axum::router::OpenApiRouter;

pub(crate) use self::http::{admin_pay_out, ledger_of};
use self::model::{Payout, PayoutStatus};
use crate::AppState;
use crate::domain::{PayoutId, TenantId};
use crate::http::i18n::Text;
use crate::http::{AppError, ConstraintExt};

/// The payout routes (vendor and admin).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// Writes the ledger entries of the vendor's delivered orders that have
/// none yet, at the commission of its current plan.
pub async fn accrue(state: &AppState, tenant: &TenantId) -> Result<(), AppError> {
    let orders = store::unaccrued(&state.pool, tenant).await?;
    if orders.is_empty() {
        return Ok(());
    }
    let bps = store::commission_bps(&state.pool, tenant).await?;
    let mut tx = state.begin_write().await?;
    for (order, gross, refunded) in &orders {
        let (commission, net) = model::split(*gross, *refunded, bps);
        store::insert_entry(
            &mut tx,
            &store::NewEntry {
                tenant,
                order,
                gross: *gross,
                refunded: *refunded,
                bps,
                commission,
                net,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn iris(state: &AppState) -> Result<IrisClient, AppError> {
    let cfg = &state.config.marketplace;
    let key = cfg.iris_api_key.as_ref().ok_or_else(|| {
        AppError::NotConfigured(Text::new(
            "pembayaran ke penjual belum dikonfigurasi (MIDTRANS_IRIS_API_KEY)",
            "payouts to vendors are not configured (MIDTRANS_IRIS_API_KEY)",
        ))
    })?;
    let env = if state.config.midtrans.production {
        midtrans_client::Environment::Production
    } else {
        midtrans_client::Environment::Sandbox
    };
    let mut client = IrisClient::new(key.expose_secret(), env);
    if let Some(base) = &cfg.iris_base_url {
        client =
            client.with_base_url(base.parse().map_err(|e| {
                AppError::internal_from("marketplace.iris_base_url is not a URL", e)
            })?);
    }
    Ok(client)
}

fn conflict(code: &'static str, id: &'static str, en: &'static str) -> AppError {
    AppError::conflict(code, Text::new(id, en))
}

/// Pays the vendor everything it is owed (once per `key`); answers the
/// payout and whether this call created it.
pub async fn pay_out(
    state: &AppState,
    tenant: &TenantId,
    key: &str,
    admin: &str,
) -> Result<(Payout, bool), AppError> {
    let client = iris(state)?;
    let account = store::account(&state.pool, tenant).await?.ok_or_else(|| {
        conflict(
            "payout_account_missing",
            "penjual belum mengisi rekening pembayaran",
            "the vendor has not set a payout account",
        )
    })?;
    accrue(state, tenant).await?;
    let mut created = false;
    let payout = match store::payout_by_key(&state.pool, tenant, key).await? {
        Some(p) => p,
        None => {
            let id = PayoutId::new();
            let mut tx = state.begin_write().await?;
            store::insert_payout(&mut tx, &id, tenant, key, admin)
                .await
                .on_unique(
                    "payout_in_progress",
                    Text::new(
                        "pembayaran dengan kunci ini sedang diproses; coba lagi",
                        "a payout with this key is being made; try again",
                    ),
                )?;
            let amount = store::take_owed(&mut tx, tenant, &id).await?;
            if amount <= 0 {
                tx.rollback().await?;
                return Err(conflict(
                    "nothing_owed",
                    "tidak ada saldo yang terutang kepada penjual ini",
                    "nothing is owed to this vendor",
                ));
            }
            tx.commit().await?;
            created = true;
            store::payout_by_key(&state.pool, tenant, key)
                .await?
                .ok_or(AppError::NotFound("payout"))?
        }
    };
    if payout.status == PayoutStatus::Sent {
        return Ok((payout, created));
    }
    let request = midtrans_client::iris::NewPayout {
        beneficiary_name: account.holder_name,
        beneficiary_account: account.account,
        beneficiary_bank: account.bank,
        beneficiary_email: None,
        amount: Idr::new(payout.amount_idr),
        notes: format!("Marketplace payout {}", payout.id),
    };
    let answer = client
        .with_options(RequestOptions {
            idempotency_key: Some(payout.id.to_string()),
            ..RequestOptions::default()
        })
        .create_payouts(std::slice::from_ref(&request))
        .await;
    match answer.map(|mut a| a.pop()) {
        Ok(Some(done)) => {
            let mut tx = state.begin_write().await?;
            store::mark_sent(&mut tx, &payout.id, &done.reference_no).await?;
            tx.commit().await?;
        }
        Ok(None) => {
            store::record_error(&state.pool, &payout.id, "Iris answered no payout").await?;
            return Err(AppError::Upstream("Iris answered no payout".to_owned()));
        }
        Err(e) => {
            let e = e.to_string();
            store::record_error(&state.pool, &payout.id, &e).await?;
            return Err(AppError::Upstream(e));
        }
    }
    let payout = store::payout_by_key(&state.pool, tenant, key)
        .await?
        .ok_or(AppError::NotFound("payout"))?;
    Ok((payout, created))
}
