//! Conventions every endpoint keeps, checked over HTTP: the OpenAPI
//! document lists every route (and every documented route is served), a
//! secured endpoint refuses anonymous callers and an unsecured one does
//! not ask for credentials, errors always come in the JSON envelope (also
//! those axum produces itself, e.g. a webhook body over the limit), texts
//! are Indonesian by default and English with `Accept-Language: en`, a
//! stalled request cannot hold shutdown forever, and the CLI explains
//! itself.
#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use crate::common;

use std::time::Duration;

use common::{DbKind, data, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// The OpenAPI document the server serves.
pub(crate) async fn openapi(app: &common::TestApp) -> Value {
    app.client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "00000000-0000-0000-0000-000000000000"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn every_documented_route_is_served_and_guarded(kind: DbKind) {
    let app = spawn_app(kind).await;
    let doc = openapi(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() > 50, "suspiciously few paths: {}", paths.len());
    let mut seen = 0;
    for (p, item) in paths {
        for (m, op) in item.as_object().unwrap() {
            let Ok(method) = m.to_uppercase().parse::<Method>() else {
                continue;
            };
            seen += 1;
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{m} {p} has no tag"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {p} documents no response"
            );
            // Success bodies are documented with the `{"data": ...}` envelope
            // they are served in.
            if p.starts_with("/api/v1/") {
                for (code, r) in op["responses"].as_object().unwrap() {
                    let schema = &r["content"]["application/json"]["schema"];
                    if code.starts_with('2') && !schema.is_null() {
                        assert!(
                            schema["properties"].get("data").is_some(),
                            "{m} {p} {code}: success body documented without the data envelope: {schema}"
                        );
                    }
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let mut req = app.client.request(method.clone(), app.url(&concrete(p)));
            if matches!(method, Method::POST | Method::PUT | Method::PATCH) {
                req = req.json(&json!({}));
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            // Served: the router knows the path and the method.
            assert!(
                !(status == 405
                    || (status == 404
                        && body["error"]["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("rute API")))),
                "{m} {p} is documented but not routed: {status} {body}"
            );
            if secured {
                assert_eq!(
                    status, 401,
                    "{m} {p} declares security but answered an anonymous caller {status}: {body}"
                );
                assert_eq!(body["error"]["code"], "unauthorized", "{m} {p}");
            } else {
                assert_ne!(
                    status, 401,
                    "{m} {p} asks for credentials but declares no security in the OpenAPI \
                     document (the isolation matrix would skip it): {body}"
                );
            }
        }
    }
    println!("{seen} documented operations served");
    app.stop().await;
}
both_dbs!(every_documented_route_is_served_and_guarded);

/// Routes added with a plain `.route(...)` are served but missing from
/// the OpenAPI document; areas must use `OpenApiRouter::routes(routes!(...))`.
/// The only undocumented routes are `/openapi.json` itself and `/metrics`.
#[test]
fn no_route_bypasses_the_openapi_document() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut offenders = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // Load generators and their loopback stand-ins are not the API,
        // nor are the web console's HTML pages (`src/web/`, listed in
        // docs/src/console.md).
        if rel.starts_with("bin/") || rel.ends_with("loadtest.rs") || rel.starts_with("web/") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for needle in [".route(", ".route_service(", ".nest(", ".nest_service("] {
                if code.contains(needle) {
                    let allowed = rel == "http/mod.rs"
                        && needle == ".route("
                        && (text
                            .lines()
                            .nth(i + 1)
                            .is_some_and(|n| n.contains("\"/openapi.json\""))
                            || code.contains("\"/metrics\""));
                    if !allowed {
                        offenders.push(format!("src/{rel}:{}: {}", i + 1, code));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "routes outside the OpenAPI document:\n{}",
        offenders.join("\n")
    );
}

async fn languages(kind: DbKind) {
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko Bahasa").await;
    let login = |lang: Option<&'static str>| {
        let mut req = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": v.email, "password": "salah-sekali"}));
        if let Some(l) = lang {
            req = req.header("accept-language", l);
        }
        req.send()
    };
    // Indonesian by default, English on request; the code never changes.
    let res = login(None).await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-language"], "id");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(body["error"]["message"], "email atau kata sandi salah");
    let res = login(Some("en-US,en;q=0.9")).await.unwrap();
    assert_eq!(res.headers()["content-language"], "en");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(body["error"]["message"], "wrong email or password");

    // A plan limit, in both languages, with the figures.
    data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Satu", "provider": {"kind": "simulator"}}),
        )
        .await,
        201,
    )
    .await;
    let second = |lang: &'static str| {
        app.client
            .post(app.url("/api/v1/devices"))
            .bearer_auth(&v.token)
            .header("accept-language", lang)
            .json(&json!({"name": "Dua", "provider": {"kind": "simulator"}}))
            .send()
    };
    let body: Value = second("id").await.unwrap().json().await.unwrap();
    assert_eq!(body["error"]["code"], "plan_limit_exceeded");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("mengizinkan 1 perangkat") && msg.contains("terpakai 1"),
        "{msg}"
    );
    let body: Value = second("en").await.unwrap().json().await.unwrap();
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("allows 1 devices") && msg.contains("1 used"),
        "{msg}"
    );

    // A missing resource and a role check.
    let res = app
        .client
        .get(app.url("/api/v1/devices/nope"))
        .bearer_auth(&v.token)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "perangkat tidak ditemukan");
    let res = app
        .client
        .get(app.url("/api/v1/devices/nope"))
        .bearer_auth(&v.token)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "device not found");

    // OTP outcomes come from the otp crate in the caller's language.
    let whatsapp = common::unique_whatsapp();
    let sent = data(
        app.post_anon(
            "/api/v1/auth/signup",
            json!({"business_name": "Toko Kode", "name": "Budi", "email": "kode@bahasa.test",
                   "whatsapp": whatsapp, "password": "rahasia-123"}),
        )
        .await,
        200,
    )
    .await;
    let code = app.last_code_to(&whatsapp).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut messages = Vec::new();
    for lang in ["id", "en"] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/signup/verify"))
            .header("accept-language", lang)
            .json(&json!({"challenge_id": sent["challenge_id"], "code": wrong}))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "otp_wrong_code", "{body}");
        messages.push(body["error"]["message"].as_str().unwrap().to_owned());
    }
    assert_ne!(messages[0], messages[1], "OTP message not translated");
    app.stop().await;
}
both_dbs!(languages);

async fn errors_outside_handlers_keep_the_envelope(kind: DbKind) {
    let app = spawn_app_with(kind, |c| c.body_limit_bytes = 4096).await;
    let v = app.signup_vendor("Toko Besar").await;
    let dev = data(
        app.post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Sim", "provider": {"kind": "simulator"}}),
        )
        .await,
        201,
    )
    .await;
    let big = "x".repeat(10_000);
    for path in [
        format!("/webhooks/whatsapp/{}", dev["id"].as_str().unwrap()),
        "/webhooks/midtrans".to_owned(),
    ] {
        let res = app
            .client
            .post(app.url(&path))
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        assert_eq!(
            common::error_code(res, 413).await,
            "payload_too_large",
            "{path}"
        );
    }
    // Broken JSON: the envelope with a code, the parser's detail kept.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("JSON tidak valid"),
        "{body}"
    );
    app.stop().await;
}
both_dbs!(errors_outside_handlers_keep_the_envelope);

/// A client that stalls in the middle of its request body must not keep a
/// stopping server alive: after `shutdown_grace_secs` it stops anyway.
async fn shutdown_does_not_wait_forever(kind: DbKind) {
    let app = spawn_app_with(kind, |c| c.shutdown_grace_secs = 1).await;
    let mut stalled = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stalled
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 1000\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    stalled.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(30), app.stop()).await;
    assert!(
        stopped.is_ok(),
        "the server still waits for the stalled request"
    );
    drop(stalled);
}
both_dbs!(shutdown_does_not_wait_forever);

#[test]
fn cli_help_explains_the_commands() {
    let bin = env!("CARGO_BIN_EXE_reference-server");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let top = run(&["--help"]);
    for needle in [
        "serve",
        "migrate",
        "admin",
        "generate-secret-key",
        "DATABASE_URL",
        "operators-guide",
        "Examples:",
    ] {
        assert!(top.contains(needle), "--help lacks {needle}:\n{top}");
    }
    let admin = run(&["admin", "--help"]);
    assert!(
        admin.contains("create") && admin.contains("reset-password"),
        "{admin}"
    );
    let create = run(&["admin", "create", "--help"]);
    assert!(
        create.contains("--email") && create.contains("ADMIN_PASSWORD"),
        "{create}"
    );
    let migrate = run(&["migrate", "--help"]);
    assert!(migrate.contains("DATABASE_URL"), "{migrate}");

    // The commands do what the help says on a fresh SQLite data directory.
    let dir = tempfile::tempdir().unwrap();
    let env = |cmd: &mut std::process::Command| {
        cmd.env("DATA_DIR", dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("CONFIG_FILE")
            .env("RUST_LOG", "warn");
    };
    let mut migrate = std::process::Command::new(bin);
    migrate.arg("migrate");
    env(&mut migrate);
    let out = migrate.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("server.db").exists());
    let mut create = std::process::Command::new(bin);
    create.args(["admin", "create", "--email", "ops@example.test"]);
    env(&mut create);
    let out = create.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ops@example.test") && stdout.contains("password"),
        "{stdout}"
    );
}
