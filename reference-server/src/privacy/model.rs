//! The personal-data types: what an export holds, what an erasure removed,
//! the retention setting and an account deletion request.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaigns::RecipientView;
use crate::contacts::model::ContactView;
use crate::inbox::model::{ConversationView, MessageView};
use crate::marketplace::buyers::model::{Address, Buyer};
use crate::marketplace::orders::model::{Order, OrderGroup};

/// Longest message retention a vendor may set (ten years).
pub const MAX_RETENTION_DAYS: i64 = 3650;

/// One conversation with every stored message, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationData {
    /// The conversation.
    pub conversation: ConversationView,
    /// Its messages, oldest first.
    pub messages: Vec<MessageView>,
}

/// A plugin's stored entry that names the contact's number.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PluginEntry {
    /// The plugin that stored it.
    pub plugin: String,
    /// Its key.
    pub key: String,
}

/// Everything a vendor stores about one contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactData {
    /// The contact with its fields and tags.
    pub contact: ContactView,
    /// The names of the groups it belongs to.
    pub groups: Vec<String>,
    /// Conversations on the vendor's devices with the contact's number.
    pub conversations: Vec<ConversationData>,
    /// The contact's rows in the vendor's campaigns.
    pub campaign_messages: Vec<CampaignMessage>,
    /// The vendor's marketplace orders from a buyer with the contact's
    /// number.
    pub marketplace_orders: Vec<Order>,
    /// Entries the vendor's bot plugins stored under the contact's number.
    pub plugin_entries: Vec<PluginEntry>,
}

/// A contact's row in one campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignMessage {
    /// The campaign.
    pub campaign_id: String,
    /// The row.
    #[serde(flatten)]
    pub recipient: RecipientView,
}

/// What erasing a contact removed.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ContactErasure {
    /// Conversations deleted.
    pub conversations: u64,
    /// Messages deleted.
    pub messages: u64,
    /// Campaign rows deleted.
    pub campaign_rows: u64,
    /// Plugin entries deleted.
    pub plugin_entries: u64,
}

/// Everything the marketplace stores about a buyer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BuyerData {
    /// The account.
    pub buyer: Buyer,
    /// Saved shipping addresses.
    pub addresses: Vec<Address>,
    /// Checkouts with their vendor orders.
    pub checkouts: Vec<OrderGroup>,
}

/// A vendor's personal-data settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PrivacySettings {
    /// Messages older than this many days are deleted (1 to 3650);
    /// `null` keeps message history for good.
    pub message_retention_days: Option<i64>,
}

/// Ask for the vendor account's deletion.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeletionRequest {
    /// The vendor's name exactly as registered, to confirm.
    pub confirm_name: String,
}

/// A pending deletion of the vendor's account.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeletionStatus {
    /// The member who asked.
    pub requested_by: String,
    /// When, unix ms.
    pub requested_at: i64,
    /// When the data is removed unless cancelled before, unix ms.
    pub due_at: i64,
}

/// Answer of a cancelled deletion.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    /// Always true.
    pub cancelled: bool,
}

/// Answer of an erased account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erased {
    /// Always true.
    pub erased: bool,
}

/// A person to erase everywhere.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonRequest {
    /// The person's WhatsApp number.
    pub whatsapp: String,
}

/// What erasing a person removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonErasure {
    /// Vendors whose contact with the number was erased.
    pub vendors: usize,
    /// Whether a marketplace buyer account was erased.
    pub buyer: bool,
}
