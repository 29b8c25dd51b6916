//! Contacts of a vendor: CRUD, tags, groups, custom fields, opt-out,
//! import (CSV, XLSX, XLS) and export (CSV, XLSX).
//!
//! Phone numbers are normalised to E.164 with
//! [`whatsapp_client::PhoneNumber`] and are unique per vendor. A contact who
//! opted out (replied STOP / BERHENTI, or was marked so) is never selected
//! by a campaign again.
//!
//! `reference-server contacts import` ([`cli`]) runs the same import from
//! the command line with a progress bar.
//!
//! Owns the tables `contacts`, `contact_tags`, `contact_groups`,
//! `contact_group_members` and `contact_field_names`; all SQL on them is in
//! [`store`].
//!
//! Functions for other features (the inbound webhook handler):
//! [`find_or_create`], [`mark_opted_out`], [`is_opt_out_keyword`].

pub mod cli;
pub(crate) mod groups;
mod http;
pub mod import;
pub mod model;
pub mod store;

use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::db::now_ms;
use crate::domain::{ContactId, TenantId};

pub use http::{export_file, run_import};
pub(crate) use http::{get, list, update};
pub use model::{
    Audience, ContactForSend, ContactPage, ContactView, CreateContact, CreateGroup, ExportQuery,
    GroupMembers, GroupView, ImportReport, ImportRequest, ListQuery, UpdateContact,
};

/// The contacts routes (`/api/v1/contacts...`, `/api/v1/contact-groups...`).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// A contact as other features need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRef {
    /// Contact id.
    pub id: ContactId,
    /// E.164 phone number.
    pub phone: String,
    /// Whether the contact opted out of campaigns.
    pub opted_out: bool,
}

/// Whether an inbound text asks to stop campaign messages: `STOP`,
/// `BERHENTI`, `UNSUBSCRIBE` or `STOP PROMO` (case and surrounding
/// whitespace or punctuation ignored; the whole message must be the word).
pub fn is_opt_out_keyword(text: &str) -> bool {
    let t = text
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
    let t = t
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    matches!(
        t.as_str(),
        "stop" | "berhenti" | "unsubscribe" | "stop promo" | "berhenti langganan"
    )
}

/// Finds the vendor's contact with this E.164 number, creating it (with
/// `name`, or an empty name) when it does not exist.
pub async fn find_or_create(
    pool: &AnyPool,
    tenant_id: &TenantId,
    phone_e164: &str,
    name: Option<&str>,
) -> Result<ContactRef, sqlx::Error> {
    let (id, opted_out) = store::find_or_create(pool, tenant_id, phone_e164, name).await?;
    Ok(ContactRef {
        id,
        phone: phone_e164.to_owned(),
        opted_out,
    })
}

/// Marks the vendor's contact with this E.164 number as opted out
/// (creating the contact if needed), and cancels its queued campaign
/// messages. Returns `true` when it was not opted out before.
pub async fn mark_opted_out(
    state: &AppState,
    tenant_id: &TenantId,
    phone_e164: &str,
) -> Result<bool, sqlx::Error> {
    let pool = &state.pool;
    let c = find_or_create(pool, tenant_id, phone_e164, None).await?;
    let changed = store::set_opted_out(pool, tenant_id, &c.id, true, now_ms()).await?;
    (state.services.hooks.contact_withdrawn)(pool, tenant_id, &c.id, "opted_out").await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opt_out_keywords() {
        for t in [
            "STOP",
            " stop ",
            "Berhenti",
            "BERHENTI!",
            "stop promo",
            "Unsubscribe.",
        ] {
            assert!(is_opt_out_keyword(t), "{t}");
        }
        for t in [
            "stop dulu ya kak, mau tanya",
            "berhentikan langganan saya besok",
            "halo",
            "",
        ] {
            assert!(!is_opt_out_keyword(t), "{t}");
        }
    }
}
