//! Database access for contacts, tags, groups and custom field names.
//! Every query carries `tenant_id = $n`.

use std::collections::{BTreeMap, HashMap};

use sqlx::{Any, AnyPool, Transaction};

use super::import::ContactRow;
use super::model::{Audience, ContactForSend};
use crate::db::{DbKind, now_ms};
use crate::domain::{ContactId, GroupId, TenantId};

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Id.
    pub id: ContactId,
    /// E.164.
    pub phone: String,
    /// Name (may be empty).
    pub name: String,
    /// Custom fields.
    pub fields: BTreeMap<String, String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Opted out of campaigns.
    pub opted_out: bool,
    /// When it opted out.
    pub opted_out_at: Option<i64>,
    /// Created, unix ms.
    pub created_at: i64,
    /// Updated, unix ms.
    pub updated_at: i64,
}

pub(crate) const COLUMNS: &str =
    "id, phone, name, fields, opted_out, opted_out_at, created_at, updated_at";

/// Parses the `fields` JSON column (an object of strings; other values are
/// kept as their JSON text).
pub fn parse_fields(json: &str) -> BTreeMap<String, String> {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json) {
        Ok(map) => map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect(),
        Err(_) => BTreeMap::new(),
    }
}

/// The `fields` column value for a map.
pub fn fields_json(fields: &BTreeMap<String, String>) -> String {
    serde_json::to_string(fields).unwrap_or_else(|_| "{}".to_owned())
}

/// A `contacts` row as stored ([`COLUMNS`]); its tags are read apart.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StoredContact {
    id: ContactId,
    phone: String,
    name: String,
    /// JSON object.
    fields: String,
    /// 1 when opted out.
    opted_out: i64,
    opted_out_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<StoredContact> for Contact {
    fn from(r: StoredContact) -> Self {
        Self {
            id: r.id,
            phone: r.phone,
            name: r.name,
            fields: parse_fields(&r.fields),
            tags: Vec::new(),
            opted_out: r.opted_out != 0,
            opted_out_at: r.opted_out_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A contact's tag ([`attach_tags`]).
#[derive(Debug, Clone, sqlx::FromRow)]
struct TagRow {
    contact_id: ContactId,
    tag: String,
}

/// An existing contact met again by an import: its id, name and fields.
pub type Existing = (ContactId, String, BTreeMap<String, String>);

/// A contact found by its number ([`existing_by_phone`]).
#[derive(Debug, Clone, sqlx::FromRow)]
struct PhoneRow {
    id: ContactId,
    phone: String,
    name: String,
    fields: String,
}

/// `$start, $start+1, ...` placeholders.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fills in the tags of `contacts` (one query).
pub async fn attach_tags(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contacts: &mut [Contact],
) -> Result<(), sqlx::Error> {
    if contacts.is_empty() {
        return Ok(());
    }
    let mut by_id: HashMap<ContactId, Vec<String>> = HashMap::new();
    for chunk in contacts.chunks(500) {
        let sql = format!(
            "SELECT contact_id, tag FROM contact_tags WHERE tenant_id = $1 AND contact_id IN ({}) ORDER BY tag",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, TagRow>(&sql).bind(tenant_id);
        for c in chunk {
            q = q.bind(&c.id);
        }
        for t in q.fetch_all(pool).await? {
            by_id.entry(t.contact_id).or_default().push(t.tag);
        }
    }
    for c in contacts {
        c.tags = by_id.remove(&c.id).unwrap_or_default();
    }
    Ok(())
}

/// One contact of the tenant.
pub async fn get(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &ContactId,
) -> Result<Option<Contact>, sqlx::Error> {
    let row: Option<StoredContact> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM contacts WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut c = vec![Contact::from(row)];
    attach_tags(pool, tenant_id, &mut c).await?;
    Ok(c.pop())
}

/// Filters of the contact list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only contacts with this tag.
    pub tag: Option<String>,
    /// Only members of this group.
    pub group_id: Option<GroupId>,
    /// Phone or name contains this text.
    pub q: Option<String>,
    /// Only opted-out (true) or only reachable (false) contacts.
    pub opted_out: Option<bool>,
}

impl ListFilter {
    /// The filters of a query's parameters.
    pub fn of(
        tag: &Option<String>,
        group_id: &Option<GroupId>,
        q: &Option<String>,
        opted_out: Option<bool>,
    ) -> Self {
        Self {
            tag: tag.clone(),
            group_id: group_id.clone(),
            q: q.clone(),
            opted_out,
        }
    }
}

/// A page of the tenant's contacts, oldest first, and the total matching.
pub async fn list(
    pool: &AnyPool,
    tenant_id: &TenantId,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Contact>, i64), sqlx::Error> {
    let (where_sql, binds) = list_condition(tenant_id, filter);
    let count_sql = format!("SELECT COUNT(*) FROM contacts c WHERE {where_sql}");
    let mut cq = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        cq = cq.bind(b);
    }
    let total = cq.fetch_one(pool).await?;
    let page = format!(" LIMIT {limit} OFFSET {offset}");
    let out = select(pool, tenant_id, &where_sql, &binds, &page).await?;
    Ok((out, total))
}

/// Every contact of the tenant matching `filter` (for export), oldest
/// first, with tags.
pub async fn all_matching(
    pool: &AnyPool,
    tenant_id: &TenantId,
    filter: &ListFilter,
) -> Result<Vec<Contact>, sqlx::Error> {
    let (where_sql, binds) = list_condition(tenant_id, filter);
    select(pool, tenant_id, &where_sql, &binds, "").await
}

/// The contacts `where_sql` selects (over `contacts c`, with `binds`),
/// oldest first, then `page` (a `LIMIT` clause or nothing), with tags.
async fn select(
    pool: &AnyPool,
    tenant_id: &TenantId,
    where_sql: &str,
    binds: &[String],
    page: &str,
) -> Result<Vec<Contact>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM contacts c WHERE {where_sql} ORDER BY c.created_at, c.id{page}",
        prefixed_columns()
    );
    let mut q = sqlx::query_as::<_, StoredContact>(&sql);
    for b in binds {
        q = q.bind(b);
    }
    let mut out: Vec<Contact> = q
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Contact::from)
        .collect();
    attach_tags(pool, tenant_id, &mut out).await?;
    Ok(out)
}

/// [`COLUMNS`] of `contacts c`.
fn prefixed_columns() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `WHERE` condition over `contacts c` of a list filter, with `$1`
/// the tenant id, and the values to bind in order (the tenant first).
fn list_condition(tenant_id: &TenantId, filter: &ListFilter) -> (String, Vec<String>) {
    let mut where_sql = String::from("c.tenant_id = $1");
    let mut binds: Vec<String> = vec![tenant_id.as_str().to_owned()];
    if let Some(tag) = &filter.tag {
        binds.push(tag.clone());
        where_sql.push_str(&format!(
            " AND c.id IN (SELECT contact_id FROM contact_tags WHERE tenant_id = $1 AND tag = ${})",
            binds.len()
        ));
    }
    if let Some(g) = &filter.group_id {
        binds.push(g.as_str().to_owned());
        where_sql.push_str(&format!(
            " AND c.id IN (SELECT contact_id FROM contact_group_members WHERE tenant_id = $1 AND group_id = ${})",
            binds.len()
        ));
    }
    if let Some(q) = filter.q.as_ref().filter(|q| !q.trim().is_empty()) {
        let escaped = q
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        binds.push(format!("%{escaped}%"));
        let n = binds.len();
        where_sql.push_str(&format!(
            " AND (c.phone LIKE ${n} ESCAPE '\\' OR LOWER(c.name) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(o) = filter.opted_out {
        where_sql.push_str(if o {
            " AND c.opted_out = 1"
        } else {
            " AND c.opted_out = 0"
        });
    }
    (where_sql, binds)
}

/// Records custom field names the tenant uses.
pub async fn remember_fields<'a>(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    names: impl IntoIterator<Item = &'a String>,
) -> Result<(), sqlx::Error> {
    for n in names {
        sqlx::query("INSERT INTO contact_field_names (tenant_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(tenant_id)
            .bind(n)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The custom field names the tenant's contacts use, sorted.
pub async fn field_names(pool: &AnyPool, tenant_id: &TenantId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM contact_field_names WHERE tenant_id = $1 ORDER BY name")
        .bind(tenant_id)
        .fetch_all(pool)
        .await
}

/// Replaces a contact's tags.
pub async fn set_tags(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    contact_id: &ContactId,
    tags: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contact_tags WHERE tenant_id = $1 AND contact_id = $2")
        .bind(tenant_id)
        .bind(contact_id)
        .execute(&mut **tx)
        .await?;
    add_tags(tx, tenant_id, &[(contact_id.clone(), tags.to_vec())]).await
}

/// Adds tags to contacts (existing pairs are kept).
pub async fn add_tags(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    pairs: &[(ContactId, Vec<String>)],
) -> Result<(), sqlx::Error> {
    let flat: Vec<(&ContactId, &str)> = pairs
        .iter()
        .flat_map(|(id, tags)| tags.iter().map(move |t| (id, t.as_str())))
        .collect();
    for chunk in flat.chunks(300) {
        let values = (0..chunk.len())
            .map(|i| format!("($1, ${}, ${})", 2 + 2 * i, 3 + 2 * i))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO contact_tags (tenant_id, contact_id, tag) VALUES {values} ON CONFLICT DO NOTHING"
        );
        let mut q = sqlx::query(&sql).bind(tenant_id);
        for (id, tag) in chunk {
            q = q.bind(*id).bind(*tag);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Adds contacts to a group (existing members are kept).
pub async fn add_to_group(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    group_id: &GroupId,
    contact_ids: &[ContactId],
) -> Result<(), sqlx::Error> {
    for chunk in contact_ids.chunks(300) {
        let values = (0..chunk.len())
            .map(|i| format!("($1, $2, ${})", 3 + i))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO contact_group_members (tenant_id, group_id, contact_id) VALUES {values} ON CONFLICT DO NOTHING"
        );
        let mut q = sqlx::query(&sql).bind(tenant_id).bind(group_id);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Existing contacts of the tenant among `phones`: phone -> (id, name, fields).
pub async fn existing_by_phone(
    pool: &AnyPool,
    tenant_id: &TenantId,
    phones: &[&str],
) -> Result<HashMap<String, Existing>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in phones.chunks(500) {
        let sql = format!(
            "SELECT id, phone, name, fields FROM contacts WHERE tenant_id = $1 AND phone IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, PhoneRow>(&sql).bind(tenant_id);
        for p in chunk {
            q = q.bind(*p);
        }
        for r in q.fetch_all(pool).await? {
            out.insert(r.phone, (r.id, r.name, parse_fields(&r.fields)));
        }
    }
    Ok(out)
}

/// Counts of an applied import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// New contacts.
    pub created: u64,
    /// Existing contacts whose name/fields were updated.
    pub updated: u64,
    /// Existing contacts left unchanged.
    pub unchanged: u64,
}

/// Imports validated rows in one transaction: new numbers are inserted,
/// existing ones are left as they are or (with `update_existing`) get the
/// file's name and fields merged in. Tags from the file and `extra_tags`
/// are added; every row's contact joins `group_id` when given. Importing
/// the same file twice creates nothing the second time.
#[allow(clippy::too_many_arguments)]
pub async fn apply_import(
    pool: &AnyPool,
    kind: DbKind,
    tenant_id: &TenantId,
    rows: &[ContactRow],
    existing: &HashMap<String, Existing>,
    update_existing: bool,
    extra_tags: &[String],
    group_id: Option<&GroupId>,
    field_names: &[String],
    mut progress: impl FnMut(usize),
) -> Result<Applied, sqlx::Error> {
    let now = now_ms();
    let mut applied = Applied::default();
    let mut tx = crate::db::begin_write(pool, kind).await?;
    remember_fields(&mut tx, tenant_id, field_names).await?;
    let mut tag_pairs: Vec<(ContactId, Vec<String>)> = Vec::new();
    let mut member_ids: Vec<ContactId> = Vec::new();
    let mut done = 0;
    for chunk in rows.chunks(400) {
        let mut new_rows: Vec<(ContactId, &ContactRow)> = Vec::new();
        for r in chunk {
            let id = match existing.get(&r.phone) {
                Some((id, name, fields)) => {
                    if update_existing {
                        let mut merged = fields.clone();
                        merged.extend(r.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                        let new_name = if r.name.is_empty() {
                            name.clone()
                        } else {
                            r.name.clone()
                        };
                        if &merged != fields || &new_name != name {
                            sqlx::query(
                                "UPDATE contacts SET name = $1, fields = $2, updated_at = $3 \
                                 WHERE tenant_id = $4 AND id = $5",
                            )
                            .bind(&new_name)
                            .bind(fields_json(&merged))
                            .bind(now)
                            .bind(tenant_id)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                            applied.updated += 1;
                        } else {
                            applied.unchanged += 1;
                        }
                    } else {
                        applied.unchanged += 1;
                    }
                    id.clone()
                }
                None => {
                    let id = ContactId::new();
                    new_rows.push((id.clone(), r));
                    id
                }
            };
            let mut tags = r.tags.clone();
            tags.extend(extra_tags.iter().cloned());
            if !tags.is_empty() {
                tag_pairs.push((id.clone(), tags));
            }
            if group_id.is_some() {
                member_ids.push(id);
            }
        }
        if !new_rows.is_empty() {
            let values = (0..new_rows.len())
                .map(|i| {
                    let b = 3 + 4 * i;
                    format!("(${b}, $1, ${}, ${}, ${}, 0, $2, $2)", b + 1, b + 2, b + 3)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, updated_at) \
                 VALUES {values} ON CONFLICT (tenant_id, phone) DO NOTHING"
            );
            let mut q = sqlx::query(&sql).bind(tenant_id).bind(now);
            for (id, r) in &new_rows {
                q = q
                    .bind(id)
                    .bind(&r.phone)
                    .bind(&r.name)
                    .bind(fields_json(&r.fields));
            }
            applied.created += q.execute(&mut *tx).await?.rows_affected();
        }
        done += chunk.len();
        progress(done);
    }
    add_tags(&mut tx, tenant_id, &tag_pairs).await?;
    if let Some(g) = group_id {
        add_to_group(&mut tx, tenant_id, g, &member_ids).await?;
    }
    tx.commit().await?;
    Ok(applied)
}

/// Inserts a contact without tags (a taken number is a unique violation).
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    id: &ContactId,
    phone: &str,
    name: &str,
    fields: &BTreeMap<String, String>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(phone)
    .bind(name)
    .bind(fields_json(fields))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the tenant has this contact.
pub(crate) async fn exists(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    id: &ContactId,
) -> Result<bool, sqlx::Error> {
    let found: Option<ContactId> =
        sqlx::query_scalar("SELECT id FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(found.is_some())
}

/// Changes the given number, name and fields of a contact (a taken number
/// is a unique violation).
pub(crate) async fn update(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    id: &ContactId,
    phone: Option<&str>,
    name: Option<&str>,
    fields: Option<&BTreeMap<String, String>>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE contacts SET phone = COALESCE($1, phone), name = COALESCE($2, name), \
         fields = COALESCE($3, fields), updated_at = $4 WHERE tenant_id = $5 AND id = $6",
    )
    .bind(phone)
    .bind(name)
    .bind(fields.map(fields_json))
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Opts a contact out of campaigns (keeping the first opt-out time) or
/// back in; returns whether it changed.
pub(crate) async fn set_opted_out<'e, E>(
    exec: E,
    tenant_id: &TenantId,
    id: &ContactId,
    opted_out: bool,
    now: i64,
) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let sql = if opted_out {
        "UPDATE contacts SET opted_out = 1, opted_out_at = $1, updated_at = $1 \
         WHERE tenant_id = $2 AND id = $3 AND opted_out = 0"
    } else {
        "UPDATE contacts SET opted_out = 0, opted_out_at = NULL, updated_at = $1 \
         WHERE tenant_id = $2 AND id = $3 AND opted_out = 1"
    };
    let done = sqlx::query(sql)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(exec)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a contact with its tags and group memberships; returns whether
/// it existed.
pub(crate) async fn delete(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    id: &ContactId,
) -> Result<bool, sqlx::Error> {
    for sql in [
        "DELETE FROM contact_tags WHERE tenant_id = $1 AND contact_id = $2",
        "DELETE FROM contact_group_members WHERE tenant_id = $1 AND contact_id = $2",
    ] {
        sqlx::query(sql)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    let done = sqlx::query("DELETE FROM contacts WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of `ids` are the tenant's contacts.
pub async fn known_ids(
    pool: &AnyPool,
    tenant_id: &TenantId,
    ids: &[ContactId],
) -> Result<std::collections::HashSet<ContactId>, sqlx::Error> {
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id FROM contacts WHERE tenant_id = $1 AND id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, ContactId>(&sql).bind(tenant_id);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(pool).await?);
    }
    Ok(out)
}

/// Gives a contact a tag (nothing when it has it).
pub async fn tag(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contact_id: &ContactId,
    tag: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contact_tags (tenant_id, contact_id, tag) VALUES ($1, $2, $3) \
         ON CONFLICT (contact_id, tag) DO NOTHING",
    )
    .bind(tenant_id)
    .bind(contact_id)
    .bind(tag)
    .execute(pool)
    .await?;
    Ok(())
}

/// Takes a tag from a contact (nothing when it has none).
pub async fn untag(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contact_id: &ContactId,
    tag: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contact_tags WHERE tenant_id = $1 AND contact_id = $2 AND tag = $3")
        .bind(tenant_id)
        .bind(contact_id)
        .bind(tag)
        .execute(pool)
        .await?;
    Ok(())
}

/// How many contacts the vendor stores.
pub async fn count(pool: &AnyPool, tenant_id: &TenantId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(pool)
        .await
}

/// One contact's name, fields and opt-out, without its tags (one query
/// per send, on the sender's hot path).
pub async fn contact_for_send(
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
/// `contact_group_members`.
fn audience_condition(audience: &Audience, first: usize) -> (String, Vec<String>) {
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
/// [`audience_condition`].
pub fn audience_rows_sql(audience: &Audience, first: usize) -> (String, Vec<String>) {
    let (cond, binds) = audience_condition(audience, first);
    (
        format!(
            "SELECT c.id, c.phone, ROW_NUMBER() OVER (ORDER BY c.id) AS rn FROM contacts c WHERE {cond}"
        ),
        binds,
    )
}

/// How many contacts the audience selects now.
pub async fn audience_count(
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

/// The contact with this number, created (with `name`, or an empty name)
/// when there is none: its id and whether it opted out.
pub(crate) async fn find_or_create(
    pool: &AnyPool,
    tenant_id: &TenantId,
    phone_e164: &str,
    name: Option<&str>,
) -> Result<(ContactId, bool), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, '{}', 0, $5, $5) ON CONFLICT (tenant_id, phone) DO NOTHING",
    )
    .bind(ContactId::new())
    .bind(tenant_id)
    .bind(phone_e164)
    .bind(name.unwrap_or_default())
    .bind(now)
    .execute(pool)
    .await?;
    let (id, opted_out): (ContactId, i64) =
        sqlx::query_as("SELECT id, opted_out FROM contacts WHERE tenant_id = $1 AND phone = $2")
            .bind(tenant_id)
            .bind(phone_e164)
            .fetch_one(pool)
            .await?;
    Ok((id, opted_out != 0))
}

/// The tenant's groups by name, with their member counts.
pub(crate) async fn groups(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Vec<super::model::GroupView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT g.id, g.name, g.created_at, \
         (SELECT COUNT(*) FROM contact_group_members m WHERE m.tenant_id = $1 AND m.group_id = g.id) AS members \
         FROM contact_groups g WHERE g.tenant_id = $1 ORDER BY g.name",
    )
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}

/// Inserts a group (a taken name is a unique violation).
pub(crate) async fn insert_group(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &GroupId,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contact_groups (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(name)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether the tenant has this group.
pub(crate) async fn group_exists(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &GroupId,
) -> Result<bool, sqlx::Error> {
    let found: Option<GroupId> =
        sqlx::query_scalar("SELECT id FROM contact_groups WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// One group of the tenant, with its member count.
pub(crate) async fn group(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &GroupId,
) -> Result<Option<super::model::GroupView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT g.id, g.name, g.created_at, \
         (SELECT COUNT(*) FROM contact_group_members m WHERE m.tenant_id = $1 AND m.group_id = g.id) AS members \
         FROM contact_groups g WHERE g.tenant_id = $1 AND g.id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Renames a group (a taken name is a unique violation); returns whether
/// the tenant has it.
pub(crate) async fn rename_group(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &GroupId,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE contact_groups SET name = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(name)
        .bind(tenant_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The groups a contact belongs to.
pub(crate) async fn groups_of(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contact_id: &ContactId,
) -> Result<Vec<GroupId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT group_id FROM contact_group_members WHERE tenant_id = $1 AND contact_id = $2",
    )
    .bind(tenant_id)
    .bind(contact_id)
    .fetch_all(pool)
    .await
}

/// Deletes a group and its memberships (the contacts stay); returns
/// whether it existed.
pub(crate) async fn delete_group(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    id: &GroupId,
) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM contact_group_members WHERE tenant_id = $1 AND group_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("DELETE FROM contact_groups WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes contacts from a group; returns how many were members.
pub(crate) async fn remove_from_group(
    pool: &AnyPool,
    tenant_id: &TenantId,
    group_id: &GroupId,
    contact_ids: &[ContactId],
) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    for cid in contact_ids {
        removed += sqlx::query(
            "DELETE FROM contact_group_members WHERE tenant_id = $1 AND group_id = $2 AND contact_id = $3",
        )
        .bind(tenant_id)
        .bind(group_id)
        .bind(cid)
        .execute(pool)
        .await?
        .rows_affected();
    }
    Ok(removed)
}

/// The names of the groups a contact belongs to, sorted.
pub(crate) async fn group_names_of(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contact_id: &ContactId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT g.name FROM contact_group_members m JOIN contact_groups g ON g.id = m.group_id \
         WHERE m.tenant_id = $1 AND m.contact_id = $2 ORDER BY g.name",
    )
    .bind(tenant_id)
    .bind(contact_id)
    .fetch_all(pool)
    .await
}

/// The tenants that store a contact with `phone` (E.164), with its id.
pub(crate) async fn holders_of_phone(
    pool: &AnyPool,
    phone: &str,
) -> Result<Vec<(TenantId, ContactId)>, sqlx::Error> {
    sqlx::query_as("SELECT tenant_id, id FROM contacts WHERE phone = $1 ORDER BY tenant_id")
        .bind(phone)
        .fetch_all(pool)
        .await
}

/// Deletes every contact, tag, group and known field name of a tenant.
pub(crate) async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM contact_tags WHERE tenant_id = $1",
        "DELETE FROM contact_group_members WHERE tenant_id = $1",
        "DELETE FROM contact_groups WHERE tenant_id = $1",
        "DELETE FROM contact_field_names WHERE tenant_id = $1",
        "DELETE FROM contacts WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(tenant_id).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::model::Audience;
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
