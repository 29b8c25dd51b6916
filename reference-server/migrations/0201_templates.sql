-- CAMPAIGNS area: message templates.
-- `body` uses variables and nested spintax (plugin_sdk::text syntax).
-- `media_kind`/`media_url`: optional media sent with the body as caption.
-- `cloud_template`: JSON mapping to an approved Cloud API template
-- ({"name","language","body_params":[...]}), used for Cloud API devices
-- when the 24-hour window is closed.
CREATE TABLE message_templates (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    media_kind TEXT,
    media_url TEXT,
    cloud_template TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX message_templates_tenant_name_key ON message_templates (tenant_id, name);
