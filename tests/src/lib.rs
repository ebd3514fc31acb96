//! Tests and benchmarks of the generated D1 crates against peers nobody here wrote.
//!
//! The library part holds what several test files share; both modules are the runtime's own
//! test support (`d1-runtime/tests/support/`), compiled here as well rather than copied:
//!
//! * [`jose`] — the driver of the independent JOSE peer, Python `jwcrypto`
//!   (`d1-runtime/tests/jose/jwe_helper.py`), and a self-cleaning temporary directory for key files;
//! * [`redaction`] — what a secret looks like when printed by mistake, and a capture of what
//!   `tracing` writes.

#[path = "../../d1-runtime/tests/support/jose.rs"]
pub mod jose;

#[path = "../../d1-runtime/tests/support/redaction.rs"]
pub mod redaction;
