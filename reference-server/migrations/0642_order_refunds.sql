-- Subscription time taken back from refunded or charged-back plan orders
-- (see take_back in src/billing/store/subscriptions.rs): per order, the
-- amount refunded so far and the time taken back for it, so a repeated
-- notification takes nothing more and a further partial refund takes only
-- the difference.
CREATE TABLE order_refunds (
    order_id TEXT PRIMARY KEY REFERENCES orders (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    refunded_idr BIGINT NOT NULL,
    taken_back_ms BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
