//! Message templates: text with variables (`{name}`, custom fields) and
//! nested spintax, optional media, and for Cloud API devices a mapping to
//! an approved template (name, language, body parameters).
//!
//! Owns the table `message_templates`; its SQL is in `store`.
//!
//! The syntax and the renderer are the `pesan-template` crate, the same
//! code the bot plugins use, so a vendor learns one syntax. Templates are checked
//! when saved: broken spintax and unknown variables are rejected with the
//! line and column. Campaigns compile a stored template with
//! [`compile_stored`] and render it per recipient with [`Compiled`].

mod compile;
mod http;
mod model;
mod store;

pub(crate) use store::purge_tenant;

use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::domain::{TemplateId, TenantId};
use crate::http::AppError;

pub use compile::{
    BUILTIN_VARIABLES, Compiled, ErrorAt, MAX_BODY_CHARS, MAX_NAME_FALLBACK_CHARS, NAME_FALLBACK,
    Parts, Refused, check_text, check_text_at, contact_vars, media_kind, seed_for,
};
pub(crate) use http::{create, delete, list, load, preview_draft, update};
pub use model::{
    CloudTemplateMapping, Preview, PreviewRequest, TemplateInput, TemplateMedia, TemplateView,
};

/// The templates routes (`/api/v1/templates...`).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// Compiles one of the tenant's stored templates against the tenant's
/// current custom fields (404 when it is not the tenant's).
pub(crate) async fn compile_stored(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &TemplateId,
) -> Result<Compiled, AppError> {
    let t = http::load(pool, tenant_id, id).await?;
    let known = crate::contacts::store::field_names(pool, tenant_id).await?;
    let parts = Parts {
        body: &t.body,
        media: t.media.as_ref(),
        cloud: t.cloud_template.as_ref(),
        name_fallback: t.name_fallback.as_deref(),
    };
    Compiled::compile(&parts, &known)
}

/// Whether the tenant's template exists and maps an approved Cloud API
/// template (the fallback when the 24-hour window is closed).
pub(crate) async fn has_cloud_template(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &TemplateId,
) -> Result<bool, sqlx::Error> {
    Ok(store::get(pool, tenant_id, id)
        .await?
        .is_some_and(|t| t.has_cloud_template()))
}
