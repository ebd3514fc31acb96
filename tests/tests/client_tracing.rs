//! Each call runs in a `tracing` span with the operation, correlation id, status and latency,
//! and no sensitive value (token, path ids, body content, error body) in any field or event.
//! In its own test binary: a process-wide subscriber sees every call site.

mod client_support;

use client_support::{Recorded, Reply, Server};
use d1_client::types::common::IssuerId;
use d1_client::types::in_v1_card;
use d1_client::{Client, Environment, StaticToken};
use serde_json::json;
use std::sync::Arc;

const TOKEN: &str = "test-token-value";

// --- tracing --------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_call_has_a_span_with_no_sensitive_value() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this binary");

    let server = Server::start(|_: &Recorded| Reply::json(404, &json!({ "errorCode": "UNKNOWN_CARD" }))).await;
    let client = Client::builder(Environment::url(server.base()))
        .token_provider(StaticToken::new(TOKEN))
        .build()
        .expect("builds");
    let issuer = IssuerId::new("ISSUER0001").expect("valid");
    let card = in_v1_card::CardId::new("SECRETCARD42").expect("valid");
    let body: in_v1_card::OperationRequest =
        serde_json::from_value(json!({ "reason": "secret reason text" })).expect("valid");
    let err = client
        .in_v1_card()
        .suspend(&issuer, &card)
        .correlation_id("trace-me-1".parse().expect("valid"))
        .body(body)
        .await
        .expect_err("404");
    assert_eq!(err.status(), Some(404));
    let text = String::from_utf8(captured.0.lock().expect("not poisoned").clone()).expect("utf-8");
    assert!(text.contains("d1.call"), "{text}");
    assert!(text.contains("in_v1_card.suspend"), "{text}");
    assert!(text.contains("trace-me-1"), "{text}");
    assert!(text.contains("status=404"), "{text}");
    assert!(text.contains("latency_ms"), "{text}");
    for secret in [TOKEN, "SECRETCARD42", "secret reason", "ISSUER0001", "UNKNOWN_CARD"] {
        assert!(!text.contains(secret), "`{secret}` leaked into the trace:\n{text}");
    }
}
