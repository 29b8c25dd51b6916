//! Checking and rendering templates: the syntax is `pesan-template`
//! (variables and nested spintax), checked when a template is saved, with
//! the line and column of the first mistake.

use std::collections::HashMap;

use pesan_template::{MAX_DEPTH, Template, TemplateError, TemplateErrorKind, seed_from};
use whatsapp_client::{
    MediaKind, MediaSource, OutgoingMessage, TemplateComponent, TemplateMessage, TemplateParameter,
};

use super::model::{CloudTemplateMapping, TemplateMedia};
use crate::http::AppError;
use crate::http::i18n::{Text, tr};

/// Variables every contact has.
pub const BUILTIN_VARIABLES: &[&str] = &["name", "first_name", "phone"];

/// What `{name}` and `{first_name}` render as for a contact without a
/// name: "Kak", the polite Indonesian address the bot plugins use too
/// (the template crate's contact variables), so "Halo {name}," reads "Halo Kak,".
pub const NAME_FALLBACK: &str = "Kak";

/// Longest body accepted, in characters.
pub const MAX_BODY_CHARS: usize = 4096;

/// A checked template ready to render for many recipients.
#[derive(Debug, Clone)]
pub struct Compiled {
    body: Template,
    media: Option<(MediaKind, String)>,
    cloud: Option<(CloudTemplateMapping, Vec<Template>)>,
    /// The template's own word for a contact without a name.
    name_fallback: Option<String>,
}

/// The parts of a template, as given or stored, for [`Compiled::compile`].
#[derive(Debug, Clone, Copy)]
pub struct Parts<'a> {
    /// Text with `{variables}` and `{spin|tax}`.
    pub body: &'a str,
    /// Optional media.
    pub media: Option<&'a TemplateMedia>,
    /// Optional Cloud API template mapping.
    pub cloud: Option<&'a CloudTemplateMapping>,
    /// What `{name}` says for a contact without a name (none: [`NAME_FALLBACK`]).
    pub name_fallback: Option<&'a str>,
}

/// Longest name fallback, in characters.
pub const MAX_NAME_FALLBACK_CHARS: usize = 40;

/// Describes a template error with where it is, for API messages.
fn describe(field: &str, e: &TemplateError) -> Text {
    let (line, column) = (e.position.line, e.position.column);
    let (id, en): (String, String) = match &e.kind {
        TemplateErrorKind::Unclosed => (
            "`{` tidak pernah ditutup".into(),
            "`{` is never closed".into(),
        ),
        TemplateErrorKind::UnexpectedClose => (
            "`}` tanpa `{` pasangannya (tulis `}}` untuk kurung kurawal biasa)".into(),
            "`}` without a matching `{` (write `}}` for a literal brace)".into(),
        ),
        TemplateErrorKind::Empty => ("`{}` kosong".into(), "`{}` is empty".into()),
        TemplateErrorKind::BadVariableName(n) => (
            format!(
                "`{{{n}}}` bukan nama variabel maupun spintax (pilihan spintax dipisahkan dengan `|`)"
            ),
            format!(
                "`{{{n}}}` is neither a variable name nor spintax (spintax options are separated by `|`)"
            ),
        ),
        TemplateErrorKind::TooDeep => (
            format!("spintax bersarang lebih dari {MAX_DEPTH} tingkat"),
            format!("spintax nested deeper than {MAX_DEPTH} levels"),
        ),
        TemplateErrorKind::MissingVariable(n) => (
            format!("variabel `{n}` tidak punya nilai"),
            format!("variable `{n}` has no value"),
        ),
        // A kind added later: the library's own (English) words.
        _ => {
            let en = e.to_string();
            let en = en
                .split_once(": ")
                .map_or(en.as_str(), |(_, w)| w)
                .to_owned();
            (en.clone(), en)
        }
    };
    tr!(
        "{field}: kesalahan template di baris {line}, kolom {column}: {id}",
        "{field}: template error at line {line}, column {column}: {en}"
    )
}

/// The position of the first `{name}` in `src`, skipping `{{` / `}}`.
fn locate_variable(src: &str, name: &str) -> (u32, u32) {
    let chars: Vec<char> = src.chars().collect();
    let (mut line, mut col) = (1u32, 1u32);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c == '{' || c == '}') && chars.get(i + 1) == Some(&c) {
            i += 2;
            col += 2;
            continue;
        }
        if c == '{' {
            let rest: String = chars[i + 1..]
                .iter()
                .take(name.chars().count() + 1)
                .collect();
            if rest.strip_prefix(name) == Some("}") {
                return (line, col);
            }
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
        i += 1;
    }
    (1, 1)
}

/// Where a mistake in a template text is: the text's field (`body`,
/// `cloud_template.body_params[0]`, ...) and the 1-based line and column
/// (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAt {
    /// The field holding the text.
    pub field: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// A refused template: the API's error, and where the mistake is when it
/// is inside a text (broken spintax, an unknown variable), so an editor
/// can point at it.
#[derive(Debug)]
pub struct Refused {
    /// The error the API answers.
    pub error: AppError,
    /// The position of the mistake, if it has one.
    pub at: Option<ErrorAt>,
}

impl From<AppError> for Refused {
    fn from(error: AppError) -> Self {
        Self { error, at: None }
    }
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

/// Parses one template text and rejects unknown variables.
pub fn check_text(field: &str, src: &str, known_fields: &[String]) -> Result<Template, AppError> {
    check_text_at(field, src, known_fields).map_err(|r| r.error)
}

/// [`check_text`], with the position of the mistake.
pub fn check_text_at(field: &str, src: &str, known_fields: &[String]) -> Result<Template, Refused> {
    let at = |line: u32, column: u32| {
        Some(ErrorAt {
            field: field.to_owned(),
            line,
            column,
        })
    };
    if src.trim().is_empty() {
        return Err(AppError::bad_request(
            "invalid_template",
            tr!("{field}: teks kosong", "{field}: the text is empty"),
        )
        .into());
    }
    if src.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::bad_request(
            "invalid_template",
            tr!(
                "{field}: lebih dari {MAX_BODY_CHARS} karakter",
                "{field}: longer than {MAX_BODY_CHARS} characters"
            ),
        )
        .into());
    }
    let t = Template::parse(src).map_err(|e| Refused {
        error: AppError::bad_request("invalid_template", describe(field, &e)),
        at: at(e.position.line, e.position.column),
    })?;
    for v in t.variables() {
        if !BUILTIN_VARIABLES.contains(&v) && !known_fields.iter().any(|k| k == v) {
            let (line, column) = locate_variable(src, v);
            let known = BUILTIN_VARIABLES
                .iter()
                .copied()
                .chain(known_fields.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Refused {
                error: AppError::bad_request(
                    "unknown_variable",
                    tr!(
                        "{field}: kesalahan template di baris {line}, kolom {column}: variabel `{{{v}}}` \
                         tidak dikenal (yang dikenal: {known})",
                        "{field}: template error at line {line}, column {column}: unknown variable `{{{v}}}` \
                         (known: {known})"
                    ),
                ),
                at: at(line, column),
            });
        }
    }
    Ok(t)
}

/// Checks a name fallback: trimmed, 1 to [`MAX_NAME_FALLBACK_CHARS`]
/// characters, plain text (it is inserted as a value, never parsed).
fn check_name_fallback(word: &str) -> Result<String, AppError> {
    let word = word.trim();
    let n = word.chars().count();
    if n == 0 || n > MAX_NAME_FALLBACK_CHARS || word.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "invalid_name_fallback",
            tr!(
                "name_fallback harus 1 sampai {MAX_NAME_FALLBACK_CHARS} karakter tanpa karakter kontrol",
                "name_fallback must be 1 to {MAX_NAME_FALLBACK_CHARS} characters without control characters"
            ),
        ));
    }
    Ok(word.to_owned())
}

/// Parses a media kind name.
pub fn media_kind(kind: &str) -> Option<MediaKind> {
    match kind {
        "image" => Some(MediaKind::Image),
        "video" => Some(MediaKind::Video),
        "document" => Some(MediaKind::Document),
        "audio" => Some(MediaKind::Audio),
        _ => None,
    }
}

impl Compiled {
    /// Checks a template's parts against the vendor's known custom fields.
    pub fn compile(parts: &Parts<'_>, known_fields: &[String]) -> Result<Self, AppError> {
        Self::compile_at(parts, known_fields).map_err(|r| r.error)
    }

    /// [`Compiled::compile`], with the position of a mistake in a text.
    pub fn compile_at(parts: &Parts<'_>, known_fields: &[String]) -> Result<Self, Refused> {
        let body_t = check_text_at("body", parts.body, known_fields)?;
        let name_fallback = parts.name_fallback.map(check_name_fallback).transpose()?;
        let media = match parts.media {
            None => None,
            Some(m) => {
                let kind = media_kind(&m.kind).ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_media",
                        Text::new(
                            "media.kind harus image, video, document atau audio",
                            "media.kind must be image, video, document or audio",
                        ),
                    )
                })?;
                let url = url::Url::parse(&m.url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "invalid_media",
                            Text::new(
                                "media.url harus berupa URL http(s)",
                                "media.url must be an http(s) URL",
                            ),
                        )
                    })?;
                Some((kind, url.to_string()))
            }
        };
        let cloud = match parts.cloud {
            None => None,
            Some(c) => {
                if c.name.trim().is_empty() || c.language.trim().is_empty() {
                    return Err(AppError::bad_request(
                        "invalid_template",
                        Text::new(
                            "cloud_template: name dan language wajib diisi",
                            "cloud_template: name and language are required",
                        ),
                    )
                    .into());
                }
                let params = c
                    .body_params
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        check_text_at(&format!("cloud_template.body_params[{i}]"), p, known_fields)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Some((c.clone(), params))
            }
        };
        Ok(Self {
            body: body_t,
            media,
            cloud,
            name_fallback,
        })
    }

    /// The variables of a contact for this template ([`contact_vars`] with
    /// the template's name fallback).
    pub fn contact_vars(
        &self,
        name: &str,
        phone: &str,
        fields: &std::collections::BTreeMap<String, String>,
    ) -> HashMap<String, String> {
        let fallback = self.name_fallback.as_deref().unwrap_or(NAME_FALLBACK);
        contact_vars(name, phone, fields, fallback)
    }

    /// The template's own name fallback as stored (none: the default).
    pub fn stored_name_fallback(&self) -> Option<&str> {
        self.name_fallback.as_deref()
    }

    /// Whether a Cloud API template mapping is configured.
    pub fn has_cloud_template(&self) -> bool {
        self.cloud.is_some()
    }

    /// The rendered body text for `vars` (a missing value renders empty).
    pub fn render_text(
        &self,
        vars: &HashMap<String, String>,
        seed: u64,
    ) -> Result<String, AppError> {
        render(&self.body, vars, seed)
    }

    /// The message for one recipient: text, or media with the text as caption.
    pub fn render(
        &self,
        vars: &HashMap<String, String>,
        seed: u64,
    ) -> Result<OutgoingMessage, AppError> {
        let text = self.render_text(vars, seed)?;
        Ok(match &self.media {
            None => OutgoingMessage::text(text),
            Some((kind, url)) => {
                let m = OutgoingMessage::media(*kind, MediaSource::link(url.clone()));
                if *kind == MediaKind::Audio {
                    m
                } else {
                    m.with_caption(text)
                }
            }
        })
    }

    /// The mapped Cloud API template message, if a mapping exists.
    pub fn render_cloud(
        &self,
        vars: &HashMap<String, String>,
        seed: u64,
    ) -> Result<Option<OutgoingMessage>, AppError> {
        let Some((mapping, params)) = &self.cloud else {
            return Ok(None);
        };
        let mut msg = TemplateMessage::new(mapping.name.clone(), mapping.language.clone());
        if !params.is_empty() {
            let values = params
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    render(p, vars, seed.wrapping_add(i as u64 + 1)).map(TemplateParameter::text)
                })
                .collect::<Result<Vec<_>, _>>()?;
            msg = msg.with_component(TemplateComponent::Body { parameters: values });
        }
        Ok(Some(OutgoingMessage::from(msg)))
    }
}

fn render(t: &Template, vars: &HashMap<String, String>, seed: u64) -> Result<String, AppError> {
    // Every variable the template uses has a value: a contact without a
    // custom field renders it as empty text rather than failing the send.
    let mut all: HashMap<&str, &str> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for v in t.variables() {
        all.entry(v).or_insert("");
    }
    t.render(&all, seed)
        .map_err(|e| AppError::internal_from("render", e))
}

/// The variables of a contact: `name`, `first_name`, `phone` and its
/// custom fields. A contact without a name (empty or only spaces) gets
/// `name_fallback` (usually [`NAME_FALLBACK`]) for `name` and `first_name`.
pub fn contact_vars(
    name: &str,
    phone: &str,
    fields: &std::collections::BTreeMap<String, String>,
    name_fallback: &str,
) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> =
        fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let name = match name.trim() {
        "" => name_fallback,
        n => n,
    };
    vars.insert("name".to_owned(), name.to_owned());
    vars.insert(
        "first_name".to_owned(),
        name.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    );
    vars.insert("phone".to_owned(), phone.to_owned());
    vars
}

/// The spintax seed of one queue row: the same row always renders the same
/// text, so a retried send repeats the original wording.
pub fn seed_for(recipient_id: &str) -> u64 {
    seed_from(&[recipient_id])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn known() -> Vec<String> {
        vec!["kota".to_owned()]
    }

    fn compile(
        body: &str,
        media: Option<&TemplateMedia>,
        cloud: Option<&CloudTemplateMapping>,
        known: &[String],
    ) -> Result<Compiled, AppError> {
        let parts = Parts {
            body,
            media,
            cloud,
            name_fallback: None,
        };
        Compiled::compile(&parts, known)
    }

    #[test]
    fn renders_variables_spintax_and_media() {
        let c = compile("{Halo|Hai} {first_name} dari {kota}", None, None, &known()).unwrap();
        let vars = c.contact_vars(
            "Budi Santoso",
            "+6281234567890",
            &[("kota".to_owned(), "Bandung".to_owned())].into(),
        );
        let text = c.render_text(&vars, 1).unwrap();
        assert!(
            text == "Halo Budi dari Bandung" || text == "Hai Budi dari Bandung",
            "{text}"
        );
        assert_eq!(
            c.render_text(&vars, 1).unwrap(),
            text,
            "same seed, same text"
        );
        // A contact without the field renders it empty.
        let bare = c.contact_vars("Sari", "+6281234567891", &Default::default());
        assert!(c.render_text(&bare, 2).unwrap().ends_with("dari "));

        let media = TemplateMedia {
            kind: "image".into(),
            url: "https://example.com/p.jpg".into(),
        };
        let c = compile("Promo {name}", Some(&media), None, &known()).unwrap();
        let m = c.render(&vars, 3).unwrap();
        assert_eq!(m.kind(), "image");
    }

    #[test]
    fn nameless_contact_is_kak() {
        let c = compile("Halo {name}, {first_name}!", None, None, &[]).unwrap();
        for blank in ["", "   "] {
            let vars = c.contact_vars(blank, "+6281234567890", &Default::default());
            assert_eq!(c.render_text(&vars, 1).unwrap(), "Halo Kak, Kak!");
        }
        let vars = c.contact_vars(" Budi Santoso ", "+6281234567890", &Default::default());
        assert_eq!(c.render_text(&vars, 1).unwrap(), "Halo Budi Santoso, Budi!");
    }

    #[test]
    fn a_template_may_name_its_own_fallback() {
        fn parts(name_fallback: Option<&str>) -> Parts<'_> {
            Parts {
                body: "Hi {name}, {first_name}!",
                media: None,
                cloud: None,
                name_fallback,
            }
        }
        let c = Compiled::compile(&parts(Some("  there ")), &[]).unwrap();
        assert_eq!(c.stored_name_fallback(), Some("there"));
        let vars = c.contact_vars(" ", "+6281234567890", &Default::default());
        assert_eq!(c.render_text(&vars, 1).unwrap(), "Hi there, there!");
        // A named contact is unaffected.
        let vars = c.contact_vars("Budi", "+6281234567890", &Default::default());
        assert_eq!(c.render_text(&vars, 1).unwrap(), "Hi Budi, Budi!");
        for bad in ["", "  ", "a\nb", &"x".repeat(MAX_NAME_FALLBACK_CHARS + 1)] {
            let err = Compiled::compile(&parts(Some(bad)), &[]).unwrap_err();
            assert_eq!(err.code(), "invalid_name_fallback", "{bad:?}");
        }
        assert!(Compiled::compile(&parts(Some(&"x".repeat(MAX_NAME_FALLBACK_CHARS))), &[]).is_ok());
    }

    #[test]
    fn unknown_variable_says_where() {
        let err = compile(
            "Halo {name},\n{Promo|Diskon} untuk {alamat}",
            None,
            None,
            &known(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.code(), "unknown_variable");
        assert!(msg.contains("baris 2, kolom 22"), "{msg}");
        assert!(msg.contains("{alamat}"), "{msg}");
        let AppError::BadRequest { message, .. } = &err else {
            panic!("not a 400: {err:?}")
        };
        let en = message.get(crate::http::i18n::Lang::En);
        assert!(
            en.contains("line 2, column 22: unknown variable `{alamat}`"),
            "{en}"
        );
    }

    #[test]
    fn broken_spintax_says_where() {
        let err = compile("Halo {Kak|Bu", None, None, &[]).unwrap_err();
        assert_eq!(err.code(), "invalid_template");
        assert!(err.to_string().contains("baris 1, kolom 6"), "{err}");
        let err = compile(
            "ok",
            None,
            Some(&CloudTemplateMapping {
                name: "promo".into(),
                language: "id".into(),
                body_params: vec!["{nama}".into()],
            }),
            &[],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("cloud_template.body_params[0]"),
            "{err}"
        );
    }

    #[test]
    fn cloud_mapping_renders_parameters() {
        let mapping = CloudTemplateMapping {
            name: "promo_nov".into(),
            language: "id".into(),
            body_params: vec!["{name}".into()],
        };
        let c = compile("Halo {name}", None, Some(&mapping), &[]).unwrap();
        let vars = c.contact_vars("Budi", "+6281234567890", &Default::default());
        let m = c.render_cloud(&vars, 9).unwrap().unwrap();
        let OutgoingMessage::Template(t) = m else {
            panic!("not a template")
        };
        assert_eq!(t.name, "promo_nov");
        assert_eq!(
            t.components,
            vec![TemplateComponent::Body {
                parameters: vec![TemplateParameter::text("Budi")]
            }]
        );
    }
}
