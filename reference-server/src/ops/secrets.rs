//! Passes over every stored secret: re-encryption with the current key
//! (`reference-server rotate-key`) and the readability check of
//! `reference-server doctor`.
//!
//! Each encrypted column is listed in [`COLUMNS`] with its feature's page
//! and replace functions. Rows are read in id order, a page at a time, and
//! a value is replaced only if it is still the one read, so a server
//! writing the same row meanwhile wins (its value is made with its own
//! current key, which every configured server can read during a
//! rotation).

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use sqlx::AnyPool;

use crate::crypto::{Crypto, StoredSecret};

/// Rows read per query.
const PAGE: i64 = 200;

type PageFn =
    for<'a> fn(&'a AnyPool, &'a str, i64) -> BoxFuture<'a, Result<Vec<StoredSecret>, sqlx::Error>>;
type ReplaceFn =
    for<'a> fn(&'a AnyPool, &'a str, &'a str, &'a str) -> BoxFuture<'a, Result<bool, sqlx::Error>>;

/// An encrypted column and its feature's functions.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// `table.column`, for reports.
    pub name: &'static str,
    page: PageFn,
    replace: ReplaceFn,
}

/// Every column holding values encrypted with the at-rest key.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "devices.secrets",
        page: |pool, after, limit| {
            Box::pin(crate::devices::store::secrets_page(pool, after, limit))
        },
        replace: |pool, id, old, new| {
            Box::pin(crate::devices::store::replace_secrets(pool, id, old, new))
        },
    },
    Column {
        name: "llm_providers.api_key",
        page: |pool, after, limit| Box::pin(crate::bots::llm::api_keys_page(pool, after, limit)),
        replace: |pool, id, old, new| {
            Box::pin(crate::bots::llm::replace_api_key(pool, id, old, new))
        },
    },
];

/// What a pass found in one column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnReport {
    /// `table.column`.
    pub name: &'static str,
    /// Values read.
    pub total: u64,
    /// Values by the id of the key that made them, before the pass
    /// (`"none"`: written before key ids were stored).
    pub by_key: BTreeMap<String, u64>,
    /// Values encrypted again with the current key.
    pub rewritten: u64,
    /// Values the server changed between read and replace (left as the
    /// server wrote them).
    pub changed_meanwhile: u64,
    /// Ids of rows whose value no configured key decrypts.
    pub unreadable: Vec<String>,
}

impl ColumnReport {
    /// Values not made with the current key, after the pass.
    pub fn not_current(&self, crypto: &Crypto) -> u64 {
        let before: u64 = self
            .by_key
            .iter()
            .filter(|(id, _)| id.as_str() != crypto.key_id())
            .map(|(_, n)| n)
            .sum();
        before.saturating_sub(self.rewritten)
    }
}

/// Reads every encrypted value; with `rewrite`, encrypts again with the
/// current key each one made with another key (or with no key id).
/// Values are never printed or logged.
pub async fn sweep(
    pool: &AnyPool,
    crypto: &Crypto,
    rewrite: bool,
) -> Result<Vec<ColumnReport>, sqlx::Error> {
    let mut reports = Vec::with_capacity(COLUMNS.len());
    for column in COLUMNS {
        let mut report = ColumnReport {
            name: column.name,
            ..ColumnReport::default()
        };
        let mut after = String::new();
        loop {
            let page = (column.page)(pool, &after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after.clone_from(&last.id);
            for secret in &page {
                report.total += 1;
                let key = Crypto::stored_key_id(&secret.ciphertext).unwrap_or("none");
                *report.by_key.entry(key.to_owned()).or_default() += 1;
                match crypto.reencrypt(&secret.ciphertext, &secret.aad) {
                    Err(_) => report.unreadable.push(secret.id.clone()),
                    Ok(None) => {}
                    Ok(Some(fresh)) if rewrite => {
                        if (column.replace)(pool, &secret.id, &secret.ciphertext, &fresh).await? {
                            report.rewritten += 1;
                        } else {
                            report.changed_meanwhile += 1;
                        }
                    }
                    Ok(Some(_)) => {}
                }
            }
        }
        reports.push(report);
    }
    Ok(reports)
}
