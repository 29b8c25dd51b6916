//! Every SQL statement on the tables of `audit`: `audit_chains` and
//! `audit_log`. Vendor reads carry `tenant_id = $n`.

use sqlx::{AnyConnection, AnyPool};

use super::model::{ChainHead, Filter, StoredEntry};

/// Every column of `audit_log`, in [`StoredEntry`]'s order.
const COLUMNS: &str = "id, chain, seq, tenant_id, at, action, actor_kind, actor_id, actor_label, \
     target_kind, target_id, ip, user_agent, before_json, after_json, prev_hash, hash";

/// Creates the chain's row when it has none yet (a no-op otherwise).
pub(super) async fn ensure_chain(
    conn: &mut AnyConnection,
    chain: &str,
    genesis: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_chains (chain, head_seq, head_hash, anchor_seq, anchor_hash) \
         VALUES ($1, 0, $2, 0, $2) ON CONFLICT (chain) DO NOTHING",
    )
    .bind(chain)
    .bind(genesis)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the next position of the chain and locks the chain's row until
/// the transaction ends (PostgreSQL's row lock; SQLite's write lock):
/// answers the new position and the hash of the entry before it.
pub(super) async fn advance_head(
    conn: &mut AnyConnection,
    chain: &str,
) -> Result<(i64, String), sqlx::Error> {
    sqlx::query_as(
        "UPDATE audit_chains SET head_seq = head_seq + 1 WHERE chain = $1 \
         RETURNING head_seq, head_hash",
    )
    .bind(chain)
    .fetch_one(conn)
    .await
}

/// Stores an entry.
pub(super) async fn insert(conn: &mut AnyConnection, e: &StoredEntry) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO audit_log ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(&e.id)
    .bind(&e.chain)
    .bind(e.seq)
    .bind(&e.tenant_id)
    .bind(e.at)
    .bind(&e.action)
    .bind(&e.actor_kind)
    .bind(&e.actor_id)
    .bind(&e.actor_label)
    .bind(&e.target_kind)
    .bind(&e.target_id)
    .bind(&e.ip)
    .bind(&e.user_agent)
    .bind(&e.before_json)
    .bind(&e.after_json)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the hash of the chain's newest entry.
pub(super) async fn set_head_hash(
    conn: &mut AnyConnection,
    chain: &str,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE audit_chains SET head_hash = $1 WHERE chain = $2")
        .bind(hash)
        .bind(chain)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every chain, in name order.
pub(super) async fn chains(pool: &AnyPool) -> Result<Vec<ChainHead>, sqlx::Error> {
    sqlx::query_as(
        "SELECT chain, head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chains ORDER BY chain",
    )
    .fetch_all(pool)
    .await
}

/// Up to `limit` entries of the chain after position `after`, in order.
pub(super) async fn chain_entries(
    pool: &AnyPool,
    chain: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    ))
    .bind(chain)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A bound value of a filter.
enum Bind {
    Text(String),
    Int(i64),
}

/// The `WHERE` clause of `filter` and its values.
fn where_clause(filter: &Filter) -> (String, Vec<Bind>) {
    let mut sql = String::from("1 = 1");
    let mut binds = Vec::new();
    let mut add = |clause: &str, value: Bind| {
        binds.push(value);
        sql.push_str(&format!(" AND {clause} ${}", binds.len()));
    };
    if let Some(t) = &filter.tenant {
        add("tenant_id =", Bind::Text(t.to_string()));
    }
    if let Some(a) = filter.action {
        add("action =", Bind::Text(a.as_str().to_owned()));
    }
    if let Some(k) = filter.actor_kind {
        add("actor_kind =", Bind::Text(k.as_str().to_owned()));
    }
    if let Some(id) = &filter.actor_id {
        add("actor_id =", Bind::Text(id.clone()));
    }
    if let Some(from) = filter.from {
        add("at >=", Bind::Int(from));
    }
    if let Some(to) = filter.to {
        add("at <", Bind::Int(to));
    }
    (sql, binds)
}

/// The entries matching `filter`, newest first, and how many match.
pub(super) async fn page(
    pool: &AnyPool,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<StoredEntry>, i64), sqlx::Error> {
    let (where_sql, binds) = where_clause(filter);
    let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {where_sql}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        count = match b {
            Bind::Text(s) => count.bind(s.clone()),
            Bind::Int(i) => count.bind(*i),
        };
    }
    let total = count.fetch_one(pool).await?;
    let n = binds.len();
    let list_sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE {where_sql} \
         ORDER BY at DESC, id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut list = sqlx::query_as::<_, StoredEntry>(&list_sql);
    for b in &binds {
        list = match b {
            Bind::Text(s) => list.bind(s.clone()),
            Bind::Int(i) => list.bind(*i),
        };
    }
    let items = list.bind(limit).bind(offset).fetch_all(pool).await?;
    Ok((items, total))
}

/// Locks the chain's row for a prune (as [`advance_head`] does for an
/// append) and answers it.
pub(super) async fn lock_chain(
    conn: &mut AnyConnection,
    chain: &str,
) -> Result<Option<ChainHead>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE audit_chains SET anchor_seq = anchor_seq WHERE chain = $1 \
         RETURNING chain, head_seq, head_hash, anchor_seq, anchor_hash",
    )
    .bind(chain)
    .fetch_optional(conn)
    .await
}

/// The newest entry of the chain older than `cutoff`: position and hash.
pub(super) async fn newest_before(
    conn: &mut AnyConnection,
    chain: &str,
    cutoff: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, hash FROM audit_log WHERE chain = $1 AND at < $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(chain)
    .bind(cutoff)
    .fetch_optional(conn)
    .await
}

/// Deletes the chain's entries up to position `seq` and makes that entry
/// the anchor; answers how many were deleted.
pub(super) async fn prune_through(
    conn: &mut AnyConnection,
    chain: &str,
    seq: i64,
    hash: &str,
) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM audit_log WHERE chain = $1 AND seq <= $2")
        .bind(chain)
        .bind(seq)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query("UPDATE audit_chains SET anchor_seq = $1, anchor_hash = $2 WHERE chain = $3")
        .bind(seq)
        .bind(hash)
        .bind(chain)
        .execute(conn)
        .await?;
    Ok(deleted)
}

/// The chains that have entries older than `cutoff`.
pub(super) async fn chains_with_entries_before(
    pool: &AnyPool,
    cutoff: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT chain FROM audit_log WHERE at < $1 ORDER BY chain")
        .bind(cutoff)
        .fetch_all(pool)
        .await
}

/// Deletes a chain with all its entries.
pub(super) async fn erase_chain(conn: &mut AnyConnection, chain: &str) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM audit_log WHERE chain = $1",
        "DELETE FROM audit_chains WHERE chain = $1",
    ] {
        sqlx::query(sql).bind(chain).execute(&mut *conn).await?;
    }
    Ok(())
}
