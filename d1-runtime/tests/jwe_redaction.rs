//! Redaction: `Debug`, `Display` and `tracing` fields of sealed values, keys and errors never
//! show a PAN or key bytes.

use std::str::FromStr;

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/redaction.rs"]
mod redaction;

use base64ct::{Base64UrlUnpadded, Encoding};
use d1_runtime::jwe::{Jwe, JweError, KeyError, PrivateKey, SysRng};
use fixtures::CardData;
use redaction::{assert_no_secret, printed_forms, traced};

const PAN: &str = "4111111111111111";
const BAD_PAN: &str = "4111111111111112";
// A published test key (RFC 7518 Appendix C, "Bob").
const D: &str = "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw";
const X: &str = "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ";
const Y: &str = "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck";

fn jwk(d: &str, x: &str, y: &str) -> String {
    format!(r#"{{"kty":"EC","crv":"P-256","kid":"k1","d":"{d}","x":"{x}","y":"{y}"}}"#)
}

/// Everything secret in this file, in every printed form.
fn secrets(key: &PrivateKey) -> Vec<String> {
    let mut s = vec![PAN.to_owned(), BAD_PAN.to_owned(), PAN[4..].to_owned()];
    s.extend(printed_forms(&Base64UrlUnpadded::decode_vec(D).unwrap()));
    // The base64 body of the PEM encoding of the key.
    let pem = key.to_pkcs8_pem().unwrap();
    s.extend(pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_owned));
    s
}

fn check(what: &str, shown: &str, secrets: &[String]) {
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(what, shown, &refs);
}

/// Values of every kind this module prints, with the errors reachable with secrets around.
struct Scene {
    key: PrivateKey,
    sealed: Jwe<CardData>,
    card: CardData,
    errors: Vec<JweError>,
}

fn scene() -> Scene {
    let key = PrivateKey::from_jwk(&jwk(D, X, Y)).unwrap();
    let card = CardData::new(PAN, "1229", Some("JANE DOE")).unwrap();
    let sealed = Jwe::<CardData>::seal(&card, &key.public_key("k1")).unwrap();
    let mut errors = vec![
        // Wrong key and wrong kid.
        sealed.open(&PrivateKey::generate(&mut SysRng).unwrap()).unwrap_err(),
        sealed.open(&PrivateKey::generate(&mut SysRng).unwrap().with_kid("k2")).unwrap_err(),
    ];
    // A plaintext that fails validation (Luhn), sealed through the peer-independent path.
    let bad = format!(r#"{{"pan":"{BAD_PAN}","exp":"1229"}}"#);
    struct Raw(String);
    impl d1_runtime::jwe::Plaintext for Raw {
        const TYPE_NAME: &'static str = "Raw";
        fn to_json(&self) -> zeroize::Zeroizing<Vec<u8>> {
            zeroize::Zeroizing::new(self.0.clone().into_bytes())
        }
        fn from_json(j: &[u8]) -> Result<Self, d1_runtime::jwe::PlaintextError> {
            Ok(Self(String::from_utf8_lossy(j).into_owned()))
        }
    }
    let bad_sealed = Jwe::<Raw>::seal(&Raw(bad), &key.public_key("k1")).unwrap();
    errors.push(Jwe::<CardData>::from_str(bad_sealed.as_compact()).unwrap().open(&key).unwrap_err());
    assert!(matches!(errors.last(), Some(JweError::InvalidPlaintext(_))));
    // Key-loading errors with the secret in the input.
    let other = PrivateKey::generate(&mut SysRng).unwrap().public_key("o").to_jwk();
    let other: serde_json::Value = serde_json::from_str(&other).unwrap();
    let key_errors: Vec<KeyError> = vec![
        PrivateKey::from_jwk(&jwk(D, other["x"].as_str().unwrap(), other["y"].as_str().unwrap())).unwrap_err(),
        PrivateKey::from_jwk(&jwk(&D[..40], X, Y)).unwrap_err(),
        PrivateKey::from_jwk(&jwk(&format!("{D}!"), X, Y)).unwrap_err(),
        PrivateKey::from_jwk(&jwk(D, X, Y).replace("P-256", "P-384")).unwrap_err(),
        PrivateKey::from_jwk(&jwk(D, X, Y).replace(r#""y""#, r#""y":1,"z""#)).unwrap_err(),
        PrivateKey::from_jwk(&format!("{}, trailing", jwk(D, X, Y))).unwrap_err(),
        PrivateKey::from_jwk(&format!(r#"{{"d":"{D}","d":"{D}"}}"#)).unwrap_err(),
        PrivateKey::from_pem(&key.to_pkcs8_pem().unwrap().replace("M", "N")).unwrap_err(),
        PrivateKey::from_pem(&key.to_pkcs8_pem().unwrap().replace("-----END", "")).unwrap_err(),
    ];
    errors.extend(key_errors.into_iter().map(JweError::from));
    Scene { key, sealed, card, errors }
}

#[test]
fn debug_and_display_never_show_pan_or_key_bytes() {
    let s = scene();
    let secrets = secrets(&s.key);

    let sealed_debug = format!("{:?}", s.sealed);
    assert_eq!(sealed_debug, format!("Jwe<CardData>{{kid: \"k1\", {} bytes}}", s.sealed.as_compact().len()));
    check("Jwe Debug", &sealed_debug, &secrets);
    check("Jwe Display", &format!("{}", s.sealed), &secrets);
    check("Jwe pretty Debug", &format!("{:#?}", s.sealed), &secrets);
    check("Jwe wire form", s.sealed.as_compact(), &secrets);

    let key_debug = format!("{:?}", s.key);
    assert!(key_debug.contains("redacted"), "{key_debug}");
    check("PrivateKey Debug", &key_debug, &secrets);
    check("PrivateKey pretty Debug", &format!("{:#?}", s.key), &secrets);
    check("PublicKey Debug", &format!("{:?}", s.key.public_key("k1")), &secrets);

    let card_debug = format!("{:?}", s.card);
    assert!(card_debug.contains("****1111"), "{card_debug}");
    check("CardData Debug", &card_debug, &[PAN.to_owned(), PAN[..12].to_owned()]);

    assert!(s.errors.len() >= 12);
    for e in &s.errors {
        check("JweError Display", &e.to_string(), &secrets);
        check("JweError Debug", &format!("{e:?}"), &secrets);
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            check("error source", &inner.to_string(), &secrets);
            source = inner.source();
        }
    }
}

#[test]
fn tracing_fields_never_show_pan_or_key_bytes() {
    let s = scene();
    let secrets = secrets(&s.key);
    let log = traced(|| {
        let span = tracing::info_span!("card_order", encrypted_data = ?s.sealed, key = ?s.key);
        let _guard = span.enter();
        tracing::info!(jwe = ?s.sealed, jwe_display = %s.sealed, card = ?s.card, "sealed");
        tracing::debug!(key = ?s.key, public = ?s.key.public_key("k1"), "key loaded");
        for e in &s.errors {
            tracing::warn!(error = %e, error_debug = ?e, "failed");
        }
    });
    assert!(log.contains("Jwe<CardData>") && log.contains("****1111") && log.contains("failed"), "{log}");
    check("tracing output", &log, &secrets);
}
