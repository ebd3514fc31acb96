//! The generated client against Prism (`@stoplight/prism-cli`, pinned in `tests/npm/`), a mock
//! server that validates each request against the D1 spec it serves. One Prism per inbound spec
//! on a loopback port, in `--errors` mode (an invalid request is answered with an error, never
//! with a made-up success); every inbound operation is called once through the client and
//! Prism must accept the request.
//!
//! The one exception is D1's own: the digital card search `encryptedData` declares a
//! standard-Base64 `pattern` that a compact JWE (Base64url parts joined by dots) can never
//! match (specs/README.md, "D1 quirks"). That call is asserted to fail with exactly that
//! violation, so the quirk stays visible instead of being hidden.
//!
//! Prism missing is a failure with the install line, never a silent pass:
//! `npm ci --prefix tests/npm` (or set `PRISM` to a `prism` executable).

use d1_client::types::jwe::{Jwe, PrivateKey, SysRng};
use d1_client::types::{common, in_v1_auth2, in_v1_card, in_v1_digital_card, in_v1_physical_issuance, in_v2_consumer};
use d1_client::{ApiId, Client, Environment, Error, ErrorKind, RetryPolicy, StaticToken};
use serde_json::json;
use std::fmt::Debug;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "Prism is not installed. Install the pinned version with `npm ci --prefix tests/npm` \
     (from the repository root; needs Node.js and npm), or set PRISM to a `prism` executable.";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

fn prism_executable() -> PathBuf {
    if let Some(path) = std::env::var_os("PRISM") {
        return PathBuf::from(path);
    }
    let local = repo_root().join("tests/npm/node_modules/.bin/prism");
    if local.exists() {
        return local;
    }
    panic!("{INSTALL_HINT}");
}

/// A running Prism, killed on drop.
struct Prism {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Prism {
    fn start(spec: &str) -> Prism {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
            l.local_addr().expect("addr").port()
        };
        let log = std::env::temp_dir().join(format!("d1-prism-{spec}-{port}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let spec_path = repo_root().join("specs").join(format!("{spec}.json"));
        let child = Command::new(prism_executable())
            .args(["mock", "--errors", "--host", "127.0.0.1", "--port", &port.to_string()])
            .arg(&spec_path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Prism ({e}). {INSTALL_HINT}"));
        let mut prism = Prism { child, base: format!("http://127.0.0.1:{port}"), log };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(Some(status)) = prism.child.try_wait() {
                panic!("Prism exited ({status}) before listening:\n{}\n{INSTALL_HINT}", prism.log_text());
            }
            let listening = TcpStream::connect(("127.0.0.1", port)).is_ok();
            if listening && prism.log_text().contains("Prism is listening") {
                return prism;
            }
            assert!(Instant::now() < deadline, "Prism did not start within 90 s:\n{}", prism.log_text());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn client(&self, api: ApiId) -> Client {
        Client::builder(Environment::PRODUCTION)
            .base_url_for(api, self.base.clone())
            .token_provider(StaticToken::new("prism-test-token"))
            .retry(RetryPolicy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client builds")
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How Prism answered one call (fields shown through `Debug`).
#[derive(Debug)]
#[allow(dead_code)]
enum Outcome {
    /// Accepted; the mock answer decoded into the declared type.
    Accepted(u16),
    /// Accepted (2xx), but Prism's generated body does not satisfy the declared type.
    AcceptedMockBodyInvalid(u16, String),
    /// Rejected: status and Prism's explanation.
    Rejected(u16, String),
}

fn outcome<T: Debug, E: Debug>(result: Result<d1_client::Response<T>, Error<E>>) -> Outcome {
    match result {
        Ok(response) => Outcome::Accepted(response.status()),
        Err(e) => match (e.status(), e.kind()) {
            (Some(s), ErrorKind::InvalidBody { reason }) if (200..300).contains(&s) => {
                Outcome::AcceptedMockBodyInvalid(s, reason.clone())
            }
            (Some(s), _) => Outcome::Rejected(s, String::from_utf8_lossy(e.body()).into_owned()),
            (None, _) => panic!("no answer from Prism: {e}"),
        },
    }
}

/// Every request accepted; every mock answer decoded, except `(operation, JSON path)` listed in
/// `mock_body_invalid` (Prism's made-up value breaks a constraint of the declared type).
fn check(api: &str, results: Vec<(&str, Outcome)>, prism: &Prism, mock_body_invalid: &[(&str, &str)]) {
    let mut rejected = Vec::new();
    for (op, o) in &results {
        eprintln!("{api}.{op}: {o:?}");
        match o {
            Outcome::Rejected(..) => rejected.push(format!("{op}: {o:?}")),
            Outcome::AcceptedMockBodyInvalid(_, reason) => {
                let expected = mock_body_invalid
                    .iter()
                    .any(|(o, path)| o == op && reason.contains(&format!("JSON path `{path}`")));
                assert!(expected, "{api}.{op}: Prism's answer does not decode: {reason}");
            }
            Outcome::Accepted(_) => {
                assert!(!mock_body_invalid.iter().any(|(o, _)| o == op), "{api}.{op} now decodes; update the list");
            }
        }
    }
    assert!(
        rejected.is_empty(),
        "Prism rejected requests of {api}:\n{}\n--- Prism log ---\n{}",
        rejected.join("\n"),
        prism.log_text()
    );
}

fn issuer() -> common::IssuerId {
    common::IssuerId::new("ISSUER0001").expect("valid")
}

fn d1_public_key() -> d1_client::types::jwe::PublicKey {
    PrivateKey::generate(&mut SysRng).expect("key").public_key("d1-test-key")
}

fn correlation() -> common::CorrelationId {
    common::CorrelationId::new("prism-correlation-1").expect("valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_card_v1_requests_are_valid() {
    let prism = Prism::start("D1-Public-IN-v1-Card");
    let client = prism.client(ApiId::InV1Card);
    let api = client.in_v1_card();
    let card = in_v1_card::CardId::new("card_0001").expect("valid");
    let operation = in_v1_card::OperationId::new("op_0001").expect("valid");
    let reason = || -> in_v1_card::OperationRequest {
        serde_json::from_value(json!({ "reason": "lost card", "reasonCode": "LOST" })).expect("valid")
    };
    let renew_data = in_v1_card::RenewCardData::new(
        in_v1_card::Pan::new("4111111111111111").expect("valid"),
        in_v1_card::Exp::new("1229").expect("valid"),
    );
    let mut renew: in_v1_card::RenewRequest =
        serde_json::from_value(json!({ "newCardId": "card_0002", "state": "ACTIVE" })).expect("valid");
    renew.encrypted_data = Some(Jwe::seal(&renew_data, &d1_public_key()).expect("sealed"));
    let results = vec![
        ("resume", outcome(api.resume(&issuer(), &card).body(reason()).await)),
        (
            "suspend",
            outcome(
                api.suspend(&issuer(), &card)
                    .body(reason())
                    .correlation_id("v1.correlation id".parse().expect("valid"))
                    .await,
            ),
        ),
        ("delete", outcome(api.delete(&issuer(), &card).body(reason()).await)),
        ("renew", outcome(api.renew(&issuer(), &card).body(renew).await)),
        ("list_operations", outcome(api.list_operations(&issuer(), &card).offset(0).limit(10).await)),
        ("get_operation", outcome(api.get_operation(&issuer(), &card, &operation).await)),
    ];
    check("in_v1_card", results, &prism, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_digital_card_requests_are_valid_except_the_documented_search_pattern() {
    let prism = Prism::start("D1-Public-IN-v1-Digital-Card");
    let client = prism.client(ApiId::InV1DigitalCard);
    let api = client.in_v1_digital_card();
    let dc = common::DigitalCardId::new("dc_0001").expect("valid");
    let operation = common::OperationId::new("op_0001").expect("valid");
    let op_request = || -> in_v1_digital_card::OperationRequest {
        serde_json::from_value(json!({ "reason": "customer request" })).expect("valid")
    };
    let resume: in_v1_digital_card::ResumeRequest =
        serde_json::from_value(json!({ "reason": "found again" })).expect("valid");
    let step_up: in_v1_digital_card::StepupAuthenticationResultRequest =
        serde_json::from_value(json!({ "authenticationId": 123456789012345u64 })).expect("valid");
    let results = vec![
        ("suspend", outcome(api.suspend(&issuer(), &dc).body(op_request()).correlation_id("any string flavour").await)),
        ("resume", outcome(api.resume(&issuer(), &dc).body(resume).await)),
        ("delete", outcome(api.delete(&issuer(), &dc).body(op_request()).await)),
        ("get_details", outcome(api.get_details(&issuer(), &dc).correlation_id(correlation()).await)),
        ("get_credentials", outcome(api.get_credentials(&issuer(), &dc).await)),
        ("get_operation", outcome(api.get_operation(&issuer(), &dc, &operation).await)),
        (
            "get_all_operations",
            outcome(
                api.get_all_operations(&issuer(), &dc)
                    .offset(in_v1_digital_card::Offset::new(0).expect("valid"))
                    .limit(in_v1_digital_card::Limit::new(10).expect("valid"))
                    .await,
            ),
        ),
        ("step_up_auth_result", outcome(api.step_up_auth_result(&issuer(), &dc).body(step_up).await)),
    ];
    // Prism answers `credentials` with its placeholder "string", which is not a compact JWE:
    // the sealed type refuses it, as it must.
    check("in_v1_digital_card", results, &prism, &[("get_credentials", "credentials")]);

    // D1's quirk: a sealed search request can never satisfy the spec's Base64 pattern.
    let pan = in_v1_digital_card::DigitalPan::new(in_v1_digital_card::Pan::new("5412345678901232").expect("valid"));
    let search = in_v1_digital_card::SearchRequest::new(Jwe::seal(&pan, &d1_public_key()).expect("sealed"));
    let err = api.search(&issuer()).body(search).await.expect_err("Prism enforces the Base64 pattern");
    assert_eq!(err.status(), Some(422), "{err}");
    assert!(matches!(err.kind(), ErrorKind::UndeclaredStatus), "the spec declares no error for search: {err:?}");
    let problem: serde_json::Value = serde_json::from_slice(err.body()).expect("problem+json");
    let violations = problem["validation"].as_array().expect("violations listed");
    assert_eq!(violations.len(), 1, "only the documented violation: {problem}");
    assert_eq!(violations[0]["location"], json!(["body", "encryptedData"]), "{problem}");
    assert_eq!(violations[0]["code"], "pattern", "{problem}");
    eprintln!("in_v1_digital_card.search: rejected as documented: {}", violations[0]["message"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_physical_issuance_requests_are_valid() {
    let prism = Prism::start("D1-Public-IN-v1-Physical-Issuance");
    let client = prism.client(ApiId::InV1PhysicalIssuance);
    let api = client.in_v1_physical_issuance();
    let card = common::CardId::new("card_0001").expect("valid");
    let data = in_v1_physical_issuance::CardData::new(
        in_v1_physical_issuance::Pan::new("4111111111111111").expect("valid"),
        in_v1_physical_issuance::Exp::new("2906").expect("valid"),
    );
    let order = in_v1_physical_issuance::CardRequest::Central(
        in_v1_physical_issuance::CardRequestCentral::default()
            .with_encrypted_data(Jwe::seal(&data, &d1_public_key()).expect("sealed")),
    );
    let results = vec![
        ("card_order", outcome(api.card_order(&issuer(), &card).body(order).correlation_id(correlation()).await)),
        ("get_card_order_status", outcome(api.get_card_order_status(&issuer(), &card).await)),
    ];
    check("in_v1_physical_issuance", results, &prism, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_consumer_v2_requests_are_valid() {
    let prism = Prism::start("D1-Public-IN-v2-Consumer");
    let client = prism.client(ApiId::InV2Consumer);
    let api = client.in_v2_consumer();
    let consumer = common::ConsumerId::new("consumer_0001").expect("valid");
    let user = || in_v2_consumer::UserId::new("agent_01").expect("valid");
    let info: common::ConsumerInfo =
        serde_json::from_value(json!({ "language": "en-GB", "firstName": "Ada" })).expect("valid");
    let update: in_v2_consumer::ConsumerUpdateInfo =
        serde_json::from_value(json!({ "firstName": "Ada" })).expect("valid");
    let delete: in_v2_consumer::DeleteRequest =
        serde_json::from_value(json!({ "reason": "account closed" })).expect("valid");
    let results = vec![
        ("register_consumer", outcome(api.register_consumer(&issuer(), &consumer).body(info).user_id(user()).await)),
        (
            "update_consumer_information",
            outcome(api.update_consumer_information(&issuer(), &consumer).body(update).await),
        ),
        ("delete", outcome(api.delete(&issuer(), &consumer).body(delete).user_id(user()).await)),
        ("get_card_list", outcome(api.get_card_list(&issuer(), &consumer).correlation_id(correlation()).await)),
    ];
    check("in_v2_consumer", results, &prism, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_oauth2_token_request_is_valid() {
    let prism = Prism::start("D1-Public-IN-v1-Auth2");
    let client = prism.client(ApiId::InV1Auth2);
    // The assertion as the JWT-bearer provider builds it.
    let config = d1_client::oauth2::JwtBearerConfig::new(
        "unused",
        "ISSUER0001",
        "issuer-key-1",
        d1_client::oauth2::SigningKey::from_bytes(&[9u8; 32]).expect("valid"),
    );
    let assertion = config.assertion(std::time::SystemTime::now()).expect("signed");
    let body = in_v1_auth2::Auth2Request::new(
        in_v1_auth2::GrantType::UrnIetfParamsOauthGrantTypeJwtBearer,
        in_v1_auth2::Assertion::new(assertion.as_str()).expect("any string"),
    );
    let results =
        vec![("get_token", outcome(client.in_v1_auth2().get_token().body(body).correlation_id(correlation()).await))];
    check("in_v1_auth2", results, &prism, &[]);
}
