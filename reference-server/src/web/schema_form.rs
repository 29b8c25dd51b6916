//! A form generated from a plugin's configuration schema (the JSON Schema
//! in its manifest): one field per setting, nested objects flattened with
//! dotted names (`a.b`), and the posted form read back into a
//! configuration. What a value may be is checked where the API checks it
//! (the plugin's schema and validation); this module only turns text into
//! JSON values and says which field a problem's JSON pointer names.
//!
//! Supported: strings (a text field, or a text area for long texts),
//! integers and numbers with their minimum and maximum, booleans (a
//! checkbox), enums (a choice), nullable types (empty means unset),
//! objects (flattened), arrays of strings (one per line); any other array
//! is edited as JSON.

use serde_json::{Map, Value};

use super::page::FormFields;
use crate::http::i18n::{Lang, Text};

/// The prefix of the generated fields' names in the posted form, which
/// keeps them apart from the form's own fields (`device`, `_csrf`).
const PREFIX: &str = "cfg.";

/// How a setting is edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Input {
    /// One line of text.
    Text,
    /// Several lines of text.
    TextArea,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// On or off.
    Checkbox,
    /// One of the listed values.
    Select,
    /// A list of texts, one per line.
    Lines,
    /// Any other value, as JSON.
    Json,
}

/// One generated field with its current value.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// Dotted path of the setting (`history_window`, `limits.max`).
    pub(super) path: String,
    /// How it is edited.
    pub(super) input: Input,
    /// Its label in the page's language.
    pub(super) label: String,
    /// What it does, from the schema's description or the page's own words.
    pub(super) hint: String,
    /// The value as the field shows it.
    pub(super) value: String,
    /// A checkbox's state.
    pub(super) checked: bool,
    /// A choice's values and labels.
    pub(super) options: Vec<(String, String)>,
    /// The schema's bounds of a number, as the input's `min`/`max`.
    pub(super) min: Option<String>,
    /// See `min`.
    pub(super) max: Option<String>,
    /// Unset (`null`) is allowed: an empty field means unset.
    pub(super) nullable: bool,
    /// What is wrong with what was typed.
    pub(super) error: Option<String>,
}

impl Field {
    /// The field's name in the posted form.
    pub(super) fn name(&self) -> String {
        format!("{PREFIX}{}", self.path)
    }

    /// The field's element id.
    pub(super) fn id(&self) -> String {
        format!("f-cfg-{}", self.path.replace('.', "-"))
    }

    /// The JSON pointer of the setting (`/limits/max`).
    fn pointer(&self) -> String {
        format!("/{}", self.path.replace('.', "/"))
    }
}

/// The page's own words for a plugin's settings: `(path, label id, label
/// en, hint id, hint en, multi-line)`. A setting not listed here shows its
/// name and the schema's description.
pub(super) type Words = &'static [(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
)];

/// The page's words for a choice's values: `(path, value, id, en)`.
pub(super) type Choices = &'static [(&'static str, &'static str, &'static str, &'static str)];

/// Resolves a local `$ref` (`#/$defs/X`, `#/definitions/X`) against the
/// schema's root.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut s = schema;
    // A chain of references ends; a cycle is cut after a few steps.
    for _ in 0..8 {
        let Some(r) = s.get("$ref").and_then(Value::as_str) else {
            return s;
        };
        let Some(found) = r
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
        else {
            return s;
        };
        s = found;
    }
    s
}

/// The schema of a value that may be `null`, without the `null`: a
/// `type` list with `"null"`, or an `anyOf`/`oneOf` of a schema and
/// `{"type": "null"}`. The flag says whether `null` was allowed.
fn strip_null<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, bool) {
    let schema = resolve(root, schema);
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
            if branches.len() == 2
                && branches.iter().any(is_null)
                && let Some(other) = branches.iter().find(|b| !is_null(b))
            {
                return (resolve(root, other), true);
            }
        }
    }
    let nullable = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|v| v == "null"));
    (schema, nullable)
}

/// The schema's type name other than `null`.
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// The values of an enum: `enum: [...]`, or a `oneOf`/`anyOf` of `const`s
/// (schemars' form when the variants have descriptions).
fn enum_values(schema: &Value) -> Option<Vec<(String, Option<String>)>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(|v| (v.to_owned(), None))
                .collect(),
        );
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let consts: Option<Vec<_>> = branches
                .iter()
                .map(|b| {
                    let value = b.get("const").and_then(Value::as_str).or_else(|| {
                        b.get("enum")
                            .and_then(Value::as_array)
                            .filter(|e| e.len() == 1)
                            .and_then(|e| e[0].as_str())
                    })?;
                    let description = b
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    Some((value.to_owned(), description))
                })
                .collect();
            if let Some(consts) = consts.filter(|c| !c.is_empty()) {
                return Some(consts);
            }
        }
    }
    None
}

fn bound(schema: &Value, key: &str) -> Option<String> {
    schema.get(key).and_then(|v| match v {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The form's fields for `schema`, showing `config` (the stored
/// configuration; a setting it lacks shows the schema's default).
pub(super) fn fields(
    schema: &Value,
    config: &Value,
    lang: Lang,
    words: Words,
    choices: Choices,
) -> Vec<Field> {
    let mut out = Vec::new();
    walk(schema, schema, config, "", lang, words, choices, &mut out);
    // The page's own order where it gives one; the schema's (by name) after.
    out.sort_by_key(|f| {
        words
            .iter()
            .position(|w| w.0 == f.path)
            .unwrap_or(words.len())
    });
    out
}

#[allow(clippy::too_many_arguments)]
fn walk(
    root: &Value,
    schema: &Value,
    config: &Value,
    prefix: &str,
    lang: Lang,
    words: Words,
    choices: Choices,
    out: &mut Vec<Field>,
) {
    let schema = resolve(root, schema);
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (key, property) in properties {
        let path = format!("{prefix}{key}");
        let (inner, nullable) = strip_null(root, property);
        let current = config
            .get(key)
            .filter(|v| !v.is_null())
            .or_else(|| property.get("default").filter(|v| !v.is_null()))
            .or_else(|| inner.get("default").filter(|v| !v.is_null()));
        if type_of(inner) == Some("object") && inner.get("properties").is_some() {
            let nested = current.cloned().unwrap_or(Value::Null);
            walk(
                root,
                inner,
                &nested,
                &format!("{path}."),
                lang,
                words,
                choices,
                out,
            );
            continue;
        }
        let own = words.iter().find(|w| w.0 == path);
        let description = property
            .get("description")
            .or_else(|| inner.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (label, hint) = match own {
            Some((_, id, en, hid, hen, _)) => {
                (lang.t(id, en).to_owned(), lang.t(hid, hen).to_owned())
            }
            None => (path.clone(), description.to_owned()),
        };
        let multiline = own.is_some_and(|w| w.5);
        let mut field = Field {
            path: path.clone(),
            input: Input::Text,
            label,
            hint,
            value: String::new(),
            checked: false,
            options: Vec::new(),
            min: bound(inner, "minimum"),
            max: bound(inner, "maximum"),
            nullable,
            error: None,
        };
        if let Some(values) = enum_values(inner) {
            field.input = Input::Select;
            field.options = values
                .into_iter()
                .map(|(value, description)| {
                    let label = choices
                        .iter()
                        .find(|c| c.0 == path && c.1 == value)
                        .map(|c| lang.t(c.2, c.3).to_owned())
                        .or(description)
                        .unwrap_or_else(|| value.clone());
                    (value, label)
                })
                .collect();
            field.value = current
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
        } else {
            match type_of(inner) {
                Some("boolean") => {
                    field.input = Input::Checkbox;
                    field.checked = current.and_then(Value::as_bool).unwrap_or(false);
                }
                Some("integer") => {
                    field.input = Input::Integer;
                    field.value = current.map(Value::to_string).unwrap_or_default();
                }
                Some("number") => {
                    field.input = Input::Number;
                    field.value = current.map(Value::to_string).unwrap_or_default();
                }
                Some("string") => {
                    field.value = current
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    if multiline || field.value.contains('\n') {
                        field.input = Input::TextArea;
                    }
                }
                Some("array")
                    if type_of(resolve(root, inner.get("items").unwrap_or(&Value::Null)))
                        == Some("string") =>
                {
                    field.input = Input::Lines;
                    field.value = current
                        .and_then(Value::as_array)
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .unwrap_or_default();
                }
                _ => {
                    field.input = Input::Json;
                    field.value = current
                        .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                        .unwrap_or_default();
                }
            }
        }
        out.push(field);
    }
}

/// Reads the posted `form` into `fields` (keeping what was typed) and
/// writes each value into `config` at its path. A value that is not of
/// the field's type leaves `config` as it was at that path and records the
/// field's error; returns whether every field was read.
pub(super) fn read(fields: &mut [Field], form: &FormFields, config: &mut Value) -> bool {
    let mut all = true;
    for f in fields.iter_mut() {
        let raw = form.get(&f.name()).to_owned();
        let parsed: Result<Option<Value>, Text> = match f.input {
            Input::Checkbox => {
                f.checked = !raw.is_empty();
                Ok(Some(Value::Bool(f.checked)))
            }
            Input::Text | Input::TextArea | Input::Select => {
                f.value = raw.clone();
                if raw.trim().is_empty() && f.nullable {
                    Ok(Some(Value::Null))
                } else {
                    Ok(Some(Value::String(raw.trim().to_owned())))
                }
            }
            Input::Integer => {
                f.value = raw.clone();
                match raw.trim() {
                    "" if f.nullable => Ok(Some(Value::Null)),
                    "" => Ok(None),
                    t => t.parse::<i64>().map(|n| Some(Value::from(n))).map_err(|_| {
                        Text::new("harus berupa bilangan bulat", "must be a whole number")
                    }),
                }
            }
            Input::Number => {
                f.value = raw.clone();
                match raw.trim().replace(',', ".").as_str() {
                    "" if f.nullable => Ok(Some(Value::Null)),
                    "" => Ok(None),
                    t => t
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(|n| Some(Value::Number(n)))
                        .ok_or_else(|| Text::new("harus berupa angka", "must be a number")),
                }
            }
            Input::Lines => {
                f.value = raw.clone();
                Ok(Some(Value::Array(
                    raw.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| Value::String(l.to_owned()))
                        .collect(),
                )))
            }
            Input::Json => {
                f.value = raw.clone();
                if raw.trim().is_empty() {
                    Ok(if f.nullable { Some(Value::Null) } else { None })
                } else {
                    serde_json::from_str::<Value>(&raw).map(Some).map_err(|e| {
                        let e = e.to_string();
                        crate::http::i18n::tr!("bukan JSON yang valid: {e}", "not valid JSON: {e}")
                    })
                }
            }
        };
        match parsed {
            Ok(Some(value)) => set(config, &f.path, value),
            Ok(None) => remove(config, &f.path),
            Err(e) => {
                f.error = Some(e.get(crate::http::i18n::current()).to_owned());
                all = false;
            }
        }
    }
    all
}

/// Writes `value` at the dotted `path` of `config`, making the objects on
/// the way.
fn set(config: &mut Value, path: &str, value: Value) {
    if !config.is_object() {
        *config = Value::Object(Map::new());
    }
    let mut at = config;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(obj) = at.as_object_mut() else {
            return;
        };
        if parts.peek().is_none() {
            obj.insert(part.to_owned(), value);
            return;
        }
        let next = obj
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        at = next;
    }
}

/// Removes the setting at the dotted `path` (it takes its default).
fn remove(config: &mut Value, path: &str) {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (
            config.pointer_mut(&format!("/{}", parent.replace('.', "/"))),
            key,
        ),
        None => (Some(config), path),
    };
    if let Some(obj) = parent.and_then(Value::as_object_mut) {
        obj.remove(key);
    }
}

/// Puts each problem (a JSON pointer and a message, as the plugin's
/// validation gives them) next to the field it names (the field whose
/// pointer is the problem's or its start); the rest are returned, for
/// above the form.
pub(super) fn place(fields: &mut [Field], problems: Vec<(String, String)>) -> Vec<String> {
    let mut rest = Vec::new();
    for (pointer, message) in problems {
        let at = fields
            .iter_mut()
            .filter(|f| {
                let own = f.pointer();
                pointer == own || pointer.starts_with(&format!("{own}/"))
            })
            .max_by_key(|f| f.path.len());
        match at {
            Some(f) if f.error.is_none() => f.error = Some(message),
            Some(_) => {}
            None => rest.push(format!("{pointer}: {message}")),
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "persona": {"type": "string", "default": ""},
                "business_name": {"type": ["string", "null"]},
                "language": {"$ref": "#/$defs/Language"},
                "history_window": {"type": "integer", "minimum": 0, "maximum": 50, "default": 10},
                "temperature": {"type": ["number", "null"], "minimum": 0.0, "maximum": 2.0},
                "handoff_on_complaint": {"type": "boolean", "default": true},
                "escalation_keywords": {"type": "array", "items": {"type": "string"}},
                "knowledge": {"type": "array", "items": {"$ref": "#/$defs/Snippet"}},
                "limits": {"type": "object", "properties": {"max": {"type": "integer"}}}
            },
            "$defs": {
                "Language": {"oneOf": [
                    {"type": "string", "const": "id", "description": "Bahasa Indonesia"},
                    {"type": "string", "const": "en", "description": "English"}
                ]},
                "Snippet": {"type": "object", "properties": {"text": {"type": "string"}}}
            }
        })
    }

    fn by<'a>(fields: &'a [Field], path: &str) -> &'a Field {
        fields.iter().find(|f| f.path == path).unwrap()
    }

    #[test]
    fn fields_follow_the_schema_and_show_the_stored_values() {
        let config = json!({"history_window": 20, "language": "en", "limits": {"max": 3},
            "escalation_keywords": ["cs", "admin"]});
        let fields = fields(&schema(), &config, Lang::En, &[], &[]);
        assert_eq!(by(&fields, "history_window").input, Input::Integer);
        assert_eq!(by(&fields, "history_window").value, "20");
        assert_eq!(by(&fields, "history_window").max.as_deref(), Some("50"));
        assert_eq!(by(&fields, "temperature").input, Input::Number);
        assert!(by(&fields, "temperature").nullable);
        assert!(by(&fields, "business_name").nullable);
        let language = by(&fields, "language");
        assert_eq!(language.input, Input::Select);
        assert_eq!(language.value, "en");
        assert_eq!(
            language.options[0],
            ("id".into(), "Bahasa Indonesia".into())
        );
        assert!(
            by(&fields, "handoff_on_complaint").checked,
            "the default shows"
        );
        assert_eq!(by(&fields, "escalation_keywords").value, "cs\nadmin");
        assert_eq!(by(&fields, "knowledge").input, Input::Json);
        assert_eq!(by(&fields, "limits.max").value, "3");
        assert_eq!(by(&fields, "limits.max").name(), "cfg.limits.max");
    }

    #[test]
    fn the_posted_form_becomes_the_configuration() {
        let mut fields = fields(&schema(), &json!({}), Lang::En, &[], &[]);
        let form = FormFields::from_pairs(&[
            ("cfg.persona", "Ramah"),
            ("cfg.business_name", ""),
            ("cfg.language", "id"),
            ("cfg.history_window", "12"),
            ("cfg.temperature", "0,5"),
            ("cfg.escalation_keywords", "cs\n\n admin \n"),
            ("cfg.knowledge", "[{\"text\": \"Buka 08.00\"}]"),
            ("cfg.limits.max", "4"),
        ]);
        let mut config = json!({"other": 1});
        assert!(read(&mut fields, &form, &mut config));
        assert_eq!(
            config,
            json!({"other": 1, "persona": "Ramah", "business_name": null, "language": "id",
                "history_window": 12, "temperature": 0.5, "handoff_on_complaint": false,
                "escalation_keywords": ["cs", "admin"], "knowledge": [{"text": "Buka 08.00"}],
                "limits": {"max": 4}})
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error_next_to_its_field() {
        let mut fields = fields(&schema(), &json!({}), Lang::En, &[], &[]);
        let form = FormFields::from_pairs(&[("cfg.history_window", "sepuluh")]);
        let mut config = json!({"history_window": 10});
        assert!(!read(&mut fields, &form, &mut config));
        assert_eq!(config["history_window"], 10, "left as it was");
        let f = by(&fields, "history_window");
        assert!(f.error.is_some());
        assert_eq!(f.value, "sepuluh", "what was typed is kept");
    }

    #[test]
    fn problems_go_next_to_the_field_their_pointer_names() {
        let mut fields = fields(&schema(), &json!({}), Lang::En, &[], &[]);
        let rest = place(
            &mut fields,
            vec![
                ("/history_window".into(), "60 is greater than 50".into()),
                ("/knowledge/0/text".into(), "empty".into()),
                ("/".into(), "whole".into()),
            ],
        );
        assert_eq!(
            by(&fields, "history_window").error.as_deref(),
            Some("60 is greater than 50")
        );
        assert_eq!(by(&fields, "knowledge").error.as_deref(), Some("empty"));
        assert_eq!(rest, vec!["/: whole".to_owned()]);
    }
}
