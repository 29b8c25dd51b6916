-- BOTS area: plugin pipelines per device, vendor LLM providers, AI usage.

-- One row per plugin enabled on a device; `position` orders the pipeline.
CREATE TABLE device_plugins (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    plugin TEXT NOT NULL,
    position BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX device_plugins_unique_idx ON device_plugins (device_id, plugin);
CREATE INDEX device_plugins_tenant_idx ON device_plugins (tenant_id, device_id);

-- Vendor LLM providers, tried in `position` order (fallback list).
-- `api_key` is AEAD-encrypted.
CREATE TABLE llm_providers (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX llm_providers_tenant_idx ON llm_providers (tenant_id, position);

-- One row per answered AI request (billing and plan limits).
CREATE TABLE llm_usage (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX llm_usage_tenant_idx ON llm_usage (tenant_id, created_at);
