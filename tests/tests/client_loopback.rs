//! The generated client against a scripted loopback server: every way an answer can come back
//! (each declared status, a malformed body, an undeclared status, a slow answer, a dropped
//! connection, no server at all) maps to its own error case; retries and token refreshes are
//! counted on the server side, not assumed.

mod client_support;

use client_support::{closed_port, Recorded, Reply, Server};
use d1_client::oauth2::{JwtBearerConfig, SigningKey};
use d1_client::types::common::{ConsumerId, DigitalCardId, IssuerId};
use d1_client::types::{in_v1_card, in_v1_digital_card, in_v2_consumer, out_v1_auth2};
use d1_client::{Client, Environment, ErrorKind, RequestError, RetryPolicy, StaticToken, TokenErrorKind};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "test-token-value";

fn issuer() -> IssuerId {
    IssuerId::new("ISSUER0001").expect("10 characters")
}

fn card(id: &str) -> in_v1_card::CardId {
    in_v1_card::CardId::new(id).expect("valid v1 card id")
}

fn digital_card() -> DigitalCardId {
    DigitalCardId::new("dc_0001").expect("valid digital card id")
}

/// Fast retries, so tests that exhaust them stay quick.
fn quick_retry() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn client(server: &Server) -> Client {
    Client::builder(Environment::url(server.base()))
        .token_provider(StaticToken::new(TOKEN))
        .retry(quick_retry())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

fn details_json() -> serde_json::Value {
    json!({ "digitalCardId": "dc_0001", "panSuffix": "1234", "state": "ACTIVE" })
}

#[tokio::test]
async fn each_declared_error_status_is_its_own_typed_variant() {
    let server = Server::start(|r: &Recorded| {
        // The card id says which status to answer.
        let code = r
            .path()
            .split('/')
            .nth(4)
            .and_then(|c| c.strip_prefix("status"))
            .and_then(|c| c.parse().ok())
            .unwrap_or(500);
        let error_code = if code == 404 { "UNKNOWN_CARD" } else { "SOMETHING_NEW" };
        Reply::json(code, &json!({ "errorCode": error_code, "error": "text" }))
    })
    .await;
    let client = client(&server);
    let correlation: in_v1_card::CorrelationId = "caller-id-1".parse().expect("valid");
    for code in [400u16, 401, 403, 404, 500] {
        let err = client
            .in_v1_card()
            .suspend(&issuer(), &card(&format!("status{code}")))
            .correlation_id(correlation.clone())
            .await
            .expect_err("error status");
        assert_eq!(err.status(), Some(code));
        assert_eq!(err.correlation_id(), "caller-id-1");
        assert_eq!(err.operation(), "in_v1_card.suspend");
        use d1_client::in_v1_card::SuspendError as E;
        let body = match (code, err.declared().expect("declared status")) {
            (400, E::BadRequest(b))
            | (401, E::Unauthorized(b))
            | (403, E::Forbidden(b))
            | (404, E::NotFound(b))
            | (500, E::InternalServerError(b)) => b,
            (code, other) => panic!("{code} mapped to {other:?}"),
        };
        if code == 404 {
            assert_eq!(body.error_code, Some(in_v1_card::ErrorCode::UnknownCard));
        } else {
            // An errorCode this spec does not list is kept, not rejected.
            let code = body.error_code.as_ref().expect("present");
            assert!(!code.is_known());
            assert_eq!(code.as_str(), "SOMETHING_NEW");
        }
    }
    // A 401 with a static token is not resent: the token would not change.
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn success_statuses_and_typed_bodies() {
    let server = Server::start(|r: &Recorded| match r.method.as_str() {
        "POST" => Reply::status(202),
        _ => Reply::json(200, &details_json()),
    })
    .await;
    let client = client(&server);
    let ok = client.in_v1_card().suspend(&issuer(), &card("card_1")).send().await.expect("2XX");
    assert_eq!(ok.status(), 202, "a 2XX range reports the actual status");
    assert_eq!(ok.correlation_id().len(), 32);
    let details = client.in_v1_digital_card().get_details(&issuer(), &digital_card()).await.expect("200");
    assert_eq!(details.body().pan_suffix.as_str(), "1234");
    assert!(details.body().state.is_known());
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_invalid_body() {
    let server = Server::start(|r: &Recorded| {
        if r.path().ends_with("dc_0001") {
            Reply::raw(200, "application/json", br#"{"digitalCardId": "dc_0001", "panSuffix": "#)
        } else if r.path().ends_with("dc_0003") {
            Reply::json(200, &json!({ "digitalCardId": "dc_0003", "state": "ACTIVE" }))
        } else {
            // Well-formed JSON, but panSuffix breaks its length constraint.
            Reply::json(200, &json!({ "digitalCardId": "dc_0002", "panSuffix": "SECRET-VALUE", "state": "ACTIVE" }))
        }
    })
    .await;
    let client = client(&server);
    let err = client.in_v1_digital_card().get_details(&issuer(), &digital_card()).await.expect_err("malformed");
    assert_eq!(err.status(), Some(200));
    let ErrorKind::InvalidBody { reason } = err.kind() else { panic!("{err:?}") };
    assert!(reason.contains("Eof"), "{reason}");
    assert!(err.body().starts_with(b"{\"digitalCardId\""));

    let other = DigitalCardId::new("dc_0002").expect("valid");
    let err = client.in_v1_digital_card().get_details(&issuer(), &other).await.expect_err("mistyped");
    let ErrorKind::InvalidBody { reason } = err.kind() else { panic!("{err:?}") };
    assert!(reason.contains("panSuffix"), "the JSON path is named: {reason}");
    assert!(
        !reason.contains("SECRET-VALUE") && !format!("{err} {err:?}").contains("SECRET-VALUE"),
        "content never shown"
    );

    let incomplete = DigitalCardId::new("dc_0003").expect("valid");
    let err = client.in_v1_digital_card().get_details(&issuer(), &incomplete).await.expect_err("incomplete");
    let ErrorKind::InvalidBody { reason } = err.kind() else { panic!("{err:?}") };
    assert!(reason.contains("missing member `panSuffix`"), "the missing member is named: {reason}");
}

#[tokio::test]
async fn undeclared_status_keeps_status_and_body() {
    let server = Server::start(|_: &Recorded| Reply::raw(418, "text/plain", b"short and stout")).await;
    let client = client(&server);
    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("418");
    assert!(matches!(err.kind(), ErrorKind::UndeclaredStatus), "{err:?}");
    assert_eq!(err.status(), Some(418));
    assert_eq!(err.body(), b"short and stout");
    assert_eq!(err.correlation_id().len(), 32);
}

#[tokio::test]
async fn an_oversized_response_is_refused_without_being_buffered() {
    let big = vec![b'x'; 8 * 1024 * 1024];
    let server = Server::start(move |_: &Recorded| Reply::raw(200, "application/json", &big)).await;
    let small = Client::builder(Environment::url(server.base()))
        .token_provider(StaticToken::new(TOKEN))
        .max_response_bytes(64 * 1024)
        .build()
        .expect("client builds");
    let err = small.in_v1_card().list_operations(&issuer(), &card("card_1")).await.expect_err("8 MB is over the limit");
    assert!(matches!(err.kind(), ErrorKind::ResponseTooLarge { limit: 65536 }), "{err:?}");
    assert_eq!(err.status(), Some(200));
    // The default limit (4 MiB) refuses it too.
    let err = client(&server).in_v1_card().list_operations(&issuer(), &card("card_1")).await.expect_err("over 4 MiB");
    assert!(matches!(err.kind(), ErrorKind::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_correlation_id_with_line_breaks_is_refused_and_never_echoed_raw() {
    let server = Server::start(|_: &Recorded| Reply::status(204)).await;
    // The v1 pattern is unanchored, so the validated type accepts it: the client must not.
    let hostile: in_v1_card::CorrelationId = "ok\r\nX-Injected: 1".parse().expect("unanchored pattern");
    let err = client(&server)
        .in_v1_card()
        .suspend(&issuer(), &card("card_1"))
        .correlation_id(hostile)
        .await
        .expect_err("refused before sending");
    assert!(matches!(err.kind(), ErrorKind::InvalidRequest(RequestError::InvalidHeader { .. })), "{err:?}");
    let shown = format!("{err} {err:?} {}", err.correlation_id());
    assert!(!shown.contains('\r') && !shown.contains('\n'), "raw line break in {shown:?}");
    assert!(shown.contains("ok\\r\\nX-Injected"), "escaped form kept for the logs: {shown}");
    assert!(server.requests().is_empty(), "nothing is sent");
}

#[tokio::test]
async fn slow_answer_times_out() {
    let server = Server::start(|_: &Recorded| Reply::json(200, &details_json()).after(Duration::from_secs(3))).await;
    let client = client(&server);
    let started = Instant::now();
    let err = client
        .in_v1_digital_card()
        .get_details(&issuer(), &digital_card())
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .await
        .expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.status(), None);
    assert_eq!(err.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn dropped_connection_is_transport_and_only_idempotent_calls_are_retried() {
    let server = Server::start(|_: &Recorded| Reply::Drop).await;
    let client = client(&server);
    let err = client.in_v1_digital_card().get_details(&issuer(), &digital_card()).await.expect_err("dropped");
    assert!(matches!(err.kind(), ErrorKind::Transport { connect: false, .. }), "{err:?}");
    assert_eq!(err.attempts(), 3, "GET is retried");
    assert_eq!(server.requests().len(), 3);

    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("dropped");
    assert!(matches!(err.kind(), ErrorKind::Transport { connect: false, .. }), "{err:?}");
    assert_eq!(err.attempts(), 1, "POST that may have reached the server is not repeated");
    assert_eq!(server.requests().len(), 4);

    // Unless the policy allows it.
    let err = client
        .in_v1_card()
        .suspend(&issuer(), &card("card_1"))
        .retry(quick_retry().with_non_idempotent(true))
        .await
        .expect_err("dropped");
    assert_eq!(err.attempts(), 3);
    assert_eq!(server.requests().len(), 7);
}

#[tokio::test]
async fn connection_refused_is_retried_for_every_method() {
    let client = Client::builder(Environment::url(format!("http://127.0.0.1:{}", closed_port())))
        .token_provider(StaticToken::new(TOKEN))
        .retry(quick_retry())
        .build()
        .expect("client builds");
    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("refused");
    assert!(matches!(err.kind(), ErrorKind::Transport { connect: true, .. }), "{err:?}");
    assert_eq!(err.attempts(), 3, "nothing reached the server, so even POST is retried");
    assert_eq!(err.status(), None);
    assert!(!format!("{err}").contains("ISSUER0001"), "the URL (with its ids) is not in the message: {err}");
}

#[tokio::test]
async fn retryable_status_honours_retry_after_for_get_only() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = Server::start(move |r: &Recorded| {
        if r.method == "POST" {
            return Reply::status(503).with_header("retry-after", "1");
        }
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(503).with_header("retry-after", "1")
        } else {
            Reply::json(200, &details_json())
        }
    })
    .await;
    let client = client(&server);
    let started = Instant::now();
    let ok = client.in_v1_digital_card().get_details(&issuer(), &digital_card()).await.expect("retried");
    assert_eq!(ok.status(), 200);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for Retry-After");
    assert_eq!(server.requests().len(), 2);

    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("503");
    assert!(matches!(err.kind(), ErrorKind::UndeclaredStatus));
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.requests().len(), 3, "POST not retried");
}

#[tokio::test]
async fn correlation_id_is_the_callers_or_fresh_and_random() {
    let server = Server::start(|_: &Recorded| Reply::status(204)).await;
    let client = client(&server);
    let mine: in_v1_card::CorrelationId = "my.correlation id".parse().expect("v1 pattern allows . and space");
    client.in_v1_card().suspend(&issuer(), &card("card_1")).correlation_id(mine).await.expect("ok");
    client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect("ok");
    client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect("ok");
    // The digital card API's unpatterned flavour takes any string.
    client
        .in_v1_digital_card()
        .suspend(&issuer(), &digital_card())
        .correlation_id("plain-string")
        .await
        .expect_err("204 undeclared there");
    let ids: Vec<String> =
        server.requests().iter().map(|r| r.header("x-correlation-id").expect("always sent").to_string()).collect();
    assert_eq!(ids[0], "my.correlation id");
    assert_eq!(ids[3], "plain-string");
    for generated in &ids[1..3] {
        assert_eq!(generated.len(), 32);
        assert!(generated.chars().all(|c| c.is_ascii_hexdigit()));
        // Valid for every x-correlation-id type of the specs.
        d1_client::types::common::CorrelationId::new(generated.as_str()).expect("common pattern");
        in_v1_card::CorrelationId::new(generated.as_str()).expect("v1 pattern");
    }
    assert_ne!(ids[1], ids[2]);
}

#[tokio::test]
async fn path_segments_are_percent_encoded_and_custom_method_colons_kept() {
    let server = Server::start(|_: &Recorded| Reply::status(204)).await;
    let client = client(&server);
    // The v1 cardId pattern is unanchored, so this odd id is valid.
    client.in_v1_card().suspend(&issuer(), &card("a b/c:d?e#f%")).await.expect("ok");
    let r = &server.requests()[0];
    assert_eq!(r.target, "/issuers/ISSUER0001/cards/a%20b%2Fc%3Ad%3Fe%23f%25/operations:suspend");
    assert_eq!(r.method, "POST");
}

#[tokio::test]
async fn query_headers_bodies_and_bearer_token() {
    let server = Server::start(|r: &Recorded| {
        if r.path().ends_with("/operations") {
            Reply::json(200, &json!({ "remainingOperations": 0, "operations": [] }))
        } else {
            Reply::json(200, &json!({}))
        }
    })
    .await;
    let client = client(&server);
    client
        .in_v1_digital_card()
        .get_all_operations(&issuer(), &digital_card())
        .offset(in_v1_digital_card::Offset::new(5).expect("valid"))
        .limit(in_v1_digital_card::Limit::new(10).expect("valid"))
        .await
        .expect("ok");
    let body: in_v1_card::OperationRequest = serde_json::from_value(json!({ "reason": "lost card" })).expect("valid");
    client.in_v1_card().suspend(&issuer(), &card("card_1")).body(body).await.expect("200 is within the declared 2XX");
    let consumer = ConsumerId::new("consumer_1").expect("valid");
    client
        .in_v2_consumer()
        .get_card_list(&issuer(), &consumer)
        .user_id(in_v2_consumer::UserId::new("user_1").expect("valid"))
        .await
        .expect("ok");
    let requests = server.requests();
    assert_eq!(requests[0].target, "/issuers/ISSUER0001/digitalCards/dc_0001/operations?offset=5&limit=10");
    assert_eq!(requests[0].header("authorization"), Some("Bearer test-token-value"));
    assert_eq!(requests[0].header("accept"), Some("application/json"));
    assert_eq!(requests[0].header("content-type"), None);
    assert_eq!(requests[1].header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&requests[1].body).expect("json"),
        json!({ "reason": "lost card" })
    );
    assert_eq!(requests[2].header("x-user-id"), Some("user_1"));
}

#[tokio::test]
async fn headers_added_to_one_call_are_sent_with_it_only() {
    let server = Server::start(|_: &Recorded| Reply::status(204)).await;
    let client = client(&server);
    client
        .in_v1_card()
        .suspend(&issuer(), &card("card_1"))
        .header("prefer", "respond-async")
        .header("idempotency-key", "k-1")
        .header("prefer", "handling=strict")
        .await
        .expect("sent");
    client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect("sent");
    let requests = server.requests();
    assert_eq!(requests[0].header_all("prefer"), ["respond-async", "handling=strict"]);
    assert_eq!(requests[0].header("idempotency-key"), Some("k-1"));
    assert_eq!(requests[0].header("authorization"), Some("Bearer test-token-value"), "the client's own headers stay");
    assert_eq!(requests[1].header("prefer"), None, "added to one call only");

    // The client's own headers cannot be replaced, and invalid ones are refused: nothing is sent.
    for (name, value, expected) in [
        ("authorization", "Bearer other", "header `authorization` is set by the client"),
        ("Content-Type", "text/plain", "header `content-type` is set by the client"),
        ("x-correlation-id", "abc", "header `x-correlation-id` is set by the client"),
        ("bad name", "v", "an extra header has an invalid name"),
        ("x-note", "line\nbreak", "extra header `x-note` has a value HTTP does not allow"),
    ] {
        let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).header(name, value).await.expect_err(name);
        assert!(matches!(err.kind(), ErrorKind::InvalidRequest(_)), "{err:?}");
        assert!(err.to_string().contains(expected), "{err}");
    }
    assert_eq!(server.requests().len(), 2, "no refused call reached the server");
}

#[tokio::test]
async fn token_endpoints_send_no_bearer_and_form_bodies() {
    let server = Server::start(|_: &Recorded| {
        Reply::json(200, &json!({ "access_token": "abc", "token_type": "Bearer", "expires_in": "900" }))
    })
    .await;
    let client = client(&server);
    let body: out_v1_auth2::Auth2Request =
        serde_json::from_value(json!({ "grant_type": "client_credentials", "scope": "cards" })).expect("valid");
    let token =
        client.out_v1_auth2().get_authorization_token("Basic aXNfdGJhbmswMToxMjM=").body(body).await.expect("200");
    assert_eq!(token.body().access_token.expose(), "abc");
    let r = &server.requests()[0];
    assert_eq!(r.target, "/oauth2/token");
    assert_eq!(
        r.header("authorization"),
        Some("Basic aXNfdGJhbmswMToxMjM="),
        "the declared header, not a bearer token"
    );
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r.body, b"grant_type=client_credentials&scope=cards");
}

#[tokio::test]
async fn environment_without_a_server_for_an_api_is_an_error_before_sending() {
    let client = Client::builder(Environment::DEVELOP).token_provider(StaticToken::new(TOKEN)).build().expect("builds");
    assert!(client
        .base_url(d1_client::ApiId::InV1Auth2)
        .expect("auth API has DEVELOP")
        .starts_with("https://develop-api."));
    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("no DEVELOP server for cards");
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRequest(RequestError::NoServer { api: "in_v1_card", .. })),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 0);
}

#[tokio::test]
async fn missing_token_provider_is_an_auth_error() {
    let server = Server::start(|_: &Recorded| Reply::status(204)).await;
    let client = Client::builder(Environment::url(server.base())).build().expect("builds");
    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("no token");
    let ErrorKind::Auth(e) = err.kind() else { panic!("{err:?}") };
    assert!(matches!(e.kind, TokenErrorKind::NoProvider));
    assert!(server.requests().is_empty());
}

// --- OAuth2 JWT-bearer ----------------------------------------------------------------------

/// A token endpoint at `/oauth2/token` that hands out `token-1`, `token-2`, … valid
/// `lifetime` seconds, and an API that accepts only the tokens `accept` allows.
async fn oauth_server(lifetime: f64, accept: fn(&str) -> bool) -> (Server, Arc<AtomicUsize>) {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    let server = Server::start(move |r: &Recorded| {
        if r.path() == "/oauth2/token" {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(
                200,
                &json!({ "access_token": format!("token-{n}"), "expires_in": lifetime, "token_type": "Bearer" }),
            )
            .after(Duration::from_millis(50));
        }
        match r.header("authorization").and_then(|h| h.strip_prefix("Bearer ")) {
            Some(token) if accept(token) => Reply::status(204),
            _ => Reply::json(401, &json!({ "error": "invalid token" })),
        }
    })
    .await;
    (server, issued)
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32]).expect("valid scalar")
}

fn oauth_client(server: &Server, refresh_before: Duration) -> Client {
    let config =
        JwtBearerConfig::new(format!("{}/oauth2/token", server.base()), "ISSUER0001", "issuer-key-1", signing_key())
            .refresh_before(refresh_before);
    Client::builder(Environment::url(server.base())).jwt_bearer(config).retry(quick_retry()).build().expect("builds")
}

async fn concurrent_suspends(client: &Client, n: usize) {
    let calls = (0..n).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.in_v1_card().suspend(&issuer(), &card("card_1")).await.map(|r| r.status()) })
    });
    for call in calls {
        let status = call.await.expect("task").expect("call succeeds");
        assert_eq!(status, 204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_calls_make_one_token_request() {
    let (server, issued) = oauth_server(900.0, |t| t == "token-1").await;
    let client = oauth_client(&server, Duration::from_secs(60));
    concurrent_suspends(&client, 20).await;
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    assert_eq!(server.count("/issuers/"), 20);
    assert!(server
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/issuers/"))
        .all(|r| r.header("authorization") == Some("Bearer token-1")));

    // The assertion: form-encoded JWT bearer grant, ES256 over header.claims, claims per D1.
    let token_request = server.requests().into_iter().find(|r| r.path() == "/oauth2/token").expect("one");
    assert_eq!(token_request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(token_request.header("x-correlation-id").map(str::len), Some(32));
    let form: Vec<(String, String)> = serde_urlencoded_pairs(&token_request.body);
    assert_eq!(form[0], ("grant_type".into(), "urn:ietf:params:oauth:grant-type:jwt-bearer".into()));
    assert_eq!(form[1].0, "assertion");
    let jwt = &form[1].1;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |s: &str| -> serde_json::Value {
        use base64ct::Encoding as _;
        serde_json::from_slice(&base64ct::Base64UrlUnpadded::decode_vec(s).expect("base64url")).expect("json")
    };
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], "issuer-key-1");
    let claims = decode(parts[1]);
    assert_eq!(claims["iss"], "ISSUER0001");
    assert_eq!(claims["sub"], "ISSUER0001");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
    let exp = claims["exp"].as_u64().expect("exp");
    assert!(exp > now && exp <= now + 15 * 60, "exp at most 15 minutes ahead");
    // Verified with p256's own ECDSA verifier over the signing input.
    use base64ct::Encoding as _;
    use p256::ecdsa::signature::Verifier as _;
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&signing_key().public_key_sec1()).expect("key");
    let signature =
        p256::ecdsa::Signature::from_slice(&base64ct::Base64UrlUnpadded::decode_vec(parts[2]).expect("b64"))
            .expect("r||s");
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("ES256 signature verifies");
}

fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(body).expect("utf-8");
    text.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("k=v");
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex"));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("utf-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_is_refreshed_shortly_before_expiry_by_one_request() {
    // Lifetime 2 s, refresh margin 1 s (capped at half the lifetime): from 1 s on, one caller
    // refreshes while the others keep using the still-valid token.
    let (server, issued) = oauth_server(2.0, |_| true).await;
    let client = oauth_client(&server, Duration::from_secs(60));
    concurrent_suspends(&client, 5).await;
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    concurrent_suspends(&client, 10).await;
    assert_eq!(issued.load(Ordering::SeqCst), 2, "one refresh for ten callers");
    concurrent_suspends(&client, 5).await;
    assert_eq!(issued.load(Ordering::SeqCst), 2, "the refreshed token is reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_makes_every_waiter_share_one_refresh() {
    let (server, issued) = oauth_server(1.0, |_| true).await;
    let client = oauth_client(&server, Duration::from_secs(60));
    concurrent_suspends(&client, 3).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    concurrent_suspends(&client, 20).await;
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn rejected_token_is_replaced_and_the_call_resent_once() {
    let (server, issued) = oauth_server(900.0, |t| t != "token-1").await;
    let client = oauth_client(&server, Duration::from_secs(60));
    let ok = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect("resent with token-2");
    assert_eq!(ok.status(), 204);
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    assert_eq!(server.count("/issuers/"), 2);

    // A server that rejects every token gets one resend, then the 401 is the answer.
    let (server, issued) = oauth_server(900.0, |_| false).await;
    let client = oauth_client(&server, Duration::from_secs(60));
    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("401");
    assert!(matches!(err.declared(), Some(d1_client::in_v1_card::SuspendError::Unauthorized(_))));
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    assert_eq!(server.count("/issuers/"), 2);
}

#[tokio::test]
async fn token_endpoint_failure_is_an_auth_error_with_its_status() {
    let server = Server::start(|r: &Recorded| {
        if r.path() == "/oauth2/token" {
            Reply::json(400, &json!({ "error": "invalid_grant" }))
        } else {
            Reply::status(204)
        }
    })
    .await;
    let client = oauth_client(&server, Duration::from_secs(60));
    let err = client.in_v1_card().suspend(&issuer(), &card("card_1")).await.expect_err("no token");
    let ErrorKind::Auth(e) = err.kind() else { panic!("{err:?}") };
    assert!(matches!(e.kind, TokenErrorKind::Rejected));
    assert_eq!(e.status, Some(400));
    assert_eq!(e.correlation_id.as_deref().map(str::len), Some(32));
    assert_eq!(server.count("/issuers/"), 0);
}

#[test]
fn client_and_call_futures_are_shareable_across_tasks() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send>(_: &T) {}
    shareable::<Client>();
    shareable::<d1_client::oauth2::JwtBearerConfig>();
    let client = Client::builder(Environment::PRODUCTION).build().expect("builds");
    let issuer = issuer();
    let card = card("card_1");
    let future = std::future::IntoFuture::into_future(client.in_v1_card().suspend(&issuer, &card));
    sendable(&future);
}
