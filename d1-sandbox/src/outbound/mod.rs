//! D1's outbound side: the calls D1 makes to the issuer's service, sent through the generated
//! client of the outbound APIs (`d1_client::out_*`) once the issuer's service is registered
//! (`PUT /sandbox/issuers/{issuerId}/endpoint`, [`EndpointConfig`]).
//!
//! Each issuer has a queue and one worker: its calls go out one at a time, in the order the
//! sandbox made them, each with one `x-correlation-id` for all its attempts. Every call is
//! recorded ([`Calls`]) with each attempt and its outcome, and logged. A failure is never
//! fatal: it is retried or dropped (see [`Failure::of`] for which) — D1 publishes that
//! undelivered card notifications are retried, not how, so the schedule here is ours:
//! [`DEFAULT_MAX_ATTEMPTS`] attempts, waits doubling from [`FIRST_BACKOFF`] (simulated time).

pub mod calls;
mod job;
mod token;

pub use calls::{Attempt, Call, Calls, Outcome};
pub use job::{job_for, Job, OPERATIONS};

use crate::time::Clock;
use d1_client::types::common;
use d1_client::types::jwe::PrivateKey;
use d1_client::{ApiId, Client, Environment, ErrorKind, RetryPolicy};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use token::ClientCredentials;

/// How long one attempt may take, in real time, unless the registration says (our choice).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per call, the first included, unless the registration says (our choice).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// The wait after the first failed attempt, doubling after each (simulated time; our choice).
pub const FIRST_BACKOFF: Duration = Duration::from_secs(2);
/// Calls waiting per issuer; more are dropped (and recorded so).
pub const QUEUE_LENGTH: usize = 1000;

/// How to reach one issuer's service: the body of `PUT /sandbox/issuers/{issuerId}/endpoint`.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointConfig {
    /// Scheme, host and port of the issuer's service (e.g. `http://127.0.0.1:9090`). Each API
    /// is called under it at the path of its spec's server URL: the token endpoint at
    /// `/authz/d1/v1/oauth2/token`, digital card notifications under `/notifications/d1/v1`,
    /// the other APIs at their paths as the specs write them.
    pub base_url: String,
    /// The client credentials D1 authenticates with at the issuer's token endpoint.
    pub client_id: String,
    pub client_secret: String,
    /// The `scope` of the token request, if the issuer defines scopes.
    #[serde(default)]
    pub scope: Option<String>,
    /// Per-attempt timeout in milliseconds (default [`DEFAULT_TIMEOUT`]).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Attempts per call (default [`DEFAULT_MAX_ATTEMPTS`], at most 20).
    #[serde(default)]
    pub max_attempts: Option<u32>,
}

impl fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scope", &self.scope)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// A delivered call: the status and what was received (never a value of the answer).
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub detail: String,
}

/// A failed attempt.
#[derive(Clone, Debug)]
pub struct Failure {
    pub status: Option<u16>,
    /// Another attempt could succeed.
    pub retry: bool,
    pub reason: String,
}

impl Failure {
    /// Which failures are worth another attempt (our choice, D1's is not published): no
    /// answer in time, no connection, `408`, `429` and `5xx` answers, and a token that could
    /// not be had for one of these reasons. Other answers are dropped at once, since sending
    /// the same request again would get the same answer: other `4xx` (a `401` after a fresh
    /// token included), a success whose body is not the declared one (malformed), a token
    /// response without a usable token.
    pub fn of<E: fmt::Debug>(error: &d1_client::Error<E>) -> Failure {
        let transient = |status: Option<u16>| status.is_none_or(|s| s >= 500 || s == 408 || s == 429);
        let retry = match error.kind() {
            ErrorKind::Timeout | ErrorKind::Transport { .. } => true,
            ErrorKind::Declared(_) | ErrorKind::UndeclaredStatus => error.status().is_some_and(|s| transient(Some(s))),
            ErrorKind::Auth(token) => transient(token.status),
            _ => false,
        };
        Failure { status: error.status(), retry, reason: error.to_string() }
    }
}

/// When an attempt started: simulated (for the record) and real (for its latency).
struct Started {
    at: String,
    instant: Instant,
}

impl Started {
    fn now(clock: &Clock) -> Self {
        Started { at: clock.now(), instant: Instant::now() }
    }
}

/// Add an attempt to call `id`, set its outcome, and log both.
fn record_attempt(calls: &Calls, id: u64, started: Started, sent: Result<&Answer, &Failure>, outcome: Outcome) {
    let latency_ms = u64::try_from(started.instant.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (status, result) = match sent {
        Ok(answer) => (Some(answer.status), answer.detail.clone()),
        Err(failure) => (failure.status, failure.reason.clone()),
    };
    let (mut issuer, mut operation, mut correlation_id) = (String::new(), "", String::new());
    calls.update(id, |c| {
        c.attempts.push(Attempt { at: started.at, status, result: result.clone(), latency_ms });
        c.outcome = outcome;
        (issuer, operation, correlation_id) = (c.issuer_id.clone(), c.operation, c.correlation_id.clone());
    });
    let status = status.map(|s| s.to_string()).unwrap_or_default();
    match outcome {
        Outcome::Delivered => {
            tracing::info!(
                call = id,
                issuer,
                operation,
                correlation_id,
                status,
                latency_ms,
                result,
                "outbound call delivered"
            )
        }
        Outcome::Retrying => tracing::warn!(
            call = id,
            issuer,
            operation,
            correlation_id,
            status,
            latency_ms,
            result,
            "outbound attempt failed, will retry"
        ),
        Outcome::Dropped | Outcome::Queued => {
            tracing::warn!(
                call = id,
                issuer,
                operation,
                correlation_id,
                status,
                latency_ms,
                result,
                "outbound call dropped"
            )
        }
    }
}

/// The outbound side of one sandbox: the registered issuers and the record of calls.
pub struct Outbound {
    calls: Arc<Calls>,
    d1_key: Arc<PrivateKey>,
    clock: Clock,
    endpoints: Mutex<BTreeMap<String, Endpoint>>,
}

struct Endpoint {
    /// What `GET /sandbox/issuers/{issuerId}/endpoint` shows (no secret).
    shown: Value,
    queue: tokio::sync::mpsc::Sender<Queued>,
}

struct Queued {
    id: u64,
    correlation_id: String,
    job: Job,
}

impl Outbound {
    pub fn new(d1_key: Arc<PrivateKey>, clock: Clock) -> Self {
        Outbound { calls: Arc::default(), d1_key, clock, endpoints: Mutex::default() }
    }

    fn endpoints(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Endpoint>> {
        self.endpoints.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The record of calls.
    pub fn calls(&self) -> &Calls {
        &self.calls
    }

    /// Send `issuer`'s outbound calls to the service `config` names, from now on (replacing
    /// an earlier registration; calls queued for it are still sent to it). Must run inside a
    /// tokio runtime: it starts the issuer's worker. `Err`: what is wrong with `config`.
    pub fn register(&self, issuer: &str, config: EndpointConfig) -> Result<(), String> {
        let issuer_id = common::IssuerId::new(issuer).map_err(|e| e.to_string())?;
        let base = config.base_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err("`baseUrl` must be an http:// or https:// URL".into());
        }
        if config.client_id.is_empty() || config.client_id.contains(':') {
            return Err("`clientId` must be non-empty and without `:` (HTTP Basic, RFC 7617)".into());
        }
        let timeout = match config.timeout_ms {
            None => DEFAULT_TIMEOUT,
            Some(ms @ 1..=600_000) => Duration::from_millis(ms),
            Some(_) => return Err("`timeoutMs` must be 1 to 600000".into()),
        };
        let max_attempts = match config.max_attempts {
            None => DEFAULT_MAX_ATTEMPTS,
            Some(n @ 1..=20) => n,
            Some(_) => return Err("`maxAttempts` must be 1 to 20".into()),
        };
        let builder = || {
            let mut builder = Client::builder(Environment::url(base)).retry(RetryPolicy::none()).timeout(timeout);
            for (api, servers) in SERVERS {
                let path = servers.first().map_or("", |s| server_path(s.url));
                builder = builder.base_url_for(api, format!("{base}{path}"));
            }
            builder
        };
        let token_client = builder().build().map_err(|e| e.to_string())?;
        // One connection pool for the token endpoint and the APIs.
        let http = token_client.http_client().clone();
        let tokens = Arc::new(ClientCredentials::new(
            token_client,
            issuer,
            &config.client_id,
            &config.client_secret,
            config.scope.clone(),
            self.calls.clone(),
            self.clock,
        ));
        let client =
            builder().http_client(http).shared_token_provider(tokens.clone()).build().map_err(|e| e.to_string())?;
        let (queue, receiver) = tokio::sync::mpsc::channel(QUEUE_LENGTH);
        let worker = Worker {
            issuer_id,
            client,
            tokens,
            max_attempts,
            calls: self.calls.clone(),
            d1_key: self.d1_key.clone(),
            clock: self.clock,
        };
        tokio::spawn(worker.run(receiver));
        let shown = json!({
            "baseUrl": base,
            "clientId": config.client_id,
            "scope": config.scope,
            "timeoutMs": u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            "maxAttempts": max_attempts,
        });
        tracing::info!(issuer, base_url = base, "outbound calls go to the issuer's service");
        self.endpoints().insert(issuer.to_string(), Endpoint { shown, queue });
        Ok(())
    }

    /// Stop sending `issuer`'s calls (queued ones are still sent); whether it was registered.
    pub fn unregister(&self, issuer: &str) -> bool {
        self.endpoints().remove(issuer).is_some()
    }

    /// The registration of `issuer`, without the secret.
    pub fn endpoint(&self, issuer: &str) -> Option<Value> {
        self.endpoints().get(issuer).map(|e| e.shown.clone())
    }

    /// Queue a call to `issuer`'s service and record it; its id, or `None` when the issuer has
    /// no registered service (nothing is recorded). A job that could not be built, or a full
    /// queue, is recorded as dropped.
    pub fn send(
        &self,
        issuer: &str,
        operation: &'static str,
        trigger: String,
        job: Result<Job, String>,
    ) -> Option<u64> {
        let queue = self.endpoints().get(issuer)?.queue.clone();
        let (id, correlation_id) = self.calls.open(issuer, operation, trigger, self.clock.now());
        let problem = match job {
            Err(reason) => format!("the call cannot be built: {reason}"),
            Ok(job) => match queue.try_send(Queued { id, correlation_id, job }) {
                Ok(()) => return Some(id),
                Err(_) => format!("the issuer's queue is full ({QUEUE_LENGTH} calls) or closed"),
            },
        };
        let failure = Failure { status: None, retry: false, reason: problem };
        record_attempt(&self.calls, id, Started::now(&self.clock), Err(&failure), Outcome::Dropped);
        Some(id)
    }
}

/// The outbound APIs and their servers: each is called under the registered base URL at the
/// path of its (first) server URL.
const SERVERS: [(ApiId, &[d1_client::Server]); 5] = [
    (ApiId::OutV1Auth2, d1_client::out_v1_auth2::SERVERS),
    (ApiId::OutV1Consumer, d1_client::out_v1_consumer::SERVERS),
    (ApiId::OutV1DigitalCard, d1_client::out_v1_digital_card::SERVERS),
    (ApiId::OutV1PhysicalIssuance, d1_client::out_v1_physical_issuance::SERVERS),
    (ApiId::OutV2Card, d1_client::out_v2_card::SERVERS),
];

/// The path of a server URL (`https://YOUR_DOMAIN/authz/d1/v1` → `/authz/d1/v1`), without a
/// trailing slash; empty when it has none.
fn server_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("", |i| rest[i..].trim_end_matches('/'))
}

/// Sends one issuer's calls, one at a time.
struct Worker {
    issuer_id: common::IssuerId,
    client: Client,
    tokens: Arc<ClientCredentials>,
    max_attempts: u32,
    calls: Arc<Calls>,
    d1_key: Arc<PrivateKey>,
    clock: Clock,
}

impl Worker {
    async fn run(self, mut queue: tokio::sync::mpsc::Receiver<Queued>) {
        while let Some(queued) = queue.recv().await {
            self.deliver(queued).await;
        }
    }

    async fn deliver(&self, queued: Queued) {
        let mut attempt = 1;
        loop {
            let started = Started::now(&self.clock);
            let sent = self.send(&queued).await;
            let retry = attempt < self.max_attempts && sent.as_ref().is_err_and(|f| f.retry);
            let outcome = match (&sent, retry) {
                (Ok(_), _) => Outcome::Delivered,
                (Err(_), true) => Outcome::Retrying,
                (Err(_), false) => Outcome::Dropped,
            };
            record_attempt(&self.calls, queued.id, started, sent.as_ref(), outcome);
            if !retry {
                return;
            }
            self.clock.sleep(FIRST_BACKOFF.saturating_mul(1 << (attempt - 1).min(16))).await;
            attempt += 1;
        }
    }

    /// One attempt.
    async fn send(&self, queued: &Queued) -> Result<Answer, Failure> {
        let (issuer, corr) = (&self.issuer_id, queued.correlation_id.as_str());
        let delivered = |status: u16| Answer { status, detail: "accepted".to_string() };
        let client = &self.client;
        match &queued.job {
            Job::Token => {
                let (fetched, correlation_id) = self.tokens.fetch().await;
                self.calls.update(queued.id, |c| c.correlation_id = correlation_id);
                fetched.map(|(answer, _)| answer)
            }
            Job::CardOperations(body) => {
                let sent = client.out_v2_card().notify_card_operations(issuer).correlation_id(corr).body(body.clone());
                sent.await.map(|r| delivered(r.status())).map_err(|e| Failure::of(&e))
            }
            Job::CardAuthorisations(body) => {
                let sent =
                    client.out_v2_card().notify_card_authorisations(issuer).correlation_id(corr).body(body.clone());
                sent.await.map(|r| delivered(r.status())).map_err(|e| Failure::of(&e))
            }
            Job::DigitalCardOperation(id, body) => {
                let api = client.out_v1_digital_card();
                let sent = api.notify_digital_card_operation(issuer, id).correlation_id(corr).body(body.clone());
                sent.await.map(|r| delivered(r.status())).map_err(|e| Failure::of(&e))
            }
            Job::ActivateCard(card) => {
                let sent = client.out_v1_physical_issuance().activate_card(issuer, card).correlation_id(corr);
                sent.await.map(|r| delivered(r.status())).map_err(|e| Failure::of(&e))
            }
            Job::ConsumerInformation(consumer, card) => {
                let correlation = common::CorrelationId::new(corr).map_err(|e| Failure {
                    status: None,
                    retry: false,
                    reason: e.to_string(),
                })?;
                let mut sent =
                    client.out_v1_consumer().get_consumer_information(issuer, consumer).correlation_id(correlation);
                if let Some(card) = card {
                    sent = sent.card_id(card.clone());
                }
                let response = sent.await.map_err(|e| Failure::of(&e))?;
                // Personal data: only the names of the members received.
                let members = match serde_json::to_value(response.body()) {
                    Ok(Value::Object(map)) => map.keys().cloned().collect::<Vec<_>>().join(", "),
                    _ => String::new(),
                };
                Ok(Answer {
                    status: response.status(),
                    detail: format!("consumer information received (members: {members})"),
                })
            }
            Job::CardCredentials(card) => {
                let sent = client.out_v2_card().get_card_credentials(issuer, card).correlation_id(corr);
                let response = sent.await.map_err(|e| Failure::of(&e))?;
                let status = response.status();
                let opened = response.body().encrypted_data.open(&self.d1_key).map_err(|e| Failure {
                    status: Some(status),
                    retry: false,
                    reason: format!(
                        "the sealed credentials do not open with the sandbox's D1 key (GET /sandbox/keys/d1): {e}"
                    ),
                })?;
                // The last four digits only, as D1 shows them (`panSuffix`); nothing else.
                let pan = opened.pan.as_str();
                let suffix = pan.get(pan.len().saturating_sub(4)..).unwrap_or("");
                let name = if opened.name.is_some() { ", name" } else { "" };
                let detail =
                    format!("sealed credentials opened with the sandbox's D1 key: PAN ending {suffix}, exp, cvv{name}");
                Ok(Answer { status, detail })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_paths() {
        assert_eq!(server_path("https://YOUR_DOMAIN/authz/d1/v1"), "/authz/d1/v1");
        assert_eq!(server_path("https://YOUR_DOMAIN_NAME/notifications/d1/v1/"), "/notifications/d1/v1");
        assert_eq!(server_path("https://api.your-domain.com"), "");
    }
}
