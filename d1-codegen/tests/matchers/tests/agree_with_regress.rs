//! Every generated matcher agrees with the ECMA-262 engine (`regress`, flag `u`,
//! `find(s).is_some()`: OpenAPI patterns are not implicitly anchored; for a pattern with
//! Annex B syntax, without the flag, on values without astral characters) on
//!
//! - random strings (proptest, deterministic seed, no persistence): strings generated to
//!   match the pattern and then mutated, strings over the pattern's own characters and their
//!   neighbours, and arbitrary Unicode strings;
//! - edge cases: the empty string; every character of the pattern and the code points either
//!   side of it (so every end of every class range), alone, in runs of each quantifier bound
//!   ± 1, and substituted into matching strings; matching strings with a character added or
//!   removed, with a trailing or leading `\n`, `é`, `😀` or U+2028;
//! - an exhaustive sweep of all short strings over a small alphabet drawn from the pattern.
//!
//! The character sets here are read off the pattern text by a deliberately naive scanner,
//! independent of the compiler under test.

use std::collections::BTreeSet;

use d1_codegen_matchers::{Case, CASES};
use proptest::prelude::*;
use proptest::strategy::{Union, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Random strings per pattern.
const RANDOM_CASES: u32 = 3_000;
/// Upper bound on the strings of the exhaustive sweep, per pattern.
const SWEEP_BUDGET: usize = 20_000;
/// Longest string of the exhaustive sweep.
const SWEEP_MAX_LEN: usize = 10;
/// Characters every pattern is tried with.
const EXTRAS: &[char] = &[
    '\0',
    '\t',
    '\n',
    '\r',
    ' ',
    '0',
    'a',
    'Z',
    '_',
    '-',
    '.',
    '\u{7F}',
    '\u{80}',
    'é',
    '😀',
    '\u{2028}',
    '\u{2029}',
    '\u{FEFF}',
    '\u{D7FF}',
    '\u{E000}',
    '\u{10FFFF}',
];
const SPACES: &str = "\t\n\u{B}\u{C}\r \u{A0}\u{1680}\u{2000}\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}\u{FEFF}";

struct Checker<'a> {
    case: &'a Case,
    engine: regress::Regex,
    /// The judge reads the pattern without the `u` flag (it uses Annex B syntax), so on
    /// UTF-16 code units: only values without astral characters are compared.
    bmp_only: bool,
    checked: usize,
    failures: Vec<String>,
}

impl Checker<'_> {
    fn check(&mut self, input: &str) -> Result<(), String> {
        if self.bmp_only && input.chars().any(|c| c > '\u{FFFF}') {
            return Ok(());
        }
        self.checked += 1;
        let expected = self.engine.find(input).is_some();
        let got = (self.case.matches)(input);
        if got == expected {
            return Ok(());
        }
        Err(format!(
            "pattern {:?} (fn {}): the generated matcher says {got}, regress says {expected}, for input {input:?}",
            self.case.pattern, self.case.name
        ))
    }

    fn expect(&mut self, input: &str) {
        if let Err(e) = self.check(input)
            && self.failures.len() < 10
        {
            self.failures.push(e);
        }
    }
}

/// What the pattern text mentions: literal characters, class members and range ends, escaped
/// characters, and the members that `\d`, `\w`, `\s`, `.` are bounded by. Syntax and
/// quantifier counts are skipped.
fn pattern_chars(pattern: &str) -> BTreeSet<char> {
    let cs: Vec<char> = pattern.chars().collect();
    let mut out = BTreeSet::new();
    let mut in_class = false;
    let mut i = 0;
    let hex = |from: usize, len: usize| -> Option<u32> {
        let s: String = cs.get(from..from + len)?.iter().collect();
        u32::from_str_radix(&s, 16).ok()
    };
    while i < cs.len() {
        let c = cs[i];
        i += 1;
        if c == '\\' {
            let Some(&e) = cs.get(i) else { break };
            i += 1;
            match e {
                'x' => {
                    out.extend(hex(i, 2).and_then(char::from_u32));
                    i += 2;
                }
                'u' if cs.get(i) == Some(&'{') => {
                    let end = cs[i..].iter().position(|&c| c == '}').map_or(cs.len(), |p| i + p);
                    out.extend(hex(i + 1, end - i - 1).and_then(char::from_u32));
                    i = end + 1;
                }
                'u' => {
                    let unit = hex(i, 4).unwrap_or(0);
                    i += 4;
                    if (0xD800..0xDC00).contains(&unit) && cs.get(i) == Some(&'\\') {
                        let low = hex(i + 2, 4).unwrap_or(0);
                        out.extend(char::decode_utf16([unit as u16, low as u16]).filter_map(Result::ok));
                        i += 6;
                    } else {
                        out.extend(char::from_u32(unit));
                    }
                }
                'd' | 'D' => out.extend(['0', '9']),
                'w' | 'W' => out.extend(['0', '9', 'A', 'Z', '_', 'a', 'z']),
                's' | 'S' => out.extend(SPACES.chars()),
                'p' | 'P' => {
                    out.extend(['A', 'z', 'É', 'é', 'Σ', 'σ', '1']);
                    while i < cs.len() && cs[i - 1] != '}' {
                        i += 1;
                    }
                }
                'n' => drop(out.insert('\n')),
                't' => drop(out.insert('\t')),
                'r' => drop(out.insert('\r')),
                'f' => drop(out.insert('\u{C}')),
                'v' => drop(out.insert('\u{B}')),
                'b' => drop(out.insert('\u{8}')),
                '0' => drop(out.insert('\0')),
                '1'..='9' | 'B' | 'k' => {}
                other => drop(out.insert(other)),
            }
        } else if in_class {
            match c {
                ']' => in_class = false,
                '^' if cs[i - 2] == '[' => {}
                _ => drop(out.insert(c)),
            }
        } else {
            match c {
                '[' => in_class = true,
                '{' => {
                    while i < cs.len() && cs[i - 1] != '}' {
                        i += 1;
                    }
                }
                '(' if cs.get(i) == Some(&'?') => {
                    i += 1;
                    while i < cs.len() && matches!(cs[i], ':' | '=' | '!' | '<') {
                        i += 1;
                    }
                }
                '^' | '$' | '|' | '(' | ')' | '?' | '*' | '+' => {}
                '.' => out.extend(['\n', '\r', '\u{2028}', '\u{2029}', 'a']),
                _ => drop(out.insert(c)),
            }
        }
    }
    out
}

/// Each character of the pattern and the code points either side of it, plus [`EXTRAS`].
fn boundary_chars(pattern: &str) -> Vec<char> {
    let mut out: BTreeSet<char> = EXTRAS.iter().copied().collect();
    for c in pattern_chars(pattern) {
        let c = c as u32;
        out.extend([c.wrapping_sub(1), c, c + 1].into_iter().filter_map(char::from_u32));
    }
    out.into_iter().collect()
}

/// The counts of the pattern's `{n}`, `{n,}`, `{n,m}` quantifiers.
fn bounds(pattern: &str) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for part in pattern.split('{').skip(1) {
        let Some(inner) = part.split('}').next() else { continue };
        if inner.chars().all(|c| c.is_ascii_digit() || c == ',') {
            out.extend(inner.split(',').filter_map(|n| n.parse::<usize>().ok()));
        }
    }
    out
}

/// A strategy for strings that match the pattern, when regex-syntax can read it as a
/// generator (anchors stripped; lookarounds, backreferences and surrogate escapes cannot be
/// generated).
fn matching(pattern: &str) -> Option<BoxedStrategy<String>> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let body = body.strip_suffix('$').unwrap_or(body);
    // An empty class has nothing to generate: proptest would retry until it gives up.
    if body.contains("[]") {
        return None;
    }
    proptest::string::string_regex(body).ok().map(|s| s.boxed())
}

fn mutate(s: &str, op: u8, at: usize, c: char) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let at = if chars.is_empty() { 0 } else { at % (chars.len() + 1) };
    match op {
        0 => {}
        1 => chars.insert(at, c),
        2 if at < chars.len() => drop(chars.remove(at)),
        3 if at < chars.len() => chars[at] = c,
        4 => chars.push('\n'),
        5 => chars.push(c),
        _ => chars.insert(0, c),
    }
    chars.into_iter().collect()
}

fn random_strategy(pattern: &str, alphabet: &[char], max_len: usize) -> BoxedStrategy<String> {
    let letters = alphabet.to_vec();
    let over_alphabet = prop::collection::vec(prop::sample::select(letters.clone()), 0..=max_len)
        .prop_map(|v| v.into_iter().collect::<String>())
        .boxed();
    let anything = prop::collection::vec(any::<char>(), 0..=max_len.min(24))
        .prop_map(|v| v.into_iter().collect::<String>())
        .boxed();
    let mut options: Vec<(u32, BoxedStrategy<String>)> = vec![(3, over_alphabet), (1, anything)];
    if let Some(matching) = matching(pattern) {
        let mutated = (matching, 0u8..7, any::<usize>(), prop::sample::select(letters))
            .prop_map(|(s, op, at, c)| mutate(&s, op, at, c))
            .boxed();
        options.push((4, mutated));
    }
    Union::new_weighted(options).boxed()
}

/// A few deterministic matching strings (may be empty when the pattern cannot be generated).
fn examples(pattern: &str) -> Vec<String> {
    let Some(strategy) = matching(pattern) else {
        return Vec::new();
    };
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (0..16).filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current())).collect()
}

fn edge_cases(checker: &mut Checker<'_>, alphabet: &[char]) {
    let pattern = checker.case.pattern;
    checker.expect("");
    let mut lengths: BTreeSet<usize> = BTreeSet::new();
    for n in bounds(pattern) {
        lengths.extend([n.saturating_sub(1), n, n + 1]);
    }
    lengths.extend([1, 2]);
    for &c in alphabet {
        for &n in &lengths {
            checker.expect(&c.to_string().repeat(n.min(400)));
        }
    }
    for example in examples(pattern) {
        let chars: Vec<char> = example.chars().collect();
        checker.expect(&example);
        for wrap in ["\n", "é", "😀", "\u{2028}"] {
            checker.expect(&format!("{example}{wrap}"));
            checker.expect(&format!("{wrap}{example}"));
        }
        if let Some(last) = chars.last() {
            checker.expect(&chars[..chars.len() - 1].iter().collect::<String>());
            checker.expect(&format!("{example}{last}"));
            checker.expect(&chars[1..].iter().collect::<String>());
        }
        let positions: BTreeSet<usize> =
            [0, 1, chars.len() / 2, chars.len().saturating_sub(2), chars.len().saturating_sub(1)]
                .into_iter()
                .filter(|&p| p < chars.len())
                .collect();
        for &p in &positions {
            for &c in alphabet {
                let mut replaced = chars.clone();
                replaced[p] = c;
                checker.expect(&replaced.iter().collect::<String>());
            }
        }
    }
}

/// All strings up to the longest length that keeps the count within [`SWEEP_BUDGET`] (and at
/// most [`SWEEP_MAX_LEN`]), over the pattern's own characters (at most six of them, spread
/// out) and at least one character it does not mention.
fn sweep(checker: &mut Checker<'_>) {
    let mentioned: Vec<char> = pattern_chars(checker.case.pattern).into_iter().collect();
    let mut alphabet: Vec<char> = if mentioned.len() <= 6 {
        mentioned.clone()
    } else {
        (0..6).map(|i| mentioned[i * (mentioned.len() - 1) / 5]).collect()
    };
    // One character the pattern does not mention, more if that leaves fewer than three.
    let outsiders = ['~', 'é', '\n', 'a', '0'].into_iter().filter(|c| !mentioned.contains(c));
    for c in outsiders {
        if alphabet.len() >= 3 && alphabet.iter().any(|a| !mentioned.contains(a)) {
            break;
        }
        alphabet.push(c);
    }
    let k = alphabet.len();
    let mut words: Vec<String> = vec![String::new()];
    let mut total = 1;
    let mut frontier = words.clone();
    while total + frontier.len() * k <= SWEEP_BUDGET && frontier[0].chars().count() < SWEEP_MAX_LEN {
        frontier = frontier.iter().flat_map(|w| alphabet.iter().map(move |&c| format!("{w}{c}"))).collect();
        total += frontier.len();
        words.extend(frontier.iter().cloned());
    }
    for w in &words {
        checker.expect(w);
    }
}

#[test]
fn generated_matchers_agree_with_regress() {
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for case in CASES {
        let started = std::time::Instant::now();
        let (engine, bmp_only) = match regress::Regex::with_flags(case.pattern, "u") {
            Ok(engine) => (engine, false),
            Err(_) => (regress::Regex::with_flags(case.pattern, "").expect("valid in Annex B at least"), true),
        };
        let mut checker = Checker { case, engine, bmp_only, checked: 0, failures: Vec::new() };
        let alphabet = boundary_chars(case.pattern);
        let max_len = bounds(case.pattern).into_iter().max().unwrap_or(8).clamp(8, 70) + 3;

        edge_cases(&mut checker, &alphabet);
        let deterministic = checker.checked;
        sweep(&mut checker);
        let swept = checker.checked - deterministic;

        let config = Config { cases: RANDOM_CASES, failure_persistence: None, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let strategy = random_strategy(case.pattern, &alphabet, max_len);
        let before = checker.checked;
        let cell = std::cell::RefCell::new(&mut checker);
        let outcome = runner.run(&strategy, |s| cell.borrow_mut().check(&s).map_err(TestCaseError::fail));
        let random = cell.borrow().checked - before;
        if let Err(e) = outcome {
            checker.failures.push(format!("proptest: {e}"));
        }
        report.push(format!(
            "{:<24} {:<9} edge {deterministic:>6}  sweep {swept:>6}  random {random:>5}  {:>6.2}s",
            case.name,
            if case.needs_engine { "engine" } else { "inline" },
            started.elapsed().as_secs_f64()
        ));
        failures.extend(checker.failures);
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn d1_patterns_need_no_engine() {
    for case in CASES.iter().filter(|c| c.name.starts_with("d1_")) {
        assert!(!case.needs_engine, "{}: {}", case.name, case.pattern);
    }
}

#[test]
fn scanner_sees_class_ends() {
    let chars = pattern_chars(r"^[A-Za-z0-9_\-\. ]{1,64}\x2F(?:x|\u{1F600})$");
    for c in ['A', 'Z', 'a', 'z', '0', '9', '_', '-', '.', ' ', '/', 'x', '😀'] {
        assert!(chars.contains(&c), "{c:?} missing from {chars:?}");
    }
    assert!(!chars.contains(&'6') && !chars.contains(&'{') && !chars.contains(&'^'), "{chars:?}");
    assert_eq!(bounds(r"^a{1,64}b{3}c{2,}$"), [1, 2, 3, 64].into_iter().collect());
}
