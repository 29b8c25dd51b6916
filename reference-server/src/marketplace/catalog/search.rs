//! Catalog search: one interface ([`search`]) over SQLite FTS5 and
//! PostgreSQL text search, with filters, sorts and cursor pagination.
//!
//! The index is engine-specific, so [`prepare`] creates it at start rather
//! than a migration (migrations are shared by both engines):
//!
//! * SQLite: an FTS5 table over `mkt_products` (external content, keyed by
//!   the row's rowid) kept in step by triggers; tokens are Unicode words
//!   with diacritics folded, each matched as a prefix.
//! * PostgreSQL: a stored generated `tsvector` column (`simple`
//!   configuration: no stemming, which suits Indonesian) with a GIN
//!   index; tokens are matched as prefixes (`kaos:* & merah:*`).
//!
//! Pagination is by keyset: the cursor holds the last row's sort key and
//! id, so a page is an index range whatever the depth.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::{IntoParams, ToSchema};

use super::model::ProductSummary;
use crate::DbKind;
use crate::domain::TenantId;
use crate::http::AppError;
use crate::http::i18n::Text;

crate::text_enum! {
    /// Order of search results.
    pub enum SearchSort {
        /// Newest first (default).
        Newest = "newest",
        /// Cheapest first.
        PriceAsc = "price_asc",
        /// Most expensive first.
        PriceDesc = "price_desc",
        /// Best rated first.
        Rating = "rating",
        /// Most units sold first.
        BestSelling = "best_selling",
    }
}

/// Search filters and paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find in name, category and description (prefixes match).
    pub q: Option<String>,
    /// Category (exact, lower-case).
    pub category: Option<String>,
    /// Only this vendor's products.
    pub vendor: Option<TenantId>,
    /// Cheapest variant at least this many rupiah.
    pub min_price: Option<i64>,
    /// Cheapest variant at most this many rupiah.
    pub max_price: Option<i64>,
    /// Only products with an active variant in stock.
    pub in_stock: Option<bool>,
    /// Average rating at least this (0-5).
    pub min_rating: Option<f64>,
    /// Order (default `newest`).
    pub sort: Option<SearchSort>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 20).
    pub limit: Option<i64>,
}

/// One page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// The products.
    pub items: Vec<ProductSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Creates the engine's search index (idempotent).
pub async fn prepare(pool: &AnyPool, kind: DbKind) -> Result<(), sqlx::Error> {
    match kind {
        DbKind::Sqlite => {
            let mut tx = pool.begin().await?;
            for sql in [
                "CREATE VIRTUAL TABLE IF NOT EXISTS mkt_products_fts USING fts5(\
                 name, category, description, content='mkt_products', content_rowid='rowid', \
                 tokenize='unicode61 remove_diacritics 2')",
                "CREATE TRIGGER IF NOT EXISTS mkt_products_fts_insert AFTER INSERT ON mkt_products BEGIN \
                 INSERT INTO mkt_products_fts (rowid, name, category, description) \
                 VALUES (new.rowid, new.name, new.category, new.description); END",
                "CREATE TRIGGER IF NOT EXISTS mkt_products_fts_delete AFTER DELETE ON mkt_products BEGIN \
                 INSERT INTO mkt_products_fts (mkt_products_fts, rowid, name, category, description) \
                 VALUES ('delete', old.rowid, old.name, old.category, old.description); END",
                "CREATE TRIGGER IF NOT EXISTS mkt_products_fts_update \
                 AFTER UPDATE OF name, category, description ON mkt_products BEGIN \
                 INSERT INTO mkt_products_fts (mkt_products_fts, rowid, name, category, description) \
                 VALUES ('delete', old.rowid, old.name, old.category, old.description); \
                 INSERT INTO mkt_products_fts (rowid, name, category, description) \
                 VALUES (new.rowid, new.name, new.category, new.description); END",
            ] {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            tx.commit().await
        }
        DbKind::Postgres => {
            let mut tx = pool.begin().await?;
            // Two processes starting at once: one creates, the other waits.
            sqlx::query("SELECT pg_advisory_xact_lock(400400)")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "ALTER TABLE mkt_products ADD COLUMN IF NOT EXISTS search tsvector \
                 GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || category || ' ' || description)) STORED",
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "CREATE INDEX IF NOT EXISTS mkt_products_search_idx ON mkt_products USING GIN (search)",
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
    }
}

/// The words of a query: letters and digits only, lower-case, at most 8.
fn tokens(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

/// The engine's match expression for `tokens` (which hold only letters
/// and digits, so nothing needs escaping).
fn match_expr(kind: DbKind, tokens: &[String]) -> String {
    match kind {
        DbKind::Sqlite => tokens
            .iter()
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" "),
        DbKind::Postgres => tokens
            .iter()
            .map(|t| format!("{t}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

fn bad_cursor() -> AppError {
    AppError::bad_request(
        "invalid_cursor",
        Text::new(
            "cursor tidak valid; pakai next_cursor dari halaman sebelumnya",
            "invalid cursor; use next_cursor of the previous page",
        ),
    )
}

fn encode_cursor(key: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{key}:{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), AppError> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(raw).map_err(|_| bad_cursor())?;
    let (key, id) = text.split_once(':').ok_or_else(bad_cursor)?;
    Ok((key.parse().map_err(|_| bad_cursor())?, id.to_owned()))
}

enum Arg {
    Int(i64),
    Text(String),
}

/// Searches the published catalog.
pub async fn search(pool: &AnyPool, kind: DbKind, q: &SearchQuery) -> Result<SearchPage, AppError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            Text::new("limit: antara 1 dan 100", "limit: between 1 and 100"),
        ));
    }
    if q.min_price.is_some_and(|p| p < 0) || q.max_price.is_some_and(|p| p < 0) {
        return Err(AppError::bad_request(
            "invalid_price",
            Text::new(
                "min_price dan max_price tidak boleh negatif",
                "min_price and max_price must not be negative",
            ),
        ));
    }
    if q.min_rating.is_some_and(|r| !(0.0..=5.0).contains(&r)) {
        return Err(AppError::bad_request(
            "invalid_rating",
            Text::new("min_rating: antara 0 dan 5", "min_rating: between 0 and 5"),
        ));
    }
    let sort = q.sort.unwrap_or(SearchSort::Newest);
    let (key, descending) = match sort {
        SearchSort::Newest => ("p.created_at", true),
        SearchSort::PriceAsc => ("p.min_price_idr", false),
        SearchSort::PriceDesc => ("p.min_price_idr", true),
        SearchSort::Rating => ("p.rating_avg_x100", true),
        SearchSort::BestSelling => ("p.sold_count", true),
    };
    let mut args: Vec<Arg> = vec![Arg::Text("published".to_owned())];
    let mut wheres = vec!["p.status = $1".to_owned()];
    let mut push = |clause: &str, arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        wheres.push(clause.replace("$?", &format!("${}", args.len())));
    };
    let words = q.q.as_deref().map(tokens).unwrap_or_default();
    if !words.is_empty() {
        let clause = match kind {
            DbKind::Sqlite => {
                "p.rowid IN (SELECT rowid FROM mkt_products_fts WHERE mkt_products_fts MATCH $?)"
            }
            DbKind::Postgres => "p.search @@ to_tsquery('simple', $?)",
        };
        push(clause, Arg::Text(match_expr(kind, &words)), &mut args);
    }
    if let Some(c) = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        push("p.category = $?", Arg::Text(c.to_lowercase()), &mut args);
    }
    if let Some(v) = &q.vendor {
        push("p.tenant_id = $?", Arg::Text(v.to_string()), &mut args);
    }
    // The price and rating bounds are written `+column` so no engine
    // answers them from the price or rating index: a bound keeps a large
    // share of the catalog, and walking that index range then sorting it
    // costs far more than reading the sort's index (or the search words'
    // matches) in order and dropping the rows out of bounds.
    if let Some(p) = q.min_price {
        push("+p.min_price_idr >= $?", Arg::Int(p), &mut args);
    }
    if let Some(p) = q.max_price {
        push("+p.min_price_idr <= $?", Arg::Int(p), &mut args);
    }
    if let Some(r) = q.min_rating {
        #[allow(clippy::cast_possible_truncation)]
        let x100 = (r * 100.0).round() as i64;
        push("+p.rating_avg_x100 >= $?", Arg::Int(x100), &mut args);
    }
    if q.in_stock == Some(true) {
        wheres.push(
            "EXISTS (SELECT 1 FROM mkt_variants v WHERE v.product_id = p.id AND v.active = 1 AND v.stock > 0)"
                .to_owned(),
        );
    }
    if let Some(cursor) = &q.cursor {
        let (k, id) = decode_cursor(cursor)?;
        let op = if descending { "<" } else { ">" };
        args.push(Arg::Int(k));
        let kn = args.len();
        args.push(Arg::Text(id));
        let idn = args.len();
        wheres.push(format!(
            "({key} {op} ${kn} OR ({key} = ${kn} AND p.id {op} ${idn}))"
        ));
    }
    let dir = if descending { "DESC" } else { "ASC" };
    args.push(Arg::Int(limit + 1));
    let sql = format!(
        "SELECT p.id, p.tenant_id AS vendor_id, p.name, p.category, p.min_price_idr, p.sold_count, \
         p.rating_count, p.rating_avg_x100, p.created_at, \
         CAST(COALESCE((SELECT SUM(v.stock) FROM mkt_variants v WHERE v.product_id = p.id AND v.active = 1), 0) AS BIGINT) AS stock \
         FROM mkt_products p WHERE {} ORDER BY {key} {dir}, p.id {dir} LIMIT ${}",
        wheres.join(" AND "),
        args.len()
    );
    let mut query = sqlx::query_as::<_, ProductSummary>(&sql);
    for a in args {
        query = match a {
            Arg::Int(i) => query.bind(i),
            Arg::Text(t) => query.bind(t),
        };
    }
    let mut items = query.fetch_all(pool).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(usize::try_from(limit).unwrap_or(20));
        items.last().map(|last| {
            let k = match sort {
                SearchSort::Newest => last.created_at,
                SearchSort::PriceAsc | SearchSort::PriceDesc => last.min_price_idr,
                SearchSort::Rating => last.rating_avg_x100,
                SearchSort::BestSelling => last.sold_count,
            };
            encode_cursor(k, last.id.as_str())
        })
    } else {
        None
    };
    Ok(SearchPage { items, next_cursor })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_keep_only_words() {
        assert_eq!(
            tokens("Kaos  \"Merah\"* OR -x"),
            ["kaos", "merah", "or", "x"]
        );
        assert_eq!(
            match_expr(DbKind::Sqlite, &tokens("kaos merah")),
            "\"kaos\"* \"merah\"*"
        );
        assert_eq!(
            match_expr(DbKind::Postgres, &tokens("kaos merah")),
            "kaos:* & merah:*"
        );
        assert!(
            tokens("'; DROP TABLE x; --")
                .iter()
                .all(|t| t.chars().all(char::is_alphanumeric))
        );
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode_cursor(1234, "0193-abc");
        assert_eq!(decode_cursor(&c).unwrap(), (1234, "0193-abc".to_owned()));
        assert!(decode_cursor("not base64 !").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:y")).is_err());
    }
}
