-- bot-core: the plugins' key-value store (values hex-encoded), by tenant
-- and plugin. Versions of bot-core's migrations start at 2000001 so they
-- share an application's `_sqlx_migrations` table without colliding.
-- IF NOT EXISTS: databases from before versioned migrations already have it.
CREATE TABLE IF NOT EXISTS bot_kv (
    tenant TEXT NOT NULL,
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant, plugin, key)
);
