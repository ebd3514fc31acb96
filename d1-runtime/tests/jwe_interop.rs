//! Interoperability of `d1_runtime::jwe` with an implementation nobody here wrote:
//! Python `jwcrypto` (install: `pip install 'jwcrypto>=1.5.6'`, tested with 1.5.6 and 1.6.1; the tests
//! fail, never skip, without it), plus the published RFC 7518 Appendix C key-agreement vector.

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/jose.rs"]
mod jose;

use fixtures::{test_pan, CardData};
use jose::{Peer, TempDir};
use std::str::FromStr;

use d1_runtime::jwe::{Jwe, JweError, Plaintext, PrivateKey, PublicKey, SysRng};
use serde_json::{json, Value};

const KID: &str = "d1-issuer-key-1";

/// Plaintexts covering the PAN lengths D1 allows and awkward JSON in the optional name.
fn cards() -> Vec<CardData> {
    let long_name: String = "É".repeat(128);
    vec![
        CardData::new("4111111111111111", "1229", None).unwrap(),
        CardData::new(&test_pan("5", 10), "0130", None).unwrap(),
        CardData::new(&test_pan("6", 19), "0731", Some("JOHN Q. PUBLIC")).unwrap(),
        CardData::new(&test_pan("37", 15), "1127", Some("Zoë \"Quote\" \\ Back/slash \u{1F4B3}")).unwrap(),
        CardData::new(&test_pan("4", 16), "0228", Some(&long_name)).unwrap(),
    ]
}

fn same(a: &CardData, b: &CardData) -> bool {
    a.pan() == b.pan() && a.exp() == b.exp() && a.name() == b.name()
}

/// Generates a key pair in jwcrypto and writes its files into `dir`.
fn peer_key(peer: &Peer, dir: &TempDir, kid: &str, crv: &str, kty: &str) {
    peer.ok(json!({"op": "genkey", "dir": dir.path(), "kid": kid, "crv": crv, "kty": kty}));
}

#[test]
fn what_we_seal_jwcrypto_opens() {
    let peer = Peer::new();
    let dir = TempDir::new("seal");
    peer_key(&peer, &dir, KID, "P-256", "EC");

    let from_jwk = PublicKey::from_jwk(&dir.read("public.jwk")).expect("jwcrypto's public JWK loads");
    let from_pem = PublicKey::from_pem(&dir.read("public.pem"), KID).expect("jwcrypto's public PEM loads");
    assert_eq!(from_jwk, from_pem);
    assert_eq!(from_jwk.kid(), KID);

    let cards = cards();
    let mut ops = Vec::new();
    let mut expected = Vec::new();
    for (i, card) in cards.iter().enumerate() {
        let sealed: Jwe<CardData> = Jwe::seal(card, &from_jwk).expect("seal");
        assert_eq!(sealed.kid(), Some(KID));
        // Alternate the key format jwcrypto decrypts with.
        let key_file = if i % 2 == 0 { "private_pkcs8.pem" } else { "private.jwk" };
        ops.push(json!({"op": "decrypt", "key_file": dir.file(key_file), "jwe": sealed.as_compact()}));
        expected.push(String::from_utf8(card.to_json().to_vec()).unwrap());
    }
    let results = peer.run(&ops);
    assert_eq!(results.len(), cards.len());
    for (r, want) in results.iter().zip(&expected) {
        assert_eq!(r["ok"], true, "jwcrypto could not decrypt what we sealed: {r}");
        assert_eq!(r["plaintext"].as_str(), Some(want.as_str()), "same JSON bytes");
        let h = &r["header"];
        assert_eq!(h["alg"], "ECDH-ES");
        assert_eq!(h["enc"], "A256GCM");
        assert_eq!(h["kid"], KID);
        assert_eq!(h["epk"]["kty"], "EC");
        assert_eq!(h["epk"]["crv"], "P-256");
        assert!(h.get("zip").is_none() && h.get("crit").is_none());
    }
}

#[test]
fn what_jwcrypto_seals_we_open_with_every_key_format() {
    let peer = Peer::new();
    let dir = TempDir::new("open");
    peer_key(&peer, &dir, KID, "P-256", "EC");

    // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
    let params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
    let keys = [
        ("PKCS#8 PEM", PrivateKey::from_pem(&dir.read("private_pkcs8.pem")).unwrap()),
        ("SEC1 PEM", PrivateKey::from_pem(&dir.read("private_sec1.pem")).unwrap().with_kid(KID)),
        (
            "SEC1 PEM after EC PARAMETERS",
            PrivateKey::from_pem(&format!("{params}{}", dir.read("private_sec1.pem"))).unwrap(),
        ),
        ("JWK", PrivateKey::from_jwk(&dir.read("private.jwk")).unwrap()),
    ];
    assert_eq!(keys[3].1.kid(), Some(KID), "the JWK's kid is kept");

    let cards = cards();
    let ops: Vec<Value> = cards
        .iter()
        .map(|c| {
            json!({"op": "encrypt", "public_jwk_file": dir.file("public.jwk"),
                   "plaintext": String::from_utf8(c.to_json().to_vec()).unwrap(), "kid": KID})
        })
        .collect();
    let results = peer.run(&ops);
    for (card, r) in cards.iter().zip(&results) {
        assert_eq!(r["ok"], true, "jwcrypto failed to encrypt: {r}");
        let compact = r["jwe"].as_str().unwrap();
        let jwe = Jwe::<CardData>::from_str(compact).expect("jwcrypto's JWE parses");
        assert_eq!(jwe.kid(), Some(KID));
        // Through serde, as it arrives in a D1 message.
        let msg = serde_json::to_string(&json!({ "encryptedData": compact })).unwrap();
        let from_msg: Value = serde_json::from_str(&msg).unwrap();
        let jwe2: Jwe<CardData> = serde_json::from_value(from_msg["encryptedData"].clone()).unwrap();
        assert_eq!(jwe, jwe2);
        for (format, key) in &keys {
            let opened = jwe.open(key).unwrap_or_else(|e| panic!("open with {format}: {e}"));
            assert!(same(&opened, card), "{format}: plaintext differs");
        }
    }
}

#[test]
fn jwcrypto_party_info_apu_apv_is_honoured() {
    let peer = Peer::new();
    let dir = TempDir::new("apu");
    peer_key(&peer, &dir, KID, "P-256", "EC");
    let key = PrivateKey::from_jwk(&dir.read("private.jwk")).unwrap();
    let card = &cards()[2];
    let plaintext = String::from_utf8(card.to_json().to_vec()).unwrap();
    let results = peer.run(&[
        json!({"op": "encrypt", "public_jwk_file": dir.file("public.jwk"), "plaintext": plaintext,
               "kid": KID, "apu": "QWxpY2U", "apv": "Qm9i"}),
        json!({"op": "encrypt", "public_jwk_file": dir.file("public.jwk"), "plaintext": plaintext,
               "apv": "RDEtc2VydmVy"}),
    ]);
    for r in &results {
        assert_eq!(r["ok"], true, "{r}");
        let jwe = Jwe::<CardData>::from_str(r["jwe"].as_str().unwrap()).unwrap();
        assert!(same(&jwe.open(&key).expect("open with apu/apv"), card));
    }
    // Without `kid` in the header, a key with a kid still opens it (nothing to compare).
    let no_kid = Jwe::<CardData>::from_str(results[1]["jwe"].as_str().unwrap()).unwrap();
    assert_eq!(no_kid.kid(), None);
}

#[test]
fn keys_we_generate_and_export_work_in_jwcrypto() {
    let peer = Peer::new();
    let dir = TempDir::new("ours");
    let ours = PrivateKey::generate(&mut SysRng).unwrap().with_kid("ours-1");
    let public = ours.public_key("ours-1");
    dir.write("public.jwk", &public.to_jwk());
    dir.write("private.pem", &ours.to_pkcs8_pem().unwrap());
    assert_eq!(PublicKey::from_pem(&public.to_pem().unwrap(), "ours-1").unwrap(), public);
    assert_eq!(PublicKey::from_jwk(&public.to_jwk()).unwrap(), public);

    let card = &cards()[3];
    let sealed: Jwe<CardData> = Jwe::seal(card, &public).unwrap();
    let results = peer.run(&[
        json!({"op": "encrypt", "public_jwk_file": dir.file("public.jwk"),
               "plaintext": String::from_utf8(card.to_json().to_vec()).unwrap(), "kid": "ours-1"}),
        json!({"op": "decrypt", "key_file": dir.file("private.pem"), "jwe": sealed.as_compact()}),
    ]);
    assert_eq!(results[0]["ok"], true, "jwcrypto rejects our exported JWK: {}", results[0]);
    let theirs = Jwe::<CardData>::from_str(results[0]["jwe"].as_str().unwrap()).unwrap();
    assert!(same(&theirs.open(&ours).unwrap(), card));
    assert_eq!(results[1]["ok"], true, "jwcrypto rejects our exported PEM: {}", results[1]);
    assert_eq!(results[1]["plaintext"].as_str().unwrap().as_bytes(), card.to_json().as_slice());
}

#[test]
fn jwcrypto_values_outside_the_allow_list_are_refused_precisely() {
    let peer = Peer::new();
    let p256 = TempDir::new("p256");
    let p384 = TempDir::new("p384");
    let rsa = TempDir::new("rsa");
    peer_key(&peer, &p256, KID, "P-256", "EC");
    peer_key(&peer, &p384, "p384", "P-384", "EC");
    peer_key(&peer, &rsa, "rsa", "", "RSA");
    let key = PrivateKey::from_jwk(&p256.read("private.jwk")).unwrap();
    let pt = String::from_utf8(cards()[0].to_json().to_vec()).unwrap();
    let enc = |dir: &TempDir, alg: &str, enc: &str, kid: &str| {
        json!({"op": "encrypt", "public_jwk_file": dir.file("public.jwk"), "plaintext": pt,
               "alg": alg, "enc": enc, "kid": kid})
    };
    let results = peer.run(&[
        enc(&p256, "ECDH-ES+A256KW", "A256GCM", KID),
        enc(&p256, "ECDH-ES", "A128GCM", KID),
        enc(&p256, "ECDH-ES", "A256CBC-HS512", KID),
        enc(&p384, "ECDH-ES", "A256GCM", "p384"),
        enc(&rsa, "RSA-OAEP-256", "A256GCM", "rsa"),
        enc(&p256, "ECDH-ES", "A256GCM", "someone-else"),
    ]);
    for r in &results {
        assert_eq!(r["ok"], true, "jwcrypto failed: {r}");
    }
    let parse = |i: usize| Jwe::<CardData>::from_str(results[i]["jwe"].as_str().unwrap());
    assert_eq!(parse(0).unwrap_err(), JweError::UnsupportedAlgorithm { alg: "ECDH-ES+A256KW".into() });
    assert_eq!(parse(1).unwrap_err(), JweError::UnsupportedEncryption { enc: "A128GCM".into() });
    assert_eq!(parse(2).unwrap_err(), JweError::UnsupportedEncryption { enc: "A256CBC-HS512".into() });
    assert_eq!(parse(3).unwrap_err(), JweError::WrongCurve { crv: "P-384".into() });
    assert_eq!(parse(4).unwrap_err(), JweError::UnsupportedAlgorithm { alg: "RSA-OAEP-256".into() });
    let other_kid = parse(5).unwrap();
    assert_eq!(
        other_kid.open(&key).unwrap_err(),
        JweError::KidMismatch { key: KID.into(), header: "someone-else".into() }
    );
    // Keys of the wrong kind are refused when loaded.
    assert!(matches!(PublicKey::from_jwk(&p384.read("public.jwk")), Err(d1_runtime::jwe::KeyError::WrongCurve { .. })));
    assert!(PrivateKey::from_pem(&p384.read("private_pkcs8.pem")).is_err());
    assert!(PrivateKey::from_pem(&rsa.read("private_pkcs8.pem")).is_err());
    assert!(PublicKey::from_pem(&rsa.read("public.pem"), "rsa").is_err());
}

// RFC 7518 Appendix C: "Example ECDH-ES Key Agreement Computation" (P-256, enc A128GCM,
// apu "Alice", apv "Bob", keydatalen 128).
const ALICE_EPHEMERAL: &str = r#"{"kty":"EC","crv":"P-256","kid":"alice",
    "x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
    "y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps",
    "d":"0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"}"#;
const BOB: &str = r#"{"kty":"EC","crv":"P-256","kid":"bob",
    "x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
    "y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",
    "d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"}"#;
const RFC_Z: [u8; 32] = [
    158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128, 106, 72,
    246, 218, 167, 121, 140, 254, 144, 196,
];
const RFC_DERIVED: [u8; 16] = [86, 170, 141, 234, 248, 35, 109, 32, 92, 34, 40, 205, 113, 167, 16, 26];

#[test]
fn rfc7518_appendix_c_concat_kdf() {
    use d1_runtime::jwe::__internal::concat_kdf;
    let key = concat_kdf(&RFC_Z, "A128GCM", b"Alice", b"Bob", 128);
    assert_eq!(key.as_slice(), RFC_DERIVED);
    // keydatalen is part of OtherInfo: a 256-bit key is not an extension of the 128-bit one.
    let long = concat_kdf(&RFC_Z, "A128GCM", b"Alice", b"Bob", 256);
    assert_eq!(long.len(), 32);
    assert_ne!(long.get(..16), Some(RFC_DERIVED.as_slice()));
}

#[test]
fn rfc7518_appendix_c_key_agreement_both_directions() {
    use d1_runtime::jwe::__internal::ecdh_es_agree;
    let alice = PrivateKey::from_jwk(ALICE_EPHEMERAL).expect("RFC Alice JWK (x/y match d)");
    let bob = PrivateKey::from_jwk(BOB).expect("RFC Bob JWK (x/y match d)");
    let alice_pub = PublicKey::from_jwk(ALICE_EPHEMERAL).unwrap();
    let bob_pub = PublicKey::from_jwk(BOB).unwrap();
    // Bob (recipient, static key) with Alice's ephemeral public key: the decrypt side.
    let at_bob = ecdh_es_agree(&bob, &alice_pub, "A128GCM", b"Alice", b"Bob", 128);
    // Alice (sender, ephemeral key) with Bob's public key: the encrypt side.
    let at_alice = ecdh_es_agree(&alice, &bob_pub, "A128GCM", b"Alice", b"Bob", 128);
    assert_eq!(at_bob.as_slice(), RFC_DERIVED);
    assert_eq!(at_alice.as_slice(), RFC_DERIVED);
    // Our profile (A256GCM, 256 bits) agrees in both directions too.
    let b = ecdh_es_agree(&bob, &alice_pub, "A256GCM", b"", b"", 256);
    let a = ecdh_es_agree(&alice, &bob_pub, "A256GCM", b"", b"", 256);
    assert_eq!(a.as_slice(), b.as_slice());
    assert_eq!(a.len(), 32);
}
