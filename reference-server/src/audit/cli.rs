//! `reference-server verify-audit`: checks every chain of the audit trail.

use std::io::Write;

use sqlx::AnyPool;

use super::model::{BrokenLink, Verification};

/// Verifies the trail of the database at `pool` and writes the outcome to
/// `out`: `OK` with the number of entries and chains, or the first broken
/// link (entry id, time, vendor, what is wrong). Answers the verification;
/// the command exits non-zero when it found a broken link.
pub async fn verify_command(
    pool: &AnyPool,
    out: &mut impl Write,
) -> Result<Verification, crate::StartError> {
    let report = super::verify(pool)
        .await
        .map_err(|e| crate::http::AppError::internal_from("reading the audit trail", e))?;
    let written = match &report.broken {
        None => writeln!(
            out,
            "OK: audit trail intact, {} entries in {} chains",
            report.entries, report.chains
        ),
        Some(link) => writeln!(out, "{}", describe(link)),
    };
    written?;
    Ok(report)
}

/// One line naming the first broken link.
pub fn describe(link: &BrokenLink) -> String {
    let at = link
        .at
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "-".to_owned(),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        );
    format!(
        "BROKEN: chain {chain}, entry {id} (position {seq}, time {at}, tenant {tenant}): {reason}",
        chain = link.chain,
        id = link.entry_id.as_deref().unwrap_or("-"),
        seq = link.seq,
        tenant = link.tenant_id.as_deref().unwrap_or("-"),
        reason = link.reason,
    )
}
