-- The catalog search sorts by units sold and by rating, with the id as the
-- tie breaker of its keyset pagination: an index per sort reads a page's
-- rows in order instead of sorting every published product.
CREATE INDEX mkt_products_sold_idx ON mkt_products (status, sold_count, id);
CREATE INDEX mkt_products_rating_idx ON mkt_products (status, rating_avg_x100, id);
