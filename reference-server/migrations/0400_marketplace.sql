-- Marketplace: buyers, catalog, stock ledger, carts, order groups and
-- per-vendor orders. Money is whole rupiah (BIGINT); times are unix ms.
-- The search index (SQLite FTS5 / PostgreSQL tsvector) is engine-specific
-- and created by the server at start (`marketplace::catalog::search`).

-- Products a vendor may keep in its catalog, per plan.
ALTER TABLE plans ADD COLUMN max_products BIGINT NOT NULL DEFAULT 100;
UPDATE plans SET max_products = 20 WHERE code = 'trial';
UPDATE plans SET max_products = 500 WHERE code = 'basic';
UPDATE plans SET max_products = 5000 WHERE code = 'pro';

CREATE TABLE mkt_buyers (
    id TEXT PRIMARY KEY,
    whatsapp TEXT NOT NULL,
    name TEXT,
    locale TEXT NOT NULL DEFAULT 'id',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mkt_buyers_whatsapp_key ON mkt_buyers (whatsapp);

-- Buyer sessions live apart from vendor sessions: a buyer token is never
-- looked up by the vendor extractor, and the other way round.
CREATE TABLE mkt_buyer_sessions (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL REFERENCES mkt_buyers (id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX mkt_buyer_sessions_token_key ON mkt_buyer_sessions (token_hash);
CREATE INDEX mkt_buyer_sessions_buyer_idx ON mkt_buyer_sessions (buyer_id);

CREATE TABLE mkt_addresses (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL REFERENCES mkt_buyers (id),
    label TEXT NOT NULL,
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    province TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mkt_addresses_buyer_idx ON mkt_addresses (buyer_id, created_at);

CREATE TABLE mkt_products (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    -- JSON array of {"key", "value"}
    specs TEXT NOT NULL,
    -- draft | published
    status TEXT NOT NULL,
    -- NULL: the platform default (`marketplace.low_stock_threshold`)
    low_stock_threshold BIGINT,
    -- the cheapest active variant, for price filters and sorts
    min_price_idr BIGINT NOT NULL DEFAULT 0,
    -- units in paid orders (best-selling sort)
    sold_count BIGINT NOT NULL DEFAULT 0,
    -- kept by reviews: count, sum and the average times 100 (sort key)
    rating_count BIGINT NOT NULL DEFAULT 0,
    rating_sum BIGINT NOT NULL DEFAULT 0,
    rating_avg_x100 BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX mkt_products_tenant_idx ON mkt_products (tenant_id, created_at);
CREATE INDEX mkt_products_browse_idx ON mkt_products (status, created_at);
CREATE INDEX mkt_products_category_idx ON mkt_products (status, category, created_at);
CREATE INDEX mkt_products_price_idx ON mkt_products (status, min_price_idr);

CREATE TABLE mkt_product_images (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES mkt_products (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    storage_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mkt_product_images_product_idx ON mkt_product_images (product_id, created_at);

CREATE TABLE mkt_variants (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES mkt_products (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    -- JSON object of option name -> value, e.g. {"size": "L", "colour": "red"}
    options TEXT NOT NULL,
    price_idr BIGINT NOT NULL CHECK (price_idr > 0),
    stock BIGINT NOT NULL CHECK (stock >= 0),
    -- 1 after a low-stock alert, until the stock rises above the threshold
    low_stock_alerted BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mkt_variants_sku_key ON mkt_variants (tenant_id, sku);
CREATE INDEX mkt_variants_product_idx ON mkt_variants (product_id);

-- Every stock change, with who made it and why.
CREATE TABLE mkt_stock_ledger (
    id TEXT PRIMARY KEY,
    variant_id TEXT NOT NULL REFERENCES mkt_variants (id),
    tenant_id TEXT NOT NULL,
    delta BIGINT NOT NULL,
    stock_after BIGINT NOT NULL,
    -- initial | adjustment | sale | release | cancel_restock
    reason TEXT NOT NULL,
    -- member | buyer | system
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    note TEXT,
    order_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mkt_stock_ledger_variant_idx ON mkt_stock_ledger (variant_id, created_at);
CREATE INDEX mkt_stock_ledger_tenant_idx ON mkt_stock_ledger (tenant_id, created_at);

CREATE TABLE mkt_cart_items (
    buyer_id TEXT NOT NULL REFERENCES mkt_buyers (id),
    variant_id TEXT NOT NULL REFERENCES mkt_variants (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    -- the price the buyer last saw; checkout reports a change
    seen_price_idr BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, variant_id)
);

CREATE TABLE mkt_order_groups (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL REFERENCES mkt_buyers (id),
    idempotency_key TEXT NOT NULL,
    -- awaiting_payment | paid | expired
    status TEXT NOT NULL,
    total_idr BIGINT NOT NULL,
    -- the Midtrans order id ("mkt-" + id)
    payment_order_id TEXT NOT NULL,
    snap_token TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    transaction_id TEXT,
    payment_type TEXT,
    -- JSON snapshot of the shipping address at checkout
    shipping TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE UNIQUE INDEX mkt_order_groups_idem_key ON mkt_order_groups (buyer_id, idempotency_key);
CREATE UNIQUE INDEX mkt_order_groups_payment_key ON mkt_order_groups (payment_order_id);
CREATE INDEX mkt_order_groups_expiry_idx ON mkt_order_groups (status, expires_at);
CREATE INDEX mkt_order_groups_buyer_idx ON mkt_order_groups (buyer_id, created_at);

-- Every verified payment notification of a group, once.
CREATE TABLE mkt_payment_events (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES mkt_order_groups (id),
    transaction_id TEXT NOT NULL,
    transaction_status TEXT NOT NULL,
    fraud_status TEXT,
    gross_amount TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mkt_payment_events_key
    ON mkt_payment_events (group_id, transaction_id, transaction_status);

CREATE TABLE mkt_orders (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES mkt_order_groups (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    buyer_id TEXT NOT NULL REFERENCES mkt_buyers (id),
    -- pending | processing | shipped | delivered | cancelled
    status TEXT NOT NULL,
    subtotal_idr BIGINT NOT NULL,
    refunded_idr BIGINT NOT NULL DEFAULT 0,
    courier TEXT,
    tracking_number TEXT,
    cancel_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    paid_at BIGINT,
    shipped_at BIGINT,
    delivered_at BIGINT,
    cancelled_at BIGINT
);
CREATE INDEX mkt_orders_tenant_idx ON mkt_orders (tenant_id, created_at);
CREATE INDEX mkt_orders_buyer_idx ON mkt_orders (buyer_id, created_at);
CREATE INDEX mkt_orders_group_idx ON mkt_orders (group_id);
CREATE INDEX mkt_orders_shipped_idx ON mkt_orders (status, shipped_at);

-- Order lines keep a snapshot of what was bought, at the price paid.
CREATE TABLE mkt_order_items (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES mkt_orders (id),
    tenant_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    variant_name TEXT NOT NULL,
    sku TEXT NOT NULL,
    unit_price_idr BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    line_total_idr BIGINT NOT NULL
);
CREATE INDEX mkt_order_items_order_idx ON mkt_order_items (order_id);
CREATE INDEX mkt_order_items_product_idx ON mkt_order_items (tenant_id, product_id);

-- Every status change of an order: who, from which state, when.
CREATE TABLE mkt_order_events (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES mkt_orders (id),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mkt_order_events_order_idx ON mkt_order_events (order_id, created_at);

-- A refund of one vendor's order, once per order (the refund key makes a
-- retried Midtrans call safe).
CREATE TABLE mkt_refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES mkt_orders (id),
    group_id TEXT NOT NULL REFERENCES mkt_order_groups (id),
    tenant_id TEXT NOT NULL,
    amount_idr BIGINT NOT NULL,
    refund_key TEXT NOT NULL,
    -- pending | done | failed
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mkt_refunds_order_key ON mkt_refunds (order_id);
CREATE INDEX mkt_refunds_status_idx ON mkt_refunds (status, updated_at);
