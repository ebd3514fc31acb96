//! Set-up calls that D1 does not have, under `/sandbox`: create cards and digital cards, read
//! the whole state, get the sandbox's D1 public key, register an issuer's public key; and the
//! outbound side: register the issuer's service, send any outbound call on demand, read the
//! record of calls.

use crate::outbound::{EndpointConfig, Job};
use crate::state::Lifecycle;
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Value};

pub fn routes(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/state", get(state))
        .route("/keys/d1", get(d1_key))
        .route("/issuers/{issuerId}/key", put(issuer_key))
        .route("/issuers/{issuerId}/cards/{cardId}", put(put_card))
        .route("/issuers/{issuerId}/digitalCards/{digitalCardId}", put(put_digital_card))
        .route("/issuers/{issuerId}/endpoint", put(put_endpoint).get(get_endpoint).delete(delete_endpoint))
        .route("/issuers/{issuerId}/outbound/{operation}", post(send_outbound))
        .route("/outbound/calls", get(outbound_calls))
        .route("/outbound/calls/{id}", get(outbound_call))
        .with_state(sandbox)
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    (status, [(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

/// The 400 of a set-up call (boxed: a `Response` is large).
type Rejected = Box<Response>;

fn body(bytes: &[u8]) -> Result<Value, Rejected> {
    if bytes.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes).map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, &format!("not JSON: {e}"))))
}

fn lifecycle(value: &Value, default: Lifecycle) -> Result<Lifecycle, Rejected> {
    match value.get("state").and_then(Value::as_str) {
        None => Ok(default),
        Some(s) => Lifecycle::parse(s).ok_or_else(|| {
            Box::new(error(StatusCode::BAD_REQUEST, "state must be ACTIVE, INACTIVE, SUSPENDED or DELETED"))
        }),
    }
}

fn valid_id(id: &str, max: usize) -> bool {
    !id.is_empty() && id.len() <= max && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

async fn state(State(sandbox): State<Sandbox>) -> Response {
    json_response(StatusCode::OK, &sandbox.snapshot())
}

async fn d1_key(State(sandbox): State<Sandbox>) -> Response {
    let jwk: Value = serde_json::from_str(&sandbox.d1_public_key().to_jwk()).unwrap_or_default();
    json_response(StatusCode::OK, &jwk)
}

async fn issuer_key(State(sandbox): State<Sandbox>, Path(issuer): Path<String>, bytes: axum::body::Bytes) -> Response {
    let text = String::from_utf8_lossy(&bytes);
    match d1_types::jwe::PublicKey::from_jwk(&text) {
        Ok(key) => {
            sandbox.set_issuer_key(&issuer, key);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, &format!("not a P-256 public JWK with a kid: {e}")),
    }
}

/// `PUT /sandbox/issuers/{issuerId}/cards/{cardId}` `{"consumerId"?, "state"?}`: create or
/// replace a card.
async fn put_card(
    State(sandbox): State<Sandbox>,
    Path((issuer, card)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Response {
    let value = match body(&bytes) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if issuer.chars().count() != 10 || !valid_id(&card, 48) {
        return error(StatusCode::BAD_REQUEST, "issuerId must have 10 characters, cardId match ^[A-Za-z0-9_-]{1,48}$");
    }
    let state = match lifecycle(&value, Lifecycle::Active) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let consumer = value.get("consumerId").and_then(Value::as_str).map(str::to_string);
    sandbox.state().put_card(&issuer, &card, consumer, state);
    StatusCode::NO_CONTENT.into_response()
}

/// `PUT /sandbox/issuers/{issuerId}/digitalCards/{digitalCardId}`
/// `{"cardId"?, "pan"?, "state"?, "type"?}`: create or replace a digital card.
async fn put_digital_card(
    State(sandbox): State<Sandbox>,
    Path((issuer, id)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Response {
    let value = match body(&bytes) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if issuer.chars().count() != 10 || !valid_id(&id, 64) {
        return error(
            StatusCode::BAD_REQUEST,
            "issuerId must have 10 characters, digitalCardId match ^[A-Za-z0-9_-]{1,64}$",
        );
    }
    let state = match lifecycle(&value, Lifecycle::Active) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let pan = value.get("pan").and_then(Value::as_str).unwrap_or("4000001234567899").to_string();
    if pan.len() < 4 || pan.len() > 19 || !pan.chars().all(|c| c.is_ascii_digit()) {
        return error(StatusCode::BAD_REQUEST, "pan must be 4 to 19 digits");
    }
    let card = value.get("cardId").and_then(Value::as_str).map(str::to_string);
    let kind = value.get("type").and_then(Value::as_str).map(str::to_string);
    sandbox.state().put_digital_card(&issuer, &id, card, pan, state, kind);
    StatusCode::NO_CONTENT.into_response()
}

/// `PUT /sandbox/issuers/{issuerId}/endpoint` [`EndpointConfig`]: send this issuer's outbound
/// calls to its service from now on.
async fn put_endpoint(
    State(sandbox): State<Sandbox>,
    Path(issuer): Path<String>,
    bytes: axum::body::Bytes,
) -> Response {
    let config: EndpointConfig = match serde_json::from_slice(&bytes) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("not an endpoint registration: {e}")),
    };
    match sandbox.outbound().register(&issuer, config) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn get_endpoint(State(sandbox): State<Sandbox>, Path(issuer): Path<String>) -> Response {
    match sandbox.outbound().endpoint(&issuer) {
        Some(shown) => json_response(StatusCode::OK, &shown),
        None => error(StatusCode::NOT_FOUND, "no service is registered for this issuer"),
    }
}

async fn delete_endpoint(State(sandbox): State<Sandbox>, Path(issuer): Path<String>) -> Response {
    if sandbox.outbound().unregister(&issuer) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no service is registered for this issuer")
    }
}

/// `POST /sandbox/issuers/{issuerId}/outbound/{operation}` `{"cardId"?, "digitalCardId"?,
/// "consumerId"?, "body"?}`: send one outbound call now (queued behind the issuer's earlier
/// ones). 202 with the call's id; its progress is in `GET /sandbox/outbound/calls/{id}`.
async fn send_outbound(
    State(sandbox): State<Sandbox>,
    Path((issuer, operation)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Response {
    let payload = match body(&bytes) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let job = match Job::parse(&operation, &payload) {
        Ok(job) => job,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let trigger = "on demand (POST /sandbox/issuers/{issuerId}/outbound/{operation})".to_string();
    match sandbox.outbound().send(&issuer, job.operation(), trigger, Ok(job)) {
        Some(id) => json_response(StatusCode::ACCEPTED, &json!({ "callId": id })),
        None => error(
            StatusCode::CONFLICT,
            "no service is registered for this issuer: PUT /sandbox/issuers/{issuerId}/endpoint first",
        ),
    }
}

/// `GET /sandbox/outbound/calls`: every recorded call, oldest first.
async fn outbound_calls(State(sandbox): State<Sandbox>) -> Response {
    let (calls, forgotten) = sandbox.outbound().calls().list();
    json_response(StatusCode::OK, &json!({ "calls": calls, "callsForgotten": forgotten }))
}

async fn outbound_call(State(sandbox): State<Sandbox>, Path(id): Path<String>) -> Response {
    match id.parse().ok().and_then(|id| sandbox.outbound().calls().get(id)) {
        Some(call) => json_response(StatusCode::OK, &serde_json::to_value(call).unwrap_or_default()),
        None => error(StatusCode::NOT_FOUND, "no such call (or it was forgotten)"),
    }
}
