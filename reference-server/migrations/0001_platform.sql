-- Platform: tenants (vendors), members, admins, sessions, API keys,
-- plans, orders, payments, subscriptions, usage counters, simulator outbox.
-- One dialect for SQLite and PostgreSQL: TEXT ids, BIGINT unix-ms times,
-- BIGINT rupiah, BIGINT 0/1 booleans, JSON as TEXT.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    whatsapp TEXT NOT NULL,
    -- pending_verification | pending_approval | active | banned
    status TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'id',
    ban_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One WhatsApp number per account.
CREATE UNIQUE INDEX tenants_whatsapp_key ON tenants (whatsapp);

CREATE TABLE members (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    -- E.164; required for password reset by OTP (the owner's is the tenant's)
    whatsapp TEXT,
    password_hash TEXT NOT NULL,
    -- owner | admin | agent
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX members_email_key ON members (email);
CREATE INDEX members_tenant_idx ON members (tenant_id);

CREATE TABLE platform_admins (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX platform_admins_email_key ON platform_admins (email);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    -- SHA-256 (hex) of the opaque token; the token itself is never stored.
    token_hash TEXT NOT NULL,
    -- member | admin
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    tenant_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_subject_idx ON sessions (subject_kind, subject_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    -- first characters of the key, shown in lists to recognise it
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    price_idr BIGINT NOT NULL,
    duration_days BIGINT NOT NULL,
    max_devices BIGINT NOT NULL,
    max_contacts BIGINT NOT NULL,
    max_messages_per_month BIGINT NOT NULL,
    max_ai_requests_per_month BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX plans_code_key ON plans (code);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    plan_id TEXT NOT NULL REFERENCES plans (id),
    amount_idr BIGINT NOT NULL,
    -- pending | paid | challenge | failed | refunded
    status TEXT NOT NULL,
    snap_token TEXT,
    redirect_url TEXT,
    transaction_id TEXT,
    payment_type TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX orders_tenant_idx ON orders (tenant_id, created_at);

-- Every verified notification, once: the unique key makes a repeated
-- notification a no-op.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    transaction_id TEXT NOT NULL,
    transaction_status TEXT NOT NULL,
    fraud_status TEXT,
    payment_type TEXT,
    gross_amount TEXT NOT NULL,
    -- paid | pending | challenge | failed | refunded
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX payments_event_key ON payments (order_id, transaction_id, transaction_status);
CREATE INDEX payments_tenant_idx ON payments (tenant_id, received_at);

-- The current subscription of a tenant (one row per tenant).
CREATE TABLE subscriptions (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    plan_id TEXT NOT NULL REFERENCES plans (id),
    -- active | expired
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_expiry_idx ON subscriptions (status, expires_at);

-- One period per paid order: the primary key makes "extend exactly once" hold.
CREATE TABLE subscription_periods (
    order_id TEXT PRIMARY KEY REFERENCES orders (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    plan_id TEXT NOT NULL REFERENCES plans (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX subscription_periods_tenant_idx ON subscription_periods (tenant_id);

-- Monthly usage per metric (messages, ai_requests), period 'YYYY-MM' UTC.
CREATE TABLE usage_counters (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    metric TEXT NOT NULL,
    period TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, metric, period)
);

-- Everything the built-in simulator provider "sent".
CREATE TABLE sim_outbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT,
    device_id TEXT,
    to_number TEXT NOT NULL,
    message_json TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sim_outbox_provider_message_id_key ON sim_outbox (provider_message_id);
CREATE INDEX sim_outbox_to_idx ON sim_outbox (to_number, created_at);
CREATE INDEX sim_outbox_tenant_idx ON sim_outbox (tenant_id, device_id, created_at);
