-- The vendor overview counts messages per day, direction and sender over
-- a period: an index holding those columns answers it without reading the
-- table rows.
CREATE INDEX messages_tenant_traffic_idx ON messages (tenant_id, created_at, direction, sender);
