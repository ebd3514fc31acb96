//! d1-codegen: reads OpenAPI 3.0 documents (the Thales D1 specs) and emits Rust crates.
//!
//! The pipeline runs one way: [`load`] (parse, apply overlays) → [`lower`] (follow `$ref`s,
//! build the IR) → [`naming`] (final names, shared types) → [`describe`] (a doc line for every
//! item) → [`emit`] (Rust via `quote` + `prettyplease`, manifests via minijinja) →
//! [`mod@write`] (an in-memory tree, written through a manifest or compared with `--check`).
//! Only [`Config`] touches the file system.

pub mod describe;
pub mod diff;
pub mod docs;
pub mod emit;
pub mod error;
pub mod escape;
pub mod ir;
pub mod load;
pub mod lower;
pub mod naming;
pub mod overlay;
pub mod pattern;
pub mod refs;
mod typed;
pub mod validate;
pub mod write;

mod config;
#[cfg(test)]
mod test_strings;

pub use config::{Config, Summary};
pub use error::{Error, Location, Warning};
pub use write::FileTree;

/// Run the in-memory part of the pipeline: files in, generated tree and IR out. No I/O.
pub fn generate(files: &[load::SourceFile], options: &emit::Options) -> Result<(FileTree, ir::Ir), Error> {
    // The parsed documents are dropped before emitting: the IR holds all the emitters need.
    let ir = ir_of(&load::load(files)?, options)?;
    let tree = emit::emit(&ir, options)?;
    Ok((tree, ir))
}

/// The IR of loaded specs: lowered, named, described; what every emitter reads.
pub fn ir_of(specs: &[load::Spec], options: &emit::Options) -> Result<ir::Ir, Error> {
    Ok(describe::described(naming::finalize(lower::lower_with(specs, options)?)))
}
