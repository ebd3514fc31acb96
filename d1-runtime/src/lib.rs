//! The runtime of the crates [d1-codegen] generates from the Thales D1 OpenAPI specs:
//! everything they need that does not come from a spec, written and tested once here instead
//! of being copied into every generated crate.
//!
//! | module | feature | what it holds |
//! |---|---|---|
//! | [`pattern`] | always | checking a `pattern` too large for a table: an NFA, simulated in linear time |
//! | [`validation`] | always | the errors of the validated newtypes, open string enums, Luhn, masking |
//! | [`jwe`] | always; sealing and opening with `jwe` | sealed values `Jwe<T>` (JWE compact, `ECDH-ES` + `A256GCM`), the [`jwe::Plaintext`] trait; keys, `seal` and `open` with the feature |
//! | [`client`] | `client` | the client core: builder, base URLs, bearer tokens (static or OAuth2 JWT-bearer), retries, typed errors, tracing |
//! | [`style`] | always | objects, maps and unions as parameters, in the `style`s of OpenAPI 3.0 |
//! | [`server`] | `server` | the server runtime: request extraction and checks, D1-style error bodies, responses |
//!
//! Generated crates name this crate by absolute paths (`::d1_runtime::…`) and re-export the
//! items their users need, so an application normally depends on the generated crates only;
//! a crate that generates its bindings in `build.rs` depends on `d1-runtime` itself, with the
//! features its generated code uses.
//!
//! [d1-codegen]: https://docs.rs/d1-codegen
//!
//! # Versioning
//!
//! Generated code checks [`GENERATED_API`] at compile time: code generated for another
//! version of this crate's interface fails to build with a message that says which
//! versions to align, instead of with a list of unrelated type errors.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The docs link every module and the `jwe` feature's items; built without some features
// (`cargo doc -p d1-runtime`), those links have no target, which is not an error in the docs.
#![cfg_attr(not(all(feature = "client", feature = "server", feature = "jwe")), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "client")]
pub mod client;
pub mod jwe;
pub mod pattern;
#[cfg(feature = "server")]
pub mod server;
pub mod style;
pub mod validation;

#[cfg(feature = "regress")]
pub use regress;
pub use zeroize;

/// The version of the interface between generated code and this crate. d1-codegen writes
/// the version it generates for into every crate it emits, next to a compile-time check
/// against this constant; it changes whenever generated code of the previous version would
/// no longer build against this crate.
pub const GENERATED_API: u32 = 1;

/// Fails the build, with a readable message, when generated code expects another
/// [`GENERATED_API`] than this crate provides. Called once by every generated crate root.
///
/// ```
/// d1_runtime::require_generated_api!(1);
/// ```
///
/// ```compile_fail
/// // Code generated for another interface version stops here, with one message.
/// d1_runtime::require_generated_api!(2);
/// ```
#[macro_export]
macro_rules! require_generated_api {
    (1) => {};
    ($other:literal) => {
        ::core::compile_error!(concat!(
            "this crate was generated for version ",
            stringify!($other),
            " of the d1-runtime interface, but the d1-runtime it builds against provides version 1: ",
            "regenerate it with the d1-codegen that matches this d1-runtime, or depend on the d1-runtime it was generated for"
        ));
    };
}
