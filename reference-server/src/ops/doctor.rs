//! `reference-server doctor`: checks a configuration before (or while)
//! the server runs with it, and says what to fix.
//!
//! It reads and never writes: the SQLite file is not created, migrations
//! are not applied, no key is generated. Production rules (public HTTPS
//! URL, a real WhatsApp provider for the platform's number, one shared
//! `SECRET_KEY` on PostgreSQL) are problems with `--production` or when
//! `midtrans.production` is set, warnings otherwise.

use std::net::IpAddr;
use std::sync::Arc;

use secrecy::ExposeSecret;
use sqlx::AnyPool;

use crate::Config;
use crate::bots::pipeline::{self, PluginSource};
use crate::config::PlatformProvider;
use crate::crypto::Crypto;
use crate::db::DbKind;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Checked and fine.
    Ok,
    /// Works, but deserves a look.
    Warning,
    /// Must be fixed.
    Problem,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub level: Level,
    /// What was checked (`database`, `keys`, ...).
    pub area: &'static str,
    /// What was found and, for warnings and problems, what to do.
    pub text: String,
}

/// Every finding, in the order checked.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, level: Level, area: &'static str, text: impl Into<String>) {
        self.findings.push(Finding {
            level,
            area,
            text: text.into(),
        });
    }

    /// How many findings have `level`.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}

/// Checks `config`; `production` applies the production rules (also on
/// when `midtrans.production` is set).
pub async fn check(config: &Config, production: bool) -> Report {
    let production = production || config.midtrans.production;
    // A rule that is a problem in production and a warning elsewhere.
    let strict = if production {
        Level::Problem
    } else {
        Level::Warning
    };
    let mut r = Report::default();
    let pool = check_database(config, &mut r).await;
    check_keys(config, strict, pool.as_ref(), &mut r).await;
    check_public_url(config, strict, &mut r);
    check_platform_whatsapp(config, strict, &mut r);
    check_midtrans(config, production, &mut r);
    check_plugins(config, &mut r).await;
    if let Some(pool) = pool {
        pool.close().await;
    }
    r
}

async fn check_database(config: &Config, r: &mut Report) -> Option<AnyPool> {
    let url = config.effective_database_url();
    let Some(kind) = DbKind::from_url(url.expose_secret()) else {
        r.add(
            Level::Problem,
            "database",
            "DATABASE_URL is neither sqlite: nor postgres://",
        );
        return None;
    };
    if kind == DbKind::Sqlite {
        let raw = url.expose_secret();
        let path = raw
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap_or_default();
        if !std::path::Path::new(path).is_file() {
            r.add(
                Level::Warning,
                "database",
                format!("SQLite file {path} does not exist yet; the first start creates it"),
            );
            return None;
        }
    }
    let pool = match crate::db::connect(&url).await {
        Ok((pool, _)) => pool,
        Err(e) => {
            r.add(
                Level::Problem,
                "database",
                format!("{e}; check DATABASE_URL and that the server is reachable"),
            );
            return None;
        }
    };
    let (label, probe) = match kind {
        DbKind::Sqlite => ("SQLite", "SELECT COUNT(*) FROM sqlite_master"),
        DbKind::Postgres => ("PostgreSQL", "SELECT COUNT(*) FROM pg_catalog.pg_tables"),
    };
    if let Err(e) = sqlx::query_scalar::<_, i64>(probe).fetch_one(&pool).await {
        r.add(
            Level::Problem,
            "database",
            format!("{label} does not answer: {e}"),
        );
        return None;
    }
    let applied: Result<Vec<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&pool)
            .await;
    let Ok(applied) = applied else {
        r.add(
            Level::Warning,
            "database",
            format!("{label} reachable but not migrated; `reference-server migrate` or the first start creates the tables"),
        );
        return None;
    };
    let mut pending = 0;
    for set in crate::db::migration_sets() {
        pending += set
            .migrator
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .count();
        if let Some(v) = applied
            .iter()
            .find(|v| set.versions.contains(v) && !set.migrator.version_exists(**v))
        {
            r.add(
                Level::Problem,
                "database",
                format!(
                    "{label} was migrated by a newer release ({} migration {v}); run that release or restore a backup",
                    set.owner
                ),
            );
            return Some(pool);
        }
    }
    if pending == 0 {
        r.add(
            Level::Ok,
            "database",
            format!("{label} reachable, {} migrations applied", applied.len()),
        );
    } else {
        r.add(
            Level::Warning,
            "database",
            format!("{label} reachable, {pending} migrations pending; `reference-server migrate` or the next start applies them"),
        );
    }
    Some(pool)
}

async fn check_keys(
    config: &Config,
    strict: Level,
    pool: Option<&AnyPool>,
    r: &mut Report,
) -> Option<Crypto> {
    let postgres = config.database_kind_label() == "postgres";
    let current = match &config.secret_key {
        Some(key) => match Crypto::from_base64_key(key) {
            Ok(c) => c,
            Err(_) => {
                r.add(
                    Level::Problem,
                    "keys",
                    "SECRET_KEY is not 32 bytes of base64; make one with `reference-server generate-secret-key`",
                );
                return None;
            }
        },
        None => {
            let file = crate::crypto::key_file(&config.data_dir);
            let shared = if postgres { Level::Problem } else { strict };
            if !file.is_file() {
                r.add(
                    if postgres { Level::Problem } else { Level::Warning },
                    "keys",
                    format!(
                        "SECRET_KEY is unset and {} does not exist: the first start generates a key there{}",
                        file.display(),
                        if postgres {
                            "; with PostgreSQL every replica needs the same key: set SECRET_KEY"
                        } else {
                            ""
                        }
                    ),
                );
                return None;
            }
            match std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| Crypto::from_base64_key(&secrecy::SecretString::from(t)).ok())
            {
                Some(c) => {
                    if postgres || strict == Level::Problem {
                        r.add(
                            shared,
                            "keys",
                            format!(
                                "the key comes from {}; set SECRET_KEY from a secret store so every replica and a restored machine use the same one",
                                file.display()
                            ),
                        );
                    }
                    c
                }
                None => {
                    r.add(
                        Level::Problem,
                        "keys",
                        format!("{} is not a 32-byte base64 key", file.display()),
                    );
                    return None;
                }
            }
        }
    };
    let crypto = match current.with_previous(&config.previous_secret_keys) {
        Ok(c) => c,
        Err(e) => {
            r.add(Level::Problem, "keys", format!("SECRET_KEYS_PREVIOUS: {e}"));
            return None;
        }
    };
    r.add(
        Level::Ok,
        "keys",
        format!(
            "at-rest key {} well-formed, {} previous key(s)",
            crypto.key_id(),
            crypto.previous_key_ids().count()
        ),
    );
    let Some(pool) = pool else {
        return Some(crypto);
    };
    match super::secrets::sweep(pool, &crypto, false).await {
        Err(e) => r.add(
            Level::Problem,
            "secrets",
            format!("cannot read the stored secrets: {e}"),
        ),
        Ok(columns) => {
            let total: u64 = columns.iter().map(|c| c.total).sum();
            let unreadable: Vec<String> = columns
                .iter()
                .flat_map(|c| {
                    c.unreadable
                        .iter()
                        .map(move |id| format!("{} {id}", c.name))
                })
                .collect();
            let stale: u64 = columns
                .iter()
                .map(|c| c.not_current(&crypto) - c.unreadable.len() as u64)
                .sum();
            if !unreadable.is_empty() {
                r.add(
                    Level::Problem,
                    "secrets",
                    format!(
                        "{} of {total} stored secrets decrypt with none of the configured keys ({}); \
                         add the key they were made with to SECRET_KEYS_PREVIOUS",
                        unreadable.len(),
                        unreadable.join(", ")
                    ),
                );
            }
            if stale > 0 {
                r.add(
                    Level::Warning,
                    "secrets",
                    format!(
                        "{stale} of {total} stored secrets are not encrypted with the current key; \
                         run `reference-server rotate-key`"
                    ),
                );
            } else if unreadable.is_empty() {
                let previous = crypto.previous_key_ids().count();
                r.add(
                    Level::Ok,
                    "secrets",
                    if previous > 0 {
                        format!(
                            "all {total} stored secrets use the current key; SECRET_KEYS_PREVIOUS can be removed"
                        )
                    } else {
                        format!("all {total} stored secrets decrypt with the current key")
                    },
                );
            }
        }
    }
    Some(crypto)
}

/// Why `host` cannot be reached from the internet, if it cannot.
fn not_public(host: &url::Host<&str>) -> Option<&'static str> {
    let ip = match host {
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Some("it is this machine");
            }
            if !name.contains('.')
                || [
                    ".local",
                    ".internal",
                    ".lan",
                    ".home.arpa",
                    ".test",
                    ".example",
                    ".invalid",
                ]
                .iter()
                .any(|s| name.ends_with(s))
            {
                return Some("it is not a public domain name");
            }
            return None;
        }
        url::Host::Ipv4(ip) => IpAddr::V4(*ip),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip),
    };
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() || v4.is_unspecified() => Some("it is this machine"),
        // 100.64.0.0/10 is carrier-grade NAT space.
        IpAddr::V4(v4)
            if v4.is_private()
                || v4.is_link_local()
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64) =>
        {
            Some("it is a private network address")
        }
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Some("it is this machine"),
        IpAddr::V6(v6) if v6.is_unique_local() || v6.is_unicast_link_local() => {
            Some("it is a private network address")
        }
        _ => None,
    }
}

/// Checks a URL providers must reach; `what` names the setting.
fn check_reachable_url(
    what: &str,
    value: &str,
    strict: Level,
    area: &'static str,
    r: &mut Report,
) -> bool {
    let Ok(url) = url::Url::parse(value) else {
        r.add(
            Level::Problem,
            area,
            format!("{what} `{value}` is not a URL"),
        );
        return false;
    };
    let Some(host) = url.host() else {
        r.add(
            Level::Problem,
            area,
            format!("{what} `{value}` has no host"),
        );
        return false;
    };
    if let Some(why) = not_public(&host) {
        r.add(
            strict,
            area,
            format!("{what} {value} cannot be reached from the internet ({why}); Meta, Fonnte and Midtrans could not deliver webhooks"),
        );
        return false;
    }
    if url.scheme() != "https" {
        r.add(
            strict,
            area,
            format!("{what} {value} is not HTTPS; Meta only delivers webhooks over HTTPS"),
        );
        return false;
    }
    true
}

fn check_public_url(config: &Config, strict: Level, r: &mut Report) {
    if check_reachable_url(
        "PUBLIC_BASE_URL",
        &config.public_base_url,
        strict,
        "public URL",
        r,
    ) {
        r.add(
            Level::Ok,
            "public URL",
            format!(
                "{} (Midtrans notification URL: {}/webhooks/midtrans)",
                config.public_base_url,
                config.public_base_url.trim_end_matches('/')
            ),
        );
    }
}

fn check_platform_whatsapp(config: &Config, strict: Level, r: &mut Report) {
    let wa = &config.platform_whatsapp;
    if wa.provider == PlatformProvider::Simulator {
        r.add(
            strict,
            "platform WhatsApp",
            "the platform's number is the simulator: sign-up and login codes reach nobody; set PLATFORM_WA_PROVIDER (cloud_api, fonnte or gateway) and its settings",
        );
        return;
    }
    // The same construction as at start-up, which names a missing setting.
    // A real provider never touches the writer; its pool is never opened.
    sqlx::any::install_default_drivers();
    let unused = sqlx::any::AnyPoolOptions::new().connect_lazy("sqlite::memory:");
    let checked = unused.map_err(|e| e.to_string()).and_then(|pool| {
        let writer = crate::db::Writer::new(pool, DbKind::Postgres);
        crate::platform::sender(wa, writer, reqwest::Client::new())
            .map(drop)
            .map_err(|e| e.to_string())
    });
    if let Err(e) = checked {
        r.add(Level::Problem, "platform WhatsApp", e);
        return;
    }
    for (what, value) in [
        ("PLATFORM_WA_BASE_URL", wa.base_url.as_deref()),
        ("PLATFORM_WA_GATEWAY_URL", wa.gateway_url.as_deref()),
    ] {
        if let Some(value) = value
            && let Ok(url) = url::Url::parse(value)
            && let Some(host) = url.host()
            && let Some(why) = not_public(&host)
        {
            r.add(
                strict,
                "platform WhatsApp",
                format!(
                    "{what} {value} points at a non-public host ({why}); is it a test stand-in?"
                ),
            );
            return;
        }
    }
    r.add(
        Level::Ok,
        "platform WhatsApp",
        format!("provider {:?} configured", wa.provider),
    );
}

fn check_midtrans(config: &Config, production: bool, r: &mut Report) {
    let m = &config.midtrans;
    let Some(key) = &m.server_key else {
        r.add(
            if production {
                Level::Problem
            } else {
                Level::Warning
            },
            "Midtrans",
            "MIDTRANS_SERVER_KEY is unset: vendors cannot buy plans",
        );
        return;
    };
    let sandbox_key = key.expose_secret().starts_with("SB-");
    if m.production && sandbox_key {
        r.add(
            Level::Problem,
            "Midtrans",
            "MIDTRANS_PRODUCTION is on but the server key is a sandbox key (SB-...)",
        );
    } else if !m.production && production {
        r.add(
            Level::Problem,
            "Midtrans",
            "production checks asked for, but MIDTRANS_PRODUCTION is off: payments go to the sandbox",
        );
    } else if m.production && (m.api_base_url.is_some() || m.snap_base_url.is_some()) {
        r.add(
            Level::Warning,
            "Midtrans",
            "MIDTRANS_API_BASE_URL / MIDTRANS_SNAP_BASE_URL override the production endpoints",
        );
    } else {
        r.add(
            Level::Ok,
            "Midtrans",
            format!(
                "{} server key set",
                if m.production {
                    "production"
                } else {
                    "sandbox"
                }
            ),
        );
    }
}

async fn check_plugins(config: &Config, r: &mut Report) {
    if let Some(dir) = &config.plugins_dir
        && !dir.is_dir()
    {
        r.add(
            Level::Problem,
            "plugins",
            format!("PLUGINS_DIR {} is not a folder", dir.display()),
        );
    }
    let host = bot_core::PluginHost::new(
        bot_core::HostConfig::default().cache_dir(config.effective_plugin_cache_dir()),
        Arc::new(bot_core::MemoryStore::new()),
        None,
    );
    let host = match host {
        Ok(h) => Arc::new(h),
        Err(e) => {
            r.add(Level::Problem, "plugins", format!("plugin host: {e}"));
            return;
        }
    };
    let sources = pipeline::plugin_sources(config.plugins_dir.as_deref());
    let loaded = pipeline::load_components(&host, config.plugins_dir.as_deref()).await;
    for (name, source) in sources {
        match (loaded.get(name), &source) {
            (_, PluginSource::Missing) => r.add(
                Level::Problem,
                "plugins",
                format!(
                    "{name}: not embedded in this binary and not in PLUGINS_DIR; build with scripts/build-plugins.sh or put {name}.wasm in PLUGINS_DIR"
                ),
            ),
            (Some(Ok(c)), _) => r.add(
                Level::Ok,
                "plugins",
                format!("{name} {} ({source})", c.manifest().version),
            ),
            (Some(Err(e)), _) => r.add(
                Level::Problem,
                "plugins",
                format!("{name} ({source}) does not load: {e}"),
            ),
            (None, _) => r.add(Level::Problem, "plugins", format!("{name}: not loaded")),
        }
    }
}
