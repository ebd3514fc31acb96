//! The issuer's side of D1's outbound APIs: one implementation of each generated outbound
//! server trait (`d1_server::out_*`), mounted where the specs' server URLs put them. What an
//! issuer writes; a real one would look cards and consumers up in its own systems.
//!
//! It issues its own bearer tokens (OAuth 2.0 client credentials, checked against one client)
//! and refuses calls without one of them, seals card credentials for D1 with D1's public key,
//! and records every call it receives ([`ExampleIssuer::received`]).

use d1_server::{out_v1_auth2, out_v1_consumer, out_v1_digital_card, out_v1_physical_issuance, out_v2_card, ApiError};
use d1_types::jwe::{Jwe, PublicKey};
use d1_types::{common, out_v1_auth2 as auth, out_v2_card as card};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

/// What D1 sent, as the issuer received it.
#[derive(Clone, Debug, PartialEq)]
pub enum Received {
    /// A token request with the right client credentials.
    Token,
    /// One operation of a Notify Card Operations call.
    CardOperation {
        card: String,
        operation: String,
        status: String,
        /// `details.status` (production steps).
        production_status: Option<String>,
        operation_id: String,
    },
    Authorisations {
        count: usize,
    },
    CredentialsRequested {
        card: String,
    },
    DigitalCardOperation {
        digital_card: String,
        operation: Option<String>,
        status: Option<String>,
    },
    Activated {
        card: String,
    },
    ConsumerInformationRequested {
        consumer: String,
        card: Option<String>,
    },
}

/// One received call and its `x-correlation-id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub correlation_id: Option<String>,
    pub received: Received,
}

/// Card data the issuer holds. No `Debug`: it is card data.
struct CardData {
    pan: String,
    exp: String,
    cvv: String,
}

/// The issuer service. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct ExampleIssuer {
    inner: Arc<Inner>,
}

struct Inner {
    /// `Basic base64(clientId:clientSecret)` of the one client allowed to get tokens (D1).
    basic: String,
    /// The key card credentials are sealed with: D1's (the sandbox's `GET /sandbox/keys/d1`).
    d1_key: PublicKey,
    tokens: Mutex<HashSet<String>>,
    cards: Mutex<BTreeMap<String, CardData>>,
    consumers: Mutex<BTreeMap<String, common::ConsumerInfo>>,
    received: Mutex<Vec<Delivery>>,
    next_token: Mutex<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl ExampleIssuer {
    pub fn new(client_id: &str, client_secret: &str, d1_key: PublicKey) -> Self {
        use base64ct::Encoding as _;
        let basic =
            format!("Basic {}", base64ct::Base64::encode_string(format!("{client_id}:{client_secret}").as_bytes()));
        ExampleIssuer {
            inner: Arc::new(Inner {
                basic,
                d1_key,
                tokens: Mutex::default(),
                cards: Mutex::default(),
                consumers: Mutex::default(),
                received: Mutex::default(),
                next_token: Mutex::default(),
            }),
        }
    }

    /// A card whose credentials D1 may ask for.
    pub fn with_card(self, card: &str, pan: &str, exp: &str, cvv: &str) -> Self {
        let data = CardData { pan: pan.into(), exp: exp.into(), cvv: cvv.into() };
        lock(&self.inner.cards).insert(card.to_string(), data);
        self
    }

    /// An end user D1 may ask about.
    pub fn with_consumer(self, consumer: &str, info: common::ConsumerInfo) -> Self {
        lock(&self.inner.consumers).insert(consumer.to_string(), info);
        self
    }

    /// Every call received so far, oldest first.
    pub fn received(&self) -> Vec<Delivery> {
        lock(&self.inner.received).clone()
    }

    fn record(&self, correlation_id: Option<String>, received: Received) {
        lock(&self.inner.received).push(Delivery { correlation_id, received });
    }

    /// `Err` (401) unless the token is one this issuer issued.
    fn check(&self, token: &d1_server::BearerToken) -> Result<(), ApiError> {
        if lock(&self.inner.tokens).contains(token.as_str()) {
            Ok(())
        } else {
            Err(ApiError::unauthorized("unknown bearer token"))
        }
    }

    /// Every outbound API under the path of its spec's server URL; serve it on the base URL
    /// registered with the sandbox.
    pub fn router(&self) -> axum::Router {
        let config = d1_server::Config::default();
        let router = axum::Router::new()
            .nest("/authz/d1/v1", out_v1_auth2::routes(self.clone(), config.clone()))
            .nest("/notifications/d1/v1", out_v1_digital_card::routes(self.clone(), config.clone()))
            .merge(out_v1_consumer::routes(self.clone(), config.clone()))
            .merge(out_v1_physical_issuance::routes(self.clone(), config.clone()))
            .merge(out_v2_card::routes(self.clone(), config));
        d1_server::finish(router)
    }
}

impl out_v1_auth2::OutV1Auth2Api for ExampleIssuer {
    async fn get_authorization_token(
        &self,
        request: out_v1_auth2::GetAuthorizationTokenRequest,
    ) -> Result<out_v1_auth2::GetAuthorizationTokenResponse, ApiError> {
        use out_v1_auth2::GetAuthorizationTokenResponse as R;
        let grant = request.body.as_ref().map(|b| &b.grant_type);
        if request.authorization != self.inner.basic || grant != Some(&auth::GrantType::ClientCredentials) {
            return Ok(R::BadRequest);
        }
        let token = {
            let mut next = lock(&self.inner.next_token);
            *next += 1;
            format!("issuer-token-{next}")
        };
        lock(&self.inner.tokens).insert(token.clone());
        self.record(None, Received::Token);
        let token = common::AccessToken::new(token).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(R::Ok(auth::Auth2Response::new(token, auth::TokenType::Bearer).with_expires_in("3600")))
    }
}

impl out_v2_card::OutV2CardApi for ExampleIssuer {
    async fn notify_card_operations(
        &self,
        request: out_v2_card::NotifyCardOperationsRequest,
    ) -> Result<out_v2_card::NotifyCardOperationsResponse, ApiError> {
        self.check(&request.bearer_token)?;
        for op in request.body.and_then(|b| b.operations).unwrap_or_default() {
            let production_status = op.details.as_ref().and_then(|d| d.status.as_ref()).map(|s| s.as_str().to_string());
            let received = Received::CardOperation {
                card: op.card_id.as_str().to_string(),
                operation: op.operation.as_str().to_string(),
                status: op.status.as_str().to_string(),
                production_status,
                operation_id: op.operation_id.as_str().to_string(),
            };
            self.record(request.correlation_id.clone(), received);
        }
        Ok(out_v2_card::NotifyCardOperationsResponse::NoContent)
    }

    async fn notify_card_authorisations(
        &self,
        request: out_v2_card::NotifyCardAuthorisationsRequest,
    ) -> Result<out_v2_card::NotifyCardAuthorisationsResponse, ApiError> {
        self.check(&request.bearer_token)?;
        let count = request.body.and_then(|b| b.operations).map_or(0, |o| o.len());
        self.record(request.correlation_id, Received::Authorisations { count });
        Ok(out_v2_card::NotifyCardAuthorisationsResponse::NoContent)
    }

    async fn get_card_credentials(
        &self,
        request: out_v2_card::GetCardCredentialsRequest,
    ) -> Result<out_v2_card::GetCardCredentialsResponse, ApiError> {
        use out_v2_card::GetCardCredentialsResponse as R;
        self.check(&request.bearer_token)?;
        let card = request.card_id.as_str().to_string();
        self.record(request.correlation_id, Received::CredentialsRequested { card: card.clone() });
        let sealed = {
            let cards = lock(&self.inner.cards);
            let Some(data) = cards.get(&card) else { return Ok(R::NotFound) };
            let invalid = |e: d1_types::validation::ValidationError| ApiError::internal(e.to_string());
            let plaintext = card::CardCredentials::new(
                card::Pan::new(data.pan.as_str()).map_err(invalid)?,
                card::Exp::new(data.exp.as_str()).map_err(invalid)?,
                card::Cvv::new(data.cvv.as_str()).map_err(invalid)?,
            );
            Jwe::seal(&plaintext, &self.inner.d1_key).map_err(|e| ApiError::internal(e.to_string()))?
        };
        Ok(R::Ok(card::GetCardCredentialsResponse::new(sealed)))
    }
}

impl out_v1_digital_card::OutV1DigitalCardApi for ExampleIssuer {
    async fn notify_digital_card_operation(
        &self,
        request: out_v1_digital_card::NotifyDigitalCardOperationRequest,
    ) -> Result<out_v1_digital_card::NotifyDigitalCardOperationResponse, ApiError> {
        self.check(&request.bearer_token)?;
        let body = request.body.unwrap_or_default();
        let digital_card = request.digital_card_id.as_str().to_string();
        let received = Received::DigitalCardOperation { digital_card, operation: body.operation, status: body.status };
        self.record(request.correlation_id, received);
        Ok(out_v1_digital_card::NotifyDigitalCardOperationResponse::NoContent)
    }
}

impl out_v1_physical_issuance::OutV1PhysicalIssuanceApi for ExampleIssuer {
    async fn activate_card(
        &self,
        request: out_v1_physical_issuance::ActivateCardRequest,
    ) -> Result<out_v1_physical_issuance::ActivateCardResponse, ApiError> {
        self.check(&request.bearer_token)?;
        self.record(request.correlation_id, Received::Activated { card: request.card_id.as_str().to_string() });
        Ok(out_v1_physical_issuance::ActivateCardResponse::NoContent)
    }
}

impl out_v1_consumer::OutV1ConsumerApi for ExampleIssuer {
    async fn get_consumer_information(
        &self,
        request: out_v1_consumer::GetConsumerInformationRequest,
    ) -> Result<out_v1_consumer::GetConsumerInformationResponse, ApiError> {
        use out_v1_consumer::GetConsumerInformationResponse as R;
        self.check(&request.bearer_token)?;
        let consumer = request.consumer_id.as_str().to_string();
        let card = request.card_id.as_ref().map(|c| c.as_str().to_string());
        let correlation_id = request.correlation_id.map(|c| c.as_str().to_string());
        self.record(correlation_id, Received::ConsumerInformationRequested { consumer: consumer.clone(), card });
        Ok(match lock(&self.inner.consumers).get(&consumer) {
            Some(info) => R::Ok(info.clone()),
            None => R::NotFound,
        })
    }
}
