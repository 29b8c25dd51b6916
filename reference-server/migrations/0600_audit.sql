-- The audit trail (see src/audit/mod.rs): an append-only record of
-- security- and money-relevant actions, one hash chain per vendor plus
-- one for the platform ('platform': admin sign-ins, failed sign-ins of
-- unknown accounts).
--
-- No foreign keys: an entry outlives the member, key, device or order it
-- names, and the vendor too.

-- The head of each chain, and its anchor: the sequence number and hash of
-- the newest entry that retention pruned (0 and the genesis hash while
-- nothing was pruned). Appends lock the chain's row, so a chain never
-- forks even with several writers or server processes.
CREATE TABLE audit_chains (
    chain TEXT PRIMARY KEY,
    head_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    anchor_seq BIGINT NOT NULL,
    anchor_hash TEXT NOT NULL
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    tenant_id TEXT,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT,
    target_kind TEXT,
    target_id TEXT,
    ip TEXT,
    user_agent TEXT,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (chain, seq)
);

-- A vendor's page, newest first; the admin's page of every vendor.
CREATE INDEX audit_log_tenant_at_idx ON audit_log (tenant_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);
