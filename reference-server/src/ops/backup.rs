//! `reference-server backup` and `restore`.
//!
//! SQLite: SQLite's online backup API copies the database page by page
//! into a new file from its own read transaction. In WAL mode that
//! transaction neither blocks the running server's writer nor is blocked
//! by it, and the copy is the database as of the moment it began.
//! Restoring goes the same way in reverse, into the configured database,
//! which must not be in use (the server stopped).
//!
//! PostgreSQL: `backup` runs `pg_dump --format=custom`; restoring is
//! `pg_restore` into an empty database (see the operator's guide). The
//! password of the URL goes to the tools in `PGPASSWORD`, not on their
//! command line, where other users of the machine could read it.

use std::path::{Path, PathBuf};
use std::process::Command;

use secrecy::{ExposeSecret, SecretString};

use super::OpsError;
use crate::db::DbKind;

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The database engine.
    pub kind: DbKind,
    /// The file written.
    pub file: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Backs the database of `url` up into `file`, which must not exist.
pub fn backup(url: &SecretString, file: &Path) -> Result<BackupReport, OpsError> {
    if file.exists() {
        return Err(OpsError::Refused(format!(
            "{} exists; choose a new file name (a backup never overwrites one)",
            file.display()
        )));
    }
    let kind = DbKind::from_url(url.expose_secret()).ok_or(crate::db::DbError::UnsupportedUrl)?;
    match kind {
        DbKind::Sqlite => sqlite_backup(&sqlite_path(url)?, file)?,
        DbKind::Postgres => pg_dump(url, file)?,
    }
    let bytes = std::fs::metadata(file)
        .map_err(|source| OpsError::Io {
            context: format!("reading {}", file.display()),
            source,
        })?
        .len();
    Ok(BackupReport {
        kind,
        file: file.to_owned(),
        bytes,
    })
}

/// Replaces the SQLite database of `url` with the backup `file`, after
/// checking that the file is an intact SQLite database of this server.
/// The server must be stopped. PostgreSQL is restored with `pg_restore`.
pub fn restore(url: &SecretString, file: &Path) -> Result<(), OpsError> {
    let kind = DbKind::from_url(url.expose_secret()).ok_or(crate::db::DbError::UnsupportedUrl)?;
    if kind == DbKind::Postgres {
        return Err(OpsError::Refused(
            "restore of PostgreSQL is done with pg_restore into an empty database: \
             pg_restore --no-owner --dbname <url> <file> (see docs/src/deploying.md)"
                .to_owned(),
        ));
    }
    if !file.is_file() {
        return Err(OpsError::Refused(format!(
            "{} is not a file",
            file.display()
        )));
    }
    let source = rusqlite::Connection::open_with_flags(
        file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let check: String = source.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(OpsError::Refused(format!(
            "{} is damaged (integrity check: {check})",
            file.display()
        )));
    }
    let migrated: i64 = source.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        [],
        |r| r.get(0),
    )?;
    if migrated == 0 {
        return Err(OpsError::Refused(format!(
            "{} is an SQLite database but not one of this server (no _sqlx_migrations table)",
            file.display()
        )));
    }
    let target = sqlite_path(url)?;
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| OpsError::Io {
            context: format!("creating {}", parent.display()),
            source,
        })?;
    }
    let mut dest = rusqlite::Connection::open(&target)?;
    // A running server keeps its connections open, each holding a shared
    // lock on the file in WAL mode; the restore would replace the
    // database under it. Exclusive locking mode takes the file for this
    // connection's lifetime, and only if no other connection has it open.
    dest.busy_timeout(std::time::Duration::ZERO)?;
    dest.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    dest.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
        .map_err(|_| {
            OpsError::Refused(format!(
                "{} is in use; stop the server before restoring",
                target.display()
            ))
        })?;
    copy_all(&rusqlite::backup::Backup::new(&source, &mut dest)?)
}

/// The file of an `sqlite:` URL.
fn sqlite_path(url: &SecretString) -> Result<PathBuf, OpsError> {
    let raw = url.expose_secret();
    let path = raw
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return Err(OpsError::Refused(
            "the database is in memory; there is no file to back up or restore".to_owned(),
        ));
    }
    Ok(PathBuf::from(path))
}

fn sqlite_backup(source: &Path, file: &Path) -> Result<(), OpsError> {
    if !source.is_file() {
        return Err(OpsError::Refused(format!(
            "the database file {} does not exist",
            source.display()
        )));
    }
    let src = rusqlite::Connection::open_with_flags(
        source,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The server's writer may hold the lock for a moment.
    src.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut dest = rusqlite::Connection::open(file)?;
    // All pages in one step: one read transaction, so the copy is one
    // consistent state even while the server writes (a step of some pages
    // at a time would start over after each write of another connection).
    let result = rusqlite::backup::Backup::new(&src, &mut dest)
        .map_err(OpsError::from)
        .and_then(|b| copy_all(&b));
    if let Err(e) = result {
        drop(dest);
        let _ = std::fs::remove_file(file);
        return Err(e);
    }
    // A backup that is one self-contained file, not WAL-mode with a
    // -wal file next to it.
    dest.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

/// Copies every page in one step (`sqlite3_backup_step(-1)`), waiting
/// while another connection holds a lock that keeps the step from
/// starting.
fn copy_all(backup: &rusqlite::backup::Backup<'_, '_>) -> Result<(), OpsError> {
    use rusqlite::backup::StepResult;
    for _ in 0..200 {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    Err(OpsError::Refused(
        "the database stayed locked for 10 seconds; try again".to_owned(),
    ))
}

/// A PostgreSQL client program: on `PATH`, or next to PostgreSQL's other
/// binaries (`/usr/lib/postgresql/<version>/bin`, where Debian puts them
/// and where `initdb` on `PATH` may point).
pub fn pg_program(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    let beside_initdb = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("initdb"))
            .find(|p| p.is_file())
            .and_then(|p| std::fs::canonicalize(p).ok())
            .and_then(|p| p.parent().map(|d| d.join(name)))
            .filter(|p| p.is_file())
    });
    if beside_initdb.is_some() {
        return beside_initdb;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    versions.sort();
    versions.pop()
}

/// A `postgres://` URL split into the URL without its password and the
/// password, so the password can travel in `PGPASSWORD`.
pub fn split_password(url: &SecretString) -> Result<(String, Option<SecretString>), OpsError> {
    let mut parsed = url::Url::parse(url.expose_secret())
        .map_err(|_| OpsError::Refused("DATABASE_URL is not a valid URL".to_owned()))?;
    let password = parsed.password().map(|p| {
        SecretString::from(
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned(),
        )
    });
    if password.is_some() {
        let _ = parsed.set_password(None);
    }
    Ok((parsed.to_string(), password))
}

/// A PostgreSQL client command for `url`: the password in `PGPASSWORD`.
pub fn pg_command(program: &str, url: &SecretString) -> Result<(Command, String), OpsError> {
    let path = pg_program(program).ok_or_else(|| {
        OpsError::Refused(format!(
            "{program} not found on PATH nor in /usr/lib/postgresql/*/bin; install the \
             PostgreSQL client (e.g. apt-get install postgresql-client)"
        ))
    })?;
    let (bare, password) = split_password(url)?;
    let mut cmd = Command::new(path);
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw.expose_secret());
    }
    Ok((cmd, bare))
}

fn pg_dump(url: &SecretString, file: &Path) -> Result<(), OpsError> {
    let (mut cmd, bare) = pg_command("pg_dump", url)?;
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--file")
        .arg(file)
        .arg("--dbname")
        .arg(&bare);
    run(cmd, "pg_dump")
}

/// Runs `cmd`; a failure carries the program's own message.
pub fn run(mut cmd: Command, name: &str) -> Result<(), OpsError> {
    let out = cmd.output().map_err(|source| OpsError::Io {
        context: format!("starting {name}"),
        source,
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(OpsError::Refused(format!(
        "{name} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}
