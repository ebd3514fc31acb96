//! The outbound APIs (D1 → issuer) end to end over loopback: an issuer's implementation of the
//! generated server traits, mounted with the generated routers, called through the generated
//! client as D1 would call it. Every outbound operation once, with what the implementation
//! received and what the client got back checked field by field.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use d1_client::types::jwe::{Jwe, PrivateKey, PublicKey, SysRng};
use d1_client::types::{common, out_v1_auth2 as t_auth, out_v1_digital_card as t_dc, out_v2_card as t_card};
use d1_client::{ApiId, Client, Environment, ErrorKind, RetryPolicy, StaticToken};
use d1_server::ApiError;
use d1_server::{out_v1_auth2, out_v1_consumer, out_v1_digital_card, out_v1_physical_issuance, out_v2_card};
use serde_json::json;

const ISSUER: &str = "ISSUER0001";
const PAN: &str = "4111111111111111";

/// The issuer's side: records what each call received.
#[derive(Clone)]
struct Issuer {
    seen: Arc<Mutex<Vec<String>>>,
    d1_key: PublicKey,
}

impl Issuer {
    fn record(&self, line: String) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
}

impl out_v1_auth2::OutV1Auth2Api for Issuer {
    async fn get_authorization_token(
        &self,
        request: out_v1_auth2::GetAuthorizationTokenRequest,
    ) -> Result<out_v1_auth2::GetAuthorizationTokenResponse, ApiError> {
        let grant = request.body.map(|b| b.grant_type.as_str().to_string());
        self.record(format!("token {} {grant:?}", request.authorization));
        let body: t_auth::Auth2Response = serde_json::from_value(
            json!({"access_token": "issuer-token", "token_type": "Bearer", "expires_in": "3600"}),
        )
        .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(out_v1_auth2::GetAuthorizationTokenResponse::Ok(body))
    }
}

impl out_v1_consumer::OutV1ConsumerApi for Issuer {
    async fn get_consumer_information(
        &self,
        request: out_v1_consumer::GetConsumerInformationRequest,
    ) -> Result<out_v1_consumer::GetConsumerInformationResponse, ApiError> {
        self.record(format!(
            "consumer {} {} card={:?} corr={:?} token={}",
            request.issuer_id,
            request.consumer_id.as_str(),
            request.card_id.as_ref().map(|c| c.as_str()),
            request.correlation_id.as_ref().map(|c| c.as_str()),
            request.bearer_token.as_str(),
        ));
        if request.consumer_id.as_str() == "unknown" {
            return Ok(out_v1_consumer::GetConsumerInformationResponse::NotFound);
        }
        let info: common::ConsumerInfo = serde_json::from_value(json!({"firstName": "Ann", "language": "en-GB"}))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(out_v1_consumer::GetConsumerInformationResponse::Ok(info))
    }
}

impl out_v1_digital_card::OutV1DigitalCardApi for Issuer {
    async fn notify_digital_card_operation(
        &self,
        request: out_v1_digital_card::NotifyDigitalCardOperationRequest,
    ) -> Result<out_v1_digital_card::NotifyDigitalCardOperationResponse, ApiError> {
        let body = request.body.expect("a notification body");
        self.record(format!(
            "digital {} {} {:?} {:?}",
            request.issuer_id,
            request.digital_card_id.as_str(),
            body.operation,
            body.status
        ));
        Ok(out_v1_digital_card::NotifyDigitalCardOperationResponse::NoContent)
    }
}

impl out_v1_physical_issuance::OutV1PhysicalIssuanceApi for Issuer {
    async fn activate_card(
        &self,
        request: out_v1_physical_issuance::ActivateCardRequest,
    ) -> Result<out_v1_physical_issuance::ActivateCardResponse, ApiError> {
        self.record(format!("activate {} {}", request.issuer_id, request.card_id.as_str()));
        Ok(out_v1_physical_issuance::ActivateCardResponse::NoContent)
    }
}

impl out_v2_card::OutV2CardApi for Issuer {
    async fn notify_card_authorisations(
        &self,
        request: out_v2_card::NotifyCardAuthorisationsRequest,
    ) -> Result<out_v2_card::NotifyCardAuthorisationsResponse, ApiError> {
        let count = request.body.and_then(|b| b.operations).map_or(0, |o| o.len());
        self.record(format!("authorisations {} {count}", request.issuer_id));
        Ok(out_v2_card::NotifyCardAuthorisationsResponse::NoContent)
    }

    async fn notify_card_operations(
        &self,
        request: out_v2_card::NotifyCardOperationsRequest,
    ) -> Result<out_v2_card::NotifyCardOperationsResponse, ApiError> {
        let operations = request.body.and_then(|b| b.operations).unwrap_or_default();
        let described: Vec<String> = operations
            .iter()
            .map(|o| format!("{}:{}:{}", o.operation.as_str(), o.status.as_str(), o.card_id.as_str()))
            .collect();
        self.record(format!("card-operations {} {}", request.issuer_id, described.join(",")));
        Ok(out_v2_card::NotifyCardOperationsResponse::NoContent)
    }

    async fn get_card_credentials(
        &self,
        request: out_v2_card::GetCardCredentialsRequest,
    ) -> Result<out_v2_card::GetCardCredentialsResponse, ApiError> {
        self.record(format!("credentials {} {}", request.issuer_id, request.card_id.as_str()));
        let credentials = d1_client::types::jwe::Plaintext::from_json(
            format!(r#"{{"pan":"{PAN}","exp":"1128","cvv":"123"}}"#).as_bytes(),
        )
        .map_err(|e| ApiError::internal(e.to_string()))?;
        let sealed = Jwe::seal(&credentials, &self.d1_key).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(out_v2_card::GetCardCredentialsResponse::Ok(t_card::GetCardCredentialsResponse::new(sealed)))
    }
}

fn issuer_id() -> common::IssuerId {
    common::IssuerId::new(ISSUER).expect("valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_outbound_operation_round_trips() {
    let d1_private = PrivateKey::generate(&mut SysRng).expect("key").with_kid("d1-key");
    let issuer = Issuer { seen: Arc::default(), d1_key: d1_private.public_key("d1-key") };
    let config = d1_server::Config::default();
    let app = d1_server::finish(
        d1_server::axum::Router::new()
            .merge(out_v1_auth2::routes(issuer.clone(), config.clone()))
            .merge(out_v1_consumer::routes(issuer.clone(), config.clone()))
            .merge(out_v1_digital_card::routes(issuer.clone(), config.clone()))
            .merge(out_v1_physical_issuance::routes(issuer.clone(), config.clone()))
            .merge(out_v2_card::routes(issuer.clone(), config)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { d1_server::axum::serve(listener, app).await });

    let mut builder = Client::builder(Environment::DEFAULT)
        .token_provider(StaticToken::new("d1-calls-the-issuer"))
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(10));
    for api in [
        ApiId::OutV1Auth2,
        ApiId::OutV1Consumer,
        ApiId::OutV1DigitalCard,
        ApiId::OutV1PhysicalIssuance,
        ApiId::OutV2Card,
    ] {
        builder = builder.base_url_for(api, base.clone());
    }
    let d1 = builder.build().expect("client builds");
    let card = common::CardId::new("card_1").expect("valid");

    // OAuth2 client credentials, D1 asking the issuer for a token.
    let body = t_auth::Auth2Request::new(t_auth::GrantType::ClientCredentials);
    let token = d1.out_v1_auth2().get_authorization_token("Basic ZDE6c2VjcmV0").body(body).await.expect("token");
    assert_eq!(token.body().access_token.expose(), "issuer-token");
    assert_eq!(token.body().token_type, t_auth::TokenType::Bearer);

    // Consumer information: found, then the declared 404.
    let consumer = common::ConsumerId::new("u1").expect("valid");
    let info = d1
        .out_v1_consumer()
        .get_consumer_information(&issuer_id(), &consumer)
        .card_id(card.clone())
        .correlation_id("corr-42".parse().expect("valid"))
        .await
        .expect("consumer info");
    assert_eq!(info.correlation_id(), "corr-42");
    assert_eq!(serde_json::to_value(info.body()).expect("JSON")["firstName"], "Ann");
    let unknown = common::ConsumerId::new("unknown").expect("valid");
    let err = d1.out_v1_consumer().get_consumer_information(&issuer_id(), &unknown).await.expect_err("404");
    assert!(matches!(err.kind(), ErrorKind::Declared(_)), "{err:?}");
    assert_eq!(err.status(), Some(404));

    // Notifications.
    let dc = common::DigitalCardId::new("dc_1").expect("valid");
    let notification: t_dc::NotifyDigitalCardOperationRequest =
        serde_json::from_value(json!({"operationId": "op_1", "operation": "SUSPEND", "status": "SUCCESSFUL"}))
            .expect("valid");
    let sent = d1.out_v1_digital_card().notify_digital_card_operation(&issuer_id(), &dc).body(notification).await;
    assert_eq!(sent.expect("notified").status(), 204);

    let operations: t_card::NotifyCardOperationsRequest = serde_json::from_value(json!({"operations": [{
        "operationId": "op_2", "operation": "ACTIVATE", "status": "SUCCESSFUL",
        "startTime": "2026-11-30T10:00:00Z", "cardId": "card_1"
    }]}))
    .expect("valid");
    let sent = d1.out_v2_card().notify_card_operations(&issuer_id()).body(operations).await;
    assert_eq!(sent.expect("notified").status(), 204);
    let authorisation = |id: &str| {
        json!({"operationId": id, "operation": "PURCHASE", "status": "APPROVED",
               "startTime": "2026-11-30T10:01:00Z", "cardId": "card_1"})
    };
    let authorisations: t_card::NotifyCardAuthorisationsRequest =
        serde_json::from_value(json!({"operations": [authorisation("auth_1"), authorisation("auth_2")]}))
            .expect("valid");
    let sent = d1.out_v2_card().notify_card_authorisations(&issuer_id()).body(authorisations).await;
    assert_eq!(sent.expect("notified").status(), 204);

    // Card activation, and card credentials sealed for D1: only D1's key opens them.
    let activated = d1.out_v1_physical_issuance().activate_card(&issuer_id(), &card).await.expect("activated");
    assert_eq!(activated.status(), 204);
    let credentials =
        d1.out_v2_card().get_card_credentials(&issuer_id(), &card).await.expect("credentials").into_body();
    let opened = credentials.encrypted_data.open(&d1_private).expect("D1 opens the credentials");
    assert_eq!(opened.pan.as_str(), PAN);
    assert_eq!(opened.cvv.as_str(), "123");

    let seen = issuer.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(
        seen,
        [
            "token Basic ZDE6c2VjcmV0 Some(\"client_credentials\")".to_string(),
            "consumer ISSUER0001 u1 card=Some(\"card_1\") corr=Some(\"corr-42\") token=d1-calls-the-issuer".to_string(),
            // Without the caller's id, a fresh random one is sent, and the error reports it.
            format!(
                "consumer ISSUER0001 unknown card=None corr=Some({:?}) token=d1-calls-the-issuer",
                err.correlation_id()
            ),
            "digital ISSUER0001 dc_1 Some(\"SUSPEND\") Some(\"SUCCESSFUL\")".to_string(),
            "card-operations ISSUER0001 ACTIVATE:SUCCESSFUL:card_1".to_string(),
            "authorisations ISSUER0001 2".to_string(),
            "activate ISSUER0001 card_1".to_string(),
            "credentials ISSUER0001 card_1".to_string(),
        ]
    );
}
