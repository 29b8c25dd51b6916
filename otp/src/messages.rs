//! Message texts: Indonesian by default, English available, all replaceable.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::error::ConfigError;
use crate::purpose::Purpose;

/// Language of the texts sent to and shown to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Locale {
    /// Bahasa Indonesia (the default).
    #[default]
    Indonesian,
    /// English.
    English,
}

impl Locale {
    /// Reads a language tag such as `id`, `id-ID`, `in`, `en` or `en-US`
    /// (case-insensitive); `None` for other languages.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "id" | "in" | "ind" => Some(Self::Indonesian),
            "en" | "eng" => Some(Self::English),
            _ => None,
        }
    }

    /// The BCP 47 tag: `id` or `en`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Indonesian => "id",
            Self::English => "en",
        }
    }
}

/// The texts of the messages that carry a code.
///
/// A template may use `{code}`, `{app}` and `{minutes}` (validity, rounded
/// up) and must contain `{code}`. The defaults put the code first, which
/// helps phones offer it for autofill, and warn not to share it.
///
/// ```
/// use otp::{Locale, Messages, Purpose};
/// let messages = Messages::new("TokoKu")
///     .with_template(Locale::English, "{code} is your TokoKu code")
///     .unwrap();
/// let text = messages.render(&Purpose::LOGIN, Locale::English, "123456", std::time::Duration::from_secs(300));
/// assert_eq!(text, "123456 is your TokoKu code");
/// let id = messages.render(&Purpose::LOGIN, Locale::Indonesian, "123456", std::time::Duration::from_secs(300));
/// assert!(id.starts_with("123456 adalah kode masuk TokoKu"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Messages {
    app: String,
    by_locale: HashMap<Locale, String>,
    by_purpose: HashMap<(Purpose, Locale), String>,
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messages")
            .field("app", &self.app)
            .field("templates", &(self.by_locale.len() + self.by_purpose.len()))
            .finish()
    }
}

impl Default for Messages {
    fn default() -> Self {
        Self::new("")
    }
}

fn default_template(purpose: &Purpose, locale: Locale) -> &'static str {
    match (purpose.as_str(), locale) {
        ("register", Locale::Indonesian) => {
            "{code} adalah kode verifikasi pendaftaran {app} Anda. Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun."
        }
        ("login", Locale::Indonesian) => {
            "{code} adalah kode masuk {app} Anda. Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun."
        }
        ("password_reset", Locale::Indonesian) => {
            "{code} adalah kode untuk mengatur ulang kata sandi {app} Anda. Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun."
        }
        (_, Locale::Indonesian) => {
            "{code} adalah kode verifikasi {app} Anda. Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun."
        }
        ("register", Locale::English) => {
            "{code} is your {app} sign-up verification code. It expires in {minutes} minutes. Never share this code with anyone."
        }
        ("login", Locale::English) => {
            "{code} is your {app} login code. It expires in {minutes} minutes. Never share this code with anyone."
        }
        ("password_reset", Locale::English) => {
            "{code} is your {app} password reset code. It expires in {minutes} minutes. Never share this code with anyone."
        }
        (_, Locale::English) => {
            "{code} is your {app} verification code. It expires in {minutes} minutes. Never share this code with anyone."
        }
    }
}

impl Messages {
    /// The default texts, naming the app as `app` (e.g. `"TokoKu"`).
    pub fn new(app: impl Into<String>) -> Self {
        Self {
            app: app.into(),
            by_locale: HashMap::new(),
            by_purpose: HashMap::new(),
        }
    }

    /// Replaces the text for one language, for every purpose that has no
    /// text of its own.
    pub fn with_template(
        mut self,
        locale: Locale,
        template: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let template = check(template.into())?;
        self.by_locale.insert(locale, template);
        Ok(self)
    }

    /// Replaces the text for one purpose in one language.
    pub fn with_purpose_template(
        mut self,
        purpose: Purpose,
        locale: Locale,
        template: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let template = check(template.into())?;
        self.by_purpose.insert((purpose, locale), template);
        Ok(self)
    }

    /// The app name used for `{app}`.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The message for a code. Placeholders are replaced in one pass, so a
    /// code or app name is never itself expanded.
    pub fn render(&self, purpose: &Purpose, locale: Locale, code: &str, ttl: Duration) -> String {
        let template = self
            .by_purpose
            .get(&(purpose.clone(), locale))
            .or_else(|| self.by_locale.get(&locale))
            .map_or_else(|| default_template(purpose, locale), String::as_str);
        let minutes = ttl.as_secs().div_ceil(60).max(1).to_string();
        let app = self.app.as_str();
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start..];
            let (value, len) = if after.starts_with("{code}") {
                (Some(code), 6)
            } else if after.starts_with("{app}") {
                (Some(app), 5)
            } else if after.starts_with("{minutes}") {
                (Some(minutes.as_str()), 9)
            } else {
                (None, 1)
            };
            match value {
                Some(v) => out.push_str(v),
                None => out.push('{'),
            }
            rest = &after[len..];
        }
        out.push_str(rest);
        // An empty app name leaves a double space ("kode masuk  Anda").
        if self.app.is_empty() {
            while out.contains("  ") {
                out = out.replace("  ", " ");
            }
        }
        out
    }
}

fn check(template: String) -> Result<String, ConfigError> {
    if !template.contains("{code}") {
        return Err(ConfigError::Template("must contain {code}"));
    }
    if template.len() > 1000 {
        return Err(ConfigError::Template("must be at most 1000 bytes"));
    }
    Ok(template)
}

/// "45 detik", "3 menit" / "45 seconds", "3 minutes".
pub(crate) fn wait_text(wait: Duration, locale: Locale) -> String {
    let secs = wait.as_secs().max(1);
    let (n, unit_id, unit_en) = if secs <= 120 {
        (secs, "detik", if secs == 1 { "second" } else { "seconds" })
    } else {
        let m = secs.div_ceil(60);
        (m, "menit", "minutes")
    };
    match locale {
        Locale::Indonesian => format!("{n} {unit_id}"),
        Locale::English => format!("{n} {unit_en}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(300);

    #[test]
    fn defaults_are_indonesian_per_purpose_and_english_available() {
        let m = Messages::new("TokoKu");
        let reg = m.render(&Purpose::REGISTER, Locale::default(), "042913", TTL);
        assert_eq!(
            reg,
            "042913 adalah kode verifikasi pendaftaran TokoKu Anda. Berlaku 5 menit. Jangan berikan kode ini kepada siapa pun."
        );
        let reset = m.render(&Purpose::PASSWORD_RESET, Locale::English, "042913", TTL);
        assert!(
            reset
                .starts_with("042913 is your TokoKu password reset code. It expires in 5 minutes.")
        );
        let custom = Purpose::custom("payout").unwrap();
        assert!(
            m.render(&custom, Locale::Indonesian, "1", TTL)
                .contains("kode verifikasi TokoKu")
        );
    }

    #[test]
    fn without_app_name_no_double_space() {
        let text = Messages::default().render(&Purpose::LOGIN, Locale::Indonesian, "1234", TTL);
        assert_eq!(
            text,
            "1234 adalah kode masuk Anda. Berlaku 5 menit. Jangan berikan kode ini kepada siapa pun."
        );
    }

    #[test]
    fn custom_templates_win_in_order_and_expand_once() {
        let m = Messages::new("{code}")
            .with_template(Locale::Indonesian, "Kode {app}: {code} ({minutes} mnt) {x}")
            .unwrap()
            .with_purpose_template(Purpose::LOGIN, Locale::Indonesian, "Masuk: {code}")
            .unwrap();
        assert_eq!(
            m.render(
                &Purpose::REGISTER,
                Locale::Indonesian,
                "99",
                Duration::from_secs(61)
            ),
            "Kode {code}: 99 (2 mnt) {x}"
        );
        assert_eq!(
            m.render(&Purpose::LOGIN, Locale::Indonesian, "99", TTL),
            "Masuk: 99"
        );
        assert!(
            m.render(&Purpose::LOGIN, Locale::English, "99", TTL)
                .starts_with("99 is your")
        );
        assert!(
            Messages::new("x")
                .with_template(Locale::English, "no code here")
                .is_err()
        );
    }

    #[test]
    fn locale_tags() {
        assert_eq!(Locale::from_tag("id-ID"), Some(Locale::Indonesian));
        assert_eq!(Locale::from_tag("EN_us"), Some(Locale::English));
        assert_eq!(Locale::from_tag("fr"), None);
        assert_eq!(Locale::English.tag(), "en");
    }

    #[test]
    fn wait_texts() {
        assert_eq!(
            wait_text(Duration::from_secs(45), Locale::Indonesian),
            "45 detik"
        );
        assert_eq!(
            wait_text(Duration::from_secs(600), Locale::English),
            "10 minutes"
        );
        assert_eq!(
            wait_text(Duration::from_millis(10), Locale::English),
            "1 second"
        );
    }
}
