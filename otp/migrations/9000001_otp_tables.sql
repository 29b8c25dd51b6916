-- The OTP store's tables. `IF NOT EXISTS` because databases created before
-- the store had versioned migrations already hold these tables unrecorded;
-- later migrations need no such guard.
CREATE TABLE IF NOT EXISTS otp_challenges (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    destination TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    consumed_at BIGINT,
    superseded_at BIGINT,
    attempt_token TEXT
);

CREATE INDEX IF NOT EXISTS otp_challenges_destination
    ON otp_challenges (destination, purpose);

CREATE INDEX IF NOT EXISTS otp_challenges_expires ON otp_challenges (expires_at);

CREATE TABLE IF NOT EXISTS otp_send_logs (
    counter_key TEXT PRIMARY KEY,
    stamps TEXT NOT NULL,
    version BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS otp_send_logs_expires ON otp_send_logs (expires_at);
