//! `/console/templates`: the vendor's message templates and their editor,
//! with a live preview rendered for a chosen contact (htmx posts the form
//! to `/console/templates/preview` as the vendor types). Broken spintax and
//! unknown variables are shown at their line and column, with the
//! offending place marked in the text. Saving and deleting run the rules
//! of `/api/v1/templates` (`templates::create`, `update`, `delete`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::domain::{ContactId, TemplateId};
use crate::http::AppError;
use crate::http::i18n::{self, Lang};
use crate::templates::{
    CloudTemplateMapping, ErrorAt, Refused, TemplateInput, TemplateMedia, TemplateView,
};

/// The template pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/templates", get(list).post(create))
        .route("/console/templates/new", get(new))
        .route("/console/templates/preview", post(preview))
        .route("/console/templates/{template_id}", get(edit).post(update))
        .route("/console/templates/{template_id}/delete", post(delete))
}

/// The editor's fields as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct EditorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    name_fallback: String,
    #[serde(default)]
    media_kind: String,
    #[serde(default)]
    media_url: String,
    #[serde(default)]
    cloud_name: String,
    #[serde(default)]
    cloud_language: String,
    /// One Cloud API body parameter per line.
    #[serde(default)]
    cloud_params: String,
    /// The contact the preview is rendered for (empty: a sample contact).
    #[serde(default)]
    contact_id: String,
    /// The spintax seed of the preview.
    #[serde(default)]
    seed: Option<u64>,
    /// `1` asks the preview for another spintax choice.
    #[serde(default)]
    shuffle: Option<String>,
}

impl EditorForm {
    fn of(t: &TemplateView) -> Self {
        let cloud = t.cloud_template.as_ref();
        Self {
            name: t.name.clone(),
            body: t.body.clone(),
            name_fallback: t.name_fallback.clone().unwrap_or_default(),
            media_kind: t.media.as_ref().map(|m| m.kind.clone()).unwrap_or_default(),
            media_url: t.media.as_ref().map(|m| m.url.clone()).unwrap_or_default(),
            cloud_name: cloud.map(|c| c.name.clone()).unwrap_or_default(),
            cloud_language: cloud.map(|c| c.language.clone()).unwrap_or_default(),
            cloud_params: cloud.map(|c| c.body_params.join("\n")).unwrap_or_default(),
            ..Self::default()
        }
    }

    /// The API's input: empty optional parts are absent.
    fn input(&self) -> TemplateInput {
        let params: Vec<String> = self
            .cloud_params
            .lines()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let has_cloud = !self.cloud_name.trim().is_empty()
            || !self.cloud_language.trim().is_empty()
            || !params.is_empty();
        TemplateInput {
            name: self.name.clone(),
            body: self.body.replace("\r\n", "\n"),
            media: (!self.media_kind.is_empty()).then(|| TemplateMedia {
                kind: self.media_kind.clone(),
                url: self.media_url.trim().to_owned(),
            }),
            cloud_template: has_cloud.then(|| CloudTemplateMapping {
                name: self.cloud_name.trim().to_owned(),
                language: self.cloud_language.trim().to_owned(),
                body_params: params,
            }),
            name_fallback: Some(self.name_fallback.trim().to_owned()).filter(|f| !f.is_empty()),
        }
    }

    fn seed(&self) -> u64 {
        match (self.seed, self.shuffle.as_deref()) {
            (Some(seed), None) => seed,
            _ => rand::random(),
        }
    }
}

/// Where a mistake is, as the page marks it: the line's number, the text
/// before the mistake, the character at it, and the rest of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mark {
    line: u32,
    before: String,
    at: String,
    after: String,
}

/// The line of `src` that `at` points into, cut at its column.
fn mark(src: &str, line: u32, column: u32) -> Option<Mark> {
    let text = src
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let col = usize::try_from(column).ok()?.saturating_sub(1);
    let chars: Vec<char> = text.chars().collect();
    let col = col.min(chars.len());
    Some(Mark {
        line,
        before: chars[..col].iter().collect(),
        at: chars
            .get(col)
            .map_or_else(|| " ".to_owned(), char::to_string),
        after: chars
            .get(col + 1..)
            .map(|r| r.iter().collect())
            .unwrap_or_default(),
    })
}

/// The mark of a refused template in the editor's texts: the body, or the
/// Cloud API parameter (one per line of its field).
fn mark_of(form: &EditorForm, at: &ErrorAt) -> Option<(&'static str, Mark)> {
    if at.field == "body" {
        return mark(&form.body.replace("\r\n", "\n"), at.line, at.column).map(|m| ("body", m));
    }
    let i: usize = at
        .field
        .strip_prefix("cloud_template.body_params[")?
        .strip_suffix(']')?
        .parse()
        .ok()?;
    let param = form
        .cloud_params
        .lines()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .nth(i)?;
    let mut m = mark(param, at.line, at.column)?;
    m.line = u32::try_from(i + 1).ok()?;
    Some(("cloud_params", m))
}

/// The editor field a refusal is about.
fn field_of(e: &AppError, at: Option<&ErrorAt>, lang: Lang) -> &'static str {
    match (e.code(), at) {
        (_, Some(at)) if at.field != "body" => "cloud_params",
        ("invalid_name" | "template_exists", _) => "name",
        ("invalid_name_fallback", _) => "name_fallback",
        ("invalid_media", _) => "media_url",
        ("invalid_template", None) if e.message(lang).starts_with("cloud_template") => "cloud_name",
        _ => "body",
    }
}

/// A contact to preview for.
struct Pick {
    id: String,
    label: String,
}

async fn contacts(state: &AppState, c: &Console) -> Result<Vec<Pick>, sqlx::Error> {
    let filter = crate::contacts::store::ListFilter::default();
    let (list, _) =
        crate::contacts::store::list(&state.pool, &c.member.tenant_id, &filter, 100, 0).await?;
    Ok(list
        .into_iter()
        .map(|k| Pick {
            label: if k.name.trim().is_empty() {
                k.phone.clone()
            } else {
                format!("{} ({})", k.name, k.phone)
            },
            id: k.id.into_string(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "web/templates.html")]
struct ListPage {
    chrome: Chrome,
    templates: Vec<TemplateView>,
}

/// `GET /console/templates`.
async fn list(State(state): State<AppState>, c: Console) -> PageResult {
    c.member.require(Role::Agent)?;
    let templates = crate::templates::list(&state.pool, c.member.tenant()).await?;
    Ok(render(&ListPage {
        chrome: c.chrome.at("templates"),
        templates,
    })?
    .into_response())
}

/// The preview of the editor's text: rendered, or refused with where.
#[derive(Template)]
#[template(path = "web/template_preview.html")]
struct PreviewPart {
    seed: u64,
    text: Option<String>,
    error: Option<String>,
    mark: Option<Mark>,
}

async fn preview_of(
    state: &AppState,
    c: &Console,
    form: &EditorForm,
) -> Result<PreviewPart, AppError> {
    let seed = form.seed();
    let input = form.input();
    let contact =
        Some(ContactId::from(form.contact_id.as_str())).filter(|k| !k.as_str().is_empty());
    let lang = c.chrome.lang;
    let (text, error, mark) = match crate::templates::preview_draft(
        state,
        &c.member,
        &input.parts(),
        contact.as_ref(),
        seed,
    )
    .await
    {
        Ok(text) => (Some(text), None, None),
        Err(Refused { error, at }) => {
            // Another vendor's contact is a 404 like any of its items.
            if !error.status().is_client_error() || matches!(error, AppError::NotFound(_)) {
                return Err(error);
            }
            let mark = at.as_ref().and_then(|a| mark_of(form, a)).map(|(_, m)| m);
            (None, Some(error.message(lang)), mark)
        }
    };
    Ok(PreviewPart {
        seed,
        text,
        error,
        mark,
    })
}

/// `POST /console/templates/preview` (htmx): the preview part alone.
async fn preview(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<EditorForm>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let part = preview_of(&state, &c, &form).await?;
    let mut res = render(&part)?.into_response();
    // A fragment: never the page the browser shows for this URL.
    res.headers_mut()
        .insert("vary", HeaderValue::from_static("HX-Request"));
    Ok(res)
}

#[derive(Template)]
#[template(path = "web/template_edit.html")]
struct EditPage {
    chrome: Chrome,
    /// `None` for a new template.
    id: Option<TemplateId>,
    form: EditorForm,
    errors: FormErrors,
    /// The mark of the refused text, next to its field.
    mark: Option<(&'static str, Mark)>,
    contacts: Vec<Pick>,
    /// The preview part, rendered (escaped) by its own template.
    preview_html: String,
    can_edit: bool,
}

impl EditPage {
    fn media_is(&self, kind: &str) -> bool {
        self.form.media_kind == kind
    }

    fn mark_for(&self, field: &str) -> Option<&Mark> {
        self.mark
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m)
    }
}

async fn editor(
    state: &AppState,
    c: Console,
    id: Option<TemplateId>,
    form: EditorForm,
    errors: FormErrors,
    mark: Option<(&'static str, Mark)>,
) -> Result<EditPage, AppError> {
    let contacts = contacts(state, &c).await?;
    let preview_html = preview_of(state, &c, &form)
        .await?
        .render()
        .map_err(|e| AppError::internal_from("rendering a template preview", e))?;
    let can_edit = c.member.role.at_least(Role::Admin);
    Ok(EditPage {
        chrome: c.chrome.at("templates"),
        id,
        form,
        errors,
        mark,
        contacts,
        preview_html,
        can_edit,
    })
}

/// `GET /console/templates/new`.
async fn new(State(state): State<AppState>, c: Console) -> PageResult {
    c.member.require(Role::Agent)?;
    let lang = c.chrome.lang;
    let form = EditorForm {
        body: lang.pick("{Halo|Hai} {name}, ", "{Hello|Hi} {name}, "),
        ..EditorForm::default()
    };
    Ok(render(&editor(&state, c, None, form, FormErrors::new(), None).await?)?.into_response())
}

/// `GET /console/templates/{id}`: another vendor's template is a 404.
async fn edit(State(state): State<AppState>, c: Console, Path(id): Path<TemplateId>) -> PageResult {
    c.member.require(Role::Agent)?;
    let t = crate::templates::load(&state.pool, c.member.tenant(), &id).await?;
    let form = EditorForm::of(&t);
    Ok(render(&editor(&state, c, Some(id), form, FormErrors::new(), None).await?)?.into_response())
}

/// A refused save: the editor again with the error next to its field.
async fn refused(
    state: &AppState,
    c: Console,
    id: Option<TemplateId>,
    form: EditorForm,
    r: Refused,
) -> PageResult {
    let lang = i18n::current();
    let field = field_of(&r.error, r.at.as_ref(), lang);
    let mark = r.at.as_ref().and_then(|a| mark_of(&form, a));
    let mut errors = FormErrors::new();
    let code = r.error.code();
    errors.absorb(r.error, &[(code, field)])?;
    invalid(&editor(state, c, id, form, errors, mark).await?)
}

/// `POST /console/templates`: a new template.
async fn create(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<EditorForm>,
) -> PageResult {
    match crate::templates::create(&state, &c.member, &form.input()).await {
        Ok(_) => see_other("/console/templates"),
        Err(r) => refused(&state, c, None, form, r).await,
    }
}

/// `POST /console/templates/{id}`: the template replaced.
async fn update(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<TemplateId>,
    WebForm(form): WebForm<EditorForm>,
) -> PageResult {
    match crate::templates::update(&state, &c.member, &id, &form.input()).await {
        Ok(_) => see_other("/console/templates"),
        Err(r) => refused(&state, c, Some(id), form, r).await,
    }
}

/// `POST /console/templates/{id}/delete`.
async fn delete(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<TemplateId>,
) -> PageResult {
    crate::templates::delete(&state, &c.member, &id).await?;
    see_other("/console/templates")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_cuts_the_line_at_the_column() {
        let m = mark("Halo {name},\n{Promo|Diskon} untuk {alamat}", 2, 22);
        assert_eq!(
            m,
            Some(Mark {
                line: 2,
                before: "{Promo|Diskon} untuk ".to_owned(),
                at: "{".to_owned(),
                after: "alamat}".to_owned(),
            })
        );
        // Columns count characters, not bytes.
        let m = mark("Héllo {x", 1, 7).map(|m| (m.before, m.at));
        assert_eq!(m, Some(("Héllo ".to_owned(), "{".to_owned())));
        // Past the end: an empty place after the line.
        assert_eq!(mark("ab", 1, 9).map(|m| m.at), Some(" ".to_owned()));
        assert_eq!(mark("ab", 3, 1), None);
    }

    #[test]
    fn a_parameter_mistake_points_into_its_line() {
        let form = EditorForm {
            cloud_params: "{name}\n\n {kota|x\n".to_owned(),
            ..EditorForm::default()
        };
        let at = ErrorAt {
            field: "cloud_template.body_params[1]".to_owned(),
            line: 1,
            column: 1,
        };
        let (field, m) = mark_of(&form, &at).unwrap_or_else(|| panic!("no mark"));
        assert_eq!(field, "cloud_params");
        assert_eq!(
            (m.line, m.at.as_str(), m.after.as_str()),
            (2, "{", "kota|x")
        );
    }

    #[test]
    fn empty_optional_parts_are_absent() {
        let input = EditorForm {
            name: "Promo".into(),
            body: "Hi\r\n{name}".into(),
            ..EditorForm::default()
        }
        .input();
        assert_eq!(input.body, "Hi\n{name}");
        assert!(input.media.is_none() && input.cloud_template.is_none());
        assert!(input.name_fallback.is_none());
    }
}
