-- Product reviews: one per buyer and product, by a buyer whose order with
-- the product was delivered. The product's rating count, sum and average
-- (`mkt_products.rating_*`) change in the same transaction as the insert.
CREATE TABLE mkt_reviews (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES mkt_products (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    buyer_id TEXT NOT NULL REFERENCES mkt_buyers (id),
    -- the delivered order that entitles the review
    order_id TEXT NOT NULL REFERENCES mkt_orders (id),
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body TEXT NOT NULL,
    -- the buyer's name when the review was written (shown publicly)
    reviewer_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mkt_reviews_buyer_product_key ON mkt_reviews (buyer_id, product_id);
CREATE INDEX mkt_reviews_product_idx ON mkt_reviews (product_id, created_at);
