//! A plaintext type that mimics the generated ones.

// Shared by several test crates (see `mod` lines that name this file), each using a part of it.
#![allow(dead_code)]

use core::fmt;

use d1_runtime::jwe::{Plaintext, PlaintextError};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// Card data sealed in a JWE: `{"pan": "...", "exp": "MMYY", "name": "..."?}`.
///
/// Validated on construction and on decryption, zeroized on drop, redacted in `Debug`.
pub struct CardData {
    pan: String,
    exp: String,
    name: Option<String>,
}

/// The JSON form; its strings are zeroized when it is dropped.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Wire {
    pan: String,
    exp: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    name: Option<String>,
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.pan.zeroize();
        self.exp.zeroize();
        if let Some(n) = &mut self.name {
            n.zeroize();
        }
    }
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

impl CardData {
    /// Builds a card: PAN 10–19 digits passing Luhn, expiry MMYY, name ≤ 128 chars.
    pub fn new(pan: &str, exp: &str, name: Option<&str>) -> Result<Self, PlaintextError> {
        let err = |reason: &str| PlaintextError::new(Self::TYPE_NAME, reason);
        if !(10..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("`pan` must be 10 to 19 digits"));
        }
        if !luhn_ok(pan) {
            return Err(err("`pan` fails the Luhn check"));
        }
        let month_ok = exp.len() == 4
            && exp.bytes().all(|b| b.is_ascii_digit())
            && matches!(exp.get(..2).and_then(|m| m.parse::<u8>().ok()), Some(1..=12));
        if !month_ok {
            return Err(err("`exp` must be MMYY"));
        }
        if name.is_some_and(|n| n.chars().count() > 128) {
            return Err(err("`name` must be at most 128 characters"));
        }
        Ok(Self { pan: pan.to_owned(), exp: exp.to_owned(), name: name.map(str::to_owned) })
    }

    /// The PAN (test access).
    pub fn pan(&self) -> &str {
        &self.pan
    }

    /// The expiry, MMYY.
    pub fn exp(&self) -> &str {
        &self.exp
    }

    /// The cardholder name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl Drop for CardData {
    fn drop(&mut self) {
        self.pan.zeroize();
        self.exp.zeroize();
        if let Some(n) = &mut self.name {
            n.zeroize();
        }
    }
}

impl fmt::Debug for CardData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last4 = self.pan.get(self.pan.len().saturating_sub(4)..).unwrap_or("");
        f.debug_struct("CardData")
            .field("pan", &format_args!("\"****{last4}\""))
            .field("exp", &"**")
            .field("name", &self.name.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Plaintext for CardData {
    const TYPE_NAME: &'static str = "CardData";

    fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let wire = Wire { pan: self.pan.clone(), exp: self.exp.clone(), name: self.name.clone() };
        // Enough capacity up front so that no reallocation leaves a copy behind.
        let mut out = Zeroizing::new(Vec::with_capacity(64 + 6 * self.name.as_ref().map_or(0, String::len)));
        // Writing a struct of strings into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &wire);
        out
    }

    fn from_json(json: &[u8]) -> Result<Self, PlaintextError> {
        let wire: Wire = serde_json::from_slice(json).map_err(|e| {
            PlaintextError::new(Self::TYPE_NAME, format!("not the expected JSON object ({:?})", e.classify()))
        })?;
        Self::new(&wire.pan, &wire.exp, wire.name.as_deref())
    }
}

/// A valid test PAN of `len` digits (Luhn check digit computed), starting with `prefix`.
pub fn test_pan(prefix: &str, len: usize) -> String {
    let mut body: String = prefix.to_owned();
    let mut i = 0u8;
    while body.len() < len - 1 {
        body.push(char::from(b'0' + (i % 10)));
        i = i.wrapping_add(7);
    }
    for check in b'0'..=b'9' {
        let candidate = format!("{body}{}", char::from(check));
        if luhn_ok(&candidate) {
            return candidate;
        }
    }
    unreachable!("one check digit always fits")
}
