//! `reference-server` binary: see the crate README.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(version, about = "Multi-vendor WhatsApp commerce server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default when no command is given).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let bind = match cli.command {
        Some(Command::Serve { bind }) => bind,
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
    };
    let (listener, local) = reference_server::bind(bind).await?;
    tracing::info!(%local, "listening; press Ctrl-C to stop");
    reference_server::serve(listener, async {
        // If the signal handler cannot be installed we keep serving; the
        // process can still be stopped by SIGTERM/SIGKILL.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown requested");
    })
    .await
}
