//! d1-codegen: reads OpenAPI 3.0 documents (the Thales D1 specs) and emits Rust crates.
pub mod pattern;
