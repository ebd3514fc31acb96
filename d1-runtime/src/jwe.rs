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
//! # Ok::<(), d1_runtime::jwe::JweError>(())
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
//!   `p256` when the wire form is parsed, before any key agreement.
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

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::Aes256Gcm;
use base64ct::{Base64UrlUnpadded, Encoding};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

pub use getrandom::SysRng;
pub use rand_core;

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

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A recipient's P-256 public key with its `kid`: what [`Jwe::seal`] encrypts for.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    key: p256::PublicKey,
}

impl PublicKey {
    /// Loads a public key from a JWK (`kty` `EC`, `crv` `P-256`, `x`, `y`, `kid`).
    ///
    /// A `use` other than `enc` or an `alg` other than `ECDH-ES` is refused; private members
    /// are ignored.
    ///
    /// # Errors
    ///
    /// [`KeyError::Jwk`] for JSON or members that do not parse, [`KeyError::WrongCurve`],
    /// [`KeyError::InvalidKey`] for a point not on the curve, [`KeyError::MissingKid`].
    pub fn from_jwk(jwk: &str) -> Result<Self, KeyError> {
        let jwk = Jwk::parse(jwk)?;
        let key = jwk.public_key()?.ok_or_else(|| KeyError::Jwk { reason: "missing member `x` or `y`".into() })?;
        let kid = jwk.kid.filter(|k| !k.is_empty()).ok_or(KeyError::MissingKid)?;
        Ok(Self { kid, key })
    }

    /// Loads a public key from a PEM `PUBLIC KEY` (`SubjectPublicKeyInfo`) block, with the
    /// `kid` under which the recipient knows it.
    ///
    /// # Errors
    ///
    /// [`KeyError::MissingKid`] for an empty `kid`, [`KeyError::Pem`], [`KeyError::WrongCurve`]
    /// or [`KeyError::InvalidKey`].
    pub fn from_pem(pem: &str, kid: impl Into<String>) -> Result<Self, KeyError> {
        let kid = kid.into();
        if kid.is_empty() {
            return Err(KeyError::MissingKid);
        }
        let block = pem_block(pem, &["PUBLIC KEY"])?;
        let key = p256::PublicKey::from_public_key_pem(block.text).map_err(|e| match e {
            p256::pkcs8::spki::Error::OidUnknown { .. } => {
                KeyError::WrongCurve { found: "another algorithm or curve".into() }
            }
            _ => KeyError::InvalidKey { reason: "not a P-256 SubjectPublicKeyInfo" },
        })?;
        Ok(Self { kid, key })
    }

    /// The `kid` that sealed values carry in their header.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key as a public JWK, with `kid`, `use` `enc` and `alg` `ECDH-ES`.
    #[must_use]
    pub fn to_jwk(&self) -> String {
        let (x, y) = coordinates(&self.key);
        let jwk =
            JwkOut { kty: "EC", crv: CURVE, x: &x, y: &y, kid: Some(&self.kid), use_: Some("enc"), alg: Some(ALG) };
        serde_json::to_string(&jwk).unwrap_or_default()
    }

    /// The key as a PEM `PUBLIC KEY` (`SubjectPublicKeyInfo`) block.
    ///
    /// # Errors
    ///
    /// [`KeyError::Encoding`] if the encoder fails.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.key.to_public_key_pem(LineEnding::LF).map_err(|_| KeyError::Encoding)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("kid", &self.kid).field("crv", &CURVE).finish_non_exhaustive()
    }
}

/// Our P-256 private key, with an optional `kid`: what [`Jwe::open`] decrypts with.
///
/// The secret scalar is zeroized on drop; `Debug` shows only the `kid`.
pub struct PrivateKey {
    kid: Option<String>,
    secret: p256::SecretKey,
}

impl PrivateKey {
    /// Loads a private key from PEM: `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1, as
    /// written by `openssl ecparam -genkey`, an `EC PARAMETERS` block before it is skipped).
    /// The key has no `kid`; add one with [`PrivateKey::with_kid`].
    ///
    /// # Errors
    ///
    /// [`KeyError::Pem`] (no such block, an encrypted key), [`KeyError::WrongCurve`],
    /// [`KeyError::InvalidKey`].
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let block = pem_block(pem, &["PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])?;
        let secret = match block.label {
            "PRIVATE KEY" => p256::SecretKey::from_pkcs8_pem(block.text).map_err(|e| match e {
                p256::pkcs8::Error::PublicKey(p256::pkcs8::spki::Error::OidUnknown { .. }) => {
                    KeyError::WrongCurve { found: "another algorithm or curve".into() }
                }
                _ => KeyError::InvalidKey { reason: "not a P-256 PKCS#8 private key" },
            })?,
            "EC PRIVATE KEY" => p256::SecretKey::from_sec1_pem(block.text)
                .map_err(|_| KeyError::InvalidKey { reason: "not a P-256 SEC1 private key" })?,
            _ => return Err(KeyError::Pem { reason: "encrypted private keys are not supported; decrypt it first" }),
        };
        Ok(Self { kid: None, secret })
    }

    /// Loads a private key from a JWK (`kty` `EC`, `crv` `P-256`, `d`; `x`/`y`, if present,
    /// must match `d`). The JWK's `kid`, if any, becomes the key's `kid`.
    ///
    /// # Errors
    ///
    /// [`KeyError::Jwk`], [`KeyError::WrongCurve`], [`KeyError::InvalidKey`].
    pub fn from_jwk(jwk: &str) -> Result<Self, KeyError> {
        let jwk = Jwk::parse(jwk)?;
        let d = jwk
            .d
            .as_ref()
            .ok_or_else(|| KeyError::Jwk { reason: "missing member `d` (this is a public key)".into() })?;
        let d = Zeroizing::new(
            Base64UrlUnpadded::decode_vec(d).map_err(|_| KeyError::Jwk { reason: "`d` is not base64url".into() })?,
        );
        if d.len() != COORD_LEN {
            return Err(KeyError::InvalidKey { reason: "`d` must be 32 bytes" });
        }
        let secret = p256::SecretKey::from_slice(&d)
            .map_err(|_| KeyError::InvalidKey { reason: "`d` is not a valid P-256 scalar" })?;
        if let Some(public) = jwk.public_key()?
            && public != secret.public_key()
        {
            return Err(KeyError::InvalidKey { reason: "`x`/`y` do not match `d`" });
        }
        Ok(Self { kid: jwk.kid.clone(), secret })
    }

    /// Generates a fresh key (for tests and key set-up), e.g. `PrivateKey::generate(&mut SysRng)`.
    ///
    /// # Errors
    ///
    /// [`JweError::Random`] if the generator fails.
    pub fn generate<R: rand_core::TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, JweError> {
        let secret = p256::SecretKey::try_generate_from_rng(rng).map_err(|_| JweError::Random)?;
        Ok(Self { kid: None, secret })
    }

    /// Sets the `kid` checked against the header on [`Jwe::open`].
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key's `kid`, if it has one.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The matching public key, published under `kid`.
    #[must_use]
    pub fn public_key(&self, kid: impl Into<String>) -> PublicKey {
        PublicKey { kid: kid.into(), key: self.secret.public_key() }
    }

    /// The key as a PEM `PRIVATE KEY` (PKCS#8) block, zeroized on drop.
    ///
    /// # Errors
    ///
    /// [`KeyError::Encoding`] if the encoder fails.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.secret.to_pkcs8_pem(LineEnding::LF).map_err(|_| KeyError::Encoding)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .field("crv", &CURVE)
            .field("secret", &"<redacted>")
            .finish()
    }
}

struct PemBlock<'a> {
    label: &'a str,
    /// The block from its BEGIN line to its END line.
    text: &'a str,
}

/// Finds the first PEM block whose label is one of `wanted` (other blocks, like
/// `EC PARAMETERS`, are skipped).
fn pem_block<'a>(pem: &'a str, wanted: &[&'static str]) -> Result<PemBlock<'a>, KeyError> {
    const BEGIN: &str = "-----BEGIN ";
    let mut rest = pem;
    let mut offset = 0;
    while let Some(start) = rest.find(BEGIN) {
        let after = rest.get(start + BEGIN.len()..).unwrap_or_default();
        let label_end = after.find("-----").ok_or(KeyError::Pem { reason: "unterminated BEGIN line" })?;
        let label = after.get(..label_end).unwrap_or_default();
        if let Some(&w) = wanted.iter().find(|w| **w == label) {
            let end_line = format!("-----END {w}-----");
            let block_start = offset + start;
            let tail = pem.get(block_start..).unwrap_or_default();
            let end = tail.find(&end_line).ok_or(KeyError::Pem { reason: "missing END line" })?;
            let text = tail.get(..end + end_line.len()).unwrap_or_default();
            return Ok(PemBlock { label: w, text });
        }
        let skip = start + BEGIN.len() + label_end;
        offset += skip;
        rest = rest.get(skip..).unwrap_or_default();
    }
    Err(KeyError::Pem {
        reason: if wanted.contains(&"PUBLIC KEY") {
            "no `PUBLIC KEY` block"
        } else {
            "no `PRIVATE KEY` or `EC PRIVATE KEY` block"
        },
    })
}

/// The members of an EC JWK that we read. `d` is zeroized on drop.
struct Jwk {
    kid: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<Zeroizing<String>>,
}

#[derive(Deserialize)]
struct JwkIn {
    kty: Option<serde_json::Value>,
    crv: Option<serde_json::Value>,
    x: Option<serde_json::Value>,
    y: Option<serde_json::Value>,
    d: Option<String>,
    kid: Option<serde_json::Value>,
    #[serde(rename = "use")]
    use_: Option<serde_json::Value>,
    alg: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct JwkOut<'a> {
    kty: &'static str,
    crv: &'static str,
    x: &'a str,
    y: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    use_: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alg: Option<&'static str>,
}

fn jwk_str(v: Option<serde_json::Value>, member: &str) -> Result<Option<String>, KeyError> {
    match v {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyError::Jwk { reason: format!("member `{member}` must be a string") }),
    }
}

impl Jwk {
    fn parse(text: &str) -> Result<Self, KeyError> {
        let raw: JwkIn = serde_json::from_str(text).map_err(|e| KeyError::Jwk {
            // serde_json messages carry a position and a type, never the input's content.
            reason: format!("not a JSON object with string members: {}", e.classify_msg()),
        })?;
        let d = raw.d.map(Zeroizing::new);
        let kty = jwk_str(raw.kty, "kty")?;
        let crv = jwk_str(raw.crv, "crv")?;
        match crv.as_deref() {
            Some(CURVE) => {}
            Some(other) => return Err(KeyError::WrongCurve { found: echo(other) }),
            None => return Err(KeyError::Jwk { reason: "missing member `crv`".into() }),
        }
        match kty.as_deref() {
            Some("EC") => {}
            Some(other) => return Err(KeyError::WrongCurve { found: format!("kty {}", echo(other)) }),
            None => return Err(KeyError::Jwk { reason: "missing member `kty`".into() }),
        }
        if let Some(u) = jwk_str(raw.use_, "use")?
            && u != "enc"
        {
            return Err(KeyError::Jwk { reason: format!("`use` is {:?}, not \"enc\"", echo(&u)) });
        }
        if let Some(a) = jwk_str(raw.alg, "alg")?
            && a != ALG
        {
            return Err(KeyError::Jwk { reason: format!("`alg` is {:?}, not {ALG:?}", echo(&a)) });
        }
        Ok(Self { kid: jwk_str(raw.kid, "kid")?, x: jwk_str(raw.x, "x")?, y: jwk_str(raw.y, "y")?, d })
    }

    /// The public point from `x` and `y`, if both are present.
    fn public_key(&self) -> Result<Option<p256::PublicKey>, KeyError> {
        let (Some(x), Some(y)) = (&self.x, &self.y) else {
            return Ok(None);
        };
        let decode = |s: &str, m: &str| {
            Base64UrlUnpadded::decode_vec(s).map_err(|_| KeyError::Jwk { reason: format!("`{m}` is not base64url") })
        };
        let (x, y) = (decode(x, "x")?, decode(y, "y")?);
        point_from_coordinates(&x, &y)
            .map(Some)
            .ok_or(KeyError::InvalidKey { reason: "`x`/`y` are not a point on P-256" })
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

/// A P-256 public key from 32-byte affine coordinates; `None` if they are not a valid,
/// non-identity point.
fn point_from_coordinates(x: &[u8], y: &[u8]) -> Option<p256::PublicKey> {
    if x.len() != COORD_LEN || y.len() != COORD_LEN {
        return None;
    }
    let mut sec1 = [0u8; 1 + 2 * COORD_LEN];
    sec1[0] = 0x04;
    sec1.get_mut(1..=COORD_LEN)?.copy_from_slice(x);
    sec1.get_mut(1 + COORD_LEN..)?.copy_from_slice(y);
    p256::PublicKey::from_sec1_bytes(&sec1).ok()
}

/// The base64url affine coordinates of a public key.
fn coordinates(key: &p256::PublicKey) -> (String, String) {
    let point = key.to_uncompressed_point();
    let bytes: &[u8] = point.as_slice();
    (
        Base64UrlUnpadded::encode_string(bytes.get(1..=COORD_LEN).unwrap_or_default()),
        Base64UrlUnpadded::encode_string(bytes.get(1 + COORD_LEN..).unwrap_or_default()),
    )
}

// ---------------------------------------------------------------------------------------------
// Key agreement
// ---------------------------------------------------------------------------------------------

/// The Concat KDF of NIST SP 800-56A §5.8.1 as profiled by RFC 7518 §4.6.2, with SHA-256:
/// fills `out` (keydatalen = `out.len() * 8` bits) with `K(1) || K(2) || …`, where
/// `K(i) = SHA-256(i || Z || OtherInfo)` and
/// `OtherInfo = len(alg_id) || alg_id || len(apu) || apu || len(apv) || apv || keydatalen`.
fn concat_kdf(z: &[u8], algorithm_id: &str, apu: &[u8], apv: &[u8], out: &mut [u8]) {
    let keydatalen_bits = u32::try_from(out.len().saturating_mul(8)).unwrap_or(u32::MAX);
    let prefixed = |h: &mut Sha256, data: &[u8]| {
        h.update(u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
        h.update(data);
    };
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let counter = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut h = Sha256::new();
        h.update(counter.to_be_bytes());
        h.update(z);
        prefixed(&mut h, algorithm_id.as_bytes());
        prefixed(&mut h, apu);
        prefixed(&mut h, apv);
        h.update(keydatalen_bits.to_be_bytes());
        let mut block = h.finalize();
        let n = chunk.len();
        chunk.copy_from_slice(block.get(..n).unwrap_or_default());
        block.zeroize();
    }
}

/// ECDH shared secret then the Concat KDF: the content encryption key of `ECDH-ES` + `A256GCM`.
fn derive_cek(shared: &p256::ecdh::SharedSecret, apu: &[u8], apv: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut cek = Zeroizing::new([0u8; 32]);
    concat_kdf(shared.raw_secret_bytes().as_slice(), ENC, apu, apv, cek.as_mut_slice());
    cek
}

/// AES-256-GCM keyed by `cek`, borrowed (no unzeroized copy of the key on the stack).
fn aes_cipher(cek: &Zeroizing<[u8; 32]>) -> Aes256Gcm {
    let key: &aes_gcm::Key<Aes256Gcm> = (&**cek).into();
    Aes256Gcm::new(key)
}

/// Test hooks for the key-agreement step (RFC 7518 Appendix C). Not part of the API.
#[doc(hidden)]
pub mod __internal {
    use super::{PrivateKey, PublicKey};
    use zeroize::Zeroizing;

    /// The Concat KDF of RFC 7518 §4.6.2 with SHA-256.
    #[must_use]
    pub fn concat_kdf(
        z: &[u8],
        algorithm_id: &str,
        apu: &[u8],
        apv: &[u8],
        keydatalen_bits: u32,
    ) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(vec![0u8; (keydatalen_bits / 8) as usize]);
        super::concat_kdf(z, algorithm_id, apu, apv, &mut out);
        out
    }

    /// ECDH between `ours` and `theirs`, then the Concat KDF: the key agreement of ECDH-ES.
    #[must_use]
    pub fn ecdh_es_agree(
        ours: &PrivateKey,
        theirs: &PublicKey,
        algorithm_id: &str,
        apu: &[u8],
        apv: &[u8],
        keydatalen_bits: u32,
    ) -> Zeroizing<Vec<u8>> {
        let shared = ours.secret.diffie_hellman(&theirs.key);
        concat_kdf(shared.raw_secret_bytes().as_slice(), algorithm_id, apu, apv, keydatalen_bits)
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
struct Parsed {
    /// Length of part 1 in `compact`: the AAD is `compact[..header_len]`.
    header_len: usize,
    kid: Option<String>,
    epk: p256::PublicKey,
    apu: Vec<u8>,
    apv: Vec<u8>,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

/// The members of a validated protected header that opening needs.
struct ParsedHeader {
    kid: Option<String>,
    epk: p256::PublicKey,
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

#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'static str,
    enc: &'static str,
    kid: &'a str,
    epk: JwkOut<'a>,
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

fn parse_epk(epk: &EpkField) -> Result<p256::PublicKey, JweError> {
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
    point_from_coordinates(&x, &y).ok_or(JweError::InvalidEphemeralKey)
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

impl<T: Plaintext, const MAX_LEN: usize> Jwe<T, MAX_LEN> {
    /// Encrypts `plaintext` for `recipient`: `ECDH-ES` with a fresh ephemeral key, `A256GCM`
    /// with a fresh IV, `kid` taken from the key. Randomness comes from the OS.
    ///
    /// # Errors
    ///
    /// [`JweError::TooLong`] if the result exceeds `MAX_LEN`, [`JweError::Random`] if the OS
    /// generator fails.
    pub fn seal(plaintext: &T, recipient: &PublicKey) -> Result<Self, JweError> {
        Self::seal_with_rng(plaintext, recipient, &mut SysRng)
    }

    /// [`Jwe::seal`] with a caller-supplied cryptographic random number generator.
    ///
    /// # Errors
    ///
    /// As [`Jwe::seal`].
    pub fn seal_with_rng<R: rand_core::TryCryptoRng + ?Sized>(
        plaintext: &T,
        recipient: &PublicKey,
        rng: &mut R,
    ) -> Result<Self, JweError> {
        let ephemeral = p256::ecdh::EphemeralSecret::try_generate_from_rng(rng).map_err(|_| JweError::Random)?;
        let mut iv = [0u8; IV_LEN];
        rng.try_fill_bytes(&mut iv).map_err(|_| JweError::Random)?;
        let epk = ephemeral.public_key();
        let (x, y) = coordinates(&epk);
        let header = HeaderOut {
            alg: ALG,
            enc: ENC,
            kid: &recipient.kid,
            epk: JwkOut { kty: "EC", crv: CURVE, x: &x, y: &y, kid: None, use_: None, alg: None },
        };
        let header_json = serde_json::to_vec(&header).map_err(|_| JweError::Key(KeyError::Encoding))?;
        let header_b64 = Base64UrlUnpadded::encode_string(&header_json);

        let cek = derive_cek(&ephemeral.diffie_hellman(&recipient.key), &[], &[]);
        drop(ephemeral);
        let cipher = aes_cipher(&cek);
        // Encrypt in place in the zeroizing buffer `to_json` returned.
        let mut buffer = plaintext.to_json();
        let tag = cipher
            .encrypt_inout_detached(&iv.into(), header_b64.as_bytes(), buffer.as_mut_slice().into())
            .map_err(|_| JweError::TooLong { len: buffer.len(), max: MAX_LEN })?;

        let ciphertext_b64 = Base64UrlUnpadded::encode_string(&buffer);
        let iv_b64 = Base64UrlUnpadded::encode_string(&iv);
        let tag_b64 = Base64UrlUnpadded::encode_string(tag.as_slice());
        let mut compact =
            String::with_capacity(header_b64.len() + iv_b64.len() + ciphertext_b64.len() + tag_b64.len() + 4);
        for (i, part) in [&header_b64, "", &iv_b64, &ciphertext_b64, &tag_b64].iter().enumerate() {
            if i > 0 {
                compact.push('.');
            }
            compact.push_str(part);
        }
        if compact.len() > MAX_LEN {
            return Err(JweError::TooLong { len: compact.len(), max: MAX_LEN });
        }
        let mut tag_bytes = [0u8; TAG_LEN];
        tag_bytes.copy_from_slice(tag.as_slice());
        let parsed = Parsed {
            header_len: header_b64.len(),
            kid: Some(recipient.kid.clone()),
            epk,
            apu: Vec::new(),
            apv: Vec::new(),
            iv,
            ciphertext: buffer.to_vec(),
            tag: tag_bytes,
        };
        Ok(Self { compact, parsed, _plaintext: PhantomData })
    }

    /// Decrypts with our private key and validates the plaintext as a `T`.
    ///
    /// # Errors
    ///
    /// [`JweError::KidMismatch`] if the header and the key both carry a `kid` and they differ;
    /// [`JweError::DecryptionFailed`] for a wrong key or an altered value;
    /// [`JweError::InvalidPlaintext`] if the decrypted JSON is not a valid `T`.
    /// No plaintext is returned or kept on any error.
    pub fn open(&self, key: &PrivateKey) -> Result<T, JweError> {
        let p = &self.parsed;
        if let (Some(header_kid), Some(key_kid)) = (&p.kid, &key.kid)
            && header_kid != key_kid
        {
            return Err(JweError::KidMismatch { key: key_kid.clone(), header: echo(header_kid) });
        }
        let cek = derive_cek(&key.secret.diffie_hellman(&p.epk), &p.apu, &p.apv);
        let cipher = aes_cipher(&cek);
        let aad = self.compact.get(..p.header_len).unwrap_or_default();
        let mut buffer = Zeroizing::new(p.ciphertext.clone());
        cipher
            .decrypt_inout_detached(&p.iv.into(), aad.as_bytes(), buffer.as_mut_slice().into(), &p.tag.into())
            .map_err(|_| JweError::DecryptionFailed)?;
        T::from_json(&buffer).map_err(JweError::InvalidPlaintext)
    }
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
