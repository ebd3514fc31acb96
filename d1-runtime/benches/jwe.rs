//! Seal and open per second: `d1_runtime::jwe::Jwe<T>` against the raw RustCrypto primitive
//! calls doing the same work (ECDH P-256 + Concat KDF + AES-256-GCM + base64url + header
//! JSON), in the same run. The ratio is the wrapper's overhead.
//!
//! `cargo bench -p d1-runtime --features jwe --bench jwe` (criterion prints `thrpt: … elem/s`, one element
//! being one seal or one open).

#[path = "../tests/support/fixtures.rs"]
mod fixtures;

use fixtures::CardData;
use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::Aes256Gcm;
use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::{criterion_group, Criterion, Throughput};
use d1_runtime::jwe::{Jwe, Plaintext, PrivateKey, PublicKey};
use getrandom::SysRng;
use p256::elliptic_curve::rand_core::TryRng;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::elliptic_curve::Generate;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};

const KID: &str = "issuer-key-1";

/// Concat KDF (RFC 7518 §4.6.2) for one 256-bit key, no apu/apv, AlgorithmID "A256GCM".
fn raw_kdf(z: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(1u32.to_be_bytes());
    h.update(z);
    h.update(7u32.to_be_bytes());
    h.update(b"A256GCM");
    h.update(0u32.to_be_bytes());
    h.update(0u32.to_be_bytes());
    h.update(256u32.to_be_bytes());
    h.finalize().into()
}

fn raw_seal(card: &CardData, recipient: &p256::PublicKey) -> String {
    let eph = p256::ecdh::EphemeralSecret::try_generate_from_rng(&mut SysRng).unwrap();
    let point = eph.public_key().to_uncompressed_point();
    let x = Base64UrlUnpadded::encode_string(&point[1..33]);
    let y = Base64UrlUnpadded::encode_string(&point[33..65]);
    let header = format!(
        r#"{{"alg":"ECDH-ES","enc":"A256GCM","kid":"{KID}","epk":{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}"}}}}"#
    );
    let header = Base64UrlUnpadded::encode_string(header.as_bytes());
    let shared = eph.diffie_hellman(recipient);
    let cek = raw_kdf(shared.raw_secret_bytes());
    let mut iv = [0u8; 12];
    SysRng.try_fill_bytes(&mut iv).unwrap();
    let mut buf = card.to_json();
    let tag = Aes256Gcm::new(&cek.into())
        .encrypt_inout_detached(&iv.into(), header.as_bytes(), buf.as_mut_slice().into())
        .unwrap();
    format!(
        "{header}..{}.{}.{}",
        Base64UrlUnpadded::encode_string(&iv),
        Base64UrlUnpadded::encode_string(&buf),
        Base64UrlUnpadded::encode_string(&tag)
    )
}

fn raw_open(compact: &str, secret: &p256::SecretKey) -> CardData {
    let mut parts = compact.split('.');
    let (h, _ek, iv, ct, tag) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let header: serde_json::Value = serde_json::from_slice(&Base64UrlUnpadded::decode_vec(h).unwrap()).unwrap();
    assert!(header["alg"] == "ECDH-ES" && header["enc"] == "A256GCM");
    let mut sec1 = [4u8; 65];
    sec1[1..33].copy_from_slice(&Base64UrlUnpadded::decode_vec(header["epk"]["x"].as_str().unwrap()).unwrap());
    sec1[33..].copy_from_slice(&Base64UrlUnpadded::decode_vec(header["epk"]["y"].as_str().unwrap()).unwrap());
    let epk = p256::PublicKey::from_sec1_bytes(&sec1).unwrap();
    let cek = raw_kdf(secret.diffie_hellman(&epk).raw_secret_bytes());
    let iv: [u8; 12] = Base64UrlUnpadded::decode_vec(iv).unwrap().try_into().unwrap();
    let tag: [u8; 16] = Base64UrlUnpadded::decode_vec(tag).unwrap().try_into().unwrap();
    let mut buf = Base64UrlUnpadded::decode_vec(ct).unwrap();
    Aes256Gcm::new(&cek.into())
        .decrypt_inout_detached(&iv.into(), h.as_bytes(), buf.as_mut_slice().into(), &tag.into())
        .unwrap();
    CardData::from_json(&buf).unwrap()
}

struct Setup {
    secret: p256::SecretKey,
    key: PrivateKey,
    public: PublicKey,
    raw_public: p256::PublicKey,
    card: CardData,
    compact: String,
    parsed: Jwe<CardData>,
}

fn setup() -> Setup {
    let secret = p256::SecretKey::try_generate_from_rng(&mut SysRng).unwrap();
    let key = PrivateKey::from_pem(&secret.to_pkcs8_pem(LineEnding::LF).unwrap()).unwrap().with_kid(KID);
    let public: PublicKey = key.public_key(KID);
    let raw_public = secret.public_key();
    let card = CardData::new("4111111111111111", "1229", Some("JANE DOE")).unwrap();
    let compact = Jwe::<CardData>::seal(&card, &public).unwrap().into_compact();
    // Both paths produce values the other opens.
    assert_eq!(raw_open(&compact, &secret).pan(), card.pan());
    let raw = raw_seal(&card, &raw_public);
    assert_eq!(Jwe::<CardData>::from_str(&raw).unwrap().open(&key).unwrap().pan(), card.pan());
    let parsed = Jwe::<CardData>::from_str(&compact).unwrap();
    Setup { secret, key, public, raw_public, card, compact, parsed }
}

/// One operation by name, for the instruction-count mode.
fn run_op(s: &Setup, op: &str) {
    match op {
        "seal/ours" => drop(black_box(Jwe::<CardData>::seal(black_box(&s.card), &s.public).unwrap())),
        "seal/raw" => drop(black_box(raw_seal(black_box(&s.card), &s.raw_public))),
        "open/ours" => drop(black_box(Jwe::<CardData>::from_str(black_box(&s.compact)).unwrap().open(&s.key).unwrap())),
        "open/ours-preparsed" => drop(black_box(black_box(&s.parsed).open(&s.key).unwrap())),
        "open/raw" => drop(black_box(raw_open(black_box(&s.compact), &s.secret))),
        "none" => {}
        other => panic!("unknown op {other}"),
    }
}

fn bench(c: &mut Criterion) {
    let Setup { secret, key, public, raw_public, card, compact, parsed } = setup();
    let mut g = c.benchmark_group("jwe");
    g.throughput(Throughput::Elements(1));
    g.sample_size(40).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    g.bench_function("seal/ours", |b| b.iter(|| Jwe::<CardData>::seal(black_box(&card), &public).unwrap()));
    g.bench_function("seal/raw", |b| b.iter(|| raw_seal(black_box(&card), &raw_public)));
    g.bench_function("open/ours (parse + open)", |b| {
        b.iter(|| Jwe::<CardData>::from_str(black_box(&compact)).unwrap().open(&key).unwrap())
    });
    g.bench_function("open/ours (open only)", |b| b.iter(|| black_box(&parsed).open(&key).unwrap()));
    g.bench_function("open/raw", |b| b.iter(|| raw_open(black_box(&compact), &secret)));
    g.finish();
}

criterion_group!(benches, bench);

/// `D1_JWE_COUNT=<op> D1_JWE_COUNT_N=<n>` runs one operation `n` times and exits, for
/// `valgrind --tool=callgrind` instruction counts (repeatable on a shared, noisy machine):
/// instructions per op = (count at n - count at 0) / n.
fn main() {
    if let Ok(op) = std::env::var("D1_JWE_COUNT") {
        let n: usize = std::env::var("D1_JWE_COUNT_N").ok().and_then(|n| n.parse().ok()).unwrap_or(100);
        let s = setup();
        for _ in 0..n {
            run_op(&s, &op);
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
