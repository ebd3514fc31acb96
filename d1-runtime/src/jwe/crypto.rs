//! Sealing and opening (feature `jwe`): the recipient's keys, ECDH-ES key agreement with the
//! Concat KDF, and A256GCM, on RustCrypto's audited primitives. Without this feature a
//! [`Jwe`] is still parsed, checked for shape, carried and serialized, but cannot be sealed
//! or opened, and nothing of the crypto stack is compiled.

use super::*;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::Aes256Gcm;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

pub use ::rand_core;
pub use getrandom::SysRng;

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

/// A P-256 public key from 32-byte affine coordinates; `None` if they are not a valid,
/// non-identity point.
pub(super) fn point_from_coordinates(x: &[u8], y: &[u8]) -> Option<p256::PublicKey> {
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

#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'static str,
    enc: &'static str,
    kid: &'a str,
    epk: JwkOut<'a>,
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
