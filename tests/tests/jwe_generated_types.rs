//! Every sealed field the generator emits for the D1 specs, against Python `jwcrypto`: what we
//! seal with the generated `Jwe<T>` jwcrypto opens to the same JSON, and what jwcrypto seals
//! opens into the generated plaintext type — whose `Debug` never shows the PAN.

use std::fmt::Debug;
use std::str::FromStr;

use d1_tests::jose::{Peer, TempDir};
use d1_types::jwe::{Jwe, Plaintext, PrivateKey, PublicKey};
use d1_types::{in_v1_card, in_v1_digital_card, in_v1_physical_issuance, out_v2_card};
use serde_json::{json, Value};

const KID: &str = "d1-generated-types-key";

fn as_value(json: &[u8]) -> Value {
    serde_json::from_slice(json).expect("plaintext JSON")
}

/// Seal `plaintext` (given as JSON, validated by `T`) both ways through jwcrypto.
fn both_ways<T: Plaintext + Debug, const N: usize>(peer: &Peer, dir: &TempDir, plaintext: Value, pan: &str) {
    let bytes = serde_json::to_vec(&plaintext).expect("JSON");
    let value = T::from_json(&bytes).unwrap_or_else(|e| panic!("{}: sample rejected: {e}", T::TYPE_NAME));
    assert_eq!(as_value(&value.to_json()), plaintext, "{}: to_json keeps every member", T::TYPE_NAME);

    // Ours → jwcrypto.
    let public = PublicKey::from_jwk(&dir.read("public.jwk")).expect("public JWK");
    let sealed = Jwe::<T, N>::seal(&value, &public).expect("seal");
    let results =
        peer.run(&[json!({"op": "decrypt", "key_file": dir.file("private.jwk"), "jwe": sealed.as_compact()})]);
    assert_eq!(results[0]["ok"], true, "{}: jwcrypto could not open ours: {}", T::TYPE_NAME, results[0]);
    let opened: Value = serde_json::from_str(results[0]["plaintext"].as_str().expect("plaintext")).expect("JSON");
    assert_eq!(opened, plaintext, "{}: jwcrypto read other JSON", T::TYPE_NAME);

    // jwcrypto → ours, through the wire form the D1 messages carry.
    let results =
        peer.run(&[json!({"op": "encrypt", "public_jwk_file": dir.file("public.jwk"), "plaintext": plaintext.to_string(), "kid": KID})]);
    assert_eq!(results[0]["ok"], true, "{}: jwcrypto could not seal: {}", T::TYPE_NAME, results[0]);
    let compact = results[0]["jwe"].as_str().expect("compact JWE");
    let theirs: Jwe<T, N> = serde_json::from_value(json!(compact)).expect("a well-formed compact JWE");
    assert_eq!(theirs, Jwe::<T, N>::from_str(compact).expect("parses"));
    let private = PrivateKey::from_jwk(&dir.read("private.jwk")).expect("private JWK");
    let opened = theirs.open(&private).unwrap_or_else(|e| panic!("{}: cannot open jwcrypto's: {e}", T::TYPE_NAME));
    assert_eq!(as_value(&opened.to_json()), plaintext, "{}: we read other JSON", T::TYPE_NAME);

    for shown in [format!("{opened:?}"), format!("{theirs:?}"), format!("{sealed:?}")] {
        assert!(!shown.contains(pan), "{}: Debug shows the PAN: {shown}", T::TYPE_NAME);
    }
}

#[test]
fn every_generated_sealed_type_interoperates_with_jwcrypto() {
    let peer = Peer::new();
    let dir = TempDir::new("generated-types");
    peer.ok(json!({"op": "genkey", "dir": dir.path(), "kid": KID, "crv": "P-256", "kty": "EC"}));

    // Luhn-valid test PANs.
    let visa = "4111111111111111";
    let amex = "378282246310005";
    both_ways::<in_v1_card::RenewCardData, 8192>(
        &peer,
        &dir,
        json!({"pan": amex, "exp": "1229", "psn": "01", "auxiliaryPan": visa, "auxiliaryExp": "0630"}),
        amex,
    );
    both_ways::<in_v1_digital_card::DigitalPan, 8192>(
        &peer,
        &dir,
        json!({"pan": "5412345678901232"}),
        "5412345678901232",
    );
    both_ways::<in_v1_digital_card::DigitalCardCredentials, 8196>(
        &peer,
        &dir,
        json!({"pan": "4895370012003478", "exp": "0531"}),
        "4895370012003478",
    );
    both_ways::<in_v1_physical_issuance::CardData, 8192>(
        &peer,
        &dir,
        json!({"pan": visa, "exp": "2906", "encodedName": "ADA LOVELACE", "panSequenceNumber": "00", "cvv1": "123"}),
        visa,
    );
    both_ways::<out_v2_card::CardCredentials, 8192>(
        &peer,
        &dir,
        json!({"pan": visa, "exp": "1128", "name": "Zoë Ünïcode", "cvv": "4321"}),
        visa,
    );
}

#[test]
fn generated_plaintext_types_refuse_invalid_card_data() {
    for (json, what) in [
        (json!({"pan": "4111111111111112", "exp": "1229"}), "a PAN failing the Luhn check"),
        (json!({"pan": "411111111", "exp": "1229"}), "a 9-digit PAN"),
        (json!({"pan": "4111111111111111", "exp": "1329"}), "month 13 in MMYY"),
        (json!({"pan": "4111111111111111"}), "a missing exp"),
        // A member the schema does not have is skipped, not refused (jwe_plaintext_decoding.rs).
    ] {
        let bytes = serde_json::to_vec(&json).expect("JSON");
        let err = in_v1_card::RenewCardData::from_json(&bytes).expect_err(what);
        assert!(!err.to_string().contains("411111111"), "{what}: the error shows the PAN: {err}");
    }
}
