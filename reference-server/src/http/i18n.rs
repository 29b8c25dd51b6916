//! Language of the texts the API answers with: Indonesian by default,
//! English on request.
//!
//! The caller picks with `Accept-Language` (`id`, `en`, `en-US;q=0.9`, ...;
//! the recognised tag with the highest weight wins, anything else means
//! Indonesian). [`negotiate`] runs each request inside a task-local scope
//! holding that choice, so any code on the request's task (handlers,
//! extractors, [`AppError`](super::AppError)'s response) asks [`current`]
//! or [`pick`] without threading a parameter through. Work outside a request
//! (background jobs) gets Indonesian. The response says which language it
//! used in `Content-Language`.
//!
//! The stable `code` of an error never changes with the language; clients
//! branch on it, people read `message`.

use std::borrow::Cow;
use std::fmt;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE};
use axum::middleware::Next;
use axum::response::Response;

/// A language of user-facing texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag (`id`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }

    fn of_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "id" | "in" | "ind" => Some(Self::Id),
            "en" | "eng" => Some(Self::En),
            _ => None,
        }
    }

    /// The language of a stored vendor locale (`tenants.locale`: `id`,
    /// `en`, `en-US`, ...); anything unrecognised is Indonesian.
    pub fn of(locale: &str) -> Self {
        Self::of_tag(locale).unwrap_or_default()
    }

    /// The language an `Accept-Language` value asks for: the recognised tag
    /// with the highest `q` (the first one on ties), else Indonesian.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(Self, f32)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Self::of_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(str::trim))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
        best.map_or_else(Self::default, |(l, _)| l)
    }

    /// The language of a command-line value: `id` or `en` (also `in`,
    /// `ind`, `eng`, `en-US`, ...); anything else is an error.
    pub fn parse_arg(value: &str) -> Result<Self, String> {
        Self::of_tag(value).ok_or_else(|| format!("{value:?} is not a language: use id or en"))
    }

    /// `id` or `en`, whichever this language is, borrowed: the labels of
    /// the web console's templates are written as such pairs
    /// (`{{ lang.t("Masuk", "Sign in") }}`).
    pub fn t(self, id: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Id => id,
            Self::En => en,
        }
    }

    /// The other language (the console's language switch).
    pub fn other(self) -> Self {
        match self {
            Self::Id => Self::En,
            Self::En => Self::Id,
        }
    }

    /// `id` or `en`, whichever this language is.
    pub fn pick(self, id: &str, en: &str) -> String {
        match self {
            Self::Id => id.to_owned(),
            Self::En => en.to_owned(),
        }
    }
}

tokio::task_local! {
    static LANG: Lang;
}

/// The language of the request being served (Indonesian outside requests).
pub fn current() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// Runs `f` with `lang` as the current language: what a command-line
/// tool uses in place of [`negotiate`].
pub async fn scope<F: std::future::Future>(lang: Lang, f: F) -> F::Output {
    LANG.scope(lang, f).await
}

/// The text in the current request's language.
pub fn pick(id: &str, en: &str) -> String {
    current().pick(id, en)
}

/// Middleware: reads `Accept-Language`, serves the request in that
/// language and answers with `Content-Language`.
pub async fn negotiate(req: Request, next: Next) -> Response {
    let lang = req
        .headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or_else(Lang::default, Lang::from_accept_language);
    let mut res = LANG.scope(lang, next.run(req)).await;
    res.headers_mut()
        .entry(CONTENT_LANGUAGE)
        .or_insert(HeaderValue::from_static(lang.tag()));
    res
}

/// A user-facing text in both languages. Error messages of the API are
/// [`Text`]s, so none can be written in one language only; the response
/// picks the caller's language. Build one with [`Text::new`] (or, inside
/// this crate, the `tr!` macro).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    id: Cow<'static, str>,
    en: Cow<'static, str>,
}

impl Text {
    /// The text in Indonesian (`id`) and in English (`en`).
    pub fn new(id: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        Self {
            id: id.into(),
            en: en.into(),
        }
    }

    /// `{what}: {self}` in both languages: the field or value a reason is
    /// about, before the reason.
    pub fn about(&self, what: &str) -> Self {
        Self::new(
            format!("{what}: {}", self.id),
            format!("{what}: {}", self.en),
        )
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Id => &self.id,
            Lang::En => &self.en,
        }
    }
}

/// In the language of the request being served (Indonesian outside one).
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get(current()))
    }
}

/// Serialized in the language of the request being served, like
/// [`Display`](fmt::Display): a report built inside a request (e.g. the
/// rejected rows of an import) answers in the caller's language.
impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.get(current()))
    }
}

/// A [`Text`] from two format strings, Indonesian first:
/// `tr!("{field}: wajib diisi", "{field}: is required")`.
macro_rules! tr {
    ($id:literal, $en:literal $(,)?) => {
        $crate::http::i18n::Text::new(::std::format!($id), ::std::format!($en))
    };
}
pub(crate) use tr;

/// The Indonesian name of a resource named in a 404 (`"device"` ->
/// `"perangkat"`); unknown names are kept.
pub(crate) fn resource_id(name: &str) -> &str {
    match name {
        "api key" => "kunci API",
        "buyer" => "pembeli",
        "campaign" => "kampanye",
        "contact" => "kontak",
        "conversation" => "percakapan",
        "device" => "perangkat",
        "group" => "grup kontak",
        "llm provider" => "penyedia LLM",
        "member" => "anggota",
        "order" => "pesanan",
        "pending sign-up" => "pendaftaran yang menunggu verifikasi",
        "plan" => "paket",
        "platform admin" => "admin platform",
        "tenant" | "vendor" => "vendor",
        "template" => "template",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("id-ID,id;q=0.9,en;q=0.8"),
            Lang::Id
        );
        assert_eq!(Lang::from_accept_language("fr-FR, en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("id;q=0.3, en;q=0.7"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr"), Lang::Id);
        assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Id);
        assert_eq!(Lang::from_accept_language(""), Lang::Id);
        assert_eq!(current(), Lang::Id);
    }

    #[tokio::test]
    async fn texts_follow_the_request_language() {
        let field = "name";
        let text = tr!("{field}: wajib diisi", "{field}: is required");
        assert_eq!(text.get(Lang::Id), "name: wajib diisi");
        assert_eq!(text.get(Lang::En), "name: is required");
        assert_eq!(text.to_string(), "name: wajib diisi");
        let en = LANG.scope(Lang::En, async { text.to_string() }).await;
        assert_eq!(en, "name: is required");
        let about = Text::new("kosong", "empty").about("to");
        assert_eq!(
            (about.get(Lang::Id), about.get(Lang::En)),
            ("to: kosong", "to: empty")
        );
    }
}
