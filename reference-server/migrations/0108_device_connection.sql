-- The connection state a device's provider last reported (Fonnte's
-- connect / disconnect webhooks): `connected`, `disconnected` or `unknown`,
-- the provider's reason, and when it changed (unix milliseconds). NULL
-- until the provider reports one. Changing it does not touch `updated_at`:
-- the device's sender does not depend on it.
ALTER TABLE devices ADD COLUMN connection_state TEXT;
ALTER TABLE devices ADD COLUMN connection_reason TEXT;
ALTER TABLE devices ADD COLUMN connection_changed_at BIGINT;
