//! Fuzzing the pattern compiler on stable, within a time budget: random text over the
//! ECMA-262 pattern alphabet, and random edits of D1's own patterns. Compiling must never
//! panic, and must answer — a compiled matcher or a located refusal — for every input.
//!
//! `D1_FUZZ_SECONDS` sets the budget (default 10 s; e.g. 600 for a deeper run); the number of
//! patterns tried is printed with `--nocapture`.

mod support;

use std::time::{Duration, Instant};
use support::Rng;

/// Pieces patterns are made of, including the ones parsers get wrong.
const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    "é",
    "😀",
    ".",
    "^",
    "$",
    "|",
    "(",
    ")",
    "(?:",
    "(?=",
    "(?!",
    "(?<=",
    "(?<n>",
    "\\k<n>",
    "[",
    "]",
    "[^",
    "-",
    "{",
    "}",
    "{2}",
    "{1,}",
    "{0,3}",
    "{65536}",
    "*",
    "+",
    "?",
    "*?",
    "\\",
    "\\d",
    "\\s",
    "\\w",
    "\\b",
    "\\-",
    "\\u{1F600}",
    "\\u00e9",
    "\\x41",
    // Annex B: what Unicode mode rejects.
    "\\x",
    "\\q",
    "\\A",
    "\\012",
    "\\8",
    "\\uD800",
    "\\p",
    "\\p{L}",
    "\\1",
    "\\/",
    "\\.",
    ",",
    " ",
    "\t",
];

const D1_PATTERNS: &[&str] = &[
    "^[A-Za-z0-9_-]{1,48}$",
    "[A-Za-z0-9_-]{1,64}",
    "^(0[1-9]|1[0-2])[0-9]{2}$",
    "^[0-9]{10,19}$",
    "^(?:[A-Za-z0-9+\\/]{4})*(?:[A-Za-z0-9+\\/]{2}==|[A-Za-z0-9+\\/]{3}=)?$",
    "^(?:[\\x20-\\x2D\\x2F-\\x7F]*\\.){4}(?:[\\x20-\\x2D\\x2F-\\x7F]*)$",
    "[a-zA-Z0-9_\\-\\. ]{1,64}",
];

#[test]
fn the_pattern_compiler_never_panics() {
    let budget = Duration::from_secs(std::env::var("D1_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10));
    let mut rng = Rng(0x9a77_e2a5_u64);
    let started = Instant::now();
    let (mut tried, mut compiled) = (0u64, 0u64);
    while started.elapsed() < budget {
        let pattern = if rng.below(2) == 0 {
            (0..1 + rng.below(16)).map(|_| PIECES[rng.below(PIECES.len())]).collect::<String>()
        } else {
            let mut chars: Vec<char> = D1_PATTERNS[rng.below(D1_PATTERNS.len())].chars().collect();
            for _ in 0..=rng.below(3) {
                let at = rng.below(chars.len() + 1);
                let piece: Vec<char> = PIECES[rng.below(PIECES.len())].chars().collect();
                if rng.below(2) == 0 && at < chars.len() {
                    chars.remove(at);
                }
                chars.splice(at.min(chars.len())..at.min(chars.len()), piece);
            }
            chars.into_iter().collect()
        };
        tried += 1;
        // A panic here fails the test with the pattern in the message.
        let result = std::panic::catch_unwind(|| d1_codegen::pattern::compile(&pattern).map(|c| c.strategy()));
        match result {
            Ok(Ok(_)) => compiled += 1,
            Ok(Err(error)) => assert!(!error.to_string().is_empty(), "a refusal must say why: {pattern:?}"),
            Err(_) => panic!("the pattern compiler panicked on {pattern:?}"),
        }
    }
    println!("{tried} patterns in {:?}: {compiled} compiled, the rest refused with a reason", started.elapsed());
    assert!(tried > 0);
}
