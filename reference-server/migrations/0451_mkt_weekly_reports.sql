-- The weekly sales summary sent to each vendor over WhatsApp: one claim
-- row per vendor and week (the week's Monday in the vendor's time zone).
-- The primary key makes two server processes on one database send it once.
CREATE TABLE mkt_weekly_reports (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    -- YYYY-MM-DD, the Monday of the reported week
    week_start TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    -- the provider's message id once sent, or why it was not
    message_id TEXT,
    error TEXT,
    finished_at BIGINT,
    PRIMARY KEY (tenant_id, week_start)
);
