//! D1 calls the issuer back, both ways over loopback: the issuer calls the sandbox through the
//! generated client of the inbound APIs, and the sandbox calls the example issuer service
//! (`examples/issuer/service.rs`, the generated outbound server traits) through the generated
//! client of the outbound APIs — when D1 would, and on demand. In front of the issuer, a layer
//! injects faults (an error status, a slow answer, a malformed body); each is recorded with its
//! call and retried or dropped, and the sandbox goes on.

#[path = "../examples/issuer/service.rs"]
mod service;

mod common;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use d1_client::types::jwe::{Jwe, PrivateKey, PublicKey, SysRng};
use d1_client::types::{common as t, in_v1_card, in_v1_physical_issuance as pi};
use d1_client::{Client, Environment, StaticToken};
use d1_sandbox::outbound::{Call, Outcome, OPERATIONS};
use d1_sandbox::{Options, Sandbox};
use serde_json::{json, Value};
use service::{ExampleIssuer, Received};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const ISSUER: &str = "ISSUER0001";
const CLIENT_ID: &str = "d1-sandbox";
const SECRET: &str = "s3cret-of-the-issuer";
/// Card data that must never appear in the record of calls or in the logs.
const ORDERED_PAN: &str = "4111111111111111";
const RENEWED_PAN: &str = "5555555555554444";
/// Simulated seconds per real second: a production step (one simulated hour) takes 0.1 s.
const SPEED: f64 = 36_000.0;

// ---- faults in front of the issuer ---------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Answer with this status (and a small JSON body) instead of the issuer.
    Status(u16),
    /// Wait this long before passing the request on.
    Delay(Duration),
    /// Pass the request on, then replace the answer's body with broken JSON.
    Garbage,
}

/// A fault for requests whose path contains `path`, `times` more times.
struct Planned {
    path: &'static str,
    fault: Fault,
    times: usize,
}

/// The faults to inject.
#[derive(Clone, Default)]
struct Faults(Arc<Mutex<Vec<Planned>>>);

impl Faults {
    fn add(&self, path: &'static str, fault: Fault, times: usize) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(Planned { path, fault, times });
    }

    fn take(&self, path: &str) -> Option<Fault> {
        let mut faults = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let planned = faults.iter_mut().find(|p| p.times > 0 && path.contains(p.path))?;
        planned.times -= 1;
        Some(planned.fault)
    }
}

async fn inject(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    match faults.take(request.uri().path()) {
        None => next.run(request).await,
        Some(Fault::Status(status)) => {
            let status =
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            (status, [("content-type", "application/json")], r#"{"error":"injected"}"#).into_response()
        }
        Some(Fault::Delay(wait)) => {
            tokio::time::sleep(wait).await;
            next.run(request).await
        }
        Some(Fault::Garbage) => {
            let status = next.run(request).await.status();
            (status, [("content-type", "application/json")], r#"{"encryptedData": 42"#).into_response()
        }
    }
}

// ---- logs ----------------------------------------------------------------------------------

/// Everything the sandbox logs in this test binary (one global subscriber for all tests).
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || Captured(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
}

struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

// ---- the two sides ---------------------------------------------------------------------------

struct TwoWays {
    sandbox: Sandbox,
    /// `http://127.0.0.1:PORT` of the sandbox.
    base: String,
    issuer: ExampleIssuer,
    issuer_base: String,
    faults: Faults,
    http: reqwest::Client,
    /// The issuer's client of D1's inbound APIs.
    d1: Client,
}

/// A sandbox and an issuer service that seals credentials with `sealing_key` (D1's key unless
/// given), registered with `registration`'s extra members.
async fn start(sealing_key: Option<PublicKey>, registration: Value) -> TwoWays {
    logs();
    let sandbox = Sandbox::new(Options { speed: SPEED, ..Options::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(d1_sandbox::serve(sandbox.clone(), listener, std::future::pending()));

    let consumer = t::ConsumerInfo::default().with_first_name("Ann");
    let issuer = ExampleIssuer::new(CLIENT_ID, SECRET, sealing_key.unwrap_or_else(|| sandbox.d1_public_key()))
        .with_card("crd_2", RENEWED_PAN, "1129", "321")
        .with_consumer("u1", consumer);
    let faults = Faults::default();
    let app = issuer.router().layer(axum::middleware::from_fn_with_state(faults.clone(), inject));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let issuer_base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let d1 = Client::builder(Environment::url(format!("{base}/banking/v1")))
        .token_provider(StaticToken::new("the-issuers-token-for-d1"))
        .build()
        .expect("client builds");
    let two = TwoWays { sandbox, base, issuer, issuer_base, faults, http: common::http_client(), d1 };
    two.register(registration).await;
    two
}

impl TwoWays {
    /// Register the issuer's service, with `extra` members merged into the registration.
    async fn register(&self, extra: Value) {
        let mut registration = json!({"baseUrl": self.issuer_base, "clientId": CLIENT_ID, "clientSecret": SECRET});
        if let (Some(map), Value::Object(extra)) = (registration.as_object_mut(), extra) {
            map.extend(extra);
        }
        let url = format!("{}/sandbox/issuers/{ISSUER}/endpoint", self.base);
        let response = self.http.put(url).body(registration.to_string()).send().await.expect("registered");
        assert_eq!(response.status().as_u16(), 204, "{}", response.text().await.unwrap_or_default());
    }

    /// Send `operation` on demand; the call's id.
    async fn send(&self, operation: &str, payload: Value) -> u64 {
        let url = format!("{}/sandbox/issuers/{ISSUER}/outbound/{operation}", self.base);
        let response = self.http.post(url).body(payload.to_string()).send().await.expect("sent");
        assert_eq!(response.status().as_u16(), 202);
        let body: Value = response.json().await.expect("JSON");
        body["callId"].as_u64().expect("a call id")
    }

    /// Call `id` once it is delivered or dropped.
    async fn settled(&self, id: u64) -> Call {
        let mut call = None;
        eventually(&format!("call {id} settles"), || {
            call = self.sandbox.outbound().calls().get(id);
            call.as_ref().is_some_and(|c| matches!(c.outcome, Outcome::Delivered | Outcome::Dropped))
        })
        .await;
        let call = call.expect("settled");
        // The record names operations as the generated client does in its errors.
        for attempt in call.attempts.iter().filter(|a| a.result.contains(" failed (x-correlation-id ")) {
            assert!(attempt.result.starts_with(call.operation), "{call:?}");
        }
        call
    }

    /// The calls of `operation` recorded so far.
    fn calls_of(&self, operation: &str) -> Vec<Call> {
        self.sandbox.outbound().calls().list().0.into_iter().filter(|c| c.operation == operation).collect()
    }

    /// The record of calls as the admin API shows it.
    async fn calls_json(&self) -> String {
        let response = self.http.get(format!("{}/sandbox/outbound/calls", self.base)).send().await.expect("calls");
        response.text().await.expect("body")
    }
}

/// Wait (up to 10 s) until `done`.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn issuer_id() -> t::IssuerId {
    t::IssuerId::new(ISSUER).expect("valid")
}

fn statuses(call: &Call) -> Vec<Option<u16>> {
    call.attempts.iter().map(|a| a.status).collect()
}

/// A Thales card order with its card data sealed for D1 and a shipment.
fn thales_order(d1_key: &PublicKey) -> pi::CardRequest {
    let card_data = pi::CardData::new(pi::Pan::new(ORDERED_PAN).expect("pan"), pi::Exp::new("2906").expect("exp"));
    let address = pi::Address::default().with_first_name("Ann").with_line1("1 Main St").with_country_code("FR");
    let order = pi::CardRequestThales::new(
        pi::Services::new(pi::Issuance::Creation),
        Jwe::seal(&card_data, d1_key).expect("sealed"),
        pi::Shipment::new(address),
        pi::PaymentApplication::new(),
    )
    .with_consumer_id(t::ConsumerId::new("u1").expect("valid"));
    pi::CardRequest::Thales(order)
}

/// One card notification on demand.
fn card_notification(operation_id: &str) -> Value {
    json!({"body": {"operations": [{
        "operationId": operation_id, "operation": "ACTIVATE", "status": "SUCCESSFUL",
        "startTime": "2026-11-30T10:00:00.000Z", "cardId": "crd_1"
    }]}})
}

// ---- the scenario ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_produce_suspend_renew_and_every_outbound_operation() {
    let started = Instant::now();
    let two = start(None, json!({"timeoutMs": 5000})).await;
    let issuer = issuer_id();

    // The card order: D1 accepts it, then notifies each production step, in order, over
    // simulated time; the order's status follows.
    let crd_1 = t::CardId::new("crd_1").expect("valid");
    let order = thales_order(&two.sandbox.d1_public_key());
    let ordered = two.d1.in_v1_physical_issuance().card_order(&issuer, &crd_1).body(order).await.expect("ordered");
    let produce_id = ordered.into_body().operation_id.expect("an operation id").as_str().to_string();
    let production = || -> Vec<(String, String)> {
        let received = two.issuer.received().into_iter().filter_map(|d| match d.received {
            Received::CardOperation { operation, status, production_status, operation_id, .. }
                if operation == "PRODUCE" && operation_id == produce_id =>
            {
                Some((production_status.unwrap_or_default(), status))
            }
            _ => None,
        });
        received.collect()
    };
    eventually("the card is shipped", || production().len() == 6).await;
    let expected = [
        ("CARD_PROD_REQUESTED", "PENDING"),
        ("DATA_PREPARED", "PENDING"),
        ("CARD_PROD_READY", "PENDING"),
        ("CARD_PROD_ONGOING", "PENDING"),
        ("CARD_PROD_DONE", "PENDING"),
        ("CARD_SHIPPED", "SUCCESSFUL"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(production(), expected);
    // D1 asked for a token first, once, and used it for every call.
    let received = two.issuer.received();
    assert_eq!(received[0].received, Received::Token);
    assert_eq!(received.iter().filter(|d| d.received == Received::Token).count(), 1);
    let status = two.d1.in_v1_physical_issuance().get_card_order_status(&issuer, &crd_1).await.expect("status");
    let operations = status.into_body().operations.expect("operations");
    assert_eq!(operations[0].status, t::ProduceOperationStatus::Successful);
    assert_eq!(operations[0].details.status, Some(t::ProduceDetailsStatus::CardShipped));
    assert!(operations[0].end_time.is_some());
    let production_time = started.elapsed();

    // Suspend the card: D1 notifies the issuer, under the call's correlation id.
    let v1_card = |id: &str| in_v1_card::CardId::new(id).expect("valid");
    two.d1.in_v1_card().suspend(&issuer, &v1_card("crd_1")).await.expect("suspended");
    let suspended = || {
        two.issuer.received().into_iter().find(|d| {
            matches!(&d.received, Received::CardOperation { operation, card, status, .. }
                if operation == "SUSPEND" && card == "crd_1" && status == "SUCCESSFUL")
        })
    };
    eventually("the suspension is notified", || suspended().is_some()).await;
    let notified = suspended().expect("notified");
    let call = two.calls_of("out_v2_card.notify_card_operations").into_iter().find(|c| c.trigger.contains("SUSPEND"));
    let call = call.expect("the suspension's call");
    assert_eq!(notified.correlation_id.as_deref(), Some(call.correlation_id.as_str()));

    // Renew it as crd_2 without card data: D1 asks the issuer for crd_2's credentials, which
    // come back sealed for D1, and opens them with its key.
    let renewal =
        in_v1_card::RenewRequest::default().with_new_card_id(in_v1_card::NewCardId::new("crd_2").expect("valid"));
    two.d1.in_v1_card().renew(&issuer, &v1_card("crd_1")).body(renewal).await.expect("renewed");
    eventually("the credentials are asked for", || !two.calls_of("out_v2_card.get_card_credentials").is_empty()).await;
    let id = two.calls_of("out_v2_card.get_card_credentials")[0].id;
    let credentials = two.settled(id).await;
    assert_eq!(credentials.outcome, Outcome::Delivered, "{credentials:?}");
    assert_eq!(credentials.trigger, "card crd_2 renewed without card data");
    assert!(
        credentials.attempts[0].result.contains("opened with the sandbox's D1 key: PAN ending 4444"),
        "{credentials:?}"
    );

    // A digital card of crd_2, suspended by the issuer: D1 notifies that too.
    let url = format!("{}/sandbox/issuers/{ISSUER}/digitalCards/dc_1", two.base);
    let seeded =
        two.http.put(url).body(r#"{"cardId": "crd_2", "pan": "4000001234567899"}"#).send().await.expect("seeded");
    assert_eq!(seeded.status().as_u16(), 204);
    let dc_1 = t::DigitalCardId::new("dc_1").expect("valid");
    two.d1.in_v1_digital_card().suspend(&issuer, &dc_1).await.expect("suspended");
    let digital = Received::DigitalCardOperation {
        digital_card: "dc_1".into(),
        operation: Some("SUSPEND".into()),
        status: Some("SUCCESSFUL".into()),
    };
    eventually("the digital card's suspension is notified", || {
        two.issuer.received().iter().any(|d| d.received == digital)
    })
    .await;

    // The operations no flow of the sandbox sends, on demand.
    let on_demand = [
        ("out_v1_physical_issuance.activate_card", json!({"cardId": "crd_2"})),
        ("out_v1_consumer.get_consumer_information", json!({"consumerId": "u1", "cardId": "crd_2"})),
        (
            "out_v2_card.notify_card_authorisations",
            json!({"body": {"operations": [{"operationId": "auth_1", "operation": "PURCHASE", "status": "APPROVED",
                    "startTime": "2026-11-30T10:01:00.000Z", "cardId": "crd_2"}]}}),
        ),
        ("out_v1_auth2.get_authorization_token", json!({})),
    ];
    for (operation, payload) in on_demand {
        let id = two.send(operation, payload).await;
        let call = two.settled(id).await;
        assert_eq!(call.outcome, Outcome::Delivered, "{call:?}");
    }
    let consumer = two.calls_of("out_v1_consumer.get_consumer_information");
    assert_eq!(consumer[0].attempts[0].result, "consumer information received (members: firstName)");
    assert!(two.issuer.received().iter().any(|d| d.received == Received::Activated { card: "crd_2".into() }));

    // Every outbound operation of the specs was sent and delivered, each call once.
    let (calls, _) = two.sandbox.outbound().calls().list();
    let delivered: Vec<&str> = OPERATIONS
        .into_iter()
        .filter(|op| calls.iter().any(|c| c.operation == *op && c.outcome == Outcome::Delivered))
        .collect();
    assert_eq!(delivered, OPERATIONS, "delivered {} of {} operations", delivered.len(), OPERATIONS.len());
    assert!(calls.iter().all(|c| c.outcome == Outcome::Delivered && c.attempts.len() == 1), "{calls:#?}");
    let elapsed = started.elapsed();
    println!(
        "two-way scenario: {} calls, {}/{} outbound operations delivered, production (6 steps, 5 simulated hours) \
         {production_time:?}, whole scenario {elapsed:?}",
        calls.len(),
        delivered.len(),
        OPERATIONS.len()
    );

    // What the admin API and the logs show: the calls, by correlation id; no card data, no
    // credentials, no token.
    let shown = two.calls_json().await;
    let logged = log_text();
    assert!(logged.contains(&call.correlation_id), "the suspension's call is logged with its correlation id");
    for secret in [ORDERED_PAN, RENEWED_PAN, SECRET, "issuer-token-", "Basic "] {
        assert!(!shown.contains(secret), "the record of calls shows `{secret}`");
        assert!(!logged.contains(secret), "the logs show `{secret}`");
    }
}

// ---- issuer faults -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_retried_until_delivered() {
    let two = start(None, json!({"maxAttempts": 3})).await;
    two.faults.add("/notifications/d1/v2/issuers/ISSUER0001/cards", Fault::Status(500), 1);
    let call = two.settled(two.send("out_v2_card.notify_card_operations", card_notification("op_500")).await).await;
    assert_eq!(call.outcome, Outcome::Delivered, "{call:?}");
    assert_eq!(statuses(&call), [Some(500), Some(204)]);
    assert!(call.attempts[0].result.contains("HTTP 500"), "{call:?}");
    let received = two.issuer.received();
    let notified: Vec<_> = received.iter().filter(|d| matches!(d.received, Received::CardOperation { .. })).collect();
    assert_eq!(notified.len(), 1);
    assert_eq!(notified[0].correlation_id.as_deref(), Some(call.correlation_id.as_str()));
    assert!(log_text().contains("outbound attempt failed, will retry"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_retried_until_delivered() {
    let two = start(None, json!({"timeoutMs": 1000})).await;
    two.faults.add("/cards", Fault::Delay(Duration::from_millis(3000)), 1);
    let call = two.settled(two.send("out_v2_card.notify_card_operations", card_notification("op_slow")).await).await;
    assert_eq!(call.outcome, Outcome::Delivered, "{call:?}");
    assert_eq!(statuses(&call), [None, Some(204)]);
    assert!(call.attempts[0].result.contains("timed out"), "{call:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_answer_is_dropped_and_the_next_call_goes_through() {
    let two = start(None, json!({})).await;
    two.faults.add("/credentials", Fault::Garbage, 1);
    let call = two.settled(two.send("out_v2_card.get_card_credentials", json!({"cardId": "crd_2"})).await).await;
    assert_eq!(call.outcome, Outcome::Dropped, "{call:?}");
    assert_eq!(statuses(&call), [Some(200)]);
    assert!(call.attempts[0].result.contains("invalid response body"), "{call:?}");
    let next = two.settled(two.send("out_v1_physical_issuance.activate_card", json!({"cardId": "crd_2"})).await).await;
    assert_eq!(next.outcome, Outcome::Delivered, "{next:?}");

    // Credentials sealed for another key than D1's do not open: dropped too.
    let other = PrivateKey::generate(&mut SysRng).expect("key").public_key("not-d1");
    let two = start(Some(other), json!({})).await;
    let call = two.settled(two.send("out_v2_card.get_card_credentials", json!({"cardId": "crd_2"})).await).await;
    assert_eq!(call.outcome, Outcome::Dropped, "{call:?}");
    assert!(call.attempts[0].result.contains("do not open with the sandbox's D1 key"), "{call:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_replaced_once_then_the_call_dropped() {
    let two = start(None, json!({})).await;
    // The issuer no longer knows the token (a restart, say): D1 gets a new one and sends again.
    two.faults.add("/cards", Fault::Status(401), 1);
    let call = two.settled(two.send("out_v2_card.notify_card_operations", card_notification("op_401")).await).await;
    assert_eq!(call.outcome, Outcome::Delivered, "{call:?}");
    let tokens = two.calls_of("out_v1_auth2.get_authorization_token");
    assert_eq!(tokens.len(), 2, "a token, then a new one after the 401: {tokens:?}");
    assert!(tokens.iter().all(|t| t.outcome == Outcome::Delivered && t.trigger == "a token for the next call"));
    assert_eq!(two.issuer.received().iter().filter(|d| d.received == Received::Token).count(), 2);

    // A 401 to the new token too: sending again would not help.
    two.faults.add("/cards", Fault::Status(401), 2);
    let call = two.settled(two.send("out_v2_card.notify_card_operations", card_notification("op_401b")).await).await;
    assert_eq!(call.outcome, Outcome::Dropped, "{call:?}");
    assert_eq!(statuses(&call), [Some(401)]);

    // Wrong client credentials: the token endpoint refuses them (400), the call is dropped.
    let two = start(None, json!({"clientSecret": "not-the-secret"})).await;
    let call = two.settled(two.send("out_v1_physical_issuance.activate_card", json!({"cardId": "crd_2"})).await).await;
    assert_eq!(call.outcome, Outcome::Dropped, "{call:?}");
    assert!(call.attempts[0].result.contains("no access token"), "{call:?}");
    let tokens = two.calls_of("out_v1_auth2.get_authorization_token");
    assert_eq!(statuses(&tokens[0]), [Some(400)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let two = start(None, json!({"maxAttempts": 3})).await;
    two.faults.add("/notifications/d1/v1/", Fault::Status(503), 10);
    let body = json!({"digitalCardId": "dc_1", "body": {"operation": "RESUME", "status": "SUCCESSFUL"}});
    let call = two.settled(two.send("out_v1_digital_card.notify_digital_card_operation", body).await).await;
    assert_eq!(call.outcome, Outcome::Dropped, "{call:?}");
    assert_eq!(statuses(&call), [Some(503), Some(503), Some(503)]);
    assert!(log_text().contains("outbound call dropped"));

    // No issuer listening at all: the token cannot be had, retried, then dropped.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let nobody = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    two.register(json!({"baseUrl": nobody, "maxAttempts": 2})).await;
    let call = two.settled(two.send("out_v1_physical_issuance.activate_card", json!({"cardId": "crd_2"})).await).await;
    assert_eq!(call.outcome, Outcome::Dropped, "{call:?}");
    assert_eq!(statuses(&call), [None, None]);
    assert!(call.attempts.iter().all(|a| a.result.contains("no access token")), "{call:?}");

    // The sandbox goes on serving the issuer's calls.
    let card = in_v1_card::CardId::new("crd_9").expect("valid");
    let err = two.d1.in_v1_card().suspend(&issuer_id(), &card).await.expect_err("unknown card");
    assert_eq!(err.status(), Some(404));
}
