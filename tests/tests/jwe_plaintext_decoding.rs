//! Decoding a sealed payload's JSON: members D1 adds later are skipped (as in every other D1
//! object), and errors name the member without quoting card data.

use d1_types::in_v1_card::RenewCardData;
use d1_types::jwe::Plaintext;

const PAN: &str = "4111111111111111";

#[test]
fn unknown_members_are_skipped() {
    let json = format!(r#"{{"pan":"{PAN}","exp":"1229","addedByD1Later":{{"nested":[1,2]}}}}"#);
    let card = RenewCardData::from_json(json.as_bytes()).expect("an added member does not break opening");
    assert_eq!(card.exp.as_str(), "1229");
}

#[test]
fn errors_name_the_member_and_never_the_value() {
    let missing = RenewCardData::from_json(br#"{"exp":"1229"}"#).expect_err("pan is required");
    assert!(missing.reason.contains("missing field `pan`"), "{missing}");

    let json = format!(r#"{{"pan":{PAN},"exp":"1229"}}"#);
    let wrong_type = RenewCardData::from_json(json.as_bytes()).expect_err("pan must be a string");
    assert!(wrong_type.reason.contains("member `pan`"), "{wrong_type}");
    assert!(!wrong_type.to_string().contains(PAN) && !format!("{wrong_type:?}").contains(PAN), "{wrong_type}");

    let invalid =
        RenewCardData::from_json(format!(r#"{{"pan":"{PAN}x","exp":"1229"}}"#).as_bytes()).expect_err("bad pan");
    assert!(!invalid.to_string().contains(PAN), "{invalid}");
}
