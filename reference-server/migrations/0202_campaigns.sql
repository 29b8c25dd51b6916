-- CAMPAIGNS area: campaigns, their devices, the durable send queue and the
-- per-device leases.

-- status: draft | scheduled | running | paused | completed | cancelled
-- audience: JSON ({"all":bool,"tags":[..],"groups":[..],"contacts":[..]})
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    template_id TEXT NOT NULL,
    audience TEXT NOT NULL,
    status TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    scheduled_at BIGINT,
    followup_template_id TEXT,
    followup_after_ms BIGINT,
    total BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX campaigns_tenant_idx ON campaigns (tenant_id, created_at);
CREATE INDEX campaigns_status_idx ON campaigns (status);

-- Sending devices of a campaign with their rotation weight and pacing.
-- rate_per_minute: sends per minute; delay_min_ms/delay_max_ms: random
-- extra delay between two sends; daily_cap: sends per day (vendor time
-- zone) or NULL.
CREATE TABLE campaign_devices (
    campaign_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    weight BIGINT NOT NULL,
    rate_per_minute BIGINT NOT NULL,
    delay_min_ms BIGINT NOT NULL,
    delay_max_ms BIGINT NOT NULL,
    daily_cap BIGINT,
    PRIMARY KEY (campaign_id, device_id)
);

-- The send queue: one row per recipient and stage (`main`, `followup`).
-- state: queued -> sending -> sent | failed; queued -> cancelled | skipped.
-- `claimed_at`/`claim_token` are written BEFORE the provider is called;
-- `provider_message_id` after it answered.
CREATE TABLE campaign_recipients (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    device_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    state TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    claimed_at BIGINT,
    claim_token TEXT,
    provider_message_id TEXT,
    used_template BIGINT NOT NULL DEFAULT 0,
    sent_at BIGINT,
    delivered_at BIGINT,
    read_at BIGINT,
    replied_at BIGINT,
    failed_at BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX campaign_recipients_contact_key ON campaign_recipients (campaign_id, contact_id, stage);
-- The claim query: next due row of one device.
CREATE INDEX campaign_recipients_claim_idx ON campaign_recipients (device_id, state, not_before, id);
CREATE INDEX campaign_recipients_campaign_idx ON campaign_recipients (campaign_id, state);
CREATE INDEX campaign_recipients_provider_idx ON campaign_recipients (provider_message_id);
CREATE INDEX campaign_recipients_phone_idx ON campaign_recipients (tenant_id, phone, sent_at);

-- One row per device that has campaign work: the process holding an
-- unexpired lease is the only one sending for the device, so pacing holds
-- across server processes. `next_send_at` carries the pacing over when the
-- lease moves to another process.
CREATE TABLE campaign_device_leases (
    device_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    next_send_at BIGINT NOT NULL
);
