//! The operator commands through the real binary: a copy of it in an empty
//! folder runs bots from its embedded plugins; `backup` while the server
//! runs and the restore (`restore` on SQLite, `pg_restore` on PostgreSQL);
//! `rotate-key` re-encrypting every stored secret while a server keeps
//! serving with them; `doctor` naming what to fix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::bots_support::{cloud_text, keyword_config, sign};
use crate::common::{self, DbKind, data, spawn_app_with};
use reference_server::crypto::Crypto;
use reference_server::ops::doctor::{self, Level};
use reference_server::{AppState, Config};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PNID: &str = "106540352242922";
const APP_SECRET: &str = "meta-app-secret-ops";
const ACCESS_TOKEN: &str = "EAAG-ops-token-SECRET";
const LLM_KEY: &str = "sk-llm-key-SECRET";
const CUSTOMER: &str = "6281298765432";

/// The server binary of this build.
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_reference-server"))
}

/// The compile cache shared by the test servers.
fn plugin_cache() -> String {
    concat!(env!("CARGO_TARGET_TMPDIR"), "/plugin-cache").to_owned()
}

/// `reference-server <args>` with only `env` (and `PATH`) as its
/// environment, so nothing of the test's environment configures it.
fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PLUGIN_CACHE_DIR", plugin_cache())
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A server on an existing database (no seeding), stopped on drop.
struct Running {
    base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    state: AppState,
}

impl Running {
    async fn start(config: Config) -> Self {
        let state = reference_server::build_state(config).await.unwrap();
        let (listener, addr) = reference_server::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(reference_server::serve(state.clone(), listener, async {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            stop: Some(tx),
            task: Some(task),
            state,
        }
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn webhook(&self, device: &str, body: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/webhooks/whatsapp/{device}", self.base))
            .header("content-type", "application/json")
            .header("X-Hub-Signature-256", sign(APP_SECRET, body))
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// The settings of a server on `url` with `data_dir`, like the test
/// harness's.
fn config_on(url: &str, data_dir: &Path) -> Config {
    let mut c = Config::with_data_dir(data_dir);
    c.database_url = Some(SecretString::from(url.to_owned()));
    c.argon2_memory_kib = 64;
    c.plugin_cache_dir = Some(PathBuf::from(plugin_cache()));
    c
}

/// A test server whose data folder (and SQLite file) is `dir`, which
/// outlives the server, with `configure` applied.
async fn spawn_in(
    kind: DbKind,
    dir: &Path,
    configure: impl FnOnce(&mut Config),
) -> common::TestApp {
    let dir = dir.to_owned();
    spawn_app_with(kind, move |c| {
        if kind == DbKind::Sqlite {
            c.database_url = Some(SecretString::from(format!(
                "sqlite://{}?mode=rwc",
                dir.join("server.db").display()
            )));
        }
        c.data_dir = dir;
        configure(c);
    })
    .await
}

/// A Cloud API mock answering every send.
async fn meta_mock() -> MockServer {
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(format!(r"^/v[0-9.]+/{PNID}/messages$")))
        .and(header("authorization", format!("Bearer {ACCESS_TOKEN}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": CUSTOMER, "wa_id": CUSTOMER}],
            "messages": [{"id": "wamid.OUT"}]
        })))
        .mount(&meta)
        .await;
    meta
}

/// A Cloud API device (secrets: access token, app secret) answering with
/// keyword rules, and an LLM provider with an API key.
async fn vendor_with_secrets(
    app: &common::TestApp,
    meta_uri: &str,
) -> (common::VendorSession, String) {
    let v = app.signup_vendor("Toko Ops").await;
    let d = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Cloud", "provider": {
                "kind": "cloud_api", "phone_number_id": PNID, "access_token": ACCESS_TOKEN,
                "app_secret": APP_SECRET, "verify_token": "vt", "base_url": meta_uri
            }}),
        )
        .await,
        201,
    )
    .await;
    let dev = d["id"].as_str().unwrap().to_owned();
    data(
        app.request(
            Method::PUT,
            &format!("/api/v1/devices/{dev}/plugins"),
            Some(&v.token),
            Some(json!({"plugins": [{"plugin": "keyword-rules", "config": keyword_config()}]})),
        )
        .await,
        200,
    )
    .await;
    data(
        app.post(
            "/api/v1/llm-providers",
            &v.token,
            json!({"name": "openai", "kind": "openai", "model": "gpt-4o-mini",
                   "base_url": "http://127.0.0.1:9/v1", "api_key": LLM_KEY}),
        )
        .await,
        201,
    )
    .await;
    (v, dev)
}

/// The sends the Cloud API mock received, as JSON bodies.
async fn sent(meta: &MockServer) -> Vec<Value> {
    meta.received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// A customer's "harga" reaches the device and the keyword rule's answer
/// goes out through the Cloud API with the device's token: both of the
/// device's secrets were decrypted.
async fn assert_bot_answers(server: &Running, meta: &MockServer, dev: &str, message_id: &str) {
    let before = sent(meta).await.len();
    let body = cloud_text(PNID, CUSTOMER, "Budi", message_id, "berapa harga?");
    let s = data(server.webhook(dev, &body).await, 200).await;
    assert_eq!(s["replies"], 1, "{s}");
    let after = sent(meta).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after[before]["text"]["body"], "Harga mulai Rp10.000");
}

async fn stored_values(pool: &sqlx::AnyPool) -> Vec<String> {
    let mut v: Vec<String> = sqlx::query_scalar("SELECT secrets FROM devices")
        .fetch_all(pool)
        .await
        .unwrap();
    v.extend(
        sqlx::query_scalar::<_, String>("SELECT api_key FROM llm_providers")
            .fetch_all(pool)
            .await
            .unwrap(),
    );
    v
}

/// A copy of the binary in an empty folder, with no repository around it
/// and no plugins folder configured, answers a customer with the embedded
/// keyword-rules plugin.
#[tokio::test]
async fn copied_binary_runs_bots_from_embedded_plugins() {
    let home = tempfile::tempdir().unwrap();
    let data_dir = home.path().join("data");
    // The vendor and its simulator device, made by an in-process server
    // on the same data folder; then the copied binary takes over.
    let app = spawn_in(DbKind::Sqlite, &data_dir, |_| {}).await;
    let v = app.signup_vendor("Toko Salinan").await;
    let dev = crate::bots_support::simulator_device(
        &app,
        &v.token,
        json!({}),
        json!([{"plugin": "keyword-rules", "config": keyword_config()}]),
    )
    .await;
    app.stop().await;

    let copy = home.path().join("reference-server");
    std::fs::copy(binary(), &copy).unwrap();
    let mut child = Command::new(&copy)
        .arg("serve")
        .current_dir(home.path())
        .env_clear()
        .env("DATA_DIR", "data")
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("LOG_JSON", "true")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<Value>();
    // The log (JSON lines) goes to standard output.
    let log = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(log).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && lines_tx.send(v).is_err()
            {
                break;
            }
        }
    });
    let next_line = || {
        lines_rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the copied server stopped logging")
    };
    let addr = loop {
        let line = next_line();
        if let Some(local) = line["fields"]["local"].as_str() {
            break local.to_owned();
        }
    };
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/simulator/{dev}/inbound"))
        .bearer_auth(&v.token)
        .json(&json!({"from": "+6281211112222", "text": "harga?"}))
        .send()
        .await
        .unwrap();
    let body = data(res, 200).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(body["replies"], 1, "{body}");
    assert_eq!(
        body["outbox"][0]["message"]["body"], "Harga mulai Rp10.000",
        "{body}"
    );
    // Where the plugin came from, as the server logged it.
    let mut sources = Vec::new();
    while let Ok(line) = lines_rx.try_recv() {
        if line["fields"]["message"] == "plugin loaded" {
            sources.push((
                line["fields"]["plugin"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                line["fields"]["source"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
    }
    assert!(
        sources.contains(&("keyword-rules".to_owned(), "embedded".to_owned())),
        "{sources:?}"
    );
}

/// `backup` while the server serves; writes after it are not in the copy;
/// the restored database serves the vendor, its device and its secrets.
async fn backup_and_restore(kind: DbKind) {
    let meta = meta_mock().await;
    let app = spawn_app_with(kind, |_| {}).await;
    let (v, dev) = vendor_with_secrets(&app, &meta.uri()).await;
    let url = app.state.config.effective_database_url();
    let data_dir = app.state.config.data_dir.clone();
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("backup.bin");
    let out = cli(
        &["backup", file.to_str().unwrap()],
        &[
            ("DATABASE_URL", url.expose_secret()),
            ("DATA_DIR", data_dir.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("backup written"), "{}", text(&out));
    assert!(!text(&out).contains("postgres://"), "{}", text(&out));
    // A backup never overwrites a file.
    let again = cli(
        &["backup", file.to_str().unwrap()],
        &[("DATABASE_URL", url.expose_secret())],
    );
    assert!(!again.status.success());
    // A contact made after the backup.
    data(
        app.post(
            "/api/v1/contacts",
            &v.token,
            json!({"phone": "+6281277778888"}),
        )
        .await,
        201,
    )
    .await;
    let contacts = data(app.get("/api/v1/contacts", &v.token).await, 200).await;
    assert!(contacts.to_string().contains("6281277778888"), "{contacts}");
    let key = std::fs::read_to_string(data_dir.join("secret.key")).unwrap();

    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::write(restored_dir.path().join("secret.key"), &key).unwrap();
    let restored_url = match kind {
        DbKind::Sqlite => {
            let url = format!(
                "sqlite://{}?mode=rwc",
                restored_dir.path().join("server.db").display()
            );
            // Refused while the live database is open, then restored into
            // the new place.
            let busy = cli(
                &["restore", file.to_str().unwrap()],
                &[(
                    "DATABASE_URL",
                    app.state.config.effective_database_url().expose_secret(),
                )],
            );
            assert!(!busy.status.success());
            assert!(text(&busy).contains("stop the server"), "{}", text(&busy));
            let out = cli(
                &["restore", file.to_str().unwrap()],
                &[("DATABASE_URL", &url)],
            );
            assert!(out.status.success(), "{}", text(&out));
            url
        }
        DbKind::Postgres => {
            let url = pg_harness::fresh_database().await;
            let out = cli(
                &["restore", file.to_str().unwrap()],
                &[("DATABASE_URL", &url)],
            );
            assert!(!out.status.success());
            assert!(text(&out).contains("pg_restore"), "{}", text(&out));
            // The documented restore.
            let (mut cmd, bare) = reference_server::ops::backup::pg_command(
                "pg_restore",
                &SecretString::from(url.clone()),
            )
            .unwrap();
            cmd.arg("--no-owner").arg("--dbname").arg(&bare).arg(&file);
            reference_server::ops::backup::run(cmd, "pg_restore").unwrap();
            url
        }
    };
    app.stop().await;

    let server = Running::start(config_on(&restored_url, restored_dir.path())).await;
    let devices = data(server.get("/api/v1/devices", &v.token).await, 200).await;
    assert_eq!(devices.as_array().unwrap().len(), 1, "{devices}");
    let contacts = data(server.get("/api/v1/contacts", &v.token).await, 200).await;
    assert!(
        !contacts.to_string().contains("6281277778888"),
        "the contact made after the backup is not in it: {contacts}"
    );
    assert_bot_answers(&server, &meta, &dev, "wamid.RESTORED").await;
    server.stop().await;
}

#[tokio::test]
async fn backup_and_restore_sqlite() {
    backup_and_restore(DbKind::Sqlite).await;
}

#[tokio::test]
async fn backup_and_restore_postgres() {
    backup_and_restore(DbKind::Postgres).await;
}

/// Rotation while serving: the server is rolled to the new key (the old
/// one kept as previous), `rotate-key` re-encrypts every secret while it
/// keeps answering, and afterwards the new key alone reads everything.
async fn rotate_key(kind: DbKind) {
    let meta = meta_mock().await;
    let old_key = Crypto::generate_key();
    let new_key = Crypto::generate_key();
    let home = tempfile::tempdir().unwrap();
    let data_dir = home.path().to_owned();
    let app = spawn_in(kind, &data_dir, |c| {
        c.secret_key = Some(SecretString::from(old_key.clone()));
    })
    .await;
    let (v, dev) = vendor_with_secrets(&app, &meta.uri()).await;
    let url = app.state.config.effective_database_url();
    let old_id = Crypto::from_base64_key(&SecretString::from(old_key.clone()))
        .unwrap()
        .key_id()
        .to_owned();
    let new_id = Crypto::from_base64_key(&SecretString::from(new_key.clone()))
        .unwrap()
        .key_id()
        .to_owned();
    for value in stored_values(&app.state.pool).await {
        assert_eq!(Crypto::stored_key_id(&value), Some(old_id.as_str()));
    }
    app.stop().await;

    // The rolled server: new key current, old key readable.
    let mut rolled = config_on(url.expose_secret(), &data_dir);
    rolled.secret_key = Some(SecretString::from(new_key.clone()));
    rolled.previous_secret_keys = vec![SecretString::from(old_key.clone())];
    let server = Running::start(rolled.clone()).await;
    assert_bot_answers(&server, &meta, &dev, "wamid.BEFORE").await;
    let report = doctor::check(&rolled, false).await;
    assert!(
        report.findings.iter().any(|f| f.area == "secrets"
            && f.level == Level::Warning
            && f.text.contains("rotate-key")),
        "{report:?}"
    );

    // The old key alone cannot do it: nothing is changed.
    let wrong = cli(
        &["rotate-key"],
        &[
            ("DATABASE_URL", url.expose_secret()),
            ("SECRET_KEY", &Crypto::generate_key()),
        ],
    );
    assert!(!wrong.status.success());
    assert!(text(&wrong).contains("unreadable"), "{}", text(&wrong));
    for value in stored_values(&server.state.pool).await {
        assert_eq!(Crypto::stored_key_id(&value), Some(old_id.as_str()));
    }

    let env = [
        ("DATABASE_URL", url.expose_secret()),
        ("SECRET_KEY", new_key.as_str()),
        ("SECRET_KEYS_PREVIOUS", old_key.as_str()),
    ];
    let out = cli(&["rotate-key"], &env);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("devices.secrets: 1 stored, 1 re-encrypted, 0 unreadable"),
        "{shown}"
    );
    assert!(
        shown.contains("llm_providers.api_key: 1 stored, 1 re-encrypted, 0 unreadable"),
        "{shown}"
    );
    for secret in [ACCESS_TOKEN, APP_SECRET, LLM_KEY, &old_key, &new_key] {
        assert!(!shown.contains(secret), "a secret was printed: {shown}");
    }
    for value in stored_values(&server.state.pool).await {
        assert_eq!(Crypto::stored_key_id(&value), Some(new_id.as_str()));
    }
    // The server never stopped and still answers.
    assert_bot_answers(&server, &meta, &dev, "wamid.DURING").await;
    // A second run has nothing left to do.
    let out = cli(&["rotate-key"], &env);
    assert!(
        text(&out).contains("devices.secrets: 1 stored, 0 re-encrypted"),
        "{}",
        text(&out)
    );
    server.stop().await;

    // The old key can go.
    let mut only_new = rolled;
    only_new.previous_secret_keys.clear();
    let report = doctor::check(&only_new, false).await;
    assert!(
        report.findings.iter().any(|f| f.area == "secrets"
            && f.level == Level::Ok
            && f.text.contains("all 2 stored secrets")),
        "{report:?}"
    );
    let server = Running::start(only_new).await;
    assert_bot_answers(&server, &meta, &dev, "wamid.AFTER").await;
    let providers = data(server.get("/api/v1/llm-providers", &v.token).await, 200).await;
    assert_eq!(providers.as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn rotate_key_sqlite() {
    rotate_key(DbKind::Sqlite).await;
}

#[tokio::test]
async fn rotate_key_postgres() {
    rotate_key(DbKind::Postgres).await;
}

fn problems(report: &doctor::Report) -> Vec<(&'static str, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.level == Level::Problem)
        .map(|f| (f.area, f.text.clone()))
        .collect()
}

/// A production configuration passes; each broken setting is a problem
/// naming what to fix; the command exits 1 on problems and prints no
/// secret.
async fn doctor_checks(kind: DbKind) {
    let app = spawn_app_with(kind, |c| {
        c.secret_key = Some(SecretString::from(Crypto::generate_key()));
    })
    .await;
    let url = app.state.config.effective_database_url();
    let dir = tempfile::tempdir().unwrap();
    let mut good = config_on(url.expose_secret(), dir.path());
    good.secret_key.clone_from(&app.state.config.secret_key);
    good.public_base_url = "https://wa.toko-contoh.co.id".to_owned();
    good.platform_whatsapp.provider = reference_server::config::PlatformProvider::CloudApi;
    good.platform_whatsapp.phone_number_id = Some("1055".to_owned());
    good.platform_whatsapp.access_token = Some(SecretString::from("EAAG-platform".to_owned()));
    good.midtrans.production = true;
    good.midtrans.server_key = Some(SecretString::from("Mid-server-abc".to_owned()));
    let report = doctor::check(&good, true).await;
    assert_eq!(problems(&report), Vec::new(), "{report:?}");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.area == "plugins" && f.text.starts_with("keyword-rules")),
        "{report:?}"
    );

    let not_a_database = dir.path().join("garbage.db");
    std::fs::write(&not_a_database, vec![7u8; 8192]).unwrap();
    type Breaks = Box<dyn Fn(&mut Config)>;
    let cases: Vec<(&str, Breaks)> = vec![
        (
            "database",
            Box::new(move |c| {
                c.database_url = Some(SecretString::from(match kind {
                    DbKind::Sqlite => format!("sqlite://{}", not_a_database.display()),
                    DbKind::Postgres => "postgres://postgres@127.0.0.1:1/none".to_owned(),
                }));
            }),
        ),
        (
            "keys",
            Box::new(|c| c.secret_key = Some(SecretString::from("short".to_owned()))),
        ),
        (
            "keys",
            Box::new(|c| c.previous_secret_keys = vec![SecretString::from("x".to_owned())]),
        ),
        (
            "public URL",
            Box::new(|c| c.public_base_url = "http://localhost:8080".to_owned()),
        ),
        (
            "public URL",
            Box::new(|c| c.public_base_url = "https://10.1.2.3".to_owned()),
        ),
        (
            "public URL",
            Box::new(|c| c.public_base_url = "http://wa.toko-contoh.co.id".to_owned()),
        ),
        (
            "platform WhatsApp",
            Box::new(|c| {
                c.platform_whatsapp.provider =
                    reference_server::config::PlatformProvider::Simulator;
            }),
        ),
        (
            "platform WhatsApp",
            Box::new(|c| c.platform_whatsapp.access_token = None),
        ),
        (
            "Midtrans",
            Box::new(|c| {
                c.midtrans.server_key = Some(SecretString::from("SB-Mid-server-x".to_owned()));
            }),
        ),
        (
            "plugins",
            Box::new(|c| c.plugins_dir = Some(PathBuf::from("/nonexistent/plugins"))),
        ),
    ];
    for (area, breaks) in cases {
        let mut c = good.clone();
        breaks(&mut c);
        let found = problems(&doctor::check(&c, true).await);
        assert!(
            found.iter().any(|(a, _)| *a == area),
            "{area}: expected a problem, got {found:?}"
        );
    }

    // Without --production the same non-public URL is only a warning.
    let mut dev_config = good.clone();
    dev_config.midtrans.production = false;
    dev_config.midtrans.server_key = Some(SecretString::from("SB-Mid-server-x".to_owned()));
    dev_config.public_base_url = "http://127.0.0.1:8080".to_owned();
    let report = doctor::check(&dev_config, false).await;
    assert_eq!(problems(&report), Vec::new(), "{report:?}");
    assert_eq!(report.count(Level::Warning), 1, "{report:?}");

    // Through the command: exit status and text.
    let key = good.secret_key.as_ref().unwrap().expose_secret().to_owned();
    let env = [
        ("DATABASE_URL", url.expose_secret()),
        ("DATA_DIR", dir.path().to_str().unwrap()),
        ("SECRET_KEY", key.as_str()),
        ("PUBLIC_BASE_URL", "https://wa.toko-contoh.co.id"),
        ("PLATFORM_WA_PROVIDER", "cloud_api"),
        ("PLATFORM_WA_PHONE_NUMBER_ID", "1055"),
        ("PLATFORM_WA_ACCESS_TOKEN", "EAAG-platform-SECRET"),
        ("MIDTRANS_PRODUCTION", "true"),
        ("MIDTRANS_SERVER_KEY", "Mid-server-SECRET"),
    ];
    let out = cli(&["doctor"], &env);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 problem(s)"), "{}", text(&out));
    let mut broken = env.to_vec();
    broken.push(("PLATFORM_WA_PROVIDER", "simulator"));
    broken.push(("PUBLIC_BASE_URL", "http://localhost:8080"));
    let out = cli(&["doctor"], &broken);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("2 problem(s)"), "{shown}");
    assert!(shown.contains("PLATFORM_WA_PROVIDER"), "{shown}");
    for secret in [key.as_str(), "Mid-server-SECRET", "EAAG-platform-SECRET"] {
        assert!(!shown.contains(secret), "a secret was printed: {shown}");
    }
    app.stop().await;
}

#[tokio::test]
async fn doctor_checks_sqlite() {
    doctor_checks(DbKind::Sqlite).await;
}

#[tokio::test]
async fn doctor_checks_postgres() {
    doctor_checks(DbKind::Postgres).await;
}
