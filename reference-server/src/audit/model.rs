//! The audit trail's types: what happened ([`Action`]), who did it
//! ([`Actor`]), on what ([`Target`]), the entry a feature records
//! ([`Entry`]), the stored row ([`StoredEntry`]) and the API's views.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AdminUser, AuthMethod, CurrentMember};
use crate::domain::{AdminId, ApiKeyId, BuyerId, MemberId, TenantId};

crate::text_enum! {
    /// What happened. The stored names are stable: exports, filters and
    /// the hash chain use them, so a name is never changed once released.
    pub enum Action {
        /// A member signed in.
        Login = "auth.login",
        /// A sign-in as a member failed (wrong password, unknown email,
        /// vendor banned or not active).
        LoginFailed = "auth.login_failed",
        /// A platform admin signed in.
        AdminLogin = "auth.admin_login",
        /// A sign-in as a platform admin failed.
        AdminLoginFailed = "auth.admin_login_failed",
        /// A member was added to a vendor.
        MemberAdded = "member.added",
        /// A member's role changed.
        MemberRoleChanged = "member.role_changed",
        /// A member was removed (its API keys revoked, its sessions ended).
        MemberRemoved = "member.removed",
        /// An API key was created (the entry keeps its prefix, never the key).
        ApiKeyCreated = "api_key.created",
        /// An API key was revoked.
        ApiKeyRevoked = "api_key.revoked",
        /// A device was connected.
        DeviceCreated = "device.created",
        /// A device's provider secrets were set or replaced (the entry
        /// names the secrets, never their values).
        DeviceSecretChanged = "device.secret_changed",
        /// A device was deleted.
        DeviceDeleted = "device.deleted",
        /// A device's bot pipeline (plugins, their order and settings) was
        /// replaced.
        BotPluginsConfigured = "bot.plugins_configured",
        /// A vendor ordered a plan (a pending Midtrans payment).
        OrderCreated = "billing.order_created",
        /// Midtrans confirmed an order's payment; the plan was extended.
        OrderPaid = "billing.order_paid",
        /// An order moved to another state than paid (failed, challenge,
        /// refunded).
        OrderStatusChanged = "billing.order_status_changed",
        /// A refund or chargeback of a plan order took back the
        /// subscription time it had bought.
        SubscriptionTimeTakenBack = "billing.subscription_time_taken_back",
        /// A vendor saved the billing details its invoices carry.
        BillingDetailsUpdated = "billing.details_updated",
        /// A file was exported (contacts, a report, an admin workbook, the
        /// audit trail itself).
        ExportDownloaded = "export.downloaded",
        /// Personal data was erased: a vendor's contact, a buyer's account.
        DataErased = "data.erased",
        /// The owner asked for the vendor account's deletion.
        AccountDeletionRequested = "account.deletion_requested",
        /// The owner cancelled the account's deletion in the cooling-off
        /// period.
        AccountDeletionCancelled = "account.deletion_cancelled",
        /// A vendor account's data was deleted after the cooling-off period
        /// (recorded in the platform chain: the vendor's own is gone).
        AccountDeleted = "account.deleted",
        /// An admin approved a vendor.
        VendorApproved = "admin.vendor_approved",
        /// An admin banned a vendor.
        VendorBanned = "admin.vendor_banned",
        /// An admin lifted a vendor's ban.
        VendorUnbanned = "admin.vendor_unbanned",
        /// An admin created a plan.
        PlanCreated = "admin.plan_created",
        /// An admin changed a plan (price, limits, active).
        PlanUpdated = "admin.plan_updated",
        /// An admin deleted a plan.
        PlanDeleted = "admin.plan_deleted",
    }
}

crate::text_enum! {
    /// The kind of actor of an entry.
    pub enum ActorKind {
        /// A vendor member signed in with a session.
        Member = "member",
        /// A vendor API key (`actor_id` is the key, `actor_label` the
        /// member who created it).
        ApiKey = "api_key",
        /// A platform admin.
        Admin = "admin",
        /// A marketplace buyer.
        Buyer = "buyer",
        /// The server itself (a job, a payment notification).
        System = "system",
        /// Nobody known: a failed sign-in (`actor_label` is the email tried).
        Anonymous = "anonymous",
    }
}

crate::text_enum! {
    /// The kind of thing an entry is about.
    pub enum TargetKind {
        /// A vendor member.
        Member = "member",
        /// An API key.
        ApiKey = "api_key",
        /// A device.
        Device = "device",
        /// An order of a plan.
        Order = "order",
        /// A plan.
        Plan = "plan",
        /// A vendor.
        Vendor = "vendor",
        /// A platform admin.
        Admin = "admin",
        /// A vendor's contact.
        Contact = "contact",
        /// A marketplace buyer.
        Buyer = "buyer",
        /// An exported file (`target_id` names the export: `contacts`,
        /// `campaign_report`, `overview`, `vendors`, `subscriptions`,
        /// `audit`).
        Export = "export",
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A vendor member with a session.
    Member(MemberId),
    /// A vendor API key, created by a member.
    ApiKey {
        /// The key.
        key: ApiKeyId,
        /// The member who created it.
        member: MemberId,
    },
    /// A platform admin.
    Admin(AdminId),
    /// A marketplace buyer.
    Buyer(BuyerId),
    /// The server itself.
    System,
    /// Nobody known; the label says who it claimed to be (the email of a
    /// failed sign-in), cut to [`Actor::LABEL_MAX`] characters.
    Anonymous(String),
}

impl Actor {
    /// Longest stored label.
    pub const LABEL_MAX: usize = 200;

    /// The stored kind, id and label.
    pub(super) fn parts(&self) -> (ActorKind, Option<String>, Option<String>) {
        match self {
            Self::Member(m) => (ActorKind::Member, Some(m.to_string()), None),
            Self::ApiKey { key, member } => (
                ActorKind::ApiKey,
                Some(key.to_string()),
                Some(member.to_string()),
            ),
            Self::Admin(a) => (ActorKind::Admin, Some(a.to_string()), None),
            Self::Buyer(b) => (ActorKind::Buyer, Some(b.to_string()), None),
            Self::System => (ActorKind::System, None, None),
            Self::Anonymous(label) => (
                ActorKind::Anonymous,
                None,
                Some(label.chars().take(Self::LABEL_MAX).collect()),
            ),
        }
    }
}

impl From<&CurrentMember> for Actor {
    fn from(m: &CurrentMember) -> Self {
        match &m.method {
            AuthMethod::Session { .. } => Self::Member(m.member().clone()),
            AuthMethod::ApiKey { key_id } => Self::ApiKey {
                key: key_id.clone(),
                member: m.member().clone(),
            },
        }
    }
}

impl From<&AdminUser> for Actor {
    fn from(a: &AdminUser) -> Self {
        Self::Admin(a.admin_id.clone())
    }
}

/// An entry to record: built by the feature where the action happens and
/// handed to [`crate::audit::record`] or [`crate::audit::record_in`].
/// Secrets never go in: an API key's prefix, never the key; a device's
/// secret names, never their values.
#[derive(Debug, Clone)]
#[must_use = "an entry is recorded by audit::record or audit::record_in"]
pub struct Entry {
    pub(super) action: Action,
    pub(super) actor: Actor,
    pub(super) tenant: Option<TenantId>,
    pub(super) target: Option<(TargetKind, String)>,
    pub(super) before: Option<serde_json::Value>,
    pub(super) after: Option<serde_json::Value>,
    pub(super) source: Source,
}

impl Entry {
    /// `actor` did `action` (on the platform's chain until
    /// [`Entry::tenant`] names a vendor).
    pub fn new(action: Action, actor: impl Into<Actor>) -> Self {
        Self {
            action,
            actor: actor.into(),
            tenant: None,
            target: None,
            before: None,
            after: None,
            source: super::source::current(),
        }
    }

    /// `member` did `action` in its vendor.
    pub fn by_member(action: Action, member: &CurrentMember) -> Self {
        Self::new(action, member).tenant(member.tenant())
    }

    /// Another action than the one it was built with (an entry built
    /// before the outcome is known).
    pub fn action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }

    /// The vendor the action concerns: the entry goes on its chain and it
    /// sees the entry.
    pub fn tenant(mut self, tenant: &TenantId) -> Self {
        self.tenant = Some(tenant.clone());
        self
    }

    /// What the action was done to.
    pub fn target(mut self, kind: TargetKind, id: impl std::fmt::Display) -> Self {
        self.target = Some((kind, id.to_string()));
        self
    }

    /// An export: which one (`contacts`, `campaign_report`, ...), in which
    /// format and how many rows.
    pub fn export(
        self,
        what: &str,
        format: crate::http::export::ExportFormat,
        rows: usize,
    ) -> Self {
        self.target(TargetKind::Export, what)
            .after(serde_json::json!({ "format": format.extension(), "rows": rows }))
    }

    /// The state before the change (no secrets).
    pub fn before(mut self, value: serde_json::Value) -> Self {
        self.before = Some(value);
        self
    }

    /// The state after the change, or the action's details (no secrets).
    pub fn after(mut self, value: serde_json::Value) -> Self {
        self.after = Some(value);
        self
    }
}

/// Where a request came from: the client's IP (as [`crate::http::extract::ClientIp`]
/// sees it) and its `User-Agent`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The client IP.
    pub ip: Option<String>,
    /// The `User-Agent` header, cut to [`Source::USER_AGENT_MAX`] characters.
    pub user_agent: Option<String>,
}

impl Source {
    /// Longest stored user agent.
    pub const USER_AGENT_MAX: usize = 400;
}

/// One stored entry exactly as the hash covers it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEntry {
    /// Id (uuid v7).
    pub id: String,
    /// The chain: the vendor's id, or [`crate::audit::PLATFORM_CHAIN`].
    pub chain: String,
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The vendor, if any.
    pub tenant_id: Option<String>,
    /// Unix milliseconds.
    pub at: i64,
    /// [`Action`]'s stored name.
    pub action: String,
    /// [`ActorKind`]'s stored name.
    pub actor_kind: String,
    /// Member, key or admin id.
    pub actor_id: Option<String>,
    /// The key's member, or the email of a failed sign-in.
    pub actor_label: Option<String>,
    /// [`TargetKind`]'s stored name.
    pub target_kind: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// JSON before the change.
    pub before_json: Option<String>,
    /// JSON after the change.
    pub after_json: Option<String>,
    /// The previous entry's hash (the anchor's for the first kept entry).
    pub prev_hash: String,
    /// SHA-256 (hex) of `prev_hash` and this entry.
    pub hash: String,
}

/// A chain's head and anchor.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChainHead {
    /// The chain.
    pub chain: String,
    /// The newest entry's position.
    pub head_seq: i64,
    /// The newest entry's hash.
    pub head_hash: String,
    /// The newest pruned entry's position (0: nothing pruned).
    pub anchor_seq: i64,
    /// The newest pruned entry's hash.
    pub anchor_hash: String,
}

/// Who acted, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorView {
    /// The kind of actor.
    pub kind: ActorKind,
    /// Member, API key or admin id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For an API key the member who created it; for a failed sign-in the
    /// email tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What the action was done to, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetView {
    /// The kind of target.
    pub kind: TargetKind,
    /// Its id (for an export: which export).
    pub id: String,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Id.
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    /// The vendor it concerns (none for platform entries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// What happened.
    pub action: Action,
    /// Who did it.
    pub actor: ActorView,
    /// On what.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetView>,
    /// The client's IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The client's user agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// State before the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// State after the change, or the action's details.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// A page of entries, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditEntryView>,
    /// How many entries match the filters.
    pub total: i64,
}

/// Filters and paging of the audit lists and exports.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action (e.g. `auth.login_failed`).
    pub action: Option<String>,
    /// Only entries by this actor: a member, API key or admin id, or an
    /// actor kind (`member`, `api_key`, `admin`, `system`, `anonymous`).
    pub actor: Option<String>,
    /// From this time on (unix ms, inclusive).
    pub from: Option<i64>,
    /// Before this time (unix ms, exclusive).
    pub to: Option<i64>,
    /// Only this vendor (admin list only).
    pub tenant_id: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<i64>,
    /// Entries to skip.
    pub offset: Option<i64>,
    /// Export format: `csv` (default) or `xlsx` (exports only).
    pub format: Option<String>,
}

/// The filters, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this vendor's entries.
    pub tenant: Option<TenantId>,
    /// Only this action.
    pub action: Option<Action>,
    /// Only this actor kind.
    pub actor_kind: Option<ActorKind>,
    /// Only this actor id.
    pub actor_id: Option<String>,
    /// From (inclusive, unix ms).
    pub from: Option<i64>,
    /// To (exclusive, unix ms).
    pub to: Option<i64>,
}

/// Why the chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// The entry's stored hash is not the hash of its content.
    HashMismatch,
    /// The entry's previous hash is not the hash of the entry before it
    /// (or of the anchor).
    PrevMismatch,
    /// Entries are missing before this one (its position skips some).
    Gap {
        /// The position expected here.
        expected_seq: i64,
    },
    /// The newest entries are missing: the chain's head names a later
    /// position or another hash than its last entry.
    HeadMismatch {
        /// The head's position.
        head_seq: i64,
    },
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::HashMismatch => f.write_str("the entry's content does not match its hash"),
            Self::PrevMismatch => {
                f.write_str("the entry does not link to the hash of the entry before it")
            }
            Self::Gap { expected_seq } => write!(
                f,
                "entries are missing before this one (expected position {expected_seq})"
            ),
            Self::HeadMismatch { head_seq } => write!(
                f,
                "entries after this one are missing or altered (the chain's head is position {head_seq})"
            ),
        }
    }
}

/// The first broken link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The chain.
    pub chain: String,
    /// The entry where it breaks (for a head mismatch: the last entry
    /// kept), `None` when the chain has no entry left at all.
    pub entry_id: Option<String>,
    /// Its position.
    pub seq: i64,
    /// Its time (unix ms), when there is an entry.
    pub at: Option<i64>,
    /// Its vendor.
    pub tenant_id: Option<String>,
    /// What is wrong.
    pub reason: Broken,
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// Chains checked.
    pub chains: u64,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}
