//! The token D1 sends on its calls to the issuer: OAuth 2.0 client credentials (RFC 6749 §4.4)
//! against the issuer's token endpoint (Outbound OAuth API, `out_v1_auth2`), with HTTP Basic
//! client authentication as that spec asks. A [`TokenProvider`] for the generated client: it
//! fetches a token before the first call, keeps it until shortly before it expires, and
//! forgets it when the issuer answers `401` to it.

use super::calls::{Calls, Outcome};
use super::job::TOKEN;
use super::{record_attempt, Answer, Failure, Started};
use crate::time::Clock;
use d1_client::types::out_v1_auth2::{Auth2Request, GrantType, TokenType};
use d1_client::{AccessToken, TokenError, TokenErrorKind, TokenFuture, TokenProvider};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a token is kept when the answer does not say (`expires_in` is optional): our
/// choice, D1's is not published.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// A token is replaced this long before it expires (at most a tenth of its lifetime): our choice.
const MARGIN: Duration = Duration::from_secs(30);

/// Client credentials for one issuer. Holds the client secret: no `Debug`.
pub struct ClientCredentials {
    /// A client without a token provider: it calls only the token endpoint, which needs none.
    client: d1_client::Client,
    issuer: String,
    /// `Basic base64(clientId:clientSecret)`.
    authorization: String,
    scope: Option<String>,
    calls: Arc<Calls>,
    clock: Clock,
    cached: Mutex<Option<(AccessToken, Instant)>>,
    /// One fetch at a time: concurrent calls wait for it instead of fetching too.
    fetching: tokio::sync::Mutex<()>,
}

impl ClientCredentials {
    pub fn new(
        client: d1_client::Client,
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        scope: Option<String>,
        calls: Arc<Calls>,
        clock: Clock,
    ) -> Self {
        use base64ct::Encoding as _;
        let basic = base64ct::Base64::encode_string(format!("{client_id}:{client_secret}").as_bytes());
        ClientCredentials {
            client,
            issuer: issuer.to_string(),
            authorization: format!("Basic {basic}"),
            scope,
            calls,
            clock,
            cached: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self) -> Option<AccessToken> {
        let cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        cached.as_ref().filter(|(_, until)| Instant::now() < *until).map(|(token, _)| token.clone())
    }

    /// Ask the issuer's token endpoint for a new token and keep it. The endpoint's spec has
    /// no `x-correlation-id` parameter, so the client sends a fresh one: it is returned with
    /// the outcome.
    pub async fn fetch(&self) -> (Result<(Answer, AccessToken), Failure>, String) {
        let mut body = Auth2Request::new(GrantType::ClientCredentials);
        body.scope = self.scope.clone();
        let result = self.client.out_v1_auth2().get_authorization_token(&self.authorization).body(body).await;
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                let correlation_id = e.correlation_id().to_string();
                return (Err(Failure::of(&e)), correlation_id);
            }
        };
        let correlation_id = response.correlation_id().to_string();
        let status = response.status();
        let answer = response.into_body();
        let invalid = |reason: &str| Failure { status: Some(status), retry: false, reason: reason.to_string() };
        if answer.token_type != TokenType::Bearer {
            return (Err(invalid("the token response's `token_type` is not `Bearer`")), correlation_id);
        }
        if answer.access_token.expose().is_empty() {
            return (Err(invalid("the token response's `access_token` is empty")), correlation_id);
        }
        let lifetime = answer
            .expires_in
            .as_deref()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        let until = Instant::now() + lifetime.saturating_sub(MARGIN.min(lifetime / 10));
        let token = AccessToken::new(answer.access_token.expose());
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some((token.clone(), until));
        let kept = if answer.expires_in.is_some() { "" } else { " (no `expires_in`: kept 300 s)" };
        let detail = format!("token received, valid {} s{kept}", lifetime.as_secs());
        (Ok((Answer { status, detail }, token)), correlation_id)
    }
}

impl TokenProvider for ClientCredentials {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            if let Some(token) = self.cached() {
                return Ok(token);
            }
            let _one_at_a_time = self.fetching.lock().await;
            if let Some(token) = self.cached() {
                return Ok(token);
            }
            // The fetch is a call of its own in the record, made for the call that needs it.
            let trigger = "a token for the next call".to_string();
            let (id, _) = self.calls.open(&self.issuer, TOKEN, trigger, self.clock.now());
            let started = Started::now(&self.clock);
            let (fetched, correlation_id) = self.fetch().await;
            self.calls.update(id, |c| c.correlation_id = correlation_id.clone());
            let sent = fetched.as_ref().map(|(answer, _)| answer);
            let outcome = if sent.is_ok() { Outcome::Delivered } else { Outcome::Dropped };
            record_attempt(&self.calls, id, started, sent, outcome);
            let failure = match fetched {
                Ok((_, token)) => return Ok(token),
                Err(failure) => failure,
            };
            // What the caller's retry decision reads (see `Failure::of`): no answer, an error
            // status, or a success that is not a usable token.
            let kind = match failure.status {
                None => TokenErrorKind::Other(failure.reason.into()),
                Some(200..=299) => TokenErrorKind::InvalidResponse(failure.reason),
                Some(_) => TokenErrorKind::Rejected,
            };
            let mut error = TokenError::new(kind);
            error.status = failure.status;
            error.correlation_id = Some(correlation_id);
            Err(error)
        })
    }

    fn invalidate(&self, token: &AccessToken) {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cached.as_ref().is_some_and(|(kept, _)| kept == token) {
            *cached = None;
            tracing::warn!(issuer = %self.issuer, "the issuer answered 401 to its own token: fetching a new one");
        }
    }
}
