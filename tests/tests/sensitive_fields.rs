//! Declared-sensitive fields (`x-d1-redact` in specs/overlays) never print: for every struct of
//! d1-types with a sensitive member, a value carrying a marker in each such member is built from
//! JSON, and the marker must not appear in `Debug` (`{:?}`, `{:#?}`), in the members' `Display`,
//! nor in a `tracing` field — while serde still carries it (the wire form is unchanged).
//!
//! The table below is checked against the generator's IR by
//! d1-codegen/tests/sensitive.rs: a struct with a sensitive member missing here (or a sensitive
//! member without the marker) fails that test. Keep one `Type => json` line per entry.

use d1_tests::redaction::{assert_no_secret, traced};
use d1_types::jwe::{Jwe, PrivateKey, SysRng};
use d1_types::{common, in_v1_auth2, in_v1_physical_issuance, out_v1_auth2};

const MARKER: &str = "S3CR3T-MARKER-7f1c";

macro_rules! cases {
    ($($ty:path => $json:literal,)*) => {
        /// (type name, `{:?}`, `{:#?}`, tracing output, JSON back out) for every entry.
        fn printed() -> Vec<(&'static str, String, String, String, String)> {
            vec![$({
                let json = $json.replace("MARKER", MARKER);
                let value: $ty = serde_json::from_str(&json).expect(stringify!($ty));
                let traced = traced(|| tracing::info!(value = ?value, "sensitive"));
                let back = serde_json::to_string(&value).expect("serializes");
                (stringify!($ty), format!("{value:?}"), format!("{value:#?}"), traced, back)
            },)*]
        }
    };
}

cases! {
    in_v1_auth2::Auth2Request => r#"{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","assertion":"MARKER"}"#,
    in_v1_auth2::GetTokenResponse => r#"{"access_token":"MARKER","token_type":"Bearer"}"#,
    in_v1_physical_issuance::TrackData => r#"{"track1":"MARKER","track2":"MARKER","track3":"MARKER"}"#,
    out_v1_auth2::Auth2Response => r#"{"access_token":"MARKER","token_type":"Bearer"}"#,
}

#[test]
fn no_sensitive_value_prints_through_debug_or_tracing() {
    for (ty, debug, pretty, traced, back) in printed() {
        assert!(!debug.contains(MARKER), "{ty}: `{{:?}}` shows a sensitive value: {debug}");
        assert!(!pretty.contains(MARKER), "{ty}: `{{:#?}}` shows a sensitive value: {pretty}");
        assert!(traced.contains("sensitive"), "{ty}: nothing traced");
        assert!(!traced.contains(MARKER), "{ty}: a tracing field shows a sensitive value: {traced}");
        assert!(debug.contains("<redacted>"), "{ty}: the sensitive member is not shown as redacted: {debug}");
        // The wire form is unchanged: the value is still there when serialized.
        assert!(back.contains(MARKER), "{ty}: the value was lost on the way through serde: {back}");
    }
}

#[test]
fn sensitive_members_display_redacted_and_round_trip_exactly() {
    let json = r#"{"track1":"B4111111111111111^DOE/JANE^2912","track2":"4111111111111111=2912"}"#;
    let track: in_v1_physical_issuance::TrackData = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&track).unwrap(), json);
    let track1 = track.track1.as_ref().unwrap();
    assert_eq!(track1.to_string(), "<redacted>");
    assert_eq!(track1.expose(), "B4111111111111111^DOE/JANE^2912");
    let token = common::AccessToken::new(MARKER).unwrap();
    assert!(!format!("{token} {token:?} {token:#?}").contains(MARKER));
    let assertion = in_v1_auth2::Assertion::new(MARKER).unwrap();
    assert!(!format!("{assertion} {assertion:?}").contains(MARKER));
    assert!(!traced(|| tracing::info!(a = %assertion, t = %token, "display")).contains(MARKER));
}

/// The generated types: a plaintext with a PAN and a CVV, the PAN newtype alone, and a request
/// that carries a sealed field, through `Debug`, `Display` and `tracing` fields.
#[test]
fn generated_types_never_show_pan_or_cvv() {
    use d1_types::jwe::Plaintext;
    use d1_types::{in_v1_card, out_v2_card};
    const PAN: &str = "4111111111111111";
    const CVV: &str = "4321";
    let credentials = out_v2_card::CardCredentials::from_json(
        format!(r#"{{"pan":"{PAN}","exp":"1128","name":"JANE DOE","cvv":"{CVV}"}}"#).as_bytes(),
    )
    .unwrap();
    let pan = in_v1_card::Pan::new(PAN).unwrap();
    let key = PrivateKey::generate(&mut SysRng).unwrap();
    let renew_data =
        in_v1_card::RenewCardData::from_json(format!(r#"{{"pan":"{PAN}","exp":"1229"}}"#).as_bytes()).unwrap();
    let mut request: in_v1_card::RenewRequest = serde_json::from_str(r#"{"newCardId":"c2"}"#).unwrap();
    request.encrypted_data = Some(Jwe::seal(&renew_data, &key.public_key("k1")).unwrap());
    let cvv_quoted = format!("\"{CVV}\"");
    let secrets = [PAN, &PAN[..12], &cvv_quoted];

    for (what, shown) in [
        ("CardCredentials Debug", format!("{credentials:?}")),
        ("CardCredentials pretty Debug", format!("{credentials:#?}")),
        ("RenewCardData Debug", format!("{renew_data:?}")),
        ("Pan Debug", format!("{pan:?}")),
        ("Pan Display", format!("{pan}")),
        ("RenewRequest Debug", format!("{request:?}")),
    ] {
        assert_no_secret(what, &shown, &secrets);
    }
    assert!(format!("{pan:?}").contains("1111"), "the last four digits stay visible: {pan:?}");

    let log = traced(|| {
        tracing::info!(credentials = ?credentials, pan = %pan, pan_debug = ?pan, request = ?request, "generated");
    });
    assert!(log.contains("generated") && log.contains("CardCredentials"), "{log}");
    assert_no_secret("tracing output", &log, &secrets);
}
