//! An example issuer service for the sandbox to call: the generated outbound server traits,
//! implemented in `service.rs`, served on loopback and registered with a running sandbox.
//!
//! ```text
//! cargo run -p d1-sandbox -- --speed 3600                    # D1, one simulated hour a second
//! cargo run -p d1-sandbox --example issuer -- --sandbox http://127.0.0.1:8080
//! ```
//!
//! It fetches the sandbox's D1 public key (to seal card credentials for D1), registers itself
//! as the service of issuer `ISSUER0001` (`PUT /sandbox/issuers/ISSUER0001/endpoint`), knows
//! one card (`crd_1`) and one consumer (`u1`), and prints each call D1 makes.

mod service;

use service::ExampleIssuer;
use std::time::Duration;

const USAGE: &str = "usage: issuer [--sandbox URL] [--port PORT] [--issuer ISSUER_ID]
    --sandbox URL   the running sandbox (default http://127.0.0.1:8080)
    --port PORT     port to serve on, on 127.0.0.1 (default 9090)
    --issuer ID     the issuer id to register for (default ISSUER0001)";

const CLIENT_ID: &str = "d1";
const CLIENT_SECRET: &str = "example-secret";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut sandbox, mut port, mut issuer) = ("http://127.0.0.1:8080".to_string(), 9090u16, "ISSUER0001".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(USAGE)?;
        match arg.as_str() {
            "--sandbox" => sandbox = value.trim_end_matches('/').to_string(),
            "--port" => port = value.parse().map_err(|_| USAGE)?,
            "--issuer" => issuer = value,
            _ => return Err(USAGE.into()),
        }
    }
    // reqwest is built without a default TLS provider in this workspace; give it one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;

    let jwk = http.get(format!("{sandbox}/sandbox/keys/d1")).send().await?.error_for_status()?.text().await?;
    let d1_key = d1_types::jwe::PublicKey::from_jwk(&jwk)?;
    let consumer = d1_types::common::ConsumerInfo::default().with_first_name("Ann");
    let service = ExampleIssuer::new(CLIENT_ID, CLIENT_SECRET, d1_key)
        .with_card("crd_1", "4111111111111111", "1129", "123")
        .with_consumer("u1", consumer);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let registration = serde_json::json!({"baseUrl": base_url, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET});
    http.put(format!("{sandbox}/sandbox/issuers/{issuer}/endpoint"))
        .header("content-type", "application/json")
        .body(registration.to_string())
        .send()
        .await?
        .error_for_status()?;
    println!("issuer {issuer} serving D1's calls on {base_url}; calls made: {sandbox}/sandbox/outbound/calls");

    let printer = service.clone();
    tokio::spawn(async move {
        let mut shown = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let received = printer.received();
            for delivery in &received[shown.min(received.len())..] {
                let id = delivery.correlation_id.as_deref().unwrap_or("-");
                println!("x-correlation-id {id}: {:?}", delivery.received);
            }
            shown = received.len();
        }
    });
    axum::serve(listener, service.router()).await?;
    Ok(())
}
