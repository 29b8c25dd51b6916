-- A conversation's contact (the `phone` column) is the E.164 number, or the
-- business-scoped user id (`US.13491208655302741918`) of a customer whose
-- number WhatsApp does not share. `user_id` remembers the user id of a
-- contact, so a later message that names only the user id finds the
-- conversation kept under the number; one conversation per user id.
ALTER TABLE bot_conversations ADD COLUMN user_id TEXT;
CREATE UNIQUE INDEX bot_conversations_user_id ON bot_conversations (tenant, user_id);
