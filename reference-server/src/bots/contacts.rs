//! The contacts the bots touch: opt-outs and plugin tags.
//!
//! The contacts area (CAMPAIGNS) owns the `contacts` and `contact_tags`
//! tables and exposes `crate::contacts::{is_opt_out_keyword,
//! mark_opted_out, find_or_create}`; until that module is part of the
//! build, these functions write the same rows with the same SQL. Switch to
//! the contacts area's functions once it is wired (its `mark_opted_out`
//! also cancels the contact's queued campaign messages; campaigns skip
//! opted-out contacts when they select recipients either way).

use sqlx::AnyPool;

use crate::db::{new_id, now_ms};

/// Whether an inbound text asks to stop messages: `STOP`, `BERHENTI`,
/// `UNSUBSCRIBE`, `STOP PROMO` or `BERHENTI LANGGANAN` (case, surrounding
/// whitespace and punctuation ignored; the whole message must be the word).
pub(crate) fn is_opt_out_keyword(text: &str) -> bool {
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

/// The id of the vendor's contact with this E.164 number, created (with an
/// empty name) when missing.
pub(crate) async fn find_or_create(
    pool: &AnyPool,
    tenant_id: &str,
    phone: &str,
) -> Result<String, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, updated_at) \
         VALUES ($1, $2, $3, '', '{}', 0, $4, $4) ON CONFLICT (tenant_id, phone) DO NOTHING",
    )
    .bind(new_id())
    .bind(tenant_id)
    .bind(phone)
    .bind(now)
    .execute(pool)
    .await?;
    let (id,): (String,) =
        sqlx::query_as("SELECT id FROM contacts WHERE tenant_id = $1 AND phone = $2")
            .bind(tenant_id)
            .bind(phone)
            .fetch_one(pool)
            .await?;
    Ok(id)
}

/// Marks the vendor's contact with this number as opted out (creating the
/// contact if needed). Returns whether it was not opted out before.
pub(crate) async fn mark_opted_out(
    pool: &AnyPool,
    tenant_id: &str,
    phone: &str,
) -> Result<bool, sqlx::Error> {
    let id = find_or_create(pool, tenant_id, phone).await?;
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE contacts SET opted_out = 1, opted_out_at = $1, updated_at = $1 \
         WHERE tenant_id = $2 AND id = $3 AND opted_out = 0",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(&id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
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
        for t in ["stop dulu ya kak, mau tanya", "halo", ""] {
            assert!(!is_opt_out_keyword(t), "{t}");
        }
    }
}
