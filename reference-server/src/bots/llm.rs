//! Vendor LLM providers (OpenAI-compatible or Anthropic; base URL, model,
//! encrypted API key), hooked into `bot-core`'s [`LlmService`] with usage
//! recorded per tenant in `llm_usage` and the plan's AI request limit
//! enforced before every request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bot_core::llm::{
    Anthropic, ApiKey, ChatProvider, ChatRequest, ChatResponse, LimitCheck, LlmError, LlmRouter,
    LlmService, OpenAiCompatible, UsageRecord, UsageStore, UsageStoreError,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::billing::limits::{self, Limit};
use crate::crypto::Crypto;
use crate::db::{new_id, now_ms};
use crate::domain::{LlmProviderId, TenantId};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

/// Default base URL of `openai` providers.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Default base URL of `anthropic` providers.
pub const ANTHROPIC_DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// How long a tenant's loaded provider list is trusted before the database
/// is asked again (edits on this process take effect at once).
const ROUTE_TTL: Duration = Duration::from_secs(30);

crate::text_enum! {
    /// The API family of an LLM provider (`llm_providers.kind`).
    pub enum LlmKind {
        /// The OpenAI chat completions API (OpenAI, DeepSeek, Groq, Ollama, ...).
        Openai = "openai",
        /// Anthropic's Messages API.
        Anthropic = "anthropic",
    }
}

/// Body of `POST /api/v1/llm-providers`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLlmProvider {
    /// A name for usage reports, e.g. `openai` or `groq-backup`.
    pub name: String,
    /// API family.
    pub kind: LlmKind,
    /// Base URL (defaults: `https://api.openai.com/v1`, `https://api.anthropic.com`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Model name, e.g. `gpt-4o-mini` or `claude-3-5-haiku-latest`.
    pub model: String,
    /// The API key (secret; stored encrypted, never returned).
    /// May be empty for a keyless local OpenAI-compatible server.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Position in the fallback order (lower first; default: last).
    #[serde(default)]
    pub position: Option<i64>,
}

impl std::fmt::Debug for CreateLlmProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateLlmProvider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Body of `PATCH /api/v1/llm-providers/{id}`; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLlmProvider {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New base URL.
    #[serde(default)]
    pub base_url: Option<String>,
    /// New model.
    #[serde(default)]
    pub model: Option<String>,
    /// New API key.
    #[serde(default)]
    pub api_key: Option<String>,
    /// New position.
    #[serde(default)]
    pub position: Option<i64>,
}

impl std::fmt::Debug for UpdateLlmProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateLlmProvider")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// An LLM provider as the API shows it (never the key).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LlmProviderView {
    /// Id.
    pub id: LlmProviderId,
    /// Name.
    pub name: String,
    /// API family.
    pub kind: LlmKind,
    /// Base URL.
    pub base_url: String,
    /// Model.
    pub model: String,
    /// Whether an API key is stored.
    pub api_key_set: bool,
    /// Fallback position (lower first).
    pub position: i64,
    /// Created, unix milliseconds.
    pub created_at: i64,
    /// Updated, unix milliseconds.
    pub updated_at: i64,
}

/// AI usage of the vendor in the current plan period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LlmUsageView {
    /// Answered AI requests since `since`.
    pub requests: i64,
    /// Prompt tokens since `since`.
    pub input_tokens: i64,
    /// Completion tokens since `since`.
    pub output_tokens: i64,
    /// Start of the counted period (the current UTC month), unix milliseconds.
    pub since: i64,
    /// AI requests counted against the plan's monthly limit (UTC month).
    pub counted_against_plan: i64,
}

/// An `llm_providers` row (the key still encrypted).
#[derive(Clone, sqlx::FromRow)]
struct ProviderRow {
    id: LlmProviderId,
    name: String,
    kind: LlmKind,
    base_url: String,
    model: String,
    api_key: String,
    position: i64,
    created_at: i64,
    updated_at: i64,
}

fn key_aad(tenant_id: &str, id: &str) -> String {
    format!("llm:{tenant_id}:{id}")
}

/// Up to `limit` providers' encrypted API keys with ids after `after`, in
/// id order (for key rotation; every tenant's rows).
pub(crate) async fn api_keys_page(
    pool: &AnyPool,
    after: &str,
    limit: i64,
) -> Result<Vec<crate::crypto::StoredSecret>, sqlx::Error> {
    let rows = sqlx::query_as::<_, crate::crypto::SecretRecord>(
        "SELECT id, tenant_id, api_key AS secret FROM llm_providers WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.into_stored(key_aad)).collect())
}

/// Replaces a provider's encrypted API key if it is still `old`; whether
/// it did.
pub(crate) async fn replace_api_key(
    pool: &AnyPool,
    id: &str,
    old: &str,
    new: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE llm_providers SET api_key = $1 WHERE id = $2 AND api_key = $3")
        .bind(new)
        .bind(id)
        .bind(old)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn row_view(r: &ProviderRow) -> LlmProviderView {
    LlmProviderView {
        id: r.id.clone(),
        name: r.name.clone(),
        kind: r.kind,
        base_url: r.base_url.clone(),
        model: r.model.clone(),
        api_key_set: !r.api_key.is_empty(),
        position: r.position,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

async fn load_rows(pool: &AnyPool, tenant_id: &TenantId) -> Result<Vec<ProviderRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, kind, base_url, model, api_key, position, created_at, updated_at \
         FROM llm_providers WHERE tenant_id = $1 ORDER BY position, created_at",
    )
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}

fn check_text(field: &'static str, v: &str, max: usize) -> Result<String, AppError> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::bad_request(
            "invalid_llm_provider",
            tr!(
                "{field}: harus 1 sampai {max} karakter",
                "{field}: must be 1 to {max} characters"
            ),
        ));
    }
    Ok(v.to_owned())
}

fn check_base_url(v: &str) -> Result<String, AppError> {
    let u = url::Url::parse(v.trim()).map_err(|e| {
        AppError::bad_request(
            "invalid_llm_provider",
            tr!(
                "base_url: bukan URL yang valid: {e}",
                "base_url: not a valid URL: {e}"
            ),
        )
    })?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(AppError::bad_request(
            "invalid_llm_provider",
            Text::new(
                "base_url: harus http atau https",
                "base_url: must be http or https",
            ),
        ));
    }
    Ok(u.as_str().trim_end_matches('/').to_owned())
}

/// Builds the `bot-core` provider of one row.
fn build_provider(
    crypto: &Crypto,
    tenant_id: &TenantId,
    r: &ProviderRow,
) -> Result<Arc<dyn ChatProvider>, String> {
    let key = if r.api_key.is_empty() {
        None
    } else {
        let plain = crypto
            .decrypt(&r.api_key, &key_aad(tenant_id, &r.id))
            .map_err(|e| e.to_string())?;
        Some(ApiKey::new(plain.expose_secret().to_owned()))
    };
    let base = url::Url::parse(&r.base_url).map_err(|e| e.to_string())?;
    Ok(match r.kind {
        LlmKind::Openai => {
            let mut p = OpenAiCompatible::new(r.name.clone(), &base, r.model.clone());
            if let Some(key) = key {
                p = p.with_api_key(key);
            }
            Arc::new(p)
        }
        LlmKind::Anthropic => {
            let key = key.ok_or_else(|| "anthropic provider without an API key".to_owned())?;
            Arc::new(
                Anthropic::new(key, r.model.clone())
                    .with_base_url(&base)
                    .with_name(r.name.clone()),
            )
        }
    })
}

/// The per-tenant AI service: loads each tenant's providers from the
/// database (cached; an edit on this process drops the cache at once,
/// other processes reload within [`ROUTE_TTL`]), routes through
/// `bot-core`'s [`LlmRouter`] (ordered fallback), and accounts usage in SQL
/// against the plan's AI request limit.
pub struct TenantLlm {
    pool: AnyPool,
    crypto: Crypto,
    router: LlmRouter,
    loaded: RwLock<HashMap<String, Instant>>,
}

impl std::fmt::Debug for TenantLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantLlm").finish_non_exhaustive()
    }
}

impl TenantLlm {
    pub(crate) fn new(pool: AnyPool, crypto: Crypto) -> Self {
        let usage = Arc::new(SqlUsage { pool: pool.clone() });
        Self {
            pool,
            crypto,
            router: LlmRouter::new(usage),
            loaded: RwLock::default(),
        }
    }

    /// Drops the cached provider list of a tenant (after an edit).
    pub(crate) fn forget(&self, tenant_id: &TenantId) {
        self.loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(tenant_id.as_str());
        self.router.remove_tenant(tenant_id);
    }

    async fn ensure_loaded(&self, tenant_id: &str) -> Result<(), LlmError> {
        let fresh = self
            .loaded
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(tenant_id)
            .is_some_and(|at| at.elapsed() < ROUTE_TTL);
        if fresh {
            return Ok(());
        }
        let tenant_id = TenantId::from(tenant_id);
        let rows = load_rows(&self.pool, &tenant_id)
            .await
            .map_err(|e| LlmError::Provider {
                provider: "database".to_owned(),
                message: e.to_string(),
                retryable: true,
            })?;
        let mut providers = Vec::with_capacity(rows.len());
        for r in &rows {
            match build_provider(&self.crypto, &tenant_id, r) {
                Ok(p) => providers.push(p),
                Err(error) => {
                    tracing::error!(tenant = %tenant_id, provider = %r.name, %error, "unusable LLM provider skipped")
                }
            }
        }
        self.router.set_providers(&tenant_id, providers);
        self.loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(tenant_id.into_string(), Instant::now());
        Ok(())
    }
}

#[async_trait]
impl LlmService for TenantLlm {
    async fn complete(&self, tenant: &str, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        self.ensure_loaded(tenant).await?;
        self.router.complete(tenant, request).await
    }
}

/// Usage accounting in `llm_usage`; the limit is the plan's AI requests
/// per period.
struct SqlUsage {
    pool: AnyPool,
}

#[async_trait]
impl UsageStore for SqlUsage {
    async fn check(&self, tenant: &str) -> Result<LimitCheck, UsageStoreError> {
        match limits::check(&self.pool, &tenant.into(), Limit::AiRequestsPerMonth, 1).await {
            Ok(()) => Ok(LimitCheck::Allowed),
            Err(AppError::PaymentRequired { .. }) => Ok(LimitCheck::Exceeded),
            Err(e) => Err(UsageStoreError(e.to_string())),
        }
    }

    async fn record(&self, tenant: &str, record: &UsageRecord) -> Result<(), UsageStoreError> {
        sqlx::query(
            "INSERT INTO llm_usage (id, tenant_id, provider, model, input_tokens, output_tokens, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(tenant)
        .bind(&record.provider)
        .bind(&record.model)
        .bind(i64::from(record.usage.input_tokens))
        .bind(i64::from(record.usage.output_tokens))
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(|e| UsageStoreError(e.to_string()))?;
        limits::record(&self.pool, &tenant.into(), Limit::AiRequestsPerMonth, 1)
            .await
            .map_err(|e| UsageStoreError(e.to_string()))?;
        Ok(())
    }
}

/// Start of the current calendar month (UTC), unix milliseconds: the
/// period of the plan's monthly AI limit.
fn month_start_ms() -> i64 {
    use chrono::{Datelike, TimeZone};
    let now = chrono::Utc::now();
    chrono::Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}

/// The requests and tokens of a tenant's `llm_usage` rows in a period.
#[derive(sqlx::FromRow)]
struct UsageTotals {
    requests: i64,
    input_tokens: i64,
    output_tokens: i64,
}

/// List the vendor's LLM providers in fallback order.
#[utoipa::path(
    get, path = "/api/v1/llm-providers", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Providers", body = inline(crate::http::Data<Vec<LlmProviderView>>)))
)]
pub(crate) async fn list_llm_providers(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<LlmProviderView>> {
    let rows = load_rows(&state.pool, &member.tenant_id).await?;
    Ok(ok(rows.iter().map(row_view).collect()))
}

/// Add an LLM provider (owner or admin). The key is stored encrypted.
#[utoipa::path(
    post, path = "/api/v1/llm-providers", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateLlmProvider,
    responses(
        (status = 201, description = "Created", body = inline(crate::http::Data<LlmProviderView>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
    )
)]
pub(crate) async fn create_llm_provider(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(body): ApiJson<CreateLlmProvider>,
) -> Created<LlmProviderView> {
    member.require(Role::Admin)?;
    let name = check_text("name", &body.name, 60)?;
    let model = check_text("model", &body.model, 200)?;
    let base_url = check_base_url(body.base_url.as_deref().unwrap_or(match body.kind {
        LlmKind::Openai => OPENAI_DEFAULT_BASE_URL,
        LlmKind::Anthropic => ANTHROPIC_DEFAULT_BASE_URL,
    }))?;
    let key = body.api_key.as_deref().map(str::trim).unwrap_or_default();
    if key.is_empty() && body.kind == LlmKind::Anthropic {
        return Err(AppError::bad_request(
            "invalid_llm_provider",
            Text::new(
                "api_key: wajib diisi untuk anthropic",
                "api_key: required for anthropic",
            ),
        ));
    }
    let id = LlmProviderId::new();
    let now = now_ms();
    let api_key = if key.is_empty() {
        String::new()
    } else {
        state
            .services
            .crypto
            .encrypt(key, &key_aad(&member.tenant_id, &id))
    };
    let position = match body.position {
        Some(p) => p,
        None => sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(MAX(position), -1) + 1 AS p FROM llm_providers WHERE tenant_id = $1",
        )
        .bind(&member.tenant_id)
        .fetch_one(&state.pool)
        .await?,
    };
    sqlx::query(
        "INSERT INTO llm_providers (id, tenant_id, name, kind, base_url, model, api_key, position, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(&member.tenant_id)
    .bind(&name)
    .bind(body.kind)
    .bind(&base_url)
    .bind(&model)
    .bind(&api_key)
    .bind(position)
    .bind(now)
    .execute(&state.pool)
    .await?;
    super::runtime(&state).llm.forget(&member.tenant_id);
    let r = ProviderRow {
        id,
        name,
        kind: body.kind,
        base_url,
        model,
        api_key,
        position,
        created_at: now,
        updated_at: now,
    };
    Ok(created(row_view(&r)))
}

/// Change an LLM provider (owner or admin).
#[utoipa::path(
    patch, path = "/api/v1/llm-providers/{id}", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Provider id")),
    request_body = UpdateLlmProvider,
    responses(
        (status = 200, description = "Updated", body = inline(crate::http::Data<LlmProviderView>)),
        (status = 404, description = "No such provider", body = crate::http::ErrorBody),
    )
)]
pub(crate) async fn update_llm_provider(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<LlmProviderId>,
    ApiJson(body): ApiJson<UpdateLlmProvider>,
) -> ApiResult<LlmProviderView> {
    member.require(Role::Admin)?;
    let rows = load_rows(&state.pool, &member.tenant_id).await?;
    let mut r = rows
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound("llm provider"))?;
    if let Some(v) = &body.name {
        r.name = check_text("name", v, 60)?;
    }
    if let Some(v) = &body.model {
        r.model = check_text("model", v, 200)?;
    }
    if let Some(v) = &body.base_url {
        r.base_url = check_base_url(v)?;
    }
    if let Some(p) = body.position {
        r.position = p;
    }
    if let Some(k) = body.api_key.as_deref().map(str::trim) {
        if k.is_empty() && r.kind == LlmKind::Anthropic {
            return Err(AppError::bad_request(
                "invalid_llm_provider",
                Text::new(
                    "api_key: wajib diisi untuk anthropic",
                    "api_key: required for anthropic",
                ),
            ));
        }
        r.api_key = if k.is_empty() {
            String::new()
        } else {
            state
                .services
                .crypto
                .encrypt(k, &key_aad(&member.tenant_id, &r.id))
        };
    }
    r.updated_at = now_ms();
    sqlx::query(
        "UPDATE llm_providers SET name = $1, base_url = $2, model = $3, api_key = $4, position = $5, \
         updated_at = $6 WHERE tenant_id = $7 AND id = $8",
    )
    .bind(&r.name)
    .bind(&r.base_url)
    .bind(&r.model)
    .bind(&r.api_key)
    .bind(r.position)
    .bind(r.updated_at)
    .bind(&member.tenant_id)
    .bind(&r.id)
    .execute(&state.pool)
    .await?;
    super::runtime(&state).llm.forget(&member.tenant_id);
    Ok(ok(row_view(&r)))
}

/// Remove an LLM provider (owner or admin).
#[utoipa::path(
    delete, path = "/api/v1/llm-providers/{id}", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Provider id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such provider", body = crate::http::ErrorBody),
    )
)]
pub(crate) async fn delete_llm_provider(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<LlmProviderId>,
) -> Result<StatusCode, AppError> {
    member.require(Role::Admin)?;
    let done = sqlx::query("DELETE FROM llm_providers WHERE tenant_id = $1 AND id = $2")
        .bind(&member.tenant_id)
        .bind(&id)
        .execute(&state.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("llm provider"));
    }
    super::runtime(&state).llm.forget(&member.tenant_id);
    Ok(StatusCode::NO_CONTENT)
}

/// AI usage in the current period and the plan's limit.
#[utoipa::path(
    get, path = "/api/v1/llm-usage", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Usage", body = inline(crate::http::Data<LlmUsageView>)))
)]
pub(crate) async fn get_llm_usage(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<LlmUsageView> {
    let since = month_start_ms();
    let row: UsageTotals = sqlx::query_as(
        "SELECT COUNT(*) AS requests, CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
         CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens \
         FROM llm_usage WHERE tenant_id = $1 AND created_at >= $2",
    )
    .bind(&member.tenant_id)
    .bind(since)
    .fetch_one(&state.pool)
    .await?;
    Ok(ok(LlmUsageView {
        requests: row.requests,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        since,
        counted_against_plan: limits::usage(
            &state.pool,
            &member.tenant_id,
            Limit::AiRequestsPerMonth,
        )
        .await?,
    }))
}
