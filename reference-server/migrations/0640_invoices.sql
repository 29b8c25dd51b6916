-- Invoices of paid plan orders (see src/billing/invoices.rs) and the
-- vendor's billing details they copy.

-- What a vendor wants on its invoices. NPWP is stored as its 15 or 16
-- digits and formatted when shown.
CREATE TABLE billing_details (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    legal_name TEXT NOT NULL,
    address TEXT NOT NULL,
    npwp TEXT,
    updated_at BIGINT NOT NULL
);

-- The last number issued in each calendar year (Asia/Jakarta). The
-- issuing transaction increments the year's row, which holds its row lock
-- until commit, so numbers are sequential without gaps across writers
-- and server processes, and a rolled-back payment gives its number back.
CREATE TABLE invoice_counters (
    year BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

-- One invoice per paid order, issued in the payment's transaction. The
-- buyer's details are copied at issue time: later edits change only
-- later invoices.
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    -- INV/<year>/<seq, six digits>
    number TEXT NOT NULL,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    plan_name TEXT NOT NULL,
    duration_days BIGINT NOT NULL,
    amount_idr BIGINT NOT NULL,
    payment_type TEXT,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    buyer_name TEXT NOT NULL,
    buyer_address TEXT,
    buyer_npwp TEXT,
    issued_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX invoices_number_key ON invoices (number);
CREATE UNIQUE INDEX invoices_year_seq_key ON invoices (year, seq);
CREATE UNIQUE INDEX invoices_order_key ON invoices (order_id);
CREATE INDEX invoices_tenant_idx ON invoices (tenant_id, issued_at);
