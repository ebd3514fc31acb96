//! Tests and benchmarks of the generated D1 crates against peers nobody here wrote.
//!
//! The library part holds what several test files share:
//!
//! * [`fixtures`] — a plaintext type shaped like a generated one (`CardData`: a PAN with a
//!   Luhn check, an MMYY expiry, an optional name), for the JWE tests;
//! * [`jose`] — the driver of the independent JOSE peer, Python `jwcrypto`
//!   (`jose/jwe_helper.py`), and a self-cleaning temporary directory for key files.

pub mod fixtures {
    //! A plaintext type that mimics the generated ones.

    use core::fmt;

    use d1_types::jwe::{Plaintext, PlaintextError};
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
}

pub mod jose {
    //! Driver of the independent JOSE peer (`jose/jwe_helper.py`, Python `jwcrypto`).

    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{json, Value};

    /// The exact install line for the peer (also used by CI).
    pub const INSTALL: &str = "pip install 'jwcrypto>=1.5.6'";

    /// Python `jwcrypto`, run through `jose/jwe_helper.py`.
    pub struct Peer {
        python: String,
        script: PathBuf,
    }

    impl Peer {
        /// Finds `python3` (or `$D1_TESTS_PYTHON`) with `jwcrypto`. Panics — failing the
        /// test, never skipping it — with the install command if either is missing.
        pub fn new() -> Self {
            let python = std::env::var("D1_TESTS_PYTHON").unwrap_or_else(|_| "python3".into());
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("jose/jwe_helper.py");
            let peer = Self { python, script };
            let check = peer.try_run(&[json!({"op": "check"})]);
            match check {
                Ok(r) if r.first().is_some_and(|r| r["ok"] == true) => peer,
                Ok(r) => panic!("the JOSE peer did not answer `check`: {r:?}; install it with: {INSTALL}"),
                Err(e) => panic!(
                    "the independent JOSE peer (Python jwcrypto) is required by this test and is \
                     missing: {e}\nInstall it with: {INSTALL}\n(set D1_TESTS_PYTHON to use another \
                     interpreter than python3)"
                ),
            }
        }

        fn try_run(&self, ops: &[Value]) -> Result<Vec<Value>, String> {
            let mut child = Command::new(&self.python)
                .arg(&self.script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run `{}`: {e}", self.python))?;
            let job = serde_json::to_vec(&json!({ "ops": ops })).map_err(|e| e.to_string())?;
            child
                .stdin
                .take()
                .ok_or("no stdin")?
                .write_all(&job)
                .map_err(|e| format!("cannot write to the peer: {e}"))?;
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let value: Value = serde_json::from_str(&stdout).map_err(|_| {
                format!(
                    "the peer exited with {} and printed {stdout:?}; stderr: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                )
            })?;
            if let Some(fatal) = value.get("fatal") {
                return Err(fatal.to_string());
            }
            match value.get("results").and_then(Value::as_array) {
                Some(r) => Ok(r.clone()),
                None => Err(format!("unexpected answer {value}")),
            }
        }

        /// Runs a batch of ops; one result per op (`{"ok": bool, ...}`).
        pub fn run(&self, ops: &[Value]) -> Vec<Value> {
            self.try_run(ops).unwrap_or_else(|e| panic!("JOSE peer failed: {e}"))
        }

        /// Runs one op and returns its result, panicking if the peer reports an error.
        pub fn ok(&self, op: Value) -> Value {
            let r = self.run(std::slice::from_ref(&op)).pop().unwrap_or(Value::Null);
            assert_eq!(r["ok"], true, "jwcrypto failed on {op}: {r}");
            r
        }
    }

    impl Default for Peer {
        fn default() -> Self {
            Self::new()
        }
    }

    /// A directory under the system temp dir, removed on drop.
    pub struct TempDir(PathBuf);

    impl TempDir {
        /// Creates a fresh, empty directory.
        pub fn new(tag: &str) -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            let path = std::env::temp_dir().join(format!(
                "d1-tests-{tag}-{}-{}-{nanos}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).expect("create temp dir");
            Self(path)
        }

        /// The directory.
        pub fn path(&self) -> &Path {
            &self.0
        }

        /// A file in the directory, as a string (for the peer's JSON).
        pub fn file(&self, name: &str) -> String {
            self.0.join(name).to_string_lossy().into_owned()
        }

        /// Reads a file the peer wrote.
        pub fn read(&self, name: &str) -> String {
            std::fs::read_to_string(self.0.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
        }

        /// Writes a file for the peer.
        pub fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub mod redaction {
    //! Checks that secrets never show up in what a value prints.

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
}
