-- Commission and payouts. The platform keeps a commission (basis points of
-- what a delivered order brought after refunds) per plan, and owes each
-- vendor the rest, paid out through Midtrans Iris.
ALTER TABLE plans ADD COLUMN commission_bps BIGINT NOT NULL DEFAULT 500
    CHECK (commission_bps BETWEEN 0 AND 10000);
UPDATE plans SET commission_bps = 1000 WHERE code = 'trial';
UPDATE plans SET commission_bps = 700 WHERE code = 'basic';
UPDATE plans SET commission_bps = 500 WHERE code = 'pro';

-- Where a vendor's payouts go.
CREATE TABLE mkt_payout_accounts (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    -- Iris bank code, e.g. bca, bni, mandiri
    bank TEXT NOT NULL,
    account TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One Iris transfer to a vendor. A repeated idempotency key (double click,
-- retry) finds the same payout; the Iris call carries the payout id as its
-- idempotency key.
CREATE TABLE mkt_payouts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    idempotency_key TEXT NOT NULL,
    amount_idr BIGINT NOT NULL,
    -- pending (Iris not yet accepted it) | sent
    status TEXT NOT NULL,
    reference_no TEXT,
    last_error TEXT,
    admin_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE UNIQUE INDEX mkt_payouts_key ON mkt_payouts (tenant_id, idempotency_key);
CREATE INDEX mkt_payouts_tenant_idx ON mkt_payouts (tenant_id, created_at);

-- What the platform owes for each delivered order, once per order.
CREATE TABLE mkt_payout_entries (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    order_id TEXT NOT NULL REFERENCES mkt_orders (id),
    gross_idr BIGINT NOT NULL,
    refunded_idr BIGINT NOT NULL,
    commission_bps BIGINT NOT NULL,
    commission_idr BIGINT NOT NULL,
    net_idr BIGINT NOT NULL,
    -- owed | in_payout | paid
    status TEXT NOT NULL,
    payout_id TEXT REFERENCES mkt_payouts (id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mkt_payout_entries_order_key ON mkt_payout_entries (order_id);
CREATE INDEX mkt_payout_entries_tenant_idx ON mkt_payout_entries (tenant_id, status);
CREATE INDEX mkt_payout_entries_payout_idx ON mkt_payout_entries (payout_id);
