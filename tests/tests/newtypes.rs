//! The validated newtypes, enums and unions generated from the D1 specs: valid values pass,
//! invalid ones are rejected by every way in (constructor, `FromStr`, `TryFrom`, serde), at
//! the exact boundaries, with errors that name the type and the constraint.

use d1_types::common::{CardId, IssuerId};
use d1_types::in_v1_card;
use d1_types::in_v1_card::Pan;
use d1_types::in_v1_digital_card::{AuthenticationId, Limit, Offset, OperationRequest, ReasonCode};
use d1_types::in_v1_physical_issuance::CardRequest;
use d1_types::validation::Violation;

#[test]
fn anchored_id_accepts_exactly_its_pattern_and_lengths() {
    for ok in ["a", "crd_h2otddwm5uwujlye3qyxmjkpha", "A-_9", &"x".repeat(48)] {
        let id = CardId::new(ok).unwrap_or_else(|e| panic!("{ok:?} should be valid: {e}"));
        assert_eq!(id.as_str(), ok);
    }
    let too_long = "x".repeat(49);
    let e = CardId::new(too_long.as_str()).expect_err("49 chars");
    assert_eq!(e.type_name(), "CardId");
    assert_eq!(e.violation(), &Violation::TooLong { max: 48, actual: 49 });
    let e = CardId::new("").expect_err("empty");
    assert_eq!(e.violation(), &Violation::TooShort { min: 1, actual: 0 });
    for bad in ["bad id!", "a.b", "é", "a\n", " a"] {
        let e = CardId::new(bad).expect_err(bad);
        assert!(matches!(e.violation(), Violation::PatternMismatch { .. }), "{bad:?}: {e}");
        assert_eq!(e.value(), Some(bad), "the offending value is reported");
        assert!(e.to_string().contains("CardId") && e.to_string().contains("pattern"), "{e}");
    }
}

#[test]
fn every_way_in_validates() {
    assert!("bad id!".parse::<CardId>().is_err());
    assert!(CardId::try_from("bad id!".to_string()).is_err());
    assert!(CardId::try_from("bad id!").is_err());
    assert!(serde_json::from_str::<CardId>("\"bad id!\"").is_err());
    let id: CardId = serde_json::from_str("\"card-1\"").expect("valid");
    assert_eq!(serde_json::to_string(&id).expect("serialize"), "\"card-1\"");
    assert_eq!(id.to_string(), "card-1");
    assert_eq!(String::from(id), "card-1");
}

#[test]
fn unanchored_v1_pattern_is_kept_as_published() {
    // D1's v1 pattern `[A-Za-z0-9_-]{1,48}` has no anchors: any value containing one allowed
    // character matches (ECMA-262 semantics), so this is accepted — as D1 publishes it.
    assert!(in_v1_card::CardId::new("bad id!").is_ok());
    assert!(in_v1_card::CardId::new("!!!").is_err());
    assert!(in_v1_card::CardId::new("x".repeat(49)).is_err(), "maxLength still applies");
}

#[test]
fn exact_length_without_pattern() {
    assert!(IssuerId::new("ISSUER0001").is_ok());
    assert!(IssuerId::new("ISSUER001").is_err());
    assert!(IssuerId::new("ISSUER00001").is_err());
    // Lengths are Unicode code points, as JSON Schema counts them.
    assert!(IssuerId::new("ééééééééé€").is_ok());
}

#[test]
fn integer_ranges_at_their_boundaries() {
    assert!(Limit::new(0).is_err());
    assert_eq!(Limit::new(1).expect("min").get(), 1);
    assert_eq!(Limit::new(50).expect("max").get(), 50);
    let e = Limit::new(51).expect_err("above");
    assert!(matches!(e.violation(), Violation::AboveMaximum { maximum, exclusive: false } if *maximum == 50.0));
    assert!(Offset::new(100).is_ok() && Offset::new(101).is_err());
    assert!(AuthenticationId::new(999_999_999_999_999).is_ok());
    assert!(AuthenticationId::new(1_000_000_000_000_000).is_err());
    assert!("7".parse::<Limit>().is_ok());
    let e = "seven".parse::<Limit>().expect_err("not a number");
    assert_eq!(e.violation(), &Violation::Malformed { expected: "an integer" });
    assert!(serde_json::from_str::<Limit>("51").is_err());
    assert!(serde_json::from_str::<Limit>("\"5\"").is_err(), "a string is not an integer");
}

#[test]
fn card_numbers_are_checked_and_never_shown() {
    let pan = Pan::new("4111111111111111").expect("a Luhn-valid test PAN");
    assert_eq!(format!("{pan:?}"), "Pan(\"****1111\")");
    assert_eq!(pan.to_string(), "****1111");
    let e = Pan::new("4111111111111112").expect_err("Luhn");
    assert_eq!(e.violation(), &Violation::LuhnCheck);
    assert_eq!(e.value(), None, "card data never appears in errors");
    assert!(!e.to_string().contains("4111111111111112"));
    assert!(Pan::new("411111111").is_err(), "9 digits");
    assert!(Pan::new("41111111111111111111").is_err(), "20 digits");
}

#[test]
fn enums_keep_values_d1_adds_later() {
    let known: ReasonCode = serde_json::from_str("\"USER_DECISION\"").expect("known");
    assert_eq!(known, ReasonCode::UserDecision);
    assert!(known.is_known());
    let later: ReasonCode = serde_json::from_str("\"SOMETHING_NEW\"").expect("unknown is kept");
    assert!(!later.is_known());
    assert_eq!(later.as_str(), "SOMETHING_NEW");
    assert_eq!(serde_json::to_string(&later).expect("round trip"), "\"SOMETHING_NEW\"");
    // Parsing a known value always gives the named variant.
    assert_eq!("ISSUER_DECISION".parse::<ReasonCode>(), Ok(ReasonCode::IssuerDecision));
    assert!(matches!(in_v1_card::ErrorCode::from("UNKNOWN_CARD"), in_v1_card::ErrorCode::UnknownCard));
}

#[test]
fn request_bodies_reject_unknown_fields_where_d1_says_so() {
    let body: OperationRequest =
        serde_json::from_str(r#"{"reason":"customer called","reasonCode":"DEVICE_LOST"}"#).expect("valid");
    assert_eq!(body.reason_code, Some(ReasonCode::DeviceLost));
    assert!(serde_json::from_str::<OperationRequest>(r#"{"surprise":1}"#).is_err(), "additionalProperties: false");
    assert!(serde_json::from_str::<OperationRequest>(r#"{"reason":"no! symbols"}"#).is_err(), "nested newtype");
    assert_eq!(OperationRequest::default(), serde_json::from_str("{}").expect("all optional"));
}

#[test]
fn card_order_is_tagged_by_distribution_channel() {
    let json = serde_json::json!({
        "distributionChannel": "INSTANT",
        "persoStation": "KIOSK-PS-101",
    });
    match serde_json::from_value::<CardRequest>(json.clone()) {
        Ok(CardRequest::Instant(_)) => {}
        other => panic!("expected the INSTANT variant, got {other:?}"),
    }
    let unknown = serde_json::json!({"distributionChannel": "DRONE"});
    assert!(serde_json::from_value::<CardRequest>(unknown).is_err(), "unmapped tag");
}
