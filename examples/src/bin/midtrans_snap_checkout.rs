//! Creates a Snap checkout with `midtrans-client`.
//!
//! ```sh
//! MIDTRANS_SERVER_KEY=SB-Mid-server-... cargo run -p examples --bin midtrans_snap_checkout
//! ```
//!
//! Prints the Snap token and the redirect URL to open in a browser. Without
//! a key it explains what it needs and exits.

use std::time::{SystemTime, UNIX_EPOCH};

use midtrans_client::snap::{ExpiryUnit, SnapPayment};
use midtrans_client::{
    Address, CustomerDetails, Environment, Error, Idr, ItemDetail, MidtransClient, OrderId,
    RequestOptions, SnapRequest,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();

    let Ok(server_key) = std::env::var("MIDTRANS_SERVER_KEY") else {
        tracing::warn!(
            "MIDTRANS_SERVER_KEY is not set. Get a sandbox server key (SB-Mid-server-...) \
             from the Midtrans dashboard (Settings > Access Keys) and run again."
        );
        return Ok(());
    };
    let env = if server_key.starts_with("SB-") {
        Environment::Sandbox
    } else {
        Environment::Production
    };
    let client = MidtransClient::new(server_key, env);

    let stamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let order = OrderId::new(format!("DEMO-{stamp}"))?;

    let req = SnapRequest::new(order.clone(), Idr::new(165_000))
        .items(vec![
            ItemDetail::new("Paket Pro (1 bulan)", Idr::new(150_000), 1).id("plan-pro"),
            ItemDetail::new("Biaya layanan", Idr::new(15_000), 1).id("fee"),
        ])
        .customer(CustomerDetails {
            first_name: Some("Budi".into()),
            last_name: Some("Utomo".into()),
            email: Some("budi@example.com".into()),
            phone: Some("+628123456789".into()),
            billing_address: Some(Address {
                address: Some("Jl. Sudirman 1".into()),
                city: Some("Jakarta".into()),
                postal_code: Some("12190".into()),
                country_code: Some("IDN".into()),
                ..Address::default()
            }),
            shipping_address: None,
        })
        .enabled_payments(vec![
            SnapPayment::Gopay,
            SnapPayment::OtherQris,
            SnapPayment::BcaVa,
            SnapPayment::BniVa,
            SnapPayment::BriVa,
            SnapPayment::Echannel,
            SnapPayment::Indomaret,
        ])
        .expiry(2, ExpiryUnit::Hour)
        .custom_fields(Some("demo".into()), None, None);

    // An idempotency key makes the call safe to retry automatically.
    let result = client
        .with_options(RequestOptions::default().idempotency_key(format!("snap-{order}")))
        .create_snap_transaction(&req)
        .await;
    match result {
        Ok(snap) => {
            tracing::info!(order_id = %order, token = %snap.token, "Snap transaction created");
            tracing::info!("open this to pay: {}", snap.redirect_url);
        }
        Err(Error::Api(e)) => {
            tracing::error!(http = e.http_status, messages = ?e.error_messages, "Midtrans refused");
        }
        Err(e) => tracing::error!(error = %e, "could not create the transaction"),
    }
    Ok(())
}
