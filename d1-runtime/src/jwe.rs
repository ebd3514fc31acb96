//! Sealed JWE values: the only place card numbers travel in D1 messages.
//!
//! D1 carries sensitive card data (PAN, expiry, CVV, …) only inside JSON Web Encryption
//! (JWE, RFC 7516) values in **compact serialization**, with one fixed algorithm pair:
//!
//! | header | value | meaning |
//! |---|---|---|
//! | `alg` | `ECDH-ES` | direct ephemeral-static ECDH key agreement (RFC 7518 §4.6), empty encrypted-key part |
//! | `enc` | `A256GCM` | AES-256-GCM content encryption, 96-bit IV, 128-bit tag |
//! | `epk` | EC key on `P-256` | the sender's ephemeral public key |
//! | `kid` | string | the identifier of the **recipient's** key |
//!
//! This module gives every such field a type, [`Jwe<T>`](Jwe), where `T` is the
//! [`Plaintext`] it hides (`CardCredentials`, `DigitalPan`, …):
//!
//! * the only ways to get a `Jwe<T>` are [`Jwe::seal`] (encrypt a `T` for a recipient's
//!   [`PublicKey`]) and parsing the wire form ([`serde::Deserialize`], [`FromStr`],
//!   `TryFrom<String>`), which checks that the value is a well-formed compact JWE for the
//!   allow-listed algorithms before anything else happens;
//! * the only way to read one is [`Jwe::open`] with a [`PrivateKey`], which returns a
//!   validated `T` or a specific [`JweError`] — never a partial plaintext, never a panic;
//! * `Debug`/`Display` show the plaintext type, the `kid` and the length, never the content.
//!
//! ```
//! # #[cfg(feature = "jwe")]
//! # fn main() -> Result<(), d1_runtime::jwe::JweError> {
//! use d1_runtime::jwe::{Jwe, Plaintext, PlaintextError, PrivateKey, SysRng};
//! use zeroize::Zeroizing;
//!
//! // Generated code implements `Plaintext` for the D1 plaintext types; a toy one here.
//! struct Pan(String);
//! impl Plaintext for Pan {
//!     const TYPE_NAME: &'static str = "Pan";
//!     fn to_json(&self) -> Zeroizing<Vec<u8>> {
//!         Zeroizing::new(format!(r#"{{"pan":"{}"}}"#, self.0).into_bytes())
//!     }
//!     fn from_json(json: &[u8]) -> Result<Self, PlaintextError> {
//!         let v: serde_json::Value = serde_json::from_slice(json)
//!             .map_err(|_| PlaintextError::new(Self::TYPE_NAME, "not JSON"))?;
//!         v["pan"].as_str().map(|p| Pan(p.to_owned()))
//!             .ok_or_else(|| PlaintextError::new(Self::TYPE_NAME, "missing `pan`"))
//!     }
//! }
//!
//! let ours = PrivateKey::generate(&mut SysRng)?;
//! let recipient = ours.public_key("issuer-key-1");
//! let sealed: Jwe<Pan> = Jwe::seal(&Pan("4111111111111111".into()), &recipient)?;
//! assert_eq!(sealed.kid(), Some("issuer-key-1"));
//! assert!(!format!("{sealed:?}").contains("4111"));
//! // The wire form travels as a JSON string; parsing it checks its shape.
//! let wire = serde_json::to_string(&sealed).unwrap();
//! let received: Jwe<Pan> = serde_json::from_str(&wire).unwrap();
//! assert_eq!(received.open(&ours)?.0, "4111111111111111");
//! # Ok(()) }
//! # #[cfg(not(feature = "jwe"))]
//! # fn main() {}
//! ```
//!
//! # Implementation choice
//!
//! The JOSE layer is written here, on top of audited `RustCrypto` primitives:
//! [`p256`] (constant-time P-256 arithmetic, ECDH, PKCS#8/SEC1/SPKI key parsing),
//! [`aes_gcm`] (AES-256-GCM, constant-time tag comparison, tag checked before any byte is
//! decrypted), [`sha2`] (SHA-256 for the Concat KDF), [`base64ct`] (constant-time,
//! canonical-only base64url), [`zeroize`] and [`getrandom`] (OS randomness). All pure Rust,
//! all from crates.io, no C toolchain or system OpenSSL. The JOSE part proper is small for a
//! single allow-listed algorithm pair: split/decode the compact form, validate the header,
//! the Concat KDF of RFC 7518 §4.6.2 (one SHA-256 block for a 256-bit key), and AES-GCM with
//! the ASCII of the encoded protected header as AAD.
//!
//! Alternatives weighed (crates.io, 2026):
//!
//! * **`josekit`** — complete and maintained, but built on OpenSSL (`openssl-sys`): needs a
//!   system OpenSSL or a vendored C build on every machine. Rejected.
//! * **`biscuit`** — JWE on `ring`; `ring` only offers *ephemeral* ECDH, so it cannot decrypt
//!   ECDH-ES with a static private key, and biscuit has no ECDH-ES at all. Rejected.
//! * **`jwt-simple`** — pure-Rust option, but its JWE supports `ECDH-ES+A128KW`/`+A256KW`
//!   (key wrapping), not direct `ECDH-ES`, and is shaped around JWT claims; its default
//!   features pull `BoringSSL`. Rejected.
//! * **`compact_jwt`** (kanidm) — only `ECDH-ES+A256KW`, not direct `ECDH-ES`. Rejected.
//! * **`picky`** (Devolutions) — pure Rust and supports `ECDH-ES` + `A256GCM`, the closest
//!   fit; but it has been a 7.0 *release candidate* for years, pins pre-release crates
//!   (`rsa =0.10.0-rc`, `pkcs1 =0.8.0-rc`), drags RSA (with the open Marvin timing advisory,
//!   RUSTSEC-2023-0071), X.509, P-384/P-521, Ed25519 and X25519 into our build, accepts every
//!   algorithm it knows on decode (we would have to re-validate the header anyway), and
//!   returns the decrypted payload in a plain `Vec` that is not zeroized. Rejected.
//! * **`RustCrypto` `JOSE`** (`jose-jwk`, `jose-jws`, …) — no JWE implementation. Not usable.
//! * **`reallyme-jose`** and application crates with a private JWE module — young, single
//!   vendor, or a newer toolchain than ours. Not a long-run dependency.
//!
//! Composing the primitives keeps the trusted code to crates that the whole Rust ecosystem
//! reviews, gives us exact control of the allow-list, of error cases and of zeroization, and
//! keeps the build small (two cores). The price is that the compact parsing and the KDF are
//! our code: they are tested against RFC 7518 Appendix C and against Python `jwcrypto`
//! (the `d1-tests` crate), plus tampering and property tests.
//!
//! # Security properties
//!
//! * Only `alg = "ECDH-ES"` with `enc = "A256GCM"` is accepted; `none`, any other algorithm,
//!   a `crit` or `zip` header, a non-empty encrypted-key part are distinct errors.
//! * The ephemeral key must be a P-256 point on the curve (not the identity): checked by
//!   `p256` when the wire form is parsed (with the `jwe` feature; without it the value can
//!   only be carried, so only the coordinates' shape is checked), before any key agreement.
//! * The `kid` of the header is compared with the key's when both carry one.
//! * AES-GCM verifies the tag in constant time before decrypting; the decrypted bytes, the
//!   ECDH shared secret, the content encryption key and the private key are zeroized on drop.
//! * No input from outside can make this module panic; there is no `unwrap`.
//! * Error values never contain plaintext or key bytes (values echoed from the header, like
//!   an unsupported `alg`, are shortened).

#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Sealing and opening: keys, ECDH-ES and A256GCM (feature `jwe`).
#[cfg(feature = "jwe")]
mod crypto;
#[cfg(feature = "jwe")]
pub use crypto::{__internal, rand_core, PrivateKey, PublicKey, SysRng};

/// The sender's ephemeral key as parsing leaves it: a P-256 point checked to be on the curve
/// when the crypto stack is compiled in (feature `jwe`); otherwise only its coordinates'
/// shape is checked, and a `Jwe` can be carried but not opened.
#[cfg(feature = "jwe")]
type Epk = p256::PublicKey;
#[cfg(not(feature = "jwe"))]
#[derive(Clone)]
struct Epk;

/// The only accepted key-management algorithm (`alg` header).
pub const ALG: &str = "ECDH-ES";
/// The only accepted content-encryption algorithm (`enc` header).
pub const ENC: &str = "A256GCM";
/// The only accepted curve of the ephemeral and recipient keys.
pub const CURVE: &str = "P-256";
/// Default maximum length of the compact form, the `maxLength` most D1 JWE fields declare.
pub const DEFAULT_MAX_LEN: usize = 8192;

const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;
const COORD_LEN: usize = 32;
/// Longest header value echoed back in an error.
const ECHO_MAX: usize = 40;

// ---------------------------------------------------------------------------------------------
// Plaintext contract
// ---------------------------------------------------------------------------------------------

/// A type that can be the plaintext of a [`Jwe`]: a JSON object with validated members.
///
/// The generated D1 plaintext types (`CardCredentials`, `DigitalPan`, …) implement it.
pub trait Plaintext: Sized {
    /// Rust name of the type, for errors and `Debug` (e.g. `"CardCredentials"`).
    const TYPE_NAME: &'static str;

    /// The JSON object that gets encrypted. The buffer is zeroized on drop.
    fn to_json(&self) -> Zeroizing<Vec<u8>>;

    /// Parses and validates a decrypted JSON object.
    ///
    /// # Errors
    ///
    /// A [`PlaintextError`] when the JSON is not a valid value of the type. The error must
    /// never contain plaintext values.
    fn from_json(json: &[u8]) -> Result<Self, PlaintextError>;
}

/// A decrypted JSON object that is not a valid [`Plaintext`] value.
///
/// It names the type and the rule that failed, never the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaintextError {
    /// Rust name of the plaintext type ([`Plaintext::TYPE_NAME`]).
    pub type_name: &'static str,
    /// Which rule failed (e.g. ``"`pan` fails the Luhn check"``), without the value.
    pub reason: String,
}

impl PlaintextError {
    /// Builds an error for `type_name` with a `reason` that must not contain plaintext values.
    pub fn new(type_name: &'static str, reason: impl Into<String>) -> Self {
        Self { type_name, reason: reason.into() }
    }
}

/// Decodes the JSON form of a plaintext into `W`, the generated code's view of its members.
/// Members `W` does not list are skipped, as in every other D1 object (D1 may add some); an
/// error names the member and the kind of problem, never a value (serde's messages can quote
/// the input, which here is card data).
///
/// # Errors
///
/// Not a JSON object of the expected members.
pub fn decode_plaintext<W: serde::de::DeserializeOwned>(
    type_name: &'static str,
    json: &[u8],
) -> Result<W, PlaintextError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let wire = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let member = e.path().to_string().escape_default().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        // "missing field `pan`" and "duplicate field `pan`" quote only the schema's names.
        let what = if text.starts_with("missing field") || text.starts_with("duplicate field") {
            text
        } else {
            format!(
                "{:?} error at member `{member}` (line {}, column {})",
                inner.classify(),
                inner.line(),
                inner.column()
            )
        };
        PlaintextError::new(type_name, format!("not a valid {type_name} JSON object: {what}"))
    })?;
    de.end().map_err(|e| {
        PlaintextError::new(
            type_name,
            format!("text after the {type_name} JSON object (line {}, column {})", e.line(), e.column()),
        )
    })?;
    Ok(wire)
}

impl fmt::Display for PlaintextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} plaintext: {}", self.type_name, self.reason)
    }
}

impl std::error::Error for PlaintextError {}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A part of a compact JWE, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwePart {
    /// The whole compact string (e.g. the number of parts).
    Compact,
    /// Part 1, the protected header.
    Header,
    /// Part 2, the encrypted key (must be empty for `ECDH-ES`).
    EncryptedKey,
    /// Part 3, the initialization vector.
    Iv,
    /// Part 4, the ciphertext.
    Ciphertext,
    /// Part 5, the authentication tag.
    Tag,
}

impl fmt::Display for JwePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Compact => "compact serialization",
            Self::Header => "protected header (part 1)",
            Self::EncryptedKey => "encrypted key (part 2)",
            Self::Iv => "initialization vector (part 3)",
            Self::Ciphertext => "ciphertext (part 4)",
            Self::Tag => "authentication tag (part 5)",
        })
    }
}

/// Why a part of a compact JWE is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformation {
    /// The compact form does not have exactly five dot-separated parts.
    PartCount {
        /// How many parts were found.
        found: usize,
    },
    /// The part is not canonical unpadded base64url.
    NotBase64Url,
    /// The part is empty but must not be.
    Empty,
    /// The part must be empty (the encrypted key of `ECDH-ES`) but is not.
    NotEmpty,
    /// The decoded part does not have the required length.
    WrongLength {
        /// Required length in bytes.
        expected: usize,
        /// Decoded length in bytes.
        found: usize,
    },
    /// The header is not valid JSON (or has a duplicate member).
    NotJson {
        /// The JSON parser's message (a position, never content).
        detail: String,
    },
    /// The header is JSON but not an object.
    NotAnObject,
    /// A required header member is missing.
    MissingMember {
        /// The member's name (`epk.x` for a member of `epk`).
        member: &'static str,
    },
    /// A header member has the wrong type or an invalid value.
    InvalidMember {
        /// The member's name (`epk.x` for a member of `epk`).
        member: &'static str,
        /// What it should be.
        expected: &'static str,
    },
}

impl fmt::Display for Malformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PartCount { found } => write!(f, "expected 5 dot-separated parts, found {found}"),
            Self::NotBase64Url => f.write_str("not canonical unpadded base64url"),
            Self::Empty => f.write_str("must not be empty"),
            Self::NotEmpty => f.write_str("must be empty with alg ECDH-ES"),
            Self::WrongLength { expected, found } => {
                write!(f, "must decode to {expected} bytes, decodes to {found}")
            }
            Self::NotJson { detail } => write!(f, "not valid JSON: {detail}"),
            Self::NotAnObject => f.write_str("not a JSON object"),
            Self::MissingMember { member } => write!(f, "missing member `{member}`"),
            Self::InvalidMember { member, expected } => {
                write!(f, "member `{member}` must be {expected}")
            }
        }
    }
}

/// Why a key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The PEM text has no usable block, or the block is not what was expected.
    Pem {
        /// What is wrong (never key bytes).
        reason: &'static str,
    },
    /// The JWK text is not a usable JWK.
    Jwk {
        /// What is wrong (never key bytes).
        reason: String,
    },
    /// The key is not an EC key on P-256.
    WrongCurve {
        /// The curve or key type found.
        found: String,
    },
    /// The key bytes do not form a valid P-256 key (point not on the curve, scalar out of
    /// range, DER that does not decode, …).
    InvalidKey {
        /// What is wrong (never key bytes).
        reason: &'static str,
    },
    /// A public key used for sealing must carry a `kid` (D1 picks its key by it).
    MissingKid,
    /// The key could not be encoded.
    Encoding,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pem { reason } => write!(f, "invalid PEM key: {reason}"),
            Self::Jwk { reason } => write!(f, "invalid JWK: {reason}"),
            Self::WrongCurve { found } => write!(f, "key is not an EC P-256 key (found {found:?})"),
            Self::InvalidKey { reason } => write!(f, "invalid P-256 key: {reason}"),
            Self::MissingKid => f.write_str("the public key has no `kid`"),
            Self::Encoding => f.write_str("the key could not be encoded"),
        }
    }
}

impl std::error::Error for KeyError {}

/// Everything that can go wrong sealing, parsing or opening a [`Jwe`].
///
/// Each case is distinct and matchable; none carries plaintext or key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JweError {
    /// The value is not a well-formed compact JWE: which part, and why.
    Malformed {
        /// The part at fault.
        part: JwePart,
        /// What is wrong with it.
        problem: Malformation,
    },
    /// The `alg` header is not `ECDH-ES` (this includes `none`, `RSA-OAEP`, `ECDH-ES+A256KW`).
    UnsupportedAlgorithm {
        /// The `alg` found (shortened).
        alg: String,
    },
    /// The `enc` header is not `A256GCM`.
    UnsupportedEncryption {
        /// The `enc` found (shortened).
        enc: String,
    },
    /// The header uses a feature this module does not implement (`crit`, `zip`).
    UnsupportedHeader {
        /// The header member.
        member: &'static str,
    },
    /// The ephemeral key (`epk`) is not on P-256.
    WrongCurve {
        /// The `crv` found (shortened).
        crv: String,
    },
    /// The ephemeral key's coordinates are not a valid P-256 point (off the curve, out of
    /// range, or the identity).
    InvalidEphemeralKey,
    /// The header's `kid` is not the `kid` of the key used to open.
    KidMismatch {
        /// The key's `kid`.
        key: String,
        /// The header's `kid` (shortened).
        header: String,
    },
    /// The compact form is longer than the field allows.
    TooLong {
        /// Length of the compact form in bytes.
        len: usize,
        /// The field's maximum.
        max: usize,
    },
    /// Authentication failed: wrong key, or the JWE was altered. Deliberately says no more.
    DecryptionFailed,
    /// Decryption succeeded but the plaintext is not a valid value of the expected type.
    InvalidPlaintext(PlaintextError),
    /// A key could not be loaded.
    Key(KeyError),
    /// The random number generator failed.
    Random,
}

impl fmt::Display for JweError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { part, problem } => write!(f, "malformed JWE: {part}: {problem}"),
            Self::UnsupportedAlgorithm { alg } => {
                write!(f, "unsupported JWE alg {alg:?} (only {ALG:?} is accepted)")
            }
            Self::UnsupportedEncryption { enc } => {
                write!(f, "unsupported JWE enc {enc:?} (only {ENC:?} is accepted)")
            }
            Self::UnsupportedHeader { member } => {
                write!(f, "unsupported JWE header member `{member}`")
            }
            Self::WrongCurve { crv } => {
                write!(f, "JWE ephemeral key is on curve {crv:?}, only {CURVE:?} is accepted")
            }
            Self::InvalidEphemeralKey => f.write_str("JWE ephemeral key is not a valid P-256 point"),
            Self::KidMismatch { key, header } => {
                write!(f, "JWE is for key {header:?}, not for key {key:?}")
            }
            Self::TooLong { len, max } => {
                write!(f, "JWE is {len} bytes long, the field allows at most {max}")
            }
            Self::DecryptionFailed => f.write_str("JWE decryption failed (wrong key or altered value)"),
            Self::InvalidPlaintext(e) => write!(f, "JWE decrypted to an {e}"),
            Self::Key(e) => e.fmt(f),
            Self::Random => f.write_str("the random number generator failed"),
        }
    }
}

impl std::error::Error for JweError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidPlaintext(e) => Some(e),
            Self::Key(e) => Some(e),
            _ => None,
        }
    }
}

impl From<KeyError> for JweError {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

impl From<PlaintextError> for JweError {
    fn from(e: PlaintextError) -> Self {
        Self::InvalidPlaintext(e)
    }
}

const fn malformed(part: JwePart, problem: Malformation) -> JweError {
    JweError::Malformed { part, problem }
}

/// Shortens a value taken from the input before putting it in an error.
fn echo(s: &str) -> String {
    match s.char_indices().nth(ECHO_MAX) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_owned(),
    }
}

trait ClassifyMsg {
    fn classify_msg(&self) -> String;
}

impl ClassifyMsg for serde_json::Error {
    /// The error's category and position only.
    fn classify_msg(&self) -> String {
        let what = match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "wrong member type or duplicate member",
            serde_json::error::Category::Eof => "unexpected end",
        };
        format!("{what} at line {} column {}", self.line(), self.column())
    }
}

// ---------------------------------------------------------------------------------------------
// The sealed value
// ---------------------------------------------------------------------------------------------

/// A sealed (encrypted) value whose plaintext is a `T`, in JWE compact serialization.
///
/// `MAX_LEN` is the `maxLength` the spec gives the field. Build one with [`Jwe::seal`] or by
/// parsing the wire form (serde, [`FromStr`], `TryFrom<String>`); read it with [`Jwe::open`].
/// `Serialize` writes the compact string; `Debug`/`Display` write a summary such as
/// `Jwe<CardCredentials>{kid: "k1", 312 bytes}`.
pub struct Jwe<T, const MAX_LEN: usize = DEFAULT_MAX_LEN> {
    compact: String,
    parsed: Parsed,
    _plaintext: PhantomData<fn() -> T>,
}

/// What parsing the compact form established (everything but the decrypted content).
#[derive(Clone)]
#[cfg_attr(not(feature = "jwe"), allow(dead_code))] // read when opening
struct Parsed {
    /// Length of part 1 in `compact`: the AAD is `compact[..header_len]`.
    header_len: usize,
    kid: Option<String>,
    epk: Epk,
    apu: Vec<u8>,
    apv: Vec<u8>,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

/// The members of a validated protected header that opening needs.
struct ParsedHeader {
    kid: Option<String>,
    epk: Epk,
    apu: Vec<u8>,
    apv: Vec<u8>,
}

/// The protected header, as read: known members only, duplicates rejected by serde.
#[derive(Deserialize)]
struct HeaderIn {
    alg: Option<serde_json::Value>,
    enc: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    epk: Option<EpkField>,
    apu: Option<serde_json::Value>,
    apv: Option<serde_json::Value>,
    zip: Option<serde::de::IgnoredAny>,
    crit: Option<serde::de::IgnoredAny>,
}

/// The `epk` member: a JWK object without duplicate members, or anything else (refused).
#[derive(Deserialize)]
#[serde(untagged)]
enum EpkField {
    Jwk(Box<EpkIn>),
    Other(serde::de::IgnoredAny),
}

/// The members of `epk` that we read; duplicates are rejected by serde.
#[derive(Deserialize)]
struct EpkIn {
    kty: Option<serde_json::Value>,
    crv: Option<serde_json::Value>,
    x: Option<serde_json::Value>,
    y: Option<serde_json::Value>,
}

fn header_str<'v>(v: &'v serde_json::Value, member: &'static str) -> Result<&'v str, JweError> {
    v.as_str().ok_or_else(|| malformed(JwePart::Header, Malformation::InvalidMember { member, expected: "a string" }))
}

fn parse_header(json: &[u8]) -> Result<ParsedHeader, JweError> {
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(malformed(JwePart::Header, Malformation::NotAnObject));
    }
    // A struct, not a map, so that duplicate members are rejected.
    let h: HeaderIn = serde_json::from_slice(json)
        .map_err(|e| malformed(JwePart::Header, Malformation::NotJson { detail: e.classify_msg() }))?;
    let missing = |member| malformed(JwePart::Header, Malformation::MissingMember { member });
    let alg = header_str(h.alg.as_ref().ok_or_else(|| missing("alg"))?, "alg")?;
    if alg != ALG {
        return Err(JweError::UnsupportedAlgorithm { alg: echo(alg) });
    }
    let enc = header_str(h.enc.as_ref().ok_or_else(|| missing("enc"))?, "enc")?;
    if enc != ENC {
        return Err(JweError::UnsupportedEncryption { enc: echo(enc) });
    }
    if h.crit.is_some() {
        return Err(JweError::UnsupportedHeader { member: "crit" });
    }
    if h.zip.is_some() {
        return Err(JweError::UnsupportedHeader { member: "zip" });
    }
    let kid = match &h.kid {
        None => None,
        Some(k) => Some(header_str(k, "kid")?.to_owned()),
    };
    let epk = parse_epk(h.epk.as_ref().ok_or_else(|| missing("epk"))?)?;
    let party = |v: &Option<serde_json::Value>, member: &'static str| -> Result<Vec<u8>, JweError> {
        match v {
            None => Ok(Vec::new()),
            Some(v) => Base64UrlUnpadded::decode_vec(header_str(v, member)?)
                .map_err(|_| malformed(JwePart::Header, Malformation::InvalidMember { member, expected: "base64url" })),
        }
    };
    let apu = party(&h.apu, "apu")?;
    let apv = party(&h.apv, "apv")?;
    Ok(ParsedHeader { kid, epk, apu, apv })
}

fn parse_epk(epk: &EpkField) -> Result<Epk, JweError> {
    let EpkField::Jwk(jwk) = epk else {
        return Err(malformed(
            JwePart::Header,
            Malformation::InvalidMember { member: "epk", expected: "a JWK object without duplicate members" },
        ));
    };
    let member = |v: &'_ Option<serde_json::Value>, label: &'static str| -> Result<String, JweError> {
        let v = v.as_ref().ok_or_else(|| malformed(JwePart::Header, Malformation::MissingMember { member: label }))?;
        header_str(v, label).map(str::to_owned)
    };
    let crv = member(&jwk.crv, "epk.crv")?;
    if crv != CURVE {
        return Err(JweError::WrongCurve { crv: echo(&crv) });
    }
    if member(&jwk.kty, "epk.kty")? != "EC" {
        return Err(malformed(JwePart::Header, Malformation::InvalidMember { member: "epk.kty", expected: "\"EC\"" }));
    }
    let coord = |v: &'_ Option<serde_json::Value>, label: &'static str| -> Result<Vec<u8>, JweError> {
        let bytes = Base64UrlUnpadded::decode_vec(&member(v, label)?).map_err(|_| {
            malformed(JwePart::Header, Malformation::InvalidMember { member: label, expected: "base64url" })
        })?;
        if bytes.len() != COORD_LEN {
            return Err(malformed(
                JwePart::Header,
                Malformation::InvalidMember { member: label, expected: "32 bytes" },
            ));
        }
        Ok(bytes)
    };
    let x = coord(&jwk.x, "epk.x")?;
    let y = coord(&jwk.y, "epk.y")?;
    #[cfg(feature = "jwe")]
    return crypto::point_from_coordinates(&x, &y).ok_or(JweError::InvalidEphemeralKey);
    #[cfg(not(feature = "jwe"))]
    {
        // Only the shape is checked: whether the point is on the curve is for opening to find.
        drop((x, y));
        Ok(Epk)
    }
}

fn decode_part(part: JwePart, text: &str) -> Result<Vec<u8>, JweError> {
    Base64UrlUnpadded::decode_vec(text).map_err(|_| malformed(part, Malformation::NotBase64Url))
}

fn decode_fixed<const N: usize>(part: JwePart, text: &str) -> Result<[u8; N], JweError> {
    let bytes = decode_part(part, text)?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| malformed(part, Malformation::WrongLength { expected: N, found: bytes.len() }))
}

/// Parses and validates a compact JWE (everything short of decrypting it).
fn parse_compact(compact: &str, max_len: usize) -> Result<Parsed, JweError> {
    if compact.len() > max_len {
        return Err(JweError::TooLong { len: compact.len(), max: max_len });
    }
    let found = compact.split('.').count();
    let mut parts = compact.split('.');
    let (Some(header), Some(encrypted_key), Some(iv), Some(ciphertext), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(JwePart::Compact, Malformation::PartCount { found }));
    };
    if header.is_empty() {
        return Err(malformed(JwePart::Header, Malformation::Empty));
    }
    let header_json = decode_part(JwePart::Header, header)?;
    let ParsedHeader { kid, epk, apu, apv } = parse_header(&header_json)?;
    if !encrypted_key.is_empty() {
        // Say whether it was at least base64url, to make the error precise.
        decode_part(JwePart::EncryptedKey, encrypted_key)?;
        return Err(malformed(JwePart::EncryptedKey, Malformation::NotEmpty));
    }
    let iv = decode_fixed::<IV_LEN>(JwePart::Iv, iv)?;
    let ciphertext = decode_part(JwePart::Ciphertext, ciphertext)?;
    let tag = decode_fixed::<TAG_LEN>(JwePart::Tag, tag)?;
    Ok(Parsed { header_len: header.len(), kid, epk, apu, apv, iv, ciphertext, tag })
}

impl<T, const MAX_LEN: usize> Jwe<T, MAX_LEN> {
    /// The wire form: the compact serialization.
    #[must_use]
    pub fn as_compact(&self) -> &str {
        &self.compact
    }

    /// The wire form, by value.
    #[must_use]
    pub fn into_compact(self) -> String {
        self.compact
    }

    /// The `kid` of the recipient's key named in the header, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.parsed.kid.as_deref()
    }

    /// Parses and validates a compact JWE (see the type's docs for the checks).
    fn parse(compact: &str) -> Result<Self, JweError> {
        let parsed = parse_compact(compact, MAX_LEN)?;
        Ok(Self { compact: compact.to_owned(), parsed, _plaintext: PhantomData })
    }
}

impl<T, const MAX_LEN: usize> Clone for Jwe<T, MAX_LEN> {
    fn clone(&self) -> Self {
        Self { compact: self.compact.clone(), parsed: self.parsed.clone(), _plaintext: PhantomData }
    }
}

impl<T, const MAX_LEN: usize> PartialEq for Jwe<T, MAX_LEN> {
    fn eq(&self, other: &Self) -> bool {
        self.compact == other.compact
    }
}

impl<T, const MAX_LEN: usize> Eq for Jwe<T, MAX_LEN> {}

impl<T, const MAX_LEN: usize> Hash for Jwe<T, MAX_LEN> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.compact.hash(state);
    }
}

impl<T: Plaintext, const MAX_LEN: usize> fmt::Debug for Jwe<T, MAX_LEN> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jwe<{}>{{kid: ", T::TYPE_NAME)?;
        match &self.parsed.kid {
            Some(kid) => write!(f, "{:?}", echo(kid))?,
            None => f.write_str("none")?,
        }
        write!(f, ", {} bytes}}", self.compact.len())
    }
}

impl<T: Plaintext, const MAX_LEN: usize> fmt::Display for Jwe<T, MAX_LEN> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl<T, const MAX_LEN: usize> FromStr for Jwe<T, MAX_LEN> {
    type Err = JweError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<T, const MAX_LEN: usize> TryFrom<String> for Jwe<T, MAX_LEN> {
    type Error = JweError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        let parsed = parse_compact(&s, MAX_LEN)?;
        Ok(Self { compact: s, parsed, _plaintext: PhantomData })
    }
}

impl<T, const MAX_LEN: usize> TryFrom<&str> for Jwe<T, MAX_LEN> {
    type Error = JweError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl<T, const MAX_LEN: usize> Serialize for Jwe<T, MAX_LEN> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.compact)
    }
}

impl<'de, T, const MAX_LEN: usize> Deserialize<'de> for Jwe<T, MAX_LEN> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T, const MAX_LEN: usize>(PhantomData<fn() -> T>);

        impl<T, const MAX_LEN: usize> serde::de::Visitor<'_> for Visitor<T, MAX_LEN> {
            type Value = Jwe<T, MAX_LEN>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a compact JWE (ECDH-ES, A256GCM) of at most {MAX_LEN} bytes")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Jwe::parse(s).map_err(E::custom)
            }

            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Self::Value, E> {
                Jwe::try_from(s).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor::<T, MAX_LEN>(PhantomData))
    }
}
