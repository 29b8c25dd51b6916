//! `reference-server` binary: see the crate README and `--help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use tracing_subscriber::EnvFilter;

use reference_server::http::i18n::{self, Lang};
use reference_server::ops::{self, doctor::Level};
use reference_server::{Config, admin, auth::password};

/// mimalloc instead of the system allocator: the request path allocates
/// and frees many small buffers across threads, where glibc's malloc spent
/// about 6% of the inbound load test's CPU in `_int_free` and
/// `malloc_consolidate`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "Multi-vendor WhatsApp commerce server (vendors, plans paid with Midtrans, devices, bots).",
    long_about = "Multi-vendor WhatsApp commerce server.\n\n\
        With no arguments it serves on 127.0.0.1:8080 with an SQLite database in ./data \
        and the built-in WhatsApp simulator, so it runs on a fresh machine with no accounts. \
        On the first start it creates the platform admin `admin@localhost` and prints its \
        password once.\n\n\
        Settings come from environment variables (DATABASE_URL, BIND_ADDR, DATA_DIR, \
        MIDTRANS_SERVER_KEY, ...) and an optional TOML file (--config); see \
        docs/src/operators-guide.md for the full list.",
    after_long_help = "Examples:\n  \
        reference-server                                  serve on 127.0.0.1:8080 (SQLite in ./data)\n  \
        DATABASE_URL=postgres://u:p@db/wa reference-server migrate\n  \
        reference-server serve --bind 0.0.0.0:8080 --config /etc/wa/server.toml\n  \
        reference-server admin create --email ops@example.com   (prints a generated password)\n  \
        reference-server admin reset-password             (new password for admin@localhost)\n  \
        reference-server generate-secret-key              (value for SECRET_KEY)\n  \
        reference-server verify-audit                     (check the audit trail's hash chains)\n\n\
        API documentation: GET /openapi.json on the running server."
)]
struct Cli {
    /// TOML configuration file (environment variables override it).
    #[arg(long, short = 'c', global = true, env = "CONFIG_FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default when no command is given).
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    ///
    /// Uses DATABASE_URL (PostgreSQL or SQLite) or, when unset, the SQLite
    /// file in DATA_DIR. `serve` applies them too; run this before rolling
    /// out several replicas.
    Migrate,
    /// Manage platform admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print a new random key for SECRET_KEY (encryption of secrets at rest).
    GenerateSecretKey,
    /// Check the audit trail's hash chains; prints OK with the number of
    /// entries, or the first broken link and exits non-zero.
    VerifyAudit,
    /// Vendors' contacts (bulk import with a progress bar).
    #[command(subcommand)]
    Contacts(reference_server::contacts::cli::ContactsCommand),
    /// Back the database up into FILE while the server may run.
    ///
    /// SQLite: a consistent copy through SQLite's online backup API.
    /// PostgreSQL: `pg_dump --format=custom` (restore with `pg_restore`).
    /// Back up the at-rest key (SECRET_KEY or DATA_DIR/secret.key) too:
    /// without it the stored provider tokens cannot be decrypted.
    Backup {
        /// The backup file to write (must not exist).
        file: PathBuf,
    },
    /// Replace the SQLite database with a backup made by `backup`.
    ///
    /// Stop the server first. The backup is checked (integrity, that it is
    /// this server's database) before anything is replaced; the next start
    /// applies newer migrations. PostgreSQL: use `pg_restore` (see the
    /// deploying guide).
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Check the configuration and say what to fix (exit status 1 on problems).
    ///
    /// Database reachable and migrated, at-rest keys well-formed and every
    /// stored secret readable, public URL reachable from the internet,
    /// the platform's WhatsApp sender, Midtrans keys, plugins. Reads only.
    Doctor {
        /// Apply the production rules (HTTPS public URL, no simulator,
        /// SECRET_KEY on PostgreSQL); implied by MIDTRANS_PRODUCTION.
        #[arg(long)]
        production: bool,
    },
    /// Encrypt every stored secret again with the current SECRET_KEY.
    ///
    /// Values made with a key in SECRET_KEYS_PREVIOUS (or from before key
    /// ids were stored) are re-encrypted; the server may keep running.
    /// Exit status 1 when a value decrypts with none of the keys.
    RotateKey,
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Address to listen on (overrides BIND_ADDR).
    #[arg(long)]
    bind: Option<std::net::SocketAddr>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform admin. Without --password a random one is generated and printed.
    Create {
        /// Login email of the new admin.
        #[arg(long)]
        email: String,
        /// Password (at least 8 characters). Prefer leaving it out or using ADMIN_PASSWORD:
        /// command lines end up in shell history.
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a new password for a platform admin and end its sessions.
    ResetPassword {
        /// Login email of the admin (`admin@localhost` for the seeded one).
        #[arg(long, default_value = admin::SEED_ADMIN_EMAIL)]
        email: String,
        /// New password; generated and printed when left out.
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,tower_http=info,wasmtime=warn,cranelift=warn")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[allow(clippy::print_stdout)]
fn print_password_box(title: &str, email: &str, password: &SecretString) {
    let lines = [
        title.to_owned(),
        String::new(),
        format!("  email:    {email}"),
        format!("  password: {}", password.expose_secret()),
        String::new(),
        "This password is shown only once. Log in at POST /api/v1/admin/login".to_owned(),
        "and change it with `reference-server admin reset-password`.".to_owned(),
    ];
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 2;
    println!("+{}+", "-".repeat(width));
    for l in &lines {
        println!("| {l:<w$}|", w = width - 1);
    }
    println!("+{}+", "-".repeat(width));
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.log_json);
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    // A command's own language (`contacts import --lang`), for its error too.
    let lang = match &command {
        Command::Contacts(c) => c.lang(),
        _ => Lang::default(),
    };
    i18n::scope(lang, async {
        match Box::pin(run(command, config)).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
    .await
}

#[allow(clippy::print_stdout)]
async fn run(command: Command, mut config: Config) -> Result<(), reference_server::StartError> {
    match command {
        Command::GenerateSecretKey => {
            println!("{}", reference_server::crypto::Crypto::generate_key());
            Ok(())
        }
        Command::Migrate => {
            let label = config.database_kind_label();
            let (pool, _) = reference_server::db::connect(&config.effective_database_url()).await?;
            reference_server::db::migrate(&pool).await?;
            tracing::info!(database = label, "migrations applied");
            Ok(())
        }
        Command::Admin(cmd) => {
            let state = reference_server::build_state(config).await?;
            let (email, pw, created) = match cmd {
                AdminCommand::Create { email, password } => (email, password, true),
                AdminCommand::ResetPassword { email, password } => (email, password, false),
            };
            let generated = pw.is_none();
            let pw = SecretString::from(pw.unwrap_or_else(password::generate));
            if created {
                admin::create_admin(&state, &email, pw.clone()).await?;
            } else {
                admin::reset_password(&state, &email, pw.clone()).await?;
            }
            if generated {
                print_password_box(
                    if created {
                        "Platform admin created"
                    } else {
                        "Admin password reset"
                    },
                    &email,
                    &pw,
                );
            } else {
                println!("done: {email}");
            }
            Ok(())
        }
        Command::VerifyAudit => {
            let (pool, _) = reference_server::db::connect(&config.effective_database_url()).await?;
            reference_server::db::migrate(&pool).await?;
            let report =
                reference_server::audit::cli::verify_command(&pool, &mut std::io::stdout()).await?;
            match report.broken {
                None => Ok(()),
                Some(_) => Err(reference_server::StartError::AuditBroken),
            }
        }
        Command::Contacts(cmd) => {
            let state = reference_server::build_state(config).await?;
            cmd.run(&state, &mut std::io::stdout()).await?;
            Ok(())
        }
        Command::Backup { file } => {
            let url = config.effective_database_url();
            let report = tokio::task::spawn_blocking(move || ops::backup::backup(&url, &file))
                .await
                .map_err(|e| ops::OpsError::Refused(format!("backup task: {e}")))??;
            println!(
                "backup written: {} ({} bytes, {})",
                report.file.display(),
                report.bytes,
                config.database_kind_label()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let url = config.effective_database_url();
            let shown = file.display().to_string();
            tokio::task::spawn_blocking(move || ops::backup::restore(&url, &file))
                .await
                .map_err(|e| ops::OpsError::Refused(format!("restore task: {e}")))??;
            println!("restored from {shown}; start the server (it applies newer migrations)");
            Ok(())
        }
        Command::Doctor { production } => {
            let report = ops::doctor::check(&config, production).await;
            for f in &report.findings {
                let label = match f.level {
                    Level::Ok => "ok     ",
                    Level::Warning => "warning",
                    Level::Problem => "PROBLEM",
                };
                println!("{label}  {:<18} {}", f.area, f.text);
            }
            let problems = report.count(Level::Problem);
            println!(
                "\n{problems} problem(s), {} warning(s)",
                report.count(Level::Warning)
            );
            if problems > 0 {
                return Err(ops::OpsError::Refused(format!(
                    "the configuration has {problems} problem(s); see above"
                ))
                .into());
            }
            Ok(())
        }
        Command::RotateKey => rotate_key(&config).await,
        Command::Serve(args) => {
            if let Some(bind) = args.bind {
                config.bind = bind;
            }
            tracing::info!(
                database = config.database_kind_label(),
                data_dir = %config.data_dir.display(),
                "starting"
            );
            let bind = config.bind;
            let state = reference_server::build_state(config).await?;
            if let Some(seeded) = admin::seed_if_empty(&state).await? {
                print_password_box(
                    "First start: platform admin created",
                    &seeded.email,
                    &seeded.password,
                );
            }
            let (listener, local) = reference_server::bind(bind).await?;
            tracing::info!(%local, "listening; press Ctrl-C to stop");
            reference_server::serve(state, listener, shutdown_signal()).await?;
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// `rotate-key`: passes until no value changed under the pass (a server
/// writing the same row meanwhile), then a report per column.
#[allow(clippy::print_stdout)]
async fn rotate_key(config: &Config) -> Result<(), reference_server::StartError> {
    let crypto = ops::existing_crypto(config)?;
    let (pool, _) = reference_server::db::connect(&config.effective_database_url()).await?;
    println!("current key id: {}", crypto.key_id());
    let mut unreadable = 0;
    for round in 1..=5 {
        let reports = ops::secrets::sweep(&pool, &crypto, true)
            .await
            .map_err(ops::OpsError::from)?;
        let mut changed = 0;
        unreadable = 0;
        for c in &reports {
            println!(
                "{}: {} stored, {} re-encrypted, {} unreadable{}",
                c.name,
                c.total,
                c.rewritten,
                c.unreadable.len(),
                if c.unreadable.is_empty() {
                    String::new()
                } else {
                    format!(" (ids: {})", c.unreadable.join(", "))
                }
            );
            changed += c.changed_meanwhile;
            unreadable += c.unreadable.len();
        }
        if changed == 0 {
            break;
        }
        println!("{changed} value(s) changed by the server during pass {round}; checking again");
    }
    pool.close().await;
    if unreadable > 0 {
        return Err(ops::OpsError::Refused(format!(
            "{unreadable} stored secret(s) decrypt with none of the configured keys; \
             add the key they were made with to SECRET_KEYS_PREVIOUS and run again"
        ))
        .into());
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}
