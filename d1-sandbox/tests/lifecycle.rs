//! The sandbox's state machine, call by call over raw HTTP on loopback (plain reqwest, so that
//! status codes, bodies and headers are checked as they are on the wire). The same journey
//! through the generated client is `tests/tests/sandbox_client.rs`.

mod common;

use common::{start, ISSUER, TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

fn ops(page: &Value) -> Vec<(String, String)> {
    page["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| (o["operationId"].as_str().unwrap().to_string(), o["operation"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn cards_move_through_their_states() {
    let s = start(Default::default()).await;
    let card = format!("/banking/v1/issuers/{ISSUER}/cards/c1");

    // Unknown card: the documented 404 code.
    let (status, body) = s.json(Method::POST, &format!("{card}/operations:suspend"), None).await;
    assert_eq!((status, body["errorCode"].as_str()), (404, Some("UNKNOWN_CARD")));
    let (status, body) = s.json(Method::GET, &format!("{card}/operations"), None).await;
    assert_eq!((status, body["errorCode"].as_str()), (404, Some("UNKNOWN_CARD")));

    // A consumer, and a card ordered for it.
    let (status, _) = s
        .json(
            Method::PUT,
            &format!("/banking/v2/issuers/{ISSUER}/consumers/u1"),
            Some(json!({"firstName": "Ann", "language": "en-GB"})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, order) = s
        .json(
            Method::POST,
            &format!("/banking/v1/issuers/{ISSUER}/physicalCards/c1/operations:production"),
            Some(json!({"distributionChannel": "CENTRAL", "consumerId": "u1", "cardProductId": "P1"})),
        )
        .await;
    assert_eq!(status, 202);
    let produce_id = order["operationId"].as_str().expect("operationId").to_string();
    let (status, production) =
        s.json(Method::GET, &format!("/banking/v1/issuers/{ISSUER}/physicalCards/c1/productionStatus"), None).await;
    assert_eq!(status, 200);
    assert_eq!(production["operations"][0]["operationId"], produce_id.as_str());

    // ACTIVE → resume refused, suspend ok, suspend again refused, resume ok, resume again refused.
    let steps =
        [("resume", 403), ("suspend", 204), ("suspend", 403), ("resume", 204), ("resume", 403), ("suspend", 204)];
    for (i, (action, expected)) in steps.iter().enumerate() {
        let before = s.sandbox.snapshot();
        let (status, body) = s
            .json(
                Method::POST,
                &format!("{card}/operations:{action}"),
                Some(json!({"reason": "step {i}".replace("{i}", &i.to_string())})),
            )
            .await;
        assert_eq!(status, *expected, "step {i} {action}: {body}");
        if status == 403 {
            assert!(body["error"].is_string());
            assert_eq!(before, s.sandbox.snapshot(), "a refused {action} changed the state");
        }
    }

    // Operations newest first, paged.
    let (status, page) = s.json(Method::GET, &format!("{card}/operations?limit=2"), None).await;
    assert_eq!(status, 200);
    let first = ops(&page);
    assert_eq!(first.iter().map(|o| o.1.as_str()).collect::<Vec<_>>(), ["SUSPEND", "RESUME"]);
    assert_eq!(page["remainingOperations"], 2);
    let (_, page) = s.json(Method::GET, &format!("{card}/operations?offset=2&limit=10"), None).await;
    assert_eq!(ops(&page).iter().map(|o| o.1.as_str()).collect::<Vec<_>>(), ["SUSPEND", "PRODUCE"]);
    assert_eq!(page["remainingOperations"], 0);
    let (_, page) = s.json(Method::GET, &format!("{card}/operations"), None).await;
    assert_eq!(ops(&page).len(), 4, "default limit 10 covers all four");

    // One operation, and an unknown one.
    let (status, op) = s.json(Method::GET, &format!("{card}/operations/{}", first[0].0), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (op["operation"].as_str(), op["status"].as_str(), op["requestorType"].as_str()),
        (Some("SUSPEND"), Some("SUCCESSFUL"), Some("ISSUER"))
    );
    let (status, body) = s.json(Method::GET, &format!("{card}/operations/nope"), None).await;
    assert_eq!((status, body["errorCode"].as_str()), (404, Some("UNKNOWN_OPERATION")));

    // Renew into a new card for the same consumer.
    let (status, _) = s
        .json(Method::POST, &format!("{card}/operations:renew"), Some(json!({"newCardId": "c2", "state": "INACTIVE"})))
        .await;
    assert!((200..300).contains(&status));
    let (status, _) =
        s.json(Method::POST, &format!("/banking/v1/issuers/{ISSUER}/cards/c2/operations:suspend"), None).await;
    assert_eq!(status, 403, "an INACTIVE card cannot be suspended");
    let (status, _) =
        s.json(Method::POST, &format!("/banking/v1/issuers/{ISSUER}/cards/c2/operations:resume"), None).await;
    assert_eq!(status, 204, "resuming activates a never-activated card");

    // Delete is final.
    let (status, _) =
        s.json(Method::POST, &format!("{card}/operations:delete"), Some(json!({"reason": "closed"}))).await;
    assert_eq!(status, 204);
    for action in ["resume", "suspend", "delete", "renew"] {
        let (status, _) = s.json(Method::POST, &format!("{card}/operations:{action}"), None).await;
        assert_eq!(status, 403, "{action} on a deleted card");
    }
}

#[tokio::test]
async fn digital_cards_move_through_their_states() {
    let s = start(Default::default()).await;
    let d = format!("/banking/v1/issuers/{ISSUER}/digitalCards/d1");
    let (status, body) = s.json(Method::GET, &d, None).await;
    assert_eq!(status, 404, "{body}");
    s.seed_card("c1", "u1").await;
    s.seed_digital_card("d1", "c1", "4000001234567899").await;

    let (status, details) = s.json(Method::GET, &d, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (details["state"].as_str(), details["panSuffix"].as_str(), details["parentCardId"].as_str()),
        (Some("ACTIVE"), Some("7899"), Some("c1"))
    );

    for (action, expected, state) in [
        ("resume", 403, "ACTIVE"),
        ("suspend", 200, "SUSPENDED"),
        ("suspend", 403, "SUSPENDED"),
        ("resume", 200, "ACTIVE"),
        ("delete", 200, "DELETED"),
        ("resume", 403, "DELETED"),
        ("delete", 403, "DELETED"),
    ] {
        let (status, body) = s
            .json(Method::POST, &format!("{d}/operations:{action}"), Some(json!({"reasonCode": "USER_DECISION"})))
            .await;
        assert_eq!(status, expected, "{action}: {body}");
        if status == 200 {
            assert_eq!(body["status"], "SUCCESSFUL");
            assert!(body["operationId"].is_string());
        }
        let (_, details) = s.json(Method::GET, &d, None).await;
        assert_eq!(details["state"], state, "after {action}");
    }

    let (status, page) = s.json(Method::GET, &format!("{d}/operations?limit=2&offset=1"), None).await;
    assert_eq!(status, 200);
    assert_eq!(ops(&page).iter().map(|o| o.1.as_str()).collect::<Vec<_>>(), ["RESUME", "SUSPEND"]);
    assert_eq!(page["remainingOperations"], 0);
    let (_, all) = s.json(Method::GET, &format!("{d}/operations"), None).await;
    let newest = &ops(&all)[0];
    assert_eq!(newest.1, "DELETE");
    let (status, op) = s.json(Method::GET, &format!("{d}/operations/{}", newest.0), None).await;
    assert_eq!((status, op["reasonCode"].as_str()), (200, Some("USER_DECISION")));
    let (status, _) = s.json(Method::GET, &format!("{d}/operations/unknown-op"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn consumer_delete_cascades_and_is_final() {
    let s = start(Default::default()).await;
    let consumer = format!("/banking/v2/issuers/{ISSUER}/consumers/u1");
    let (status, _) =
        s.json(Method::POST, &format!("{consumer}/operations:update"), Some(json!({"lastName": "X"}))).await;
    assert_eq!(status, 404, "unknown consumer");
    assert_eq!(s.json(Method::PUT, &consumer, Some(json!({"firstName": "Ann"}))).await.0, 204);
    assert_eq!(s.json(Method::PUT, &consumer, None).await.0, 204, "registering again replaces");
    let (status, update) =
        s.json(Method::POST, &format!("{consumer}/operations:update"), Some(json!({"lastName": "Lee"}))).await;
    assert_eq!(status, 200);
    assert!(update["operationId"].is_string());
    s.seed_card("c1", "u1").await;
    s.seed_card("c2", "u1").await;
    s.seed_card("other", "u2").await;
    s.seed_digital_card("d1", "c1", "4000001111111111").await;
    s.seed_digital_card("d2", "c2", "4000002222222222").await;

    let (status, list) = s.json(Method::GET, &format!("{consumer}/cards"), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["cards"].as_array().map(Vec::len), Some(2));

    let (status, deleted) =
        s.json(Method::POST, &format!("{consumer}/operations:delete"), Some(json!({"reason": "closed"}))).await;
    assert_eq!(status, 200);
    assert!(deleted["operationId"].is_string());

    let snapshot = s.sandbox.snapshot();
    let issuer = &snapshot["issuers"][ISSUER];
    for card in ["c1", "c2"] {
        assert_eq!(issuer["cards"][card]["state"], "DELETED", "{card}");
    }
    assert_eq!(issuer["cards"]["other"]["state"], "ACTIVE");
    for d in ["d1", "d2"] {
        assert_eq!(issuer["digitalCards"][d]["state"], "DELETED", "{d}");
    }
    for (method, path) in [
        (Method::POST, format!("{consumer}/operations:update")),
        (Method::POST, format!("{consumer}/operations:delete")),
        (Method::GET, format!("{consumer}/cards")),
    ] {
        assert_eq!(s.json(method.clone(), &path, None).await.0, 404, "{method} {path} after delete");
    }
    assert_eq!(s.json(Method::PUT, &consumer, None).await.0, 403, "a deleted consumerId is not reused");
    let (status, _) =
        s.json(Method::POST, &format!("/banking/v1/issuers/{ISSUER}/digitalCards/d1/operations:resume"), None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn custom_methods_route_next_to_ordinary_paths() {
    let s = start(Default::default()).await;
    s.seed_card("c1", "u1").await;
    s.seed_digital_card("d1", "c1", "4000001111111111").await;
    let dc = format!("/banking/v1/issuers/{ISSUER}/digitalCards");
    // `digitalCards:search` next to `digitalCards/{id}`; `operations:suspend` next to
    // `operations` and `operations/{operationId}`.
    let (status, body) =
        s.json(Method::POST, &format!("{dc}:search"), Some(json!({"encryptedData": "a.b.c.d.e"}))).await;
    assert_eq!(status, 400, "search reached, its sealed body checked: {body}");
    assert_eq!(body["errors"][0]["field"], "/encryptedData");
    assert_eq!(s.json(Method::GET, &format!("{dc}/d1"), None).await.0, 200);
    assert_eq!(s.json(Method::POST, &format!("{dc}/d1/operations:suspend"), None).await.0, 200);
    assert_eq!(s.json(Method::GET, &format!("{dc}/d1/operations"), None).await.0, 200);
    let (status, _) = s.json(Method::GET, &format!("{dc}/d1/operations:suspend"), None).await;
    assert_eq!(status, 405, "the custom method is its own route, not an operationId");
    // An id that contains a colon is an id, and is rejected by its pattern, not routed.
    let (status, body) = s.json(Method::GET, &format!("{dc}/d1:search"), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "digitalCardId");
    let card = format!("/banking/v1/issuers/{ISSUER}/cards/c1");
    assert_eq!(s.json(Method::POST, &format!("{card}/operations:suspend"), None).await.0, 204);
    assert_eq!(s.json(Method::GET, &format!("{card}/operations"), None).await.0, 200);
    // Percent-encoding the colon does not name the custom method (':' is reserved, RFC 3986).
    assert_eq!(s.json(Method::POST, &format!("{card}/operations%3Aresume"), None).await.0, 404);
}

#[tokio::test]
async fn correlation_id_is_echoed_on_every_response() {
    let s = start(Default::default()).await;
    s.seed_card("c1", "u1").await;
    let card = format!("{}/banking/v1/issuers/{ISSUER}/cards/c1", s.base);
    let cases = [
        (reqwest::Method::POST, format!("{card}/operations:suspend"), true, 204),
        (reqwest::Method::POST, format!("{card}/operations:suspend"), true, 403),
        (reqwest::Method::POST, format!("{card}/operations:suspend"), false, 401),
        (reqwest::Method::GET, format!("{card}/operations?limit=x"), true, 400),
        (reqwest::Method::GET, format!("{card}/operations:suspend"), true, 405),
        (reqwest::Method::GET, format!("{}/banking/v1/nothing", s.base), true, 404),
    ];
    for (i, (method, url, auth, expected)) in cases.into_iter().enumerate() {
        let id = format!("corr-{i}");
        let mut request = s.client.request(method, &url).header("x-correlation-id", &id);
        if auth {
            request = request.header("authorization", TOKEN);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "{url}");
        assert_eq!(response.headers().get("x-correlation-id").map(|v| v.to_str().unwrap()), Some(id.as_str()), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_are_safe() {
    let s = start(Default::default()).await;
    for i in 0..8 {
        s.seed_card(&format!("c{i}"), "u1").await;
    }
    // 8 cards × 8 concurrent suspends: exactly one per card wins.
    let mut tasks = Vec::new();
    for i in 0..8 {
        for _ in 0..8 {
            let client = s.client.clone();
            let url = format!("{}/banking/v1/issuers/{ISSUER}/cards/c{i}/operations:suspend", s.base);
            tasks.push(tokio::spawn(async move {
                client.post(url).header("authorization", TOKEN).send().await.unwrap().status().as_u16()
            }));
        }
    }
    let mut counts = std::collections::BTreeMap::new();
    for t in tasks {
        *counts.entry(t.await.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(counts.get(&204), Some(&8), "{counts:?}");
    assert_eq!(counts.get(&403), Some(&56), "{counts:?}");
    let snapshot = s.sandbox.snapshot();
    for i in 0..8 {
        let card = &snapshot["issuers"][ISSUER]["cards"][format!("c{i}")];
        assert_eq!(card["state"], "SUSPENDED");
        assert_eq!(card["operations"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn strict_auth_accepts_only_issued_tokens() {
    let s = start(d1_sandbox::Options { strict_auth: true, ..Default::default() }).await;
    s.seed_card("c1", "u1").await;
    let url = format!("{}/banking/v1/issuers/{ISSUER}/cards/c1/operations", s.base);
    let status = s.client.get(&url).header("authorization", TOKEN).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 401);
    let token: Value = s
        .client
        .post(format!("{}/authz/v1/oauth2/token", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ.x.y")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let status = s.client.get(&url).header("authorization", bearer).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 200);
    // The token endpoint takes JSON too, and refuses a grant type the spec does not list.
    let status = s
        .client
        .post(format!("{}/authz/v1/oauth2/token", s.base))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials","assertion":"x"}"#)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 400);
}

#[tokio::test]
async fn sealed_search_and_credentials_round_trip() {
    use d1_types::in_v1_digital_card::{DigitalCardCredentials, DigitalPan, Pan};
    use d1_types::jwe::{Jwe, PrivateKey, PublicKey, SysRng};
    let s = start(Default::default()).await;
    s.seed_card("c1", "u1").await;
    s.seed_digital_card("d1", "c1", "4000001234567899").await;
    s.seed_digital_card("d2", "c1", "4000009999999999").await;

    // Search: seal the digital PAN with the sandbox's published D1 key.
    let jwk = s.client.get(format!("{}/sandbox/keys/d1", s.base)).send().await.unwrap().text().await.unwrap();
    let d1_key = PublicKey::from_jwk(&jwk).expect("a public JWK");
    let sealed: Jwe<DigitalPan, 8192> =
        Jwe::seal(&DigitalPan::new(Pan::new("4000001234567899").unwrap()), &d1_key).unwrap();
    let (status, result) = s
        .json(
            Method::POST,
            &format!("/banking/v1/issuers/{ISSUER}/digitalCards:search"),
            Some(json!({"encryptedData": sealed.as_compact()})),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    let found: Vec<&str> =
        result["digitalCards"].as_array().unwrap().iter().map(|d| d["digitalCardId"].as_str().unwrap()).collect();
    assert_eq!(found, ["d1"]);

    // Credentials: sealed with the issuer's key once it is registered.
    let credentials = format!("/banking/v1/issuers/{ISSUER}/digitalCards/d1/credentials");
    let (status, body) = s.json(Method::GET, &credentials, None).await;
    assert_eq!((status, body.get("credentials")), (200, None));
    let issuer_key = PrivateKey::generate(&mut SysRng).unwrap().with_kid("issuer-1");
    let status = s
        .client
        .put(format!("{}/sandbox/issuers/{ISSUER}/key", s.base))
        .body(issuer_key.public_key("issuer-1").to_jwk())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 204);
    let (status, body) = s.json(Method::GET, &credentials, None).await;
    assert_eq!(status, 200);
    let sealed: Jwe<DigitalCardCredentials, 8196> = body["credentials"].as_str().unwrap().parse().unwrap();
    let opened = sealed.open(&issuer_key).expect("opens with the issuer key");
    assert_eq!(opened.pan.as_str(), "4000001234567899");
}
