//! SQL on the bots' analytics tables: `bot_keyword_hits` (matches of the
//! plugins' rules per vendor-local day) and the reads of `llm_usage` (its
//! inserts are the usage store in [`super::llm`]).

use sqlx::AnyPool;

use crate::domain::TenantId;

/// Counts what the plugins' replies matched (keyword rule ids ...) in
/// `bot_keyword_hits`: `(tenant, day, keyword)` per match, `day` being
/// today in the vendor's time zone; one upsert per chunk of distinct keys.
pub(crate) async fn record_keyword_hits(
    c: &mut sqlx::AnyConnection,
    matched: &[(&str, &str, &str)],
) -> Result<(), sqlx::Error> {
    let mut counts: std::collections::BTreeMap<(&str, &str, &str), i64> =
        std::collections::BTreeMap::new();
    for m in matched {
        *counts.entry(*m).or_default() += 1;
    }
    let counts: Vec<((&str, &str, &str), i64)> = counts.into_iter().collect();
    crate::db::execute_rows(
        c,
        &counts,
        4,
        |values| {
            format!(
                "INSERT INTO bot_keyword_hits (tenant_id, day, keyword, hits) VALUES {values} \
                 ON CONFLICT (tenant_id, day, keyword) DO UPDATE \
                 SET hits = bot_keyword_hits.hits + excluded.hits"
            )
        },
        |q, ((tenant, day, keyword), n)| q.bind(*tenant).bind(*day).bind(*keyword).bind(*n),
    )
    .await?;
    Ok(())
}

/// A bot keyword rule and how often it matched.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct KeywordHits {
    /// The matched rule id.
    pub(crate) keyword: String,
    /// Matches.
    pub(crate) n: i64,
}

/// The `n` rules with the most hits from `first` to `last` (inclusive,
/// `YYYY-MM-DD` vendor-local days, which compare correctly as text), most
/// hits first (ties by keyword).
pub(crate) async fn top_keywords(
    pool: &AnyPool,
    tenant_id: &TenantId,
    first: &str,
    last: &str,
    n: i64,
) -> Result<Vec<KeywordHits>, sqlx::Error> {
    sqlx::query_as(
        "SELECT keyword, CAST(SUM(hits) AS BIGINT) AS n FROM bot_keyword_hits \
         WHERE tenant_id = $1 AND day >= $2 AND day <= $3 \
         GROUP BY keyword ORDER BY n DESC, keyword LIMIT $4",
    )
    .bind(tenant_id)
    .bind(first)
    .bind(last)
    .bind(n)
    .fetch_all(pool)
    .await
}

/// LLM requests and tokens of a day.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub(crate) struct AiUsage {
    /// The day number.
    #[sqlx(rename = "d")]
    pub(crate) day: i64,
    /// Requests.
    pub(crate) n: i64,
    /// Tokens (input + output).
    #[sqlx(rename = "t")]
    pub(crate) tokens: i64,
}

/// The vendor's LLM requests and tokens since `since` (unix ms) per day
/// number of `(created_at + offset_ms) / 1 day`.
pub(crate) async fn ai_usage_per_day(
    pool: &AnyPool,
    tenant_id: &TenantId,
    offset_ms: i64,
    since: i64,
) -> Result<Vec<AiUsage>, sqlx::Error> {
    sqlx::query_as(
        "SELECT (created_at + $2) / 86400000 AS d, COUNT(*) AS n, \
         COALESCE(CAST(SUM(input_tokens + output_tokens) AS BIGINT), 0) AS t FROM llm_usage \
         WHERE tenant_id = $1 AND created_at >= $3 GROUP BY d",
    )
    .bind(tenant_id)
    .bind(offset_ms)
    .bind(since)
    .fetch_all(pool)
    .await
}

/// A key the vendor's plugins stored in their key-value store.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub(crate) struct PluginKey {
    /// The plugin that stored it.
    pub(crate) plugin: String,
    /// Its key.
    pub(crate) key: String,
}

/// The `LIKE` pattern of keys that contain `text` (`%` and `_` in it
/// match only themselves).
fn containing(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The keys of the tenant's plugin data that contain `text` (a customer's
/// number: plugins key per-customer data by it).
pub(crate) async fn plugin_keys_containing(
    pool: &AnyPool,
    tenant_id: &TenantId,
    text: &str,
) -> Result<Vec<PluginKey>, sqlx::Error> {
    sqlx::query_as(
        "SELECT plugin, key FROM bot_kv WHERE tenant = $1 AND key LIKE $2 ESCAPE '\\' \
         ORDER BY plugin, key",
    )
    .bind(tenant_id)
    .bind(containing(text))
    .fetch_all(pool)
    .await
}

/// Deletes the tenant's plugin data whose keys contain `text`; answers
/// how many entries went.
pub(crate) async fn erase_plugin_keys_containing(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    text: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM bot_kv WHERE tenant = $1 AND key LIKE $2 ESCAPE '\\'")
            .bind(tenant_id)
            .bind(containing(text))
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

/// Deletes every bot table row of a tenant: plugin pipelines and data,
/// AI providers and their usage, keyword statistics.
pub(crate) async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM bot_kv WHERE tenant = $1",
        "DELETE FROM bot_keyword_hits WHERE tenant_id = $1",
        "DELETE FROM device_plugins WHERE tenant_id = $1",
        "DELETE FROM llm_providers WHERE tenant_id = $1",
        "DELETE FROM llm_usage WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(tenant_id).execute(&mut *conn).await?;
    }
    Ok(())
}
