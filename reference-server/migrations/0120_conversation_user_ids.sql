-- INBOX: customers known by a business-scoped user id (WhatsApp usernames).
-- `contact_number` is the conversation's contact: the E.164 number, or the
-- user id (`US.13491208655302741918`) while no number is known; a later
-- message that brings the number moves the conversation to it.
-- `contact_user_id` remembers the contact's user id, so a message that names
-- only the user id finds the conversation kept under the number. One
-- conversation per user id on a device.
ALTER TABLE conversations ADD COLUMN contact_user_id TEXT;
CREATE UNIQUE INDEX conversations_device_user_id_idx ON conversations (device_id, contact_user_id);
