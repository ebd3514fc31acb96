//! The generated client against the D1 sandbox (built on the generated server traits), over
//! loopback: every inbound operation is called once or more through `d1-client`, and the
//! sandbox's state is checked after each call. The sandbox runs with `strict_auth`, so every
//! call also goes through the client's JWT-bearer token flow against the sandbox's token API.

use std::time::Duration;

use d1_client::oauth2::{JwtBearerConfig, SigningKey};
use d1_client::types::jwe::{Jwe, PrivateKey, SysRng};
use d1_client::types::{common, in_v1_card, in_v1_digital_card, in_v1_physical_issuance, in_v2_consumer};
use d1_client::{ApiId, Client, Environment, ErrorKind, RetryPolicy};
use d1_sandbox::state::Lifecycle;
use d1_sandbox::{Options, Sandbox};
use serde_json::{json, Value};

const ISSUER: &str = "ISSUER0001";

struct Running {
    sandbox: Sandbox,
    client: Client,
}

async fn start() -> Running {
    let sandbox = Sandbox::new(Options { strict_auth: true, ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(d1_sandbox::serve(sandbox.clone(), listener, std::future::pending()));
    let token = JwtBearerConfig::new(
        format!("{base}/authz/v1/oauth2/token"),
        ISSUER,
        "issuer-key-1",
        SigningKey::from_bytes(&[7u8; 32]).expect("a valid P-256 scalar"),
    );
    let client = Client::builder(Environment::PRODUCTION)
        .base_url_for(ApiId::InV1Card, format!("{base}/banking/v1"))
        .base_url_for(ApiId::InV1DigitalCard, format!("{base}/banking/v1"))
        .base_url_for(ApiId::InV1PhysicalIssuance, format!("{base}/banking/v1"))
        .base_url_for(ApiId::InV2Consumer, format!("{base}/banking/v2"))
        .base_url_for(ApiId::InV1Auth2, format!("{base}/authz/v1"))
        .jwt_bearer(token)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds");
    Running { sandbox, client }
}

impl Running {
    /// The state of one entity of the issuer (`cards`, `digitalCards`, `consumers`).
    fn entity(&self, kind: &str, id: &str) -> Value {
        self.sandbox.snapshot()["issuers"][ISSUER][kind][id].clone()
    }

    fn state_of(&self, kind: &str, id: &str) -> String {
        self.entity(kind, id)["state"].as_str().unwrap_or("<none>").to_string()
    }
}

fn issuer() -> common::IssuerId {
    common::IssuerId::new(ISSUER).expect("valid")
}

fn card_reason(reason: &str) -> in_v1_card::OperationRequest {
    serde_json::from_value(json!({ "reason": reason, "reasonCode": "ISSUER_DECISION" })).expect("valid")
}

fn digital_reason() -> in_v1_digital_card::OperationRequest {
    serde_json::from_value(json!({ "reasonCode": "USER_DECISION" })).expect("valid")
}

/// The status of a failed call, which must be an error answer (not a transport failure).
fn status_of<E: std::fmt::Debug>(e: &d1_client::Error<E>) -> u16 {
    e.status().unwrap_or_else(|| panic!("no answer: {e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_inbound_operation_through_the_generated_client() {
    let s = start().await;
    let c1 = common::CardId::new("c1").expect("valid");
    let card_api = s.client.in_v1_card();
    let v1_c1 = in_v1_card::CardId::new("c1").expect("valid");

    // OAuth2: the explicit token call (the client's provider also uses it for every call below).
    let body = d1_client::types::in_v1_auth2::Auth2Request::new(
        d1_client::types::in_v1_auth2::GrantType::UrnIetfParamsOauthGrantTypeJwtBearer,
        d1_client::types::in_v1_auth2::Assertion::new("an.assertion.jwt").expect("any string"),
    );
    let token = s.client.in_v1_auth2().get_token().body(body).await.expect("token issued").into_body();
    assert_eq!(token.token_type.as_deref(), Some("Bearer"));
    assert!(token.access_token.is_some_and(|t| t.expose().starts_with("sbx-")));

    // Unknown card: the documented 404 with its matchable error code, nothing recorded.
    let before = s.sandbox.snapshot();
    let err = card_api.suspend(&issuer(), &v1_c1).body(card_reason("lost")).await.expect_err("unknown card");
    match err.declared() {
        Some(d1_client::in_v1_card::SuspendError::NotFound(body)) => {
            assert_eq!(body.error_code, Some(in_v1_card::ErrorCode::UnknownCard))
        }
        other => panic!("expected the declared 404, got {other:?} ({err})"),
    }
    assert_eq!(s.sandbox.snapshot(), before, "a refused call changed the state");

    // Consumer: register, update.
    let consumer = common::ConsumerId::new("u1").expect("valid");
    let info: common::ConsumerInfo =
        serde_json::from_value(json!({ "firstName": "Ann", "language": "en-GB" })).expect("valid");
    let registered =
        s.client.in_v2_consumer().register_consumer(&issuer(), &consumer).body(info).await.expect("registered");
    assert_eq!(registered.status(), 204);
    assert_eq!(s.entity("consumers", "u1")["info"]["firstName"], "Ann", "{}", s.sandbox.snapshot());
    let update: in_v2_consumer::ConsumerUpdateInfo =
        serde_json::from_value(json!({ "lastName": "Lee" })).expect("valid");
    let updated = s
        .client
        .in_v2_consumer()
        .update_consumer_information(&issuer(), &consumer)
        .body(update)
        .await
        .expect("updated");
    assert!(updated.body().operation_id.is_some());
    assert_eq!(s.entity("consumers", "u1")["info"]["lastName"], "Lee");

    // Physical issuance: order card c1 for the consumer, then read its production status.
    let order = in_v1_physical_issuance::CardRequest::Central(
        in_v1_physical_issuance::CardRequestCentral::default().with_consumer_id(consumer.clone()),
    );
    let ordered = s.client.in_v1_physical_issuance().card_order(&issuer(), &c1).body(order).await.expect("ordered");
    assert_eq!(ordered.status(), 202);
    let produce_id = ordered.body().operation_id.clone().expect("operation id");
    assert_eq!(s.state_of("cards", "c1"), "ACTIVE");
    let production = s.client.in_v1_physical_issuance().get_card_order_status(&issuer(), &c1).await.expect("status");
    let operations = production.body().operations.as_ref().expect("operations");
    assert_eq!(operations[0].operation_id, produce_id);
    assert_eq!(operations[0].card_id, c1);

    // Card state machine: resume refused while ACTIVE, suspend, suspend refused, resume.
    let steps: [(&str, Option<u16>, &str); 4] = [
        ("resume", Some(403), "ACTIVE"),
        ("suspend", None, "SUSPENDED"),
        ("suspend", Some(403), "SUSPENDED"),
        ("resume", None, "ACTIVE"),
    ];
    for (action, refused, state) in steps {
        let before = s.sandbox.snapshot();
        let result = match action {
            "resume" => card_api
                .resume(&issuer(), &v1_c1)
                .body(card_reason(action))
                .await
                .map(|r| r.status())
                .map_err(|e| status_of(&e)),
            _ => card_api
                .suspend(&issuer(), &v1_c1)
                .body(card_reason(action))
                .await
                .map(|r| r.status())
                .map_err(|e| status_of(&e)),
        };
        match refused {
            Some(status) => {
                assert_eq!(result, Err(status), "{action} while {state}");
                assert_eq!(s.sandbox.snapshot(), before, "a refused {action} changed the state");
            }
            None => assert_eq!(result, Ok(204), "{action}"),
        }
        assert_eq!(s.state_of("cards", "c1"), state, "after {action}");
    }

    // Card operations, newest first, paged; one by id; an unknown one.
    let page = card_api.list_operations(&issuer(), &v1_c1).limit(2).await.expect("listed").into_body();
    let names: Vec<&str> =
        page["operations"].as_array().expect("operations").iter().filter_map(|o| o["operation"].as_str()).collect();
    assert_eq!(names, ["RESUME", "SUSPEND"]);
    assert_eq!(page["remainingOperations"], 1);
    let rest = card_api.list_operations(&issuer(), &v1_c1).offset(2).limit(10).await.expect("listed").into_body();
    assert_eq!(rest["operations"][0]["operation"], "PRODUCE");
    assert_eq!(rest["remainingOperations"], 0);
    let newest =
        in_v1_card::OperationId::new(page["operations"][0]["operationId"].as_str().expect("id")).expect("valid");
    let one = card_api.get_operation(&issuer(), &v1_c1, &newest).await.expect("found").into_body();
    assert_eq!((one.operation_id.as_str(), one.operation.as_str()), (newest.as_str(), "RESUME"));
    let unknown = in_v1_card::OperationId::new("nope").expect("valid");
    let err = card_api.get_operation(&issuer(), &v1_c1, &unknown).await.expect_err("unknown operation");
    match err.declared() {
        Some(d1_client::in_v1_card::GetOperationError::NotFound(body)) => {
            assert_eq!(body.error_code, Some(in_v1_card::ErrorCode::UnknownOperation))
        }
        other => panic!("expected the declared 404, got {other:?}"),
    }

    // Renew c1 into c2 (card data sealed for D1), then delete c2: deleted is final.
    let renew_data = in_v1_card::RenewCardData::new(
        in_v1_card::Pan::new("4111111111111111").expect("valid"),
        in_v1_card::Exp::new("1229").expect("valid"),
    );
    let mut renew: in_v1_card::RenewRequest =
        serde_json::from_value(json!({ "newCardId": "c2", "state": "ACTIVE" })).expect("valid");
    renew.encrypted_data = Some(Jwe::seal(&renew_data, &s.sandbox.d1_public_key()).expect("sealed"));
    let renewed = card_api.renew(&issuer(), &v1_c1).body(renew).await.expect("renewed");
    assert!((200..300).contains(&renewed.status()));
    assert_eq!(s.state_of("cards", "c2"), "ACTIVE");
    let c2 = in_v1_card::CardId::new("c2").expect("valid");
    card_api.delete(&issuer(), &c2).body(card_reason("closed")).await.expect("deleted");
    assert_eq!(s.state_of("cards", "c2"), "DELETED");
    let err = card_api.resume(&issuer(), &c2).body(card_reason("again")).await.expect_err("deleted is final");
    assert!(matches!(err.declared(), Some(d1_client::in_v1_card::ResumeError::Forbidden(_))), "{err:?}");

    // Digital card d1 on c1 (provisioned by a wallet, so created through the set-up API).
    s.sandbox.state().put_digital_card(
        ISSUER,
        "d1",
        Some("c1".into()),
        "4000001234567899".into(),
        Lifecycle::Active,
        None,
    );
    let dc_api = s.client.in_v1_digital_card();
    let d1 = common::DigitalCardId::new("d1").expect("valid");
    let details = dc_api.get_details(&issuer(), &d1).await.expect("details").into_body();
    assert_eq!(details.pan_suffix.as_str(), "7899");
    assert_eq!(details.parent_card_id.as_ref().map(|p| p.as_str()), Some("c1"));

    let suspended = dc_api.suspend(&issuer(), &d1).body(digital_reason()).await.expect("suspended").into_body();
    assert_eq!(suspended.status, "SUCCESSFUL");
    assert_eq!(s.state_of("digitalCards", "d1"), "SUSPENDED");
    let err = dc_api.suspend(&issuer(), &d1).body(digital_reason()).await.expect_err("already suspended");
    // The Digital Card spec declares no error status: the client reports it as undeclared.
    assert!(matches!(err.kind(), ErrorKind::UndeclaredStatus), "{err:?}");
    assert_eq!(status_of(&err), 403);
    let resume: in_v1_digital_card::ResumeRequest =
        serde_json::from_value(json!({ "reason": "found" })).expect("valid");
    dc_api.resume(&issuer(), &d1).body(resume).await.expect("resumed");
    assert_eq!(s.state_of("digitalCards", "d1"), "ACTIVE");

    let step_up: in_v1_digital_card::StepupAuthenticationResultRequest =
        serde_json::from_value(json!({ "authenticationId": 123456789012345u64 })).expect("valid");
    dc_api.step_up_auth_result(&issuer(), &d1).body(step_up).await.expect("step-up recorded");

    let all = dc_api.get_all_operations(&issuer(), &d1).await.expect("listed").into_body();
    let listed = all.operations.expect("operations");
    let names: Vec<&str> = listed.iter().map(|o| o.operation.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[1..], ["RESUME", "SUSPEND"], "newest first");
    let paged = dc_api
        .get_all_operations(&issuer(), &d1)
        .offset(in_v1_digital_card::Offset::new(1).expect("valid"))
        .limit(in_v1_digital_card::Limit::new(1).expect("valid"))
        .await
        .expect("paged")
        .into_body();
    assert_eq!(paged.operations.expect("operations")[0].operation, "RESUME");
    assert_eq!(paged.remaining_operations, Some(1));
    let one = dc_api.get_operation(&issuer(), &d1, &listed[2].operation_id).await.expect("found").into_body();
    assert_eq!(
        (one.operation.as_str(), one.reason_code.as_ref().map(|r| r.as_str())),
        ("SUSPEND", Some("USER_DECISION"))
    );

    // Search, sealed with the sandbox's D1 key; credentials, sealed with ours.
    let pan = in_v1_digital_card::DigitalPan::new(in_v1_digital_card::Pan::new("4000001234567899").expect("valid"));
    let search = in_v1_digital_card::SearchRequest::new(Jwe::seal(&pan, &s.sandbox.d1_public_key()).expect("sealed"));
    let found = dc_api.search(&issuer()).body(search).await.expect("searched").into_body();
    let ids: Vec<&str> =
        found["digitalCards"].as_array().expect("list").iter().filter_map(|d| d["digitalCardId"].as_str()).collect();
    assert_eq!(ids, ["d1"]);
    let ours = PrivateKey::generate(&mut SysRng).expect("key").with_kid("issuer-1");
    s.sandbox.set_issuer_key(ISSUER, ours.public_key("issuer-1"));
    let credentials = dc_api.get_credentials(&issuer(), &d1).await.expect("credentials").into_body();
    let opened = credentials.credentials.expect("sealed credentials").open(&ours).expect("opens with our key");
    assert_eq!(opened.pan.as_str(), "4000001234567899");

    // Consumer card list, then delete the consumer: it cascades to its cards and digital cards.
    let list = s.client.in_v2_consumer().get_card_list(&issuer(), &consumer).await.expect("card list").into_body();
    let mut cards: Vec<&str> =
        list["cards"].as_array().expect("cards").iter().filter_map(|c| c["cardId"].as_str()).collect();
    cards.sort_unstable();
    assert_eq!(cards, ["c1", "c2"]);
    let delete: in_v2_consumer::DeleteRequest =
        serde_json::from_value(json!({ "reason": "account closed" })).expect("valid");
    s.client.in_v2_consumer().delete(&issuer(), &consumer).body(delete).await.expect("consumer deleted");
    assert_eq!(s.state_of("cards", "c1"), "DELETED");
    assert_eq!(s.state_of("digitalCards", "d1"), "DELETED");
    let err = dc_api.delete(&issuer(), &d1).body(digital_reason()).await.expect_err("deleted is final");
    assert_eq!(status_of(&err), 403);
    let err = s.client.in_v2_consumer().get_card_list(&issuer(), &consumer).await.expect_err("consumer gone");
    assert_eq!(status_of(&err), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_ids_never_reach_the_sandbox() {
    let s = start().await;
    let before = s.sandbox.snapshot();
    // The client's inputs are the validated newtypes: these cannot even be built.
    assert!(common::CardId::new("bad id!").is_err());
    assert!(in_v1_card::CardId::new("").is_err());
    assert!(common::IssuerId::new("SHORT").is_err());
    // A valid call still works, and nothing was recorded by the attempts above.
    let err =
        s.client.in_v2_consumer().get_card_list(&issuer(), &common::ConsumerId::new("nobody").expect("valid")).await;
    assert_eq!(err.map(|r| r.status()).map_err(|e| status_of(&e)), Err(404));
    assert_eq!(s.sandbox.snapshot(), before);
}
