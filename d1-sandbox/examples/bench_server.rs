//! The server side of `scripts/bench.sh`: one D1 operation served either by the generated
//! router (checks + trait call) or by a hand-written axum handler doing the same work, both
//! with a trivial implementation, so that the difference is the router and its checks.
//!
//! `cargo run --release -p d1-sandbox --example bench_server -- generated|handwritten PORT`, or
//! `-- in-process [REQUESTS]` to time both routers without sockets (the handler cost alone).
//!
//! Operations: `POST /banking/v1/issuers/{issuerId}/cards/{cardId}/operations:suspend` (path,
//! correlation id, bearer token and JSON body checked; 204) and
//! `GET /banking/v1/issuers/{issuerId}/cards/{cardId}/operations?offset&limit` (path, query;
//! a JSON page).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use d1_server::in_v1_card::{self as api, InV1CardApi};
use d1_server::{ApiError, Status2xx};
use d1_types::common::IssuerId;
use d1_types::in_v1_card::{CardId, CorrelationId, OperationRequest};

struct Trivial;

fn page() -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("operations".into(), serde_json::json!([]));
    m.insert("remainingOperations".into(), serde_json::json!(0));
    m
}

impl InV1CardApi for Trivial {
    async fn resume(&self, _: api::ResumeRequest) -> Result<api::ResumeResponse, ApiError> {
        Ok(api::ResumeResponse::Success(Status2xx::NO_CONTENT))
    }
    async fn suspend(&self, r: api::SuspendRequest) -> Result<api::SuspendResponse, ApiError> {
        std::hint::black_box(&r);
        Ok(api::SuspendResponse::Success(Status2xx::NO_CONTENT))
    }
    async fn delete(&self, _: api::DeleteRequest) -> Result<api::DeleteResponse, ApiError> {
        Ok(api::DeleteResponse::Success(Status2xx::NO_CONTENT))
    }
    async fn renew(&self, _: api::RenewRequest) -> Result<api::RenewResponse, ApiError> {
        Ok(api::RenewResponse::Success(Status2xx::NO_CONTENT))
    }
    async fn list_operations(&self, r: api::ListOperationsRequest) -> Result<api::ListOperationsResponse, ApiError> {
        std::hint::black_box(&r);
        Ok(api::ListOperationsResponse::Ok(page()))
    }
    async fn get_operation(&self, _: api::GetOperationRequest) -> Result<api::GetOperationResponse, ApiError> {
        Err(ApiError::not_found("none"))
    }
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

fn echo(headers: &HeaderMap, mut response: Response) -> Response {
    if let Some(id) = headers.get("x-correlation-id") {
        response.headers_mut().insert("x-correlation-id", id.clone());
    }
    response
}

/// The same checks, written by hand with axum extractors and the same validated types.
async fn suspend(Path((issuer, card)): Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    if !authorized {
        return echo(&headers, StatusCode::UNAUTHORIZED.into_response());
    }
    let checked = (|| -> Result<_, String> {
        let issuer = IssuerId::try_from(issuer.as_str()).map_err(|e| e.to_string())?;
        let card = CardId::try_from(card.as_str()).map_err(|e| e.to_string())?;
        let correlation = match headers.get("x-correlation-id") {
            Some(v) => {
                Some(CorrelationId::try_from(v.to_str().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        let body: Option<OperationRequest> =
            if body.is_empty() { None } else { Some(serde_json::from_slice(&body).map_err(|e| e.to_string())?) };
        Ok((issuer, card, correlation, body))
    })();
    match checked {
        Ok(inputs) => {
            std::hint::black_box(&inputs);
            echo(&headers, StatusCode::NO_CONTENT.into_response())
        }
        Err(e) => echo(&headers, bad_request(e)),
    }
}

async fn list(Path((issuer, card)): Path<(String, String)>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    if headers.get("authorization").is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let checked = (|| -> Result<_, String> {
        let issuer = IssuerId::try_from(issuer.as_str()).map_err(|e| e.to_string())?;
        let card = CardId::try_from(card.as_str()).map_err(|e| e.to_string())?;
        let (mut offset, mut limit) = (0i64, 10i64);
        for pair in query.as_deref().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "offset" => offset = v.parse().map_err(|_| "offset".to_string())?,
                "limit" => limit = v.parse().map_err(|_| "limit".to_string())?,
                _ => {}
            }
        }
        Ok((issuer, card, offset, limit))
    })();
    match checked {
        Ok(inputs) => {
            std::hint::black_box(&inputs);
            let body = serde_json::to_vec(&page()).unwrap_or_default();
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
            r
        }
        Err(e) => bad_request(e),
    }
}

fn app(mode: &str) -> axum::Router {
    match mode {
        "generated" => axum::Router::new().nest("/banking/v1", api::routes(Trivial, d1_server::Config::default())),
        // Mounted the same way: the API's routes nested under its base path.
        "handwritten" => axum::Router::new().nest(
            "/banking/v1",
            axum::Router::new()
                .route("/issuers/{issuerId}/cards/{cardId}/operations:suspend", axum::routing::post(suspend))
                .route("/issuers/{issuerId}/cards/{cardId}/operations", axum::routing::get(list)),
        ),
        other => panic!("unknown mode {other}"),
    }
}

/// Both routers called in process, without sockets: the handler cost alone, in rounds that
/// alternate between the two, as nanoseconds per request. `only` ("suspend list", "list
/// generated", …) narrows the run, e.g. for a profiler.
async fn in_process(requests: u32, only: &[String]) {
    use tower::ServiceExt as _;
    let base = "/banking/v1/issuers/ISSUER0001/cards/card-0001/operations";
    let request = |scenario: &str| {
        let builder = axum::http::Request::builder().header("authorization", "Bearer bench-token");
        match scenario {
            "suspend" => builder
                .method("POST")
                .uri(format!("{base}:suspend"))
                .header("content-type", "application/json")
                .header("x-correlation-id", "bench-1")
                .body(axum::body::Body::from(
                    r#"{"reason":"customer was contacted on June 28","reasonCode":"ISSUER_DECISION"}"#,
                )),
            _ => builder.uri(format!("{base}?offset=0&limit=5")).body(axum::body::Body::empty()),
        }
        .expect("request")
    };
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    for scenario in ["suspend", "list"].into_iter().filter(|s| wanted(s)) {
        let mut ratios = Vec::new();
        for round in 0..6 {
            let mut ns = [0f64; 2];
            let order = if round % 2 == 0 { ["generated", "handwritten"] } else { ["handwritten", "generated"] };
            for mode in order.into_iter().filter(|m| wanted(m)) {
                let router = app(mode);
                let started = std::time::Instant::now();
                for _ in 0..requests {
                    let response = router.clone().oneshot(request(scenario)).await.expect("infallible");
                    assert!(response.status().is_success(), "{mode} {scenario}: {}", response.status());
                    std::hint::black_box(axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body"));
                }
                ns[usize::from(mode == "handwritten")] = started.elapsed().as_nanos() as f64 / f64::from(requests);
            }
            println!("{scenario} round {round}: generated {:.0} ns, handwritten {:.0} ns", ns[0], ns[1]);
            ratios.push(ns[1] / ns[0]);
        }
        ratios.sort_by(f64::total_cmp);
        println!("{scenario}: handwritten/generated time per request, median {:.3}", ratios[ratios.len() / 2]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("generated");
    if mode == "in-process" {
        let requests = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(200_000);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(in_process(requests, &args[3.min(args.len())..]));
        return;
    }
    let port: u16 = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(18490);
    let app = app(mode);
    // One worker thread: the other core is wrk's.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        println!("{mode} listening on {port}");
        axum::serve(listener, app).await.expect("serve");
    });
}
