//! Fuzzing the JWE compact parser on stable, within a time budget: random byte-level
//! mutations of a sealed value (flips, cuts, splices, extra dots) and random text. Parsing and
//! opening must never panic, and nothing but the untouched value may open.
//!
//! `D1_FUZZ_SECONDS` sets the budget (default 10 s; e.g. 600 for a deeper run); the number of
//! inputs tried is printed with `--nocapture`.

#[path = "support/fixtures.rs"]
mod fixtures;

use d1_runtime::jwe::{Jwe, PrivateKey, SysRng};
use fixtures::CardData;
use std::str::FromStr;
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\":,\\\x00\xff";

fn mutate(original: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..=rng.below(4) {
        if bytes.is_empty() {
            bytes.push(ALPHABET[rng.below(ALPHABET.len())]);
            continue;
        }
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 => bytes[at] = ALPHABET[rng.below(ALPHABET.len())],
            1 => bytes[at] ^= 1 << rng.below(8),
            2 => bytes.truncate(at),
            3 => bytes.insert(at, b'.'),
            4 => {
                let from = rng.below(bytes.len());
                let piece: Vec<u8> = bytes[from..(from + rng.below(64)).min(bytes.len())].to_vec();
                bytes.splice(at..at, piece);
            }
            _ => {
                bytes.remove(at);
            }
        }
    }
    bytes
}

#[test]
fn mutated_sealed_values_never_panic_and_never_open() {
    let budget = Duration::from_secs(std::env::var("D1_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10));
    let key = PrivateKey::generate(&mut SysRng).expect("key").with_kid("k1");
    let card = CardData::new("4111111111111111", "1229", Some("JANE DOE")).expect("card");
    let original = Jwe::<CardData>::seal(&card, &key.public_key("k1")).expect("seal").into_compact();
    let mut rng = Rng(0x5eed_1e55_u64);
    let started = Instant::now();
    let (mut tried, mut parsed) = (0u64, 0u64);
    while started.elapsed() < budget {
        let input = if rng.below(10) == 0 {
            (0..rng.below(200)).map(|_| ALPHABET[rng.below(ALPHABET.len())]).collect()
        } else {
            mutate(original.as_bytes(), &mut rng)
        };
        tried += 1;
        let Ok(text) = std::str::from_utf8(&input) else { continue };
        let Ok(sealed) = Jwe::<CardData>::from_str(text) else { continue };
        parsed += 1;
        if sealed.open(&key).is_ok() {
            assert_eq!(text, original, "a modified value opened: {text:?}");
        }
    }
    println!("{tried} inputs in {:?}: {parsed} parsed, only the original opened", started.elapsed());
    assert!(tried > 0);
}
