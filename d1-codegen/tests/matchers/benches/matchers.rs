//! The generated matchers against `regress` and the `regex` crate (both compiled once, outside
//! the timed loop) on D1 identifiers and encodings, in the same run; then, on values of about
//! 1,000 characters, one language checked by a transition table and by the NFA simulation
//! (`d1_runtime::pattern`), and a lookbehind (NFA) against its DFA twin.
//!
//! ```text
//! cargo bench -p d1-codegen-matchers --bench matchers -- --measurement-time 2 --warm-up-time 1
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use d1_codegen_matchers::generated;

struct Bench {
    name: &'static str,
    pattern: &'static str,
    matcher: fn(&str) -> bool,
    input: &'static str,
}

/// One language checked on a long value by two generated strategies, regress and the regex
/// crate (which has no lookbehind: it gets `rust`, the same language without one).
struct Long {
    name: &'static str,
    pattern: &'static str,
    rust: &'static str,
    /// What the compiler chose for `pattern`, and for a twin of it.
    matchers: [Strategy; 2],
    input: fn() -> String,
}

/// A strategy's name and its generated matcher.
type Strategy = (&'static str, fn(&str) -> bool);

const LOOP: &str =
    r"^(?:ab|cd|ef|gh|ij|kl|mn|op|qr|st|uv|wx|yz|a[0-9]{1,3}|d[xy]{2,9}|e[a-f]{3,7}|q[0-7]{2,6}|z[ab]{1,9})+$";

const LONG: &[Long] = &[
    Long {
        name: "loop_1000",
        pattern: LOOP,
        rust: LOOP,
        matchers: [("table", generated::table_loop), ("nfa", generated::nfa_table_loop)],
        input: || "abcda123dxyxyeabcdefq0123zababgh".repeat(32),
    },
    Long {
        name: "bucket_1000",
        pattern: r"^[0-9A-Za-z\.\-_]*(?<!\.)$",
        rust: r"^(?:[0-9A-Za-z.\-_]*[0-9A-Za-z\-_])?$",
        matchers: [("nfa", generated::nfa_lookbehind_bucket), ("dfa", generated::dfa_bucket)],
        input: || "my-bucket.logs_2026.".repeat(50) + "x",
    },
];

const BENCHES: &[Bench] = &[
    Bench {
        name: "card_id_36",
        pattern: r"^[A-Za-z0-9_-]{1,48}$",
        matcher: generated::d1_id_48,
        input: "b7a5d9f0-3c1e-4a2b-9d8e-7f6a5b4c3d2e",
    },
    Bench {
        name: "correlation_id_40",
        pattern: r"^[A-Za-z0-9_-]{1,64}$",
        matcher: generated::d1_id_64,
        input: "corr_5f1c9a7e0b3d4e6f8a2b1c0d9e8f7a6b-01",
    },
    Bench {
        name: "base64_100",
        pattern: r"^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=)?$",
        matcher: generated::d1_base64,
        input: "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiZDEta2V5LTIwMjYtMDEiLCJ0eXAiOiJKV1QifQ==",
    },
    Bench { name: "mmyy", pattern: r"^(0[1-9]|1[0-2])[0-9]{2}$", matcher: generated::d1_mmyy, input: "0927" },
];

fn matchers(c: &mut Criterion) {
    for bench in BENCHES {
        let ecma = regress::Regex::with_flags(bench.pattern, "u").expect("valid pattern");
        // The regex crate does not accept `\/`; `/` means the same.
        let rust = regex::Regex::new(&bench.pattern.replace(r"\/", "/")).expect("valid for regex");
        let expected = ecma.find(bench.input).is_some();
        assert!(expected, "{}: the input should match", bench.name);
        assert_eq!((bench.matcher)(bench.input), expected, "{}", bench.name);
        assert_eq!(rust.is_match(bench.input), expected, "{}", bench.name);

        let mut group = c.benchmark_group(bench.name);
        group.bench_function("compiled", |b| b.iter(|| (bench.matcher)(black_box(bench.input))));
        group.bench_function("regress", |b| b.iter(|| ecma.find(black_box(bench.input)).is_some()));
        group.bench_function("regex", |b| b.iter(|| rust.is_match(black_box(bench.input))));
        group.finish();
    }
}

fn long_values(c: &mut Criterion) {
    for bench in LONG {
        let input = (bench.input)();
        let ecma = regress::Regex::with_flags(bench.pattern, "u").expect("valid pattern");
        let rust = regex::Regex::new(bench.rust).expect("valid for regex");
        assert!(ecma.find(&input).is_some(), "{}: the input should match", bench.name);
        assert!(rust.is_match(&input), "{}", bench.name);
        let mut group = c.benchmark_group(bench.name);
        for (strategy, matcher) in bench.matchers {
            assert!(matcher(&input), "{}: {strategy}", bench.name);
            group.bench_function(strategy, |b| b.iter(|| matcher(black_box(&input))));
        }
        group.bench_function("regress", |b| b.iter(|| ecma.find(black_box(&input)).is_some()));
        group.bench_function("regex", |b| b.iter(|| rust.is_match(black_box(&input))));
        group.finish();
    }
}

criterion_group!(benches, matchers, long_values);
criterion_main!(benches);
