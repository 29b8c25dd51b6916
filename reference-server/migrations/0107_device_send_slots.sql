-- The next free send slot of each rate-limited device, in unix
-- microseconds, shared by every server process on PostgreSQL so a device's
-- rate holds across replicas (see devices::send_slots). One row per device
-- that has sent; deleted with the device.
CREATE TABLE device_send_slots (
    device_id TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    next_at_us BIGINT NOT NULL
);
