//! Hand-written malformed requests against the sandbox over loopback: each gets the documented
//! 4xx with a D1-style body naming the fields, and none changes the sandbox's state.

mod common;

use common::{start, ISSUER, TOKEN};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    status: u16,
    /// `in:field` of every violation expected in a 400 body, in order.
    fields: Vec<&'static str>,
}

fn case(
    name: &'static str,
    method: &'static str,
    path: &str,
    body: Option<&str>,
    status: u16,
    fields: &[&'static str],
) -> Case {
    Case {
        name,
        method,
        path: path.to_string(),
        headers: vec![("authorization", TOKEN.to_string()), ("content-type", "application/json".to_string())],
        body: body.map(|b| b.as_bytes().to_vec()),
        status,
        fields: fields.to_vec(),
    }
}

fn cases() -> Vec<Case> {
    let card = format!("/banking/v1/issuers/{ISSUER}/cards/c1");
    let digital = format!("/banking/v1/issuers/{ISSUER}/digitalCards/d1");
    let consumer = format!("/banking/v2/issuers/{ISSUER}/consumers/u1");
    let long48 = "a".repeat(49);
    let long64 = "a".repeat(65);
    let mut cases = vec![
        case("bad JSON", "POST", &format!("{card}/operations:suspend"), Some(r#"{"reason":"#), 400, &["body:"]),
        case(
            "JSON that is not an object",
            "POST",
            &format!("{card}/operations:suspend"),
            Some("[1,2]"),
            400,
            &["body:"],
        ),
        case(
            "wrong member types",
            "POST",
            &format!("{card}/operations:suspend"),
            Some(r#"{"reason":5,"reasonCode":true}"#),
            400,
            &["body:/reason", "body:/reasonCode"],
        ),
        case(
            "reason breaks its pattern",
            "POST",
            &format!("{card}/operations:suspend"),
            Some(r#"{"reason":"no!"}"#),
            400,
            &["body:/reason"],
        ),
        case(
            "cardId over 48 characters",
            "POST",
            &format!("/banking/v1/issuers/{ISSUER}/cards/{long48}/operations:suspend"),
            Some("{}"),
            400,
            &["path:cardId"],
        ),
        case(
            "issuerId not 10 characters",
            "POST",
            "/banking/v1/issuers/ISSUER/cards/c1/operations:suspend",
            Some("{}"),
            400,
            &["path:issuerId"],
        ),
        case(
            "consumerId over 64 characters",
            "POST",
            &format!("/banking/v2/issuers/{ISSUER}/consumers/{long64}/operations:update"),
            Some("{}"),
            400,
            &["path:consumerId"],
        ),
        case(
            "digitalCardId over 64 characters",
            "POST",
            &format!("/banking/v1/issuers/{ISSUER}/digitalCards/{long64}/operations:suspend"),
            None,
            400,
            &["path:digitalCardId"],
        ),
        case(
            "member not allowed by additionalProperties: false",
            "POST",
            &format!("{digital}/operations:suspend"),
            Some(r#"{"reason":"ok","extra":1}"#),
            400,
            &["body:/extra"],
        ),
        case(
            "encryptedData that is not a JWE",
            "POST",
            &format!("/banking/v1/issuers/{ISSUER}/digitalCards:search"),
            Some(r#"{"encryptedData":"abcd"}"#),
            400,
            &["body:/encryptedData"],
        ),
        case(
            "authenticationId above its maximum",
            "POST",
            &format!("{digital}/operations:stepupAuthenticationResult"),
            Some(r#"{"authenticationId":1000000000000000}"#),
            400,
            &["body:/authenticationId"],
        ),
        case(
            "authenticationId missing",
            "POST",
            &format!("{digital}/operations:stepupAuthenticationResult"),
            Some("{}"),
            400,
            &["body:/authenticationId"],
        ),
        case(
            "language breaks its pattern",
            "PUT",
            &consumer,
            Some(r#"{"language":"english"}"#),
            400,
            &["body:/language"],
        ),
        case(
            "unknown distributionChannel",
            "POST",
            &format!("/banking/v1/issuers/{ISSUER}/physicalCards/c1/operations:production"),
            Some(r#"{"distributionChannel":"MOON"}"#),
            400,
            &["body:/distributionChannel"],
        ),
        case("v1 limit not an integer", "GET", &format!("{card}/operations?limit=ten"), None, 400, &["query:limit"]),
        case(
            "text that is not JSON, sent as JSON",
            "POST",
            &format!("{card}/operations:suspend"),
            Some("reason=x"),
            400,
            &["body:"],
        ),
        case("wrong method on a custom method", "GET", &format!("{card}/operations:suspend"), None, 405, &[]),
        case("wrong method on a resource", "DELETE", &consumer, None, 405, &[]),
        case("unknown custom method", "POST", &format!("{card}/operations:bogus"), Some("{}"), 404, &[]),
        case("unknown route", "GET", "/banking/v3/whatever", None, 404, &[]),
        case(
            "route of another API version",
            "GET",
            &format!("/banking/v1/issuers/{ISSUER}/consumers/u1/cards"),
            None,
            404,
            &[],
        ),
    ];
    // Every violation of one request in one 400.
    let mut all = case(
        "all violations together",
        "GET",
        &format!("/banking/v1/issuers/SHORT/digitalCards/{long64}/operations?offset=abc&limit=0"),
        None,
        400,
        &["path:issuerId", "path:digitalCardId", "header:x-correlation-id", "query:offset", "query:limit"],
    );
    all.headers.push(("x-correlation-id", "not valid!".to_string()));
    cases.push(all);
    let mut wrong_ct = case(
        "form body for a JSON operation",
        "POST",
        &format!("{card}/operations:suspend"),
        Some("reason=x"),
        415,
        &[],
    );
    wrong_ct.headers[1].1 = "application/x-www-form-urlencoded".to_string();
    cases.push(wrong_ct);
    let mut text = case("text/plain body", "PUT", &consumer, Some("hello"), 415, &[]);
    text.headers[1].1 = "text/plain".to_string();
    cases.push(text);
    let mut huge = case("huge body", "POST", &format!("{card}/operations:suspend"), None, 413, &[]);
    huge.body = Some(format!(r#"{{"reason":"{}"}}"#, "a".repeat(300 * 1024)).into_bytes());
    cases.push(huge);
    for (name, value) in [
        ("missing token", None),
        ("Basic instead of Bearer", Some("Basic dXNlcjpwYXNz")),
        ("empty bearer token", Some("Bearer ")),
        ("bearer token with a space", Some("Bearer a b")),
        ("bearer token with bad characters", Some("Bearer tok\"en")),
    ] {
        let mut c = case(name, "POST", &format!("{card}/operations:suspend"), Some("{}"), 401, &[]);
        c.headers.remove(0);
        if let Some(v) = value {
            c.headers.push(("authorization", v.to_string()));
        }
        cases.push(c);
    }
    cases
}

#[tokio::test]
async fn malformed_requests_get_documented_4xx_and_change_nothing() {
    let sbx = start(Default::default()).await;
    // Something to change: a consumer with a card and a digital card.
    let (status, _) = sbx
        .json(
            reqwest::Method::PUT,
            &format!("/banking/v2/issuers/{ISSUER}/consumers/u1"),
            Some(serde_json::json!({"firstName": "Ann"})),
        )
        .await;
    assert_eq!(status, 204);
    sbx.seed_card("c1", "u1").await;
    sbx.seed_digital_card("d1", "c1", "4000001111111111").await;

    let mut failures = Vec::new();
    for c in cases() {
        let before = sbx.sandbox.snapshot();
        let mut request = sbx.client.request(c.method.parse().unwrap(), format!("{}{}", sbx.base, c.path));
        for (k, v) in &c.headers {
            request = request.header(*k, v.as_str());
        }
        if let Some(body) = &c.body {
            request = request.body(body.clone());
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let after = sbx.sandbox.snapshot();
        if status != c.status {
            failures.push(format!("{}: expected {}, got {status}: {text}", c.name, c.status));
            continue;
        }
        if before != after {
            failures.push(format!("{}: the state changed", c.name));
        }
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !body.get("error").is_some_and(Value::is_string) {
            failures.push(format!("{}: no D1-style `error` text in {text}", c.name));
        }
        if status == 400 {
            let found: Vec<String> = body["errors"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| format!("{}:{}", e["in"].as_str().unwrap_or(""), e["field"].as_str().unwrap_or("")))
                        .collect()
                })
                .unwrap_or_default();
            if found != c.fields {
                failures.push(format!("{}: expected fields {:?}, got {found:?} ({text})", c.name, c.fields));
            }
        }
        if status == 401 && headers.get("www-authenticate").is_none() {
            failures.push(format!("{}: 401 without WWW-Authenticate", c.name));
        }
        if status == 405 && headers.get("allow").is_none() {
            failures.push(format!("{}: 405 without Allow", c.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases().len(), failures.join("\n"));
}

#[tokio::test]
async fn wrong_methods_list_the_allowed_ones() {
    let sbx = start(Default::default()).await;
    let r = sbx.call(reqwest::Method::GET, &format!("/banking/v1/issuers/{ISSUER}/digitalCards:search"), None).await;
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = sbx.call(reqwest::Method::POST, &format!("/banking/v1/issuers/{ISSUER}/digitalCards/d1"), None).await;
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
}

/// A chunked body (no `Content-Length`) over the limit is cut off at the limit: 413.
#[tokio::test]
async fn chunked_body_over_the_limit_is_413() {
    let sbx = start(d1_sandbox::Options { body_limit: Some(1024), ..Default::default() }).await;
    let address = sbx.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /banking/v1/issuers/{ISSUER}/cards/c1/operations:suspend HTTP/1.1\r\nhost: {address}\r\nauthorization: {TOKEN}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = "a".repeat(512);
    for _ in 0..4 {
        let _ = stream.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes()).await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}
