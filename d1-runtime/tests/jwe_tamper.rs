//! Tampering: every alteration of a sealed value is a specific `JweError`, never a panic,
//! never a plaintext (with a property test over random mutations).

#[path = "support/fixtures.rs"]
mod fixtures;

use fixtures::CardData;
use std::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use d1_runtime::jwe::{Jwe, JweError, JwePart, Malformation, Plaintext, PlaintextError, PrivateKey, PublicKey, SysRng};
use proptest::prelude::*;
use serde_json::{json, Value};
use zeroize::Zeroizing;

const KID: &str = "issuer-key-1";
const PAN: &str = "4111111111111111";

struct Fixture {
    key: PrivateKey,
    public: PublicKey,
    compact: String,
}

fn fixture() -> Fixture {
    let key = PrivateKey::generate(&mut SysRng).unwrap().with_kid(KID);
    let public = key.public_key(KID);
    let card = CardData::new(PAN, "1229", Some("JANE DOE")).unwrap();
    let compact = Jwe::<CardData>::seal(&card, &public).unwrap().into_compact();
    Fixture { key, public, compact }
}

/// Parse then open: the whole receive path.
fn receive(compact: &str, key: &PrivateKey) -> Result<CardData, JweError> {
    Jwe::<CardData>::from_str(compact)?.open(key)
}

fn parts(compact: &str) -> Vec<String> {
    compact.split('.').map(str::to_owned).collect()
}

fn b64d(s: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(s).unwrap()
}

fn b64e(b: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(b)
}

/// The compact form with its header JSON edited (re-encoded, other parts unchanged).
fn with_header(compact: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut p = parts(compact);
    let mut header: Value = serde_json::from_slice(&b64d(&p[0])).unwrap();
    edit(&mut header);
    p[0] = b64e(&serde_json::to_vec(&header).unwrap());
    p.join(".")
}

fn with_raw_header(compact: &str, header: &[u8]) -> String {
    let mut p = parts(compact);
    p[0] = b64e(header);
    p.join(".")
}

fn malformed(part: JwePart, problem: Malformation) -> JweError {
    JweError::Malformed { part, problem }
}

#[test]
fn the_fixture_opens_through_every_entry_point() {
    let f = fixture();
    assert_eq!(receive(&f.compact, &f.key).unwrap().pan(), PAN);
    let via_string = Jwe::<CardData>::try_from(f.compact.clone()).unwrap();
    let via_serde: Jwe<CardData> = serde_json::from_value(json!(f.compact)).unwrap();
    assert_eq!(via_string, via_serde);
    assert_eq!(via_serde.open(&f.key).unwrap().pan(), PAN);
    assert_eq!(serde_json::to_value(&via_serde).unwrap(), json!(f.compact));
    // A key without kid opens it too (nothing to compare).
    let no_kid = PrivateKey::from_pem(&f.key.to_pkcs8_pem().unwrap()).unwrap();
    assert_eq!(no_kid.kid(), None);
    assert_eq!(receive(&f.compact, &no_kid).unwrap().pan(), PAN);
    assert_eq!(f.public.kid(), KID);
}

#[test]
fn a_bit_flipped_in_each_part_is_an_error() {
    let f = fixture();
    let p = parts(&f.compact);

    // Part 1: every byte of the header JSON, one bit each (re-encoded so base64 stays valid).
    let header = b64d(&p[0]);
    for i in 0..header.len() {
        let mut h = header.clone();
        h[i] ^= 1 << (i % 8);
        let r = receive(&with_raw_header(&f.compact, &h), &f.key);
        assert!(r.is_err(), "header byte {i} flipped still opens");
    }
    // Part 2: the encrypted key must stay empty.
    let mut q = p.clone();
    q[1] = "AA".into();
    assert_eq!(receive(&q.join("."), &f.key).unwrap_err(), malformed(JwePart::EncryptedKey, Malformation::NotEmpty));
    // Parts 3, 4, 5: every bit of the IV, the ciphertext and the tag: the tag check fails.
    for idx in [2, 3, 4] {
        let bytes = b64d(&p[idx]);
        for bit in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            let mut q = p.clone();
            q[idx] = b64e(&b);
            assert_eq!(
                receive(&q.join("."), &f.key).unwrap_err(),
                JweError::DecryptionFailed,
                "part {} bit {bit}",
                idx + 1
            );
        }
    }
    // A flipped character (not a flipped byte) in each part: still an error.
    for idx in 0..5 {
        if p[idx].is_empty() {
            continue;
        }
        let mut q = p.clone();
        let mut chars: Vec<char> = q[idx].chars().collect();
        chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
        q[idx] = chars.into_iter().collect();
        assert!(receive(&q.join("."), &f.key).is_err(), "part {} char flipped", idx + 1);
    }
}

#[test]
fn swapped_headers_wrong_keys_and_kids() {
    let f = fixture();
    let card = CardData::new(PAN, "1229", None).unwrap();
    // Another JWE for the same recipient: its header (other epk) on our body fails the tag.
    let other = Jwe::<CardData>::seal(&card, &f.public).unwrap();
    let mut p = parts(&f.compact);
    p[0] = parts(other.as_compact())[0].clone();
    assert_eq!(receive(&p.join("."), &f.key).unwrap_err(), JweError::DecryptionFailed);
    // Body of one, IV of the other.
    let mut p = parts(&f.compact);
    p[2] = parts(other.as_compact())[2].clone();
    assert_eq!(receive(&p.join("."), &f.key).unwrap_err(), JweError::DecryptionFailed);

    // A header sealed for another kid: refused before any decryption when the key has a kid.
    let stranger_key = PrivateKey::generate(&mut SysRng).unwrap();
    let for_stranger = Jwe::<CardData>::seal(&card, &stranger_key.public_key("stranger")).unwrap();
    let mut p = parts(&f.compact);
    p[0] = parts(for_stranger.as_compact())[0].clone();
    assert_eq!(
        receive(&p.join("."), &f.key).unwrap_err(),
        JweError::KidMismatch { key: KID.into(), header: "stranger".into() }
    );

    // Wrong key: with a kid, the kid check; without, the tag check.
    assert_eq!(
        receive(&f.compact, &PrivateKey::generate(&mut SysRng).unwrap().with_kid("other")).unwrap_err(),
        JweError::KidMismatch { key: "other".into(), header: KID.into() }
    );
    assert_eq!(
        receive(&f.compact, &PrivateKey::generate(&mut SysRng).unwrap()).unwrap_err(),
        JweError::DecryptionFailed
    );
    // Right key, header kid edited: the kid check, or (same kid on key) the tag check.
    let edited = with_header(&f.compact, |h| h["kid"] = json!("issuer-key-2"));
    assert_eq!(
        receive(&edited, &f.key).unwrap_err(),
        JweError::KidMismatch { key: KID.into(), header: "issuer-key-2".into() }
    );
    let no_kid = PrivateKey::from_pem(&f.key.to_pkcs8_pem().unwrap()).unwrap();
    assert_eq!(receive(&edited, &no_kid).unwrap_err(), JweError::DecryptionFailed);
    let removed = with_header(&f.compact, |h| {
        h.as_object_mut().unwrap().remove("kid");
    });
    assert_eq!(receive(&removed, &f.key).unwrap_err(), JweError::DecryptionFailed);
}

#[test]
fn algorithm_confusion_is_refused() {
    let f = fixture();
    for alg in [
        "none",
        "None",
        "RSA-OAEP",
        "RSA-OAEP-256",
        "RSA1_5",
        "ECDH-ES+A256KW",
        "ECDH-ES+A128KW",
        "dir",
        "A256GCMKW",
        "ecdh-es",
        "ECDH-ES ",
        "",
    ] {
        let c = with_header(&f.compact, |h| h["alg"] = json!(alg));
        assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::UnsupportedAlgorithm { alg: alg.into() }, "alg {alg:?}");
    }
    // `none` with an empty tag and IV, as an attacker would send it.
    let h = b64e(br#"{"alg":"none","enc":"A256GCM"}"#);
    assert_eq!(
        receive(&format!("{h}....."), &f.key).unwrap_err(),
        malformed(JwePart::Compact, Malformation::PartCount { found: 6 })
    );
    assert_eq!(
        receive(&format!("{h}...."), &f.key).unwrap_err(),
        JweError::UnsupportedAlgorithm { alg: "none".into() }
    );
    for enc in ["A128GCM", "A192GCM", "A256CBC-HS512", "A128CBC-HS256", "a256gcm", "none"] {
        let c = with_header(&f.compact, |h| h["enc"] = json!(enc));
        assert_eq!(
            receive(&c, &f.key).unwrap_err(),
            JweError::UnsupportedEncryption { enc: enc.into() },
            "enc {enc:?}"
        );
    }
    let c = with_header(&f.compact, |h| h["alg"] = json!(1));
    assert_eq!(
        receive(&c, &f.key).unwrap_err(),
        malformed(JwePart::Header, Malformation::InvalidMember { member: "alg", expected: "a string" })
    );
    for member in ["alg", "enc", "epk"] {
        let c = with_header(&f.compact, |h| {
            h.as_object_mut().unwrap().remove(member);
        });
        assert_eq!(
            receive(&c, &f.key).unwrap_err(),
            malformed(JwePart::Header, Malformation::MissingMember { member }),
            "missing {member}"
        );
    }
    let c = with_header(&f.compact, |h| h["crit"] = json!(["exp"]));
    assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::UnsupportedHeader { member: "crit" });
    let c = with_header(&f.compact, |h| h["zip"] = json!("DEF"));
    assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::UnsupportedHeader { member: "zip" });
    // An unsupported alg value is echoed shortened.
    let c = with_header(&f.compact, |h| h["alg"] = json!("X".repeat(5000)));
    match receive(&c, &f.key).unwrap_err() {
        JweError::UnsupportedAlgorithm { alg } => {
            assert!(alg.len() < 50, "{} chars echoed", alg.len())
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn header_json_problems_are_malformed_header() {
    let f = fixture();
    let dup = br#"{"alg":"ECDH-ES","alg":"none","enc":"A256GCM"}"#;
    let r = receive(&with_raw_header(&f.compact, dup), &f.key).unwrap_err();
    assert!(
        matches!(r, JweError::Malformed { part: JwePart::Header, problem: Malformation::NotJson { .. } }),
        "duplicate member: {r:?}"
    );
    for (raw, want) in [
        (&b"[1,2]"[..], Malformation::NotAnObject),
        (b"\"ECDH-ES\"", Malformation::NotAnObject),
        (b"null", Malformation::NotAnObject),
    ] {
        assert_eq!(receive(&with_raw_header(&f.compact, raw), &f.key).unwrap_err(), malformed(JwePart::Header, want));
    }
    for raw in [&b"{"[..], b"{\"alg\":}", b"{\xff}", b"{\"alg\":\"ECDH-ES\"} trailing"] {
        let r = receive(&with_raw_header(&f.compact, raw), &f.key).unwrap_err();
        assert!(
            matches!(r, JweError::Malformed { part: JwePart::Header, problem: Malformation::NotJson { .. } }),
            "{raw:?}: {r:?}"
        );
    }
}

#[test]
fn ephemeral_keys_off_the_curve_or_on_another_curve_are_refused() {
    let f = fixture();
    let epk = |c: &str| -> Value {
        let h: Value = serde_json::from_slice(&b64d(&parts(c)[0])).unwrap();
        h["epk"].clone()
    };
    let good = epk(&f.compact);
    let x = b64d(good["x"].as_str().unwrap());
    let y = b64d(good["y"].as_str().unwrap());

    // Not on the curve: y + 1.
    let mut y1 = y.clone();
    let last = y1.len() - 1;
    y1[last] ^= 1;
    let c = with_header(&f.compact, |h| h["epk"]["y"] = json!(b64e(&y1)));
    assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::InvalidEphemeralKey);
    // Coordinates that are not field elements (>= p), and all zeros.
    let c = with_header(&f.compact, |h| {
        h["epk"]["x"] = json!(b64e(&[0xff; 32]));
        h["epk"]["y"] = json!(b64e(&[0xff; 32]));
    });
    assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::InvalidEphemeralKey);
    let c = with_header(&f.compact, |h| {
        h["epk"]["x"] = json!(b64e(&[0; 32]));
        h["epk"]["y"] = json!(b64e(&[0; 32]));
    });
    assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::InvalidEphemeralKey);
    // Another curve, with its own point sizes.
    for (crv, len) in [("P-384", 48), ("P-521", 66), ("secp256k1", 32), ("X25519", 32)] {
        let c = with_header(&f.compact, |h| {
            h["epk"]["crv"] = json!(crv);
            h["epk"]["x"] = json!(b64e(&vec![7; len]));
            h["epk"]["y"] = json!(b64e(&vec![7; len]));
        });
        assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::WrongCurve { crv: crv.into() });
    }
    // Shape problems.
    type Edit<'a> = Box<dyn Fn(&mut Value) + 'a>;
    let cases: Vec<(Edit, Malformation)> = vec![
        (
            Box::new(|h| h["epk"]["x"] = json!(b64e(&x[..31]))),
            Malformation::InvalidMember { member: "epk.x", expected: "32 bytes" },
        ),
        (
            Box::new(|h| h["epk"]["y"] = json!("not base64!")),
            Malformation::InvalidMember { member: "epk.y", expected: "base64url" },
        ),
        (
            Box::new(|h| h["epk"]["kty"] = json!("OKP")),
            Malformation::InvalidMember { member: "epk.kty", expected: "\"EC\"" },
        ),
        (
            Box::new(|h| {
                h["epk"].as_object_mut().unwrap().remove("crv");
            }),
            Malformation::MissingMember { member: "epk.crv" },
        ),
        (
            Box::new(|h| {
                h["epk"].as_object_mut().unwrap().remove("y");
            }),
            Malformation::MissingMember { member: "epk.y" },
        ),
        (
            Box::new(|h| h["epk"] = json!("a string")),
            Malformation::InvalidMember { member: "epk", expected: "a JWK object without duplicate members" },
        ),
        (
            Box::new(|h| h["apu"] = json!("QWxpY2U=")),
            Malformation::InvalidMember { member: "apu", expected: "base64url" },
        ),
    ];
    for (edit, want) in cases {
        let c = with_header(&f.compact, edit);
        assert_eq!(receive(&c, &f.key).unwrap_err(), malformed(JwePart::Header, want));
    }
    // Duplicate members inside `epk` (a parser differential waiting to happen) are refused.
    let header = String::from_utf8(b64d(&parts(&f.compact)[0])).unwrap();
    let dup = header.replacen(r#""x":"#, &format!(r#""x":"{}","x":"#, b64e(&[1; 32])), 1);
    assert_ne!(dup, header);
    assert_eq!(
        receive(&with_raw_header(&f.compact, dup.as_bytes()), &f.key).unwrap_err(),
        malformed(
            JwePart::Header,
            Malformation::InvalidMember { member: "epk", expected: "a JWK object without duplicate members" }
        )
    );
    // A valid point that is not the sender's: the tag check fails.
    let other = PrivateKey::generate(&mut SysRng).unwrap().public_key("x").to_jwk();
    let other: Value = serde_json::from_str(&other).unwrap();
    let c = with_header(&f.compact, |h| {
        h["epk"]["x"] = other["x"].clone();
        h["epk"]["y"] = other["y"].clone();
    });
    assert_eq!(receive(&c, &f.key).unwrap_err(), JweError::DecryptionFailed);
}

#[test]
fn truncation_extra_parts_and_bad_characters() {
    let f = fixture();
    let p = parts(&f.compact);
    // Every prefix of the compact form: an error, never a panic.
    for n in 0..f.compact.len() {
        assert!(receive(&f.compact[..n], &f.key).is_err(), "prefix of {n} bytes");
    }
    assert_eq!(receive("", &f.key).unwrap_err(), malformed(JwePart::Compact, Malformation::PartCount { found: 1 }));
    // Parts dropped or added.
    assert_eq!(
        receive(&p[..4].join("."), &f.key).unwrap_err(),
        malformed(JwePart::Compact, Malformation::PartCount { found: 4 })
    );
    assert_eq!(
        receive(&format!("{}.AAAA", f.compact), &f.key).unwrap_err(),
        malformed(JwePart::Compact, Malformation::PartCount { found: 6 })
    );
    assert_eq!(
        receive(&format!("{}.", f.compact), &f.key).unwrap_err(),
        malformed(JwePart::Compact, Malformation::PartCount { found: 6 })
    );
    // JWE JSON serialization is not the compact form.
    assert_eq!(
        receive(r#"{"protected":"e30","ciphertext":"AA"}"#, &f.key).unwrap_err(),
        malformed(JwePart::Compact, Malformation::PartCount { found: 1 })
    );
    // A part truncated by one character, and wrong lengths.
    let mut q = p.clone();
    q[2].pop();
    assert!(matches!(receive(&q.join("."), &f.key).unwrap_err(), JweError::Malformed { part: JwePart::Iv, .. }));
    let mut q = p.clone();
    q[2] = b64e(&[0; 16]);
    assert_eq!(
        receive(&q.join("."), &f.key).unwrap_err(),
        malformed(JwePart::Iv, Malformation::WrongLength { expected: 12, found: 16 })
    );
    let mut q = p.clone();
    q[4] = b64e(&[0; 12]);
    assert_eq!(
        receive(&q.join("."), &f.key).unwrap_err(),
        malformed(JwePart::Tag, Malformation::WrongLength { expected: 16, found: 12 })
    );
    let mut q = p.clone();
    q[4] = String::new();
    assert_eq!(
        receive(&q.join("."), &f.key).unwrap_err(),
        malformed(JwePart::Tag, Malformation::WrongLength { expected: 16, found: 0 })
    );
    let mut q = p.clone();
    q[0] = String::new();
    assert_eq!(receive(&q.join("."), &f.key).unwrap_err(), malformed(JwePart::Header, Malformation::Empty));
    // Characters outside unpadded base64url, in each part.
    let names = [JwePart::Header, JwePart::EncryptedKey, JwePart::Iv, JwePart::Ciphertext, JwePart::Tag];
    for bad in ["+", "/", "=", " ", "\n", "é", "\0", "%"] {
        for (idx, part) in names.iter().enumerate() {
            let mut q = p.clone();
            let mid = q[idx].len() / 2;
            q[idx].insert_str(mid, bad);
            assert_eq!(
                receive(&q.join("."), &f.key).unwrap_err(),
                malformed(*part, Malformation::NotBase64Url),
                "{bad:?} in part {}",
                idx + 1
            );
        }
    }
    // Padding is not accepted either.
    let mut q = p.clone();
    q[2].push_str("==");
    assert_eq!(receive(&q.join("."), &f.key).unwrap_err(), malformed(JwePart::Iv, Malformation::NotBase64Url));
}

#[test]
fn non_canonical_base64_is_refused() {
    // The last character of a 16-byte tag carries 4 unused bits; setting them must not decode
    // to the same bytes (that would make two wire forms of one JWE).
    let f = fixture();
    let p = parts(&f.compact);
    let tag = &p[4];
    let last = tag.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let sibling = alphabet.as_bytes()[(idx & !0b11) | ((idx + 1) & 0b11)] as char;
    assert_ne!(sibling, last);
    let mut q = p.clone();
    q[4] = format!("{}{sibling}", &tag[..tag.len() - 1]);
    assert_eq!(receive(&q.join("."), &f.key).unwrap_err(), malformed(JwePart::Tag, Malformation::NotBase64Url));
}

#[test]
fn length_limits() {
    let f = fixture();
    let len = f.compact.len();
    // The same value is fine under a limit that fits it, too long under one that does not.
    assert!(Jwe::<CardData, 8196>::from_str(&f.compact).is_ok());
    assert_eq!(Jwe::<CardData, 64>::from_str(&f.compact).unwrap_err(), JweError::TooLong { len, max: 64 });
    let over = "A".repeat(8193);
    assert_eq!(Jwe::<CardData>::from_str(&over).unwrap_err(), JweError::TooLong { len: 8193, max: 8192 });
    let err = serde_json::from_value::<Jwe<CardData>>(json!(over)).unwrap_err().to_string();
    assert!(err.contains("at most 8192"), "{err}");
    let err = serde_json::from_value::<Jwe<CardData>>(json!(42)).unwrap_err().to_string();
    assert!(err.contains("compact JWE"), "{err}");
    // Sealing a plaintext too large for the field is refused.
    let name = "N".repeat(128);
    let card = CardData::new(PAN, "1229", Some(&name)).unwrap();
    let small = Jwe::<CardData, 300>::seal(&card, &f.public).unwrap_err();
    assert!(matches!(small, JweError::TooLong { max: 300, .. }), "{small:?}");
}

/// A plaintext type that accepts any bytes: to seal JSON that `CardData` must refuse.
struct AnyJson(Vec<u8>);
impl Plaintext for AnyJson {
    const TYPE_NAME: &'static str = "AnyJson";
    fn to_json(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.clone())
    }
    fn from_json(json: &[u8]) -> Result<Self, PlaintextError> {
        Ok(Self(json.to_vec()))
    }
}

#[test]
fn invalid_plaintexts_are_refused_without_echoing_them() {
    let f = fixture();
    let bad_luhn = "4111111111111112";
    for (json, reason) in [
        (format!(r#"{{"pan":"{bad_luhn}","exp":"1229"}}"#), "Luhn"),
        (r#"{"pan":"411111111","exp":"1229"}"#.to_owned(), "10 to 19 digits"),
        (format!(r#"{{"pan":"{PAN}","exp":"1329"}}"#), "MMYY"),
        (format!(r#"{{"pan":"{PAN}"}}"#), "expected JSON"),
        (format!(r#"{{"pan":"{PAN}","exp":"1229","cvv":"123"}}"#), "expected JSON"),
        (String::new(), "expected JSON"),
        ("[]".to_owned(), "expected JSON"),
    ] {
        let sealed = Jwe::<AnyJson>::seal(&AnyJson(json.clone().into_bytes()), &f.public).unwrap();
        let as_card = Jwe::<CardData>::from_str(sealed.as_compact()).unwrap();
        let err = as_card.open(&f.key).unwrap_err();
        let JweError::InvalidPlaintext(e) = &err else { panic!("{json}: {err:?}") };
        assert_eq!(e.type_name, "CardData");
        assert!(e.reason.contains(reason), "{json}: {e}");
        for shown in [format!("{err}"), format!("{err:?}")] {
            assert!(!shown.contains(bad_luhn) && !shown.contains(PAN), "{shown}");
        }
    }
}

fn mutation() -> impl Strategy<Value = (usize, u8, u8)> {
    // (position, kind, byte): kind 0 replace, 1 insert, 2 delete, 3 swap with next, 4 flip a bit
    (any::<usize>(), 0u8..5, any::<u8>())
}

fn mutate(s: &str, muts: &[(usize, u8, u8)]) -> String {
    let mut b = s.as_bytes().to_vec();
    for &(pos, kind, byte) in muts {
        if b.is_empty() {
            b.push(byte);
            continue;
        }
        let i = pos % b.len();
        // Keep printable ASCII (the wire form is a JSON string): map `byte` into 0x20..0x7f.
        let c = 0x20 + byte % 0x5f;
        match kind {
            0 => b[i] = c,
            1 => b.insert(i, c),
            2 => {
                b.remove(i);
            }
            3 => {
                if i + 1 < b.len() {
                    b.swap(i, i + 1);
                }
            }
            _ => b[i] = (b[i] ^ (1 << (byte % 7))).clamp(0x20, 0x7e),
        }
    }
    String::from_utf8(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_mutations_never_panic_and_never_open(muts in proptest::collection::vec(mutation(), 1..4)) {
        thread_local!(static F: Fixture = fixture());
        F.with(|f| {
            let m = mutate(&f.compact, &muts);
            let r = receive(&m, &f.key);
            if m == f.compact {
                prop_assert!(r.is_ok());
            } else {
                prop_assert!(r.is_err(), "mutated value opened: {m}");
            }
            Ok(())
        })?;
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,300}", dots in proptest::collection::vec("[A-Za-z0-9_-]{0,40}", 0..7)) {
        thread_local!(static K: PrivateKey = PrivateKey::generate(&mut SysRng).unwrap());
        K.with(|k| {
            prop_assert!(receive(&s, k).is_err());
            prop_assert!(receive(&dots.join("."), k).is_err());
            Ok(())
        })?;
    }
}
