-- BOTS area: every query on a conversation's messages names its tenant, so
-- (tenant_id, conversation_id, created_at) from 0105 serves them all and
-- (conversation_id, created_at) only cost a page write per stored message.
DROP INDEX IF EXISTS messages_conversation_idx;
