//! Reads of other features' tables that campaigns need and their owners
//! do not offer yet. Each function names the feature that owns the table
//! and should take the function over; campaigns then calls it there.

use std::collections::{BTreeMap, HashSet};

use sqlx::AnyPool;

use super::model::Audience;
use crate::contacts::store::{parse_fields, placeholders};
use crate::domain::{ContactId, TenantId};

/// The vendor's own time zone (`tenants.time_zone`), `None` for an unknown
/// tenant. Moves to `tenants` (a tenant's time zone).
pub(crate) async fn tenant_time_zone(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT time_zone FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(pool)
        .await
}

/// The vendor's language code (`tenants.locale`), `None` for an unknown
/// tenant. Moves to `tenants` (a tenant's locale).
pub(crate) async fn tenant_locale(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT locale FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(pool)
        .await
}

/// What a send needs of a contact.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ContactForSend {
    /// Name (may be empty).
    pub(crate) name: String,
    /// Custom fields as stored (JSON object).
    fields: String,
    /// 1 when the contact opted out.
    opted_out: i64,
}

impl ContactForSend {
    /// Whether the contact opted out.
    pub(crate) fn opted_out(&self) -> bool {
        self.opted_out != 0
    }

    /// The custom fields.
    pub(crate) fn fields(&self) -> BTreeMap<String, String> {
        parse_fields(&self.fields)
    }
}

/// One contact's name, fields and opt-out, without its tags (one query
/// per send, on the sender's hot path). Moves to `contacts::store`.
pub(crate) async fn contact_for_send(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contact_id: &ContactId,
) -> Result<Option<ContactForSend>, sqlx::Error> {
    sqlx::query_as("SELECT name, fields, opted_out FROM contacts WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(contact_id)
        .fetch_optional(pool)
        .await
}

/// The `WHERE` condition over `contacts c` selecting the audience, with
/// `$1` the tenant id and parameters from `$first` on, and the values to
/// bind for them in order. Reads `contacts`, `contact_tags` and
/// `contact_group_members`. Moves to `contacts::store` (the audience
/// selection), with [`audience_rows_sql`] and [`audience_count`].
pub(crate) fn audience_condition(audience: &Audience, first: usize) -> (String, Vec<String>) {
    let mut binds: Vec<String> = Vec::new();
    let mut sql = String::from("c.tenant_id = $1 AND c.opted_out = 0");
    if audience.all {
        return (sql, binds);
    }
    let mut parts = Vec::new();
    if !audience.tags.is_empty() {
        let p = placeholders(first + binds.len(), audience.tags.len());
        binds.extend(audience.tags.iter().cloned());
        parts.push(format!(
            "c.id IN (SELECT contact_id FROM contact_tags WHERE tenant_id = $1 AND tag IN ({p}))"
        ));
    }
    if !audience.groups.is_empty() {
        let p = placeholders(first + binds.len(), audience.groups.len());
        binds.extend(audience.groups.iter().map(|g| g.as_str().to_owned()));
        parts.push(format!(
            "c.id IN (SELECT contact_id FROM contact_group_members WHERE tenant_id = $1 AND group_id IN ({p}))"
        ));
    }
    if !audience.contact_ids.is_empty() {
        let p = placeholders(first + binds.len(), audience.contact_ids.len());
        binds.extend(audience.contact_ids.iter().map(|c| c.as_str().to_owned()));
        parts.push(format!("c.id IN ({p})"));
    }
    if parts.is_empty() {
        sql.push_str(" AND 1 = 0");
    } else {
        sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }
    (sql, binds)
}

/// A `SELECT` of the audience's contacts as `id`, `phone` and a row number
/// `rn` (1, 2, 3 ... by contact id), for the campaign's one-statement
/// enqueue (`INSERT ... SELECT ... FROM (this) a`). Parameters as in
/// [`audience_condition`]. Moves to `contacts::store`.
pub(crate) fn audience_rows_sql(audience: &Audience, first: usize) -> (String, Vec<String>) {
    let (cond, binds) = audience_condition(audience, first);
    (
        format!(
            "SELECT c.id, c.phone, ROW_NUMBER() OVER (ORDER BY c.id) AS rn FROM contacts c WHERE {cond}"
        ),
        binds,
    )
}

/// How many contacts the audience selects now. Moves to `contacts::store`.
pub(crate) async fn audience_count(
    pool: &AnyPool,
    tenant_id: &TenantId,
    audience: &Audience,
) -> Result<i64, sqlx::Error> {
    let (cond, binds) = audience_condition(audience, 2);
    let sql = format!("SELECT COUNT(*) FROM contacts c WHERE {cond}");
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(tenant_id);
    for b in &binds {
        q = q.bind(b);
    }
    q.fetch_one(pool).await
}

/// The ids among `ids` that are contacts of the tenant. Moves to
/// `contacts::store` (contacts' own group handlers use it too).
pub(crate) async fn known_contact_ids(
    pool: &AnyPool,
    tenant_id: &str,
    ids: &[impl AsRef<str>],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id FROM contacts WHERE tenant_id = $1 AND id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(tenant_id);
        for id in chunk {
            q = q.bind(id.as_ref());
        }
        out.extend(q.fetch_all(pool).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::GroupId;

    #[test]
    fn condition_numbers_parameters() {
        let a = Audience {
            tags: vec!["vip".into(), "baru".into()],
            groups: vec![GroupId::from("g1")],
            ..Audience::default()
        };
        let (sql, binds) = audience_condition(&a, 3);
        assert!(sql.contains("tag IN ($3, $4)"), "{sql}");
        assert!(sql.contains("group_id IN ($5)"), "{sql}");
        assert_eq!(
            binds,
            vec!["vip".to_owned(), "baru".to_owned(), "g1".to_owned()]
        );
        let all = Audience {
            all: true,
            ..Audience::default()
        };
        assert!(audience_condition(&all, 2).1.is_empty());
        let (rows, _) = audience_rows_sql(&all, 2);
        assert!(
            rows.starts_with("SELECT c.id, c.phone, ROW_NUMBER()"),
            "{rows}"
        );
    }
}
