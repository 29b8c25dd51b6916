//! The templates' types: requests and answers, the stored row, and the
//! name check.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::compile::Parts;
use crate::domain::{ContactId, TemplateId};
use crate::http::i18n::Text;
use crate::http::{AppError, ResultExt};

/// Media sent with a template (the rendered body becomes the caption).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TemplateMedia {
    /// `image`, `video`, `document` or `audio`.
    pub kind: String,
    /// Public URL of the file.
    pub url: String,
}

/// Mapping to an approved Cloud API template, used on Cloud API devices
/// when a free-form message is refused outside the 24-hour window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CloudTemplateMapping {
    /// Approved template name.
    pub name: String,
    /// Language code, e.g. `id`.
    pub language: String,
    /// Body parameters `{{1}}`, `{{2}}` ... in order; each is itself a
    /// template text (variables and spintax allowed), e.g. `"{name}"`.
    #[serde(default)]
    pub body_params: Vec<String>,
}

/// A message template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    /// Id.
    pub id: TemplateId,
    /// Name (unique per vendor).
    pub name: String,
    /// Text with `{variables}` and `{spin|tax}`.
    pub body: String,
    /// Optional media.
    pub media: Option<TemplateMedia>,
    /// Optional Cloud API template mapping.
    pub cloud_template: Option<CloudTemplateMapping>,
    /// What `{name}` and `{first_name}` say for a contact without a name
    /// (none: `Kak`).
    pub name_fallback: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// A new template or a full replacement.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateInput {
    /// Name (1..=100 characters, unique per vendor).
    pub name: String,
    /// Text with `{variables}` and `{spin|tax}`.
    pub body: String,
    /// Optional media; the rendered body becomes its caption.
    #[serde(default)]
    pub media: Option<TemplateMedia>,
    /// Optional Cloud API template mapping.
    #[serde(default)]
    pub cloud_template: Option<CloudTemplateMapping>,
    /// What `{name}` and `{first_name}` say for a contact without a name:
    /// 1 to 40 characters, e.g. `there` for an English text ("Hi there").
    /// Default `Kak`, the polite Indonesian address ("Halo Kak").
    #[serde(default)]
    pub name_fallback: Option<String>,
}

impl TemplateInput {
    /// The parts to compile.
    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            body: &self.body,
            media: self.media.as_ref(),
            cloud: self.cloud_template.as_ref(),
            name_fallback: self.name_fallback.as_deref(),
        }
    }
}

/// Whom to preview for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewRequest {
    /// The contact whose variables fill the template.
    pub contact_id: ContactId,
    /// Spintax seed (random when absent); the same seed gives the same text.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A rendered preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// The text the contact would receive.
    pub text: String,
    /// The whole message as sent to the provider.
    #[schema(value_type = Object)]
    pub message: serde_json::Value,
    /// The Cloud API template message used as fallback, if mapped.
    #[schema(value_type = Option<Object>)]
    pub cloud_template: Option<serde_json::Value>,
    /// The seed used.
    pub seed: u64,
}

/// A `message_templates` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TemplateRow {
    pub(crate) id: TemplateId,
    pub(crate) name: String,
    pub(crate) body: String,
    pub(crate) media_kind: Option<String>,
    pub(crate) media_url: Option<String>,
    /// The Cloud API mapping as JSON.
    pub(crate) cloud_template: Option<String>,
    pub(crate) name_fallback: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl TemplateRow {
    /// Whether a Cloud API template is mapped (a non-blank mapping).
    pub(crate) fn has_cloud_template(&self) -> bool {
        self.cloud_template
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty())
    }
}

impl TryFrom<TemplateRow> for TemplateView {
    type Error = AppError;

    fn try_from(row: TemplateRow) -> Result<Self, AppError> {
        let cloud_template = row
            .cloud_template
            .map(|c| serde_json::from_str::<CloudTemplateMapping>(&c))
            .transpose()
            .context("reading a stored cloud_template")?;
        Ok(Self {
            id: row.id,
            name: row.name,
            body: row.body,
            media: row
                .media_kind
                .zip(row.media_url)
                .map(|(kind, url)| TemplateMedia { kind, url }),
            cloud_template,
            name_fallback: row.name_fallback,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A template name: trimmed, 1 to 100 characters.
pub(crate) fn validate_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_name",
            Text::new(
                "nama harus terdiri dari 1 sampai 100 karakter",
                "the name must have 1 to 100 characters",
            ),
        ));
    }
    Ok(n.to_owned())
}
