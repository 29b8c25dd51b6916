//! Reads of other features' tables that templates need and their owners
//! do not offer yet. Each function names the feature that owns the table.

use sqlx::AnyPool;

use crate::domain::{TemplateId, TenantId};

/// How many of the tenant's unfinished campaigns (draft, scheduled,
/// running, paused) use the template, as first message or follow-up.
/// Moves to `campaigns::store`; templates cannot call campaigns for it
/// today without an import circle (campaigns compiles templates), so the
/// owner should offer it as a check templates is handed, or the delete
/// handler should ask campaigns before calling templates.
pub(crate) async fn unfinished_campaigns_using(
    pool: &AnyPool,
    tenant_id: &TenantId,
    template_id: &TemplateId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaigns WHERE tenant_id = $1 AND (template_id = $2 OR followup_template_id = $2) \
         AND status IN ('draft', 'scheduled', 'running', 'paused')",
    )
    .bind(tenant_id)
    .bind(template_id)
    .fetch_one(pool)
    .await
}
