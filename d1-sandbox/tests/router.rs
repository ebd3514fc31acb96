//! Router behaviour that needs an implementation other than the sandbox: a panic becomes a
//! 500 and the server keeps serving; the implementation only ever sees checked inputs.

use d1_server::out_v1_physical_issuance::{ActivateCardRequest, ActivateCardResponse, OutV1PhysicalIssuanceApi};
use d1_server::ApiError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod common;

#[derive(Clone, Default)]
struct Cms {
    calls: Arc<AtomicUsize>,
}

impl OutV1PhysicalIssuanceApi for Cms {
    async fn activate_card(&self, request: ActivateCardRequest) -> Result<ActivateCardResponse, ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        // Only checked values arrive here.
        assert_eq!(request.issuer_id.as_str().chars().count(), 10);
        match request.card_id.as_str() {
            "boom" => panic!("the implementation failed"),
            "missing" => Err(ApiError::not_found("no such card").with_code("UNKNOWN_CARD")),
            _ => Ok(ActivateCardResponse::NoContent),
        }
    }
}

async fn serve(cms: Cms) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = d1_server::out_v1_physical_issuance::router(cms);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/cms/api/v1/issuers/ISSUER0001/physicalCards")
}

#[tokio::test]
async fn a_panic_is_a_500_and_the_server_survives() {
    let cms = Cms::default();
    let base = serve(cms.clone()).await;
    let client = common::http_client();
    let post = |card: &str| client.post(format!("{base}/{card}/activate")).header("authorization", "Bearer t").send();
    let r = post("boom").await.unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "Internal server error.");
    for _ in 0..3 {
        assert_eq!(post("c1").await.unwrap().status().as_u16(), 204);
        assert_eq!(post("boom").await.unwrap().status().as_u16(), 500);
    }
    let r = post("missing").await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!((body["errorCode"].as_str(), body["error"].as_str()), (Some("UNKNOWN_CARD"), Some("no such card")));
    assert_eq!(cms.calls.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn invalid_requests_never_reach_the_implementation() {
    let cms = Cms::default();
    let base = serve(cms.clone()).await;
    let client = common::http_client();
    let long = "x".repeat(49);
    for (url, auth, expected) in [
        (format!("{base}/{long}/activate"), true, 400),
        (format!("{base}/bad%20id/activate"), true, 400),
        (format!("{base}/c1/activate"), false, 401),
        (base.replace("ISSUER0001", "ISSUER"), true, 404),
    ] {
        let mut request = client.post(&url);
        if auth {
            request = request.header("authorization", "Bearer t");
        }
        assert_eq!(request.send().await.unwrap().status().as_u16(), expected, "{url}");
    }
    let r = client.get(format!("{base}/c1/activate")).header("authorization", "Bearer t").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(cms.calls.load(Ordering::SeqCst), 0);
}
