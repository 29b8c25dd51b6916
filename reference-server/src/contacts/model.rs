//! The contacts feature's types: contacts, groups, imports and exports as
//! the API shows them, and the validation of what vendors send.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use whatsapp_client::PhoneNumber;

use super::import::{self, ColumnMapping, FileFormat, RowError};
use super::store::{Contact, ListFilter};
use crate::domain::{ContactId, GroupId};
use crate::http::AppError;
use crate::http::i18n::{Text, tr};

/// A selection of a vendor's contacts (a campaign's audience). `all`
/// selects every contact; otherwise the union of the contacts with any of
/// `tags`, the members of any of `groups` and the explicit `contact_ids`.
/// Opted-out contacts are always left out.
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
    pub groups: Vec<GroupId>,
    /// These contacts (ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_ids: Vec<ContactId>,
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
}

/// A contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// Id.
    pub id: ContactId,
    /// WhatsApp number, E.164.
    pub phone: String,
    /// Name (may be empty).
    pub name: String,
    /// Custom fields (used as template variables).
    pub fields: BTreeMap<String, String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Opted out of campaigns (replied STOP / BERHENTI or marked so).
    pub opted_out: bool,
    /// When it opted out, unix milliseconds.
    pub opted_out_at: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id,
            phone: c.phone,
            name: c.name,
            fields: c.fields,
            tags: c.tags,
            opted_out: c.opted_out,
            opted_out_at: c.opted_out_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new contact.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateContact {
    /// WhatsApp number in any common form (`0812...`, `+62 812-...`, `62812...`).
    pub phone: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Custom fields.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Changes to a contact; absent members are left unchanged.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateContact {
    /// New number.
    pub phone: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// Replaces all custom fields.
    pub fields: Option<BTreeMap<String, String>>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    /// Opt the contact out of (true) or back into (false) campaigns.
    pub opted_out: Option<bool>,
}

/// Contact list filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only contacts with this tag.
    pub tag: Option<String>,
    /// Only members of this group.
    #[param(value_type = Option<String>)]
    pub group_id: Option<GroupId>,
    /// Phone or name contains this text.
    pub q: Option<String>,
    /// Only opted-out (`true`) or reachable (`false`) contacts.
    pub opted_out: Option<bool>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

impl ListQuery {
    /// The filters, without the paging.
    pub fn filter(&self) -> ListFilter {
        ListFilter::of(&self.tag, &self.group_id, &self.q, self.opted_out)
    }
}

/// A page of contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    /// The contacts, oldest first.
    pub items: Vec<ContactView>,
    /// How many contacts match the filters.
    pub total: i64,
}

/// A contact file to import.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportRequest {
    /// The file name (its extension picks the format: `.csv`, `.xlsx`, `.xls`).
    #[serde(default)]
    pub file_name: Option<String>,
    /// Overrides the format detection.
    #[serde(default)]
    pub format: Option<FileFormat>,
    /// The file, base64.
    pub content_base64: String,
    /// Which column holds what (detected from the headers when absent).
    #[serde(default)]
    pub mapping: ColumnMapping,
    /// Tags added to every imported contact.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Group every imported contact joins.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<GroupId>,
    /// Merge the file's name and fields into contacts that already exist
    /// (default: leave them unchanged).
    #[serde(default)]
    pub update_existing: bool,
    /// Validate and report without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// New contacts created.
    pub created: u64,
    /// Existing contacts updated (with `update_existing`).
    pub updated: u64,
    /// Rows whose number already was a contact and was left unchanged.
    pub unchanged: u64,
    /// Rejected rows with their row number and reason.
    pub rejected: Vec<RowError>,
    /// Custom field names found.
    pub fields: Vec<String>,
    /// Nothing was written (`dry_run`).
    pub dry_run: bool,
}

/// Export format and the list's filters (every contact when none is
/// given).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
    /// Only contacts with this tag.
    pub tag: Option<String>,
    /// Only members of this group.
    #[param(value_type = Option<String>)]
    pub group_id: Option<GroupId>,
    /// Phone or name contains this text.
    pub q: Option<String>,
    /// Only opted-out (`true`) or reachable (`false`) contacts.
    pub opted_out: Option<bool>,
}

impl ExportQuery {
    /// The filters.
    pub fn filter(&self) -> ListFilter {
        ListFilter::of(&self.tag, &self.group_id, &self.q, self.opted_out)
    }
}

/// A contact group.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct GroupView {
    /// Id.
    pub id: GroupId,
    /// Name (unique per vendor).
    pub name: String,
    /// Members.
    pub members: i64,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new group, or a group's new name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateGroup {
    /// Name (1..=100 characters, unique per vendor).
    pub name: String,
}

/// Contacts to add to or remove from a group.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupMembers {
    /// Contact ids.
    #[schema(value_type = Vec<String>)]
    pub contact_ids: Vec<ContactId>,
}

/// A group name, trimmed: 1..=100 characters.
pub(crate) fn validate_group_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_name",
            Text::new(
                "nama harus terdiri dari 1 sampai 100 karakter",
                "the name must have 1 to 100 characters",
            ),
        ));
    }
    Ok(name.to_owned())
}

/// The answer when a group name is already taken.
pub(crate) fn duplicate_group() -> (&'static str, Text) {
    (
        "group_exists",
        Text::new(
            "grup kontak dengan nama ini sudah ada",
            "a group with this name already exists",
        ),
    )
}

/// The answer when a number is already one of the vendor's contacts.
pub(crate) fn duplicate_phone() -> (&'static str, Text) {
    (
        "contact_exists",
        Text::new(
            "kontak dengan nomor WhatsApp ini sudah ada",
            "a contact with this WhatsApp number already exists",
        ),
    )
}

pub(crate) fn normalize_phone(raw: &str) -> Result<String, AppError> {
    PhoneNumber::parse(raw)
        .map(|p| p.e164().to_owned())
        .map_err(|e| crate::phone::invalid("phone", &e))
}

pub(crate) fn validate_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.chars().count() > 200 {
        return Err(AppError::bad_request(
            "invalid_name",
            Text::new(
                "nama paling banyak 200 karakter",
                "the name must have at most 200 characters",
            ),
        ));
    }
    Ok(n.to_owned())
}

pub(crate) fn validate_fields(
    fields: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for (k, v) in fields {
        let name = import::field_name_from_header(&k);
        if name.is_empty() || name.chars().count() > 64 {
            return Err(AppError::bad_request(
                "invalid_field",
                tr!(
                    "nama kolom kustom {k:?} tidak valid",
                    "invalid custom field name {k:?}"
                ),
            ));
        }
        if matches!(name.as_str(), "name" | "first_name" | "phone") {
            return Err(AppError::bad_request(
                "invalid_field",
                tr!(
                    "{name:?} adalah variabel bawaan dan tidak bisa dipakai sebagai kolom kustom",
                    "{name:?} is a built-in variable and cannot be a custom field"
                ),
            ));
        }
        if v.chars().count() > import::MAX_FIELD_CHARS {
            return Err(AppError::bad_request(
                "invalid_field",
                tr!(
                    "kolom kustom {name:?} terlalu panjang",
                    "custom field {name:?} is too long"
                ),
            ));
        }
        out.insert(name, v);
    }
    Ok(out)
}

pub(crate) fn validate_tags(tags: Vec<String>) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_owned();
        if t.is_empty() || t.chars().count() > 64 {
            return Err(AppError::bad_request(
                "invalid_tag",
                Text::new(
                    "tag harus terdiri dari 1 sampai 64 karakter",
                    "tags must have 1 to 64 characters",
                ),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// What a campaign send needs of a contact.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactForSend {
    /// Name (may be empty).
    pub name: String,
    /// Custom fields as stored (JSON object).
    fields: String,
    /// 1 when the contact opted out.
    opted_out: i64,
}

impl ContactForSend {
    /// Whether the contact opted out.
    pub fn opted_out(&self) -> bool {
        self.opted_out != 0
    }

    /// The custom fields.
    pub fn fields(&self) -> BTreeMap<String, String> {
        super::store::parse_fields(&self.fields)
    }
}
