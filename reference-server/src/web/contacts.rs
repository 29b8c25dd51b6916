//! Contacts: the list with its filters (name or number, tag, group,
//! opted out) and pages, the filtered export (CSV, XLSX), the CSV/Excel
//! import whose report shows each rejected row with its reason, a
//! contact's page (name and number, tags, groups, opt-out) and the groups
//! page (create, rename, delete). Every change runs the contacts feature's
//! rules, the ones `/api/v1/contacts...` and `/api/v1/contact-groups...`
//! run (`contacts::update`, `contacts::groups::create`, ...,
//! `contacts::run_import`, `contacts::export_file`).

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::page::{
    Chrome, FormErrors, FormFields, PageError, PageResult, WebForm, invalid, render, see_other,
};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::contacts::store::ListFilter;
use crate::contacts::{ContactView, ExportQuery, GroupView, ImportReport, UpdateContact};
use crate::domain::{ContactId, GroupId};
use crate::http::AppError;
use crate::http::i18n::Text;

/// The contacts pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/contacts", get(list))
        .route("/console/contacts/import", post(import))
        .route("/console/contacts/export", get(export))
        .route("/console/contacts/groups", get(groups).post(create_group))
        .route(
            "/console/contacts/groups/{group_id}/rename",
            post(rename_group),
        )
        .route(
            "/console/contacts/groups/{group_id}/delete",
            post(delete_group),
        )
        .route("/console/contacts/{contact_id}", get(show).post(change))
        .route("/console/contacts/{contact_id}/tags", post(add_tag))
        .route(
            "/console/contacts/{contact_id}/tags/remove",
            post(remove_tag),
        )
        .route("/console/contacts/{contact_id}/groups", post(set_groups))
        .route("/console/contacts/{contact_id}/opt-out", post(opt_out))
}

/// Contacts per page of the list.
const PAGE: i64 = 50;

/// The list's filters as typed in the address (every field optional;
/// values that mean nothing are ignored rather than refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct Filters {
    /// Name or number contains this.
    #[serde(default)]
    q: String,
    /// Has this tag.
    #[serde(default)]
    tag: String,
    /// Member of this group (id).
    #[serde(default)]
    group_id: String,
    /// `yes` (opted out only), `no` (reachable only) or empty (both).
    #[serde(default)]
    opted_out: String,
    /// 1-based page number.
    #[serde(default)]
    page: String,
}

impl Filters {
    fn filter(&self) -> ListFilter {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        ListFilter {
            tag: text(&self.tag),
            group_id: text(&self.group_id).map(GroupId::from),
            q: text(&self.q),
            opted_out: match self.opted_out.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        }
    }

    fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 100_000)
    }

    /// The address of page `page` of the list with these filters.
    fn list_url(&self, page: i64) -> String {
        let mut url = String::from("/console/contacts?");
        url.push_str(&self.query());
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    }

    /// The address of the export of these filters in `format`.
    fn export_url(&self, format: &str) -> String {
        format!("/console/contacts/export?format={format}&{}", self.query())
    }

    /// The filters as a query string (without the page).
    fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", self.q.trim())
            .append_pair("tag", self.tag.trim())
            .append_pair("group_id", self.group_id.trim())
            .append_pair("opted_out", &self.opted_out)
            .finish()
    }
}

#[derive(Template)]
#[template(path = "web/contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    contacts: Vec<ContactView>,
    total: i64,
    groups: Vec<GroupView>,
    filters: Filters,
    /// Where the previous / next page is, when there is one.
    prev: Option<String>,
    next: Option<String>,
    page: i64,
    pages: i64,
    export_csv: String,
    export_xlsx: String,
    report: Option<ImportReport>,
    errors: FormErrors,
}

async fn page(
    state: &AppState,
    c: Console,
    filters: Filters,
    report: Option<ImportReport>,
    errors: FormErrors,
) -> Result<ContactsPage, PageError> {
    c.member.require(Role::Agent)?;
    let page = filters.page();
    let found =
        crate::contacts::list(state, &c.member, &filters.filter(), PAGE, (page - 1) * PAGE).await?;
    let groups = crate::contacts::store::groups(&state.pool, &c.member.tenant_id).await?;
    let pages = ((found.total + PAGE - 1) / PAGE).max(1);
    Ok(ContactsPage {
        chrome: c.chrome.at("contacts"),
        contacts: found.items,
        total: found.total,
        groups,
        prev: (page > 1).then(|| filters.list_url(page - 1)),
        next: (page < pages).then(|| filters.list_url(page + 1)),
        page,
        pages,
        export_csv: filters.export_url("csv"),
        export_xlsx: filters.export_url("xlsx"),
        filters,
        report,
        errors,
    })
}

/// `GET /console/contacts`: the filtered list, a page at a time.
pub(super) async fn list(
    State(state): State<AppState>,
    c: Console,
    Query(filters): Query<Filters>,
) -> PageResult {
    let p = page(&state, c, filters, None, FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// `GET /console/contacts/export?format=csv|xlsx&...filters`: the
/// contacts the list's filters select, as a file.
pub(super) async fn export(
    State(state): State<AppState>,
    c: Console,
    Query(filters): Query<Filters>,
    Query(format): Query<ExportFormatParam>,
) -> PageResult {
    let filter = filters.filter();
    let q = ExportQuery {
        format: Some(format.format).filter(|f| !f.is_empty()),
        tag: filter.tag,
        group_id: filter.group_id,
        q: filter.q,
        opted_out: filter.opted_out,
    };
    Ok(crate::contacts::export_file(&state, &c.member, &q).await?)
}

/// The export's format parameter.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ExportFormatParam {
    #[serde(default)]
    format: String,
}

/// `POST /console/contacts/import` (multipart, `_csrf` first, then `file`):
/// imports the valid rows and shows the report on the same page.
pub(super) async fn import(
    State(state): State<AppState>,
    c: Console,
    mut form: Multipart,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    while let Some(field) = form.next_field().await.map_err(|e| {
        AppError::bad_request(
            "invalid_form",
            Text::new(
                format!("formulir tidak terbaca: {e}"),
                format!("unreadable form: {e}"),
            ),
        )
    })? {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let mut errors = FormErrors::new();
    let mut report = None;
    match file.filter(|(_, b)| !b.is_empty()) {
        None => errors.add(
            "file",
            &Text::new("pilih berkas CSV atau Excel", "choose a CSV or Excel file"),
        ),
        Some((name, bytes)) => {
            match crate::contacts::run_import(
                &state,
                &c.member.tenant_id,
                &bytes,
                name.as_deref(),
                None,
                &Default::default(),
                Vec::new(),
                None,
                false,
                false,
                |_, _| {},
            )
            .await
            {
                Ok(r) => report = Some(r),
                Err(e) => errors.absorb(e, &[("invalid_file", "file")])?,
            }
        }
    }
    let p = page(&state, c, Filters::default(), report, errors).await?;
    if p.errors.is_empty() {
        Ok(render(&p)?.into_response())
    } else {
        invalid(&p)
    }
}

/// A group as the contact page offers it.
struct GroupChoice {
    id: GroupId,
    name: String,
    member: bool,
}

#[derive(Template)]
#[template(path = "web/contact.html")]
struct ContactPage {
    chrome: Chrome,
    contact: ContactView,
    groups: Vec<GroupChoice>,
    /// The name and number as typed (the stored ones at first).
    form: ContactForm,
    /// The tag being added, as typed.
    tag: String,
    errors: FormErrors,
}

async fn contact_page(
    state: &AppState,
    c: Console,
    id: &ContactId,
    form: Option<ContactForm>,
    tag: String,
    errors: FormErrors,
) -> Result<ContactPage, PageError> {
    c.member.require(Role::Agent)?;
    let contact = crate::contacts::get(state, &c.member, id).await?;
    let tenant = &c.member.tenant_id;
    let joined = crate::contacts::store::groups_of(&state.pool, tenant, id).await?;
    let groups = crate::contacts::store::groups(&state.pool, tenant)
        .await?
        .into_iter()
        .map(|g| GroupChoice {
            member: joined.contains(&g.id),
            id: g.id,
            name: g.name,
        })
        .collect();
    let form = form.unwrap_or_else(|| ContactForm {
        name: contact.name.clone(),
        phone: contact.phone.clone(),
    });
    Ok(ContactPage {
        chrome: c.chrome.at("contacts"),
        contact,
        groups,
        form,
        tag,
        errors,
    })
}

/// `GET /console/contacts/{contact_id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
) -> PageResult {
    let p = contact_page(&state, c, &id, None, String::new(), FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// The name-and-number form.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

/// Runs a contact change; a refused value is shown next to its field
/// (`fields` maps the rule's error codes to fields) on the contact page
/// again, with what was typed, as 422.
async fn apply(
    state: &AppState,
    c: Console,
    id: &ContactId,
    change: UpdateContact,
    fields: &[(&str, &'static str)],
    form: Option<ContactForm>,
    tag: String,
) -> PageResult {
    let mut errors = FormErrors::new();
    match crate::contacts::update(state, &c.member, id, change).await {
        Ok(_) => return see_other(&format!("/console/contacts/{id}")),
        Err(e) => errors.absorb(e, fields)?,
    }
    let p = contact_page(state, c, id, form, tag, errors).await?;
    invalid(&p)
}

fn no_change() -> UpdateContact {
    UpdateContact {
        phone: None,
        name: None,
        fields: None,
        tags: None,
        opted_out: None,
    }
}

/// `POST /console/contacts/{contact_id}`: a new name and number.
pub(super) async fn change(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
    WebForm(form): WebForm<ContactForm>,
) -> PageResult {
    let change = UpdateContact {
        phone: Some(form.phone.clone()),
        name: Some(form.name.clone()),
        ..no_change()
    };
    let fields = [
        ("invalid_phone_number", "phone"),
        ("contact_exists", "phone"),
        ("invalid_name", "name"),
    ];
    apply(&state, c, &id, change, &fields, Some(form), String::new()).await
}

/// A tag to add or remove.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct TagForm {
    #[serde(default)]
    tag: String,
}

/// `POST /console/contacts/{contact_id}/tags`: adds a tag.
pub(super) async fn add_tag(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
    WebForm(form): WebForm<TagForm>,
) -> PageResult {
    retag(&state, c, &id, form.tag, true).await
}

/// `POST /console/contacts/{contact_id}/tags/remove`: removes a tag.
pub(super) async fn remove_tag(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
    WebForm(form): WebForm<TagForm>,
) -> PageResult {
    retag(&state, c, &id, form.tag, false).await
}

/// Gives the contact `tag` (`add`) or takes it away, through the
/// contact's new list of tags; a refused tag is kept in its field.
async fn retag(state: &AppState, c: Console, id: &ContactId, tag: String, add: bool) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut tags = crate::contacts::get(state, &c.member, id).await?.tags;
    if add {
        tags.push(tag.clone());
    } else {
        tags.retain(|t| *t != tag);
    }
    let change = UpdateContact {
        tags: Some(tags),
        ..no_change()
    };
    let typed = if add { tag } else { String::new() };
    apply(state, c, id, change, &[("invalid_tag", "tag")], None, typed).await
}

/// `POST /console/contacts/{contact_id}/opt-out` (`opted_out=1` or `0`):
/// opts the contact out of campaigns, or back in.
pub(super) async fn opt_out(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
    fields: FormFields,
) -> PageResult {
    let change = UpdateContact {
        opted_out: Some(fields.get("opted_out") == "1"),
        ..no_change()
    };
    apply(&state, c, &id, change, &[], None, String::new()).await
}

/// `POST /console/contacts/{contact_id}/groups` (`group` repeated): the
/// groups the contact belongs to, as ticked.
pub(super) async fn set_groups(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ContactId>,
    fields: FormFields,
) -> PageResult {
    c.member.require(Role::Admin)?;
    // The contact must be the vendor's before any group changes.
    crate::contacts::get(&state, &c.member, &id).await?;
    let tenant = &c.member.tenant_id;
    let ticked: Vec<GroupId> = fields.all("group").into_iter().map(GroupId::from).collect();
    let joined = crate::contacts::store::groups_of(&state.pool, tenant, &id).await?;
    let one = std::slice::from_ref(&id);
    for g in ticked.iter().filter(|g| !joined.contains(g)) {
        crate::contacts::groups::add_members(&state, &c.member, g, one).await?;
    }
    for g in joined.iter().filter(|g| !ticked.contains(g)) {
        crate::contacts::groups::remove_members(&state, &c.member, g, one).await?;
    }
    see_other(&format!("/console/contacts/{id}"))
}

#[derive(Template)]
#[template(path = "web/contact_groups.html")]
struct GroupsPage {
    chrome: Chrome,
    groups: Vec<GroupView>,
    /// The new group's name as typed.
    new_name: String,
    /// The group whose rename was refused, and the name typed for it.
    renaming: Option<(GroupId, String)>,
    errors: FormErrors,
}

impl GroupsPage {
    /// The name to show in the rename field of `group`.
    fn typed_name<'a>(&'a self, group: &'a GroupView) -> &'a str {
        match &self.renaming {
            Some((id, name)) if *id == group.id => name,
            _ => &group.name,
        }
    }

    /// The rename error of `group`, if its rename was refused.
    fn rename_error(&self, group: &GroupView) -> Option<&str> {
        match &self.renaming {
            Some((id, _)) if *id == group.id => self.errors.field("rename"),
            _ => None,
        }
    }
}

async fn groups_page(
    state: &AppState,
    c: Console,
    new_name: String,
    renaming: Option<(GroupId, String)>,
    errors: FormErrors,
) -> Result<GroupsPage, PageError> {
    c.member.require(Role::Agent)?;
    let groups = crate::contacts::store::groups(&state.pool, &c.member.tenant_id).await?;
    Ok(GroupsPage {
        chrome: c.chrome.at("contacts"),
        groups,
        new_name,
        renaming,
        errors,
    })
}

/// `GET /console/contacts/groups`.
pub(super) async fn groups(State(state): State<AppState>, c: Console) -> PageResult {
    let p = groups_page(&state, c, String::new(), None, FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// A group's name.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct GroupForm {
    #[serde(default)]
    name: String,
}

const GROUP_NAME_ERRORS: [(&str, &str); 2] = [("invalid_name", "name"), ("group_exists", "name")];

/// `POST /console/contacts/groups`: a new group.
pub(super) async fn create_group(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<GroupForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    match crate::contacts::groups::create(&state, &c.member, &form.name).await {
        Ok(_) => return see_other("/console/contacts/groups"),
        Err(e) => errors.absorb(e, &GROUP_NAME_ERRORS)?,
    }
    let p = groups_page(&state, c, form.name, None, errors).await?;
    invalid(&p)
}

/// `POST /console/contacts/groups/{group_id}/rename`.
pub(super) async fn rename_group(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<GroupId>,
    WebForm(form): WebForm<GroupForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    match crate::contacts::groups::rename(&state, &c.member, &id, &form.name).await {
        Ok(_) => return see_other("/console/contacts/groups"),
        Err(e) => errors.absorb(e, &[("invalid_name", "rename"), ("group_exists", "rename")])?,
    }
    let p = groups_page(&state, c, String::new(), Some((id, form.name)), errors).await?;
    invalid(&p)
}

/// `POST /console/contacts/groups/{group_id}/delete`: the group goes, its
/// contacts stay.
pub(super) async fn delete_group(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<GroupId>,
) -> PageResult {
    crate::contacts::groups::delete(&state, &c.member, &id).await?;
    see_other("/console/contacts/groups")
}
