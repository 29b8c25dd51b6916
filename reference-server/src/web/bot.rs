//! The bot builder: a device's keyword rules edited as a form, and a "try
//! a message" box that runs the device's stored pipeline on a message
//! with the real plugin host, storing and sending nothing
//! (`bots::dry_run`). Saving goes through `bots::set_device_plugins`, the
//! JSON API's rules (role, schema validation).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::bots::{DevicePlugin, DryRun, PutDevicePlugins};
use crate::devices::DeviceView;
use crate::http::i18n::{Lang, Text};

/// The plugin the rules form edits.
const KEYWORD_RULES: &str = "keyword-rules";

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
    rules: Vec<RuleRow>,
    form: RuleForm,
    errors: FormErrors,
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
    form: RuleForm,
    errors: FormErrors,
) -> Result<BotPage, PageError> {
    let devices = crate::devices::list(state, &c.member).await?;
    let chosen = if device.is_empty() {
        devices.first().cloned()
    } else {
        Some(
            devices
                .iter()
                .find(|d| d.id.as_str() == device)
                .cloned()
                .ok_or(crate::http::AppError::NotFound("device"))?,
        )
    };
    let rules = match &chosen {
        Some(d) => rules_of(
            c.chrome.lang,
            &crate::bots::device_plugins(state, &c.member, d.id.as_str()).await?,
        ),
        None => Vec::new(),
    };
    Ok(BotPage {
        match_kinds: MATCH_KINDS
            .iter()
            .map(|(k, id, en)| (*k, c.chrome.lang.t(id, en)))
            .collect(),
        chrome: c.chrome.at("bot"),
        devices,
        device: chosen,
        rules,
        form,
        errors,
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
    let p = page(&state, c, &q.device, RuleForm::default(), FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// The device's pipeline with `change` applied to the keyword-rules
/// plugin's configuration (added first in the pipeline when missing).
async fn with_rules(
    state: &AppState,
    member: &CurrentMember,
    device: &str,
    change: impl FnOnce(&mut Vec<Value>),
) -> Result<Vec<DevicePlugin>, crate::http::AppError> {
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
        let plugins = with_rules(&state, &c.member, &form.device, |rules| rules.push(rule)).await?;
        match crate::bots::set_device_plugins(
            &state,
            &c.member,
            &form.device,
            PutDevicePlugins { plugins },
        )
        .await
        {
            Ok(_) => return see_other(&format!("/console/bot?device={}", form.device)),
            Err(e) => errors.absorb(e, &[])?,
        }
    }
    let device = form.device.clone();
    let p = page(&state, c, &device, form, errors).await?;
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
    let plugins = with_rules(&state, &c.member, &form.device, |rules| {
        rules.retain(|r| r.get("id").and_then(Value::as_str) != Some(form.rule.as_str()));
    })
    .await?;
    crate::bots::set_device_plugins(
        &state,
        &c.member,
        &form.device,
        PutDevicePlugins { plugins },
    )
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
    let plugins = crate::bots::device_plugins(&state, &c.member, &form.device).await?;
    let from = if form.from.trim().is_empty() {
        "+6281200000000"
    } else {
        form.from.as_str()
    };
    let (run, error) =
        match crate::bots::dry_run(&state, &c.member, &form.device, &plugins, from, &form.text)
            .await
        {
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
