-- bot-core: the plugins' key-value store (values hex-encoded), by tenant
-- and plugin. bot-core's migrations use versions 9,100,000 to 9,199,999 so
-- they share an application's `_sqlx_migrations` table without colliding.
-- IF NOT EXISTS: databases from before versioned migrations already have it.
CREATE TABLE IF NOT EXISTS bot_kv (
    tenant TEXT NOT NULL,
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant, plugin, key)
);
