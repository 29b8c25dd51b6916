//! The bot builder of a device: its plugins in the order they run (move
//! up or down, on or off), the keyword rules edited as a form, the
//! business hours of the keyword-rules plugin, the AI reply plugin's
//! settings as a form generated from the plugin's configuration schema,
//! and a "try a message" box that runs the device's stored pipeline on a
//! message with the real plugin host, storing and sending nothing
//! (`bots::dry_run`). Saving goes through the bots feature's functions
//! over `bots::set_device_plugins`, the JSON API's rules (role, schema
//! validation).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::page::{
    Chrome, FormErrors, FormFields, PageError, PageResult, WebForm, invalid, render, see_other,
};
use super::schema_form::{self, Field, Input};
use super::session::Console;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::bots::{DevicePlugin, DryRun, Move, PutDevicePlugins};
use crate::devices::DeviceView;
use crate::domain::DeviceId;
use crate::http::AppError;
use crate::http::i18n::{Lang, Text};

/// The plugin the rules and business-hours forms edit.
const KEYWORD_RULES: &str = "keyword-rules";

/// The plugin whose settings form is generated from its schema.
const AI_REPLY: &str = "ai-reply";

/// A plugin's name as the console shows it.
fn plugin_label(lang: Lang, plugin: &str) -> String {
    match plugin {
        KEYWORD_RULES => lang.t("Aturan kata kunci", "Keyword rules").to_owned(),
        AI_REPLY => lang.t("Balasan AI", "AI replies").to_owned(),
        other => other.to_owned(),
    }
}

/// The AI reply settings in the page's words (the schema's descriptions
/// are English).
const AI_WORDS: schema_form::Words = &[
    (
        "persona",
        "Persona",
        "Persona",
        "Siapa asisten ini dan bagaimana gaya bicaranya: suara toko Anda.",
        "Who the assistant is and how it talks: your shop's voice.",
        true,
    ),
    (
        "business_name",
        "Nama usaha",
        "Business name",
        "Disebut dalam instruksi untuk AI bila diisi.",
        "Mentioned in the AI's instructions when set.",
        false,
    ),
    (
        "knowledge",
        "Pengetahuan (JSON)",
        "Knowledge (JSON)",
        "Fakta yang boleh dijawab AI, daftar {\"title\", \"text\"}: FAQ, harga, ongkir. AI diminta tidak mengarang di luar ini.",
        "Facts the AI may answer from, a list of {\"title\", \"text\"}: FAQ, prices, shipping. The AI is told not to invent anything else.",
        false,
    ),
    (
        "language",
        "Bahasa jawaban",
        "Answer language",
        "Juga bahasa teks bawaan (cadangan, serah ke manusia).",
        "Also the language of the default texts (fallback, handoff).",
        false,
    ),
    (
        "history_window",
        "Riwayat percakapan",
        "Conversation history",
        "Berapa pesan terakhir yang dikirim ke model.",
        "How many recent messages are sent to the model.",
        false,
    ),
    (
        "max_tokens",
        "Panjang jawaban maksimum (token)",
        "Longest answer (tokens)",
        "Batas token untuk satu jawaban.",
        "Upper bound on the tokens of one answer.",
        false,
    ),
    (
        "temperature",
        "Temperature",
        "Temperature",
        "0 sampai 2; kosongkan untuk bawaan penyedia.",
        "0 to 2; leave empty for the provider's default.",
        false,
    ),
    (
        "escalation_keywords",
        "Kata untuk minta manusia",
        "Words that ask for a person",
        "Satu per baris; pesan yang memuatnya diserahkan ke agen.",
        "One per line; a message containing one is handed to an agent.",
        false,
    ),
    (
        "handoff_on_complaint",
        "Serahkan keluhan ke agen",
        "Hand complaints to an agent",
        "Bila model menilai pesan sebagai keluhan.",
        "When the model classifies the message as a complaint.",
        false,
    ),
    (
        "fallback_text",
        "Teks cadangan",
        "Fallback text",
        "Dikirim bila AI tidak bisa menjawab; kosongkan untuk bawaan.",
        "Sent when the AI cannot answer; leave empty for the default.",
        false,
    ),
    (
        "handoff_text",
        "Teks serah ke agen",
        "Handoff text",
        "Dikirim saat percakapan diserahkan ke manusia; kosongkan untuk bawaan.",
        "Sent when the conversation goes to a person; leave empty for the default.",
        false,
    ),
];

/// The AI reply's choice values in the page's words.
const AI_CHOICES: schema_form::Choices = &[
    ("language", "id", "Bahasa Indonesia", "Indonesian"),
    ("language", "en", "Bahasa Inggris", "English"),
];

/// One plugin of the device's pipeline as the list shows it; a plugin the
/// server offers that the pipeline lacks is listed last, off.
pub(super) struct PipelineRow {
    pub(super) plugin: String,
    pub(super) label: String,
    pub(super) enabled: bool,
    pub(super) first: bool,
    pub(super) last: bool,
    /// Not in the pipeline yet (turning it on adds it).
    pub(super) missing: bool,
}

fn pipeline_rows(lang: Lang, plugins: &[DevicePlugin]) -> Vec<PipelineRow> {
    let n = plugins.len();
    let mut rows: Vec<PipelineRow> = plugins
        .iter()
        .enumerate()
        .map(|(i, p)| PipelineRow {
            plugin: p.plugin.clone(),
            label: plugin_label(lang, &p.plugin),
            enabled: p.enabled,
            first: i == 0,
            last: i + 1 == n,
            missing: false,
        })
        .collect();
    for name in crate::bots::pipeline::AVAILABLE_PLUGINS {
        if !plugins.iter().any(|p| p.plugin == name) {
            rows.push(PipelineRow {
                plugin: name.to_owned(),
                label: plugin_label(lang, name),
                enabled: false,
                first: true,
                last: true,
                missing: true,
            });
        }
    }
    rows
}

/// The days of the week as the keyword-rules plugin names them, with the
/// page's words.
const DAYS: [(&str, &str, &str); 7] = [
    ("mon", "Senin", "Monday"),
    ("tue", "Selasa", "Tuesday"),
    ("wed", "Rabu", "Wednesday"),
    ("thu", "Kamis", "Thursday"),
    ("fri", "Jumat", "Friday"),
    ("sat", "Sabtu", "Saturday"),
    ("sun", "Minggu", "Sunday"),
];

/// One day of the business-hours form.
#[derive(Debug, Clone)]
pub(super) struct DayRow {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) open: bool,
    pub(super) from: String,
    pub(super) to: String,
    /// Further windows of the day stored by the API (`HH:MM-HH:MM`); the
    /// form edits the first and keeps these while the day stays open.
    pub(super) more: Vec<String>,
}

/// The business-hours form, as shown or typed.
#[derive(Debug, Clone)]
pub(super) struct HoursForm {
    pub(super) enabled: bool,
    pub(super) days: Vec<DayRow>,
    pub(super) holidays: String,
    pub(super) out_of_hours_reply: String,
}

impl HoursForm {
    /// The form of the keyword-rules configuration `config`.
    fn of(lang: Lang, config: Option<&Value>) -> Self {
        let hours = config
            .and_then(|c| c.get("business_hours"))
            .filter(|h| !h.is_null());
        let days = DAYS
            .iter()
            .map(|(key, id, en)| {
                let windows: Vec<String> = hours
                    .and_then(|h| h.pointer(&format!("/days/{key}")))
                    .and_then(Value::as_array)
                    .map(|w| {
                        w.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let (open, from, to) = match windows.first().and_then(|w| w.split_once('-')) {
                    Some((a, b)) => (true, a.to_owned(), b.to_owned()),
                    // Unset hours suggest a working week.
                    None if hours.is_none() && !matches!(*key, "sat" | "sun") => {
                        (true, "08:00".to_owned(), "17:00".to_owned())
                    }
                    None => (false, "08:00".to_owned(), "17:00".to_owned()),
                };
                DayRow {
                    key,
                    label: lang.t(id, en),
                    open,
                    from,
                    to,
                    more: windows.into_iter().skip(1).collect(),
                }
            })
            .collect();
        Self {
            enabled: hours.is_some(),
            days,
            holidays: hours
                .and_then(|h| h.get("holidays"))
                .and_then(Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            out_of_hours_reply: hours
                .and_then(|h| h.get("out_of_hours_reply"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// A rule as the page lists it.
pub(super) struct RuleRow {
    pub(super) id: String,
    pub(super) keywords: String,
    /// How the keywords are matched, in the page's language.
    pub(super) match_kind: String,
    pub(super) reply: String,
}

/// The keyword-rules plugin's match modes (its `MatchKind`, kebab-case)
/// with what each means in Indonesian and English: the form's choices and
/// the rule list's labels.
const MATCH_KINDS: [(&str, &str, &str); 5] = [
    ("contains", "mengandung kata kunci", "contains the keyword"),
    (
        "whole-word",
        "mengandung kata utuh",
        "contains the whole word",
    ),
    (
        "starts-with",
        "diawali kata kunci",
        "starts with the keyword",
    ),
    ("exact", "sama persis", "is exactly the keyword"),
    (
        "regex",
        "cocok dengan pola (regex)",
        "matches the pattern (regex)",
    ),
];

/// A match mode in the page's language (a mode this console does not
/// know yet is shown as stored).
fn match_text(lang: Lang, kind: &str) -> String {
    MATCH_KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or_else(|| kind.to_owned(), |(_, id, en)| lang.t(id, en).to_owned())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct RuleForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    keywords: String,
    #[serde(default, rename = "match")]
    match_kind: String,
    #[serde(default)]
    reply: String,
}

#[derive(Template)]
#[template(path = "web/bot.html")]
struct BotPage {
    chrome: Chrome,
    /// The match modes as (value, label) for the form's choice.
    match_kinds: Vec<(&'static str, &'static str)>,
    devices: Vec<DeviceView>,
    device: Option<DeviceView>,
    pipeline: Vec<PipelineRow>,
    rules: Vec<RuleRow>,
    form: RuleForm,
    errors: FormErrors,
    /// The AI reply settings' fields (empty when the server does not offer
    /// the plugin).
    ai: Vec<Field>,
    ai_errors: FormErrors,
    hours: HoursForm,
    hours_errors: FormErrors,
    /// The vendor's time zone, in which the hours count.
    time_zone: String,
}

/// What a page shows in its forms other than the stored state: a form
/// that failed, with what was typed and its errors.
#[derive(Default)]
struct Typed {
    rule: Option<(RuleForm, FormErrors)>,
    ai: Option<(Vec<Field>, FormErrors)>,
    hours: Option<(HoursForm, FormErrors)>,
}

/// The AI reply plugin's configuration schema, when the server offers it.
async fn ai_schema(state: &AppState) -> Result<Option<Value>, AppError> {
    Ok(crate::bots::catalog(state)
        .await?
        .into_iter()
        .find(|p| p.name == AI_REPLY)
        .map(|p| p.config_schema))
}

/// The stored configuration of `plugin` in a pipeline.
fn config_of<'a>(plugins: &'a [DevicePlugin], plugin: &str) -> Option<&'a Value> {
    plugins
        .iter()
        .find(|p| p.plugin == plugin)
        .map(|p| &p.config)
}

fn rules_of(lang: Lang, plugins: &[DevicePlugin]) -> Vec<RuleRow> {
    plugins
        .iter()
        .filter(|p| p.plugin == KEYWORD_RULES)
        .flat_map(|p| {
            p.config
                .get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .map(|r| RuleRow {
            id: r
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            keywords: r
                .get("keywords")
                .and_then(Value::as_array)
                .map(|k| {
                    k.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            match_kind: match_text(
                lang,
                r.get("match").and_then(Value::as_str).unwrap_or("contains"),
            ),
            reply: r
                .get("reply")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

async fn page(
    state: &AppState,
    c: Console,
    device: &str,
    typed: Typed,
) -> Result<BotPage, PageError> {
    let lang = c.chrome.lang;
    let devices = crate::devices::list(state, &c.member).await?;
    let chosen = if device.is_empty() {
        devices.first().cloned()
    } else {
        Some(
            devices
                .iter()
                .find(|d| d.id.as_str() == device)
                .cloned()
                .ok_or(AppError::NotFound("device"))?,
        )
    };
    let plugins = match &chosen {
        Some(d) => crate::bots::device_plugins(state, &c.member, &d.id).await?,
        None => Vec::new(),
    };
    let (ai, ai_errors) = match typed.ai {
        Some(typed) => typed,
        None => {
            // Without the plugin host the page still edits rules and
            // hours; the AI form is left out (the error is logged).
            let schema = match &chosen {
                Some(_) => ai_schema(state).await.unwrap_or_else(|e| {
                    e.log();
                    None
                }),
                None => None,
            };
            let fields = match (&chosen, schema) {
                (Some(_), Some(schema)) => schema_form::fields(
                    &schema,
                    config_of(&plugins, AI_REPLY).unwrap_or(&Value::Null),
                    lang,
                    AI_WORDS,
                    AI_CHOICES,
                ),
                _ => Vec::new(),
            };
            (fields, FormErrors::new())
        }
    };
    let (hours, hours_errors) = typed.hours.unwrap_or_else(|| {
        (
            HoursForm::of(lang, config_of(&plugins, KEYWORD_RULES)),
            FormErrors::new(),
        )
    });
    let (form, errors) = typed.rule.unwrap_or_default();
    let time_zone = crate::tenants::store::time_zone_of(&state.pool, c.member.tenant())
        .await?
        .unwrap_or_else(|| "Asia/Jakarta".to_owned());
    Ok(BotPage {
        match_kinds: MATCH_KINDS
            .iter()
            .map(|(k, id, en)| (*k, lang.t(id, en)))
            .collect(),
        chrome: c.chrome.at("bot"),
        devices,
        device: chosen,
        pipeline: pipeline_rows(lang, &plugins),
        rules: rules_of(lang, &plugins),
        form,
        errors,
        ai,
        ai_errors,
        hours,
        hours_errors,
        time_zone,
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct DeviceQuery {
    #[serde(default)]
    device: String,
}

/// `GET /console/bot?device=<id>`.
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Query(q): Query<DeviceQuery>,
) -> PageResult {
    let p = page(&state, c, &q.device, Typed::default()).await?;
    Ok(render(&p)?.into_response())
}

/// The device's pipeline with `change` applied to the keyword-rules
/// plugin's configuration (added first in the pipeline when missing).
async fn with_rules(
    state: &AppState,
    member: &CurrentMember,
    device: &DeviceId,
    change: impl FnOnce(&mut Vec<Value>),
) -> Result<Vec<DevicePlugin>, AppError> {
    let mut plugins = crate::bots::device_plugins(state, member, device).await?;
    if !plugins.iter().any(|p| p.plugin == KEYWORD_RULES) {
        plugins.insert(
            0,
            DevicePlugin {
                plugin: KEYWORD_RULES.to_owned(),
                enabled: true,
                config: json!({ "rules": [] }),
            },
        );
    }
    if let Some(p) = plugins.iter_mut().find(|p| p.plugin == KEYWORD_RULES) {
        let mut rules = p
            .config
            .get("rules")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        change(&mut rules);
        if let Some(obj) = p.config.as_object_mut() {
            obj.insert("rules".to_owned(), Value::Array(rules));
        }
    }
    Ok(plugins)
}

/// `POST /console/bot/rules`: adds a keyword rule to the device's
/// keyword-rules plugin and saves the pipeline.
pub(super) async fn add_rule(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<RuleForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut errors = FormErrors::new();
    let keywords: Vec<String> = form
        .keywords
        .split(',')
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    if keywords.is_empty() {
        errors.add(
            "keywords",
            &Text::new("isi minimal satu kata kunci", "give at least one keyword"),
        );
    }
    if form.reply.trim().is_empty() {
        errors.add(
            "reply",
            &Text::new("balasan tidak boleh kosong", "the reply must not be empty"),
        );
    }
    if errors.is_empty() {
        let rule = json!({
            "id": format!("rule-{}", &crate::db::new_id()[..8]),
            "keywords": keywords,
            "match": if form.match_kind.is_empty() { "contains" } else { form.match_kind.as_str() },
            "reply": form.reply.trim(),
        });
        let device = DeviceId::from(form.device.as_str());
        let plugins = with_rules(&state, &c.member, &device, |rules| rules.push(rule)).await?;
        match crate::bots::set_device_plugins(
            &state,
            &c.member,
            &device,
            PutDevicePlugins { plugins },
        )
        .await
        {
            Ok(_) => return see_other(&format!("/console/bot?device={}", form.device)),
            Err(e) => errors.absorb(e, &[])?,
        }
    }
    let device = form.device.clone();
    let typed = Typed {
        rule: Some((form, errors)),
        ..Typed::default()
    };
    let p = page(&state, c, &device, typed).await?;
    invalid(&p)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    rule: String,
}

/// `POST /console/bot/rules/delete`.
pub(super) async fn delete_rule(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<DeleteForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let device = DeviceId::from(form.device.as_str());
    let plugins = with_rules(&state, &c.member, &device, |rules| {
        rules.retain(|r| r.get("id").and_then(Value::as_str) != Some(form.rule.as_str()));
    })
    .await?;
    crate::bots::set_device_plugins(&state, &c.member, &device, PutDevicePlugins { plugins })
        .await?;
    see_other(&format!("/console/bot?device={}", form.device))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TryForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    text: String,
}

#[derive(Template)]
#[template(path = "web/bot_try.html")]
struct TryResult {
    chrome: Chrome,
    run: Option<DryRun>,
    error: Option<String>,
}

/// `POST /console/bot/try` (htmx): the stored pipeline's answer to a
/// message, as a fragment under the box.
pub(super) async fn try_message(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<TryForm>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let device = DeviceId::from(form.device.as_str());
    let plugins = crate::bots::device_plugins(&state, &c.member, &device).await?;
    let from = if form.from.trim().is_empty() {
        "+6281200000000"
    } else {
        form.from.as_str()
    };
    let (run, error) =
        match crate::bots::dry_run(&state, &c.member, &device, &plugins, from, &form.text).await {
            Ok(run) => (Some(run), None),
            Err(e) if e.status().is_client_error() => (None, Some(e.message(c.chrome.lang))),
            Err(e) => return Err(e.into()),
        };
    Ok(render(&TryResult {
        chrome: c.chrome,
        run,
        error,
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PluginForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    plugin: String,
    /// `up`, `down`, `on` or `off`.
    #[serde(default)]
    action: String,
}

/// `POST /console/bot/plugins`: moves a plugin of the device's pipeline up
/// or down, or turns it on or off (`bots::move_plugin`,
/// `bots::set_plugin_enabled`: the API's role and schema checks).
pub(super) async fn change_plugin(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<PluginForm>,
) -> PageResult {
    let device = DeviceId::from(form.device.as_str());
    let (member, plugin) = (&c.member, form.plugin.as_str());
    match form.action.as_str() {
        "up" => crate::bots::move_plugin(&state, member, &device, plugin, Move::Up).await?,
        "down" => crate::bots::move_plugin(&state, member, &device, plugin, Move::Down).await?,
        "on" => crate::bots::set_plugin_enabled(&state, member, &device, plugin, true).await?,
        "off" => crate::bots::set_plugin_enabled(&state, member, &device, plugin, false).await?,
        _ => {
            return Err(AppError::bad_request(
                "invalid_form",
                Text::new(
                    "action: harus up, down, on atau off",
                    "action: must be up, down, on or off",
                ),
            )
            .into());
        }
    };
    see_other(&format!("/console/bot?device={device}#pipeline"))
}

/// `POST /console/bot/ai`: the AI reply plugin's settings from the form
/// generated from its schema. A value of the wrong type, and every problem
/// the plugin's validation names (the check `PUT
/// /api/v1/devices/{id}/plugins` makes), is shown next to its field.
pub(super) async fn save_ai(
    State(state): State<AppState>,
    c: Console,
    form: FormFields,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let device_raw = form.get("device").to_owned();
    let device = DeviceId::from(device_raw.as_str());
    let plugins = crate::bots::device_plugins(&state, &c.member, &device).await?;
    let schema = ai_schema(&state)
        .await?
        .ok_or(AppError::NotFound("plugin"))?;
    let stored = config_of(&plugins, AI_REPLY)
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    let mut fields = schema_form::fields(&schema, &stored, c.chrome.lang, AI_WORDS, AI_CHOICES);
    let mut config = stored;
    let mut errors = FormErrors::new();
    if schema_form::read(&mut fields, &form, &mut config) {
        let problems = crate::bots::config_problems(&state, AI_REPLY, &config).await?;
        for rest in schema_form::place(&mut fields, problems) {
            errors.note(rest);
        }
        if errors.is_empty() && fields.iter().all(|f| f.error.is_none()) {
            match crate::bots::set_plugin_config(&state, &c.member, &device, AI_REPLY, config).await
            {
                Ok(_) => return see_other(&format!("/console/bot?device={device}#ai")),
                Err(e) => errors.absorb(e, &[])?,
            }
        }
    }
    let typed = Typed {
        ai: Some((fields, errors)),
        ..Typed::default()
    };
    invalid(&page(&state, c, &device_raw, typed).await?)
}

/// Whether `t` is a time as a time field posts it (`HH:MM`).
fn is_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|i| b[*i].is_ascii_digit())
}

/// `POST /console/bot/hours`: the keyword-rules plugin's business hours
/// (open days with their opening and closing time, holidays, the reply
/// sent while closed), counted in the vendor's time zone. The plugin's
/// validation (the API's) checks the windows; its problems are shown next
/// to the day they name.
pub(super) async fn save_hours(
    State(state): State<AppState>,
    c: Console,
    form: FormFields,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let lang = c.chrome.lang;
    let device_raw = form.get("device").to_owned();
    let device = DeviceId::from(device_raw.as_str());
    let plugins = crate::bots::device_plugins(&state, &c.member, &device).await?;
    let stored = config_of(&plugins, KEYWORD_RULES).cloned();
    let before = HoursForm::of(lang, stored.as_ref());
    let mut errors = FormErrors::new();
    let typed = HoursForm {
        enabled: !form.get("enabled").is_empty(),
        days: before
            .days
            .into_iter()
            .map(|d| DayRow {
                open: !form.get(&format!("open_{}", d.key)).is_empty(),
                from: form.get(&format!("from_{}", d.key)).trim().to_owned(),
                to: form.get(&format!("to_{}", d.key)).trim().to_owned(),
                ..d
            })
            .collect(),
        holidays: form.get("holidays").to_owned(),
        out_of_hours_reply: form.get("out_of_hours_reply").to_owned(),
    };
    let mut days = serde_json::Map::new();
    for d in typed.days.iter().filter(|d| d.open) {
        if !is_time(&d.from) || !is_time(&d.to) {
            errors.add(
                d.key,
                &Text::new(
                    "isi jam buka dan jam tutup (JJ:MM)",
                    "enter the opening and closing time (HH:MM)",
                ),
            );
            continue;
        }
        let mut windows = vec![Value::String(format!("{}-{}", d.from, d.to))];
        windows.extend(d.more.iter().cloned().map(Value::String));
        days.insert(d.key.to_owned(), Value::Array(windows));
    }
    let holidays: Vec<Value> = typed
        .holidays
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Value::String(l.to_owned()))
        .collect();
    let reply = typed.out_of_hours_reply.trim();
    let hours = typed.enabled.then(|| {
        json!({
            "days": days,
            "holidays": holidays,
            "out_of_hours_reply": if reply.is_empty() { Value::Null } else { Value::String(reply.to_owned()) },
        })
    });
    let mut config = stored.unwrap_or_else(|| json!({ "rules": [] }));
    if let Some(obj) = config.as_object_mut() {
        match hours {
            Some(h) => obj.insert("business_hours".to_owned(), h),
            None => obj.remove("business_hours"),
        };
    }
    if errors.is_empty() {
        for (pointer, message) in
            crate::bots::config_problems(&state, KEYWORD_RULES, &config).await?
        {
            let message = Text::new(format!("tidak diterima: {message}"), message);
            let field = pointer.strip_prefix("/business_hours/").and_then(|rest| {
                let mut parts = rest.split('/');
                match (parts.next(), parts.next()) {
                    (Some("days"), Some(day)) => DAYS.iter().find(|d| d.0 == day).map(|d| d.0),
                    (Some("holidays"), _) => Some("holidays"),
                    (Some("out_of_hours_reply"), _) => Some("out_of_hours_reply"),
                    _ => None,
                }
            });
            match field {
                Some(f) => errors.add(f, &message),
                None => errors.note(format!("{pointer}: {}", message.get(lang))),
            }
        }
    }
    if errors.is_empty() {
        match crate::bots::set_plugin_config(&state, &c.member, &device, KEYWORD_RULES, config)
            .await
        {
            Ok(_) => return see_other(&format!("/console/bot?device={device}#hours")),
            Err(e) => errors.absorb(e, &[])?,
        }
    }
    let typed = Typed {
        hours: Some((typed, errors)),
        ..Typed::default()
    };
    invalid(&page(&state, c, &device_raw, typed).await?)
}
