-- The grace period and the expiry reminders (see src/billing/reminders.rs).

-- Until when an expired plan keeps working: expires_at plus the configured
-- grace. Set with every write that moves expires_at and kept in step by
-- the expiry job (which also fills it for trials); NULL means no grace.
ALTER TABLE subscriptions ADD COLUMN grace_until BIGINT;

-- Reminders sent about a subscription's expiry, each once: the key names
-- the expiry they are about, so a renewal (a new expiry) gets its own. A
-- sweep claims a reminder by inserting its row before sending it, so two
-- server processes never both send it.
CREATE TABLE subscription_reminders (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    expires_at BIGINT NOT NULL,
    -- d7 | d3 | d1 | grace
    kind TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, expires_at, kind)
);
