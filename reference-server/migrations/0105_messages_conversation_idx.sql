-- BOTS area: the bots read a conversation's recent messages on every
-- inbound message (history for plugins). With only (tenant_id, created_at)
-- and (conversation_id, created_at), SQLite picks the tenant index for
-- `WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at` and
-- walks all of the vendor's messages; this index answers it directly.
CREATE INDEX messages_tenant_conversation_idx ON messages (tenant_id, conversation_id, created_at);
