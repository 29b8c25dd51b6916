//! `/console/campaigns/new`: a new campaign as a form: name, template,
//! audience (every contact, tags, groups, chosen contacts), sending devices
//! with their pacing, schedule in a time zone, and an optional follow-up.
//! Saving runs `campaigns::create` (the rules of `POST /api/v1/campaigns`)
//! and, for "save and start", `campaigns::start`.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;

use super::super::page::{Chrome, FormErrors, FormFields, PageError, PageResult, invalid, render};
use super::super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::campaigns::{Audience, CreateCampaign, DeviceAssignment, Followup};
use crate::domain::{ContactId, DeviceId, GroupId, TemplateId};
use crate::http::AppError;
use crate::http::i18n::Text;

/// How many contacts the form offers to pick one by one.
const PICKABLE: i64 = 200;

/// A sending device's row in the form, as typed.
#[derive(Debug, Clone)]
pub(super) struct DeviceField {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) chosen: bool,
    pub(super) rate: String,
    pub(super) weight: String,
    pub(super) cap: String,
}

/// The form as typed (kept when it is shown again with its errors).
#[derive(Debug, Clone, Default)]
pub(super) struct CampaignForm {
    pub(super) name: String,
    pub(super) template: String,
    pub(super) all: bool,
    pub(super) tags: String,
    pub(super) groups: Vec<String>,
    pub(super) contacts: Vec<String>,
    pub(super) devices: Vec<DeviceField>,
    pub(super) delay_min: String,
    pub(super) delay_max: String,
    pub(super) later: bool,
    pub(super) schedule_at: String,
    pub(super) time_zone: String,
    pub(super) followup_template: String,
    pub(super) followup_after: String,
}

impl CampaignForm {
    pub(super) fn has_group(&self, id: &str) -> bool {
        self.groups.iter().any(|g| g == id)
    }

    pub(super) fn has_contact(&self, id: &str) -> bool {
        self.contacts.iter().any(|c| c == id)
    }
}

/// A choice in a list (template, group, contact).
pub(super) struct Choice {
    pub(super) id: String,
    pub(super) label: String,
}

#[derive(Template)]
#[template(path = "web/campaign_new.html")]
struct NewPage {
    chrome: Chrome,
    form: CampaignForm,
    errors: FormErrors,
    templates: Vec<Choice>,
    groups: Vec<Choice>,
    contacts: Vec<Choice>,
    zones: Vec<(String, String)>,
}

/// The vendor's templates, groups, contacts and devices around `form`
/// (devices the form does not name yet get the API's default pacing).
async fn page(
    state: &AppState,
    c: Console,
    mut form: CampaignForm,
    errors: FormErrors,
) -> Result<NewPage, PageError> {
    c.member.require(Role::Admin)?;
    let tenant = c.member.tenant();
    let templates = crate::templates::list(&state.pool, tenant)
        .await?
        .into_iter()
        .map(|t| Choice {
            id: t.id.to_string(),
            label: t.name,
        })
        .collect();
    let groups = crate::contacts::store::groups(&state.pool, &c.member.tenant_id)
        .await?
        .into_iter()
        .map(|g| Choice {
            id: g.id.to_string(),
            label: format!("{} ({})", g.name, g.members),
        })
        .collect();
    let (listed, _) = crate::contacts::store::list(
        &state.pool,
        &c.member.tenant_id,
        &crate::contacts::store::ListFilter::default(),
        PICKABLE,
        0,
    )
    .await?;
    let contacts = listed
        .into_iter()
        .filter(|ct| !ct.opted_out)
        .map(|ct| Choice {
            id: ct.id.to_string(),
            label: if ct.name.is_empty() {
                ct.phone
            } else {
                format!("{} · {}", ct.name, ct.phone)
            },
        })
        .collect();
    let devices = crate::devices::list(state, &c.member).await?;
    form.devices = devices
        .into_iter()
        .map(|d| {
            let id = d.id.to_string();
            form.devices
                .iter()
                .find(|f| f.id == id)
                .cloned()
                .map_or_else(
                    || DeviceField {
                        id: id.clone(),
                        name: d.name.clone(),
                        chosen: false,
                        rate: "20".to_owned(),
                        weight: "1".to_owned(),
                        cap: String::new(),
                    },
                    |f| DeviceField {
                        name: d.name.clone(),
                        ..f
                    },
                )
        })
        .collect();
    if form.devices.len() == 1 {
        // The only device is the one that sends.
        form.devices[0].chosen = true;
    }
    let mut zones: Vec<(String, String)> = super::super::settings::ZONES
        .iter()
        .map(|(z, label)| ((*z).to_owned(), (*label).to_owned()))
        .collect();
    if !form.time_zone.is_empty() && !zones.iter().any(|(z, _)| *z == form.time_zone) {
        zones.push((form.time_zone.clone(), form.time_zone.clone()));
    }
    Ok(NewPage {
        chrome: c.chrome.at("campaigns"),
        form,
        errors,
        templates,
        groups,
        contacts,
        zones,
    })
}

/// `GET /console/campaigns/new`.
pub(super) async fn new(State(state): State<AppState>, c: Console) -> PageResult {
    c.member.require(Role::Admin)?;
    let time_zone = crate::tenants::store::time_zone_of(&state.pool, c.member.tenant())
        .await?
        .unwrap_or_else(|| "Asia/Jakarta".to_owned());
    let form = CampaignForm {
        all: true,
        delay_min: "0".to_owned(),
        delay_max: "0".to_owned(),
        followup_after: "1440".to_owned(),
        time_zone,
        ..CampaignForm::default()
    };
    let p = page(&state, c, form, FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// The form's fields as typed.
fn read(f: &FormFields) -> CampaignForm {
    let chosen = f.all("device");
    let devices = f
        .all("device_row")
        .into_iter()
        .map(|id| DeviceField {
            chosen: chosen.contains(&id),
            rate: f.get(&format!("rate_{id}")).trim().to_owned(),
            weight: f.get(&format!("weight_{id}")).trim().to_owned(),
            cap: f.get(&format!("cap_{id}")).trim().to_owned(),
            name: String::new(),
            id,
        })
        .collect();
    CampaignForm {
        name: f.get("name").to_owned(),
        template: f.get("template").to_owned(),
        all: f.get("all") == "1",
        tags: f.get("tags").to_owned(),
        groups: f.all("group"),
        contacts: f.all("contact"),
        devices,
        delay_min: f.get("delay_min").trim().to_owned(),
        delay_max: f.get("delay_max").trim().to_owned(),
        later: f.get("when") == "later",
        schedule_at: f.get("schedule_at").trim().to_owned(),
        time_zone: f.get("time_zone").trim().to_owned(),
        followup_template: f.get("followup_template").to_owned(),
        followup_after: f.get("followup_after").trim().to_owned(),
    }
}

/// A whole number typed in `field` (empty: `default`), or its error.
fn number(errors: &mut FormErrors, field: &'static str, typed: &str, default: i64) -> i64 {
    if typed.is_empty() {
        return default;
    }
    typed.parse().unwrap_or_else(|_| {
        errors.add(
            field,
            &Text::new("isi dengan bilangan bulat", "enter a whole number"),
        );
        default
    })
}

/// The API request the form describes; input that is not even a number
/// is recorded in `errors` (the campaigns feature checks the rest).
fn request(form: &CampaignForm, errors: &mut FormErrors) -> CreateCampaign {
    let delay_min = number(errors, "delay", &form.delay_min, 0);
    let delay_max = number(errors, "delay", &form.delay_max, 0);
    let devices = form
        .devices
        .iter()
        .filter(|d| d.chosen)
        .map(|d| DeviceAssignment {
            device_id: DeviceId::from(d.id.as_str()),
            weight: number(errors, "devices", &d.weight, 1),
            rate_per_minute: number(errors, "devices", &d.rate, 20),
            delay_min_ms: delay_min.saturating_mul(1000),
            delay_max_ms: delay_max.saturating_mul(1000),
            daily_cap: (!d.cap.is_empty()).then(|| number(errors, "devices", &d.cap, 1)),
            effective_rate_per_minute: None,
        })
        .collect();
    let followup = (!form.followup_template.is_empty()).then(|| Followup {
        template_id: TemplateId::from(form.followup_template.as_str()),
        after_minutes: number(errors, "followup_after", &form.followup_after, 0),
    });
    CreateCampaign {
        name: form.name.clone(),
        template_id: TemplateId::from(form.template.as_str()),
        audience: Audience {
            all: form.all,
            tags: form
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            groups: form
                .groups
                .iter()
                .map(|g| GroupId::from(g.as_str()))
                .collect(),
            contact_ids: form
                .contacts
                .iter()
                .map(|c| ContactId::from(c.as_str()))
                .collect(),
        },
        devices,
        schedule_at: (form.later && !form.schedule_at.is_empty()).then(|| form.schedule_at.clone()),
        time_zone: (!form.time_zone.is_empty()).then(|| form.time_zone.clone()),
        followup,
    }
}

/// The fields the campaigns feature's refusals belong next to, by code.
const FIELDS: [(&str, &str); 9] = [
    ("invalid_name", "name"),
    ("invalid_template", "template"),
    ("unknown_variable", "template"),
    ("invalid_audience", "audience"),
    ("unknown_contact", "audience"),
    ("invalid_devices", "devices"),
    ("invalid_time_zone", "time_zone"),
    ("invalid_schedule", "schedule_at"),
    ("invalid_followup", "followup_after"),
];

/// `POST /console/campaigns`: creates the campaign as a draft, and starts
/// it when the "save and start" button was used; then the campaign's page.
pub(super) async fn create(
    State(state): State<AppState>,
    c: Console,
    fields: FormFields,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let form = read(&fields);
    let mut errors = FormErrors::new();
    if form.template.is_empty() {
        errors.add(
            "template",
            &Text::new("pilih template pesan", "choose a message template"),
        );
    }
    if form.later && form.schedule_at.is_empty() {
        errors.add(
            "schedule_at",
            &Text::new("isi waktu pengiriman", "enter the sending time"),
        );
    }
    let req = request(&form, &mut errors);
    if errors.is_empty() {
        match crate::campaigns::create(&state, &c.member, &req).await {
            Ok(created) => {
                let to = format!("/console/campaigns/{}", created.id);
                if fields.get("action") != "start" {
                    return super::super::page::see_other(&to);
                }
                // A refused start leaves the draft; its page says why.
                let started = crate::campaigns::start(&state, &c.member, &created.id).await;
                return super::actions::after(&state, c, &created.id, started).await;
            }
            // Another vendor's template, group or device id in the form.
            Err(AppError::NotFound(what)) => errors.add(
                if what == "template" {
                    "template"
                } else {
                    "devices"
                },
                &Text::new("tidak ditemukan", "not found"),
            ),
            Err(e) => errors.absorb(e, &FIELDS)?,
        }
    }
    invalid(&page(&state, c, form, errors).await?)
}
