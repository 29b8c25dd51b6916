//! Send one WhatsApp message through the provider chosen by environment
//! variables, with retries and pacing.
//!
//! ```text
//! # Meta Cloud API
//! WHATSAPP_PROVIDER=cloud WHATSAPP_PHONE_NUMBER_ID=... WHATSAPP_TOKEN=... \
//!   cargo run -p examples --bin whatsapp_send -- 0812-3456-7890 "Halo dari Rust"
//! # Fonnte
//! WHATSAPP_PROVIDER=fonnte FONNTE_TOKEN=... cargo run -p examples --bin whatsapp_send -- 0812... "Halo"
//! # Generic gateway
//! WHATSAPP_PROVIDER=gateway GATEWAY_URL=https://wa.example/send GATEWAY_HEADER=x-api-key \
//!   GATEWAY_TOKEN=... cargo run -p examples --bin whatsapp_send -- 0812... "Halo"
//! ```
//!
//! Without `WHATSAPP_PROVIDER` it starts a local fake Cloud API on
//! 127.0.0.1 and sends to that, so it runs on a fresh machine with no
//! account.
#![allow(clippy::print_stdout)]

use std::env;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};
use whatsapp_client::cloud::CloudApi;
use whatsapp_client::fonnte::Fonnte;
use whatsapp_client::gateway::Gateway;
use whatsapp_client::{
    Error, OutgoingMessage, Paced, PacingConfig, PhoneNumber, Provider, RetryPolicy, Retrying,
};

fn var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("{name} is not set"))
}

/// A stand-in for graph.facebook.com that accepts any message.
async fn fake_cloud_api() -> Result<String, Box<dyn std::error::Error>> {
    let app = axum::Router::new().route(
        "/{version}/{phone_number_id}/messages",
        post(|Json(body): Json<Value>| async move {
            println!("[fake Cloud API] received: {body}");
            Json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": body["to"], "wa_id": body["to"] }],
                "messages": [{ "id": "wamid.FAKE-1", "message_status": "accepted" }]
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "fake server stopped");
        }
    });
    Ok(format!("http://{addr}"))
}

async fn provider() -> Result<Arc<dyn Provider>, Box<dyn std::error::Error>> {
    let retry = RetryPolicy::default();
    Ok(match env::var("WHATSAPP_PROVIDER").as_deref() {
        Ok("cloud") => {
            let api = CloudApi::new(var("WHATSAPP_PHONE_NUMBER_ID")?, var("WHATSAPP_TOKEN")?);
            Arc::new(Retrying::new(Paced::cloud_api(api), retry))
        }
        Ok("fonnte") => {
            let fonnte = Fonnte::new(var("FONNTE_TOKEN")?);
            // Unofficial gateways get banned for bursts: go slow.
            let pacing = PacingConfig::unlimited().per_second(1);
            Arc::new(Retrying::new(Paced::new(fonnte, &pacing), retry))
        }
        Ok("gateway") => {
            let gw = Gateway::new(
                &var("GATEWAY_URL")?,
                &var("GATEWAY_HEADER")?,
                var("GATEWAY_TOKEN")?,
            )?;
            Arc::new(Retrying::new(gw, retry))
        }
        Ok(other) => return Err(format!("unknown WHATSAPP_PROVIDER {other:?}").into()),
        Err(_) => {
            let base = fake_cloud_api().await?;
            println!("WHATSAPP_PROVIDER not set: using a local fake Cloud API at {base}");
            Arc::new(CloudApi::new("106540352242922", "fake-token").with_base_url(&base)?)
        }
    })
}

const USAGE: &str = "\
usage: whatsapp_send [PHONE] [TEXT]

Sends TEXT (default: a test greeting) to PHONE (default: 0812-3456-7890;
national numbers are read as Indonesian) through the provider chosen by
environment variables:

  WHATSAPP_PROVIDER=cloud    WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_TOKEN
  WHATSAPP_PROVIDER=fonnte   FONNTE_TOKEN
  WHATSAPP_PROVIDER=gateway  GATEWAY_URL, GATEWAY_HEADER, GATEWAY_TOKEN
  (unset)                    a local fake Cloud API on 127.0.0.1

options:
  -h, --help  print this help
";

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    // Phone numbers never start with '-': anything that does is an option
    // this program does not have, not a number to message.
    if let Some(option) = args.iter().find(|a| a.starts_with('-') && a.len() > 1) {
        eprint!("unknown option {option:?}\n\n{USAGE}");
        return Ok(ExitCode::from(2));
    }
    tracing_subscriber::fmt().with_env_filter("info").init();
    let mut args = args.into_iter();
    let to = args.next().unwrap_or_else(|| "0812-3456-7890".to_owned());
    let text = args
        .next()
        .unwrap_or_else(|| "Halo! Ini pesan uji dari whatsapp-client.".to_owned());

    let to = match PhoneNumber::parse(&to) {
        Ok(n) => n,
        Err(e) => return Err(format!("nomor tidak valid / invalid number {to:?}: {e}").into()),
    };
    let provider = provider().await?;
    println!("sending via {} to {to}", provider.kind());
    match provider.send(&to, &OutgoingMessage::text(text)).await {
        Ok(receipt) => println!("sent, message id {:?}", receipt.message_id),
        Err(Error::Api(e)) => {
            println!("provider refused: {e} (retryable: {})", e.is_retryable());
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(ExitCode::SUCCESS)
}
