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

/// The Indonesian name of a resource named in a 404 (`"device"` ->
/// `"perangkat"`); unknown names are kept.
pub(crate) fn resource_id(name: &str) -> &str {
    match name {
        "api key" => "kunci API",
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
}
