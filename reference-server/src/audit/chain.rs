//! The hash chains: appending an entry, verifying every chain, pruning
//! old entries behind an anchor.
//!
//! An entry's hash is SHA-256 over a version tag, the previous entry's
//! hash and every stored field of the entry, each as a presence byte and
//! a length-prefixed UTF-8 string (so no two different entries encode
//! alike). JSON is hashed as the stored text, never re-serialized.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

use super::PLATFORM_CHAIN;
use super::model::{Broken, BrokenLink, ChainHead, Entry, StoredEntry, Verification};
use super::store;
use crate::db::{new_id, now_ms};

/// The "previous hash" of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Entries read per query while verifying.
const VERIFY_BATCH: i64 = 1000;

/// Tag of the encoding, hashed first: a future encoding gets a new tag.
const VERSION: &[u8] = b"audit-v1";

fn field(h: &mut Sha256, value: Option<&str>) {
    match value {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// The hash of `e` (its `hash` field aside) chained to `e.prev_hash`.
pub fn digest(e: &StoredEntry) -> String {
    let mut h = Sha256::new();
    h.update(VERSION);
    field(&mut h, Some(&e.prev_hash));
    field(&mut h, Some(&e.id));
    field(&mut h, Some(&e.chain));
    field(&mut h, Some(&e.seq.to_string()));
    field(&mut h, e.tenant_id.as_deref());
    field(&mut h, Some(&e.at.to_string()));
    field(&mut h, Some(&e.action));
    field(&mut h, Some(&e.actor_kind));
    field(&mut h, e.actor_id.as_deref());
    field(&mut h, e.actor_label.as_deref());
    field(&mut h, e.target_kind.as_deref());
    field(&mut h, e.target_id.as_deref());
    field(&mut h, e.ip.as_deref());
    field(&mut h, e.user_agent.as_deref());
    field(&mut h, e.before_json.as_deref());
    field(&mut h, e.after_json.as_deref());
    hex::encode(h.finalize())
}

/// The chain an entry of `tenant` goes on.
fn chain_of(entry: &Entry) -> String {
    entry
        .tenant
        .as_ref()
        .map_or_else(|| PLATFORM_CHAIN.to_owned(), ToString::to_string)
}

/// Appends `entry` to its chain on `conn`, which must be inside a write
/// transaction: the chain's row stays locked until it ends, so concurrent
/// appends (other tasks, other server processes) queue behind it and the
/// chain never forks.
pub(super) async fn append(conn: &mut AnyConnection, entry: Entry) -> Result<(), sqlx::Error> {
    let chain = chain_of(&entry);
    store::ensure_chain(conn, &chain, GENESIS).await?;
    let (seq, prev_hash) = store::advance_head(conn, &chain).await?;
    let (actor_kind, actor_id, actor_label) = entry.actor.parts();
    let (target_kind, target_id) = entry.target.map_or((None, None), |(k, id)| {
        (Some(k.as_str().to_owned()), Some(id))
    });
    let mut row = StoredEntry {
        id: new_id(),
        chain: chain.clone(),
        seq,
        tenant_id: entry.tenant.map(|t| t.to_string()),
        // Taken under the chain's lock, so times rise along a chain.
        at: now_ms(),
        action: entry.action.as_str().to_owned(),
        actor_kind: actor_kind.as_str().to_owned(),
        actor_id,
        actor_label,
        target_kind,
        target_id,
        ip: entry.source.ip,
        user_agent: entry.source.user_agent,
        before_json: entry.before.map(|v| v.to_string()),
        after_json: entry.after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    row.hash = digest(&row);
    store::insert(conn, &row).await?;
    store::set_head_hash(conn, &chain, &row.hash).await
}

/// Checks every chain from its anchor to its head and reports the first
/// broken link: a changed entry, a missing one, one that does not link to
/// the entry before it, or a head that names entries no longer there.
pub async fn verify(pool: &AnyPool) -> Result<Verification, sqlx::Error> {
    let mut report = Verification {
        entries: 0,
        chains: 0,
        broken: None,
    };
    for head in store::chains(pool).await? {
        report.chains += 1;
        let (checked, broken) = verify_chain(pool, &head).await?;
        report.entries += checked;
        if broken.is_some() {
            report.broken = broken;
            return Ok(report);
        }
    }
    Ok(report)
}

async fn verify_chain(
    pool: &AnyPool,
    head: &ChainHead,
) -> Result<(u64, Option<BrokenLink>), sqlx::Error> {
    let mut expected_seq = head.anchor_seq + 1;
    let mut prev_hash = head.anchor_hash.clone();
    let mut last: Option<StoredEntry> = None;
    let mut checked = 0u64;
    let link = |e: &StoredEntry, reason: Broken| BrokenLink {
        chain: head.chain.clone(),
        entry_id: Some(e.id.clone()),
        seq: e.seq,
        at: Some(e.at),
        tenant_id: e.tenant_id.clone(),
        reason,
    };
    loop {
        let batch = store::chain_entries(pool, &head.chain, expected_seq - 1, VERIFY_BATCH).await?;
        let full = batch.len() as i64 == VERIFY_BATCH;
        for e in batch {
            checked += 1;
            if e.seq != expected_seq {
                return Ok((checked, Some(link(&e, Broken::Gap { expected_seq }))));
            }
            if e.prev_hash != prev_hash {
                return Ok((checked, Some(link(&e, Broken::PrevMismatch))));
            }
            if digest(&e) != e.hash {
                return Ok((checked, Some(link(&e, Broken::HashMismatch))));
            }
            prev_hash.clone_from(&e.hash);
            expected_seq += 1;
            last = Some(e);
        }
        if !full {
            break;
        }
    }
    if expected_seq - 1 != head.head_seq || prev_hash != head.head_hash {
        let reason = Broken::HeadMismatch {
            head_seq: head.head_seq,
        };
        return Ok((
            checked,
            Some(match &last {
                Some(e) => link(e, reason),
                None => BrokenLink {
                    chain: head.chain.clone(),
                    entry_id: None,
                    seq: head.anchor_seq,
                    at: None,
                    tenant_id: (head.chain != PLATFORM_CHAIN).then(|| head.chain.clone()),
                    reason,
                },
            }),
        ));
    }
    Ok((checked, None))
}

/// Deletes the entries older than `cutoff` (unix ms) of every chain; the
/// newest deleted entry of a chain becomes its anchor, so the chain still
/// verifies from its oldest kept entry. Answers how many were deleted.
pub async fn prune(pool: &AnyPool, db: crate::DbKind, cutoff: i64) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for chain in store::chains_with_entries_before(pool, cutoff).await? {
        let mut tx = crate::db::begin_write(pool, db).await?;
        if store::lock_chain(&mut tx, &chain).await?.is_some()
            && let Some((seq, hash)) = store::newest_before(&mut tx, &chain, cutoff).await?
        {
            deleted += store::prune_through(&mut tx, &chain, seq, &hash).await?;
        }
        tx.commit().await?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> StoredEntry {
        StoredEntry {
            id: "e1".into(),
            chain: "t1".into(),
            seq: 1,
            tenant_id: Some("t1".into()),
            at: 1_700_000_000_000,
            action: "auth.login".into(),
            actor_kind: "member".into(),
            actor_id: Some("m1".into()),
            actor_label: None,
            target_kind: None,
            target_id: None,
            ip: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
            before_json: None,
            after_json: Some("{\"a\":1}".into()),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = digest(&entry());
        assert_eq!(base.len(), 64);
        assert_eq!(base, digest(&entry()), "the hash is deterministic");
        let changes: Vec<fn(&mut StoredEntry)> = vec![
            |e| e.prev_hash = "1".repeat(64),
            |e| e.id = "e2".into(),
            |e| e.seq = 2,
            |e| e.tenant_id = None,
            |e| e.at += 1,
            |e| e.action = "auth.login_failed".into(),
            |e| e.actor_id = Some("m2".into()),
            |e| e.actor_label = Some(String::new()),
            |e| e.ip = None,
            |e| e.after_json = Some("{\"a\":2}".into()),
        ];
        for change in changes {
            let mut e = entry();
            change(&mut e);
            assert_ne!(digest(&e), base);
        }
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        // The same bytes split differently between two fields hash apart.
        let mut a = entry();
        a.actor_id = Some("ab".into());
        a.actor_label = Some("c".into());
        let mut b = entry();
        b.actor_id = Some("a".into());
        b.actor_label = Some("bc".into());
        assert_ne!(digest(&a), digest(&b));
        // An absent field differs from an empty one.
        let mut c = entry();
        c.target_id = Some(String::new());
        assert_ne!(digest(&c), digest(&entry()));
    }
}
