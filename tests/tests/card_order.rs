//! The card order of the README, as an integrator writes it: a card personalised by Thales,
//! its card data sealed for D1, sent through the generated client to the sandbox on loopback
//! (which opens the sealed data with its D1 key, and refuses the order when it cannot).
//!
//! `order_thales_card` is the whole of the integrator's code (the line count in the README is
//! its line count); the test around it starts the sandbox and checks what it recorded.

use d1_client::types::jwe::{PrivateKey, PublicKey, SysRng};
use d1_client::types::{common, in_v1_physical_issuance as pi};
use d1_client::{ApiId, Client, Environment, StaticToken};
use d1_sandbox::{Options, Sandbox};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

// ---- the integrator's code -----------------------------------------------------------------
async fn order_thales_card(client: &Client, d1_key: &PublicKey) -> Result<Option<common::OperationId>> {
    use d1_client::types::jwe::Jwe;
    let card_data = pi::CardData::new(pi::Pan::new("4111111111111111")?, pi::Exp::new("2906")?);
    let address = pi::Address::default().with_first_name("Ann").with_last_name("Lee").with_line1("1 Main St");
    let order = pi::CardRequestThales::new(
        pi::Services::new(pi::Issuance::Creation),
        Jwe::seal(&card_data, d1_key)?,
        pi::Shipment::new(address.with_zip_code("75002").with_city("Paris").with_country_code("FR")),
        pi::PaymentApplication::new(), // its members are agreed at onboarding
    )
    .with_consumer_id(common::ConsumerId::new("u1")?);
    let (issuer, card) = (common::IssuerId::new("ISSUER0001")?, common::CardId::new("crd_1")?);
    let call = client.in_v1_physical_issuance().card_order(&issuer, &card).body(pi::CardRequest::Thales(order));
    Ok(call.await?.into_body().operation_id)
}
// ---- end of the integrator's code ----------------------------------------------------------

async fn start() -> (Sandbox, Client) {
    let sandbox = Sandbox::new(Options::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}/banking/v1", listener.local_addr().expect("local address"));
    tokio::spawn(d1_sandbox::serve(sandbox.clone(), listener, std::future::pending()));
    let client = Client::builder(Environment::PRODUCTION)
        .base_url_for(ApiId::InV1PhysicalIssuance, base)
        .token_provider(StaticToken::new("any-token"))
        .build()
        .expect("client builds");
    (sandbox, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thales_card_order_reaches_d1_with_card_data_it_can_open() {
    let (sandbox, client) = start().await;
    let operation = order_thales_card(&client, &sandbox.d1_public_key()).await.expect("ordered");
    let card = &sandbox.snapshot()["issuers"]["ISSUER0001"]["cards"]["crd_1"];
    assert_eq!(card["consumerId"], "u1", "{card}");
    let recorded = card["operations"][0]["operationId"].as_str().expect("a PRODUCE operation");
    assert_eq!(operation.as_ref().map(|o| o.as_str()), Some(recorded));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_data_sealed_for_another_key_is_refused() {
    let (sandbox, client) = start().await;
    let other = PrivateKey::generate(&mut SysRng).expect("key").public_key("not-d1");
    let err = order_thales_card(&client, &other).await.expect_err("D1 cannot open it");
    assert!(err.to_string().contains("400"), "{err}");
    assert!(sandbox.snapshot()["issuers"]["ISSUER0001"]["cards"].get("crd_1").is_none(), "nothing recorded");
}

/// A value built with the constructor and setters serializes to exactly the JSON the spec
/// describes, and reads back equal.
#[test]
fn builder_made_values_round_trip_exactly() {
    let address = pi::Address::default().with_first_name("Ann").with_country_code("FR");
    let shipment = pi::Shipment::new(address).with_type(pi::Type::Bulk).with_group_id("container-001");
    let json = serde_json::to_value(&shipment).expect("serializes");
    let expected = serde_json::json!({
        "type": "BULK",
        "deliveryAddress": { "firstName": "Ann", "countryCode": "FR" },
        "groupId": "container-001",
    });
    assert_eq!(json, expected);
    assert_eq!(serde_json::from_value::<pi::Shipment>(json).expect("reads back"), shipment);
    let services = pi::Services::new(pi::Issuance::Renewal).with_pin_mailer(true);
    let text = serde_json::to_string(&services).expect("serializes");
    assert_eq!(text, r#"{"issuance":"RENEWAL","pinMailer":true}"#);
    assert_eq!(serde_json::from_str::<pi::Services>(&text).expect("reads back"), services);
}
