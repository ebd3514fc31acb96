//! Checks that secrets never show up in what a value prints.

// Shared by several test crates (see `mod` lines that name this file), each using a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything `f` logs through `tracing`, at every level, as plain text.
pub fn traced(f: impl FnOnce()) -> String {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = captured.0.lock().map(|b| b.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The forms a secret byte string may take when printed by mistake: hex (both cases),
/// base64url, standard base64, and Rust's `{:?}` of the bytes.
pub fn printed_forms(secret: &[u8]) -> Vec<String> {
    use base64ct::{Base64, Base64UrlUnpadded, Encoding};
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        hex.to_uppercase(),
        hex,
        Base64UrlUnpadded::encode_string(secret),
        Base64::encode_string(secret).trim_end_matches('=').to_owned(),
        format!("{secret:?}"),
        format!("{:?}", secret.get(..8).unwrap_or(secret)).trim_end_matches(']').to_owned(),
    ]
}

/// Panics if `shown` contains any of `secrets` (or, for long secrets, any 8-character
/// window of them, to catch partial leaks).
pub fn assert_no_secret(what: &str, shown: &str, secrets: &[&str]) {
    for secret in secrets {
        if secret.is_empty() {
            continue;
        }
        assert!(!shown.contains(secret), "{what} prints a secret: {shown}");
        let chars: Vec<char> = secret.chars().collect();
        if chars.len() > 12 {
            for w in chars.windows(8) {
                let w: String = w.iter().collect();
                assert!(!shown.contains(&w), "{what} prints part ({w}) of a secret: {shown}");
            }
        }
    }
}
