//! `/admin/plans`: every plan (active or not), a new plan, and changes to
//! one (the rules of `/api/v1/admin/plans`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{AdminConsole, rupiah};
use crate::AppState;
use crate::billing::{Plan, plans::PlanInput};
use crate::domain::PlanId;
use crate::http::AppError;
use crate::http::i18n::Text;
use crate::web::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};

/// The plan form as typed: every field as text, so a wrong number is shown
/// next to its field with what was typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct PlanForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    price_idr: String,
    #[serde(default)]
    duration_days: String,
    #[serde(default)]
    max_devices: String,
    #[serde(default)]
    max_contacts: String,
    #[serde(default)]
    max_messages_per_month: String,
    #[serde(default)]
    max_ai_requests_per_month: String,
    #[serde(default)]
    active: Option<String>,
}

impl PlanForm {
    fn of(p: &Plan) -> Self {
        Self {
            code: p.code.clone(),
            name: p.name.clone(),
            price_idr: p.price_idr.to_string(),
            duration_days: p.duration_days.to_string(),
            max_devices: p.max_devices.to_string(),
            max_contacts: p.max_contacts.to_string(),
            max_messages_per_month: p.max_messages_per_month.to_string(),
            max_ai_requests_per_month: p.max_ai_requests_per_month.to_string(),
            active: p.active.then(|| "on".to_owned()),
        }
    }

    fn blank() -> Self {
        Self {
            duration_days: "30".to_owned(),
            active: Some("on".to_owned()),
            ..Self::default()
        }
    }

    fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// The API's input, or the fields that are not whole numbers.
    fn input(&self, errors: &mut FormErrors) -> Result<PlanInput, crate::web::page::PageError> {
        let mut number = |field: &'static str, text: &str| {
            errors.check(
                field,
                text.trim().parse::<i64>().map_err(|_| {
                    AppError::bad_request(
                        "invalid_number",
                        Text::new("isi dengan angka bulat", "enter a whole number"),
                    )
                }),
            )
        };
        Ok(PlanInput {
            price_idr: number("price_idr", &self.price_idr)?,
            duration_days: number("duration_days", &self.duration_days)?,
            max_devices: number("max_devices", &self.max_devices)?,
            max_contacts: number("max_contacts", &self.max_contacts)?,
            max_messages_per_month: number("max_messages_per_month", &self.max_messages_per_month)?,
            max_ai_requests_per_month: number(
                "max_ai_requests_per_month",
                &self.max_ai_requests_per_month,
            )?,
            code: Some(self.code.trim().to_owned()),
            name: Some(self.name.clone()),
            active: Some(self.is_active()),
        })
    }
}

/// Codes of the plan rules and the field each is about.
const FIELDS: &[(&str, &str)] = &[
    ("invalid_code", "code"),
    ("code_taken", "code"),
    ("invalid_name", "name"),
    ("invalid_price", "price_idr"),
    ("invalid_duration", "duration_days"),
];

/// A plan as the list shows it.
struct Row {
    plan: Plan,
    price: String,
}

#[derive(Template)]
#[template(path = "web/admin/plans.html")]
struct PlansPage {
    chrome: Chrome,
    rows: Vec<Row>,
    form: PlanForm,
    errors: FormErrors,
}

async fn plans_page(
    state: &AppState,
    chrome: Chrome,
    form: PlanForm,
    errors: FormErrors,
) -> Result<PlansPage, AppError> {
    let rows = crate::billing::store::plans::list(&state.pool, false)
        .await?
        .into_iter()
        .map(|plan| Row {
            price: rupiah(plan.price_idr),
            plan,
        })
        .collect();
    Ok(PlansPage {
        chrome: chrome.at("admin-plans"),
        rows,
        form,
        errors,
    })
}

/// `GET /admin/plans`.
pub(super) async fn list(State(state): State<AppState>, a: AdminConsole) -> PageResult {
    let page = plans_page(&state, a.chrome, PlanForm::blank(), FormErrors::new()).await?;
    Ok(render(&page)?.into_response())
}

/// `POST /admin/plans`: a new plan.
pub(super) async fn create(
    State(state): State<AppState>,
    a: AdminConsole,
    WebForm(form): WebForm<PlanForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    let input = form.input(&mut errors)?;
    if errors.is_empty() {
        match crate::billing::plans::create(&state, &a.admin, input).await {
            Ok(_) => return see_other("/admin/plans"),
            Err(e) => errors.absorb(e, FIELDS)?,
        }
    }
    invalid(&plans_page(&state, a.chrome, form, errors).await?)
}

#[derive(Template)]
#[template(path = "web/admin/plan.html")]
struct PlanPage {
    chrome: Chrome,
    id: PlanId,
    form: PlanForm,
    errors: FormErrors,
}

/// `GET /admin/plans/{id}`.
pub(super) async fn edit(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(id): Path<PlanId>,
) -> PageResult {
    let plan = crate::billing::plans::get(&state.pool, &id)
        .await?
        .ok_or(AppError::NotFound("plan"))?;
    Ok(render(&PlanPage {
        chrome: a.chrome.at("admin-plans"),
        form: PlanForm::of(&plan),
        id,
        errors: FormErrors::new(),
    })?
    .into_response())
}

/// `POST /admin/plans/{id}`: changes to a plan (new limits apply at once;
/// existing subscriptions keep their end date).
pub(super) async fn update(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(id): Path<PlanId>,
    WebForm(form): WebForm<PlanForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    let input = form.input(&mut errors)?;
    if errors.is_empty() {
        match crate::billing::plans::update(&state, &a.admin, &id, input).await {
            Ok(_) => return see_other("/admin/plans"),
            Err(e) => errors.absorb(e, FIELDS)?,
        }
    }
    invalid(&PlanPage {
        chrome: a.chrome.at("admin-plans"),
        id,
        form,
        errors,
    })
}
