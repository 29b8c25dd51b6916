-- Personal data (see src/privacy/mod.rs): each vendor's message retention
-- and the vendors' account deletion requests.

-- How long a vendor keeps message history; NULL keeps it for good.
CREATE TABLE privacy_settings (
    tenant_id TEXT PRIMARY KEY,
    message_retention_days BIGINT,
    updated_at BIGINT NOT NULL
);

-- A vendor's request to delete its account. The data is removed once
-- `due_at` has passed (the cooling-off period) unless the request was
-- cancelled; `done_at` marks a finished deletion, whose row stays as the
-- record that it happened (it holds no personal data).
CREATE TABLE account_deletions (
    tenant_id TEXT PRIMARY KEY,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    done_at BIGINT
);
CREATE INDEX account_deletions_due_idx ON account_deletions (due_at);
