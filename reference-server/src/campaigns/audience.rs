//! Audience selection: which contacts a campaign reaches, as one SQL
//! query (so enqueueing 100,000 recipients is one `INSERT ... SELECT`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::ToSchema;

use crate::contacts::store::placeholders;
use crate::http::AppError;
use crate::http::i18n::Text;

/// Who receives a campaign. `all` selects every contact; otherwise the
/// union of the contacts with any of `tags`, the members of any of
/// `groups` and the explicit `contact_ids`. Opted-out contacts are always
/// left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Audience {
    /// Every contact of the vendor.
    #[serde(default)]
    pub all: bool,
    /// Contacts with any of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Members of any of these groups (ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// These contacts (ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_ids: Vec<String>,
}

impl Audience {
    /// 400 when nothing is selected.
    pub fn validate(&self) -> Result<(), AppError> {
        if !self.all
            && self.tags.is_empty()
            && self.groups.is_empty()
            && self.contact_ids.is_empty()
        {
            return Err(AppError::bad_request(
                "invalid_audience",
                Text::new(
                    "audiens kosong: isi all, tags, groups atau contact_ids",
                    "the audience is empty: set all, tags, groups or contact_ids",
                ),
            ));
        }
        if self.contact_ids.len() > 10_000 {
            return Err(AppError::bad_request(
                "invalid_audience",
                Text::new(
                    "contact_ids paling banyak 10000; gunakan grup kontak atau tag untuk lebih dari itu",
                    "at most 10000 explicit contact_ids; use a group or tag for more",
                ),
            ));
        }
        Ok(())
    }

    /// The `WHERE` condition over `contacts c` selecting the audience, with
    /// `$1` the tenant id and parameters from `$first` on, and the values to
    /// bind for them in order.
    pub fn condition(&self, first: usize) -> (String, Vec<String>) {
        let mut binds: Vec<String> = Vec::new();
        let mut sql = String::from("c.tenant_id = $1 AND c.opted_out = 0");
        if self.all {
            return (sql, binds);
        }
        let mut parts = Vec::new();
        if !self.tags.is_empty() {
            let p = placeholders(first + binds.len(), self.tags.len());
            binds.extend(self.tags.iter().cloned());
            parts.push(format!("c.id IN (SELECT contact_id FROM contact_tags WHERE tenant_id = $1 AND tag IN ({p}))"));
        }
        if !self.groups.is_empty() {
            let p = placeholders(first + binds.len(), self.groups.len());
            binds.extend(self.groups.iter().cloned());
            parts.push(format!(
                "c.id IN (SELECT contact_id FROM contact_group_members WHERE tenant_id = $1 AND group_id IN ({p}))"
            ));
        }
        if !self.contact_ids.is_empty() {
            let p = placeholders(first + binds.len(), self.contact_ids.len());
            binds.extend(self.contact_ids.iter().cloned());
            parts.push(format!("c.id IN ({p})"));
        }
        if parts.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
        }
        (sql, binds)
    }
}

/// How many contacts the audience selects now.
pub async fn count(
    pool: &AnyPool,
    tenant_id: &str,
    audience: &Audience,
) -> Result<i64, sqlx::Error> {
    let (cond, binds) = audience.condition(2);
    let sql = format!("SELECT COUNT(*) FROM contacts c WHERE {cond}");
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(tenant_id);
    for b in &binds {
        q = q.bind(b);
    }
    q.fetch_one(pool).await
}

/// The ids among `ids` that are contacts of the tenant.
pub async fn known_contact_ids(
    pool: &AnyPool,
    tenant_id: &str,
    ids: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id FROM contacts WHERE tenant_id = $1 AND id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(tenant_id);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(pool).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_numbers_parameters() {
        let a = Audience {
            tags: vec!["vip".into(), "baru".into()],
            groups: vec!["g1".into()],
            ..Audience::default()
        };
        let (sql, binds) = a.condition(3);
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
        assert!(all.condition(2).1.is_empty());
        assert!(Audience::default().validate().is_err());
    }
}
