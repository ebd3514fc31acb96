//! `d1_codegen::pattern::compile` never panics: any string is either a compiled pattern (whose
//! matcher, description and strategy can all be produced) or a located error.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn exercise(pattern: &str) {
    match d1_codegen::pattern::compile(pattern) {
        Ok(compiled) => {
            let value = proc_macro2_ident();
            let _ = compiled.matches_expr(&value);
            let _ = compiled.describe();
            let _ = compiled.needs_engine();
            let _ = compiled.accepts_almost_anything();
        }
        Err(e) => assert!(!e.message.is_empty()),
    }
}

fn proc_macro2_ident() -> proc_macro2::Ident {
    proc_macro2::Ident::new("value", proc_macro2::Span::call_site())
}

fn run(strategy: impl Strategy<Value = String>, cases: u32) {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    runner
        .run(&strategy, |p| {
            exercise(&p);
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_strings() {
    run(any::<String>(), 3_000);
}

#[test]
fn regex_shaped_strings() {
    // Mostly syntax characters, digits and escapes: the shapes most likely to reach odd paths.
    run("(\\\\[a-zA-Z0-9\\-./{}<>]|[\\^$.|?*+()\\[\\]{}a-c0-9,<>=!:\\-é😀]){0,16}", 20_000);
}
