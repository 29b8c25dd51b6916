//! One contact's personal data: everything the vendor stores about it, and
//! its erasure with its chat history, campaign rows and plugin data.

use super::model::{CampaignMessage, ContactData, ContactErasure, ConversationData, PluginEntry};
use crate::AppState;
use crate::audit::{self, Entry, TargetKind};
use crate::bots::store as bots_store;
use crate::contacts::{ContactView, store as contacts_store};
use crate::domain::{ContactId, TenantId};
use crate::http::AppError;
use crate::inbox::store as inbox_store;
use crate::marketplace::{buyers, orders};

/// Every message of a conversation fits under this bound.
const ALL_MESSAGES: i64 = i64::MAX;

/// The number as plugins key their data: digits only (`6281234567890`).
fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Everything the vendor stores about one of its contacts (404 for
/// another vendor's).
pub(crate) async fn export(
    state: &AppState,
    tenant: &TenantId,
    id: &ContactId,
) -> Result<ContactData, AppError> {
    let pool = &state.pool;
    let contact = contacts_store::get(pool, tenant, id)
        .await?
        .ok_or(AppError::NotFound("contact"))?;
    let groups = contacts_store::group_names_of(pool, tenant, id).await?;
    let mut conversations = Vec::new();
    for conversation in inbox_store::conversations_with(pool, tenant, &contact.phone).await? {
        let messages =
            inbox_store::list_messages(pool, tenant, &conversation.id, ALL_MESSAGES).await?;
        conversations.push(ConversationData {
            conversation,
            messages,
        });
    }
    let campaign_messages = crate::campaigns::rows_of_contact(pool, tenant, id)
        .await?
        .into_iter()
        .map(|r| CampaignMessage {
            campaign_id: r.campaign_id.to_string(),
            recipient: r.row.into(),
        })
        .collect();
    let marketplace_orders = match buyers::store::by_whatsapp(pool, &contact.phone).await? {
        Some(buyer) => {
            let rows = orders::store::vendor_orders_of_buyer(pool, tenant, &buyer.id).await?;
            orders::order_views(pool, rows).await?
        }
        None => Vec::new(),
    };
    let plugin_entries = bots_store::plugin_keys_containing(pool, tenant, &digits(&contact.phone))
        .await?
        .into_iter()
        .map(|k| PluginEntry {
            plugin: k.plugin,
            key: k.key,
        })
        .collect();
    Ok(ContactData {
        contact: ContactView::from(contact),
        groups,
        conversations,
        campaign_messages,
        marketplace_orders,
        plugin_entries,
    })
}

/// Erases one of the vendor's contacts (404 for another vendor's): its
/// queued campaign messages are withdrawn, then, in one transaction with
/// the audit entry `entry` (its actor; the target is set here), its
/// conversations and messages, campaign rows, plugin data under its
/// number, tags, group memberships and the contact itself are deleted.
/// Marketplace orders are the buyer's and the platform's records and stay
/// (a buyer erases its account itself).
pub(crate) async fn erase(
    state: &AppState,
    tenant: &TenantId,
    id: &ContactId,
    entry: Entry,
) -> Result<ContactErasure, AppError> {
    let contact = contacts_store::get(&state.pool, tenant, id)
        .await?
        .ok_or(AppError::NotFound("contact"))?;
    (state.services.hooks.contact_withdrawn)(&state.pool, tenant, id, "contact_deleted").await?;
    let mut tx = state.begin_write().await?;
    let (conversations, messages) =
        inbox_store::erase_number(&mut tx, tenant, &contact.phone).await?;
    let campaign_rows = crate::campaigns::erase_rows_of_contact(&mut tx, tenant, id).await?;
    let plugin_entries =
        bots_store::erase_plugin_keys_containing(&mut tx, tenant, &digits(&contact.phone)).await?;
    if !contacts_store::delete(&mut tx, tenant, id).await? {
        return Err(AppError::NotFound("contact"));
    }
    let report = ContactErasure {
        conversations,
        messages,
        campaign_rows,
        plugin_entries,
    };
    audit::record_in(
        &mut tx,
        entry
            .tenant(tenant)
            .target(TargetKind::Contact, id)
            .after(serde_json::to_value(&report).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}
