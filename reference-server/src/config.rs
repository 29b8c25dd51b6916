//! Server configuration: one tree of settings with defaults, read from an
//! optional TOML file, then overlaid with environment variables (the later
//! source wins).
//!
//! The file is deserialized straight into [`Config`] (every struct is
//! `#[serde(default)]`, so a key left out keeps its default, and unknown
//! keys are errors). The environment overlay is the [`ENV`] table: one
//! entry per variable, naming the setting it overrides. Every setting has a
//! default that works on a fresh machine, so `cargo run -p reference-server`
//! needs no configuration at all. The full reference (file keys and
//! environment variables) is in `docs/src/operators-guide.md`.
//!
//! Secrets (the database URL, which may carry a password, the at-rest
//! encryption key, the Midtrans server key and the platform's WhatsApp
//! tokens) are held as [`secrecy::SecretString`], whose `Debug` output is
//! redacted, and never appear in error messages.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for this schema.
    #[error("invalid configuration file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The offending key (`midtrans.production`) and line when known,
        /// and what is wrong with it.
        message: String,
    },
    /// An environment variable has a value that cannot be used.
    #[error("invalid value for {name}: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Why it is invalid (never the value itself: it may be a secret).
        message: String,
    },
}

/// Midtrans settings of the platform (plans are paid to the platform).
///
/// File section `[midtrans]`; environment variables `MIDTRANS_*`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MidtransConfig {
    /// Server key; when absent, buying a plan answers `payments_not_configured`
    /// and notifications are refused.
    #[serde(deserialize_with = "opt_secret")]
    pub server_key: Option<SecretString>,
    /// Client key (public; for the Snap JS on a front end).
    #[serde(deserialize_with = "opt_text")]
    pub client_key: Option<String>,
    /// Production environment instead of sandbox.
    pub production: bool,
    /// Override of the Core API base URL (tests point it at a mock server).
    #[serde(deserialize_with = "opt_text")]
    pub api_base_url: Option<String>,
    /// Override of the Snap base URL.
    #[serde(deserialize_with = "opt_text")]
    pub snap_base_url: Option<String>,
}

/// Which provider the platform's own WhatsApp number uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[non_exhaustive]
pub enum PlatformProvider {
    /// The built-in simulator: messages land in `sim_outbox` and the log
    /// (the default, so a fresh machine needs no account).
    #[default]
    Simulator,
    /// Meta WhatsApp Cloud API (`phone_number_id`, `access_token`).
    CloudApi,
    /// Fonnte (`token`).
    Fonnte,
    /// A generic HTTP gateway (`gateway_url`, `header_name`, `token`).
    Gateway,
}

impl FromStr for PlatformProvider {
    type Err = String;

    /// Accepts the documented names, any case, `-` for `_`, and `cloud` or
    /// `meta` for the Cloud API.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "simulator" => Ok(Self::Simulator),
            "cloud_api" | "cloud" | "meta" => Ok(Self::CloudApi),
            "fonnte" => Ok(Self::Fonnte),
            "gateway" => Ok(Self::Gateway),
            _ => Err("expected simulator, cloud_api, fonnte or gateway".to_owned()),
        }
    }
}

impl TryFrom<String> for PlatformProvider {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map_err(|expected| format!("`{s}`: {expected}"))
    }
}

/// The platform's own WhatsApp sender: OTP codes for sign-up, login and
/// password reset, and payment receipts go out through it.
///
/// File section `[platform_whatsapp]`; environment variables
/// `PLATFORM_WA_*`. Which fields are required depends on `provider`;
/// [`crate::platform::sender`] checks them at start-up and names the
/// missing one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlatformWhatsAppConfig {
    /// The provider (`simulator`, `cloud_api`, `fonnte` or `gateway`).
    pub provider: PlatformProvider,
    /// Cloud API phone number id.
    #[serde(deserialize_with = "opt_text")]
    pub phone_number_id: Option<String>,
    /// Cloud API access token.
    #[serde(deserialize_with = "opt_secret")]
    pub access_token: Option<SecretString>,
    /// Cloud API Graph version override.
    #[serde(deserialize_with = "opt_text")]
    pub api_version: Option<String>,
    /// Fonnte or gateway token.
    #[serde(deserialize_with = "opt_secret")]
    pub token: Option<SecretString>,
    /// Base URL override of the Cloud API or Fonnte (tests point it at a
    /// mock server).
    #[serde(deserialize_with = "opt_text")]
    pub base_url: Option<String>,
    /// Gateway endpoint.
    #[serde(deserialize_with = "opt_text")]
    pub gateway_url: Option<String>,
    /// Header carrying the gateway token.
    #[serde(deserialize_with = "opt_text")]
    pub header_name: Option<String>,
}

/// Rate limits of the account endpoints (sign-up, login, OTP, reset).
///
/// File section `[rate_limits]`; environment variables `RATE_LIMIT_*`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per minute from one client IP address.
    pub per_ip_per_minute: u32,
    /// Requests per minute for one account (email or WhatsApp number).
    pub per_account_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 30,
            per_account_per_minute: 10,
        }
    }
}

/// Settings of the campaign sender (one engine per server process).
///
/// File section `[campaigns]`; environment variables `CAMPAIGN_*`. Values
/// out of bounds are moved to the nearest bound when loading.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CampaignConfig {
    /// How often the engine looks for devices with work, in milliseconds
    /// (default 500). An idle device task also waits this long between
    /// looks for retries and follow-ups.
    pub poll_ms: u64,
    /// Length of a device lease in milliseconds (default 30,000, at least
    /// 500): the rows a crashed process left in flight are retried this
    /// long after its last renewal.
    pub lease_ms: i64,
    /// Provider calls in flight per device (default 8, 1..=256).
    pub max_in_flight: usize,
    /// Tries per recipient for retryable provider errors (default 5).
    pub max_attempts: i64,
    /// First retry delay in milliseconds, doubled on each further try
    /// (default 5,000).
    pub backoff_ms: i64,
    /// Time source of the engine: the system clock; tests put in an
    /// adjustable one (not settable from the file or the environment).
    #[serde(skip)]
    pub clock: crate::campaigns::Clock,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self {
            poll_ms: 500,
            lease_ms: 30_000,
            max_in_flight: 8,
            max_attempts: 5,
            backoff_ms: 5_000,
            clock: crate::campaigns::Clock::system(),
        }
    }
}

impl CampaignConfig {
    /// Applies the documented bounds (lease at least 500 ms, 1..=256 calls in
    /// flight, at least one try, positive poll interval and backoff).
    fn normalize(&mut self) {
        self.poll_ms = self.poll_ms.max(1);
        self.lease_ms = self.lease_ms.max(500);
        self.max_in_flight = self.max_in_flight.clamp(1, 256);
        self.max_attempts = self.max_attempts.max(1);
        self.backoff_ms = self.backoff_ms.max(1);
    }
}

/// The whole configuration. File keys are the field names (sections for
/// the nested structs); [`ENV`] lists the environment variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory for the SQLite file and the generated key file.
    pub data_dir: PathBuf,
    /// `postgres://...` or `sqlite://...`; when absent, `sqlite://<data_dir>/server.db`.
    #[serde(deserialize_with = "opt_secret")]
    pub database_url: Option<SecretString>,
    /// Maximum size of a request body in bytes.
    pub body_limit_bytes: usize,
    /// After a shutdown signal, how long in-flight requests may take to
    /// finish before the server stops anyway (default 30).
    pub shutdown_grace_secs: u64,
    /// Public base URL of this server, used to print webhook URLs
    /// (e.g. `https://wa.example.com`).
    pub public_base_url: String,
    /// 32-byte key (base64) for encrypting secrets at rest; when absent a
    /// key is generated once into `<data_dir>/secret.key`.
    #[serde(deserialize_with = "opt_secret")]
    pub secret_key: Option<SecretString>,
    /// Further keys (base64) that decrypt but never encrypt: the previous
    /// keys during a key rotation (see `reference-server rotate-key`).
    /// Environment: comma-separated.
    #[serde(deserialize_with = "secret_list")]
    pub previous_secret_keys: Vec<SecretString>,
    /// Folder of plugin components (`<name>.wasm`) that replace the ones
    /// embedded in the binary, plugin by plugin.
    pub plugins_dir: Option<PathBuf>,
    /// Where compiled plugins are cached (default `<data_dir>/plugin-cache`).
    pub plugin_cache_dir: Option<PathBuf>,
    /// Lifetime of a login session, in hours.
    pub session_ttl_hours: i64,
    /// New vendors wait for a platform admin's approval after OTP verification.
    pub require_approval: bool,
    /// How often the subscription-expiry job runs, in seconds.
    pub expiry_job_interval_secs: u64,
    /// Days an audit entry is kept (default 365); 0 keeps them forever.
    pub audit_retention_days: u32,
    /// Days between a vendor's request to delete its account and the
    /// deletion of its data (the owner may cancel meanwhile).
    pub account_deletion_days: u32,
    /// Rate limits of the account endpoints.
    pub rate_limits: RateLimitConfig,
    /// Trust the first address of `X-Forwarded-For` as the client IP (only
    /// behind a reverse proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Midtrans settings.
    pub midtrans: MidtransConfig,
    /// Logs as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// Argon2id memory cost in KiB for new password hashes (default 19456,
    /// the OWASP recommendation). Not settable from the file or the
    /// environment; tests lower it.
    #[serde(skip)]
    pub argon2_memory_kib: u32,
    /// Seconds before another OTP may be sent to the same number (default 60).
    pub otp_resend_cooldown_secs: u64,
    /// OTP sends allowed per client IP per hour (default 20).
    pub otp_max_sends_per_ip_per_hour: u32,
    /// The campaign sender.
    pub campaigns: CampaignConfig,
    /// The platform's own WhatsApp number (OTP codes, receipts).
    pub platform_whatsapp: PlatformWhatsAppConfig,
    /// The marketplace (`[marketplace]`).
    pub marketplace: crate::marketplace::MarketplaceConfig,
    /// Invoices, reminders and the grace period (`[billing]`).
    pub billing: crate::billing::BillingConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self::with_data_dir("./data")
    }
}

/// Sets one setting from an environment variable's value; the error says
/// why the value is unusable without repeating it.
pub type Setter = fn(&mut Config, &str) -> Result<(), String>;

/// The environment overlay: each variable and the setting it overrides.
/// A variable that is unset, or set to an empty or blank value, leaves the
/// setting as the defaults and the file made it.
pub const ENV: &[(&str, Setter)] = &[
    ("BIND_ADDR", |c, v| parse(&mut c.bind, v)),
    ("DATA_DIR", |c, v| {
        c.data_dir = PathBuf::from(v);
        Ok(())
    }),
    ("DATABASE_URL", |c, v| secret(&mut c.database_url, v)),
    ("BODY_LIMIT_BYTES", |c, v| parse(&mut c.body_limit_bytes, v)),
    ("SHUTDOWN_GRACE_SECS", |c, v| {
        parse(&mut c.shutdown_grace_secs, v)
    }),
    ("PUBLIC_BASE_URL", |c, v| {
        c.public_base_url = v.to_owned();
        Ok(())
    }),
    ("SECRET_KEY", |c, v| secret(&mut c.secret_key, v)),
    ("SECRET_KEYS_PREVIOUS", |c, v| {
        c.previous_secret_keys = v
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| SecretString::from(k.to_owned()))
            .collect();
        Ok(())
    }),
    ("PLUGINS_DIR", |c, v| {
        c.plugins_dir = Some(PathBuf::from(v));
        Ok(())
    }),
    ("PLUGIN_CACHE_DIR", |c, v| {
        c.plugin_cache_dir = Some(PathBuf::from(v));
        Ok(())
    }),
    ("SESSION_TTL_HOURS", |c, v| {
        parse(&mut c.session_ttl_hours, v)
    }),
    ("REQUIRE_APPROVAL", |c, v| flag(&mut c.require_approval, v)),
    ("EXPIRY_JOB_INTERVAL_SECS", |c, v| {
        parse(&mut c.expiry_job_interval_secs, v)
    }),
    ("ACCOUNT_DELETION_DAYS", |c, v| {
        parse(&mut c.account_deletion_days, v)
    }),
    ("AUDIT_RETENTION_DAYS", |c, v| {
        parse(&mut c.audit_retention_days, v)
    }),
    ("TRUST_FORWARDED_FOR", |c, v| {
        flag(&mut c.trust_forwarded_for, v)
    }),
    ("LOG_JSON", |c, v| flag(&mut c.log_json, v)),
    ("OTP_RESEND_COOLDOWN_SECS", |c, v| {
        parse(&mut c.otp_resend_cooldown_secs, v)
    }),
    ("OTP_MAX_SENDS_PER_IP_PER_HOUR", |c, v| {
        parse(&mut c.otp_max_sends_per_ip_per_hour, v)
    }),
    ("RATE_LIMIT_PER_IP_PER_MINUTE", |c, v| {
        parse(&mut c.rate_limits.per_ip_per_minute, v)
    }),
    ("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", |c, v| {
        parse(&mut c.rate_limits.per_account_per_minute, v)
    }),
    ("MIDTRANS_SERVER_KEY", |c, v| {
        secret(&mut c.midtrans.server_key, v)
    }),
    ("MIDTRANS_CLIENT_KEY", |c, v| {
        text(&mut c.midtrans.client_key, v)
    }),
    ("MIDTRANS_PRODUCTION", |c, v| {
        flag(&mut c.midtrans.production, v)
    }),
    ("MIDTRANS_API_BASE_URL", |c, v| {
        text(&mut c.midtrans.api_base_url, v)
    }),
    ("MIDTRANS_SNAP_BASE_URL", |c, v| {
        text(&mut c.midtrans.snap_base_url, v)
    }),
    ("BILLING_GRACE_DAYS", |c, v| {
        parse(&mut c.billing.grace_days, v)
    }),
    ("BILLING_REMINDER_INTERVAL_SECS", |c, v| {
        parse(&mut c.billing.reminder_interval_secs, v)
    }),
    ("INVOICE_ISSUER_NAME", |c, v| {
        c.billing.invoice_issuer_name = v.to_owned();
        Ok(())
    }),
    ("INVOICE_ISSUER_ADDRESS", |c, v| {
        text(&mut c.billing.invoice_issuer_address, v)
    }),
    ("INVOICE_ISSUER_NPWP", |c, v| {
        c.billing.invoice_issuer_npwp = crate::billing::config::parse_npwp(v)?;
        Ok(())
    }),
    ("MIDTRANS_IRIS_API_KEY", |c, v| {
        secret(&mut c.marketplace.iris_api_key, v)
    }),
    ("CAMPAIGN_POLL_MS", |c, v| {
        parse(&mut c.campaigns.poll_ms, v)
    }),
    ("CAMPAIGN_LEASE_MS", |c, v| {
        parse(&mut c.campaigns.lease_ms, v)
    }),
    ("CAMPAIGN_MAX_IN_FLIGHT", |c, v| {
        parse(&mut c.campaigns.max_in_flight, v)
    }),
    ("CAMPAIGN_MAX_ATTEMPTS", |c, v| {
        parse(&mut c.campaigns.max_attempts, v)
    }),
    ("CAMPAIGN_BACKOFF_MS", |c, v| {
        parse(&mut c.campaigns.backoff_ms, v)
    }),
    ("PLATFORM_WA_PROVIDER", |c, v| {
        parse(&mut c.platform_whatsapp.provider, v)
    }),
    ("PLATFORM_WA_PHONE_NUMBER_ID", |c, v| {
        text(&mut c.platform_whatsapp.phone_number_id, v)
    }),
    ("PLATFORM_WA_ACCESS_TOKEN", |c, v| {
        secret(&mut c.platform_whatsapp.access_token, v)
    }),
    ("PLATFORM_WA_API_VERSION", |c, v| {
        text(&mut c.platform_whatsapp.api_version, v)
    }),
    ("PLATFORM_WA_TOKEN", |c, v| {
        secret(&mut c.platform_whatsapp.token, v)
    }),
    ("PLATFORM_WA_BASE_URL", |c, v| {
        text(&mut c.platform_whatsapp.base_url, v)
    }),
    ("PLATFORM_WA_GATEWAY_URL", |c, v| {
        text(&mut c.platform_whatsapp.gateway_url, v)
    }),
    ("PLATFORM_WA_HEADER_NAME", |c, v| {
        text(&mut c.platform_whatsapp.header_name, v)
    }),
];

fn parse<T: FromStr>(slot: &mut T, v: &str) -> Result<(), String>
where
    T::Err: std::fmt::Display,
{
    *slot = v.trim().parse().map_err(|e: T::Err| e.to_string())?;
    Ok(())
}

fn flag(slot: &mut bool, v: &str) -> Result<(), String> {
    *slot = match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => true,
        "0" | "false" | "no" | "off" => false,
        _ => return Err("expected true or false".to_owned()),
    };
    Ok(())
}

fn text(slot: &mut Option<String>, v: &str) -> Result<(), String> {
    *slot = Some(v.to_owned());
    Ok(())
}

fn secret(slot: &mut Option<SecretString>, v: &str) -> Result<(), String> {
    *slot = Some(SecretString::from(v.to_owned()));
    Ok(())
}

/// A list of secrets in the file; empty strings are left out.
fn secret_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SecretString>, D::Error> {
    let keys: Vec<String> = Deserialize::deserialize(d)?;
    Ok(keys
        .into_iter()
        .filter(|k| !k.trim().is_empty())
        .map(SecretString::from)
        .collect())
}

/// An optional text setting of the file; an empty string leaves it unset.
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|v| !v.trim().is_empty()))
}

/// An optional secret of the file; an empty string leaves it unset.
fn opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(opt_text(d)?.map(SecretString::from))
}

impl Config {
    /// Defaults with the given data directory.
    pub fn with_data_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: dir.into(),
            database_url: None,
            body_limit_bytes: 1024 * 1024,
            shutdown_grace_secs: 30,
            public_base_url: "http://127.0.0.1:8080".to_owned(),
            secret_key: None,
            previous_secret_keys: Vec::new(),
            plugins_dir: None,
            plugin_cache_dir: None,
            session_ttl_hours: 24 * 30,
            require_approval: false,
            expiry_job_interval_secs: 60,
            audit_retention_days: 365,
            account_deletion_days: 14,
            rate_limits: RateLimitConfig::default(),
            trust_forwarded_for: false,
            midtrans: MidtransConfig::default(),
            log_json: false,
            argon2_memory_kib: 19 * 1024,
            otp_resend_cooldown_secs: 60,
            otp_max_sends_per_ip_per_hour: 20,
            campaigns: CampaignConfig::default(),
            platform_whatsapp: PlatformWhatsAppConfig::default(),
            marketplace: crate::marketplace::MarketplaceConfig::default(),
            billing: crate::billing::BillingConfig::default(),
        }
    }

    /// Loads defaults, then `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let text = match file {
            Some(path) => {
                Some(
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                        path: path.to_owned(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let file = file.zip(text.as_deref());
        Self::from_sources(file, |name| std::env::var(name).ok())
    }

    /// The whole load: `file` (path and contents) over the defaults, then
    /// the variables `env` answers (injectable for tests), then the bounds.
    fn from_sources(
        file: Option<(&Path, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some((path, text)) => toml::from_str(text).map_err(|e| ConfigError::Parse {
                path: path.to_owned(),
                message: describe_toml_error(text, &e),
            })?,
            None => Self::default(),
        };
        for &(name, set) in ENV {
            if let Some(v) = env(name).filter(|v| !v.trim().is_empty()) {
                set(&mut config, &v).map_err(|message| ConfigError::Env { name, message })?;
            }
        }
        config.campaigns.normalize();
        Ok(config)
    }

    /// The database URL in effect (the configured one, or the default
    /// SQLite file under the data directory). Contains credentials: never log it.
    pub fn effective_database_url(&self) -> SecretString {
        match &self.database_url {
            Some(url) => url.clone(),
            None => {
                let file = self.data_dir.join("server.db");
                SecretString::from(format!("sqlite://{}?mode=rwc", file.display()))
            }
        }
    }

    /// Where compiled plugins are cached.
    pub fn effective_plugin_cache_dir(&self) -> PathBuf {
        self.plugin_cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("plugin-cache"))
    }

    /// "postgres" or "sqlite", for logs.
    pub fn database_kind_label(&self) -> &'static str {
        if self
            .effective_database_url()
            .expose_secret()
            .starts_with("postgres")
        {
            "postgres"
        } else {
            "sqlite"
        }
    }
}

/// `section.key (line n): what is wrong`, naming the setting the error
/// points at. The offending line is not repeated (it may hold a secret);
/// the message is serde's, which quotes a value only when its type is
/// wrong for the key.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span().and_then(|span| key_at(text, span.start)) {
        Some((key, line)) => format!("{key} (line {line}): {}", e.message()),
        None => e.message().to_owned(),
    }
}

/// The dotted key of the `key = value` line holding byte `offset`, with
/// the table header above it (`[campaigns]` + `batch = 1` gives
/// `campaigns.batch`), and its 1-based line number.
fn key_at(text: &str, offset: usize) -> Option<(String, usize)> {
    let before = text.get(..offset)?;
    let line_no = before.matches('\n').count();
    let line = text.lines().nth(line_no)?;
    let key = line.split('=').next()?.trim().replace(['"', ' '], "");
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = text
        .lines()
        .take(line_no)
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix('[')?.strip_suffix(']').map(str::trim)
        })
        .last();
    let key = match table {
        Some(t) => format!("{t}.{key}"),
        None => key,
    };
    Some((key, line_no + 1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Loads `toml` as the file (if any) and `vars` as the environment.
    fn load(toml: Option<&str>, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_sources(toml.map(|t| (Path::new("x.toml"), t)), |n| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_use_sqlite_under_data_dir() {
        let c = load(None, &[]).unwrap();
        assert_eq!(
            c.effective_database_url().expose_secret(),
            "sqlite://./data/server.db?mode=rwc"
        );
        assert_eq!(c.body_limit_bytes, 1024 * 1024);
        assert_eq!(c.rate_limits.per_ip_per_minute, 30);
        assert_eq!(c.argon2_memory_kib, 19 * 1024);
        let empty_file = load(Some(""), &[]).unwrap();
        assert_eq!(empty_file.bind, c.bind);
        assert_eq!(empty_file.session_ttl_hours, 720);
        assert_eq!(empty_file.campaigns.lease_ms, 30_000);
    }

    #[test]
    fn file_then_env_and_secrets_do_not_print() {
        let file = "data_dir = \"/srv/wa\"\nbody_limit_bytes = 2048\n\
                    [midtrans]\nserver_key = \"SB-Mid-server-SECRET\"\n";
        let c = load(Some(file), &[]).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/wa"));
        assert_eq!(c.body_limit_bytes, 2048);
        let c = load(
            Some(file),
            &[
                ("DATABASE_URL", "postgres://u:pw-SECRET@db/x"),
                ("BODY_LIMIT_BYTES", "4096"),
            ],
        )
        .unwrap();
        assert_eq!(c.body_limit_bytes, 4096);
        assert_eq!(c.data_dir, PathBuf::from("/srv/wa"), "file value kept");
        assert_eq!(c.database_kind_label(), "postgres");
        assert_eq!(
            c.midtrans.server_key.as_ref().unwrap().expose_secret(),
            "SB-Mid-server-SECRET"
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn env_wins_over_file_which_wins_over_defaults_in_every_section() {
        let file = "bind = \"0.0.0.0:9000\"\nrequire_approval = true\n\
                    [rate_limits]\nper_ip_per_minute = 60\nper_account_per_minute = 7\n\
                    [midtrans]\nproduction = true\nclient_key = \"file-client\"\n\
                    [platform_whatsapp]\nprovider = \"gateway\"\nheader_name = \"X-File\"\n";
        let c = load(
            Some(file),
            &[
                ("BIND_ADDR", "127.0.0.1:9001"),
                ("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "8"),
                ("MIDTRANS_PRODUCTION", "off"),
                ("PLATFORM_WA_HEADER_NAME", "X-Env"),
                // Blank values count as unset: the file's values stay.
                ("REQUIRE_APPROVAL", ""),
                ("MIDTRANS_CLIENT_KEY", "  "),
            ],
        )
        .unwrap();
        assert_eq!(c.bind, SocketAddr::from(([127, 0, 0, 1], 9001)));
        assert!(c.require_approval);
        assert_eq!(c.rate_limits.per_ip_per_minute, 60);
        assert_eq!(c.rate_limits.per_account_per_minute, 8);
        assert!(!c.midtrans.production);
        assert_eq!(c.midtrans.client_key.as_deref(), Some("file-client"));
        assert_eq!(c.platform_whatsapp.provider, PlatformProvider::Gateway);
        assert_eq!(c.platform_whatsapp.header_name.as_deref(), Some("X-Env"));
        assert_eq!(c.session_ttl_hours, 720, "default kept");
    }

    #[test]
    fn bad_values_are_typed_errors_naming_the_setting() {
        let err = load(None, &[("REQUIRE_APPROVAL", "maybe")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Env {
                name: "REQUIRE_APPROVAL",
                ..
            }
        ));
        let err = load(None, &[("SESSION_TTL_HOURS", "a day-SECRET")]).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("SESSION_TTL_HOURS"), "{shown}");
        assert!(
            !shown.contains("SECRET"),
            "the value is not repeated: {shown}"
        );

        let err = load(Some("unknown_key = 1\n"), &[]).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
        assert!(err.to_string().contains("unknown_key (line 1)"), "{err}");
        let err = load(
            Some("bind = \"x\"\n[midtrans]\nproduction = \"sure\"\n"),
            &[],
        );
        let shown = err.unwrap_err().to_string();
        assert!(shown.contains("bind (line 1)"), "{shown}");
        let err = load(Some("[midtrans]\nproduction = \"sure\"\n"), &[]).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("midtrans.production (line 2)"), "{shown}");
        assert!(shown.contains("x.toml"), "{shown}");
    }

    #[test]
    fn campaign_settings_from_file_and_env_with_bounds() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.campaigns.poll_ms, 500);
        assert_eq!(c.campaigns.lease_ms, 30_000);
        assert_eq!(c.campaigns.max_in_flight, 8);
        assert_eq!(c.campaigns.max_attempts, 5);
        assert_eq!(c.campaigns.backoff_ms, 5_000);
        let file = "[campaigns]\npoll_ms = 200\nlease_ms = 100\nmax_in_flight = 1000\n";
        let c = load(Some(file), &[]).unwrap();
        assert_eq!(c.campaigns.poll_ms, 200);
        assert_eq!(c.campaigns.lease_ms, 500, "lease is at least 500 ms");
        assert_eq!(c.campaigns.max_in_flight, 256);
        let c = load(
            Some(file),
            &[
                ("CAMPAIGN_LEASE_MS", "2000"),
                ("CAMPAIGN_MAX_ATTEMPTS", "3"),
                ("CAMPAIGN_BACKOFF_MS", "250"),
            ],
        )
        .unwrap();
        assert_eq!(c.campaigns.lease_ms, 2000);
        assert_eq!(c.campaigns.max_attempts, 3);
        assert_eq!(c.campaigns.backoff_ms, 250);
        assert_eq!(c.campaigns.poll_ms, 200, "file value kept");
        let err = load(Some(file), &[("CAMPAIGN_POLL_MS", "soon")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Env {
                name: "CAMPAIGN_POLL_MS",
                ..
            }
        ));
        let err = load(Some("[campaigns]\nbatch = 1\n"), &[]).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
        assert!(err.to_string().contains("campaigns.batch"), "{err}");
    }

    #[test]
    fn platform_whatsapp_from_file_and_env_secrets_redacted() {
        assert_eq!(
            load(None, &[]).unwrap().platform_whatsapp.provider,
            PlatformProvider::Simulator
        );
        let file = "[platform_whatsapp]\nprovider = \"cloud-api\"\nphone_number_id = \"1055\"\n\
                    access_token = \"EAAG-SECRET\"\napi_version = \"\"\n";
        let c = load(Some(file), &[]).unwrap();
        assert_eq!(c.platform_whatsapp.provider, PlatformProvider::CloudApi);
        assert_eq!(c.platform_whatsapp.phone_number_id.as_deref(), Some("1055"));
        assert_eq!(c.platform_whatsapp.api_version, None, "empty is unset");
        let c = load(
            Some(file),
            &[
                ("PLATFORM_WA_PROVIDER", "fonnte"),
                ("PLATFORM_WA_TOKEN", "fonnte-SECRET"),
            ],
        )
        .unwrap();
        assert_eq!(c.platform_whatsapp.provider, PlatformProvider::Fonnte);
        assert!(
            c.platform_whatsapp.access_token.is_some(),
            "file value kept"
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        let err = load(None, &[("PLATFORM_WA_PROVIDER", "twilio")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Env {
                name: "PLATFORM_WA_PROVIDER",
                ..
            }
        ));
        let err = load(Some("[platform_whatsapp]\nprovider = \"pigeon\"\n"), &[]).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("pigeon"), "{shown}");
        assert!(shown.contains("platform_whatsapp.provider"), "{shown}");
    }

    /// Every variable of the operator's guide is in [`ENV`] and the other
    /// way round, and each one really sets something: a variable missing
    /// from the table would be silently ignored.
    #[test]
    fn env_table_matches_the_operators_guide() {
        let guide = include_str!("../../docs/src/operators-guide.md");
        let documented: std::collections::BTreeSet<&str> = guide
            .lines()
            .skip_while(|l| !l.starts_with("| environment | file key |"))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
            .filter(|name| *name != "RUST_LOG")
            .collect();
        let table: std::collections::BTreeSet<&str> = ENV.iter().map(|(n, _)| *n).collect();
        assert_eq!(documented, table);
        assert_eq!(table.len(), ENV.len(), "a variable is listed twice");
    }

    /// Each variable changes the configuration, and no two change it the
    /// same way (a copied entry still setting the first one's field).
    #[test]
    fn every_env_entry_sets_its_own_setting() {
        let default = format!("{:?}", Config::default());
        let mut seen = std::collections::BTreeMap::new();
        for &(name, set) in ENV {
            let mut c = Config::default();
            let accepted = [
                "127.0.0.1:1",
                "7",
                "true",
                "gateway",
                "01.234.567.8-901.234",
            ]
            .into_iter()
            .find(|v| set(&mut c, v).is_ok());
            assert!(accepted.is_some(), "{name} accepts none of the samples");
            let shown = format!("{c:?}");
            assert_ne!(shown, default, "{name} changed nothing");
            if let Some(other) = seen.insert(shown, name) {
                panic!("{name} and {other} set the same thing");
            }
        }
    }

    #[test]
    fn key_at_names_the_table_and_line() {
        let text = "a = 1\n[m]\n  \"b\" = 2\n";
        assert_eq!(key_at(text, 0), Some(("a".to_owned(), 1)));
        assert_eq!(
            key_at(text, text.find('b').unwrap()),
            Some(("m.b".to_owned(), 3))
        );
        assert_eq!(key_at(text, text.find("[m]").unwrap()), None);
    }
}
