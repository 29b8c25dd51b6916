//! `reference-server contacts import` run as a real process on a generated
//! workbook, on SQLite and PostgreSQL: rejected rows printed with their row
//! number, the summary, the database contents, idempotence and exit codes.

use crate::campaigns_support;
use crate::common;

use std::process::{Command, Output};

use common::DbKind;
use reference_server::Config;
use secrecy::SecretString;

const ROWS: usize = 2_000;

/// A workbook of `ROWS` data rows with three bad ones: row 11 has an
/// invalid number, row 21 none, row 31 repeats row 2's number.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["Nama", "HP", "Kota"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..ROWS {
        let r = (i + 1) as u32;
        let phone = match r + 1 {
            11 => "abc".to_owned(),
            21 => String::new(),
            31 => "0812-7000-0000".to_owned(),
            _ => format!("08127{i:07}"),
        };
        ws.write_string(r, 0, format!("Pelanggan {i}")).unwrap();
        ws.write_string(r, 1, &phone).unwrap();
        ws.write_string(r, 2, format!("Kota{}", i % 7)).unwrap();
    }
    book.save_to_buffer().unwrap()
}

fn import(dir: &std::path::Path, db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(["contacts", "import"])
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

async fn cli_import(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = match kind {
        DbKind::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("server.db").display()
        ),
        DbKind::Postgres => pg_harness::fresh_database().await,
    };
    let mut config = Config::with_data_dir(dir.path());
    config.database_url = Some(SecretString::from(db_url.clone()));
    let state = reference_server::build_state(config).await.unwrap();
    let pool = state.pool.clone();
    let v = campaigns_support::vendor_in_pool(&pool, "Toko CLI", 1_000_000, 1_000_000).await;
    let other = campaigns_support::vendor_in_pool(&pool, "Toko Lain", 1_000_000, 1_000_000).await;
    let email: String = sqlx::query_scalar("SELECT email FROM members WHERE tenant_id = $1")
        .bind(&v.tenant_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let file = dir.path().join("pelanggan besar.xlsx");
    std::fs::write(&file, workbook()).unwrap();
    let file = file.to_str().unwrap();
    let count = |tenant: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM contacts WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    // By member email, with a mapping and a tag.
    let out = import(
        dir.path(),
        &db_url,
        &[
            "--tenant",
            &email.to_uppercase(),
            "--file",
            file,
            "--map",
            "phone=HP,name=Nama,kota=C",
            "--tag",
            "impor-cli",
            "--lang",
            "en",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("row 11: ") && lines[0].ends_with("(invalid_phone)"),
        "{stdout}"
    );
    assert_eq!(lines[1], "row 21: phone number is empty (missing_phone)");
    assert!(
        lines[2].starts_with("row 31: +6281270000000 already appears in row 2"),
        "{stdout}"
    );
    assert_eq!(
        lines[3],
        format!(
            "{ROWS} rows read: {} created, 0 updated, 0 unchanged, 3 rejected",
            ROWS - 3
        )
    );
    assert_eq!(lines[4], "custom fields: kota");
    assert_eq!(count(v.tenant_id.clone()).await, (ROWS - 3) as i64);
    assert_eq!(count(other.tenant_id.clone()).await, 0);
    let (name, fields): (String, String) =
        sqlx::query_as("SELECT name, fields FROM contacts WHERE tenant_id = $1 AND phone = $2")
            .bind(&v.tenant_id)
            .bind("+6281270000005")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(name, "Pelanggan 5");
    assert!(fields.contains("\"Kota5\""), "{fields}");
    let tagged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM contact_tags WHERE tenant_id = $1 AND tag = 'impor-cli'",
    )
    .bind(&v.tenant_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tagged, (ROWS - 3) as i64);

    // Again, by vendor id: nothing is added twice.
    let out = import(
        dir.path(),
        &db_url,
        &[
            "--tenant",
            &v.tenant_id,
            "--file",
            file,
            "--map",
            "phone=HP,name=Nama,kota=C",
        ],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The report is Indonesian without --lang.
    assert!(
        stdout.contains(&format!(
            "{ROWS} baris dibaca: 0 dibuat, 0 diperbarui, {} tidak berubah, 3 ditolak",
            ROWS - 3
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("baris 21: nomor telepon kosong (missing_phone)"),
        "{stdout}"
    );
    assert_eq!(count(v.tenant_id.clone()).await, (ROWS - 3) as i64);

    // Errors exit non-zero and write nothing.
    let out = import(
        dir.path(),
        &db_url,
        &["--tenant", "nobody@example.com", "--file", file],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tidak ada vendor"));
    let out = import(
        dir.path(),
        &db_url,
        &[
            "--tenant",
            "nobody@example.com",
            "--file",
            file,
            "--lang",
            "en",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no vendor has"));
    // A mapping naming a column the file lacks; a malformed --map (clap: 2).
    for (map, code, says) in [
        ("phone=Nomor", 1, "\"Nomor\""),
        ("phone", 2, "target=Column"),
    ] {
        let out = import(
            dir.path(),
            &db_url,
            &["--tenant", &other.tenant_id, "--file", file, "--map", map],
        );
        assert_eq!(out.status.code(), Some(code), "{map}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{map}");
    }
    assert_eq!(count(other.tenant_id.clone()).await, 0);
}
both_dbs!(cli_import);
