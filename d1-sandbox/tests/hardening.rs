//! Regression tests for hostile and broken input to the sandbox (issue 10, item 8): each fails
//! on the sandbox as it was before the fix.

mod common;

use common::{start, ISSUER};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A client that sends half a request head and then nothing is disconnected once the header
/// read timeout has passed (before: the connection stayed open for good).
#[tokio::test]
async fn half_sent_request_is_closed_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(300);
    let sandbox = d1_sandbox::Sandbox::new(d1_sandbox::Options { header_read_timeout: timeout, ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(d1_sandbox::serve(sandbox, listener, std::future::pending()));

    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let started = Instant::now();
    let half = format!("POST /banking/v2/issuers/{ISSUER}/consumers/u1/operations:update HTTP/1.1\r\nhost: {address}\r\nauthorization: Bea");
    stream.write_all(half.as_bytes()).await.expect("send half a head");
    // The guard only keeps a broken build from hanging the test run; the assertion is that the
    // server closes the connection (read returns end of stream or a reset).
    let mut received = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received)).await;
    let elapsed = started.elapsed();
    assert!(closed.is_ok(), "the connection was still open after {elapsed:?} (header read timeout {timeout:?})");
    assert!(elapsed >= timeout, "closed after {elapsed:?}, before the timeout {timeout:?}");
    let text = String::from_utf8_lossy(&received);
    assert!(!text.starts_with("HTTP/1.1 2"), "a half-sent request got a success: {text}");
}

/// A client that sends its request in time is served as before.
#[tokio::test]
async fn full_request_within_the_header_read_timeout_is_served() {
    let sbx = start(d1_sandbox::Options { header_read_timeout: Duration::from_secs(5), ..Default::default() }).await;
    let (status, _) = sbx.json(reqwest::Method::GET, "/sandbox/state", None).await;
    assert_eq!(status, 200);
}

/// `POST /authz/v1/oauth2/token` with `content_type` and `body`: status and JSON body.
async fn token(sbx: &common::Running, content_type: &str, body: &str) -> (u16, serde_json::Value) {
    let response = sbx
        .client
        .post(format!("{}/authz/v1/oauth2/token", sbx.base))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// RFC 7523 §2.1 / RFC 6749 §5.2: no token without both parameters; the 400 names the OAuth
/// error (before: an empty form got a token).
#[tokio::test]
async fn token_endpoint_requires_grant_type_and_assertion() {
    let sbx = start(d1_sandbox::Options { strict_auth: true, ..Default::default() }).await;
    const FORM: &str = "application/x-www-form-urlencoded";
    const JSON: &str = "application/json";
    let grant = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";
    let cases: Vec<(&str, &str, String, &str)> = vec![
        ("empty form", FORM, String::new(), "invalid_request"),
        ("empty JSON object", JSON, "{}".into(), "invalid_request"),
        ("no assertion", FORM, grant.into(), "invalid_request"),
        ("empty assertion", FORM, format!("{grant}&assertion="), "invalid_request"),
        ("no grant_type", FORM, "assertion=eyJ.x.y".into(), "invalid_request"),
        (
            "assertion not a string",
            JSON,
            format!(r#"{{"grant_type":"{}","assertion":5}}"#, "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            "invalid_request",
        ),
        ("other grant type", FORM, "grant_type=client_credentials&assertion=eyJ.x.y".into(), "unsupported_grant_type"),
        ("assertion that cannot be a JWT", FORM, format!("{grant}&assertion=not%20a%20jwt%7B%7D"), "invalid_grant"),
    ];
    let mut failures = Vec::new();
    for (name, content_type, body, error) in &cases {
        let (status, value) = token(&sbx, content_type, body).await;
        if status != 400 || value["error"] != *error {
            failures.push(format!("{name}: expected 400 {error}, got {status} {value}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // No token was issued, so strict auth still refuses everything; a full request gets one.
    let (status, value) = token(&sbx, FORM, &format!("{grant}&assertion=eyJhbGciOiJFUzI1NiJ9.e30.c2ln")).await;
    assert_eq!(status, 200, "{value}");
    assert_eq!(value["token_type"], "Bearer");
}

/// An update whose member has the wrong type for `ConsumerInfo` is a 400 naming the member and
/// changes nothing (before: `{"firstName": 12}` was stored and served).
#[tokio::test]
async fn consumer_update_is_checked_against_consumer_info() {
    let sbx = start(Default::default()).await;
    let consumer = format!("/banking/v2/issuers/{ISSUER}/consumers/u1");
    let (status, _) = sbx.json(reqwest::Method::PUT, &consumer, Some(serde_json::json!({"firstName": "Ann"}))).await;
    assert_eq!(status, 204);
    let update = format!("{consumer}/operations:update");
    for (body, member) in [
        (serde_json::json!({"firstName": 12}), "firstName"),
        (serde_json::json!({"firstName": null}), "firstName"),
        (serde_json::json!({"firstName": "Bob", "language": "english"}), "language"),
        (serde_json::json!({"language": ["en-US"]}), "language"),
    ] {
        let before = sbx.sandbox.snapshot();
        let (status, value) = sbx.json(reqwest::Method::POST, &update, Some(body.clone())).await;
        assert_eq!(status, 400, "{body} → {value}");
        let error = value["error"].as_str().unwrap_or_default();
        assert!(error.contains(&format!("`{member}`")), "{body}: the error does not name `{member}`: {value}");
        assert_eq!(sbx.sandbox.snapshot(), before, "{body} changed the state");
    }
    // Valid members, and members the published schema does not list, still go through.
    let (status, _) = sbx
        .json(
            reqwest::Method::POST,
            &update,
            Some(serde_json::json!({"firstName": "Bob", "language": "en-US", "email": "b@example.com"})),
        )
        .await;
    assert_eq!(status, 200);
    let info = &sbx.sandbox.snapshot()["issuers"][ISSUER]["consumers"]["u1"]["info"];
    assert_eq!(info["firstName"], "Bob");
    assert_eq!(info["email"], "b@example.com");
    let typed: Result<d1_types::common::ConsumerInfo, _> = serde_json::from_value(info.clone());
    assert!(typed.is_ok(), "the stored information is no ConsumerInfo: {info}");
}

/// Many updates of one consumer keep its history at the configured limit, and what the state
/// and operation listing show agrees (before: every update was kept for good).
#[tokio::test]
async fn history_stays_at_its_limit_after_many_updates() {
    let limit = 5;
    let sbx = start(d1_sandbox::Options { history_limit: limit, ..Default::default() }).await;
    let consumer = format!("/banking/v2/issuers/{ISSUER}/consumers/u1");
    let (status, _) = sbx.json(reqwest::Method::PUT, &consumer, Some(serde_json::json!({"firstName": "Ann"}))).await;
    assert_eq!(status, 204);
    let update = format!("{consumer}/operations:update");
    let mut last = String::new();
    for n in 0..40 {
        let body = serde_json::json!({ "firstName": format!("Ann {n}") });
        let (status, value) = sbx.json(reqwest::Method::POST, &update, Some(body)).await;
        assert_eq!(status, 200, "{value}");
        last = value["operationId"].as_str().unwrap_or_default().to_string();
    }
    let state = sbx.sandbox.snapshot();
    let held = &state["issuers"][ISSUER]["consumers"]["u1"];
    let operations = held["operations"].as_array().expect("operations");
    assert_eq!(operations.len(), limit, "{held}");
    assert_eq!(held["operationsForgotten"], 41 - limit as u64);
    assert_eq!(operations.last().unwrap()["operationId"], last.as_str(), "the newest is kept");
    assert_eq!(held["info"]["firstName"], "Ann 39");

    // The same bound for a card, seen through the operation listing.
    sbx.seed_card("c1", "u1").await;
    let card = format!("/banking/v1/issuers/{ISSUER}/cards/c1");
    for _ in 0..10 {
        for action in ["suspend", "resume"] {
            let r = sbx.call(reqwest::Method::POST, &format!("{card}/operations:{action}"), None).await;
            assert_eq!(r.status().as_u16(), 204);
        }
    }
    let (status, page) = sbx.json(reqwest::Method::GET, &format!("{card}/operations?limit=50"), None).await;
    assert_eq!(status, 200);
    assert_eq!(page["operations"].as_array().map(Vec::len), Some(limit), "{page}");
    assert_eq!(page["remainingOperations"], 0);
}

/// An integer beyond 64 bits is a 400 saying the value is out of range for the field, naming
/// it (it used to say "is not an integer", "expected an integer" or "invalid type: floating point").
#[tokio::test]
async fn integers_beyond_64_bits_are_out_of_range_for_their_field() {
    let sbx = start(Default::default()).await;
    sbx.seed_card("c1", "u1").await;
    sbx.seed_digital_card("d1", "c1", "4000001111111111").await;
    let huge = "123456789012345678901234567890";
    let cases = [
        ("GET", format!("/banking/v1/issuers/{ISSUER}/cards/c1/operations?limit={huge}"), None, "limit"),
        ("GET", format!("/banking/v1/issuers/{ISSUER}/digitalCards/d1/operations?limit={huge}"), None, "limit"),
        (
            "POST",
            format!("/banking/v1/issuers/{ISSUER}/digitalCards/d1/operations:stepupAuthenticationResult"),
            Some(format!(r#"{{"authenticationId":{huge}}}"#)),
            "authenticationId",
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body, field) in cases {
        let mut request = sbx.client.request(method.parse().unwrap(), format!("{}{path}", sbx.base));
        request = request.header("authorization", common::TOKEN).header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let messages: Vec<String> = value["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| format!("{} {}", e["field"], e["message"])).collect())
            .unwrap_or_default();
        let ok = status == 400
            && messages.iter().any(|m| m.contains(field) && m.contains("out of range"))
            && !text.contains("not an integer")
            && !text.contains("floating point");
        if !ok {
            failures.push(format!("{method} {path}: {status} {text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
