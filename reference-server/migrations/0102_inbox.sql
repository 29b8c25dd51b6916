-- BOTS area: conversations and their messages (the inbox).

-- One conversation per (device, customer number). `owner` is `bot` or
-- `agent`; while an agent owns it, the bot does not answer.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    contact_number TEXT NOT NULL,
    contact_name TEXT,
    owner TEXT NOT NULL,
    agent_member_id TEXT,
    owner_changed_at BIGINT,
    bot_state TEXT,
    last_message_at BIGINT NOT NULL,
    last_message_preview TEXT,
    created_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX conversations_device_contact_idx ON conversations (device_id, contact_number);
CREATE INDEX conversations_tenant_idx ON conversations (tenant_id, last_message_at);

-- Every message in and out. The unique index on (device, direction,
-- provider id) is the de-duplication key for inbound webhooks: a retried
-- delivery of the same provider message inserts nothing and gets no reply.
-- `status`: received (in); pending, sent, delivered, read, failed (out).
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    sender TEXT NOT NULL,
    provider_message_id TEXT,
    kind TEXT NOT NULL,
    body TEXT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX messages_provider_id_idx ON messages (device_id, direction, provider_message_id);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at);
CREATE INDEX messages_tenant_idx ON messages (tenant_id, created_at);
