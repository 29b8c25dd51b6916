//! How far a vendor is along the newcomer journey, read through each
//! feature's own functions (the start page marks the steps done).

use crate::AppState;
use crate::auth::CurrentMember;
use crate::billing::model::OrderStatus;

/// Counts of what the vendor has set up.
#[derive(Debug, Clone, Default)]
pub(super) struct Progress {
    pub(super) devices: i64,
    pub(super) bot_rules: bool,
    pub(super) conversations: usize,
    pub(super) contacts: i64,
    pub(super) campaigns: bool,
    pub(super) paid: bool,
}

/// Reads the vendor's progress.
pub(super) async fn of(state: &AppState, member: &CurrentMember) -> Result<Progress, sqlx::Error> {
    let pool = &state.pool;
    let tenant = member.tenant();
    let devices = crate::devices::store::list(pool, tenant).await?;
    let mut bot_rules = false;
    for d in &devices {
        let plugins = crate::bots::load_device_plugins(pool, tenant, &d.id).await?;
        bot_rules |= plugins.iter().any(|p| {
            p.enabled
                && p.config
                    .get("rules")
                    .and_then(|r| r.as_array())
                    .is_some_and(|r| !r.is_empty())
        });
    }
    let conversations = crate::inbox::store::list_conversations(pool, tenant, None, None, None, 1)
        .await?
        .len();
    let (_, contacts) = crate::contacts::store::list(
        pool,
        tenant,
        &crate::contacts::store::ListFilter::default(),
        1,
        0,
    )
    .await?;
    let campaigns = !crate::campaigns::list(pool, tenant, None, 1, 0)
        .await?
        .is_empty();
    let paid = crate::billing::store::orders::list(pool, Some(tenant.as_str()), 50)
        .await?
        .iter()
        .any(|o| o.status == OrderStatus::Paid);
    Ok(Progress {
        devices: devices.len() as i64,
        bot_rules,
        conversations,
        contacts,
        campaigns,
        paid,
    })
}
