-- bot-core's SqlStore: inbound de-duplication, conversations, tags, custom
-- fields and history, by tenant and phone number (E.164). Times are unix
-- milliseconds. IF NOT EXISTS: databases from before versioned migrations
-- already have these tables.
CREATE TABLE IF NOT EXISTS bot_inbound (
    tenant TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, message_id)
);
CREATE INDEX IF NOT EXISTS bot_inbound_received ON bot_inbound (received_ms);

CREATE TABLE IF NOT EXISTS bot_conversations (
    tenant TEXT NOT NULL,
    phone TEXT NOT NULL,
    name TEXT,
    owner TEXT NOT NULL DEFAULT 'bot',
    owner_since_ms BIGINT,
    handoff_reason TEXT,
    state TEXT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, phone)
);
CREATE INDEX IF NOT EXISTS bot_conversations_recent ON bot_conversations (tenant, updated_ms);

CREATE TABLE IF NOT EXISTS bot_tags (
    tenant TEXT NOT NULL,
    phone TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (tenant, phone, tag)
);

CREATE TABLE IF NOT EXISTS bot_fields (
    tenant TEXT NOT NULL,
    phone TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant, phone, key)
);

CREATE TABLE IF NOT EXISTS bot_messages (
    tenant TEXT NOT NULL,
    phone TEXT NOT NULL,
    seq BIGINT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    provider_message_id TEXT,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, phone, seq)
);
