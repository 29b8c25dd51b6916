//! Contacts: the list and the CSV/Excel import, whose report shows each
//! rejected row with its reason. The import is the contacts feature's
//! (`contacts::run_import`, the one `POST /api/v1/contacts/import` and the
//! command line run).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::IntoResponse;

use super::page::{Chrome, FormErrors, PageResult, invalid, render};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::contacts::ImportReport;
use crate::contacts::store::{Contact, ListFilter};
use crate::http::AppError;
use crate::http::i18n::Text;

#[derive(Template)]
#[template(path = "web/contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    contacts: Vec<Contact>,
    total: i64,
    report: Option<ImportReport>,
    errors: FormErrors,
}

async fn page(
    state: &AppState,
    c: Console,
    report: Option<ImportReport>,
    errors: FormErrors,
) -> Result<ContactsPage, super::page::PageError> {
    c.member.require(Role::Agent)?;
    let (contacts, total) = crate::contacts::store::list(
        &state.pool,
        &c.member.tenant_id,
        &ListFilter::default(),
        100,
        0,
    )
    .await?;
    Ok(ContactsPage {
        chrome: c.chrome.at("contacts"),
        contacts,
        total,
        report,
        errors,
    })
}

/// `GET /console/contacts`.
pub(super) async fn list(State(state): State<AppState>, c: Console) -> PageResult {
    let p = page(&state, c, None, FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
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
    let p = page(&state, c, report, errors).await?;
    if p.errors.is_empty() {
        Ok(render(&p)?.into_response())
    } else {
        invalid(&p)
    }
}
