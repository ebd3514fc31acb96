//! Matchers that d1-codegen's pattern compiler generated for a fixed list of patterns (the
//! D1 specs' own, plus shapes that exercise every strategy), so that the tests can pit each
//! one against the ECMA-262 engine and the benchmark can time them.
//!
//! `generated.rs` is written by `d1-codegen/tests/matchers_fresh.rs`; regenerate it with
//! `UPDATE_GENERATED=1 cargo test -p d1-codegen --test matchers_fresh`.

#[rustfmt::skip]
pub mod generated;

pub use generated::CASES;

/// One compiled pattern.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The function's name in [`generated`].
    pub name: &'static str,
    /// The ECMA-262 pattern, as written in the spec.
    pub pattern: &'static str,
    /// The generated matcher.
    pub matches: fn(&str) -> bool,
    /// Whether the matcher calls the regex engine (otherwise it is straight-line Rust).
    pub needs_engine: bool,
}
