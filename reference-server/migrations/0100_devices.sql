-- BOTS area: WhatsApp devices (numbers) connected by vendors.
-- `config` holds the non-secret settings as JSON (phone number id, gateway
-- URL and header name, API base URLs); `secrets` holds the provider secrets
-- as one AEAD-encrypted JSON document (see crate::crypto), never returned by
-- the API. `secret_names` lists which secrets are set, so the API can show
-- that without decrypting.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    phone_number TEXT,
    config TEXT NOT NULL,
    secrets TEXT NOT NULL,
    secret_names TEXT NOT NULL,
    bot_enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX devices_tenant_idx ON devices (tenant_id, created_at);
