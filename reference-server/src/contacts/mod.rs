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
//! Functions for other areas (the inbound webhook handler):
//! [`find_or_create`], [`mark_opted_out`], [`is_opt_out_keyword`].

pub mod cli;
mod http;
pub mod import;
pub mod store;

use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::db::{new_id, now_ms};

pub use http::{
    ContactPage, ContactView, CreateContact, CreateGroup, ExportQuery, GroupMembers, GroupView,
    ImportReport, ImportRequest, ListQuery, UpdateContact, run_import,
};

/// The contacts routes (`/api/v1/contacts...`, `/api/v1/contact-groups...`).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// A contact as other areas need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRef {
    /// Contact id.
    pub id: String,
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
    tenant_id: &str,
    phone_e164: &str,
    name: Option<&str>,
) -> Result<ContactRef, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, '{}', 0, $5, $5) ON CONFLICT (tenant_id, phone) DO NOTHING",
    )
    .bind(new_id())
    .bind(tenant_id)
    .bind(phone_e164)
    .bind(name.unwrap_or_default())
    .bind(now)
    .execute(pool)
    .await?;
    let (id, opted_out): (String, i64) =
        sqlx::query_as("SELECT id, opted_out FROM contacts WHERE tenant_id = $1 AND phone = $2")
            .bind(tenant_id)
            .bind(phone_e164)
            .fetch_one(pool)
            .await?;
    Ok(ContactRef {
        id,
        phone: phone_e164.to_owned(),
        opted_out: opted_out != 0,
    })
}

/// Marks the vendor's contact with this E.164 number as opted out
/// (creating the contact if needed), and cancels its queued campaign
/// messages. Returns `true` when it was not opted out before.
pub async fn mark_opted_out(
    pool: &AnyPool,
    tenant_id: &str,
    phone_e164: &str,
) -> Result<bool, sqlx::Error> {
    let c = find_or_create(pool, tenant_id, phone_e164, None).await?;
    let now = now_ms();
    let changed = sqlx::query(
        "UPDATE contacts SET opted_out = 1, opted_out_at = $1, updated_at = $1 \
         WHERE tenant_id = $2 AND id = $3 AND opted_out = 0",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(&c.id)
    .execute(pool)
    .await?
    .rows_affected();
    crate::campaigns::cancel_queued_for_contact(pool, tenant_id, &c.id, "opted_out").await?;
    Ok(changed > 0)
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
