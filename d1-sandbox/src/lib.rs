//! **d1-sandbox**: an in-memory stand-in for Thales D1, built on the inbound server traits
//! that `d1-codegen` generates (`d1-server`). An issuer team runs it in its own CI instead of
//! D1 staging: same paths, same checks of every input, same response shapes.
//!
//! ```text
//! cargo run -p d1-sandbox -- --port 8080
//! ```
//!
//! # What it serves
//!
//! Every inbound API, under the base path of its production server URL:
//!
//! | base path | API |
//! |---|---|
//! | `/banking/v1` | Inbound Card API 1.0, Inbound Digital Card API 1.0, Inbound Physical Card API 2.0 |
//! | `/banking/v2` | D1 Inbound Consumer API 2.0 |
//! | `/authz/v1` | D1 OAuth API 1.0 (`POST /oauth2/token`) |
//! | `/sandbox` | set-up calls that D1 does not have (below), and the outbound side's |
//!
//! # Behaviour
//!
//! - **Consumers** are registered with `PUT …/consumers/{consumerId}` (again: replaced),
//!   updated (members merged; a member `ConsumerInfo` types must have its type, or the update is
//!   a 400 naming it and changes nothing) and deleted. Deleting a consumer deletes its cards and their
//!   digital cards. A deleted consumerId is gone: update, delete and card list answer 404, and
//!   registering it again is a 403 (D1: "re-use requires a new consumerId").
//! - **Cards** come to exist in two ways, since D1's card registration API is not among the
//!   specs: a card order (`POST …/physicalCards/{cardId}/operations:production`) creates the
//!   card `ACTIVE` (linked to the body's `consumerId`), and `PUT /sandbox/issuers/{issuerId}/cards/{cardId}`
//!   creates one directly. Renewing with another `newCardId` creates that card for the same
//!   consumer, in the body's `state` (`ACTIVE` by default); the old card keeps its state.
//! - **Digital cards** (tokens) are created by the TSP in real life; here by
//!   `PUT /sandbox/issuers/{issuerId}/digitalCards/{digitalCardId}` with `{"cardId", "pan",
//!   "state", "type"}`.
//! - **States**: suspend only an `ACTIVE` card; resume only a `SUSPENDED` (or never activated,
//!   `INACTIVE`) one; delete anything not deleted; `DELETED` is final. A refused transition is a
//!   403. Deleting a card deletes its digital cards.
//! - **Operations**: every accepted state change is recorded (`SUCCESSFUL`, requestor `ISSUER`)
//!   and listed newest first with `offset`/`limit` and `remainingOperations`. Refused calls and
//!   reads are not recorded. Each consumer, card and digital card keeps its newest
//!   [`Options::history_limit`] operations (default 1000, `--history-limit`); older ones are
//!   forgotten (unknown to listing and fetching, counted as `operationsForgotten` in
//!   `GET /sandbox/state`).
//! - **Unknown ids**: 404. The v1 Card API answers with its documented codes `UNKNOWN_CARD` /
//!   `UNKNOWN_OPERATION`; the other APIs publish no error codes, so their 404 (and 403) bodies
//!   carry only `error` text. Those APIs declare no 4xx at all: see `scripts/README.md` for what
//!   that means for conformance testing.
//! - **Tokens**: any well-formed bearer token is accepted, unless the sandbox runs with
//!   `--strict-auth`; then only tokens issued by its `POST /authz/v1/oauth2/token` are, others
//!   get a 401. The token endpoint requires `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
//!   and a non-empty `assertion` shaped like a JWT (base64url parts and dots; signatures are not
//!   checked: the sandbox has no issuer keys). Its 400s carry an RFC 6749 §5.2 body:
//!   `{"error": "invalid_request"}` for a missing or malformed parameter (with
//!   `error_description` and `errors` when the router found it), `unsupported_grant_type`,
//!   `invalid_grant` for an assertion that cannot be a JWT.
//! - **Sealed data**: the sandbox has its own D1 key pair, made at start;
//!   `GET /sandbox/keys/d1` gives its public JWK to seal search requests with. Digital card
//!   credentials are sealed with the issuer key registered by
//!   `PUT /sandbox/issuers/{issuerId}/key` (a public JWK); without one, `credentials` is left out.
//! - `GET /sandbox/state` shows everything held, as JSON. Data lives in memory only and is
//!   lost when the process stops; one lock guards it, so concurrent calls are safe.
//! - **Production**: a card order's `PRODUCE` operation starts `PENDING` in
//!   `CARD_PROD_REQUESTED` and moves through the production statuses, one simulated hour a
//!   step, to `SUCCESSFUL` (see the `production` module); `productionStatus` shows where it is.
//! - **Time** is simulated: [`Options::speed`] (`--speed`) simulated seconds pass per real
//!   second, for timestamps, production and the waits between retries ([`time::Clock`]).
//!
//! # Calling the issuer back
//!
//! D1 calls the issuer's service too (the outbound APIs). Once a service is registered for an
//! issuer (`PUT /sandbox/issuers/{issuerId}/endpoint`), the sandbox sends D1's calls to it
//! through the generated client of the outbound APIs: a client-credentials token first, then
//! card and digital card notifications for every state change, each production step, Get Card
//! Credentials for a renewal without card data — and any outbound call on demand
//! (`POST /sandbox/issuers/{issuerId}/outbound/{operation}`). Every call, with its attempts and
//! outcome, is in `GET /sandbox/outbound/calls` and the log. See [`outbound`], and the
//! repository README's "Point the sandbox at your issuer service" for what is D1's behaviour
//! and what is the sandbox's choice.

pub mod admin;
mod apis;
pub mod outbound;
mod production;
pub mod state;
pub mod time;

use d1_types::jwe::{PrivateKey, PublicKey};
use state::{Event, State};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Base paths of the inbound APIs (the path of each production server URL).
pub const BANKING_V1: &str = "/banking/v1";
pub const BANKING_V2: &str = "/banking/v2";
pub const AUTHZ_V1: &str = "/authz/v1";

/// How long [`serve`] waits for a client to send a request's full head (request line and
/// headers) by default; a slower (or stalled) client is disconnected.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How the sandbox behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// Accept only bearer tokens issued by the sandbox's own token endpoint.
    pub strict_auth: bool,
    /// Largest request body, in bytes (`None`: the router's default, 256 KiB).
    pub body_limit: Option<usize>,
    /// How long [`serve`] gives a client to send the head of a request (request line and
    /// headers), counted from when the server starts waiting for it — also on an idle
    /// keep-alive connection. A client that has not sent it in time is disconnected. Default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// How many operations each consumer, card and digital card keeps: the oldest are forgotten
    /// beyond it (see [`state::History`]), so memory stays bounded by the number of resources
    /// times this. Default [`state::DEFAULT_HISTORY_LIMIT`]; at least 1.
    pub history_limit: usize,
    /// Simulated seconds per real second (see [`time::Clock`]): how fast a card's production
    /// moves and retries wait. Default 1 (real time).
    pub speed: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strict_auth: false,
            body_limit: None,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            history_limit: state::DEFAULT_HISTORY_LIMIT,
            speed: 1.0,
        }
    }
}

/// The sandbox: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    tokens: Mutex<HashSet<String>>,
    issuer_keys: Mutex<BTreeMap<String, PublicKey>>,
    d1_key: Arc<PrivateKey>,
    clock: time::Clock,
    outbound: outbound::Outbound,
    options: Options,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new(Options::default())
    }
}

impl Sandbox {
    pub fn new(options: Options) -> Self {
        let d1_key = PrivateKey::generate(&mut d1_types::jwe::SysRng)
            .expect("the operating system's random generator is available")
            .with_kid("d1-sandbox");
        let d1_key = Arc::new(d1_key);
        let prefix = format!("{:08x}", random_u32());
        let clock = time::Clock::new(options.speed);
        let state = State::new(prefix).with_history_limit(options.history_limit).with_clock(clock);
        Sandbox {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                tokens: Mutex::new(HashSet::new()),
                issuer_keys: Mutex::new(BTreeMap::new()),
                outbound: outbound::Outbound::new(d1_key.clone(), clock),
                d1_key,
                clock,
                options,
            }),
        }
    }

    /// The sandbox's (simulated) clock.
    pub fn clock(&self) -> time::Clock {
        self.inner.clock
    }

    /// D1's calls to the issuers' services: registrations and the record of calls.
    pub fn outbound(&self) -> &outbound::Outbound {
        &self.inner.outbound
    }

    /// Act on the events the state recorded: queue the outbound calls D1 makes for them, start
    /// the production of ordered cards. Runs after every request (see [`Sandbox::app`]) and
    /// every production step. Must run inside a tokio runtime.
    pub fn dispatch(&self) {
        let events = self.state().take_events();
        for event in events {
            match event {
                Event::Ordered { issuer, card, operation_id, shipped } => {
                    tokio::spawn(production::run(self.clone(), issuer, card, operation_id, shipped));
                }
                event => {
                    if let Some((operation, trigger, job)) = outbound::job_for(&event) {
                        self.inner.outbound.send(event.issuer(), operation, trigger, job);
                    }
                }
            }
        }
    }

    /// The state, locked. A panic while it was held does not lock the sandbox up for good.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything held, as JSON (what `GET /sandbox/state` shows).
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(&*self.state()).unwrap_or_default()
    }

    /// The public key to seal data sent to the sandbox with (search requests).
    pub fn d1_public_key(&self) -> PublicKey {
        self.inner.d1_key.public_key("d1-sandbox")
    }

    pub(crate) fn d1_private_key(&self) -> &PrivateKey {
        &self.inner.d1_key
    }

    /// Register the key that digital card credentials for `issuer` are sealed with.
    pub fn set_issuer_key(&self, issuer: &str, key: PublicKey) {
        self.inner.issuer_keys.lock().unwrap_or_else(|e| e.into_inner()).insert(issuer.to_string(), key);
    }

    pub(crate) fn issuer_key(&self, issuer: &str) -> Option<PublicKey> {
        self.inner.issuer_keys.lock().unwrap_or_else(|e| e.into_inner()).get(issuer).cloned()
    }

    pub(crate) fn issue_token(&self) -> String {
        let token = format!("sbx-{:08x}{:08x}{:08x}{:08x}", random_u32(), random_u32(), random_u32(), random_u32());
        self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner()).insert(token.clone());
        token
    }

    /// `Err` (a 401) when `--strict-auth` is on and the token was not issued here.
    pub(crate) fn authorize(&self, token: &d1_server::BearerToken) -> Result<(), d1_server::ApiError> {
        if !self.inner.options.strict_auth
            || self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner()).contains(token.as_str())
        {
            Ok(())
        } else {
            Err(d1_server::ApiError::unauthorized("The bearer token was not issued by this sandbox."))
        }
    }

    /// The whole HTTP application: every inbound API under its base path, the `/sandbox`
    /// set-up calls, and JSON 404s for anything else. After each request, the outbound calls
    /// it causes are queued ([`Sandbox::dispatch`]).
    pub fn app(&self) -> axum::Router {
        let mut config = d1_server::Config::default();
        if let Some(limit) = self.inner.options.body_limit {
            config = config.with_body_limit(limit);
        }
        let banking_v1 = d1_server::in_v1_card::routes(self.clone(), config.clone())
            .merge(d1_server::in_v1_digital_card::routes(self.clone(), config.clone()))
            .merge(d1_server::in_v1_physical_issuance::routes(self.clone(), config.clone()));
        let router = axum::Router::new()
            .nest(BANKING_V1, banking_v1)
            .nest(BANKING_V2, d1_server::in_v2_consumer::routes(self.clone(), config.clone()))
            .nest(
                AUTHZ_V1,
                d1_server::in_v1_auth2::routes(self.clone(), config)
                    .layer(axum::middleware::map_response(apis::oauth_error_body)),
            )
            .nest("/sandbox", admin::routes(self.clone()));
        d1_server::finish(router).layer(axum::middleware::map_response_with_state(
            self.clone(),
            |axum::extract::State(sandbox): axum::extract::State<Sandbox>, response: axum::response::Response| async move {
                sandbox.dispatch();
                response
            },
        ))
    }
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    // Ids only need to differ between runs; a failing generator falls back to the clock.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
        return nanos;
    }
    u32::from_le_bytes(bytes)
}

/// Serve the sandbox on `listener` until the future `shutdown` completes, then let the open
/// connections finish their requests.
///
/// HTTP/1.1 only (as the router). Unlike `axum::serve`, a connection whose client does not send
/// a request head within [`Options::header_read_timeout`] is closed, so half-sent requests do
/// not hold connections (and their memory) open forever.
pub async fn serve(
    sandbox: Sandbox,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_read_timeout = sandbox.inner.options.header_read_timeout;
    let app = sandbox.app();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_read_timeout);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = graceful.watch(builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
