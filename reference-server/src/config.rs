//! Server configuration: defaults, then an optional TOML file, then
//! environment variables (the later source wins).
//!
//! Every setting has a default that works on a fresh machine, so
//! `cargo run -p reference-server` needs no configuration at all. The full
//! reference (file keys and environment variables) is in
//! `docs/src/operators-guide.md`.
//!
//! Secrets (the database URL, which may carry a password, the at-rest
//! encryption key and the Midtrans server key) are held as
//! [`secrecy::SecretString`] and never appear in `Debug` output.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

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
        /// What the parser said.
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
#[derive(Clone)]
pub struct MidtransConfig {
    /// Server key; when absent, buying a plan answers `payments_not_configured`
    /// and notifications are refused.
    pub server_key: Option<SecretString>,
    /// Client key (public; for the Snap JS on a front end).
    pub client_key: Option<String>,
    /// Production environment instead of sandbox.
    pub production: bool,
    /// Override of the Core API base URL (tests point it at a mock server).
    pub api_base_url: Option<String>,
    /// Override of the Snap base URL.
    pub snap_base_url: Option<String>,
}

impl std::fmt::Debug for MidtransConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MidtransConfig")
            .field(
                "server_key",
                &self.server_key.as_ref().map(|_| "[redacted]"),
            )
            .field("client_key", &self.client_key)
            .field("production", &self.production)
            .field("api_base_url", &self.api_base_url)
            .field("snap_base_url", &self.snap_base_url)
            .finish()
    }
}

/// Which provider the platform's own WhatsApp number uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

impl PlatformProvider {
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "simulator" => Some(Self::Simulator),
            "cloud_api" | "cloud" | "meta" => Some(Self::CloudApi),
            "fonnte" => Some(Self::Fonnte),
            "gateway" => Some(Self::Gateway),
            _ => None,
        }
    }
}

/// The platform's own WhatsApp sender: OTP codes for sign-up, login and
/// password reset, and payment receipts go out through it.
///
/// File section `[platform_whatsapp]`; environment variables
/// `PLATFORM_WA_*`. Which fields are required depends on `provider`;
/// [`crate::platform::sender`] checks them at start-up and names the
/// missing one.
#[derive(Clone, Default)]
pub struct PlatformWhatsAppConfig {
    /// The provider (`provider`, `PLATFORM_WA_PROVIDER`: `simulator`,
    /// `cloud_api`, `fonnte` or `gateway`).
    pub provider: PlatformProvider,
    /// Cloud API phone number id (`PLATFORM_WA_PHONE_NUMBER_ID`).
    pub phone_number_id: Option<String>,
    /// Cloud API access token (`PLATFORM_WA_ACCESS_TOKEN`).
    pub access_token: Option<SecretString>,
    /// Cloud API Graph version override (`PLATFORM_WA_API_VERSION`).
    pub api_version: Option<String>,
    /// Fonnte or gateway token (`PLATFORM_WA_TOKEN`).
    pub token: Option<SecretString>,
    /// Base URL override of the Cloud API or Fonnte (`PLATFORM_WA_BASE_URL`;
    /// tests point it at a mock server).
    pub base_url: Option<String>,
    /// Gateway endpoint (`PLATFORM_WA_GATEWAY_URL`).
    pub gateway_url: Option<String>,
    /// Header carrying the gateway token (`PLATFORM_WA_HEADER_NAME`).
    pub header_name: Option<String>,
}

impl std::fmt::Debug for PlatformWhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |s: &Option<SecretString>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("PlatformWhatsAppConfig")
            .field("provider", &self.provider)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &redact(&self.access_token))
            .field("api_version", &self.api_version)
            .field("token", &redact(&self.token))
            .field("base_url", &self.base_url)
            .field("gateway_url", &self.gateway_url)
            .field("header_name", &self.header_name)
            .finish()
    }
}

/// Rate limits of the account endpoints (sign-up, login, OTP, reset).
#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    /// Requests per minute from one client IP address.
    pub per_ip_per_minute: u32,
    /// Requests per minute for one account (email or WhatsApp number).
    pub per_account_per_minute: u32,
}

/// Settings of the campaign sender (one engine per server process).
///
/// File section `[campaigns]`; environment variables `CAMPAIGN_*`.
#[derive(Debug, Clone)]
pub struct CampaignConfig {
    /// How often the engine looks for devices with work, in milliseconds
    /// (`poll_ms`, `CAMPAIGN_POLL_MS`; default 500). An idle device task
    /// also waits this long between looks for retries and follow-ups.
    pub poll_ms: u64,
    /// Length of a device lease in milliseconds (`lease_ms`,
    /// `CAMPAIGN_LEASE_MS`; default 30,000, at least 500): the rows a
    /// crashed process left in flight are retried this long after its last
    /// renewal.
    pub lease_ms: i64,
    /// Provider calls in flight per device (`max_in_flight`,
    /// `CAMPAIGN_MAX_IN_FLIGHT`; default 8, 1..=256).
    pub max_in_flight: usize,
    /// Tries per recipient for retryable provider errors (`max_attempts`,
    /// `CAMPAIGN_MAX_ATTEMPTS`; default 5).
    pub max_attempts: i64,
    /// First retry delay in milliseconds, doubled on each further try
    /// (`backoff_ms`, `CAMPAIGN_BACKOFF_MS`; default 5,000).
    pub backoff_ms: i64,
    /// Time source of the engine: the system clock; tests put in an
    /// adjustable one (not settable from the file or the environment).
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

/// The whole configuration.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory for the SQLite file and the generated key file.
    pub data_dir: PathBuf,
    /// `postgres://...` or `sqlite://...`; when absent, `sqlite://<data_dir>/server.db`.
    pub database_url: Option<SecretString>,
    /// Maximum size of a request body in bytes.
    pub body_limit_bytes: usize,
    /// After a shutdown signal, how long in-flight requests may take to
    /// finish before the server stops anyway (`shutdown_grace_secs`,
    /// `SHUTDOWN_GRACE_SECS`; default 30).
    pub shutdown_grace_secs: u64,
    /// Public base URL of this server, used to print webhook URLs
    /// (e.g. `https://wa.example.com`).
    pub public_base_url: String,
    /// 32-byte key (base64) for encrypting secrets at rest; when absent a
    /// key is generated once into `<data_dir>/secret.key`.
    pub secret_key: Option<SecretString>,
    /// Lifetime of a login session, in hours.
    pub session_ttl_hours: i64,
    /// New vendors wait for a platform admin's approval after OTP verification.
    pub require_approval: bool,
    /// How often the subscription-expiry job runs, in seconds.
    pub expiry_job_interval_secs: u64,
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
    /// the OWASP recommendation; tests lower it).
    pub argon2_memory_kib: u32,
    /// Seconds before another OTP may be sent to the same number (default 60).
    pub otp_resend_cooldown_secs: u64,
    /// OTP sends allowed per client IP per hour (default 20).
    pub otp_max_sends_per_ip_per_hour: u32,
    /// The campaign sender.
    pub campaigns: CampaignConfig,
    /// The platform's own WhatsApp number (OTP codes, receipts).
    pub platform_whatsapp: PlatformWhatsAppConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database_kind_label())
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("public_base_url", &self.public_base_url)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .field("session_ttl_hours", &self.session_ttl_hours)
            .field("require_approval", &self.require_approval)
            .field("expiry_job_interval_secs", &self.expiry_job_interval_secs)
            .field("rate_limits", &self.rate_limits)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("midtrans", &self.midtrans)
            .field("log_json", &self.log_json)
            .field("argon2_memory_kib", &self.argon2_memory_kib)
            .field("otp_resend_cooldown_secs", &self.otp_resend_cooldown_secs)
            .field(
                "otp_max_sends_per_ip_per_hour",
                &self.otp_max_sends_per_ip_per_hour,
            )
            .field("campaigns", &self.campaigns)
            .field("platform_whatsapp", &self.platform_whatsapp)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::with_data_dir("./data")
    }
}

/// The TOML file schema: every key optional, same names as the fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    body_limit_bytes: Option<usize>,
    shutdown_grace_secs: Option<u64>,
    public_base_url: Option<String>,
    secret_key: Option<String>,
    session_ttl_hours: Option<i64>,
    require_approval: Option<bool>,
    expiry_job_interval_secs: Option<u64>,
    trust_forwarded_for: Option<bool>,
    log_json: Option<bool>,
    otp_resend_cooldown_secs: Option<u64>,
    otp_max_sends_per_ip_per_hour: Option<u32>,
    #[serde(default)]
    rate_limits: FileRateLimits,
    #[serde(default)]
    midtrans: FileMidtrans,
    #[serde(default)]
    campaigns: FileCampaigns,
    #[serde(default)]
    platform_whatsapp: FilePlatformWhatsApp,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePlatformWhatsApp {
    provider: Option<String>,
    phone_number_id: Option<String>,
    access_token: Option<String>,
    api_version: Option<String>,
    token: Option<String>,
    base_url: Option<String>,
    gateway_url: Option<String>,
    header_name: Option<String>,
}

impl std::fmt::Debug for FilePlatformWhatsApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FilePlatformWhatsApp { .. }")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCampaigns {
    poll_ms: Option<u64>,
    lease_ms: Option<i64>,
    max_in_flight: Option<usize>,
    max_attempts: Option<i64>,
    backoff_ms: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRateLimits {
    per_ip_per_minute: Option<u32>,
    per_account_per_minute: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMidtrans {
    server_key: Option<String>,
    client_key: Option<String>,
    production: Option<bool>,
    api_base_url: Option<String>,
    snap_base_url: Option<String>,
}

impl std::fmt::Debug for FileMidtrans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileMidtrans { .. }")
    }
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
            session_ttl_hours: 24 * 30,
            require_approval: false,
            expiry_job_interval_secs: 60,
            rate_limits: RateLimitConfig {
                per_ip_per_minute: 30,
                per_account_per_minute: 10,
            },
            trust_forwarded_for: false,
            midtrans: MidtransConfig {
                server_key: None,
                client_key: None,
                production: false,
                api_base_url: None,
                snap_base_url: None,
            },
            log_json: false,
            argon2_memory_kib: 19 * 1024,
            otp_resend_cooldown_secs: 60,
            otp_max_sends_per_ip_per_hour: 20,
            campaigns: CampaignConfig::default(),
            platform_whatsapp: PlatformWhatsAppConfig::default(),
        }
    }

    /// Loads defaults, then `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            config.apply_file(path, &text)?;
        }
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })?;
        if let Some(v) = file.bind {
            self.bind = v;
        }
        if let Some(v) = file.data_dir {
            self.data_dir = v;
        }
        if let Some(v) = file.database_url {
            self.database_url = Some(SecretString::from(v));
        }
        if let Some(v) = file.body_limit_bytes {
            self.body_limit_bytes = v;
        }
        if let Some(v) = file.shutdown_grace_secs {
            self.shutdown_grace_secs = v;
        }
        if let Some(v) = file.public_base_url {
            self.public_base_url = v;
        }
        if let Some(v) = file.secret_key {
            self.secret_key = Some(SecretString::from(v));
        }
        if let Some(v) = file.session_ttl_hours {
            self.session_ttl_hours = v;
        }
        if let Some(v) = file.require_approval {
            self.require_approval = v;
        }
        if let Some(v) = file.expiry_job_interval_secs {
            self.expiry_job_interval_secs = v;
        }
        if let Some(v) = file.trust_forwarded_for {
            self.trust_forwarded_for = v;
        }
        if let Some(v) = file.log_json {
            self.log_json = v;
        }
        if let Some(v) = file.otp_resend_cooldown_secs {
            self.otp_resend_cooldown_secs = v;
        }
        if let Some(v) = file.otp_max_sends_per_ip_per_hour {
            self.otp_max_sends_per_ip_per_hour = v;
        }
        if let Some(v) = file.rate_limits.per_ip_per_minute {
            self.rate_limits.per_ip_per_minute = v;
        }
        if let Some(v) = file.rate_limits.per_account_per_minute {
            self.rate_limits.per_account_per_minute = v;
        }
        let m = file.midtrans;
        if let Some(v) = m.server_key {
            self.midtrans.server_key = Some(SecretString::from(v));
        }
        if m.client_key.is_some() {
            self.midtrans.client_key = m.client_key;
        }
        if let Some(v) = m.production {
            self.midtrans.production = v;
        }
        if m.api_base_url.is_some() {
            self.midtrans.api_base_url = m.api_base_url;
        }
        if m.snap_base_url.is_some() {
            self.midtrans.snap_base_url = m.snap_base_url;
        }
        let c = file.campaigns;
        let cc = &mut self.campaigns;
        if let Some(v) = c.poll_ms {
            cc.poll_ms = v;
        }
        if let Some(v) = c.lease_ms {
            cc.lease_ms = v;
        }
        if let Some(v) = c.max_in_flight {
            cc.max_in_flight = v;
        }
        if let Some(v) = c.max_attempts {
            cc.max_attempts = v;
        }
        if let Some(v) = c.backoff_ms {
            cc.backoff_ms = v;
        }
        cc.normalize();
        let w = file.platform_whatsapp;
        let pw = &mut self.platform_whatsapp;
        if let Some(v) = w.provider {
            pw.provider = PlatformProvider::parse(&v).ok_or_else(|| ConfigError::Parse {
                path: path.to_owned(),
                message: format!(
                    "[platform_whatsapp] provider `{v}` is not one of simulator, cloud_api, fonnte, gateway"
                ),
            })?;
        }
        set_opt(&mut pw.phone_number_id, w.phone_number_id);
        set_opt(&mut pw.api_version, w.api_version);
        set_opt(&mut pw.base_url, w.base_url);
        set_opt(&mut pw.gateway_url, w.gateway_url);
        set_opt(&mut pw.header_name, w.header_name);
        if let Some(v) = w.access_token {
            pw.access_token = Some(SecretString::from(v));
        }
        if let Some(v) = w.token {
            pw.token = Some(SecretString::from(v));
        }
        Ok(())
    }

    /// Applies environment variables read through `get` (injectable for tests).
    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Env {
                name,
                message: e.to_string(),
            })
        }
        fn boolean(name: &'static str, v: &str) -> Result<bool, ConfigError> {
            match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::Env {
                    name,
                    message: "expected true or false".to_owned(),
                }),
            }
        }
        if let Some(v) = get("BIND_ADDR") {
            self.bind = parse("BIND_ADDR", &v)?;
        }
        if let Some(v) = get("DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("DATABASE_URL").filter(|v| !v.trim().is_empty()) {
            self.database_url = Some(SecretString::from(v));
        }
        if let Some(v) = get("BODY_LIMIT_BYTES") {
            self.body_limit_bytes = parse("BODY_LIMIT_BYTES", &v)?;
        }
        if let Some(v) = get("SHUTDOWN_GRACE_SECS") {
            self.shutdown_grace_secs = parse("SHUTDOWN_GRACE_SECS", &v)?;
        }
        if let Some(v) = get("PUBLIC_BASE_URL") {
            self.public_base_url = v;
        }
        if let Some(v) = get("SECRET_KEY").filter(|v| !v.trim().is_empty()) {
            self.secret_key = Some(SecretString::from(v));
        }
        if let Some(v) = get("SESSION_TTL_HOURS") {
            self.session_ttl_hours = parse("SESSION_TTL_HOURS", &v)?;
        }
        if let Some(v) = get("REQUIRE_APPROVAL") {
            self.require_approval = boolean("REQUIRE_APPROVAL", &v)?;
        }
        if let Some(v) = get("EXPIRY_JOB_INTERVAL_SECS") {
            self.expiry_job_interval_secs = parse("EXPIRY_JOB_INTERVAL_SECS", &v)?;
        }
        if let Some(v) = get("TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = boolean("TRUST_FORWARDED_FOR", &v)?;
        }
        if let Some(v) = get("LOG_JSON") {
            self.log_json = boolean("LOG_JSON", &v)?;
        }
        if let Some(v) = get("OTP_RESEND_COOLDOWN_SECS") {
            self.otp_resend_cooldown_secs = parse("OTP_RESEND_COOLDOWN_SECS", &v)?;
        }
        if let Some(v) = get("OTP_MAX_SENDS_PER_IP_PER_HOUR") {
            self.otp_max_sends_per_ip_per_hour = parse("OTP_MAX_SENDS_PER_IP_PER_HOUR", &v)?;
        }
        if let Some(v) = get("RATE_LIMIT_PER_IP_PER_MINUTE") {
            self.rate_limits.per_ip_per_minute = parse("RATE_LIMIT_PER_IP_PER_MINUTE", &v)?;
        }
        if let Some(v) = get("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE") {
            self.rate_limits.per_account_per_minute =
                parse("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", &v)?;
        }
        if let Some(v) = get("MIDTRANS_SERVER_KEY").filter(|v| !v.trim().is_empty()) {
            self.midtrans.server_key = Some(SecretString::from(v));
        }
        if let Some(v) = get("MIDTRANS_CLIENT_KEY") {
            self.midtrans.client_key = Some(v);
        }
        if let Some(v) = get("MIDTRANS_PRODUCTION") {
            self.midtrans.production = boolean("MIDTRANS_PRODUCTION", &v)?;
        }
        if let Some(v) = get("MIDTRANS_API_BASE_URL") {
            self.midtrans.api_base_url = Some(v);
        }
        if let Some(v) = get("MIDTRANS_SNAP_BASE_URL") {
            self.midtrans.snap_base_url = Some(v);
        }
        let cc = &mut self.campaigns;
        if let Some(v) = get("CAMPAIGN_POLL_MS") {
            cc.poll_ms = parse("CAMPAIGN_POLL_MS", &v)?;
        }
        if let Some(v) = get("CAMPAIGN_LEASE_MS") {
            cc.lease_ms = parse("CAMPAIGN_LEASE_MS", &v)?;
        }
        if let Some(v) = get("CAMPAIGN_MAX_IN_FLIGHT") {
            cc.max_in_flight = parse("CAMPAIGN_MAX_IN_FLIGHT", &v)?;
        }
        if let Some(v) = get("CAMPAIGN_MAX_ATTEMPTS") {
            cc.max_attempts = parse("CAMPAIGN_MAX_ATTEMPTS", &v)?;
        }
        if let Some(v) = get("CAMPAIGN_BACKOFF_MS") {
            cc.backoff_ms = parse("CAMPAIGN_BACKOFF_MS", &v)?;
        }
        cc.normalize();
        let pw = &mut self.platform_whatsapp;
        if let Some(v) = get("PLATFORM_WA_PROVIDER") {
            pw.provider = PlatformProvider::parse(&v).ok_or_else(|| ConfigError::Env {
                name: "PLATFORM_WA_PROVIDER",
                message: "expected simulator, cloud_api, fonnte or gateway".to_owned(),
            })?;
        }
        set_opt(&mut pw.phone_number_id, get("PLATFORM_WA_PHONE_NUMBER_ID"));
        set_opt(&mut pw.api_version, get("PLATFORM_WA_API_VERSION"));
        set_opt(&mut pw.base_url, get("PLATFORM_WA_BASE_URL"));
        set_opt(&mut pw.gateway_url, get("PLATFORM_WA_GATEWAY_URL"));
        set_opt(&mut pw.header_name, get("PLATFORM_WA_HEADER_NAME"));
        if let Some(v) = get("PLATFORM_WA_ACCESS_TOKEN").filter(|v| !v.trim().is_empty()) {
            pw.access_token = Some(SecretString::from(v));
        }
        if let Some(v) = get("PLATFORM_WA_TOKEN").filter(|v| !v.trim().is_empty()) {
            pw.token = Some(SecretString::from(v));
        }
        Ok(())
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

/// Overwrites `slot` with a non-empty `value`.
fn set_opt(slot: &mut Option<String>, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        *slot = Some(v);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_use_sqlite_under_data_dir() {
        let c = Config::default();
        assert_eq!(
            c.effective_database_url().expose_secret(),
            "sqlite://./data/server.db?mode=rwc"
        );
        assert_eq!(c.body_limit_bytes, 1024 * 1024);
    }

    #[test]
    fn file_then_env_and_secrets_do_not_print() {
        let mut c = Config::default();
        c.apply_file(
            Path::new("x.toml"),
            "data_dir = \"/srv/wa\"\nbody_limit_bytes = 2048\n[midtrans]\nserver_key = \"SB-Mid-server-SECRET\"\n",
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/wa"));
        assert_eq!(c.body_limit_bytes, 2048);
        c.apply_env(|n| match n {
            "DATABASE_URL" => Some("postgres://u:pw-SECRET@db/x".to_owned()),
            "BODY_LIMIT_BYTES" => Some("4096".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.body_limit_bytes, 4096);
        assert_eq!(c.database_kind_label(), "postgres");
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn bad_values_are_typed_errors() {
        let mut c = Config::default();
        let err = c
            .apply_env(|n| (n == "REQUIRE_APPROVAL").then(|| "maybe".to_owned()))
            .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Env {
                name: "REQUIRE_APPROVAL",
                ..
            }
        ));
        let err = c
            .apply_file(Path::new("x.toml"), "unknown_key = 1\n")
            .unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
    }

    #[test]
    fn campaign_settings_from_file_and_env_with_bounds() {
        let mut c = Config::default();
        assert_eq!(c.campaigns.poll_ms, 500);
        assert_eq!(c.campaigns.lease_ms, 30_000);
        assert_eq!(c.campaigns.max_in_flight, 8);
        assert_eq!(c.campaigns.max_attempts, 5);
        assert_eq!(c.campaigns.backoff_ms, 5_000);
        c.apply_file(
            Path::new("x.toml"),
            "[campaigns]\npoll_ms = 200\nlease_ms = 100\nmax_in_flight = 1000\n",
        )
        .unwrap();
        assert_eq!(c.campaigns.poll_ms, 200);
        assert_eq!(c.campaigns.lease_ms, 500, "lease is at least 500 ms");
        assert_eq!(c.campaigns.max_in_flight, 256);
        c.apply_env(|n| match n {
            "CAMPAIGN_LEASE_MS" => Some("2000".to_owned()),
            "CAMPAIGN_MAX_ATTEMPTS" => Some("3".to_owned()),
            "CAMPAIGN_BACKOFF_MS" => Some("250".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.campaigns.lease_ms, 2000);
        assert_eq!(c.campaigns.max_attempts, 3);
        assert_eq!(c.campaigns.backoff_ms, 250);
        assert_eq!(c.campaigns.poll_ms, 200, "file value kept");
        let err = c
            .apply_env(|n| (n == "CAMPAIGN_POLL_MS").then(|| "soon".to_owned()))
            .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Env {
                name: "CAMPAIGN_POLL_MS",
                ..
            }
        ));
        let err = c
            .apply_file(Path::new("x.toml"), "[campaigns]\nbatch = 1\n")
            .unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
    }

    #[test]
    fn platform_whatsapp_from_file_and_env_secrets_redacted() {
        let mut c = Config::default();
        assert_eq!(c.platform_whatsapp.provider, PlatformProvider::Simulator);
        c.apply_file(
            Path::new("x.toml"),
            "[platform_whatsapp]\nprovider = \"cloud-api\"\nphone_number_id = \"1055\"\naccess_token = \"EAAG-SECRET\"\n",
        )
        .unwrap();
        assert_eq!(c.platform_whatsapp.provider, PlatformProvider::CloudApi);
        assert_eq!(c.platform_whatsapp.phone_number_id.as_deref(), Some("1055"));
        c.apply_env(|n| match n {
            "PLATFORM_WA_PROVIDER" => Some("fonnte".to_owned()),
            "PLATFORM_WA_TOKEN" => Some("fonnte-SECRET".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.platform_whatsapp.provider, PlatformProvider::Fonnte);
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        let err = c
            .apply_env(|n| (n == "PLATFORM_WA_PROVIDER").then(|| "twilio".to_owned()))
            .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Env {
                name: "PLATFORM_WA_PROVIDER",
                ..
            }
        ));
        let err = c
            .apply_file(
                Path::new("x.toml"),
                "[platform_whatsapp]\nprovider = \"pigeon\"\n",
            )
            .unwrap_err();
        assert!(err.to_string().contains("pigeon"), "{err}");
    }
}
